//===- NN.cpp - ONNX pooling, normalization, softmax, ConvTranspose -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Neural-network ops other than MatMul/Gemm/Conv (Linear.cpp):
//
// - Pools are one linalg.generic over (n, c, output positions, window
//   positions) for any number of spatial dimensions, reading an input padded
//   with the identity of the reduction (-inf or the integer minimum for max,
//   0 for sums). A rank-k "window" operand (tensor.empty) gives the window
//   loops their bounds, as linalg's named pooling ops do.
// - Normalizations and softmaxes are built from the reductions of
//   ReductionBuilders.h plus elementwise generics; f16/bf16 inputs compute in
//   f32.
// - ConvTranspose becomes a qc.conv (so quantization sees it as the compute
//   op it is) over the stride-dilated, padded input with the spatially
//   flipped, in/out-swapped kernel. The kernel is rearranged at compile time
//   when it is a constant, else by a linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "ReductionBuilders.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

static int64_t product(ArrayRef<int64_t> dims) {
  return saturatingProduct(dims);
}

/// Python-style floor division (ConvTranspose's pads can be negative).
static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// Checks that input `i` has a float dtype; returns it.
static FailureOr<ONNXDType> requireFloat(NodeContext &ctx, unsigned i) {
  FailureOr<ImportedValue> v = ctx.input(i);
  if (failed(v))
    return failure();
  if (!isFloatDType(v->dtype)) {
    ctx.emitError() << "input " << i << " has element type "
                    << getDTypeName(v->dtype)
                    << ", which is not supported (float types only)";
    return failure();
  }
  return v->dtype;
}

/// The dtype f16/bf16 inputs are computed in (f32), else `dtype` itself.
static ONNXDType computeDTypeFor(ONNXDType dtype) {
  return dtype == ONNXDType::Float16 || dtype == ONNXDType::BFloat16
             ? ONNXDType::Float
             : dtype;
}

/// Input `i` as an MLIR value cast to `to` (a float dtype).
static Value floatInputAs(NodeContext &ctx, unsigned i, ONNXDType to) {
  FailureOr<ImportedValue> v = ctx.input(i);
  if (failed(v))
    return {};
  if (!isFloatDType(v->dtype)) {
    ctx.emitError() << "input " << i << " has element type "
                    << getDTypeName(v->dtype)
                    << ", which is not supported (float types only)";
    return {};
  }
  Value value = ctx.inputValue(i);
  if (!value)
    return {};
  return castTensor(ctx, value, v->dtype, to);
}

/// Pads `input` with `low`/`high` elements per dimension filled with `pad`.
static Value padTensor(OpBuilder &b, Location loc, Value input,
                       ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                       Value pad) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> lowOfr, highOfr;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    shape.push_back(type.getDimSize(i) + low[i] + high[i]);
    lowOfr.push_back(b.getIndexAttr(low[i]));
    highOfr.push_back(b.getIndexAttr(high[i]));
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, paddedType, input, lowOfr, highOfr, pad);
}

/// Reads an ints attribute with one value per spatial dimension, or
/// `defaultValue` for each when absent.
static FailureOr<SmallVector<int64_t>>
spatialInts(NodeContext &ctx, StringRef name, int64_t spatial,
            int64_t defaultValue, int64_t minValue) {
  SmallVector<int64_t> values = ctx.attrInts(name);
  if (values.empty())
    return SmallVector<int64_t>(spatial, defaultValue);
  if (int64_t(values.size()) != spatial) {
    ctx.emitError() << name << " has " << values.size() << " values, expected "
                    << spatial << " (one per spatial dimension)";
    return failure();
  }
  for (int64_t v : values)
    if (v < minValue) {
      ctx.emitError() << name << " value " << v
                      << " is invalid (must be >= " << minValue << ")";
      return failure();
    }
  return values;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

namespace {
/// Where a pool's windows lie. Positions are in the coordinates of the input
/// padded with `padBegin` in front.
struct PoolGeometry {
  SmallVector<int64_t> kernel, strides, dilations;
  /// Pads from `pads` or `auto_pad`: they count as padding for
  /// count_include_pad.
  SmallVector<int64_t> padBegin, padEnd;
  /// Padding actually added at the end: padEnd plus the ceil_mode overhang.
  SmallVector<int64_t> padEndTotal;
  SmallVector<int64_t> outSpatial;
};
} // namespace

static FailureOr<PoolGeometry> getPoolGeometry(NodeContext &ctx,
                                               ArrayRef<int64_t> inSpatial) {
  int64_t n = inSpatial.size();
  PoolGeometry g;
  g.kernel = ctx.attrInts("kernel_shape");
  if (int64_t(g.kernel.size()) != n) {
    ctx.emitError() << "kernel_shape must have " << n
                    << " values (one per spatial dimension), got "
                    << g.kernel.size();
    return failure();
  }
  for (int64_t k : g.kernel)
    if (k < 1) {
      ctx.emitError() << "kernel_shape " << formatShape(g.kernel)
                      << " is invalid";
      return failure();
    }
  FailureOr<SmallVector<int64_t>> strides =
      spatialInts(ctx, "strides", n, 1, 1);
  FailureOr<SmallVector<int64_t>> dilations =
      spatialInts(ctx, "dilations", n, 1, 1);
  if (failed(strides) || failed(dilations))
    return failure();
  g.strides = *strides;
  g.dilations = *dilations;
  bool ceilMode = ctx.attrInt("ceil_mode", 0) != 0;
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  g.padBegin.assign(n, 0);
  g.padEnd.assign(n, 0);
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (autoPad == "NOTSET" || autoPad.empty()) {
    SmallVector<int64_t> pads = ctx.attrInts("pads");
    if (!pads.empty()) {
      if (int64_t(pads.size()) != 2 * n) {
        ctx.emitError() << "pads has " << pads.size() << " values, expected "
                        << 2 * n;
        return failure();
      }
      for (int64_t p : pads)
        if (p < 0) {
          ctx.emitError() << "pads " << formatShape(pads)
                          << " has a negative value";
          return failure();
        }
      g.padBegin.assign(pads.begin(), pads.begin() + n);
      g.padEnd.assign(pads.begin() + n, pads.end());
    }
  } else if (!same && autoPad != "VALID") {
    ctx.emitError() << "auto_pad '" << autoPad << "' is not supported";
    return failure();
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t out;
    if (same) {
      out = ceilDiv(inSpatial[i], g.strides[i]);
      int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + extent -
                                               inSpatial[i]);
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
    } else {
      int64_t span = inSpatial[i] + g.padBegin[i] + g.padEnd[i] - extent;
      if (span < 0) {
        ctx.emitError() << "the window (extent " << extent
                        << ") is larger than the padded input ("
                        << inSpatial[i] + g.padBegin[i] + g.padEnd[i]
                        << ") in spatial dimension " << i;
        return failure();
      }
      out = (ceilMode ? ceilDiv(span, g.strides[i]) : span / g.strides[i]) + 1;
      // A window may not start in the end padding.
      if (ceilMode && (out - 1) * g.strides[i] >= inSpatial[i] + g.padBegin[i])
        --out;
    }
    g.outSpatial.push_back(out);
    int64_t needed = (out - 1) * g.strides[i] + extent;
    g.padEndTotal.push_back(
        std::max(g.padEnd[i], needed - inSpatial[i] - g.padBegin[i]));
  }
  return g;
}

