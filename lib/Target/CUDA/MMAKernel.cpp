//===- MMAKernel.cpp - Tiled tensor-core GEMM kernel generator ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The mma.sync GEMM. One thread block computes a blockM x blockN tile of
// C = A * B^T; its warps form a warpsM x warpsN grid, each warp owning
// (blockM / warpsM) x (blockN / warpsN) outputs as 16 x 8 mma tiles whose
// accumulators live in registers (scf.for iteration arguments).
//
// K is walked in steps of blockK bytes through `stages` shared-memory
// buffers. Each buffer holds the A rows and the B^T rows of one step, one
// row every blockK + rowPad bytes (the padding spreads a warp's fragment
// loads over the 32 banks). Copies are 16-byte cp.async, zero-filled past M,
// N and K so that the edge tiles need no other masking; a step is loaded
// `stages - 1` steps ahead of its use:
//
//   load steps 0 .. stages-2; commit each
//   for kt in [0, numSteps):
//     load step kt + stages - 1 (if any); commit
//     wait until step kt has landed; barrier
//     for each 32-wide k slice: load A/B fragments from shared memory,
//                               mma every (m16, n8) tile of the warp
//     barrier                       (the buffer is refilled next)
//   epilogue: each thread hands its accumulators, with their (row, col),
//             to the caller's epilogue
//
// Fragment layout of mma.m16n8k32 for 8-bit types (PTX ISA, "Matrix
// fragments for mma.m16n8k32"), with g = lane / 4 and t = lane % 4:
//   A (16 x 32, row-major):  a[r] holds 4 bytes of row g + 8 * (r % 2),
//                            columns 16 * (r / 2) + 4t .. +3
//   B (32 x 8, column-major, i.e. a row of B^T): b[r] holds 4 bytes of
//                            column g, rows 16 * r + 4t .. +3
//   C (16 x 8):              c[i] is row g + 8 * (i / 2), column 2t + i % 2
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/MMAKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qc::cuda;

//===----------------------------------------------------------------------===//
// Kinds and configuration
//===----------------------------------------------------------------------===//

StringRef mlir::qc::cuda::stringifyMMAElementType(MMAElementType type) {
  switch (type) {
  case MMAElementType::S8:
    return "s8";
  case MMAElementType::U8:
    return "u8";
  case MMAElementType::E4M3:
    return "e4m3";
  case MMAElementType::E5M2:
    return "e5m2";
  case MMAElementType::S4:
    return "s4";
  }
  return "s8";
}

std::string MMAKind::str() const {
  return (stringifyMMAElementType(a) + "." + stringifyMMAElementType(b)).str();
}

std::optional<MMAKind> MMAKind::parse(StringRef text) {
  auto [lhs, rhs] = text.split('.');
  auto element = [](StringRef s) -> std::optional<MMAElementType> {
    if (s == "s8")
      return MMAElementType::S8;
    if (s == "u8")
      return MMAElementType::U8;
    if (s == "e4m3")
      return MMAElementType::E4M3;
    if (s == "e5m2")
      return MMAElementType::E5M2;
    if (s == "s4")
      return MMAElementType::S4;
    return std::nullopt;
  };
  std::optional<MMAElementType> a = element(lhs), b = element(rhs);
  if (!a || !b)
    return std::nullopt;
  MMAKind kind{*a, *b};
  bool bFloat = *b == MMAElementType::E4M3 || *b == MMAElementType::E5M2;
  // Integer tensor cores take u8/s8 x s8 (or packed s4) here; FP8 takes any
  // FP8 pair.
  if (kind.isFloat() != bFloat || *a == MMAElementType::S4 ||
      (!bFloat && *b != MMAElementType::S8 && *b != MMAElementType::S4))
    return std::nullopt;
  return kind;
}

Type MMAKind::getAccumulatorType(MLIRContext *context) const {
  if (isFloat())
    return Float32Type::get(context);
  return IntegerType::get(context, 32);
}

LogicalResult MMATileConfig::verify(std::string &why) const {
  auto fail = [&](const Twine &message) {
    why = message.str();
    return failure();
  };
  if (warpsM <= 0 || warpsN <= 0 || stages < 2)
    return fail("needs at least one warp and two stages");
  if (blockM % (16 * warpsM) != 0)
    return fail("block-m must be a multiple of 16 * warps-m");
  if (blockN % (8 * warpsN) != 0)
    return fail("block-n must be a multiple of 8 * warps-n");
  if (blockK % 32 != 0)
    return fail("block-k must be a multiple of 32");
  if (rowPad % 16 != 0)
    return fail("the row padding must be a multiple of 16 bytes");
  if (sharedBytes() > 48 * 1024)
    return fail("the shared memory buffers exceed 48 KiB");
  return success();
}

std::pair<int64_t, int64_t>
mlir::qc::cuda::getMMASyncGrid(const MMATileConfig &config, GEMMShape shape) {
  return {llvm::divideCeil(shape.n, config.blockN),
          llvm::divideCeil(shape.m, config.blockM)};
}

KernelTarget::~KernelTarget() = default;

//===----------------------------------------------------------------------===//
// GPU target
//===----------------------------------------------------------------------===//

Value NVVMKernelTarget::threadId(OpBuilder &b, Location loc) {
  return gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
}

