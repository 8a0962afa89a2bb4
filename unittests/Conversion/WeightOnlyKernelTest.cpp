//===- WeightOnlyKernelTest.cpp - Weight-only kernels vs a reference ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Weight-only matmuls (f32 data times 4-/8-bit codes with scales and zero
// points per group, per column or per tensor) JIT-compiled through qc's CPU
// pipeline in three configurations: the generic dequantizing loop
// (packed-kernels off), qc.packed_dequant_matmul's converting kernel
// (vnni=false) and, on x86-64, its denormal kernel (vnni=true), which is
// also run with MXCSR.DAZ set and must then give bitwise the same output.
// Every output is compared with a double-precision reference written here:
// |got - ref| <= 1e-6 * sum_k |x_k| * 2^bits * scale(k, n). Shapes cover
// each register block (1 x 8, 4 x 4, 4 x 2 and their row / column tails),
// the interleaved tile layouts (T = 1, 2, 4, 8),
// K not a multiple of the codes per word, one group per column, and the
// scalar loops (groups smaller than a packed word).
//
//===----------------------------------------------------------------------===//

#include "JitKernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using qc_test::JitKernel;

namespace {

enum class Granularity { Group, Column, Tensor };

struct Case {
  int bits;
  bool isSigned;
  Granularity granularity;
  int group; // Group only
  int m, k, n;
};

std::string joinInt(const std::vector<int> &v) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << v[i];
  return os.str();
}

void check(const Case &c) {
  std::mt19937 rng(c.bits * 1000 + c.m * 97 + c.k * 13 + c.n);
  int qmin = c.isSigned ? -(1 << (c.bits - 1)) : 0;
  int qmax = c.isSigned ? (1 << (c.bits - 1)) - 1 : (1 << c.bits) - 1;
  int groups = c.granularity == Granularity::Group ? c.k / c.group : 1;
  int params = c.granularity == Granularity::Tensor   ? 1
               : c.granularity == Granularity::Column ? c.n
                                                      : groups * c.n;
  std::vector<int> codes(c.k * c.n), zps(params, 0);
  std::vector<double> scales(params);
  for (int &q : codes)
    q = qmin + int(rng() % (qmax - qmin + 1));
  for (double &s : scales)
    s = 0.002 * (1 + rng() % 100);
  if (!c.isSigned)
    for (int &z : zps)
      z = int(rng() % (qmax + 1));
  auto param = [&](int k, int n) {
    if (c.granularity == Granularity::Tensor)
      return 0;
    if (c.granularity == Granularity::Column)
      return n;
    return (k / c.group) * c.n + n;
  };
  std::vector<float> x(c.m * c.k);
  std::normal_distribution<float> normal;
  for (float &v : x)
    v = normal(rng);

  std::string storage = (c.isSigned ? "i" : "u") + std::to_string(c.bits);
  std::ostringstream type;
  type.precision(9);
  if (c.granularity == Granularity::Group) {
    std::string shape = std::to_string(groups) + "x" + std::to_string(c.n);
    // Scales and zero points have the value's rank; the literals are
    // filled in below.
    type << "!qc.uniform<" << storage << ":f32:0, block = " << c.group
         << ", scales = dense<" << "SCALES" << "> : tensor<" << shape
         << "xf32>";
    if (!c.isSigned)
      type << ", zero_points = dense<ZPS> : tensor<" << shape << "xi32>";
    type << ">";
  } else if (c.granularity == Granularity::Column) {
    type << "!qc.uniform<" << storage << ":f32:1, {";
    for (int n = 0; n < c.n; ++n)
      type << (n ? ", " : "") << scales[n] << ":" << zps[n];
    type << "}>";
  } else {
    type << "!qc.uniform<" << storage << ":f32, " << scales[0] << ":" << zps[0]
         << ">";
  }
  std::string wType = type.str();
  if (c.granularity == Granularity::Group) {
    // Nested [G, N] literals.
    auto nested = [&](auto value) {
      std::ostringstream os;
      os.precision(9);
      os << "[";
      for (int g = 0; g < groups; ++g) {
        os << (g ? ", " : "") << "[";
        for (int n = 0; n < c.n; ++n)
          os << (n ? ", " : "") << value(g * c.n + n);
        os << "]";
      }
      os << "]";
      return os.str();
    };
    wType.replace(wType.find("SCALES"), 6,
                  nested([&](int i) { return scales[i]; }));
    if (!c.isSigned)
      wType.replace(wType.find("ZPS"), 3,
                    nested([&](int i) { return zps[i]; }));
  }
  std::string xt = "tensor<" + std::to_string(c.m) + "x" + std::to_string(c.k);
  std::string wt = "tensor<" + std::to_string(c.k) + "x" + std::to_string(c.n);
  std::string yt = "tensor<" + std::to_string(c.m) + "x" + std::to_string(c.n);
  std::string flat = "tensor<" + std::to_string(c.k * c.n) + "xi" +
                     std::to_string(c.bits) + ">";
  std::ostringstream src;
  src << "func.func @main_graph(%x: " << xt << "xf32>) -> " << yt << "xf32> {\n"
      << "  %wb = arith.constant dense<[" << joinInt(codes) << "]> : " << flat
      << "\n"
      << "  %wv = tensor.expand_shape %wb [[0, 1]] output_shape [" << c.k
      << ", " << c.n << "] : " << flat << " into " << wt << "xi" << c.bits
      << ">\n"
      << "  %w = qc.storage_cast %wv : " << wt << "xi" << c.bits << "> -> "
      << wt << "x" << wType << ">\n"
      << "  %y = qc.matmul %x, %w : (" << xt << "xf32>, " << wt << "x" << wType
      << ">) -> " << yt << "xf32>\n"
      << "  return %y : " << yt << "xf32>\n}\n";
  std::string text = src.str();

  std::vector<double> ref(c.m * c.n), bound(c.m * c.n);
  for (int m = 0; m < c.m; ++m)
    for (int n = 0; n < c.n; ++n) {
      double sum = 0, mag = 0;
      for (int k = 0; k < c.k; ++k) {
        int p = param(k, n);
        double w = double(codes[k * c.n + n] - zps[p]) * float(scales[p]);
        sum += double(x[m * c.k + k]) * w;
        mag += std::fabs(x[m * c.k + k]) * double(1 << c.bits) * scales[p];
      }
      ref[m * c.n + n] = sum;
      bound[m * c.n + n] = 1e-6 * mag;
    }

  struct Config {
    const char *name;
    bool packed, x86;
  };
  std::vector<Config> configs{{"generic", false, false},
                              {"packed", true, false}};
#if defined(__x86_64__)
  configs.push_back({"packed+denormal", true, true});
#endif
  for (const Config &config : configs) {
    JitKernel kernel(text, config.packed, config.x86);
    ASSERT_EQ(kernel.error, "") << config.name;
    std::vector<float> y(c.m * c.n);
    kernel.run({x.data(), y.data()});
    for (int i = 0; i < c.m * c.n; ++i)
      ASSERT_LE(std::fabs(double(y[i]) - ref[i]), bound[i])
          << config.name << " element " << i << ": " << y[i] << " vs "
          << ref[i];
#if defined(__x86_64__)
    // With DAZ set the result must not change (the denormal form clears
    // DAZ for the call and restores it).
    std::vector<float> daz(c.m * c.n);
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x40);
    kernel.run({x.data(), daz.data()});
    unsigned after = _mm_getcsr();
    _mm_setcsr(saved);
    EXPECT_EQ(after, saved | 0x40) << config.name << ": MXCSR not restored";
    for (int i = 0; i < c.m * c.n; ++i)
      ASSERT_EQ(daz[i], y[i]) << config.name << " with DAZ, element " << i;
#endif
  }
}

