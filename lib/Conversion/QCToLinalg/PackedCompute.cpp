//===- PackedCompute.cpp - qc.matmul/qc.conv on packed weights ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The CPU form of matmuls and convolutions whose weights are known at
// compile time: the weights are packed on the host into the tiled layout of
// qc.packed_matmul ([N1, K1, 16, K0]), convolutions become an im2col copy
// plus that matmul, and an elementwise epilogue finishes the result.
//
//   quantized (u8/i8 data per tensor, symmetric i8 weights per tensor or per
//   output channel):
//     a_u   = data bits, xor 0x80 for i8 data  (so that zp_u = zp + 128)
//     acc   = packed_matmul(a_u, W)            = sum_k a_u * w   (u8 x s8)
//     acc'  = acc - zp_u * colsum(W)[n]        = sum_k (a - zp) * w
//     result = epilogue(acc')                  (as the generic lowering)
//   float: acc = packed_matmul(x, W) (+ bias for convolutions).
//
// Quantized convolutions gather their patches from a channels-last [N, D...,
// C] copy of the input (columns in (kernel position, channel) order, the
// weights packed to match) and run the epilogue in the accumulator's
// [N, Y..., O] layout, transposing only the 8-bit result to [N, O, Y...];
// a convolution whose input is such a transposed result reads the
// channels-last tensor directly.
//
// Matmuls of two quantized activations (attention's Q K^T and P V) pack the
// rhs at run time (PackedActivationMatMulLowering).
//
// Integer results are bit-identical to the generic lowering (integer
// accumulation is exact). Float matmuls accumulate in the same increasing-k
// order, so they match too; float convolutions add the bias after the sum
// instead of starting from it (a rounding-level difference).
//
//===----------------------------------------------------------------------===//

#include "QuantParams.h"
#include "qc/Conversion/QCToLinalg/QCToLinalg.h"
#include "qc/Utils/ConstantWeights.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Column tile of the packed layout: one 512-bit vector of i32/f32.
constexpr int64_t kN0 = 16;
/// Reduction tile of the integer layout by default: the 4 bytes one
/// vpdpbusd/sdot/usdot lane sums (8 for usmmla is the patterns' intK0).
constexpr int64_t kIntK0 = 4;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Packs the [K, N] matrix `at(k, n)` into [N1, K1, kN0, k0] with zero
/// padding, as qc.packed_matmul reads it.
template <typename T, typename Fn>
std::vector<T> packRhs(int64_t k, int64_t n, int64_t k0, Fn at) {
  int64_t n1 = ceilDiv(n, kN0), k1 = ceilDiv(k, k0);
  std::vector<T> packed(n1 * k1 * kN0 * k0, T(0));
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t nn = 0; nn < n; ++nn) {
      int64_t i = (((nn / kN0) * k1 + kk / k0) * kN0 + nn % kN0) * k0 + kk % k0;
      packed[i] = at(kk, nn);
    }
  return packed;
}

template <typename T>
Value createPackedConstant(OpBuilder &b, Location loc, ArrayRef<T> values,
                           ArrayRef<int64_t> shape, Type elementType) {
  auto type = RankedTensorType::get(shape, elementType);
  ElementsAttr attr = createConstantAttr(
      type,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T)),
      "packed_weight");
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
}

/// Pads dimension 1 of the [M, K] tensor `lhs` with zeros up to `k`.
Value padColumns(OpBuilder &b, Location loc, Value lhs, int64_t k) {
  auto type = cast<RankedTensorType>(lhs.getType());
  if (type.getDimSize(1) == k)
    return lhs;
  Value zero = createScalarConstant(b, loc, type.getElementType(), 0.0);
  SmallVector<OpFoldResult> low{b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> high{b.getIndexAttr(0),
                                 b.getIndexAttr(k - type.getDimSize(1))};
  return tensor::PadOp::create(
      b, loc,
      RankedTensorType::get({type.getDimSize(0), k}, type.getElementType()),
      lhs, low, high, zero);
}

/// Flips the sign bit of every i8 in `t`: i8 codes become the u8 codes of
/// the same values shifted by +128.
Value flipSignBits(OpBuilder &b, Location loc, Value t) {
  Value mask = createScalarConstant(b, loc, b.getI8Type(), -128.0);
  return buildElementwise(
      b, loc, ValueRange{t}, b.getI8Type(),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        return arith::XOrIOp::create(nb, nl, args[0], mask).getResult();
      });
}

