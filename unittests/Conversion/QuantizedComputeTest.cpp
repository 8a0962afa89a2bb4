//===- QuantizedComputeTest.cpp - Integer kernels vs a reference ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// JIT-runs quantized qc.matmul / qc.conv lowered by convert-qc-to-linalg and
// compares them with straightforward C++ reference loops written from the op
// definitions: integer accumulation sum (q_a - zp_a)(q_w - zp_w), then the
// float scale s_a * s_w, then (for quantized results) qc.quantize. The float
// operations are done in the same order, so results must match exactly.
//
//===----------------------------------------------------------------------===//

#include "JitKernel.h"
#include "qc/Support/QuantMath.h"

#include "gtest/gtest.h"

#include <cstring>
#include <random>
#include <sstream>

namespace qmath = mlir::qc::math;
using qc_test::JitKernel;

namespace {

std::string floatList(const std::vector<float> &v) {
  std::ostringstream os;
  os.precision(9);
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << v[i];
  return os.str();
}

TEST(QuantizedCompute, MatMulU8xI8PerChannelFloatAndQuantizedResults) {
  const int M = 5, K = 37, N = 6;
  const float sa = 0.037f, so = 0.05f;
  const int za = 121, zo = 130;
  std::vector<float> sw = {0.011f, 0.02f, 0.0035f, 0.05f, 0.017f, 0.009f};
  std::mt19937 rng(5);
  std::vector<uint8_t> a(M * K);
  std::vector<int8_t> w(K * N);
  for (auto &v : a)
    v = uint8_t(rng() % 256);
  for (auto &v : w)
    v = int8_t(int(rng() % 255) - 127);
  std::string aType = "!qc.uniform<u8:f32, 0.037:121>";
  std::string wType = "!qc.uniform<i8:f32:1, {" + floatList(sw) + "}>";
  std::string oType = "!qc.uniform<u8:f32, 0.05:130>";
  std::ostringstream src;
  src << "func.func @main_graph(%a: tensor<5x37xi8>, %w: tensor<37x6xi8>) -> "
         "(tensor<5x6xf32>, tensor<5x6xi8>) {\n"
      << "  %qa = qc.storage_cast %a : tensor<5x37xi8> -> tensor<5x37x" << aType
      << ">\n"
      << "  %qw = qc.storage_cast %w : tensor<37x6xi8> -> tensor<37x6x" << wType
      << ">\n"
      << "  %f = qc.matmul %qa, %qw : (tensor<5x37x" << aType
      << ">, tensor<37x6x" << wType << ">) -> tensor<5x6xf32>\n"
      << "  %q = qc.matmul %qa, %qw : (tensor<5x37x" << aType
      << ">, tensor<37x6x" << wType << ">) -> tensor<5x6x" << oType << ">\n"
      << "  %s = qc.storage_cast %q : tensor<5x6x" << oType
      << "> -> tensor<5x6xi8>\n"
      << "  return %f, %s : tensor<5x6xf32>, tensor<5x6xi8>\n}\n";
  JitKernel kernel(src.str());
  ASSERT_EQ(kernel.error, "");
  std::vector<float> f(M * N);
  std::vector<uint8_t> q(M * N);
  kernel.run({a.data(), w.data(), f.data(), q.data()});
  qmath::StorageRange u8 = qmath::integerRange(8, false);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int k = 0; k < K; ++k)
        acc += (int32_t(a[m * K + k]) - za) * int32_t(w[k * N + n]);
      float expected = float(acc) * (sa * sw[n]);
      EXPECT_EQ(f[m * N + n], expected) << "m=" << m << " n=" << n;
      EXPECT_EQ(int(q[m * N + n]), qmath::quantize(expected, so, zo, u8))
          << "m=" << m << " n=" << n;
    }
}

