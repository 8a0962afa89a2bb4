//===- Passes.td - qc quantization passes ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_PASSES_TD
#define QC_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizePass : Pass<"qc-quantize", "func::FuncOp"> {
  let summary = "Post-training quantization of matmuls and convolutions";
  let description = [{
    Scheme `w8a8`: every `qc.matmul` / `qc.conv` whose data operand carries
    calibration statistics (a `qc.observe` with `#qc.stats`) gets

    - its constant weight quantized per output channel, symmetric int8
      (`s_c = max|W_c| / 127`, codes in [-127, 127], round half to even);
    - its data operand quantized per tensor with `qc.quantize`: `u8`
      asymmetric (default, the operand order x86 VNNI multiplies) or `i8`
      symmetric, over the range the calibration method picks from the
      statistics (`minmax`: [min, max]; `percentile`, `entropy`, `mse`: a
      threshold t from the |x| histogram, range [max(min, -t), min(max, t)]),
      with onnxruntime's scale/zero-point rule;
    - a matmul of two activations (attention) quantizes both per tensor.

    The op itself stays, with quantized operand types: its lowering then
    accumulates in i32 and rescales to the float result. Ops without
    statistics, with non-constant weights, or named in `keep-float` (ONNX
    node names) stay float.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w8a8\"",
           "quantization scheme (w8a8)">,
    Option<"calibMethod", "calib-method", "std::string", "\"minmax\"",
           "activation range: minmax, percentile, entropy or mse">,
    Option<"percentile", "percentile", "double", "99.99",
           "percentile for calib-method=percentile">,
    Option<"activationType", "activation-type", "std::string", "\"u8\"",
           "activation storage: u8 (asymmetric) or i8 (symmetric)">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names whose ops stay float">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qc::QCDialect"
  ];
}

