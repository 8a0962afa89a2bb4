//===- LowBit.h - Group-wise low-bit weight quantization --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Host-side numerics of weight-only quantization (shared/reference/
// algorithms.md sections 2.4, 4 and 5): the group-wise quantizer, round to
// nearest (RTN), GPTQ and AWQ. Weights are in the ONNX MatMul layout B[K, N]
// row-major (K = input channels, the contracted dimension; N = output
// channels); groups of `groupSize` consecutive input channels of one output
// channel share a scale and zero point. These functions know nothing about
// MLIR: the qc-quantize-weights pass calls them and unit tests check them
// against straightforward references.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_LOWBIT_H
#define QC_QUANTIZATION_LOWBIT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc::lowbit {

/// Calibration statistics for GPTQ and AWQ, stored by the calibrator on the
/// `qc.observe` of a matmul input x [.., K]: `2/n X^T X` as a [K, K] f32
/// attribute, and mean |x_j| as a [K] f32 attribute (n = tokens seen).
inline constexpr const char kHessianAttrName[] = "qc.hessian";
inline constexpr const char kMeanAbsAttrName[] = "qc.mean_abs";

//===----------------------------------------------------------------------===//
// Group-wise quantizer
//===----------------------------------------------------------------------===//

/// How weights are quantized. Asymmetric (the default; AutoAWQ's
/// `zero_point=True` quantizer with GPTQ's range widened to contain 0, so
/// that groups of one sign stay representable): unsigned codes
/// [0, 2^b - 1], `min = min(min w, 0)`, `max = max(max w, 0)`,
/// `s = max(max - min, 1e-5) / (2^b - 1)`, `z = clamp(-rne(min / s), 0,
/// 2^b - 1)`, `q = clamp(rne(w / s) + z, 0, 2^b - 1)`. Symmetric: signed codes
/// [-2^(b-1), 2^(b-1) - 1], `s = max(max|w|, 1e-5) / (2^(b-1) - 1)`, z = 0.
/// The scale is rounded to f32 before the codes are computed, so the stored
/// codes dequantize exactly as the compiled kernel does: `(q - z) * s`.
struct QuantConfig {
  unsigned bits = 4;
  /// Input channels per group; the group count is K / groupSize (K must be a
  /// multiple).
  int64_t groupSize = 128;
  bool symmetric = false;

  int64_t qmin() const { return symmetric ? -(int64_t(1) << (bits - 1)) : 0; }
  int64_t qmax() const {
    return symmetric ? (int64_t(1) << (bits - 1)) - 1
                     : (int64_t(1) << bits) - 1;
  }
};

/// Scale and zero point of one group.
struct GroupParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

/// The parameters of a group with the given value range.
GroupParams computeGroupParams(double minValue, double maxValue,
                               const QuantConfig &config);
/// The code of `w`.
int32_t quantizeValue(double w, GroupParams p, const QuantConfig &config);
/// `(q - z) * s`, in f32 as the kernel computes it.
float dequantizeValue(int32_t q, GroupParams p);

/// A quantized weight B[K, N]: codes in the same layout, and one scale and
/// zero point per (group, output channel), `[K / groupSize, N]` row-major.
struct QuantizedWeight {
  int64_t k = 0, n = 0, groupSize = 0;
  std::vector<int32_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;

  /// The dequantized weight, [K, N].
  std::vector<float> dequantize() const;
};

/// Round to nearest with per-group min/max parameters. `weight` is [K, N].
QuantizedWeight quantizeRTN(llvm::ArrayRef<float> weight, int64_t k, int64_t n,
                            const QuantConfig &config);

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

struct GPTQOptions {
  /// Lazy-update block (columns of W[out, in] = rows of B); rounded down to
  /// a multiple of the group size (or up to it) so that no group straddles
  /// two blocks.
  int64_t blockSize = 128;
  /// Damping: `percdamp * mean(diag H)` added to the diagonal.
  double percDamp = 0.01;
  /// Quantize input channels in order of decreasing `H[j, j]`; the group
  /// parameters are then computed up front from the original weight
  /// (`static_groups`) so that groups stay contiguous in memory.
  bool actOrder = false;
};

/// GPTQ (Frantar et al.; shared/reference/algorithms.md section 5) of B[K, N]
/// with the Hessian `hessian` [K, K] row-major (`2/n sum x x^T` over the
/// layer's calibration inputs). Computed in f64. Group parameters are taken
/// from the weight as updated so far, including the updates inside the
/// current block (exact; the reference reads slightly stale columns when
/// the group is smaller than the block). Returns an error message in
/// `error` and an empty result if H + damping is not positive definite even
/// after raising the damping 10 times by 0.0025.
QuantizedWeight quantizeGPTQ(llvm::ArrayRef<float> weight, int64_t k, int64_t n,
                             llvm::ArrayRef<double> hessian,
                             const QuantConfig &config,
                             const GPTQOptions &options, std::string &error);

//===----------------------------------------------------------------------===//
// AWQ
//===----------------------------------------------------------------------===//

struct AWQOptions {
  /// Grid points of the exponent: alpha = i / gridSize, i < gridSize.
  int gridSize = 20;
  /// Weight-clipping search (10 ratios 1.00, 0.95, ..., 0.55).
  bool clip = true;
  /// Per layer (empty: none), the output columns the clip search leaves
  /// alone: those that feed a query-key product. As llm-awq/AutoAWQ skip
  /// q/k projections (q k^T makes the output-MSE clip criterion unreliable);
  /// such columns are quantized with their full range.
  std::vector<std::vector<bool>> noClipColumns;
};

/// The result of AWQ on a group of layers that share one input x [.., K]:
/// per-input-channel factors s (the layers then compute `(x / s) (diag(s)
/// B)`), each layer's quantized `diag(s) B` (after clipping) and the
/// selected exponent.
struct AWQResult {
  std::vector<double> scales;
  std::vector<QuantizedWeight> weights;
  double alpha = 0.0;
  /// Output MSE of RTN and of the selected scales (before clipping), as the
  /// search measured them.
  double rtnLoss = 0.0, bestLoss = 0.0;
};

/// AWQ (Lin et al.; AutoAWQ's duo scaling and clip search, shared/reference/
/// algorithms.md section 4) for layers B_l [K, N_l] reading the same input,
/// from calibration statistics of that input: `meanAbs[j] = mean |x_j|` and
/// `hessian = 2/n X^T X` [K, K]. The output error of a candidate W' is
/// evaluated exactly from the Hessian, `mean_t ||x_t (W - W')||^2 / N =
/// sum_n d_n^T (H / 2) d_n / N`, so no activations need to be kept. Plain
/// RTN (s = 1) is always a candidate: the selected loss never exceeds it.
AWQResult quantizeAWQ(llvm::ArrayRef<std::vector<float>> weights, int64_t k,
                      llvm::ArrayRef<int64_t> n, llvm::ArrayRef<double> meanAbs,
                      llvm::ArrayRef<double> hessian, const QuantConfig &config,
                      const AWQOptions &options);

/// `sum_n d_n^T S d_n` for d = a - b, both [K, N], S [K, K] row-major.
double quadraticError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b,
                      int64_t k, int64_t n, llvm::ArrayRef<double> s);

} // namespace mlir::qc::lowbit

#endif // QC_QUANTIZATION_LOWBIT_H