TEST(WeightOnlyKernel, Int4GroupsOneRow) {
  // M = 1: blocks of 8 tiles; N = 200 = 12 full tiles + 8 columns (one
  // block of 8 tiles, a tail block of 5).
  check({4, false, Granularity::Group, 32, 1, 128, 200});
  check({4, true, Granularity::Group, 64, 1, 256, 40});
}

TEST(WeightOnlyKernel, Int4FewRows) {
  // M = 4 (4 x 4 blocks) and M = 7 (a 3-row tail).
  check({4, false, Granularity::Group, 128, 4, 256, 80});
  check({4, true, Granularity::Group, 32, 7, 96, 33});
}

TEST(WeightOnlyKernel, Int4LongM) {
  // M = 13: 4 x 2 blocks and a 1-row tail.
  check({4, false, Granularity::Group, 16, 13, 64, 50});
}

TEST(WeightOnlyKernel, Int8) {
  check({8, false, Granularity::Group, 64, 1, 192, 48});
  check({8, true, Granularity::Group, 32, 5, 64, 17});
}

TEST(WeightOnlyKernel, PerColumnAndPerTensorOddK) {
  // One group of K = 99 (not a multiple of 8 or 4 codes per word).
  check({4, false, Granularity::Column, 0, 3, 99, 21});
  check({8, true, Granularity::Column, 0, 1, 99, 16});
  check({4, true, Granularity::Tensor, 0, 2, 37, 9});
}

TEST(WeightOnlyKernel, InterleavedTiles) {
  // The lowering interleaves the rows of T tiles (8 for M = 1, 4 for
  // M <= 8, 2 beyond, halved until T divides the tile count): 24 tiles,
  // T = 8 (three blocks of one group each); 12 tiles at M = 1, T = 4 (a
  // block of 8 = two groups, then a tail block of 4); 12 tiles at M = 4,
  // T = 4; 6 tiles at M = 1, T = 2 (one block of 6).
  check({4, false, Granularity::Group, 32, 1, 128, 384});
  check({4, true, Granularity::Group, 64, 1, 128, 192});
  check({8, true, Granularity::Group, 32, 4, 96, 192});
  check({8, false, Granularity::Column, 0, 1, 64, 96});
}

TEST(WeightOnlyKernel, ScalarLoopsForSmallGroups) {
  // Groups of 4 int4 codes do not fill a packed word of 8.
  check({4, false, Granularity::Group, 4, 3, 32, 20});
}

} // namespace
