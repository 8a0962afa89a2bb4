//===- Quantize.cpp - Post-training quantization (W8A8) -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"
#include "qc/Quantization/WeightUtils.h"
#include "qc/Support/Calibration.h"
#include "qc/Support/QuantMath.h"
#include "qc/Utils/Locations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

/// The calibration statistics of `value`, if a probe watches it.
static StatsAttr findStats(Value value) {
  for (Operation *user : value.getUsers())
    if (auto observe = dyn_cast<ObserveOp>(user))
      if (auto stats = observe.getStatsAttr())
        return stats;
  return {};
}

/// The ONNX node name of an op's location.
static std::string nodeName(Operation *op) {
  return getONNXNodeName(op->getLoc()).value_or("");
}

namespace {
struct QuantizePass : public qc::impl::QuantizePassBase<QuantizePass> {
  using Base::Base;

  /// The range [rmin, rmax] the calibration method picks, or failure.
  FailureOr<std::pair<double, double>> pickRange(Operation *op,
                                                 StatsAttr stats) {
    double lo = stats.getMin().convertToDouble();
    double hi = stats.getMax().convertToDouble();
    if (calibMethod == "minmax")
      return std::make_pair(lo, hi);
    if (!stats.hasHistogram()) {
      op->emitError() << "calibration method '" << calibMethod
                      << "' needs histograms in the statistics";
      return failure();
    }
    calib::Histogram hist;
    hist.maxAbs = stats.getHistMax().convertToDouble();
    for (const APInt &c : stats.getHist().getValues<APInt>())
      hist.counts.push_back(c.getSExtValue());
    double t;
    if (calibMethod == "percentile")
      t = calib::percentileThreshold(hist, percentile);
    else if (calibMethod == "entropy")
      t = calib::entropyThreshold(hist);
    else if (calibMethod == "mse")
      t = calib::mseThreshold(hist);
    else {
      op->emitError() << "unknown calibration method '" << calibMethod
                      << "' (expected minmax, percentile, entropy or mse)";
      return failure();
    }
    return std::make_pair(std::max(lo, -t), std::min(hi, t));
  }

  /// The per-tensor activation type for a value with `stats`.
  FailureOr<UniformType> activationQuantType(Operation *op, StatsAttr stats,
                                             FloatType expressed) {
    FailureOr<std::pair<double, double>> range = pickRange(op, stats);
    if (failed(range))
      return failure();
    bool isSigned = activationType == "i8";
    math::StorageRange storage = math::integerRange(8, isSigned);
    // Symmetric int8 activations use [-127, 127] so that the zero point is
    // 0, as onnxruntime does.
    math::QuantParams params = math::computeScaleZeroPoint(
        range->first, range->second, isSigned ? -127 : 0, storage.max,
        /*symmetric=*/isSigned);
    return UniformType::getInteger(op->getContext(), 8, isSigned, expressed,
                                   params.scale, params.zeroPoint);
  }

  void runOnOperation() override {
    if (scheme != "w8a8") {
      getOperation().emitError() << "unknown quantization scheme '" << scheme
                                 << "' for qc-quantize (expected w8a8)";
      return signalPassFailure();
    }
    if (activationType != "u8" && activationType != "i8") {
      getOperation().emitError()
          << "activation-type must be u8 or i8, got '" << activationType << "'";
      return signalPassFailure();
    }
    llvm::StringSet<> keep;
    for (const std::string &name : keepFloat)
      keep.insert(name);

    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<MatMulOp, ConvOp>(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    // One quantize per (value, type), shared by its users.
    DenseMap<std::pair<Value, Type>, Value> quantized;
    auto quantizeValue = [&](Value v, UniformType type) -> Value {
      auto key = std::make_pair(v, Type(type));
      auto it = quantized.find(key);
      if (it != quantized.end())
        return it->second;
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(v);
      auto shaped = cast<RankedTensorType>(v.getType());
      Value q = QuantizeOp::create(
          b, v.getLoc(), RankedTensorType::get(shaped.getShape(), type), v);
      quantized[key] = q;
      return q;
    };

    for (Operation *op : ops) {
      if (keep.count(nodeName(op)))
        continue;
      Value data = op->getOperand(0), weight = op->getOperand(1);
      auto dataType = cast<RankedTensorType>(data.getType());
      auto expressed = dyn_cast<FloatType>(dataType.getElementType());
      if (!expressed || getUniformElementType(weight.getType()))
        continue; // already quantized
      StatsAttr dataStats = findStats(data);
      if (!dataStats)
        continue;
      FailureOr<UniformType> dataQuant =
          activationQuantType(op, dataStats, expressed);
      if (failed(dataQuant))
        return signalPassFailure();

      // The weight: a constant, quantized per output channel; or, for a
      // matmul of two activations, a second per-tensor activation.
      Value newWeight;
      int64_t weightRank = cast<ShapedType>(weight.getType()).getRank();
      int64_t channelAxis = isa<ConvOp>(op) ? 0 : weightRank - 1;
      if (FailureOr<ConstantWeight> w = readConstantWeight(weight);
          succeeded(w)) {
        b.setInsertionPoint(op);
        newWeight = quantizeWeightPerChannel(b, op->getLoc(), *w, channelAxis,
                                             /*bits=*/8);
      } else if (isa<MatMulOp>(op)) {
        StatsAttr weightStats = findStats(weight);
        if (!weightStats)
          continue;
        FailureOr<UniformType> weightQuant =
            activationQuantType(op, weightStats, expressed);
        if (failed(weightQuant))
          return signalPassFailure();
        newWeight = quantizeValue(weight, *weightQuant);
      } else {
        continue;
      }
      Value newData = quantizeValue(data, *dataQuant);
      op->setOperand(0, newData);
      op->setOperand(1, newWeight);
    }
  }
};
} // namespace
