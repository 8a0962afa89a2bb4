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

/// Ends each loop of `nest` (outermost first) but the innermost, whose
/// yield is already there, with a yield of the results of the loop in it.
void yieldToOuterLoops(MutableArrayRef<scf::ForOp> nest, Location loc) {
  for (size_t i = nest.size() - 1; i > 0; --i) {
    OpBuilder yb = OpBuilder::atBlockEnd(nest[i - 1].getBody());
    scf::YieldOp::create(yb, loc, nest[i].getResults());
  }
}

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

int64_t reductionRowLoop(linalg::GenericOp op);

/// True if `op` is a generic this pass lowers: buffers, static ranges,
/// parallel loops followed by (zero or more) reduction loops, or a
/// reduction whose accumulators are vector rows (see reductionRowLoop).
bool isSupported(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0)
    return false;
  if (llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (reductionRowLoop(op) < 0) {
    int64_t start = innerNestStart(op);
    for (int64_t i = 0; i < start; ++i)
      if (iterators[i] != utils::IteratorType::parallel)
        return false;
  }
  if (!llvm::is_contained(iterators, utils::IteratorType::reduction))
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

/// The loop of elementwise `op` that runs as one vector operation (see
/// canVectorizeRow): the last loop with more than one iteration. Loops after
/// it have one iteration (a channels-last tensor of one channel, a pooled
/// 1x1 map), so their indices are 0.
int64_t rowLoopOf(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t row = ranges.size() - 1;
  while (row > 0 && ranges[row] == 1)
    --row;
  return row;
}

/// The position of `op`'s row loop `row` among the indices of `operand`
/// when the operand reads the row contiguously, or -1: the row loop is
/// exactly one index, no other index reads it, every index after it is a
/// dimension of size 1 (always index 0: these dimensions are dropped before
/// the vector access) and that dimension has unit stride.
int64_t contiguousRowIndex(linalg::GenericOp op, OpOperand &operand,
                           int64_t row) {
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  if (!type)
    return -1;
  ArrayRef<AffineExpr> results =
      op.getMatchingIndexingMap(&operand).getResults();
  int64_t position = -1;
  for (auto [i, expr] : llvm::enumerate(results)) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (dim && int64_t(dim.getPosition()) == row && position < 0) {
      position = i;
      continue;
    }
    if (expr.isFunctionOfDim(row))
      return -1;
  }
  if (position < 0)
    return -1;
  for (int64_t i = position + 1, e = results.size(); i < e; ++i)
    if (type.getDimSize(i) != 1)
      return -1;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      strides[position] != 1)
    return -1;
  return position;
}

/// True if the row loop `row` of elementwise `op` (the last loop with more
/// than one iteration) is a short row that runs as one vector operation:
/// LLVM fully unrolls such loops before its loop vectorizer runs, and
/// cannot then combine the scalar loads and stores (buffers in one
/// workspace may alias), so a 16-byte channel copy would stay 16 byte
/// moves. Needs a static row of 2..kMaxVectorRow elements that every
/// operand reading it reads contiguously (see contiguousRowIndex; whole-byte
/// elements) and a body of elementwise scalar ops that does not read the
/// row's index.
bool canVectorizeRow(linalg::GenericOp op, int64_t row) {
  int64_t size = op.getStaticLoopRanges()[row];
  if (size < 2 || size > kMaxVectorRow)
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!op.getMatchingIndexingMap(&operand).isFunctionOfDim(row))
      continue;
    if (contiguousRowIndex(op, operand, row) < 0)
      return false;
    // Vectors of sub-byte elements (i1 booleans) are bit-packed in memory,
    // while memref elements take a byte each.
    Type element = cast<MemRefType>(operand.get().getType()).getElementType();
    if (!VectorType::isValidElementType(element) || !element.isIntOrFloat() ||
        element.getIntOrFloatBitWidth() % 8 != 0)
      return false;
  }
  // Every output must be written per element of the row.
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isFunctionOfDim(row))
      return false;
  for (Operation &nested : op.getBlock()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
      if (int64_t(index.getDim()) == row)
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

/// `operand`'s buffer without the dimensions after its row index
/// `position` (all of size 1): a rank-reducing memref.subview, so that the
/// row is the innermost dimension of the vector access.
Value dropTrailingUnitDims(OpBuilder &b, Location loc, Value buffer,
                           int64_t position) {
  auto type = cast<MemRefType>(buffer.getType());
  if (position == type.getRank() - 1)
    return buffer;
  SmallVector<int64_t> offsets(type.getRank(), 0);
  SmallVector<int64_t> strides(type.getRank(), 1);
  ArrayRef<int64_t> sizes = type.getShape();
  MemRefType reduced = memref::SubViewOp::inferRankReducedResultType(
      sizes.take_front(position + 1), type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, reduced, buffer, offsets, sizes,
                                   strides);
}

/// `value` as a vector<row x T>: vectors pass through, scalars broadcast.
Value widen(OpBuilder &b, Location loc, Value value, int64_t row) {
  if (isa<VectorType>(value.getType()))
    return value;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({row}, value.getType()), value);
}

