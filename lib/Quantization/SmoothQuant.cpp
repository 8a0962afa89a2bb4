//===- SmoothQuant.cpp - SmoothQuant (placeholder) -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_SMOOTHQUANTPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

namespace {
struct SmoothQuantPass : public mlir::qc::impl::SmoothQuantPassBase<SmoothQuantPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
