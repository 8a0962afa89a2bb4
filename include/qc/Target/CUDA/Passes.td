//===- Passes.td - qc NVIDIA GPU passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CUDA_PASSES_TD
#define QC_TARGET_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def GPUPrepareMMAPass : Pass<"qc-gpu-prepare-mma", "func::FuncOp"> {
  let summary = "Rewrite quantized matmuls into tensor-core contractions";
  let description = [{
    Runs before `convert-qc-to-linalg`. Each `qc.matmul` whose operands have
    a tensor-core form becomes a contraction on storage bytes tagged for
    `qc-gpu-lower-mma`, followed by one elementwise epilogue:

    - INT8: per-tensor `i8`/`u8` data (any zero point) times a constant
      symmetric `i8` weight (per tensor or per output channel);
    - FP8: per-tensor `f8E4M3FN`/`f8E5M2` data times a constant FP8 weight
      (per tensor or per output channel); data that is dequantized right
      before the matmul (the `fp8` scheme) is used in its FP8 form;
    - W4A8: per-tensor `i8`/`u8` data times a constant symmetric signed
      4-bit weight, stored two per byte along K (`[N, Kp / 2]`, k = 2j in
      the low nibble of byte j, Kp a multiple of 32) and read through the
      map `(n, k floordiv 2)`; the tensor-core kernel widens the nibbles to
      bytes in registers.

    ```
    acc[m, n] = sum_k a[m, k] * wT[n, k]     (i32; f32 for FP8)
                linalg.generic {qc.gpu.mma = "<a>.<b>"}
    out[m, n] = epilogue(acc)                 (linalg.generic)
    ```

    The weight is transposed at compile time to `[N, K]` (K-major, as the
    tensor cores read it) and K is padded with zeros to a multiple of 16.
    Leading data dimensions are folded into M. The epilogue is exact: for
    integers it subtracts `zp_a * sum_k w[k, n]` (a compile-time constant)
    and then applies the same scale, bias and requantization arithmetic as
    `convert-qc-to-linalg`, so the result is bit-identical to the CPU
    lowering; FP8 multiplies the f32 sum by `s_a * s_w[n]`.

    The tagged contraction is ordinary linalg with the exact semantics in
    its body (FP8 codes decoded to f32), so any other lowering (the SIMT
    fallback on GPUs without FP8 tensor cores, the CPU pipeline) computes
    the same values.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def GPULowerMMAPass : Pass<"qc-gpu-lower-mma", "func::FuncOp"> {
  let summary = "Tensor-core GEMM kernels for tagged contractions";
  let description = [{
    Runs after bufferization. Replaces each `linalg.generic` tagged
    `qc.gpu.mma` by qc-gpu-prepare-mma (on memrefs, zero-filled accumulator)
    by a `gpu.launch` holding a tiled tensor-core GEMM:

    - `mma.sync.aligned.m16n8k32` (INT8 `s8`/`u8` x `s8` -> `s32`
      `.satfinite`, sm_80+, also for packed 4-bit weights widened to `s8`
      in registers; FP8 `e4m3`/`e5m2` -> `f32`, sm_89+, emitted as the LLVM
      intrinsic since `nvvm.mma.sync` has no FP8 form). Block tile
      `block-m` x `block-n` x `block-k`, a grid of warps, A and B staged in
      shared memory with `cp.async` (16 bytes per copy, zero-filled past
      the edges) in a double buffer;
    - with `wgmma`, on sm_90a, `wgmma.mma_async` m64nNk32 on K-major shared
      memory operands, one warpgroup per 64 rows (8-bit operands; packed
      4-bit weights keep mma.sync).

    The elementwise op that consumes the accumulator (scale, bias,
    requantization, activation) is fused into the kernel's epilogue when it
    reads the accumulator element by element; otherwise the kernel stores
    the accumulator and the consumer runs as its own kernel.
  }];
  let options = [
    Option<"fp8", "fp8", "bool", "true",
           "Lower FP8 contractions (sm_89+); otherwise they stay SIMT">,
    Option<"wgmma", "wgmma", "bool", "false",
           "Use wgmma.mma_async warpgroup kernels (sm_90a)">,
    Option<"blockM", "block-m", "int64_t", "128", "Rows per thread block">,
    Option<"blockN", "block-n", "int64_t", "128",
           "Columns per thread block">,
    Option<"blockK", "block-k", "int64_t", "64",
           "K elements staged per pipeline step">,
    Option<"warpsM", "warps-m", "int64_t", "2", "Warps along M (mma.sync)">,
    Option<"warpsN", "warps-n", "int64_t", "2", "Warps along N (mma.sync)">
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def GPUMapLinalgPass : Pass<"qc-gpu-map-linalg", "func::FuncOp"> {
  let summary = "Run every remaining linalg op on memrefs as a GPU kernel";
  let description = [{
    Turns each `linalg` op on memrefs outside GPU code into a `gpu.launch`
    with one thread per point of its parallel loops (linearized and split
    into blocks of `block-size` threads); each thread runs the reduction
    loops, if any, sequentially and writes its output elements. Constants
    the op reads (`memref.get_global`) are moved into the kernel, so that
    kernel outlining places them in device memory.

    This is the general, always-correct mapping for elementwise ops,
    reductions, pooling, and the matmuls and convolutions that have no
    tensor-core kernel.

    An op with at most `split-max-points` parallel points and at least
    `split-min-reduction` reduction points (a GEMV, a reduction to few
    values) would keep too few threads busy; when each output's combiner is
    an associative, commutative `arith` op with a neutral element (add, mul,
    min, max, and, or, xor), its reduction is split instead: blocks of
    32 neighbouring points (x) times `split-slices` threads (y), each thread
    folding every `split-slices`-th reduction point (`split-unroll` of them
    per loop iteration), the partials combined in a fixed order through
    shared memory (`gpu.barrier`). Float reductions are reassociated;
    integer ones stay exact.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block">,
    Option<"splitMinReduction", "split-min-reduction", "int64_t", "256",
           "Fewest reduction points per output for a split reduction">,
    Option<"splitMaxPoints", "split-max-points", "int64_t", "65536",
           "Most parallel points (outputs) for a split reduction">,
    Option<"splitSlices", "split-slices", "int64_t", "32",
           "Threads that share each output's reduction (at most 1024 / 32; "
           "below 2 disables the split)">,
    Option<"splitUnroll", "split-unroll", "int64_t", "8",
           "Terms each thread of a split reduction folds per loop iteration "
           "(independent loads in flight)">,
    Option<"splitOutputs", "split-outputs", "int64_t", "2",
           "Neighbouring outputs each thread of a split reduction computes "
           "(they share loads and index arithmetic; used where 32 times it "
           "divides the number of outputs)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPUDeviceBuffersPass : Pass<"qc-gpu-device-buffers", "func::FuncOp"> {
  let summary = "Place a host function's buffers in GPU memory";
  let description = [{
    Runs on host functions whose computation is all in `gpu.launch` ops.
    Allocations become `gpu.alloc` / `gpu.dealloc`; the entry function's
    buffers (caller-owned host memory, inputs first, then outputs as
    recorded by `qc-aot-prepare-entry` in `qc.signature`) get a device copy:
    inputs are copied in at entry, outputs copied back before returning.
    Constants read by kernels move into the kernels (they end up in the
    GPU module); a constant used by the host itself is copied to the device.

    Host code that reads or writes tensor data (a data-dependent branch,
    for example) is reported as an error: it is not supported on the GPU
    target yet.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "name of the entry function whose arguments are host buffers">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def GPUEmulateOnHostPass : Pass<"qc-gpu-emulate-on-host", "func::FuncOp"> {
  let summary = "Run a host function's GPU kernels sequentially on the CPU";
  let description = [{
    For testing without a GPU: every `gpu.launch` whose threads cooperate
    at most through barriers in the kernel's top-level code and static
    shared buffers (every kernel but the tensor-core GEMMs) becomes loops
    over its blocks and threads, and `gpu.alloc` / `gpu.dealloc` /
    `gpu.memcpy` become their memref counterparts. The barriers split a
    kernel into phases: each block runs each phase for all of its threads
    in turn; shared buffers become host buffers, and the values a later
    phase uses are rebuilt there (indices, constants) or kept per thread in
    host memory. The result is ordinary host code that the CPU
    pipeline's tail compiles, so the output of the GPU lowering (the
    tensor-core rewrite's exact epilogues, the linalg mappings, split
    reductions included, device buffers) can be compared with the CPU compilation of
    the same model (`qc-gpu-compile --emulate`).
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPUFinalizeKernelsPass : Pass<"qc-gpu-finalize-kernels", "ModuleOp"> {
  let summary = "Set what outlined kernels need before NVVM lowering";
  let description = [{
    Runs after `gpu-kernel-outlining`: moves every kernel into one GPU
    module (one cubin per model, loaded once), keeping a single copy of the
    constants that outlining copied into several modules; aligns every
    workgroup (shared memory) buffer to 16 bytes, as `cp.async` and vector
    accesses require, and the GPU module's constant globals likewise.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // QC_TARGET_CUDA_PASSES_TD
