//===- Compile.h - Models for NVIDIA GPUs: PTX, cubin, shared object -*- C++
//-*-//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The CUDA counterpart of qc's CPU emission (qc/Target/AOT/Codegen.h): runs
// qc-gpu-pipeline on a tensor-level module, assembles the kernels' PTX with
// the CUDA toolkit's ptxas into a cubin for the named architecture and packs
// cubin + PTX into a fatbin (so that newer GPUs can JIT the PTX), compiles
// the host code for this machine and links it with the CUDA driver loader
// (runtime/src/qc_cuda.c) into a model .so with qc's usual C ABI.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CUDA_COMPILE_H
#define QC_TARGET_CUDA_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::qc {

/// What `--target=cuda` compiles for.
struct GPUCompileOptions {
  /// sm_80, sm_86, sm_89, sm_90, sm_90a, ... (sm_80 or newer).
  std::string arch = "sm_89";
  /// PTX ISA features; FP8 mma.sync needs +ptx84.
  std::string ptxFeatures = "+ptx84";
  unsigned optLevel = 3;
  /// INT8/FP8 matmuls on tensor cores (else every op runs as SIMT code).
  bool tensorCores = true;
  /// wgmma.mma_async kernels on sm_90a.
  bool wgmma = false;
  /// Neighbouring outputs per thread of split reductions (GEMVs).
  int64_t splitOutputs = 2;
  /// Embed the PTX next to the cubin (JIT on newer GPUs).
  bool embedPTX = true;
  /// The CUDA toolkit (ptxas, fatbinary, libdevice); empty: see
  /// getCUDAToolkitPath().
  std::string toolkitPath;
  /// C identifier prefixing the model's exported symbols and header.
  std::string symbolName = "model";
  /// Name of the entry function.
  std::string entry = "main_graph";
  /// Testing without a GPU: the same lowering, but the kernels run as loops
  /// on the host (qc-gpu-pipeline's `emulate`) and the .so is a CPU model
  /// (no cubin, no CUDA driver). Tensor-core contractions run as SIMT
  /// kernels; the MMA kernels themselves are checked by MMAEmulationTest.
  bool emulate = false;
};

/// Checks `options.arch` (an "sm_NN[a]" of 80 or more). Returns an error
/// message on failure.
LogicalResult verifyGPUCompileOptions(const GPUCompileOptions &options,
                                      std::string &error);

/// Lowers `module` (tensor level, as buildModule returns it) in place with
/// qc-gpu-pipeline and the AOT ABI; its GPU code ends as PTX in gpu.binary
/// ops.
LogicalResult lowerModuleForCUDA(ModuleOp module,
                                 const GPUCompileOptions &options);

/// The PTX of every GPU module of a lowered module, concatenated.
FailureOr<std::string> getModulePTX(ModuleOp module);

/// Lowers `module` and writes the PTX of its kernels to `os` (`--emit=ptx`).
LogicalResult emitCUDAPTX(ModuleOp module, const GPUCompileOptions &options,
                          llvm::raw_ostream &os);

/// Assembles `ptx` for `arch` with ptxas, then packs the cubin (and the PTX
/// when `embedPTX`) into a fatbin with fatbinary.
FailureOr<std::string> assembleFatbin(StringRef ptx,
                                      const GPUCompileOptions &options,
                                      std::string &error);

/// Lowers `module` (in place), assembles its kernels and writes the model
/// `output` (.so) and `header` (.h, unless empty).
LogicalResult emitCUDASharedObject(ModuleOp module,
                                   const GPUCompileOptions &options,
                                   StringRef output, StringRef header);

} // namespace mlir::qc

#endif // QC_TARGET_CUDA_COMPILE_H