Value NVVMKernelTarget::blockId(OpBuilder &b, Location loc,
                                gpu::Dimension dim) {
  return gpu::BlockIdOp::create(b, loc, dim);
}

void NVVMKernelTarget::barrier(OpBuilder &b, Location loc) {
  gpu::BarrierOp::create(b, loc);
}

void NVVMKernelTarget::copyAsync16(OpBuilder &b, Location loc, Value dst,
                                   ValueRange dstIndices, Value src,
                                   ValueRange srcIndices, Value valid) {
  // cp.async.cg ... 16, src-size: 0 source bytes fill the destination with
  // zeros (and read nothing).
  Value c16 = arith::ConstantIndexOp::create(b, loc, 16);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value srcElements = arith::SelectOp::create(b, loc, valid, c16, c0);
  nvgpu::DeviceAsyncCopyOp::create(
      b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst, dstIndices,
      src, srcIndices, b.getIndexAttr(16), srcElements, b.getUnitAttr());
}

void NVVMKernelTarget::commitAsync(OpBuilder &b, Location loc) {
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
}

void NVVMKernelTarget::waitAsync(OpBuilder &b, Location loc, int64_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(b, loc, pending);
}

SmallVector<Value> NVVMKernelTarget::mma(OpBuilder &b, Location loc,
                                         MMAKind kind, ValueRange a,
                                         ValueRange bRegs, ValueRange c) {
  MLIRContext *ctx = b.getContext();
  Type acc = kind.getAccumulatorType(ctx);
  auto resultType = LLVM::LLVMStructType::getLiteral(ctx, {acc, acc, acc, acc});
  Value result;
  if (!kind.isFloat()) {
    auto ptxType = [](MMAElementType t) {
      return t == MMAElementType::U8 ? NVVM::MMATypes::u8 : NVVM::MMATypes::s8;
    };
    result = NVVM::MmaOp::create(
        b, loc, resultType, a, bRegs, c, /*shape=*/{16, 8, 32},
        /*b1Op=*/std::nullopt, NVVM::MMAIntOverflow::satfinite,
        std::array<NVVM::MMATypes, 2>{ptxType(kind.a), ptxType(kind.b)},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
  } else {
    // nvvm.mma.sync has no dense FP8 form in MLIR 22: call the intrinsic
    // (PTX 8.4, sm_89+).
    std::string name = ("llvm.nvvm.mma.m16n8k32.row.col.f32." +
                        stringifyMMAElementType(kind.a) + "." +
                        stringifyMMAElementType(kind.b) + ".f32")
                           .str();
    SmallVector<Value> args(a.begin(), a.end());
    args.append(bRegs.begin(), bRegs.end());
    args.append(c.begin(), c.end());
    result = LLVM::CallIntrinsicOp::create(b, loc, resultType,
                                           b.getStringAttr(name), args)
                 .getResult(0);
  }
  SmallVector<Value> d;
  for (int64_t i = 0; i < 4; ++i)
    d.push_back(LLVM::ExtractValueOp::create(b, loc, result, i));
  return d;
}

Value NVVMKernelTarget::sharedAddress(OpBuilder &b, Location loc, Value smem) {
  Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, smem);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), pointer);
}

void NVVMKernelTarget::fenceProxyAsync(OpBuilder &b, Location loc) {
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
}

/// PTX type of a wgmma operand.
static NVVM::WGMMATypes getWGMMAType(MMAElementType type) {
  switch (type) {
  case MMAElementType::S8:
    return NVVM::WGMMATypes::s8;
  case MMAElementType::U8:
    return NVVM::WGMMATypes::u8;
  case MMAElementType::E4M3:
    return NVVM::WGMMATypes::e4m3;
  case MMAElementType::E5M2:
    return NVVM::WGMMATypes::e5m2;
  case MMAElementType::S4:
    break;
  }
  return NVVM::WGMMATypes::s8;
}

SmallVector<Value>
NVVMKernelTarget::wgmma(OpBuilder &b, Location loc, MMAKind kind, int64_t n,
                        ArrayRef<std::pair<Value, Value>> descriptors,
                        ValueRange c) {
  MLIRContext *ctx = b.getContext();
  Type acc = kind.getAccumulatorType(ctx);
  SmallVector<Type> fields(c.size(), acc);
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);
  Value inouts = LLVM::PoisonOp::create(b, loc, structType);
  for (auto [i, v] : llvm::enumerate(c))
    inouts = LLVM::InsertValueOp::create(b, loc, inouts, v, i);
  NVVM::WgmmaFenceAlignedOp::create(b, loc);
  auto shape = NVVM::MMAShapeAttr::get(ctx, 64, n, 32);
  for (auto [descA, descB] : descriptors) {
    inouts = NVVM::WgmmaMmaAsyncOp::create(
        b, loc, structType, inouts, descA, descB, shape, getWGMMAType(kind.a),
        getWGMMAType(kind.b),
        kind.isFloat() ? NVVM::WGMMATypes::f32 : NVVM::WGMMATypes::s32,
        NVVM::WGMMAScaleOut::one, NVVM::WGMMAScaleIn::one,
        NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row, NVVM::MMALayout::col,
        kind.isFloat() ? NVVM::MMAIntOverflowAttr()
                       : NVVM::MMAIntOverflowAttr::get(
                             ctx, NVVM::MMAIntOverflow::satfinite));
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
  SmallVector<Value> d;
  for (int64_t i = 0, e = c.size(); i < e; ++i)
    d.push_back(LLVM::ExtractValueOp::create(b, loc, inouts, i));
  return d;
}

