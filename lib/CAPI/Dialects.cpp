//===- Dialects.cpp - C API: qc dialect and pass registration -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc-c/Dialects.h"

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/InitAllQC.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"

#include <mutex>

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(QC, qc, mlir::qc::QCDialect)

void qcRegisterAllDialects(MlirDialectRegistry registry) {
  qc::registerAllQCDialects(*unwrap(registry));
}

void qcRegisterAllPasses(void) {
  // Registering a pipeline name twice is a fatal error in MLIR, so each part
  // is registered only if a pipeline it adds is still unknown: a host that
  // already registered upstream passes (mlir-opt, mlirRegisterAllPasses)
  // keeps its registrations.
  static std::once_flag once;
  std::call_once(once, [] {
    if (!PassPipelineInfo::lookup("buffer-deallocation-pipeline"))
      registerAllPasses();
    if (!PassPipelineInfo::lookup("qc-cpu-pipeline"))
      qc::registerAllQCPasses();
  });
}
