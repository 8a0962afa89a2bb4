//===- QuantizedCompute.cpp - Quantized qc.matmul and qc.conv -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Lowers qc.matmul / qc.conv with quantized operands to integer arithmetic:
//
//   quantized data x quantized weights (per tensor or per output channel):
//     acc[i32] = sum_k (a - zp_a) * (w - zp_w)          (one linalg.generic)
//     result   = epilogue(acc * s_a * s_w [+ bias])     (one linalg.generic)
//   float data x quantized weights (weight-only):
//     acc[f]   = sum_k a * dequantize(w)                (dequantized in the
//                                                        loop body, never
//                                                        materialized; 4-bit
//                                                        constant weights
//                                                        packed two per byte)
//
// The epilogue writes a float result, requantizes to a quantized result
// (qc.quantize semantics), or keeps the raw i32 accumulator.
//
//===----------------------------------------------------------------------===//

#include "QuantParams.h"
#include "qc/Conversion/QCToLinalg/QCToLinalg.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "qc/Support/QuantMath.h"
#include "qc/Utils/ConstantWeights.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Extends a stored integer to i32 with the storage's signedness.
Value extendStorage(OpBuilder &b, Location loc, Value v, UniformType type) {
  return convertScalar(b, loc, v, b.getI32Type(),
                       /*srcUnsigned=*/!type.getIsSigned());
}

/// Checks a weight's granularity against what an integer kernel can
/// rescale after accumulation: per tensor, or per axis along an output
/// dimension (never along the contraction).
LogicalResult checkIntegerWeight(ConversionPatternRewriter &rewriter,
                                 Operation *op, UniformType weight,
                                 ArrayRef<int64_t> outputAxes) {
  if (weight.isPerTensor())
    return success();
  if (weight.isPerAxis() && llvm::is_contained(outputAxes, weight.getAxis()))
    return success();
  return rewriter.notifyMatchFailure(
      op, "integer kernels need weights quantized per tensor or per output "
          "channel");
}

/// For a 2-D 4-bit weight that is a constant behind a qc.storage_cast: the
/// constant [K, ceil(N / 2)] i8 holding its codes two per byte (column 2j in
/// the low nibble of byte j, 2j+1 in the high nibble, the ONNX order of a
/// row-major [K, N] tensor when N is even). Null otherwise.
Value packInt4Weight(OpBuilder &b, Location loc, Value weight,
                     UniformType type) {
  if (!type || type.isFloat8() || type.getStorageWidth() != 4)
    return {};
  auto shaped = cast<RankedTensorType>(weight.getType());
  if (shaped.getRank() != 2 || !shaped.hasStaticShape())
    return {};
  auto storageCast = weight.getDefiningOp<StorageCastOp>();
  DenseElementsAttr codes;
  if (!storageCast || !matchPattern(storageCast.getInput(), m_Constant(&codes)))
    return {};
  int64_t k = shaped.getDimSize(0), n = shaped.getDimSize(1);
  int64_t half = (n + 1) / 2;
  // Row by row, so that an odd N pads each row's last byte.
  SmallVector<int8_t> values;
  for (const APInt &v : codes.getValues<APInt>())
    values.push_back(int8_t(v.getSExtValue()));
  std::vector<uint8_t> bytes;
  bytes.reserve(k * half);
  for (int64_t row = 0; row < k; ++row) {
    std::vector<uint8_t> packed = math::packInt4(std::vector<int8_t>(
        values.begin() + row * n, values.begin() + (row + 1) * n));
    bytes.insert(bytes.end(), packed.begin(), packed.end());
  }
  auto packedType = RankedTensorType::get({k, half}, b.getI8Type());
  ElementsAttr attr = createConstantAttr(
      packedType,
      ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size()),
      "int4_weight");
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
}

/// The 4-bit code (as i4) of output column `nDim` (a loop dimension) from
/// its packed byte: `(byte >> 4 * (n % 2)) & 0xF`, sign-extended for signed
/// storage.
Value unpackInt4Code(OpBuilder &b, Location loc, Value byte, int64_t nDim,
                     UniformType type) {
  Type i8 = b.getI8Type();
  Value n = linalg::IndexOp::create(b, loc, nDim);
  Value odd = arith::IndexCastOp::create(
      b, loc, i8,
      arith::AndIOp::create(b, loc, n,
                            arith::ConstantIndexOp::create(b, loc, 1)));
  auto c8 = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, i8, b.getIntegerAttr(i8, v));
  };
  Value shift = arith::ShLIOp::create(b, loc, odd, c8(2)); // 0 or 4
  Value code;
  if (type.getIsSigned()) {
    // Move the nibble to the top, then shift it back arithmetically.
    Value up = arith::ShLIOp::create(
        b, loc, byte, arith::SubIOp::create(b, loc, c8(4), shift));
    code = arith::ShRSIOp::create(b, loc, up, c8(4));
  } else {
    code = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, byte, shift), c8(0xF));
  }
  return arith::TruncIOp::create(b, loc, type.getStorageMemoryType(), code);
}

} // namespace

