//===- Quant.cpp - ONNX quantization ops ----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearMatMul,
// QLinearConv, MatMulInteger and ConvInteger.
//
// Quantized ONNX values stay signless storage tensors (uint8/int8/int32 in
// ONNX terms) between ops. When the scales and zero points are known at
// compile time (the normal case) they become `!qc.uniform` element types at
// the op that uses them, with `qc.storage_cast` at each boundary (pairs of
// casts fold away):
//
//   QuantizeLinear          qc.quantize + storage_cast
//   DequantizeLinear        storage_cast + qc.dequantize
//   QLinearMatMul / Conv    qc.matmul / qc.conv on quantized operands with a
//                           quantized result (integer kernel, requantizing
//                           epilogue)
//   MatMulInteger / Conv    the same with an i32 raw-accumulator result
//
// Parameters computed at run time (and the forms !qc.uniform cannot carry:
// per-row data parameters, a scale that is not positive and finite) are read
// as tensors by plain linalg code with the same scalar arithmetic, so both
// forms give the same bits. The requantization of QLinearMatMul/QLinearConv
// is the one of qc's epilogue and of the ONNX definition
// (y = saturate(rne(real / y_scale) + y_zero_point) with
// real = float(acc) * (a_scale * b_scale) [+ float(bias) * (a_scale *
// b_scale)], all in f32); it reproduces the ONNX backend node tests bit for
// bit.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"
#include "ReductionBuilders.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

namespace {

//===----------------------------------------------------------------------===//
// Storage types and parameters
//===----------------------------------------------------------------------===//

/// An integer type quantized values are stored in.
struct Storage {
  ONNXDType dtype = ONNXDType::Undefined;
  unsigned width = 0;
  bool isSigned = false;
  int64_t min = 0, max = 0;
};

std::optional<Storage> getStorage(ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::UInt8:
    return Storage{dtype, 8, false, 0, 255};
  case ONNXDType::Int8:
    return Storage{dtype, 8, true, -128, 127};
  case ONNXDType::Int32:
    return Storage{dtype, 32, true, std::numeric_limits<int32_t>::min(),
                   std::numeric_limits<int32_t>::max()};
  default:
    return std::nullopt;
  }
}

/// The storage of a quantized operand, or an error naming it.
FailureOr<Storage> requireStorage(NodeContext &ctx, ONNXDType dtype,
                                  StringRef what, bool allowInt32) {
  std::optional<Storage> s = getStorage(dtype);
  if (!s || (s->width == 32 && !allowInt32)) {
    ctx.emitError() << what << " has element type " << getDTypeName(dtype)
                    << ", which is not a supported quantized type ("
                    << (allowInt32 ? "uint8, int8 or int32" : "uint8 or int8")
                    << ")";
    return failure();
  }
  return *s;
}

/// Where a parameter tensor's entries run: one for the whole tensor, one per
/// index of a dimension (a 1-D tensor), or the full-rank broadcast form
/// MatMulInteger allows for its zero points.
constexpr int64_t kPerTensor = -1;
constexpr int64_t kBroadcast = -2;

/// The scale and zero point of one quantized operand.
struct QuantParams {
  Storage storage;
  ONNXDType expressed = ONNXDType::Float;
  /// kPerTensor, kBroadcast, or the dimension of the value a 1-D parameter
  /// runs along.
  int64_t kind = kPerTensor;
  SmallVector<int64_t> paramShape;
  /// Known at compile time: the values (zero points 0 when absent).
  bool known = false;
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  /// The inputs holding the parameters, if any.
  std::optional<unsigned> scaleInput, zeroPointInput;
  /// The parameter tensors as graph values, once materialize() ran;
  /// `zeroPoint` is null when the input is absent (zero), `scale` for ops
  /// without scales.
  Value scale, zeroPoint;

  /// Materializes the parameter tensors for kernels that read them at run
  /// time.
  LogicalResult materialize(NodeContext &ctx) {
    if (scaleInput && !scale && !(scale = ctx.inputValue(*scaleInput)))
      return failure();
    if (zeroPointInput && !zeroPoint &&
        !(zeroPoint = ctx.inputValue(*zeroPointInput)))
      return failure();
    return success();
  }

  /// The !qc.uniform element type of these parameters, or null where none
  /// exists: parameters only known at run time, the broadcast form, a scale
  /// that is not positive and finite.
  UniformType getType(MLIRContext *ctx, int64_t rank) const {
    if (!known || kind == kBroadcast)
      return {};
    for (double s : scales)
      if (!(s > 0) || !std::isfinite(s))
        return {};
    auto expressedType =
        dyn_cast_or_null<FloatType>(getElementType(ctx, expressed));
    if (!expressedType)
      return {};
    Type storageType = IntegerType::get(ctx, storage.width);
    if (kind == kPerTensor)
      return UniformType::getPerTensor(storageType, storage.isSigned,
                                       storage.min, storage.max, expressedType,
                                       scales[0], zeroPoints[0]);
    if (kind >= rank)
      return {};
    return UniformType::getPerAxis(storageType, storage.isSigned, storage.min,
                                   storage.max, expressedType, int32_t(kind),
                                   scales, zeroPoints);
  }
};

/// The input's contents if known at compile time.
std::optional<HostTensor> getConstantInput(NodeContext &ctx, unsigned i) {
  if (!ctx.hasInput(i))
    return std::nullopt;
  if (const HostTensor *host = ctx.hostInput(i))
    return *host;
  FailureOr<ImportedValue> v = ctx.input(i);
  if (succeeded(v) && v->constant)
    return HostTensor::fromAttr(v->constant, v->dtype);
  return std::nullopt;
}

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Classifies the shape of parameter `name` for a value of shape
/// `valueShape`: one element (per tensor), a 1-D tensor along `vectorAxis`
/// (when given; `vectorWhat` describes it in messages), or, when
/// `broadcastOne` is given, the value's rank with each dimension 1 or the
/// value's (dimension `broadcastOne`, the contraction, must be 1).
FailureOr<int64_t>
classifyParam(NodeContext &ctx, StringRef name, ArrayRef<int64_t> paramShape,
              ArrayRef<int64_t> valueShape, std::optional<int64_t> vectorAxis,
              StringRef vectorWhat, std::optional<int64_t> broadcastOne = {}) {
  int64_t count = numElements(paramShape);
  int64_t rank = valueShape.size();
  if (count == 1 && (paramShape.size() <= 1 || broadcastOne))
    return kPerTensor;
  if (paramShape.size() == 1 && vectorAxis && *vectorAxis >= 0 &&
      *vectorAxis < rank && paramShape[0] == valueShape[*vectorAxis])
    return *vectorAxis;
  if (broadcastOne && int64_t(paramShape.size()) == rank && rank >= 2) {
    bool ok = true;
    for (int64_t i = 0; i < rank; ++i)
      ok &= paramShape[i] == 1 ||
            (i != *broadcastOne && paramShape[i] == valueShape[i]);
    if (ok)
      return kBroadcast;
  }
  auto diag = ctx.emitError();
  diag << name << " has shape " << formatShape(paramShape)
       << ", expected a scalar";
  if (vectorAxis && *vectorAxis >= 0 && *vectorAxis < rank)
    diag << " or a 1-D tensor of " << valueShape[*vectorAxis] << " elements ("
         << vectorWhat << ")";
  if (paramShape.size() > 1 && !broadcastOne)
    diag << "; blocked quantization is not supported";
  return failure();
}

