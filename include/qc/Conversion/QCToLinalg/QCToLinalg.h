//===- QCToLinalg.h - Lowering qc to linalg ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_QCTOLINALG_QCTOLINALG_H
#define QC_CONVERSION_QCTOLINALG_QCTOLINALG_H

#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

namespace mlir::qc {

/// Adds the conversion `!qc.uniform` tensor -> storage tensor (and the
/// identity for every other type) to `converter`.
void populateQCTypeConversion(TypeConverter &converter);

/// Adds the patterns lowering qc ops to linalg/arith/math.
void populateQCToLinalgPatterns(const TypeConverter &converter,
                                RewritePatternSet &patterns);

/// Adds the patterns lowering qc.matmul / qc.conv with quantized operands
/// to integer (or weight-only dequantizing) kernels. Included in
/// populateQCToLinalgPatterns.
void populateQuantizedComputePatterns(const TypeConverter &converter,
                                      RewritePatternSet &patterns);

/// Higher-benefit patterns for qc.matmul / qc.conv with constant weights:
/// weights packed at compile time for qc.packed_matmul (CPU kernels).
/// `intK0` is K0 of the integer layout: 4, or 8 for AArch64 usmmla.
void populatePackedComputePatterns(const TypeConverter &converter,
                                   RewritePatternSet &patterns,
                                   int64_t intK0 = 4);

/// Higher-benefit patterns for weight-only qc.matmul (float data, 4-/8-bit
/// constant weights per tensor, column or group along K): codes packed at
/// compile time for qc.packed_dequant_matmul (CPU kernels). With
/// `int8Compute`, the ops get `int8_compute` (activations quantized to int8
/// per group at run time) where the op allows it.
void populateWeightOnlyComputePatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns,
                                       bool int8Compute = false);

/// Scalar code for one element, shared by the lowering and by fused kernels.
/// `scale` has the expressed type and `zeroPoint` is i32.
///
/// Quantizes float `x` to the storage (memory) type of `type`.
Value buildQuantizeScalar(OpBuilder &b, Location loc, Value x, Value scale,
                          Value zeroPoint, UniformType type, bool saturate);
/// Dequantizes stored value `q` to the expressed type of `type`.
Value buildDequantizeScalar(OpBuilder &b, Location loc, Value q, Value scale,
                            Value zeroPoint, UniformType type);

} // namespace mlir::qc

#endif // QC_CONVERSION_QCTOLINALG_QCTOLINALG_H