/// One sliding-window linalg.generic over `padded` ([N, C, spatial...]):
/// iteration space (n, c, o_1..o_k, j_1..j_k), the input read at
/// o_i * stride_i + j_i * dilation_i. `inits` are the accumulators, each of
/// the output shape; `body` gets (element, window, accumulators...) and
/// yields the new accumulators.
static linalg::GenericOp
buildWindowGeneric(OpBuilder &b, Location loc, Value padded,
                   const PoolGeometry &g, ValueRange inits,
                   function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t k = g.kernel.size();
  int64_t numDims = 2 + 2 * k;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs{d(0), d(1)}, windowExprs,
      outExprs{d(0), d(1)};
  for (int64_t i = 0; i < k; ++i) {
    inExprs.push_back(d(2 + i) * g.strides[i] + d(2 + k + i) * g.dilations[i]);
    windowExprs.push_back(d(2 + k + i));
    outExprs.push_back(d(2 + i));
  }
  // The window operand only gives the window loops their bounds.
  Value window = createEmptyTensor(b, loc, g.kernel, b.getI1Type());
  AffineMap outMap = AffineMap::get(numDims, 0, outExprs, ctx);
  SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, inExprs, ctx),
                              AffineMap::get(numDims, 0, windowExprs, ctx)};
  maps.append(inits.size(), outMap);
  SmallVector<utils::IteratorType> iterators(2 + k,
                                             utils::IteratorType::parallel);
  iterators.append(k, utils::IteratorType::reduction);
  return linalg::GenericOp::create(b, loc, inits.getTypes(),
                                   ValueRange{padded, window}, inits, maps,
                                   iterators, body);
}

static SmallVector<int64_t> poolOutputShape(ArrayRef<int64_t> inShape,
                                            const PoolGeometry &g) {
  SmallVector<int64_t> shape{inShape[0], inShape[1]};
  shape.append(g.outSpatial.begin(), g.outSpatial.end());
  return shape;
}

/// Checks the input of a pool: [N, C, D1..Dk] with k >= 1.
static FailureOr<ImportedValue> poolInput(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  if (x->shape.size() < 3) {
    ctx.emitError() << "input must be [N, C, D1, ...] with at least one "
                       "spatial dimension, got "
                    << formatShape(x->shape);
    return failure();
  }
  return x;
}

static LogicalResult importMaxPool(NodeContext &ctx) {
  FailureOr<ImportedValue> x = poolInput(ctx);
  if (failed(x))
    return failure();
  ONNXDType dtype = x->dtype;
  if (!isFloatDType(dtype) && !isIntegerDType(dtype)) {
    ctx.emitError() << "element type " << getDTypeName(dtype)
                    << " is not supported";
    return failure();
  }
  ArrayRef<int64_t> inShape = x->shape;
  FailureOr<PoolGeometry> g = getPoolGeometry(ctx, inShape.drop_front(2));
  if (failed(g))
    return failure();
  int64_t storageOrder = ctx.attrInt("storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return ctx.error("storage_order " + std::to_string(storageOrder) +
                     " is invalid (0 or 1)");
  Value input = ctx.inputValue(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  int64_t k = g->kernel.size();
  Value lowest = createLowest(b, loc, element, dtype);
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin);
  high.append(g->padEndTotal);
  Value padded = padTensor(b, loc, input, low, high, lowest);
  SmallVector<int64_t> outShape = poolOutputShape(inShape, *g);
  Value values = createFilledTensor(b, loc, outShape, lowest);

  if (!ctx.hasOutput(1)) {
    Value result =
        buildWindowGeneric(b, loc, padded, *g, ValueRange{values},
                           [&](OpBuilder &nb, Location nl, ValueRange args) {
                             linalg::YieldOp::create(
                                 nb, nl,
                                 createMax(nb, nl, args[2], args[0], dtype));
                           })
            .getResult(0);
    ctx.setOutput(0, result, dtype);
    return success();
  }

  // With Indices: the flat index of the first maximum of each window in the
  // unpadded input, row-major (storage_order 0) or with the spatial
  // dimensions column-major (1). Padding never wins: the accumulator starts
  // at index -1 and only in-bounds positions replace it.
  Type i64 = b.getI64Type();
  Value indices = createFilledTensor(b, loc, outShape,
                                     createScalarConstant(b, loc, i64, -1));
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = isUnsignedDType(dtype);
  SmallVector<int64_t> spatialIn(inShape.drop_front(2));
  int64_t channels = inShape[1], spatialCount = product(spatialIn);
  auto generic = buildWindowGeneric(
      b, loc, padded, *g, ValueRange{values, indices},
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value xv = args[0], best = args[2], bestIndex = args[3];
        auto idx = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, nl, v).getResult();
        };
        // Position in the unpadded input along each spatial dimension, and
        // whether it is inside.
        Value inBounds;
        SmallVector<Value> positions;
        for (int64_t i = 0; i < k; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i);
          Value j = linalg::IndexOp::create(nb, nl, 2 + k + i);
          Value pos = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, o, idx(g->strides[i])),
              arith::MulIOp::create(nb, nl, j, idx(g->dilations[i])));
          pos = arith::SubIOp::create(nb, nl, pos, idx(g->padBegin[i]));
          Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge,
                                           pos, idx(0));
          Value lt = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                           pos, idx(spatialIn[i]));
          Value inside = arith::AndIOp::create(nb, nl, ge, lt);
          inBounds = inBounds ? arith::AndIOp::create(nb, nl, inBounds, inside)
                              : inside;
          positions.push_back(pos);
        }
        // Row-major over the spatial dimensions, or column-major.
        SmallVector<int64_t> order;
        for (int64_t i = 0; i < k; ++i)
          order.push_back(storageOrder == 0 ? i : k - 1 - i);
        Value spatialFlat = positions[order[0]];
        for (int64_t i : ArrayRef<int64_t>(order).drop_front())
          spatialFlat = arith::AddIOp::create(
              nb, nl,
              arith::MulIOp::create(nb, nl, spatialFlat, idx(spatialIn[i])),
              positions[i]);
        Value plane = arith::AddIOp::create(
            nb, nl,
            arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, 0),
                                  idx(channels)),
            linalg::IndexOp::create(nb, nl, 1));
        Value flat = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, plane, idx(spatialCount)),
            spatialFlat);
        flat = arith::IndexCastOp::create(nb, nl, i64, flat);
        Value greater =
            isFloat
                ? Value(arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                              xv, best))
                : Value(arith::CmpIOp::create(nb, nl,
                                              isUnsigned
                                                  ? arith::CmpIPredicate::ugt
                                                  : arith::CmpIPredicate::sgt,
                                              xv, best));
        Value unset =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, bestIndex,
                                  createScalarConstant(nb, nl, i64, 0));
        Value better = arith::AndIOp::create(
            nb, nl, inBounds, arith::OrIOp::create(nb, nl, greater, unset));
        Value newValue = arith::SelectOp::create(nb, nl, better, xv, best);
        Value newIndex =
            arith::SelectOp::create(nb, nl, better, flat, bestIndex);
        linalg::YieldOp::create(nb, nl, ValueRange{newValue, newIndex});
      });
  ctx.setOutput(0, generic.getResult(0), dtype);
  ctx.setOutput(1, generic.getResult(1), ONNXDType::Int64);
  return success();
}

