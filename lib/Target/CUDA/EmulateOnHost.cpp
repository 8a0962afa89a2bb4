//===- EmulateOnHost.cpp - GPU kernels as host loops, for testing ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUEMULATEONHOSTPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

LogicalResult emulateLaunch(gpu::LaunchOp launch) {
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty() || launch.getAsyncToken() ||
      launch.getDynamicSharedMemorySize())
    return launch.emitOpError("cannot run on the host: it uses shared "
                              "memory or is asynchronous");
  WalkResult barriers = launch.getBody().walk([](Operation *op) {
    return isa<gpu::BarrierOp>(op) ||
                   op->getDialect()->getNamespace() == "nvvm" ||
                   op->getDialect()->getNamespace() == "nvgpu"
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (barriers.wasInterrupted())
    return launch.emitOpError("cannot run on the host: its threads "
                              "cooperate (barriers or tensor cores)");
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  SmallVector<Value> bounds{grid.z, grid.y, grid.x, block.z, block.y, block.x};
  // Blocks, then threads, in order; each thread runs to completion.
  SmallVector<Value> ivs;
  for (Value bound : bounds) {
    auto loop = scf::ForOp::create(b, loc, zero, bound, one);
    ivs.push_back(loop.getInductionVar());
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  IRMapping mapping;
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 threadIds = launch.getThreadIds();
  gpu::KernelDim3 gridArgs = launch.getGridSize();
  gpu::KernelDim3 blockArgs = launch.getBlockSize();
  mapping.map(blockIds.z, ivs[0]);
  mapping.map(blockIds.y, ivs[1]);
  mapping.map(blockIds.x, ivs[2]);
  mapping.map(threadIds.z, ivs[3]);
  mapping.map(threadIds.y, ivs[4]);
  mapping.map(threadIds.x, ivs[5]);
  mapping.map(gridArgs.x, grid.x);
  mapping.map(gridArgs.y, grid.y);
  mapping.map(gridArgs.z, grid.z);
  mapping.map(blockArgs.x, block.x);
  mapping.map(blockArgs.y, block.y);
  mapping.map(blockArgs.z, block.z);
  Region &body = launch.getBody();
  if (!body.hasOneBlock())
    return launch.emitOpError("cannot run on the host: several blocks");
  for (Operation &op : body.front().without_terminator()) {
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      unsigned d = static_cast<unsigned>(id.getDimension());
      mapping.map(id.getResult(), ivs[5 - d]);
      continue;
    }
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      unsigned d = static_cast<unsigned>(id.getDimension());
      mapping.map(id.getResult(), ivs[2 - d]);
      continue;
    }
    b.clone(op, mapping);
  }
  launch.erase();
  return success();
}

struct GPUEmulateOnHostPass
    : public qc::impl::GPUEmulateOnHostPassBase<GPUEmulateOnHostPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<gpu::LaunchOp, gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto launch = dyn_cast<gpu::LaunchOp>(op)) {
        if (failed(emulateLaunch(launch)))
          return signalPassFailure();
      } else if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        Value host = memref::AllocOp::create(
            b, loc, alloc.getType(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), b.getI64IntegerAttr(64));
        alloc.getMemref().replaceAllUsesWith(host);
        op->erase();
      } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        memref::DeallocOp::create(b, loc, dealloc.getMemref());
        op->erase();
      } else {
        auto copy = cast<gpu::MemcpyOp>(op);
        memref::CopyOp::create(b, loc, copy.getSrc(), copy.getDst());
        op->erase();
      }
    }
  }
};

} // namespace
