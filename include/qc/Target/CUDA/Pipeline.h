//===- Pipeline.h - qc's NVIDIA GPU lowering pipeline -----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The pipeline qc runs for `--target=cuda`, registered with qc-opt as
//
//   qc-opt model.mlir --qc-gpu-pipeline="aot=true chip=sm_89"
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CUDA_PIPELINE_H
#define QC_TARGET_CUDA_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::qc {

/// Options of the GPU lowering pipeline.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<bool> aot{
      *this, "aot",
      llvm::cl::desc("Lower the entry function to qc's ahead-of-time ABI "
                     "(caller-owned host buffers, exported qc_model_* "
                     "symbols)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> entry{
      *this, "entry", llvm::cl::desc("Name of the entry function"),
      llvm::cl::init("main_graph")};
  PassOptions::Option<std::string> modelName{
      *this, "model-name",
      llvm::cl::desc("C identifier prefixing the model's exported symbols"),
      llvm::cl::init("model")};
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture: sm_80, sm_86, sm_89, sm_90, sm_90a"),
      llvm::cl::init("sm_89")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (FP8 mma.sync needs +ptx84)"),
      llvm::cl::init("+ptx84")};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level", llvm::cl::desc("NVPTX optimization level"),
      llvm::cl::init(3)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Run INT8/FP8 matmuls on tensor cores (INT8 on sm_80+, "
                     "FP8 on sm_89+)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> wgmma{
      *this, "wgmma",
      llvm::cl::desc("Use wgmma.mma_async kernels (sm_90a only)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> splitOutputs{
      *this, "split-outputs",
      llvm::cl::desc("Neighbouring outputs per thread of the reductions "
                     "qc-gpu-map-linalg splits (see its split-outputs)"),
      llvm::cl::init(2)};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit (for libdevice); default: $QC_CUDA_PATH, "
                     "$CUDA_HOME, $CUDA_PATH or /usr/local/cuda"),
      llvm::cl::init("")};
  PassOptions::Option<bool> emulate{
      *this, "emulate",
      llvm::cl::desc("Testing without a GPU: run the kernels on the host "
                     "(qc-gpu-emulate-on-host) and end with host LLVM "
                     "dialect only; tensor-core contractions run as the "
                     "SIMT kernels qc-gpu-map-linalg makes of them"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> serialize{
      *this, "serialize",
      llvm::cl::desc("End with gpu-module-to-binary (PTX text in "
                     "gpu.binary); off, the GPU modules stay in the NVVM "
                     "dialect"),
      llvm::cl::init(true)};
};

/// The SM number of `chip` ("sm_89" -> 89, "sm_90a" -> 90) and whether it
/// is an architecture-specific ("a") target; fails on anything else.
FailureOr<std::pair<unsigned, bool>> parseGPUChip(StringRef chip);

/// The CUDA toolkit to use: `configured` if not empty, else the first of
/// $QC_CUDA_PATH, $CUDA_HOME, $CUDA_PATH that is set, else /usr/local/cuda.
std::string getCUDAToolkitPath(StringRef configured = "");

/// qc + linalg on tensors -> host LLVM dialect + gpu.binary (PTX) for
/// NVIDIA GPUs: quantized matmuls on tensor cores, everything else as one
/// kernel per linalg op.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

/// Registers qc-gpu-pipeline.
void registerQCGPUPipelines();

} // namespace mlir::qc

#endif // QC_TARGET_CUDA_PIPELINE_H
