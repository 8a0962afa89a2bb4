//===- AOTPlanWorkspace.cpp - Static memory plan for the entry function ---===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every intermediate buffer of a compiled model has a static size, so their
// placement can be decided at compile time: each top-level memref.alloc of
// the entry function becomes a memref.view into one workspace argument, at
// an offset chosen so that buffers alive at the same time never overlap.
// Besides saving memory, this removes a malloc/free pair per buffer and
// call, and the page faults that come with large fresh allocations; the
// runtime keeps workspaces between calls.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/AOT/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::qc {
#define GEN_PASS_DEF_AOTPLANWORKSPACEPASS
#include "qc/Target/AOT/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  int64_t first, last; // positions in the entry block, inclusive
  int64_t offset = -1;
};

/// The size in bytes of a static, identity-layout allocation, or -1.
int64_t plannableBytes(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !alloc.getDynamicSizes().empty() || !alloc.getSymbolOperands().empty() ||
      type.getMemorySpace())
    return -1;
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat() || element.isIndex())
    return -1;
  // The LLVM lowering stores every element in whole bytes (i1 takes one).
  int64_t elementBytes = (element.getIntOrFloatBitWidth() + 7) / 8;
  return std::max<int64_t>(type.getNumElements() * elementBytes, 1);
}

/// The position in `block` of the ancestor of `op` in that block.
int64_t positionIn(Block &block, Operation *op,
                   const DenseMap<Operation *, int64_t> &positions) {
  Operation *ancestor = block.findAncestorOpInBlock(*op);
  return ancestor ? positions.lookup(ancestor) : -1;
}

/// Extends `buffer.last` over every use of `value` and of the views of it;
/// fails if the memory escapes (returned, passed to a call, stored).
LogicalResult collectUses(Value value, Block &block,
                          const DenseMap<Operation *, int64_t> &positions,
                          Buffer &buffer) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    int64_t pos = positionIn(block, user, positions);
    if (pos < 0)
      return failure();
    buffer.last = std::max(buffer.last, pos);
    if (isa<func::ReturnOp, func::CallOp, memref::DeallocOp>(user))
      return failure();
    if (auto store = dyn_cast<memref::StoreOp>(user))
      if (store.getValueToStore() == value)
        return failure();
    if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
      if (view.getViewSource() == value)
        for (Value result : user->getResults())
          if (failed(collectUses(result, block, positions, buffer)))
            return failure();
      continue;
    }
    // Any other op that returns a memref might alias the buffer.
    for (Value result : user->getResults())
      if (isa<BaseMemRefType>(result.getType()))
        return failure();
  }
  return success();
}

/// Greedy first-fit by decreasing size over live intervals.
int64_t assignOffsets(SmallVectorImpl<Buffer> &buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  // Largest first; ties in program order, so the plan is deterministic.
  llvm::sort(order, [](Buffer *a, Buffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->first < b->first;
  });
  SmallVector<Buffer *> placed;
  int64_t total = 0;
  for (Buffer *b : order) {
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (Buffer *p : placed)
      if (p->first <= b->last && b->first <= p->last)
        busy.push_back({p->offset, p->offset + p->bytes});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + b->bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, kAlignment));
    }
    b->offset = offset;
    total = std::max(total, offset + b->bytes);
    placed.push_back(b);
  }
  return int64_t(llvm::alignTo(total, kAlignment));
}

struct AOTPlanWorkspacePass
    : public qc::impl::AOTPlanWorkspacePassBase<AOTPlanWorkspacePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(entry);
    if (!fn || fn.isExternal())
      return;
    Block &block = fn.getBody().front();
    DenseMap<Operation *, int64_t> positions;
    int64_t pos = 0;
    for (Operation &op : block)
      positions[&op] = pos++;

    SmallVector<Buffer> buffers;
    for (Operation &op : block) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc)
        continue;
      int64_t bytes = plannableBytes(alloc);
      if (bytes < 0)
        continue;
      Buffer buffer{alloc, bytes, positions[&op], positions[&op]};
      if (succeeded(collectUses(alloc, block, positions, buffer)))
        buffers.push_back(buffer);
    }
    if (buffers.empty())
      return;
    int64_t total = assignOffsets(buffers);

    MLIRContext *ctx = &getContext();
    auto wsType = MemRefType::get({total}, IntegerType::get(ctx, 8));
    unsigned index = fn.getNumArguments();
    if (failed(fn.insertArgument(index, wsType, {}, fn.getLoc())))
      return signalPassFailure();
    Value workspace = fn.getArgument(index);
    for (Buffer &b : buffers) {
      OpBuilder builder(b.alloc);
      Value offset =
          arith::ConstantIndexOp::create(builder, b.alloc.getLoc(), b.offset);
      Value view =
          memref::ViewOp::create(builder, b.alloc.getLoc(), b.alloc.getType(),
                                 workspace, offset, ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    module->setAttr(kWorkspaceAttrName,
                    IntegerAttr::get(IntegerType::get(ctx, 64), total));
  }
};

} // namespace