/// Reads the scale (input `scaleIndex`, if any) and zero point (input
/// `zpIndex`, optional) of an operand of shape `valueShape` stored as
/// `storage`. See classifyParam for the shape rules.
FailureOr<QuantParams>
readQuantParams(NodeContext &ctx, std::optional<unsigned> scaleIndex,
                unsigned zpIndex, Storage storage, ArrayRef<int64_t> valueShape,
                std::optional<int64_t> vectorAxis, StringRef vectorWhat,
                StringRef scaleName, StringRef zpName,
                std::optional<int64_t> broadcastOne = {}) {
  QuantParams p;
  p.storage = storage;
  bool hasZp = ctx.hasInput(zpIndex);
  // The shape that decides the granularity: the scale's, else the zero
  // point's.
  if (scaleIndex) {
    FailureOr<ImportedValue> scale = ctx.input(*scaleIndex);
    if (failed(scale))
      return failure();
    if (!isFloatDType(scale->dtype)) {
      ctx.emitError() << scaleName << " has element type "
                      << getDTypeName(scale->dtype)
                      << ", expected a float type";
      return failure();
    }
    p.expressed = scale->dtype;
    p.paramShape = scale->shape;
  }
  if (hasZp) {
    FailureOr<ImportedValue> zp = ctx.input(zpIndex);
    if (failed(zp))
      return failure();
    if (zp->dtype != storage.dtype) {
      ctx.emitError() << zpName << " has element type "
                      << getDTypeName(zp->dtype) << ", expected "
                      << getDTypeName(storage.dtype)
                      << " (the type of the quantized values)";
      return failure();
    }
    if (!scaleIndex) {
      p.paramShape = zp->shape;
    } else if (numElements(zp->shape) != numElements(p.paramShape) ||
               (zp->shape.size() > 1) != (p.paramShape.size() > 1)) {
      ctx.emitError() << zpName << " has shape " << formatShape(zp->shape)
                      << ", expected the shape of " << scaleName << " "
                      << formatShape(p.paramShape);
      return failure();
    }
  }
  FailureOr<int64_t> kind =
      classifyParam(ctx, scaleIndex ? scaleName : zpName, p.paramShape,
                    valueShape, vectorAxis, vectorWhat, broadcastOne);
  if (failed(kind))
    return failure();
  p.kind = *kind;

  // Values known at compile time.
  std::optional<HostTensor> scaleHost =
      scaleIndex ? getConstantInput(ctx, *scaleIndex) : std::nullopt;
  std::optional<HostTensor> zpHost =
      hasZp ? getConstantInput(ctx, zpIndex) : std::nullopt;
  int64_t count = numElements(p.paramShape);
  if ((!scaleIndex || scaleHost) && (!hasZp || zpHost)) {
    p.known = true;
    for (int64_t i = 0; i < count; ++i) {
      p.scales.push_back(scaleHost ? scaleHost->getDouble(i) : 1.0);
      p.zeroPoints.push_back(zpHost ? zpHost->getInt(i) : 0);
    }
  }
  p.scaleInput = scaleIndex;
  if (hasZp)
    p.zeroPointInput = zpIndex;
  return p;
}

//===----------------------------------------------------------------------===//
// Scalar arithmetic (the same as the qc lowering's)
//===----------------------------------------------------------------------===//

Value constF(OpBuilder &b, Location loc, Type type, double value) {
  return createScalarConstant(b, loc, type, value);
}

Value constI32(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantOp::create(b, loc, b.getI32Type(),
                                   b.getI32IntegerAttr(int32_t(value)));
}

/// A stored value (or zero point) widened to `type` with its signedness.
Value extendStored(OpBuilder &b, Location loc, Value v, const Storage &s,
                   Type type) {
  return convertScalar(b, loc, v, type, /*srcUnsigned=*/!s.isSigned);
}

/// ONNX QuantizeLinear for one element: clamp(rne(x / scale) + zp) with NaN
/// going to the zero point. `zp` is i32. Returns the storage (iN) value.
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value scale, Value zp,
                     const Storage &s) {
  Type expressed = scale.getType();
  Value v = arith::DivFOp::create(b, loc, x, scale);
  Value rounded = math::RoundEvenOp::create(b, loc, v);
  Type work = (s.width > 16 || expressed.isF64()) ? Type(b.getF64Type())
                                                  : Type(b.getF32Type());
  Value r = convertScalar(b, loc, rounded, work);
  Value zpWork = arith::SIToFPOp::create(b, loc, work, zp);
  Value c = arith::AddFOp::create(b, loc, r, zpWork);
  c = arith::MaxNumFOp::create(b, loc, c, constF(b, loc, work, s.min));
  c = arith::MinNumFOp::create(b, loc, c, constF(b, loc, work, s.max));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  c = arith::SelectOp::create(b, loc, isNaN, zpWork, c);
  Value wide = arith::FPToSIOp::create(b, loc, b.getI64Type(), c);
  return arith::TruncIOp::create(b, loc, b.getIntegerType(s.width), wide);
}

/// ONNX DequantizeLinear for one element: (q - zp) * scale, the difference
/// exact in integers. `zp` is the stored zero point (or null for 0).
Value dequantizeScalar(OpBuilder &b, Location loc, Value q, Value scale,
                       Value zp, const Storage &s) {
  Type acc = s.width >= 32 ? Type(b.getI64Type()) : Type(b.getI32Type());
  Value diff = extendStored(b, loc, q, s, acc);
  if (zp)
    diff =
        arith::SubIOp::create(b, loc, diff, extendStored(b, loc, zp, s, acc));
  Value f = arith::SIToFPOp::create(b, loc, scale.getType(), diff);
  return arith::MulFOp::create(b, loc, f, scale);
}

//===----------------------------------------------------------------------===//
// Kernels on parameters known only at run time
//===----------------------------------------------------------------------===//

/// The indexing map of a parameter tensor in a kernel with `numLoops` loops;
/// `valueExprs[i]` indexes dimension i of the quantized value.
AffineMap getParamMap(MLIRContext *ctx, unsigned numLoops,
                      ArrayRef<int64_t> paramShape, int64_t kind,
                      ArrayRef<AffineExpr> valueExprs) {
  SmallVector<AffineExpr> exprs;
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  if (kind == kPerTensor)
    exprs.assign(paramShape.size(), zero);
  else if (kind == kBroadcast)
    for (auto [i, d] : llvm::enumerate(paramShape))
      exprs.push_back(d == 1 ? zero : valueExprs[i]);
  else
    exprs.push_back(valueExprs[kind]);
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// Collects the inputs of a linalg.generic and remembers where each went.
struct GenericInputs {
  SmallVector<Value> values;
  SmallVector<AffineMap> maps;
  int add(Value v, AffineMap map) {
    if (!v)
      return -1;
    values.push_back(v);
    maps.push_back(map);
    return values.size() - 1;
  }
};

/// One parallel linalg.generic over `shape` (identity output map).
Value buildParallelGeneric(
    OpBuilder &b, Location loc, GenericInputs &in, ArrayRef<int64_t> shape,
    Type resultElement,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = shape.size();
  SmallVector<AffineMap> maps = in.maps;
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = createEmptyTensor(b, loc, shape, resultElement);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, in.values, ValueRange{init},
             maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, args));
             })
      .getResult(0);
}

