//===- KernelUtils.h - Helpers shared by the packed CPU kernels -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H
#define QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace mlir::qc {

/// True if the innermost dimension of `memref` is contiguous (stride 1), so
/// that a kernel may load and store whole vectors along it.
inline bool hasUnitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

} // namespace mlir::qc

#endif // QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H
