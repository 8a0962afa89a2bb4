//===- TensorExtra.cpp - ONNX slicing, padding, resizing and friends ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Data-movement ops: Slice, Split, Expand, Tile, Pad, Range, ConstantOfShape,
// Dropout, Resize, Upsample, DepthToSpace, SpaceToDepth, Trilu, CumSum,
// OneHot and TopK.
//
// Every input that decides a shape (starts, split sizes, pads, scales, k, ...)
// must be known at compile time. Ops whose data is known too are folded on
// the host, because they occur in shape subgraphs (Slice of a Shape, Range,
// ConstantOfShape, Expand of constants).
//
// Most of these ops read each output element from input coordinates that
// depend on one output coordinate per axis (a slice, a reflection, the
// neighbours of a resize). Those are built as one `linalg.generic` that reads
// small per-axis index (and weight) tables computed on the host, so the
// run-time code never computes an index that could leave the input.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// Host outputs of ConstantOfShape up to this many elements stay on the host
/// (shape computations use them); larger ones become a `linalg.fill`.
static constexpr int64_t kHostFillLimit = 4096;

/// Largest result (in elements) these ops create: keeps shape arithmetic far
/// from int64 overflow; a model asking for more is malformed.
static constexpr int64_t kMaxResultElements = int64_t(1) << 40;

/// Longest per-axis index table (gathers, pads, resizes).
static constexpr int64_t kMaxTableEntries = int64_t(1) << 24;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static int64_t product(ArrayRef<int64_t> dims) {
  return saturatingProduct(dims);
}

static std::string str(int64_t v) { return std::to_string(v); }

/// Checks that a result shape is non-negative and not absurdly large (its
/// element count is computed without overflow).
static LogicalResult checkResultShape(NodeContext &ctx,
                                      ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return ctx.error("result shape " + formatShape(shape) +
                       " has a negative dimension");
    if (d != 0 && count > kMaxResultElements / d) {
      count = kMaxResultElements + 1;
      break;
    }
    count *= d;
  }
  // A zero dimension makes the count 0 even after an oversized one.
  if (llvm::is_contained(shape, 0))
    return success();
  if (count > kMaxResultElements)
    return ctx.error("result shape " + formatShape(shape) +
                     " has too many elements");
  return success();
}

/// A double for messages, shortest form ("0.5", "1e+30").
static std::string strf(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

/// An integer or index constant holding exactly `value` (createScalarConstant
/// goes through double, which loses int64 precision).
static Value intConstant(OpBuilder &b, Location loc, Type type, int64_t value) {
  if (type.isIndex())
    return arith::ConstantIndexOp::create(b, loc, value);
  auto intType = cast<IntegerType>(type);
  return arith::ConstantOp::create(
      b, loc, intType,
      b.getIntegerAttr(intType, APInt(intType.getWidth(), uint64_t(value),
                                      /*isSigned=*/false,
                                      /*implicitTrunc=*/true)));
}

/// Element `i` of a host tensor as a scalar constant of `type`.
static Value hostElementConstant(OpBuilder &b, Location loc, Type type,
                                 const HostTensor &t, int64_t i) {
  if (isa<FloatType>(type))
    return createScalarConstant(b, loc, type, t.getDouble(i));
  return intConstant(b, loc, type, t.getInt(i));
}

/// A tensor of `shape` filled with element 0 of `value`.
static Value createFilledFromHost(NodeContext &ctx, ArrayRef<int64_t> shape,
                                  Type element, const HostTensor &value) {
  Value scalar =
      hostElementConstant(ctx.builder(), ctx.loc(), element, value, 0);
  return createFilledTensor(ctx.builder(), ctx.loc(), shape, scalar);
}

static SmallVector<utils::IteratorType> parallelIterators(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

static SmallVector<OpFoldResult> indexAttrs(OpBuilder &b,
                                            ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> result;
  for (int64_t v : values)
    result.push_back(b.getIndexAttr(v));
  return result;
}

/// Reads a compile-time integer input as a list of int64 (rank 0 or 1).
static FailureOr<SmallVector<int64_t>>
requireHostInts(NodeContext &ctx, unsigned i, StringRef what) {
  FailureOr<const HostTensor *> t = ctx.requireHostInput(i, what);
  if (failed(t))
    return failure();
  if ((*t)->isFloat()) {
    ctx.emitError() << "input " << i << " ('" << what
                    << "') must be an integer tensor, got "
                    << getDTypeName((*t)->dtype);
    return failure();
  }
  if ((*t)->rank() > 1) {
    ctx.emitError() << "input " << i << " ('" << what
                    << "') must be 1-D, got shape " << formatShape((*t)->shape);
    return failure();
  }
  std::vector<int64_t> values = (*t)->toInts();
  return SmallVector<int64_t>(values.begin(), values.end());
}

/// Reads a compile-time scalar (rank 0, or one element) input.
static FailureOr<const HostTensor *>
requireHostScalar(NodeContext &ctx, unsigned i, StringRef what) {
  FailureOr<const HostTensor *> t = ctx.requireHostInput(i, what);
  if (failed(t))
    return failure();
  if ((*t)->numElements() != 1) {
    ctx.emitError() << "input " << i << " ('" << what
                    << "') must hold one element, got shape "
                    << formatShape((*t)->shape);
    return failure();
  }
  return *t;
}

/// Reads the single element of a (rank 0 or one-element) tensor at run time.
static Value extractScalar(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros;
  if (type.getRank() > 0)
    zeros.assign(type.getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

/// For each output axis, the input index each output index reads, or -1 for
/// the fill value. An empty map reads the same index.
using AxisMap = std::vector<int64_t>;

/// Evaluates a separable gather on the host: out[i0, i1, ...] =
/// in[map0[i0], map1[i1], ...], or element 0 of `fill` (zero if null) where a
/// map holds -1. Input and output have the same rank. Returns std::nullopt
/// if the result is too large to keep on the host.
static std::optional<HostTensor> gatherOnHost(const HostTensor &in,
                                              ArrayRef<int64_t> outShape,
                                              ArrayRef<AxisMap> maps,
                                              const HostTensor *fill) {
  int64_t count = product(outShape);
  if (count > kMaxHostElements)
    return std::nullopt;
  int64_t rank = outShape.size();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * in.shape[d + 1];
  HostTensor out;
  out.dtype = in.dtype;
  out.shape.assign(outShape.begin(), outShape.end());
  bool isFloat = in.isFloat();
  double fillFloat = fill ? fill->getDouble(0) : 0.0;
  int64_t fillInt = fill ? fill->getInt(0) : 0;
  if (isFloat)
    out.floats.reserve(count);
  else
    out.ints.reserve(count);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank && src >= 0; ++d) {
      int64_t j = maps[d].empty() ? index[d] : maps[d][index[d]];
      src = j < 0 ? -1 : src + j * strides[d];
    }
    if (isFloat)
      out.floats.push_back(src < 0 ? fillFloat : in.floats[src]);
    else
      out.ints.push_back(src < 0 ? fillInt : in.ints[src]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

namespace {
/// How one output axis samples its input axis: for each output index,
/// `numTaps` input indices (already clamped into the input) and, when
/// interpolating, their weights. `inside` (optional, one flag per output
/// index) selects the extrapolation value where 0.
struct AxisTaps {
  int64_t numTaps = 1;
  std::vector<int64_t> indices; // [outIndex * numTaps + tap]
  std::vector<double> weights;  // same layout; empty for a pure gather
  std::vector<int64_t> inside;  // [outIndex]; empty if always inside
};
} // namespace

/// Builds a separable gather or interpolation: output element (i0, i1, ...)
/// is sum over taps of prod(weight) * input[idx0, idx1, ...], where axes
/// without taps read their own coordinate. Index and weight tables are
/// constants read through the generic's operands; the input is read with
/// tensor.extract. `computeType` is the float type interpolation runs in
/// (null for a pure gather with one tap per axis).
static Value buildSampling(NodeContext &ctx, Value input,
                           ArrayRef<int64_t> outShape,
                           ArrayRef<std::optional<AxisTaps>> axes,
                           Type computeType, double extrapolation = 0.0) {
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  Type element = cast<RankedTensorType>(input.getType()).getElementType();
  int64_t rank = outShape.size();
  Value init = createEmptyTensor(b, loc, outShape, element);
  if (product(outShape) == 0)
    return init;

  struct Slot {
    int64_t axis;
    SmallVector<unsigned> index, weight;
    int inside = -1;
  };
  SmallVector<Slot> active;
  SmallVector<Value> tables;
  SmallVector<AffineMap> maps;
  ONNXDType weightDType =
      computeType && computeType.isF64() ? ONNXDType::Double : ONNXDType::Float;
  auto addTable = [&](HostTensor table, int64_t axis) -> unsigned {
    tables.push_back(ctx.materialize(table));
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(axis, mctx)));
    return tables.size() - 1;
  };
  for (int64_t d = 0; d < rank; ++d) {
    if (!axes[d])
      continue;
    const AxisTaps &taps = *axes[d];
    int64_t out = outShape[d];
    Slot slot{d, {}, {}, -1};
    for (int64_t t = 0; t < taps.numTaps; ++t) {
      std::vector<int64_t> idx(out);
      for (int64_t i = 0; i < out; ++i)
        idx[i] = taps.indices[i * taps.numTaps + t];
      slot.index.push_back(
          addTable(HostTensor::fromInts(ONNXDType::Int64, {out}, idx), d));
      if (computeType) {
        std::vector<double> w(out);
        for (int64_t i = 0; i < out; ++i)
          w[i] = taps.weights[i * taps.numTaps + t];
        slot.weight.push_back(
            addTable(HostTensor::fromFloats(weightDType, {out}, w), d));
      }
    }
    if (!taps.inside.empty())
      slot.inside = addTable(
          HostTensor::fromInts(ONNXDType::Bool, {out}, taps.inside), d);
    active.push_back(std::move(slot));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, mctx));

  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, tables, ValueRange{init}, maps,
      parallelIterators(rank),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> coords(rank);
        for (int64_t d = 0; d < rank; ++d)
          if (!axes[d])
            coords[d] = linalg::IndexOp::create(nb, nl, d);
        // Nested like the ONNX reference: the first interpolated axis is
        // the outermost sum.
        std::function<Value(size_t)> sample = [&](size_t k) -> Value {
          if (k == active.size()) {
            Value v = tensor::ExtractOp::create(nb, nl, input, coords);
            if (computeType && v.getType() != computeType)
              v = arith::ExtFOp::create(nb, nl, computeType, v);
            return v;
          }
          const Slot &slot = active[k];
          Value sum;
          for (size_t t = 0; t < slot.index.size(); ++t) {
            coords[slot.axis] = arith::IndexCastOp::create(
                nb, nl, nb.getIndexType(), args[slot.index[t]]);
            Value v = sample(k + 1);
            if (!computeType)
              return v;
            Value term = arith::MulFOp::create(nb, nl, args[slot.weight[t]], v);
            sum = sum ? arith::AddFOp::create(nb, nl, sum, term).getResult()
                      : term;
          }
          return sum;
        };
        Value result = sample(0);
        if (computeType && result.getType() != element)
          result = arith::TruncFOp::create(nb, nl, element, result);
        Value inside;
        for (const Slot &slot : active)
          if (slot.inside >= 0)
            inside = inside ? arith::AndIOp::create(nb, nl, inside,
                                                    args[slot.inside])
                                  .getResult()
                            : args[slot.inside];
        if (inside) {
          Value fill = createScalarConstant(nb, nl, element, extrapolation);
          result = arith::SelectOp::create(nb, nl, inside, result, fill);
        }
        linalg::YieldOp::create(nb, nl, result);
      });
  return generic.getResult(0);
}

