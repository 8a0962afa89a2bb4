//===- OpHelpers.cpp - Shared pieces of ONNX op handlers ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

std::string mlir::qc::onnx_import::formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

FailureOr<SmallVector<int64_t>>
mlir::qc::onnx_import::broadcastShapes(NodeContext &ctx,
                                       ArrayRef<SmallVector<int64_t>> shapes) {
  SmallVector<int64_t> result;
  for (const SmallVector<int64_t> &shape : shapes) {
    auto next = qc::broadcastShapes(result, shape);
    if (failed(next)) {
      InFlightDiagnostic diag = ctx.emitError();
      diag << "input shapes";
      for (const SmallVector<int64_t> &s : shapes)
        diag << " " << formatShape(s);
      diag << " do not broadcast";
      return failure();
    }
    result = *next;
  }
  return result;
}

std::optional<HostTensor> mlir::qc::onnx_import::foldElementwiseOnHost(
    ArrayRef<const HostTensor *> inputs, ArrayRef<int64_t> outShape,
    ONNXDType dtype,
    function_ref<void(HostTensor &, int64_t, ArrayRef<int64_t>)> fn) {
  int64_t count = 1;
  for (int64_t d : outShape)
    count *= d;
  if (count > kMaxHostElements)
    return std::nullopt;
  HostTensor out;
  out.dtype = dtype;
  out.shape.assign(outShape.begin(), outShape.end());
  if (isFloatDType(dtype))
    out.floats.resize(count);
  else
    out.ints.resize(count);
  int64_t rank = outShape.size();
  // Per input: strides over the output index space (0 where broadcast).
  std::vector<std::vector<int64_t>> strides;
  for (const HostTensor *in : inputs) {
    std::vector<int64_t> s(rank, 0);
    int64_t stride = 1;
    for (int64_t i = in->rank() - 1; i >= 0; --i) {
      int64_t outDim = i + rank - in->rank();
      if (in->shape[i] != 1)
        s[outDim] = stride;
      stride *= in->shape[i];
    }
    strides.push_back(std::move(s));
  }
  SmallVector<int64_t> index(rank, 0), flat(inputs.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    for (size_t k = 0; k < inputs.size(); ++k) {
      int64_t f = 0;
      for (int64_t d = 0; d < rank; ++d)
        f += index[d] * strides[k][d];
      flat[k] = f;
    }
    fn(out, n, flat);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

double mlir::qc::onnx_import::roundToDType(double value, ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::Float:
    return static_cast<float>(value);
  case ONNXDType::Float16:
  case ONNXDType::BFloat16: {
    APFloat v(value);
    bool losesInfo;
    v.convert(dtype == ONNXDType::Float16 ? APFloat::IEEEhalf()
                                          : APFloat::BFloat(),
              APFloat::rmNearestTiesToEven, &losesInfo);
    v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
    return v.convertToDouble();
  }
  default:
    return value;
  }
}

int64_t mlir::qc::onnx_import::wrapToDType(int64_t value, ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::Bool:
    return value != 0;
  case ONNXDType::Int8:
    return static_cast<int8_t>(value);
  case ONNXDType::UInt8:
    return static_cast<uint8_t>(value);
  case ONNXDType::Int16:
    return static_cast<int16_t>(value);
  case ONNXDType::UInt16:
    return static_cast<uint16_t>(value);
  case ONNXDType::Int32:
    return static_cast<int32_t>(value);
  case ONNXDType::UInt32:
    return static_cast<uint32_t>(value);
  default:
    return value;
  }
}

Value mlir::qc::onnx_import::createFilled(NodeContext &ctx,
                                          ArrayRef<int64_t> shape,
                                          ONNXDType dtype, double value) {
  Type element = ctx.elementType(dtype);
  if (!element)
    return {};
  Value scalar = createScalarConstant(ctx.builder(), ctx.loc(), element, value);
  return createFilledTensor(ctx.builder(), ctx.loc(), shape, scalar);
}

Value mlir::qc::onnx_import::castScalar(OpBuilder &b, Location loc, Value value,
                                        ONNXDType from, ONNXDType to) {
  Type toType = getElementType(b.getContext(), to);
  if (from == to || value.getType() == toType)
    return value;
  // Casting an integer to bool tests for non-zero (truncation would not).
  if (to == ONNXDType::Bool && isIntegerDType(from)) {
    Value zero = createScalarConstant(b, loc, value.getType(), 0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value, zero);
  }
  return convertScalar(b, loc, value, toType, isUnsignedDType(from),
                       isUnsignedDType(to));
}

Value mlir::qc::onnx_import::castTensor(NodeContext &ctx, Value value,
                                        ONNXDType from, ONNXDType to) {
  if (from == to)
    return value;
  Type toType = ctx.elementType(to);
  if (!toType)
    return {};
  return buildElementwise(ctx.builder(), ctx.loc(), ValueRange{value}, toType,
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return castScalar(b, loc, args[0], from, to);
                          });
}

FailureOr<std::optional<SmallVector<int64_t>>>
mlir::qc::onnx_import::getIntsFromInputOrAttr(NodeContext &ctx,
                                              unsigned inputIndex,
                                              StringRef attrName,
                                              StringRef what) {
  if (ctx.hasInput(inputIndex)) {
    FailureOr<const HostTensor *> host = ctx.requireHostInput(inputIndex, what);
    if (failed(host))
      return failure();
    std::vector<int64_t> values = (*host)->toInts();
    return std::optional<SmallVector<int64_t>>(
        SmallVector<int64_t>(values.begin(), values.end()));
  }
  if (ctx.hasAttr(attrName))
    return std::optional<SmallVector<int64_t>>(ctx.attrInts(attrName));
  return std::optional<SmallVector<int64_t>>();
}

FailureOr<SmallVector<int64_t>> mlir::qc::onnx_import::computeConvPads(
    NodeContext &ctx, ArrayRef<int64_t> spatialIn, ArrayRef<int64_t> kernel,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  int64_t n = spatialIn.size();
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> pads(2 * n, 0);
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> given = ctx.attrInts("pads");
    if (!given.empty()) {
      if (int64_t(given.size()) != 2 * n) {
        ctx.emitError() << "pads has " << given.size() << " values, expected "
                        << 2 * n;
        return failure();
      }
      pads.assign(given.begin(), given.end());
    }
    return pads;
  }
  if (autoPad == "VALID")
    return pads;
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    ctx.emitError() << "auto_pad '" << autoPad << "' is not supported";
    return failure();
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t out = (spatialIn[i] + strides[i] - 1) / strides[i];
    int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    int64_t total =
        std::max<int64_t>(0, (out - 1) * strides[i] + extent - spatialIn[i]);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + n] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}