/// qc.packed_matmul of `lhs` [M, K] (K already padded to the rhs) with the
/// packed constant, into a zero accumulator [M, N1 * 16].
Value buildPackedMatMul(OpBuilder &b, Location loc, Value lhs, Value packed) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(packed.getType());
  Type accElement = lhsType.getElementType().isF32() ? Type(b.getF32Type())
                                                     : Type(b.getI32Type());
  SmallVector<int64_t> accShape{lhsType.getDimSize(0),
                                rhsType.getDimSize(0) * rhsType.getDimSize(2)};
  Value init = createFilledTensor(b, loc, accShape,
                                  createScalarConstant(b, loc, accElement, 0));
  return PackedMatMulOp::create(b, loc, TypeRange{init.getType()}, lhs, packed,
                                init)
      .getResult()[0];
}

/// The first `n` columns of the [M, Npad] accumulator `acc`.
Value sliceColumns(OpBuilder &b, Location loc, Value acc, int64_t n) {
  auto type = cast<RankedTensorType>(acc.getType());
  if (type.getDimSize(1) == n)
    return acc;
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(type.getDimSize(0)),
                                  b.getIndexAttr(n)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  return tensor::ExtractSliceOp::create(b, loc, acc, offsets, sizes, strides);
}

/// The host values of a symmetric 8-bit weight: the i8 constant behind the
/// qc.storage_cast that defines `weight`.
FailureOr<std::vector<int8_t>> readQuantizedWeight(Value weight,
                                                   UniformType type) {
  if (!type || type.isFloat8() || !type.getIsSigned() ||
      type.getStorageWidth() != 8 || !type.hasZeroZeroPoints() ||
      type.isPerGroup())
    return failure();
  auto cast = weight.getDefiningOp<StorageCastOp>();
  if (!cast)
    return failure();
  return readConstantBytes(cast.getInput());
}

/// Checks the data operand: 8-bit integer codes per tensor.
bool isPackableData(UniformType data) {
  return data && data.isPerTensor() && !data.isFloat8() &&
         data.getStorageWidth() == 8;
}

/// acc [.., Npad] (i32) -> acc - zp_u * colsum[n], read through `accMap`
/// over an iteration space of `outShape` where dimension `channelDim` is the
/// output column.
Value correctZeroPoint(OpBuilder &b, Location loc, Value acc, AffineMap accMap,
                       ArrayRef<int64_t> outShape, int64_t channelDim,
                       int64_t zeroPoint, ArrayRef<int32_t> colsum) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outShape.size();
  std::vector<int32_t> scaled;
  for (int32_t c : colsum)
    scaled.push_back(int32_t(int64_t(zeroPoint) * c));
  Value correction = createPackedConstant<int32_t>(
      b, loc, scaled, {int64_t(scaled.size())}, b.getI32Type());
  Value init = createEmptyTensor(b, loc, outShape, b.getI32Type());
  SmallVector<AffineMap> maps{
      accMap, AffineMap::get(rank, 0, getAffineDimExpr(channelDim, ctx)),
      AffineMap::getMultiDimIdentityMap(rank, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{acc, correction},
             ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   arith::SubIOp::create(nb, nl, args[0], args[1]).getResult());
             })
      .getResult(0);
}