/// A separable gather (one tap per axis) from per-axis index maps; empty
/// maps read the same coordinate.
static Value buildGather(NodeContext &ctx, Value input,
                         ArrayRef<int64_t> outShape, ArrayRef<AxisMap> maps) {
  SmallVector<std::optional<AxisTaps>> axes;
  for (const AxisMap &map : maps) {
    if (map.empty()) {
      axes.push_back(std::nullopt);
      continue;
    }
    AxisTaps taps;
    taps.indices = map;
    axes.push_back(std::move(taps));
  }
  return buildSampling(ctx, input, outShape, axes, Type());
}

/// tensor.extract_slice with static offsets, sizes and positive strides.
static Value extractSlice(OpBuilder &b, Location loc, Value input,
                          ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                          ArrayRef<int64_t> strides) {
  auto type = cast<RankedTensorType>(input.getType());
  bool identity = type.getShape() == sizes;
  for (size_t d = 0; d < offsets.size(); ++d)
    identity &= offsets[d] == 0 && (strides[d] == 1 || sizes[d] <= 1);
  if (identity)
    return input;
  return tensor::ExtractSliceOp::create(b, loc, input, indexAttrs(b, offsets),
                                        indexAttrs(b, sizes),
                                        indexAttrs(b, strides));
}

//===----------------------------------------------------------------------===//
// Slice, Split
//===----------------------------------------------------------------------===//

/// Number of elements from `start` (inclusive) towards `end` (exclusive) in
/// steps of `step`, without overflow for any step.
static int64_t sliceCount(int64_t start, int64_t end, int64_t step) {
  if (step > 0)
    return end > start ? 1 + int64_t(uint64_t(end - start - 1) / uint64_t(step))
                       : 0;
  uint64_t magnitude = uint64_t(0) - uint64_t(step);
  return start > end ? 1 + int64_t(uint64_t(start - end - 1) / magnitude) : 0;
}

