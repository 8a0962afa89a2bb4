//===- CUDATarget.cpp - qc-compile --target=cuda --------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The driver's hook into the NVIDIA GPU back end (qc/Target/CUDA): a model
// compiled with `--target=cuda` goes through qc-gpu-pipeline instead of the
// CPU pipeline. The GPU architecture comes from `--target=cuda:<arch>` or
// from `--cpu=<arch>` (sm_80, sm_86, sm_89, sm_90, sm_90a; sm_89 when the
// CPU is left at its default). `--target=cuda-emulate` is the same
// lowering with the kernels run on the host (testing without a GPU).
//
//===----------------------------------------------------------------------===//

#include "CompilerDetail.h"
#include "qc/Target/CUDA/Compile.h"

using namespace mlir;
using namespace mlir::qc;

bool mlir::qc::detail::isCUDATarget(StringRef target) {
  return target == "cuda" || target.starts_with("cuda:") ||
         target == "cuda-emulate";
}

LogicalResult mlir::qc::detail::emitCUDAModel(ModuleOp module,
                                              const CompileOptions &options,
                                              StringRef output,
                                              StringRef header) {
  GPUCompileOptions gpu;
  StringRef target = options.target;
  if (target.consume_front("cuda:"))
    gpu.arch = target.str();
  else if (!options.cpu.empty() && options.cpu != "native" &&
           options.cpu != "generic")
    gpu.arch = options.cpu;
  gpu.emulate = options.target == "cuda-emulate";
  gpu.optLevel = options.optLevel;
  gpu.symbolName = options.symbolName;
  std::string error;
  if (failed(verifyGPUCompileOptions(gpu, error)))
    return emitError(module.getLoc()) << "--target=cuda: " << error;
  return emitCUDASharedObject(module, gpu, output, header);
}
