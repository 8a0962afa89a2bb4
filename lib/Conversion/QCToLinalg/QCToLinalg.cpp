//===- QCToLinalg.cpp - Lower qc ops to linalg ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Lowers qc ops to tensor-level linalg/arith/math code on storage tensors.
// The scalar quantization code follows ONNX exactly (see QCOps.td); FP8 is
// encoded and decoded with integer arithmetic on the float bits, so it needs
// no FP8 support from LLVM and vectorizes like any integer code.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/QCToLinalg/QCToLinalg.h"
#include "QuantParams.h"
#include "qc/Conversion/Passes.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::qc {
#define GEN_PASS_DEF_CONVERTQCTOLINALGPASS
#include "qc/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Scalar code
//===----------------------------------------------------------------------===//

static Value constF(OpBuilder &b, Location loc, Type type, double value) {
  return createScalarConstant(b, loc, type, value);
}

static Value constI(OpBuilder &b, Location loc, Type type, int64_t value) {
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value));
}

/// FP8 format constants.
struct Float8Format {
  unsigned mantissaBits;
  int bias;
  double maxFinite;
  bool isE4M3FN;
};

static Float8Format getFloat8Format(UniformType type) {
  if (isa<Float8E4M3FNType>(type.getStorageType()))
    return {3, 7, 448.0, true};
  return {2, 15, 57344.0, false};
}

/// Encodes f32 `v` as an FP8 byte (returned as i8), round half to even.
static Value buildFloat8Encode(OpBuilder &b, Location loc, Value v,
                               Float8Format fmt, bool saturate) {
  Type f32 = b.getF32Type();
  Type i32 = b.getI32Type();
  Type i8 = b.getI8Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, v);
  // Sign byte: bit 31 moved to bit 7.
  Value sign = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, constI(b, loc, i32, 24)),
      constI(b, loc, i32, 0x80));
  Value absBits =
      arith::AndIOp::create(b, loc, bits, constI(b, loc, i32, 0x7FFFFFFF));
  Value a = arith::BitcastOp::create(b, loc, f32, absBits);
  // Clamp to the largest finite value (maps +Inf too); NaN is handled last.
  Value clamped =
      arith::MinNumFOp::create(b, loc, a, constF(b, loc, f32, fmt.maxFinite));
  Value clampedBits = arith::BitcastOp::create(b, loc, i32, clamped);

  // Normal range: round the f32 mantissa to `mantissaBits` bits (half to
  // even) by adding half an ulp minus one plus the kept lsb, then shift out
  // the dropped bits and rebias the exponent. A carry out of the mantissa
  // bumps the exponent, which is exactly right.
  int64_t shift = 23 - fmt.mantissaBits;
  Value lsb = arith::AndIOp::create(
      b, loc,
      arith::ShRUIOp::create(b, loc, clampedBits, constI(b, loc, i32, shift)),
      constI(b, loc, i32, 1));
  Value rounded = arith::AddIOp::create(
      b, loc, clampedBits,
      arith::AddIOp::create(
          b, loc, lsb, constI(b, loc, i32, (int64_t(1) << (shift - 1)) - 1)));
  Value normal = arith::SubIOp::create(
      b, loc,
      arith::ShRUIOp::create(b, loc, rounded, constI(b, loc, i32, shift)),
      constI(b, loc, i32, int64_t(127 - fmt.bias) << fmt.mantissaBits));

  // Subnormal range: the code is the magnitude in units of the smallest
  // subnormal, rounded half to even (the result 2^M is the smallest normal).
  double unit = std::ldexp(1.0, fmt.bias - 1 + int(fmt.mantissaBits));
  Value scaled =
      arith::MulFOp::create(b, loc, clamped, constF(b, loc, f32, unit));
  Value subnormal = arith::FPToSIOp::create(
      b, loc, i32, math::RoundEvenOp::create(b, loc, scaled));
  double minNormal = std::ldexp(1.0, 1 - fmt.bias);
  Value isSubnormal =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, clamped,
                            constF(b, loc, f32, minNormal));
  Value magnitude =
      arith::SelectOp::create(b, loc, isSubnormal, subnormal, normal);
  Value code = arith::OrIOp::create(b, loc, magnitude, sign);

  if (!saturate) {
    // Values that round past the largest finite value overflow: to NaN
    // (E4M3FN, only code 0x7F) or to signed infinity (E5M2). The thresholds
    // are the midpoints to the next (virtual) value, with the tie going to
    // the even code: 464 rounds to 448 (0x7E), 61440 rounds to Inf (0x7C).
    Value overflow =
        fmt.isE4M3FN ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             a, constF(b, loc, f32, 464.0))
                     : arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE,
                                             a, constF(b, loc, f32, 61440.0));
    Value overflowCode =
        fmt.isE4M3FN
            ? constI(b, loc, i32, 0x7F)
            : arith::OrIOp::create(b, loc, sign, constI(b, loc, i32, 0x7C));
    code = arith::SelectOp::create(b, loc, overflow, overflowCode, code);
  }
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  code =
      arith::SelectOp::create(b, loc, isNaN, constI(b, loc, i32, 0x7F), code);
  return arith::TruncIOp::create(b, loc, i8, code);
}

