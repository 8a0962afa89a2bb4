//===- DType.cpp - ONNX element types -------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Utils/DType.h"

#include "mlir/IR/BuiltinTypes.h"

#include <string>

using namespace mlir;
using namespace mlir::qc;

Type mlir::qc::getElementType(MLIRContext *ctx, ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::Float:
    return Float32Type::get(ctx);
  case ONNXDType::Double:
    return Float64Type::get(ctx);
  case ONNXDType::Float16:
    return Float16Type::get(ctx);
  case ONNXDType::BFloat16:
    return BFloat16Type::get(ctx);
  case ONNXDType::Bool:
    return IntegerType::get(ctx, 1);
  case ONNXDType::UInt8:
  case ONNXDType::Int8:
  case ONNXDType::Float8E4M3FN:
  case ONNXDType::Float8E5M2:
    return IntegerType::get(ctx, 8);
  case ONNXDType::UInt16:
  case ONNXDType::Int16:
    return IntegerType::get(ctx, 16);
  case ONNXDType::UInt32:
  case ONNXDType::Int32:
    return IntegerType::get(ctx, 32);
  case ONNXDType::UInt64:
  case ONNXDType::Int64:
    return IntegerType::get(ctx, 64);
  default:
    return {};
  }
}

ONNXDType mlir::qc::getDefaultDType(Type type) {
  if (type.isF32())
    return ONNXDType::Float;
  if (type.isF64())
    return ONNXDType::Double;
  if (type.isF16())
    return ONNXDType::Float16;
  if (type.isBF16())
    return ONNXDType::BFloat16;
  if (auto intType = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = intType.isUnsigned();
    switch (intType.getWidth()) {
    case 1:
      return ONNXDType::Bool;
    case 8:
      return isUnsigned ? ONNXDType::UInt8 : ONNXDType::Int8;
    case 16:
      return isUnsigned ? ONNXDType::UInt16 : ONNXDType::Int16;
    case 32:
      return isUnsigned ? ONNXDType::UInt32 : ONNXDType::Int32;
    case 64:
      return isUnsigned ? ONNXDType::UInt64 : ONNXDType::Int64;
    default:
      break;
    }
  }
  return ONNXDType::Undefined;
}

bool mlir::qc::isFloatDType(ONNXDType dtype) {
  return dtype == ONNXDType::Float || dtype == ONNXDType::Double ||
         dtype == ONNXDType::Float16 || dtype == ONNXDType::BFloat16;
}

bool mlir::qc::isUnsignedDType(ONNXDType dtype) {
  return dtype == ONNXDType::UInt8 || dtype == ONNXDType::UInt16 ||
         dtype == ONNXDType::UInt32 || dtype == ONNXDType::UInt64;
}

bool mlir::qc::isSignedIntDType(ONNXDType dtype) {
  return dtype == ONNXDType::Int8 || dtype == ONNXDType::Int16 ||
         dtype == ONNXDType::Int32 || dtype == ONNXDType::Int64;
}

size_t mlir::qc::getDTypeSize(ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::Float:
  case ONNXDType::Int32:
  case ONNXDType::UInt32:
    return 4;
  case ONNXDType::UInt8:
  case ONNXDType::Int8:
  case ONNXDType::Bool:
  case ONNXDType::Float8E4M3FN:
  case ONNXDType::Float8E5M2:
    return 1;
  case ONNXDType::UInt16:
  case ONNXDType::Int16:
  case ONNXDType::Float16:
  case ONNXDType::BFloat16:
    return 2;
  case ONNXDType::Int64:
  case ONNXDType::UInt64:
  case ONNXDType::Double:
    return 8;
  default:
    return 0;
  }
}

std::string mlir::qc::getDTypeName(ONNXDType dtype) {
  switch (dtype) {
  case ONNXDType::Float:
    return "float32";
  case ONNXDType::UInt8:
    return "uint8";
  case ONNXDType::Int8:
    return "int8";
  case ONNXDType::UInt16:
    return "uint16";
  case ONNXDType::Int16:
    return "int16";
  case ONNXDType::Int32:
    return "int32";
  case ONNXDType::Int64:
    return "int64";
  case ONNXDType::String:
    return "string";
  case ONNXDType::Bool:
    return "bool";
  case ONNXDType::Float16:
    return "float16";
  case ONNXDType::Double:
    return "float64";
  case ONNXDType::UInt32:
    return "uint32";
  case ONNXDType::UInt64:
    return "uint64";
  case ONNXDType::Complex64:
    return "complex64";
  case ONNXDType::Complex128:
    return "complex128";
  case ONNXDType::BFloat16:
    return "bfloat16";
  case ONNXDType::Float8E4M3FN:
    return "float8e4m3fn";
  case ONNXDType::Float8E4M3FNUZ:
    return "float8e4m3fnuz";
  case ONNXDType::Float8E5M2:
    return "float8e5m2";
  case ONNXDType::Float8E5M2FNUZ:
    return "float8e5m2fnuz";
  case ONNXDType::UInt4:
    return "uint4";
  case ONNXDType::Int4:
    return "int4";
  default:
    return "dtype " + std::to_string(static_cast<int32_t>(dtype));
  }
}
