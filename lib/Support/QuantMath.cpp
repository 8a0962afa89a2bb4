//===- QuantMath.cpp - Reference quantization arithmetic ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Support/QuantMath.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace mlir::qc::math {

StorageRange integerRange(unsigned bits, bool isSigned, bool narrow) {
  if (!isSigned)
    return {0, (int64_t(1) << bits) - 1};
  int64_t max = (int64_t(1) << (bits - 1)) - 1;
  return {narrow ? -max : -max - 1, max};
}

float roundHalfEven(float x) {
  // std::nearbyint uses the current rounding mode, which is round to nearest
  // even unless a caller changed it; rint would do the same. std::round
  // rounds half away from zero and is wrong here.
  return std::nearbyint(x);
}

QuantParams computeScaleZeroPoint(double rmin, double rmax, int64_t qmin,
                                  int64_t qmax, bool symmetric) {
  rmin = std::min(rmin, 0.0);
  rmax = std::max(rmax, 0.0);
  if (symmetric) {
    double a = std::max(std::fabs(rmin), std::fabs(rmax));
    rmin = -a;
    rmax = a;
  }
  double scale = (rmax - rmin) / double(qmax - qmin);
  if (!(scale >= double(FLT_MIN)))
    return {1.0f, 0};
  float scaleF = float(scale);
  int64_t zeroPoint;
  if (symmetric)
    zeroPoint = int64_t(std::nearbyint(double(qmin + qmax) / 2.0));
  else
    zeroPoint = int64_t(std::nearbyint(double(qmin) - rmin / scale));
  zeroPoint = std::clamp(zeroPoint, qmin, qmax);
  return {scaleF, zeroPoint};
}

int64_t quantize(float x, float scale, int64_t zeroPoint, StorageRange range) {
  float v = x / scale;
  if (std::isnan(v))
    return zeroPoint;
  // rne(v) is exact in float; adding the zero point in double is exact too,
  // and clamping there saturates values far outside any integer range.
  double q = double(roundHalfEven(v)) + double(zeroPoint);
  q = std::clamp(q, double(range.min), double(range.max));
  return int64_t(q);
}

float dequantize(int64_t q, float scale, int64_t zeroPoint) {
  return float(q - zeroPoint) * scale;
}

float float8MaxFinite(Float8Kind kind) {
  return kind == Float8Kind::E4M3FN ? 448.0f : 57344.0f;
}

float decodeFloat8(uint8_t code, Float8Kind kind) {
  bool negative = code & 0x80;
  unsigned mantBits = kind == Float8Kind::E4M3FN ? 3 : 2;
  unsigned expBits = 7 - mantBits;
  int bias = kind == Float8Kind::E4M3FN ? 7 : 15;
  unsigned exp = (code >> mantBits) & ((1u << expBits) - 1);
  unsigned mant = code & ((1u << mantBits) - 1);
  float value;
  if (kind == Float8Kind::E4M3FN && exp == 15 && mant == 7) {
    value = std::numeric_limits<float>::quiet_NaN();
  } else if (kind == Float8Kind::E5M2 && exp == 31) {
    value = mant == 0 ? std::numeric_limits<float>::infinity()
                      : std::numeric_limits<float>::quiet_NaN();
  } else if (exp == 0) {
    value = std::ldexp(float(mant), 1 - bias - int(mantBits));
  } else {
    value =
        std::ldexp(1.0f + float(mant) / float(1u << mantBits), int(exp) - bias);
  }
  return negative ? -value : value;
}

uint8_t encodeFloat8(float x, Float8Kind kind, bool saturate) {
  // The exact table encoder of the ONNX float8 specification: find the two
  // representable neighbours of |x| and take the nearer, ties to the even
  // code (the code's last bit is the mantissa's last bit).
  if (std::isnan(x))
    return 0x7F;
  uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  float a = std::fabs(x);
  float maxFinite = float8MaxFinite(kind);
  uint8_t maxCode = kind == Float8Kind::E4M3FN ? 0x7E : 0x7B;
  uint8_t overflowCode = kind == Float8Kind::E4M3FN ? 0x7F : uint8_t(0x7C);
  if (std::isinf(a))
    return saturate ? uint8_t(sign | maxCode)
                    : uint8_t(kind == Float8Kind::E4M3FN ? 0x7F
                                                         : sign | overflowCode);
  if (a > maxFinite) {
    if (saturate)
      return sign | maxCode;
    // Past max, the next (virtual) value is 480 / 65536 and encodes to the
    // overflow code; a value rounds there unless it is nearer to max, with
    // the tie going to the even code. max's code is even for E4M3FN (0x7E)
    // and odd for E5M2 (0x7B), so the tie rounds down / up respectively.
    float next = kind == Float8Kind::E4M3FN ? 480.0f : 65536.0f;
    float mid = (maxFinite + next) / 2;
    bool roundsDown = a < mid || (a == mid && (maxCode & 1) == 0);
    if (roundsDown)
      return sign | maxCode;
    return kind == Float8Kind::E4M3FN ? uint8_t(0x7F) : uint8_t(sign | 0x7C);
  }
  // Binary search over the ascending codes 0..maxCode.
  unsigned lo = 0, hi = maxCode;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (decodeFloat8(uint8_t(mid), kind) < a)
      lo = mid + 1;
    else
      hi = mid;
  }
  unsigned h = lo; // first code with value >= a
  if (h == 0 || decodeFloat8(uint8_t(h), kind) == a)
    return sign | uint8_t(h);
  float below = decodeFloat8(uint8_t(h - 1), kind);
  float above = decodeFloat8(uint8_t(h), kind);
  float dBelow = a - below, dAbove = above - a;
  unsigned code;
  if (dBelow < dAbove)
    code = h - 1;
  else if (dAbove < dBelow)
    code = h;
  else
    code = (h % 2 == 0) ? h : h - 1;
  return sign | uint8_t(code);
}

std::vector<uint8_t> packInt4(const std::vector<int8_t> &values) {
  std::vector<uint8_t> packed((values.size() + 1) / 2, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    uint8_t nibble = uint8_t(values[i]) & 0xF;
    packed[i / 2] |= (i % 2 == 0) ? nibble : uint8_t(nibble << 4);
  }
  return packed;
}

int8_t unpackInt4(const uint8_t *packed, size_t index, bool isSigned) {
  uint8_t byte = packed[index / 2];
  uint8_t nibble = (index % 2 == 0) ? (byte & 0xF) : (byte >> 4);
  if (isSigned && (nibble & 0x8))
    return int8_t(nibble | 0xF0);
  return int8_t(nibble);
}

} // namespace mlir::qc::math
