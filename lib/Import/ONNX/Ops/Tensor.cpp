//===- Tensor.cpp - ONNX constant, shape and data movement ops ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Ops that create constants, query shapes, or move data without arithmetic.
// They fold on the host whenever their inputs are known, because shape
// subgraphs (Shape -> Gather -> Concat -> Reshape) must be constants for qc
// to compile static shapes.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// Sets output 0 to `input` viewed with `shape` (same element count).
static void setReshapedOutput(NodeContext &ctx, const ImportedValue &input,
                              ArrayRef<int64_t> shape) {
  if (input.host) {
    HostTensor t = *input.host;
    t.shape.assign(shape.begin(), shape.end());
    ctx.setHostOutput(0, std::move(t));
    return;
  }
  Value value = ctx.inputValue(0);
  ctx.setOutput(0, reshapeTensor(ctx.builder(), ctx.loc(), value, shape),
                input.dtype);
}

static int64_t product(ArrayRef<int64_t> dims) {
  return saturatingProduct(dims);
}

//===----------------------------------------------------------------------===//
// Constants and shape queries
//===----------------------------------------------------------------------===//

static LogicalResult importConstant(NodeContext &ctx) {
  ImportedValue v;
  if (const onnx::TensorProto *tensor = ctx.attrTensor("value")) {
    std::string error;
    FailureOr<ElementsAttr> attr =
        convertTensorProto(*tensor, ctx.context(), "", 256, error);
    if (failed(attr))
      return ctx.error(error);
    v.dtype = getTensorProtoDType(*tensor);
    auto type = cast<ShapedType>(attr->getType());
    v.shape.assign(type.getShape().begin(), type.getShape().end());
    v.constant = *attr;
    if (auto host = HostTensor::fromAttr(*attr, v.dtype))
      v.host = std::make_shared<HostTensor>(std::move(*host));
    ctx.setOutput(0, v);
    return success();
  }
  if (ctx.hasAttr("value_float")) {
    ctx.setHostOutput(
        0, HostTensor::fromFloats(ONNXDType::Float, {},
                                  {ctx.attrFloat("value_float", 0)}));
    return success();
  }
  if (ctx.hasAttr("value_floats")) {
    SmallVector<double> f = ctx.attrFloats("value_floats");
    ctx.setHostOutput(
        0, HostTensor::fromFloats(ONNXDType::Float, {int64_t(f.size())},
                                  std::vector<double>(f.begin(), f.end())));
    return success();
  }
  if (ctx.hasAttr("value_int")) {
    ctx.setHostOutput(0, HostTensor::fromInts(ONNXDType::Int64, {},
                                              {ctx.attrInt("value_int", 0)}));
    return success();
  }
  if (ctx.hasAttr("value_ints")) {
    SmallVector<int64_t> i = ctx.attrInts("value_ints");
    ctx.setHostOutput(
        0, HostTensor::fromInts(ONNXDType::Int64, {int64_t(i.size())},
                                std::vector<int64_t>(i.begin(), i.end())));
    return success();
  }
  return ctx.error("only value, value_float(s) and value_int(s) constants "
                   "are supported");
}

static LogicalResult importShape(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  // Opset 15 adds start/end (clamped, negative counts from the back).
  int64_t start = ctx.attrInt("start", 0), end = ctx.attrInt("end", rank);
  auto clampAxis = [&](int64_t a) {
    if (a < 0)
      a += rank;
    return std::clamp<int64_t>(a, 0, rank);
  };
  start = clampAxis(start);
  end = clampAxis(end);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(x->shape[i]);
  ctx.setHostOutput(
      0, HostTensor::fromInts(ONNXDType::Int64, {int64_t(dims.size())}, dims));
  return success();
}

