//===- LowBit.cpp - Group-wise low-bit weight quantization ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/LowBit.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

using namespace mlir::qc::lowbit;
using llvm::ArrayRef;

GroupParams mlir::qc::lowbit::computeGroupParams(double minValue,
                                                 double maxValue,
                                                 const QuantConfig &config) {
  GroupParams p;
  if (config.symmetric) {
    double amax = std::max(std::fabs(minValue), std::fabs(maxValue));
    p.scale = float(std::max(amax, 1e-5) / double(config.qmax()));
    p.zeroPoint = 0;
    return p;
  }
  // The range always contains 0 (as GPTQ's asymmetric quantizer; AutoAWQ
  // does not widen it, which breaks groups of one sign).
  minValue = std::min(minValue, 0.0);
  maxValue = std::max(maxValue, 0.0);
  p.scale = float(std::max(maxValue - minValue, 1e-5) / double(config.qmax()));
  double z = -std::nearbyint(minValue / double(p.scale));
  p.zeroPoint = int32_t(std::clamp(z, 0.0, double(config.qmax())));
  return p;
}

int32_t mlir::qc::lowbit::quantizeValue(double w, GroupParams p,
                                        const QuantConfig &config) {
  double q = std::nearbyint(w / double(p.scale)) + double(p.zeroPoint);
  if (!(q == q))
    q = p.zeroPoint;
  return int32_t(std::clamp(q, double(config.qmin()), double(config.qmax())));
}

float mlir::qc::lowbit::dequantizeValue(int32_t q, GroupParams p) {
  return float(q - p.zeroPoint) * p.scale;
}

std::vector<float> QuantizedWeight::dequantize() const {
  std::vector<float> result(k * n);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) {
      int64_t g = (r / groupSize) * n + c;
      result[r * n + c] =
          dequantizeValue(codes[r * n + c], {scales[g], zeroPoints[g]});
    }
  return result;
}

/// The parameters of rows [r0, r1) of column `c` of `w` [.., n].
template <typename T>
static GroupParams groupParamsOf(const T *w, int64_t n, int64_t r0, int64_t r1,
                                 int64_t c, const QuantConfig &config) {
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t r = r0; r < r1; ++r) {
    double v = w[r * n + c];
    if (!std::isfinite(v))
      continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi))
    lo = hi = 0.0;
  return computeGroupParams(lo, hi, config);
}

static int64_t effectiveGroup(const QuantConfig &config, int64_t k) {
  return (config.groupSize <= 0 || config.groupSize > k) ? k : config.groupSize;
}

QuantizedWeight mlir::qc::lowbit::quantizeRTN(ArrayRef<float> weight, int64_t k,
                                              int64_t n,
                                              const QuantConfig &config) {
  QuantizedWeight q;
  q.k = k;
  q.n = n;
  q.groupSize = effectiveGroup(config, k);
  int64_t groups = (k + q.groupSize - 1) / q.groupSize;
  q.codes.resize(k * n);
  q.scales.resize(groups * n);
  q.zeroPoints.resize(groups * n);
  for (int64_t g = 0; g < groups; ++g) {
    int64_t r0 = g * q.groupSize, r1 = std::min(k, r0 + q.groupSize);
    for (int64_t c = 0; c < n; ++c) {
      GroupParams p = groupParamsOf(weight.data(), n, r0, r1, c, config);
      q.scales[g * n + c] = p.scale;
      q.zeroPoints[g * n + c] = p.zeroPoint;
      for (int64_t r = r0; r < r1; ++r)
        q.codes[r * n + c] = quantizeValue(weight[r * n + c], p, config);
    }
  }
  return q;
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

/// In-place lower Cholesky factor of the SPD matrix `a` [k, k]; false if it
/// is not positive definite.
static bool choleskyLower(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (int64_t p = 0; p < j; ++p)
      d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0.0) || !std::isfinite(d))
      return false;
    d = std::sqrt(d);
    a[j * k + j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double v = a[i * k + j];
      for (int64_t p = 0; p < j; ++p)
        v -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = v / d;
    }
    for (int64_t i = 0; i < j; ++i)
      a[i * k + j] = 0.0;
  }
  return true;
}

