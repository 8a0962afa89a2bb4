//===- ReassociateReductions.cpp - Vectorizable float reductions ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Row reductions (softmax and LayerNorm sums, ReduceSum) lower to a scalar
// loop `acc = acc + x[k]`. Without permission to reassociate, LLVM must add
// in sequence, one element per cycle of FP-add latency. `reassoc` on the
// accumulating add lets the loop vectorizer keep one partial sum per lane.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::qc {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONSPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

/// Marks the `arith.addf` that yields output `index` of `op` from that
/// output's block argument.
static void markAccumulation(linalg::GenericOp op, unsigned index) {
  Block *body = op.getBlock();
  BlockArgument acc = op.getMatchingBlockArgument(op.getDpsInitOperand(index));
  Value yielded = body->getTerminator()->getOperand(index);
  auto add = yielded.getDefiningOp<arith::AddFOp>();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return;
  arith::FastMathFlags flags = add.getFastmath();
  add.setFastmath(flags | arith::FastMathFlags::reassoc);
}

namespace {
struct ReassociateReductionsPass
    : public qc::impl::ReassociateReductionsPassBase<
          ReassociateReductionsPass> {
  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) {
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      if (iterators.empty() ||
          iterators.back() != utils::IteratorType::reduction)
        return;
      for (unsigned i = 0, e = op.getNumDpsInits(); i < e; ++i)
        markAccumulation(op, i);
    });
  }
};
} // namespace