def PropagateScalesPass : Pass<"qc-propagate-scales", "func::FuncOp"> {
  let summary = "Move quantization above shape-only and max/min ops";
  let description = [{
    Quantization `q(x) = clamp(rne(x / s) + zp)` with a per-tensor integer
    type is elementwise and monotone, so it commutes with data movement and
    with maxima and minima. This pass rewrites, for a `qc.quantize` whose
    float input has no other use:

    ```
    q(reshape/expand/collapse/extract_slice(x)) = same op on q(x)
    q(transpose(x))                  = transpose(q(x))
    q(concat(a, b, ...))             = concat(q(a), q(b), ...)   (equal scales)
    q(pad(x, c))                     = pad(q(x), q(c))
    q(fill(c))                       = fill(q(c))
    q(generic{max/min(args, consts)}) = generic{maxui/maxsi...(codes, q(c))}
                                       (MaxPool, ReduceMax, Relu, Clip)
    q(qc.matmul/qc.conv(quantized) : f32) = qc.matmul/qc.conv : quantized
    q(dequantize(c : T)) : T         = c
    ```

    Moved ops work on the stored integers (`qc.storage_cast` views), so the
    float tensor between two quantized layers disappears and the producing
    layer writes codes from its integer epilogue. Exact except for NaN,
    which `q` maps to the zero point while float max propagates it. FP8 and
    per-axis types are left alone.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::qc::QCDialect"
  ];
}

def FoldQDQPass : Pass<"qc-fold-qdq", "func::FuncOp"> {
  let summary = "Turn imported QDQ patterns into quantized compute ops";
  let description = [{
    An ONNX model in QDQ form (QuantizeLinear/DequantizeLinear pairs around
    float MatMul/Conv, as onnxruntime and NVIDIA ModelOpt write them) imports
    as `qc.dequantize` feeding float `qc.matmul` / `qc.conv`. This pass moves
    the quantized types into the compute ops so that they lower to integer
    kernels with the scales the model carries, and removes the now-dead
    float round trips:

    - `qc.matmul` / `qc.conv` whose data operand is a dequantized tensor
      (8-bit integer storage, per tensor) and whose weight is a dequantized
      tensor (8-bit integer storage, per tensor or per output channel: the
      last axis of a matmul weight, axis 0 of a conv weight) take the
      quantized operands and keep their float result. Reshapes
      (`tensor.expand_shape` / `collapse_shape`) and `linalg.transpose`
      between the dequantize and the op are replayed on the stored values
      (a transposed constant weight is transposed at compile time; a
      per-axis weight's axis follows the permutation). A conv bias that is a
      dequantized tensor (int32 with scale s_x * s_w, as onnxruntime writes
      it) is passed quantized.
    - A `qc.quantize` (per tensor, at most 16 bits) that is the only user of
      such an integer op's float result becomes the op's quantized result
      type (requantizing epilogue). This does not change a bit: the epilogue
      computes the same float value and quantizes it the same way.
    - `qc.quantize` of a float constant (QDQ models that keep float weights)
      is evaluated at compile time with QuantizeLinear's arithmetic.

    Anything else is left alone: per-input-channel or per-group weights,
    per-axis, FP8 or 16-bit data, float data (weight-only). In particular
    `qc.dequantize(qc.quantize(x))` is a real rounding step and is never
    folded.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::qc::QCDialect"
  ];
}

def SmoothQuantPass : Pass<"qc-smoothquant", "func::FuncOp"> {
  let summary = "Migrate activation outliers into weights (SmoothQuant)";
  let description = [{
    SmoothQuant (shared/reference/algorithms.md section 6) for W8A8 with
    per-tensor activations. Runs after calibration statistics are attached
    and before `qc-quantize`.

    For every float `qc.matmul` whose rhs is a constant weight W[K, N] (or
    [K]; read through reshapes and transposes) and whose lhs has a
    `qc.observe` with per-channel statistics along its last dimension
    (`channel_axis = rank - 1`, K channels; the calibrator records them):

    ```
    act_max[j] = max(|channel_min[j]|, |channel_max[j]|)
    w_max[j]   = max(max_n |W[j, n]|, 1e-5)        (over the whole group)
    s[j]       = max(act_max[j]^alpha / w_max[j]^(1 - alpha), 1e-5)
                 (s[j] = 1 where act_max[j] = 0: nothing to migrate)
    ```

    The weight becomes the constant `diag(s) W` and the lhs `x * (1 / s)`:
    one elementwise `linalg.generic` multiply by a constant [K] vector,
    inserted right after x. The CPU pipeline's elementwise fusion folds it
    into its producer (e.g. the affine step of a LayerNorm) or into the
    activation's `qc.quantize`, so it costs no extra pass over memory. The
    float function is unchanged up to rounding.

    Matmuls that read the same activation form one scale-sharing group (one
    s, one multiply; w_max over all their weights). The statistics move with
    the data: the probe is moved onto `x / s` (or, if other ops still read
    x, a new probe `<name>/smoothed` is added) with per-channel min/max
    divided by s and per-tensor min/max their extremes, so `qc-quantize`
    sees the smoothed range. The |x| histogram does not carry over, so
    smoothed activations support `calib-method=minmax` only. Matmuls
    without per-channel statistics are left alone.
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5",
           "migration strength in [0, 1] (0: weights only, 1: all of the "
           "activation range moves into the weights)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::qc::QCDialect"
  ];
}

def QuantizeWeightsPass : Pass<"qc-quantize-weights", "func::FuncOp"> {
  let summary = "Weight-only group-wise INT4/INT8 quantization (RTN, GPTQ, AWQ)";
  let description = [{
    Schemes `w4a16` and `w8a16` (shared/reference/algorithms.md sections
    2.4, 4, 5): every float `qc.matmul` whose rhs is a constant 2-D weight
    B[K, N] (read through reshapes and transposes) gets that weight replaced
    by an integer constant with a per-group `!qc.uniform` type: groups of
    `group-size` consecutive input channels (axis 0, `block = group-size`)
    of one output channel share a scale and a zero point (`symmetric`: zero
    point 0, signed codes `i4`/`i8`; otherwise unsigned `u4`/`u8` with a
    zero point, AutoAWQ's quantizer). If K is not a multiple of the group
    size the weight is quantized per output channel (one group of K). The
    activations stay float; the lowering dequantizes the weight inside the
    matmul loop (int4 codes stored two per byte).

    Algorithms (`algo`):

    - `rtn`: round to nearest, no calibration needed.
    - `gptq`: GPTQ with the Hessian `H = 2/n X^T X` that calibration stores
      on the `qc.observe` of the matmul's input (`qc.hessian`, a [K, K] f32
      attribute): damping `damp * mean(diag H)`, Cholesky inverse, lazy
      blocks of `block-size` rows, group parameters, optional `act-order`.
    - `awq`: AWQ scale search (AutoAWQ duo scaling, exponent grid 0, 0.05,
      ..., 0.95, plus plain RTN) with the output error evaluated exactly from
      `qc.hessian`, `qc.mean_abs` ([K], mean |x| per input channel) for the
      activation magnitudes, then the clip search (`awq-clip`; with
      `awq-skip-qk-clip`, as llm-awq/AutoAWQ do, not for the output columns
      that feed a query-key product, i.e. q and k, also inside a fused QKV
      weight). Matmuls that read the same activation share one scale vector
      s. The weights become `diag(s) B` and the activation `x * (1 / s)`:
      an explicit elementwise multiply inserted after x, left to the CPU
      pipeline's elementwise fusion (e.g. with the LayerNorm's affine step).

    Scheme `fp8` (FP8 weights and activations with amax scaling, ModelOpt's
    FP8 default, algorithms.md section 2.5): for a matmul whose input carries
    `#qc.stats`, the weight is stored as FP8 bytes (decoded in the matmul
    loop) and the activation goes through `qc.quantize` to FP8 and
    `qc.dequantize` back: on the CPU FP8 runs by conversion, products of the
    FP8 values accumulated in f32. `fp8-format` picks the encoding of both:
    `e4m3` (E4M3FN, max 448, the default) or `e5m2` (E5M2, max 57344: two
    more exponent bits, one less mantissa bit). Scales are amax / max:
    the activation's `s_x = max(|min|, |max|) / max` from its statistics
    (per tensor); the weight's `s_w = max|W| / max` over the whole weight
    (`fp8-weight-scales=tensor`) or `s_w[n] = max_k |W[k, n]| / max` per
    output channel (`channel`: a per-axis type along axis 1). A scale is
    computed in double and rounded to f32; an all-zero weight or column
    gets scale 1. The conversion of `W / s_w` (divided in f32) and of
    `x / s_x` is ONNX's saturating `Cast` to FP8: round to nearest, ties to
    even, magnitudes past the largest finite value (and infinities) to
    +/- max, NaN to NaN. `algo` and the group options do not apply.

    Scheme `w4a8`: int4 weights (symmetric, per output channel: axis 1,
    `rtn` or `gptq`) and u8 activations (per tensor, asymmetric, from the
    input's `#qc.stats` as `qc-quantize` computes them), so the matmul
    accumulates integer products in i32 and rescales by `s_x * s_w[n]`.
    Matmuls without statistics on their input stay float. Group-wise int4
    weights would need a rescale per group inside the accumulation, which
    the integer kernels do not do; int4 codes of this scheme are not packed
    two per byte (the integer kernel reads one code per byte).

    `mixed-precision` (w4a16): matmuls sharing an input form one group,
    which gets one bit width. For each matmul, with `H = qc.hessian` of its
    input and `d_n` the 4-bit (or 8-bit) RTN error of weight column `w_n`,
    the relative output error on the calibration data is
    `r(bits) = sum_n d_n^T H d_n / sum_n w_n^T H w_n` (the noise-to-signal
    power ratio of its output). A group's sensitivity is the largest
    `r(4)` of its members. The estimated model error is the sum of `r` over
    all quantized matmuls at their chosen widths. Every group starts at 4
    bits; then, in order of decreasing sensitivity, a group moves to 8 bits
    unless

    - `max-error-increase` E > 0 is set and the estimated error is already
      at most E (the error budget is met), or
    - `max-size-ratio` R > 0 is set and 8 bits would take the quantized
      weights (codes plus group parameters) over R times their f32 bytes.

    So with R alone every group that fits the size budget is raised, most
    sensitive first; with E alone (R = 0: no size budget) the fewest groups
    are raised, most sensitive first, until the estimate is within E; with
    both, raising stops at whichever budget binds first, and a warning
    reports an error budget that the size budget leaves unmet. The error is
    that of RTN at each width whatever `algo` is, so the estimate is an
    upper bound for GPTQ/AWQ. Every matmul gets a remark with its width, its
    sensitivity and the reason (the report of the choice), and the function
    one with the totals; each matmul also carries the choice as a
    `qc.mixed_precision` dictionary (`bits`, the group's `sensitivity`, its
    own `error4` and `error8`, `reason`) for `qc-compile --report`.

    Matmuls named in `keep-float` (ONNX node names) stay float. GPTQ/AWQ
    report an error on a matmul whose input has no calibration Hessian.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w4a16\"",
           "w4a16, w8a16, w4a8 or fp8">,
    Option<"fp8Format", "fp8-format", "std::string", "\"e4m3\"",
           "fp8: e4m3 (E4M3FN) or e5m2 (E5M2) for weights and activations">,
    Option<"fp8WeightScales", "fp8-weight-scales", "std::string",
           "\"tensor\"",
           "fp8: weight scales per tensor or per output channel (channel)">,
    Option<"algo", "algo", "std::string", "\"rtn\"", "rtn, gptq or awq">,
    Option<"groupSize", "group-size", "int64_t", "128",
           "input channels per group (0: per output channel)">,
    Option<"symmetric", "symmetric", "bool", "false",
           "symmetric signed codes without zero point">,
    Option<"actOrder", "act-order", "bool", "false",
           "GPTQ: quantize input channels by decreasing H[j, j]">,
    Option<"damp", "damp", "double", "0.01",
           "GPTQ: damping as a fraction of the mean Hessian diagonal">,
    Option<"blockSize", "block-size", "int64_t", "128",
           "GPTQ: lazy-update block size">,
    Option<"awqClip", "awq-clip", "bool", "true",
           "AWQ: run the weight-clipping search">,
    Option<"awqSkipQKClip", "awq-skip-qk-clip", "bool", "false",
           "AWQ: no clip search for the output columns that feed a "
           "query-key product (as llm-awq/AutoAWQ skip q/k projections)">,
    Option<"mixedPrecision", "mixed-precision", "bool", "false",
           "w4a16: raise the most sensitive layers to 8 bits within "
           "max-size-ratio and/or until max-error-increase (needs "
           "qc.hessian)">,
    Option<"maxSizeRatio", "max-size-ratio", "double", "0.3",
           "mixed precision: size budget, weight bytes over their f32 bytes "
           "(0: none, only with max-error-increase)">,
    Option<"maxErrorIncrease", "max-error-increase", "double", "0.0",
           "mixed precision: error budget, the estimated sum of the layers' "
           "relative output errors (0: none)">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names whose matmuls stay float">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::qc::QCDialect"
  ];
}

def FoldChannelScalesPass : Pass<"qc-fold-channel-scales", "func::FuncOp"> {
  let summary = "Fold per-channel activation scales into the producing op";
  let description = [{
    AWQ (`qc-quantize-weights`, `algo=awq`) and `qc-smoothquant` make the
    matmuls of an activation x read `x * c`: an elementwise `linalg.generic`
    multiply by a constant f32 vector c [K] along x's last dimension
    (c = 1 / s, positive). This pass folds c into the op that produced x,
    so that no multiply is left (algorithms.md section 4: "scales folded
    into the preceding op"), when x has no other reader:

    - an elementwise generic that yields `n * gamma + beta` or `n * gamma`
      with gamma and beta constant [K] vectors read along the last dimension
      (the affine step of an imported LayerNormalization, or an earlier
      channel multiply): gamma and beta become `gamma * c` and `beta * c`;
    - (`into-matmul`) a float-result `qc.matmul` with a constant rank-2
      weight W[K', K], optionally followed by a bias add `+ b` with b a
      constant [K] vector: column n of W and b[n] are multiplied by c[n].
      A float weight given as a dense literal is rescaled (a
      `dense_resource` blob is left alone); a quantized weight (per output
      channel, i.e. per axis 1, or per group along axis 0) keeps its codes
      and its per-(group, output channel) scales absorb c, so the folded
      layer is the same function up to f32 rounding of the scales.

    Anything else (x read by another op, a nonlinearity such as GELU in
    between, weights that are not constants) keeps the explicit multiply.
    The float function is unchanged up to rounding.
  }];
  let options = [
    Option<"intoMatmul", "into-matmul", "bool", "true",
           "also fold into a producing matmul's weight columns and bias">
  ];
  let statistics = [
    Statistic<"numFolded", "folded", "channel multiplies folded away">,
    Statistic<"numKept", "kept", "channel multiplies nothing could absorb">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qc::QCDialect"
  ];
}

#endif // QC_QUANTIZATION_PASSES_TD
