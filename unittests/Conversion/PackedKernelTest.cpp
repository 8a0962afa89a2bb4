//===- PackedKernelTest.cpp - Packed-weight CPU kernels vs references -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Matmuls and convolutions with constant weights go through weight packing
// (convert-qc-to-linalg{packed-kernels}) and the register-blocked kernels of
// convert-qc-packed-to-cpu. Each test JIT-compiles one function in three
// configurations (generic lowering, packed scalar fallback, packed AVX-512
// VNNI when the host has it) and compares every output with a scalar
// reference written here: integer paths exactly, float paths to 1e-5
// relative. Shapes are chosen to hit every tail: M not a multiple of the
// row block, N not a multiple of 16 or of the column block, K not a
// multiple of 4 or of the cache block.
//
//===----------------------------------------------------------------------===//

#include "JitKernel.h"

#include "qc/Support/QuantMath.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

using qc_test::JitKernel;
namespace qmath = mlir::qc::math;

namespace {

struct Config {
  const char *name;
  bool packed, vnni;
};

bool hostHasVNNI() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512vnni");
}

std::vector<Config> configs() {
  std::vector<Config> c{{"generic", false, false}, {"packed", true, false}};
  if (hostHasVNNI())
    c.push_back({"packed+vnni", true, true});
  return c;
}

template <typename T> std::string denseList(const std::vector<T> &v) {
  std::ostringstream os;
  os.precision(9);
  os << "[";
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << +v[i];
  os << "]";
  return os.str();
}

std::string floatList(const std::vector<float> &v) {
  std::ostringstream os;
  os.precision(9);
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << v[i];
  return os.str();
}

/// u8 or i8 activations [M, K] x constant per-column i8 weights [K, N], float
/// and requantized results.
void checkQuantizedMatMul(int M, int K, int N, bool signedData) {
  std::mt19937 rng(M * 131 + K * 7 + N);
  std::vector<int8_t> a(M * K), w(K * N);
  for (auto &v : a)
    v = int8_t(int(rng() % 256) - 128);
  for (auto &v : w)
    v = int8_t(int(rng() % 255) - 127);
  std::vector<float> sw(N);
  for (auto &s : sw)
    s = 0.001f * float(1 + rng() % 50);
  const float sa = 0.037f, so = 0.5f;
  const int za = signedData ? -5 : 121, zo = 130;
  std::string aType = signedData ? "!qc.uniform<i8:f32, 0.037:-5>"
                                 : "!qc.uniform<u8:f32, 0.037:121>";
  std::string wType =
      "!qc.uniform<i8<-127:127>:f32:1, {" + floatList(sw) + "}>";
  std::string oType = "!qc.uniform<u8:f32, 0.5:130>";
  std::string at = "tensor<" + std::to_string(M) + "x" + std::to_string(K);
  std::string wt = "tensor<" + std::to_string(K) + "x" + std::to_string(N);
  std::string ot = "tensor<" + std::to_string(M) + "x" + std::to_string(N);
  std::string flat = "tensor<" + std::to_string(K * N) + "xi8>";
  std::ostringstream src;
  src << "func.func @main_graph(%a: " << at << "xi8>) -> (" << ot << "xf32>, "
      << ot << "xi8>) {\n"
      << "  %qa = qc.storage_cast %a : " << at << "xi8> -> " << at << "x"
      << aType << ">\n"
      << "  %wb = arith.constant dense<" << denseList(w) << "> : " << flat
      << "\n"
      << "  %wv = tensor.expand_shape %wb [[0, 1]] output_shape [" << K << ", "
      << N << "] : " << flat << " into " << wt << "xi8>\n"
      << "  %qw = qc.storage_cast %wv : " << wt << "xi8> -> " << wt << "x"
      << wType << ">\n"
      << "  %f = qc.matmul %qa, %qw : (" << at << "x" << aType << ">, " << wt
      << "x" << wType << ">) -> " << ot << "xf32>\n"
      << "  %q = qc.matmul %qa, %qw : (" << at << "x" << aType << ">, " << wt
      << "x" << wType << ">) -> " << ot << "x" << oType << ">\n"
      << "  %s = qc.storage_cast %q : " << ot << "x" << oType << "> -> " << ot
      << "xi8>\n"
      << "  return %f, %s : " << ot << "xf32>, " << ot << "xi8>\n}\n";
  std::string text = src.str();

  qmath::StorageRange u8 = qmath::integerRange(8, false);
  for (const Config &c : configs()) {
    JitKernel kernel(text, c.packed, c.vnni);
    ASSERT_EQ(kernel.error, "") << c.name;
    std::vector<float> f(M * N);
    std::vector<uint8_t> q(M * N);
    kernel.run({a.data(), f.data(), q.data()});
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        int32_t acc = 0;
        for (int k = 0; k < K; ++k) {
          int32_t x = signedData ? int32_t(a[m * K + k])
                                 : int32_t(uint8_t(a[m * K + k]));
          acc += (x - za) * int32_t(w[k * N + n]);
        }
        float expected = float(acc) * (sa * sw[n]);
        ASSERT_EQ(f[m * N + n], expected) << c.name << " m=" << m << " n=" << n;
        ASSERT_EQ(int(q[m * N + n]), qmath::quantize(expected, so, zo, u8))
            << c.name << " m=" << m << " n=" << n;
      }
  }
}

