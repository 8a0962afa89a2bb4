//===- QuantMathTest.cpp - Reference quantization arithmetic tests --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Vectors from the ONNX QuantizeLinear/DequantizeLinear definitions,
// onnxruntime's compute_scale_zp, and the ONNX float8 specification.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/QuantMath.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir::qc::math;

namespace {

TEST(QuantMath, IntegerRanges) {
  EXPECT_EQ(integerRange(8, true).min, -128);
  EXPECT_EQ(integerRange(8, true).max, 127);
  EXPECT_EQ(integerRange(8, true, /*narrow=*/true).min, -127);
  EXPECT_EQ(integerRange(8, false).min, 0);
  EXPECT_EQ(integerRange(8, false).max, 255);
  EXPECT_EQ(integerRange(4, true).min, -8);
  EXPECT_EQ(integerRange(4, true).max, 7);
  EXPECT_EQ(integerRange(4, false).max, 15);
  EXPECT_EQ(integerRange(2, true).min, -2);
  EXPECT_EQ(integerRange(16, false).max, 65535);
}

TEST(QuantMath, RoundHalfToEvenTies) {
  // x/s = +-0.5, +-1.5, +-2.5 -> +-0, +-2, +-2 (not away from zero).
  const float in[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 3.5f, -3.5f};
  const float out[] = {0.f, -0.f, 2.f, -2.f, 2.f, -2.f, 4.f, -4.f};
  for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); ++i)
    EXPECT_EQ(roundHalfEven(in[i]), out[i]) << "x = " << in[i];
}

TEST(QuantMath, QuantizeInt8TiesAndSaturation) {
  StorageRange i8 = integerRange(8, true);
  EXPECT_EQ(quantize(0.5f, 1.0f, 0, i8), 0);
  EXPECT_EQ(quantize(1.5f, 1.0f, 0, i8), 2);
  EXPECT_EQ(quantize(2.5f, 1.0f, 0, i8), 2);
  EXPECT_EQ(quantize(-2.5f, 1.0f, 0, i8), -2);
  EXPECT_EQ(quantize(126.5f, 1.0f, 0, i8), 126);
  EXPECT_EQ(quantize(127.5f, 1.0f, 0, i8), 127);
  EXPECT_EQ(quantize(-128.5f, 1.0f, 0, i8), -128);
  EXPECT_EQ(quantize(1e30f, 1.0f, 0, i8), 127);
  EXPECT_EQ(quantize(-1e30f, 1.0f, 0, i8), -128);
  // A zero point shifts before saturating.
  EXPECT_EQ(quantize(100.0f, 1.0f, 50, i8), 127);
  EXPECT_EQ(quantize(-100.0f, 1.0f, -50, i8), -128);
}

TEST(QuantMath, QuantizeNaNAndInf) {
  StorageRange u8 = integerRange(8, false);
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(quantize(std::nanf(""), 0.5f, 128, u8), 128);
  EXPECT_EQ(quantize(inf, 0.5f, 128, u8), 255);
  EXPECT_EQ(quantize(-inf, 0.5f, 128, u8), 0);
}

TEST(QuantMath, QuantizeUnsignedAndInt4) {
  StorageRange u8 = integerRange(8, false);
  EXPECT_EQ(quantize(-1.0f, 1.0f, 0, u8), 0);
  EXPECT_EQ(quantize(0.5f, 1.0f, 128, u8), 128);
  EXPECT_EQ(quantize(1.5f, 1.0f, 128, u8), 130);
  StorageRange i4 = integerRange(4, true);
  EXPECT_EQ(quantize(7.5f, 1.0f, 0, i4), 7);
  EXPECT_EQ(quantize(-8.5f, 1.0f, 0, i4), -8);
  EXPECT_EQ(quantize(6.5f, 1.0f, 0, i4), 6);
  StorageRange u4 = integerRange(4, false);
  EXPECT_EQ(quantize(20.0f, 1.0f, 8, u4), 15);
  EXPECT_EQ(quantize(-20.0f, 1.0f, 8, u4), 0);
  EXPECT_EQ(quantize(0.5f, 1.0f, 8, u4), 8);
}

