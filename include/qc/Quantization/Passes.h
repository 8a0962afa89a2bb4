//===- Passes.h - qc quantization passes ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_PASSES_H
#define QC_QUANTIZATION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "qc/Quantization/Passes.h.inc"

/// Patterns that move `qc.quantize` above ops that commute with it (see
/// `qc-propagate-scales`).
void populatePropagateScalesPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "qc/Quantization/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_QUANTIZATION_PASSES_H