/// How many of the window's taps along one dimension count for the average
/// at each output position: those inside the input (count_include_pad = 0)
/// or inside the input plus its explicit pads (1); never the ceil_mode
/// overhang.
static SmallVector<int64_t> averageCounts(const PoolGeometry &g, int64_t dim,
                                          int64_t inSize, bool includePad) {
  int64_t lo = includePad ? 0 : g.padBegin[dim];
  int64_t hi = includePad ? inSize + g.padBegin[dim] + g.padEnd[dim]
                          : inSize + g.padBegin[dim];
  SmallVector<int64_t> counts;
  for (int64_t o = 0; o < g.outSpatial[dim]; ++o) {
    int64_t count = 0;
    for (int64_t j = 0; j < g.kernel[dim]; ++j) {
      int64_t pos = o * g.strides[dim] + j * g.dilations[dim];
      count += pos >= lo && pos < hi;
    }
    counts.push_back(count);
  }
  return counts;
}

static LogicalResult importAveragePool(NodeContext &ctx) {
  FailureOr<ImportedValue> x = poolInput(ctx);
  if (failed(x) || failed(requireFloat(ctx, 0)))
    return failure();
  ONNXDType dtype = x->dtype;
  ArrayRef<int64_t> inShape = x->shape;
  FailureOr<PoolGeometry> g = getPoolGeometry(ctx, inShape.drop_front(2));
  if (failed(g))
    return failure();
  bool includePad = ctx.attrInt("count_include_pad", 0) != 0;
  ONNXDType computeDType = computeDTypeFor(dtype);
  Value input = floatInputAs(ctx, 0, computeDType);
  if (!input)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  int64_t k = g->kernel.size(), rank = inShape.size();
  Value zero = createScalarConstant(b, loc, element, 0.0);
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin);
  high.append(g->padEndTotal);
  Value padded = padTensor(b, loc, input, low, high, zero);
  SmallVector<int64_t> outShape = poolOutputShape(inShape, *g);
  Value sums =
      buildWindowGeneric(
          b, loc, padded, *g,
          ValueRange{createFilledTensor(b, loc, outShape, zero)},
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[2], args[0]).getResult());
          })
          .getResult(0);

  // Divide by the number of counted taps, a product of one factor per
  // spatial dimension; each non-constant factor is a small constant tensor
  // broadcast along its dimension.
  SmallVector<Value> operands{sums};
  double uniform = 1.0;
  for (int64_t i = 0; i < k; ++i) {
    SmallVector<int64_t> counts =
        averageCounts(*g, i, inShape[2 + i], includePad);
    if (llvm::all_equal(counts)) {
      uniform *= double(counts.empty() ? 1 : counts.front());
      continue;
    }
    SmallVector<int64_t> shape(rank, 1);
    shape[2 + i] = counts.size();
    std::vector<double> values(counts.begin(), counts.end());
    operands.push_back(ctx.materialize(
        HostTensor::fromFloats(computeDType, shape, std::move(values))));
  }
  Value result = buildElementwise(
      b, loc, operands, outShape, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value divisor;
        if (uniform != 1.0 || args.size() == 1)
          divisor = createScalarConstant(nb, nl, element, uniform);
        for (Value factor : args.drop_front())
          divisor =
              divisor ? arith::MulFOp::create(nb, nl, divisor, factor) : factor;
        return arith::DivFOp::create(nb, nl, args[0], divisor);
      });
  ctx.setOutput(0, castTensor(ctx, result, computeDType, dtype), dtype);
  return success();
}

