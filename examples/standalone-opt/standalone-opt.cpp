//===- standalone-opt.cpp - An opt tool built on an installed qc ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A downstream optimizer driver: it registers the few dialects it parses
// plus the qc dialect, and qc's passes and pipelines, from an installed qc
// (find_package(QC)).
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/InitAllQC.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::qc::registerAllQCPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::qc::QCDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "standalone optimizer with the qc dialect\n", registry));
}
