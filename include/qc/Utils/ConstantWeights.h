//===- ConstantWeights.h - Reading constant tensors on the host -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compile-time access to weights: passes that quantize, smooth or pack
// weights read them through the reshapes and transposes the importer puts
// between an initializer and its use, and write new ones back as inline
// constants or dense_resource blobs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_UTILS_CONSTANTWEIGHTS_H
#define QC_UTILS_CONSTANTWEIGHTS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <cstdint>
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

/// The values of an `i8` constant, looking through the same ops as
/// readConstantWeight. Fails if `value` is not one.
FailureOr<std::vector<int8_t>> readConstantBytes(Value value);

} // namespace mlir::qc

#endif // QC_UTILS_CONSTANTWEIGHTS_H