static LogicalResult importGlobalPool(NodeContext &ctx, bool isMax) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  ONNXDType dtype = x->dtype;
  if (!isFloatDType(dtype) && !(isMax && isIntegerDType(dtype))) {
    ctx.emitError() << "element type " << getDTypeName(dtype)
                    << " is not supported";
    return failure();
  }
  int64_t rank = x->shape.size();
  if (rank < 2) {
    ctx.emitError() << "input must be [N, C, D1, ...], got "
                    << formatShape(x->shape);
    return failure();
  }
  ONNXDType computeDType = computeDTypeFor(dtype);
  Value input = ctx.inputValue(0);
  if (!input)
    return failure();
  input = castTensor(ctx, input, dtype, computeDType);
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  SmallVector<bool> reduced = trailingAxes(rank, 2);
  Value result;
  if (isMax) {
    result = buildReduction(
        b, loc, input, reduced, createLowest(b, loc, element, computeDType),
        true, [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return createMax(nb, nl, acc, e, computeDType);
        });
  } else {
    double count = double(product(ArrayRef<int64_t>(x->shape).drop_front(2)));
    Value sums = buildReduction(
        b, loc, input, reduced, createScalarConstant(b, loc, element, 0.0),
        true, [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return arith::AddFOp::create(nb, nl, acc, e);
        });
    result = buildElementwise(
        b, loc, ValueRange{sums}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::DivFOp::create(
              nb, nl, args[0], createScalarConstant(nb, nl, element, count));
        });
  }
  ctx.setOutput(0, castTensor(ctx, result, computeDType, dtype), dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, Hardmax
//===----------------------------------------------------------------------===//

namespace {
enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };
} // namespace

static LogicalResult importSoftmax(NodeContext &ctx, SoftmaxKind kind) {
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1) and
  // the op runs over the second dimension, i.e. over all of [axis, rank);
  // from 13 it runs along `axis` (default -1).
  bool coerce2D = ctx.opset() < 13;
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.attrInt("axis", coerce2D ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<bool> reduced(rank, false);
  if (coerce2D)
    reduced = trailingAxes(rank, *axis);
  else
    reduced[*axis] = true;

  ONNXDType computeDType = computeDTypeFor(*dtype);
  Value input = floatInputAs(ctx, 0, computeDType);
  if (!input)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();

  if (kind == SoftmaxKind::Hardmax) {
    // One-hot of the first maximum: argmax along one axis (of the 2-D view
    // before opset 13).
    SmallVector<int64_t> shape(x->shape);
    Value view = input;
    int64_t argAxis = *axis;
    if (coerce2D) {
      ArrayRef<int64_t> dims = x->shape;
      view = reshapeTensor(
          b, loc, input,
          {product(dims.take_front(*axis)), product(dims.drop_front(*axis))});
      argAxis = 1;
    }
    Value argmax = buildArgReduction(b, loc, view, argAxis, computeDType,
                                     /*isMax=*/true, /*selectLast=*/false,
                                     /*keepDims=*/false);
    auto viewType = cast<RankedTensorType>(view.getType());
    int64_t viewRank = viewType.getRank();
    MLIRContext *mctx = b.getContext();
    SmallVector<AffineExpr> argExprs;
    for (int64_t i = 0; i < viewRank; ++i)
      if (i != argAxis)
        argExprs.push_back(getAffineDimExpr(i, mctx));
    Value empty = createEmptyTensor(b, loc, viewType.getShape(), element);
    SmallVector<AffineMap> maps{
        AffineMap::get(viewRank, 0, argExprs, mctx),
        AffineMap::getMultiDimIdentityMap(viewRank, mctx)};
    Value oneHot =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{argmax},
            ValueRange{empty}, maps,
            SmallVector<utils::IteratorType>(viewRank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value position = arith::IndexCastOp::create(
                  nb, nl, nb.getI64Type(),
                  linalg::IndexOp::create(nb, nl, argAxis));
              Value hit = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::eq, position, args[0]);
              Value one = createScalarConstant(nb, nl, element, 1.0);
              Value zero = createScalarConstant(nb, nl, element, 0.0);
              linalg::YieldOp::create(
                  nb, nl,
                  arith::SelectOp::create(nb, nl, hit, one, zero).getResult());
            })
            .getResult(0);
    Value result = reshapeTensor(b, loc, oneHot, shape);
    ctx.setOutput(0, castTensor(ctx, result, computeDType, *dtype), *dtype);
    return success();
  }

  // Numerically stable: subtract the maximum before exp.
  Value maxima = buildReduction(
      b, loc, input, reduced, createLowest(b, loc, element, computeDType), true,
      [&](OpBuilder &nb, Location nl, Value acc, Value e) {
        return arith::MaximumFOp::create(nb, nl, acc, e);
      });
  Value shifted = buildElementwise(
      b, loc, ValueRange{input, maxima}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nl, args[0], args[1]);
      });
  Value exps = buildElementwise(
      b, loc, ValueRange{shifted}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return math::ExpOp::create(nb, nl, args[0]);
      });
  Value sums = buildReduction(
      b, loc, exps, reduced, createScalarConstant(b, loc, element, 0.0), true,
      [&](OpBuilder &nb, Location nl, Value acc, Value e) {
        return arith::AddFOp::create(nb, nl, acc, e);
      });
  Value result;
  if (kind == SoftmaxKind::Softmax)
    result = buildElementwise(
        b, loc, ValueRange{exps, sums}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::DivFOp::create(nb, nl, args[0], args[1]);
        });
  else
    result = buildElementwise(
        b, loc, ValueRange{shifted, sums}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value log = math::LogOp::create(nb, nl, args[1]);
          return arith::SubFOp::create(nb, nl, args[0], log);
        });
  ctx.setOutput(0, castTensor(ctx, result, computeDType, *dtype), *dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// `param` of shape [C] viewed as [C, 1, ..., 1] so that it broadcasts
/// against [N, C, D1..Dk] (numpy rules align from the right).
static Value channelView(OpBuilder &b, Location loc, Value param,
                         int64_t rank) {
  auto type = cast<RankedTensorType>(param.getType());
  SmallVector<int64_t> shape{type.getDimSize(0)};
  shape.append(rank - 2, 1);
  return reshapeTensor(b, loc, param, shape);
}

/// Mean and variance of `input` over `reduced` (kept as size-1 dims), in two
/// passes for accuracy.
static std::pair<Value, Value> meanAndVariance(OpBuilder &b, Location loc,
                                               Value input,
                                               ArrayRef<bool> reduced) {
  auto type = cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  int64_t count = 1;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (reduced[i])
      count *= type.getDimSize(i);
  auto add = [](OpBuilder &nb, Location nl, Value acc, Value e) -> Value {
    return arith::AddFOp::create(nb, nl, acc, e);
  };
  auto divideByCount = [&](Value sums) {
    return buildElementwise(
        b, loc, ValueRange{sums}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::DivFOp::create(
              nb, nl, args[0],
              createScalarConstant(nb, nl, element, double(count)));
        });
  };
  Value zero = createScalarConstant(b, loc, element, 0.0);
  Value mean =
      divideByCount(buildReduction(b, loc, input, reduced, zero, true, add));
  Value squares = buildElementwise(
      b, loc, ValueRange{input, mean}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value diff = arith::SubFOp::create(nb, nl, args[0], args[1]);
        return arith::MulFOp::create(nb, nl, diff, diff);
      });
  Value variance =
      divideByCount(buildReduction(b, loc, squares, reduced, zero, true, add));
  return {mean, variance};
}

