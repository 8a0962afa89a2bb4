//===- FoldQDQ.cpp - QDQ patterns to quantized compute ops ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A model in QDQ form imports as float compute between quantization casts:
//
//   %a = qc.dequantize %xq                  (activation, per tensor)
//   %w = qc.dequantize %wq                  (weight, per tensor or channel)
//   %y = qc.matmul %a, %w -> f32            (or qc.conv, + dequantized bias)
//   %q = qc.quantize %y                     (next activation)
//
// This pass moves the quantized types into the compute op, which then lowers
// to an integer kernel with the scales the model carries:
//
//   %y = qc.matmul %xq, %wq -> f32          (i32 accumulation, float epilogue)
//   %q = qc.matmul %xq, %wq -> !qc.uniform  (when %y only feeds a quantize:
//                                            requantizing epilogue)
//
// The float result of the integer kernel is float(acc) * s_a * s_w (+ bias),
// so fusing the following qc.quantize into the epilogue does not change a
// bit. qc.dequantize(qc.quantize(x)) is a real rounding step and is never
// folded. Quantizing a float constant is evaluated at compile time (ONNX
// QuantizeLinear arithmetic), so QDQ models that store float weights get
// integer weight constants.
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"
#include "qc/Quantization/WeightUtils.h"
#include "qc/Support/QuantMath.h"
#include "qc/Utils/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mlir::qc {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

//===----------------------------------------------------------------------===//
// Dequantized values seen through shape-only ops
//===----------------------------------------------------------------------===//

/// A float operand that is `qc.dequantize(source)` followed by shape-only
/// ops (reshapes, transposes), innermost first, with the quantized element
/// type each of them yields.
struct DequantizedValue {
  Value source;
  SmallVector<Operation *> shapeOps;
  SmallVector<UniformType> types;

  /// The element type of the operand once the shape ops apply.
  UniformType getType() const {
    return types.empty() ? getUniformElementType(source.getType())
                         : types.back();
  }
};

/// A copy of per-axis `type` along `axis`.
UniformType withAxis(UniformType type, int64_t axis) {
  return UniformType::get(
      type.getContext(), type.getStorageType(), type.getIsSigned(),
      type.getStorageMin(), type.getStorageMax(), type.getExpressedType(),
      int32_t(axis), 0, type.getScales(), type.getZeroPoints());
}

/// The element type after shape op `op` for an input of element type
/// `type`; null if the quantization parameters cannot follow (per-group
/// parameters, a per-axis dimension merged with or split into others).
UniformType mapThroughShapeOp(Operation *op, UniformType type) {
  if (type.isPerTensor())
    return type;
  if (!type.isPerAxis())
    return {};
  int64_t axis = type.getAxis();
  auto inType = cast<ShapedType>(op->getOperand(0).getType());
  auto outType = cast<ShapedType>(op->getResult(0).getType());
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    for (auto [i, p] : llvm::enumerate(transpose.getPermutation()))
      if (p == axis)
        return withAxis(type, i);
    return {};
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    for (auto [j, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      if (!llvm::is_contained(group, axis))
        continue;
      for (int64_t d : group)
        if (d != axis && inType.getDimSize(d) != 1)
          return {};
      return withAxis(type, j);
    }
    return {};
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    if (axis >= int64_t(groups.size()))
      return {};
    int64_t size = inType.getDimSize(axis);
    std::optional<int64_t> found;
    for (int64_t d : groups[axis]) {
      if (outType.getDimSize(d) == size && !found)
        found = d;
      else if (outType.getDimSize(d) != 1)
        return {};
    }
    return found ? withAxis(type, *found) : UniformType();
  }
  return {};
}

/// Follows `value` back through shape-only ops to a qc.dequantize.
std::optional<DequantizedValue> traceDequantized(Value value) {
  SmallVector<Operation *> ops;
  Value v = value;
  while (Operation *op = v.getDefiningOp()) {
    if (auto dq = dyn_cast<DequantizeOp>(op)) {
      DequantizedValue result;
      result.source = dq.getInput();
      result.shapeOps.assign(ops.rbegin(), ops.rend());
      UniformType type = getUniformElementType(result.source.getType());
      for (Operation *shapeOp : result.shapeOps) {
        type = mapThroughShapeOp(shapeOp, type);
        if (!type)
          return std::nullopt;
        result.types.push_back(type);
      }
      return result;
    }
    if (!isa<linalg::TransposeOp, tensor::CollapseShapeOp,
             tensor::ExpandShapeOp>(op))
      return std::nullopt;
    ops.push_back(op);
    v = op->getOperand(0);
  }
  return std::nullopt;
}

