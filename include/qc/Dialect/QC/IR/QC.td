//===- QC.td - qc dialect umbrella -------------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QC_TD
#define QC_DIALECT_QC_IR_QC_TD

include "qc/Dialect/QC/IR/QCDialect.td"
include "qc/Dialect/QC/IR/QCAttrs.td"
include "qc/Dialect/QC/IR/QCTypes.td"
include "qc/Dialect/QC/IR/QCOps.td"

#endif // QC_DIALECT_QC_IR_QC_TD