//===----------------------------------------------------------------------===//
// Emulation target
//===----------------------------------------------------------------------===//

func::FuncOp EmulationKernelTarget::getOrDeclare(OpBuilder &b, StringRef name,
                                                 TypeRange args,
                                                 TypeRange results) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType(args, results));
  fn.setPrivate();
  return fn;
}

Value EmulationKernelTarget::threadId(OpBuilder &b, Location loc) {
  func::FuncOp fn = getOrDeclare(b, "qc_emu_thread_id", {}, {b.getI64Type()});
  Value id = func::CallOp::create(b, loc, fn, ValueRange{}).getResult(0);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
}

Value EmulationKernelTarget::blockId(OpBuilder &b, Location loc,
                                     gpu::Dimension dim) {
  func::FuncOp fn =
      getOrDeclare(b, "qc_emu_block_id", {b.getI32Type()}, {b.getI64Type()});
  Value d = arith::ConstantIntOp::create(b, loc, static_cast<int64_t>(dim), 32);
  Value id = func::CallOp::create(b, loc, fn, ValueRange{d}).getResult(0);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
}

void EmulationKernelTarget::barrier(OpBuilder &b, Location loc) {
  func::FuncOp fn = getOrDeclare(b, "qc_emu_barrier", {}, {});
  func::CallOp::create(b, loc, fn, ValueRange{});
}

/// The address of `memref[indices]` (static strides) as an i64.
static Value getElementAddress(OpBuilder &b, Location loc, Value memref,
                               ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  auto [strides, offset] = type.getStridesAndOffset();
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  Value linear = arith::ConstantIndexOp::create(b, loc, offset);
  for (auto [index, stride] : llvm::zip(indices, strides))
    linear = arith::AddIOp::create(
        b, loc, linear,
        arith::MulIOp::create(b, loc, index,
                              arith::ConstantIndexOp::create(b, loc, stride)));
  Value address = arith::AddIOp::create(b, loc, base, linear);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
}

void EmulationKernelTarget::copyAsync16(OpBuilder &b, Location loc, Value dst,
                                        ValueRange dstIndices, Value src,
                                        ValueRange srcIndices, Value valid) {
  // The emulator queues the copy and performs it when a wait retires its
  // group, as cp.async may: a kernel that reads shared memory before
  // waiting sees stale bytes.
  Type i64 = b.getI64Type();
  func::FuncOp fn =
      getOrDeclare(b, "qc_emu_cp_async", {i64, i64, b.getI32Type()}, {});
  Value validWord = arith::ExtUIOp::create(b, loc, b.getI32Type(), valid);
  func::CallOp::create(b, loc, fn,
                       ValueRange{getElementAddress(b, loc, dst, dstIndices),
                                  getElementAddress(b, loc, src, srcIndices),
                                  validWord});
}

void EmulationKernelTarget::commitAsync(OpBuilder &b, Location loc) {
  func::FuncOp fn = getOrDeclare(b, "qc_emu_cp_async_commit", {}, {});
  func::CallOp::create(b, loc, fn, ValueRange{});
}

void EmulationKernelTarget::waitAsync(OpBuilder &b, Location loc,
                                      int64_t pending) {
  func::FuncOp fn =
      getOrDeclare(b, "qc_emu_cp_async_wait", {b.getI32Type()}, {});
  func::CallOp::create(
      b, loc, fn,
      ValueRange{arith::ConstantIntOp::create(b, loc, pending, 32)});
}

SmallVector<Value> EmulationKernelTarget::mma(OpBuilder &b, Location loc,
                                              MMAKind kind, ValueRange a,
                                              ValueRange bRegs, ValueRange c) {
  Type i32 = b.getI32Type();
  SmallVector<Type> argTypes(11, i32);
  func::FuncOp fn = getOrDeclare(b, "qc_emu_mma", argTypes, {});
  func::FuncOp result = getOrDeclare(b, "qc_emu_mma_result", {i32}, {i32});
  SmallVector<Value> args{arith::ConstantIntOp::create(
      b, loc, static_cast<int64_t>(kind.a) * 4 + static_cast<int64_t>(kind.b),
      32)};
  args.append(a.begin(), a.end());
  args.append(bRegs.begin(), bRegs.end());
  for (Value v : c)
    args.push_back(kind.isFloat() ? arith::BitcastOp::create(b, loc, i32, v)
                                  : v);
  func::CallOp::create(b, loc, fn, args);
  SmallVector<Value> d;
  for (int64_t i = 0; i < 4; ++i) {
    Value index = arith::ConstantIntOp::create(b, loc, i, 32);
    Value bits =
        func::CallOp::create(b, loc, result, ValueRange{index}).getResult(0);
    d.push_back(
        kind.isFloat()
            ? arith::BitcastOp::create(b, loc, b.getF32Type(), bits).getResult()
            : bits);
  }
  return d;
}

