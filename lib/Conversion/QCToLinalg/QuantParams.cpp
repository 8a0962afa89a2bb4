//===- QuantParams.cpp - Reading quantization parameters in kernels -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::qc;

void QuantParamAccess::addInputs(OpBuilder &b, Location loc, unsigned numDims,
                                 ArrayRef<AffineExpr> valueExprs,
                                 SmallVectorImpl<Value> &inputs,
                                 SmallVectorImpl<AffineMap> &maps) {
  if (type.isPerTensor())
    return;
  MLIRContext *ctx = b.getContext();
  int64_t axis = type.getAxis();
  AffineMap map;
  if (type.isPerAxis()) {
    map = AffineMap::get(numDims, 0, valueExprs[axis], ctx);
  } else {
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0, e = valueExprs.size(); i < e; ++i)
      exprs.push_back(i == axis ? valueExprs[i].floorDiv(type.getBlockSize())
                                : valueExprs[i]);
    map = AffineMap::get(numDims, 0, exprs, ctx);
  }
  scaleArg = inputs.size();
  inputs.push_back(arith::ConstantOp::create(b, loc, type.getScales()));
  maps.push_back(map);
  if (!type.hasZeroZeroPoints()) {
    zeroPointArg = inputs.size();
    inputs.push_back(arith::ConstantOp::create(b, loc, type.getZeroPoints()));
    maps.push_back(map);
  }
}

Value QuantParamAccess::getScale(OpBuilder &b, Location loc,
                                 ValueRange args) const {
  if (scaleArg >= 0)
    return args[scaleArg];
  return arith::ConstantOp::create(
      b, loc, type.getExpressedType(),
      b.getFloatAttr(type.getExpressedType(),
                     type.getScales().getValues<APFloat>()[0]));
}

Value QuantParamAccess::getZeroPoint(OpBuilder &b, Location loc,
                                     ValueRange args) const {
  if (zeroPointArg >= 0)
    return args[zeroPointArg];
  int64_t zp = type.isPerTensor() ? type.getZeroPoint() : 0;
  return arith::ConstantOp::create(b, loc, b.getI32Type(),
                                   b.getI32IntegerAttr(zp));
}
