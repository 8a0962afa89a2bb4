//===- MapLinalg.cpp - Linalg ops on memrefs as GPU kernels ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each linalg op becomes
//
//   gpu.launch blocks(ceil(P / B)) threads(B) {
//     p = block_id.x * B + thread_id.x
//     if p < P:
//       (i0, ..., in) = delinearize(p) over the parallel loops (the last
//                       one fastest, so neighbouring threads write
//                       neighbouring elements)
//       out = outputs at (i...)
//       for the reduction loops r...: out = body(inputs at (i, r), out)
//       store out
//   }
//
// where P is the number of points of the op's parallel loops.
//
// An op with few parallel points but a long reduction (a GEMV: P = N
// outputs, R = K terms each) would leave most of the GPU idle and keep few
// loads in flight. When every output's combiner is an associative and
// commutative arith op with a neutral element (matchReduction plus
// arith::getNeutralElement), the reduction is split across S threads:
//
//   gpu.launch blocks(ceil(P / X)) threads(X, S)
//              workgroup(partial : memref<S x X x T>) {
//     p = block_id.x * X + thread_id.x      (X = min(32, P) neighbouring
//                                            points: coalesced warps)
//     acc = neutral
//     if p < P:
//       for r = thread_id.y to R step S:    (r delinearized over the
//         acc = body(inputs at (i, r), acc)  reduction loops)
//     partial[thread_id.y][thread_id.x] = acc
//     gpu.barrier
//     if thread_id.y == 0 and p < P:
//       out = outputs at (i)
//       for s = 0 to S: out = combiner(out, partial[s][thread_id.x])
//       store out
//   }
//
// The partials are combined in a fixed order, so results are deterministic
// (float sums are reassociated compared with the sequential loop; integer
// ones are exact).
//
//===----------------------------------------------------------------------===//

#include "LinalgPoint.h"
#include "qc/Target/CUDA/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUMAPLINALGPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cuda;

