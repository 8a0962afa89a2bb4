//===- DeviceBuffers.cpp - Host buffers of GPU code in device memory ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LinalgPoint.h"
#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/CUDA/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUDEVICEBUFFERSPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// True for values that are (views of) a constant global: kernels can read
/// them from the GPU module instead.
bool isConstantView(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isa<memref::GetGlobalOp>(def))
    return true;
  auto view = dyn_cast<ViewLikeOpInterface>(def);
  return view && isPure(def) && view.getViewSource() != value &&
         isConstantView(view.getViewSource());
}

/// Clones the ops that make constant `value` into `launch` (at the start of
/// its body), reusing earlier clones.
Value sinkConstant(OpBuilder &b, Value value, IRMapping &mapping) {
  if (Value mapped = mapping.lookupOrNull(value))
    return mapped;
  Operation *def = value.getDefiningOp();
  if (auto view = dyn_cast<ViewLikeOpInterface>(def))
    if (!isa<memref::GetGlobalOp>(def))
      sinkConstant(b, view.getViewSource(), mapping);
  Operation *clone = b.clone(*def, mapping);
  return clone->getResult(cast<OpResult>(value).getResultNumber());
}

/// Moves the constants each launch reads into it.
void sinkConstants(func::FuncOp func) {
  func.walk([&](gpu::LaunchOp launch) {
    SmallVector<OpOperand *> uses;
    launch.getBody().walk([&](Operation *op) {
      for (OpOperand &operand : op->getOpOperands()) {
        Value value = operand.get();
        if (isa<MemRefType>(value.getType()) && isConstantView(value) &&
            !launch->isAncestor(value.getDefiningOp()))
          uses.push_back(&operand);
      }
    });
    IRMapping mapping;
    OpBuilder b(&launch.getBody().front(), launch.getBody().front().begin());
    for (OpOperand *use : uses)
      use->set(sinkConstant(b, use->get(), mapping));
  });
  // Drop what no one uses any more.
  SmallVector<Operation *> dead;
  func.walk([&](Operation *op) {
    if (isa<memref::GetGlobalOp, ViewLikeOpInterface>(op) && isPure(op))
      dead.push_back(op);
  });
  for (Operation *op : llvm::reverse(dead))
    if (op->use_empty())
      op->erase();
}

/// Whether an op between `from` (exclusive) and `to` (exclusive), both in
/// one block, may write the buffer `root`.
bool mayBeWrittenBetween(Operation *from, Operation *to, Value root) {
  bool clobbered = false;
  for (Operation *op = from->getNextNode(); op && op != to && !clobbered;
       op = op->getNextNode()) {
    op->walk([&](Operation *inner) {
      if (clobbered || isMemoryEffectFree(inner) ||
          inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (!effects) {
        clobbered = true;
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &effect : list) {
        if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
          continue;
        Value value = effect.getValue();
        if (!value || cuda::getRootBuffer(value) == root)
          clobbered = true;
      }
    });
  }
  return clobbered;
}

/// Collects in `slice` (defining ops, operands first) the host computation
/// of `value` back to its loads of tensor data, if it is made of loads and
/// pure scalar ops of `block` only. Returns false if it is not, or reads no
/// tensor data (then the kernel can simply capture the value).
bool collectScalarSlice(Value value, Block *block,
                        SetVector<Operation *> &slice) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != block || isa<MemRefType>(value.getType()))
    return false;
  if (slice.contains(def))
    return true;
  bool readsData = false;
  if (isa<memref::LoadOp>(def)) {
    readsData = true;
  } else {
    if (!isMemoryEffectFree(def) || def->getNumRegions() != 0)
      return false;
    for (Value operand : def->getOperands()) {
      SetVector<Operation *> sub;
      if (collectScalarSlice(operand, block, sub)) {
        slice.insert(sub.begin(), sub.end());
        readsData = true;
      } else if (Operation *d = operand.getDefiningOp();
                 d && d->getBlock() == block && !isMemoryEffectFree(d)) {
        return false;
      }
    }
  }
  if (readsData)
    slice.insert(def);
  return readsData;
}