Value EmulationKernelTarget::sharedAddress(OpBuilder &b, Location loc,
                                           Value smem) {
  // Called before the main loop: wgmma() allocates its buffer here.
  entryPoint = b.saveInsertionPoint();
  return arith::ConstantIntOp::create(b, loc, 0, 64);
}

SmallVector<Value> EmulationKernelTarget::wgmma(
    OpBuilder &b, Location loc, MMAKind kind, int64_t n,
    ArrayRef<std::pair<Value, Value>> descriptors, ValueRange c) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  auto dynamicType = MemRefType::get({ShapedType::kDynamic}, i32);
  func::FuncOp fn =
      getOrDeclare(b, "qc_emu_wgmma", {i32, i32, i64, i64, dynamicType}, {});
  // The accumulators travel through a per-thread buffer allocated once,
  // before the main loop.
  if (!accumulatorBuffer) {
    assert(entryPoint.isSet() && "sharedAddress() comes first");
    OpBuilder::InsertionGuard guard(b);
    b.restoreInsertionPoint(entryPoint);
    accumulatorBuffer = memref::AllocaOp::create(
        b, loc, MemRefType::get({static_cast<int64_t>(c.size())}, i32));
  }
  Value buffer = accumulatorBuffer;
  for (auto [i, v] : llvm::enumerate(c)) {
    Value bits = kind.isFloat() ? arith::BitcastOp::create(b, loc, i32, v) : v;
    memref::StoreOp::create(
        b, loc, bits, buffer,
        ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
  }
  Value dynamic = memref::CastOp::create(b, loc, dynamicType, buffer);
  Value kindValue = arith::ConstantIntOp::create(
      b, loc, static_cast<int64_t>(kind.a) * 4 + static_cast<int64_t>(kind.b),
      32);
  Value nValue = arith::ConstantIntOp::create(b, loc, n, 32);
  for (auto [descA, descB] : descriptors)
    func::CallOp::create(b, loc, fn,
                         ValueRange{kindValue, nValue, descA, descB, dynamic});
  SmallVector<Value> d;
  for (int64_t i = 0, e = c.size(); i < e; ++i) {
    Value bits = memref::LoadOp::create(
        b, loc, buffer, ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    d.push_back(
        kind.isFloat()
            ? arith::BitcastOp::create(b, loc, b.getF32Type(), bits).getResult()
            : bits);
  }
  return d;
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

namespace {

/// Small index-arithmetic helpers that fold constants as they build.
struct IndexMath {
  OpBuilder &b;
  Location loc;

  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return y == 0 ? x : add(x, c(y)); }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : arith::MulIOp::create(b, loc, x, c(y)).getResult();
  }
  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, c(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, c(y));
  }
  Value min(Value x, int64_t y) {
    return arith::MinUIOp::create(b, loc, x, c(y));
  }
  Value lt(Value x, int64_t y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, c(y));
  }
  Value land(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
};

/// Everything the loops of one kernel share.
struct GEMMEmitter {
  OpBuilder &b;
  Location loc;
  KernelTarget &target;
  MMAKind kind;
  const MMATileConfig &cfg;
  GEMMShape shape;
  Value a, bT, smem8, smem32;
  Value tid, rowBase, colBase, warpRow, warpCol, g, t;

  int64_t warpTileM() const { return cfg.blockM / cfg.warpsM; }
  int64_t warpTileN() const { return cfg.blockN / cfg.warpsN; }
  int64_t mTiles() const { return warpTileM() / 16; }
  int64_t nTiles() const { return warpTileN() / 8; }
  int64_t numSteps() const { return llvm::divideCeil(shape.k, cfg.blockK); }

  /// Issues the cp.async copies of step `step` (index) into buffer `stage`
  /// (index): blockM rows of A and blockN rows of B^T, 16 bytes per copy.
  /// A packed 4-bit B^T row holds blockK / 2 bytes of the step (its shared
  /// memory row keeps the 8-bit row stride, half used).
  void loadStep(Value stage, Value step) {
    IndexMath im{b, loc};
    Value stageBase = im.mul(stage, cfg.stageBytes());
    auto loadRows = [&](Value global, int64_t rows, int64_t limit,
                        Value globalRowBase, int64_t smemRowOffset,
                        bool packed) {
      // Bytes per row and step, and in the whole row.
      int64_t stepBytes = packed ? cfg.blockK / 2 : cfg.blockK;
      int64_t rowLength = packed ? shape.k / 2 : shape.k;
      int64_t chunksPerRow = stepBytes / 16;
      Value kBase = im.mul(step, stepBytes);
      int64_t total = rows * chunksPerRow;
      int64_t perThread = llvm::divideCeil(total, cfg.numThreads());
      for (int64_t i = 0; i < perThread; ++i) {
        Value chunk = im.add(tid, i * cfg.numThreads());
        // The last round may have fewer chunks than threads.
        std::optional<OpBuilder::InsertionGuard> guard;
        if ((i + 1) * cfg.numThreads() > total) {
          auto inRange = scf::IfOp::create(b, loc, im.lt(chunk, total));
          guard.emplace(b);
          b.setInsertionPoint(inRange.thenBlock()->getTerminator());
        }
        Value row = im.div(chunk, chunksPerRow);
        Value col = im.mul(im.rem(chunk, chunksPerRow), 16);
        Value globalRow = im.add(globalRowBase, row);
        Value globalCol = im.add(kBase, col);
        Value valid =
            im.land(im.lt(globalRow, limit), im.lt(globalCol, rowLength));
        // Keep the address inside the tensor even when nothing is read.
        Value srcRow = im.min(globalRow, limit - 1);
        Value srcCol = im.min(globalCol, rowLength - 16);
        Value dst = im.add(im.add(stageBase, im.mul(im.add(row, smemRowOffset),
                                                    cfg.rowBytes())),
                           col);
        target.copyAsync16(b, loc, smem8, {dst}, global, {srcRow, srcCol},
                           valid);
      }
    };
    loadRows(a, cfg.blockM, shape.m, rowBase, 0, /*packed=*/false);
    loadRows(bT, cfg.blockN, shape.n, colBase, cfg.blockM, kind.isPackedB());
  }

