//===- PrepareMMA.cpp - Quantized matmuls as tensor-core contractions -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qc.matmul(a : MxK quantized, w : KxN constant quantized) becomes
//
//   %a8  = storage bytes of a, as [M, K] (leading dims folded, K padded)
//   %wT  = arith.constant [N, Kp] (w transposed and zero-padded on the host)
//   %acc = linalg.generic {qc.gpu.mma = "u8.s8"} (m, n, k)
//            acc += ext(a8[m, k]) * ext(wT[n, k])        (i32)
//            acc += decode(a8[m, k]) * decode(wT[n, k])  (f32, FP8)
//   %out = linalg.generic (m, n)
//            int: (sitofp(acc - zp_a * colsum(w)[n]) * scale[n]) -> requant
//            fp8: (acc * scale[n]) -> requant
//
// with scale[n] = s_a * s_w[n] rounded to f32 on the host exactly as the
// CPU lowering's f32 multiply rounds it, so that integer results are bit
// identical to convert-qc-to-linalg's.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/QCToLinalg/QCToLinalg.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Target/CUDA/MMAKernel.h"
#include "qc/Target/CUDA/Passes.h"
#include "qc/Utils/ConstantWeights.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUPREPAREMMAPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cuda;

namespace {

std::optional<MMAElementType> getMMAElementType(UniformType type) {
  if (!type)
    return std::nullopt;
  if (type.isFloat8())
    return isa<Float8E4M3FNType>(type.getStorageType()) ? MMAElementType::E4M3
                                                        : MMAElementType::E5M2;
  // Signed 4-bit (weights only: MMAKind::parse rejects it as data).
  if (type.getStorageWidth() == 4 && type.getIsSigned())
    return MMAElementType::S4;
  if (type.getStorageWidth() != 8)
    return std::nullopt;
  return type.getIsSigned() ? MMAElementType::S8 : MMAElementType::U8;
}

/// The values of a constant i4 tensor (an arith.constant), sign-extended.
FailureOr<std::vector<int8_t>> readConstantNibbles(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  auto attr = constant ? dyn_cast<DenseIntElementsAttr>(constant.getValue())
                       : DenseIntElementsAttr();
  if (!attr || !attr.getElementType().isInteger(4))
    return failure();
  std::vector<int8_t> values;
  values.reserve(attr.getNumElements());
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(static_cast<int8_t>(v.getSExtValue()));
  return values;
}

struct PrepareMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value data8 = op.getLhs();
    // FP8 activations dequantized right before the matmul (the `fp8`
    // scheme's form) feed the FP8 tensor cores directly: the f32 sum of the
    // exact FP8 products, scaled once, instead of the sum of the scaled
    // products (equal up to f32 rounding).
    if (auto dequantize = data8.getDefiningOp<DequantizeOp>()) {
      UniformType source = getUniformElementType(
          cast<RankedTensorType>(dequantize.getInput().getType()));
      if (source && source.isFloat8() && source.isPerTensor())
        data8 = dequantize.getInput();
    }
    auto lhsType = cast<RankedTensorType>(data8.getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    UniformType data = getUniformElementType(lhsType);
    UniformType weight = getUniformElementType(rhsType);
    UniformType result = getUniformElementType(resultType);
    std::optional<MMAElementType> a = getMMAElementType(data);
    std::optional<MMAElementType> w = getMMAElementType(weight);
    if (!a || !w)
      return rewriter.notifyMatchFailure(op, "operands are not 8-bit "
                                             "quantized");
    std::optional<MMAKind> kind = MMAKind::parse(
        (stringifyMMAElementType(*a) + "." + stringifyMMAElementType(*w))
            .str());
    if (!kind)
      return rewriter.notifyMatchFailure(
          op, "no tensor-core form for these operand types");
    if (!data.isPerTensor())
      return rewriter.notifyMatchFailure(op, "data must be per tensor");
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
        rhsType.getRank() != 2 || lhsType.getRank() < 1)
      return rewriter.notifyMatchFailure(op, "needs static shapes and a 2-D "
                                             "weight");
    if (!(weight.isPerTensor() ||
          (weight.isPerAxis() && weight.getAxis() == 1)) ||
        !weight.hasZeroZeroPoints())
      return rewriter.notifyMatchFailure(
          op, "weights must be symmetric, per tensor or per output channel");
    if (result && !result.isPerTensor())
      return rewriter.notifyMatchFailure(op, "results must be per tensor");
    Type expressed = weight.getExpressedType();
    if (!expressed.isF32() || data.getExpressedType() != expressed ||
        (!result && resultType.getElementType() != expressed) ||
        (result && result.getExpressedType() != expressed))
      return rewriter.notifyMatchFailure(op, "needs f32 expressed types");
    auto weightCast = op.getRhs().getDefiningOp<StorageCastOp>();
    if (!weightCast)
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    bool packed = kind->isPackedB();
    FailureOr<std::vector<int8_t>> bytes =
        packed ? readConstantNibbles(weightCast.getInput())
               : readConstantBytes(weightCast.getInput());
    if (failed(bytes))
      return rewriter.notifyMatchFailure(op, "weight is not a constant");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    if (lhsType.getShape().back() != k)
      return rewriter.notifyMatchFailure(op, "contraction sizes differ");
    int64_t m = lhsType.getNumElements() / std::max<int64_t>(k, 1);
    if (m == 0 || n == 0 || k == 0)
      return rewriter.notifyMatchFailure(op, "empty matmul");
    // K is padded to whole 16-byte copies: 16 bytes, or 32 packed nibbles.
    int64_t kp = llvm::alignTo(k, packed ? 32 : 16);
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    Type f32 = rewriter.getF32Type();