/// acc -> result: scale by s_a * s_w, add the bias, requantize or not.
Value mlir::qc::buildEpilogue(OpBuilder &b, Location loc, Value acc,
                              const Epilogue &e) {
  MLIRContext *ctx = b.getContext();
  auto accType = cast<RankedTensorType>(acc.getType());
  auto outType = cast<RankedTensorType>(e.resultType);
  int64_t rank = accType.getRank();
  SmallVector<Value> inputs{acc};
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  QuantParamAccess weight{e.weight};
  if (e.data)
    weight.addInputs(b, loc, rank, e.weightExprs, inputs, maps);
  int biasArg = -1;
  QuantParamAccess bias{e.biasQuant};
  if (e.bias) {
    biasArg = inputs.size();
    inputs.push_back(e.bias);
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(e.biasDim, ctx)));
    if (e.biasQuant)
      bias.addInputs(b, loc, rank, {getAffineDimExpr(e.biasDim, ctx)}, inputs,
                     maps);
  }
  UniformType result = e.result;
  Type expressed = e.weight.getExpressedType();
  Value init =
      createEmptyTensor(b, loc, outType.getShape(), outType.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
             [&] {
               maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
               return maps;
             }(),
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value v = args[0];
               // Raw accumulator requested: keep the integers.
               if (result && result.getStorageWidth() == 32 &&
                   !result.isFloat8() && e.data) {
                 linalg::YieldOp::create(nb, nl, v);
                 return;
               }
               if (e.data) {
                 Value scale = arith::MulFOp::create(
                     nb, nl, QuantParamAccess{e.data}.getScale(nb, nl, args),
                     weight.getScale(nb, nl, args));
                 v = arith::MulFOp::create(
                     nb, nl, arith::SIToFPOp::create(nb, nl, expressed, v),
                     scale);
               }
               if (biasArg >= 0) {
                 Value bv = args[biasArg];
                 if (e.biasQuant)
                   bv = buildDequantizeScalar(
                       nb, nl, bv, bias.getScale(nb, nl, args),
                       bias.getZeroPoint(nb, nl, args), e.biasQuant);
                 v = arith::AddFOp::create(nb, nl, v, bv);
               }
               if (result)
                 v = buildQuantizeScalar(
                     nb, nl, v, QuantParamAccess{result}.getScale(nb, nl, args),
                     QuantParamAccess{result}.getZeroPoint(nb, nl, args),
                     result, /*saturate=*/true);
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}

namespace {

struct QuantizedMatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformType data = getUniformElementType(op.getLhs().getType());
    UniformType weight = getUniformElementType(op.getRhs().getType());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weights are not quantized");
    if (UniformType r = getUniformElementType(op.getType());
        r && !r.isPerTensor())
      return rewriter.notifyMatchFailure(
          op, "results must be quantized per tensor");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    SmallVector<int64_t> a(cast<ShapedType>(lhs.getType()).getShape());
    SmallVector<int64_t> w(cast<ShapedType>(rhs.getType()).getShape());
    if (w.size() < 2)
      return rewriter.notifyMatchFailure(op, "quantized weights must be 2-D "
                                             "or batched");
    if (ShapedType::isDynamicShape(a) || ShapedType::isDynamicShape(w))
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    if (a.size() == 1) {
      a.insert(a.begin(), 1);
      lhs = reshapeTensor(rewriter, loc, lhs, a);
    }
    int64_t wRank = w.size();
    if (data && failed(checkIntegerWeight(rewriter, op, weight, {wRank - 1})))
      return failure();

    ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
    ArrayRef<int64_t> batchW = ArrayRef<int64_t>(w).drop_back(2);
    SmallVector<int64_t> batch = *broadcastShapes(batchA, batchW);
    int64_t nb = batch.size();
    int64_t m = a[a.size() - 2], n = w.back();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    AffineExpr dm = d(nb), dn = d(nb + 1), dk = d(nb + 2);
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
    unsigned numDims = nb + 3;

