//===- Linear.cpp - ONNX MatMul, Gemm and Conv ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The ops quantization cares about import to the qc compute ops
// (qc.matmul, qc.conv), so that later passes find weights and change types
// without rediscovering the computation.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// Checks that the float dtype of every listed input matches the first.
static FailureOr<ONNXDType> requireFloatInputs(NodeContext &ctx,
                                               ArrayRef<unsigned> inputs) {
  FailureOr<ImportedValue> first = ctx.input(inputs[0]);
  if (failed(first))
    return failure();
  ONNXDType dtype = first->dtype;
  if (!isFloatDType(dtype)) {
    ctx.emitError() << "element type " << getDTypeName(dtype)
                    << " is not supported (float types only)";
    return failure();
  }
  for (unsigned i : inputs.drop_front()) {
    if (!ctx.hasInput(i))
      continue;
    FailureOr<ImportedValue> v = ctx.input(i);
    if (failed(v))
      return failure();
    if (v->dtype != dtype) {
      ctx.emitError() << "input " << i << " has element type "
                      << getDTypeName(v->dtype) << ", expected "
                      << getDTypeName(dtype);
      return failure();
    }
  }
  return dtype;
}

static LogicalResult importMatMul(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloatInputs(ctx, {0, 1});
  if (failed(dtype))
    return failure();
  Value a = ctx.inputValue(0), b = ctx.inputValue(1);
  if (!a || !b)
    return failure();
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  SmallVector<int64_t> shape;
  if (failed(inferMatMulShape(aType.getShape(), bType.getShape(), shape,
                              [&]() { return ctx.emitError(); })))
    return failure();
  auto resultType = RankedTensorType::get(shape, aType.getElementType());
  Value result = MatMulOp::create(ctx.builder(), ctx.loc(), resultType, a, b);
  ctx.setOutput(0, result, *dtype);
  return success();
}

static LogicalResult importGemm(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloatInputs(ctx, {0, 1, 2});
  if (failed(dtype))
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value a = ctx.inputValue(0), w = ctx.inputValue(1);
  if (!a || !w)
    return failure();
  if (cast<ShapedType>(a.getType()).getRank() != 2 ||
      cast<ShapedType>(w.getType()).getRank() != 2)
    return ctx.error("A and B must be 2-D");
  if (ctx.attrInt("transA", 0))
    a = transposeTensor(b, loc, a, {1, 0});
  if (ctx.attrInt("transB", 0))
    w = transposeTensor(b, loc, w, {1, 0});
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (aType.getDimSize(1) != wType.getDimSize(0))
    return ctx.error(
        "inner dimensions differ: " + formatShape(aType.getShape()) + " x " +
        formatShape(wType.getShape()));
  SmallVector<int64_t> shape{aType.getDimSize(0), wType.getDimSize(1)};
  Type element = aType.getElementType();
  Value y =
      MatMulOp::create(b, loc, RankedTensorType::get(shape, element), a, w);
  double alpha = ctx.attrFloat("alpha", 1.0);
  double beta = ctx.attrFloat("beta", 1.0);
  SmallVector<Value> operands{y};
  if (ctx.hasInput(2) && beta != 0.0) {
    Value c = ctx.inputValue(2);
    if (!c)
      return failure();
    auto cShape = cast<ShapedType>(c.getType()).getShape();
    auto out = qc::broadcastShapes(shape, cShape);
    if (failed(out) || ArrayRef<int64_t>(*out) != ArrayRef<int64_t>(shape))
      return ctx.error("C of shape " + formatShape(cShape) +
                       " does not broadcast to " + formatShape(shape));
    operands.push_back(c);
  }
  if (alpha != 1.0 || operands.size() > 1) {
    y = buildElementwise(
        b, loc, operands, shape, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value r = args[0];
          if (alpha != 1.0)
            r = arith::MulFOp::create(
                nb, nl, createScalarConstant(nb, nl, element, alpha), r);
          if (args.size() > 1) {
            Value c = args[1];
            if (beta != 1.0)
              c = arith::MulFOp::create(
                  nb, nl, createScalarConstant(nb, nl, element, beta), c);
            r = arith::AddFOp::create(nb, nl, r, c);
          }
          return r;
        });
  }
  ctx.setOutput(0, y, *dtype);
  return success();
}

static LogicalResult importConv(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloatInputs(ctx, {0, 1, 2});
  if (failed(dtype))
    return failure();
  Value x = ctx.inputValue(0), w = ctx.inputValue(1);
  if (!x || !w)
    return failure();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = xType.getRank();
  if (rank < 3 || wType.getRank() != rank)
    return ctx.error("input must have rank >= 3 and the weight the same "
                     "rank, got " +
                     formatShape(xType.getShape()) + " and " +
                     formatShape(wType.getShape()));
  int64_t spatial = rank - 2;
  SmallVector<int64_t> strides = ctx.attrInts("strides");
  SmallVector<int64_t> dilations = ctx.attrInts("dilations");
  if (strides.empty())
    strides.assign(spatial, 1);
  if (dilations.empty())
    dilations.assign(spatial, 1);
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  SmallVector<int64_t> kernelAttr = ctx.attrInts("kernel_shape");
  if (!kernelAttr.empty() &&
      ArrayRef<int64_t>(kernelAttr) != ArrayRef<int64_t>(kernel))
    return ctx.error("kernel_shape " + formatShape(kernelAttr) +
                     " differs from the weight's " + formatShape(kernel));
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial)
    return ctx.error("strides and dilations need one value per spatial "
                     "dimension");
  FailureOr<SmallVector<int64_t>> pads = computeConvPads(
      ctx, xType.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  int64_t group = ctx.attrInt("group", 1);
  SmallVector<int64_t> shape;
  if (failed(inferConvShape(xType.getShape(), wType.getShape(), strides,
                            dilations, *pads, group, shape,
                            [&]() { return ctx.emitError(); })))
    return failure();
  Value bias;
  if (ctx.hasInput(2)) {
    bias = ctx.inputValue(2);
    if (!bias)
      return failure();
  }
  OpBuilder &b = ctx.builder();
  auto resultType = RankedTensorType::get(shape, xType.getElementType());
  Value result = ConvOp::create(
      b, ctx.loc(), resultType, x, w, bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(dilations), b.getDenseI64ArrayAttr(*pads),
      b.getI64IntegerAttr(group));
  ctx.setOutput(0, result, *dtype);
  return success();
}

void mlir::qc::onnx_import::registerLinearOps(OpRegistry &r) {
  r.add("MatMul", importMatMul);
  r.add("Gemm", importGemm);
  r.add("Conv", importConv);
}