/// Column sums of the [K, N] weight `at(k, n)`.
template <typename Fn>
std::vector<int32_t> columnSums(int64_t k, int64_t n, Fn at) {
  std::vector<int32_t> sums(n, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t nn = 0; nn < n; ++nn)
      sums[nn] += at(kk, nn);
  return sums;
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

struct PackedMatMulLowering : OpConversionPattern<MatMulOp> {
  PackedMatMulLowering(const TypeConverter &converter, MLIRContext *ctx,
                       int64_t intK0)
      : OpConversionPattern(converter, ctx, /*benefit=*/2), intK0(intK0) {}
  int64_t intK0;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
        rhsType.getRank() != 2 || lhsType.getRank() < 1)
      return rewriter.notifyMatchFailure(op, "not [.., M, K] x [K, N]");
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    int64_t m = lhsType.getNumElements() / k;
    Location loc = op.getLoc();
    UniformType data = getUniformElementType(lhsType);
    UniformType weight = getUniformElementType(rhsType);
    UniformType resultQuant = getUniformElementType(op.getType());
    Value lhs = reshapeTensor(rewriter, loc, adaptor.getLhs(), {m, k});

    if (!data && !weight) {
      // Float: x [M, K] times a constant f32 [K, N].
      if (!lhsType.getElementType().isF32())
        return rewriter.notifyMatchFailure(op, "not f32");
      FailureOr<ConstantWeight> w = readConstantWeight(op.getRhs());
      if (failed(w) || w->values.size() != size_t(k * n))
        return rewriter.notifyMatchFailure(op, "rhs is not a constant");
      std::vector<float> packed =
          packRhs<float>(k, n, 1, [&](int64_t kk, int64_t nn) {
            return w->values[kk * n + nn];
          });
      Value rhs = createPackedConstant<float>(rewriter, loc, packed,
                                              {ceilDiv(n, kN0), k, kN0, 1},
                                              rewriter.getF32Type());
      Value acc = sliceColumns(rewriter, loc,
                               buildPackedMatMul(rewriter, loc, lhs, rhs), n);
      rewriter.replaceOp(
          op, reshapeTensor(rewriter, loc, acc, resultType.getShape()));
      return success();
    }

    if (!isPackableData(data))
      return rewriter.notifyMatchFailure(op, "data is not 8-bit per tensor");
    if (resultQuant && !resultQuant.isPerTensor())
      return rewriter.notifyMatchFailure(op, "result not per tensor");
    if (weight && weight.isPerAxis() && weight.getAxis() != 1)
      return rewriter.notifyMatchFailure(op, "weight not per output column");
    FailureOr<std::vector<int8_t>> w = readQuantizedWeight(op.getRhs(), weight);
    if (failed(w) || w->size() != size_t(k * n))
      return rewriter.notifyMatchFailure(op, "weight is not a packable "
                                             "symmetric i8 constant");
    auto at = [&](int64_t kk, int64_t nn) { return (*w)[kk * n + nn]; };
    int64_t kPadded = ceilDiv(k, intK0) * intK0;
    std::vector<int8_t> packed = packRhs<int8_t>(k, n, intK0, at);
    Value rhs = createPackedConstant<int8_t>(
        rewriter, loc, packed, {ceilDiv(n, kN0), kPadded / intK0, kN0, intK0},
        rewriter.getI8Type());
    int64_t zeroPoint = data.getZeroPoint();
    if (data.getIsSigned()) {
      lhs = flipSignBits(rewriter, loc, lhs);
      zeroPoint += 128;
    }
    lhs = padColumns(rewriter, loc, lhs, kPadded);
    Value acc = sliceColumns(rewriter, loc,
                             buildPackedMatMul(rewriter, loc, lhs, rhs), n);
    MLIRContext *ctx = rewriter.getContext();
    Value corrected = correctZeroPoint(
        rewriter, loc, acc, AffineMap::getMultiDimIdentityMap(2, ctx), {m, n},
        1, zeroPoint, columnSums(k, n, at));
    Epilogue e;
    e.data = data;
    e.weight = weight;
    e.result = resultQuant;
    e.resultType = RankedTensorType::get({m, n}, resultType.getElementType());
    e.weightExprs = {getAffineConstantExpr(0, ctx), getAffineDimExpr(1, ctx)};
    Value result = buildEpilogue(rewriter, loc, corrected, e);
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, result, resultType.getShape()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Conv (group 1): im2col + packed matmul
//===----------------------------------------------------------------------===//

/// The patch matrix of `input`: one copy generic over the iteration space
/// `shape` = [n, `numOutSpatial` output positions, patch columns...] reading
/// `input` at `inExprs`, reshaped to [n * prod(positions), prod(columns)].
Value gatherPatches(OpBuilder &b, Location loc, Value input,
                    ArrayRef<int64_t> shape, ArrayRef<AffineExpr> inExprs,
                    int64_t numOutSpatial) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t numDims = shape.size();
  Value init = createEmptyTensor(b, loc, shape, type.getElementType());
  Value patches = linalg::GenericOp::create(
                      b, loc, TypeRange{init.getType()}, ValueRange{input},
                      ValueRange{init},
                      SmallVector<AffineMap>{
                          AffineMap::get(numDims, 0, inExprs, ctx),
                          AffineMap::getMultiDimIdentityMap(numDims, ctx)},
                      SmallVector<utils::IteratorType>(
                          numDims, utils::IteratorType::parallel),
                      [](OpBuilder &nb, Location nl, ValueRange args) {
                        linalg::YieldOp::create(nb, nl, args[0]);
                      })
                      .getResult(0);
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < numDims; ++i)
    (i <= numOutSpatial ? rows : cols) *= shape[i];
  return reshapeTensor(b, loc, patches, {rows, cols});
}

