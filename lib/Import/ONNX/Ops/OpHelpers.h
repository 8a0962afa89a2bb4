//===- OpHelpers.h - Shared pieces of ONNX op handlers ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNX_OPS_OPHELPERS_H
#define QC_LIB_IMPORT_ONNX_OPS_OPHELPERS_H

#include "../ImporterImpl.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qc::onnx_import {

/// The numpy broadcast of several shapes; reports an error through `ctx`
/// naming the shapes if they do not broadcast.
FailureOr<SmallVector<int64_t>>
broadcastShapes(NodeContext &ctx, ArrayRef<SmallVector<int64_t>> shapes);

/// Formats a shape as "[1,3,224,224]" for messages.
std::string formatShape(ArrayRef<int64_t> shape);

/// Evaluates an elementwise function over broadcast host tensors. `fn`
/// receives the flat index of each input's element. Returns std::nullopt if
/// the result would exceed kMaxHostElements.
std::optional<HostTensor> foldElementwiseOnHost(
    ArrayRef<const HostTensor *> inputs, ArrayRef<int64_t> outShape,
    ONNXDType dtype,
    function_ref<void(HostTensor &, int64_t, ArrayRef<int64_t>)> fn);

/// Rounds a double to the precision of a float dtype (as the compiled code
/// would compute it), so host folding agrees with run-time evaluation.
double roundToDType(double value, ONNXDType dtype);

/// Wraps an int64 into the range of an integer dtype (two's complement).
int64_t wrapToDType(int64_t value, ONNXDType dtype);

/// All-ones i1 tensor etc.: a filled tensor of `shape` and dtype with value.
Value createFilled(NodeContext &ctx, ArrayRef<int64_t> shape, ONNXDType dtype,
                   double value);

/// Converts a scalar MLIR value of ONNX dtype `from` to dtype `to`, with
/// ONNX Cast semantics (float -> int truncates, -> bool is "!= 0").
Value castScalar(OpBuilder &b, Location loc, Value value, ONNXDType from,
                 ONNXDType to);

/// The value of input `i` cast elementwise to dtype `to` (no-op if equal).
Value castTensor(NodeContext &ctx, Value value, ONNXDType from, ONNXDType to);

/// Reads a list of int64 from a host tensor input or an attribute, whichever
/// the opset uses. Returns std::nullopt (no error) if neither is present.
FailureOr<std::optional<SmallVector<int64_t>>>
getIntsFromInputOrAttr(NodeContext &ctx, unsigned inputIndex,
                       StringRef attrName, StringRef what);

/// Explicit begin/end pads of a Conv/Pool-style node from `auto_pad`
/// (SAME_UPPER, SAME_LOWER, VALID) or the `pads` attribute, as ONNX Conv
/// defines them; `kernel` holds the kernel extents before dilation.
FailureOr<SmallVector<int64_t>> computeConvPads(NodeContext &ctx,
                                                ArrayRef<int64_t> spatialIn,
                                                ArrayRef<int64_t> kernel,
                                                ArrayRef<int64_t> strides,
                                                ArrayRef<int64_t> dilations);

} // namespace mlir::qc::onnx_import

#endif // QC_LIB_IMPORT_ONNX_OPS_OPHELPERS_H
