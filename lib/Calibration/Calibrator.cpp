//===- Calibrator.cpp - Run a model natively to gather statistics ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Calibration/Calibrator.h"
#include "qc/Calibration/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Pipelines/Pipelines.h"
#include "qc/Quantization/LowBit.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "qc/qc_runtime.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Folds the finite values of `data` into per-channel minima and maxima.
void accumulateChannels(double *lo, double *hi,
                        const ProbedModel::ChannelLayout &layout,
                        const float *data, int64_t count) {
  int64_t channels = layout.channels;
  auto update = [&](int64_t c, float v) {
    if (!std::isfinite(v))
      return;
    lo[c] = std::min(lo[c], double(v));
    hi[c] = std::max(hi[c], double(v));
  };
  if (layout.stride == 1) {
    // The common case (the last dimension): whole rows of channels.
    int64_t i = 0;
    for (; i + channels <= count; i += channels)
      for (int64_t c = 0; c < channels; ++c)
        update(c, data[i + c]);
    for (int64_t c = 0; i < count; ++i, ++c)
      update(c, data[i]);
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    update((i / layout.stride) % channels, data[i]);
}

/// Accumulates the statistics of every probe of one calibration run.
class StatisticsCollector {
public:
  StatisticsCollector(const ProbedModel &model,
                      const CalibrationOptions &options)
      : layouts(model.channelLayouts()), movingAverage(options.movingAverage),
        stats(model.probeNames().size()), ema(stats.size()),
        channelEma(stats.size()) {
    for (size_t id = 0; id < stats.size(); ++id) {
      ema[id].constant = movingAverage;
      const ProbedModel::ChannelLayout &layout = layouts[id];
      if (options.secondMoments && layout.channels > 0 && layout.stride == 1) {
        int64_t k = layout.channels;
        stats[id].hessian.assign(k * k, 0.0);
        stats[id].meanAbs.assign(k, 0.0);
      }
      if (!options.channelStatistics || layout.channels <= 0)
        continue;
      stats[id].channelAxis = layout.axis;
      stats[id].channelMin.assign(layout.channels, INFINITY);
      stats[id].channelMax.assign(layout.channels, -INFINITY);
      channelEma[id].resize(layout.channels);
      for (calib::MovingAverageMinMax &m : channelEma[id])
        m.constant = movingAverage;
    }
  }

  void startHistogramPass(unsigned bins) {
    histogramPass = true;
    for (TensorStatistics &s : stats) {
      s.histogram.maxAbs = std::max(std::fabs(s.min), std::fabs(s.max));
      s.histogram.counts.assign(bins, 0);
    }
  }

  void observe(int32_t id, const float *data, int64_t count) {
    if (id < 0 || size_t(id) >= stats.size())
      return;
    TensorStatistics &s = stats[id];
    if (histogramPass) {
      calib::accumulate(s.histogram, data, count);
      return;
    }
    if (!s.channelMin.empty())
      observeChannels(id, data, count);
    if (!s.hessian.empty())
      observeSecondMoments(s, data, count);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < count; ++i) {
      float v = data[i];
      if (!std::isfinite(v)) {
        ++s.nonFinite;
        continue;
      }
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
    }
    if (!(lo <= hi))
      return;
    if (movingAverage > 0) {
      // Each execution of the probe is one batch.
      ema[id].update(lo, hi);
      s.min = ema[id].min;
      s.max = ema[id].max;
    } else {
      s.min = s.samples == 0 ? lo : std::min(s.min, lo);
      s.max = s.samples == 0 ? hi : std::max(s.max, hi);
    }
    ++s.samples;
  }

  std::vector<TensorStatistics> finish() {
    for (TensorStatistics &s : stats) {
      s.movingAverage = movingAverage;
      // Channels that never saw a finite value get [0, 0].
      for (size_t c = 0; c < s.channelMin.size(); ++c)
        if (s.channelMin[c] > s.channelMax[c])
          s.channelMin[c] = s.channelMax[c] = 0.0;
      // Sums -> 2/n X^T X (upper triangle mirrored) and mean |x|.
      if (!s.hessian.empty()) {
        int64_t k = s.meanAbs.size();
        double scale = s.rows > 0 ? 2.0 / double(s.rows) : 0.0;
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = i; j < k; ++j)
            s.hessian[i * k + j] = s.hessian[j * k + i] =
                s.hessian[i * k + j] * scale;
        for (double &v : s.meanAbs)
          v = s.rows > 0 ? v / double(s.rows) : 0.0;
      }
    }
    return std::move(stats);
  }

