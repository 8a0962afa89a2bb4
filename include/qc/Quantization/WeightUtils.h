//===- WeightUtils.h - Reading and quantizing constant weights --*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_WEIGHTUTILS_H
#define QC_QUANTIZATION_WEIGHTUTILS_H

#include "qc/Utils/ConstantWeights.h"

#include "mlir/IR/Builders.h"

namespace mlir::qc {

/// Quantizes `weight` per channel along `axis`, symmetric with `bits` bits
/// and codes in [-(2^(bits-1)-1), 2^(bits-1)-1] (scale max|W_c| / qmax,
/// round half to even), and returns the quantized tensor value: an integer
/// constant reinterpreted by qc.storage_cast.
Value quantizeWeightPerChannel(OpBuilder &b, Location loc,
                               const ConstantWeight &weight, int64_t axis,
                               unsigned bits);

/// `x * factors` with `factors` broadcast along x's last dimension (one
/// factor per channel, f32): the elementwise multiply that SmoothQuant and
/// AWQ insert after an activation, built at the current insertion point.
Value scaleLastDimension(OpBuilder &b, Location loc, Value x,
                         ArrayRef<float> factors);

/// Erases `value`'s defining op, then its producers, while they are
/// trivially dead: the old weight chain (constant, reshape, transpose) a
/// quantization pass replaced.
void eraseDeadProducers(Value value);

} // namespace mlir::qc

#endif // QC_QUANTIZATION_WEIGHTUTILS_H
