//===- QuantMath.h - Reference quantization arithmetic ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Scalar reference implementations of qc's quantization arithmetic, with no
// MLIR dependency. The compiler uses them to fold constants (weights are
// quantized at compile time) and the unit tests check the generated code and
// the ONNX reference vectors against them. Every function follows the ONNX
// definition bit for bit: rounding is half to even, integer results saturate.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_QUANTMATH_H
#define QC_SUPPORT_QUANTMATH_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlir::qc::math {

/// An inclusive range of stored integer values.
struct StorageRange {
  int64_t min;
  int64_t max;
};

/// The storage range of a `bits`-wide integer. Narrow range drops the most
/// negative signed value (int8: [-127, 127]); it has no effect on unsigned.
StorageRange integerRange(unsigned bits, bool isSigned, bool narrow = false);

/// A scale and zero point.
struct QuantParams {
  float scale;
  int64_t zeroPoint;
};

/// Scale and zero point for the real range [rmin, rmax] mapped onto
/// [qmin, qmax], as onnxruntime's `compute_scale_zp`: the range is widened to
/// contain 0; symmetric uses max(|rmin|, |rmax|) on both sides and the middle
/// of [qmin, qmax] as zero point; a degenerate range gives scale 1, zero
/// point 0. Arithmetic in double, scale stored as float.
QuantParams computeScaleZeroPoint(double rmin, double rmax, int64_t qmin,
                                  int64_t qmax, bool symmetric);

/// Round half to even, as ONNX QuantizeLinear and numpy.rint.
float roundHalfEven(float x);

/// ONNX QuantizeLinear for integer storage: clamp(rne(x / scale) + zp).
/// NaN maps to the zero point, +-Inf to the range ends.
int64_t quantize(float x, float scale, int64_t zeroPoint, StorageRange range);

/// ONNX DequantizeLinear: (q - zp) * scale, rounded once in float.
float dequantize(int64_t q, float scale, int64_t zeroPoint);

/// The FP8 formats of the ONNX float8 specification.
enum class Float8Kind { E4M3FN, E5M2 };

/// Largest finite value: 448 (E4M3FN) or 57344 (E5M2).
float float8MaxFinite(Float8Kind kind);

/// Encodes `x` as FP8 with round half to even. With `saturate`, values beyond
/// the largest finite value (and +-Inf) become +-max; without it they become
/// NaN (E4M3FN) or +-Inf (E5M2). NaN encodes as 0x7F.
uint8_t encodeFloat8(float x, Float8Kind kind, bool saturate = true);

/// Decodes an FP8 byte to float (exact).
float decodeFloat8(uint8_t code, Float8Kind kind);

/// Packs signed or unsigned 4-bit values two per byte, element 2i in the low
/// nibble of byte i and element 2i+1 in the high nibble (ONNX INT4/UINT4
/// layout). An odd count leaves the last high nibble zero.
std::vector<uint8_t> packInt4(const std::vector<int8_t> &values);

/// Element `index` of a packed 4-bit buffer, sign-extended when `isSigned`.
int8_t unpackInt4(const uint8_t *packed, size_t index, bool isSigned);

} // namespace mlir::qc::math

#endif // QC_SUPPORT_QUANTMATH_H
