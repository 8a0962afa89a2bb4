//===- Quant.cpp - ONNX quantization ops (placeholder) --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

void mlir::qc::onnx_import::registerQuantOps(OpRegistry &) {}