    // The weight, transposed to [N, Kp] (K-major) and zero-padded.
    std::vector<char> transposed(n * kp, 0);
    SmallVector<int32_t> columnSums(n, 0);
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t nn = 0; nn < n; ++nn) {
        int8_t v = (*bytes)[kk * n + nn];
        transposed[nn * kp + kk] = static_cast<char>(v);
        columnSums[nn] += v;
      }
    }
    if (packed) {
      // Two nibbles per byte along K, k = 2j in the low nibble of byte j.
      std::vector<char> nibbles(n * kp / 2, 0);
      for (int64_t nn = 0; nn < n; ++nn)
        for (int64_t kk = 0; kk < kp; ++kk)
          nibbles[nn * kp / 2 + kk / 2] |= static_cast<char>(
              (transposed[nn * kp + kk] & 0xF) << (4 * (kk % 2)));
      transposed = std::move(nibbles);
    }
    auto wTType = RankedTensorType::get({n, packed ? kp / 2 : kp}, i8);
    Value wT =
        arith::ConstantOp::create(rewriter, loc, wTType,
                                  cast<TypedAttr>(createConstantAttr(
                                      wTType, transposed, "qc_gpu_weight_t")));

    // The data bytes as [M, Kp].
    Value lhs = StorageCastOp::create(
        rewriter, loc, RankedTensorType::get(lhsType.getShape(), i8), data8);
    lhs = reshapeTensor(rewriter, loc, lhs, {m, k});
    if (kp != k) {
      SmallVector<OpFoldResult> low{rewriter.getIndexAttr(0),
                                    rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> high{rewriter.getIndexAttr(0),
                                     rewriter.getIndexAttr(kp - k)};
      Value zero = arith::ConstantIntOp::create(rewriter, loc, 0, 8);
      lhs = tensor::PadOp::create(
          rewriter, loc, RankedTensorType::get({m, kp}, i8), lhs,
          ArrayRef<OpFoldResult>(low), ArrayRef<OpFoldResult>(high), zero);
    }

    // The contraction.
    Type accType = kind->getAccumulatorType(ctx);
    Value init = createFilledTensor(
        rewriter, loc, {m, n}, createScalarConstant(rewriter, loc, accType, 0));
    AffineExpr dm, dn, dk;
    bindDims(ctx, dm, dn, dk);
    SmallVector<AffineMap> maps{
        AffineMap::get(3, 0, {dm, dk}, ctx),
        AffineMap::get(3, 0, {dn, packed ? dk.floorDiv(2) : dk}, ctx),
        AffineMap::get(3, 0, {dm, dn}, ctx)};
    SmallVector<utils::IteratorType> iterators{utils::IteratorType::parallel,
                                               utils::IteratorType::parallel,
                                               utils::IteratorType::reduction};
    auto contraction = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{lhs, wT},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value product;
          if (kind->isFloat()) {
            Value one = arith::ConstantOp::create(b, l, b.getF32FloatAttr(1));
            Value zero = arith::ConstantIntOp::create(b, l, 0, 32);
            Value x = buildDequantizeScalar(b, l, args[0], one, zero, data);
            Value y = buildDequantizeScalar(b, l, args[1], one, zero, weight);
            product = arith::MulFOp::create(b, l, x, y);
            linalg::YieldOp::create(
                b, l,
                arith::AddFOp::create(b, l, args[2], product).getResult());
            return;
          }
          Value x =
              *a == MMAElementType::U8
                  ? arith::ExtUIOp::create(b, l, i32, args[0]).getResult()
                  : arith::ExtSIOp::create(b, l, i32, args[0]).getResult();
          Value w = args[1];
          if (packed) {
            // The nibble of k: (byte << (4 - 4 (k % 2))) >>s 4.
            Value kIndex = linalg::IndexOp::create(b, l, 2);
            Value two = arith::ConstantIndexOp::create(b, l, 2);
            Value odd = arith::IndexCastOp::create(
                b, l, i8, arith::RemUIOp::create(b, l, kIndex, two));
            Value four = arith::ConstantIntOp::create(b, l, 4, 8);
            Value up = arith::SubIOp::create(
                b, l, four, arith::MulIOp::create(b, l, odd, four));
            w = arith::ShRSIOp::create(b, l, arith::ShLIOp::create(b, l, w, up),
                                       four);
          }
          Value y = arith::ExtSIOp::create(b, l, i32, w);
          product = arith::MulIOp::create(b, l, x, y);
          linalg::YieldOp::create(
              b, l, arith::AddIOp::create(b, l, args[2], product).getResult());
        });
    contraction->setAttr(kMMAAttrName, rewriter.getStringAttr(kind->str()));
    Value acc = contraction.getResult(0);

    // The epilogue's per-column constants.
    SmallVector<double> weightScales = weight.getScaleValues();
    float dataScale = static_cast<float>(data.getScale());
    SmallVector<float> scales(n);
    for (int64_t nn = 0; nn < n; ++nn)
      scales[nn] = dataScale * static_cast<float>(
                                   weightScales[weight.isPerTensor() ? 0 : nn]);
    auto vectorOf = [&](Type element, ArrayRef<char> raw) -> Value {
      auto type = RankedTensorType::get({n}, element);
      return arith::ConstantOp::create(
          rewriter, loc, type,
          cast<TypedAttr>(createConstantAttr(type, raw, "qc_gpu_epilogue")));
    };
    SmallVector<Value> inputs{acc};
    SmallVector<AffineMap> epilogueMaps{
        AffineMap::getMultiDimIdentityMap(2, ctx)};
    auto columnMap = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    inputs.push_back(vectorOf(
        f32, ArrayRef<char>(reinterpret_cast<const char *>(scales.data()),
                            scales.size() * sizeof(float))));
    epilogueMaps.push_back(columnMap);
    int64_t zeroPoint = kind->isFloat() ? 0 : data.getZeroPoint();
    if (zeroPoint != 0) {
      SmallVector<int32_t> correction(n);
      for (int64_t nn = 0; nn < n; ++nn)
        correction[nn] = static_cast<int32_t>(zeroPoint * columnSums[nn]);
      inputs.push_back(vectorOf(
          i32, ArrayRef<char>(reinterpret_cast<const char *>(correction.data()),
                              correction.size() * sizeof(int32_t))));
      epilogueMaps.push_back(columnMap);
    }
    Type outElement = result ? Type(result.getStorageMemoryType()) : f32;
    Value out = createEmptyTensor(rewriter, loc, {m, n}, outElement);
    epilogueMaps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    Value epilogue =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{out.getType()}, inputs, ValueRange{out},
            epilogueMaps,
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value v = args[0];
              if (!kind->isFloat()) {
                if (zeroPoint != 0)
                  v = arith::SubIOp::create(b, l, v, args[2]);
                v = arith::SIToFPOp::create(b, l, f32, v);
              }
              v = arith::MulFOp::create(b, l, v, args[1]);
              if (result) {
                Value s = arith::ConstantOp::create(
                    b, l, b.getF32FloatAttr(result.getScale()));
                Value zp = arith::ConstantIntOp::create(
                    b, l, result.getZeroPoint(), 32);
                v = buildQuantizeScalar(b, l, v, s, zp, result,
                                        /*saturate=*/true);
              }
              linalg::YieldOp::create(b, l, v);
            })
            .getResult(0);
    SmallVector<int64_t> storageShape(resultType.getShape());
    Value reshaped = reshapeTensor(rewriter, loc, epilogue, storageShape);
    if (result)
      reshaped = StorageCastOp::create(rewriter, loc, resultType, reshaped);
    rewriter.replaceOp(op, reshaped);
    return success();
  }
};

struct GPUPrepareMMAPass
    : public qc::impl::GPUPrepareMMAPassBase<GPUPrepareMMAPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PrepareMatMul>(&getContext());
    // Rewrite each matmul once, without folding anything else.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