/// Decodes an FP8 byte (i8) to f32 exactly.
static Value buildFloat8Decode(OpBuilder &b, Location loc, Value byte,
                               Float8Format fmt) {
  Type f32 = b.getF32Type();
  Type i32 = b.getI32Type();
  Value c = arith::ExtUIOp::create(b, loc, i32, byte);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, c, constI(b, loc, i32, 0x80)),
      constI(b, loc, i32, 24));
  Value mag = arith::AndIOp::create(b, loc, c, constI(b, loc, i32, 0x7F));
  // Normal: the magnitude bits line up with the f32 exponent and mantissa
  // after a shift; only the exponent bias differs.
  Value normalBits = arith::AddIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, mag,
                            constI(b, loc, i32, 23 - fmt.mantissaBits)),
      constI(b, loc, i32, int64_t(127 - fmt.bias) << 23));
  Value normal = arith::BitcastOp::create(b, loc, f32, normalBits);
  // Subnormal (exponent field 0): mantissa times the smallest subnormal.
  Value subnormal = arith::MulFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, f32, mag),
      constF(b, loc, f32,
             std::ldexp(1.0, 1 - fmt.bias - int(fmt.mantissaBits))));
  Value isSubnormal = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ult, mag,
      constI(b, loc, i32, int64_t(1) << fmt.mantissaBits));
  Value value = arith::SelectOp::create(b, loc, isSubnormal, subnormal, normal);
  Value valueBits = arith::OrIOp::create(
      b, loc, arith::BitcastOp::create(b, loc, i32, value), sign);
  Value result = arith::BitcastOp::create(b, loc, f32, valueBits);
  Value nan = constF(b, loc, f32, std::nan(""));
  if (fmt.isE4M3FN) {
    Value isNaN = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, mag,
                                        constI(b, loc, i32, 0x7F));
    return arith::SelectOp::create(b, loc, isNaN, nan, result);
  }
  // E5M2: exponent field 31 is Inf (mantissa 0) or NaN.
  Value isSpecial = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                          mag, constI(b, loc, i32, 0x7C));
  Value isInf = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, mag,
                                      constI(b, loc, i32, 0x7C));
  Value inf = arith::BitcastOp::create(
      b, loc, f32,
      arith::OrIOp::create(b, loc, sign, constI(b, loc, i32, 0x7F800000)));
  Value special = arith::SelectOp::create(b, loc, isInf, inf, nan);
  return arith::SelectOp::create(b, loc, isSpecial, special, result);
}

