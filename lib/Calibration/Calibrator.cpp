//===- Calibrator.cpp - Run a model natively to gather statistics ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Calibration/Calibrator.h"
#include "qc/Calibration/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Pipelines/Pipelines.h"

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

/// Per-channel layout of one probe's flat data: element i belongs to
/// channel (i / stride) % channels.
struct ChannelLayout {
  int64_t channels = 0, stride = 0;
};

/// State the observer hook updates.
struct HookState {
  std::vector<TensorStatistics> *stats = nullptr;
  /// One per probe; channels = 0 for probes without per-channel statistics.
  std::vector<ChannelLayout> layouts;
  bool histogramPass = false;
};

/// Folds the finite values of `data` into the per-channel min/max of `s`.
void accumulateChannels(TensorStatistics &s, const ChannelLayout &layout,
                        const float *data, int64_t count) {
  int64_t channels = layout.channels;
  double *lo = s.channelMin.data(), *hi = s.channelMax.data();
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

void observe(void *user, int32_t id, const float *data, int64_t count) {
  auto *state = static_cast<HookState *>(user);
  if (id < 0 || size_t(id) >= state->stats->size())
    return;
  TensorStatistics &s = (*state->stats)[id];
  if (state->histogramPass) {
    calib::accumulate(s.histogram, data, count);
    return;
  }
  if (!s.channelMin.empty())
    accumulateChannels(s, state->layouts[id], data, count);
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
  if (lo <= hi) {
    s.min = s.samples == 0 ? lo : std::min(s.min, lo);
    s.max = s.samples == 0 ? hi : std::max(s.max, hi);
    ++s.samples;
  }
}

/// Owns a loaded model and the temporary files behind it.
struct LoadedModel {
  qc_model_t *model = nullptr;
  SmallString<128> dir;
  ~LoadedModel() {
    qc_model_close(model);
    if (!dir.empty())
      llvm::sys::fs::remove_directories(dir);
  }
};

} // namespace

FailureOr<llvm::StringMap<TensorStatistics>>
mlir::qc::runCalibration(ModuleOp module, ArrayRef<CalibrationSample> samples,
                         const CalibrationOptions &options) {
  if (samples.empty())
    return module.emitError() << "calibration needs at least one sample";

  // 1. Build the calibration shared object.
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(module.getContext());
  pm.addPass(createLowerObserversPass());
  CPUPipelineOptions pipeline;
  pipeline.aot = true;
  pipeline.modelName = "calibration";
  buildCPUPipeline(pm, pipeline);
  if (failed(pm.run(*clone)))
    return module.emitError() << "building the calibration model failed";
  auto names = (*clone)->getAttrOfType<ArrayAttr>(kObserversAttrName);
  // qc-aot-export consumed the sizes; the names stay.
  if (!names || names.empty())
    return module.emitError()
           << "the model has nothing to calibrate (no qc.observe probes)";

  std::string error;
  FailureOr<TargetSpec> target = resolveTarget("host", "native", error);
  if (failed(target))
    return module.emitError() << error;
  LoadedModel loaded;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("qc-calibration", loaded.dir))
    return module.emitError()
           << "cannot create a temporary folder: " << ec.message();
  SmallString<128> objectPath(loaded.dir), soPath(loaded.dir);
  llvm::sys::path::append(objectPath, "calibration.o");
  llvm::sys::path::append(soPath, "calibration.so");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec)
      return module.emitError()
             << "cannot write " << objectPath << ": " << ec.message();
    if (failed(emitObject(*clone, *target, os)))
      return failure();
  }
  if (failed(linkSharedObject(objectPath, soPath, *target, error)))
    return module.emitError() << error;
  if (qc_model_open(soPath.c_str(), &loaded.model) != QC_OK)
    return module.emitError()
           << "cannot load the calibration model: " << qc_last_error();

  // 2. Run every sample (twice when histograms are wanted).
  std::vector<TensorStatistics> stats(names.size());
  HookState state;
  state.stats = &stats;
  state.layouts.resize(names.size());
  auto axes =
      (*clone)->getAttrOfType<DenseI64ArrayAttr>(kObserverChannelAxesAttrName);
  auto channels =
      (*clone)->getAttrOfType<DenseI64ArrayAttr>(kObserverChannelsAttrName);
  auto strides = (*clone)->getAttrOfType<DenseI64ArrayAttr>(
      kObserverChannelStridesAttrName);
  if (options.channelStatistics && axes && channels && strides &&
      axes.size() == int64_t(names.size()) &&
      channels.size() == int64_t(names.size()) &&
      strides.size() == int64_t(names.size())) {
    for (size_t id = 0; id < names.size(); ++id) {
      if (axes[id] < 0 || channels[id] <= 0 || strides[id] <= 0)
        continue;
      state.layouts[id] = {channels[id], strides[id]};
      stats[id].channelAxis = axes[id];
      stats[id].channelMin.assign(channels[id], INFINITY);
      stats[id].channelMax.assign(channels[id], -INFINITY);
    }
  }
  if (qc_model_set_observer(loaded.model, observe, &state) != QC_OK)
    return module.emitError() << qc_last_error();

  size_t numOutputs = qc_model_num_outputs(loaded.model);
  std::vector<std::vector<char>> outputBuffers(numOutputs);
  std::vector<qc_tensor_t> outputs(numOutputs);
  for (size_t i = 0; i < numOutputs; ++i) {
    qc_tensor_info_t info;
    qc_model_output_info(loaded.model, i, &info);
    size_t bytes = qc_dtype_size(info.dtype);
    for (int32_t d = 0; d < info.rank; ++d)
      bytes *= size_t(info.shape[d]);
    outputBuffers[i].resize(std::max<size_t>(bytes, 1));
    outputs[i] = {
        info.name, info.dtype, info.rank, info.shape, outputBuffers[i].data(),
        bytes};
  }
  unsigned passes = options.histograms ? 2 : 1;
  size_t total = passes * samples.size(), done = 0;
  for (unsigned pass = 0; pass < passes; ++pass) {
    if (pass == 1) {
      state.histogramPass = true;
      for (TensorStatistics &s : stats) {
        s.histogram.maxAbs = std::max(std::fabs(s.min), std::fabs(s.max));
        s.histogram.counts.assign(options.histogramBins, 0);
      }
    }
    for (auto [index, sample] : llvm::enumerate(samples)) {
      std::vector<qc_tensor_t> inputs;
      for (const CalibrationTensor &t : sample)
        inputs.push_back({t.name.c_str(), static_cast<qc_dtype_t>(t.dtype),
                          int32_t(t.shape.size()), t.shape.data(),
                          const_cast<char *>(t.data.data()), t.data.size()});
      if (qc_model_run(loaded.model, inputs.data(), inputs.size(),
                       outputs.data(), outputs.size()) != QC_OK)
        return module.emitError()
               << "calibration sample " << index << ": " << qc_last_error();
      if (options.progress)
        options.progress(++done, total);
    }
  }
  qc_model_set_observer(loaded.model, nullptr, nullptr);

  // Channels that never saw a finite value get [0, 0].
  for (TensorStatistics &s : stats)
    for (size_t c = 0; c < s.channelMin.size(); ++c)
      if (s.channelMin[c] > s.channelMax[c])
        s.channelMin[c] = s.channelMax[c] = 0.0;

  llvm::StringMap<TensorStatistics> result;
  for (auto [name, s] : llvm::zip(names, stats))
    result[cast<StringAttr>(name).getValue()] = std::move(s);
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
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}