/// The upper Cholesky factor U of H^-1 (U^T U = H^-1), or empty.
static std::vector<double> upperCholeskyOfInverse(std::vector<double> h,
                                                  int64_t k) {
  if (!choleskyLower(h, k))
    return {};
  // L^-1 by forward substitution, column by column.
  std::vector<double> linv(k * k, 0.0);
  for (int64_t c = 0; c < k; ++c) {
    linv[c * k + c] = 1.0 / h[c * k + c];
    for (int64_t i = c + 1; i < k; ++i) {
      double v = 0.0;
      for (int64_t p = c; p < i; ++p)
        v -= h[i * k + p] * linv[p * k + c];
      linv[i * k + c] = v / h[i * k + i];
    }
  }
  // H^-1 = L^-T L^-1.
  std::vector<double> inv(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double v = 0.0;
      for (int64_t p = i; p < k; ++p)
        v += linv[p * k + i] * linv[p * k + j];
      inv[i * k + j] = inv[j * k + i] = v;
    }
  if (!choleskyLower(inv, k))
    return {};
  std::vector<double> u(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j)
      u[j * k + i] = inv[i * k + j];
  return u;
}

QuantizedWeight mlir::qc::lowbit::quantizeGPTQ(
    ArrayRef<float> weight, int64_t k, int64_t n, ArrayRef<double> hessian,
    const QuantConfig &config, const GPTQOptions &options, std::string &error) {
  int64_t group = effectiveGroup(config, k);
  int64_t groups = (k + group - 1) / group;
  std::vector<double> w(weight.begin(), weight.end());
  std::vector<double> h(hessian.begin(), hessian.end());

  // Dead inputs (never non-zero in calibration): their weights cannot matter.
  for (int64_t j = 0; j < k; ++j)
    if (h[j * k + j] == 0.0) {
      h[j * k + j] = 1.0;
      for (int64_t c = 0; c < n; ++c)
        w[j * n + c] = 0.0;
    }

  // Static group parameters (act-order) from the untouched weight.
  std::vector<GroupParams> staticParams;
  std::vector<int64_t> perm(k);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder) {
    staticParams.resize(groups * n);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t c = 0; c < n; ++c)
        staticParams[g * n + c] = groupParamsOf(
            w.data(), n, g * group, std::min(k, (g + 1) * group), c, config);
    // Decreasing H[j, j]; ties keep the original order.
    std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      double da = h[a * k + a], db = h[b * k + b];
      return da != db ? da > db : a < b;
    });
    std::vector<double> pw(k * n), ph(k * k);
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t c = 0; c < n; ++c)
        pw[i * n + c] = w[perm[i] * n + c];
      for (int64_t j = 0; j < k; ++j)
        ph[i * k + j] = h[perm[i] * k + perm[j]];
    }
    w.swap(pw);
    h.swap(ph);
  }

  double meanDiag = 0.0;
  for (int64_t j = 0; j < k; ++j)
    meanDiag += h[j * k + j];
  meanDiag /= double(k);
  std::vector<double> u;
  for (int attempt = 0; attempt <= 10 && u.empty(); ++attempt) {
    std::vector<double> damped = h;
    double damp = (options.percDamp + 0.0025 * attempt) * meanDiag;
    for (int64_t j = 0; j < k; ++j)
      damped[j * k + j] += damp;
    u = upperCholeskyOfInverse(std::move(damped), k);
  }
  if (u.empty()) {
    error = "the Hessian is not positive definite even with damping";
    return {};
  }

  // Blocks hold whole groups.
  int64_t block = std::max<int64_t>(1, options.blockSize);
  // Per channel (one group of K): a single block, so that the parameters
  // come from the whole untouched row as in the reference.
  block = group >= block ? group : (block / group) * group;

  QuantizedWeight q;
  q.k = k;
  q.n = n;
  q.groupSize = group;
  q.codes.resize(k * n);
  q.scales.resize(groups * n);
  q.zeroPoints.resize(groups * n);
  std::vector<int32_t> codes(k * n);
  std::vector<GroupParams> params(n);
  std::vector<double> w1, e1;
  for (int64_t i1 = 0; i1 < k; i1 += block) {
    int64_t i2 = std::min(k, i1 + block), count = i2 - i1;
    w1.assign(w.begin() + i1 * n, w.begin() + i2 * n);
    e1.assign(count * n, 0.0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t c = i1 + i;
      if (options.actOrder) {
        int64_t g = perm[c] / group;
        for (int64_t col = 0; col < n; ++col)
          params[col] = staticParams[g * n + col];
      } else if (c % group == 0) {
        // The group lies inside this block (block is a multiple of group).
        int64_t end = std::min(count, i + group);
        for (int64_t col = 0; col < n; ++col) {
          params[col] = groupParamsOf(w1.data(), n, i, end, col, config);
          q.scales[(c / group) * n + col] = params[col].scale;
          q.zeroPoints[(c / group) * n + col] = params[col].zeroPoint;
        }
      }
      double d = u[c * k + c];
      double *row = &w1[i * n];
      double *err = &e1[i * n];
      for (int64_t col = 0; col < n; ++col) {
        int32_t code = quantizeValue(row[col], params[col], config);
        codes[c * n + col] = code;
        double deq = dequantizeValue(code, params[col]);
        err[col] = (row[col] - deq) / d;
        row[col] = deq;
      }
      for (int64_t j = i + 1; j < count; ++j) {
        double f = u[c * k + i1 + j];
        if (f == 0.0)
          continue;
        double *target = &w1[j * n];
        for (int64_t col = 0; col < n; ++col)
          target[col] -= err[col] * f;
      }
    }
    // Lazy update of the later rows: W[i2:] -= U[i1:i2, i2:]^T E1.
    for (int64_t j = i2; j < k; ++j) {
      double *target = &w[j * n];
      for (int64_t i = 0; i < count; ++i) {
        double f = u[(i1 + i) * k + j];
        if (f == 0.0)
          continue;
        const double *err = &e1[i * n];
        for (int64_t col = 0; col < n; ++col)
          target[col] -= err[col] * f;
      }
    }
  }

  // Undo the permutation.
  for (int64_t i = 0; i < k; ++i)
    for (int64_t col = 0; col < n; ++col)
      q.codes[perm[i] * n + col] = codes[i * n + col];
  if (options.actOrder)
    for (int64_t g = 0; g < groups * n; ++g) {
      q.scales[g] = staticParams[g].scale;
      q.zeroPoints[g] = staticParams[g].zeroPoint;
    }
  return q;
}