SmallVector<AffineExpr> identityExprs(MLIRContext *ctx, int64_t rank) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  return exprs;
}

/// QuantizeLinear with parameter tensors read at run time.
Value buildRuntimeQuantize(OpBuilder &b, Location loc, Value x,
                           const QuantParams &p) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> dims = identityExprs(ctx, rank);
  GenericInputs in;
  in.add(x, AffineMap::getMultiDimIdentityMap(rank, ctx));
  int scaleArg =
      in.add(p.scale, getParamMap(ctx, rank, p.paramShape, p.kind, dims));
  int zpArg =
      in.add(p.zeroPoint, getParamMap(ctx, rank, p.paramShape, p.kind, dims));
  return buildParallelGeneric(
      b, loc, in, type.getShape(), b.getIntegerType(p.storage.width),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value zp = zpArg >= 0 ? extendStored(nb, nl, args[zpArg], p.storage,
                                             nb.getI32Type())
                              : constI32(nb, nl, 0);
        return quantizeScalar(nb, nl, args[0], args[scaleArg], zp, p.storage);
      });
}

/// DequantizeLinear with parameter tensors read at run time.
Value buildRuntimeDequantize(OpBuilder &b, Location loc, Value x,
                             const QuantParams &p, Type expressed) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> dims = identityExprs(ctx, rank);
  GenericInputs in;
  in.add(x, AffineMap::getMultiDimIdentityMap(rank, ctx));
  int scaleArg =
      in.add(p.scale, getParamMap(ctx, rank, p.paramShape, p.kind, dims));
  int zpArg =
      in.add(p.zeroPoint, getParamMap(ctx, rank, p.paramShape, p.kind, dims));
  return buildParallelGeneric(
      b, loc, in, type.getShape(), expressed,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        return dequantizeScalar(nb, nl, args[0], args[scaleArg],
                                zpArg >= 0 ? args[zpArg] : Value(), p.storage);
      });
}

/// A quantized operand of an integer kernel.
struct IntOperand {
  Value value; // storage tensor
  QuantParams params;
};

/// The zero point of `op` inside a kernel body, as i32.
Value zeroPointAt(OpBuilder &b, Location loc, const IntOperand &op, int arg,
                  ValueRange args) {
  if (arg < 0)
    return constI32(b, loc, 0);
  return extendStored(b, loc, args[arg], op.params.storage, b.getI32Type());
}

/// acc[batch..., m, n] = sum_k (a[.., m, k] - za) * (b[.., k, n] - zb), exact
/// in i32, for `a` [.., M, K] and `b` [.., K, N] (rank >= 2, batch
/// dimensions broadcast). Zero points are read as tensors.
Value buildIntegerMatMul(OpBuilder &b, Location loc, const IntOperand &lhs,
                         const IntOperand &rhs) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> a = cast<ShapedType>(lhs.value.getType()).getShape();
  ArrayRef<int64_t> w = cast<ShapedType>(rhs.value.getType()).getShape();
  ArrayRef<int64_t> batchA = a.drop_back(2), batchW = w.drop_back(2);
  SmallVector<int64_t> batch = *qc::broadcastShapes(batchA, batchW);
  int64_t nb = batch.size();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  AffineExpr dm = d(nb), dn = d(nb + 1), dk = d(nb + 2);
  unsigned numLoops = nb + 3;
  auto batchExprs = [&](ArrayRef<int64_t> own) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = nb - own.size();
    for (int64_t i = 0, e = own.size(); i < e; ++i)
      exprs.push_back(own[i] == 1 && batch[i + offset] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : d(i + offset));
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs = batchExprs(batchA);
  lhsExprs.append({dm, dk});
  SmallVector<AffineExpr> rhsExprs = batchExprs(batchW);
  rhsExprs.append({dk, dn});
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < nb; ++i)
    outExprs.push_back(d(i));
  outExprs.append({dm, dn});
  SmallVector<int64_t> accShape(batch);
  accShape.append({a[a.size() - 2], w.back()});

  GenericInputs in;
  in.add(lhs.value, AffineMap::get(numLoops, 0, lhsExprs, ctx));
  in.add(rhs.value, AffineMap::get(numLoops, 0, rhsExprs, ctx));
  int lhsZp = in.add(lhs.params.zeroPoint,
                     getParamMap(ctx, numLoops, lhs.params.paramShape,
                                 lhs.params.kind, lhsExprs));
  int rhsZp = in.add(rhs.params.zeroPoint,
                     getParamMap(ctx, numLoops, rhs.params.paramShape,
                                 rhs.params.kind, rhsExprs));
  SmallVector<AffineMap> maps = in.maps;
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  Value init = createFilledTensor(b, loc, accShape, constI32(b, loc, 0));
  SmallVector<utils::IteratorType> iterators(numLoops - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, in.values, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value x = arith::SubIOp::create(
                   nb, nl,
                   extendStored(nb, nl, args[0], lhs.params.storage,
                                nb.getI32Type()),
                   zeroPointAt(nb, nl, lhs, lhsZp, args));
               Value y = arith::SubIOp::create(
                   nb, nl,
                   extendStored(nb, nl, args[1], rhs.params.storage,
                                nb.getI32Type()),
                   zeroPointAt(nb, nl, rhs, rhsZp, args));
               Value sum = arith::AddIOp::create(
                   nb, nl, args.back(), arith::MulIOp::create(nb, nl, x, y));
               linalg::YieldOp::create(nb, nl, sum);
             })
      .getResult(0);
}

/// Convolution geometry, as for ONNX Conv.
struct ConvGeometry {
  SmallVector<int64_t> strides, dilations, pads;
  int64_t group = 1;
  SmallVector<int64_t> outShape;
};