    SmallVector<int64_t> accShape(batch);
    accShape.append({m, n});
    Type expressed = weight.getExpressedType();
    Type accElement = data ? Type(rewriter.getI32Type()) : expressed;
    Value zero = createScalarConstant(rewriter, loc, accElement, 0.0);
    Value init = createFilledTensor(rewriter, loc, accShape, zero);

    // Weight-only 4-bit constant weights are stored two codes per byte
    // (pairs of output columns, the even one in the low nibble) and
    // unpacked in the loop body.
    Value packedRhs;
    if (!data)
      packedRhs = packInt4Weight(rewriter, loc, op.getRhs(), weight);
    SmallVector<AffineExpr> rhsLoadExprs(rhsExprs);
    if (packedRhs) {
      rhs = packedRhs;
      rhsLoadExprs.back() = rhsLoadExprs.back().floorDiv(2);
    }
    SmallVector<Value> inputs{lhs, rhs};
    SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, lhsExprs, ctx),
                                AffineMap::get(numDims, 0, rhsLoadExprs, ctx)};
    QuantParamAccess weightParams{weight};
    weightParams.addInputs(rewriter, loc, numDims, rhsExprs, inputs, maps);
    maps.push_back(AffineMap::get(numDims, 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators(numDims - 1,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
            maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value result;
              if (data) {
                Value x = arith::SubIOp::create(
                    b, l, extendStorage(b, l, args[0], data),
                    QuantParamAccess{data}.getZeroPoint(b, l, args));
                Value y = arith::SubIOp::create(
                    b, l, extendStorage(b, l, args[1], weight),
                    weightParams.getZeroPoint(b, l, args));
                result = arith::AddIOp::create(
                    b, l, args.back(), arith::MulIOp::create(b, l, x, y));
              } else {
                Value code = args[1];
                if (packedRhs)
                  code = unpackInt4Code(b, l, code, nb + 1, weight);
                Value y = buildDequantizeScalar(
                    b, l, code, weightParams.getScale(b, l, args),
                    weightParams.getZeroPoint(b, l, args), weight);
                result = arith::AddFOp::create(
                    b, l, args.back(), arith::MulFOp::create(b, l, args[0], y));
              }
              linalg::YieldOp::create(b, l, result);
            })
            .getResult(0);

    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Value result = acc;
    UniformType resultQuant = getUniformElementType(op.getType());
    if (data) {
      Epilogue e;
      e.data = data;
      e.weight = weight;
      e.result = resultQuant;
      e.resultType =
          RankedTensorType::get(accShape, resultType.getElementType());
      // From the accumulator space [batch..., M, N], only N is read.
      e.weightExprs.assign(wRank, getAffineConstantExpr(0, ctx));
      e.weightExprs[wRank - 1] = d(nb + 1);
      result = buildEpilogue(rewriter, loc, acc, e);
    }
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, result, resultType.getShape()));
    return success();
  }
};

