//===- InitAllQC.cpp - Register every qc dialect and pass -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/InitAllQC.h"

#include "qc/Calibration/Passes.h"
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/BufferizableOpInterfaceImpl.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Pipelines/Pipelines.h"
#include "qc/Quantization/Passes.h"
#include "qc/Target/AOT/Passes.h"
#include "qc/Target/CUDA/Passes.h"
#include "qc/Target/CUDA/Pipeline.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::qc::registerAllQCDialects(DialectRegistry &registry) {
  // qc's pipelines reach most upstream dialects (and their bufferization,
  // inlining and LLVM-translation interfaces); with libMLIR.so registering
  // all of them costs nothing at link time.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<QCDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, func::FuncDialect,
                  LLVM::LLVMDialect, linalg::LinalgDialect, math::MathDialect,
                  memref::MemRefDialect, quant::QuantDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
  // gpu-module-to-binary (the CUDA target) translates GPU modules to LLVM IR
  // inside the pass pipeline.
  registerAllToLLVMIRTranslations(registry);
}

void mlir::qc::registerAllQCPasses() {
  registerQCConversionPasses();
  registerQCAOTPasses();
  registerQCTransformsPasses();
  registerQCCalibrationPasses();
  registerQCQuantizationPasses();
  registerQCPipelines();
  registerQCCUDAPasses();
  registerQCGPUPipelines();
}