TEST(QuantMath, DequantizeRoundTrip) {
  EXPECT_EQ(dequantize(130, 0.5f, 128), 1.0f);
  EXPECT_EQ(dequantize(0, 0.5f, 128), -64.0f);
  EXPECT_EQ(dequantize(-128, 0.25f, 0), -32.0f);
  StorageRange i8 = integerRange(8, true);
  for (int q = -128; q <= 127; ++q)
    EXPECT_EQ(quantize(dequantize(q, 0.037f, 3), 0.037f, 3, i8), q);
}

TEST(QuantMath, ScaleZeroPoint) {
  // (0.5, 2) -> rmin widened to 0.
  QuantParams p = computeScaleZeroPoint(0.5, 2.0, 0, 255, false);
  EXPECT_FLOAT_EQ(p.scale, 2.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // Symmetric int8 [-127, 127]: zp 0.
  p = computeScaleZeroPoint(-1.0, 3.0, -127, 127, true);
  EXPECT_FLOAT_EQ(p.scale, 6.0f / 254.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // Degenerate range -> scale 1, zp 0.
  p = computeScaleZeroPoint(0.0, 0.0, 0, 255, false);
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // Symmetric uint8 [0, 254] -> zp 127.
  p = computeScaleZeroPoint(-1.0, 1.0, 0, 254, true);
  EXPECT_EQ(p.zeroPoint, 127);
  // Asymmetric uint8 over [-1, 3]: zp = rne(0 - (-1)/s).
  p = computeScaleZeroPoint(-1.0, 3.0, 0, 255, false);
  EXPECT_FLOAT_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 64); // 63.75 -> 64
  // Extreme values quantize to the range ends.
  StorageRange u8 = integerRange(8, false);
  EXPECT_EQ(quantize(-1.0f, p.scale, p.zeroPoint, u8), 0);
  EXPECT_EQ(quantize(3.0f, p.scale, p.zeroPoint, u8), 255);
}

TEST(QuantMath, Float8DecodeAllCodes) {
  // E4M3FN: 0x7F and 0xFF are NaN; every other code is finite.
  for (int c = 0; c < 256; ++c) {
    float v = decodeFloat8(uint8_t(c), Float8Kind::E4M3FN);
    if ((c & 0x7F) == 0x7F)
      EXPECT_TRUE(std::isnan(v)) << c;
    else
      EXPECT_TRUE(std::isfinite(v)) << c;
  }
  EXPECT_EQ(decodeFloat8(0x7E, Float8Kind::E4M3FN), 448.0f);
  EXPECT_EQ(decodeFloat8(0x08, Float8Kind::E4M3FN), std::ldexp(1.0f, -6));
  EXPECT_EQ(decodeFloat8(0x01, Float8Kind::E4M3FN), std::ldexp(1.0f, -9));
  EXPECT_EQ(decodeFloat8(0x38, Float8Kind::E4M3FN), 1.0f);
  EXPECT_EQ(decodeFloat8(0xB8, Float8Kind::E4M3FN), -1.0f);
  // E5M2: exponent 31 is Inf (mantissa 0) or NaN.
  EXPECT_EQ(decodeFloat8(0x7B, Float8Kind::E5M2), 57344.0f);
  EXPECT_TRUE(std::isinf(decodeFloat8(0x7C, Float8Kind::E5M2)));
  EXPECT_TRUE(std::isnan(decodeFloat8(0x7D, Float8Kind::E5M2)));
  EXPECT_EQ(decodeFloat8(0x04, Float8Kind::E5M2), std::ldexp(1.0f, -14));
  EXPECT_EQ(decodeFloat8(0x01, Float8Kind::E5M2), std::ldexp(1.0f, -16));
}

TEST(QuantMath, Float8EncodeRoundTripsEveryFiniteCode) {
  for (Float8Kind kind : {Float8Kind::E4M3FN, Float8Kind::E5M2}) {
    for (int c = 0; c < 256; ++c) {
      float v = decodeFloat8(uint8_t(c), kind);
      if (!std::isfinite(v))
        continue;
      if (v == 0.0f) {
        // +0 and -0 keep their sign.
        EXPECT_EQ(encodeFloat8(v, kind), uint8_t(c));
        continue;
      }
      EXPECT_EQ(encodeFloat8(v, kind), uint8_t(c)) << "code " << c;
    }
  }
}

TEST(QuantMath, Float8MidpointsGoToEvenCode) {
  for (Float8Kind kind : {Float8Kind::E4M3FN, Float8Kind::E5M2}) {
    uint8_t maxCode = kind == Float8Kind::E4M3FN ? 0x7E : 0x7B;
    for (unsigned c = 0; c < maxCode; ++c) {
      float lo = decodeFloat8(uint8_t(c), kind);
      float hi = decodeFloat8(uint8_t(c + 1), kind);
      float mid = (lo + hi) / 2; // exact: neighbours differ in few bits
      uint8_t even = (c % 2 == 0) ? uint8_t(c) : uint8_t(c + 1);
      EXPECT_EQ(encodeFloat8(mid, kind), even) << "between codes " << c;
      EXPECT_EQ(encodeFloat8(-mid, kind), uint8_t(even | 0x80));
    }
  }
}

TEST(QuantMath, Float8Saturation) {
  float inf = std::numeric_limits<float>::infinity();
  // E4M3FN: 449 -> 448 both modes; 464 is a tie -> 448 (even code 0x7E);
  // 465 -> NaN without saturation, 448 with.
  EXPECT_EQ(encodeFloat8(449.0f, Float8Kind::E4M3FN, true), 0x7E);
  EXPECT_EQ(encodeFloat8(449.0f, Float8Kind::E4M3FN, false), 0x7E);
  EXPECT_EQ(encodeFloat8(464.0f, Float8Kind::E4M3FN, false), 0x7E);
  EXPECT_EQ(encodeFloat8(-464.0f, Float8Kind::E4M3FN, true), 0xFE);
  EXPECT_EQ(encodeFloat8(465.0f, Float8Kind::E4M3FN, false), 0x7F);
  EXPECT_EQ(encodeFloat8(465.0f, Float8Kind::E4M3FN, true), 0x7E);
  EXPECT_EQ(encodeFloat8(inf, Float8Kind::E4M3FN, true), 0x7E);
  EXPECT_EQ(encodeFloat8(-inf, Float8Kind::E4M3FN, true), 0xFE);
  EXPECT_EQ(encodeFloat8(inf, Float8Kind::E4M3FN, false), 0x7F);
  // E5M2: 57344 * 1.125 -> 57344 saturated, Inf otherwise.
  EXPECT_EQ(encodeFloat8(57344.0f * 1.125f, Float8Kind::E5M2, true), 0x7B);
  EXPECT_EQ(encodeFloat8(57344.0f * 1.125f, Float8Kind::E5M2, false), 0x7C);
  EXPECT_EQ(encodeFloat8(-inf, Float8Kind::E5M2, false), 0xFC);
  EXPECT_EQ(encodeFloat8(-inf, Float8Kind::E5M2, true), 0xFB);
  // NaN encodes as 0x7F.
  EXPECT_EQ(encodeFloat8(std::nanf(""), Float8Kind::E4M3FN), 0x7F);
  EXPECT_EQ(encodeFloat8(std::nanf(""), Float8Kind::E5M2), 0x7F);
  // 2^-10 is half the smallest E4M3FN subnormal: a tie, to even (0).
  EXPECT_EQ(encodeFloat8(std::ldexp(1.0f, -10), Float8Kind::E4M3FN), 0x00);
  EXPECT_EQ(encodeFloat8(std::ldexp(3.0f, -10), Float8Kind::E4M3FN), 0x02);
}

TEST(QuantMath, Int4PackingLowNibbleFirst) {
  std::vector<int8_t> values = {1, -2, 7, -8, 3};
  std::vector<uint8_t> packed = packInt4(values);
  ASSERT_EQ(packed.size(), 3u);
  EXPECT_EQ(packed[0], uint8_t((0xE << 4) | 0x1));
  EXPECT_EQ(packed[1], uint8_t((0x8 << 4) | 0x7));
  EXPECT_EQ(packed[2], uint8_t(0x3)); // odd count: high nibble zero
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(unpackInt4(packed.data(), i, /*isSigned=*/true), values[i]);
  std::vector<int8_t> unsignedValues = {15, 0, 8, 9, 1, 14, 7};
  packed = packInt4(unsignedValues);
  ASSERT_EQ(packed.size(), 4u);
  for (size_t i = 0; i < unsignedValues.size(); ++i)
    EXPECT_EQ(unpackInt4(packed.data(), i, /*isSigned=*/false),
              unsignedValues[i]);
}

} // namespace
