//===- QCTypes.td - qc dialect types -----------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCTYPES_TD
#define QC_DIALECT_QC_IR_QCTYPES_TD

include "qc/Dialect/QC/IR/QCDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class QC_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<QC_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def QC_UniformType : QC_Type<"Uniform", "uniform"> {
  let summary = "uniformly quantized element type";
  let description = [{
    An element type whose stored value `q` represents the real value

    ```
    real = (q - zero_point) * scale
    ```

    where `scale` and `zero_point` are chosen by the element's position:

    - **per tensor** (`axis = -1`): a single scale and zero point;
    - **per axis** (`axis >= 0`, `block = 0`): `scale[i]`, `zero_point[i]` for
      the element whose index along `axis` is `i`;
    - **per group** (`axis >= 0`, `block > 0`): the scales tensor has the rank
      of the value; the element at index `(i0, ..., ik, ...)` with `k = axis`
      uses `scales[i0, ..., ik / block, ...]`.

    Integer storage is `iN` (signed) or `uN` (unsigned) with `N` in 2..8, 16 or
    32; the storage range defaults to the full range of the type and may be
    narrowed, e.g. `i8<-127:127>`. FP8 storage (`f8E4M3FN`, `f8E5M2`) has zero
    point 0; in memory it is the byte of the FP8 encoding.

    Syntax:

    ```
    !qc.uniform<u8:f32, 0.0213:128>            // per tensor, zero point 128
    !qc.uniform<i8<-127:127>:f32, 0.05>        // narrow range, zero point 0
    !qc.uniform<i8:f32:1, {0.1, 0.2:3}>        // per axis 1
    !qc.uniform<u4:f32:0, block = 32,
                scales = dense<...> : tensor<4x8xf32>,
                zero_points = dense<...> : tensor<4x8xi32>>   // per group
    !qc.uniform<f8E4M3FN:f32, 0.0125>          // FP8 with a scale
    ```

    Scales are finite and positive and have the expressed type; zero points
    are `i32` and lie inside the storage range.
  }];
  let parameters = (ins
    "::mlir::Type":$storageType,
    "bool":$isSigned,
    "int64_t":$storageMin,
    "int64_t":$storageMax,
    "::mlir::FloatType":$expressedType,
    "int32_t":$axis,
    "int64_t":$blockSize,
    "::mlir::DenseElementsAttr":$scales,
    "::mlir::DenseElementsAttr":$zeroPoints
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Per-tensor type with storage range [storageMin, storageMax].
    static UniformType getPerTensor(::mlir::Type storageType, bool isSigned,
                                    int64_t storageMin, int64_t storageMax,
                                    ::mlir::FloatType expressedType,
                                    double scale, int64_t zeroPoint);
    /// Per-axis type; `zeroPoints` may be empty (all zero).
    static UniformType getPerAxis(::mlir::Type storageType, bool isSigned,
                                  int64_t storageMin, int64_t storageMax,
                                  ::mlir::FloatType expressedType, int32_t axis,
                                  ::llvm::ArrayRef<double> scales,
                                  ::llvm::ArrayRef<int64_t> zeroPoints);
    /// Per-tensor type over the full range of an integer storage type.
    static UniformType getInteger(::mlir::MLIRContext *ctx, unsigned width,
                                  bool isSigned, ::mlir::FloatType expressedType,
                                  double scale, int64_t zeroPoint);
    bool isPerTensor() const { return getAxis() < 0; }
    bool isPerAxis() const { return getAxis() >= 0 && getBlockSize() == 0; }
    bool isPerGroup() const { return getAxis() >= 0 && getBlockSize() > 0; }
    bool isFloat8() const;
    /// Number of bits of the storage type.
    unsigned getStorageWidth() const;
    /// The signless type that holds the stored value in memory: `iN` for
    /// integer storage, `i8` for FP8 storage.
    ::mlir::IntegerType getStorageMemoryType() const;
    /// True if every zero point is 0.
    bool hasZeroZeroPoints() const;
    /// The single scale / zero point of a per-tensor type.
    double getScale() const;
    int64_t getZeroPoint() const;
    ::llvm::SmallVector<double> getScaleValues() const;
    ::llvm::SmallVector<int64_t> getZeroPointValues() const;
    /// Checks that this element type fits a value of the given shape: the
    /// axis is in range and the scale count matches the dimension (per
    /// axis), or the scales tensor matches the shape and the block size
    /// divides the dimension (per group).
    ::llvm::LogicalResult verifyCompatibleShape(
        ::llvm::ArrayRef<int64_t> shape,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError) const;
  }];
}

def QC_AnyUniform : Type<CPred<"::llvm::isa<::mlir::qc::UniformType>($_self)">,
                         "qc uniform quantized type", "::mlir::qc::UniformType">;

#endif // QC_DIALECT_QC_IR_QCTYPES_TD