static LogicalResult importBatchNormalization(NodeContext &ctx) {
  if (ctx.opset() >= 14 && ctx.attrInt("training_mode", 0) != 0)
    return ctx.error("training_mode=1 is not supported: qc imports inference "
                     "graphs (export the model in eval mode)");
  for (unsigned i = 1; i < ctx.numOutputs(); ++i)
    if (ctx.hasOutput(i))
      return ctx.error("output " + std::to_string(i) +
                       " (running or saved statistics) is a training output "
                       "and is not supported");
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  int64_t rank = x->shape.size();
  if (rank < 2)
    return ctx.error("input must be [N, C, ...], got " + formatShape(x->shape));
  int64_t channels = x->shape[1];
  // Opsets 7-8: spatial=0 gives each element of [C, D1..Dk] its own
  // statistics.
  bool spatial = ctx.opset() >= 9 || ctx.attrInt("spatial", 1) != 0;
  SmallVector<int64_t> paramShape{channels};
  if (!spatial)
    paramShape.assign(x->shape.begin() + 1, x->shape.end());
  for (unsigned i = 1; i <= 4; ++i) {
    FailureOr<ImportedValue> p = ctx.input(i);
    if (failed(p))
      return failure();
    if (ArrayRef<int64_t>(p->shape) != ArrayRef<int64_t>(paramShape))
      return ctx.error("input " + std::to_string(i) + " has shape " +
                       formatShape(p->shape) + ", expected " +
                       formatShape(paramShape));
  }
  double epsilon = ctx.attrFloat("epsilon", 1e-5);
  ONNXDType computeDType = computeDTypeFor(*dtype);
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();

  // factor = scale / sqrt(var + epsilon), folded on the host when the
  // parameters are constants (the usual case).
  Value factor;
  const HostTensor *scaleHost = ctx.hostInput(1);
  const HostTensor *varHost = ctx.hostInput(4);
  if (scaleHost && varHost) {
    std::vector<double> values(product(paramShape));
    for (size_t i = 0; i < values.size(); ++i)
      values[i] =
          scaleHost->getDouble(i) / std::sqrt(varHost->getDouble(i) + epsilon);
    for (double &v : values)
      v = roundToDType(v, computeDType);
    factor = ctx.materialize(
        HostTensor::fromFloats(computeDType, paramShape, std::move(values)));
  } else {
    Value scale = floatInputAs(ctx, 1, computeDType);
    Value var = floatInputAs(ctx, 4, computeDType);
    if (!scale || !var)
      return failure();
    Type element = cast<ShapedType>(scale.getType()).getElementType();
    factor = buildElementwise(
        b, loc, ValueRange{scale, var}, element,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value eps = createScalarConstant(nb, nl, element, epsilon);
          Value sum = arith::AddFOp::create(nb, nl, args[1], eps);
          Value root = math::SqrtOp::create(nb, nl, sum);
          return arith::DivFOp::create(nb, nl, args[0], root);
        });
  }
  Value input = floatInputAs(ctx, 0, computeDType);
  Value bias = floatInputAs(ctx, 2, computeDType);
  Value mean = floatInputAs(ctx, 3, computeDType);
  if (!input || !bias || !mean)
    return failure();
  if (spatial) {
    factor = channelView(b, loc, factor, rank);
    bias = channelView(b, loc, bias, rank);
    mean = channelView(b, loc, mean, rank);
  }
  Type element = cast<ShapedType>(input.getType()).getElementType();
  // (x - mean) * factor + bias: no cancellation when mean is large.
  Value result = buildElementwise(
      b, loc, ValueRange{input, mean, factor, bias}, x->shape, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value centered = arith::SubFOp::create(nb, nl, args[0], args[1]);
        Value scaled = arith::MulFOp::create(nb, nl, centered, args[2]);
        return arith::AddFOp::create(nb, nl, scaled, args[3]);
      });
  ctx.setOutput(0, castTensor(ctx, result, computeDType, *dtype), *dtype);
  return success();
}

static LogicalResult importInstanceNormalization(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  int64_t rank = x->shape.size();
  if (rank < 3)
    return ctx.error("input must be [N, C, D1, ...], got " +
                     formatShape(x->shape));
  for (unsigned i = 1; i <= 2; ++i) {
    FailureOr<ImportedValue> p = ctx.input(i);
    if (failed(p))
      return failure();
    if (p->shape.size() != 1 || p->shape[0] != x->shape[1])
      return ctx.error("input " + std::to_string(i) + " has shape " +
                       formatShape(p->shape) + ", expected [" +
                       std::to_string(x->shape[1]) + "]");
  }
  double epsilon = ctx.attrFloat("epsilon", 1e-5);
  ONNXDType computeDType = computeDTypeFor(*dtype);
  Value input = floatInputAs(ctx, 0, computeDType);
  Value scale = floatInputAs(ctx, 1, computeDType);
  Value bias = floatInputAs(ctx, 2, computeDType);
  if (!input || !scale || !bias)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  auto [mean, variance] = meanAndVariance(b, loc, input, trailingAxes(rank, 2));
  scale = channelView(b, loc, scale, rank);
  bias = channelView(b, loc, bias, rank);
  Value result = buildElementwise(
      b, loc, ValueRange{input, mean, variance, scale, bias}, x->shape, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value eps = createScalarConstant(nb, nl, element, epsilon);
        Value centered = arith::SubFOp::create(nb, nl, args[0], args[1]);
        Value root = math::SqrtOp::create(
            nb, nl, arith::AddFOp::create(nb, nl, args[2], eps));
        Value normalized = arith::DivFOp::create(nb, nl, centered, root);
        Value scaled = arith::MulFOp::create(nb, nl, normalized, args[3]);
        return arith::AddFOp::create(nb, nl, scaled, args[4]);
      });
  ctx.setOutput(0, castTensor(ctx, result, computeDType, *dtype), *dtype);
  return success();
}

