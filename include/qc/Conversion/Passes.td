//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_TD
#define QC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalgPass : Pass<"convert-qc-to-linalg", "ModuleOp"> {
  let summary = "Lower qc ops to linalg, arith and math on storage tensors";
  let description = [{
    Replaces every `!qc.uniform` tensor by the signless integer tensor of its
    stored values and every qc op by tensor-level `linalg`, `arith` and
    `math` code with the exact ONNX semantics given in the op descriptions:
    quantization rounds half to even (`math.roundeven`) and saturates, FP8
    conversion is done with integer arithmetic on the float's bits (round
    half to even, saturating), and `qc.matmul` / `qc.conv` become linalg
    contractions. Function signatures are converted too. Unlike upstream
    `lower-quant-ops`, nothing truncates toward zero or wraps around.

    With `packed-kernels`, a matmul or convolution (group 1) whose weight is
    a compile-time constant (f32, or symmetric i8 per tensor / per output
    channel with 8-bit data) instead packs the weight on the host into
    `qc.packed_matmul`'s tiled layout (convolutions through an im2col copy
    of the input), for the CPU kernels of `convert-qc-packed-to-cpu`.
    Weight-only matmuls (f32 data, 4-/8-bit constant weights) become
    `qc.packed_dequant_matmul`; with `weight-only-compute=int8` they get its
    `int8_compute` attribute (activations quantized per row and weight
    group to symmetric int8 at run time, integer dot products; formula in
    the op's description), except where the op cannot take it (a group size
    that is not a multiple of 32 / bits, or groups longer than 65536), which
    stay exact with a remark. `exact` (the default) leaves the op as before.

    `int-k-tile` is K0 of the integer packed layout `[N1, K1, 16, K0]`: 4
    (one `vpdpbusd` / `sdot` / `usdot` lane's bytes) or 8 (AArch64 i8mm
    `usmmla`, whose 2 x 8 operand takes two columns' 8 consecutive bytes).
    An activation-by-activation matmul whose K is not a multiple of 8
    keeps K0 = 4.
  }];
  let options = [
    Option<"packedKernels", "packed-kernels", "bool", "false",
           "Lower matmuls/convolutions with constant weights to "
           "qc.packed_matmul on weights packed at compile time">,
    Option<"weightOnlyCompute", "weight-only-compute", "std::string",
           "\"exact\"",
           "Weight-only matmul arithmetic with packed-kernels: exact (f32 "
           "products) or int8 (activations quantized per group, integer dot "
           "products; needs vnni or arm-dot in convert-qc-packed-to-cpu)">,
    Option<"intKTile", "int-k-tile", "int64_t", "4",
           "K0 of the integer packed layout with packed-kernels: 4 "
           "(vpdpbusd, sdot, usdot) or 8 (AArch64 usmmla)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertQCPackedToCPUPass
    : Pass<"convert-qc-packed-to-cpu", "func::FuncOp"> {
  let summary = "Register-blocked CPU kernels for qc.packed_matmul and "
                "qc.packed_dequant_matmul";
  let description = [{
    Lowers `qc.packed_matmul` on memrefs (after bufferization) to loops of
    vector code that keep an `mr` x (`nb` * 16) block of the accumulator in
    registers while streaming the packed rhs:

    ```
    parallel over (column blocks of nb*16, row blocks of mc):
      for each kc-step slice of K1:
        for each mr-row group:
          acc[r][j] = init tile                    (mr * nb vectors)
          for k1 in slice:
            b[j] = rhs[n1 + j, k1]                 (64 bytes / 16 floats)
            for r: a = broadcast(lhs[m + r, k1*K0 .. +K0])
                   acc[r][j] = dot(acc[r][j], a, b[j])
          init tile = acc
    ```

    `dot` is AVX-512 VNNI `vpdpbusd` (u8 x s8 -> i32, four products per
    lane) when `vnni` is set, and `vector.fma` for f32. On AArch64
    (`arm-dot`) the 16 lanes are four 128-bit dot products: `usdot` (i8mm,
    u8 x s8: the same products) or, with `dotprod` only, `sdot` on the
    activations minus 128 (`a xor 0x80`, s8) plus 128 times the weight
    sums of each lane, which one more `sdot` per tile and k-step gathers
    (`sdot(ones, b)`, shared by the block's rows):
    `sum a * b = sum (a - 128) * b + 128 * sum b`, exact in i32. On the
    K0 = 8 layout (`convert-qc-to-linalg` `int-k-tile=8`, which the CPU
    pipeline picks for i8mm) i8mm uses `usmmla` instead: one instruction
    multiplies a 2 x 8 block of two rows (u8) by two columns' 8 bytes (a
    quarter of the packed k-step, s8) into a 2 x 2 i32 block, twice the
    products of a `usdot`. Rows go in pairs; each (pair, tile) accumulator
    holds eight such blocks, interleaved from and back to the two rows of
    the accumulator buffer, and an odd last row pairs with zeros. Integer
    kernels without a dot product for the layout fall back to scalar
    loops, which LLVM may vectorize. The
    outer loop is an `scf.parallel` when `parallel` is set (each output
    element is computed by one iteration, in the same order whatever the
    thread count, so results do not depend on it). When the accumulator
    buffer is zeroed by a `linalg.fill` just before the op (nothing reads or
    writes it in between), the fill is dropped and the first kc-step starts
    from zero registers instead of loading the tile: the fill was a
    sequential memset of the whole accumulator.

    `qc.packed_dequant_matmul` (float activations x 4/8-bit weight codes
    with group scales and zero points) gets a kernel that dequantizes in
    registers: per packed row of 16 columns it masks each code out of its
    lane, multiplies it by x pre-scaled by a power of two (exact) in an
    f32 FMA, and applies scale and zero point once per (group, column):
    `out += scale * (acc - zp * sum_{k in group} x[k])`. With `vnni` (taken
    as "x86-64 with AVX-512") the masked code enters the FMA as a denormal
    f32 bit pattern (MXCSR.DAZ is cleared for the call and restored after
    it); otherwise it is converted with sitofp. Only float sums are
    reassociated.

    A `qc.packed_dequant_matmul` with `int8_compute` needs `vnni` or
    `arm-dot` (it is an error otherwise): a prepass quantizes each row of `lhs` per group
    (`xs = max|x| / 127`, `xq = roundeven(x / xs)`, kept with the group's
    `sum xq`; int4 codes in the order the nibble masks take them), then per
    packed row and 16 columns `vpdpbusd` multiplies the u8 codes (int4:
    `word & 0x0F0F0F0F` and `(word >> 4) & 0x0F0F0F0F`) by the broadcast
    s8 activation codes into i32 accumulators, and per (group, column)
    `out = fma(f32(acc - zp * sum xq), scale * xs, out)`.
  }];
  let options = [
    Option<"vnni", "vnni", "bool", "false",
           "Use AVX-512 VNNI vpdpbusd for integer kernels and the "
           "denormal-operand form of the weight-only kernel">,
    Option<"armDot", "arm-dot", "std::string", "\"none\"",
           "AArch64 int8 dot products for integer kernels: none, dotprod "
           "(sdot) or i8mm (usdot; usmmla on the K0 = 8 layout)">,
    Option<"parallel", "parallel", "bool", "true",
           "Make the outer block loop an scf.parallel">,
    Option<"mr", "mr", "int64_t", "8", "Rows per register block">,
    Option<"nb", "nb", "int64_t", "2",
           "16-wide column tiles per register block">,
    Option<"kc", "kc", "int64_t", "128",
           "Packed k-steps per cache block">,
    Option<"mc", "mc", "int64_t", "64", "Rows per parallel block">
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def ConvertQuantToQCPass : Pass<"convert-quant-to-qc", "ModuleOp"> {
  let summary = "Convert upstream !quant.uniform types and casts to qc";
  let description = [{
    Rewrites `!quant.uniform` element types (per tensor, per axis and
    sub-channel) into `!qc.uniform`, and `quant.qcast` / `quant.dcast` /
    `quant.scast` into `qc.quantize` / `qc.dequantize` / `qc.storage_cast`.
    Types that qc rejects (for example a zero point outside the storage
    range, which upstream accepts) are reported as errors.
  }];
  let dependentDialects = ["::mlir::qc::QCDialect"];
}

def ConvertQCToQuantPass : Pass<"convert-qc-to-quant", "ModuleOp"> {
  let summary = "Convert qc types and casts to upstream !quant.uniform";
  let description = [{
    The inverse of `convert-quant-to-qc` where the two type systems overlap:
    integer storage at every granularity. FP8 storage has no `!quant.uniform`
    form and is reported as an error.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

#endif // QC_CONVERSION_PASSES_TD
