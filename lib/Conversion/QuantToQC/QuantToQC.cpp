//===- QuantToQC.cpp - Interoperation with !quant.uniform -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/QuantToQC/QuantToQC.h"
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_CONVERTQUANTTOQCPASS
#define GEN_PASS_DEF_CONVERTQCTOQUANTPASS
#include "qc/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

FailureOr<UniformType>
mlir::qc::convertFromQuantType(quant::QuantizedType type,
                               function_ref<InFlightDiagnostic()> emitError) {
  MLIRContext *ctx = type.getContext();
  auto expressed = dyn_cast_or_null<FloatType>(type.getExpressedType());
  if (!expressed || !isExpressedFloatType(expressed)) {
    emitError() << "quantized type " << type
                << " has no f16/bf16/f32/f64 expressed type";
    return failure();
  }
  Type storage = type.getStorageType();
  bool isSigned = type.isSigned();
  int64_t min = type.getStorageTypeMin(), max = type.getStorageTypeMax();
  auto i32 = IntegerType::get(ctx, 32);
  int32_t axis = -1;
  int64_t block = 0;
  DenseElementsAttr scales, zeroPoints;

  auto toSemantics = [&](double value) {
    APFloat v(value);
    bool losesInfo;
    v.convert(expressed.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &losesInfo);
    return v;
  };
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(type)) {
    scales = DenseElementsAttr::get(RankedTensorType::get({}, expressed),
                                    toSemantics(perTensor.getScale()));
    zeroPoints =
        DenseElementsAttr::get(RankedTensorType::get({}, i32),
                               APInt(32, perTensor.getZeroPoint(), true));
  } else if (auto perAxis =
                 dyn_cast<quant::UniformQuantizedPerAxisType>(type)) {
    axis = perAxis.getQuantizedDimension();
    int64_t n = perAxis.getScales().size();
    SmallVector<APFloat> s;
    SmallVector<APInt> z;
    for (int64_t i = 0; i < n; ++i) {
      s.push_back(toSemantics(perAxis.getScales()[i]));
      z.push_back(APInt(32, perAxis.getZeroPoints()[i], true));
    }
    scales = DenseElementsAttr::get(RankedTensorType::get({n}, expressed), s);
    zeroPoints = DenseElementsAttr::get(RankedTensorType::get({n}, i32), z);
  } else if (auto sub = dyn_cast<quant::UniformQuantizedSubChannelType>(type)) {
    SmallVector<std::pair<int32_t, int64_t>> blocked;
    for (auto [dim, size] :
         llvm::zip(sub.getQuantizedDimensions(), sub.getBlockSizes()))
      if (size != 1)
        blocked.push_back({dim, size});
    if (blocked.size() != 1) {
      emitError() << "sub-channel type " << type
                  << " must be blocked along exactly one dimension";
      return failure();
    }
    axis = blocked[0].first;
    block = blocked[0].second;
    ArrayRef<int64_t> shape = sub.getScales().getType().getShape();
    SmallVector<APFloat> s;
    for (const APFloat &v : sub.getScales().getValues<APFloat>()) {
      APFloat c = v;
      bool losesInfo;
      c.convert(expressed.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      s.push_back(c);
    }
    // Upstream keeps zero points in the storage type's width; read them with
    // the storage's signedness (a u4 zero point of 8 is 8, not -8).
    SmallVector<APInt> z;
    for (const APInt &v : sub.getZeroPoints().getValues<APInt>())
      z.push_back(APInt(
          32, isSigned ? v.getSExtValue() : int64_t(v.getZExtValue()), true));
    scales = DenseElementsAttr::get(RankedTensorType::get(shape, expressed), s);
    zeroPoints = DenseElementsAttr::get(RankedTensorType::get(shape, i32), z);
  } else {
    emitError() << "unsupported quantized type " << type;
    return failure();
  }
  UniformType result =
      UniformType::getChecked(emitError, ctx, storage, isSigned, min, max,
                              expressed, axis, block, scales, zeroPoints);
  if (!result)
    return failure();
  return result;
}

FailureOr<quant::QuantizedType>
mlir::qc::convertToQuantType(UniformType type,
                             function_ref<InFlightDiagnostic()> emitError) {
  if (type.isFloat8()) {
    emitError() << "FP8 storage has no !quant.uniform form: " << type;
    return failure();
  }
  unsigned flags = type.getIsSigned() ? quant::QuantizationFlags::Signed : 0;
  Type storage = type.getStorageType();
  Type expressed = type.getExpressedType();
  int64_t min = type.getStorageMin(), max = type.getStorageMax();
  if (type.isPerTensor())
    return cast<quant::QuantizedType>(quant::UniformQuantizedType::getChecked(
        emitError, flags, storage, expressed, type.getScale(),
        type.getZeroPoint(), min, max));
  if (type.isPerAxis())
    return cast<quant::QuantizedType>(
        quant::UniformQuantizedPerAxisType::getChecked(
            emitError, flags, storage, expressed, type.getScaleValues(),
            type.getZeroPointValues(), type.getAxis(), min, max));
  // Upstream stores sub-channel zero points in the storage type.
  ArrayRef<int64_t> shape = type.getScales().getType().getShape();
  unsigned width = type.getStorageWidth();
  SmallVector<APInt> zps;
  for (int64_t zp : type.getZeroPointValues())
    zps.push_back(APInt(width, zp, /*isSigned=*/type.getIsSigned()));
  auto zpAttr =
      DenseElementsAttr::get(RankedTensorType::get(shape, storage), zps);
  // Upstream wants a block size for every dimension: 1 except along the axis.
  SmallVector<int32_t> dims;
  SmallVector<int64_t> blocks;
  for (int32_t d = 0, e = shape.size(); d < e; ++d) {
    dims.push_back(d);
    blocks.push_back(d == type.getAxis() ? type.getBlockSize() : 1);
  }
  return cast<quant::QuantizedType>(
      quant::UniformQuantizedSubChannelType::getChecked(
          emitError, flags, storage, expressed, type.getScales(), zpAttr, dims,
          blocks, min, max));
}

