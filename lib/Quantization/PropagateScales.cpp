//===- PropagateScales.cpp - Move quantization across shape-only ops ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// `qc.quantize` is elementwise and monotone (non-decreasing, for a positive
// scale), so it commutes with every op that only moves, selects or compares
// values: quantize(reshape(x)) == reshape(quantize(x)), quantize(max(a, b))
// == max(quantize(a), quantize(b)), and so on. Moving a quantize above such
// an op makes the op work on 1-byte codes instead of floats, and when the
// quantize reaches a quantized qc.matmul / qc.conv, that op writes the codes
// directly from its integer epilogue: the float round trip between two
// quantized layers disappears.
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"
#include "qc/Support/QuantMath.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_PROPAGATESCALESPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The per-tensor integer type a quantize produces, or null: FP8 codes are
/// not ordered as integers and per-axis types would need their axis moved.
UniformType propagatableType(QuantizeOp op) {
  UniformType type = getUniformElementType(op.getType());
  if (!type || !type.isPerTensor() || type.isFloat8())
    return {};
  return type;
}

/// `value` (a float tensor) quantized to `type` and viewed as its stored
/// integers. The new qc.quantize is itself a candidate for propagation.
Value quantizeToStorage(PatternRewriter &rewriter, Location loc, Value value,
                        UniformType type) {
  auto shaped = cast<RankedTensorType>(value.getType());
  Value q = QuantizeOp::create(
      rewriter, loc, RankedTensorType::get(shaped.getShape(), type), value);
  return StorageCastOp::create(
      rewriter, loc,
      RankedTensorType::get(shaped.getShape(), type.getStorageMemoryType()), q);
}

RankedTensorType storageTensorType(Type tensor, UniformType type) {
  return RankedTensorType::get(cast<RankedTensorType>(tensor).getShape(),
                               type.getStorageMemoryType());
}

/// The stored code of the float constant `attr` under `type`, as a constant
/// of the storage type.
Value quantizedScalar(OpBuilder &b, Location loc, FloatAttr attr,
                      UniformType type) {
  math::StorageRange range{type.getStorageMin(), type.getStorageMax()};
  int64_t code = math::quantize(attr.getValue().convertToFloat(),
                                type.getScale(), type.getZeroPoint(), range);
  IntegerType storage = type.getStorageMemoryType();
  return arith::ConstantOp::create(
      b, loc,
      IntegerAttr::get(storage, APInt(storage.getWidth(), code,
                                      /*isSigned=*/type.getIsSigned())));
}

/// The float constant `value` is defined by, or null.
FloatAttr floatConstant(Value value) {
  FloatAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

/// Replaces `quantize` by `storage` (the integer result of the moved op)
/// viewed as the quantized type.
void replaceWithStorage(PatternRewriter &rewriter, QuantizeOp quantize,
                        Value storage) {
  rewriter.replaceOpWithNewOp<StorageCastOp>(quantize, quantize.getType(),
                                             storage);
}

/// quantize(reshape(x)) -> reshape(quantize(x)) for the tensor ops whose
/// only tensor operand is the data and whose result is a view or a copy of
/// some of its elements.
struct ThroughDataMovement : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    Operation *def = op.getInput().getDefiningOp();
    if (!type || !def ||
        !isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ReshapeOp,
             tensor::ExtractSliceOp>(def))
      return rewriter.notifyMatchFailure(op, "not a quantized reshape/slice");
    if (!def->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the float result has other uses");
    rewriter.setInsertionPoint(def);
    Value source =
        quantizeToStorage(rewriter, op.getLoc(), def->getOperand(0), type);
    IRMapping mapping;
    mapping.map(def->getOperand(0), source);
    Operation *moved = rewriter.clone(*def, mapping);
    moved->getResult(0).setType(
        storageTensorType(def->getResult(0).getType(), type));
    replaceWithStorage(rewriter, op, moved->getResult(0));
    return success();
  }
};

