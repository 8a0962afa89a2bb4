//===- Pipelines.h - qc pass pipelines --------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The pass pipelines qc-compile runs. Each one is registered with qc-opt
// under the same name, so every intermediate artifact can be reproduced:
//
//   qc-opt model.mlir --qc-cpu-pipeline="aot=true"
//
//===----------------------------------------------------------------------===//

#ifndef QC_PIPELINES_PIPELINES_H
#define QC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::qc {

/// Options of the CPU lowering pipeline.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> aot{
      *this, "aot",
      llvm::cl::desc("Lower the entry function to qc's ahead-of-time ABI "
                     "(caller-owned buffers, exported qc_model_* symbols)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> entry{
      *this, "entry",
      llvm::cl::desc("Name of the entry function for the AOT ABI"),
      llvm::cl::init("main_graph")};
  PassOptions::Option<std::string> modelName{
      *this, "model-name",
      llvm::cl::desc("C identifier prefixing the model's exported symbols"),
      llvm::cl::init("model")};
  PassOptions::Option<bool> packedKernels{
      *this, "packed-kernels",
      llvm::cl::desc("Pack constant weights at compile time and run "
                     "matmuls/convolutions through register-blocked kernels"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vnni{
      *this, "vnni",
      llvm::cl::desc("The target has AVX-512 VNNI (vpdpbusd): integer "
                     "kernels use it"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> armDot{
      *this, "arm-dot",
      llvm::cl::desc("AArch64 int8 dot products for integer kernels: none "
                     "(default), dotprod (sdot) or i8mm (usmmla on weights "
                     "packed with K0 = 8); with either the kernels keep 4 "
                     "rows x 16 columns in registers"),
      llvm::cl::init("none")};
  PassOptions::Option<std::string> weightOnlyCompute{
      *this, "weight-only-compute",
      llvm::cl::desc("Weight-only matmuls: exact (f32 products, default) or "
                     "int8 (activations quantized to int8 per weight group "
                     "at run time, vpdpbusd dot products; needs vnni)"),
      llvm::cl::init("exact")};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads for parallel kernels: 1 runs sequentially, 0 "
                     "uses every core (OpenMP; OMP_NUM_THREADS overrides), N "
                     "uses N"),
      llvm::cl::init(1)};
  PassOptions::Option<bool> planWorkspace{
      *this, "plan-workspace",
      llvm::cl::desc("With aot: place intermediate buffers in one planned "
                     "workspace (qc-aot-plan-workspace) instead of separate "
                     "allocations"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute erf, tanh and exp with inline polynomial "
                     "approximations that vectorize, instead of libm calls "
                     "(errors in unittests/Conversion/ApproximateMathTest)"),
      llvm::cl::init(true)};
};

/// qc + linalg on tensors -> LLVM dialect, for the host CPU.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers the pipelines above with the global pass registry.
void registerQCPipelines();

} // namespace mlir::qc

#endif // QC_PIPELINES_PIPELINES_H
