//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Upstream `linalg-fuse-elementwise-ops` fuses a producer into any consumer
// that reads it, including a reduction or a broadcast: for a matmul-shaped
// generic reading x[m, k] in an (m, n, k) loop nest, the producer of x (a
// quantize, a LayerNorm tail) is then recomputed N times. This pass fuses
// only where every consumer iteration reads a distinct producer element (the
// operand's indexing map is a permutation), so fusion never adds work.
//
// It also folds `linalg.transpose` ops into the generics around them: a
// consumer generic reads the transpose's input through a permuted indexing
// map, and a single-use producer generic writes the transposed layout
// directly. A channels-last convolution followed by an NCHW reduction (global
// average pooling, max pooling) then reads its data contiguously, once,
// instead of through a transposed copy. Only the order in which elements are
// addressed changes: the arithmetic is bit-identical.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

/// Fuse when the producer has no other user and the consumer reads each of
/// its elements exactly once.
static bool fusesWithoutRecomputation(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer)
    return false;
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  return map.isPermutation();
}

namespace {
/// Reads the input of a `linalg.transpose` directly in a generic that
/// consumes the transpose's result: for `t = transpose(x)` with
/// `t[i_0, ..., i_n] = x[..., i_k, ...]` where dimension `perm[k]` of `x` is
/// dimension k of `t`, the generic's map `m` for `t` becomes the map for `x`
/// with result `perm[k]` = `m`'s result k.
struct FoldTransposeIntoConsumer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<std::pair<OpOperand *, Value>> replaced;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto transpose = operand->get().getDefiningOp<linalg::TransposeOp>();
      if (!transpose)
        continue;
      ArrayRef<int64_t> perm = transpose.getPermutation();
      AffineMap map = maps[operand->getOperandNumber()];
      SmallVector<AffineExpr> results(perm.size());
      for (auto [k, p] : llvm::enumerate(perm))
        results[p] = map.getResult(k);
      maps[operand->getOperandNumber()] = AffineMap::get(
          map.getNumDims(), map.getNumSymbols(), results, op.getContext());
      replaced.emplace_back(operand, transpose.getInput());
    }
    if (replaced.empty())
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      for (auto [operand, input] : replaced)
        operand->set(input);
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
    return success();
  }
};

/// Makes a single-result, single-use generic write the layout that the
/// `linalg.transpose` of its result asks for: the generic's output map `m`
/// becomes the map with result k = `m`'s result `perm[k]`. The generic's
/// init must be unread by its body (a `tensor.empty`) or a `linalg.fill`,
/// which is refilled in the transposed shape.
struct FoldTransposeIntoProducer : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto producer = transpose.getInput().getDefiningOp<linalg::GenericOp>();
    if (!producer || !transpose.hasPureTensorSemantics() ||
        !producer.hasPureTensorSemantics() || producer->getNumResults() != 1 ||
        !producer->hasOneUse())
      return failure();
    OpOperand *init = producer.getDpsInitOperand(0);
    Value newInit = transpose.getInit();
    if (producer.payloadUsesValueFromOperand(init)) {
      auto fill = init->get().getDefiningOp<linalg::FillOp>();
      if (!fill)
        return rewriter.notifyMatchFailure(transpose,
                                           "producer reads a non-fill init");
      newInit = linalg::FillOp::create(rewriter, fill.getLoc(),
                                       fill.getInputs(), ValueRange{newInit})
                    .getResult(0);
    }
    SmallVector<AffineMap> maps = producer.getIndexingMapsArray();
    AffineMap out = maps.back();
    SmallVector<AffineExpr> results;
    for (int64_t p : transpose.getPermutation())
      results.push_back(out.getResult(p));
    maps.back() = AffineMap::get(out.getNumDims(), out.getNumSymbols(), results,
                                 producer.getContext());
    auto fused = linalg::GenericOp::create(
        rewriter, producer.getLoc(), TypeRange{newInit.getType()},
        producer.getDpsInputs(), ValueRange{newInit}, maps,
        producer.getIteratorTypesArray());
    rewriter.inlineRegionBefore(producer.getRegion(), fused.getRegion(),
                                fused.getRegion().begin());
    rewriter.replaceOp(transpose, fused->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

struct FuseElementwisePass
    : public qc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = fusesWithoutRecomputation;
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    patterns.add<FoldTransposeIntoConsumer, FoldTransposeIntoProducer>(ctx);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
