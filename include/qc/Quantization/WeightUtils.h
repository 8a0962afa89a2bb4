//===- WeightUtils.h - Reading and quantizing constant weights --*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_WEIGHTUTILS_H
#define QC_QUANTIZATION_WEIGHTUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <vector>

namespace mlir::qc {

/// A float weight known at compile time, in row-major order.
struct ConstantWeight {
  SmallVector<int64_t> shape;
  FloatType type;
  std::vector<float> values;
};

/// Reads a float constant, looking through reshapes and transposes of an
/// `arith.constant` (dense or dense_resource). Fails if `value` is not one.
FailureOr<ConstantWeight> readConstantWeight(Value value);

/// Creates a constant attribute of `type` from raw little-endian bytes: an
/// inline `dense` for small tensors, a `dense_resource` blob otherwise.
ElementsAttr createConstantAttr(RankedTensorType type, ArrayRef<char> bytes,
                                StringRef blobName);

/// Quantizes `weight` per channel along `axis`, symmetric with `bits` bits
/// and codes in [-(2^(bits-1)-1), 2^(bits-1)-1] (scale max|W_c| / qmax,
/// round half to even), and returns the quantized tensor value: an integer
/// constant reinterpreted by qc.storage_cast.
Value quantizeWeightPerChannel(OpBuilder &b, Location loc,
                               const ConstantWeight &weight, int64_t axis,
                               unsigned bits);

} // namespace mlir::qc

#endif // QC_QUANTIZATION_WEIGHTUTILS_H