/// Raw little-endian bytes of an integer constant with 8/16/32-bit elements.
std::optional<std::vector<char>> readRawBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto element = dyn_cast<IntegerType>(type.getElementType());
  if (!element || (element.getWidth() != 8 && element.getWidth() != 16 &&
                   element.getWidth() != 32))
    return std::nullopt;
  size_t bytes = element.getWidth() / 8;
  size_t total = size_t(type.getNumElements()) * bytes;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    ArrayRef<char> raw = dense.getRawData();
    std::vector<char> out(total);
    if (dense.isSplat()) {
      for (size_t i = 0; i < total; i += bytes)
        std::memcpy(out.data() + i, raw.data(), bytes);
    } else {
      if (raw.size() != total)
        return std::nullopt;
      std::memcpy(out.data(), raw.data(), total);
    }
    return out;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != total)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    return std::vector<char>(data.begin(), data.end());
  }
  return std::nullopt;
}

/// Transposes a constant storage tensor on the host; null if `value` is not
/// a readable constant.
Value transposeConstant(PatternRewriter &rewriter, Location loc, Value value,
                        ArrayRef<int64_t> perm) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return {};
  auto attr = dyn_cast<ElementsAttr>(constant.getValue());
  if (!attr)
    return {};
  std::optional<std::vector<char>> in = readRawBytes(attr);
  if (!in)
    return {};
  auto type = cast<RankedTensorType>(attr.getType());
  size_t bytes = type.getElementTypeBitWidth() / 8;
  int64_t rank = type.getRank();
  SmallVector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(type.getDimSize(p));
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * type.getDimSize(i + 1);
  std::vector<char> out(in->size());
  SmallVector<int64_t> index(rank, 0);
  for (size_t n = 0, e = out.size() / bytes; n < e; ++n) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + n * bytes, in->data() + src * bytes, bytes);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  auto outType = RankedTensorType::get(outShape, type.getElementType());
  return arith::ConstantOp::create(
      rewriter, loc,
      cast<TypedAttr>(createConstantAttr(outType, out, "qweight")));
}

/// Builds the quantized operand: `source` with the shape ops replayed on its
/// storage (a transposed constant is transposed at compile time).
Value rebuildQuantized(PatternRewriter &rewriter, const DequantizedValue &v) {
  Value current = v.source;
  for (auto [op, type] : llvm::zip(v.shapeOps, v.types)) {
    Location loc = op->getLoc();
    auto inType = cast<RankedTensorType>(current.getType());
    UniformType inQuant = getUniformElementType(inType);
    Type storageElement = inQuant.getStorageMemoryType();
    Value storage = rewriter.createOrFold<StorageCastOp>(
        loc, RankedTensorType::get(inType.getShape(), storageElement), current);
    auto outShape = cast<ShapedType>(op->getResult(0).getType()).getShape();
    auto outStorageType = RankedTensorType::get(outShape, storageElement);
    Value next;
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      next =
          transposeConstant(rewriter, loc, storage, transpose.getPermutation());
      if (!next)
        // Not a constant: transpose the stored values at run time.
        next =
            transposeTensor(rewriter, loc, storage, transpose.getPermutation());
    } else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      next = tensor::CollapseShapeOp::create(
          rewriter, loc, outStorageType, storage,
          collapse.getReassociationIndices());
    } else {
      auto expand = cast<tensor::ExpandShapeOp>(op);
      next =
          tensor::ExpandShapeOp::create(rewriter, loc, outStorageType, storage,
                                        expand.getReassociationIndices());
    }
    current = StorageCastOp::create(
        rewriter, loc, RankedTensorType::get(outShape, type), next);
  }
  return current;
}

/// Storage an integer kernel multiplies exactly in i32.
bool isIntegerKernelStorage(UniformType type) {
  return type && !type.isFloat8() && type.getStorageWidth() <= 8;
}