/// Moves the host computation of scalars that kernels use, from tensor
/// data (a runtime zero point read from a 0-d input, a scale computed from
/// a reduction's result), into those kernels, so that the host never reads
/// device memory. The loaded buffers must not be written between the load
/// and the kernel.
void sinkScalarComputations(func::FuncOp func) {
  SmallVector<gpu::LaunchOp> launches;
  func.walk([&](gpu::LaunchOp launch) {
    if (!launch->getParentOfType<gpu::LaunchOp>())
      launches.push_back(launch);
  });
  SetVector<Operation *> candidates;
  for (gpu::LaunchOp launch : launches) {
    Block *block = launch->getBlock();
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    IRMapping mapping;
    Block &body = launch.getBody().front();
    OpBuilder b(&body, body.begin());
    for (Value value : captured) {
      SetVector<Operation *> slice;
      if (!collectScalarSlice(value, block, slice))
        continue;
      bool clobbered = llvm::any_of(slice, [&](Operation *op) {
        auto load = dyn_cast<memref::LoadOp>(op);
        return load && mayBeWrittenBetween(
                           load, launch, cuda::getRootBuffer(load.getMemRef()));
      });
      if (clobbered)
        continue;
      // Operands before users: sort by position in the block.
      SmallVector<Operation *> ordered(slice.begin(), slice.end());
      llvm::sort(ordered, [](Operation *x, Operation *y) {
        return x->isBeforeInBlock(y);
      });
      for (Operation *op : ordered)
        if (!mapping.contains(op->getResult(0)))
          b.clone(*op, mapping);
      Value sunk = mapping.lookup(value);
      value.replaceUsesWithIf(sunk, [&](OpOperand &use) {
        return launch->isAncestor(use.getOwner());
      });
      candidates.insert(slice.begin(), slice.end());
    }
  }
  // Drop the host copies no one uses any more (users first).
  SmallVector<Operation *> ordered(candidates.begin(), candidates.end());
  llvm::sort(ordered, [](Operation *x, Operation *y) {
    return x->getBlock() == y->getBlock() ? y->isBeforeInBlock(x) : x < y;
  });
  for (Operation *op : ordered)
    if (op->use_empty())
      op->erase();
}

/// Number of inputs of the model, from the `qc.signature` text.
std::optional<unsigned> getNumInputs(func::FuncOp func) {
  auto module = func->getParentOfType<ModuleOp>();
  auto text = module ? module->getAttrOfType<StringAttr>(kSignatureAttrName)
                     : StringAttr();
  if (!text)
    return std::nullopt;
  SmallVector<StringRef> lines;
  text.getValue().split(lines, '\n');
  for (StringRef line : lines) {
    unsigned count;
    if (line.consume_front("inputs ") && !line.getAsInteger(10, count))
      return count;
  }
  return std::nullopt;
}