/// The [N * prod(Y), prod(J) * C] patch matrix of the padded channels-last
/// input [N, D..., C], columns in (j..., c) order: each patch row is a run
/// of contiguous C-byte copies (vectorizable), where the [N, C, D...] form
/// gathers single elements.
Value buildIm2ColChannelsLast(OpBuilder &b, Location loc, Value input,
                              ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> outSpatial,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t spatial = kernel.size();
  int64_t batch = type.getDimSize(0), channels = type.getDimSize(1 + spatial);
  // Iteration space (n, y1..yk, j1..jk, c).
  SmallVector<int64_t> shape{batch};
  shape.append(outSpatial.begin(), outSpatial.end());
  shape.append(kernel.begin(), kernel.end());
  shape.push_back(channels);
  int64_t numDims = shape.size();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs{d(0)};
  for (int64_t i = 0; i < spatial; ++i)
    inExprs.push_back(d(1 + i) * strides[i] +
                      d(1 + spatial + i) * dilations[i]);
  inExprs.push_back(d(numDims - 1));
  return gatherPatches(b, loc, input, shape, inExprs, outSpatial.size());
}

/// The [N * prod(Y), C * prod(J)] patch matrix of the padded input
/// [N, C, D...] for kernel sizes `kernel`, written by one gather generic.
Value buildIm2Col(OpBuilder &b, Location loc, Value input,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> outSpatial,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t spatial = kernel.size();
  int64_t batch = type.getDimSize(0), channels = type.getDimSize(1);
  // Iteration space (n, y1..yk, c, j1..jk), one output element each.
  SmallVector<int64_t> shape{batch};
  shape.append(outSpatial.begin(), outSpatial.end());
  shape.push_back(channels);
  shape.append(kernel.begin(), kernel.end());
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  int64_t cDim = 1 + spatial;
  SmallVector<AffineExpr> inExprs{d(0), d(cDim)};
  for (int64_t i = 0; i < spatial; ++i)
    inExprs.push_back(d(1 + i) * strides[i] + d(cDim + 1 + i) * dilations[i]);
  return gatherPatches(b, loc, input, shape, inExprs, outSpatial.size());
}

