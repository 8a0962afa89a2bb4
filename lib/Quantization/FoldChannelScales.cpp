//===- FoldChannelScales.cpp - Fold per-channel scales into producers -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// AWQ and SmoothQuant make a matmul read `x * c` (c a constant vector along
// x's last dimension, built by scaleLastDimension). This pass folds c into
// the op that produced x when that op is affine in a per-channel constant:
// the affine step of a LayerNorm (`y = n * gamma + beta` becomes
// `n * (gamma c) + beta c`) or a matmul with a constant weight and an
// optional bias add (`y = a W + b` becomes `a (W diag(c)) + b c`; for a
// quantized weight the per-output-channel scales absorb c, so the codes stay
// as they are). The multiply stays where nothing can absorb it.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Quantization/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <optional>

namespace mlir::qc {
#define GEN_PASS_DEF_FOLDCHANNELSCALESPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// `x * c` with c a constant f32 vector along x's last dimension.
struct ChannelScale {
  linalg::GenericOp op;
  Value input;
  SmallVector<double> factors;
};

/// Where a channel scale folds: the LayerNorm-style affine generic (gamma and
/// optional beta inputs) or a matmul (optional bias-add generic).
struct Absorber {
  linalg::GenericOp affine;
  unsigned gammaInput = 0;
  std::optional<unsigned> betaInput;
  MatMulOp matmul;
  linalg::GenericOp biasAdd;
  unsigned biasInput = 0;
};

} // namespace

/// True for `(d0, ..., dn) -> (dn)`.
static bool isLastDimMap(AffineMap map) {
  unsigned rank = map.getNumDims();
  return rank > 0 && map.getNumSymbols() == 0 && map.getNumResults() == 1 &&
         map.getResult(0) == getAffineDimExpr(rank - 1, map.getContext());
}

/// An all-parallel generic with one f32 result of static shape written
/// through an identity map.
static bool isElementwise(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.getNumReductionLoops() != 0)
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
      !type.getElementType().isF32())
    return false;
  return op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

/// The values of a constant f32 vector of `size` elements, or nothing.
static std::optional<SmallVector<double>> getConstantVector(Value value,
                                                            int64_t size) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto type = cast<ShapedType>(attr.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != size ||
      !type.getElementType().isF32())
    return std::nullopt;
  SmallVector<double> values;
  for (const APFloat &v : attr.getValues<APFloat>())
    values.push_back(v.convertToFloat());
  return values;
}

/// The block argument's input index when it reads a constant f32 [K] vector
/// through a last-dimension map and has no other use in the body.
static std::optional<unsigned> channelConstantInput(linalg::GenericOp op,
                                                    Value v, int64_t k) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != op.getBody() ||
      arg.getArgNumber() >= op.getNumDpsInputs() || !arg.hasOneUse())
    return std::nullopt;
  OpOperand *operand = op.getDpsInputOperand(arg.getArgNumber());
  if (!isLastDimMap(op.getMatchingIndexingMap(operand)) ||
      !getConstantVector(operand->get(), k))
    return std::nullopt;
  return arg.getArgNumber();
}

/// `op` is `x * c` (the multiply scaleLastDimension builds).
static std::optional<ChannelScale> matchChannelScale(linalg::GenericOp op) {
  if (!isElementwise(op) || op.getNumDpsInputs() != 2)
    return std::nullopt;
  OpOperand *x = op.getDpsInputOperand(0);
  OpOperand *c = op.getDpsInputOperand(1);
  if (x->get().getType() != op->getResult(0).getType() ||
      !op.getMatchingIndexingMap(x).isIdentity() ||
      !isLastDimMap(op.getMatchingIndexingMap(c)))
    return std::nullopt;
  Block *body = op.getBody();
  if (body->getOperations().size() != 2)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(body->front());
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (!mul || yield.getValues().size() != 1 ||
      yield.getValues()[0] != mul.getResult())
    return std::nullopt;
  Value a0 = body->getArgument(0), a1 = body->getArgument(1);
  if (!((mul.getLhs() == a0 && mul.getRhs() == a1) ||
        (mul.getLhs() == a1 && mul.getRhs() == a0)))
    return std::nullopt;
  int64_t k =
      cast<RankedTensorType>(op->getResult(0).getType()).getShape().back();
  std::optional<SmallVector<double>> factors = getConstantVector(c->get(), k);
  if (!factors || llvm::any_of(*factors, [](double f) {
        return !std::isfinite(f) || !(f > 0.0);
      }))
    return std::nullopt;
  return ChannelScale{op, x->get(), std::move(*factors)};
}

