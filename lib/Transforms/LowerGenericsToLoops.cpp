//===- LowerGenericsToLoops.cpp - Loops with invariants in registers ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// convert-linalg-to-loops turns a row reduction `out[i] = max(out[i], x[i,k])`
// into a loop that loads and stores out[i] on every k. When all buffers are
// views of one workspace, LLVM cannot prove that the store does not feed the
// next load of x, so the loop stays a scalar load/max/store chain. Here the
// accumulator is an scf.for iter_arg (a register) and inputs that do not
// depend on the innermost loop are loaded before it.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERGENERICSTOLOOPSPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// Indices of the operand read through `map` at loop indices `ivs`.
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                            ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    if (auto cst = dyn_cast<AffineConstantExpr>(expr)) {
      indices.push_back(
          arith::ConstantIndexOp::create(b, loc, cst.getValue()).getResult());
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

/// The first loop of the innermost nest: the first of the trailing
/// reduction loops, or the last loop when all are parallel.
int64_t innerNestStart(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t start = iterators.size();
  while (start > 0 && iterators[start - 1] == utils::IteratorType::reduction)
    --start;
  return start == int64_t(iterators.size()) ? start - 1 : start;
}

/// True if `op` is a generic this pass lowers: buffers, static ranges,
/// parallel loops followed by (zero or more) reduction loops.
bool isSupported(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0)
    return false;
  if (llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t start = innerNestStart(op);
  for (int64_t i = 0; i < start; ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      return false;
  if (iterators.back() != utils::IteratorType::reduction)
    return true;
  // A reduction keeps its accumulators in registers: no input may be one of
  // the outputs it updates.
  for (OpOperand &init : op.getDpsInitsMutable())
    for (OpOperand *input : op.getDpsInputOperands())
      if (input->get() == init.get())
        return false;
  return true;
}

void lowerGeneric(linalg::GenericOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t numLoops = op.getNumLoops();
  int64_t start = innerNestStart(op);
  bool reduction =
      op.getIteratorTypesArray().back() == utils::IteratorType::reduction;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Block *body = op.getBlock();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);

  // Outer (parallel) loops.
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < start; ++d) {
    auto loop = scf::ForOp::create(
        b, loc, c0, arith::ConstantIndexOp::create(b, loc, ranges[d]), c1);
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  // Placeholders for the inner nest's indices while building invariant
  // loads (which do not read them).
  ivs.resize(numLoops, c0);

  IRMapping mapping;
  auto dependsOnNest = [&](OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (int64_t d = start; d < numLoops; ++d)
      if (map.isFunctionOfDim(d))
        return true;
    return false;
  };
  auto load = [&](OpBuilder &lb, OpOperand &operand, ValueRange at) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    if (arg.use_empty() && !op.isDpsInit(&operand))
      return;
    SmallVector<Value> indices =
        applyMap(lb, loc, op.getMatchingIndexingMap(&operand), at);
    mapping.map(
        arg,
        memref::LoadOp::create(lb, loc, operand.get(), indices).getResult());
  };
  for (OpOperand *input : op.getDpsInputOperands())
    if (!dependsOnNest(*input))
      load(b, *input, ivs);
  SmallVector<Value> accs;
  if (reduction) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      SmallVector<Value> indices =
          applyMap(b, loc, op.getMatchingIndexingMap(&init), ivs);
      accs.push_back(
          memref::LoadOp::create(b, loc, init.get(), indices).getResult());
    }
  }

  // The inner nest; reduction loops carry the accumulators.
  SmallVector<scf::ForOp> nest;
  OpBuilder nb = b;
  for (int64_t d = start; d < numLoops; ++d) {
    ValueRange iterArgs =
        nest.empty() ? ValueRange(accs) : nest.back().getRegionIterArgs();
    auto loop = scf::ForOp::create(
        nb, loc, c0, arith::ConstantIndexOp::create(nb, loc, ranges[d]), c1,
        reduction ? iterArgs : ValueRange());
    nest.push_back(loop);
    ivs[d] = loop.getInductionVar();
    nb.setInsertionPointToStart(loop.getBody());
  }
  OpBuilder &lb = nb;
  for (OpOperand *input : op.getDpsInputOperands())
    if (dependsOnNest(*input))
      load(lb, *input, ivs);
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    BlockArgument arg = op.getMatchingBlockArgument(&init);
    if (reduction)
      mapping.map(arg, nest.back().getRegionIterArgs()[i]);
    else if (!arg.use_empty())
      load(lb, init, ivs);
  }
  for (Operation &nested : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    lb.clone(nested, mapping);
  }
  SmallVector<Value> yielded;
  for (Value v : body->getTerminator()->getOperands())
    yielded.push_back(mapping.lookupOrDefault(v));
  if (reduction) {
    scf::YieldOp::create(lb, loc, yielded);
    for (size_t i = nest.size() - 1; i > 0; --i) {
      OpBuilder yb = OpBuilder::atBlockEnd(nest[i - 1].getBody());
      scf::YieldOp::create(yb, loc, nest[i].getResults());
    }
    b.setInsertionPointAfter(nest.front());
    // Outputs do not read the reduction indices (out of scope here).
    SmallVector<Value> outer(ivs);
    for (int64_t d = start; d < numLoops; ++d)
      outer[d] = c0;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      SmallVector<Value> indices =
          applyMap(b, loc, op.getMatchingIndexingMap(&init), outer);
      memref::StoreOp::create(b, loc, nest.front().getResult(i), init.get(),
                              indices);
    }
  } else {
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      SmallVector<Value> indices =
          applyMap(lb, loc, op.getMatchingIndexingMap(&init), ivs);
      memref::StoreOp::create(lb, loc, yielded[i], init.get(), indices);
    }
  }
  op.erase();
}

struct LowerGenericsToLoopsPass
    : public qc::impl::LowerGenericsToLoopsPassBase<LowerGenericsToLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      lowerGeneric(op);
  }
};

} // namespace
