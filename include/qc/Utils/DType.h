//===- DType.h - ONNX element types -----------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ONNX TensorProto data types, which are also the runtime ABI's qc_dtype_t
// codes, and their mapping to MLIR element types. MLIR integers are
// signless, so the signedness of an ONNX integer type lives in the dtype.
//
//===----------------------------------------------------------------------===//

#ifndef QC_UTILS_DTYPE_H
#define QC_UTILS_DTYPE_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::qc {

/// ONNX TensorProto data type codes (qc_dtype_t).
enum class ONNXDType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
  Float8E4M3FN = 17,
  Float8E4M3FNUZ = 18,
  Float8E5M2 = 19,
  Float8E5M2FNUZ = 20,
  UInt4 = 21,
  Int4 = 22,
};

/// The MLIR element type holding `dtype` (signless integers, i1 for bool,
/// i8 bytes for FP8), or null if qc has none.
Type getElementType(MLIRContext *context, ONNXDType dtype);

/// The dtype of a signless MLIR element type when nothing says otherwise
/// (integers are taken as signed, i1 as bool).
ONNXDType getDefaultDType(Type elementType);

bool isFloatDType(ONNXDType dtype);
bool isUnsignedDType(ONNXDType dtype);
bool isSignedIntDType(ONNXDType dtype);
inline bool isIntegerDType(ONNXDType dtype) {
  return isUnsignedDType(dtype) || isSignedIntDType(dtype);
}

/// Bytes per element (0 if unknown or sub-byte).
size_t getDTypeSize(ONNXDType dtype);

/// A short lower-case name such as "float32" ("dtype 42" if unknown).
std::string getDTypeName(ONNXDType dtype);

} // namespace mlir::qc

#endif // QC_UTILS_DTYPE_H
