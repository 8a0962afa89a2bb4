//===- ConstantWeights.cpp - Reading constant tensors on the host ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Utils/ConstantWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// A constant tensor's shape and row-major values.
template <typename T> struct HostValues {
  SmallVector<int64_t> shape;
  Type elementType;
  std::vector<T> values;
};

/// Element types stored as T on the host.
template <typename T> bool holds(Type type);
template <> bool holds<float>(Type type) { return type.isF32(); }
template <> bool holds<int8_t>(Type type) { return type.isInteger(8); }

/// Values of a dense or dense_resource constant attribute.
template <typename T> FailureOr<std::vector<T>> readAttr(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!holds<T>(type.getElementType()))
    return failure();
  std::vector<T> values(type.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat()) {
      std::fill(values.begin(), values.end(), dense.getSplatValue<T>());
      return values;
    }
    llvm::copy(dense.getValues<T>(), values.begin());
    return values;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> data = blob->getData();
    if (data.size() != values.size() * sizeof(T))
      return failure();
    std::memcpy(values.data(), data.data(), data.size());
    return values;
  }
  return failure();
}

/// Reads `value` as a constant, replaying reshapes and transposes.
template <typename T> FailureOr<HostValues<T>> readThrough(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return failure();
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto attr = dyn_cast<ElementsAttr>(constant.getValue());
    if (!attr)
      return failure();
    FailureOr<std::vector<T>> values = readAttr<T>(attr);
    if (failed(values))
      return failure();
    auto type = cast<ShapedType>(attr.getType());
    HostValues<T> w;
    w.shape.assign(type.getShape().begin(), type.getShape().end());
    w.elementType = type.getElementType();
    w.values = std::move(*values);
    return w;
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
    FailureOr<HostValues<T>> w = readThrough<T>(op->getOperand(0));
    if (failed(w))
      return failure();
    auto type = cast<ShapedType>(value.getType());
    w->shape.assign(type.getShape().begin(), type.getShape().end());
    return w;
  }
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    FailureOr<HostValues<T>> in = readThrough<T>(transpose.getInput());
    if (failed(in))
      return failure();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = perm.size();
    HostValues<T> out;
    out.elementType = in->elementType;
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

} // namespace

FailureOr<ConstantWeight> mlir::qc::readConstantWeight(Value value) {
  FailureOr<HostValues<float>> w = readThrough<float>(value);
  if (failed(w))
    return failure();
  ConstantWeight weight;
  weight.shape = std::move(w->shape);
  weight.type = cast<FloatType>(w->elementType);
  weight.values = std::move(w->values);
  return weight;
}

FailureOr<std::vector<int8_t>> mlir::qc::readConstantBytes(Value value) {
  FailureOr<HostValues<int8_t>> w = readThrough<int8_t>(value);
  if (failed(w))
    return failure();
  return std::move(w->values);
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