/// acc[n, o, y...] = sum (x_pad[n, g*C/G + c, y*s + j*d] - zx) *
/// (w[o, c, j...] - zw[o]), exact in i32; padding is the zero point (real
/// zero). `x`'s zero point is per tensor.
Value buildIntegerConv(OpBuilder &b, Location loc, const IntOperand &x,
                       const IntOperand &w, const ConvGeometry &g) {
  MLIRContext *ctx = b.getContext();
  Value input = x.value;
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(w.value.getType());
  int64_t rank = inputType.getRank(), spatial = rank - 2;
  Type storageType = inputType.getElementType();
  // The data zero point as a stored scalar: the padding value.
  Value xZp;
  if (x.params.zeroPoint) {
    int64_t zpRank = cast<ShapedType>(x.params.zeroPoint.getType()).getRank();
    SmallVector<Value> zeros(zpRank, arith::ConstantIndexOp::create(b, loc, 0));
    xZp = tensor::ExtractOp::create(b, loc, x.params.zeroPoint, zeros);
  } else {
    xZp = createScalarConstant(b, loc, storageType, 0);
  }
  if (llvm::any_of(g.pads, [](int64_t p) { return p != 0; })) {
    SmallVector<OpFoldResult> low, high;
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t lo = i < 2 ? 0 : g.pads[i - 2];
      int64_t hi = i < 2 ? 0 : g.pads[i - 2 + spatial];
      low.push_back(b.getIndexAttr(lo));
      high.push_back(b.getIndexAttr(hi));
      shape.push_back(inputType.getDimSize(i) + lo + hi);
    }
    input =
        tensor::PadOp::create(b, loc, RankedTensorType::get(shape, storageType),
                              input, low, high, xZp);
    inputType = cast<RankedTensorType>(input.getType());
  }
  int64_t channels = inputType.getDimSize(1);
  int64_t outChannels = weightType.getDimSize(0);
  int64_t cg = channels / g.group, og = outChannels / g.group;
  SmallVector<int64_t> inG{inputType.getDimSize(0), g.group, cg};
  SmallVector<int64_t> wG{g.group, og, cg};
  SmallVector<int64_t> accG{g.outShape[0], g.group, og};
  for (int64_t i = 0; i < spatial; ++i) {
    inG.push_back(inputType.getDimSize(i + 2));
    wG.push_back(weightType.getDimSize(i + 2));
    accG.push_back(g.outShape[i + 2]);
  }
  Value inputG = reshapeTensor(b, loc, input, inG);
  Value weightG = reshapeTensor(b, loc, w.value, wG);
  int64_t numLoops = 3 + spatial + 1 + spatial;
  int64_t cDim = 3 + spatial;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs{d(0), d(1), d(cDim)};
  SmallVector<AffineExpr> wExprs{d(1), d(2), d(cDim)};
  SmallVector<AffineExpr> outExprs{d(0), d(1), d(2)};
  SmallVector<AffineExpr> weightValueExprs{d(1) * og + d(2), d(cDim)};
  for (int64_t i = 0; i < spatial; ++i) {
    inExprs.push_back(d(3 + i) * g.strides[i] +
                      d(cDim + 1 + i) * g.dilations[i]);
    wExprs.push_back(d(cDim + 1 + i));
    outExprs.push_back(d(3 + i));
    weightValueExprs.push_back(d(cDim + 1 + i));
  }
  GenericInputs in;
  in.add(inputG, AffineMap::get(numLoops, 0, inExprs, ctx));
  in.add(weightG, AffineMap::get(numLoops, 0, wExprs, ctx));
  int wZp =
      in.add(w.params.zeroPoint, getParamMap(ctx, numLoops, w.params.paramShape,
                                             w.params.kind, weightValueExprs));
  SmallVector<AffineMap> maps = in.maps;
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  Value init = createFilledTensor(b, loc, accG, constI32(b, loc, 0));
  SmallVector<utils::IteratorType> iterators(3 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(1 + spatial, utils::IteratorType::reduction);
  Value acc =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, in.values, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value xv = arith::SubIOp::create(
                nb, nl,
                extendStored(nb, nl, args[0], x.params.storage,
                             nb.getI32Type()),
                extendStored(nb, nl, xZp, x.params.storage, nb.getI32Type()));
            Value wv = arith::SubIOp::create(nb, nl,
                                             extendStored(nb, nl, args[1],
                                                          w.params.storage,
                                                          nb.getI32Type()),
                                             zeroPointAt(nb, nl, w, wZp, args));
            Value sum = arith::AddIOp::create(
                nb, nl, args.back(), arith::MulIOp::create(nb, nl, xv, wv));
            linalg::YieldOp::create(nb, nl, sum);
          })
          .getResult(0);
  return reshapeTensor(b, loc, acc, g.outShape);
}

/// The requantizing epilogue with parameters read at run time, the same
/// arithmetic as qc's quantized compute epilogue:
///   s = s_a * s_b;  v = float(acc) * s [+ float(bias) * s]
///   y = clamp(rne(v / s_y) + z_y)
/// `aExprs`/`bExprs` index the parameters' value dimensions from the
/// accumulator's loops; the bias runs along `biasDim`.
Value buildRuntimeRequantize(OpBuilder &b, Location loc, Value acc,
                             const QuantParams &a, ArrayRef<AffineExpr> aExprs,
                             const QuantParams &w, ArrayRef<AffineExpr> wExprs,
                             Value bias, int64_t biasDim,
                             const QuantParams &y) {
  MLIRContext *ctx = b.getContext();
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t rank = accType.getRank();
  GenericInputs in;
  in.add(acc, AffineMap::getMultiDimIdentityMap(rank, ctx));
  int aScale =
      in.add(a.scale, getParamMap(ctx, rank, a.paramShape, a.kind, aExprs));
  int wScale =
      in.add(w.scale, getParamMap(ctx, rank, w.paramShape, w.kind, wExprs));
  int biasArg = in.add(
      bias, AffineMap::get(rank, 0, getAffineDimExpr(biasDim, ctx), ctx));
  int yScale =
      in.add(y.scale, getParamMap(ctx, rank, y.paramShape, y.kind, {}));
  int yZp =
      in.add(y.zeroPoint, getParamMap(ctx, rank, y.paramShape, y.kind, {}));
  return buildParallelGeneric(
      b, loc, in, accType.getShape(), b.getIntegerType(y.storage.width),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type f = args[aScale].getType();
        Value s = arith::MulFOp::create(nb, nl, args[aScale], args[wScale]);
        Value v = arith::MulFOp::create(
            nb, nl, arith::SIToFPOp::create(nb, nl, f, args[0]), s);
        if (biasArg >= 0)
          v = arith::AddFOp::create(
              nb, nl, v,
              arith::MulFOp::create(
                  nb, nl, arith::SIToFPOp::create(nb, nl, f, args[biasArg]),
                  s));
        Value zp = yZp >= 0 ? extendStored(nb, nl, args[yZp], y.storage,
                                           nb.getI32Type())
                            : constI32(nb, nl, 0);
        return quantizeScalar(nb, nl, v, args[yScale], zp, y.storage);
      });
}

//===----------------------------------------------------------------------===//
// Shared pieces of the handlers
//===----------------------------------------------------------------------===//

/// Reinterprets a storage tensor as quantized with `type`.
Value toQuantized(OpBuilder &b, Location loc, Value storage, UniformType type) {
  auto shaped = cast<RankedTensorType>(storage.getType());
  return StorageCastOp::create(
      b, loc, RankedTensorType::get(shaped.getShape(), type), storage);
}