static LogicalResult importLayerNormalization(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  // Mean and InvStdDev are computed (and returned) in stash_type.
  auto stash = static_cast<ONNXDType>(ctx.attrInt("stash_type", 1));
  if (!isFloatDType(stash))
    return ctx.error("stash_type " + std::to_string(int64_t(stash)) +
                     " is not supported (a float type is required)");
  ONNXDType computeDType = computeDTypeFor(stash);
  for (unsigned i = 1; i <= 2; ++i) {
    if (!ctx.hasInput(i))
      continue;
    FailureOr<ImportedValue> p = ctx.input(i);
    if (failed(p))
      return failure();
    if (p->dtype != *dtype)
      return ctx.error("input " + std::to_string(i) + " has element type " +
                       getDTypeName(p->dtype) + ", expected " +
                       getDTypeName(*dtype));
    auto shape = qc::broadcastShapes(x->shape, p->shape);
    if (failed(shape) ||
        ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(x->shape))
      return ctx.error("input " + std::to_string(i) + " of shape " +
                       formatShape(p->shape) + " does not broadcast to " +
                       formatShape(x->shape));
  }
  Value input = floatInputAs(ctx, 0, computeDType);
  Value scale = ctx.inputValue(1);
  if (!input || !scale)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  auto [mean, variance] =
      meanAndVariance(b, loc, input, trailingAxes(rank, *axis));
  double epsilon = ctx.attrFloat("epsilon", 1e-5);
  Value invStdDev = buildElementwise(
      b, loc, ValueRange{variance}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value eps = createScalarConstant(nb, nl, element, epsilon);
        Value root = math::SqrtOp::create(
            nb, nl, arith::AddFOp::create(nb, nl, args[0], eps));
        return arith::DivFOp::create(
            nb, nl, createScalarConstant(nb, nl, element, 1.0), root);
      });
  Value normalized = buildElementwise(
      b, loc, ValueRange{input, mean, invStdDev}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value centered = arith::SubFOp::create(nb, nl, args[0], args[1]);
        return arith::MulFOp::create(nb, nl, centered, args[2]);
      });
  // As the ONNX function: the normalized value is cast to T before the
  // scale and bias.
  normalized = castTensor(ctx, normalized, computeDType, *dtype);
  SmallVector<Value> operands{normalized, scale};
  if (ctx.hasInput(2)) {
    Value bias = ctx.inputValue(2);
    if (!bias)
      return failure();
    operands.push_back(bias);
  }
  Type outElement = ctx.elementType(*dtype);
  Value result = buildElementwise(
      b, loc, operands, x->shape, outElement,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(nb, nl, args[0], args[1]);
        if (args.size() > 2)
          return arith::AddFOp::create(nb, nl, scaled, args[2]);
        return scaled;
      });
  ctx.setOutput(0, result, *dtype);
  ctx.setOutput(1, castTensor(ctx, mean, computeDType, stash), stash);
  ctx.setOutput(2, castTensor(ctx, invStdDev, computeDType, stash), stash);
  return success();
}

