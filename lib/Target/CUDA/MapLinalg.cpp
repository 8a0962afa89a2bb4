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
//===----------------------------------------------------------------------===//

#include "LinalgPoint.h"
#include "qc/Target/CUDA/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUMAPLINALGPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cuda;

namespace {

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

LogicalResult mapToLaunch(linalg::LinalgOp op, int64_t blockSize) {
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

  OpBuilder b(op);
  int64_t threads = std::min(points, blockSize);
  int64_t blocks = llvm::divideCeil(points, threads);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto launch = gpu::LaunchOp::create(b, loc, cst(blocks), cst(1), cst(1),
                                      cst(threads), cst(1), cst(1));
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
      // The outputs' maps never read reduction loops: load them once.
      for (unsigned d : reduction)
        ivs[d] = arith::ConstantIndexOp::create(pb, pl, 0);
      SmallVector<Value> init;
      for (OpOperand &out : op.getDpsInitsMutable())
        init.push_back(memref::LoadOp::create(
            pb, pl, out.get(),
            applyIndexingMap(pb, pl, op.getMatchingIndexingMap(&out), ivs)));
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
      if (failed(mapToLaunch(op, blockSize)))
        return signalPassFailure();
  }
};

} // namespace
