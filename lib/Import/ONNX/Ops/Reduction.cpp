//===- Reduction.cpp - ONNX Reduce* and ArgMax/ArgMin ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each reduction imports as one linalg.generic with reduction iterators over
// the reduced axes (plus elementwise pre- and post-steps), or folds on the
// host when its input is known at compile time: ReduceProd and ReduceSum of
// shapes appear in shape subgraphs, which must fold for qc to compile static
// shapes. The reduction builders here are shared with the normalization,
// softmax and pooling handlers (ReductionBuilders.h).
//
//===----------------------------------------------------------------------===//

#include "ReductionBuilders.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

//===----------------------------------------------------------------------===//
// Shared builders
//===----------------------------------------------------------------------===//

static bool isUnsignedOrBool(ONNXDType dtype) {
  return isUnsignedDType(dtype) || dtype == ONNXDType::Bool;
}

Value mlir::qc::onnx_import::createLowest(OpBuilder &b, Location loc, Type type,
                                          ONNXDType dtype) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc, floatType,
        b.getFloatAttr(floatType,
                       APFloat::getInf(floatType.getFloatSemantics(), true)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value = isUnsignedOrBool(dtype) ? APInt::getMinValue(width)
                                        : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value));
}

Value mlir::qc::onnx_import::createHighest(OpBuilder &b, Location loc,
                                           Type type, ONNXDType dtype) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc, floatType,
        b.getFloatAttr(floatType,
                       APFloat::getInf(floatType.getFloatSemantics(), false)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value = isUnsignedOrBool(dtype) ? APInt::getMaxValue(width)
                                        : APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value));
}

Value mlir::qc::onnx_import::createMax(OpBuilder &b, Location loc, Value x,
                                       Value y, ONNXDType dtype) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isUnsignedOrBool(dtype))
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value mlir::qc::onnx_import::createMin(OpBuilder &b, Location loc, Value x,
                                       Value y, ONNXDType dtype) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsignedOrBool(dtype))
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value mlir::qc::onnx_import::createAdd(OpBuilder &b, Location loc, Value x,
                                       Value y, ONNXDType) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mlir::qc::onnx_import::createMul(OpBuilder &b, Location loc, Value x,
                                       Value y, ONNXDType) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

SmallVector<bool> mlir::qc::onnx_import::trailingAxes(int64_t rank,
                                                      int64_t first) {
  SmallVector<bool> reduced(rank, false);
  for (int64_t i = std::max<int64_t>(first, 0); i < rank; ++i)
    reduced[i] = true;
  return reduced;
}

SmallVector<int64_t> mlir::qc::onnx_import::keptShape(ArrayRef<int64_t> shape,
                                                      ArrayRef<bool> reduced) {
  SmallVector<int64_t> result(shape);
  for (size_t i = 0; i < result.size(); ++i)
    if (reduced[i])
      result[i] = 1;
  return result;
}

Value mlir::qc::onnx_import::buildReduction(OpBuilder &b, Location loc,
                                            Value input, ArrayRef<bool> reduced,
                                            Value init, bool keepDims,
                                            ReduceCombineFn combine) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduced[i]) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    outShape.push_back(type.getDimSize(i));
    outExprs.push_back(getAffineDimExpr(i, ctx));
  }
  Value acc = createFilledTensor(b, loc, outShape, init);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, outExprs, ctx)};
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{acc.getType()}, ValueRange{input}, ValueRange{acc},
          maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, combine(nb, nl, args[1], args[0]));
          })
          .getResult(0);
  if (keepDims)
    result = reshapeTensor(b, loc, result, keptShape(type.getShape(), reduced));
  return result;
}

