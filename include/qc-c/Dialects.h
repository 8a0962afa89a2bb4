//===- qc-c/Dialects.h - qc dialect and pass registration ---------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Registration of the qc dialect and of qc's passes and pipelines:
//
//   MlirDialectRegistry registry = mlirDialectRegistryCreate();
//   qcRegisterAllDialects(registry);
//   MlirContext context = mlirContextCreateWithRegistry(registry, false);
//   mlirDialectRegistryDestroy(registry);
//   qcRegisterAllPasses();   // once per process is enough
//
//===----------------------------------------------------------------------===//

#ifndef QC_C_DIALECTS_H
#define QC_C_DIALECTS_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The qc dialect alone (mlirGetDialectHandle__qc__).
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(QC, qc);

/// Adds the qc dialect plus every upstream dialect and interface
/// implementation that qc's importer and pipelines create or rely on (the
/// registry qc-opt and qc-compile use).
MLIR_CAPI_EXPORTED void qcRegisterAllDialects(MlirDialectRegistry registry);

/// Registers qc's passes and pass pipelines and every upstream MLIR pass with
/// the process-wide registry, so that textual pipelines can name them. Safe to
/// call any number of times and from several threads; parts that are already
/// registered (for instance upstream passes registered with
/// mlirRegisterAllPasses) are left alone.
MLIR_CAPI_EXPORTED void qcRegisterAllPasses(void);

#ifdef __cplusplus
}
#endif

#endif // QC_C_DIALECTS_H
