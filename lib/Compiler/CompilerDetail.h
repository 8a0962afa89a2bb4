//===- CompilerDetail.h - Shared helpers of the driver ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_COMPILER_COMPILERDETAIL_H
#define QC_LIB_COMPILER_COMPILERDETAIL_H

#include "qc/Compiler/Compiler.h"

namespace mlir::qc::detail {

/// Reads `options.calibPath` for the inputs of the imported model.
FailureOr<std::vector<CalibrationSample>>
loadCalibrationSamples(ModuleOp imported, const CompileOptions &options,
                       Location loc);

/// `options.import` with the input shapes of the calibration feeds.
ONNXImportOptions calibrationImportOptions(const CompileOptions &options,
                                           ArrayRef<CalibrationSample> samples);

/// Whether `target` names the NVIDIA GPU back end ("cuda", "cuda:<arch>" or
/// "cuda-emulate").
bool isCUDATarget(StringRef target);

/// emitSharedObject for `--target=cuda` (CUDATarget.cpp).
LogicalResult emitCUDAModel(ModuleOp module, const CompileOptions &options,
                            StringRef output, StringRef header);

} // namespace mlir::qc::detail

#endif // QC_LIB_COMPILER_COMPILERDETAIL_H