Value mlir::qc::onnx_import::buildArgReduction(OpBuilder &b, Location loc,
                                               Value input, int64_t axis,
                                               ONNXDType dtype, bool isMax,
                                               bool selectLast, bool keepDims) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  Type i64 = b.getI64Type();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == axis) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    outShape.push_back(type.getDimSize(i));
    outExprs.push_back(getAffineDimExpr(i, ctx));
  }
  Value start = isMax ? createLowest(b, loc, element, dtype)
                      : createHighest(b, loc, element, dtype);
  Value bestValue = createFilledTensor(b, loc, outShape, start);
  Value bestIndex = createFilledTensor(b, loc, outShape,
                                       createScalarConstant(b, loc, i64, 0));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              outMap, outMap};
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = isUnsignedOrBool(dtype);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{bestValue.getType(), bestIndex.getType()},
      ValueRange{input}, ValueRange{bestValue, bestIndex}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = args[0], best = args[1];
        Value better;
        if (isFloat) {
          using P = arith::CmpFPredicate;
          P order = isMax ? (selectLast ? P::OGE : P::OGT)
                          : (selectLast ? P::OLE : P::OLT);
          better = arith::CmpFOp::create(nb, nl, order, x, best);
          // The first NaN wins (the last one with selectLast).
          Value xIsNaN = arith::CmpFOp::create(nb, nl, P::UNO, x, x);
          if (!selectLast) {
            Value bestIsNum = arith::CmpFOp::create(nb, nl, P::ORD, best, best);
            xIsNaN = arith::AndIOp::create(nb, nl, xIsNaN, bestIsNum);
          }
          better = arith::OrIOp::create(nb, nl, better, xIsNaN);
        } else {
          using P = arith::CmpIPredicate;
          P order = isMax ? (selectLast ? (isUnsigned ? P::uge : P::sge)
                                        : (isUnsigned ? P::ugt : P::sgt))
                          : (selectLast ? (isUnsigned ? P::ule : P::sle)
                                        : (isUnsigned ? P::ult : P::slt));
          better = arith::CmpIOp::create(nb, nl, order, x, best);
        }
        Value index = arith::IndexCastOp::create(
            nb, nl, i64, linalg::IndexOp::create(nb, nl, axis));
        Value newValue = arith::SelectOp::create(nb, nl, better, x, best);
        Value newIndex =
            arith::SelectOp::create(nb, nl, better, index, args[2]);
        linalg::YieldOp::create(nb, nl, ValueRange{newValue, newIndex});
      });
  Value result = generic.getResult(1);
  if (keepDims) {
    SmallVector<int64_t> kept(type.getShape());
    kept[axis] = 1;
    result = reshapeTensor(b, loc, result, kept);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

/// The axes a Reduce* node reduces, or std::nullopt when it is a no-op
/// (empty axes with noop_with_empty_axes).
using ReducedAxes = std::optional<SmallVector<bool>>;
} // namespace

/// Reads the reduced axes from the `axes` input (`axesFromInput`: ReduceSum
/// from opset 13, the others from opset 18) or attribute.
static FailureOr<ReducedAxes> getReducedAxes(NodeContext &ctx, int64_t rank,
                                             bool axesFromInput) {
  SmallVector<int64_t> axes;
  if (axesFromInput) {
    if (ctx.hasInput(1)) {
      FailureOr<ImportedValue> axesInput = ctx.input(1);
      if (failed(axesInput))
        return failure();
      int64_t count = 1;
      for (int64_t d : axesInput->shape)
        count *= d;
      // An empty axes tensor is known even when it is a graph input.
      if (count != 0) {
        const HostTensor *host = ctx.hostInput(1);
        if (!host) {
          ctx.emitError() << "input 1 ('axes') must be known at compile time: "
                             "the result shape depends on it and qc compiles "
                             "static shapes";
          return failure();
        }
        for (int64_t a : host->toInts())
          axes.push_back(a);
      }
    }
  } else {
    axes = ctx.attrInts("axes");
  }
  if (axes.empty()) {
    // noop_with_empty_axes exists where axes is an input.
    if (axesFromInput && ctx.attrInt("noop_with_empty_axes", 0) != 0)
      return ReducedAxes();
    return ReducedAxes(SmallVector<bool>(rank, true));
  }
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(a, rank, "axes");
    if (failed(axis))
      return failure();
    if (*axis >= rank) {
      ctx.emitError() << "axes " << a << " is out of range for rank " << rank;
      return failure();
    }
    if (reduced[*axis]) {
      ctx.emitError() << "axes lists axis " << a << " twice";
      return failure();
    }
    reduced[*axis] = true;
  }
  return ReducedAxes(std::move(reduced));
}

/// Result shape of a reduction.
static SmallVector<int64_t>
reducedShape(ArrayRef<int64_t> shape, ArrayRef<bool> reduced, bool keepDims) {
  SmallVector<int64_t> result;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduced[i])
      result.push_back(shape[i]);
    else if (keepDims)
      result.push_back(1);
  }
  return result;
}