//===----------------------------------------------------------------------===//
// AWQ
//===----------------------------------------------------------------------===//

double mlir::qc::lowbit::quadraticError(ArrayRef<float> a, ArrayRef<float> b,
                                        int64_t k, int64_t n,
                                        ArrayRef<double> s) {
  std::vector<double> d(k * n), m(k * n, 0.0);
  for (int64_t i = 0; i < k * n; ++i)
    d[i] = double(a[i]) - double(b[i]);
  for (int64_t i = 0; i < k; ++i) {
    double *out = &m[i * n];
    for (int64_t j = 0; j < k; ++j) {
      double f = s[i * k + j];
      if (f == 0.0)
        continue;
      const double *in = &d[j * n];
      for (int64_t c = 0; c < n; ++c)
        out[c] += f * in[c];
    }
  }
  double total = 0.0;
  for (int64_t i = 0; i < k * n; ++i)
    total += d[i] * m[i];
  return total;
}

/// `Q(W diag(s)) / s` for B[K, N] (rows scaled).
static std::vector<float> fakeQuantScaled(ArrayRef<float> w, int64_t k,
                                          int64_t n, ArrayRef<double> s,
                                          const QuantConfig &config) {
  std::vector<float> scaled(k * n);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      scaled[r * n + c] = float(double(w[r * n + c]) * s[r]);
  std::vector<float> deq = quantizeRTN(scaled, k, n, config).dequantize();
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      deq[r * n + c] = float(double(deq[r * n + c]) / s[r]);
  return deq;
}

