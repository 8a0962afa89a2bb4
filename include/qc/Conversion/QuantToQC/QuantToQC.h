//===- QuantToQC.h - Interoperation with !quant.uniform ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_QUANTTOQC_QUANTTOQC_H
#define QC_CONVERSION_QUANTTOQC_QUANTTOQC_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

namespace mlir::qc {

/// Converts an upstream quantized type (per tensor, per axis, or sub-channel
/// blocked along one dimension) to `!qc.uniform`. Fails, reporting through
/// `emitError`, for forms qc does not accept: zero points outside the
/// storage range, several blocked dimensions, unsupported storage widths.
FailureOr<UniformType>
convertFromQuantType(quant::QuantizedType type,
                     function_ref<InFlightDiagnostic()> emitError);

/// Converts `!qc.uniform` with integer storage to the equivalent upstream
/// type. FP8 storage has no upstream form and fails.
FailureOr<quant::QuantizedType>
convertToQuantType(UniformType type,
                   function_ref<InFlightDiagnostic()> emitError);

} // namespace mlir::qc

#endif // QC_CONVERSION_QUANTTOQC_QUANTTOQC_H
