//===- MergeParallelRegions.cpp - One OpenMP team for a run of loops ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// convert-scf-to-openmp gives every scf.parallel its own omp.parallel: a
// model of small ops forks the team once per op. A fork and join costs
// about twice a barrier (libomp, 2 threads: 4.8 us against 2.7 us on this
// host under load), so consecutive regions become one whose worksharing
// loops keep their implicit barriers and whose sequential code in between
// runs in omp.single.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::qc {
#define GEN_PASS_DEF_MERGEPARALLELREGIONSPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// The constant team size of `op`, or 0 when the region has clauses this
/// pass does not carry over (if, proc_bind, private, reduction, allocate)
/// or a team size that is not a constant.
int64_t plainTeamSize(omp::ParallelOp op) {
  if (op.getIfExpr() || op.getProcBindKindAttr() ||
      !op.getPrivateVars().empty() || !op.getReductionVars().empty() ||
      !op.getAllocateVars().empty() || !op.getRegion().hasOneBlock())
    return 0;
  APInt size;
  if (!op.getNumThreads() ||
      !matchPattern(op.getNumThreads(), m_ConstantInt(&size)))
    return 0;
  return size.getSExtValue();
}

/// True if `op` may run once, by one thread, inside the merged region: it
/// has no results (nothing after the region reads a value it made), is not
/// a terminator and holds no parallel region of its own (which would nest).
bool isSequentialStep(Operation *op) {
  if (op->getNumResults() != 0 || op->hasTrait<OpTrait::IsTerminator>() ||
      op->hasTrait<OpTrait::ReturnLike>())
    return false;
  return !op->walk([](omp::ParallelOp) {
              return WalkResult::interrupt();
            }).wasInterrupted();
}

/// Merges runs of omp.parallel ops of `block` with the same constant team
/// size into the first of each run.
void mergeBlock(Block &block) {
  omp::ParallelOp current;
  int64_t teamSize = 0;
  // Operations seen since `current`, not yet placed.
  SmallVector<Operation *> pending;

  auto flushPending = [&](omp::ParallelOp next) {
    // Pure operations move above the merged region; the others run in one
    // omp.single inside it, in their order, between the two loops.
    Block *body = &current.getRegion().front();
    Operation *terminator = body->getTerminator();
    SmallVector<Operation *> sequential;
    for (Operation *op : pending) {
      if (isMemoryEffectFree(op))
        op->moveBefore(current);
      else
        sequential.push_back(op);
    }
    if (!sequential.empty()) {
      OpBuilder b(terminator);
      auto single = omp::SingleOp::create(b, sequential.front()->getLoc(),
                                          omp::SingleOperands{});
      Block *singleBody = b.createBlock(&single.getRegion());
      b.setInsertionPointToEnd(singleBody);
      auto end = omp::TerminatorOp::create(b, single.getLoc());
      for (Operation *op : sequential)
        op->moveBefore(end);
    }
    Block *nextBody = &next.getRegion().front();
    for (Operation &op :
         llvm::make_early_inc_range(nextBody->without_terminator()))
      op.moveBefore(terminator);
    next.erase();
    pending.clear();
  };

  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto parallel = dyn_cast<omp::ParallelOp>(op)) {
      int64_t size = plainTeamSize(parallel);
      if (current && size != 0 && size == teamSize) {
        flushPending(parallel);
        continue;
      }
      current = size ? parallel : omp::ParallelOp();
      teamSize = size;
      pending.clear();
      continue;
    }
    if (!current)
      continue;
    if ((isMemoryEffectFree(&op) && op.getNumRegions() == 0) ||
        isSequentialStep(&op)) {
      pending.push_back(&op);
      continue;
    }
    // A value-producing operation with effects (or control flow) ends the
    // run: what follows may read its result.
    current = omp::ParallelOp();
    pending.clear();
  }
}

struct MergeParallelRegionsPass
    : public qc::impl::MergeParallelRegionsPassBase<MergeParallelRegionsPass> {
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) {
      if (!block->getParentOp()->getParentOfType<omp::ParallelOp>() &&
          !isa<omp::ParallelOp>(block->getParentOp()))
        blocks.push_back(block);
    });
    for (Block *block : blocks)
      if (!block->getParentOp()->getParentOfType<omp::ParallelOp>())
        mergeBlock(*block);
  }
};

} // namespace