static LogicalResult importSlice(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  bool hasAxes = false, hasSteps = false;
  if (ctx.opset() < 10) {
    if (!ctx.hasAttr("starts") || !ctx.hasAttr("ends"))
      return ctx.error("the starts and ends attributes are required");
    starts = ctx.attrInts("starts");
    ends = ctx.attrInts("ends");
    if ((hasAxes = ctx.hasAttr("axes")))
      axes = ctx.attrInts("axes");
  } else {
    auto s = requireHostInts(ctx, 1, "starts");
    if (failed(s))
      return failure();
    starts = *s;
    auto e = requireHostInts(ctx, 2, "ends");
    if (failed(e))
      return failure();
    ends = *e;
    if ((hasAxes = ctx.hasInput(3))) {
      auto a = requireHostInts(ctx, 3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if ((hasSteps = ctx.hasInput(4))) {
      auto st = requireHostInts(ctx, 4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  size_t n = starts.size();
  if (ends.size() != n)
    return ctx.error("starts has " + str(n) + " entries but ends has " +
                     str(ends.size()));
  if (!hasAxes)
    for (size_t i = 0; i < n; ++i)
      axes.push_back(i);
  if (axes.size() != n)
    return ctx.error("starts has " + str(n) + " entries but axes has " +
                     str(axes.size()));
  if (!hasSteps)
    steps.assign(n, 1);
  if (steps.size() != n)
    return ctx.error("starts has " + str(n) + " entries but steps has " +
                     str(steps.size()));

  SmallVector<int64_t> start(rank, 0), step(rank, 1), size(x->shape);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < n; ++i) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return ctx.error("axis " + str(axes[i]) + " is repeated");
    seen[*axis] = true;
    int64_t st = steps[i];
    if (st == 0)
      return ctx.error("steps[" + str(i) + "] is 0; steps must be non-zero");
    int64_t dim = x->shape[*axis];
    // Negative starts/ends count from the back (adding dim cannot overflow:
    // they are negative), then clamp as ONNX specifies per step sign; this
    // also handles the INT64_MAX / INT64_MIN "to the end" sentinels.
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    int64_t count;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = sliceCount(s, e, st);
    } else if (dim == 0) {
      s = 0;
      count = 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = sliceCount(s, e, st);
    }
    start[*axis] = s;
    // A step larger than the dimension reads one element; keep the stride
    // small so that index arithmetic stays in range.
    step[*axis] = count <= 1 ? 1 : st;
    size[*axis] = count;
  }

  SmallVector<AxisMap> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (start[d] == 0 && step[d] == 1 && size[d] == x->shape[d])
      continue;
    for (int64_t i = 0; i < size[d]; ++i)
      maps[d].push_back(start[d] + i * step[d]);
  }
  if (x->host)
    if (auto out = gatherOnHost(*x->host, size, maps, nullptr)) {
      ctx.setHostOutput(0, std::move(*out));
      return success();
    }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  OpBuilder &b = ctx.builder();
  Value result;
  if (product(size) == 0)
    result = createEmptyTensor(
        b, ctx.loc(), size,
        cast<RankedTensorType>(value.getType()).getElementType());
  else if (llvm::all_of(step, [](int64_t s) { return s > 0; }))
    result = extractSlice(b, ctx.loc(), value, start, size, step);
  else
    // tensor.extract_slice has no negative strides: gather the reversed
    // axes through index tables.
    result = buildGather(ctx, value, size, maps);
  ctx.setOutput(0, result, x->dtype);
  return success();
}

static LogicalResult importSplit(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("cannot split a scalar");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t numOutputs = ctx.numOutputs();
  int64_t dim = x->shape[*axis];
  SmallVector<int64_t> sizes;
  if (ctx.opset() >= 13) {
    if (ctx.hasInput(1)) {
      auto s = requireHostInts(ctx, 1, "split");
      if (failed(s))
        return failure();
      sizes = *s;
    }
  } else {
    sizes = ctx.attrInts("split");
  }
  if (sizes.empty()) {
    // Before opset 18 an equal split must divide the axis exactly.
    if (numOutputs == 0 || dim % numOutputs != 0)
      return ctx.error("cannot split axis " + str(*axis) + " of size " +
                       str(dim) + " into " + str(numOutputs) + " equal parts");
    sizes.assign(numOutputs, dim / numOutputs);
  }
  if (int64_t(sizes.size()) != numOutputs)
    return ctx.error("split has " + str(sizes.size()) + " entries for " +
                     str(numOutputs) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return ctx.error("split size " + str(s) + " is negative");
    // Compared before adding: huge sizes would overflow the sum.
    if (s > dim - total)
      return ctx.error("split sizes sum to more than the size " + str(dim) +
                       " of axis " + str(*axis));
    total += s;
  }
  if (total != dim)
    return ctx.error("split sizes sum to " + str(total) + " but axis " +
                     str(*axis) + " has size " + str(dim));

  Value value;
  int64_t offset = 0;
  for (int64_t i = 0; i < numOutputs; ++i) {
    SmallVector<int64_t> shape = x->shape, offsets(rank, 0);
    shape[*axis] = sizes[i];
    offsets[*axis] = offset;
    offset += sizes[i];
    if (!ctx.hasOutput(i))
      continue;
    if (x->host) {
      SmallVector<AxisMap> maps(rank);
      for (int64_t j = 0; j < sizes[i]; ++j)
        maps[*axis].push_back(offsets[*axis] + j);
      if (auto out = gatherOnHost(*x->host, shape, maps, nullptr)) {
        ctx.setHostOutput(i, std::move(*out));
        continue;
      }
    }
    if (!value && !(value = ctx.inputValue(0)))
      return failure();
    OpBuilder &b = ctx.builder();
    Value result =
        sizes[i] == 0
            ? createEmptyTensor(
                  b, ctx.loc(), shape,
                  cast<RankedTensorType>(value.getType()).getElementType())
            : extractSlice(b, ctx.loc(), value, offsets, shape,
                           SmallVector<int64_t>(rank, 1));
    ctx.setOutput(i, result, x->dtype);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile
//===----------------------------------------------------------------------===//

static LogicalResult importExpand(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  auto shape = requireHostInts(ctx, 1, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.error("shape " + formatShape(*shape) +
                       " has a negative dimension");
  // Bidirectional: the result is the broadcast of both shapes, so a 1 in
  // `shape` keeps the input's dimension.
  auto outShape = broadcastShapes(ctx, {x->shape, *shape});
  if (failed(outShape) || failed(checkResultShape(ctx, *outShape)))
    return failure();
  if (x->host) {
    const HostTensor &in = *x->host;
    auto out = foldElementwiseOnHost(
        {&in}, *outShape, in.dtype,
        [&](HostTensor &o, int64_t n, ArrayRef<int64_t> flat) {
          if (o.isFloat())
            o.floats[n] = in.floats[flat[0]];
          else
            o.ints[n] = in.ints[flat[0]];
        });
    if (out) {
      ctx.setHostOutput(0, std::move(*out));
      return success();
    }
  }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  ctx.setOutput(0, broadcastTo(ctx.builder(), ctx.loc(), value, *outShape),
                x->dtype);
  return success();
}

static LogicalResult importTile(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  auto repeats = requireHostInts(ctx, 1, "repeats");
  if (failed(repeats))
    return failure();
  int64_t rank = x->shape.size();
  if (int64_t(repeats->size()) != rank)
    return ctx.error("repeats has " + str(repeats->size()) +
                     " entries for an input of rank " + str(rank));
  SmallVector<int64_t> outShape;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*repeats)[d] < 0)
      return ctx.error("repeats " + formatShape(*repeats) +
                       " has a negative entry");
    int64_t size;
    if (__builtin_mul_overflow(x->shape[d], (*repeats)[d], &size))
      return ctx.error("repeats " + formatShape(*repeats) + " are too large");
    outShape.push_back(size);
  }
  if (failed(checkResultShape(ctx, outShape)))
    return failure();
  if (x->host && product(outShape) <= kMaxHostElements) {
    SmallVector<AxisMap> maps(rank);
    for (int64_t d = 0; d < rank; ++d)
      if ((*repeats)[d] != 1)
        for (int64_t i = 0; i < outShape[d]; ++i)
          maps[d].push_back(i % x->shape[d]);
    if (auto out = gatherOnHost(*x->host, outShape, maps, nullptr)) {
      ctx.setHostOutput(0, std::move(*out));
      return success();
    }
  }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  if (ArrayRef<int64_t>(outShape) == ArrayRef<int64_t>(x->shape)) {
    ctx.setOutput(0, value, x->dtype);
    return success();
  }
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  if (product(outShape) == 0) {
    ctx.setOutput(0, createEmptyTensor(b, loc, outShape, element), x->dtype);
    return success();
  }
  // Broadcast to [r0, d0, r1, d1, ...] (a plain linalg copy that reads
  // (d0, d1, ...)), then merge each (ri, di) pair: row-major, that is the
  // tiled layout.
  SmallVector<int64_t> wideShape;
  SmallVector<AffineExpr> inExprs;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t d = 0; d < rank; ++d) {
    wideShape.push_back((*repeats)[d]);
    wideShape.push_back(x->shape[d]);
    inExprs.push_back(getAffineDimExpr(2 * d + 1, mctx));
    reassociation.push_back({2 * d, 2 * d + 1});
  }
  int64_t wideRank = wideShape.size();
  Value init = createEmptyTensor(b, loc, wideShape, element);
  SmallVector<AffineMap> maps{
      AffineMap::get(wideRank, 0, inExprs, mctx),
      AffineMap::getMultiDimIdentityMap(wideRank, mctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{value}, ValueRange{init},
      maps, parallelIterators(wideRank),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, args[0]);
      });
  Value result = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(outShape, element), generic.getResult(0),
      reassociation);
  ctx.setOutput(0, result, x->dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// The input index that output index `j` (relative to the unpadded start)
/// reads in edge or reflect mode for an axis of size `n` > 0.
static int64_t padSourceIndex(int64_t j, int64_t n, bool reflect) {
  if (j >= 0 && j < n)
    return j;
  if (!reflect || n == 1)
    return std::clamp<int64_t>(j, 0, n - 1);
  // numpy's "reflect" is periodic with period 2(n-1) for any pad width.
  int64_t period = 2 * (n - 1);
  j %= period;
  if (j < 0)
    j += period;
  return j < n ? j : period - j;
}

static LogicalResult importPad(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  std::string mode = ctx.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return ctx.error("mode '" + mode +
                     "' is not supported (constant, reflect and edge are)");
  SmallVector<int64_t> pads;
  // The constant: known (`fill`), or read at run time (`fillInput`).
  std::optional<HostTensor> fill;
  bool fillInput = false;
  if (ctx.opset() < 11) {
    if (!ctx.hasAttr("pads"))
      return ctx.error("the pads attribute is required");
    pads = ctx.attrInts("pads");
    double v = ctx.attrFloat("value", 0.0);
    fill = isFloatDType(x->dtype)
               ? HostTensor::fromFloats(x->dtype, {}, {v})
               : HostTensor::fromInts(x->dtype, {},
                                      {wrapToDType(int64_t(v), x->dtype)});
  } else {
    auto p = requireHostInts(ctx, 1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (ctx.hasInput(2) && mode == "constant") {
      FailureOr<ImportedValue> c = ctx.input(2);
      if (failed(c))
        return failure();
      if (product(c->shape) != 1)
        return ctx.error("constant_value must hold one element, got shape " +
                         formatShape(c->shape));
      if (c->dtype != x->dtype)
        return ctx.error("constant_value has type " + getDTypeName(c->dtype) +
                         " but data has type " + getDTypeName(x->dtype));
      if (c->host)
        fill = *c->host;
      else
        fillInput = true;
    }
  }
  if (int64_t(pads.size()) != 2 * rank)
    return ctx.error("pads has " + str(pads.size()) +
                     " entries; expected 2 * rank = " + str(2 * rank));

  // Negative pads crop first; the remaining positive pads then extend the
  // cropped tensor (edge and reflect read the cropped border).
  SmallVector<int64_t> cropOffset(rank), cropSize(rank), low(rank), high(rank),
      outShape(rank);
  bool crop = false, pad = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t begin = pads[d], end = pads[d + rank], dim = x->shape[d];
    cropOffset[d] = std::max<int64_t>(0, -begin);
    cropSize[d] = dim - cropOffset[d] - std::max<int64_t>(0, -end);
    if (cropSize[d] < 0)
      return ctx.error("pads " + formatShape(pads) + " remove more than the " +
                       str(dim) + " elements of axis " + str(d));
    low[d] = std::max<int64_t>(0, begin);
    high[d] = std::max<int64_t>(0, end);
    if (__builtin_add_overflow(cropSize[d], low[d], &outShape[d]) ||
        __builtin_add_overflow(outShape[d], high[d], &outShape[d]) ||
        (mode != "constant" && outShape[d] > kMaxTableEntries))
      return ctx.error("pads " + formatShape(pads) + " are too large");
    crop |= cropSize[d] != dim;
    pad |= low[d] || high[d];
    if (mode != "constant" && cropSize[d] == 0 && (low[d] || high[d]))
      return ctx.error("cannot " + mode + "-pad axis " + str(d) +
                       ", which is empty");
  }
  if (failed(checkResultShape(ctx, outShape)))
    return failure();
  // Index maps serve host folding and the edge/reflect gather only (the
  // latter's axes are bounded by kMaxTableEntries above).
  bool foldOnHost =
      x->host && !fillInput && product(outShape) <= kMaxHostElements;

  // Per axis: the input index of each output index, -1 for the constant.
  SmallVector<AxisMap> maps(rank);
  for (int64_t d = 0; d < rank && (foldOnHost || mode != "constant"); ++d) {
    if (cropSize[d] == x->shape[d] && !low[d] && !high[d])
      continue;
    for (int64_t i = 0; i < outShape[d]; ++i) {
      int64_t j = i - low[d];
      if (mode == "constant")
        maps[d].push_back(j >= 0 && j < cropSize[d] ? cropOffset[d] + j : -1);
      else
        maps[d].push_back(cropOffset[d] +
                          padSourceIndex(j, cropSize[d], mode == "reflect"));
    }
  }
  if (foldOnHost)
    if (auto out =
            gatherOnHost(*x->host, outShape, maps, fill ? &*fill : nullptr)) {
      ctx.setHostOutput(0, std::move(*out));
      return success();
    }

  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  if (product(outShape) == 0) {
    ctx.setOutput(0, createEmptyTensor(b, loc, outShape, element), x->dtype);
    return success();
  }
  if (mode != "constant") {
    // Edge/reflect index maps already include the crop offset.
    ctx.setOutput(0, buildGather(ctx, value, outShape, maps), x->dtype);
    return success();
  }
  if (crop)
    value = extractSlice(b, loc, value, cropOffset, cropSize,
                         SmallVector<int64_t>(rank, 1));
  if (pad) {
    Value padValue;
    if (fillInput) {
      Value c = ctx.inputValue(2);
      if (!c)
        return failure();
      padValue = extractScalar(b, loc, c);
    } else if (fill) {
      padValue = hostElementConstant(b, loc, element, *fill, 0);
    } else {
      padValue = isa<FloatType>(element)
                     ? createScalarConstant(b, loc, element, 0.0)
                     : intConstant(b, loc, element, 0);
    }
    value = tensor::PadOp::create(
        b, loc, RankedTensorType::get(outShape, element), value,
        indexAttrs(b, low), indexAttrs(b, high), padValue);
  }
  ctx.setOutput(0, value, x->dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Range, ConstantOfShape, Dropout
//===----------------------------------------------------------------------===//

static LogicalResult importRange(NodeContext &ctx) {
  FailureOr<const HostTensor *> start = requireHostScalar(ctx, 0, "start");
  if (failed(start))
    return failure();
  FailureOr<const HostTensor *> limit = requireHostScalar(ctx, 1, "limit");
  if (failed(limit))
    return failure();
  FailureOr<const HostTensor *> delta = requireHostScalar(ctx, 2, "delta");
  if (failed(delta))
    return failure();
  ONNXDType dtype = (*start)->dtype;
  if ((*limit)->dtype != dtype || (*delta)->dtype != dtype)
    return ctx.error("start, limit and delta must have the same type");
  if (isFloatDType(dtype)) {
    double s = (*start)->getDouble(0), l = (*limit)->getDouble(0),
           d = (*delta)->getDouble(0);
    if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return ctx.error("start, limit and delta must be finite");
    if (d == 0)
      return ctx.error("delta is 0");
    double count = std::max(std::ceil((l - s) / d), 0.0);
    if (count > double(kMaxHostElements))
      return ctx.error("the range has " + strf(count) +
                       " elements, more than qc folds (" +
                       str(kMaxHostElements) + ")");
    std::vector<double> values;
    for (int64_t i = 0; i < int64_t(count); ++i)
      values.push_back(roundToDType(s + double(i) * d, dtype));
    ctx.setHostOutput(
        0, HostTensor::fromFloats(dtype, {int64_t(count)}, std::move(values)));
    return success();
  }
  __int128 s = (*start)->getInt(0), l = (*limit)->getInt(0),
           d = (*delta)->getInt(0);
  if (d == 0)
    return ctx.error("delta is 0");
  // ceil((l - s) / d), exact in 128 bits.
  __int128 diff = l - s;
  __int128 count = diff / d;
  if (count * d != diff && ((diff > 0) == (d > 0)))
    ++count;
  if (count < 0)
    count = 0;
  if (count > kMaxHostElements)
    return ctx.error("the range has more than " + str(kMaxHostElements) +
                     " elements");
  std::vector<int64_t> values;
  for (int64_t i = 0; i < int64_t(count); ++i)
    values.push_back(wrapToDType(int64_t(s + i * d), dtype));
  ctx.setHostOutput(
      0, HostTensor::fromInts(dtype, {int64_t(count)}, std::move(values)));
  return success();
}

static LogicalResult importConstantOfShape(NodeContext &ctx) {
  auto shape = requireHostInts(ctx, 0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.error("shape " + formatShape(*shape) +
                       " has a negative dimension");
  HostTensor value = HostTensor::fromFloats(ONNXDType::Float, {1}, {0.0});
  if (const onnx::TensorProto *tensor = ctx.attrTensor("value")) {
    std::string error;
    FailureOr<ElementsAttr> attr =
        convertTensorProto(*tensor, ctx.context(), "", 16, error);
    if (failed(attr))
      return ctx.error("value: " + error);
    ONNXDType dtype = getTensorProtoDType(*tensor);
    std::optional<HostTensor> host = HostTensor::fromAttr(*attr, dtype);
    if (!host || host->numElements() != 1)
      return ctx.error("value must be a tensor of one element");
    value = std::move(*host);
  }
  if (failed(checkResultShape(ctx, *shape)))
    return failure();
  int64_t count = product(*shape);
  if (count <= kHostFillLimit) {
    HostTensor out;
    out.dtype = value.dtype;
    out.shape = *shape;
    if (value.isFloat())
      out.floats.assign(count, value.floats[0]);
    else
      out.ints.assign(count, value.ints[0]);
    ctx.setHostOutput(0, std::move(out));
    return success();
  }
  Type element = ctx.elementType(value.dtype);
  if (!element)
    return failure();
  ctx.setOutput(0, createFilledFromHost(ctx, *shape, element, value),
                value.dtype);
  return success();
}

static LogicalResult importDropout(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  // The ratio (attribute before opset 12, input since) only matters in
  // training; inference is the identity whatever its value.
  if (ctx.opset() >= 12 && ctx.hasInput(2)) {
    auto training = requireHostScalar(ctx, 2, "training_mode");
    if (failed(training))
      return failure();
    if ((*training)->getDouble(0) != 0)
      return ctx.error("training_mode is true; qc compiles inference only "
                       "(random dropout is not supported)");
  }
  ctx.setOutput(0, *x);
  if (ctx.hasOutput(1)) {
    // The mask keeps everything: bool from opset 10, the data type before.
    ONNXDType dtype = ctx.opset() >= 10 ? ONNXDType::Bool : x->dtype;
    Type element = ctx.elementType(dtype);
    if (!element)
      return failure();
    HostTensor one = isFloatDType(dtype)
                         ? HostTensor::fromFloats(dtype, {}, {1.0})
                         : HostTensor::fromInts(dtype, {}, {1});
    ctx.setOutput(1, createFilledFromHost(ctx, x->shape, element, one), dtype);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

namespace {
enum class SampleMode { Nearest, Linear, Cubic };

struct ResizeConfig {
  SampleMode mode = SampleMode::Nearest;
  std::string coordinateMode = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
  /// Resize-10 and Upsample: asymmetric coordinates; nearest rounds down
  /// when upsampling and up when downsampling (as onnxruntime does).
  bool legacy = false;
};

/// One axis: sizes, the scale of the coordinate transform, the "output
/// width" (scale * input, as the ONNX reference computes it) and the roi.
struct ResizeAxis {
  int64_t in = 1, out = 1;
  double scale = 1.0, outWidth = 1.0;
  double roiStart = 0.0, roiEnd = 1.0;
};
} // namespace

/// The taps of one resized axis, following the ONNX reference
/// implementation (onnx/backend/test/case/node/resize.py); std::nullopt if
/// the axis is unchanged.
static std::optional<AxisTaps> computeResizeTaps(const ResizeConfig &cfg,
                                                 const ResizeAxis &axis) {
  int64_t in = axis.in, out = axis.out;
  AxisTaps taps;
  taps.numTaps = cfg.mode == SampleMode::Nearest  ? 1
                 : cfg.mode == SampleMode::Linear ? 2
                                                  : 4;
  std::string ct = cfg.legacy ? "asymmetric" : cfg.coordinateMode;
  bool tfCrop = ct == "tf_crop_and_resize";
  bool identity = in == out;
  for (int64_t x = 0; x < out; ++x) {
    double xr = double(x), scale = axis.scale, width = axis.outWidth;
    double xo;
    if (ct == "half_pixel")
      xo = (xr + 0.5) / scale - 0.5;
    else if (ct == "pytorch_half_pixel")
      xo = width == 1 ? -0.5 : (xr + 0.5) / scale - 0.5;
    else if (ct == "align_corners")
      xo = width == 1 ? 0.0 : double(x * (in - 1)) / (width - 1);
    else if (ct == "asymmetric")
      xo = xr / scale;
    else if (ct == "tf_half_pixel_for_nn")
      xo = (xr + 0.5) / scale;
    else { // tf_crop_and_resize
      double span = axis.roiEnd - axis.roiStart;
      xo = width == 1 ? span * double(in - 1) / 2
                      : xr * span * double(in - 1) / (width - 1);
      xo += axis.roiStart * double(in - 1);
    }
    if (tfCrop) {
      bool inside = xo >= 0 && xo <= double(in - 1);
      taps.inside.push_back(inside);
      identity &= inside;
    }
    // Keep far-away coordinates (tf_crop_and_resize outside the roi, where
    // the value is the extrapolation anyway) in int64 range.
    if (std::isnan(xo))
      xo = 0;
    xo = std::clamp(xo, -4.0, double(in) + 4.0);
    double floorX = std::floor(xo);
    bool integral = xo == floorX;
    auto clampIndex = [&](double i) {
      return std::clamp<int64_t>(int64_t(i), 0, in - 1);
    };
    if (cfg.mode == SampleMode::Nearest) {
      double pick = floorX;
      if (!integral) {
        double ratio = xo - floorX;
        const std::string &nm = cfg.nearestMode;
        bool up;
        if (cfg.legacy)
          up = scale < 1;
        else if (nm == "round_prefer_floor")
          up = ratio > 0.5;
        else if (nm == "round_prefer_ceil")
          up = ratio >= 0.5;
        else
          up = nm == "ceil";
        pick = up ? floorX + 1 : floorX;
      }
      int64_t idx = clampIndex(pick);
      taps.indices.push_back(idx);
      identity &= idx == x;
      continue;
    }
    // The reference picks the neighbours below x_ori first: for an integral
    // x_ori the ratio is 1 (not 0) and the taps shift down by one.
    double base = integral ? xo - 1 : floorX;
    double ratio = integral ? 1.0 : xo - floorX;
    SmallVector<double, 4> coeffs;
    SmallVector<double, 4> points;
    if (cfg.mode == SampleMode::Linear) {
      coeffs = {1 - ratio, ratio};
      points = {base, base + 1};
    } else {
      double a = cfg.cubicA, r = ratio, s = 1 - ratio;
      coeffs = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                ((a + 2) * r - (a + 3)) * r * r + 1,
                ((a + 2) * s - (a + 3)) * s * s + 1,
                ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
      points = {base - 1, base, base + 1, base + 2};
    }
    if (cfg.excludeOutside) {
      double sum = 0;
      for (size_t t = 0; t < coeffs.size(); ++t) {
        if (points[t] < 0 || points[t] >= double(in))
          coeffs[t] = 0;
        sum += coeffs[t];
      }
      if (sum != 0)
        for (double &c : coeffs)
          c /= sum;
    }
    double selfWeight = 0;
    for (size_t t = 0; t < coeffs.size(); ++t) {
      int64_t idx = clampIndex(points[t]);
      taps.indices.push_back(idx);
      taps.weights.push_back(coeffs[t]);
      if (idx == x)
        selfWeight += coeffs[t];
      else
        identity &= coeffs[t] == 0;
    }
    identity &= selfWeight == 1;
  }
  if (identity)
    return std::nullopt;
  return taps;
}

/// Resizes input 0 to `axes[i].out` per axis with `cfg`.
static LogicalResult emitResize(NodeContext &ctx, const ImportedValue &x,
                                const ResizeConfig &cfg,
                                ArrayRef<ResizeAxis> axes) {
  int64_t rank = x.shape.size();
  SmallVector<int64_t> outShape;
  SmallVector<std::optional<AxisTaps>> taps;
  bool identity = true;
  for (int64_t d = 0; d < rank; ++d) {
    if (axes[d].in == 0 && axes[d].out != 0)
      return ctx.error("cannot resize axis " + str(d) +
                       ", which is empty, to size " + str(axes[d].out));
    if (axes[d].out > kMaxTableEntries)
      return ctx.error("output size " + str(axes[d].out) + " of axis " +
                       str(d) + " is too large");
    outShape.push_back(axes[d].out);
    taps.push_back(axes[d].out == 0 ? std::nullopt
                                    : computeResizeTaps(cfg, axes[d]));
    identity &= !taps.back() && axes[d].in == axes[d].out;
  }
  if (failed(checkResultShape(ctx, outShape)))
    return failure();
  if (identity) {
    ctx.setOutput(0, x);
    return success();
  }
  Type computeType;
  if (cfg.mode != SampleMode::Nearest) {
    if (!isFloatDType(x.dtype))
      return ctx.error(
          std::string(cfg.mode == SampleMode::Linear ? "linear" : "cubic") +
          " interpolation of " + getDTypeName(x.dtype) +
          " data is not supported (only floating point)");
    computeType = x.dtype == ONNXDType::Double
                      ? Type(ctx.builder().getF64Type())
                      : Type(ctx.builder().getF32Type());
  }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  ctx.setOutput(
      0,
      buildSampling(ctx, value, outShape, taps, computeType, cfg.extrapolation),
      x.dtype);
  return success();
}

static FailureOr<SampleMode> parseSampleMode(NodeContext &ctx,
                                             bool allowCubic) {
  std::string mode = ctx.attrString("mode", "nearest");
  if (mode == "nearest")
    return SampleMode::Nearest;
  if (mode == "linear")
    return SampleMode::Linear;
  if (mode == "cubic" && allowCubic)
    return SampleMode::Cubic;
  ctx.emitError() << "mode '" << mode << "' is not supported (nearest"
                  << (allowCubic ? ", linear and cubic are)"
                                 : " and linear "
                                   "are)");
  return failure();
}

/// Output sizes from per-axis scales: floor(in * scale), as the reference
/// computes it (float32 scale widened to double).
static FailureOr<SmallVector<ResizeAxis>>
axesFromScales(NodeContext &ctx, ArrayRef<int64_t> shape,
               ArrayRef<double> scales, bool requireUpsample) {
  if (scales.size() != shape.size()) {
    ctx.emitError() << "scales has " << scales.size()
                    << " entries for an input of rank " << shape.size();
    return failure();
  }
  SmallVector<ResizeAxis> axes;
  for (size_t d = 0; d < shape.size(); ++d) {
    double s = scales[d];
    if (!(s > 0) || !std::isfinite(s) || (requireUpsample && s < 1)) {
      ctx.emitError() << "scale " << strf(s) << " of axis " << d
                      << " is invalid"
                      << (requireUpsample ? " (must be >= 1)" : "");
      return failure();
    }
    ResizeAxis a;
    a.in = shape[d];
    double out = s * double(shape[d]);
    if (out > double(std::numeric_limits<int32_t>::max())) {
      ctx.emitError() << "scale " << strf(s) << " makes axis " << d
                      << " too large";
      return failure();
    }
    a.out = int64_t(out);
    a.scale = s;
    // numpy: float32 scale * int is computed in float32.
    a.outWidth = double(float(s) * float(shape[d]));
    axes.push_back(a);
  }
  return axes;
}

static LogicalResult importResize(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  ResizeConfig cfg;
  FailureOr<SampleMode> mode = parseSampleMode(ctx, ctx.opset() >= 11);
  if (failed(mode))
    return failure();
  cfg.mode = *mode;
  if (ctx.opset() < 11) {
    cfg.legacy = true;
    FailureOr<const HostTensor *> scales = ctx.requireHostInput(1, "scales");
    if (failed(scales))
      return failure();
    SmallVector<double> s;
    for (int64_t i = 0; i < (*scales)->numElements(); ++i)
      s.push_back((*scales)->getDouble(i));
    auto axes = axesFromScales(ctx, x->shape, s, false);
    if (failed(axes))
      return failure();
    return emitResize(ctx, *x, cfg, *axes);
  }

  cfg.coordinateMode =
      ctx.attrString("coordinate_transformation_mode", "half_pixel");
  static const char *const coordinateModes[] = {
      "half_pixel", "pytorch_half_pixel",   "align_corners",
      "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  if (!llvm::is_contained(coordinateModes, cfg.coordinateMode))
    return ctx.error("coordinate_transformation_mode '" + cfg.coordinateMode +
                     "' is not supported");
  cfg.nearestMode = ctx.attrString("nearest_mode", "round_prefer_floor");
  if (cfg.nearestMode != "round_prefer_floor" &&
      cfg.nearestMode != "round_prefer_ceil" && cfg.nearestMode != "floor" &&
      cfg.nearestMode != "ceil")
    return ctx.error("nearest_mode '" + cfg.nearestMode + "' is not supported");
  cfg.cubicA = ctx.attrFloat("cubic_coeff_a", -0.75);
  cfg.excludeOutside = ctx.attrInt("exclude_outside", 0) != 0;
  cfg.extrapolation = ctx.attrFloat("extrapolation_value", 0.0);

  const HostTensor *scales = nullptr, *sizes = nullptr;
  if (ctx.hasInput(2)) {
    // Opset 11 requires the input; an empty tensor means "use sizes".
    FailureOr<ImportedValue> s = ctx.input(2);
    if (failed(s))
      return failure();
    if (product(s->shape) != 0) {
      auto host = ctx.requireHostInput(2, "scales");
      if (failed(host))
        return failure();
      scales = *host;
    }
  }
  if (ctx.hasInput(3)) {
    FailureOr<ImportedValue> s = ctx.input(3);
    if (failed(s))
      return failure();
    if (product(s->shape) != 0) {
      auto host = ctx.requireHostInput(3, "sizes");
      if (failed(host))
        return failure();
      sizes = *host;
    }
  }
  if (scales && sizes)
    return ctx.error("only one of scales and sizes may be given");
  if (!scales && !sizes)
    return ctx.error("one of scales and sizes is required");

  SmallVector<double> roi;
  bool tfCrop = cfg.coordinateMode == "tf_crop_and_resize";
  if (tfCrop) {
    FailureOr<const HostTensor *> r = ctx.requireHostInput(1, "roi");
    if (failed(r))
      return failure();
    if ((*r)->numElements() != 2 * rank)
      return ctx.error("roi has " + str((*r)->numElements()) +
                       " entries; expected 2 * rank = " + str(2 * rank));
    for (int64_t i = 0; i < 2 * rank; ++i)
      roi.push_back((*r)->getDouble(i));
  }

  SmallVector<ResizeAxis> axes;
  if (scales) {
    SmallVector<double> s;
    for (int64_t i = 0; i < scales->numElements(); ++i)
      s.push_back(scales->getDouble(i));
    auto a = axesFromScales(ctx, x->shape, s, false);
    if (failed(a))
      return failure();
    axes = *a;
    // The spec sizes a crop by the roi extent.
    if (tfCrop)
      for (int64_t d = 0; d < rank; ++d)
        axes[d].out =
            int64_t(double(x->shape[d]) * (roi[d + rank] - roi[d]) * s[d]);
  } else {
    if (sizes->isFloat())
      return ctx.error("sizes must be an integer tensor");
    if (sizes->numElements() != rank)
      return ctx.error("sizes has " + str(sizes->numElements()) +
                       " entries for an input of rank " + str(rank));
    for (int64_t d = 0; d < rank; ++d) {
      ResizeAxis a;
      a.in = x->shape[d];
      a.out = sizes->getInt(d);
      if (a.out < 0)
        return ctx.error("sizes " + formatShape(sizes->ints) +
                         " has a negative entry");
      a.scale = a.in ? double(a.out) / double(a.in) : 1.0;
      a.outWidth = a.scale * double(a.in);
      axes.push_back(a);
    }
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (axes[d].out < 0)
      return ctx.error("the output size of axis " + str(d) + " is negative");
    if (tfCrop) {
      axes[d].roiStart = roi[d];
      axes[d].roiEnd = roi[d + rank];
    }
  }
  return emitResize(ctx, *x, cfg, axes);
}

static LogicalResult importUpsample(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  ResizeConfig cfg;
  cfg.legacy = true;
  FailureOr<SampleMode> mode = parseSampleMode(ctx, false);
  if (failed(mode))
    return failure();
  cfg.mode = *mode;
  SmallVector<double> scales;
  if (ctx.opset() < 9) {
    if (!ctx.hasAttr("scales"))
      return ctx.error("the scales attribute is required");
    scales = ctx.attrFloats("scales");
  } else {
    FailureOr<const HostTensor *> s = ctx.requireHostInput(1, "scales");
    if (failed(s))
      return failure();
    for (int64_t i = 0; i < (*s)->numElements(); ++i)
      scales.push_back((*s)->getDouble(i));
  }
  auto axes = axesFromScales(ctx, x->shape, scales, true);
  if (failed(axes))
    return failure();
  return emitResize(ctx, *x, cfg, *axes);
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth
//===----------------------------------------------------------------------===//

static LogicalResult importDepthToSpace(NodeContext &ctx, bool toSpace) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  if (x->shape.size() != 4)
    return ctx.error("input must have rank 4 (NCHW), got shape " +
                     formatShape(x->shape));
  int64_t bs = ctx.attrInt("blocksize", 0);
  if (bs <= 0)
    return ctx.error("blocksize must be positive, got " + str(bs));
  int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
  SmallVector<int64_t> split, perm, outShape;
  if (toSpace) {
    std::string mode =
        ctx.opset() >= 11 ? ctx.attrString("mode", "DCR") : "DCR";
    if (mode != "DCR" && mode != "CRD")
      return ctx.error("mode '" + mode +
                       "' is not supported (DCR and CRD are)");
    if (c % (bs * bs) != 0)
      return ctx.error("channels (" + str(c) + ") are not divisible by " +
                       "blocksize^2 (" + str(bs * bs) + ")");
    int64_t cOut = c / (bs * bs);
    if (mode == "DCR") {
      split = {n, bs, bs, cOut, h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else {
      split = {n, cOut, bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    }
    outShape = {n, cOut, h * bs, w * bs};
  } else {
    if (h % bs != 0 || w % bs != 0)
      return ctx.error("spatial size " + str(h) + "x" + str(w) +
                       " is not divisible by blocksize " + str(bs));
    split = {n, c, h / bs, bs, w / bs, bs};
    perm = {0, 3, 5, 1, 2, 4};
    outShape = {n, c * bs * bs, h / bs, w / bs};
  }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  value = reshapeTensor(b, loc, value, split);
  value = transposeTensor(b, loc, value, perm);
  value = reshapeTensor(b, loc, value, outShape);
  ctx.setOutput(0, value, x->dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Trilu, CumSum, OneHot, TopK
//===----------------------------------------------------------------------===//

static LogicalResult importTrilu(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  if (rank < 2)
    return ctx.error("input must have rank >= 2, got shape " +
                     formatShape(x->shape));
  bool upper = ctx.attrInt("upper", 1) != 0;
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type i64 = b.getI64Type();
  // k may be a run-time value: it changes values, not shapes.
  Value k;
  if (!ctx.hasInput(1)) {
    k = intConstant(b, loc, i64, 0);
  } else if (const HostTensor *host = ctx.hostInput(1)) {
    if (host->numElements() != 1 || host->isFloat())
      return ctx.error("k must be an integer scalar");
    k = intConstant(b, loc, i64, host->getInt(0));
  } else {
    FailureOr<ImportedValue> kv = ctx.input(1);
    if (failed(kv))
      return failure();
    if (product(kv->shape) != 1 || isFloatDType(kv->dtype))
      return ctx.error("k must be an integer scalar");
    Value t = ctx.inputValue(1);
    if (!t)
      return failure();
    k = convertScalar(b, loc, extractScalar(b, loc, t), i64,
                      isUnsignedDType(kv->dtype));
  }
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  Value result = buildElementwise(
      b, loc, ValueRange{value}, x->shape, element,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto coord = [&](int64_t d) -> Value {
          Value i = linalg::IndexOp::create(nb, nl, d);
          return arith::IndexCastOp::create(nb, nl, i64, i);
        };
        Value diag =
            arith::SubIOp::create(nb, nl, coord(rank - 1), coord(rank - 2));
        Value keep = arith::CmpIOp::create(nb, nl,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           diag, k);
        Value zero = isa<FloatType>(element)
                         ? createScalarConstant(nb, nl, element, 0.0)
                         : intConstant(nb, nl, element, 0);
        return arith::SelectOp::create(nb, nl, keep, args[0], zero);
      });
  ctx.setOutput(0, result, x->dtype);
  return success();
}

/// An inclusive or exclusive scan (sum) of `value` along a static `axis`.
static Value buildCumSum(OpBuilder &b, Location loc, Value value, int64_t axis,
                         bool exclusive, bool reverse) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size();
  int64_t n = shape[axis];
  Type element = type.getElementType();
  SmallVector<int64_t> sliceShape(shape);
  sliceShape[axis] = 1;
  bool isFloat = isa<FloatType>(element);
  Value zero = isFloat ? createScalarConstant(b, loc, element, 0.0)
                       : intConstant(b, loc, element, 0);
  SmallVector<OpFoldResult> sizes = indexAttrs(b, sliceShape);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  auto sliceAt = [&](OpBuilder &nb, Location nl, Value source, Value index) {
    SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0));
    offsets[axis] = index;
    return tensor::ExtractSliceOp::create(nb, nl, source, offsets, sizes,
                                          strides)
        .getResult();
  };
  auto insertAt = [&](OpBuilder &nb, Location nl, Value slice, Value dest,
                      Value index) {
    SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0));
    offsets[axis] = index;
    return tensor::InsertSliceOp::create(nb, nl, slice, dest, offsets, sizes,
                                         strides)
        .getResult();
  };
  // The first position holds the first slice (inclusive) or zero
  // (exclusive).
  Value firstIndex =
      arith::ConstantIndexOp::create(b, loc, reverse ? n - 1 : 0);
  Value first = exclusive ? createFilledTensor(b, loc, sliceShape, zero)
                          : sliceAt(b, loc, value, firstIndex);
  Value out0 = insertAt(b, loc, first,
                        createEmptyTensor(b, loc, shape, element), firstIndex);
  // A scan along the axis: out[i] = out[i-1] + x[i] (x[i-1] if exclusive),
  // reading the previous position from the result itself so that the loop
  // updates one buffer in place.
  Value lb = arith::ConstantIndexOp::create(b, loc, 1);
  Value ub = arith::ConstantIndexOp::create(b, loc, n);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, one, ValueRange{out0},
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iter) {
        Value idx = iv, prev;
        if (reverse) {
          idx = arith::SubIOp::create(
              nb, nl, arith::ConstantIndexOp::create(nb, nl, n - 1), iv);
          prev = arith::AddIOp::create(nb, nl, idx, one);
        } else {
          prev = arith::SubIOp::create(nb, nl, idx, one);
        }
        Value prevSum = sliceAt(nb, nl, iter[0], prev);
        Value addend = sliceAt(nb, nl, value, exclusive ? prev : idx);
        Value dest = sliceAt(nb, nl, iter[0], idx);
        MLIRContext *mctx = nb.getContext();
        AffineMap id = AffineMap::getMultiDimIdentityMap(rank, mctx);
        auto sum = linalg::GenericOp::create(
            nb, nl, TypeRange{dest.getType()}, ValueRange{prevSum, addend},
            ValueRange{dest}, SmallVector<AffineMap>{id, id, id},
            parallelIterators(rank),
            [&](OpBuilder &eb, Location el, ValueRange args) {
              Value r = isFloat
                            ? arith::AddFOp::create(eb, el, args[0], args[1])
                                  .getResult()
                            : arith::AddIOp::create(eb, el, args[0], args[1])
                                  .getResult();
              linalg::YieldOp::create(eb, el, r);
            });
        scf::YieldOp::create(nb, nl,
                             insertAt(nb, nl, sum.getResult(0), iter[0], idx));
      });
  return loop.getResult(0);
}

static LogicalResult importCumSum(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  if (x->dtype == ONNXDType::Bool)
    return ctx.error("bool input is not supported");
  FailureOr<ImportedValue> axisInput = ctx.input(1);
  if (failed(axisInput))
    return failure();
  if (product(axisInput->shape) != 1 || !isIntegerDType(axisInput->dtype))
    return ctx.error("axis must be an integer scalar");
  bool exclusive = ctx.attrInt("exclusive", 0) != 0;
  bool reverse = ctx.attrInt("reverse", 0) != 0;
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  if (product(x->shape) == 0) {
    ctx.setOutput(0, value, x->dtype);
    return success();
  }
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  if (axisInput->host) {
    FailureOr<int64_t> axis =
        ctx.normalizeAxis(axisInput->host->getInt(0), rank);
    if (failed(axis))
      return failure();
    ctx.setOutput(0, buildCumSum(b, loc, value, *axis, exclusive, reverse),
                  x->dtype);
    return success();
  }
  // A run-time axis (it decides no shape): one scan per possible axis,
  // chosen by an scf.index_switch. An out-of-range axis returns the input.
  Value axisTensor = ctx.inputValue(1);
  if (!axisTensor)
    return failure();
  Type i64 = b.getI64Type();
  Value axis = convertScalar(b, loc, extractScalar(b, loc, axisTensor), i64,
                             isUnsignedDType(axisInput->dtype));
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         axis, intConstant(b, loc, i64, 0));
  axis = arith::SelectOp::create(
      b, loc, negative,
      arith::AddIOp::create(b, loc, axis, intConstant(b, loc, i64, rank)),
      axis);
  Value axisIndex = arith::IndexCastOp::create(b, loc, b.getIndexType(), axis);
  SmallVector<int64_t> cases;
  for (int64_t d = 0; d < rank; ++d)
    cases.push_back(d);
  auto switchOp = scf::IndexSwitchOp::create(b, loc, TypeRange{value.getType()},
                                             axisIndex, cases, rank);
  OpBuilder::InsertionGuard guard(b);
  for (int64_t d = 0; d <= rank; ++d) {
    Region &region =
        d < rank ? switchOp.getCaseRegions()[d] : switchOp.getDefaultRegion();
    b.setInsertionPointToStart(&region.emplaceBlock());
    Value result =
        d < rank ? buildCumSum(b, loc, value, d, exclusive, reverse) : value;
    scf::YieldOp::create(b, loc, result);
  }
  ctx.setOutput(0, switchOp.getResult(0), x->dtype);
  return success();
}

static LogicalResult importOneHot(NodeContext &ctx) {
  FailureOr<ImportedValue> indices = ctx.input(0), values = ctx.input(2);
  if (failed(indices) || failed(values))
    return failure();
  auto depthInput = requireHostScalar(ctx, 1, "depth");
  if (failed(depthInput))
    return failure();
  // A float depth is truncated to an integer, as onnxruntime does.
  double depthValue = (*depthInput)->getDouble(0);
  if (!(depthValue >= 1) || depthValue > double(kMaxHostElements))
    return ctx.error("depth " + strf(depthValue) + " is not a positive size");
  int64_t depth = int64_t(depthValue);
  if (product(values->shape) != 2 || values->shape.size() != 1)
    return ctx.error("values must have shape [2] (off, on), got " +
                     formatShape(values->shape));
  int64_t rank = indices->shape.size();
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.attrInt("axis", -1), rank + 1);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> outShape = indices->shape;
  outShape.insert(outShape.begin() + *axis, depth);

  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  Value indexValue = ctx.inputValue(0), valuesValue = ctx.inputValue(2);
  if (!indexValue || !valuesValue)
    return failure();
  Type element = cast<RankedTensorType>(valuesValue.getType()).getElementType();
  Value off = tensor::ExtractOp::create(
      b, loc, valuesValue,
      ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
  Value on = tensor::ExtractOp::create(
      b, loc, valuesValue,
      ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
  int64_t outRank = rank + 1;
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < outRank; ++d)
    if (d != *axis)
      inExprs.push_back(getAffineDimExpr(d, mctx));
  SmallVector<AffineMap> maps{AffineMap::get(outRank, 0, inExprs, mctx),
                              AffineMap::getMultiDimIdentityMap(outRank, mctx)};
  Value init = createEmptyTensor(b, loc, outShape, element);
  ONNXDType indexDType = indices->dtype;
  // Negative indices count from the back since opset 11; out-of-range
  // indices match no position, giving an all-off row.
  bool wrapNegative = ctx.opset() >= 11;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{indexValue},
      ValueRange{init}, maps, parallelIterators(outRank),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value j = linalg::IndexOp::create(nb, nl, *axis);
        Value idx = args[0];
        Value match;
        if (auto floatType = dyn_cast<FloatType>(idx.getType())) {
          // Compare in floating point: converting an arbitrary float to an
          // integer could overflow.
          idx = math::TruncOp::create(nb, nl, idx);
          if (wrapNegative) {
            Value zero = createScalarConstant(nb, nl, floatType, 0.0);
            Value neg = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT,
                                              idx, zero);
            Value wrapped = arith::AddFOp::create(
                nb, nl, idx, createScalarConstant(nb, nl, floatType, depth));
            idx = arith::SelectOp::create(nb, nl, neg, wrapped, idx);
          }
          Value jf = arith::UIToFPOp::create(
              nb, nl, floatType,
              arith::IndexCastOp::create(nb, nl, nb.getI64Type(), j));
          match =
              arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, idx, jf);
        } else {
          Type i64 = nb.getI64Type();
          bool isUnsigned = isUnsignedDType(indexDType);
          if (idx.getType() != i64) {
            auto width = cast<IntegerType>(idx.getType()).getWidth();
            idx = isUnsigned || width == 1
                      ? arith::ExtUIOp::create(nb, nl, i64, idx).getResult()
                      : arith::ExtSIOp::create(nb, nl, i64, idx).getResult();
          }
          if (wrapNegative && !isUnsigned) {
            Value zero = intConstant(nb, nl, i64, 0);
            Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                              idx, zero);
            Value wrapped = arith::AddIOp::create(
                nb, nl, idx, intConstant(nb, nl, i64, depth));
            idx = arith::SelectOp::create(nb, nl, neg, wrapped, idx);
          }
          Value ji = arith::IndexCastOp::create(nb, nl, i64, j);
          // uint64 indices above INT64_MAX read as negative: no match.
          match =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, idx, ji);
        }
        Value r = arith::SelectOp::create(nb, nl, match, on, off);
        linalg::YieldOp::create(nb, nl, r);
      });
  ctx.setOutput(0, generic.getResult(0), values->dtype);
  return success();
}

