//===- QuantizeWeights.cpp - Weight-only low-bit quantization -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qc-quantize-weights: replaces the constant weights of float qc.matmul ops
// by group-wise INT4/INT8 constants (RTN, GPTQ or AWQ; the numerics live in
// LowBit.cpp). The matmul keeps its float activation operand and result, so
// its lowering dequantizes the weight inside the loop.
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/LowBit.h"
#include "qc/Quantization/Passes.h"
#include "qc/Quantization/WeightUtils.h"
#include "qc/Support/QuantMath.h"
#include "qc/Utils/ConstantWeights.h"
#include "qc/Utils/Locations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowbit;

/// The values of a float attribute named `name` on a qc.observe of `value`
/// with `size` elements; empty if there is none.
static std::vector<double> findObservedVector(Value value, StringRef name,
                                              int64_t size) {
  for (Operation *user : value.getUsers())
    if (auto observe = dyn_cast<ObserveOp>(user))
      if (auto attr = observe->getAttrOfType<DenseFPElementsAttr>(name))
        if (attr.getNumElements() == size) {
          std::vector<double> result;
          result.reserve(size);
          for (const APFloat &v : attr.getValues<APFloat>())
            result.push_back(v.convertToDouble());
          return result;
        }
  return {};
}

/// Whether `op` is a linalg.generic with only parallel loops and one result
/// (an elementwise or broadcasting map).
static bool isParallelGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic.getNumResults() == 1 &&
         generic.getNumLoops() == generic.getNumParallelLoops();
}

static bool isConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->hasTrait<OpTrait::ConstantLike>();
}

/// Whether `value` is a linear projection of an activation moved around by
/// layout ops: walking back through reshapes, transposes, slices and
/// elementwise ops with a single non-constant operand, it reaches a
/// qc.matmul with a constant weight. A softmax output is not (its division
/// reads two computed tensors).
static bool comesFromProjection(Value value, int depth = 0) {
  if (depth > 32)
    return false;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (auto matmul = dyn_cast<MatMulOp>(def))
    return isConstant(matmul.getRhs());
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
          tensor::ExtractSliceOp>(def))
    return comesFromProjection(def->getOperand(0), depth + 1);
  if (auto transpose = dyn_cast<linalg::TransposeOp>(def))
    return comesFromProjection(transpose.getInput(), depth + 1);
  if (isParallelGeneric(def)) {
    auto generic = cast<linalg::GenericOp>(def);
    Value computed;
    for (Value in : generic.getDpsInputs()) {
      if (isConstant(in))
        continue;
      if (computed)
        return false;
      computed = in;
    }
    return computed && comesFromProjection(computed, depth + 1);
  }
  return false;
}