  /// The B register for k = 4 t' .. 4 t' + 3 of a packed 4-bit row whose
  /// two bytes start at byte `byteOffset` (even): the i32 holding them,
  /// shifted down (by 16 bits when they are its upper half, i.e. t odd),
  /// then each nibble widened to a signed byte:
  ///   x = n0 | n1 << 8 | n2 << 16 | n3 << 24     (nibbles in bytes)
  ///   x |= (x & 0x08080808) * 0x1E               (0x08 -> 0xF8 per byte)
  Value loadPackedWord(Value byteOffset) {
    IndexMath im{b, loc};
    Type i32 = b.getI32Type();
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, loc, v, 32);
    };
    Value odd = im.rem(t, 2);
    // The word containing the two bytes: byteOffset - 2 * (t % 2).
    Value word =
        loadWord(arith::SubIOp::create(b, loc, byteOffset, im.mul(odd, 2)));
    Value shift = arith::IndexCastOp::create(b, loc, i32, im.mul(odd, 16));
    Value half = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, word, shift), c(0xFFFF));
    Value spread = c(0);
    for (int64_t i = 0; i < 4; ++i) {
      Value nibble =
          arith::AndIOp::create(b, loc, half, c(int64_t(0xF) << (4 * i)));
      if (i > 0)
        nibble = arith::ShLIOp::create(b, loc, nibble, c(4 * i));
      spread = arith::OrIOp::create(b, loc, spread, nibble);
    }
    Value sign = arith::MulIOp::create(
        b, loc, arith::AndIOp::create(b, loc, spread, c(0x08080808)), c(0x1E));
    return arith::OrIOp::create(b, loc, spread, sign);
  }

  /// Loads the i32 at byte offset `byteOffset` of shared memory.
  Value loadWord(Value byteOffset) {
    IndexMath im{b, loc};
    return memref::LoadOp::create(b, loc, smem32,
                                  ValueRange{im.div(byteOffset, 4)});
  }

  /// One step's tensor-core work on buffer `stage`.
  SmallVector<Value> computeStep(Value stage, ArrayRef<Value> acc) {
    IndexMath im{b, loc};
    SmallVector<Value> next(acc.begin(), acc.end());
    Value stageBase = im.mul(stage, cfg.stageBytes());
    Value bBase = im.add(stageBase, cfg.blockM * cfg.rowBytes());
    for (int64_t kk = 0; kk < cfg.blockK / 32; ++kk) {
      Value colLo = im.add(im.mul(t, 4), kk * 32);
      Value colHi = im.add(colLo, 16);
      SmallVector<SmallVector<Value, 4>> aFrags, bFrags;
      for (int64_t i = 0; i < mTiles(); ++i) {
        Value row = im.add(im.add(warpRow, g), i * 16);
        Value rowOff = im.add(stageBase, im.mul(row, cfg.rowBytes()));
        Value rowOff8 = im.add(rowOff, 8 * cfg.rowBytes());
        aFrags.push_back({loadWord(im.add(rowOff, colLo)),
                          loadWord(im.add(rowOff8, colLo)),
                          loadWord(im.add(rowOff, colHi)),
                          loadWord(im.add(rowOff8, colHi))});
      }
      for (int64_t j = 0; j < nTiles(); ++j) {
        Value row = im.add(im.add(warpCol, g), j * 8);
        Value rowOff = im.add(bBase, im.mul(row, cfg.rowBytes()));
        if (kind.isPackedB()) {
          // k -> byte k / 2 of the row.
          Value byteLo = im.add(im.mul(t, 2), kk * 16);
          bFrags.push_back({loadPackedWord(im.add(rowOff, byteLo)),
                            loadPackedWord(im.add(im.add(rowOff, byteLo), 8))});
          continue;
        }
        bFrags.push_back(
            {loadWord(im.add(rowOff, colLo)), loadWord(im.add(rowOff, colHi))});
      }
      for (int64_t i = 0; i < mTiles(); ++i) {
        for (int64_t j = 0; j < nTiles(); ++j) {
          int64_t base = (i * nTiles() + j) * 4;
          SmallVector<Value> d =
              target.mma(b, loc, kind.getHardwareKind(), aFrags[i], bFrags[j],
                         ArrayRef<Value>(next).slice(base, 4));
          for (int64_t e = 0; e < 4; ++e)
            next[base + e] = d[e];
        }
      }
    }
    return next;
  }

  void emit(EpilogueFn epilogue) {
    IndexMath im{b, loc};
    tid = target.threadId(b, loc);
    Value blockCol = target.blockId(b, loc, gpu::Dimension::x);
    Value blockRow = target.blockId(b, loc, gpu::Dimension::y);
    rowBase = im.mul(blockRow, cfg.blockM);
    colBase = im.mul(blockCol, cfg.blockN);
    Value warp = im.div(tid, 32);
    Value lane = im.rem(tid, 32);
    g = im.div(lane, 4);
    t = im.rem(lane, 4);
    warpRow = im.mul(im.div(warp, cfg.warpsN), warpTileM());
    warpCol = im.mul(im.rem(warp, cfg.warpsN), warpTileN());

    // Prologue: the first stages - 1 steps.
    int64_t steps = numSteps();
    for (int64_t s = 0; s < cfg.stages - 1; ++s) {
      if (s < steps)
        loadStep(im.c(s), im.c(s));
      target.commitAsync(b, loc);
    }

    Type accType = kind.getAccumulatorType(b.getContext());
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(accType));
    SmallVector<Value> init(mTiles() * nTiles() * 4, zero);
    auto loop = scf::ForOp::create(
        b, loc, im.c(0), im.c(steps), im.c(1), init,
        [&](OpBuilder &lb, Location ll, Value step, ValueRange iterArgs) {
          IndexMath lm{lb, ll};
          Value ahead = lm.add(step, cfg.stages - 1);
          // The body builders run on `b` itself, so loadStep() emits into
          // the branch.
          scf::IfOp::create(lb, ll, lm.lt(ahead, steps),
                            [&](OpBuilder &ib, Location il) {
                              loadStep(lm.rem(ahead, cfg.stages), ahead);
                              scf::YieldOp::create(ib, il);
                            });
          target.commitAsync(lb, ll);
          // Every group but the newest stages - 1 has landed, so step
          // `step` is in shared memory (for this thread; the barrier makes
          // it so for all).
          target.waitAsync(lb, ll, cfg.stages - 1);
          target.barrier(lb, ll);
          SmallVector<Value> acc(iterArgs.begin(), iterArgs.end());
          SmallVector<Value> next = computeStep(lm.rem(step, cfg.stages), acc);
          target.barrier(lb, ll);
          scf::YieldOp::create(lb, ll, next);
        });
    // Drain the (empty) groups still open.
    target.waitAsync(b, loc, 0);

    bool fullTiles = shape.m % cfg.blockM == 0 && shape.n % cfg.blockN == 0;
    for (int64_t i = 0; i < mTiles(); ++i) {
      for (int64_t j = 0; j < nTiles(); ++j) {
        for (int64_t e = 0; e < 4; ++e) {
          Value row =
              im.add(im.add(im.add(rowBase, warpRow), g), i * 16 + (e / 2) * 8);
          Value col = im.add(im.add(im.add(colBase, warpCol), im.mul(t, 2)),
                             j * 8 + e % 2);
          Value acc = loop.getResult((i * nTiles() + j) * 4 + e);
          if (fullTiles) {
            epilogue(b, loc, row, col, acc);
            continue;
          }
          Value inside = im.land(im.lt(row, shape.m), im.lt(col, shape.n));
          scf::IfOp::create(b, loc, inside, [&](OpBuilder &ib, Location il) {
            epilogue(ib, il, row, col, acc);
            scf::YieldOp::create(ib, il);
          });
        }
      }
    }
  }
};

} // namespace