/// quantize(transpose(x)) -> transpose(quantize(x)).
struct ThroughTranspose : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    auto transpose = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!type || !transpose || !transpose->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use transpose");
    rewriter.setInsertionPoint(transpose);
    Location loc = transpose.getLoc();
    Value input = quantizeToStorage(rewriter, loc, transpose.getInput(), type);
    RankedTensorType resultType =
        storageTensorType(transpose.getResult()[0].getType(), type);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    auto moved = linalg::TransposeOp::create(rewriter, loc, input, init,
                                             transpose.getPermutation());
    replaceWithStorage(rewriter, op, moved.getResult()[0]);
    return success();
  }
};

/// quantize(concat(a, b, ...)) -> concat(quantize(a), quantize(b), ...):
/// every input gets the same scale and zero point, so the concatenation of
/// codes needs no requantization.
struct ThroughConcat : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    auto concat = op.getInput().getDefiningOp<tensor::ConcatOp>();
    if (!type || !concat || !concat->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use concat");
    rewriter.setInsertionPoint(concat);
    SmallVector<Value> inputs;
    for (Value input : concat.getInputs())
      inputs.push_back(
          quantizeToStorage(rewriter, concat.getLoc(), input, type));
    auto moved = tensor::ConcatOp::create(
        rewriter, concat.getLoc(), storageTensorType(concat.getType(), type),
        concat.getDim(), inputs);
    replaceWithStorage(rewriter, op, moved);
    return success();
  }
};

/// quantize(pad(x, c)) -> pad(quantize(x), quantize(c)) for a constant c.
struct ThroughPad : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    auto pad = op.getInput().getDefiningOp<tensor::PadOp>();
    if (!type || !pad || !pad->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use pad");
    Value padValue = pad.getConstantPaddingValue();
    FloatAttr padConst = padValue ? floatConstant(padValue) : FloatAttr();
    if (!padConst)
      return rewriter.notifyMatchFailure(op, "padding value is not constant");
    rewriter.setInsertionPoint(pad);
    Location loc = pad.getLoc();
    Value source = quantizeToStorage(rewriter, loc, pad.getSource(), type);
    Value code = quantizedScalar(rewriter, loc, padConst, type);
    auto moved = tensor::PadOp::create(
        rewriter, loc, storageTensorType(pad.getType(), type), source,
        pad.getMixedLowPad(), pad.getMixedHighPad(), code, pad.getNofold());
    replaceWithStorage(rewriter, op, moved);
    return success();
  }
};

/// quantize(fill(c)) -> fill(quantize(c)).
struct ThroughFill : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    auto fill = op.getInput().getDefiningOp<linalg::FillOp>();
    if (!type || !fill || !fill->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use fill");
    FloatAttr value = floatConstant(fill.getInputs()[0]);
    if (!value)
      return rewriter.notifyMatchFailure(op, "fill value is not constant");
    rewriter.setInsertionPoint(fill);
    Location loc = fill.getLoc();
    RankedTensorType resultType =
        storageTensorType(fill.getResult(0).getType(), type);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    Value code = quantizedScalar(rewriter, loc, value, type);
    auto moved = linalg::FillOp::create(rewriter, loc, code, init);
    replaceWithStorage(rewriter, op, moved.getResult(0));
    return success();
  }
};

/// True if `generic`'s body only takes maxima/minima of its arguments and
/// float constants: max pooling, ReduceMax, Relu, Clip.
bool isOrderOnlyBody(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  for (Operation &op : body) {
    if (isa<arith::ConstantOp>(op) && floatConstant(op.getResult(0)))
      continue;
    if (!isa<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
             arith::MinNumFOp, linalg::YieldOp>(op))
      return false;
    // Values from outside the body must be float constants.
    for (Value operand : op.getOperands())
      if (operand.getParentBlock() != &body && !floatConstant(operand))
        return false;
  }
  return true;
}