TEST(QuantizedCompute, BatchedMatMulBothQuantizedI8) {
  // Attention-style: activations on both sides, batch dims broadcast.
  const int B = 3, M = 4, K = 8, N = 5;
  std::mt19937 rng(9);
  std::vector<int8_t> a(B * M * K), w(K * N);
  for (auto &v : a)
    v = int8_t(int(rng() % 256) - 128);
  for (auto &v : w)
    v = int8_t(int(rng() % 256) - 128);
  std::string at = "!qc.uniform<i8:f32, 0.25:-3>",
              wt = "!qc.uniform<i8:f32, 0.5:7>";
  std::ostringstream src;
  src << "func.func @main_graph(%a: tensor<3x4x8xi8>, %w: tensor<1x8x5xi8>) -> "
         "tensor<3x4x5xf32> {\n"
      << "  %qa = qc.storage_cast %a : tensor<3x4x8xi8> -> tensor<3x4x8x" << at
      << ">\n  %qw = qc.storage_cast %w : tensor<1x8x5xi8> -> tensor<1x8x5x"
      << wt << ">\n  %f = qc.matmul %qa, %qw : (tensor<3x4x8x" << at
      << ">, tensor<1x8x5x" << wt << ">) -> tensor<3x4x5xf32>\n"
      << "  return %f : tensor<3x4x5xf32>\n}\n";
  JitKernel kernel(src.str());
  ASSERT_EQ(kernel.error, "");
  std::vector<float> f(B * M * N);
  kernel.run({a.data(), w.data(), f.data()});
  for (int b = 0; b < B; ++b)
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        int32_t acc = 0;
        for (int k = 0; k < K; ++k)
          acc += (int32_t(a[(b * M + m) * K + k]) + 3) *
                 (int32_t(w[k * N + n]) - 7);
        EXPECT_EQ(f[(b * M + m) * N + n], float(acc) * (0.25f * 0.5f));
      }
}

TEST(QuantizedCompute, WeightOnlyInt4PerGroupDequantizesInTheLoop) {
  // Float activations times u4 weights, groups of 4 along K with zero
  // points: sum_k a * ((w - zp[k/4, n]) * s[k/4, n]), accumulated in k order.
  const int M = 3, K = 8, N = 2, G = 4;
  std::vector<float> s = {0.5f, 0.25f, 0.125f, 1.0f};
  std::vector<int> zp = {8, 7, 3, 12};
  std::mt19937 rng(2);
  std::vector<float> a(M * K);
  std::vector<uint8_t> w(K * N);
  for (auto &v : a)
    v = float(int(rng() % 200) - 100) / 37.0f;
  for (auto &v : w)
    v = uint8_t(rng() % 16);
  std::string wt = "!qc.uniform<u4:f32:0, block = 4, scales = dense<[[0.5, "
                   "0.25], [0.125, 1.0]]> : tensor<2x2xf32>, zero_points = "
                   "dense<[[8, 7], [3, 12]]> : tensor<2x2xi32>>";
  // Weights are constants, as in a real model (the ABI has no 4-bit inputs).
  std::ostringstream weights;
  for (int i = 0; i < K * N; ++i)
    weights << (i ? ", " : "") << int(w[i]);
  std::ostringstream src;
  src << "func.func @main_graph(%a: tensor<3x8xf32>) -> tensor<3x2xf32> {\n"
      << "  %w = arith.constant dense<[" << weights.str()
      << "]> : tensor<16xi4>\n"
      << "  %w2 = tensor.expand_shape %w [[0, 1]] output_shape [8, 2] : "
         "tensor<16xi4> into tensor<8x2xi4>\n"
      << "  %qw = qc.storage_cast %w2 : tensor<8x2xi4> -> tensor<8x2x" << wt
      << ">\n  %f = qc.matmul %a, %qw : (tensor<3x8xf32>, tensor<8x2x" << wt
      << ">) -> tensor<3x2xf32>\n  return %f : tensor<3x2xf32>\n}\n";
  JitKernel kernel(src.str());
  ASSERT_EQ(kernel.error, "");
  std::vector<float> f(M * N);
  kernel.run({a.data(), f.data()});
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      float acc = 0;
      for (int k = 0; k < K; ++k) {
        int g = k / G;
        float wf = qmath::dequantize(w[k * N + n], s[g * N + n], zp[g * N + n]);
        acc += a[m * K + k] * wf;
      }
      EXPECT_EQ(f[m * N + n], acc) << "m=" << m << " n=" << n;
    }
}

