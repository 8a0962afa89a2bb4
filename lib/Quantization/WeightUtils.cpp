//===- WeightUtils.cpp - Reading and quantizing constant weights ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/WeightUtils.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/QuantMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

/// Values of a float constant attribute as f32.
static FailureOr<std::vector<float>> readFloats(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32())
    return failure();
  std::vector<float> values(type.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat()) {
      std::fill(values.begin(), values.end(), dense.getSplatValue<float>());
      return values;
    }
    llvm::copy(dense.getValues<float>(), values.begin());
    return values;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> data = blob->getData();
    if (data.size() != values.size() * sizeof(float))
      return failure();
    std::memcpy(values.data(), data.data(), data.size());
    return values;
  }
  return failure();
}

FailureOr<ConstantWeight> mlir::qc::readConstantWeight(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return failure();
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto attr = dyn_cast<ElementsAttr>(constant.getValue());
    if (!attr)
      return failure();
    FailureOr<std::vector<float>> values = readFloats(attr);
    if (failed(values))
      return failure();
    auto type = cast<ShapedType>(attr.getType());
    ConstantWeight w;
    w.shape.assign(type.getShape().begin(), type.getShape().end());
    w.type = cast<FloatType>(type.getElementType());
    w.values = std::move(*values);
    return w;
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
    FailureOr<ConstantWeight> w = readConstantWeight(op->getOperand(0));
    if (failed(w))
      return failure();
    auto type = cast<ShapedType>(value.getType());
    w->shape.assign(type.getShape().begin(), type.getShape().end());
    return w;
  }
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    FailureOr<ConstantWeight> in = readConstantWeight(transpose.getInput());
    if (failed(in))
      return failure();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = perm.size();
    ConstantWeight out;
    out.type = in->type;
    for (int64_t p : perm)
      out.shape.push_back(in->shape[p]);
    SmallVector<int64_t> inStrides(rank, 1);
    for (int64_t i = rank - 2; i >= 0; --i)
      inStrides[i] = inStrides[i + 1] * in->shape[i + 1];
    out.values.resize(in->values.size());
    SmallVector<int64_t> index(rank, 0);
    for (size_t n = 0; n < out.values.size(); ++n) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += index[d] * inStrides[perm[d]];
      out.values[n] = in->values[src];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < out.shape[d])
          break;
        index[d] = 0;
      }
    }
    return out;
  }
  return failure();
}

ElementsAttr mlir::qc::createConstantAttr(RankedTensorType type,
                                          ArrayRef<char> bytes,
                                          StringRef blobName) {
  if (type.getNumElements() <= 256)
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64);
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

Value mlir::qc::quantizeWeightPerChannel(OpBuilder &b, Location loc,
                                         const ConstantWeight &weight,
                                         int64_t axis, unsigned bits) {
  int64_t rank = weight.shape.size();
  int64_t channels = weight.shape[axis];
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= weight.shape[d];
  int64_t qmax = (int64_t(1) << (bits - 1)) - 1;
  // max |W| per channel.
  std::vector<double> amax(channels, 0.0);
  for (size_t i = 0; i < weight.values.size(); ++i) {
    int64_t c = (int64_t(i) / inner) % channels;
    amax[c] = std::max(amax[c], double(std::fabs(weight.values[i])));
  }
  SmallVector<double> scales;
  for (double a : amax)
    scales.push_back(a > 0 && std::isfinite(a) ? double(float(a / double(qmax)))
                                               : 1.0);
  math::StorageRange range{-qmax, qmax};
  std::vector<int8_t> codes(weight.values.size());
  for (size_t i = 0; i < weight.values.size(); ++i) {
    int64_t c = (int64_t(i) / inner) % channels;
    codes[i] =
        int8_t(math::quantize(weight.values[i], float(scales[c]), 0, range));
  }
  MLIRContext *ctx = b.getContext();
  auto storage = IntegerType::get(ctx, bits);
  UniformType quant =
      UniformType::getPerAxis(storage, /*isSigned=*/true, -qmax, qmax,
                              weight.type, int32_t(axis), scales, {});
  auto storageType = RankedTensorType::get(weight.shape, storage);
  ElementsAttr attr;
  if (bits == 8) {
    attr = createConstantAttr(
        storageType,
        ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                       codes.size()),
        "qweight");
  } else {
    SmallVector<APInt> values;
    for (int8_t c : codes)
      values.push_back(APInt(bits, uint64_t(int64_t(c)), /*isSigned=*/true,
                             /*implicitTrunc=*/true));
    attr = cast<ElementsAttr>(DenseElementsAttr::get(storageType, values));
  }
  Value constant = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  return StorageCastOp::create(
      b, loc, RankedTensorType::get(weight.shape, quant), constant);
}
