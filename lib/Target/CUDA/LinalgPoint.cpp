//===- LinalgPoint.cpp - Scalar code of one linalg iteration point --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LinalgPoint.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace mlir::qc::cuda;

SmallVector<Value> mlir::qc::cuda::applyIndexingMap(OpBuilder &b, Location loc,
                                                    AffineMap map,
                                                    ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::expandAffineExpr(b, loc, expr, ivs, {}));
  }
  return indices;
}

SmallVector<Value>
mlir::qc::cuda::emitLinalgBodyAt(OpBuilder &b, Location loc,
                                 linalg::LinalgOp op, ValueRange ivs,
                                 llvm::function_ref<Value(OpOperand &)> given) {
  Block *body = op.getBlock();
  IRMapping mapping;
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    if (!arg)
      continue;
    Value value = given ? given(operand) : Value();
    if (!value) {
      if (arg.use_empty())
        continue;
      Value source = operand.get();
      if (isa<MemRefType>(source.getType())) {
        SmallVector<Value> indices =
            applyIndexingMap(b, loc, op.getMatchingIndexingMap(&operand), ivs);
        value = memref::LoadOp::create(b, loc, source, indices);
      } else {
        // A scalar operand (linalg.fill's value).
        value = source;
      }
    }
    mapping.map(arg, value);
  }
  SmallVector<Value> results;
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  for (Value yielded : body->getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(yielded));
  return results;
}

void mlir::qc::cuda::storeLinalgResultsAt(OpBuilder &b, Location loc,
                                          linalg::LinalgOp op, ValueRange ivs,
                                          ValueRange results) {
  for (auto [operand, value] : llvm::zip(op.getDpsInitsMutable(), results)) {
    SmallVector<Value> indices =
        applyIndexingMap(b, loc, op.getMatchingIndexingMap(&operand), ivs);
    memref::StoreOp::create(b, loc, value, operand.get(), indices);
  }
}

Value mlir::qc::cuda::getRootBuffer(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      buffer = view.getViewSource();
      continue;
    }
    break;
  }
  return buffer;
}
