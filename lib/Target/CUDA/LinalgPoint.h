//===- LinalgPoint.h - Scalar code of one linalg iteration point -*- C++ -*-=//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Helpers shared by the GPU mappings: the scalar code that one GPU thread runs
// for one point of a linalg op's iteration space (operand loads through the
// indexing maps, the cloned body, the result stores).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_TARGET_CUDA_LINALGPOINT_H
#define QC_LIB_TARGET_CUDA_LINALGPOINT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::qc::cuda {

/// The indices into `map`'s operand at loop point `ivs`.
SmallVector<Value> applyIndexingMap(OpBuilder &b, Location loc, AffineMap map,
                                    ValueRange ivs);

/// Emits the body of `op` at loop point `ivs` (one index per loop) and
/// returns the values it yields. Each block argument takes `given(operand)`
/// when that returns a value, else the operand's element at the point
/// (loaded only if the body uses it). `linalg.index` resolves to `ivs`.
SmallVector<Value>
emitLinalgBodyAt(OpBuilder &b, Location loc, linalg::LinalgOp op,
                 ValueRange ivs,
                 llvm::function_ref<Value(OpOperand &)> given = nullptr);

/// Stores `results` into `op`'s outputs at loop point `ivs`.
void storeLinalgResultsAt(OpBuilder &b, Location loc, linalg::LinalgOp op,
                          ValueRange ivs, ValueRange results);

/// The allocation, function argument or global that `buffer` is a view of.
Value getRootBuffer(Value buffer);

} // namespace mlir::qc::cuda

#endif // QC_LIB_TARGET_CUDA_LINALGPOINT_H
