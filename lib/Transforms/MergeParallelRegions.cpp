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
// Within a team, a static schedule splits every loop of the same trip count
// the same way. Two things follow: a collapsed nest runs its longest loop
// outermost, so that it is split like the batch loops around it (each
// thread then reads the rows it wrote); and a loop whose barrier no later
// step needs, because no other iteration touches the bytes it wrote or read
// (followed through views and index arithmetic), becomes nowait. A loop
// with at most one short iteration per thread runs in the omp.single next
// to it instead, saving two barriers.
//
//===----------------------------------------------------------------------===//

#include "ParallelSteps.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::qc {
#define GEN_PASS_DEF_MERGEPARALLELREGIONSPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc::parallel_steps;

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

/// Orders the collapsed loops of `nest` by trip count, longest first.
void orderCollapsedLoops(omp::LoopNestOp nest) {
  unsigned n = nest.getNumLoops();
  auto loop = dyn_cast<omp::WsloopOp>(nest->getParentOp());
  if (n < 2 || !loop || !isPlainWsloop(loop))
    return;
  SmallVector<int64_t> trips;
  for (unsigned i = 0; i < n; ++i) {
    trips.push_back(tripCount(nest, i));
    if (trips.back() < 0)
      return;
  }
  SmallVector<unsigned> order = llvm::to_vector(llvm::seq<unsigned>(0, n));
  llvm::sort(order, [&](unsigned a, unsigned b) {
    return trips[a] != trips[b] ? trips[a] > trips[b] : a < b;
  });
  if (llvm::is_sorted(order))
    return;
  SmallVector<Value> lbs, ubs, steps;
  for (unsigned i : order) {
    lbs.push_back(nest.getLoopLowerBounds()[i]);
    ubs.push_back(nest.getLoopUpperBounds()[i]);
    steps.push_back(nest.getLoopSteps()[i]);
  }
  nest.getLoopLowerBoundsMutable().assign(lbs);
  nest.getLoopUpperBoundsMutable().assign(ubs);
  nest.getLoopStepsMutable().assign(steps);
  Block &body = nest.getRegion().front();
  SmallVector<BlockArgument> old(body.getArguments());
  for (unsigned i : order)
    body.addArgument(old[i].getType(), old[i].getLoc());
  for (auto [pos, i] : llvm::enumerate(order))
    old[i].replaceAllUsesWith(body.getArgument(n + pos));
  body.eraseArguments(0, n);
}

//===----------------------------------------------------------------------===//
// Barriers a worksharing loop does not need
//===----------------------------------------------------------------------===//

/// The most nested-loop iterations (see nestedWork) of a
/// worksharing loop that foldSmallLoops runs in an omp.single.
constexpr int64_t kSmallLoopWork = 256;

/// True if `single` has no clause.
bool isPlainSingle(omp::SingleOp single) {
  return single.getPrivateVars().empty() &&
         single.getCopyprivateVars().empty() &&
         single.getAllocateVars().empty() && !single.getNowait();
}

/// True if a loop or single of `region` already skips its barrier.
bool hasNowaitStep(omp::ParallelOp region) {
  for (Operation &op : region.getRegion().front()) {
    auto loop = dyn_cast<omp::WsloopOp>(op);
    auto single = dyn_cast<omp::SingleOp>(op);
    if ((loop && loop.getNowait()) || (single && single.getNowait()))
      return true;
  }
  return false;
}

