//===- qc-opt.cpp - qc optimizer driver -----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the qc dialect, passes and pipelines registered, plus every
// upstream dialect and pass (they cost nothing more with libMLIR.so).
//
//===----------------------------------------------------------------------===//

#include "qc/InitAllQC.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qc::registerAllQCPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qc::registerAllQCDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qc optimizer driver\n", registry));
}