Value mlir::qc::buildQuantizeScalar(OpBuilder &b, Location loc, Value x,
                                    Value scale, Value zeroPoint,
                                    UniformType type, bool saturate) {
  Type expressed = type.getExpressedType();
  // ONNX divides in the scale's type.
  Value v = arith::DivFOp::create(b, loc, x, scale);
  if (type.isFloat8()) {
    Value v32 = convertScalar(b, loc, v, b.getF32Type());
    return buildFloat8Encode(b, loc, v32, getFloat8Format(type), saturate);
  }
  // Round in the expressed type, then add the zero point and clamp in a type
  // wide enough to be exact: f32 for storage up to 16 bits, else f64.
  Value rounded = math::RoundEvenOp::create(b, loc, v);
  unsigned width = type.getStorageWidth();
  Type work = (width > 16 || expressed.isF64()) ? Type(b.getF64Type())
                                                : Type(b.getF32Type());
  Value r = convertScalar(b, loc, rounded, work);
  Value zpWork = arith::SIToFPOp::create(b, loc, work, zeroPoint);
  Value c = arith::AddFOp::create(b, loc, r, zpWork);
  c = arith::MaxNumFOp::create(b, loc, c,
                               constF(b, loc, work, type.getStorageMin()));
  c = arith::MinNumFOp::create(b, loc, c,
                               constF(b, loc, work, type.getStorageMax()));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  c = arith::SelectOp::create(b, loc, isNaN, zpWork, c);
  // Every value is now an integer inside the storage range, so the
  // conversion is exact; unsigned values take the same bits through a wider
  // signed integer: i32 for storage up to 16 bits (16 lanes per AVX-512
  // conversion, where i64 gives 8 and a shuffle), else i64.
  Type wideType = width > 16 ? b.getI64Type() : b.getI32Type();
  Value wide = arith::FPToSIOp::create(b, loc, wideType, c);
  return arith::TruncIOp::create(b, loc, type.getStorageMemoryType(), wide);
}

Value mlir::qc::buildDequantizeScalar(OpBuilder &b, Location loc, Value q,
                                      Value scale, Value zeroPoint,
                                      UniformType type) {
  Type expressed = type.getExpressedType();
  if (type.isFloat8()) {
    Value f = buildFloat8Decode(b, loc, q, getFloat8Format(type));
    f = convertScalar(b, loc, f, expressed);
    return arith::MulFOp::create(b, loc, f, scale);
  }
  // (q - zp) in integers, as ONNX does, then one conversion and one multiply.
  unsigned width = type.getStorageWidth();
  Type acc = width >= 32 ? Type(b.getI64Type()) : Type(b.getI32Type());
  Value q32 =
      convertScalar(b, loc, q, acc, /*srcUnsigned=*/!type.getIsSigned());
  Value zp = convertScalar(b, loc, zeroPoint, acc);
  Value diff = arith::SubIOp::create(b, loc, q32, zp);
  Value f = arith::SIToFPOp::create(b, loc, expressed, diff);
  return arith::MulFOp::create(b, loc, f, scale);
}

//===----------------------------------------------------------------------===//
// Elementwise quantization ops
//===----------------------------------------------------------------------===//