/// The output columns of `matmul` (result [.., N]) that feed a query-key
/// product: followed forward through elementwise ops, slices of the last
/// dimension (a fused QKV split; the columns are tracked until the first
/// reshape or transpose) and layout ops, they reach a qc.matmul of two
/// computed operands whose other operand is also a projection
/// (comesFromProjection). That excludes V, whose partner is the softmax.
static std::vector<bool> queryKeyColumns(MatMulOp matmul, int64_t n) {
  std::vector<bool> result(n, false);
  struct Item {
    Value value;
    /// Columns [lo, hi) of the matmul's output; while `tracked`, the
    /// value's last dimension is exactly those columns.
    int64_t lo, hi;
    bool tracked;
    int depth;
  };
  SmallVector<Item> work = {{matmul.getResult(), 0, n, true, 0}};
  while (!work.empty()) {
    Item item = work.pop_back_val();
    if (item.depth > 32)
      continue;
    auto push = [&](Value v, int64_t lo, int64_t hi, bool tracked) {
      work.push_back({v, lo, hi, tracked, item.depth + 1});
    };
    for (OpOperand &use : item.value.getUses()) {
      Operation *user = use.getOwner();
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
        auto source = cast<RankedTensorType>(slice.getSourceType());
        int64_t rank = source.getRank();
        bool lastDimOnly = item.tracked && rank > 0 &&
                           !slice.getResultType().isDynamicDim(rank - 1) &&
                           slice.getResultType().getRank() == rank;
        for (int64_t d = 0; lastDimOnly && d < rank; ++d) {
          int64_t offset = slice.getStaticOffsets()[d];
          int64_t size = slice.getStaticSizes()[d];
          int64_t stride = slice.getStaticStrides()[d];
          lastDimOnly =
              stride == 1 && !ShapedType::isDynamic(offset) &&
              (d == rank - 1 || (offset == 0 && size == source.getDimSize(d)));
        }
        if (lastDimOnly) {
          int64_t lo = item.lo + slice.getStaticOffsets()[rank - 1];
          int64_t hi = std::min(item.hi, lo + slice.getStaticSizes()[rank - 1]);
          if (lo < hi)
            push(slice.getResult(), lo, hi, true);
        } else {
          push(slice.getResult(), item.lo, item.hi, false);
        }
      } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                     linalg::TransposeOp>(user)) {
        if (user->getNumResults() == 1 &&
            (!isa<linalg::TransposeOp>(user) || use.getOperandNumber() == 0))
          push(user->getResult(0), item.lo, item.hi, false);
      } else if (isParallelGeneric(user)) {
        auto generic = cast<linalg::GenericOp>(user);
        if (!generic.isDpsInput(&use))
          continue;
        bool sameColumns =
            item.tracked &&
            generic.getResult(0).getType() == item.value.getType() &&
            generic.getMatchingIndexingMap(&use).isIdentity() &&
            generic.getIndexingMapsArray().back().isIdentity();
        push(generic.getResult(0), item.lo, item.hi, sameColumns);
      } else if (auto product = dyn_cast<MatMulOp>(user)) {
        if (isConstant(product.getRhs()))
          continue;
        Value other =
            use.getOperandNumber() == 0 ? product.getRhs() : product.getLhs();
        if (comesFromProjection(other))
          for (int64_t c = item.lo; c < item.hi; ++c)
            result[c] = true;
      }
    }
  }
  return result;
}

namespace {

/// A matmul to quantize and its constant weight [K, N].
struct Member {
  MatMulOp matmul;
  ConstantWeight weight;
  int64_t k = 0, n = 0;
  /// Bits chosen for this weight (mixed precision may raise them).
  unsigned bits = 4;
  /// AWQ with awq-skip-qk-clip: the output columns that feed a query-key
  /// product (no clip search for them).
  std::vector<bool> queryKey;
};

struct QuantizeWeightsPass
    : public qc::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (fp8Format != "e4m3" && fp8Format != "e5m2") {
      func.emitError() << "qc-quantize-weights: unknown fp8-format '"
                       << fp8Format << "' (expected e4m3 or e5m2)";
      return signalPassFailure();
    }
    if (fp8WeightScales != "tensor" && fp8WeightScales != "channel") {
      func.emitError() << "qc-quantize-weights: unknown fp8-weight-scales '"
                       << fp8WeightScales << "' (expected tensor or channel)";
      return signalPassFailure();
    }
    if (scheme == "fp8")
      return runFP8();
    bool w4a8 = scheme == "w4a8";
    unsigned bits;
    if (scheme == "w4a16" || w4a8)
      bits = 4;
    else if (scheme == "w8a16")
      bits = 8;
    else {
      func.emitError() << "qc-quantize-weights: unknown scheme '" << scheme
                       << "' (expected w4a16, w8a16, w4a8 or fp8)";
      return signalPassFailure();
    }
    if (algo != "rtn" && algo != "gptq" && algo != "awq") {
      func.emitError() << "qc-quantize-weights: unknown algo '" << algo
                       << "' (expected rtn, gptq or awq)";
      return signalPassFailure();
    }
    if (groupSize < 0 || blockSize <= 0 || !(damp >= 0.0 && damp < 1.0)) {
      func.emitError() << "qc-quantize-weights: group-size must be >= 0, "
                          "block-size > 0 and damp in [0, 1)";
      return signalPassFailure();
    }
    if (w4a8 && algo == "awq") {
      func.emitError() << "qc-quantize-weights: scheme w4a8 supports algo "
                          "rtn and gptq";
      return signalPassFailure();
    }
    config.bits = bits;
    // w4a8: the integer kernel rescales per output channel after the i32
    // accumulation, so weights are symmetric per output channel.
    config.groupSize = w4a8 ? 0 : int64_t(groupSize);
    config.symmetric = w4a8 ? true : bool(symmetric);

