//===- Passes.h - qc ahead-of-time ABI passes -------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_AOT_PASSES_H
#define QC_TARGET_AOT_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "qc/Target/AOT/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qc/Target/AOT/Passes.h.inc"

/// Version of the ABI between generated models and the runtime; must equal
/// QC_MODEL_ABI_VERSION in runtime/include/qc/qc_runtime.h.
constexpr unsigned kModelABIVersion = 1;

} // namespace mlir::qc

#endif // QC_TARGET_AOT_PASSES_H