/// Runs in the omp.single right before (or after) it a worksharing loop of
/// `region` with at most as many iterations as the team has threads and
/// few nested loop iterations (a small matmul's two column blocks, a
/// one-block kernel): each thread would run at most one short iteration,
/// and the loop's barrier and the single's are worth more than that. The
/// iterations are independent, so running them in order on one thread
/// gives the same results. Then adjacent singles become one.
void foldSmallLoops(omp::ParallelOp region) {
  int64_t teamSize = plainTeamSize(region);
  if (teamSize <= 0 || hasNowaitStep(region))
    return;
  Block &body = region.getRegion().front();
  auto definedIn = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && region->isAncestor(def);
  };
  for (Operation &op : llvm::make_early_inc_range(body)) {
    auto loop = dyn_cast<omp::WsloopOp>(op);
    if (!loop || !isPlainWsloop(loop))
      continue;
    auto nest = dyn_cast<omp::LoopNestOp>(loop.getWrappedLoop());
    if (!nest || !nest.getRegion().hasOneBlock())
      continue;
    int64_t total = 1;
    for (unsigned i = 0; i < nest.getNumLoops() && total > 0; ++i) {
      int64_t count = tripCount(nest, i);
      total = count < 0 || count > teamSize ? -1 : total * count;
    }
    if (total < 1 || total > teamSize ||
        llvm::any_of(nest->getOperands(), definedIn))
      continue;
    std::optional<int64_t> work = nestedWork(loop);
    if (!work || *work > kSmallLoopWork)
      continue;
    bool after = true;
    auto single = dyn_cast_or_null<omp::SingleOp>(op.getPrevNode());
    if (!single || !isPlainSingle(single)) {
      single = dyn_cast_or_null<omp::SingleOp>(op.getNextNode());
      after = false;
    }
    if (!single || !isPlainSingle(single))
      continue;
    Block &singleBody = single.getRegion().front();
    OpBuilder b(loop.getContext());
    if (after)
      b.setInsertionPoint(singleBody.getTerminator());
    else
      b.setInsertionPointToStart(&singleBody);
    IRMapping mapping;
    for (unsigned i = 0; i < nest.getNumLoops(); ++i) {
      auto inner = scf::ForOp::create(
          b, loop.getLoc(), nest.getLoopLowerBounds()[i],
          nest.getLoopUpperBounds()[i], nest.getLoopSteps()[i]);
      mapping.map(nest.getIVs()[i], inner.getInductionVar());
      b.setInsertionPointToStart(inner.getBody());
    }
    for (Operation &inner : nest.getRegion().front().without_terminator())
      b.clone(inner, mapping);
    loop.erase();
  }
  for (Operation &op : llvm::make_early_inc_range(body)) {
    auto single = dyn_cast<omp::SingleOp>(op);
    if (!single || !isPlainSingle(single))
      continue;
    auto previous = dyn_cast_or_null<omp::SingleOp>(op.getPrevNode());
    if (!previous || !isPlainSingle(previous))
      continue;
    Operation *end = previous.getRegion().front().getTerminator();
    for (Operation &inner : llvm::make_early_inc_range(
             single.getRegion().front().without_terminator()))
      inner.moveBefore(end);
    single.erase();
  }
}

/// Marks `nowait` the worksharing loops of `region` whose implicit barrier
/// nothing needs: the next steps up to a barrier touch none of the bytes
/// the loop writes or reads from another thread (see mayConflict), or the
/// loop ends the region (whose end is a barrier). Loops that rely on the
/// static schedule for this get an explicit schedule(static).
void dropBarriers(omp::ParallelOp region) {
  // Steps that already skip their barrier: left as they are.
  if (hasNowaitStep(region))
    return;
  Block &body = region.getRegion().front();
  // Steps since the last barrier, and the loop just before, whose barrier
  // is the one in question.
  SmallVector<Step> pending;
  omp::WsloopOp previous;
  auto makeStatic = [&](Operation *op) {
    if (auto loop = dyn_cast<omp::WsloopOp>(op))
      loop.setScheduleKind(omp::ClauseScheduleKind::Static);
  };
  for (Operation &op : body) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      if (previous)
        previous.setNowait(true);
      else if (auto single = dyn_cast_or_null<omp::SingleOp>(op.getPrevNode());
               single && isPlainSingle(single))
        single.setNowait(true);
      return;
    }
    if (!isa<omp::WsloopOp, omp::SingleOp>(op)) {
      if (!isMemoryEffectFree(&op)) {
        pending.clear();
        previous = {};
      }
      continue;
    }
    std::optional<Step> step = analyzeStep(&op);
    if (!step) {
      pending.clear();
      previous = {};
      continue;
    }
    if (previous && llvm::none_of(pending, [&](const Step &p) {
          return mayConflict(p, *step);
        })) {
      previous.setNowait(true);
      for (Step &p : pending)
        makeStatic(p.op);
      makeStatic(&op);
    } else {
      pending.clear();
    }
    // omp.single ends with a barrier.
    if (isa<omp::SingleOp>(op)) {
      pending.clear();
      previous = {};
      continue;
    }
    pending.push_back(std::move(*step));
    previous = cast<omp::WsloopOp>(op);
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
    getOperation()->walk(
        [](omp::LoopNestOp nest) { orderCollapsedLoops(nest); });
    getOperation()->walk([&](omp::ParallelOp region) {
      foldSmallLoops(region);
      dropBarriers(region);
    });
  }
};

} // namespace