static LogicalResult importSize(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  ctx.setHostOutput(
      0, HostTensor::fromInts(ONNXDType::Int64, {}, {product(x->shape)}));
  return success();
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

static LogicalResult importReshape(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  FailureOr<const HostTensor *> shapeInput = ctx.requireHostInput(1, "shape");
  if (failed(shapeInput))
    return failure();
  bool allowZero = ctx.attrInt("allowzero", 0) != 0;
  std::vector<int64_t> requested = (*shapeInput)->toInts();
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < requested.size(); ++i) {
    int64_t d = requested[i];
    if (d == 0 && !allowZero) {
      if (i >= x->shape.size())
        return ctx.error("shape entry " + std::to_string(i) +
                         " is 0 (copy) but the input has rank " +
                         std::to_string(x->shape.size()));
      d = x->shape[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return ctx.error("shape has more than one -1");
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return ctx.error("shape entry " + std::to_string(d) + " is invalid");
    shape.push_back(d);
    known = saturatingMul(known, d);
  }
  int64_t total = product(x->shape);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return ctx.error("cannot reshape " + formatShape(x->shape) + " to " +
                       formatShape(requested));
    shape[inferred] = total / known;
  }
  if (product(shape) != total)
    return ctx.error("cannot reshape " + formatShape(x->shape) + " (" +
                     std::to_string(total) + " elements) to " +
                     formatShape(shape));
  setReshapedOutput(ctx, *x, shape);
  return success();
}

static LogicalResult importFlatten(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  int64_t axis = ctx.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return ctx.error("axis " + std::to_string(ctx.attrInt("axis", 1)) +
                     " is out of range for rank " + std::to_string(rank));
  ArrayRef<int64_t> dims = x->shape;
  SmallVector<int64_t> shape{product(dims.take_front(axis)),
                             product(dims.drop_front(axis))};
  setReshapedOutput(ctx, *x, shape);
  return success();
}

/// Axes from the attribute (opset < 13) or the second input (opset >= 13).
static FailureOr<std::optional<SmallVector<int64_t>>>
getAxes(NodeContext &ctx) {
  if (ctx.opset() >= 13)
    return getIntsFromInputOrAttr(ctx, 1, "", "axes");
  if (ctx.hasAttr("axes"))
    return std::optional<SmallVector<int64_t>>(ctx.attrInts("axes"));
  return std::optional<SmallVector<int64_t>>();
}

static LogicalResult importSqueeze(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  auto axes = getAxes(ctx);
  if (failed(axes))
    return failure();
  int64_t rank = x->shape.size();
  SmallVector<bool> drop(rank, false);
  if (*axes) {
    for (int64_t a : **axes) {
      FailureOr<int64_t> axis = ctx.normalizeAxis(a, rank);
      if (failed(axis))
        return failure();
      if (x->shape[*axis] != 1)
        return ctx.error("cannot squeeze axis " + std::to_string(a) +
                         " of size " + std::to_string(x->shape[*axis]));
      drop[*axis] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = x->shape[i] == 1;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(x->shape[i]);
  setReshapedOutput(ctx, *x, shape);
  return success();
}

static LogicalResult importUnsqueeze(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  auto axes = getAxes(ctx);
  if (failed(axes))
    return failure();
  if (!*axes)
    return ctx.error("axes are required");
  int64_t outRank = x->shape.size() + (*axes)->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t a : **axes) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(a, outRank);
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return ctx.error("axis " + std::to_string(a) + " is repeated");
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(inserted[i] ? 1 : x->shape[next++]);
  setReshapedOutput(ctx, *x, shape);
  return success();
}

//===----------------------------------------------------------------------===//
// Transpose, Concat, Gather
//===----------------------------------------------------------------------===//

static LogicalResult importTranspose(NodeContext &ctx) {
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  SmallVector<int64_t> perm = ctx.attrInts("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (int64_t(perm.size()) != rank)
    return ctx.error("perm has " + std::to_string(perm.size()) +
                     " entries for rank " + std::to_string(rank));
  SmallVector<bool> seen(rank, false);
  for (int64_t &p : perm) {
    if (p < 0)
      p += rank;
    if (p < 0 || p >= rank || seen[p])
      return ctx.error("perm is not a permutation of 0.." +
                       std::to_string(rank - 1));
    seen[p] = true;
  }
  if (x->host) {
    const HostTensor &in = *x->host;
    SmallVector<int64_t> outShape;
    for (int64_t p : perm)
      outShape.push_back(in.shape[p]);
    SmallVector<int64_t> inStrides(rank, 1);
    for (int64_t i = rank - 2; i >= 0; --i)
      inStrides[i] = inStrides[i + 1] * in.shape[i + 1];
    HostTensor out;
    out.dtype = in.dtype;
    out.shape = outShape;
    int64_t count = in.numElements();
    SmallVector<int64_t> index(rank, 0);
    for (int64_t n = 0; n < count; ++n) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += index[d] * inStrides[perm[d]];
      if (in.isFloat())
        out.floats.push_back(in.floats[src]);
      else
        out.ints.push_back(in.ints[src]);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < outShape[d])
          break;
        index[d] = 0;
      }
    }
    ctx.setHostOutput(0, std::move(out));
    return success();
  }
  Value value = ctx.inputValue(0);
  ctx.setOutput(0, transposeTensor(ctx.builder(), ctx.loc(), value, perm),
                x->dtype);
  return success();
}

