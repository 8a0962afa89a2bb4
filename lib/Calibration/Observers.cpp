//===- Observers.cpp - Inserting, lowering and stripping qc.observe -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Calibration/Passes.h"
#include "qc/Target/AOT/ModelSignature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INSERTOBSERVERSPASS
#define GEN_PASS_DEF_LOWEROBSERVERSPASS
#define GEN_PASS_DEF_STRIPOBSERVERSPASS
#include "qc/Calibration/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

/// The name of the location (the ONNX node name), if any.
static std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = locationName(inner); !name.empty())
        return name;
  return "";
}

/// True for values computed only from constants (weights).
static bool isConstantLike(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (op->hasTrait<OpTrait::ConstantLike>())
    return true;
  // A weight reshaped, transposed or reinterpreted is still a weight.
  if (isa<StorageCastOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp,
          linalg::TransposeOp>(op))
    return isConstantLike(op->getOperand(0));
  return false;
}

namespace {
/// Where the per-channel statistics of a probe come from.
struct ChannelLayout {
  int64_t axis = -1, channels = 0, stride = 0;
};
} // namespace

/// The channel layout of an observed value: the last (contracted)
/// dimension when it is the data operand of a qc.matmul (what SmoothQuant
/// balances), else none.
static ChannelLayout getChannelLayout(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 0 || type.getNumElements() == 0)
    return {};
  for (OpOperand &use : value.getUses())
    if (isa<MatMulOp>(use.getOwner()) && use.getOperandNumber() == 0)
      return {type.getRank() - 1, type.getShape().back(), 1};
  return {};
}

namespace {
struct InsertObserversPass
    : public qc::impl::InsertObserversPassBase<InsertObserversPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Value> observed;
    llvm::DenseSet<Value> seen;
    auto observe = [&](Value v) {
      // The calibration hook takes f32 data.
      if (!cast<ShapedType>(v.getType()).getElementType().isF32())
        return;
      if (isConstantLike(v) || !seen.insert(v).second)
        return;
      observed.push_back(v);
    };
    func.walk([&](Operation *op) {
      if (auto matmul = dyn_cast<MatMulOp>(op)) {
        observe(matmul.getLhs());
        if (!isConstantLike(matmul.getRhs()))
          observe(matmul.getRhs());
      } else if (auto conv = dyn_cast<ConvOp>(op)) {
        observe(conv.getInput());
      }
    });
    // Names in program order, so that they do not depend on shapes.
    llvm::StringMap<unsigned> uses;
    OpBuilder b(func.getContext());
    for (Value v : observed) {
      std::string name;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (arg.getOwner()->getParentOp() == func.getOperation()) {
          auto attr =
              func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qc.name");
          name =
              attr ? attr.str() : "input" + std::to_string(arg.getArgNumber());
        } else {
          // A loop-carried value (LSTM state): named after the loop's node.
          name = locationName(arg.getOwner()->getParentOp()->getLoc());
          if (name.empty())
            name = "block_argument";
        }
        b.setInsertionPointToStart(arg.getOwner());
      } else if (std::optional<StringRef> tensor =
                     getONNXTensorName(v.getDefiningOp())) {
        name = tensor->str();
        b.setInsertionPointAfterValue(v);
      } else {
        name = locationName(v.getLoc());
        if (name.empty())
          name = v.getDefiningOp()->getName().getStringRef().str();
        b.setInsertionPointAfterValue(v);
      }
      unsigned n = uses[name]++;
      if (n > 0)
        name += "@" + std::to_string(n);
      ObserveOp::create(b, v.getLoc(), v, b.getStringAttr(name),
                        /*stats=*/StatsAttr());
    }
  }
};

struct LowerObserversPass
    : public qc::impl::LowerObserversPassBase<LowerObserversPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ObserveOp> observers;
    module.walk([&](ObserveOp op) { observers.push_back(op); });
    SmallVector<Attribute> names;
    SmallVector<int64_t> sizes, axes, channels, strides;
    OpBuilder b(&getContext());
    for (auto [id, op] : llvm::enumerate(observers)) {
      names.push_back(op.getNameAttr());
      auto type = op.getInput().getType();
      sizes.push_back(type.getNumElements());
      ChannelLayout layout = getChannelLayout(op.getInput());
      axes.push_back(layout.axis);
      channels.push_back(layout.channels);
      strides.push_back(layout.stride);
      std::string fnName = (kObserveFunctionPrefix + Twine(id)).str();
      b.setInsertionPointToEnd(module.getBody());
      auto fnType = FunctionType::get(&getContext(), {type}, {});
      auto fn = func::FuncOp::create(b, op.getLoc(), fnName, fnType);
      fn.setPrivate();
      b.setInsertionPoint(op);
      func::CallOp::create(b, op.getLoc(), fn, ValueRange{op.getInput()});
      op.erase();
    }
    module->setAttr(kObserversAttrName, b.getArrayAttr(names));
    module->setAttr(kObserverSizesAttrName, b.getDenseI64ArrayAttr(sizes));
    module->setAttr(kObserverChannelAxesAttrName, b.getDenseI64ArrayAttr(axes));
    module->setAttr(kObserverChannelsAttrName,
                    b.getDenseI64ArrayAttr(channels));
    module->setAttr(kObserverChannelStridesAttrName,
                    b.getDenseI64ArrayAttr(strides));
  }
};

struct StripObserversPass
    : public qc::impl::StripObserversPassBase<StripObserversPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().walk([](ObserveOp op) { op.erase(); });
  }
};
} // namespace
