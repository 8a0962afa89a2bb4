//===- QuantParams.h - Reading quantization parameters in kernels -*- C++ -*-//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_QCTOLINALG_QUANTPARAMS_H
#define QC_LIB_CONVERSION_QCTOLINALG_QUANTPARAMS_H

#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"

namespace mlir::qc {

/// Where a linalg.generic body finds the scale and zero point of a quantized
/// type: constants in the body (per tensor) or extra inputs read through
/// affine maps (per axis: the axis' dimension; per group: that dimension
/// divided by the block size).
struct QuantParamAccess {
  UniformType type;
  int scaleArg = -1;
  int zeroPointArg = -1;

  /// Adds the parameter tensors of `type` as inputs of a generic with
  /// `numDims` loops; `valueExprs[i]` is the loop expression that indexes
  /// dimension i of the quantized value.
  void addInputs(OpBuilder &b, Location loc, unsigned numDims,
                 ArrayRef<AffineExpr> valueExprs,
                 SmallVectorImpl<Value> &inputs,
                 SmallVectorImpl<AffineMap> &maps);

  /// The scale (expressed type) inside the body, given the block arguments.
  Value getScale(OpBuilder &b, Location loc, ValueRange args) const;
  /// The zero point (i32) inside the body.
  Value getZeroPoint(OpBuilder &b, Location loc, ValueRange args) const;
};

/// Everything the shared epilogue needs to know.
struct Epilogue {
  UniformType data; // null for weight-only (float accumulator)
  UniformType weight;
  Type resultType;    // converted result tensor type
  UniformType result; // null for a float result
  /// Loop expressions indexing each weight dimension from the output space
  /// (only the per-axis dimension is read).
  SmallVector<AffineExpr> weightExprs;
  /// Bias (converted), and the output dimension it runs along.
  Value bias;
  UniformType biasQuant;
  int64_t biasDim = -1;
};

/// acc -> result: scale the i32 accumulator by s_a * s_w (or take a float
/// accumulator as is), add the bias, then requantize, keep float, or keep
/// the raw accumulator, as the result type says.
Value buildEpilogue(OpBuilder &b, Location loc, Value acc, const Epilogue &e);

} // namespace mlir::qc

#endif // QC_LIB_CONVERSION_QCTOLINALG_QUANTPARAMS_H
