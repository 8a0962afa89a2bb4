//===- ApproximateMathTest.cpp - qc-approximate-math vs libm --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The CPU pipeline computes erf, tanh and exp with MLIR's inline polynomial
// approximations (qc-approximate-math) instead of libm calls. These tests
// JIT an elementwise function through the real pipeline, evaluate it on a
// dense sweep plus special values (±0, ±inf, NaN, overflow, underflow,
// denormals), and compare with the double-precision C library result
// rounded to float. The bounds are the measured maximum errors with about
// 2x margin; the measured values are printed.
//
//===----------------------------------------------------------------------===//

#include "JitKernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

using qc_test::JitKernel;

namespace {

std::vector<float> sweep(float lo, float hi, int n) {
  std::vector<float> x;
  for (int i = 0; i <= n; ++i)
    x.push_back(lo + (hi - lo) * float(i) / float(n));
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, inf, -inf, 1e-30f, -1e-30f, 1e-40f, 30.0f,
                  -30.0f, 88.0f, 89.0f, -88.0f, -104.0f, -110.0f, 1e30f, -1e30f,
                  std::numeric_limits<float>::quiet_NaN()})
    x.push_back(v);
  return x;
}

/// Runs `op` elementwise over `x` through the CPU pipeline.
std::vector<float> run(const std::string &op, const std::vector<float> &x,
                       bool approximate) {
  std::string type = "tensor<" + std::to_string(x.size()) + "xf32>";
  std::string src = "func.func @main_graph(%x: " + type + ") -> " + type +
                    " {\n  %y = math." + op + " %x : " + type +
                    "\n  return %y : " + type + "\n}\n";
  JitKernel kernel(src, /*packedKernels=*/true, /*vnni=*/false, approximate);
  EXPECT_EQ(kernel.error, "");
  std::vector<float> y(x.size(), -12345.0f);
  if (kernel.error.empty())
    kernel.run({const_cast<float *>(x.data()), y.data()});
  return y;
}

struct Errors {
  double maxAbs = 0, maxRel = 0;
  int specialMismatches = 0;
};

/// Compares with `ref` (double precision). Relative error counts only where
/// the reference is a normal float; NaN/inf/zero results must match
/// exactly in kind.
template <typename Ref>
Errors compare(const std::vector<float> &x, const std::vector<float> &y,
               Ref ref, const char *name) {
  Errors e;
  for (size_t i = 0; i < x.size(); ++i) {
    double r = ref(double(x[i]));
    float rf = float(r);
    if (std::isnan(rf) || std::isinf(rf)) {
      bool same = std::isnan(rf) ? std::isnan(y[i]) : y[i] == rf;
      if (!same) {
        ++e.specialMismatches;
        std::printf("%s(%g): got %g, want %g\n", name, x[i], y[i], rf);
      }
      continue;
    }
    double abs = std::fabs(double(y[i]) - r);
    if (!(abs <= e.maxAbs))
      e.maxAbs = std::isnan(abs) ? INFINITY : abs;
    if (std::fabs(r) >= double(std::numeric_limits<float>::min()))
      e.maxRel = std::max(e.maxRel, abs / std::fabs(r));
  }
  std::printf("%s: max abs error %.3g, max rel error %.3g\n", name, e.maxAbs,
              e.maxRel);
  return e;
}

TEST(ApproximateMath, Erf) {
  std::vector<float> x = sweep(-6.0f, 6.0f, 240000);
  Errors e = compare(
      x, run("erf", x, true), [](double v) { return std::erf(v); }, "erf");
  EXPECT_EQ(e.specialMismatches, 0);
  EXPECT_LT(e.maxAbs, 6e-7);
}

TEST(ApproximateMath, Tanh) {
  std::vector<float> x = sweep(-12.0f, 12.0f, 240000);
  Errors e = compare(
      x, run("tanh", x, true), [](double v) { return std::tanh(v); }, "tanh");
  EXPECT_EQ(e.specialMismatches, 0);
  EXPECT_LT(e.maxAbs, 6e-7);
}

TEST(ApproximateMath, Exp) {
  std::vector<float> x = sweep(-87.0f, 88.0f, 350000);
  Errors e = compare(
      x, run("exp", x, true), [](double v) { return std::exp(v); }, "exp");
  EXPECT_EQ(e.specialMismatches, 0);
  EXPECT_LT(e.maxRel, 2e-7);
}

/// The control: with approximations off the same harness sees libm's
/// (correctly rounded or nearly) results, so the bounds above measure the
/// approximations and not the harness.
TEST(ApproximateMath, LibmControl) {
  std::vector<float> x = sweep(-6.0f, 6.0f, 24000);
  Errors e = compare(
      x, run("erf", x, false), [](double v) { return std::erf(v); },
      "erf (libm)");
  EXPECT_EQ(e.specialMismatches, 0);
  EXPECT_LT(e.maxAbs, 1.2e-7);
}

} // namespace