struct PackedConvLowering : OpConversionPattern<ConvOp> {
  PackedConvLowering(const TypeConverter &converter, MLIRContext *ctx,
                     int64_t intK0)
      : OpConversionPattern(converter, ctx, /*benefit=*/2), intK0(intK0) {}
  int64_t intK0;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getGroup() != 1)
      return rewriter.notifyMatchFailure(op, "grouped convolution");
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    if (!inputType.hasStaticShape() || !weightType.hasStaticShape() ||
        !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    UniformType data = getUniformElementType(inputType);
    UniformType weight = getUniformElementType(weightType);
    UniformType resultQuant = getUniformElementType(op.getType());
    int64_t rank = inputType.getRank(), spatial = rank - 2;
    int64_t outChannels = weightType.getDimSize(0);
    int64_t k = weightType.getNumElements() / outChannels;
    ArrayRef<int64_t> outShape = resultType.getShape();

    // The weight as the [K, O] matrix at(k, o) = W[o, k].
    std::vector<float> floats;
    std::vector<int8_t> codes;
    if (!data && !weight) {
      if (!inputType.getElementType().isF32())
        return rewriter.notifyMatchFailure(op, "not f32");
      FailureOr<ConstantWeight> w = readConstantWeight(op.getWeight());
      if (failed(w) || w->values.size() != size_t(k * outChannels))
        return rewriter.notifyMatchFailure(op, "weight is not a constant");
      floats = std::move(w->values);
    } else {
      if (!isPackableData(data))
        return rewriter.notifyMatchFailure(op, "data is not 8-bit per tensor");
      if (resultQuant && !resultQuant.isPerTensor())
        return rewriter.notifyMatchFailure(op, "result not per tensor");
      if (weight && weight.isPerAxis() && weight.getAxis() != 0)
        return rewriter.notifyMatchFailure(op, "weight not per channel");
      FailureOr<std::vector<int8_t>> w =
          readQuantizedWeight(op.getWeight(), weight);
      if (failed(w) || w->size() != size_t(k * outChannels))
        return rewriter.notifyMatchFailure(op, "weight is not a packable "
                                               "symmetric i8 constant");
      codes = std::move(*w);
    }

    // Integer convolutions gather patches from a channels-last copy of the
    // input [N, D..., C], columns in (j..., c) order (runs of C contiguous
    // bytes); the weight is packed in the same order. When the input is the
    // channels-last result of a previous convolution transposed back (see
    // below), that result is used directly. Float convolutions keep
    // [N, C, D...] and (c, j...) columns, the generic lowering's order.
    Value input = adaptor.getInput();
    bool channelsLast = bool(data);
    if (channelsLast) {
      SmallVector<int64_t> toChannelsLast{0}, fromChannelsLast{0, rank - 1};
      for (int64_t i = 2; i < rank; ++i) {
        toChannelsLast.push_back(i);
        fromChannelsLast.push_back(i - 1);
      }
      toChannelsLast.push_back(1);
      auto transpose = input.getDefiningOp<linalg::TransposeOp>();
      if (transpose &&
          transpose.getPermutation() == ArrayRef<int64_t>(fromChannelsLast))
        input = transpose.getInput();
      else
        input = transposeTensor(rewriter, loc, input, toChannelsLast);
    }
    // Pad the input with real zero: the zero point for codes.
    int64_t firstSpatial = channelsLast ? 1 : 2;
    ArrayRef<int64_t> pads = op.getPads();
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      auto unpadded = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> low, high;
      SmallVector<int64_t> shape;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t s = i - firstSpatial;
        bool isSpatial = s >= 0 && s < spatial;
        int64_t lo = isSpatial ? pads[s] : 0;
        int64_t hi = isSpatial ? pads[s + spatial] : 0;
        low.push_back(rewriter.getIndexAttr(lo));
        high.push_back(rewriter.getIndexAttr(hi));
        shape.push_back(unpadded.getDimSize(i) + lo + hi);
      }
      Type element = unpadded.getElementType();
      Value padValue = createScalarConstant(
          rewriter, loc, element, data ? double(data.getZeroPoint()) : 0.0);
      input = tensor::PadOp::create(rewriter, loc,
                                    RankedTensorType::get(shape, element),
                                    input, low, high, padValue);
    }
    SmallVector<int64_t> kernel(weightType.getShape().drop_front(2));
    SmallVector<int64_t> outSpatial(outShape.drop_front(2));
    int64_t zeroPoint = 0;
    if (data) {
      zeroPoint = data.getZeroPoint();
      if (data.getIsSigned()) {
        input = flipSignBits(rewriter, loc, input);
        zeroPoint += 128;
      }
    }
    int64_t kernelSize = k / weightType.getDimSize(1);
    int64_t inChannels = weightType.getDimSize(1);
    Value patches =
        channelsLast
            ? buildIm2ColChannelsLast(rewriter, loc, input, kernel, outSpatial,
                                      op.getStrides(), op.getDilations())
            : buildIm2Col(rewriter, loc, input, kernel, outSpatial,
                          op.getStrides(), op.getDilations());
    // Weight code for patch column kk ((j..., c) order) and output o.
    auto codeAt = [&](int64_t kk, int64_t o) {
      return codes[o * k + (kk % inChannels) * kernelSize + kk / inChannels];
    };
    int64_t k0 = data ? intK0 : 1;
    int64_t kPadded = ceilDiv(k, k0) * k0;
    patches = padColumns(rewriter, loc, patches, kPadded);
    SmallVector<int64_t> packedShape{ceilDiv(outChannels, kN0), kPadded / k0,
                                     kN0, k0};
    Value rhs =
        data ? createPackedConstant<int8_t>(
                   rewriter, loc, packRhs<int8_t>(k, outChannels, k0, codeAt),
                   packedShape, rewriter.getI8Type())
             : createPackedConstant<float>(
                   rewriter, loc,
                   packRhs<float>(k, outChannels, 1,
                                  [&](int64_t kk, int64_t o) {
                                    return floats[o * k + kk];
                                  }),
                   packedShape, rewriter.getF32Type());
    Value acc = sliceColumns(rewriter, loc,
                             buildPackedMatMul(rewriter, loc, patches, rhs),
                             outChannels);

    // acc [N * prod(Y), Opad] viewed as [N, Y..., Opad] and read in the
    // output's [N, O, Y...] order.
    auto accType = cast<RankedTensorType>(acc.getType());
    SmallVector<int64_t> accView{outShape[0]};
    accView.append(outSpatial.begin(), outSpatial.end());
    accView.push_back(accType.getDimSize(1));
    acc = reshapeTensor(rewriter, loc, acc, accView);
    SmallVector<AffineExpr> accExprs{getAffineDimExpr(0, ctx)};
    for (int64_t i = 0; i < spatial; ++i)
      accExprs.push_back(getAffineDimExpr(2 + i, ctx));
    accExprs.push_back(getAffineDimExpr(1, ctx));
    AffineMap accMap = AffineMap::get(rank, 0, accExprs, ctx);

    if (!data) {
      // Float: out[n, o, y] = acc[n, y, o] (+ bias[o]).
      SmallVector<Value> inputs{acc};
      SmallVector<AffineMap> maps{accMap};
      Value bias = adaptor.getBias();
      if (bias) {
        inputs.push_back(bias);
        maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(1, ctx)));
      }
      maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
      Value init = createEmptyTensor(rewriter, loc, outShape,
                                     resultType.getElementType());
      Value result = linalg::GenericOp::create(
                         rewriter, loc, TypeRange{init.getType()}, inputs,
                         ValueRange{init}, maps,
                         SmallVector<utils::IteratorType>(
                             rank, utils::IteratorType::parallel),
                         [&](OpBuilder &nb, Location nl, ValueRange args) {
                           Value v = args[0];
                           if (bias)
                             v = arith::AddFOp::create(nb, nl, v, args[1]);
                           linalg::YieldOp::create(nb, nl, v);
                         })
                         .getResult(0);
      rewriter.replaceOp(op, result);
      return success();
    }

    // The integer epilogue runs in the accumulator's [N, Y..., O] layout,
    // where reading the i32 accumulator and writing the result are both
    // contiguous (vectorizable); only the narrow result is then transposed
    // to [N, O, Y...].
    SmallVector<int64_t> nyoShape(accView);
    nyoShape.back() = outChannels;
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value corrected =
        correctZeroPoint(rewriter, loc, acc, identity, nyoShape, rank - 1,
                         zeroPoint, columnSums(k, outChannels, codeAt));
    Epilogue e;
    e.data = data;
    e.weight = weight;
    e.result = resultQuant;
    e.resultType = RankedTensorType::get(nyoShape, resultType.getElementType());
    e.weightExprs.assign(weightType.getRank(), getAffineConstantExpr(0, ctx));
    e.weightExprs[0] = getAffineDimExpr(rank - 1, ctx);
    if (Value bias = adaptor.getBias()) {
      e.bias = bias;
      e.biasQuant = getUniformElementType(op.getBias().getType());
      e.biasDim = rank - 1;
    }
    SmallVector<int64_t> perm{0, rank - 1};
    for (int64_t i = 1; i < rank - 1; ++i)
      perm.push_back(i);
    rewriter.replaceOp(
        op, transposeTensor(rewriter, loc,
                            buildEpilogue(rewriter, loc, corrected, e), perm));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MatMul of two activations: the rhs packed at run time
