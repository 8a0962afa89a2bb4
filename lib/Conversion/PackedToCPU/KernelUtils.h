//===- KernelUtils.h - Helpers shared by the packed CPU kernels -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H
#define QC_LIB_CONVERSION_PACKEDTOCPU_KERNELUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace mlir::qc {

/// The int8 dot-product instructions an integer CPU kernel uses.
enum class IntDot {
  None,
  /// AVX-512 VNNI vpdpbusd: u8 x s8, 16 lanes of four products.
  VNNI,
  /// AArch64 dotprod sdot: s8 x s8, 4 lanes per 128-bit register.
  ArmDotProd,
  /// AArch64 i8mm usdot: u8 x s8, 4 lanes per 128-bit register.
  ArmI8MM,
};

/// acc (16 x i32) plus the dot products of the four bytes of each 32-bit
/// lane of `a` and `b` (64 x i8 each) as four 128-bit AArch64 dot
/// products: usdot (`a` unsigned, `b` signed) for ArmI8MM, sdot (both
/// signed) for ArmDotProd.
inline Value emitArmDot(OpBuilder &b, Location loc, IntDot dot, Value acc,
                        Value a, Value bv) {
  auto quarter = VectorType::get({4}, b.getI32Type());
  StringRef name = dot == IntDot::ArmI8MM
                       ? "llvm.aarch64.neon.usdot.v4i32.v16i8"
                       : "llvm.aarch64.neon.sdot.v4i32.v16i8";
  auto slice = [&](Value v, int64_t offset, int64_t size) -> Value {
    return vector::ExtractStridedSliceOp::create(
        b, loc, v, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{size},
        ArrayRef<int64_t>{1});
  };
  Value result = acc;
  for (int64_t q = 0; q < 4; ++q) {
    Value accQ = slice(acc, 4 * q, 4);
    Value aQ = slice(a, 16 * q, 16);
    Value bQ = slice(bv, 16 * q, 16);
    Value sum =
        LLVM::CallIntrinsicOp::create(b, loc, quarter, b.getStringAttr(name),
                                      ValueRange{accQ, aQ, bQ})
            .getResult(0);
    result = vector::InsertStridedSliceOp::create(
        b, loc, sum, result, ArrayRef<int64_t>{4 * q}, ArrayRef<int64_t>{1});
  }
  return result;
}

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
