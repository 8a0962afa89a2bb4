//===- MMAKernel.h - Tiled tensor-core GEMM kernel generator ----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Emits the body of a tiled GEMM kernel that runs on NVIDIA tensor cores:
//
//   C[M, N] = A[M, K] * B^T[N, K]        (A row-major, B^T K-major: "TN")
//
// with 8-bit operands (s8/u8 x s8 -> s32, FP8 e4m3/e5m2 -> f32). The code is
// written once against `KernelTarget`, which supplies the few operations
// that differ between the GPU (thread ids, barriers, cp.async, mma.sync) and
// the CPU emulation used by the unit tests (calls into a small emulator), so
// the tiling, the shared-memory layout, the fragment layouts and the
// epilogue indexing that run on the GPU are exactly the code that the tests
// check against a reference matmul.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CUDA_MMAKERNEL_H
#define QC_TARGET_CUDA_MMAKERNEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>

namespace mlir::qc::cuda {

/// A tensor-core operand type: 8-bit, or signed 4-bit (`S4`, B only: stored
/// two per byte and widened to s8 in registers before the MMA).
enum class MMAElementType { S8, U8, E4M3, E5M2, S4 };

/// The operand types of a tensor-core contraction: `s8.s8`, `u8.s8`,
/// `s8.s4` and `u8.s4` accumulate in i32; FP8 pairs (`e4m3.e4m3`,
/// `e4m3.e5m2`, ...) in f32.
struct MMAKind {
  MMAElementType a = MMAElementType::S8;
  MMAElementType b = MMAElementType::S8;

  bool isFloat() const {
    return a == MMAElementType::E4M3 || a == MMAElementType::E5M2;
  }
  /// B is packed 4-bit: B^T is [N, K / 2] bytes, k = 2j in the low nibble
  /// of byte j (the ONNX INT4 order).
  bool isPackedB() const { return b == MMAElementType::S4; }
  /// The operand types the tensor cores see (S4 widened to S8).
  MMAKind getHardwareKind() const {
    return {a, isPackedB() ? MMAElementType::S8 : b};
  }
  /// "s8.s8", "e4m3.e5m2", ...
  std::string str() const;
  /// Parses str()'s form; fails on anything else (including float x int).
  static std::optional<MMAKind> parse(StringRef text);
  /// The accumulator element type (i32 or f32).
  Type getAccumulatorType(MLIRContext *context) const;
};

/// PTX name of an operand type ("s8", "e4m3", ...).
StringRef stringifyMMAElementType(MMAElementType type);

/// The discardable attribute qc-gpu-prepare-mma puts on a contraction.
constexpr StringLiteral kMMAAttrName = "qc.gpu.mma";

/// Tiling of the mma.sync kernel. Each thread block computes a `blockM` x
/// `blockN` tile of C with `warpsM` x `warpsN` warps; each warp owns a
/// (blockM / warpsM) x (blockN / warpsN) sub-tile made of 16 x 8 mma tiles.
/// K advances `blockK` elements per pipeline step through `stages` shared
/// memory buffers filled with cp.async.
struct MMATileConfig {
  int64_t blockM = 128;
  int64_t blockN = 128;
  int64_t blockK = 64;
  int64_t warpsM = 2;
  int64_t warpsN = 2;
  int64_t stages = 2;
  /// Bytes added to each shared-memory row: 16 makes the row stride 80
  /// bytes for blockK = 64, which spreads the fragment loads of a warp over
  /// all 32 banks.
  int64_t rowPad = 16;

  int64_t numThreads() const { return warpsM * warpsN * 32; }
  int64_t rowBytes() const { return blockK + rowPad; }
  int64_t stageBytes() const { return (blockM + blockN) * rowBytes(); }
  int64_t sharedBytes() const { return stages * stageBytes(); }
  /// Checks the divisibility constraints; `why` says which one fails.
  LogicalResult verify(std::string &why) const;
};

/// The problem size. K must be a multiple of 16 (cp.async moves 16 bytes),
/// of 32 for a packed 4-bit B.
struct GEMMShape {
  int64_t m = 0, n = 0, k = 0;
};

/// What differs between the GPU and the CPU emulation.
class KernelTarget {
public:
  virtual ~KernelTarget();
  /// Linear thread id in the block (index).
  virtual Value threadId(OpBuilder &b, Location loc) = 0;
  /// Block id along `dim` (index).
  virtual Value blockId(OpBuilder &b, Location loc, gpu::Dimension dim) = 0;
  /// Barrier across the thread block.
  virtual void barrier(OpBuilder &b, Location loc) = 0;
  /// Starts copying 16 bytes from `src[srcIndices]` to `dst[dstIndices]`
  /// (i8 memrefs), or 16 zero bytes if `valid` (i1) is false.
  virtual void copyAsync16(OpBuilder &b, Location loc, Value dst,
                           ValueRange dstIndices, Value src,
                           ValueRange srcIndices, Value valid) = 0;
  /// Closes the group of copies started since the last commit.
  virtual void commitAsync(OpBuilder &b, Location loc) = 0;
  /// Waits until at most `pending` committed groups are still in flight.
  virtual void waitAsync(OpBuilder &b, Location loc, int64_t pending) = 0;
  /// One warp-wide m16n8k32 multiply-accumulate: `a` holds the thread's 4
  /// A registers, `b` its 2 B registers (4 bytes each, i32) and `c` its 4
  /// accumulators; returns the 4 new accumulators.
  virtual SmallVector<Value> mma(OpBuilder &b, Location loc, MMAKind kind,
                                 ValueRange a, ValueRange bRegs,
                                 ValueRange c) = 0;

