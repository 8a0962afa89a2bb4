//===- WeightOnlyKernels.h - Kernels for qc.packed_dequant_matmul -*- C++ -*-//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_PACKEDTOCPU_WEIGHTONLYKERNELS_H
#define QC_LIB_CONVERSION_PACKEDTOCPU_WEIGHTONLYKERNELS_H

#include "KernelUtils.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir::qc {

/// Emits, before `op` (a qc.packed_dequant_matmul on memrefs), the loops
/// that compute it: register-blocked vector code that dequantizes the codes
/// in registers, or plain scalar loops for layouts the kernel does not
/// cover. The column-block loop is an scf.parallel when `parallel` is set.
/// On x86 with AVX-512 (`dot` = VNNI) the kernel feeds the codes to the
/// FMAs as denormal floats (MXCSR.DAZ cleared for the call). With
/// `int8_compute`, emits the integer kernel, which needs integer dot
/// products (`dot`: vpdpbusd, or AArch64 usdot / sdot) and unit inner
/// strides: fails with an error at the op otherwise. Does not erase `op`.
LogicalResult emitPackedDequantMatMul(OpBuilder &b, PackedDequantMatMulOp op,
                                      bool parallel, IntDot dot);

} // namespace mlir::qc

#endif // QC_LIB_CONVERSION_PACKEDTOCPU_WEIGHTONLYKERNELS_H