namespace {
/// Builds `out[i] = body(in[i], params...)` as one linalg.generic.
Value buildQuantElementwise(
    OpBuilder &b, Location loc, Value input, Type resultElementType,
    ArrayRef<UniformType> paramTypes,
    function_ref<Value(OpBuilder &, Location, Value, ArrayRef<QuantParamAccess>,
                       ValueRange)>
        body) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> inputs{input};
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<QuantParamAccess> access;
  SmallVector<AffineExpr> dims;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(getAffineDimExpr(i, ctx));
  for (UniformType type : paramTypes) {
    access.push_back(QuantParamAccess{type});
    access.back().addInputs(b, loc, rank, dims, inputs, maps);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init =
      createEmptyTensor(b, loc, inputType.getShape(), resultElementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args[0], access, args);
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformType type = getUniformElementType(op.getType());
    bool saturate = op.getSaturate();
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), adaptor.getInput(), type.getStorageMemoryType(),
        {type},
        [&](OpBuilder &b, Location loc, Value x,
            ArrayRef<QuantParamAccess> access, ValueRange args) {
          return buildQuantizeScalar(
              b, loc, x, access[0].getScale(b, loc, args),
              access[0].getZeroPoint(b, loc, args), type, saturate);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformType type = getUniformElementType(op.getInput().getType());
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), adaptor.getInput(), type.getExpressedType(),
        {type},
        [&](OpBuilder &b, Location loc, Value q,
            ArrayRef<QuantParamAccess> access, ValueRange args) {
          return buildDequantizeScalar(
              b, loc, q, access[0].getScale(b, loc, args),
              access[0].getZeroPoint(b, loc, args), type);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RequantizeLowering : OpConversionPattern<RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformType in = getUniformElementType(op.getInput().getType());
    UniformType out = getUniformElementType(op.getType());
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), adaptor.getInput(), out.getStorageMemoryType(),
        {in, out},
        [&](OpBuilder &b, Location loc, Value q,
            ArrayRef<QuantParamAccess> access, ValueRange args) {
          Value x =
              buildDequantizeScalar(b, loc, q, access[0].getScale(b, loc, args),
                                    access[0].getZeroPoint(b, loc, args), in);
          return buildQuantizeScalar(b, loc, x,
                                     access[1].getScale(b, loc, args),
                                     access[1].getZeroPoint(b, loc, args), out,
                                     /*saturate=*/true);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct StorageCastLowering : OpConversionPattern<StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Both sides have the same storage tensor type after conversion.
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Compute ops
//===----------------------------------------------------------------------===//

bool hasQuantizedOperand(Operation *op) {
  for (Type type : op->getOperandTypes())
    if (getUniformElementType(type))
      return true;
  for (Type type : op->getResultTypes())
    if (getUniformElementType(type))
      return true;
  return false;
}

/// Float matmul with numpy semantics through linalg.matmul / batch_matmul.
struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (hasQuantizedOperand(op))
      return rewriter.notifyMatchFailure(
          op, "quantized qc.matmul is lowered by the quantized kernel "
              "patterns");
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType = resultType.getElementType();
    SmallVector<int64_t> a(cast<ShapedType>(lhs.getType()).getShape());
    SmallVector<int64_t> w(cast<ShapedType>(rhs.getType()).getShape());
    if (!resultType.hasStaticShape() || ShapedType::isDynamicShape(a) ||
        ShapedType::isDynamicShape(w))
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    if (a.size() == 1) {
      a.insert(a.begin(), 1);
      lhs = reshapeTensor(rewriter, loc, lhs, a);
    }
    if (w.size() == 1) {
      w.push_back(1);
      rhs = reshapeTensor(rewriter, loc, rhs, w);
    }
    int64_t m = a[a.size() - 2], k = a.back(), n = w.back();
    SmallVector<int64_t> batch;
    {
      ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
      ArrayRef<int64_t> batchB = ArrayRef<int64_t>(w).drop_back(2);
      batch = *broadcastShapes(batchA, batchB);
    }
    int64_t batchCount = 1;
    for (int64_t d : batch)
      batchCount *= d;
    Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
    Value product;
    SmallVector<int64_t> fullShape(batch);
    fullShape.append({m, n});
    if (w.size() == 2) {
      // [b..., M, K] x [K, N]: fold the batch into M.
      Value lhs2 = reshapeTensor(rewriter, loc, lhs, {batchCount * m, k});
      Value init = createFilledTensor(rewriter, loc, {batchCount * m, n}, zero);
      product = linalg::MatmulOp::create(rewriter, loc, ValueRange{lhs2, rhs},
                                         ValueRange{init})
                    .getResult(0);
    } else {
      SmallVector<int64_t> lhsFull(batch), rhsFull(batch);
      lhsFull.append({m, k});
      rhsFull.append({k, n});
      Value lhs3 =
          reshapeTensor(rewriter, loc, broadcastTo(rewriter, loc, lhs, lhsFull),
                        {batchCount, m, k});
      Value rhs3 =
          reshapeTensor(rewriter, loc, broadcastTo(rewriter, loc, rhs, rhsFull),
                        {batchCount, k, n});
      Value init = createFilledTensor(rewriter, loc, {batchCount, m, n}, zero);
      product = linalg::BatchMatmulOp::create(
                    rewriter, loc, ValueRange{lhs3, rhs3}, ValueRange{init})
                    .getResult(0);
    }
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, product, resultType.getShape()));
    return success();
  }
};

