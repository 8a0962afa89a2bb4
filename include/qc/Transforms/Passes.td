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

def FuseElementwisePass : Pass<"qc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops where it adds no recomputation";
  let description = [{
    Upstream `linalg-fuse-elementwise-ops` with a stricter control: a
    producer generic is fused into its consumer only when the producer has
    one use and the consumer's indexing map for it is a permutation, i.e.
    each producer element is computed once. Upstream's default also fuses a
    producer into reductions and broadcasts (a quantize into the k loop of a
    matmul, recomputed for every output column).
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // QC_TRANSFORMS_PASSES_TD
