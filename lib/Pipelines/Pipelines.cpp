//===- Pipelines.cpp - qc pass pipelines ----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Pipelines/Pipelines.h"

#include "qc/Conversion/Passes.h"
#include "qc/Target/AOT/Passes.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::buildCPUPipeline(OpPassManager &pm,
                                const CPUPipelineOptions &options) {
  if (options.aot)
    pm.addPass(createAOTPrepareEntryPass({options.entry}));
  ConvertQCToLinalgPassOptions toLinalg;
  toLinalg.packedKernels = options.packedKernels;
  toLinalg.weightOnlyCompute = options.weightOnlyCompute;
  // i8mm's usmmla reads two columns' 8 consecutive k bytes per operand.
  toLinalg.intKTile = options.armDot == "i8mm" ? 8 : 4;
  pm.addPass(createConvertQCToLinalgPass(toLinalg));
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createReorderReductionLoopsPass());
  pm.addNestedPass<func::FuncOp>(createReassociateReductionsPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (options.aot && options.planWorkspace)
    pm.addPass(createAOTPlanWorkspacePass({options.entry}));
  bufferization::buildBufferDeallocationPipeline(pm, {});
  pm.addPass(createConvertBufferizationToMemRefPass());

  ConvertQCPackedToCPUPassOptions kernels;
  kernels.vnni = options.vnni;
  kernels.armDot = options.armDot;
  if (options.armDot != "none") {
    // 32 registers of 128 bits: 4 rows x 16 columns of i32 take 16, plus
    // the tile (4 for sdot, 8 for usmmla) and the rows, where x86's 8 x 2
    // would not fit.
    kernels.mr = 4;
    kernels.nb = 1;
  }
  kernels.parallel = options.threads != 1;
  pm.addNestedPass<func::FuncOp>(createConvertQCPackedToCPUPass(kernels));
  pm.addNestedPass<func::FuncOp>(createExpandMemRefCopyPass());
  LowerGenericsToLoopsPassOptions loops;
  loops.parallel = options.threads != 1;
  pm.addNestedPass<func::FuncOp>(createLowerGenericsToLoopsPass(loops));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.threads != 1) {
    // The kernels' outer block loops and the large loop nests of
    // qc-lower-generics-to-loops are the scf.parallel ops.
    ConvertSCFToOpenMPPassOptions openmp;
    openmp.numThreads = options.threads;
    pm.addPass(createConvertSCFToOpenMPPass(openmp));
    // Inlines the memref.alloca_scope that wraps each parallel body (the
    // loops allocate nothing), which scf-to-cf could not split into blocks.
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createMergeParallelRegionsPass());
  }
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (options.approximateMath) {
    ApproximateMathPassOptions approx;
    approx.functions = {"erf", "tanh", "exp"};
    pm.addNestedPass<func::FuncOp>(createApproximateMathPass(approx));
  }
  // LLVM intrinsics next (roundeven, sqrt, ... stay vectorizable); what
  // remains (erf, tanh when not approximated, ...) calls libm.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = options.aot;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  if (options.threads != 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.aot)
    pm.addPass(createAOTExportPass({options.entry, options.modelName}));
}

void mlir::qc::registerQCPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "qc-cpu-pipeline",
      "Lower qc and linalg on tensors to the LLVM dialect for the CPU",
      buildCPUPipeline);
}
