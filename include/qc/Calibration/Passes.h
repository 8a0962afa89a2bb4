//===- Passes.h - qc calibration passes -------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CALIBRATION_PASSES_H
#define QC_CALIBRATION_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "qc/Calibration/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qc/Calibration/Passes.h.inc"

/// Module attribute listing observer names in id order (calibration builds).
constexpr llvm::StringLiteral kObserversAttrName = "qc.observers";
/// Module attribute with the element count of each observed tensor.
constexpr llvm::StringLiteral kObserverSizesAttrName = "qc.observer_sizes";
/// Module attributes with each observer's channel axis (-1: none), channel
/// count (0: none) and channel stride in elements: element i of the flat
/// data is in channel (i / stride) % channels.
constexpr llvm::StringLiteral kObserverChannelAxesAttrName =
    "qc.observer_channel_axes";
constexpr llvm::StringLiteral kObserverChannelsAttrName =
    "qc.observer_channels";
constexpr llvm::StringLiteral kObserverChannelStridesAttrName =
    "qc.observer_channel_strides";
/// Prefix of the per-observer functions of a calibration build.
constexpr llvm::StringLiteral kObserveFunctionPrefix = "__qc_observe_";

} // namespace mlir::qc

#endif // QC_CALIBRATION_PASSES_H
