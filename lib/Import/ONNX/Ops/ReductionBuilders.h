//===- ReductionBuilders.h - Reductions shared by op handlers ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builders for the reductions that the Reduce*/Arg* handlers and the
// normalization, softmax and pooling handlers all emit: one linalg.generic
// with reduction iterators per reduction, and the per-dtype arithmetic they
// need (signed or unsigned integer min/max, the identity of max and min).
// Defined in Reduction.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNX_OPS_REDUCTIONBUILDERS_H
#define QC_LIB_IMPORT_ONNX_OPS_REDUCTIONBUILDERS_H

#include "OpHelpers.h"

namespace mlir::qc::onnx_import {

/// Combines the running accumulator with one element.
using ReduceCombineFn =
    function_ref<Value(OpBuilder &, Location, Value acc, Value element)>;

/// Reduces `input` over the dimensions marked in `reduced` with one
/// linalg.generic whose accumulator starts at the scalar `init`. The result
/// keeps the reduced dimensions as size 1 when `keepDims`, else drops them.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<bool> reduced, Value init, bool keepDims,
                     ReduceCombineFn combine);

/// The index (i64) of the largest (`isMax`) or smallest element along
/// `axis`: the first one, or the last one with `selectLast`. A NaN counts as
/// larger and smaller than everything, so the first NaN wins (as numpy does).
Value buildArgReduction(OpBuilder &b, Location loc, Value input, int64_t axis,
                        ONNXDType dtype, bool isMax, bool selectLast,
                        bool keepDims);

/// The lowest (-inf, or the integer minimum) and highest value of `dtype`,
/// as a scalar constant: the identities of max and min.
Value createLowest(OpBuilder &b, Location loc, Type type, ONNXDType dtype);
Value createHighest(OpBuilder &b, Location loc, Type type, ONNXDType dtype);

/// max/min with NaN propagation for floats and the signedness of `dtype`
/// for integers.
Value createMax(OpBuilder &b, Location loc, Value x, Value y, ONNXDType dtype);
Value createMin(OpBuilder &b, Location loc, Value x, Value y, ONNXDType dtype);

/// `x + y` and `x * y` for a float or integer dtype.
Value createAdd(OpBuilder &b, Location loc, Value x, Value y, ONNXDType dtype);
Value createMul(OpBuilder &b, Location loc, Value x, Value y, ONNXDType dtype);

/// Marks the dimensions [first, rank) as reduced.
SmallVector<bool> trailingAxes(int64_t rank, int64_t first);

/// `shape` with the reduced dimensions set to 1.
SmallVector<int64_t> keptShape(ArrayRef<int64_t> shape, ArrayRef<bool> reduced);

} // namespace mlir::qc::onnx_import

#endif // QC_LIB_IMPORT_ONNX_OPS_REDUCTIONBUILDERS_H
