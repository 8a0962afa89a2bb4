//===- CalibrationTest.cpp - Calibration methods vs published anchors -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Regression anchors from shared/reference/algorithms.md section 9(d):
// thresholds in units of the draw's standard deviation for 1e6 samples of
// each distribution, measured with the reference implementations (expect
// about +-5%). Thresholds that depend on the sample maximum (entropy and MSE
// of heavy tails) are checked by ordering only.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Calibration.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir::qc::calib;

namespace {

struct Sample {
  std::vector<float> values;
  double sigma;
};

enum class Dist { Gaussian, Laplace, StudentT3, ReluGaussian };

Sample draw(Dist dist, size_t n = 1000000, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::exponential_distribution<double> exponential(1.0);
  std::student_t_distribution<double> student(3.0);
  std::bernoulli_distribution coin(0.5);
  Sample s;
  s.values.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    double v;
    switch (dist) {
    case Dist::Gaussian:
      v = normal(rng);
      break;
    case Dist::Laplace:
      v = coin(rng) ? exponential(rng) : -exponential(rng);
      break;
    case Dist::StudentT3:
      v = student(rng);
      break;
    case Dist::ReluGaussian:
      v = std::max(0.0, normal(rng));
      break;
    }
    s.values.push_back(float(v));
  }
  double mean = 0, sq = 0;
  for (float v : s.values)
    mean += v;
  mean /= double(n);
  for (float v : s.values)
    sq += (v - mean) * (v - mean);
  s.sigma = std::sqrt(sq / double(n));
  return s;
}

Histogram histogramOf(const Sample &s, size_t bins = 2048) {
  Histogram h;
  for (float v : s.values)
    h.maxAbs = std::max(h.maxAbs, double(std::fabs(v)));
  h.counts.assign(bins, 0);
  accumulate(h, s.values.data(), int64_t(s.values.size()));
  return h;
}

void expectNear(double got, double want, double relTol, const char *what) {
  EXPECT_NEAR(got, want, want * relTol) << what;
}

TEST(Calibration, GaussianAnchors) {
  Sample s = draw(Dist::Gaussian);
  Histogram h = histogramOf(s);
  expectNear(percentileThreshold(h, 99.99) / s.sigma, 3.93, 0.05, "p99.99");
  expectNear(percentileThreshold(h, 99.999) / s.sigma, 4.50, 0.05, "p99.999");
  // Entropy keeps most of a Gaussian's range (the anchor table's 4.77 sigma
  // is the sample maximum; the reference lands at 0.85-1.0 of it depending
  // on the sample's tail); MSE clips near 4 sigma.
  double entropy = entropyThreshold(h);
  EXPECT_GE(entropy / h.maxAbs, 0.8);
  EXPECT_GT(entropy, percentileThreshold(h, 99.99));
  expectNear(mseThreshold(h) / s.sigma, 3.99, 0.05, "mse");
}

TEST(Calibration, LaplaceAnchors) {
  Sample s = draw(Dist::Laplace);
  Histogram h = histogramOf(s);
  expectNear(percentileThreshold(h, 99.99) / s.sigma, 6.40, 0.05, "p99.99");
  expectNear(percentileThreshold(h, 99.999) / s.sigma, 8.21, 0.06, "p99.999");
  expectNear(entropyThreshold(h) / s.sigma, 7.55, 0.10, "entropy");
  expectNear(mseThreshold(h) / s.sigma, 7.02, 0.08, "mse");
}

TEST(Calibration, StudentT3CutsHeavyTails) {
  Sample s = draw(Dist::StudentT3);
  Histogram h = histogramOf(s);
  double p9999 = percentileThreshold(h, 99.99) / s.sigma;
  expectNear(p9999, 16.3, 0.10, "p99.99");
  double entropy = entropyThreshold(h) / s.sigma;
  double mse = mseThreshold(h) / s.sigma;
  double max = h.maxAbs / s.sigma;
  // Entropy cuts the tail hardest; MSE less; both far below the maximum.
  EXPECT_LT(entropy, 0.5 * max);
  EXPECT_LT(mse, max);
  EXPECT_LT(entropy, percentileThreshold(h, 99.999) / s.sigma);
}

TEST(Calibration, ReluGaussianAnchors) {
  Sample s = draw(Dist::ReluGaussian);
  Histogram h = histogramOf(s);
  expectNear(percentileThreshold(h, 99.99) / s.sigma, 6.35, 0.05, "p99.99");
  expectNear(percentileThreshold(h, 99.999) / s.sigma, 7.27, 0.05, "p99.999");
  expectNear(mseThreshold(h) / s.sigma, 6.71, 0.06, "mse");
}

struct Golden {
  const char *name;
  double maxAbs;
  std::vector<int64_t> counts;
  double entropy, mse, p9999;
};

TEST(Calibration, MatchesIndependentNumpyReference) {
  // Thresholds computed by Inputs/calibration_reference.py, a numpy
  // re-implementation of the ModelOpt/pytorch-quantization and onnxruntime
  // algorithms, on the same histograms. Same bins, same arithmetic: equal.
  const Golden goldens[] = {
#include "Inputs/calibration_golden.inc"
  };
  for (const Golden &g : goldens) {
    Histogram h;
    h.maxAbs = g.maxAbs;
    h.counts = g.counts;
    ASSERT_EQ(h.counts.size(), 2048u) << g.name;
    EXPECT_DOUBLE_EQ(entropyThreshold(h), g.entropy) << g.name;
    EXPECT_DOUBLE_EQ(mseThreshold(h), g.mse) << g.name;
    EXPECT_DOUBLE_EQ(percentileThreshold(h, 99.99), g.p9999) << g.name;
  }
}

TEST(Calibration, EntropyOfUniformKeepsTheWholeRange) {
  // A uniform histogram on [0, A] yields i* = 2048, i.e. amax = A.
  Histogram h;
  h.maxAbs = 3.0;
  h.counts.assign(2048, 100);
  EXPECT_DOUBLE_EQ(entropyThreshold(h), 3.0);
}

TEST(Calibration, PercentileEdges) {
  Histogram h;
  h.maxAbs = 10.0;
  h.counts = {50, 30, 0, 0, 0, 0, 0, 0, 0, 20};
  EXPECT_DOUBLE_EQ(percentileThreshold(h, 50.0), 1.0);
  EXPECT_DOUBLE_EQ(percentileThreshold(h, 80.0), 2.0);
  EXPECT_DOUBLE_EQ(percentileThreshold(h, 80.1), 10.0);
  EXPECT_DOUBLE_EQ(percentileThreshold(h, 100.0), 10.0);
  Histogram empty;
  empty.maxAbs = 4.0;
  EXPECT_DOUBLE_EQ(percentileThreshold(empty, 99.0), 4.0);
}

TEST(Calibration, MovingAverage) {
  MovingAverageMinMax m;
  m.update(-1.0, 2.0);
  EXPECT_EQ(m.min, -1.0);
  EXPECT_EQ(m.max, 2.0);
  m.update(-3.0, 4.0);
  EXPECT_DOUBLE_EQ(m.min, -1.02);
  EXPECT_DOUBLE_EQ(m.max, 2.02);
}

} // namespace
