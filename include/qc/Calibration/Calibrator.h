//===- Calibrator.h - Run a model natively to gather statistics -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Calibration compiles the float model with its qc.observe probes lowered to
// calls into a hook, loads the shared object through the qc runtime, runs it
// on every calibration sample and accumulates per-probe statistics: min/max
// on a first pass, then (if a histogram method needs them) histograms of |x|
// over [0, max|x|] on a second pass. Probes on the data operand of a
// qc.matmul also get per-channel min/max along the contracted (last)
// dimension, which SmoothQuant needs. The statistics are then attached to the
// probes of the deployment module as #qc.stats, where quantization passes
// read them.
//
//===----------------------------------------------------------------------===//

#ifndef QC_CALIBRATION_CALIBRATOR_H
#define QC_CALIBRATION_CALIBRATOR_H

#include "qc/Support/Calibration.h"
#include "qc/Target/AOT/Codegen.h"
#include "qc/Utils/DType.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct qc_model;

namespace mlir::qc {

/// One input tensor of a calibration sample.
struct CalibrationTensor {
  std::string name;
  ONNXDType dtype = ONNXDType::Undefined;
  SmallVector<int64_t> shape;
  std::vector<char> data;
};

/// A complete feed of the model: one tensor per input.
using CalibrationSample = std::vector<CalibrationTensor>;

struct CalibrationOptions {
  /// Gather histograms (a second pass over the data).
  bool histograms = false;
  /// Moving-average min/max (PyTorch observer style, shared/reference
  /// algorithms.md section 3): each probe execution is one batch; the first
  /// sets the range, every later one moves it by this fraction towards its
  /// own min/max (per tensor and per channel). 0: plain min/max over all
  /// batches.
  double movingAverage = 0.0;
  unsigned histogramBins = 2048;
  /// Gather per-channel min/max where the probes ask for them (see
  /// qc-lower-observers); cheap, one compare per value.
  bool channelStatistics = true;
  /// Gather the second moments GPTQ and AWQ need for probes whose channels
  /// are the last, contiguous dimension (matmul inputs): `2/n X^T X` over
  /// the n rows (tokens) seen, and mean |x| per channel. K^2 work per token.
  bool secondMoments = false;
  /// Reports progress: (samples done, total) over both passes.
  std::function<void(size_t, size_t)> progress;
};

/// Statistics of one probe over all samples.
struct TensorStatistics {
  double min = 0, max = 0;
  int64_t samples = 0;
  /// NaN/Inf values seen (ignored by min/max and histograms).
  int64_t nonFinite = 0;
  calib::Histogram histogram;
  /// Per-channel min/max along `channelAxis` of the observed tensor (empty
  /// and -1 when not gathered). Channels that never saw a finite value have
  /// min = max = 0.
  int64_t channelAxis = -1;
  std::vector<double> channelMin, channelMax;
  /// The moving-average constant min/max were gathered with (0: plain).
  double movingAverage = 0.0;
  /// With CalibrationOptions::secondMoments: `2/n X^T X` [K, K] row-major
  /// and mean |x_j| [K] over the n finite rows of the observed tensor viewed
  /// as [n, K]; empty otherwise. Attached to the probe as the `qc.hessian`
  /// and `qc.mean_abs` attributes (qc/Quantization/LowBit.h).
  std::vector<double> hessian, meanAbs;
  int64_t rows = 0;
};

/// A module compiled natively for the host with its qc.observe probes
/// lowered to calls of the runtime's observer hook (qc-lower-observers),
/// loaded through the qc runtime. Calibration and quantization reports run
/// models this way.
class ProbedModel {
public:
  /// Where the per-channel statistics of one probe come from (see
  /// qc-lower-observers); channels = 0 for none.
  struct ChannelLayout {
    int64_t axis = -1, channels = 0, stride = 0;
  };
  /// A model output after `run`.
  struct Output {
    std::string name;
    ONNXDType dtype = ONNXDType::Undefined;
    SmallVector<int64_t> shape;
    std::vector<char> data;
  };
  /// Receives (probe id, data, element count) for every probe execution.
  using Observer = function_ref<void(int32_t, const float *, int64_t)>;

  ~ProbedModel();

  /// Compiles `module` (cloned, not changed). Fails with a diagnostic on the
  /// module if it has no probes or does not compile.
  static FailureOr<std::unique_ptr<ProbedModel>> build(ModuleOp module,
                                                       StringRef name);

  ArrayRef<std::string> probeNames() const { return names; }
  ArrayRef<ChannelLayout> channelLayouts() const { return layouts; }

  /// Runs one feed, calling `observer` for each probe execution; `outputs()`
  /// holds the results afterwards. Returns an error message, or "".
  std::string run(const CalibrationSample &sample, Observer observer);
  ArrayRef<Output> outputs() const { return results; }

private:
  ProbedModel() = default;

  qc_model *model = nullptr;
  SmallString<128> dir;
  std::vector<std::string> names;
  std::vector<ChannelLayout> layouts;
  std::vector<Output> results;
};

/// Runs calibration. `module` is the float model with qc.observe probes
/// (see qc-insert-observers) imported on the samples' shapes; it is cloned,
/// not changed. Reports errors (bad samples, compile or load failures) as
/// diagnostics on the module.
FailureOr<llvm::StringMap<TensorStatistics>>
runCalibration(ModuleOp module, ArrayRef<CalibrationSample> samples,
               const CalibrationOptions &options);

/// Sets the `stats` of every qc.observe in `module` from `stats`, by probe
/// name. Fails, naming it, on a probe that has none, and on per-channel
/// statistics that do not fit the observed tensor (a stale table).
LogicalResult attachStatistics(ModuleOp module,
                               const llvm::StringMap<TensorStatistics> &stats);

} // namespace mlir::qc

#endif // QC_CALIBRATION_CALIBRATOR_H