/// Evaluates a Reduce* on the host: floats in double (rounded to the dtype
/// at the end), integers in 64 bits wrapped to the dtype.
static HostTensor foldReduce(const HostTensor &in, ReduceKind kind,
                             ArrayRef<bool> reduced, bool keepDims) {
  int64_t rank = in.rank();
  // Output strides over the input's index space (0 on reduced dims).
  SmallVector<int64_t> outStrides(rank, 0);
  int64_t outCount = 1, reducedCount = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (reduced[i]) {
      reducedCount *= in.shape[i];
      continue;
    }
    outStrides[i] = outCount;
    outCount *= in.shape[i];
  }
  SmallVector<int64_t> outShape = reducedShape(in.shape, reduced, keepDims);
  bool useFloat = in.isFloat() || kind == ReduceKind::L2 ||
                  kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp;
  bool isUnsigned = isUnsignedOrBool(in.dtype);
  // For LogSumExp: the max of each group, subtracted before exp.
  std::vector<double> shift(outCount, 0.0);
  if (kind == ReduceKind::LogSumExp) {
    std::vector<double> maxima(outCount,
                               -std::numeric_limits<double>::infinity());
    SmallVector<int64_t> index(rank, 0);
    for (int64_t n = 0, e = in.numElements(); n < e; ++n) {
      int64_t o = 0;
      for (int64_t d = 0; d < rank; ++d)
        o += index[d] * outStrides[d];
      maxima[o] = std::max(maxima[o], in.getDouble(n));
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < in.shape[d])
          break;
        index[d] = 0;
      }
    }
    for (int64_t o = 0; o < outCount; ++o)
      shift[o] = std::isfinite(maxima[o]) ? maxima[o] : 0.0;
  }

  std::vector<double> facc(outCount);
  std::vector<uint64_t> iacc(outCount);
  double fInit = 0.0;
  uint64_t iInit = 0;
  switch (kind) {
  case ReduceKind::Prod:
    fInit = 1.0;
    iInit = 1;
    break;
  case ReduceKind::Max:
    fInit = -std::numeric_limits<double>::infinity();
    iInit = isUnsigned ? 0 : uint64_t(std::numeric_limits<int64_t>::min());
    break;
  case ReduceKind::Min:
    fInit = std::numeric_limits<double>::infinity();
    iInit = isUnsigned ? std::numeric_limits<uint64_t>::max()
                       : uint64_t(std::numeric_limits<int64_t>::max());
    break;
  default:
    break;
  }
  std::fill(facc.begin(), facc.end(), fInit);
  std::fill(iacc.begin(), iacc.end(), iInit);

  SmallVector<int64_t> index(rank, 0);
  for (int64_t n = 0, e = in.numElements(); n < e; ++n) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o += index[d] * outStrides[d];
    if (useFloat) {
      double v = in.getDouble(n);
      double &acc = facc[o];
      switch (kind) {
      case ReduceKind::Sum:
      case ReduceKind::Mean:
      case ReduceKind::LogSum:
        acc += v;
        break;
      case ReduceKind::Max:
        acc = (std::isnan(v) || std::isnan(acc)) ? NAN : std::max(acc, v);
        break;
      case ReduceKind::Min:
        acc = (std::isnan(v) || std::isnan(acc)) ? NAN : std::min(acc, v);
        break;
      case ReduceKind::Prod:
        acc *= v;
        break;
      case ReduceKind::L1:
        acc += std::fabs(v);
        break;
      case ReduceKind::L2:
      case ReduceKind::SumSquare:
        acc += v * v;
        break;
      case ReduceKind::LogSumExp:
        acc += std::exp(v - shift[o]);
        break;
      }
    } else {
      uint64_t v = uint64_t(in.getInt(n));
      uint64_t &acc = iacc[o];
      switch (kind) {
      case ReduceKind::Max:
        acc = isUnsigned ? std::max(acc, v)
                         : uint64_t(std::max(int64_t(acc), int64_t(v)));
        break;
      case ReduceKind::Min:
        acc = isUnsigned ? std::min(acc, v)
                         : uint64_t(std::min(int64_t(acc), int64_t(v)));
        break;
      case ReduceKind::Prod:
        acc *= v;
        break;
      case ReduceKind::L1:
        acc += (isUnsigned || int64_t(v) >= 0) ? v : 0 - v;
        break;
      case ReduceKind::SumSquare:
        acc += v * v;
        break;
      default: // Sum, Mean
        acc += v;
        break;
      }
    }
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < in.shape[d])
        break;
      index[d] = 0;
    }
  }

  if (useFloat) {
    std::vector<double> values(outCount);
    for (int64_t o = 0; o < outCount; ++o) {
      double v = facc[o];
      switch (kind) {
      case ReduceKind::Mean:
        v /= double(reducedCount);
        break;
      case ReduceKind::L2:
        v = std::sqrt(v);
        break;
      case ReduceKind::LogSum:
        v = std::log(v);
        break;
      case ReduceKind::LogSumExp:
        v = std::log(v) + shift[o];
        break;
      default:
        break;
      }
      values[o] = v;
    }
    if (in.isFloat()) {
      for (double &v : values)
        v = roundToDType(v, in.dtype);
      return HostTensor::fromFloats(in.dtype, outShape, std::move(values));
    }
    std::vector<int64_t> ints(outCount);
    for (int64_t o = 0; o < outCount; ++o)
      ints[o] = wrapToDType(std::isfinite(values[o]) ? int64_t(values[o]) : 0,
                            in.dtype);
    return HostTensor::fromInts(in.dtype, outShape, std::move(ints));
  }
  std::vector<int64_t> ints(outCount);
  for (int64_t o = 0; o < outCount; ++o) {
    uint64_t v = iacc[o];
    if (kind == ReduceKind::Mean) {
      // As the compiled code: the sum wraps in the dtype, then divides.
      v = uint64_t(wrapToDType(int64_t(v), in.dtype));
      if (reducedCount == 0)
        v = 0;
      else if (isUnsigned)
        v /= uint64_t(reducedCount);
      else
        v = uint64_t(int64_t(v) / reducedCount);
    }
    ints[o] = wrapToDType(int64_t(v), in.dtype);
  }
  return HostTensor::fromInts(in.dtype, outShape, std::move(ints));
}