/// Reinterprets a quantized tensor as its storage.
Value toStorage(OpBuilder &b, Location loc, Value quantized) {
  auto shaped = cast<RankedTensorType>(quantized.getType());
  UniformType type = getUniformElementType(shaped);
  return StorageCastOp::create(
      b, loc,
      RankedTensorType::get(shaped.getShape(), type.getStorageMemoryType()),
      quantized);
}

/// Reads the quantized operand `index` (a storage tensor) and checks its
/// element type.
FailureOr<std::pair<Value, Storage>> readQuantizedInput(NodeContext &ctx,
                                                        unsigned index,
                                                        StringRef name,
                                                        bool allowInt32) {
  FailureOr<ImportedValue> v = ctx.input(index);
  if (failed(v))
    return failure();
  FailureOr<Storage> s = requireStorage(ctx, v->dtype, name, allowInt32);
  if (failed(s))
    return failure();
  Value value = ctx.inputValue(index);
  if (!value)
    return failure();
  return std::make_pair(value, *s);
}

/// The two quantized operands (inputs 0 and 3) and the output storage (from
/// input 7, y_zero_point) of QLinearMatMul and QLinearConv.
struct QLinearStorages {
  std::pair<Value, Storage> lhs, rhs;
  Storage y;
};

FailureOr<QLinearStorages>
readQLinearStorages(NodeContext &ctx, StringRef lhsName, StringRef rhsName) {
  FailureOr<std::pair<Value, Storage>> lhs =
      readQuantizedInput(ctx, 0, lhsName, /*allowInt32=*/false);
  if (failed(lhs))
    return failure();
  FailureOr<std::pair<Value, Storage>> rhs =
      readQuantizedInput(ctx, 3, rhsName, /*allowInt32=*/false);
  if (failed(rhs))
    return failure();
  FailureOr<ImportedValue> yZp = ctx.input(7);
  if (failed(yZp))
    return failure();
  FailureOr<Storage> y =
      requireStorage(ctx, yZp->dtype, "y_zero_point", /*allowInt32=*/false);
  if (failed(y))
    return failure();
  return QLinearStorages{*lhs, *rhs, *y};
}

/// QLinear scales must share one float type.
LogicalResult checkSameScaleType(NodeContext &ctx, StringRef lhsName,
                                 const QuantParams &lhs, StringRef rhsName,
                                 const QuantParams &rhs, const QuantParams &y) {
  if (lhs.expressed == rhs.expressed && lhs.expressed == y.expressed)
    return success();
  return ctx.error(lhsName + "_scale, " + rhsName +
                   "_scale and y_scale must have one float type, got " +
                   getDTypeName(lhs.expressed) + ", " +
                   getDTypeName(rhs.expressed) + " and " +
                   getDTypeName(y.expressed));
}

/// Attributes only later opsets define, which qc does not support.
LogicalResult checkUnsupportedAttrs(NodeContext &ctx) {
  if (ctx.attrInt("block_size", 0) != 0)
    return ctx.error("blocked quantization (block_size " +
                     std::to_string(ctx.attrInt("block_size", 0)) +
                     ") is not supported");
  return success();
}

/// The axis of a 1-D scale of Q/DQ: the `axis` attribute (opset 13), which
/// is only checked when used.
FailureOr<std::optional<int64_t>> getQDQAxis(NodeContext &ctx, int64_t rank,
                                             int64_t scaleCount) {
  if (scaleCount <= 1)
    return std::optional<int64_t>();
  if (ctx.opset() < 13) {
    ctx.emitError() << "per-axis quantization (a scale of " << scaleCount
                    << " elements) needs opset 13";
    return failure();
  }
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.attrInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  return std::optional<int64_t>(*axis);
}

/// "dimension 1 of x, given by axis", for messages.
std::string axisWhat(std::optional<int64_t> axis, StringRef value) {
  return axis ? "dimension " + std::to_string(*axis) + " of " + value.str() +
                    ", given by axis"
              : std::string();
}

/// The element count of an input; 1 when absent (reported where it is read).
int64_t inputNumElements(NodeContext &ctx, unsigned index) {
  if (!ctx.hasInput(index))
    return 1;
  FailureOr<ImportedValue> v = ctx.input(index);
  return succeeded(v) ? numElements(v->shape) : 1;
}

//===----------------------------------------------------------------------===//
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

LogicalResult importQuantizeLinear(NodeContext &ctx) {
  if (failed(checkUnsupportedAttrs(ctx)))
    return failure();
  FailureOr<ImportedValue> x = ctx.input(0);
  if (failed(x))
    return failure();
  if (!isFloatDType(x->dtype))
    return ctx.error("x has element type " + getDTypeName(x->dtype) +
                     ", which is not supported (float types only)");
  // The storage: the zero point's type, else output_dtype (opset 21), else
  // uint8.
  ONNXDType storageDType = ONNXDType::UInt8;
  if (ctx.hasInput(2)) {
    FailureOr<ImportedValue> zp = ctx.input(2);
    if (failed(zp))
      return failure();
    storageDType = zp->dtype;
  } else if (ctx.hasAttr("output_dtype")) {
    storageDType = static_cast<ONNXDType>(ctx.attrInt("output_dtype", 2));
  }
  FailureOr<Storage> storage = requireStorage(
      ctx, storageDType, ctx.hasInput(2) ? "y_zero_point" : "output_dtype",
      /*allowInt32=*/false);
  if (failed(storage))
    return failure();
  FailureOr<std::optional<int64_t>> axis =
      getQDQAxis(ctx, x->shape.size(), inputNumElements(ctx, 1));
  if (failed(axis))
    return failure();
  FailureOr<QuantParams> p =
      readQuantParams(ctx, 1, 2, *storage, x->shape, *axis,
                      axisWhat(*axis, "x"), "y_scale", "y_zero_point");
  if (failed(p))
    return failure();
  if (p->expressed != x->dtype)
    return ctx.error("y_scale has element type " + getDTypeName(p->expressed) +
                     ", expected " + getDTypeName(x->dtype) +
                     " (the type of x)");
  Value input = ctx.inputValue(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value result;
  if (UniformType type = p->getType(ctx.context(), x->shape.size())) {
    Value q = QuantizeOp::create(b, loc, RankedTensorType::get(x->shape, type),
                                 input);
    result = toStorage(b, loc, q);
  } else {
    if (failed(p->materialize(ctx)))
      return failure();
    result = buildRuntimeQuantize(b, loc, input, *p);
  }
  ctx.setOutput(0, result, storageDType);
  return success();
}

LogicalResult importDequantizeLinear(NodeContext &ctx) {
  if (failed(checkUnsupportedAttrs(ctx)))
    return failure();
  FailureOr<std::pair<Value, Storage>> x =
      readQuantizedInput(ctx, 0, "x", /*allowInt32=*/true);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->first.getType());
  FailureOr<std::optional<int64_t>> axis =
      getQDQAxis(ctx, type.getRank(), inputNumElements(ctx, 1));
  if (failed(axis))
    return failure();
  FailureOr<QuantParams> p =
      readQuantParams(ctx, 1, 2, x->second, type.getShape(), *axis,
                      axisWhat(*axis, "x"), "x_scale", "x_zero_point");
  if (failed(p))
    return failure();
  Type expressed = ctx.elementType(p->expressed);
  if (!expressed)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value result;
  if (UniformType quant = p->getType(ctx.context(), type.getRank())) {
    Value q = toQuantized(b, loc, x->first, quant);
    result = DequantizeOp::create(
        b, loc, RankedTensorType::get(type.getShape(), expressed), q);
  } else {
    if (failed(p->materialize(ctx)))
      return failure();
    result = buildRuntimeDequantize(b, loc, x->first, *p, expressed);
  }
  ctx.setOutput(0, result, p->expressed);
  return success();
}

