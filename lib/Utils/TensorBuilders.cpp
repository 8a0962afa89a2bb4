//===- TensorBuilders.cpp - Builders for tensor-level linalg code ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::qc;

Value mlir::qc::createEmptyTensor(OpBuilder &b, Location loc,
                                  ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value mlir::qc::createFilledTensor(OpBuilder &b, Location loc,
                                   ArrayRef<int64_t> shape, Value value) {
  Value empty = createEmptyTensor(b, loc, shape, value.getType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value mlir::qc::createScalarConstant(OpBuilder &b, Location loc, Type type,
                                     double value) {
  if (auto floatType = dyn_cast<FloatType>(type)) {
    APFloat v(value);
    bool losesInfo;
    v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &losesInfo);
    return arith::ConstantOp::create(b, loc, floatType,
                                     b.getFloatAttr(floatType, v));
  }
  if (type.isIndex())
    return arith::ConstantIndexOp::create(b, loc, int64_t(value));
  auto intType = cast<IntegerType>(type);
  return arith::ConstantOp::create(
      b, loc, intType,
      b.getIntegerAttr(intType,
                       APInt(intType.getWidth(), uint64_t(int64_t(value)),
                             /*isSigned=*/false,
                             /*implicitTrunc=*/true)));
}

FailureOr<SmallVector<int64_t>> mlir::qc::broadcastShapes(ArrayRef<int64_t> a,
                                                          ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    result[i] = da == 1 ? db : da;
  }
  return result;
}

AffineMap mlir::qc::getBroadcastMap(ArrayRef<int64_t> inShape, int64_t outRank,
                                    MLIRContext *ctx,
                                    ArrayRef<int64_t> outShape) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = outRank - int64_t(inShape.size());
  for (int64_t i = 0, e = inShape.size(); i < e; ++i) {
    bool broadcast =
        inShape[i] == 1 && (outShape.empty() || outShape[i + offset] != 1);
    exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(i + offset, ctx));
  }
  return AffineMap::get(outRank, 0, exprs, ctx);
}

Value mlir::qc::buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                                 ArrayRef<int64_t> outShape,
                                 Type resultElementType,
                                 ElementwiseBodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outShape.size();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(getBroadcastMap(cast<ShapedType>(input.getType()).getShape(),
                                   rank, ctx, outShape));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = createEmptyTensor(b, loc, outShape, resultElementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  size_t numInputs = inputs.size();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.take_front(numInputs));
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value mlir::qc::buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                                 Type resultElementType,
                                 ElementwiseBodyFn body) {
  SmallVector<int64_t> shape;
  for (Value input : inputs) {
    auto next =
        broadcastShapes(shape, cast<ShapedType>(input.getType()).getShape());
    assert(succeeded(next) && "caller checks that the inputs broadcast");
    shape = *next;
  }
  return buildElementwise(b, loc, inputs, shape, resultElementType, body);
}

Value mlir::qc::broadcastTo(OpBuilder &b, Location loc, Value value,
                            ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return buildElementwise(
      b, loc, ValueRange{value}, shape, type.getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

Value mlir::qc::reshapeTensor(OpBuilder &b, Location loc, Value value,
                              ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (type.getRank() > target.getRank()) {
    if (auto reassoc = getReassociationIndicesForReshape(type, target))
      return tensor::CollapseShapeOp::create(b, loc, target, value, *reassoc);
  } else if (type.getRank() < target.getRank()) {
    if (auto reassoc = getReassociationIndicesForReshape(type, target))
      return tensor::ExpandShapeOp::create(b, loc, target, value, *reassoc);
  }
  // General case: through a 1-D tensor.
  int64_t count = type.getNumElements();
  auto flatType = RankedTensorType::get({count}, type.getElementType());
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> result;
    if (rank == 0)
      return result;
    ReassociationIndices indices;
    for (int64_t i = 0; i < rank; ++i)
      indices.push_back(i);
    result.push_back(indices);
    return result;
  };
  Value flat = value;
  if (type.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, value, allDims(0));
  else if (type.getRank() > 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value,
                                           allDims(type.getRank()));
  if (target.getRank() == 1)
    return flat;
  if (target.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, target, flat, allDims(0));
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       allDims(target.getRank()));
}

Value mlir::qc::transposeTensor(OpBuilder &b, Location loc, Value value,
                                ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == int64_t(i);
  if (identity)
    return value;
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = createEmptyTensor(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

Value mlir::qc::convertScalar(OpBuilder &b, Location loc, Value value,
                              Type toType, bool srcUnsigned, bool dstUnsigned) {
  Type fromType = value.getType();
  if (fromType == toType)
    return value;
  auto fromInt = dyn_cast<IntegerType>(fromType);
  auto toInt = dyn_cast<IntegerType>(toType);
  auto fromFloat = dyn_cast<FloatType>(fromType);
  auto toFloat = dyn_cast<FloatType>(toType);
  if (fromInt && toInt) {
    if (fromInt.getWidth() > toInt.getWidth())
      return arith::TruncIOp::create(b, loc, toType, value);
    // i1 is a boolean: it extends as unsigned.
    if (srcUnsigned || fromInt.getWidth() == 1)
      return arith::ExtUIOp::create(b, loc, toType, value);
    return arith::ExtSIOp::create(b, loc, toType, value);
  }
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() == toFloat.getWidth()) {
      // f16 <-> bf16: through f32, which holds both exactly.
      Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
      return arith::TruncFOp::create(b, loc, toType, wide);
    }
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, toType, value);
    return arith::ExtFOp::create(b, loc, toType, value);
  }
  if (fromInt && toFloat) {
    if (srcUnsigned || fromInt.getWidth() == 1)
      return arith::UIToFPOp::create(b, loc, toType, value);
    return arith::SIToFPOp::create(b, loc, toType, value);
  }
  if (fromFloat && toInt) {
    if (toInt.getWidth() == 1) {
      Value zero = createScalarConstant(b, loc, fromType, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    }
    if (dstUnsigned)
      return arith::FPToUIOp::create(b, loc, toType, value);
    return arith::FPToSIOp::create(b, loc, toType, value);
  }
  return value;
}