/// Data operands of integer kernels are quantized per tensor.
bool isFoldableData(const DequantizedValue &v) {
  UniformType type = v.getType();
  return isIntegerKernelStorage(type) && type.isPerTensor();
}

/// Weights are quantized per tensor or along the output-channel axis.
bool isFoldableWeight(const DequantizedValue &v, int64_t outputAxis) {
  UniformType type = v.getType();
  return isIntegerKernelStorage(type) &&
         (type.isPerTensor() ||
          (type.isPerAxis() && type.getAxis() == outputAxis));
}

/// A transpose of non-constant storage is rebuilt with tensor.empty; the
/// tensor dialect is loaded whenever the IR holds a linalg.transpose built the
/// usual way, but a pass may not load it itself.
bool canRebuild(const DequantizedValue &v, MLIRContext *ctx) {
  return ctx->getLoadedDialect<tensor::TensorDialect>() ||
         llvm::none_of(v.shapeOps, [](Operation *op) {
           return isa<linalg::TransposeOp>(op);
         });
}

bool hasQuantizedOperand(Operation *op) {
  return llvm::any_of(op->getOperandTypes(), [](Type t) {
    return getUniformElementType(t) != nullptr;
  });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// qc.matmul(dequantize(a), dequantize(w)) -> qc.matmul(a, w), float result.
struct FoldDequantizedMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (hasQuantizedOperand(op) || getUniformElementType(op.getType()))
      return rewriter.notifyMatchFailure(op, "already quantized");
    std::optional<DequantizedValue> data = traceDequantized(op.getLhs());
    std::optional<DequantizedValue> weight = traceDequantized(op.getRhs());
    if (!data || !weight)
      return rewriter.notifyMatchFailure(op, "operands are not dequantized");
    int64_t weightRank = cast<ShapedType>(op.getRhs().getType()).getRank();
    if (!isFoldableData(*data))
      return rewriter.notifyMatchFailure(
          op, "data is not quantized per tensor with 8-bit integers");
    if (weightRank < 2 || !isFoldableWeight(*weight, weightRank - 1))
      return rewriter.notifyMatchFailure(
          op, "weights are not quantized per tensor or per column with "
              "8-bit integers");
    if (!canRebuild(*data, getContext()) || !canRebuild(*weight, getContext()))
      return rewriter.notifyMatchFailure(op, "tensor dialect not loaded");
    Value lhs = rebuildQuantized(rewriter, *data);
    Value rhs = rebuildQuantized(rewriter, *weight);
    rewriter.modifyOpInPlace(op, [&] {
      op.getLhsMutable().assign(lhs);
      op.getRhsMutable().assign(rhs);
    });
    return success();
  }
};

/// qc.conv(dequantize(x), dequantize(w) [, dequantize(b)]) -> qc.conv(x, w
/// [, b]), float result.
struct FoldDequantizedConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (hasQuantizedOperand(op) || getUniformElementType(op.getType()))
      return rewriter.notifyMatchFailure(op, "already quantized");
    std::optional<DequantizedValue> data = traceDequantized(op.getInput());
    std::optional<DequantizedValue> weight = traceDequantized(op.getWeight());
    if (!data || !weight)
      return rewriter.notifyMatchFailure(op, "operands are not dequantized");
    if (!isFoldableData(*data))
      return rewriter.notifyMatchFailure(
          op, "data is not quantized per tensor with 8-bit integers");
    if (!isFoldableWeight(*weight, 0))
      return rewriter.notifyMatchFailure(
          op, "weights are not quantized per tensor or per output channel "
              "with 8-bit integers");
    if (!canRebuild(*data, getContext()) || !canRebuild(*weight, getContext()))
      return rewriter.notifyMatchFailure(op, "tensor dialect not loaded");
    // A dequantized bias (int32 with scale s_x * s_w, as onnxruntime writes
    // it) is passed quantized; the epilogue dequantizes it exactly as the
    // qc.dequantize did.
    Value bias = op.getBias();
    if (bias)
      if (auto dq = bias.getDefiningOp<DequantizeOp>())
        if (!getUniformElementType(dq.getInput().getType()).isPerGroup())
          bias = dq.getInput();
    Value input = rebuildQuantized(rewriter, *data);
    Value weightValue = rebuildQuantized(rewriter, *weight);
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(input);
      op.getWeightMutable().assign(weightValue);
      if (bias)
        op.getBiasMutable().assign(bias);
    });
    return success();
  }
};

