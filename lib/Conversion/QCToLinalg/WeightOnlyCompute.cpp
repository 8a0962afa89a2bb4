//===- WeightOnlyCompute.cpp - Weight-only qc.matmul on packed weights ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The CPU form of a weight-only matmul (`w4a16` / `w8a16`: float data times
// 4- or 8-bit integer weights quantized per tensor, per output column or per
// group along K) whose weight codes are constants: the codes are packed on
// the host into qc.packed_dequant_matmul's layout (16 columns by 32 / bits
// reduction steps per 64-byte row, offset to unsigned, the rows of the T
// tiles one kernel block reads interleaved), and the scales and zero points
// into matching [N2, G, T, 16] tiles:
//
//   u(k, n)  = q(k, n) - qmin_of_storage      (q + 8 / q + 128 when signed)
//   zp'(g, n) = zp(g, n) - qmin_of_storage
//   result   = sum_g s(g, n) * sum_{k in g} x[k] * (u(k, n) - zp'(g, n))
//            = sum_k x[k] * dequantize(q(k, n))     (up to reassociation)
//
// With int8 compute (weight-only-compute=int8) the op also gets
// `int8_compute`: the kernel quantizes the activations per row and group to
// symmetric int8 and takes integer dot products (formula in QCOps.td).
//
// Non-constant weights, other element types and quantized results are left
// to the generic dequantizing lowering (QuantizedCompute.cpp).
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/QCToLinalg/QCToLinalg.h"
#include "qc/Utils/ConstantWeights.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Columns per tile: one 512-bit vector of f32.
constexpr int64_t kN0 = 16;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The stored codes of the 2-D integer weight behind a qc.storage_cast of a
/// constant, row-major [K, N], as written (sign-extended for signed
/// storage). Fails for anything else.
FailureOr<std::vector<int32_t>> readCodes(Value weight, UniformType type) {
  auto storageCast = weight.getDefiningOp<StorageCastOp>();
  if (!storageCast)
    return failure();
  std::vector<int32_t> codes;
  if (type.getStorageWidth() == 8) {
    FailureOr<std::vector<int8_t>> bytes =
        readConstantBytes(storageCast.getInput());
    if (failed(bytes))
      return failure();
    for (int8_t v : *bytes)
      codes.push_back(type.getIsSigned() ? int32_t(v) : int32_t(uint8_t(v)));
    return codes;
  }
  DenseElementsAttr attr;
  if (!matchPattern(storageCast.getInput(), m_Constant(&attr)))
    return failure();
  for (const APInt &v : attr.getValues<APInt>())
    codes.push_back(int32_t(type.getIsSigned() ? v.getSExtValue()
                                               : int64_t(v.getZExtValue())));
  return codes;
}

template <typename T>
Value createConstant(OpBuilder &b, Location loc, const std::vector<T> &values,
                     ArrayRef<int64_t> shape, Type elementType,
                     StringRef name) {
  auto type = RankedTensorType::get(shape, elementType);
  ElementsAttr attr = createConstantAttr(
      type,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T)),
      name);
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
}

struct WeightOnlyMatMulLowering : OpConversionPattern<MatMulOp> {
  WeightOnlyMatMulLowering(const TypeConverter &converter, MLIRContext *ctx,
                           bool int8Compute)
      : OpConversionPattern(converter, ctx, /*benefit=*/2),
        int8Compute(int8Compute) {}

