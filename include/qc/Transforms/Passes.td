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

    It also folds `linalg.transpose` ops into the generics around them:
    a generic consuming a transpose reads the transpose's input through the
    permuted indexing map, and a single-use, single-result generic whose
    result is transposed writes the transposed layout directly (when its
    init is unread or a `linalg.fill`, refilled in the new shape). A
    channels-last convolution whose result is transposed to NCHW for a
    global average pool or a max pool (and back) then needs no transposed
    copy. Only the addressing changes; results are bit-identical.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ReorderReductionLoopsPass
    : Pass<"qc-reorder-reduction-loops", "func::FuncOp"> {
  let summary = "Make contractions' innermost loop contiguous and parallel";
  let description = [{
    For a `linalg.generic` (or `linalg.matmul` / `batch_matmul`, generalized
    first) whose innermost iteration dimension is a reduction, moves the
    parallel dimension that indexes the output's last (contiguous) dimension
    innermost, provided some input is also read contiguously along it:
    `C[m, n] += A[m, k] * B[k, n]` becomes the loop order (m, k, n). The
    inner loop then updates a contiguous row and vectorizes; every output
    element still accumulates over k in the same order, so results are
    bit-identical. Row reductions (softmax sums, LayerNorm means), where no
    input is contiguous along an output dimension, are left alone.
    Window reductions (pooling: no indexing map walks a reduction dimension
    together with a parallel one, as in `x[n, 2h + kh, 2w + kw, c]`) keep the
    window innermost instead, after the contiguous dimension: (n, h, w, c,
    kh, kw). Each output's accumulator then stays in a register over the
    window and LLVM vectorizes the loop over c once the window is unrolled.
    A max window gives identical results; a sum window (average pooling)
    now has its reduction innermost, so `qc-reassociate-reductions` allows
    it to be reassociated like any other innermost sum.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ReassociateReductionsPass
    : Pass<"qc-reassociate-reductions", "func::FuncOp"> {
  let summary = "Let LLVM vectorize floating-point sum reductions";
  let description = [{
    For a `linalg.generic` whose innermost loop is a reduction, marks each
    floating-point `arith.addf` that accumulates into an output (one operand
    is the output's block argument, the result is yielded) with
    `fastmath<reassoc>`. LLVM's loop vectorizer then keeps partial sums in
    vector lanes and adds them at the end: the sum `s = s + x[k]` over k is
    computed in a different (fixed) order, so results may differ from a
    sequential sum in the last bits, identically on every run and at every
    thread count. Softmax and LayerNorm row sums, ReduceSum/ReduceMean and
    dot-product matmuls whose reduction stays innermost are affected.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ApproximateMathPass : Pass<"qc-approximate-math", "func::FuncOp"> {
  let summary = "Replace libm calls by inline polynomial approximations";
  let description = [{
    Rewrites the listed `math` ops on f32 (scalars or vectors) into MLIR's
    polynomial approximations, inline arithmetic that LLVM can vectorize,
    instead of calls to libm's scalar functions. Maximum errors against
    libm are measured in `unittests/Transforms/ApproximateMathTest.cpp`.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "math op names to approximate (e.g. erf, tanh, exp)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def LowerGenericsToLoopsPass
    : Pass<"qc-lower-generics-to-loops", "func::FuncOp"> {
  let summary = "Lower linalg.generic on buffers to loops that keep "
                "innermost-loop invariants in registers";
  let description = [{
    Lowers each `linalg.generic` on memrefs with static loop ranges whose
    iterators are parallel loops followed by zero or more reduction loops
    (elementwise ops; row reductions: softmax max and sum, LayerNorm mean
    and variance; pooling windows) to `scf.for` loops in the op's loop
    order, like `convert-linalg-to-loops`, except that:

    - a reduction's accumulators are loaded once before the reduction
      loops, carried through them as `iter_args` and stored once after
      them, instead of a load and a store of the output per iteration;
    - inputs whose indexing map uses none of the innermost loops (the
      reduction loops, or the last loop of an elementwise op: a row's
      maximum or mean broadcast along the row) are loaded once before them.

    - the innermost loop of an elementwise op over a short row (2 to 64
      elements) that every operand reading it reads contiguously becomes one
      `vector.load` per such operand, the body on vectors (values that do
      not depend on the row broadcast) and one `vector.store` per output.
      LLVM fully unrolls such short loops before its loop vectorizer runs
      and then cannot combine the scalar loads and stores of buffers that
      may alias (a 16-channel patch copy stayed 16 byte moves);
    - `linalg.copy` (what `qc-expand-memref-copy` makes of `memref.copy`:
      padding, concatenation) is lowered the same way, as a generic.
    - so are `linalg.fill` and `linalg.map` on buffers (the zeros of a
      padded buffer): vector rows of the value;
    - the row is the last loop with more than one iteration, and an
      operand's row index may be followed by dimensions of size 1 (a
      one-channel channels-last image, a 1x1 map), which a rank-reducing
      `memref.subview` made before the loops drops for the vector access;
    - a reduction whose loops are parallel loops, then reduction loops,
      then a short contiguous row (global average pooling with the
      channels innermost) keeps one vector row per output as the reduction
      loops' `iter_args`, loaded and stored once; every lane sees the
      scalar operations in the original order;
    - a reduction right after a `linalg.fill` of its whole output buffer
      (only ops without memory effects between them; the reduction stores
      every element) starts its accumulators from the fill's value, and
      the fill is erased.

    The arithmetic and its order are unchanged (results are bit-identical).
    What changes is what LLVM can prove: with every buffer an offset into
    one planned workspace (`qc-aot-plan-workspace`), LLVM cannot show that a
    store to the output does not modify an input of the next iteration, so
    the `convert-linalg-to-loops` form of a row maximum runs as a scalar
    chain of loads and stores, while this form is a register reduction it
    vectorizes. Other linalg ops are left to `convert-linalg-to-loops`.

    With `parallel`, one loop of each nest of at least `min-parallel-work`
    iterations becomes an `scf.parallel` (for `convert-scf-to-openmp`): the
    outermost loop with more than one iteration, if only loops of one
    iteration enclose it (one parallel region per nest, no index
    delinearization), it is neither the loop just above a reduction nor an
    innermost elementwise loop (those LLVM vectorizes), and every output is
    indexed by it, so that each iteration writes its own elements: results
    do not depend on the thread count.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Run one outer loop of each large nest as an scf.parallel">,
    Option<"minParallelWork", "min-parallel-work", "int64_t", "32768",
           "Fewest loop iterations (all loops) for a parallel nest">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def MergeParallelRegionsPass
    : Pass<"qc-merge-parallel-regions", "func::FuncOp"> {
  let summary = "Run consecutive OpenMP parallel regions as one team";
  let description = [{
    `convert-scf-to-openmp` gives every `scf.parallel` its own
    `omp.parallel`, so a model of many small ops forks and joins the thread
    team once per op. This pass merges each run of `omp.parallel` ops in a
    block that have the same constant `num_threads` and no other clauses
    into the first one:

    - operations between two regions without memory effects (constants,
      views of the workspace) move above the merged region;
    - operations with effects but no results (a sequential fill or copy
      loop, a store) run in one `omp.single` between the two regions'
      bodies;
    - an operation with effects and results (a load, an allocation) ends
      the run, since what follows may read its result.

    `omp.single` ends with a barrier and a worksharing loop keeps its
    implicit barrier unless the steps after it provably do not need it
    (below), so each step sees all writes it reads; results are unchanged.
    A barrier costs about half a fork and join (libomp, 2 threads).

    Then, in every parallel region:

    - a worksharing loop with collapsed loops of constant bounds (and no
      reduction, ordered, linear, order, private or schedule clause) runs
      its longest loop outermost: a static schedule then splits the row
      blocks of a kernel, as it splits the batch loops around it, so each
      thread reads what it wrote in the step before (its iterations are
      independent; only their assignment to threads changes);
    - a worksharing loop becomes `nowait` if it ends the region (whose end
      is a barrier), or if no step after it up to the next barrier may
      touch, on another thread, a byte it wrote or read (one of the two
      writing). Each access is followed to a byte range of its buffer per
      logical iteration (memref.view/subview/reshapes, arith and
      affine.apply index arithmetic, scf.for bounds; anything else keeps
      the barrier): disjoint ranges never conflict, and two loops of the
      same trip count run iteration k on the same thread under a static
      schedule (made explicit with `schedule(static)`), so ranges that
      only iteration k of both touches do not either. Distinct function
      arguments may be one buffer;
    - a worksharing loop with at most as many iterations as the team has
      threads and at most 256 iterations of nested loops (a small matmul's
      column blocks) runs, as plain loops in iteration order, inside the
      `omp.single` right before or after it; adjacent singles become one,
      and a single that ends the region is `nowait`.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

#endif // QC_TRANSFORMS_PASSES_TD
