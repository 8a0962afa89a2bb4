//===- Passes.td - qc general transformations --------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TRANSFORMS_PASSES_TD
#define QC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExpandMemRefCopyPass : Pass<"qc-expand-memref-copy", "func::FuncOp"> {
  let summary = "Turn memref.copy into linalg.copy so it lowers to loops";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between non-contiguous
    buffers to a call to `memrefCopy` from MLIR's runner-utils library, which
    compiled models do not link. Rewriting every `memref.copy` into a
    `linalg.copy` before `convert-linalg-to-loops` keeps the generated code
    self-contained.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // QC_TRANSFORMS_PASSES_TD