struct GPUDeviceBuffersPass
    : public qc::impl::GPUDeviceBuffersPassBase<GPUDeviceBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    sinkConstants(func);
    if (func.getName() == entry && failed(placeArguments(func)))
      return signalPassFailure();
    sinkScalarComputations(func);
    if (failed(convertAllocations(func)))
      return signalPassFailure();
    copyHostScalars(func);
    if (failed(checkHostCode(func)))
      return signalPassFailure();
  }

  /// Gives each of the entry function's host buffers a device copy.
  LogicalResult placeArguments(func::FuncOp func) {
    Block &entryBlock = func.front();
    OpBuilder b(&entryBlock, entryBlock.begin());
    std::optional<unsigned> numInputs = getNumInputs(func);
    SmallVector<std::pair<BlockArgument, Value>> outputs;
    SmallVector<Value> buffers;
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || type.getNumElements() == 0)
        continue;
      if (!type.getLayout().isIdentity())
        return func.emitError("entry buffers must have the identity layout");
      Location loc = arg.getLoc();
      Value device =
          gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                               ValueRange{}, ValueRange{}, ValueRange{})
              .getMemref();
      bool isInput = !numInputs || arg.getArgNumber() < *numInputs;
      bool isOutput = !numInputs || arg.getArgNumber() >= *numInputs;
      Operation *copy = nullptr;
      if (isInput)
        copy = gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(),
                                     ValueRange{}, device, arg);
      arg.replaceUsesWithIf(
          device, [&](OpOperand &use) { return use.getOwner() != copy; });
      if (isOutput)
        outputs.push_back({arg, device});
      buffers.push_back(device);
    }
    func.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (auto [arg, device] : outputs)
        gpu::MemcpyOp::create(rb, ret.getLoc(), Type(), ValueRange{}, arg,
                              device);
      for (Value device : buffers)
        gpu::DeallocOp::create(rb, ret.getLoc(), Type(), ValueRange{}, device);
    });
    return success();
  }

  LogicalResult convertAllocations(func::FuncOp func) {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
              memref::GetGlobalOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, loc, Type(), ValueRange{},
                               dealloc.getMemref());
        op->erase();
        continue;
      }
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        Value device = gpu::AllocOp::create(
                           b, loc, alloc.getType(), Type(), ValueRange{},
                           alloc.getDynamicSizes(), alloc.getSymbolOperands())
                           .getMemref();
        alloc.replaceAllUsesWith(device);
        op->erase();
        continue;
      }
      if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        Value device = gpu::AllocOp::create(
                           b, loc, alloca.getType(), Type(), ValueRange{},
                           alloca.getDynamicSizes(), alloca.getSymbolOperands())
                           .getMemref();
        alloca.replaceAllUsesWith(device);
        b.setInsertionPoint(op->getBlock()->getTerminator());
        gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, device);
        op->erase();
        continue;
      }
      // A constant the host itself uses (passes to a call, say): copy it
      // to the device once per call of the function.
      auto global = cast<memref::GetGlobalOp>(op);
      if (global.use_empty()) {
        op->erase();
        continue;
      }
      b.setInsertionPointAfter(op);
      Value device =
          gpu::AllocOp::create(b, loc, global.getType(), Type(), ValueRange{},
                               ValueRange{}, ValueRange{})
              .getMemref();
      auto copy = gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, device,
                                        global.getResult());
      global.getResult().replaceUsesWithIf(
          device, [&](OpOperand &use) { return use.getOwner() != copy; });
      for (Block &block : func.getBody())
        if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
          OpBuilder rb(ret);
          gpu::DeallocOp::create(rb, loc, Type(), ValueRange{}, device);
        }
    }
    return success();
  }

  /// Host reads and writes of single elements of 0-d tensors (a scale or
  /// zero point that host code computes) go through a host copy:
  ///
  ///   %v = memref.load %dev[]      ->  gpu.memcpy %tmp, %dev
  ///                                    %v = memref.load %tmp[]
  ///   memref.store %v, %dev[]      ->  memref.store %v, %tmp[]
  ///                                    gpu.memcpy %dev, %tmp
  ///
  /// with %tmp a host memref.alloca (gpu-async-region makes the host wait
  /// for the copy before the load).
  void copyHostScalars(func::FuncOp func) {
    SmallVector<Operation *> accesses;
    func.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && load.getMemRefType().getRank() == 0)
        accesses.push_back(op);
      if (auto store = dyn_cast<memref::StoreOp>(op);
          store && store.getMemRefType().getRank() == 0)
        accesses.push_back(op);
    });
    for (Operation *op : accesses) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        Value device = load.getMemRef();
        if (device.getDefiningOp<memref::AllocaOp>())
          continue;
        auto type = MemRefType::get({}, load.getType());
        if (type != load.getMemRefType())
          continue;
        Value host = memref::AllocaOp::create(b, loc, type);
        gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, host, device);
        load.getMemrefMutable().assign(host);
        continue;
      }
      auto store = cast<memref::StoreOp>(op);
      Value device = store.getMemRef();
      auto type = MemRefType::get({}, store.getValueToStore().getType());
      if (device.getDefiningOp<memref::AllocaOp>() ||
          type != store.getMemRefType())
        continue;
      Value host = memref::AllocaOp::create(b, loc, type);
      store.getMemrefMutable().assign(host);
      b.setInsertionPointAfter(store);
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, device, host);
    }
  }

  /// Host code may only allocate, copy, launch and pass buffers around.
  LogicalResult checkHostCode(func::FuncOp func) {
    WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op)
                                                           -> WalkResult {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<gpu::GPUDialect>(op->getDialect()) || isa<func::CallOp>(op))
        return WalkResult::advance();
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects)
        return WalkResult::advance();
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &effect : list) {
        if (!isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
          continue;
        Value value = effect.getValue();
        // Host temporaries (copyHostScalars) are fine.
        if (value && value.getDefiningOp<memref::AllocaOp>())
          continue;
        if (value && isa<MemRefType>(value.getType())) {
          op->emitError("host code accesses tensor data, which lives in GPU "
                        "memory on the CUDA target (data-dependent control "
                        "flow is not supported there yet)");
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace
