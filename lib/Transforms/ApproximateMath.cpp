//===- ApproximateMath.cpp - Inline polynomial math functions -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// erf, tanh and exp otherwise become calls to libm's scalar functions in
// the middle of elementwise loops (GELU, Softmax, Sigmoid), which keeps
// LLVM from vectorizing those loops: in a transformer encoder, libm's erff
// alone took 15% of the time. MLIR's polynomial approximations are inline
// arithmetic that vectorizes; their error is measured against libm in
// unittests/Transforms/ApproximateMathTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "qc/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public qc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;
  void runOnOperation() override {
    llvm::StringSet<> enabled;
    // The upstream predicate sees operation names ("math.erf"); the option
    // takes either form.
    for (StringRef name : functions)
      enabled.insert(name.starts_with("math.") ? name.str()
                                               : ("math." + name).str());
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [&](StringRef name) { return enabled.contains(name); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
