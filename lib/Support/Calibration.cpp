//===- Calibration.cpp - Activation range selection -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlir::qc::calib {

int64_t Histogram::total() const {
  int64_t n = 0;
  for (int64_t c : counts)
    n += c;
  return n;
}

void accumulate(Histogram &hist, const float *values, int64_t n) {
  size_t bins = hist.counts.size();
  if (bins == 0)
    return;
  double scale = hist.maxAbs > 0 ? double(bins) / hist.maxAbs : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double a = std::fabs(double(values[i]));
    if (!std::isfinite(a))
      continue;
    size_t bin = std::min(bins - 1, size_t(a * scale));
    ++hist.counts[bin];
  }
}

double percentileThreshold(const Histogram &hist, double percentile) {
  int64_t total = hist.total();
  if (total == 0 || hist.counts.empty())
    return hist.maxAbs;
  double target = percentile / 100.0 * double(total);
  int64_t cumulative = 0;
  for (size_t i = 0; i < hist.counts.size(); ++i) {
    cumulative += hist.counts[i];
    if (double(cumulative) >= target)
      return hist.upperEdge(i);
  }
  return hist.maxAbs;
}

double entropyThreshold(const Histogram &hist, unsigned bits, unsigned startBin,
                        unsigned stride) {
  size_t nbins = hist.counts.size();
  if (nbins == 0 || hist.total() == 0)
    return hist.maxAbs;
  std::vector<double> h(hist.counts.begin(), hist.counts.end());
  if (nbins > 1)
    h[0] = h[1];
  size_t levels = size_t(1) << (bits - 1);
  size_t first = std::min<size_t>(std::max<size_t>(startBin, levels), nbins);
  double bestDivergence = std::numeric_limits<double>::infinity();
  size_t bestBin = nbins;
  std::vector<double> p, q;
  for (size_t i = first; i <= nbins; i += std::max(1u, stride)) {
    // P: the first i bins with the clipped mass folded into the last.
    p.assign(h.begin(), h.begin() + i);
    double outliers = 0;
    for (size_t k = i; k < nbins; ++k)
      outliers += h[k];
    p[i - 1] += outliers;
    // Q: each of `levels` levels spread uniformly over its non-empty bins.
    // Bin k maps to level floor(k * levels / i) (numpy digitize over
    // linspace(0, i, levels + 1)).
    q.assign(i, 0.0);
    std::vector<double> levelMass(levels, 0.0);
    std::vector<size_t> levelBins(levels, 0);
    for (size_t k = 0; k < i; ++k) {
      if (h[k] == 0)
        continue;
      size_t level = std::min(levels - 1, k * levels / i);
      levelMass[level] += h[k];
      ++levelBins[level];
    }
    for (size_t k = 0; k < i; ++k) {
      if (h[k] == 0)
        continue;
      size_t level = std::min(levels - 1, k * levels / i);
      q[k] = levelMass[level] / double(levelBins[level]);
    }
    double pSum = 0, qSum = 0;
    for (size_t k = 0; k < i; ++k) {
      pSum += p[k];
      qSum += q[k];
    }
    if (pSum <= 0 || qSum <= 0)
      continue;
    double divergence = 0;
    bool infinite = false;
    for (size_t k = 0; k < i; ++k) {
      if (p[k] <= 0)
        continue;
      double pk = p[k] / pSum, qk = q[k] / qSum;
      if (qk <= 0) {
        infinite = true;
        break;
      }
      divergence += pk * std::log(pk / qk);
    }
    if (infinite)
      continue;
    // Largest i attaining the minimum.
    if (divergence <= bestDivergence) {
      bestDivergence = divergence;
      bestBin = i;
    }
  }
  return hist.maxAbs * double(bestBin) / double(nbins);
}

double mseThreshold(const Histogram &hist, unsigned bits, unsigned startBin) {
  size_t nbins = hist.counts.size();
  int64_t total = hist.total();
  if (nbins == 0 || total == 0)
    return hist.maxAbs;
  double width = hist.maxAbs / double(nbins);
  double maxBound = double((1 << (bits - 1)) - 1);
  double bestError = std::numeric_limits<double>::infinity();
  double best = hist.maxAbs;
  for (size_t i = std::min<size_t>(startBin, nbins - 1); i < nbins; ++i) {
    double amax = (double(i) + 0.5) * width;
    double error = 0;
    for (size_t k = 0; k < nbins; ++k) {
      if (hist.counts[k] == 0)
        continue;
      double c = (double(k) + 0.5) * width;
      double q = std::nearbyint(std::min(c, amax) * maxBound / amax);
      double fq = q * amax / maxBound;
      error += double(hist.counts[k]) * (fq - c) * (fq - c);
    }
    error /= double(total);
    if (error < bestError) {
      bestError = error;
      best = amax;
    }
  }
  return best;
}

void MovingAverageMinMax::update(double batchMin, double batchMax) {
  if (!initialized) {
    min = batchMin;
    max = batchMax;
    initialized = true;
    return;
  }
  min += constant * (batchMin - min);
  max += constant * (batchMax - max);
}

} // namespace mlir::qc::calib