/// Concatenations of more than this many tensors become a tree of
/// concatenations: a chain of n tensor.insert_slice ops makes one-shot
/// bufferization super-linear (n = 100: 4.5 s, n = 200: 56 s), a tree of
/// chains of at most 16 stays linear (n = 400: 0.4 s).
static constexpr size_t kConcatFanIn = 16;

/// Concatenates `parts` along `axis` into a tensor of `shape`.
static Value buildConcat(OpBuilder &b, Location loc, ArrayRef<Value> parts,
                         ArrayRef<int64_t> shape, int64_t axis, Type element) {
  auto sizeOf = [&](Value v) {
    return cast<RankedTensorType>(v.getType()).getDimSize(axis);
  };
  if (parts.size() > kConcatFanIn) {
    size_t group = (parts.size() + kConcatFanIn - 1) / kConcatFanIn;
    SmallVector<Value> groups;
    for (size_t i = 0; i < parts.size(); i += group) {
      ArrayRef<Value> sub = parts.slice(i, std::min(group, parts.size() - i));
      SmallVector<int64_t> subShape(shape);
      subShape[axis] = 0;
      for (Value v : sub)
        subShape[axis] += sizeOf(v);
      groups.push_back(buildConcat(b, loc, sub, subShape, axis, element));
    }
    return buildConcat(b, loc, groups, shape, axis, element);
  }
  int64_t rank = shape.size();
  Value result = createEmptyTensor(b, loc, shape, element);
  int64_t offset = 0;
  for (Value v : parts) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    offsets[axis] = b.getIndexAttr(offset);
    for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
      sizes.push_back(b.getIndexAttr(d));
    result = tensor::InsertSliceOp::create(b, loc, v, result, offsets, sizes,
                                           strides);
    offset += sizeOf(v);
  }
  return result;
}