TEST(PackedKernel, QuantizedMatMulU8AllTails) {
  // M = 8*2 + 3, N = 16*2 + 16 + 5 (a 1-tile column block and a padded
  // tile), K = 4*33 + 1 (K padding).
  checkQuantizedMatMul(19, 133, 53, /*signedData=*/false);
}

TEST(PackedKernel, QuantizedMatMulI8Data) {
  checkQuantizedMatMul(9, 64, 32, /*signedData=*/true);
}

TEST(PackedKernel, QuantizedMatMulLongK) {
  // K = 4 * 300 spans several 128-step cache blocks.
  checkQuantizedMatMul(3, 1200, 16, /*signedData=*/false);
}

TEST(PackedKernel, FloatMatMulMatchesDoubleReference) {
  const int M = 11, K = 45, N = 37;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> a(M * K), w(K * N);
  for (auto &v : a)
    v = dist(rng);
  for (auto &v : w)
    v = dist(rng);
  std::ostringstream src;
  src << "func.func @main_graph(%a: tensor<11x45xf32>) -> tensor<11x37xf32> {\n"
      << "  %w = arith.constant dense<" << denseList(w)
      << "> : tensor<1665xf32>\n"
      << "  %wv = tensor.expand_shape %w [[0, 1]] output_shape [45, 37] : "
         "tensor<1665xf32> into tensor<45x37xf32>\n"
      << "  %y = qc.matmul %a, %wv : (tensor<11x45xf32>, tensor<45x37xf32>) -> "
         "tensor<11x37xf32>\n"
      << "  return %y : tensor<11x37xf32>\n}\n";
  for (const Config &c : configs()) {
    JitKernel kernel(src.str(), c.packed, c.vnni);
    ASSERT_EQ(kernel.error, "") << c.name;
    std::vector<float> y(M * N);
    kernel.run({a.data(), y.data()});
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        double ref = 0;
        for (int k = 0; k < K; ++k)
          ref += double(a[m * K + k]) * w[k * N + n];
        ASSERT_NEAR(y[m * N + n], ref, 1e-5 * (1 + std::fabs(ref)))
            << c.name << " m=" << m << " n=" << n;
      }
  }
}