namespace {

/// When a reduction is split across the threads of a block.
struct SplitOptions {
  int64_t minReduction;
  int64_t maxPoints;
  int64_t slices;
  int64_t unroll;
  int64_t outputs;
};

/// Emits the reduction loops `dims[pos...]` around the body; `ivs` holds
/// every loop's index (parallel ones set, reduction ones filled in here).
SmallVector<Value> emitReductionLoops(OpBuilder &b, Location loc,
                                      linalg::LinalgOp op,
                                      ArrayRef<int64_t> ranges,
                                      ArrayRef<unsigned> dims, size_t pos,
                                      SmallVectorImpl<Value> &ivs,
                                      ValueRange carried) {
  if (pos == dims.size()) {
    return emitLinalgBodyAt(b, loc, op, ivs, [&](OpOperand &operand) -> Value {
      if (!op.isDpsInit(&operand))
        return {};
      return carried[operand.getOperandNumber() - op.getNumDpsInputs()];
    });
  }
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, loc, ranges[dims[pos]]);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, step, carried,
      [&](OpBuilder &lb2, Location l, Value iv, ValueRange iterArgs) {
        ivs[dims[pos]] = iv;
        SmallVector<Value> next = emitReductionLoops(lb2, l, op, ranges, dims,
                                                     pos + 1, ivs, iterArgs);
        scf::YieldOp::create(lb2, l, next);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The outputs' values at the parallel point of `ivs`. Their maps never
/// read reduction loops; those indices are set to 0 here.
SmallVector<Value> loadOutputsAt(OpBuilder &b, Location loc,
                                 linalg::LinalgOp op,
                                 ArrayRef<unsigned> reduction,
                                 SmallVectorImpl<Value> &ivs) {
  for (unsigned d : reduction)
    ivs[d] = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> values;
  for (OpOperand &out : op.getDpsInitsMutable())
    values.push_back(memref::LoadOp::create(
        b, loc, out.get(),
        applyIndexingMap(b, loc, op.getMatchingIndexingMap(&out), ivs)));
  return values;
}

/// One output's reduction as the split mapping needs it: the op that folds
/// a term into the accumulator, the term it folds, and its neutral element.
struct Combiner {
  Operation *op;
  Value term;
  TypedAttr neutral;
};

/// The combiner of every output of `op` when each output is a reduction
/// whose terms do not depend on any output and whose combiner is an
/// associative, commutative arith op with a neutral element; else nothing.
std::optional<SmallVector<Combiner>>
matchSplittableReduction(linalg::LinalgOp op) {
  SmallVector<BlockArgument> outArgs(op.getRegionOutputArgs());
  if (outArgs.empty())
    return std::nullopt;
  SmallVector<Combiner> combiners;
  for (auto [pos, outArg] : llvm::enumerate(outArgs)) {
    SmallVector<Operation *> combinerOps;
    Value term = matchReduction(outArgs, pos, combinerOps);
    // The accumulator must feed only its one combiner (so that no term
    // reads it) and the combiner only the yield.
    if (!term || combinerOps.size() != 1 || !outArg.hasOneUse())
      return std::nullopt;
    Operation *combiner = combinerOps.front();
    if (combiner->getNumOperands() != 2 || combiner->getNumResults() != 1 ||
        !combiner->getResult(0).hasOneUse() ||
        !isa<linalg::YieldOp>(*combiner->getResult(0).getUsers().begin()))
      return std::nullopt;
    if (!isa_and_nonnull<arith::ArithDialect>(combiner->getDialect()) ||
        !combiner->hasTrait<OpTrait::IsCommutative>())
      return std::nullopt;
    std::optional<TypedAttr> neutral = arith::getNeutralElement(combiner);
    if (!neutral || neutral->getType() != outArg.getType())
      return std::nullopt;
    combiners.push_back({combiner, term, *neutral});
  }
  return combiners;
}

/// Index values of the linear position `linear` over the loops `dims` of
/// `ranges` (the last one fastest), written into `ivs`.
void delinearize(OpBuilder &b, Location loc, Value linear,
                 ArrayRef<int64_t> ranges, ArrayRef<unsigned> dims,
                 SmallVectorImpl<Value> &ivs) {
  Value rest = linear;
  for (auto [n, d] : llvm::enumerate(llvm::reverse(dims))) {
    if (ranges[d] == 1) {
      ivs[d] = arith::ConstantIndexOp::create(b, loc, 0);
      continue;
    }
    if (n + 1 == dims.size()) {
      // The outermost loop: `rest` is already below its range.
      ivs[d] = rest;
      continue;
    }
    Value size = arith::ConstantIndexOp::create(b, loc, ranges[d]);
    ivs[d] = arith::RemUIOp::create(b, loc, rest, size);
    rest = arith::DivUIOp::create(b, loc, rest, size);
  }
}

/// The split mapping of a reduction with few parallel points (see the file
/// comment): X neighbouring points per block along x, `slices` threads per
/// point along y, each folding every `slices`-th reduction point from the
/// neutral element; the partials meet in shared memory, combined in order.
void mapToSplitLaunch(linalg::LinalgOp op, ArrayRef<int64_t> ranges,
                      ArrayRef<unsigned> parallel, ArrayRef<unsigned> reduction,
                      int64_t points, int64_t reductionPoints, int64_t slices,
                      int64_t unroll, int64_t outputs,
                      ArrayRef<Combiner> combiners) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  OpBuilder b(op);
  int64_t width = std::min<int64_t>(32, points);
  // Each thread computes `outputs` neighbouring points (the caller makes
  // them divide the points when more than one).
  int64_t span = width * outputs;
  int64_t blocks = llvm::divideCeil(points, span);
  size_t numOut = combiners.size();
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  SmallVector<Type> partialTypes;
  for (BlockArgument outArg : op.getRegionOutputArgs())
    partialTypes.push_back(MemRefType::get(
        {slices, span}, outArg.getType(), MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));
  Value one = cst(1), widthValue = cst(width);
  Value slicesValue = slices == width ? widthValue : cst(slices);
  auto launch = gpu::LaunchOp::create(
      b, loc, cst(blocks), one, one, widthValue, slicesValue, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, partialTypes);
  b.setInsertionPointToStart(&launch.getBody().front());
  // The kernel's own constants (used in several places, created once).
  Value kernelWidth = cst(width);
  Value kernelSlices = slices == width ? kernelWidth : cst(slices);
  Value lane = launch.getThreadIds().x;
  Value slice = launch.getThreadIds().y;
  // The thread's first point, and its column in the partial buffers.
  Value column =
      outputs == 1 ? lane : arith::MulIOp::create(b, loc, lane, cst(outputs));
  Value linear = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                            outputs == 1 ? kernelWidth : cst(span)),
      column);
  bool masked = blocks * span != points;
  Value inside;
  if (masked)
    inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, linear,
                                   cst(points));
  SmallVector<Value> neutral;
  for (const Combiner &c : combiners)
    neutral.push_back(arith::ConstantOp::create(b, loc, c.neutral));
  // Accumulators: point j's outputs at [j * numOut, (j + 1) * numOut).
  SmallVector<Value> neutrals;
  for (int64_t j = 0; j < outputs; ++j)
    llvm::append_range(neutrals, neutral);
  // Index values of point j of the thread (parallel loops set).
  auto pointIvs = [&](OpBuilder &pb, Location pl, int64_t j) {
    SmallVector<Value> point(ranges.size());
    Value p =
        j == 0 ? linear
               : arith::AddIOp::create(
                     pb, pl, linear, arith::ConstantIndexOp::create(pb, pl, j));
    delinearize(pb, pl, p, ranges, parallel, point);
    return point;
  };
  auto columnOf = [&](OpBuilder &pb, Location pl, int64_t j) -> Value {
    return j == 0
               ? column
               : arith::AddIOp::create(
                     pb, pl, column, arith::ConstantIndexOp::create(pb, pl, j));
  };

  // Each thread's partial over its slice of the reduction points. foldTerm
  // folds the term at linear reduction point `r` into `acc`.
  SmallVector<Value> ivs(ranges.size());
  SmallVector<SmallVector<Value>> threadPoints(outputs);
  auto foldTerm = [&](OpBuilder &fb, Location fl, Value r, ValueRange acc) {
    delinearize(fb, fl, r, ranges, reduction, ivs);
    SmallVector<Value> next;
    for (int64_t j = 0; j < outputs; ++j) {
      for (unsigned d : parallel)
        ivs[d] = threadPoints[j][d];
      ValueRange pointAcc = acc.slice(j * numOut, numOut);
      llvm::append_range(
          next,
          emitLinalgBodyAt(fb, fl, op, ivs, [&](OpOperand &operand) -> Value {
            if (!op.isDpsInit(&operand))
              return {};
            return pointAcc[operand.getOperandNumber() - op.getNumDpsInputs()];
          }));
    }
    return next;
  };
  // A loop over r = from, from + terms * slices, ... below `to`, folding
  // the terms at r, r + slices, ..., r + (terms - 1) * slices in each
  // iteration.
  auto emitFoldLoop = [&](OpBuilder &pb, Location pl, Value from, Value to,
                          int64_t terms, ValueRange init) {
    Value step = terms == 1
                     ? kernelSlices
                     : arith::ConstantIndexOp::create(pb, pl, terms * slices);
    auto loop = scf::ForOp::create(
        pb, pl, from, to, step, init,
        [&](OpBuilder &lb, Location ll, Value r, ValueRange acc) {
          SmallVector<Value> next(acc);
          for (int64_t t = 0; t < terms; ++t) {
            Value rt = r;
            if (t != 0) {
              Value offset = arith::ConstantIndexOp::create(lb, ll, t * slices);
              rt = arith::AddIOp::create(lb, ll, r, offset);
            }
            next = foldTerm(lb, ll, rt, next);
          }
          scf::YieldOp::create(lb, ll, next);
        });
    return SmallVector<Value>(loop.getResults());
  };
  auto emitPartial = [&](OpBuilder &pb, Location pl) {
    for (int64_t j = 0; j < outputs; ++j)
      threadPoints[j] = pointIvs(pb, pl, j);
    Value end = arith::ConstantIndexOp::create(pb, pl, reductionPoints);
    if (unroll < 2 || reductionPoints < unroll * slices)
      return emitFoldLoop(pb, pl, slice, end, 1, neutrals);
    // `unroll` terms per iteration (independent loads in flight) while all
    // of them exist, i.e. r < R - (unroll - 1) * slices; then the rest one
    // by one from the first r the main loop did not reach. The terms are
    // folded in the same order either way.
    int64_t group = unroll * slices;
    int64_t mainEnd = reductionPoints - (unroll - 1) * slices;
    Value mainEndValue = arith::ConstantIndexOp::create(pb, pl, mainEnd);
    SmallVector<Value> main =
        emitFoldLoop(pb, pl, slice, mainEndValue, unroll, neutrals);
    // slice < slices <= mainEnd, so the main loop ran
    // ceil((mainEnd - slice) / group) times.
    Value roundUp = arith::ConstantIndexOp::create(pb, pl, mainEnd + group - 1);
    Value groupValue = arith::ConstantIndexOp::create(pb, pl, group);
    Value left = arith::SubIOp::create(pb, pl, roundUp, slice);
    Value iterations = arith::DivUIOp::create(pb, pl, left, groupValue);
    Value tailStart = arith::AddIOp::create(
        pb, pl, slice, arith::MulIOp::create(pb, pl, iterations, groupValue));
    return emitFoldLoop(pb, pl, tailStart, end, 1, main);
  };
  SmallVector<Value> partials;
  if (!masked) {
    partials = emitPartial(b, loc);
  } else {
    auto ifOp = scf::IfOp::create(
        b, loc, inside,
        [&](OpBuilder &ib, Location il) {
          scf::YieldOp::create(ib, il, emitPartial(ib, il));
        },
        [&](OpBuilder &eb, Location el) {
          scf::YieldOp::create(eb, el, neutrals);
        });
    partials = SmallVector<Value>(ifOp.getResults());
  }
  for (int64_t j = 0; j < outputs; ++j) {
    Value col = columnOf(b, loc, j);
    for (size_t n = 0; n < numOut; ++n)
      memref::StoreOp::create(b, loc, partials[j * numOut + n],
                              launch.getWorkgroupAttributions()[n],
                              ValueRange{slice, col});
  }
  gpu::BarrierOp::create(b, loc);

  // The first thread of each point combines the output's initial value with
  // the partials, in slice order, and stores the result.
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, slice, cst(0));
  if (masked)
    first = arith::AndIOp::create(b, loc, first, inside);
  scf::IfOp::create(b, loc, first, [&](OpBuilder &ib, Location il) {
    SmallVector<BlockArgument> outArgs(op.getRegionOutputArgs());
    Value lower = arith::ConstantIndexOp::create(ib, il, 0);
    Value step = arith::ConstantIndexOp::create(ib, il, 1);
    for (int64_t j = 0; j < outputs; ++j) {
      SmallVector<Value> point = pointIvs(ib, il, j);
      Value col = columnOf(ib, il, j);
      SmallVector<Value> init = loadOutputsAt(ib, il, op, reduction, point);
      auto loop = scf::ForOp::create(
          ib, il, lower, kernelSlices, step, init,
          [&](OpBuilder &lb, Location ll, Value s, ValueRange acc) {
            SmallVector<Value> next;
            for (auto [n, c] : llvm::enumerate(combiners)) {
              IRMapping mapping;
              mapping.map(outArgs[n], acc[n]);
              mapping.map(c.term,
                          memref::LoadOp::create(
                              lb, ll, launch.getWorkgroupAttributions()[n],
                              ValueRange{s, col}));
              next.push_back(lb.clone(*c.op, mapping)->getResult(0));
            }
            scf::YieldOp::create(lb, ll, next);
          });
      storeLinalgResultsAt(ib, il, op, point, loop.getResults());
    }
    scf::YieldOp::create(ib, il);
  });
  gpu::TerminatorOp::create(b, loc);
  op->erase();
}