/// `x` = `n * gamma (+ beta)` from an elementwise generic that only the
/// multiply reads.
static std::optional<Absorber> matchAffine(Value x, int64_t k) {
  auto op = x.getDefiningOp<linalg::GenericOp>();
  if (!op || !x.hasOneUse() || !isElementwise(op))
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (yield.getValues().size() != 1)
    return std::nullopt;
  Value y = yield.getValues()[0];
  Absorber result;
  if (auto add = y.getDefiningOp<arith::AddFOp>()) {
    for (auto [product, bias] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      std::optional<unsigned> beta = channelConstantInput(op, bias, k);
      if (beta && product.getDefiningOp<arith::MulFOp>() &&
          product.hasOneUse()) {
        result.betaInput = beta;
        y = product;
        break;
      }
    }
    if (!result.betaInput)
      return std::nullopt;
  }
  auto mul = y.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != op.getBody())
    return std::nullopt;
  for (Value factor : {mul.getRhs(), mul.getLhs()}) {
    std::optional<unsigned> gamma = channelConstantInput(op, factor, k);
    if (gamma && gamma != result.betaInput) {
      result.affine = op;
      result.gammaInput = *gamma;
      return result;
    }
  }
  return std::nullopt;
}

/// A rank-2 constant weight W[K', N] whose columns (output channels) can be
/// scaled: a float constant, or a per-output-channel (per axis 1) or
/// per-group (axis 0) quantized constant.
static bool hasScalableColumns(Value weight) {
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape())
    return false;
  if (type.getElementType().isF32()) {
    // Only dense literals are rewritten (not dense_resource blobs).
    DenseFPElementsAttr attr;
    return matchPattern(weight, m_Constant(&attr));
  }
  auto cast = weight.getDefiningOp<StorageCastOp>();
  auto uniform = dyn_cast<UniformType>(type.getElementType());
  if (!cast || !uniform || !matchPattern(cast.getInput(), m_Constant()))
    return false;
  return (uniform.isPerAxis() && uniform.getAxis() == 1) ||
         (uniform.isPerGroup() && uniform.getAxis() == 0);
}

/// `x` = `a W (+ b)` from a matmul (and bias add) that only the multiply
/// reads.
static std::optional<Absorber> matchLinear(Value x, int64_t k) {
  if (!x.hasOneUse())
    return std::nullopt;
  Absorber result;
  Value product = x;
  if (auto add = x.getDefiningOp<linalg::GenericOp>()) {
    if (!isElementwise(add) || add.getNumDpsInputs() != 2 ||
        add.getBody()->getOperations().size() != 2)
      return std::nullopt;
    auto sum = dyn_cast<arith::AddFOp>(add.getBody()->front());
    if (!sum)
      return std::nullopt;
    for (unsigned i = 0; i < 2; ++i) {
      OpOperand *other = add.getDpsInputOperand(1 - i);
      std::optional<unsigned> bias =
          channelConstantInput(add, add.getBody()->getArgument(i), k);
      if (bias && other->get().getType() == x.getType() &&
          add.getMatchingIndexingMap(other).isIdentity() &&
          add.getBody()->getArgument(1 - i).hasOneUse() &&
          other->get().hasOneUse()) {
        result.biasAdd = add;
        result.biasInput = *bias;
        product = other->get();
        break;
      }
    }
    if (!result.biasAdd)
      return std::nullopt;
  }
  auto matmul = product.getDefiningOp<MatMulOp>();
  auto type = dyn_cast<RankedTensorType>(product.getType());
  if (!matmul || !type || !type.getElementType().isF32() ||
      !hasScalableColumns(matmul.getRhs()) ||
      cast<RankedTensorType>(matmul.getRhs().getType()).getShape().back() != k)
    return std::nullopt;
  result.matmul = matmul;
  return result;
}

/// A new f32 [K] constant `values * factors` before `op`.
static Value scaledVector(OpBuilder &b, Location loc, Value vector,
                          ArrayRef<double> factors) {
  SmallVector<double> values = *getConstantVector(vector, factors.size());
  SmallVector<float> scaled;
  for (auto [v, f] : llvm::zip(values, factors))
    scaled.push_back(float(v * f));
  auto type = RankedTensorType::get({int64_t(scaled.size())}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<float>(scaled)));
}

