//===- JitKernel.h - Compile and JIT a qc function for tests ----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compiles a `func.func @main_graph` written in MLIR through qc's real CPU
// pipeline with the AOT entry ABI, and JIT-runs it with MLIR's
// ExecutionEngine: run() takes one buffer per input, then per output.
//
//===----------------------------------------------------------------------===//

#ifndef QC_UNITTESTS_CONVERSION_JITKERNEL_H
#define QC_UNITTESTS_CONVERSION_JITKERNEL_H

#include "qc/InitAllQC.h"
#include "qc/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/TargetSelect.h"

#include <memory>
#include <string>
#include <vector>

namespace qc_test {

class JitKernel {
public:
  /// Compiles `source`, which defines func.func @main_graph. On failure
  /// `error` is non-empty.
  explicit JitKernel(const std::string &source, bool packedKernels = true,
                     bool vnni = false, bool approximateMath = true) {
    static bool initialized = [] {
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
      return true;
    }();
    (void)initialized;
    mlir::DialectRegistry registry;
    mlir::qc::registerAllQCDialects(registry);
    mlir::registerAllToLLVMIRTranslations(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    module = mlir::parseSourceString<mlir::ModuleOp>(source, context.get());
    if (!module) {
      error = "parse failed:\n" + source;
      return;
    }
    mlir::PassManager pm(context.get());
    mlir::qc::CPUPipelineOptions options;
    options.aot = true;
    options.packedKernels = packedKernels;
    options.vnni = vnni;
    options.approximateMath = approximateMath;
    mlir::qc::buildCPUPipeline(pm, options);
    if (mlir::failed(pm.run(*module))) {
      error = "pipeline failed";
      return;
    }
    auto created = mlir::ExecutionEngine::create(*module);
    if (!created) {
      error = llvm::toString(created.takeError());
      return;
    }
    engine = std::move(*created);
    auto fn = engine->lookup("qc_model_invoke");
    if (!fn) {
      error = llvm::toString(fn.takeError());
      return;
    }
    invoke = reinterpret_cast<void (*)(void **)>(*fn);
  }

  /// Runs with one pointer per input then per output.
  void run(std::vector<void *> buffers) const { invoke(buffers.data()); }

  std::string error;

private:
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*invoke)(void **) = nullptr;
};

} // namespace qc_test

#endif // QC_UNITTESTS_CONVERSION_JITKERNEL_H