static LogicalResult importLRN(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  int64_t rank = x->shape.size();
  if (rank < 3)
    return ctx.error("input must be [N, C, D1, ...], got " +
                     formatShape(x->shape));
  int64_t size = ctx.attrInt("size", 0);
  if (size < 1)
    return ctx.error("size " + std::to_string(size) +
                     " is invalid (a positive size is required)");
  double alpha = ctx.attrFloat("alpha", 1e-4);
  double beta = ctx.attrFloat("beta", 0.75);
  double bias = ctx.attrFloat("bias", 1.0);
  ONNXDType computeDType = computeDTypeFor(*dtype);
  Value input = floatInputAs(ctx, 0, computeDType);
  if (!input)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = b.getContext();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  // square_sum[n, c, ...] = sum of x^2 over channels
  // [c - floor((size-1)/2), c + ceil((size-1)/2)], zero outside.
  Value squares = buildElementwise(
      b, loc, ValueRange{input}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nl, args[0], args[0]);
      });
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  low[1] = (size - 1) / 2;
  high[1] = size - 1 - low[1];
  Value zero = createScalarConstant(b, loc, element, 0.0);
  Value padded = padTensor(b, loc, squares, low, high, zero);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, mctx); };
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t i = 0; i < rank; ++i) {
    inExprs.push_back(i == 1 ? d(1) + d(rank) : d(i));
    outExprs.push_back(d(i));
  }
  Value window = createEmptyTensor(b, loc, {size}, b.getI1Type());
  SmallVector<AffineMap> maps{AffineMap::get(rank + 1, 0, inExprs, mctx),
                              AffineMap::get(rank + 1, 0, d(rank)),
                              AffineMap::get(rank + 1, 0, outExprs, mctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = createFilledTensor(b, loc, x->shape, zero);
  Value sums =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{padded, window},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[2], args[0]).getResult());
          })
          .getResult(0);
  Value result = buildElementwise(
      b, loc, ValueRange{input, sums}, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(
            nb, nl, createScalarConstant(nb, nl, element, alpha / size),
            args[1]);
        Value base = arith::AddFOp::create(
            nb, nl, createScalarConstant(nb, nl, element, bias), scaled);
        Value denominator = math::PowFOp::create(
            nb, nl, base, createScalarConstant(nb, nl, element, beta));
        return arith::DivFOp::create(nb, nl, args[0], denominator);
      });
  ctx.setOutput(0, castTensor(ctx, result, computeDType, *dtype), *dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

/// The raw little-endian bytes of a dense constant, or std::nullopt.
static std::optional<ArrayRef<char>> getRawBytes(ElementsAttr attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

/// The ConvTranspose weight [Cin, Cout/G, K...] as a Conv weight
/// [Cout, Cin/G, K...]: in/out channels swapped within each group and every
/// spatial dimension reversed:
///   conv[g*Cog + o, c, k] = w[g*Cig + c, o, K-1-k]
/// Done on the weight's bytes when it is a constant, so that qc.conv gets a
/// constant weight (as quantization expects); else by a linalg.generic.
static Value convWeightFromTransposed(NodeContext &ctx, const ImportedValue &w,
                                      int64_t group) {
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  ArrayRef<int64_t> wShape = w.shape;
  int64_t spatial = wShape.size() - 2;
  int64_t cin = wShape[0], cog = wShape[1], cig = cin / group;
  SmallVector<int64_t> kernel(wShape.drop_front(2));
  SmallVector<int64_t> shape{cog * group, cig};
  shape.append(kernel);
  Type element = ctx.elementType(w.dtype);
  auto resultType = RankedTensorType::get(shape, element);

  if (w.constant) {
    if (auto dense = dyn_cast<DenseElementsAttr>(w.constant);
        dense && dense.isSplat())
      return arith::ConstantOp::create(b, loc, dense.resizeSplat(resultType));
    size_t elementSize = getDTypeSize(w.dtype);
    std::optional<ArrayRef<char>> bytes = getRawBytes(w.constant);
    int64_t count = product(shape);
    if (bytes && elementSize && bytes->size() == size_t(count) * elementSize) {
      int64_t kernelCount = product(kernel);
      std::vector<char> out(bytes->size());
      SmallVector<int64_t> k(spatial, 0);
      for (int64_t oc = 0; oc < cog * group; ++oc) {
        int64_t g = oc / cog, o = oc % cog;
        for (int64_t c = 0; c < cig; ++c) {
          for (int64_t n = 0; n < kernelCount; ++n) {
            // Destination offset n is kernel position k (row-major); the
            // source is the mirrored position.
            int64_t rem = n, mirrored = 0;
            for (int64_t i = spatial - 1, stride = 1; i >= 0; --i) {
              int64_t ki = rem % kernel[i];
              rem /= kernel[i];
              mirrored += (kernel[i] - 1 - ki) * stride;
              stride *= kernel[i];
            }
            int64_t dst = (oc * cig + c) * kernelCount + n;
            int64_t src = ((g * cig + c) * cog + o) * kernelCount + mirrored;
            std::memcpy(out.data() + dst * elementSize,
                        bytes->data() + src * elementSize, elementSize);
          }
        }
      }
      ElementsAttr attr;
      if (isa<DenseElementsAttr>(w.constant)) {
        attr = DenseElementsAttr::getFromRawBuffer(resultType, out);
      } else {
        StringRef name = "convtranspose_weight";
        if (auto resource = dyn_cast<DenseResourceElementsAttr>(w.constant))
          name = resource.getRawHandle().getKey();
        AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(out), /*align=*/64);
        attr = DenseResourceElementsAttr::get(
            resultType, (name + "_as_conv").str(), std::move(blob));
      }
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
    }
  }

  Value weight = ctx.inputValue(1);
  if (!weight)
    return {};
  MLIRContext *mctx = b.getContext();
  int64_t rank = spatial + 2;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, mctx); };
  SmallVector<AffineExpr> inExprs{d(0).floorDiv(cog) * cig + d(1), d(0) % cog};
  for (int64_t i = 0; i < spatial; ++i)
    inExprs.push_back(getAffineConstantExpr(kernel[i] - 1, mctx) - d(2 + i));
  Value empty = createEmptyTensor(b, loc, shape, element);
  SmallVector<AffineMap> maps{AffineMap::get(rank, 0, inExprs, mctx),
                              AffineMap::getMultiDimIdentityMap(rank, mctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{weight},
             ValueRange{empty}, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, args[0]);
             })
      .getResult(0);
}