namespace {
/// Comparisons for TopK's total order on values (NaN above everything, so
/// that every element has a place) with the index as the tie-breaker.
struct TopKOrder {
  bool isFloat, isUnsigned, largest;

  Value greater(OpBuilder &b, Location loc, Value x, Value y) const {
    if (!isFloat)
      return arith::CmpIOp::create(b, loc,
                                   isUnsigned ? arith::CmpIPredicate::ugt
                                              : arith::CmpIPredicate::sgt,
                                   x, y);
    Value xNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    Value yOrdered =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ORD, y, y);
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
    return arith::OrIOp::create(
        b, loc, arith::AndIOp::create(b, loc, xNaN, yOrdered), gt);
  }
  Value equal(OpBuilder &b, Location loc, Value x, Value y) const {
    if (!isFloat)
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
    Value eq = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, y);
    Value xNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    Value yNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, y, y);
    return arith::OrIOp::create(b, loc, eq,
                                arith::AndIOp::create(b, loc, xNaN, yNaN));
  }
  /// True if (x, i) comes before (y, j) in the output order.
  Value before(OpBuilder &b, Location loc, Value x, Value i, Value y,
               Value j) const {
    Value strict = largest ? greater(b, loc, x, y) : greater(b, loc, y, x);
    Value tie = arith::AndIOp::create(
        b, loc, equal(b, loc, x, y),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, j));
    return arith::OrIOp::create(b, loc, strict, tie);
  }
};
} // namespace