/// Conv 3x3, stride `stride`, pad 1, with bias: u8 data and per-channel
/// weights (float result), or float.
void checkConv(bool quantized, int stride) {
  const int N = 2, C = 3, H = 7, W = 6, O = 18, KH = 3, KW = 3;
  const int OH = (H + 2 - KH) / stride + 1, OW = (W + 2 - KW) / stride + 1;
  std::mt19937 rng(11 + stride);
  std::vector<uint8_t> xq(N * C * H * W);
  std::vector<float> xf(N * C * H * W);
  std::vector<int8_t> wq(O * C * KH * KW);
  std::vector<float> wf(O * C * KH * KW), bias(O), sw(O);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (auto &v : xq)
    v = uint8_t(rng() % 256);
  for (auto &v : xf)
    v = dist(rng);
  for (auto &v : wq)
    v = int8_t(int(rng() % 255) - 127);
  for (auto &v : wf)
    v = dist(rng);
  for (auto &v : bias)
    v = dist(rng);
  for (auto &v : sw)
    v = 0.001f * float(1 + rng() % 40);
  const float sa = 0.02f;
  const int za = 100;
  std::string xt = "tensor<2x3x7x6", wt = "tensor<18x3x3x3",
              ot = "tensor<2x18x" + std::to_string(OH) + "x" +
                   std::to_string(OW);
  std::string aType = "!qc.uniform<u8:f32, 0.02:100>";
  std::string wType =
      "!qc.uniform<i8<-127:127>:f32:0, {" + floatList(sw) + "}>";
  std::ostringstream src;
  src << "func.func @main_graph(%x: " << xt << (quantized ? "xi8" : "xf32")
      << ">) -> " << ot << "xf32> {\n"
      << "  %b = arith.constant dense<" << denseList(bias)
      << "> : tensor<18xf32>\n";
  std::string attrs = "{strides = array<i64: " + std::to_string(stride) + ", " +
                      std::to_string(stride) +
                      ">, dilations = array<i64: 1, 1>, pads = array<i64: 1, "
                      "1, 1, 1>}";
  if (quantized) {
    src << "  %qx = qc.storage_cast %x : " << xt << "xi8> -> " << xt << "x"
        << aType << ">\n"
        << "  %wb = arith.constant dense<" << denseList(wq)
        << "> : tensor<486xi8>\n"
        << "  %wv = tensor.expand_shape %wb [[0, 1, 2, 3]] output_shape [18, "
           "3, 3, 3] : tensor<486xi8> into "
        << wt << "xi8>\n"
        << "  %qw = qc.storage_cast %wv : " << wt << "xi8> -> " << wt << "x"
        << wType << ">\n"
        << "  %y = qc.conv %qx, %qw, %b " << attrs << " : (" << xt << "x"
        << aType << ">, " << wt << "x" << wType << ">, tensor<18xf32>) -> "
        << ot << "xf32>\n";
  } else {
    src << "  %w = arith.constant dense<" << denseList(wf)
        << "> : tensor<486xf32>\n"
        << "  %wv = tensor.expand_shape %w [[0, 1, 2, 3]] output_shape [18, 3, "
           "3, 3] : tensor<486xf32> into "
        << wt << "xf32>\n"
        << "  %y = qc.conv %x, %wv, %b " << attrs << " : (" << xt << "xf32>, "
        << wt << "xf32>, tensor<18xf32>) -> " << ot << "xf32>\n";
  }
  src << "  return %y : " << ot << "xf32>\n}\n";

  for (const Config &c : configs()) {
    JitKernel kernel(src.str(), c.packed, c.vnni);
    ASSERT_EQ(kernel.error, "") << c.name;
    std::vector<float> y(N * O * OH * OW);
    kernel.run({quantized ? static_cast<void *>(xq.data())
                          : static_cast<void *>(xf.data()),
                y.data()});
    for (int n = 0; n < N; ++n)
      for (int o = 0; o < O; ++o)
        for (int oh = 0; oh < OH; ++oh)
          for (int ow = 0; ow < OW; ++ow) {
            int32_t acc = 0;
            double ref = 0;
            for (int ci = 0; ci < C; ++ci)
              for (int kh = 0; kh < KH; ++kh)
                for (int kw = 0; kw < KW; ++kw) {
                  int ih = oh * stride + kh - 1, iw = ow * stride + kw - 1;
                  int wi = ((o * C + ci) * KH + kh) * KW + kw;
                  bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                  int xi = ((n * C + ci) * H + ih) * W + iw;
                  if (quantized)
                    acc += ((inside ? int32_t(xq[xi]) : za) - za) *
                           int32_t(wq[wi]);
                  else if (inside)
                    ref += double(xf[xi]) * wf[wi];
                }
            float got = y[((n * O + o) * OH + oh) * OW + ow];
            if (quantized) {
              float expected = float(acc) * (sa * sw[o]) + bias[o];
              ASSERT_EQ(got, expected) << c.name << " o=" << o;
            } else {
              ref += bias[o];
              ASSERT_NEAR(got, ref, 1e-5 * (1 + std::fabs(ref)))
                  << c.name << " o=" << o;
            }
          }
  }
}

TEST(PackedKernel, QuantizedConvPaddedStride1) { checkConv(true, 1); }
TEST(PackedKernel, QuantizedConvStride2) { checkConv(true, 2); }
TEST(PackedKernel, FloatConvPaddedStride1) { checkConv(false, 1); }

} // namespace
