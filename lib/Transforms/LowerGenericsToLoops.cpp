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
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

/// The loop of `op` that runs as an scf.parallel, or -1: the outermost loop
/// with more than one iteration among the outer loops (those above the
/// innermost nest: the reduction loops, or an elementwise op's last loop,
/// which LLVM vectorizes), provided only loops of one iteration enclose it
/// (one parallel region per nest, no index delinearization), the nest has
/// at least `minWork` iterations, and every output is indexed by it (each
/// iteration writes its own elements, so results do not depend on the
/// thread count).
int64_t findParallelLoop(linalg::GenericOp op, int64_t start, int64_t minWork) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t total = 1;
  for (int64_t range : ranges)
    total *= range;
  if (total < minWork)
    return -1;
  int64_t d = 0;
  while (d < start && ranges[d] == 1)
    ++d;
  if (d >= start)
    return -1;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isFunctionOfDim(d))
      return -1;
  return d;
}

/// Longest innermost elementwise row emitted as one vector operation.
constexpr int64_t kMaxVectorRow = 64;

/// True if the innermost loop of elementwise `op` is a short row that runs
/// as one vector operation: LLVM fully unrolls such loops before its loop
/// vectorizer runs, and cannot then combine the scalar loads and stores
/// (buffers in one workspace may alias), so a 16-byte channel copy would
/// stay 16 byte moves. Needs a static row of 2..kMaxVectorRow elements that
/// every operand reading it reads contiguously (the loop is the last index,
/// unit stride, whole-byte elements) and a body of elementwise scalar ops
/// that does not read the row's index.
bool canVectorizeRow(linalg::GenericOp op) {
  int64_t last = op.getNumLoops() - 1;
  int64_t row = op.getStaticLoopRanges()[last];
  if (row < 2 || row > kMaxVectorRow)
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(last))
      continue;
    ArrayRef<AffineExpr> results = map.getResults();
    for (AffineExpr expr : results.drop_back())
      if (expr.isFunctionOfDim(last))
        return false;
    auto dim = dyn_cast<AffineDimExpr>(results.back());
    if (!dim || dim.getPosition() != last)
      return false;
    auto type = cast<MemRefType>(operand.get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    // Vectors of sub-byte elements (i1 booleans) are bit-packed in memory,
    // while memref elements take a byte each.
    Type element = type.getElementType();
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1 || !VectorType::isValidElementType(element) ||
        !element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
      return false;
  }
  // Every output must be written per element of the row.
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isFunctionOfDim(last))
      return false;
  for (Operation &nested : op.getBlock()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
      if (int64_t(index.getDim()) == last)
        return false;
      continue;
    }
    if (!nested.hasTrait<OpTrait::Elementwise>() ||
        !nested.hasTrait<OpTrait::Vectorizable>() ||
        nested.getNumRegions() != 0)
      return false;
    for (Type type : nested.getResultTypes())
      if (!VectorType::isValidElementType(type) || type.isIndex())
        return false;
  }
  return true;
}

/// `value` as a vector<row x T>: vectors pass through, scalars broadcast.
Value widen(OpBuilder &b, Location loc, Value value, int64_t row) {
  if (isa<VectorType>(value.getType()))
    return value;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({row}, value.getType()), value);
}

void lowerGeneric(linalg::GenericOp op, bool parallel, int64_t minWork) {
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

  // Outer loops: scf.for, one of them (see findParallelLoop) scf.parallel.
  SmallVector<Value> ivs;
  int64_t parallelLoop = parallel ? findParallelLoop(op, start, minWork) : -1;
  for (int64_t d = 0; d < start; ++d) {
    Value ub = arith::ConstantIndexOp::create(b, loc, ranges[d]);
    if (d == parallelLoop) {
      auto loop = scf::ParallelOp::create(b, loc, ValueRange{c0},
                                          ValueRange{ub}, ValueRange{c1});
      b.setInsertionPointToStart(loop.getBody());
      ivs.push_back(loop.getInductionVars()[0]);
      continue;
    }
    auto loop = scf::ForOp::create(b, loc, c0, ub, c1);
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

  // A short elementwise row: one vector load per operand, the body on
  // vectors, one vector store per output.
  if (!reduction && canVectorizeRow(op)) {
    int64_t row = ranges.back();
    ivs[numLoops - 1] = c0;
    auto loadRow = [&](OpOperand &operand) {
      BlockArgument arg = op.getMatchingBlockArgument(&operand);
      if (arg.use_empty())
        return;
      Type elementType =
          cast<MemRefType>(operand.get().getType()).getElementType();
      SmallVector<Value> indices =
          applyMap(b, loc, op.getMatchingIndexingMap(&operand), ivs);
      mapping.map(arg, vector::LoadOp::create(
                           b, loc, VectorType::get({row}, elementType),
                           operand.get(), indices)
                           .getResult());
    };
    for (OpOperand *input : op.getDpsInputOperands())
      if (dependsOnNest(*input))
        loadRow(*input);
    for (OpOperand &init : op.getDpsInitsMutable())
      loadRow(init);
    for (Operation &nested : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      bool onRow = llvm::any_of(nested.getOperands(), [&](Value v) {
        return isa<VectorType>(mapping.lookupOrDefault(v).getType());
      });
      if (!onRow) {
        b.clone(nested, mapping);
        continue;
      }
      IRMapping widened = mapping;
      for (Value v : nested.getOperands())
        widened.map(v, widen(b, loc, mapping.lookupOrDefault(v), row));
      Operation *vectorOp = b.clone(nested, widened);
      for (auto [scalar, vector] :
           llvm::zip(nested.getResults(), vectorOp->getResults())) {
        vector.setType(VectorType::get({row}, scalar.getType()));
        mapping.map(scalar, vector);
      }
    }
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      Value value = widen(
          b, loc, mapping.lookupOrDefault(body->getTerminator()->getOperand(i)),
          row);
      vector::StoreOp::create(
          b, loc, value, init.get(),
          applyMap(b, loc, op.getMatchingIndexingMap(&init), ivs));
    }
    op.erase();
    return;
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
  using Base::Base;

  void runOnOperation() override {
    // Copies (expanded memref.copy: padding, concatenation) are elementwise
    // generics too.
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp copy) { copies.push_back(copy); });
    for (linalg::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      (void)linalg::generalizeNamedOp(rewriter, copy);
    }
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      lowerGeneric(op, parallel, minParallelWork);
  }
};

} // namespace