void mlir::qc::cuda::emitMMASyncGEMM(OpBuilder &b, Location loc,
                                     KernelTarget &target, MMAKind kind,
                                     const MMATileConfig &config,
                                     GEMMShape shape, Value a, Value bT,
                                     Value smem, EpilogueFn epilogue) {
  auto smemType = cast<MemRefType>(smem.getType());
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  auto wordsType =
      MemRefType::get({config.sharedBytes() / 4}, b.getI32Type(),
                      MemRefLayoutAttrInterface(), smemType.getMemorySpace());
  Value smem32 =
      memref::ViewOp::create(b, loc, wordsType, smem, c0, ValueRange{});
  GEMMEmitter emitter{b,      loc, target, kind, config, shape, a,  bT, smem,
                      smem32, {},  {},     {},   {},     {},    {}, {}};
  emitter.emit(epilogue);
}

//===----------------------------------------------------------------------===//
// The wgmma kernel (sm_90a)
//===----------------------------------------------------------------------===//
//
// Warpgroup w of the block computes rows [64 w, 64 w + 64) x blockN of the
// block's tile with m64nNk32 instructions reading both operands from shared
// memory. Staging is the same cp.async pipeline as the mma.sync kernel, into
// the K-major no-swizzle layout wgmma's descriptors describe (a core matrix
// is 8 rows x 16 contiguous bytes):
//
//   offset(row, k) = (k / 32) * rows * 32      one 32-byte k slice after
//                  + (row / 8) * 256           another; 8-row groups 256
//                  + (k % 32 / 16) * 128       bytes apart (SBO); the two
//                  + (row % 8) * 16 + k % 16   16-byte halves 128 apart (LBO)
//
// After its copies land, each thread fences the generic-proxy writes
// against the tensor cores' async proxy before the block barrier.
//
// Accumulator layout of m64nN (PTX ISA, "wgmma D matrix fragments"): warp
// j of the warpgroup holds rows 16 j .. 16 j + 15; its register 4 c + i is
// row 16 j + g + 8 (i / 2), column 8 c + 2 t + i % 2 (g = lane / 4,
// t = lane % 4), i.e. the m16n8 layout repeated along N.

