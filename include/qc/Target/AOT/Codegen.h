//===- Codegen.h - LLVM-dialect module to object and shared object -*- C++ -*-//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_AOT_CODEGEN_H
#define QC_TARGET_AOT_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::qc {

/// The machine code is generated for.
struct TargetSpec {
  std::string triple;
  std::string cpu;
  std::string features;
  /// True when the target is the machine qc runs on.
  bool isHost = true;
  unsigned optLevel = 3;
  /// Instruction-set extensions the kernels select on.
  bool hasAVX512VNNI = false; // x86 vpdpbusd
  bool hasDotProd = false;    // AArch64 sdot/udot
  bool hasI8MM = false;       // AArch64 usdot/smmla
  /// The model calls the OpenMP runtime (parallel kernels): link libomp.
  bool openmp = false;
};

/// Resolves a user-facing target (`x86_64`, `aarch64`, or `host`) and CPU
/// (`native`, `generic` or an LLVM CPU name) into a TargetSpec. Returns an
/// error message on failure.
FailureOr<TargetSpec> resolveTarget(llvm::StringRef target, llvm::StringRef cpu,
                                    std::string &error);

/// Translates an LLVM-dialect module to LLVM IR, optimizes it for `target`
/// and writes an ELF object to `os`. If `llvmIR` is set it receives the
/// optimized IR as text.
LogicalResult emitObject(ModuleOp module, const TargetSpec &target,
                         llvm::raw_pwrite_stream &os,
                         std::string *llvmIR = nullptr);

/// Links `objectPath` and `extraInputs` (objects or static archives) into the
/// shared object `outputPath` with ld.lld. Host targets also record libm/libc
/// as dependencies.
LogicalResult linkSharedObject(llvm::StringRef objectPath,
                               llvm::StringRef outputPath,
                               const TargetSpec &target, std::string &error,
                               llvm::ArrayRef<std::string> extraInputs = {});

/// emitObject into a temporary file, then linkSharedObject; errors are
/// reported at the module's location.
LogicalResult
emitAndLinkSharedObject(ModuleOp module, const TargetSpec &target,
                        llvm::StringRef outputPath,
                        llvm::ArrayRef<std::string> extraInputs = {});

} // namespace mlir::qc

#endif // QC_TARGET_AOT_CODEGEN_H
