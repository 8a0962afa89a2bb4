//===- FoldQDQ.cpp - QDQ patterns to quantized compute ops (placeholder) -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Quantization/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "qc/Quantization/Passes.h.inc"
} // namespace mlir::qc

namespace {
struct FoldQDQPass : public mlir::qc::impl::FoldQDQPassBase<FoldQDQPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
