//===- ReorderReductionLoops.cpp - Contiguous innermost loops -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// convert-linalg-to-loops nests loops in iteration-dimension order, and
// contractions put the reduction last: for C[m, n] += A[m, k] * B[k, n] the
// innermost loop walks k, a floating-point reduction that LLVM will not
// vectorize without reassociation, reading B with a stride. Making n (the
// output's contiguous dimension, also B's) innermost turns the inner loop
// into C[m, :] += A[m, k] * B[k, :], contiguous and vectorizable. Each
// output element still sums over k in the same order, so results do not
// change.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_REORDERREDUCTIONLOOPSPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

/// The loop dimension of the last result of `map`, if it is a plain dim.
static std::optional<unsigned> lastDim(AffineMap map) {
  if (map.getNumResults() == 0)
    return std::nullopt;
  if (auto dim = dyn_cast<AffineDimExpr>(map.getResults().back()))
    return dim.getPosition();
  return std::nullopt;
}

/// Whether `op` reduces over a window: no indexing map walks a reduction
/// dimension together with a parallel one. Pooling reads `x[n, 2 * h + kh,
/// 2 * w + kw, c]` (and perhaps a window-shaped `w[kh, kw]`), whereas a
/// contraction reads `A[m, k]` and a row reduction `x[m, k]`.
static bool isWindowReduction(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (AffineMap map : op.getIndexingMapsArray()) {
    bool walksReduction = false, usesParallel = false;
    for (AffineExpr result : map.getResults())
      if (auto dim = dyn_cast<AffineDimExpr>(result))
        walksReduction |=
            iterators[dim.getPosition()] == utils::IteratorType::reduction;
    for (unsigned d = 0; d < map.getNumDims(); ++d)
      usesParallel |= iterators[d] == utils::IteratorType::parallel &&
                      map.isFunctionOfDim(d);
    if (walksReduction && usesParallel)
      return false;
  }
  return true;
}

/// The interchange vector that moves `op`'s output-contiguous parallel
/// dimension innermost, or an empty one when that does not help: the
/// innermost loop is already parallel, or no input reads along it
/// contiguously (a row reduction, where the move would make reads strided).
/// A window reduction (pooling) keeps its window innermost, after the
/// output-contiguous dimension: each output element's accumulator then stays
/// in a register over the small window (`qc-lower-generics-to-loops`), and
/// the loop over the contiguous dimension vectorizes once LLVM has unrolled
/// the window.
static SmallVector<unsigned> innermostContiguous(linalg::GenericOp op) {
  unsigned rank = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (rank < 2 || op.getNumDpsInits() != 1 ||
      iterators.back() != utils::IteratorType::reduction)
    return {};
  std::optional<unsigned> out =
      lastDim(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
  if (!out || iterators[*out] != utils::IteratorType::parallel)
    return {};
  bool contiguousInput =
      llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *input) {
        return lastDim(op.getMatchingIndexingMap(input)) == out;
      });
  if (!contiguousInput)
    return {};
  SmallVector<unsigned> order;
  if (isWindowReduction(op)) {
    // Parallel loops (the output-contiguous one last), then the window.
    for (unsigned d = 0; d < rank; ++d)
      if (d != *out && iterators[d] == utils::IteratorType::parallel)
        order.push_back(d);
    order.push_back(*out);
    for (unsigned d = 0; d < rank; ++d)
      if (iterators[d] == utils::IteratorType::reduction)
        order.push_back(d);
    if (llvm::equal(order, llvm::seq<unsigned>(0, rank)))
      return {};
    return order;
  }
  for (unsigned d = 0; d < rank; ++d)
    if (d != *out)
      order.push_back(d);
  order.push_back(*out);
  return order;
}

namespace {
struct ReorderReductionLoopsPass
    : public qc::impl::ReorderReductionLoopsPassBase<
          ReorderReductionLoopsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Named contractions (matmul, batch_matmul, grouped convolutions) first
    // become generics, so that their loops can be reordered too.
    SmallVector<linalg::LinalgOp> named;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::GenericOp>(op) &&
          isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      SmallVector<unsigned> order = innermostContiguous(op);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};
} // namespace
