//===- SmoothQuant.cpp - Migrate activation outliers into weights ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// SmoothQuant (Xiao et al., 2023; shared/reference/algorithms.md section 6):
// for `y = x W` with W[K, N] constant, pick s[K] > 0 and compute
// `y = (x / s) (diag(s) W)`, the same function, where x / s has its outlier
// channels flattened (easier per-tensor activation quantization) and
// diag(s) W absorbs them (per-output-channel weight quantization copes).
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"
#include "qc/Quantization/WeightUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_SMOOTHQUANTPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

/// Lower bound of w_max and of the smoothing factors (the reference's).
static constexpr double kMinScale = 1e-5;

/// The first qc.observe on `value` that carries statistics.
static ObserveOp findObserve(Value value) {
  for (Operation *user : value.getUsers())
    if (auto observe = dyn_cast<ObserveOp>(user))
      if (observe.getStatsAttr())
        return observe;
  return {};
}

/// A 1-D f32 dense attribute.
static DenseFPElementsAttr getF32Vector(MLIRContext *ctx,
                                        ArrayRef<double> values) {
  SmallVector<float> f(values.begin(), values.end());
  auto type = RankedTensorType::get({int64_t(f.size())}, Float32Type::get(ctx));
  return cast<DenseFPElementsAttr>(
      DenseElementsAttr::get(type, ArrayRef<float>(f)));
}