TEST(QuantizedCompute, ConvU8WithInt32BiasPaddingAndRequantize) {
  // 1x2x5x5 u8 input (zp 100), 3x2x3x3 i8 weights per output channel, pad
  // 1, stride 2, i32 bias with scale s_a * s_w[o]; u8 output.
  const int C = 2, H = 5, O = 3, KH = 3, OH = 3;
  const float sa = 0.02f, so = 0.04f;
  const int za = 100, zo = 120;
  std::vector<float> sw = {0.01f, 0.03f, 0.007f};
  std::vector<int32_t> bias = {50, -300, 1000};
  std::mt19937 rng(4);
  std::vector<uint8_t> x(C * H * H);
  std::vector<int8_t> w(O * C * KH * KH);
  for (auto &v : x)
    v = uint8_t(rng() % 256);
  for (auto &v : w)
    v = int8_t(int(rng() % 255) - 127);
  std::vector<float> sb;
  for (int o = 0; o < O; ++o)
    sb.push_back(sa * sw[o]);
  std::string xt = "!qc.uniform<u8:f32, 0.02:100>";
  std::string wt = "!qc.uniform<i8:f32:0, {" + floatList(sw) + "}>";
  std::string bt = "!qc.uniform<i32:f32:0, {" + floatList(sb) + "}>";
  std::string ot = "!qc.uniform<u8:f32, 0.04:120>";
  std::ostringstream src;
  src << "func.func @main_graph(%x: tensor<1x2x5x5xi8>, %w: "
         "tensor<3x2x3x3xi8>, "
         "%b: tensor<3xi32>) -> tensor<1x3x3x3xi8> {\n"
      << "  %qx = qc.storage_cast %x : tensor<1x2x5x5xi8> -> tensor<1x2x5x5x"
      << xt
      << ">\n  %qw = qc.storage_cast %w : tensor<3x2x3x3xi8> -> tensor<3x2x3x3x"
      << wt << ">\n  %qb = qc.storage_cast %b : tensor<3xi32> -> tensor<3x"
      << bt
      << ">\n  %y = qc.conv %qx, %qw, %qb {strides = array<i64: 2, 2>, "
         "dilations = "
         "array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5x"
      << xt << ">, tensor<3x2x3x3x" << wt << ">, tensor<3x" << bt
      << ">) -> tensor<1x3x3x3x" << ot << ">\n"
      << "  %s = qc.storage_cast %y : tensor<1x3x3x3x" << ot
      << "> -> tensor<1x3x3x3xi8>\n  return %s : tensor<1x3x3x3xi8>\n}\n";
  JitKernel kernel(src.str());
  ASSERT_EQ(kernel.error, "");
  std::vector<uint8_t> y(O * OH * OH);
  kernel.run({x.data(), w.data(), bias.data(), y.data()});
  qmath::StorageRange u8 = qmath::integerRange(8, false);
  for (int o = 0; o < O; ++o)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OH; ++ox) {
        int32_t acc = 0;
        for (int c = 0; c < C; ++c)
          for (int ky = 0; ky < KH; ++ky)
            for (int kx = 0; kx < KH; ++kx) {
              int iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
              int32_t xv = (iy < 0 || ix < 0 || iy >= H || ix >= H)
                               ? za
                               : x[(c * H + iy) * H + ix];
              acc += (xv - za) * int32_t(w[((o * C + c) * KH + ky) * KH + kx]);
            }
        float v = float(acc) * (sa * sw[o]);
        v = v + qmath::dequantize(bias[o], sb[o], 0);
        EXPECT_EQ(int(y[(o * OH + oy) * OH + ox]),
                  qmath::quantize(v, so, zo, u8))
            << "o=" << o << " y=" << oy << " x=" << ox;
      }
}

} // namespace