private:
  /// Adds x^T x and |x| of every finite row of `data` viewed as [.., K]
  /// (upper triangle only).
  static void observeSecondMoments(TensorStatistics &s, const float *data,
                                   int64_t count) {
    int64_t k = s.meanAbs.size();
    std::vector<double> row(k);
    for (int64_t r = 0; r + k <= count; r += k) {
      const float *x = data + r;
      bool finite = true;
      for (int64_t i = 0; i < k && finite; ++i)
        finite = std::isfinite(x[i]);
      if (!finite)
        continue;
      for (int64_t i = 0; i < k; ++i) {
        row[i] = x[i];
        s.meanAbs[i] += std::fabs(row[i]);
      }
      for (int64_t i = 0; i < k; ++i) {
        double xi = row[i];
        if (xi == 0.0)
          continue;
        double *acc = &s.hessian[i * k];
        for (int64_t j = i; j < k; ++j)
          acc[j] += xi * row[j];
      }
      ++s.rows;
    }
  }

  void observeChannels(int32_t id, const float *data, int64_t count) {
    TensorStatistics &s = stats[id];
    if (movingAverage <= 0) {
      accumulateChannels(s.channelMin.data(), s.channelMax.data(), layouts[id],
                         data, count);
      return;
    }
    size_t channels = s.channelMin.size();
    batchMin.assign(channels, INFINITY);
    batchMax.assign(channels, -INFINITY);
    accumulateChannels(batchMin.data(), batchMax.data(), layouts[id], data,
                       count);
    for (size_t c = 0; c < channels; ++c) {
      if (!(batchMin[c] <= batchMax[c]))
        continue;
      calib::MovingAverageMinMax &m = channelEma[id][c];
      m.update(batchMin[c], batchMax[c]);
      s.channelMin[c] = m.min;
      s.channelMax[c] = m.max;
    }
  }

  ArrayRef<ProbedModel::ChannelLayout> layouts;
  double movingAverage;
  bool histogramPass = false;
  std::vector<TensorStatistics> stats;
  std::vector<calib::MovingAverageMinMax> ema;
  std::vector<std::vector<calib::MovingAverageMinMax>> channelEma;
  std::vector<double> batchMin, batchMax;
};

/// The C observer hook: forwards to the run's callback.
void forwardObservation(void *user, int32_t id, const float *data,
                        int64_t count) {
  (*static_cast<ProbedModel::Observer *>(user))(id, data, count);
}

} // namespace

//===----------------------------------------------------------------------===//
// ProbedModel
//===----------------------------------------------------------------------===//

ProbedModel::~ProbedModel() {
  qc_model_close(model);
  if (!dir.empty())
    llvm::sys::fs::remove_directories(dir);
}