/// qc.quantize(integer qc.matmul/qc.conv -> float) -> the same op with the
/// quantized result type (requantizing epilogue), when the float result has
/// no other use.
struct FoldRequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Operation *producer = op.getInput().getDefiningOp();
    if (!producer || !isa<MatMulOp, ConvOp>(producer))
      return rewriter.notifyMatchFailure(op, "not a matmul or conv result");
    if (!producer->getResult(0).hasOneUse())
      return rewriter.notifyMatchFailure(op, "the float result has other uses");
    UniformType data = getUniformElementType(producer->getOperand(0).getType());
    if (!isIntegerKernelStorage(data))
      return rewriter.notifyMatchFailure(op, "not an integer kernel");
    UniformType result = getUniformElementType(op.getType());
    if (!result.isPerTensor() || !op.getSaturate() ||
        (!result.isFloat8() && result.getStorageWidth() >= 32))
      return rewriter.notifyMatchFailure(
          op, "the epilogue requantizes per tensor to at most 16 bits");
    Operation *fused = rewriter.clone(*producer);
    fused->getResult(0).setType(op.getType());
    rewriter.replaceOp(op, fused->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// qc.quantize of a float constant -> the integer constant (ONNX
/// QuantizeLinear arithmetic, evaluated on the host).
struct FoldConstantQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    UniformType type = getUniformElementType(op.getType());
    if (type.isFloat8() || type.isPerGroup() ||
        !type.getExpressedType().isF32())
      return rewriter.notifyMatchFailure(op, "unsupported quantized type");
    FailureOr<ConstantWeight> weight = readConstantWeight(op.getInput());
    if (failed(weight))
      return rewriter.notifyMatchFailure(op, "input is not a constant");
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> shape = resultType.getShape();
    int64_t channels = 1, inner = 1;
    if (type.isPerAxis()) {
      channels = shape[type.getAxis()];
      for (int64_t d = type.getAxis() + 1, e = shape.size(); d < e; ++d)
        inner *= shape[d];
    }
    SmallVector<double> scales = type.getScaleValues();
    SmallVector<int64_t> zeroPoints = type.getZeroPointValues();
    math::StorageRange range{type.getStorageMin(), type.getStorageMax()};
    unsigned width = type.getStorageWidth();
    IntegerType storage = type.getStorageMemoryType();
    auto storageType = RankedTensorType::get(shape, storage);
    size_t count = weight->values.size();
    ElementsAttr attr;
    if (width == 8 || width == 16 || width == 32) {
      size_t bytes = width / 8;
      std::vector<char> raw(count * bytes);
      for (size_t i = 0; i < count; ++i) {
        int64_t c = (int64_t(i) / inner) % channels;
        int64_t q = math::quantize(weight->values[i], float(scales[c]),
                                   zeroPoints[c], range);
        uint32_t bits = uint32_t(q);
        std::memcpy(raw.data() + i * bytes, &bits, bytes); // little endian
      }
      attr = createConstantAttr(storageType, raw, "qweight");
    } else {
      SmallVector<APInt> values;
      for (size_t i = 0; i < count; ++i) {
        int64_t c = (int64_t(i) / inner) % channels;
        int64_t q = math::quantize(weight->values[i], float(scales[c]),
                                   zeroPoints[c], range);
        values.push_back(APInt(width, uint64_t(q), /*isSigned=*/false,
                               /*implicitTrunc=*/true));
      }
      attr = cast<ElementsAttr>(DenseElementsAttr::get(storageType, values));
    }
    Value constant =
        arith::ConstantOp::create(rewriter, op.getLoc(), cast<TypedAttr>(attr));
    rewriter.replaceOpWithNewOp<StorageCastOp>(op, resultType, constant);
    return success();
  }
};

struct FoldQDQPass : public qc::impl::FoldQDQPassBase<FoldQDQPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldDequantizedMatMul, FoldDequantizedConv, FoldRequantize,
                 FoldConstantQuantize>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
