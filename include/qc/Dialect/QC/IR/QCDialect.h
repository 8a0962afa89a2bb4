//===- QCDialect.h - qc dialect ---------------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The qc dialect: quantized element types, quantization casts, calibration
// probes and graph-level compute ops. Include this header to get all of it.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCDIALECT_H
#define QC_DIALECT_QC_IR_QCDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qc/Dialect/QC/IR/QCDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QC/IR/QCTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qc/Dialect/QC/IR/QCAttrs.h.inc"

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.h.inc"

namespace mlir::qc {

/// Returns the `!qc.uniform` element type of `type` (a shaped type or the
/// element type itself), or null.
UniformType getUniformElementType(Type type);

/// Returns true if `type` is a float type qc accepts as an expressed type
/// (f16, bf16, f32, f64).
bool isExpressedFloatType(Type type);

} // namespace mlir::qc

#endif // QC_DIALECT_QC_IR_QCDIALECT_H

namespace mlir::qc {

/// Computes the result shape of ONNX MatMul (numpy.matmul) for static or
/// dynamic shapes. Reports incompatible shapes through `emitError`.
LogicalResult inferMatMulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                               SmallVectorImpl<int64_t> &result,
                               function_ref<InFlightDiagnostic()> emitError);

/// Computes the result shape of an N-d channels-first convolution with
/// explicit pads `[begin..., end...]`.
LogicalResult inferConvShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                             ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations,
                             ArrayRef<int64_t> pads, int64_t group,
                             SmallVectorImpl<int64_t> &result,
                             function_ref<InFlightDiagnostic()> emitError);

} // namespace mlir::qc