  // Warpgroup MMA (sm_90a).

  /// The shared-memory address of `smem`'s first byte as wgmma descriptors
  /// encode it (i64): its shared-window address on the GPU, 0 in the
  /// emulation (which knows the block's buffer).
  virtual Value sharedAddress(OpBuilder &b, Location loc, Value smem) = 0;
  /// Makes this thread's completed shared-memory writes visible to the
  /// tensor cores' async proxy (fence.proxy.async.shared::cta).
  virtual void fenceProxyAsync(OpBuilder &b, Location loc) = 0;
  /// One warpgroup-wide m64nNk32 multiply-accumulate on shared-memory
  /// operands described by `descA` and `descB` (i64 matrix descriptors);
  /// `c` holds the thread's N / 2 accumulators. Issues the fence, the
  /// operation, the commit and a wait for it.
  virtual SmallVector<Value>
  wgmma(OpBuilder &b, Location loc, MMAKind kind, int64_t n,
        ArrayRef<std::pair<Value, Value>> descriptors, ValueRange c) = 0;
};

/// The GPU: gpu.thread_id/block_id, gpu.barrier, nvgpu.device_async_copy,
/// nvvm.cp.async.*, nvvm.mma.sync (INT8) and the FP8 mma intrinsic.
class NVVMKernelTarget : public KernelTarget {
public:
  Value threadId(OpBuilder &b, Location loc) override;
  Value blockId(OpBuilder &b, Location loc, gpu::Dimension dim) override;
  void barrier(OpBuilder &b, Location loc) override;
  void copyAsync16(OpBuilder &b, Location loc, Value dst, ValueRange dstIndices,
                   Value src, ValueRange srcIndices, Value valid) override;
  void commitAsync(OpBuilder &b, Location loc) override;
  void waitAsync(OpBuilder &b, Location loc, int64_t pending) override;
  SmallVector<Value> mma(OpBuilder &b, Location loc, MMAKind kind, ValueRange a,
                         ValueRange bRegs, ValueRange c) override;
  Value sharedAddress(OpBuilder &b, Location loc, Value smem) override;
  void fenceProxyAsync(OpBuilder &b, Location loc) override;
  SmallVector<Value> wgmma(OpBuilder &b, Location loc, MMAKind kind, int64_t n,
                           ArrayRef<std::pair<Value, Value>> descriptors,
                           ValueRange c) override;
};

/// The CPU emulation: every thread of a block runs the kernel body as an OS
/// thread; thread ids, barriers and the warp-collective mma are calls to
///
///   int64_t qc_emu_thread_id(void);
///   int64_t qc_emu_block_id(int32_t dim);
///   void    qc_emu_barrier(void);
///   void    qc_emu_cp_async(int64_t dst, int64_t src, int32_t valid);
///   void    qc_emu_cp_async_commit(void);
///   void    qc_emu_cp_async_wait(int32_t pending);
///   void    qc_emu_mma(int32_t kind, int32_t a0..a3, int32_t b0, b1,
///                      int32_t c0..c3);          (f32 accumulators as bits)
///   int32_t qc_emu_mma_result(int32_t index);
///   void    qc_emu_wgmma(int32_t kind, int32_t n, int64_t descA,
///                        int64_t descB, <memref<?xi32> descriptor> acc);
///
/// declared in `module`. `kind` is `MMAKind::a * 4 + MMAKind::b`. Copies
/// pass addresses; the emulator performs them when a wait retires their
/// group. wgmma descriptors address the block's shared buffer from offset 0.
class EmulationKernelTarget : public KernelTarget {
public:
  explicit EmulationKernelTarget(ModuleOp module) : module(module) {}
  Value threadId(OpBuilder &b, Location loc) override;
  Value blockId(OpBuilder &b, Location loc, gpu::Dimension dim) override;
  void barrier(OpBuilder &b, Location loc) override;
  void copyAsync16(OpBuilder &b, Location loc, Value dst, ValueRange dstIndices,
                   Value src, ValueRange srcIndices, Value valid) override;
  void commitAsync(OpBuilder &b, Location loc) override;
  void waitAsync(OpBuilder &b, Location loc, int64_t pending) override;
  SmallVector<Value> mma(OpBuilder &b, Location loc, MMAKind kind, ValueRange a,
                         ValueRange bRegs, ValueRange c) override;
  Value sharedAddress(OpBuilder &b, Location loc, Value smem) override;
  void fenceProxyAsync(OpBuilder &b, Location loc) override {}
  SmallVector<Value> wgmma(OpBuilder &b, Location loc, MMAKind kind, int64_t n,
                           ArrayRef<std::pair<Value, Value>> descriptors,
                           ValueRange c) override;

private:
  func::FuncOp getOrDeclare(OpBuilder &b, StringRef name, TypeRange args,
                            TypeRange results);
  ModuleOp module;
  OpBuilder::InsertPoint entryPoint;
  Value accumulatorBuffer;
};

/// Called once per element of C inside the bounds, with its row and column
/// (index) and accumulator value (i32 or f32); stores the final value.
using EpilogueFn = llvm::function_ref<void(OpBuilder &, Location, Value row,
                                           Value col, Value acc)>;

/// Emits, at `b`'s insertion point, the per-thread body of the mma.sync GEMM
/// kernel for a grid of (ceil(N / blockN), ceil(M / blockM)) blocks of
/// `config.numThreads()` threads. `a` is memref<MxKxi8>, `bT`
/// memref<NxKxi8> (memref<Nx(K/2)xi8> for a packed 4-bit B, whose nibbles
/// are widened to bytes as the fragments are loaded from shared memory)
/// (both with unit inner stride and 16-byte aligned rows),
/// `smem` a memref<config.sharedBytes() x i8> (in workgroup memory on the
/// GPU).
void emitMMASyncGEMM(OpBuilder &b, Location loc, KernelTarget &target,
                     MMAKind kind, const MMATileConfig &config, GEMMShape shape,
                     Value a, Value bT, Value smem, EpilogueFn epilogue);

/// Grid (x = column tiles, y = row tiles) of the mma.sync kernel.
std::pair<int64_t, int64_t> getMMASyncGrid(const MMATileConfig &config,
                                           GEMMShape shape);

/// Tiling of the wgmma kernel (sm_90a): `warpgroups` warpgroups of 128
/// threads each compute 64 rows x `blockN` columns with m64nNk32
/// instructions whose operands are K-major tiles in shared memory (no
/// swizzle: 8-row x 16-byte core matrices, the two 16-byte halves of a
/// 32-byte k slice 128 bytes apart, consecutive 8-row groups 256 bytes
/// apart).
struct WGMMATileConfig {
  int64_t warpgroups = 2;
  int64_t blockN = 128;
  int64_t blockK = 64;
  int64_t stages = 3;