/// quantize(generic{max/min of args and constants}) -> the same generic on
/// codes, with integer max/min of the storage's signedness and quantized
/// constants. Exact because quantization is monotone.
struct ThroughOrderOnlyGeneric : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    auto generic = op.getInput().getDefiningOp<linalg::GenericOp>();
    if (!type || !generic || generic->getNumResults() != 1 ||
        !generic->hasOneUse() || !isOrderOnlyBody(generic))
      return rewriter.notifyMatchFailure(op, "not a max/min-only generic");
    Block &body = generic.getRegion().front();
    for (OpOperand &operand : generic->getOpOperands()) {
      BlockArgument arg = body.getArgument(operand.getOperandNumber());
      if (!arg.use_empty() && !isa<FloatType>(arg.getType()))
        return rewriter.notifyMatchFailure(op, "non-float operand is read");
    }

    rewriter.setInsertionPoint(generic);
    Location loc = generic.getLoc();
    // Operands the body reads become codes; the others (window shapes,
    // an init that is only written) keep their type or become empty codes.
    SmallVector<Value> inputs;
    for (OpOperand *input : generic.getDpsInputOperands()) {
      BlockArgument arg = body.getArgument(input->getOperandNumber());
      inputs.push_back(arg.use_empty() ? input->get()
                                       : quantizeToStorage(rewriter, loc,
                                                           input->get(), type));
    }
    OpOperand *initOperand = generic.getDpsInitOperand(0);
    RankedTensorType resultType =
        storageTensorType(generic.getResult(0).getType(), type);
    Value init;
    if (body.getArgument(initOperand->getOperandNumber()).use_empty())
      init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                     resultType.getElementType());
    else
      init = quantizeToStorage(rewriter, loc, initOperand->get(), type);

    bool isSigned = type.getIsSigned();
    auto moved = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, inputs, ValueRange{init},
        generic.getIndexingMapsArray(), generic.getIteratorTypesArray(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          IRMapping mapping;
          mapping.map(body.getArguments(), args);
          // The code of a body value: a mapped argument or result, or a
          // float constant (from inside or outside the body) quantized.
          auto code = [&](Value v) -> Value {
            if (Value mapped = mapping.lookupOrNull(v))
              return mapped;
            Value c = quantizedScalar(b, l, floatConstant(v), type);
            mapping.map(v, c);
            return c;
          };
          for (Operation &old : body) {
            if (isa<arith::ConstantOp>(old))
              continue; // materialized on first use
            if (isa<linalg::YieldOp>(old)) {
              linalg::YieldOp::create(b, l, code(old.getOperand(0)));
              continue;
            }
            Value lhs = code(old.getOperand(0)), rhs = code(old.getOperand(1));
            bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(old);
            Value result;
            if (isMax)
              result = isSigned ? Value(arith::MaxSIOp::create(b, l, lhs, rhs))
                                : Value(arith::MaxUIOp::create(b, l, lhs, rhs));
            else
              result = isSigned ? Value(arith::MinSIOp::create(b, l, lhs, rhs))
                                : Value(arith::MinUIOp::create(b, l, lhs, rhs));
            mapping.map(old.getResult(0), result);
          }
        });
    replaceWithStorage(rewriter, op, moved.getResult(0));
    return success();
  }
};

/// quantize(matmul(quantized operands) : float) -> matmul : quantized: the
/// integer epilogue requantizes the accumulator directly.
struct IntoQuantizedCompute : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = propagatableType(op);
    Operation *def = op.getInput().getDefiningOp();
    if (!type || !def || !isa<MatMulOp, ConvOp>(def) || !def->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use matmul/conv");
    if (!getUniformElementType(def->getOperand(0).getType()) ||
        !getUniformElementType(def->getOperand(1).getType()))
      return rewriter.notifyMatchFailure(op, "the compute op is float");
    rewriter.modifyOpInPlace(def,
                             [&] { def->getResult(0).setType(op.getType()); });
    rewriter.replaceOp(op, def->getResult(0));
    return success();
  }
};

/// quantize(dequantize(q)) -> q when both use the same type.
struct QuantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto dequantize = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dequantize || dequantize.getInput().getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "not a same-type round trip");
    rewriter.replaceOp(op, dequantize.getInput());
    return success();
  }
};

struct PropagateScalesPass
    : public qc::impl::PropagateScalesPassBase<PropagateScalesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populatePropagateScalesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::qc::populatePropagateScalesPatterns(RewritePatternSet &patterns) {
  patterns.add<ThroughDataMovement, ThroughTranspose, ThroughConcat, ThroughPad,
               ThroughFill, ThroughOrderOnlyGeneric, IntoQuantizedCompute,
               QuantizeOfDequantize>(patterns.getContext());
}