/// Float convolution through linalg named convolutions (group 1) or a
/// grouped linalg.generic.
struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (hasQuantizedOperand(op))
      return rewriter.notifyMatchFailure(
          op, "quantized qc.conv is lowered by the quantized kernel patterns");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto weightType = cast<RankedTensorType>(weight.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!inputType.hasStaticShape() || !weightType.hasStaticShape() ||
        !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    Type elementType = resultType.getElementType();
    int64_t rank = inputType.getRank(), spatial = rank - 2;
    ArrayRef<int64_t> pads = op.getPads();
    ArrayRef<int64_t> strides = op.getStrides();
    ArrayRef<int64_t> dilations = op.getDilations();
    int64_t group = op.getGroup();

    // Pad with real zero.
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      SmallVector<int64_t> low(rank, 0), high(rank, 0), shape;
      for (int64_t i = 0; i < spatial; ++i) {
        low[i + 2] = pads[i];
        high[i + 2] = pads[i + spatial];
      }
      for (int64_t i = 0; i < rank; ++i)
        shape.push_back(inputType.getDimSize(i) + low[i] + high[i]);
      auto paddedType = RankedTensorType::get(shape, elementType);
      Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
      SmallVector<OpFoldResult> lowOfr, highOfr;
      for (int64_t i = 0; i < rank; ++i) {
        lowOfr.push_back(rewriter.getIndexAttr(low[i]));
        highOfr.push_back(rewriter.getIndexAttr(high[i]));
      }
      input = tensor::PadOp::create(rewriter, loc, paddedType, input, lowOfr,
                                    highOfr, zero);
      inputType = paddedType;
    }

    // Output starts as the broadcast bias (or zero).
    ArrayRef<int64_t> outShape = resultType.getShape();
    Value init;
    if (Value bias = adaptor.getBias()) {
      SmallVector<AffineMap> maps{
          AffineMap::get(rank, 0, getAffineDimExpr(1, ctx)),
          AffineMap::getMultiDimIdentityMap(rank, ctx)};
      Value empty = createEmptyTensor(rewriter, loc, outShape, elementType);
      init = linalg::GenericOp::create(
                 rewriter, loc, TypeRange{empty.getType()}, ValueRange{bias},
                 ValueRange{empty}, maps,
                 SmallVector<utils::IteratorType>(
                     rank, utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
      init = createFilledTensor(rewriter, loc, outShape, zero);
    }

    if (group == 1 && spatial >= 1 && spatial <= 3) {
      auto attrType = RankedTensorType::get({spatial}, rewriter.getI64Type());
      SmallVector<NamedAttribute> attrs{
          rewriter.getNamedAttr("strides",
                                DenseIntElementsAttr::get(attrType, strides)),
          rewriter.getNamedAttr(
              "dilations", DenseIntElementsAttr::get(attrType, dilations))};
      Operation *conv;
      if (spatial == 1)
        conv = linalg::Conv1DNcwFcwOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{input, weight},
            ValueRange{init}, attrs);
      else if (spatial == 2)
        conv = linalg::Conv2DNchwFchwOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{input, weight},
            ValueRange{init}, attrs);
      else
        conv = linalg::Conv3DNcdhwFcdhwOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{input, weight},
            ValueRange{init}, attrs);
      rewriter.replaceOp(op, conv->getResult(0));
      return success();
    }

    // Grouped: view input as [N, G, C/G, D...], weight as [G, O/G, C/G, K...],
    // output as [N, G, O/G, Y...]. Iteration space:
    //   (n, g, o, y1..yk, c, j1..jk)
    int64_t channels = inputType.getDimSize(1);
    int64_t outChannels = weightType.getDimSize(0);
    int64_t cg = channels / group, og = outChannels / group;
    SmallVector<int64_t> inG{inputType.getDimSize(0), group, cg};
    SmallVector<int64_t> wG{group, og, cg};
    SmallVector<int64_t> outG{outShape[0], group, og};
    for (int64_t i = 0; i < spatial; ++i) {
      inG.push_back(inputType.getDimSize(i + 2));
      wG.push_back(weightType.getDimSize(i + 2));
      outG.push_back(outShape[i + 2]);
    }
    Value inputG = reshapeTensor(rewriter, loc, input, inG);
    Value weightG = reshapeTensor(rewriter, loc, weight, wG);
    Value initG = reshapeTensor(rewriter, loc, init, outG);
    int64_t numDims = 3 + spatial + 1 + spatial;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t cDim = 3 + spatial;
    SmallVector<AffineExpr> inExprs{d(0), d(1), d(cDim)};
    SmallVector<AffineExpr> wExprs{d(1), d(2), d(cDim)};
    SmallVector<AffineExpr> outExprs{d(0), d(1), d(2)};
    for (int64_t i = 0; i < spatial; ++i) {
      inExprs.push_back(d(3 + i) * strides[i] + d(cDim + 1 + i) * dilations[i]);
      wExprs.push_back(d(cDim + 1 + i));
      outExprs.push_back(d(3 + i));
    }
    SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, inExprs, ctx),
                                AffineMap::get(numDims, 0, wExprs, ctx),
                                AffineMap::get(numDims, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(3 + spatial,
                                               utils::IteratorType::parallel);
    iterators.append(1 + spatial, utils::IteratorType::reduction);
    Value conv =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{initG.getType()},
            ValueRange{inputG, weightG}, ValueRange{initG}, maps, iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value mul = arith::MulFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[2], mul).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, conv, outShape));
    return success();
  }
};