FailureOr<std::unique_ptr<ProbedModel>> ProbedModel::build(ModuleOp module,
                                                           StringRef name) {
  // Errors name the model's file, not the whole module.
  Location loc = module.getLoc();
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(module.getContext());
  pm.addPass(createLowerObserversPass());
  CPUPipelineOptions pipeline;
  pipeline.aot = true;
  pipeline.modelName = name.str();
  buildCPUPipeline(pm, pipeline);
  if (failed(pm.run(*clone)))
    return emitError(loc) << "building the " << name << " model failed";
  // qc-aot-export consumed the sizes; the names stay.
  auto names = (*clone)->getAttrOfType<ArrayAttr>(kObserversAttrName);
  if (!names)
    names = ArrayAttr::get(module.getContext(), {});

  std::string error;
  FailureOr<TargetSpec> target = resolveTarget("host", "native", error);
  if (failed(target))
    return emitError(loc) << error;
  std::unique_ptr<ProbedModel> result(new ProbedModel());
  for (Attribute n : names)
    result->names.push_back(cast<StringAttr>(n).str());
  result->layouts.resize(names.size());
  auto axes =
      (*clone)->getAttrOfType<DenseI64ArrayAttr>(kObserverChannelAxesAttrName);
  auto channels =
      (*clone)->getAttrOfType<DenseI64ArrayAttr>(kObserverChannelsAttrName);
  auto strides = (*clone)->getAttrOfType<DenseI64ArrayAttr>(
      kObserverChannelStridesAttrName);
  if (axes && channels && strides && axes.size() == int64_t(names.size()) &&
      channels.size() == int64_t(names.size()) &&
      strides.size() == int64_t(names.size()))
    for (size_t id = 0; id < names.size(); ++id)
      if (axes[id] >= 0 && channels[id] > 0 && strides[id] > 0)
        result->layouts[id] = {axes[id], channels[id], strides[id]};

  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("qc-" + name, result->dir))
    return emitError(loc) << "cannot create a temporary folder: "
                          << ec.message();
  SmallString<128> objectPath(result->dir), soPath(result->dir);
  llvm::sys::path::append(objectPath, name + ".o");
  llvm::sys::path::append(soPath, name + ".so");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec)
      return emitError(loc)
             << "cannot write " << objectPath << ": " << ec.message();
    if (failed(emitObject(*clone, *target, os)))
      return failure();
  }
  if (failed(linkSharedObject(objectPath, soPath, *target, error)))
    return emitError(loc) << error;
  if (qc_model_open(soPath.c_str(), &result->model) != QC_OK)
    return emitError(loc) << "cannot load the " << name
                          << " model: " << qc_last_error();

  size_t numOutputs = qc_model_num_outputs(result->model);
  result->results.resize(numOutputs);
  for (size_t i = 0; i < numOutputs; ++i) {
    qc_tensor_info_t info;
    qc_model_output_info(result->model, i, &info);
    Output &out = result->results[i];
    out.name = info.name;
    out.dtype = static_cast<ONNXDType>(info.dtype);
    out.shape.assign(info.shape, info.shape + info.rank);
    size_t bytes = qc_dtype_size(info.dtype);
    for (int32_t d = 0; d < info.rank; ++d)
      bytes *= size_t(info.shape[d]);
    out.data.resize(bytes);
  }
  return result;
}