/// y_scale = (max(0, max x) - min(0, min x)) / 255 (1 when that range is
/// empty, as onnxruntime does), y_zero_point = rne(clamp(-min / y_scale, 0,
/// 255)), y = QuantizeLinear(x, y_scale, y_zero_point); all in f32.
LogicalResult importDynamicQuantizeLinear(NodeContext &ctx) {
  FailureOr<ImportedValue> xv = ctx.input(0);
  if (failed(xv))
    return failure();
  if (xv->dtype != ONNXDType::Float)
    return ctx.error("x has element type " + getDTypeName(xv->dtype) +
                     ", expected float32");
  Value x = ctx.inputValue(0);
  if (!x)
    return failure();
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type f32 = b.getF32Type();
  int64_t rank = xv->shape.size();
  SmallVector<bool> all(rank, true);
  auto reduce = [&](bool isMax) {
    Value init = constF(b, loc, f32,
                        isMax ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity());
    Value r = buildReduction(
        b, loc, x, all, init, /*keepDims=*/false,
        [&](OpBuilder &nb, Location nl, Value acc, Value e) {
          return isMax ? createMax(nb, nl, acc, e, ONNXDType::Float)
                       : createMin(nb, nl, acc, e, ONNXDType::Float);
        });
    return tensor::ExtractOp::create(b, loc, r, ValueRange{}).getResult();
  };
  Value zero = constF(b, loc, f32, 0.0);
  Value hi = arith::MaximumFOp::create(b, loc, reduce(true), zero);
  Value lo = arith::MinimumFOp::create(b, loc, reduce(false), zero);
  Value range = arith::SubFOp::create(b, loc, hi, lo);
  Value scale = arith::SelectOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, hi, lo),
      constF(b, loc, f32, 1.0),
      arith::DivFOp::create(b, loc, range, constF(b, loc, f32, 255.0)));
  Value initialZp = arith::SubFOp::create(
      b, loc, zero, arith::DivFOp::create(b, loc, lo, scale));
  Value clamped = arith::MaxNumFOp::create(
      b, loc, zero,
      arith::MinNumFOp::create(b, loc, constF(b, loc, f32, 255.0), initialZp));
  Value zpF = math::RoundEvenOp::create(b, loc, clamped);
  Value zp32 = arith::FPToSIOp::create(b, loc, b.getI32Type(), zpF);
  Value zp8 = arith::TruncIOp::create(b, loc, b.getI8Type(), zp32);
  Storage u8 = *getStorage(ONNXDType::UInt8);
  Value y = buildElementwise(b, loc, ValueRange{x}, b.getI8Type(),
                             [&](OpBuilder &nb, Location nl, ValueRange args) {
                               return quantizeScalar(nb, nl, args[0], scale,
                                                     zp32, u8);
                             });
  ctx.setOutput(0, y, ONNXDType::UInt8);
  ctx.setOutput(1,
                tensor::FromElementsOp::create(
                    b, loc, RankedTensorType::get({}, f32), ValueRange{scale}),
                ONNXDType::Float);
  ctx.setOutput(
      2,
      tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get({}, b.getI8Type()), ValueRange{zp8}),
      ONNXDType::UInt8);
  return success();
}

//===----------------------------------------------------------------------===//
// QLinearMatMul / MatMulInteger
//===----------------------------------------------------------------------===//

/// The raw i32 accumulator type of MatMulInteger/ConvInteger.
UniformType getAccumulatorType(MLIRContext *ctx) {
  return UniformType::getInteger(ctx, 32, /*isSigned=*/true,
                                 Float32Type::get(ctx), 1.0, 0);
}

/// Emits a matmul of two quantized storage operands; `a` and `b` are the
/// graph's tensors (rank >= 1). With `yParams` it requantizes (QLinearMatMul),
/// else it produces the i32 accumulator (MatMulInteger).
LogicalResult emitQuantizedMatMul(NodeContext &ctx, IntOperand a, IntOperand b,
                                  const QuantParams *yParams) {
  OpBuilder &builder = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  SmallVector<int64_t> aShape(cast<ShapedType>(a.value.getType()).getShape());
  SmallVector<int64_t> bShape(cast<ShapedType>(b.value.getType()).getShape());
  SmallVector<int64_t> shape;
  if (failed(inferMatMulShape(aShape, bShape, shape,
                              [&]() { return ctx.emitError(); })))
    return failure();
  // Vectors become matrices; the added dimension is dropped at the end.
  if (aShape.size() == 1) {
    aShape.insert(aShape.begin(), 1);
    a.value = reshapeTensor(builder, loc, a.value, aShape);
  }
  if (bShape.size() == 1) {
    bShape.push_back(1);
    b.value = reshapeTensor(builder, loc, b.value, bShape);
  }
  SmallVector<int64_t> fullShape;
  (void)inferMatMulShape(aShape, bShape, fullShape,
                         [&]() { return ctx.emitError(); });
  ONNXDType outDType = yParams ? yParams->storage.dtype : ONNXDType::Int32;

  // Integer kernel on quantized types where every parameter fits one:
  // per-tensor data, per-tensor or per-column weights.
  int64_t bRank = bShape.size();
  UniformType aType = a.params.getType(mctx, aShape.size());
  UniformType bType = b.params.getType(mctx, bRank);
  UniformType yType = yParams ? yParams->getType(mctx, fullShape.size())
                              : getAccumulatorType(mctx);
  bool typed = aType && bType && yType && aType.isPerTensor() &&
               (bType.isPerTensor() || bType.getAxis() == bRank - 1) &&
               yType.isPerTensor() &&
               aType.getExpressedType() == bType.getExpressedType() &&
               aType.getExpressedType() == yType.getExpressedType();
  Value result;
  if (typed) {
    Value lhs = toQuantized(builder, loc, a.value, aType);
    Value rhs = toQuantized(builder, loc, b.value, bType);
    Value product = MatMulOp::create(
        builder, loc, RankedTensorType::get(fullShape, yType), lhs, rhs);
    result = toStorage(builder, loc, product);
  } else {
    QuantParams y = yParams ? *yParams : QuantParams();
    if (failed(a.params.materialize(ctx)) ||
        failed(b.params.materialize(ctx)) ||
        (yParams && failed(y.materialize(ctx))))
      return failure();
    result = buildIntegerMatMul(builder, loc, a, b);
    if (yParams) {
      int64_t nb = fullShape.size() - 2;
      // From the accumulator's loops [batch..., m, n]: a's rows are m, b's
      // columns n (only the 1-D parameter axis is ever read).
      SmallVector<AffineExpr> aExprs(aShape.size(),
                                     getAffineConstantExpr(0, mctx));
      aExprs[aShape.size() - 2] = getAffineDimExpr(nb, mctx);
      SmallVector<AffineExpr> bExprs(bRank, getAffineConstantExpr(0, mctx));
      bExprs[bRank - 1] = getAffineDimExpr(nb + 1, mctx);
      result = buildRuntimeRequantize(builder, loc, result, a.params, aExprs,
                                      b.params, bExprs, Value(), 0, y);
    }
    result = reshapeTensor(builder, loc, result, fullShape);
  }
  ctx.setOutput(0, reshapeTensor(builder, loc, result, shape), outDType);
  return success();
}