/// The row loop of a reduction `op` whose accumulators are vector rows, or
/// -1: parallel loops, then reduction loops, then parallel loops of which
/// only the row loop (see rowLoopOf) has more than one iteration, a row
/// that canVectorizeRow accepts and outputs that do not read the reduction
/// loops. A pooling over the spatial dimensions with the channels innermost
/// (qc-reorder-reduction-loops) is one: each output row is loaded into a
/// vector once, updated by every reduction iteration in the original order
/// (each lane sees the same operations as the scalar loops) and stored once.
int64_t reductionRowLoop(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t numLoops = iterators.size();
  if (iterators.back() != utils::IteratorType::parallel)
    return -1;
  auto isReduction = [](utils::IteratorType t) {
    return t == utils::IteratorType::reduction;
  };
  int64_t first = llvm::find_if(iterators, isReduction) - iterators.begin();
  if (first == numLoops)
    return -1;
  int64_t last = first;
  while (last + 1 < numLoops && isReduction(iterators[last + 1]))
    ++last;
  int64_t row = rowLoopOf(op);
  if (row <= last)
    return -1;
  for (int64_t d = last + 1; d < numLoops; ++d)
    if (d != row && ranges[d] != 1)
      return -1;
  for (OpOperand &init : op.getDpsInitsMutable())
    for (int64_t d = first; d <= last; ++d)
      if (op.getMatchingIndexingMap(&init).isFunctionOfDim(d))
        return -1;
  if (!canVectorizeRow(op, row))
    return -1;
  return row;
}

/// The value a linalg.fill that `op` follows wrote to every element of each
/// of `op`'s outputs (null where there is none), for a reduction that then
/// starts from that value instead of loading it: the fill directly precedes
/// `op` (only operations without memory effects between them), fills the
/// whole output buffer with a value of its element type, and `op` stores
/// every element of it (its indexing map is a permutation of parallel loops
/// whose ranges are the buffer's shape) without reading it as an input.
/// The fills are erased.
SmallVector<Value> takeFilledInits(linalg::GenericOp op) {
  SmallVector<Value> values(op.getNumDpsInits());
  if (!llvm::is_contained(op.getIteratorTypesArray(),
                          utils::IteratorType::reduction))
    return values;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Operation *prev = op->getPrevNode();
  while (prev && !isa<linalg::FillOp>(prev) && prev->getNumRegions() == 0 &&
         isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (!fill || !fill.hasPureBufferSemantics())
    return values;
  Value buffer = fill.getDpsInitOperand(0)->get();
  Value value = fill.getDpsInputOperand(0)->get();
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || value.getType() != type.getElementType())
    return values;
  for (OpOperand *input : op.getDpsInputOperands())
    if (input->get() == buffer)
      return values;
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    if (init.get() != buffer)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false) ||
        map.getNumResults() != type.getRank())
      return values;
    for (auto [d, expr] : llvm::enumerate(map.getResults())) {
      unsigned loop = cast<AffineDimExpr>(expr).getPosition();
      if (op.getIteratorTypesArray()[loop] != utils::IteratorType::parallel ||
          ranges[loop] != type.getDimSize(d))
        return values;
    }
    values[i] = value;
  }
  if (llvm::any_of(values, [](Value v) { return bool(v); }))
    fill.erase();
  return values;
}

