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

/// The interchange vector that moves `op`'s output-contiguous parallel
/// dimension innermost, or an empty one when that does not help: the
/// innermost loop is already parallel, or no input reads along it
/// contiguously (a row reduction, where the move would make reads strided).
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