/// Emits a Reduce* of `x` (of `dtype`) as linalg.
static Value emitReduce(NodeContext &ctx, Value x, ONNXDType dtype,
                        ReduceKind kind, ArrayRef<bool> reduced,
                        bool keepDims) {
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  // f16/bf16 accumulate in f32; integers go through f64 where the result is
  // a square root or a logarithm.
  ONNXDType computeDType = dtype;
  if (dtype == ONNXDType::Float16 || dtype == ONNXDType::BFloat16)
    computeDType = ONNXDType::Float;
  else if (!isFloatDType(dtype) &&
           (kind == ReduceKind::L2 || kind == ReduceKind::LogSum ||
            kind == ReduceKind::LogSumExp))
    computeDType = ONNXDType::Double;
  Value input = castTensor(ctx, x, dtype, computeDType);
  Type element = cast<ShapedType>(input.getType()).getElementType();
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = isUnsignedOrBool(computeDType);
  auto cst = [&](double v) { return createScalarConstant(b, loc, element, v); };
  auto add = [&](OpBuilder &nb, Location nl, Value acc, Value e) {
    return createAdd(nb, nl, acc, e, computeDType);
  };

  auto shape = cast<ShapedType>(input.getType()).getShape();
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (reduced[i])
      count *= shape[i];

  Value result;
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
  case ReduceKind::LogSum:
    result = buildReduction(b, loc, input, reduced, cst(0), keepDims, add);
    break;
  case ReduceKind::Prod:
    result =
        buildReduction(b, loc, input, reduced, cst(1), keepDims,
                       [&](OpBuilder &nb, Location nl, Value acc, Value e) {
                         return createMul(nb, nl, acc, e, computeDType);
                       });
    break;
  case ReduceKind::Max:
    result = buildReduction(
        b, loc, input, reduced, createLowest(b, loc, element, computeDType),
        keepDims, [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return createMax(nb, nl, acc, e, computeDType);
        });
    break;
  case ReduceKind::Min:
    result = buildReduction(
        b, loc, input, reduced, createHighest(b, loc, element, computeDType),
        keepDims, [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return createMin(nb, nl, acc, e, computeDType);
        });
    break;
  case ReduceKind::L1:
    result = buildReduction(
        b, loc, input, reduced, cst(0), keepDims,
        [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          Value magnitude = e;
          if (isFloat)
            magnitude = math::AbsFOp::create(nb, nl, e);
          else if (!isUnsigned) {
            // The CPU pipeline does not lower math.absi.
            Value zero = createScalarConstant(nb, nl, element, 0.0);
            Value negative = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::slt, e, zero);
            magnitude = arith::SelectOp::create(
                nb, nl, negative, arith::SubIOp::create(nb, nl, zero, e), e);
          }
          return createAdd(nb, nl, acc, magnitude, computeDType);
        });
    break;
  case ReduceKind::L2:
  case ReduceKind::SumSquare:
    result = buildReduction(
        b, loc, input, reduced, cst(0), keepDims,
        [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return createAdd(nb, nl, acc, createMul(nb, nl, e, e, computeDType),
                           computeDType);
        });
    break;
  case ReduceKind::LogSumExp: {
    // log(sum(exp(x - m))) + m with m the max, or 0 where the max is not
    // finite (all -inf: log(0) = -inf as without the shift).
    Value maxima = buildReduction(
        b, loc, input, reduced, createLowest(b, loc, element, computeDType),
        true, [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return arith::MaximumFOp::create(nb, nl, acc, e);
        });
    Value shiftValue = buildElementwise(
        b, loc, ValueRange{maxima}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value inf = createHighest(nb, nl, element, computeDType);
          Value magnitude = math::AbsFOp::create(nb, nl, args[0]);
          Value finite = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OLT, magnitude, inf);
          return arith::SelectOp::create(
              nb, nl, finite, args[0],
              createScalarConstant(nb, nl, element, 0.0));
        });
    Value exps = buildElementwise(
        b, loc, ValueRange{input, shiftValue}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value diff = arith::SubFOp::create(nb, nl, args[0], args[1]);
          return math::ExpOp::create(nb, nl, diff);
        });
    Value sums = buildReduction(b, loc, exps, reduced, cst(0), keepDims, add);
    if (!keepDims)
      shiftValue = reshapeTensor(b, loc, shiftValue,
                                 cast<ShapedType>(sums.getType()).getShape());
    result = buildElementwise(
        b, loc, ValueRange{sums, shiftValue}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value log = math::LogOp::create(nb, nl, args[0]);
          return arith::AddFOp::create(nb, nl, log, args[1]);
        });
    break;
  }
  }

  // Elementwise epilogues.
  if (kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
      kind == ReduceKind::LogSum) {
    result = buildElementwise(
        b, loc, ValueRange{result}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value v = args[0];
          if (kind == ReduceKind::L2)
            return math::SqrtOp::create(nb, nl, v);
          if (kind == ReduceKind::LogSum)
            return math::LogOp::create(nb, nl, v);
          Value n = createScalarConstant(nb, nl, element, double(count));
          if (isFloat)
            return arith::DivFOp::create(nb, nl, v, n);
          if (count == 0)
            return createScalarConstant(nb, nl, element, 0.0);
          if (isUnsigned)
            return arith::DivUIOp::create(nb, nl, v, n);
          return arith::DivSIOp::create(nb, nl, v, n);
        });
  }
  return castTensor(ctx, result, computeDType, dtype);
}