  int64_t blockM() const { return 64 * warpgroups; }
  int64_t numThreads() const { return 128 * warpgroups; }
  int64_t stageBytes() const { return (blockM() + blockN) * blockK; }
  int64_t sharedBytes() const { return stages * stageBytes(); }
  LogicalResult verify(std::string &why) const;
};

/// Byte offset of element (row, k) in a K-major wgmma operand tile of
/// `rows` rows (the no-swizzle layout above, k slices of 32 bytes one after
/// the other).
int64_t getWGMMATileOffset(int64_t rows, int64_t row, int64_t k);

/// Builds a wgmma shared-memory matrix descriptor (no swizzle) for a tile
/// starting at `address` (i64, bytes).
Value buildWGMMADescriptor(OpBuilder &b, Location loc, Value address,
                           int64_t leadingByteOffset, int64_t strideByteOffset);

/// Emits the per-thread body of the wgmma GEMM kernel, as emitMMASyncGEMM
/// (8-bit operands only: wgmma reads B from shared memory, where a packed
/// 4-bit B would have to be widened first).
/// The grid is (ceil(N / blockN), ceil(M / blockM())).
void emitWGMMAGEMM(OpBuilder &b, Location loc, KernelTarget &target,
                   MMAKind kind, const WGMMATileConfig &config, GEMMShape shape,
                   Value a, Value bT, Value smem, EpilogueFn epilogue);

std::pair<int64_t, int64_t> getWGMMAGrid(const WGMMATileConfig &config,
                                         GEMMShape shape);

} // namespace mlir::qc::cuda

#endif // QC_TARGET_CUDA_MMAKERNEL_H
