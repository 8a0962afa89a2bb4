//===- Calibration.h - Activation range selection ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The calibration methods that turn statistics of a tensor into the range
// its quantization covers. Plain C++ (no MLIR): the quantization passes call
// these on the statistics stored in the IR, and unit tests check them against
// the published regression anchors.
//
// All histogram methods work on a histogram of |x| with equal-width bins over
// [0, maxAbs] and return a clipping threshold t; the quantized range is then
// [max(min, -t), min(max, t)].
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_CALIBRATION_H
#define QC_SUPPORT_CALIBRATION_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlir::qc::calib {

/// A histogram of |x| over [0, maxAbs] in equal-width bins.
struct Histogram {
  double maxAbs = 0.0;
  std::vector<int64_t> counts;

  /// Upper edge of bin `i` (edges[i + 1] in numpy terms).
  double upperEdge(size_t i) const {
    return maxAbs * double(i + 1) / double(counts.size());
  }
  int64_t total() const;
};

/// Adds |x| for each of `n` values to `hist`, whose range must already
/// cover them (values beyond maxAbs land in the last bin).
void accumulate(Histogram &hist, const float *values, int64_t n);

/// Threshold below which `percentile` percent of the mass lies (onnxruntime
/// and ModelOpt: the upper edge of the first bin whose cumulative share
/// reaches percentile/100).
double percentileThreshold(const Histogram &hist, double percentile);

/// TensorRT's entropy calibration (IInt8EntropyCalibrator2, as ModelOpt and
/// pytorch-quantization implement it): for every candidate clip bin
/// i >= startBin, fold the clipped mass into bin i-1, quantize the first i
/// bins into 2^(bits-1) levels spread uniformly over their non-empty bins,
/// and take the largest i minimizing KL(P || Q). Bin 0 is replaced by bin 1
/// to ignore the spike of exact zeros (ReLU, padding).
double entropyThreshold(const Histogram &hist, unsigned bits = 8,
                        unsigned startBin = 128, unsigned stride = 1);

/// ModelOpt's histogram MSE: for candidate thresholds at the bin centers
/// from bin `startBin` on, the expected squared error of symmetric narrow
/// fake quantization with `bits` bits over the histogram's mass; returns the
/// threshold with the smallest error.
double mseThreshold(const Histogram &hist, unsigned bits = 8,
                    unsigned startBin = 128);

/// Moving-average min/max (PyTorch observer style): the first batch sets
/// the range, then each batch moves it by `constant` towards its own.
struct MovingAverageMinMax {
  double constant = 0.01;
  bool initialized = false;
  double min = 0.0, max = 0.0;
  void update(double batchMin, double batchMax);
};

} // namespace mlir::qc::calib

#endif // QC_SUPPORT_CALIBRATION_H