LogicalResult importQLinearMatMul(NodeContext &ctx) {
  FailureOr<QLinearStorages> st = readQLinearStorages(ctx, "a", "b");
  if (failed(st))
    return failure();
  const std::pair<Value, Storage> *a = &st->lhs, *b = &st->rhs;
  const Storage *yStorage = &st->y;
  ArrayRef<int64_t> aShape = cast<ShapedType>(a->first.getType()).getShape();
  ArrayRef<int64_t> bShape = cast<ShapedType>(b->first.getType()).getShape();
  int64_t aRank = aShape.size(), bRank = bShape.size();
  FailureOr<QuantParams> ap = readQuantParams(
      ctx, 1, 2, a->second, aShape,
      aRank >= 2 ? std::optional<int64_t>(aRank - 2) : std::nullopt,
      "one per row of a", "a_scale", "a_zero_point");
  if (failed(ap))
    return failure();
  FailureOr<QuantParams> bp = readQuantParams(
      ctx, 4, 5, b->second, bShape,
      bRank >= 2 ? std::optional<int64_t>(bRank - 1) : std::nullopt,
      "one per column of b", "b_scale", "b_zero_point");
  if (failed(bp))
    return failure();
  FailureOr<QuantParams> yp = readQuantParams(
      ctx, 6, 7, *yStorage, {}, std::nullopt, "", "y_scale", "y_zero_point");
  if (failed(yp))
    return failure();
  if (failed(checkSameScaleType(ctx, "a", *ap, "b", *bp, *yp)))
    return failure();
  return emitQuantizedMatMul(ctx, IntOperand{a->first, *ap},
                             IntOperand{b->first, *bp}, &*yp);
}

LogicalResult importMatMulInteger(NodeContext &ctx) {
  FailureOr<std::pair<Value, Storage>> a =
      readQuantizedInput(ctx, 0, "A", /*allowInt32=*/false);
  if (failed(a))
    return failure();
  FailureOr<std::pair<Value, Storage>> b =
      readQuantizedInput(ctx, 1, "B", /*allowInt32=*/false);
  if (failed(b))
    return failure();
  ArrayRef<int64_t> aShape = cast<ShapedType>(a->first.getType()).getShape();
  ArrayRef<int64_t> bShape = cast<ShapedType>(b->first.getType()).getShape();
  int64_t aRank = aShape.size(), bRank = bShape.size();
  // Zero points: scalar, one per row of A / column of B, or (N-D) A's shape
  // with K = 1 / B's shape with K = 1.
  FailureOr<QuantParams> ap = readQuantParams(
      ctx, std::nullopt, 2, a->second, aShape,
      aRank >= 2 ? std::optional<int64_t>(aRank - 2) : std::nullopt,
      "one per row of A", "", "a_zero_point",
      aRank >= 2 ? std::optional<int64_t>(aRank - 1) : std::nullopt);
  if (failed(ap))
    return failure();
  FailureOr<QuantParams> bp = readQuantParams(
      ctx, std::nullopt, 3, b->second, bShape,
      bRank >= 2 ? std::optional<int64_t>(bRank - 1) : std::nullopt,
      "one per column of B", "", "b_zero_point",
      bRank >= 2 ? std::optional<int64_t>(bRank - 2) : std::nullopt);
  if (failed(bp))
    return failure();
  return emitQuantizedMatMul(ctx, IntOperand{a->first, *ap},
                             IntOperand{b->first, *bp}, nullptr);
}

//===----------------------------------------------------------------------===//
// QLinearConv / ConvInteger
//===----------------------------------------------------------------------===//

FailureOr<ConvGeometry> getConvGeometry(NodeContext &ctx,
                                        ArrayRef<int64_t> xShape,
                                        ArrayRef<int64_t> wShape) {
  int64_t rank = xShape.size();
  if (rank < 3 || int64_t(wShape.size()) != rank) {
    ctx.emitError() << "input must have rank >= 3 and the weight the same "
                       "rank, got "
                    << formatShape(xShape) << " and " << formatShape(wShape);
    return failure();
  }
  int64_t spatial = rank - 2;
  ConvGeometry g;
  g.strides = ctx.attrInts("strides");
  g.dilations = ctx.attrInts("dilations");
  if (g.strides.empty())
    g.strides.assign(spatial, 1);
  if (g.dilations.empty())
    g.dilations.assign(spatial, 1);
  if (int64_t(g.strides.size()) != spatial ||
      int64_t(g.dilations.size()) != spatial) {
    ctx.emitError() << "strides and dilations need one value per spatial "
                       "dimension";
    return failure();
  }
  SmallVector<int64_t> kernel(wShape.drop_front(2));
  SmallVector<int64_t> kernelAttr = ctx.attrInts("kernel_shape");
  if (!kernelAttr.empty() &&
      ArrayRef<int64_t>(kernelAttr) != ArrayRef<int64_t>(kernel)) {
    ctx.emitError() << "kernel_shape " << formatShape(kernelAttr)
                    << " differs from the weight's " << formatShape(kernel);
    return failure();
  }
  FailureOr<SmallVector<int64_t>> pads = computeConvPads(
      ctx, xShape.drop_front(2), kernel, g.strides, g.dilations);
  if (failed(pads))
    return failure();
  g.pads = *pads;
  g.group = ctx.attrInt("group", 1);
  if (failed(inferConvShape(xShape, wShape, g.strides, g.dilations, g.pads,
                            g.group, g.outShape,
                            [&]() { return ctx.emitError(); })))
    return failure();
  return g;
}