AWQResult mlir::qc::lowbit::quantizeAWQ(ArrayRef<std::vector<float>> weights,
                                        int64_t k, ArrayRef<int64_t> n,
                                        ArrayRef<double> meanAbs,
                                        ArrayRef<double> hessian,
                                        const QuantConfig &config,
                                        const AWQOptions &options) {
  int64_t group = effectiveGroup(config, k);
  // Sigma = H / 2 = X^T X / tokens.
  std::vector<double> sigma(hessian.begin(), hessian.end());
  for (double &v : sigma)
    v *= 0.5;
  int64_t totalN = 0;
  for (int64_t c : n)
    totalN += c;

  // Mean normalized weight magnitude per input channel (AutoAWQ duo
  // scaling): |W| over its group's max, averaged over all output channels.
  std::vector<double> wm(k, 0.0);
  for (size_t l = 0; l < weights.size(); ++l) {
    const std::vector<float> &w = weights[l];
    int64_t cols = n[l];
    for (int64_t g0 = 0; g0 < k; g0 += group) {
      int64_t g1 = std::min(k, g0 + group);
      for (int64_t c = 0; c < cols; ++c) {
        double gmax = 0.0;
        for (int64_t r = g0; r < g1; ++r)
          gmax = std::max(gmax, double(std::fabs(w[r * cols + c])));
        for (int64_t r = g0; r < g1; ++r)
          wm[r] += std::fabs(w[r * cols + c]) / (gmax + 1e-6);
      }
    }
  }
  for (double &v : wm)
    v /= double(std::max<int64_t>(totalN, 1));

  auto lossOf = [&](ArrayRef<double> s) {
    double loss = 0.0;
    for (size_t l = 0; l < weights.size(); ++l) {
      std::vector<float> deq = fakeQuantScaled(weights[l], k, n[l], s, config);
      loss += quadraticError(weights[l], deq, k, n[l], sigma);
    }
    return loss / double(std::max<int64_t>(totalN, 1));
  };

  AWQResult result;
  result.scales.assign(k, 1.0);
  result.rtnLoss = result.bestLoss = lossOf(result.scales);
  result.alpha = -1.0; // plain RTN
  for (int r = 0; r < options.gridSize; ++r) {
    double alpha = double(r) / double(options.gridSize);
    std::vector<double> s(k);
    double smax = 0.0, smin = INFINITY;
    for (int64_t j = 0; j < k; ++j) {
      double v =
          std::pow(meanAbs[j], alpha) / (std::pow(wm[j], 1.0 - alpha) + 1e-4);
      v = std::max(v, 1e-4);
      if (!std::isfinite(v))
        v = 1.0;
      s[j] = v;
      smax = std::max(smax, v);
      smin = std::min(smin, v);
    }
    double norm = std::sqrt(smax * smin);
    for (double &v : s) {
      v /= norm;
      if (!std::isfinite(v) || v <= 0.0)
        v = 1.0;
    }
    double loss = lossOf(s);
    if (loss < result.bestLoss) {
      result.bestLoss = loss;
      result.scales = s;
      result.alpha = alpha;
    }
  }

  // Clip search on diag(s) B with the input x / s, group by group: the
  // error of one group only depends on its block of Sigma.
  const std::vector<double> &s = result.scales;
  for (size_t l = 0; l < weights.size(); ++l) {
    int64_t cols = n[l];
    std::vector<float> scaled(k * cols);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < cols; ++c)
        scaled[r * cols + c] = float(double(weights[l][r * cols + c]) * s[r]);
    if (options.clip) {
      static const std::vector<bool> none;
      const std::vector<bool> &noClip =
          l < options.noClipColumns.size() ? options.noClipColumns[l] : none;
      std::vector<double> delta(group), value(group);
      for (int64_t g0 = 0; g0 < k; g0 += group) {
        int64_t g1 = std::min(k, g0 + group), len = g1 - g0;
        for (int64_t c = 0; c < cols; ++c) {
          if (c < int64_t(noClip.size()) && noClip[c])
            continue;
          double m0 = 0.0;
          for (int64_t r = g0; r < g1; ++r)
            m0 = std::max(m0, double(std::fabs(scaled[r * cols + c])));
          double bestErr = INFINITY, bestMax = m0;
          for (int i = 0; i < 10; ++i) {
            double m = m0 * (1.0 - double(i) / 20.0);
            double lo = INFINITY, hi = -INFINITY;
            for (int64_t r = 0; r < len; ++r) {
              value[r] = std::clamp(double(scaled[(g0 + r) * cols + c]), -m, m);
              lo = std::min(lo, value[r]);
              hi = std::max(hi, value[r]);
            }
            GroupParams p = computeGroupParams(lo, hi, config);
            for (int64_t r = 0; r < len; ++r)
              delta[r] = double(scaled[(g0 + r) * cols + c]) -
                         double(dequantizeValue(
                             quantizeValue(value[r], p, config), p));
            double err = 0.0;
            for (int64_t a = 0; a < len; ++a) {
              double row = 0.0;
              for (int64_t b = 0; b < len; ++b)
                row += sigma[(g0 + a) * k + g0 + b] / (s[g0 + a] * s[g0 + b]) *
                       delta[b];
              err += delta[a] * row;
            }
            if (err < bestErr) {
              bestErr = err;
              bestMax = m;
            }
          }
          for (int64_t r = g0; r < g1; ++r) {
            float &v = scaled[r * cols + c];
            v = float(std::clamp(double(v), -bestMax, bestMax));
          }
        }
      }
    }
    result.weights.push_back(quantizeRTN(scaled, k, cols, config));
  }
  return result;
}