    llvm::StringSet<> keep;
    for (const std::string &name : keepFloat)
      keep.insert(name);

    // The quantizable matmuls, grouped by the activation they read.
    llvm::MapVector<Value, SmallVector<Member>> groups;
    func.walk([&](MatMulOp matmul) {
      if (keep.count(getONNXNodeName(matmul.getLoc()).value_or("")))
        return;
      auto lhsType = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
      auto rhsType = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
      if (!lhsType || !rhsType || !lhsType.getElementType().isF32() ||
          !rhsType.getElementType().isF32() || rhsType.getRank() != 2 ||
          !lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
          !cast<RankedTensorType>(matmul.getType()).getElementType().isF32())
        return;
      FailureOr<ConstantWeight> weight = readConstantWeight(matmul.getRhs());
      if (failed(weight))
        return;
      // w4a8 quantizes the activation too: it needs its statistics.
      if (w4a8 && !findStats(matmul.getLhs()))
        return;
      Member m{matmul,
               std::move(*weight),
               rhsType.getDimSize(0),
               rhsType.getDimSize(1),
               bits,
               std::vector<bool>()};
      if (algo == "awq" && awqClip && awqSkipQKClip)
        m.queryKey = queryKeyColumns(matmul, m.n);
      groups[matmul.getLhs()].push_back(std::move(m));
    });

