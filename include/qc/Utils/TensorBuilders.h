//===- TensorBuilders.h - Builders for tensor-level linalg code -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Small builders for the static-shape tensor code that the ONNX importer and
// the qc lowering emit: empty/filled tensors, numpy broadcasting, reshapes
// and elementwise linalg.generic ops.
//
//===----------------------------------------------------------------------===//

#ifndef QC_UTILS_TENSORBUILDERS_H
#define QC_UTILS_TENSORBUILDERS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::qc {

/// Body of an elementwise op: receives one scalar per input and returns the
/// scalar result.
using ElementwiseBodyFn =
    function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// `tensor.empty` of a static shape.
Value createEmptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type elementType);

/// A tensor of `shape` filled with the scalar `value`.
Value createFilledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Value value);

/// A scalar constant of `type` (integer, index or float) equal to `value`.
Value createScalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// The numpy broadcast of shapes; fails if they do not broadcast.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);

/// Indexing map reading an operand of shape `inShape` inside an iteration
/// space of rank `outRank` under numpy (right-aligned) broadcasting: missing
/// leading dimensions are dropped and size-1 dimensions read index 0.
AffineMap getBroadcastMap(ArrayRef<int64_t> inShape, int64_t outRank,
                          MLIRContext *ctx, ArrayRef<int64_t> outShape = {});

/// Broadcasts `value` to `shape` (numpy rules); returns `value` unchanged when
/// the shape already matches.
Value broadcastTo(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> shape);

/// One elementwise `linalg.generic` over the numpy broadcast of `inputs`,
/// producing `resultElementType`. Scalars (0-d tensors) broadcast too.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       Type resultElementType, ElementwiseBodyFn body);

/// Same, with an explicit output shape that every input broadcasts to.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       ArrayRef<int64_t> outShape, Type resultElementType,
                       ElementwiseBodyFn body);

/// Reshapes a static tensor to `shape` (same element count) with
/// tensor.collapse_shape / tensor.expand_shape.
Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    ArrayRef<int64_t> shape);

/// Permutes the dimensions of `value`: result dim i is input dim perm[i].
Value transposeTensor(OpBuilder &b, Location loc, Value value,
                      ArrayRef<int64_t> perm);

/// Converts a scalar between numeric types (int<->float, widths), with the
/// given signedness of integer source and destination.
Value convertScalar(OpBuilder &b, Location loc, Value value, Type toType,
                    bool srcUnsigned = false, bool dstUnsigned = false);

} // namespace mlir::qc

#endif // QC_UTILS_TENSORBUILDERS_H
