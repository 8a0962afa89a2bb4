//===- Pipeline.cpp - qc's NVIDIA GPU lowering pipeline -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/Pipeline.h"

#include "qc/Conversion/Passes.h"
#include "qc/Target/AOT/Passes.h"
#include "qc/Target/CUDA/Passes.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qc;

FailureOr<std::pair<unsigned, bool>> mlir::qc::parseGPUChip(StringRef chip) {
  unsigned sm;
  bool archSpecific = chip.consume_back("a");
  if (!chip.consume_front("sm_") || chip.getAsInteger(10, sm) || sm < 80)
    return failure();
  return std::make_pair(sm, archSpecific);
}

std::string mlir::qc::getCUDAToolkitPath(StringRef configured) {
  if (!configured.empty())
    return configured.str();
  for (const char *name : {"QC_CUDA_PATH", "CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(name); value && *value)
      return value;
  return "/usr/local/cuda";
}

static void addHostLowering(OpPassManager &pm,
                            const GPUPipelineOptions &options);

void mlir::qc::buildGPUPipeline(OpPassManager &pm,
                                const GPUPipelineOptions &options) {
  FailureOr<std::pair<unsigned, bool>> chip = parseGPUChip(options.chip);
  unsigned sm = succeeded(chip) ? chip->first : 80;
  bool tensorCores = options.tensorCores;

  // Tensor level: the CPU pipeline's, with the tensor-core rewrite first
  // and no CPU weight packing.
  if (options.aot)
    pm.addPass(createAOTPrepareEntryPass({options.entry}));
  if (tensorCores)
    pm.addNestedPass<func::FuncOp>(createGPUPrepareMMAPass());
  ConvertQCToLinalgPassOptions toLinalg;
  toLinalg.packedKernels = false;
  pm.addPass(createConvertQCToLinalgPass(toLinalg));
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm, {});
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createExpandMemRefCopyPass());

  // Kernels: tensor-core GEMMs, then one kernel per remaining linalg op.
  if (tensorCores && !options.emulate) {
    GPULowerMMAPassOptions mma;
    mma.fp8 = sm >= 89;
    mma.wgmma = options.wgmma && sm == 90 && succeeded(chip) && chip->second;
    pm.addNestedPass<func::FuncOp>(createGPULowerMMAPass(mma));
  }
  GPUMapLinalgPassOptions mapLinalg;
  mapLinalg.splitOutputs = options.splitOutputs;
  pm.addNestedPass<func::FuncOp>(createGPUMapLinalgPass(mapLinalg));
  pm.addNestedPass<func::FuncOp>(createGPUDeviceBuffersPass({options.entry}));
  if (options.emulate) {
    // The kernels as host loops, then the CPU pipeline's tail.
    pm.addNestedPass<func::FuncOp>(createGPUEmulateOnHostPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    addHostLowering(pm, options);
    return;
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Constants and index arithmetic stay inside the kernels (as constants,
  // not kernel parameters) so that the device code folds them.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGPUFinalizeKernelsPass());
  // Constants now live in the GPU module; drop the host's copies.
  pm.addPass(createSymbolDCEPass());

  // Device code.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createLowerAffinePass());
  device.addPass(createSCFToControlFlowPass());
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createConvertNVVMToLLVMPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());

  // Host code: asynchronous copies and launches on one stream per call.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  addHostLowering(pm, options);
  if (options.serialize) {
    GpuModuleToBinaryPassOptions binary;
    binary.compilationTarget = "isa";
    // Math functions become libdevice calls, linked from the toolkit.
    binary.toolkitPath = getCUDAToolkitPath(options.toolkit);
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }
}

/// The host function's lowering to the LLVM dialect (and the AOT ABI).
static void addHostLowering(OpPassManager &pm,
                            const GPUPipelineOptions &options) {
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = options.aot;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.aot)
    pm.addPass(createAOTExportPass({options.entry, options.modelName}));
}

void mlir::qc::registerQCGPUPipelines() {
  PassPipelineRegistration<GPUPipelineOptions>(
      "qc-gpu-pipeline",
      "Lower qc and linalg on tensors to host LLVM dialect and NVVM/PTX "
      "kernels for NVIDIA GPUs",
      buildGPUPipeline);
}
