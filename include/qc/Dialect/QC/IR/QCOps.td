//===- QCOps.td - qc dialect operations --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCOPS_TD
#define QC_DIALECT_QC_IR_QCOPS_TD

include "qc/Dialect/QC/IR/QCDialect.td"
include "qc/Dialect/QC/IR/QCTypes.td"
include "qc/Dialect/QC/IR/QCAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

def QC_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
def QC_QuantTensor : RankedTensorOf<[QC_AnyUniform]>;

//===----------------------------------------------------------------------===//
// Quantization casts
//===----------------------------------------------------------------------===//

def QC_QuantizeOp : QC_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "quantize a float tensor (ONNX QuantizeLinear)";
  let description = [{
    Converts each element `x` of `input` into the stored value of the result's
    `!qc.uniform` element type, with the scale `s` and zero point `zp` that
    govern the element's position:

    ```
    integer storage [qmin, qmax]:
      v = x / s                                  // in the expressed type
      q = clamp(round_half_even(v) + zp, qmin, qmax)
      NaN -> zp; +Inf -> qmax; -Inf -> qmin
    FP8 storage:
      q = fp8(x / s)                             // round half to even
      saturate = true:  |x / s| > max finite -> +-max finite; Inf -> +-max
      saturate = false: overflow -> NaN (E4M3FN) or +-Inf (E5M2)
      NaN -> NaN
    ```

    This is ONNX `QuantizeLinear` bit for bit, including its rounding and
    saturation; it never truncates toward zero.

    ```mlir
    %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.5:128>>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_DequantizeOp : QC_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "dequantize a quantized tensor (ONNX DequantizeLinear)";
  let description = [{
    Converts each stored value `q` of `input` into its real value, in the
    expressed type of the input's `!qc.uniform` element type:

    ```
    integer storage: x = (float(q) - float(zp)) * s
    FP8 storage:     x = float(q) * s
    ```

    The subtraction is exact (both operands are small integers) and the
    multiplication rounds once in the expressed type, as ONNX
    `DequantizeLinear` does. `dequantize(quantize(x))` is a real rounding step
    and is never folded to `x`.

    ```mlir
    %x = qc.dequantize %q : tensor<4x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins QC_QuantTensor:$input);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_RequantizeOp : QC_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "change the quantization parameters of a tensor";
  let description = [{
    Re-expresses each stored value under the result's quantization
    parameters. It is defined as the composition of `qc.dequantize` with the
    input's parameters and `qc.quantize` with the result's, each rounding in
    the expressed type exactly as those ops do:

    ```
    x = (float(q_in) - float(zp_in)) * s_in
    q_out = quantize_out(x)       // see qc.quantize
    ```

    The input may be a wide accumulator type (e.g. `i32` with scale
    `s_a * s_b`); both sides must share the expressed type.

    ```mlir
    %r = qc.requantize %acc : tensor<4x!qc.uniform<i32:f32, 0.001>>
                           -> tensor<4x!qc.uniform<i8:f32, 0.05>>
    ```
  }];
  let arguments = (ins QC_QuantTensor:$input);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_StorageCastOp : QC_Op<"storage_cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "reinterpret stored values as a quantized tensor, or back";
  let description = [{
    Converts between a quantized tensor and the signless integer tensor of its
    stored values (`i8` bytes for FP8 storage), without changing any bit:

    ```
    storage_cast(q : tensor<...x!qc.uniform<u8:...>>) : tensor<...xi8>  // same bits
    ```

    Quantized constants are written as an integer `arith.constant` followed by
    a `qc.storage_cast`. Exactly one side must be quantized, and the other
    side's element type must be the storage's memory type (`iN`, or `i8` for
    FP8).

    ```mlir
    %w = qc.storage_cast %bytes : tensor<16xi8> -> tensor<16x!qc.uniform<i8:f32, 0.02>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def QC_ObserveOp : QC_Op<"observe", [MemoryEffects<[MemWrite]>]> {
  let summary = "calibration probe on a float tensor";
  let description = [{
    Records the values of `input` under the key `name` while calibrating. In a
    calibration build it lowers to a call into the runtime's observer hook
    (`qc_rt_observe(id, data, count)`); in a deployment build the calibration
    passes fold the gathered statistics into `stats` and then erase the op.
    The op has no result, so it never changes the computation it watches.

    ```mlir
    qc.observe %x {name = "conv1/Relu:0"} : tensor<1x8x16x16xf32>
    qc.observe %y {name = "fc/MatMul:0",
                   stats = #qc.stats<min = -1.5, max = 6.0, count = 8>} : tensor<1x10xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, StrAttr:$name,
                       OptionalAttr<QC_StatsAttr>:$stats);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Graph-level compute ops
//===----------------------------------------------------------------------===//

def QC_MatMulOp : QC_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with broadcasting (ONNX MatMul)";
  let description = [{
    `numpy.matmul` semantics: for `lhs` of shape `[..., M, K]` and `rhs` of
    shape `[..., K, N]` (the batch dimensions broadcast),

    ```
    result[b..., m, n] = sum_k real(lhs[b..., m, k]) * real(rhs[b..., k, n])
    ```

    A rank-1 `lhs` is treated as `[1, K]` and a rank-1 `rhs` as `[K, 1]`, and
    the added dimension is dropped from the result. Float operands multiply
    and accumulate in their type. Quantized operands accumulate exactly in
    `i32` as `sum_k (q_lhs - zp_lhs) * (q_rhs - zp_rhs)`; the result type then
    decides the epilogue: a float result is the accumulator times
    `s_lhs * s_rhs`; a quantized result is that value quantized with the
    result's parameters (see `qc.quantize`).
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_ConvOp : QC_Op<"conv", [Pure]> {
  let summary = "grouped N-d convolution, channels first (ONNX Conv)";
  let description = [{
    For `input` `[N, C, D1..Dk]`, `weight` `[O, C / group, K1..Kk]` and an
    optional `bias` `[O]`, with explicit `pads = [b1..bk, e1..ek]`:

    ```
    result[n, o, y1..yk] = bias[o] + sum_{c, j1..jk}
        input_padded[n, g * C/group + c, y1*s1 + j1*d1, ...] * weight[o, c, j1..jk]
    g = o / (O / group);   out_i = floor((D_i + b_i + e_i - d_i*(K_i-1) - 1) / s_i) + 1
    ```

    Padding is with real zero (the zero point for quantized inputs). Float
    operands accumulate in their type; quantized operands accumulate in `i32`
    as `qc.matmul` does, and the result type decides the epilogue.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// CPU kernel ops
//===----------------------------------------------------------------------===//

def QC_PackedMatMulOp : QC_Op<"packed_matmul", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "matrix product with a pre-packed right-hand side";
  let description = [{
    The form the CPU back end gives a matmul whose right-hand side is known
    at compile time: the rhs is stored in tiles of `N0` columns by `K0`
    consecutive reduction steps, the layout register-blocked kernels read
    (the mmt4d layout without packing the lhs). For `lhs` `[M, K]`, `rhs`
    `[N1, K1, N0, K0]` with `K = K1 * K0`, and `init` `[M, N1 * N0]`:

    ```
    result[m, n1*N0 + n0] = init[m, n1*N0 + n0]
        + sum_{k1 < K1, k0 < K0} ext(lhs[m, k1*K0 + k0]) * ext(rhs[n1, k1, n0, k0])
    ```

    Integer form: `i8` operands, `i32` init; the lhs is read as **unsigned**
    (zero-extended) and the rhs as **signed** (sign-extended): the operand
    types of x86 `vpdpbusd`. Products and sums wrap in `i32` (they cannot
    overflow for K < 2^16). Float form: `f32` everywhere, multiply-add in
    `f32` in increasing k order.

    Works on tensors (destination style: the result is `init` updated) and,
    after bufferization, on memrefs (no result; `init` is updated in place).

    ```mlir
    %acc = qc.packed_matmul ins(%a, %w : tensor<8x64xi8>, tensor<2x16x16x4xi8>)
                            outs(%zero : tensor<8x32xi32>) -> tensor<8x32xi32>
    ```
  }];
  let arguments = (ins AnyShaped:$lhs, AnyShaped:$rhs, AnyShaped:$init);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $lhs `,` $rhs `:` type($lhs) `,` type($rhs) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// Tile sizes of the packed rhs.
    int64_t getN0() {
      return ::llvm::cast<::mlir::ShapedType>(getRhs().getType()).getDimSize(2);
    }
    int64_t getK0() {
      return ::llvm::cast<::mlir::ShapedType>(getRhs().getType()).getDimSize(3);
    }
  }];
}

def QC_PackedDequantMatMulOp : QC_Op<"packed_dequant_matmul", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "float matrix product with packed group-quantized weights";
  let description = [{
    The CPU form of a weight-only (`w4a16` / `w8a16`) matmul whose weight
    is known at compile time: float activations times integer weight codes
    that the kernel dequantizes in registers. The codes of 16 consecutive
    columns (a tile) and `K0 = 32 / bits` consecutive reduction steps share
    one 64-byte row of `rhs`, and the rows of `T` neighbouring tiles are
    interleaved (the tiles one kernel block reads together, so that it
    reads one sequential stream): with `bits` = 4 or 8, `rhs` is
    `[N2, ceil(K / K0), T, 16] x i32`, and the code of input `k` and column
    `n = 16 * (T * n2 + t) + n0` is the unsigned bit field

    ```
    code(k, n) = (rhs[n2, k / K0, t, n0] >> (bits * (k mod K0))) & (2^bits - 1)
    ```

    (int4: eight codes per 32-bit word, two per byte). The reduction
    dimension is split into groups of `group_size` inputs, group `g`
    covering `k` in `[g * group_size, min((g + 1) * group_size, K))`, with
    one scale and one zero point per (group, column), stored in the same
    interleaved tiles: `scales` and `zero_points` are `[N2, G, T, 16] x f32`
    with `G = ceil(K / group_size)`. For `lhs` `[M, K]` and `init`
    `[M, N2 * T * 16]`:

    ```
    result[m, n] = init[m, n] + sum_{g < G} scales[n2, g, t, n0] *
        sum_{k in group g} lhs[m, k] * (code(k, n) - zero_points[n2, g, t, n0])
    ```

    Everything is `f32`; the sums may be evaluated in any order (float
    reassociation). Signed weights are stored with their codes offset to
    unsigned (`q + 2^(bits-1)`) and the zero point offset likewise.

    With the unit attribute `int8_compute` (the `--weight-only-compute=int8`
    mode, onnxruntime's MatMulNBits `accuracy_level` 4 class) the
    activations are first quantized per row and group to symmetric int8,
    and each group's dot product is taken in integers:

    ```
    a(m, g)   = max_{k in group g} |lhs[m, k]|
    xs(m, g)  = a(m, g) / 127                             (f32 division)
    xq(m, k)  = clamp(roundeven(lhs[m, k] / xs(m, g)), -127, 127)
                (0 for every k of the group when xs(m, g) = 0)
    d(m, g, n) = sum_{k in group g} xq(m, k) * code(k, n)
                 - int(zero_points[n2, g, t, n0]) * sum_{k in group g} xq(m, k)
    result[m, n] = init[m, n] + sum_{g < G} (scales[n2, g, t, n0] * xs(m, g))
                                            * f32(d(m, g, n))
    ```

    `d` is exact in `i32` (the verifier bounds the group length by 65536
    and requires groups of whole packed rows, `group_size % K0 == 0`, or a
    single group); `f32(d)` is exact while `|d| < 2^24` (groups of up to
    512 inputs). The group terms are added to `init` in order of `g`, each
    as one fused multiply-add. The zero points must be integers (they are,
    as the weight-only lowering writes them). A non-finite input leaves its
    row's results unspecified (no trap).

    Works on tensors (destination style: the result is `init` updated) and,
    after bufferization, on memrefs (no result; `init` is updated in
    place).

    ```mlir
    %y = qc.packed_dequant_matmul
           ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<1x32x4x16xi32>,
               tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>)
           outs(%acc : tensor<1x64xf32>) {bits = 4 : i64, group_size = 128 : i64}
           -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins AnyShaped:$lhs, AnyShaped:$rhs, AnyShaped:$scales,
                       AnyShaped:$zero_points, AnyShaped:$init,
                       I64Attr:$bits, I64Attr:$group_size,
                       UnitAttr:$int8_compute);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $lhs `,` $rhs `,` $scales `,` $zero_points `:` type($lhs) `,`
    type($rhs) `,` type($scales) `,` type($zero_points) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// Codes per 32-bit word of the packed rhs (reduction steps per row).
    int64_t getK0() { return 32 / getBits(); }
    /// Tiles of 16 columns whose rows are interleaved in rhs (T).
    int64_t getTilesPerGroup() {
      return ::llvm::cast<::mlir::ShapedType>(getRhs().getType())
          .getDimSize(2);
    }
    /// Tiles of 16 columns the CPU kernel keeps in registers for `m` rows:
    /// 8 for one row, 4 for a few rows, 2 for long M. The weight-only
    /// lowering interleaves rhs by this count (or the largest power of two
    /// below it that divides the tile count), so a kernel block reads one
    /// sequential stream.
    static int64_t getKernelTiles(int64_t m) {
      return m == 1 ? 8 : (m <= 8 ? 4 : 2);
    }
  }];
}

#endif // QC_DIALECT_QC_IR_QCOPS_TD