/// Lowers `op`; reductions start from `filled`'s values (see
/// takeFilledInits) where they are set.
void lowerGeneric(linalg::GenericOp op, bool parallel, int64_t minWork,
                  ArrayRef<Value> filledInits) {
  SmallVector<Value> filled(filledInits);
  filled.resize(op.getNumDpsInits());
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  bool reduction =
      llvm::is_contained(iterators, utils::IteratorType::reduction);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Block *body = op.getBlock();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);

  // A short row that runs as vectors: in an elementwise op, the loops up to
  // the row loop are the outer loops; in a reduction with a vector row, the
  // loops up to the first reduction loop are. The row and the loops of one
  // iteration after the reductions are not loops.
  int64_t row = -1;
  int64_t start = innerNestStart(op);
  if (!reduction) {
    row = rowLoopOf(op);
    if (!canVectorizeRow(op, row))
      row = -1;
    else
      start = row;
  } else if (iterators.back() == utils::IteratorType::parallel) {
    row = reductionRowLoop(op);
    if (row >= 0)
      start = llvm::find(iterators, utils::IteratorType::reduction) -
              iterators.begin();
  }
  // The buffer each operand reading the row is accessed through, made
  // before the loops (they are loop invariant).
  DenseMap<OpOperand *, Value> rowBuffers;
  if (row >= 0)
    for (OpOperand &operand : op->getOpOperands())
      if (op.getMatchingIndexingMap(&operand).isFunctionOfDim(row))
        rowBuffers[&operand] = dropTrailingUnitDims(
            b, loc, operand.get(), contiguousRowIndex(op, operand, row));

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
  // loads (which do not read them); in a vector row, the indices of the row
  // (its first element) and of the loops of one iteration.
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
    // A scalar operand (linalg.fill's value) is used as it is.
    if (!isa<MemRefType>(operand.get().getType())) {
      mapping.map(arg, operand.get());
      return;
    }
    SmallVector<Value> indices =
        applyMap(lb, loc, op.getMatchingIndexingMap(&operand), at);
    mapping.map(
        arg,
        memref::LoadOp::create(lb, loc, operand.get(), indices).getResult());
  };

  if (row >= 0) {
    int64_t size = ranges[row];
    // The row of `operand` at `at` (the row index is 0 there).
    auto loadRow = [&](OpBuilder &vb, OpOperand &operand,
                       ValueRange at) -> Value {
      Value buffer = rowBuffers.lookup(&operand);
      auto type = cast<MemRefType>(buffer.getType());
      SmallVector<Value> indices =
          applyMap(vb, loc, op.getMatchingIndexingMap(&operand), at);
      indices.resize(type.getRank());
      return vector::LoadOp::create(
          vb, loc, VectorType::get({size}, type.getElementType()), buffer,
          indices);
    };
    auto storeRow = [&](OpBuilder &vb, Value value, OpOperand &init,
                        ValueRange at) {
      Value buffer = rowBuffers.lookup(&init);
      SmallVector<Value> indices =
          applyMap(vb, loc, op.getMatchingIndexingMap(&init), at);
      indices.resize(cast<MemRefType>(buffer.getType()).getRank());
      vector::StoreOp::create(vb, loc, widen(vb, loc, value, size), buffer,
                              indices);
    };
    // The body at `at`: the inputs not loaded yet (a vector load per
    // input that reads the row, a scalar load per other input), then the
    // body's ops, on vectors where an operand is a vector. Returns the
    // yielded values as vectors.
    auto emitBody = [&](OpBuilder &vb, ValueRange at) {
      for (OpOperand *input : op.getDpsInputOperands()) {
        BlockArgument arg = op.getMatchingBlockArgument(input);
        if (!mapping.contains(arg) && !rowBuffers.count(input))
          load(vb, *input, at);
      }
      for (OpOperand *input : op.getDpsInputOperands()) {
        BlockArgument arg = op.getMatchingBlockArgument(input);
        if (!mapping.contains(arg) && rowBuffers.count(input) &&
            !arg.use_empty())
          mapping.map(arg, loadRow(vb, *input, at));
      }
      for (Operation &nested : body->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
          mapping.map(index.getResult(), at[index.getDim()]);
          continue;
        }
        bool onRow = llvm::any_of(nested.getOperands(), [&](Value v) {
          return isa<VectorType>(mapping.lookupOrDefault(v).getType());
        });
        if (!onRow) {
          vb.clone(nested, mapping);
          continue;
        }
        IRMapping widened = mapping;
        for (Value v : nested.getOperands())
          widened.map(v, widen(vb, loc, mapping.lookupOrDefault(v), size));
        Operation *vectorOp = vb.clone(nested, widened);
        for (auto [scalar, vector] :
             llvm::zip(nested.getResults(), vectorOp->getResults())) {
          vector.setType(VectorType::get({size}, scalar.getType()));
          mapping.map(scalar, vector);
        }
      }
      SmallVector<Value> yielded;
      for (Value v : body->getTerminator()->getOperands())
        yielded.push_back(widen(vb, loc, mapping.lookupOrDefault(v), size));
      return yielded;
    };

    if (!reduction) {
      // One vector load per operand that reads the row, the body on
      // vectors, one vector store per output.
      for (OpOperand &init : op.getDpsInitsMutable()) {
        BlockArgument arg = op.getMatchingBlockArgument(&init);
        if (!arg.use_empty())
          mapping.map(arg, loadRow(b, init, ivs));
      }
      SmallVector<Value> yielded = emitBody(b, ivs);
      for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
        storeRow(b, yielded[i], init, ivs);
      op.erase();
      return;
    }

    // Inputs that no reduction iteration changes are loaded before the
    // reduction loops, each output row once; the rows are the reduction
    // loops' iter_args and are stored once after them.
    auto dependsOnReduction = [&](OpOperand &operand) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (int64_t d = start; d < numLoops; ++d)
        if (iterators[d] == utils::IteratorType::reduction &&
            map.isFunctionOfDim(d))
          return true;
      return false;
    };
    for (OpOperand *input : op.getDpsInputOperands()) {
      BlockArgument arg = op.getMatchingBlockArgument(input);
      if (!dependsOnNest(*input))
        load(b, *input, ivs);
      else if (rowBuffers.count(input) && !dependsOnReduction(*input) &&
               !arg.use_empty())
        mapping.map(arg, loadRow(b, *input, ivs));
    }
    SmallVector<Value> accs;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      accs.push_back(filled[i] ? widen(b, loc, filled[i], ranges[row])
                               : loadRow(b, init, ivs));
    SmallVector<scf::ForOp> nest;
    OpBuilder nb = b;
    for (int64_t d = start; d < numLoops; ++d) {
      if (iterators[d] != utils::IteratorType::reduction)
        continue;
      ValueRange iterArgs =
          nest.empty() ? ValueRange(accs) : nest.back().getRegionIterArgs();
      auto loop = scf::ForOp::create(
          nb, loc, c0, arith::ConstantIndexOp::create(nb, loc, ranges[d]), c1,
          iterArgs);
      nest.push_back(loop);
      ivs[d] = loop.getInductionVar();
      nb.setInsertionPointToStart(loop.getBody());
    }
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      mapping.map(op.getMatchingBlockArgument(&init),
                  nest.back().getRegionIterArgs()[i]);
    scf::YieldOp::create(nb, loc, emitBody(nb, ivs));
    yieldToOuterLoops(nest, loc);
    b.setInsertionPointAfter(nest.front());
    SmallVector<Value> outer(ivs);
    for (int64_t d = start; d < numLoops; ++d)
      outer[d] = c0;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      storeRow(b, nest.front().getResult(i), init, outer);
    op.erase();
    return;
  }

  for (OpOperand *input : op.getDpsInputOperands())
    if (!dependsOnNest(*input))
      load(b, *input, ivs);
  SmallVector<Value> accs;
  if (reduction) {
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      if (filled[i]) {
        accs.push_back(filled[i]);
        continue;
      }
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
    yieldToOuterLoops(nest, loc);
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
    // Reductions whose accumulator buffer a fill has just written start
    // from the fill's value, and the fill goes.
    DenseMap<Operation *, SmallVector<Value>> filledInits;
    SmallVector<linalg::GenericOp> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isSupported(op))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions)
      filledInits[op] = takeFilledInits(op);
    // Copies (expanded memref.copy: padding, concatenation), fills and maps
    // on buffers (a padded buffer's zeros, a pooling accumulator's initial
    // value) are elementwise generics too.
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> named;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::CopyOp>(op) || (isa<linalg::FillOp, linalg::MapOp>(op) &&
                                      op.hasPureBufferSemantics()))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      lowerGeneric(op, parallel, minParallelWork,
                   filledInits.lookup(op.getOperation()));
  }
};

} // namespace