  /// Whether the ops get `int8_compute` (where the op allows it).
  bool int8Compute;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    UniformType weight = getUniformElementType(rhsType);
    if (!weight || getUniformElementType(lhsType) ||
        getUniformElementType(op.getType()))
      return rewriter.notifyMatchFailure(op, "not weight-only");
    if (!lhsType.getElementType().isF32() || !weight.getExpressedType().isF32())
      return rewriter.notifyMatchFailure(op, "not f32 data");
    unsigned bits = weight.getStorageWidth();
    if (weight.isFloat8() || (bits != 4 && bits != 8))
      return rewriter.notifyMatchFailure(op, "not 4- or 8-bit integers");
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
        rhsType.getRank() != 2 || lhsType.getRank() < 1)
      return rewriter.notifyMatchFailure(op, "not [.., M, K] x [K, N]");
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    if (k == 0 || n == 0)
      return rewriter.notifyMatchFailure(op, "empty weight");
    // Group size along K: per group on axis 0, else one group.
    int64_t groupSize = k;
    if (weight.isPerGroup()) {
      if (weight.getAxis() != 0)
        return rewriter.notifyMatchFailure(op, "groups not along K");
      groupSize = weight.getBlockSize();
    } else if (weight.isPerAxis() && weight.getAxis() != 1) {
      return rewriter.notifyMatchFailure(op, "per-axis weight not per column");
    }
    FailureOr<std::vector<int32_t>> codes = readCodes(op.getRhs(), weight);
    if (failed(codes) || codes->size() != size_t(k * n))
      return rewriter.notifyMatchFailure(op, "weight codes not constant");

    int64_t groups = ceilDiv(k, groupSize);
    SmallVector<double> scaleValues = weight.getScaleValues();
    SmallVector<int64_t> zpValues = weight.getZeroPointValues();
    // Parameter of (group, column) in the type's own layout.
    auto paramIndex = [&](int64_t g, int64_t nn) -> int64_t {
      if (weight.isPerTensor())
        return 0;
      if (weight.isPerAxis())
        return nn;
      return g * n + nn;
    };
    int64_t offset = weight.getIsSigned() ? (int64_t(1) << (bits - 1)) : 0;
    int64_t k0 = 32 / bits;
    int64_t n1 = ceilDiv(n, kN0), words = ceilDiv(k, k0);
    int64_t m = lhsType.getNumElements() / k;
    // Interleave the rows of the tiles one kernel block reads together, so
    // that the block reads one sequential stream (8 or 4 separate tile
    // streams plus their scales and zero points reached only 0.6 of the
    // read bandwidth from DRAM).
    int64_t tilesPerGroup = PackedDequantMatMulOp::getKernelTiles(m);
    while (n1 % tilesPerGroup != 0)
      tilesPerGroup /= 2;
    int64_t n2 = n1 / tilesPerGroup;
    // Element (tile, row, lane) of a [N2, rows, T, 16] layout.
    auto tiledIndex = [&](int64_t tile, int64_t row, int64_t rows,
                          int64_t lane) {
      return ((tile / tilesPerGroup * rows + row) * tilesPerGroup +
              tile % tilesPerGroup) *
                 kN0 +
             lane;
    };

    // Codes: rhs[n2, kw, t, n0] holds k = kw * k0 + kt at bits
    // [bits * kt, ...).
    std::vector<uint32_t> packed(n1 * words * kN0, 0);
    uint32_t mask = (uint32_t(1) << bits) - 1;
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t nn = 0; nn < n; ++nn) {
        uint32_t u = uint32_t((*codes)[kk * n + nn] + offset) & mask;
        packed[tiledIndex(nn / kN0, kk / k0, words, nn % kN0)] |=
            u << (bits * (kk % k0));
      }
    std::vector<float> scales(n1 * groups * kN0, 0.0f);
    std::vector<float> zeroPoints(n1 * groups * kN0, 0.0f);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t nn = 0; nn < n; ++nn) {
        int64_t i = tiledIndex(nn / kN0, g, groups, nn % kN0);
        scales[i] = float(scaleValues[paramIndex(g, nn)]);
        zeroPoints[i] = float(zpValues[paramIndex(g, nn)] + offset);
      }

    Location loc = op.getLoc();
    Value lhs = reshapeTensor(rewriter, loc, adaptor.getLhs(), {m, k});
    Value rhs =
        createConstant(rewriter, loc, packed, {n2, words, tilesPerGroup, kN0},
                       rewriter.getI32Type(), "packed_weight");
    Value scaleTiles =
        createConstant(rewriter, loc, scales, {n2, groups, tilesPerGroup, kN0},
                       rewriter.getF32Type(), "weight_scales");
    Value zpTiles = createConstant(rewriter, loc, zeroPoints,
                                   {n2, groups, tilesPerGroup, kN0},
                                   rewriter.getF32Type(), "weight_zero_points");
    Type f32 = rewriter.getF32Type();
    Value init =
        createFilledTensor(rewriter, loc, {m, n1 * kN0},
                           createScalarConstant(rewriter, loc, f32, 0));
    // int8_compute needs groups of whole packed rows (or one group) and
    // exact i32 group sums; other group sizes stay exact.
    bool int8 = false;
    if (int8Compute) {
      if ((groups == 1 || groupSize % k0 == 0) &&
          std::min(groupSize, k) <= 65536)
        int8 = true;
      else
        op.emitRemark() << "weight-only-compute=int8: group size " << groupSize
                        << " is not a multiple of " << k0
                        << " (or longer than 65536); this matmul stays exact";
    }
    Value acc = PackedDequantMatMulOp::create(
                    rewriter, loc, TypeRange{init.getType()}, lhs, rhs,
                    scaleTiles, zpTiles, init, rewriter.getI64IntegerAttr(bits),
                    rewriter.getI64IntegerAttr(groupSize),
                    int8 ? rewriter.getUnitAttr() : UnitAttr())
                    .getResult()[0];
    if (n1 * kN0 != n) {
      SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0),
                                        rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(m),
                                      rewriter.getIndexAttr(n)};
      SmallVector<OpFoldResult> strides{rewriter.getIndexAttr(1),
                                        rewriter.getIndexAttr(1)};
      acc = tensor::ExtractSliceOp::create(rewriter, loc, acc, offsets, sizes,
                                           strides);
    }
    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, acc, resultType.getShape()));
    return success();
  }
};

} // namespace

void mlir::qc::populateWeightOnlyComputePatterns(const TypeConverter &converter,
                                                 RewritePatternSet &patterns,
                                                 bool int8Compute) {
  patterns.add<WeightOnlyMatMulLowering>(converter, patterns.getContext(),
                                         int8Compute);
}