/// qc.observe has no effect outside a calibration build; the calibration
/// pipeline lowers it to a runtime call before this pass runs.
struct ObserveLowering : OpConversionPattern<ObserveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ObserveOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Type conversion and pass
//===----------------------------------------------------------------------===//

void mlir::qc::populateQCTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](RankedTensorType type) -> Type {
    if (auto quant = dyn_cast<UniformType>(type.getElementType()))
      return RankedTensorType::get(type.getShape(),
                                   quant.getStorageMemoryType());
    return type;
  });
  converter.addConversion(
      [](UniformType type) -> Type { return type.getStorageMemoryType(); });
}

void mlir::qc::populateQCToLinalgPatterns(const TypeConverter &converter,
                                          RewritePatternSet &patterns) {
  patterns
      .add<QuantizeLowering, DequantizeLowering, RequantizeLowering,
           StorageCastLowering, MatMulLowering, ConvLowering, ObserveLowering>(
          converter, patterns.getContext());
  populateQuantizedComputePatterns(converter, patterns);
}

namespace {
struct ConvertQCToLinalgPass
    : public qc::impl::ConvertQCToLinalgPassBase<ConvertQCToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (weightOnlyCompute != "exact" && weightOnlyCompute != "int8") {
      getOperation().emitError()
          << "convert-qc-to-linalg: weight-only-compute must be exact or "
             "int8, got '"
          << weightOnlyCompute << "'";
      return signalPassFailure();
    }
    if (intKTile != 4 && intKTile != 8) {
      getOperation().emitError()
          << "convert-qc-to-linalg: int-k-tile must be 4 or 8, got "
          << static_cast<int64_t>(intKTile);
      return signalPassFailure();
    }
    TypeConverter converter;
    populateQCTypeConversion(converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<QCDialect>();
    // The CPU kernel form that the packed patterns produce.
    target.addLegalOp<PackedMatMulOp>();
    target.addLegalOp<PackedDequantMatMulOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });

    RewritePatternSet patterns(ctx);
    populateQCToLinalgPatterns(converter, patterns);
    if (packedKernels)
      populatePackedComputePatterns(converter, patterns, intKTile);
    if (packedKernels)
      populateWeightOnlyComputePatterns(converter, patterns,
                                        weightOnlyCompute == "int8");
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