int64_t mlir::qc::cuda::getWGMMATileOffset(int64_t rows, int64_t row,
                                           int64_t k) {
  return (k / 32) * rows * 32 + (row / 8) * 256 + (k % 32 / 16) * 128 +
         (row % 8) * 16 + k % 16;
}

LogicalResult WGMMATileConfig::verify(std::string &why) const {
  auto fail = [&](const Twine &message) {
    why = message.str();
    return failure();
  };
  if (warpgroups < 1 || stages < 2)
    return fail("needs at least one warpgroup and two stages");
  // The N sizes every 8-bit wgmma accepts.
  if (blockN < 16 || blockN > 256 || (blockN > 32 && blockN % 16 != 0) ||
      blockN % 8 != 0)
    return fail("block-n must be 8, 16, 24, 32 or a multiple of 16 up to 256");
  if (blockK % 32 != 0)
    return fail("block-k must be a multiple of 32");
  if (sharedBytes() > 48 * 1024)
    return fail("the shared memory buffers exceed 48 KiB");
  return success();
}

std::pair<int64_t, int64_t>
mlir::qc::cuda::getWGMMAGrid(const WGMMATileConfig &config, GEMMShape shape) {
  return {llvm::divideCeil(shape.n, config.blockN),
          llvm::divideCeil(shape.m, config.blockM())};
}

Value mlir::qc::cuda::buildWGMMADescriptor(OpBuilder &b, Location loc,
                                           Value address,
                                           int64_t leadingByteOffset,
                                           int64_t strideByteOffset) {
  // Bits 0-13: (address & 0x3FFFF) >> 4; 16-29: LBO >> 4; 32-45: SBO >> 4;
  // 49-51: base offset (0); 62-63: swizzle mode (0, none).
  auto c = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64);
  };
  Value start = arith::ShRUIOp::create(
      b, loc, arith::AndIOp::create(b, loc, address, c(0x3FFFF)), c(4));
  int64_t fixed = ((leadingByteOffset >> 4) & 0x3FFF) << 16 |
                  ((strideByteOffset >> 4) & 0x3FFF) << 32;
  return arith::OrIOp::create(b, loc, start, c(fixed));
}

namespace {

struct WGMMAEmitter {
  OpBuilder &b;
  Location loc;
  KernelTarget &target;
  MMAKind kind;
  const WGMMATileConfig &cfg;
  GEMMShape shape;
  Value a, bT, smem8, smemAddress;
  Value tid, rowBase, colBase;

  int64_t numSteps() const { return llvm::divideCeil(shape.k, cfg.blockK); }

  /// Byte offset of (row, k) in a tile of `rows` rows (index values).
  Value tileOffset(IndexMath &im, int64_t rows, Value row, Value k) {
    Value slice = im.mul(im.div(k, 32), rows * 32);
    Value group = im.mul(im.div(row, 8), 256);
    Value half = im.mul(im.div(im.rem(k, 32), 16), 128);
    Value inner = im.add(im.mul(im.rem(row, 8), 16), im.rem(k, 16));
    return im.add(im.add(slice, group), im.add(half, inner));
  }

  void loadStep(Value stage, Value step) {
    IndexMath im{b, loc};
    int64_t chunksPerRow = cfg.blockK / 16;
    Value stageBase = im.mul(stage, cfg.stageBytes());
    Value kBase = im.mul(step, cfg.blockK);
    auto loadRows = [&](Value global, int64_t rows, int64_t limit,
                        Value globalRowBase, int64_t regionOffset) {
      int64_t total = rows * chunksPerRow;
      int64_t perThread = llvm::divideCeil(total, cfg.numThreads());
      for (int64_t i = 0; i < perThread; ++i) {
        Value chunk = im.add(tid, i * cfg.numThreads());
        std::optional<OpBuilder::InsertionGuard> guard;
        if ((i + 1) * cfg.numThreads() > total) {
          auto inRange = scf::IfOp::create(b, loc, im.lt(chunk, total));
          guard.emplace(b);
          b.setInsertionPoint(inRange.thenBlock()->getTerminator());
        }
        Value row = im.div(chunk, chunksPerRow);
        Value k = im.mul(im.rem(chunk, chunksPerRow), 16);
        Value globalRow = im.add(globalRowBase, row);
        Value globalCol = im.add(kBase, k);
        Value valid =
            im.land(im.lt(globalRow, limit), im.lt(globalCol, shape.k));
        Value srcRow = im.min(globalRow, limit - 1);
        Value srcCol = im.min(globalCol, shape.k - 16);
        Value dst = im.add(im.add(stageBase, regionOffset),
                           tileOffset(im, rows, row, k));
        target.copyAsync16(b, loc, smem8, {dst}, global, {srcRow, srcCol},
                           valid);
      }
    };
    loadRows(a, cfg.blockM(), shape.m, rowBase, 0);
    loadRows(bT, cfg.blockN, shape.n, colBase, cfg.blockM() * cfg.blockK);
  }

