//===- KernelUtils.h - Helpers shared by the packed CPU kernels -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H
#define QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
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

/// The indices of a register block: `rows` rows from `row` (rowIdx), `tiles`
/// column tiles from `tile` (tileIdx) and each tile's first column, tile *
/// `tileWidth` (colIdx).
inline void blockIndices(OpBuilder &b, Location loc, Value row, int64_t rows,
                         Value tile, int64_t tiles, int64_t tileWidth,
                         SmallVectorImpl<Value> &rowIdx,
                         SmallVectorImpl<Value> &tileIdx,
                         SmallVectorImpl<Value> &colIdx) {
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  for (int64_t r = 0; r < rows; ++r)
    rowIdx.push_back(arith::AddIOp::create(b, loc, row, index(r)));
  for (int64_t j = 0; j < tiles; ++j) {
    tileIdx.push_back(arith::AddIOp::create(b, loc, tile, index(j)));
    colIdx.push_back(
        arith::MulIOp::create(b, loc, tileIdx.back(), index(tileWidth)));
  }
}

} // namespace mlir::qc

#endif // QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H