/// Emits a convolution of quantized storage operands: requantizing with
/// `yParams` (QLinearConv, optional int32 `bias`), else the i32 accumulator
/// (ConvInteger).
LogicalResult emitQuantizedConv(NodeContext &ctx, const IntOperand &x,
                                const IntOperand &w, const ConvGeometry &g,
                                Value bias, const QuantParams *yParams) {
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  MLIRContext *mctx = ctx.context();
  int64_t rank = g.outShape.size();
  UniformType xType = x.params.getType(mctx, rank);
  UniformType wType = w.params.getType(mctx, rank);
  UniformType yType =
      yParams ? yParams->getType(mctx, rank) : getAccumulatorType(mctx);
  bool typed = xType && wType && yType && xType.isPerTensor() &&
               (wType.isPerTensor() || wType.getAxis() == 0) &&
               yType.isPerTensor() &&
               xType.getExpressedType() == wType.getExpressedType() &&
               xType.getExpressedType() == yType.getExpressedType();
  // The bias is quantized with scale x_scale * w_scale and zero point 0.
  UniformType biasType;
  if (typed && bias) {
    auto f32 = cast<FloatType>(xType.getExpressedType());
    SmallVector<double> scales;
    for (double ws : wType.getScaleValues()) {
      double s = f32.isF32() ? double(float(xType.getScale()) * float(ws))
                             : xType.getScale() * ws;
      scales.push_back(s);
      typed &= s > 0 && std::isfinite(s);
    }
    if (typed) {
      Storage i32 = *getStorage(ONNXDType::Int32);
      Type storage = IntegerType::get(mctx, 32);
      biasType = wType.isPerTensor()
                     ? UniformType::getPerTensor(storage, true, i32.min,
                                                 i32.max, f32, scales[0], 0)
                     : UniformType::getPerAxis(storage, true, i32.min, i32.max,
                                               f32, 0, scales, {});
    }
  }
  Value result;
  if (typed) {
    Value input = toQuantized(b, loc, x.value, xType);
    Value weight = toQuantized(b, loc, w.value, wType);
    Value qbias = bias ? toQuantized(b, loc, bias, biasType) : Value();
    Value conv = ConvOp::create(
        b, loc, RankedTensorType::get(g.outShape, yType), input, weight, qbias,
        b.getDenseI64ArrayAttr(g.strides), b.getDenseI64ArrayAttr(g.dilations),
        b.getDenseI64ArrayAttr(g.pads), b.getI64IntegerAttr(g.group));
    result = toStorage(b, loc, conv);
  } else {
    IntOperand xr = x, wr = w;
    QuantParams y = yParams ? *yParams : QuantParams();
    if (failed(xr.params.materialize(ctx)) ||
        failed(wr.params.materialize(ctx)) ||
        (yParams && failed(y.materialize(ctx))))
      return failure();
    result = buildIntegerConv(b, loc, xr, wr, g);
    if (yParams) {
      // From the accumulator's loops [n, o, y...]: the weight's per-channel
      // parameters run along o.
      SmallVector<AffineExpr> wExprs(rank, getAffineConstantExpr(0, mctx));
      wExprs[0] = getAffineDimExpr(1, mctx);
      result = buildRuntimeRequantize(b, loc, result, xr.params, {}, wr.params,
                                      wExprs, bias, 1, y);
    }
  }
  ctx.setOutput(0, result, yParams ? yParams->storage.dtype : ONNXDType::Int32);
  return success();
}

LogicalResult importQLinearConv(NodeContext &ctx) {
  FailureOr<QLinearStorages> st = readQLinearStorages(ctx, "x", "w");
  if (failed(st))
    return failure();
  const std::pair<Value, Storage> *x = &st->lhs, *w = &st->rhs;
  const Storage *yStorage = &st->y;
  ArrayRef<int64_t> xShape = cast<ShapedType>(x->first.getType()).getShape();
  ArrayRef<int64_t> wShape = cast<ShapedType>(w->first.getType()).getShape();
  FailureOr<ConvGeometry> g = getConvGeometry(ctx, xShape, wShape);
  if (failed(g))
    return failure();
  FailureOr<QuantParams> xp =
      readQuantParams(ctx, 1, 2, x->second, xShape, std::nullopt, "", "x_scale",
                      "x_zero_point");
  if (failed(xp))
    return failure();
  FailureOr<QuantParams> wp =
      readQuantParams(ctx, 4, 5, w->second, wShape, 0, "one per output channel",
                      "w_scale", "w_zero_point");
  if (failed(wp))
    return failure();
  FailureOr<QuantParams> yp =
      readQuantParams(ctx, 6, 7, *yStorage, g->outShape, std::nullopt, "",
                      "y_scale", "y_zero_point");
  if (failed(yp))
    return failure();
  if (failed(checkSameScaleType(ctx, "x", *xp, "w", *wp, *yp)))
    return failure();
  Value bias;
  if (ctx.hasInput(8)) {
    FailureOr<ImportedValue> bv = ctx.input(8);
    if (failed(bv))
      return failure();
    if (bv->dtype != ONNXDType::Int32)
      return ctx.error("B has element type " + getDTypeName(bv->dtype) +
                       ", expected int32");
    if (bv->shape.size() != 1 || bv->shape[0] != wShape[0])
      return ctx.error("B has shape " + formatShape(bv->shape) +
                       ", expected [" + std::to_string(wShape[0]) +
                       "] (one per output channel)");
    bias = ctx.inputValue(8);
    if (!bias)
      return failure();
  }
  return emitQuantizedConv(ctx, IntOperand{x->first, *xp},
                           IntOperand{w->first, *wp}, *g, bias, &*yp);
}

LogicalResult importConvInteger(NodeContext &ctx) {
  FailureOr<std::pair<Value, Storage>> x =
      readQuantizedInput(ctx, 0, "x", /*allowInt32=*/false);
  if (failed(x))
    return failure();
  FailureOr<std::pair<Value, Storage>> w =
      readQuantizedInput(ctx, 1, "w", /*allowInt32=*/false);
  if (failed(w))
    return failure();
  ArrayRef<int64_t> xShape = cast<ShapedType>(x->first.getType()).getShape();
  ArrayRef<int64_t> wShape = cast<ShapedType>(w->first.getType()).getShape();
  FailureOr<ConvGeometry> g = getConvGeometry(ctx, xShape, wShape);
  if (failed(g))
    return failure();
  FailureOr<QuantParams> xp =
      readQuantParams(ctx, std::nullopt, 2, x->second, xShape, std::nullopt, "",
                      "", "x_zero_point");
  if (failed(xp))
    return failure();
  FailureOr<QuantParams> wp =
      readQuantParams(ctx, std::nullopt, 3, w->second, wShape, 0,
                      "one per output channel", "", "w_zero_point");
  if (failed(wp))
    return failure();
  return emitQuantizedConv(ctx, IntOperand{x->first, *xp},
                           IntOperand{w->first, *wp}, *g, Value(), nullptr);
}

} // namespace

void mlir::qc::onnx_import::registerQuantOps(OpRegistry &r) {
  r.add("QuantizeLinear", importQuantizeLinear, 10);
  r.add("DequantizeLinear", importDequantizeLinear, 10);
  r.add("DynamicQuantizeLinear", importDynamicQuantizeLinear, 11);
  r.add("QLinearMatMul", importQLinearMatMul, 10);
  r.add("QLinearConv", importQLinearConv, 10);
  r.add("MatMulInteger", importMatMulInteger, 10);
  r.add("ConvInteger", importConvInteger, 10);
}