namespace {
/// Converts every element type `From` under `op` with `convert`, reporting
/// failures at the first op that uses an unconvertible type.
template <typename From, typename ConvertFn>
LogicalResult replaceAllTypes(Operation *root, ConvertFn convert,
                              bool checkOnly = false) {
  // Check first, at op locations, so errors name where the type is used.
  DenseMap<Type, Type> converted;
  auto check = [&](Operation *op, Type type) -> LogicalResult {
    Type element = type;
    if (auto shaped = dyn_cast<ShapedType>(type))
      element = shaped.getElementType();
    auto from = dyn_cast<From>(element);
    if (!from || converted.count(element))
      return success();
    auto result = convert(from, [&]() { return op->emitError(); });
    if (failed(result))
      return failure();
    converted[element] = *result;
    return success();
  };
  WalkResult walk = root->walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      if (failed(check(op, type)))
        return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (failed(check(op, arg.getType())))
            return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (checkOnly)
    return success();
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](From type) -> std::optional<Type> {
    auto it = converted.find(type);
    if (it != converted.end())
      return it->second;
    return std::nullopt;
  });
  replacer.recursivelyReplaceElementsIn(root, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  return success();
}

struct ConvertQuantToQCPass
    : public qc::impl::ConvertQuantToQCPassBase<ConvertQuantToQCPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(replaceAllTypes<quant::QuantizedType>(
            module, [](quant::QuantizedType type, auto emitError) {
              return convertFromQuantType(type, emitError);
            })))
      return signalPassFailure();
    // The casts now carry qc types; swap them for qc ops.
    IRRewriter rewriter(&getContext());
    module.walk([&](Operation *op) {
      rewriter.setInsertionPoint(op);
      Operation *replacement = nullptr;
      if (auto qcast = dyn_cast<quant::QuantizeCastOp>(op))
        replacement = QuantizeOp::create(rewriter, op->getLoc(),
                                         qcast.getType(), qcast.getInput());
      else if (auto dcast = dyn_cast<quant::DequantizeCastOp>(op))
        replacement = DequantizeOp::create(rewriter, op->getLoc(),
                                           dcast.getType(), dcast.getInput());
      else if (auto scast = dyn_cast<quant::StorageCastOp>(op))
        replacement = StorageCastOp::create(rewriter, op->getLoc(),
                                            scast.getType(), scast.getInput());
      if (replacement)
        rewriter.replaceOp(op, replacement->getResults());
    });
  }
};

struct ConvertQCToQuantPass
    : public qc::impl::ConvertQCToQuantPassBase<ConvertQCToQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    WalkResult walk = module.walk([&](Operation *op) {
      if (isa<QCDialect>(op->getDialect()) &&
          !isa<QuantizeOp, DequantizeOp, StorageCastOp>(op)) {
        bool quantized =
            llvm::any_of(
                op->getOperandTypes(),
                [](Type t) { return getUniformElementType(t) != nullptr; }) ||
            llvm::any_of(op->getResultTypes(), [](Type t) {
              return getUniformElementType(t) != nullptr;
            });
        if (quantized) {
          op->emitError() << "'" << op->getName()
                          << "' on quantized values has no quant-dialect form";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    auto convert = [](UniformType type, auto emitError) {
      return convertToQuantType(type, emitError);
    };
    // Report unconvertible types before changing anything.
    if (failed(replaceAllTypes<UniformType>(module, convert,
                                            /*checkOnly=*/true)))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> casts;
    module.walk([&](Operation *op) {
      if (isa<QuantizeOp, DequantizeOp, StorageCastOp>(op))
        casts.push_back(op);
    });
    // Swap the casts first (their verifiers want qc types), then the types.
    for (Operation *op : casts) {
      rewriter.setInsertionPoint(op);
      Operation *replacement;
      OperationState state(op->getLoc(), isa<QuantizeOp>(op) ? "quant.qcast"
                                         : isa<DequantizeOp>(op)
                                             ? "quant.dcast"
                                             : "quant.scast");
      state.addOperands(op->getOperands());
      state.addTypes(op->getResultTypes());
      replacement = Operation::create(state);
      rewriter.insert(replacement);
      rewriter.replaceOp(op, replacement->getResults());
    }
    if (failed(replaceAllTypes<UniformType>(module, convert)))
      return signalPassFailure();
  }
};
} // namespace