LogicalResult mapToLaunch(linalg::LinalgOp op, int64_t blockSize,
                          const SplitOptions &split) {
  Location loc = op.getLoc();
  if (!op.hasPureBufferSemantics())
    return op.emitOpError("must be on memrefs before GPU mapping");
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return op.emitOpError("dynamic loop bounds are not supported on the GPU");
  SmallVector<unsigned> parallel, reduction;
  op.getParallelDims(parallel);
  op.getReductionDims(reduction);
  if (parallel.size() + reduction.size() != ranges.size())
    return op.emitOpError("has loops that are neither parallel nor reductions");
  int64_t points = 1;
  for (unsigned d : parallel)
    points *= ranges[d];
  int64_t reductionPoints = 1;
  for (unsigned d : reduction)
    reductionPoints *= ranges[d];
  if (points == 0 || reductionPoints == 0) {
    // Nothing to compute, or outputs that keep their initial values.
    op->erase();
    return success();
  }

  if (!reduction.empty() && reductionPoints >= split.minReduction &&
      points <= split.maxPoints) {
    int64_t width = std::min<int64_t>(32, points);
    int64_t slices = std::min({split.slices, 1024 / width, reductionPoints});
    // Several points per thread only where they divide the points evenly.
    int64_t outputs = std::max<int64_t>(1, split.outputs);
    if (points % (width * outputs) != 0)
      outputs = 1;
    std::optional<SmallVector<Combiner>> combiners;
    if (slices >= 2 && (combiners = matchSplittableReduction(op))) {
      mapToSplitLaunch(op, ranges, parallel, reduction, points, reductionPoints,
                       slices, split.unroll, outputs, *combiners);
      return success();
    }
  }

  OpBuilder b(op);
  int64_t threads = std::min(points, blockSize);
  int64_t blocks = llvm::divideCeil(points, threads);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // Named first: argument evaluation order is unspecified, and the
  // constants' order in the IR should not depend on the host compiler.
  Value gx = cst(blocks), one = cst(1), tx = cst(threads);
  auto launch = gpu::LaunchOp::create(b, loc, gx, one, one, tx, one, one);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value linear = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x, cst(threads)),
      launch.getThreadIds().x);
  auto emitPoint = [&](OpBuilder &pb, Location pl) {
    SmallVector<Value> ivs(ranges.size());
    Value rest = linear;
    for (unsigned d : llvm::reverse(parallel)) {
      if (ranges[d] == 1) {
        ivs[d] = arith::ConstantIndexOp::create(pb, pl, 0);
        continue;
      }
      Value size = arith::ConstantIndexOp::create(pb, pl, ranges[d]);
      ivs[d] = arith::RemUIOp::create(pb, pl, rest, size);
      rest = arith::DivUIOp::create(pb, pl, rest, size);
    }
    SmallVector<Value> results;
    if (reduction.empty()) {
      results = emitLinalgBodyAt(pb, pl, op, ivs);
    } else {
      // Loaded once, before the reduction loops.
      SmallVector<Value> init = loadOutputsAt(pb, pl, op, reduction, ivs);
      results = emitReductionLoops(pb, pl, op, ranges, reduction, 0, ivs, init);
      for (unsigned d : reduction)
        ivs[d] = arith::ConstantIndexOp::create(pb, pl, 0);
    }
    storeLinalgResultsAt(pb, pl, op, ivs, results);
  };
  if (blocks * threads == points) {
    emitPoint(b, loc);
  } else {
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         linear, cst(points));
    scf::IfOp::create(b, loc, inside, [&](OpBuilder &ib, Location il) {
      emitPoint(ib, il);
      scf::YieldOp::create(ib, il);
    });
  }
  gpu::TerminatorOp::create(b, loc);
  op->erase();
  return success();
}

struct GPUMapLinalgPass
    : public qc::impl::GPUMapLinalgPassBase<GPUMapLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      if (failed(mapToLaunch(op, blockSize,
                             {splitMinReduction, splitMaxPoints, splitSlices,
                              splitUnroll, splitOutputs})))
        return signalPassFailure();
  }
};

} // namespace