static LogicalResult importReduce(NodeContext &ctx, ReduceKind kind,
                                  int64_t axesInputOpset) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  ONNXDType dtype = x->dtype;
  if (!isFloatDType(dtype) && !isIntegerDType(dtype)) {
    ctx.emitError() << "element type " << getDTypeName(dtype)
                    << " is not supported (float and integer types only)";
    return failure();
  }
  int64_t rank = x->shape.size();
  FailureOr<ReducedAxes> reduced =
      getReducedAxes(ctx, rank, ctx.opset() >= axesInputOpset);
  if (failed(reduced))
    return failure();
  if (!*reduced) {
    ctx.setOutput(0, *x);
    return success();
  }
  bool keepDims = ctx.attrInt("keepdims", 1) != 0;
  if (const HostTensor *host = ctx.hostInput(0)) {
    ctx.setHostOutput(0, foldReduce(*host, kind, **reduced, keepDims));
    return success();
  }
  Value input = ctx.inputValue(0);
  if (!input || !ctx.elementType(dtype))
    return failure();
  ctx.setOutput(0, emitReduce(ctx, input, dtype, kind, **reduced, keepDims),
                dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin
//===----------------------------------------------------------------------===//

static HostTensor foldArg(const HostTensor &in, int64_t axis, bool isMax,
                          bool selectLast, bool keepDims) {
  int64_t outer = 1, inner = 1, n = in.shape[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= in.shape[i];
  for (int64_t i = axis + 1; i < in.rank(); ++i)
    inner *= in.shape[i];
  bool isUnsigned = isUnsignedOrBool(in.dtype);
  // True if `a` should replace the current best `b`.
  auto better = [&](int64_t ia, int64_t ib) {
    if (in.isFloat()) {
      double a = in.getDouble(ia), b = in.getDouble(ib);
      if (std::isnan(a))
        return selectLast || !std::isnan(b);
      return isMax ? (selectLast ? a >= b : a > b)
                   : (selectLast ? a <= b : a < b);
    }
    int64_t a = in.getInt(ia), b = in.getInt(ib);
    if (isUnsigned) {
      uint64_t ua = uint64_t(a), ub = uint64_t(b);
      return isMax ? (selectLast ? ua >= ub : ua > ub)
                   : (selectLast ? ua <= ub : ua < ub);
    }
    return isMax ? (selectLast ? a >= b : a > b)
                 : (selectLast ? a <= b : a < b);
  };
  std::vector<int64_t> result(outer * inner, 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k)
        if (better((o * n + k) * inner + i, (o * n + best) * inner + i))
          best = k;
      result[o * inner + i] = best;
    }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.rank(); ++i) {
    if (i != axis)
      shape.push_back(in.shape[i]);
    else if (keepDims)
      shape.push_back(1);
  }
  return HostTensor::fromInts(ONNXDType::Int64, shape, std::move(result));
}