//===----------------------------------------------------------------------===//

/// A linalg.generic over `shape` with `inputs` read through `maps` and one
/// output of `element` type, filled by `body` (reductions start from
/// `init`, or a tensor.empty when null).
Value buildGeneric(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps, AffineMap outMap, ArrayRef<int64_t> outShape,
    Type element, Value init, ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  if (!init)
    init = createEmptyTensor(b, loc, outShape, element);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(outMap);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, args));
             })
      .getResult(0);
}

/// Batches of an activation x activation matmul get one qc.packed_matmul
/// each (unrolled: this pass creates no loops); more keep the generic
/// lowering rather than growing the code.
constexpr int64_t kMaxActivationBatches = 64;

/// qc.matmul of two quantized activations (attention's Q K^T and P V):
/// [B..., M, K] x [B..., K, N] with 8-bit codes per tensor. The rhs is
/// packed at run time into the [N1, K1, 16, 4] layout (as s8), each batch
/// runs the packed kernel, and the zero points are corrected with row and
/// column sums:
///
///   a_u = lhs code (u8; xor 0x80 for i8, zp_a_u = zp_a + 128)
///   b_s = rhs code (s8; xor 0x80 for u8, zp_b_s = zp_b - 128)
///   acc = sum_k a_u b_s - zp_b_s rowsum(a_u) - zp_a_u colsum(b_s)
///         + K zp_a_u zp_b_s                  = sum_k (a - zp_a)(b - zp_b)
///
/// Integer arithmetic throughout, so the accumulator is bit-identical to
/// the generic lowering's; the epilogue is the same.
struct PackedActivationMatMulLowering : OpConversionPattern<MatMulOp> {
  PackedActivationMatMulLowering(const TypeConverter &converter,
                                 MLIRContext *ctx, int64_t intK0)
      : OpConversionPattern(converter, ctx, /*benefit=*/2), intK0(intK0) {}
  int64_t intK0;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    UniformType data = getUniformElementType(lhsType);
    UniformType other = getUniformElementType(rhsType);
    UniformType resultQuant = getUniformElementType(op.getType());
    if (!isPackableData(data) || !isPackableData(other))
      return rewriter.notifyMatchFailure(op, "operands are not 8-bit codes "
                                             "per tensor");
    if (auto cast = op.getRhs().getDefiningOp<StorageCastOp>())
      if (matchPattern(cast.getInput(), m_Constant()))
        return rewriter.notifyMatchFailure(op, "constant rhs: packed at "
                                               "compile time");
    if (resultQuant && !resultQuant.isPerTensor())
      return rewriter.notifyMatchFailure(op, "result not per tensor");
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
        lhsType.getRank() < 2 || lhsType.getRank() != rhsType.getRank() ||
        lhsType.getShape().drop_back(2) != rhsType.getShape().drop_back(2))
      return rewriter.notifyMatchFailure(op, "not [B..., M, K] x [B..., K, N]");
    int64_t rank = lhsType.getRank();
    int64_t m = lhsType.getDimSize(rank - 2), k = lhsType.getDimSize(rank - 1);
    int64_t n = rhsType.getDimSize(rank - 1);
    if (k % kIntK0 != 0 || n % kN0 != 0)
      return rewriter.notifyMatchFailure(op, "K not a multiple of 4 or N not "
                                             "a multiple of 16");
    // K0 = 8 (usmmla) where K allows it, else the 4 every kernel reads.
    int64_t k0 = k % intK0 == 0 ? intK0 : kIntK0;
    int64_t batch = lhsType.getNumElements() / (m * k);
    if (batch > kMaxActivationBatches)
      return rewriter.notifyMatchFailure(op, "too many batches to unroll");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto par = utils::IteratorType::parallel;
    auto red = utils::IteratorType::reduction;

    Value lhs = reshapeTensor(rewriter, loc, adaptor.getLhs(), {batch, m, k});
    int64_t zpA = data.getZeroPoint();
    if (data.getIsSigned()) {
      lhs = flipSignBits(rewriter, loc, lhs);
      zpA += 128;
    }
    Value rhs = reshapeTensor(rewriter, loc, adaptor.getRhs(), {batch, k, n});
    bool flipRhs = !other.getIsSigned();
    int64_t zpB = other.getZeroPoint() - (flipRhs ? 128 : 0);
    Value mask = createScalarConstant(rewriter, loc, i8, -128.0);
    auto toS8 = [&](OpBuilder &b, Location l, Value code) -> Value {
      return flipRhs ? arith::XOrIOp::create(b, l, code, mask).getResult()
                     : code;
    };

    // rhs [B, K, N] -> [B, N1, K1, 16, K0] s8, loops (b, n1, k1, n0, k0).
    int64_t n1 = n / kN0, k1 = k / k0;
    Value packed = buildGeneric(
        rewriter, loc, rhs,
        AffineMap::get(5, 0, {d(0), d(2) * k0 + d(4), d(1) * kN0 + d(3)}, ctx),
        AffineMap::getMultiDimIdentityMap(5, ctx), {batch, n1, k1, kN0, k0}, i8,
        {}, {par, par, par, par, par},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return toS8(b, l, args[0]);
        });

    // One packed matmul per batch, each into its slice of a zero [B, M, N].
    Value acc = createFilledTensor(rewriter, loc, {batch, m, n},
                                   createScalarConstant(rewriter, loc, i32, 0));
    auto slice = [&](Value source, int64_t bi, Type sliceType) {
      auto type = cast<RankedTensorType>(source.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[0] = rewriter.getIndexAttr(bi);
      SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(1)};
      for (int64_t s : type.getShape().drop_front())
        sizes.push_back(rewriter.getIndexAttr(s));
      SmallVector<OpFoldResult> strides(type.getRank(),
                                        rewriter.getIndexAttr(1));
      return std::make_tuple(offsets, sizes, strides,
                             cast<RankedTensorType>(sliceType));
    };
    auto extract = [&](Value source, int64_t bi) -> Value {
      auto type = cast<RankedTensorType>(source.getType());
      auto sliceType = RankedTensorType::get(type.getShape().drop_front(),
                                             type.getElementType());
      auto [offsets, sizes, strides, t] = slice(source, bi, sliceType);
      return tensor::ExtractSliceOp::create(rewriter, loc, t, source, offsets,
                                            sizes, strides);
    };
    for (int64_t bi = 0; bi < batch; ++bi) {
      Value tile =
          PackedMatMulOp::create(
              rewriter, loc, TypeRange{RankedTensorType::get({m, n}, i32)},
              extract(lhs, bi), extract(packed, bi), extract(acc, bi))
              .getResult()[0];
      auto [offsets, sizes, strides, t] = slice(acc, bi, tile.getType());
      (void)t;
      acc = tensor::InsertSliceOp::create(rewriter, loc, tile, acc, offsets,
                                          sizes, strides);
    }

    // Zero-point corrections from row sums of a_u and column sums of b_s.
    SmallVector<Value> inputs{acc};
    SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(3, ctx)};
    Value zero = createScalarConstant(rewriter, loc, i32, 0);
    if (zpB != 0) {
      inputs.push_back(buildGeneric(
          rewriter, loc, lhs, AffineMap::getMultiDimIdentityMap(3, ctx),
          AffineMap::get(3, 0, {d(0), d(1)}, ctx), {batch, m}, i32,
          createFilledTensor(rewriter, loc, {batch, m}, zero), {par, par, red},
          [&](OpBuilder &b, Location l, ValueRange args) {
            return arith::AddIOp::create(
                       b, l, args[1],
                       arith::ExtUIOp::create(b, l, i32, args[0]))
                .getResult();
          }));
      maps.push_back(AffineMap::get(3, 0, {d(0), d(1)}, ctx));
    }
    if (zpA != 0) {
      // Loops (b, n, k) over rhs [B, K, N].
      inputs.push_back(buildGeneric(
          rewriter, loc, rhs, AffineMap::get(3, 0, {d(0), d(2), d(1)}, ctx),
          AffineMap::get(3, 0, {d(0), d(1)}, ctx), {batch, n}, i32,
          createFilledTensor(rewriter, loc, {batch, n}, zero), {par, par, red},
          [&](OpBuilder &b, Location l, ValueRange args) {
            return arith::AddIOp::create(
                       b, l, args[1],
                       arith::ExtSIOp::create(b, l, i32, toS8(b, l, args[0])))
                .getResult();
          }));
      maps.push_back(AffineMap::get(3, 0, {d(0), d(2)}, ctx));
    }
    if (inputs.size() > 1) {
      int64_t constantTerm = k * zpA * zpB;
      acc = buildGeneric(
          rewriter, loc, inputs, maps,
          AffineMap::getMultiDimIdentityMap(3, ctx), {batch, m, n}, i32, {},
          {par, par, par}, [&](OpBuilder &b, Location l, ValueRange args) {
            Value v = args[0];
            unsigned next = 1;
            auto scaled = [&](Value sum, int64_t factor) {
              return arith::MulIOp::create(
                  b, l, sum, createScalarConstant(b, l, i32, double(factor)));
            };
            if (zpB != 0)
              v = arith::SubIOp::create(b, l, v, scaled(args[next++], zpB));
            if (zpA != 0)
              v = arith::SubIOp::create(b, l, v, scaled(args[next++], zpA));
            if (constantTerm != 0)
              v = arith::AddIOp::create(
                  b, l, v,
                  createScalarConstant(b, l, i32,
                                       double(int32_t(constantTerm))));
            return v;
          });
    }

    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    SmallVector<int64_t> accShape(resultType.getShape());
    acc = reshapeTensor(rewriter, loc, acc, accShape);
    Epilogue e;
    e.data = data;
    e.weight = other;
    e.result = resultQuant;
    e.resultType = resultType;
    e.weightExprs.assign(rank, getAffineConstantExpr(0, ctx));
    rewriter.replaceOp(op, buildEpilogue(rewriter, loc, acc, e));
    return success();
  }
};

} // namespace

void mlir::qc::populatePackedComputePatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             int64_t intK0) {
  patterns.add<PackedMatMulLowering, PackedConvLowering,
               PackedActivationMatMulLowering>(converter, patterns.getContext(),
                                               intK0);
}