static LogicalResult importTopK(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t k;
  if (ctx.opset() < 10) {
    if (!ctx.hasAttr("k"))
      return ctx.error("the k attribute is required");
    k = ctx.attrInt("k", 0);
  } else {
    auto kInput = requireHostScalar(ctx, 1, "K");
    if (failed(kInput))
      return failure();
    if ((*kInput)->isFloat())
      return ctx.error("K must be an integer");
    k = (*kInput)->getInt(0);
  }
  if (x->dtype == ONNXDType::Bool)
    return ctx.error("bool input is not supported");
  bool largest = ctx.opset() < 11 || ctx.attrInt("largest", 1) != 0;
  int64_t n = x->shape[*axis];
  if (k < 0 || k > n)
    return ctx.error("k = " + str(k) + " is out of range for axis " +
                     str(*axis) + " of size " + str(n));
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  Value value = ctx.inputValue(0);
  if (!value)
    return failure();
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  Type i64 = b.getI64Type();
  SmallVector<int64_t> outShape = x->shape, sliceShape = x->shape;
  outShape[*axis] = k;
  sliceShape[*axis] = 1;
  if (product(outShape) == 0) {
    ctx.setOutput(0, createEmptyTensor(b, loc, outShape, element), x->dtype);
    ctx.setOutput(1, createEmptyTensor(b, loc, outShape, i64),
                  ONNXDType::Int64);
    return success();
  }
  bool isFloat = isa<FloatType>(element);
  TopKOrder order{isFloat, isUnsignedDType(x->dtype), largest};
  Value zero = isFloat ? createScalarConstant(b, loc, element, 0.0)
                       : intConstant(b, loc, element, 0);
  // Filled (not empty) so that round 0 reads defined values.
  Value values0 = createFilledTensor(b, loc, outShape, zero);
  Value indices0 =
      createFilledTensor(b, loc, outShape, intConstant(b, loc, i64, -1));

  SmallVector<AffineExpr> sliceExprs;
  for (int64_t d = 0; d < rank; ++d)
    sliceExprs.push_back(d == *axis ? getAffineConstantExpr(0, mctx)
                                    : getAffineDimExpr(d, mctx));
  AffineMap sliceMap = AffineMap::get(rank, 0, sliceExprs, mctx);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, mctx),
                              sliceMap, sliceMap, sliceMap, sliceMap};
  SmallVector<utils::IteratorType> iterators = parallelIterators(rank);
  iterators[*axis] = utils::IteratorType::reduction;
  SmallVector<OpFoldResult> sizes = indexAttrs(b, sliceShape);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));

  // Selection in k rounds: round r picks, for every position outside the
  // axis, the first element (in output order) that comes after the one
  // round r-1 picked (read back from the outputs, so that the loop updates
  // them in place). O(n * k), no sort, no data-dependent stores.
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, loc, k);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, step, ValueRange{values0, indices0},
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iter) {
        Value first =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, iv, lb);
        Value prevPos = arith::SelectOp::create(
            nb, nl, first, lb, arith::SubIOp::create(nb, nl, iv, step));
        SmallVector<OpFoldResult> prevOffsets(rank, nb.getIndexAttr(0));
        prevOffsets[*axis] = prevPos;
        Value prevValue = tensor::ExtractSliceOp::create(
            nb, nl, iter[0], prevOffsets, sizes, strides);
        Value prevIndex = tensor::ExtractSliceOp::create(
            nb, nl, iter[1], prevOffsets, sizes, strides);
        Value bestValue0 = createFilledTensor(
            nb, nl, sliceShape,
            isFloat ? createScalarConstant(nb, nl, element, 0.0)
                    : intConstant(nb, nl, element, 0));
        Value bestIndex0 =
            createFilledTensor(nb, nl, sliceShape, intConstant(nb, nl, i64, n));
        auto pick = linalg::GenericOp::create(
            nb, nl, TypeRange{bestValue0.getType(), bestIndex0.getType()},
            ValueRange{value, prevValue, prevIndex},
            ValueRange{bestValue0, bestIndex0}, maps, iterators,
            [&](OpBuilder &gb, Location gl, ValueRange args) {
              Value v = args[0], prevV = args[1], prevI = args[2];
              Value bestV = args[3], bestI = args[4];
              Value j = arith::IndexCastOp::create(
                  gb, gl, i64, linalg::IndexOp::create(gb, gl, *axis));
              Value allowed = arith::OrIOp::create(
                  gb, gl, first, order.before(gb, gl, prevV, prevI, v, j));
              Value none =
                  arith::CmpIOp::create(gb, gl, arith::CmpIPredicate::eq, bestI,
                                        intConstant(gb, gl, i64, n));
              Value better = arith::OrIOp::create(
                  gb, gl, none, order.before(gb, gl, v, j, bestV, bestI));
              Value take = arith::AndIOp::create(gb, gl, allowed, better);
              linalg::YieldOp::create(
                  gb, gl,
                  ValueRange{arith::SelectOp::create(gb, gl, take, v, bestV),
                             arith::SelectOp::create(gb, gl, take, j, bestI)});
            });
        SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0));
        offsets[*axis] = iv;
        Value values = tensor::InsertSliceOp::create(
            nb, nl, pick.getResult(0), iter[0], offsets, sizes, strides);
        Value indices = tensor::InsertSliceOp::create(
            nb, nl, pick.getResult(1), iter[1], offsets, sizes, strides);
        scf::YieldOp::create(nb, nl, ValueRange{values, indices});
      });
  ctx.setOutput(0, loop.getResult(0), x->dtype);
  ctx.setOutput(1, loop.getResult(1), ONNXDType::Int64);
  return success();
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void mlir::qc::onnx_import::registerTensorExtraOps(OpRegistry &r) {
  r.add("Slice", importSlice);
  // Opset 18 adds num_outputs (uneven last chunk); not handled yet.
  r.add("Split", importSplit, 2, 17);
  r.add("Expand", importExpand, 8);
  r.add("Tile", importTile, 6);
  // Opset 18 adds an axes input, 19 the wrap mode.
  r.add("Pad", importPad, 2, 17);
  r.add("Range", importRange, 11);
  r.add("ConstantOfShape", importConstantOfShape, 9);
  r.add("Dropout", importDropout, 7);
  // Opset 18 adds antialias, axes and keep_aspect_ratio_policy.
  r.add("Resize", importResize, 10, 17);
  r.add("Upsample", importUpsample, 7, 9);
  r.add("DepthToSpace",
        [](NodeContext &ctx) { return importDepthToSpace(ctx, true); });
  r.add("SpaceToDepth",
        [](NodeContext &ctx) { return importDepthToSpace(ctx, false); });
  r.add("Trilu", importTrilu, 14);
  r.add("CumSum", importCumSum, 11);
  r.add("OneHot", importOneHot, 9);
  r.add("TopK", importTopK);
}
