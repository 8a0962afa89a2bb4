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
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

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

void mlir::qc::eraseDeadProducers(Value value) {
  // A set, so that an op used twice by an erased user is queued once.
  llvm::SetVector<Operation *> worklist;
  if (Operation *op = value.getDefiningOp())
    worklist.insert(op);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op))
      continue;
    SmallVector<Value> operands(op->getOperands());
    op->erase();
    for (Value operand : operands)
      if (Operation *def = operand.getDefiningOp())
        worklist.insert(def);
  }
}

Value mlir::qc::scaleLastDimension(OpBuilder &b, Location loc, Value x,
                                   ArrayRef<float> factors) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto factorType = RankedTensorType::get({int64_t(factors.size())},
                                          Float32Type::get(b.getContext()));
  Value factorValues = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(DenseElementsAttr::get(factorType, factors)));
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, b.getAffineDimExpr(rank - 1)),
      b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto multiply = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{x, factorValues}, ValueRange{init},
      maps, iterators, [](OpBuilder &nb, Location l, ValueRange args) {
        Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(nb, l, product);
      });
  return multiply.getResult(0);
}
