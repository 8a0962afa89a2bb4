//===- NN.cpp - ONNX ops (placeholder until implemented) ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

void mlir::qc::onnx_import::registerNNOps(OpRegistry &) {}