    if (mixedPrecision && failed(choosePrecision(groups)))
      return signalPassFailure();
    for (auto &[lhs, members] : groups) {
      if (failed(quantizeGroup(lhs, members)))
        return signalPassFailure();
      if (w4a8)
        quantizeActivation(lhs, members);
    }
  }

  /// Mixed precision (w4a16 only), the rule of the pass description: every
  /// group of matmuls sharing an input starts at 4 bits; in order of
  /// decreasing sensitivity (the largest relative output error of 4-bit RTN
  /// among its members, `sum_n d_n^T H d_n / sum_n w_n^T H w_n` from the
  /// calibration Hessian) a group moves to 8 bits unless the error budget
  /// (`max-error-increase`, on the sum of the members' relative errors) is
  /// already met or the size budget (`max-size-ratio`) would be exceeded.
  /// Each matmul gets a remark and a `qc.mixed_precision` attribute with its
  /// choice, sensitivity and reason; the function a remark with the totals.
  LogicalResult
  choosePrecision(llvm::MapVector<Value, SmallVector<Member>> &groups) {
    func::FuncOp func = getOperation();
    if (scheme != "w4a16")
      return func.emitError()
             << "qc-quantize-weights: mixed-precision applies to w4a16";
    bool sizeBudget = maxSizeRatio > 0.0;
    bool errorBudget = maxErrorIncrease > 0.0;
    if (!(maxSizeRatio >= 0.0) || !std::isfinite(maxSizeRatio) ||
        !(maxErrorIncrease >= 0.0) || !std::isfinite(maxErrorIncrease))
      return func.emitError()
             << "qc-quantize-weights: max-size-ratio and max-error-increase "
                "must be finite and non-negative";
    if (!sizeBudget && !errorBudget)
      return func.emitError()
             << "qc-quantize-weights: mixed-precision needs a budget: a "
                "positive max-size-ratio and/or max-error-increase";
    struct Choice {
      Value lhs;
      /// The largest 4-bit relative output error of the members.
      double sensitivity = 0.0;
      /// Sums of the members' relative output errors at 4 and 8 bits.
      double error4 = 0.0, error8 = 0.0;
      /// Each member's relative output errors at 4 and 8 bits.
      SmallVector<std::pair<double, double>> memberErrors;
      int64_t bytes4 = 0, bytes8 = 0;
      unsigned bits = 4;
      std::string reason;
    };
    SmallVector<Choice> choices;
    int64_t total = 0, floatBytes = 0;
    double error = 0.0;
    for (auto &[lhs, members] : groups) {
      Choice choice;
      choice.lhs = lhs;
      int64_t k = members.front().k;
      std::vector<double> hessian =
          findObservedVector(lhs, kHessianAttrName, k * k);
      if (hessian.empty())
        return members.front().matmul.emitError()
               << "mixed precision needs the calibration Hessian of this "
                  "matmul's input; calibrate with --calib";
      for (Member &m : members) {
        std::vector<float> zero(m.k * m.n, 0.0f);
        double ref = quadraticError(m.weight.values, zero, m.k, m.n, hessian);
        auto relativeError = [&](unsigned bits) {
          std::vector<float> deq =
              quantizeRTN(m.weight.values, m.k, m.n, configFor(m.k, bits))
                  .dequantize();
          double err = quadraticError(m.weight.values, deq, m.k, m.n, hessian);
          return ref > 0.0 ? err / ref : 0.0;
        };
        double r4 = relativeError(4), r8 = relativeError(8);
        choice.sensitivity = std::max(choice.sensitivity, r4);
        choice.error4 += r4;
        choice.error8 += r8;
        choice.memberErrors.push_back({r4, r8});
        QuantConfig c = configFor(m.k, 4);
        int64_t params = (m.k / c.groupSize) * m.n * (c.symmetric ? 4 : 8);
        choice.bytes4 += (m.k * m.n + 1) / 2 + params;
        choice.bytes8 += m.k * m.n + params;
        floatBytes += 4 * m.k * m.n;
      }
      total += choice.bytes4;
      error += choice.error4;
      choices.push_back(choice);
    }
    double budget = maxSizeRatio * double(floatBytes);
    auto format = [](double v) {
      std::string text;
      llvm::raw_string_ostream(text) << llvm::format("%.3g", v);
      return text;
    };
    if (sizeBudget && double(total) > budget)
      emitWarning(func.getLoc())
          << "mixed precision: even all-4-bit weights take "
          << format(double(total) / double(floatBytes))
          << " of their f32 size, over max-size-ratio " << format(maxSizeRatio);
    SmallVector<Choice *> order;
    for (Choice &c : choices)
      order.push_back(&c);
    llvm::stable_sort(order, [](const Choice *a, const Choice *b) {
      return a->sensitivity > b->sensitivity;
    });
    for (Choice *c : order) {
      if (errorBudget && error <= maxErrorIncrease) {
        c->reason = "error budget met: estimated error " + format(error) +
                    " <= max-error-increase " + format(maxErrorIncrease);
        continue;
      }
      if (sizeBudget && double(total + c->bytes8 - c->bytes4) > budget) {
        c->reason =
            "8 bits would exceed max-size-ratio " + format(maxSizeRatio) +
            " (" +
            format(double(total + c->bytes8 - c->bytes4) / double(floatBytes)) +
            ")";
        continue;
      }
      c->bits = 8;
      c->reason = errorBudget
                      ? "estimated error " + format(error) +
                            " > max-error-increase " + format(maxErrorIncrease)
                      : "fits max-size-ratio " + format(maxSizeRatio);
      total += c->bytes8 - c->bytes4;
      error += c->error8 - c->error4;
    }
    int64_t raised = 0;
    MLIRContext *ctx = &getContext();
    for (Choice &c : choices) {
      raised += c.bits == 8;
      for (auto [m, errors] : llvm::zip(groups[c.lhs], c.memberErrors)) {
        m.bits = c.bits;
        // At the location only: no dump of the op with the remark.
        emitRemark(m.matmul.getLoc())
            << "mixed precision: '"
            << getONNXNodeName(m.matmul.getLoc()).value_or("matmul")
            << "' gets " << c.bits << "-bit weights: sensitivity "
            << format(c.sensitivity)
            << " (relative output error of 4-bit RTN on the calibration "
               "data; "
            << format(errors.second) << " at 8 bits); " << c.reason;
        Builder b(ctx);
        m.matmul->setAttr(
            "qc.mixed_precision",
            b.getDictionaryAttr(
                {b.getNamedAttr("bits", b.getI64IntegerAttr(c.bits)),
                 b.getNamedAttr("sensitivity",
                                b.getF64FloatAttr(c.sensitivity)),
                 b.getNamedAttr("error4", b.getF64FloatAttr(errors.first)),
                 b.getNamedAttr("error8", b.getF64FloatAttr(errors.second)),
                 b.getNamedAttr("reason", b.getStringAttr(c.reason))}));
      }
    }
    InFlightDiagnostic summary = emitRemark(func.getLoc());
    summary << "mixed precision: " << raised << " of " << choices.size()
            << " layer groups at 8 bits; weights "
            << format(double(total) / double(floatBytes))
            << " of their f32 size";
    if (sizeBudget)
      summary << " (max-size-ratio " << format(maxSizeRatio) << ")";
    summary << "; estimated error " << format(error);
    if (errorBudget)
      summary << " (max-error-increase " << format(maxErrorIncrease) << ")";
    summary.report();
    if (errorBudget && error > maxErrorIncrease)
      emitWarning(func.getLoc())
          << "mixed precision: the estimated error " << format(error)
          << " stays over max-error-increase " << format(maxErrorIncrease)
          << (sizeBudget ? " within max-size-ratio "
                         : " even with every layer at 8 bits")
          << (sizeBudget ? format(maxSizeRatio) : "");
    return success();
  }

  /// The statistics of the first probe on `value` that has them.
  static StatsAttr findStats(Value value) {
    for (Operation *user : value.getUsers())
      if (auto observe = dyn_cast<ObserveOp>(user))
        if (observe.getStatsAttr())
          return observe.getStatsAttr();
    return {};
  }

  /// w4a8: the members read `lhs` quantized per tensor to u8 (asymmetric,
  /// onnxruntime's scale/zero point from the calibrated [min, max]), so the
  /// matmul accumulates (x - zp_x) * w in i32 and rescales by s_x * s_w[n].
  void quantizeActivation(Value lhs, MutableArrayRef<Member> members) {
    StatsAttr stats = findStats(lhs);
    auto type = cast<RankedTensorType>(lhs.getType());
    math::QuantParams params = math::computeScaleZeroPoint(
        stats.getMin().convertToDouble(), stats.getMax().convertToDouble(), 0,
        255, /*symmetric=*/false);
    UniformType quant = UniformType::getInteger(
        &getContext(), 8, /*isSigned=*/false, Float32Type::get(&getContext()),
        params.scale, params.zeroPoint);
    OpBuilder b(&getContext());
    b.setInsertionPointAfterValue(lhs);
    Value q = QuantizeOp::create(
        b, lhs.getLoc(), RankedTensorType::get(type.getShape(), quant), lhs);
    for (Member &m : members)
      m.matmul->setOperand(0, q);
  }

  /// The effective configuration for K input channels.
  QuantConfig configFor(int64_t k, unsigned bits) const {
    QuantConfig c = config;
    c.bits = bits;
    if (c.groupSize == 0 || k % c.groupSize != 0)
      c.groupSize = k; // per output channel
    return c;
  }

  LogicalResult quantizeGroup(Value lhs, MutableArrayRef<Member> members) {
    int64_t k = members.front().k;
    QuantConfig c = configFor(k, members.front().bits);
    if (algo == "rtn") {
      for (Member &m : members)
        replaceWeight(m, quantizeRTN(m.weight.values, m.k, m.n, c));
      return success();
    }
    std::vector<double> hessian =
        findObservedVector(lhs, kHessianAttrName, k * k);
    if (hessian.empty())
      return members.front().matmul.emitError()
             << "--algo=" << algo
             << " needs the calibration Hessian of this matmul's input (a "
                "qc.observe with a ["
             << k << ", " << k << "] '" << kHessianAttrName
             << "' attribute); calibrate with --calib";
    if (algo == "gptq") {
      GPTQOptions options;
      options.blockSize = blockSize;
      options.percDamp = damp;
      options.actOrder = actOrder;
      for (Member &m : members) {
        std::string error;
        QuantizedWeight q =
            quantizeGPTQ(m.weight.values, m.k, m.n, hessian, c, options, error);
        if (!error.empty())
          return m.matmul.emitError() << "GPTQ failed: " << error;
        replaceWeight(m, q);
      }
      return success();
    }
    // AWQ: one scale vector for the whole group.
    std::vector<double> meanAbs = findObservedVector(lhs, kMeanAbsAttrName, k);
    if (meanAbs.empty())
      return members.front().matmul.emitError()
             << "--algo=awq needs the mean |x| per input channel of this "
                "matmul's input ('"
             << kMeanAbsAttrName << "' on its qc.observe); calibrate with "
             << "--calib";
    std::vector<std::vector<float>> weights;
    SmallVector<int64_t> cols;
    for (Member &m : members) {
      weights.push_back(m.weight.values);
      cols.push_back(m.n);
    }
    AWQOptions options;
    options.clip = awqClip;
    for (Member &m : members)
      options.noClipColumns.push_back(m.queryKey);
    AWQResult result =
        quantizeAWQ(weights, k, cols, meanAbs, hessian, c, options);
    for (auto [m, q] : llvm::zip(members, result.weights))
      replaceWeight(m, q);
    if (llvm::any_of(result.scales, [](double s) { return s != 1.0; }))
      insertInverseScale(lhs, members, result.scales);
    return success();
  }

  /// Replaces `m`'s weight by the quantized constant `q`.
  void replaceWeight(Member &m, const QuantizedWeight &q) {
    MLIRContext *ctx = &getContext();
    OpBuilder b(m.matmul);
    Location loc = m.matmul.getLoc();
    QuantConfig c = configFor(m.k, m.bits);
    auto f32 = Float32Type::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    int64_t groups = m.k / q.groupSize;
    auto paramType = RankedTensorType::get({groups, m.n}, f32);
    auto scales = DenseElementsAttr::get(paramType, ArrayRef<float>(q.scales));
    auto zeroPoints =
        DenseElementsAttr::get(RankedTensorType::get({groups, m.n}, i32),
                               ArrayRef<int32_t>(q.zeroPoints));
    auto storage = IntegerType::get(ctx, c.bits);
    UniformType type;
    if (scheme == "w4a8") {
      // Per output channel (axis 1), as the integer kernels need.
      SmallVector<double> channelScales(q.scales.begin(), q.scales.end());
      type =
          UniformType::getPerAxis(storage, /*isSigned=*/true, c.qmin(),
                                  c.qmax(), f32, /*axis=*/1, channelScales, {});
    } else {
      type = UniformType::get(ctx, storage, c.symmetric, c.qmin(), c.qmax(),
                              f32, /*axis=*/0, q.groupSize, scales, zeroPoints);
    }
    auto storageType = RankedTensorType::get({m.k, m.n}, storage);
    ElementsAttr attr;
    if (c.bits == 8) {
      std::vector<int8_t> bytes(q.codes.begin(), q.codes.end());
      attr = createConstantAttr(
          storageType,
          ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                         bytes.size()),
          "weight_only");
    } else {
      SmallVector<APInt> values;
      values.reserve(q.codes.size());
      for (int32_t code : q.codes)
        values.push_back(APInt(c.bits, uint64_t(int64_t(code)),
                               /*isSigned=*/true, /*implicitTrunc=*/true));
      attr = cast<ElementsAttr>(DenseElementsAttr::get(storageType, values));
    }
    Value constant = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
    Value quantized = StorageCastOp::create(
        b, loc, RankedTensorType::get({m.k, m.n}, type), constant);
    Value old = m.matmul.getRhs();
    m.matmul->setOperand(1, quantized);
    eraseDeadProducers(old);
  }

  /// Makes the members read `lhs * (1 / s)` (one multiply along the last
  /// dimension, right after lhs).
  void insertInverseScale(Value lhs, MutableArrayRef<Member> members,
                          ArrayRef<double> scales) {
    MLIRContext *ctx = &getContext();
    SmallVector<float> inverse;
    for (double s : scales)
      inverse.push_back(float(1.0 / s));
    std::string name =
        getONNXNodeName(members.front().matmul.getLoc()).value_or("matmul");
    Location loc =
        NameLoc::get(StringAttr::get(ctx, name + "/awq_scale"), lhs.getLoc());
    OpBuilder b(ctx);
    b.setInsertionPointAfterValue(lhs);
    Value scaled = scaleLastDimension(b, loc, lhs, inverse);
    for (Member &m : members)
      m.matmul->setOperand(0, scaled);
  }

  /// FP8 (E4M3FN or E5M2, `fp8-format`) with amax scales (`s = amax /
  /// max`) for the weight (per tensor or per output channel,
  /// `fp8-weight-scales`) and, from its calibration statistics, the
  /// activation (per tensor). The weight is stored as FP8 bytes and decoded
  /// in the matmul loop; the activation goes through qc.quantize (ONNX-exact
  /// saturating conversion) and qc.dequantize, i.e. the product of the FP8
  /// values accumulated in f32.
  void runFP8() {
    MLIRContext *ctx = &getContext();
    func::FuncOp func = getOperation();
    // runOnOperation checked both options.
    bool e5m2 = fp8Format == "e5m2";
    math::Float8Kind kind =
        e5m2 ? math::Float8Kind::E5M2 : math::Float8Kind::E4M3FN;
    FloatType storage = e5m2 ? FloatType(Float8E5M2Type::get(ctx))
                             : FloatType(Float8E4M3FNType::get(ctx));
    bool perChannel = fp8WeightScales == "channel";
    llvm::StringSet<> keep;
    for (const std::string &name : keepFloat)
      keep.insert(name);
    auto f32 = Float32Type::get(ctx);
    double maxFinite = math::float8MaxFinite(kind);
    int64_t qmax = int64_t(maxFinite);
    // amax / max rounded to f32; 1 for an all-zero (or non-finite) range.
    auto scaleFor = [&](double amax) {
      return amax > 0.0 && std::isfinite(amax) ? double(float(amax / maxFinite))
                                               : 1.0;
    };
    // One conversion per activation, shared by its matmuls.
    DenseMap<Value, Value> converted;
    SmallVector<MatMulOp> matmuls;
    func.walk([&](MatMulOp matmul) { matmuls.push_back(matmul); });
    for (MatMulOp matmul : matmuls) {
      if (keep.count(getONNXNodeName(matmul.getLoc()).value_or("")))
        continue;
      Value lhs = matmul.getLhs();
      auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
      auto rhsType = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
      if (!lhsType || !rhsType || !lhsType.getElementType().isF32() ||
          !rhsType.getElementType().isF32() || rhsType.getRank() != 2 ||
          !rhsType.hasStaticShape())
        continue;
      FailureOr<ConstantWeight> weight = readConstantWeight(matmul.getRhs());
      if (failed(weight))
        continue;
      StatsAttr stats = findStats(lhs);
      if (!stats)
        continue;

      OpBuilder b(matmul);
      Location loc = matmul.getLoc();
      int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
      // amax per output channel (column n of the [K, N] weight).
      SmallVector<double> amax(n, 0.0);
      for (int64_t i = 0; i < k * n; ++i) {
        float v = weight->values[i];
        if (std::isfinite(v))
          amax[i % n] = std::max(amax[i % n], double(std::fabs(v)));
      }
      SmallVector<double> scales;
      UniformType wType;
      if (perChannel) {
        for (double a : amax)
          scales.push_back(scaleFor(a));
        wType = UniformType::getPerAxis(storage, /*isSigned=*/true, -qmax, qmax,
                                        f32, /*axis=*/1, scales, {});
      } else {
        double a = 0.0;
        for (double c : amax)
          a = std::max(a, c);
        scales.assign(n, scaleFor(a));
        wType = UniformType::getPerTensor(storage, /*isSigned=*/true, -qmax,
                                          qmax, f32, scales.front(), 0);
      }
      std::vector<uint8_t> bytes;
      bytes.reserve(weight->values.size());
      for (int64_t i = 0; i < k * n; ++i)
        bytes.push_back(math::encodeFloat8(
            weight->values[i] / float(scales[i % n]), kind, /*saturate=*/true));
      auto storageType =
          RankedTensorType::get(rhsType.getShape(), IntegerType::get(ctx, 8));
      ElementsAttr attr = createConstantAttr(
          storageType,
          ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                         bytes.size()),
          "fp8_weight");
      Value constant = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
      Value newWeight = StorageCastOp::create(
          b, loc, RankedTensorType::get(rhsType.getShape(), wType), constant);

      Value &x8 = converted[lhs];
      if (!x8) {
        double lo = stats.getMin().convertToDouble();
        double hi = stats.getMax().convertToDouble();
        UniformType xType = UniformType::getPerTensor(
            storage, /*isSigned=*/true, -qmax, qmax, f32,
            scaleFor(std::max(std::fabs(lo), std::fabs(hi))), 0);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointAfterValue(lhs);
        Value q = QuantizeOp::create(
            b, lhs.getLoc(), RankedTensorType::get(lhsType.getShape(), xType),
            lhs);
        x8 = DequantizeOp::create(b, lhs.getLoc(), lhsType, q);
      }
      Value old = matmul.getRhs();
      matmul->setOperand(0, x8);
      matmul->setOperand(1, newWeight);
      eraseDeadProducers(old);
    }
  }

  QuantConfig config;
};
} // namespace
