//===- EmulateOnHost.cpp - GPU kernels as host loops, for testing ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUEMULATEONHOSTPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// Whether `value`, defined in the kernel before a barrier, can be rebuilt
/// after it instead of being kept per thread: thread and block indices, and
/// constants.
bool isRebuiltInEachPhase(Value value) {
  Operation *def = value.getDefiningOp();
  return !def || isa<gpu::ThreadIdOp, gpu::BlockIdOp>(def) ||
         def->hasTrait<OpTrait::ConstantLike>();
}

LogicalResult emulateLaunch(gpu::LaunchOp launch) {
  if (!launch.getPrivateAttributions().empty() || launch.getAsyncToken() ||
      launch.getDynamicSharedMemorySize())
    return launch.emitOpError("cannot run on the host: it uses dynamic "
                              "shared or private memory or is asynchronous");
  Region &body = launch.getBody();
  if (!body.hasOneBlock())
    return launch.emitOpError("cannot run on the host: several blocks");
  Block &entry = body.front();
  WalkResult cooperation = body.walk([&](Operation *op) {
    bool nestedBarrier = isa<gpu::BarrierOp>(op) && op->getBlock() != &entry;
    return nestedBarrier || op->getDialect()->getNamespace() == "nvvm" ||
                   op->getDialect()->getNamespace() == "nvgpu"
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (cooperation.wasInterrupted())
    return launch.emitOpError("cannot run on the host: its threads "
                              "cooperate (barriers inside control flow or "
                              "tensor cores)");
  for (BlockArgument buffer : launch.getWorkgroupAttributions()) {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type || !type.hasStaticShape() ||
        llvm::any_of(buffer.getUsers(), [](Operation *user) {
          return !isa<memref::LoadOp, memref::StoreOp>(user);
        }))
      return launch.emitOpError("cannot run on the host: shared memory "
                                "other than static buffers read and written "
                                "by memref.load / memref.store");
  }

  // The body's phases: the top-level ops between barriers. The threads of a
  // block run each phase in turn, so every thread has finished a phase
  // before any starts the next, as at a barrier.
  SmallVector<SmallVector<Operation *>> phases(1);
  DenseMap<Operation *, unsigned> phaseOf;
  for (Operation &op : entry.without_terminator()) {
    if (isa<gpu::BarrierOp>(op)) {
      phases.emplace_back();
      continue;
    }
    phaseOf[&op] = phases.size() - 1;
    phases.back().push_back(&op);
  }
  // Values that a later phase uses: constants and indices are rebuilt
  // there, the others kept per thread in host memory.
  SmallVector<SmallVector<Value>> kept(phases.size());
  SmallVector<SmallVector<Value>> usedFromBefore(phases.size());
  for (unsigned phase = 0; phase < phases.size(); ++phase) {
    llvm::SetVector<Value> used;
    for (Operation *op : phases[phase])
      op->walk([&](Operation *inner) {
        for (Value operand : inner->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (def && def->getBlock() == &entry && phaseOf.lookup(def) < phase)
            used.insert(operand);
        }
      });
    for (Value value : used) {
      usedFromBefore[phase].push_back(value);
      if (isRebuiltInEachPhase(value))
        continue;
      if (!value.getType().isIntOrIndexOrFloat())
        return launch.emitOpError("cannot run on the host: a value of type ")
               << value.getType() << " lives across a barrier";
      unsigned from = phaseOf.lookup(value.getDefiningOp());
      if (!llvm::is_contained(kept[from], value))
        kept[from].push_back(value);
    }
  }

  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();

  // Host buffers for the shared memory (one block at a time) and for the
  // values kept across barriers (one element per thread of a block).
  IRMapping base;
  SmallVector<Value> hostBuffers;
  for (BlockArgument buffer : launch.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    Value host = memref::AllocOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()));
    base.map(buffer, host);
    hostBuffers.push_back(host);
  }
  DenseMap<Value, Value> keptBuffers;
  for (ArrayRef<Value> values : kept)
    for (Value value : values) {
      auto type = MemRefType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic},
          value.getType());
      Value host = memref::AllocOp::create(
          b, loc, type, ValueRange{block.z, block.y, block.x});
      keptBuffers[value] = host;
      hostBuffers.push_back(host);
    }

  auto emitLoop = [&](Value bound) {
    auto loop = scf::ForOp::create(b, loc, zero, bound, one);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    return loop.getInductionVar();
  };
  // Blocks, then for each phase the threads, in order.
  OpBuilder::InsertionGuard guard(b);
  Value bz = emitLoop(grid.z), by = emitLoop(grid.y), bx = emitLoop(grid.x);
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 gridArgs = launch.getGridSize();
  gpu::KernelDim3 blockArgs = launch.getBlockSize();
  base.map(blockIds.z, bz);
  base.map(blockIds.y, by);
  base.map(blockIds.x, bx);
  base.map(gridArgs.x, grid.x);
  base.map(gridArgs.y, grid.y);
  base.map(gridArgs.z, grid.z);
  base.map(blockArgs.x, block.x);
  base.map(blockArgs.y, block.y);
  base.map(blockArgs.z, block.z);
  Block *blockBody = b.getInsertionBlock();
  for (auto [phase, ops] : llvm::enumerate(phases)) {
    b.setInsertionPoint(blockBody->getTerminator());
    Value tz = emitLoop(block.z), ty = emitLoop(block.y),
          tx = emitLoop(block.x);
    SmallVector<Value> thread{tz, ty, tx};
    SmallVector<Value> blockIvs{bz, by, bx};
    IRMapping mapping = base;
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    mapping.map(threadIds.z, tz);
    mapping.map(threadIds.y, ty);
    mapping.map(threadIds.x, tx);
    auto cloneOp = [&](Operation &op) {
      if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
        unsigned d = static_cast<unsigned>(id.getDimension());
        mapping.map(id.getResult(), thread[2 - d]);
        return;
      }
      if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
        unsigned d = static_cast<unsigned>(id.getDimension());
        mapping.map(id.getResult(), blockIvs[2 - d]);
        return;
      }
      b.clone(op, mapping);
    };
    for (Value value : usedFromBefore[phase]) {
      auto it = keptBuffers.find(value);
      if (it == keptBuffers.end()) {
        cloneOp(*value.getDefiningOp());
        continue;
      }
      mapping.map(value, memref::LoadOp::create(b, loc, it->second, thread));
    }
    for (Operation *op : ops)
      cloneOp(*op);
    for (Value value : kept[phase])
      memref::StoreOp::create(b, loc, mapping.lookup(value), keptBuffers[value],
                              thread);
  }
  b.setInsertionPointAfter(launch);
  for (Value host : hostBuffers)
    memref::DeallocOp::create(b, loc, host);
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