static LogicalResult importArg(NodeContext &ctx, bool isMax) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  ONNXDType dtype = x->dtype;
  if (!isFloatDType(dtype) && !isIntegerDType(dtype)) {
    ctx.emitError() << "element type " << getDTypeName(dtype)
                    << " is not supported (float and integer types only)";
    return failure();
  }
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (x->shape[*axis] == 0)
    return ctx.error("cannot take the index of an empty axis (input shape " +
                     formatShape(x->shape) + ")");
  bool keepDims = ctx.attrInt("keepdims", 1) != 0;
  bool selectLast = ctx.attrInt("select_last_index", 0) != 0;
  if (const HostTensor *host = ctx.hostInput(0)) {
    ctx.setHostOutput(0, foldArg(*host, *axis, isMax, selectLast, keepDims));
    return success();
  }
  Value input = ctx.inputValue(0);
  if (!input)
    return failure();
  Value result = buildArgReduction(ctx.builder(), ctx.loc(), input, *axis,
                                   dtype, isMax, selectLast, keepDims);
  ctx.setOutput(0, result, ONNXDType::Int64);
  return success();
}

void mlir::qc::onnx_import::registerReductionOps(OpRegistry &r) {
  // ReduceSum takes its axes as an input from opset 13, the others from
  // opset 18.
  struct Entry {
    const char *name;
    ReduceKind kind;
    int64_t axesInputOpset;
  };
  static const Entry entries[] = {
      {"ReduceSum", ReduceKind::Sum, 13},
      {"ReduceMean", ReduceKind::Mean, 18},
      {"ReduceMax", ReduceKind::Max, 18},
      {"ReduceMin", ReduceKind::Min, 18},
      {"ReduceProd", ReduceKind::Prod, 18},
      {"ReduceL1", ReduceKind::L1, 18},
      {"ReduceL2", ReduceKind::L2, 18},
      {"ReduceLogSum", ReduceKind::LogSum, 18},
      {"ReduceLogSumExp", ReduceKind::LogSumExp, 18},
      {"ReduceSumSquare", ReduceKind::SumSquare, 18},
  };
  for (const Entry &e : entries) {
    ReduceKind kind = e.kind;
    int64_t axesInputOpset = e.axesInputOpset;
    r.add(e.name, [kind, axesInputOpset](NodeContext &ctx) {
      return importReduce(ctx, kind, axesInputOpset);
    });
  }
  r.add("ArgMax", [](NodeContext &ctx) { return importArg(ctx, true); });
  r.add("ArgMin", [](NodeContext &ctx) { return importArg(ctx, false); });
}