namespace {

/// A matmul SmoothQuant rewrites and its constant weight, [K, cols]
/// row-major.
struct Member {
  MatMulOp matmul;
  ConstantWeight weight;
  int64_t cols = 0;
};

struct SmoothQuantPass : public qc::impl::SmoothQuantPassBase<SmoothQuantPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!std::isfinite(alpha) || alpha < 0.0 || alpha > 1.0) {
      func.emitError() << "qc-smoothquant: alpha must be in [0, 1], got "
                       << alpha;
      return signalPassFailure();
    }

    // Scale-sharing groups: the smoothable matmuls of each activation, in
    // program order.
    llvm::MapVector<Value, SmallVector<Member>> groups;
    bool hadError = false;
    func.walk([&](MatMulOp matmul) {
      Value lhs = matmul.getLhs(), rhs = matmul.getRhs();
      auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
      auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
      if (!lhsType || !rhsType || !lhsType.getElementType().isF32() ||
          !rhsType.getElementType().isF32() || lhsType.getRank() == 0 ||
          !lhsType.hasStaticShape())
        return; // quantized, not f32, or dynamic
      // A weight [K, N] or [K] (treated as [K, 1]); batched weights are
      // left alone.
      if (rhsType.getRank() > 2)
        return;
      FailureOr<ConstantWeight> weight = readConstantWeight(rhs);
      if (failed(weight))
        return;
      ObserveOp observe = findObserve(lhs);
      if (!observe || !observe.getStatsAttr().hasChannelStats())
        return;
      StatsAttr stats = observe.getStatsAttr();
      int64_t k = lhsType.getShape().back();
      if (stats.getChannelAxis() != lhsType.getRank() - 1)
        return; // statistics along another dimension
      if (stats.getNumChannels() != k) {
        observe.emitError()
            << "per-channel statistics of '" << observe.getName() << "' have "
            << stats.getNumChannels() << " channels but the matmul contracts "
            << k;
        hadError = true;
        return;
      }
      Member member{matmul, std::move(*weight),
                    rhsType.getRank() == 2 ? rhsType.getDimSize(1) : 1};
      groups[lhs].push_back(std::move(member));
    });
    if (hadError)
      return signalPassFailure();

    for (auto &[lhs, members] : groups)
      smoothGroup(lhs, members);
  }

  /// Computes one s for all matmuls reading `lhs`, rewrites their weights,
  /// inserts `lhs * (1 / s)` and moves the statistics onto it.
  void smoothGroup(Value lhs, MutableArrayRef<Member> members) {
    MLIRContext *ctx = &getContext();
    ObserveOp observe = findObserve(lhs);
    StatsAttr stats = observe.getStatsAttr();
    int64_t k = stats.getNumChannels();
    SmallVector<double> channelMin, channelMax;
    for (const APFloat &v : stats.getChannelMin().getValues<APFloat>())
      channelMin.push_back(toDouble(v));
    for (const APFloat &v : stats.getChannelMax().getValues<APFloat>())
      channelMax.push_back(toDouble(v));

    // w_max over every weight of the group, then s.
    SmallVector<double> wMax(k, 0.0);
    for (const Member &m : members)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t n = 0; n < m.cols; ++n)
          wMax[j] = std::max(
              wMax[j], double(std::fabs(m.weight.values[j * m.cols + n])));
    SmallVector<double> scale(k), inverse(k);
    for (int64_t j = 0; j < k; ++j) {
      double act = std::max(std::fabs(channelMin[j]), std::fabs(channelMax[j]));
      double w = std::max(wMax[j], kMinScale);
      double s =
          std::max(std::pow(act, alpha) / std::pow(w, 1.0 - alpha), kMinScale);
      // A channel that was always zero has nothing to migrate; keep s = 1
      // also where a scaled weight, range or factor would leave f32.
      if (act == 0.0 || !std::isfinite(s) || !std::isfinite(float(1.0 / s)) ||
          !std::isfinite(float(wMax[j] * s)) || !std::isfinite(float(act / s)))
        s = 1.0;
      scale[j] = s;
      inverse[j] = 1.0 / s;
    }

    // The weights: diag(s) W, a new constant per matmul (the old one may be
    // shared with other users).
    OpBuilder b(ctx);
    for (Member &m : members) {
      std::vector<float> values = m.weight.values;
      for (int64_t j = 0; j < k; ++j)
        for (int64_t n = 0; n < m.cols; ++n) {
          float &w = values[j * m.cols + n];
          w = float(double(w) * scale[j]);
        }
      auto type = cast<RankedTensorType>(m.matmul.getRhs().getType());
      b.setInsertionPoint(m.matmul);
      ElementsAttr attr = createConstantAttr(
          type,
          ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float)),
          "smoothquant_weight");
      Value oldWeight = m.matmul.getRhs();
      Value newWeight = arith::ConstantOp::create(b, m.matmul.getLoc(),
                                                  cast<TypedAttr>(attr));
      m.matmul->setOperand(1, newWeight);
      eraseDeadProducers(oldWeight);
    }

    // The activation: lhs * (1 / s) along the last dimension, one multiply
    // shared by the group, right after lhs so the observe can follow it.
    Location loc = NameLoc::get(
        StringAttr::get(ctx, observe.getName() + "/smoothquant"), lhs.getLoc());
    b.setInsertionPointAfterValue(lhs);
    SmallVector<float> inverseF(inverse.begin(), inverse.end());
    Value scaled = scaleLastDimension(b, loc, lhs, inverseF);
    Operation *multiply = scaled.getDefiningOp();
    for (Member &m : members)
      m.matmul->setOperand(0, scaled);

    // Statistics of lhs / s: per channel exactly, per tensor their extremes.
    // The histogram of |lhs| says nothing about lhs / s and is dropped.
    SmallVector<double> scaledMin(k), scaledMax(k);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t j = 0; j < k; ++j) {
      scaledMin[j] = channelMin[j] / scale[j];
      scaledMax[j] = channelMax[j] / scale[j];
      lo = std::min(lo, scaledMin[j]);
      hi = std::max(hi, scaledMax[j]);
    }
    auto newStats = StatsAttr::get(
        ctx, APFloat(lo), APFloat(hi), stats.getCount(), APFloat(0.0),
        DenseIntElementsAttr(), stats.getChannelAxis(),
        getF32Vector(ctx, scaledMin), getF32Vector(ctx, scaledMax));
    // Other users (a residual add, an attention matmul) still read lhs and
    // keep its probe; otherwise the probe moves to the scaled value.
    bool lhsStillUsed = llvm::any_of(lhs.getUsers(), [&](Operation *user) {
      return !isa<ObserveOp>(user) && user != multiply;
    });
    if (lhsStillUsed) {
      b.setInsertionPointAfter(multiply);
      ObserveOp::create(b, loc, scaled,
                        StringAttr::get(ctx, observe.getName() + "/smoothed"),
                        newStats);
    } else {
      observe->moveAfter(multiply);
      observe->setOperand(0, scaled);
      observe.setStatsAttr(newStats);
    }
  }

  static double toDouble(const APFloat &value) {
    APFloat copy = value;
    bool lost;
    copy.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    return copy.convertToDouble();
  }
};
} // namespace