std::string ProbedModel::run(const CalibrationSample &sample,
                             Observer observer) {
  std::vector<qc_tensor_t> inputs;
  for (const CalibrationTensor &t : sample)
    inputs.push_back({t.name.c_str(), static_cast<qc_dtype_t>(t.dtype),
                      int32_t(t.shape.size()), t.shape.data(),
                      const_cast<char *>(t.data.data()), t.data.size()});
  std::vector<qc_tensor_t> outputs;
  std::vector<char> dummy(1);
  for (Output &out : results)
    outputs.push_back({out.name.c_str(), static_cast<qc_dtype_t>(out.dtype),
                       int32_t(out.shape.size()), out.shape.data(),
                       out.data.empty() ? dummy.data() : out.data.data(),
                       out.data.size()});
  if (qc_model_set_observer(model, forwardObservation, &observer) != QC_OK)
    return qc_last_error();
  qc_status_t status = qc_model_run(model, inputs.data(), inputs.size(),
                                    outputs.data(), outputs.size());
  qc_model_set_observer(model, nullptr, nullptr);
  return status == QC_OK ? std::string() : std::string(qc_last_error());
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

FailureOr<llvm::StringMap<TensorStatistics>>
mlir::qc::runCalibration(ModuleOp module, ArrayRef<CalibrationSample> samples,
                         const CalibrationOptions &options) {
  if (samples.empty())
    return emitError(module.getLoc())
           << "calibration needs at least one sample";
  if (!(options.movingAverage >= 0 && options.movingAverage <= 1))
    return emitError(module.getLoc())
           << "the moving-average constant must be in [0, 1], got "
           << options.movingAverage;
  FailureOr<std::unique_ptr<ProbedModel>> model =
      ProbedModel::build(module, "calibration");
  if (failed(model))
    return failure();
  if ((*model)->probeNames().empty())
    return emitError(module.getLoc())
           << "the model has nothing to calibrate (no qc.observe probes)";

  StatisticsCollector collector(**model, options);
  auto observer = [&](int32_t id, const float *data, int64_t count) {
    collector.observe(id, data, count);
  };
  unsigned passes = options.histograms ? 2 : 1;
  size_t total = passes * samples.size(), done = 0;
  for (unsigned pass = 0; pass < passes; ++pass) {
    if (pass == 1)
      collector.startHistogramPass(options.histogramBins);
    for (auto [index, sample] : llvm::enumerate(samples)) {
      std::string error = (*model)->run(sample, observer);
      if (!error.empty())
        return emitError(module.getLoc())
               << "calibration sample " << index << ": " << error;
      if (options.progress)
        options.progress(++done, total);
    }
  }

  std::vector<TensorStatistics> stats = collector.finish();
  llvm::StringMap<TensorStatistics> result;
  for (auto [name, s] : llvm::zip((*model)->probeNames(), stats))
    result[name] = std::move(s);
  return result;
}

LogicalResult
mlir::qc::attachStatistics(ModuleOp module,
                           const llvm::StringMap<TensorStatistics> &stats) {
  OpBuilder b(module.getContext());
  WalkResult walk = module.walk([&](ObserveOp op) {
    auto it = stats.find(op.getName());
    if (it == stats.end()) {
      op.emitError() << "no calibration statistics for '" << op.getName()
                     << "'";
      return WalkResult::interrupt();
    }
    const TensorStatistics &s = it->second;
    if (s.samples == 0) {
      op.emitError() << "calibration saw no finite value of '" << op.getName()
                     << "'";
      return WalkResult::interrupt();
    }
    DenseIntElementsAttr hist;
    double histMax = 0.0;
    if (!s.histogram.counts.empty() && s.histogram.maxAbs > 0) {
      auto type = RankedTensorType::get({int64_t(s.histogram.counts.size())},
                                        b.getI64Type());
      hist = DenseIntElementsAttr::get(type,
                                       ArrayRef<int64_t>(s.histogram.counts));
      histMax = s.histogram.maxAbs;
    }
    int64_t channelAxis = -1;
    DenseFPElementsAttr channelMin, channelMax;
    if (!s.channelMin.empty()) {
      auto shaped = op.getInput().getType();
      int64_t channels = s.channelMin.size();
      if (s.channelAxis < 0 || s.channelAxis >= shaped.getRank() ||
          shaped.getDimSize(s.channelAxis) != channels ||
          s.channelMax.size() != s.channelMin.size()) {
        op.emitError() << "per-channel statistics of '" << op.getName() << "' ("
                       << channels << " channels along axis " << s.channelAxis
                       << ") do not fit the observed tensor " << shaped
                       << "; recalibrate";
        return WalkResult::interrupt();
      }
      auto type = RankedTensorType::get({channels}, b.getF32Type());
      SmallVector<float> lo(s.channelMin.begin(), s.channelMin.end());
      SmallVector<float> hi(s.channelMax.begin(), s.channelMax.end());
      channelAxis = s.channelAxis;
      channelMin = cast<DenseFPElementsAttr>(
          DenseElementsAttr::get(type, ArrayRef<float>(lo)));
      channelMax = cast<DenseFPElementsAttr>(
          DenseElementsAttr::get(type, ArrayRef<float>(hi)));
    }
    StatsAttr attr = StatsAttr::getChecked(
        [&] { return op.emitError(); }, module.getContext(), APFloat(s.min),
        APFloat(s.max), s.samples, APFloat(histMax), hist, channelAxis,
        channelMin, channelMax);
    if (!attr)
      return WalkResult::interrupt();
    op.setStatsAttr(attr);
    if (!s.hessian.empty()) {
      auto shaped = op.getInput().getType();
      int64_t k = s.meanAbs.size();
      if (shaped.getRank() == 0 || shaped.getShape().back() != k ||
          s.hessian.size() != size_t(k * k)) {
        op.emitError() << "second moments of '" << op.getName() << "' (" << k
                       << " channels) do not fit the observed tensor " << shaped
                       << "; recalibrate";
        return WalkResult::interrupt();
      }
      SmallVector<float> h(s.hessian.begin(), s.hessian.end());
      SmallVector<float> m(s.meanAbs.begin(), s.meanAbs.end());
      op->setAttr(
          lowbit::kHessianAttrName,
          DenseElementsAttr::get(RankedTensorType::get({k, k}, b.getF32Type()),
                                 ArrayRef<float>(h)));
      op->setAttr(
          lowbit::kMeanAbsAttrName,
          DenseElementsAttr::get(RankedTensorType::get({k}, b.getF32Type()),
                                 ArrayRef<float>(m)));
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}