/// `weight` [K', N] with column n scaled by factors[n].
static Value scaledColumns(OpBuilder &b, Location loc, Value weight,
                           ArrayRef<double> factors) {
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t n = type.getShape().back();
  auto scaleColumns = [&](DenseFPElementsAttr attr, int64_t cols) {
    SmallVector<APFloat> values;
    int64_t i = 0;
    for (APFloat v : attr.getValues<APFloat>()) {
      bool lossy;
      double d = v.convertToDouble() * factors[i++ % cols];
      APFloat scaled(d);
      scaled.convert(v.getSemantics(), APFloat::rmNearestTiesToEven, &lossy);
      values.push_back(scaled);
    }
    return DenseElementsAttr::get(attr.getType(), values);
  };
  if (type.getElementType().isF32()) {
    DenseFPElementsAttr attr;
    matchPattern(weight, m_Constant(&attr));
    return arith::ConstantOp::create(b, loc, scaleColumns(attr, n));
  }
  auto cast = weight.getDefiningOp<StorageCastOp>();
  auto uniform = llvm::cast<UniformType>(type.getElementType());
  auto scales = llvm::cast<DenseFPElementsAttr>(uniform.getScales());
  auto newType = UniformType::get(
      b.getContext(), uniform.getStorageType(), uniform.getIsSigned(),
      uniform.getStorageMin(), uniform.getStorageMax(),
      uniform.getExpressedType(), uniform.getAxis(), uniform.getBlockSize(),
      scaleColumns(scales, n), uniform.getZeroPoints());
  return StorageCastOp::create(b, loc, type.clone(newType), cast.getInput());
}

namespace {

struct FoldChannelScalesPass
    : public qc::impl::FoldChannelScalesPassBase<FoldChannelScalesPass> {
  using FoldChannelScalesPassBase::FoldChannelScalesPassBase;

  void runOnOperation() override {
    SmallVector<ChannelScale> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<ChannelScale> scale = matchChannelScale(op))
        candidates.push_back(std::move(*scale));
    });
    for (ChannelScale &scale : candidates) {
      int64_t k = scale.factors.size();
      std::optional<Absorber> absorber = matchAffine(scale.input, k);
      if (!absorber && intoMatmul)
        absorber = matchLinear(scale.input, k);
      if (!absorber) {
        ++numKept;
        continue;
      }
      fold(scale, *absorber);
      ++numFolded;
    }
  }

  void fold(ChannelScale &scale, const Absorber &absorber) {
    OpBuilder b(&getContext());
    if (absorber.affine) {
      linalg::GenericOp op = absorber.affine;
      b.setInsertionPoint(op);
      SmallVector<unsigned, 2> inputs{absorber.gammaInput};
      if (absorber.betaInput)
        inputs.push_back(*absorber.betaInput);
      for (unsigned i : inputs) {
        OpOperand *operand = op.getDpsInputOperand(i);
        Value old = operand->get();
        operand->set(scaledVector(b, op.getLoc(), old, scale.factors));
        eraseIfDead(old);
      }
    } else {
      MatMulOp matmul = absorber.matmul;
      b.setInsertionPoint(matmul);
      Value old = matmul.getRhs();
      matmul->setOperand(1,
                         scaledColumns(b, matmul.getLoc(), old, scale.factors));
      eraseIfDead(old);
      if (linalg::GenericOp add = absorber.biasAdd) {
        b.setInsertionPoint(add);
        OpOperand *bias = add.getDpsInputOperand(absorber.biasInput);
        Value old = bias->get();
        bias->set(scaledVector(b, add.getLoc(), old, scale.factors));
        eraseIfDead(old);
      }
    }
    scale.op->getResult(0).replaceAllUsesWith(scale.input);
    SmallVector<Value> operands(scale.op->getOperands());
    scale.op->erase();
    for (Value operand : operands)
      eraseIfDead(operand);
  }

  /// Erases `value`'s defining op (and a storage cast's constant) when
  /// nothing reads it any more.
  static void eraseIfDead(Value value) {
    Operation *def = value.getDefiningOp();
    if (!def || !isOpTriviallyDead(def))
      return;
    SmallVector<Value> operands(def->getOperands());
    def->erase();
    for (Value operand : operands)
      eraseIfDead(operand);
  }
};

} // namespace