static LogicalResult importConvTranspose(NodeContext &ctx) {
  FailureOr<ONNXDType> dtype = requireFloat(ctx, 0);
  if (failed(dtype) || failed(requireFloat(ctx, 1)))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  FailureOr<ImportedValue> w = ctx.input(1);
  for (unsigned i = 1; i <= 2; ++i) {
    if (!ctx.hasInput(i))
      continue;
    FailureOr<ImportedValue> v = ctx.input(i);
    if (failed(v))
      return failure();
    if (v->dtype != *dtype)
      return ctx.error("input " + std::to_string(i) + " has element type " +
                       getDTypeName(v->dtype) + ", expected " +
                       getDTypeName(*dtype));
  }
  ArrayRef<int64_t> xShape = x->shape, wShape = w->shape;
  int64_t rank = xShape.size();
  if (rank < 3 || int64_t(wShape.size()) != rank)
    return ctx.error("input must have rank >= 3 and the weight the same rank, "
                     "got " +
                     formatShape(xShape) + " and " + formatShape(wShape));
  int64_t spatial = rank - 2;
  int64_t group = ctx.attrInt("group", 1);
  if (group < 1 || xShape[1] % group != 0 || wShape[0] != xShape[1])
    return ctx.error("weight " + formatShape(wShape) + " and group " +
                     std::to_string(group) + " do not match input " +
                     formatShape(xShape) +
                     " (the weight is [C, M/group, k1, ...])");
  int64_t outChannels = wShape[1] * group;
  SmallVector<int64_t> kernel(wShape.drop_front(2));
  SmallVector<int64_t> kernelAttr = ctx.attrInts("kernel_shape");
  if (!kernelAttr.empty() &&
      ArrayRef<int64_t>(kernelAttr) != ArrayRef<int64_t>(kernel))
    return ctx.error("kernel_shape " + formatShape(kernelAttr) +
                     " differs from the weight's " + formatShape(kernel));
  FailureOr<SmallVector<int64_t>> strides =
      spatialInts(ctx, "strides", spatial, 1, 1);
  FailureOr<SmallVector<int64_t>> dilations =
      spatialInts(ctx, "dilations", spatial, 1, 1);
  FailureOr<SmallVector<int64_t>> outputPadding =
      spatialInts(ctx, "output_padding", spatial, 0, 0);
  if (failed(strides) || failed(dilations) || failed(outputPadding))
    return failure();
  if (ctx.hasInput(2)) {
    FailureOr<ImportedValue> bias = ctx.input(2);
    if (bias->shape.size() != 1 || bias->shape[0] != outChannels)
      return ctx.error("bias has shape " + formatShape(bias->shape) +
                       ", expected [" + std::to_string(outChannels) + "]");
  }

  // Output size and pads. The full result of a transposed convolution has
  // (in-1)*stride + extent + output_padding positions; `pads` crop it (a
  // negative pad, which output_shape can imply, extends it with zeros).
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  if (autoPad.empty())
    autoPad = "NOTSET";
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return ctx.error("auto_pad '" + autoPad + "' is not supported");
  SmallVector<int64_t> outputShape = ctx.attrInts("output_shape");
  if (!outputShape.empty() && int64_t(outputShape.size()) == rank)
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  if (!outputShape.empty() && int64_t(outputShape.size()) != spatial)
    return ctx.error("output_shape " + formatShape(outputShape) +
                     " must have one value per spatial dimension");
  if (outputShape.empty() &&
      (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
    for (int64_t i = 0; i < spatial; ++i)
      outputShape.push_back(xShape[2 + i] * (*strides)[i]);
  SmallVector<int64_t> padBegin(spatial, 0), padEnd(spatial, 0);
  SmallVector<int64_t> extents;
  for (int64_t i = 0; i < spatial; ++i)
    extents.push_back((kernel[i] - 1) * (*dilations)[i] + 1);
  if (!outputShape.empty()) {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t total = (*strides)[i] * (xShape[2 + i] - 1) +
                      (*outputPadding)[i] + extents[i] - outputShape[i];
      if (autoPad == "SAME_UPPER") {
        padBegin[i] = floorDiv(total, 2);
        padEnd[i] = total - padBegin[i];
      } else {
        padEnd[i] = floorDiv(total, 2);
        padBegin[i] = total - padEnd[i];
      }
    }
  } else if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads = ctx.attrInts("pads");
    if (!pads.empty()) {
      if (int64_t(pads.size()) != 2 * spatial)
        return ctx.error("pads has " + std::to_string(pads.size()) +
                         " values, expected " + std::to_string(2 * spatial));
      padBegin.assign(pads.begin(), pads.begin() + spatial);
      padEnd.assign(pads.begin() + spatial, pads.end());
    }
  }
  SmallVector<int64_t> outSpatial;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t out = (*strides)[i] * (xShape[2 + i] - 1) + (*outputPadding)[i] +
                  extents[i] - padBegin[i] - padEnd[i];
    if (out < 1)
      return ctx.error("the output would have size " + std::to_string(out) +
                       " in spatial dimension " + std::to_string(i));
    outSpatial.push_back(out);
  }

  // Y[o] = Y_full[o + padBegin]. As a stride-1 convolution with the flipped
  // kernel over the input dilated by the strides and padded with
  //   low = extent - 1 - padBegin, high = extent - 1 - padEnd + output_padding
  // (negative values crop).
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value input = ctx.inputValue(0);
  if (!input)
    return failure();
  Type element = cast<ShapedType>(input.getType()).getElementType();
  SmallVector<int64_t> dilatedShape{xShape[0], xShape[1]};
  SmallVector<int64_t> sliceOffsets{0, 0}, sliceSizes{xShape[0], xShape[1]};
  SmallVector<int64_t> insertOffsets{0, 0}, insertStrides{1, 1};
  bool empty = false, plain = true;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = xShape[2 + i], s = (*strides)[i];
    int64_t low = extents[i] - 1 - padBegin[i];
    int64_t high = extents[i] - 1 - padEnd[i] + (*outputPadding)[i];
    int64_t size = (in - 1) * s + 1 + low + high;
    dilatedShape.push_back(size);
    // Input elements that land inside [0, size).
    int64_t first = low >= 0 ? 0 : ceilDiv(-low, s);
    int64_t last = std::min(in - 1, floorDiv(size - 1 - low, s));
    int64_t count = std::max<int64_t>(0, last - first + 1);
    empty |= count == 0;
    plain &= first == 0 && count == in;
    sliceOffsets.push_back(first);
    sliceSizes.push_back(count);
    insertOffsets.push_back(low + first * s);
    insertStrides.push_back(s);
  }
  Value zero = createScalarConstant(b, loc, element, 0.0);
  Value dilated = createFilledTensor(b, loc, dilatedShape, zero);
  if (!empty) {
    Value part = input;
    if (!plain) {
      SmallVector<int64_t> ones(rank, 1);
      part = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get(sliceSizes, element), input,
          ValueRange{}, ValueRange{}, ValueRange{},
          b.getDenseI64ArrayAttr(sliceOffsets),
          b.getDenseI64ArrayAttr(sliceSizes), b.getDenseI64ArrayAttr(ones));
    }
    dilated = tensor::InsertSliceOp::create(
        b, loc, part, dilated, ValueRange{}, ValueRange{}, ValueRange{},
        b.getDenseI64ArrayAttr(insertOffsets),
        b.getDenseI64ArrayAttr(sliceSizes),
        b.getDenseI64ArrayAttr(insertStrides));
  }
  Value convWeight = convWeightFromTransposed(ctx, *w, group);
  if (!convWeight)
    return failure();
  Value bias;
  if (ctx.hasInput(2)) {
    bias = ctx.inputValue(2);
    if (!bias)
      return failure();
  }
  SmallVector<int64_t> shape{xShape[0], outChannels};
  shape.append(outSpatial);
  auto resultType = RankedTensorType::get(shape, element);
  Value result = ConvOp::create(
      b, loc, resultType, dilated, convWeight, bias,
      b.getDenseI64ArrayAttr(SmallVector<int64_t>(spatial, 1)),
      b.getDenseI64ArrayAttr(*dilations),
      b.getDenseI64ArrayAttr(SmallVector<int64_t>(2 * spatial, 0)),
      b.getI64IntegerAttr(group));
  ctx.setOutput(0, result, *dtype);
  return success();
}

void mlir::qc::onnx_import::registerNNOps(OpRegistry &r) {
  r.add("MaxPool", importMaxPool);
  r.add("AveragePool", importAveragePool);
  r.add("GlobalAveragePool",
        [](NodeContext &ctx) { return importGlobalPool(ctx, false); });
  r.add("GlobalMaxPool",
        [](NodeContext &ctx) { return importGlobalPool(ctx, true); });
  r.add("BatchNormalization", importBatchNormalization);
  r.add("InstanceNormalization", importInstanceNormalization);
  r.add("LayerNormalization", importLayerNormalization, 17);
  r.add("LRN", importLRN);
  r.add("Softmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, SoftmaxKind::Softmax);
  });
  r.add("LogSoftmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, SoftmaxKind::LogSoftmax);
  });
  r.add("Hardmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, SoftmaxKind::Hardmax);
  });
  r.add("ConvTranspose", importConvTranspose);
}