static LogicalResult importConcat(NodeContext &ctx) {
  if (!ctx.hasAttr("axis"))
    return ctx.error("the axis attribute is required");
  SmallVector<ImportedValue> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    FailureOr<ImportedValue> v = ctx.input(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return ctx.error("needs at least one input");
  int64_t rank = inputs[0].shape.size();
  if (rank == 0)
    return ctx.error("inputs must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape = inputs[0].shape;
  shape[*axis] = 0;
  for (const ImportedValue &v : inputs) {
    if (int64_t(v.shape.size()) != rank || v.dtype != inputs[0].dtype)
      return ctx.error("inputs must share rank and element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && v.shape[d] != inputs[0].shape[d])
        return ctx.error("input shapes " + formatShape(inputs[0].shape) +
                         " and " + formatShape(v.shape) +
                         " differ outside the concatenation axis");
    shape[*axis] += v.shape[*axis];
  }
  bool allHost = llvm::all_of(
      inputs, [](const ImportedValue &v) { return v.host != nullptr; });
  if (allHost && product(shape) <= kMaxHostElements) {
    HostTensor out;
    out.dtype = inputs[0].dtype;
    out.shape = shape;
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*axis));
    for (int64_t o = 0; o < outer; ++o)
      for (const ImportedValue &v : inputs) {
        int64_t inner = product(ArrayRef<int64_t>(v.shape).drop_front(*axis));
        for (int64_t i = 0; i < inner; ++i) {
          if (out.isFloat())
            out.floats.push_back(v.host->floats[o * inner + i]);
          else
            out.ints.push_back(v.host->ints[o * inner + i]);
        }
      }
    ctx.setHostOutput(0, std::move(out));
    return success();
  }
  Type element = ctx.elementType(inputs[0].dtype);
  if (!element)
    return failure();
  SmallVector<Value> parts;
  for (unsigned i = 0; i < inputs.size(); ++i) {
    if (inputs[i].shape[*axis] == 0)
      continue;
    Value v = ctx.inputValue(i);
    if (!v)
      return failure();
    parts.push_back(v);
  }
  ctx.setOutput(
      0, buildConcat(ctx.builder(), ctx.loc(), parts, shape, *axis, element),
      inputs[0].dtype);
  return success();
}

static LogicalResult importGather(NodeContext &ctx) {
  FailureOr<ImportedValue> data = ctx.input(0), indices = ctx.input(1);
  if (failed(data) || failed(indices))
    return failure();
  if (isFloatDType(indices->dtype))
    return ctx.error("indices must be integers");
  int64_t rank = data->shape.size();
  if (rank == 0)
    return ctx.error("data must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t dim = data->shape[*axis];
  SmallVector<int64_t> shape(data->shape.begin(), data->shape.begin() + *axis);
  shape.append(indices->shape.begin(), indices->shape.end());
  shape.append(data->shape.begin() + *axis + 1, data->shape.end());

  if (data->host && indices->host && product(shape) <= kMaxHostElements) {
    const HostTensor &d = *data->host, &idx = *indices->host;
    HostTensor out;
    out.dtype = d.dtype;
    out.shape = shape;
    int64_t outer = product(ArrayRef<int64_t>(d.shape).take_front(*axis));
    int64_t inner = product(ArrayRef<int64_t>(d.shape).drop_front(*axis + 1));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0, e = idx.numElements(); k < e; ++k) {
        int64_t j = idx.getInt(k);
        if (j < 0)
          j += dim;
        if (j < 0 || j >= dim)
          return ctx.error("index " + std::to_string(idx.getInt(k)) +
                           " is out of range for a dimension of size " +
                           std::to_string(dim));
        for (int64_t i = 0; i < inner; ++i) {
          int64_t src = (o * dim + j) * inner + i;
          if (out.isFloat())
            out.floats.push_back(d.floats[src]);
          else
            out.ints.push_back(d.ints[src]);
        }
      }
    ctx.setHostOutput(0, std::move(out));
    return success();
  }

  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value dataValue = ctx.inputValue(0);
  Value indexValue = ctx.inputValue(1);
  if (!dataValue || !indexValue)
    return failure();
  Type element = cast<ShapedType>(dataValue.getType()).getElementType();
  int64_t outRank = shape.size();
  int64_t indexRank = indices->shape.size();
  MLIRContext *mctx = ctx.context();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indexRank; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, mctx));
  SmallVector<AffineMap> maps{AffineMap::get(outRank, 0, indexExprs, mctx),
                              AffineMap::getMultiDimIdentityMap(outRank, mctx)};
  Value init = createEmptyTensor(b, loc, shape, element);
  bool unsignedIndex = isUnsignedDType(indices->dtype);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{indexValue},
      ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(outRank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        // Wrap negative indices, then clamp: an out-of-range index must not
        // read outside the buffer.
        Value j =
            convertScalar(nb, nl, args[0], nb.getI64Type(), unsignedIndex);
        Value size = createScalarConstant(nb, nl, nb.getI64Type(), dim);
        Value zero = createScalarConstant(nb, nl, nb.getI64Type(), 0);
        Value neg =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, j, zero);
        j = arith::SelectOp::create(nb, nl, neg,
                                    arith::AddIOp::create(nb, nl, j, size), j);
        j = arith::MaxSIOp::create(nb, nl, j, zero);
        j = arith::MinSIOp::create(
            nb, nl, j, createScalarConstant(nb, nl, nb.getI64Type(), dim - 1));
        Value jIndex = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), j);
        SmallVector<Value> coords;
        for (int64_t d = 0; d < *axis; ++d)
          coords.push_back(linalg::IndexOp::create(nb, nl, d));
        coords.push_back(jIndex);
        for (int64_t d = *axis + indexRank; d < outRank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, nl, d));
        Value v = tensor::ExtractOp::create(nb, nl, dataValue, coords);
        linalg::YieldOp::create(nb, nl, v);
      });
  ctx.setOutput(0, generic.getResult(0), data->dtype);
  return success();
}

void mlir::qc::onnx_import::registerTensorOps(OpRegistry &r) {
  r.add("Constant", importConstant);
  r.add("Shape", importShape);
  r.add("Size", importSize);
  r.add("Reshape", importReshape, 5);
  r.add("Flatten", importFlatten);
  r.add("Squeeze", importSqueeze);
  r.add("Unsqueeze", importUnsqueeze);
  r.add("Transpose", importTranspose);
  r.add("Concat", importConcat, 4);
  r.add("Gather", importGather);
  registerTensorExtraOps(r);
}
