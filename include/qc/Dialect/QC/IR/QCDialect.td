//===- QCDialect.td - qc dialect definition ----------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCDIALECT_TD
#define QC_DIALECT_QC_IR_QCDIALECT_TD

include "mlir/IR/OpBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::mlir::qc";
  let summary = "Quantized tensor types and operations with ONNX-exact semantics";
  let description = [{
    The `qc` dialect carries quantization through the qc compiler, from the
    imported float graph to the lowered integer kernels.

    **Quantized values.** A quantized tensor has the element type
    `!qc.uniform<...>`, which names the storage type (signed or unsigned
    integer of 2 to 8, 16 or 32 bits, or FP8 E4M3FN/E5M2), the expressed
    (float) type, the storage range (narrow range is `[-2^(b-1)+1,
    2^(b-1)-1]`), and scales and zero points at one of three granularities:

    - per tensor: one scale and zero point;
    - per axis: one scale and zero point per index of `axis`;
    - per group (block): along `axis`, every `block` consecutive elements share
      one scale and zero point; the scales tensor has the rank of the value and
      `dim(axis) / block` entries along `axis`.

    The real value a stored value `q` represents is

    ```
    real = (q - zero_point) * scale
    ```

    with the scale and zero point that govern `q`'s position. FP8 storage has
    zero point 0 and `q` is the FP8 number the stored byte encodes.

    **Semantics are those of ONNX**, bit for bit: `QuantizeLinear` divides by
    the scale in the expressed type, rounds half to even, adds the zero point
    and saturates to the storage range; FP8 conversion rounds half to even and
    saturates to the largest finite value (`saturate=1`). Upstream MLIR's
    `lower-quant-ops` truncates toward zero and does not clamp, and it folds
    `dcast(qcast(x))` to `x`; qc does neither.

    The graph-level compute ops (`qc.matmul`, `qc.conv`) accept float or
    quantized operands: quantization changes types, never op identity, and the
    lowering picks integer or float code from the element types.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    /// Defined next to the type storage classes (QCTypes.cpp).
    void registerTypes();
  }];
}

#endif // QC_DIALECT_QC_IR_QCDIALECT_TD