  SmallVector<Value> computeStep(Value stage, Value warpgroup,
                                 ArrayRef<Value> acc) {
    IndexMath im{b, loc};
    Value stageBase = im.mul(stage, cfg.stageBytes());
    Value aBase = im.add(stageBase, im.mul(warpgroup, (64 / 8) * 256));
    Value bBase = im.add(stageBase, cfg.blockM() * cfg.blockK);
    auto address = [&](Value offset) {
      Value bytes = arith::IndexCastOp::create(b, loc, b.getI64Type(), offset);
      return arith::AddIOp::create(b, loc, smemAddress, bytes).getResult();
    };
    SmallVector<std::pair<Value, Value>> descriptors;
    for (int64_t ks = 0; ks < cfg.blockK / 32; ++ks) {
      Value descA = buildWGMMADescriptor(
          b, loc, address(im.add(aBase, ks * cfg.blockM() * 32)), 128, 256);
      Value descB = buildWGMMADescriptor(
          b, loc, address(im.add(bBase, ks * cfg.blockN * 32)), 128, 256);
      descriptors.push_back({descA, descB});
    }
    return target.wgmma(b, loc, kind, cfg.blockN, descriptors, acc);
  }

  void emit(EpilogueFn epilogue) {
    IndexMath im{b, loc};
    tid = target.threadId(b, loc);
    smemAddress = target.sharedAddress(b, loc, smem8);
    Value blockCol = target.blockId(b, loc, gpu::Dimension::x);
    Value blockRow = target.blockId(b, loc, gpu::Dimension::y);
    rowBase = im.mul(blockRow, cfg.blockM());
    colBase = im.mul(blockCol, cfg.blockN);
    Value warpgroup = im.div(tid, 128);
    Value warp = im.div(im.rem(tid, 128), 32);
    Value lane = im.rem(tid, 32);
    Value g = im.div(lane, 4);
    Value t = im.rem(lane, 4);

    int64_t steps = numSteps();
    for (int64_t s = 0; s < cfg.stages - 1; ++s) {
      if (s < steps)
        loadStep(im.c(s), im.c(s));
      target.commitAsync(b, loc);
    }
    Type accType = kind.getAccumulatorType(b.getContext());
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(accType));
    SmallVector<Value> init(cfg.blockN / 2, zero);
    auto loop = scf::ForOp::create(
        b, loc, im.c(0), im.c(steps), im.c(1), init,
        [&](OpBuilder &lb, Location ll, Value step, ValueRange iterArgs) {
          IndexMath lm{lb, ll};
          Value ahead = lm.add(step, cfg.stages - 1);
          scf::IfOp::create(lb, ll, lm.lt(ahead, steps),
                            [&](OpBuilder &ib, Location il) {
                              loadStep(lm.rem(ahead, cfg.stages), ahead);
                              scf::YieldOp::create(ib, il);
                            });
          target.commitAsync(lb, ll);
          target.waitAsync(lb, ll, cfg.stages - 1);
          target.fenceProxyAsync(lb, ll);
          target.barrier(lb, ll);
          SmallVector<Value> acc(iterArgs.begin(), iterArgs.end());
          SmallVector<Value> next =
              computeStep(lm.rem(step, cfg.stages), warpgroup, acc);
          target.barrier(lb, ll);
          scf::YieldOp::create(lb, ll, next);
        });
    target.waitAsync(b, loc, 0);

    bool fullTiles = shape.m % cfg.blockM() == 0 && shape.n % cfg.blockN == 0;
    Value rowOrigin = im.add(im.add(rowBase, im.mul(warpgroup, 64)),
                             im.add(im.mul(warp, 16), g));
    Value colOrigin = im.add(colBase, im.mul(t, 2));
    for (int64_t c = 0; c < cfg.blockN / 8; ++c) {
      for (int64_t i = 0; i < 4; ++i) {
        Value row = im.add(rowOrigin, (i / 2) * 8);
        Value col = im.add(colOrigin, c * 8 + i % 2);
        Value acc = loop.getResult(c * 4 + i);
        if (fullTiles) {
          epilogue(b, loc, row, col, acc);
          continue;
        }
        Value inside = im.land(im.lt(row, shape.m), im.lt(col, shape.n));
        scf::IfOp::create(b, loc, inside, [&](OpBuilder &ib, Location il) {
          epilogue(ib, il, row, col, acc);
          scf::YieldOp::create(ib, il);
        });
      }
    }
  }
};

} // namespace

void mlir::qc::cuda::emitWGMMAGEMM(OpBuilder &b, Location loc,
                                   KernelTarget &target, MMAKind kind,
                                   const WGMMATileConfig &config,
                                   GEMMShape shape, Value a, Value bT,
                                   Value smem, EpilogueFn epilogue) {
  assert(!kind.isPackedB() && "wgmma kernels take 8-bit operands only");
  WGMMAEmitter emitter{b,  loc,  target, kind, config, shape, a,
                       bT, smem, {},     {},   {},     {}};
  emitter.emit(epilogue);
}