struct QuantizedConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformType data = getUniformElementType(op.getInput().getType());
    UniformType weight = getUniformElementType(op.getWeight().getType());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weights are not quantized");
    if (data && failed(checkIntegerWeight(rewriter, op, weight, {0})))
      return failure();
    if (UniformType r = getUniformElementType(op.getType());
        r && !r.isPerTensor())
      return rewriter.notifyMatchFailure(
          op, "results must be quantized per tensor");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput(), w = adaptor.getWeight();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto weightType = cast<RankedTensorType>(w.getType());
    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    if (!inputType.hasStaticShape() || !weightType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    int64_t rank = inputType.getRank(), spatial = rank - 2;
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations();
    int64_t group = op.getGroup();
    Type expressed = weight.getExpressedType();

    // Pad with real zero: the zero point for quantized data.
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      SmallVector<OpFoldResult> low, high;
      SmallVector<int64_t> shape;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t lo = i < 2 ? 0 : pads[i - 2];
        int64_t hi = i < 2 ? 0 : pads[i - 2 + spatial];
        low.push_back(rewriter.getIndexAttr(lo));
        high.push_back(rewriter.getIndexAttr(hi));
        shape.push_back(inputType.getDimSize(i) + lo + hi);
      }
      Value padValue =
          data ? createScalarConstant(rewriter, loc, inputType.getElementType(),
                                      double(data.getZeroPoint()))
               : createScalarConstant(rewriter, loc, expressed, 0.0);
      input = tensor::PadOp::create(
          rewriter, loc,
          RankedTensorType::get(shape, inputType.getElementType()), input, low,
          high, padValue);
      inputType = cast<RankedTensorType>(input.getType());
    }

    // Grouped iteration space (n, g, o, y1..yk, c, j1..jk), as the float
    // lowering.
    int64_t channels = inputType.getDimSize(1);
    int64_t outChannels = weightType.getDimSize(0);
    int64_t cg = channels / group, og = outChannels / group;
    ArrayRef<int64_t> outShape = resultType.getShape();
    SmallVector<int64_t> inG{inputType.getDimSize(0), group, cg};
    SmallVector<int64_t> wG{group, og, cg};
    SmallVector<int64_t> accG{outShape[0], group, og};
    for (int64_t i = 0; i < spatial; ++i) {
      inG.push_back(inputType.getDimSize(i + 2));
      wG.push_back(weightType.getDimSize(i + 2));
      accG.push_back(outShape[i + 2]);
    }
    Value inputG = reshapeTensor(rewriter, loc, input, inG);
    Value weightG = reshapeTensor(rewriter, loc, w, wG);
    int64_t numDims = 3 + spatial + 1 + spatial;
    int64_t cDim = 3 + spatial;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> inExprs{d(0), d(1), d(cDim)};
    SmallVector<AffineExpr> wExprs{d(1), d(2), d(cDim)};
    SmallVector<AffineExpr> outExprs{d(0), d(1), d(2)};
    // Weight dimensions [O, C/g, K...] in loop terms, for its parameters.
    SmallVector<AffineExpr> weightValueExprs{d(1) * og + d(2), d(cDim)};
    for (int64_t i = 0; i < spatial; ++i) {
      inExprs.push_back(d(3 + i) * strides[i] + d(cDim + 1 + i) * dilations[i]);
      wExprs.push_back(d(cDim + 1 + i));
      outExprs.push_back(d(3 + i));
      weightValueExprs.push_back(d(cDim + 1 + i));
    }
    Type accElement = data ? Type(rewriter.getI32Type()) : expressed;
    Value init = createFilledTensor(
        rewriter, loc, accG,
        createScalarConstant(rewriter, loc, accElement, 0.0));
    SmallVector<Value> inputs{inputG, weightG};
    SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, inExprs, ctx),
                                AffineMap::get(numDims, 0, wExprs, ctx)};
    QuantParamAccess weightParams{weight};
    weightParams.addInputs(rewriter, loc, numDims, weightValueExprs, inputs,
                           maps);
    maps.push_back(AffineMap::get(numDims, 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators(3 + spatial,
                                               utils::IteratorType::parallel);
    iterators.append(1 + spatial, utils::IteratorType::reduction);
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
            maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value result;
              if (data) {
                Value x = arith::SubIOp::create(
                    b, l, extendStorage(b, l, args[0], data),
                    QuantParamAccess{data}.getZeroPoint(b, l, args));
                Value y = arith::SubIOp::create(
                    b, l, extendStorage(b, l, args[1], weight),
                    weightParams.getZeroPoint(b, l, args));
                result = arith::AddIOp::create(
                    b, l, args.back(), arith::MulIOp::create(b, l, x, y));
              } else {
                Value y = buildDequantizeScalar(
                    b, l, args[1], weightParams.getScale(b, l, args),
                    weightParams.getZeroPoint(b, l, args), weight);
                result = arith::AddFOp::create(
                    b, l, args.back(), arith::MulFOp::create(b, l, args[0], y));
              }
              linalg::YieldOp::create(b, l, result);
            })
            .getResult(0);
    acc = reshapeTensor(rewriter, loc, acc, outShape);

    Epilogue e;
    e.data = data;
    e.weight = weight;
    e.result = getUniformElementType(op.getType());
    e.resultType = resultType;
    e.weightExprs.assign(weightType.getRank(), getAffineConstantExpr(0, ctx));
    e.weightExprs[0] = d(1);
    if (Value bias = adaptor.getBias()) {
      e.bias = bias;
      e.biasQuant = getUniformElementType(op.getBias().getType());
      e.biasDim = 1;
    }
    Value result = acc;
    if (data || e.bias)
      result = buildEpilogue(rewriter, loc, acc, e);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::qc::populateQuantizedComputePatterns(const TypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<QuantizedMatMulLowering, QuantizedConvLowering>(
      converter, patterns.getContext());
}
