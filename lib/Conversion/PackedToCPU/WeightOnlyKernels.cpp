//===- WeightOnlyKernels.cpp - Kernels for qc.packed_dequant_matmul -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Emits qc.packed_dequant_matmul (float activations times 4- or 8-bit
// weight codes with group scales and zero points) as MLIR vector code that
// dequantizes the weights in registers; the weights are read once, as
// packed, and never written back as floats.
//
// One 64-byte row of the packed rhs holds the codes of 16 columns (one
// vector lane each) for K0 = 32 / bits consecutive inputs, code t of a
// lane in bits [bits * t, bits * (t + 1)). Codes are taken out of the lane
// without shifting them down: codes 0-4 (int4) / 0-1 (int8) as
// `word & (mask << p)` with p = bits * t, the others after one shift of
// the word right by 12 / 16, so that every field u * 2^p lies in the low
// 20 bits. A prepass writes x scaled by 2^(80 - p) (exact: a power of two,
// finite for |x| < 2^48) and the sums of x per group. Then, per code,
//
//   converting form:  FMA(x * 2^(80 - p), sitofp(u * 2^p))  = x * u * 2^80
//   denormal form:    FMA(x * 2^(80 - p), bitcast(u * 2^p)) = x * u * 2^-69
//
// (the field read as an f32 bit pattern is the denormal u * 2^(p - 149);
// x86 only, with MXCSR.DAZ cleared for the call and restored after it), so
// every product is exact and one AND plus one FMA handle 16 codes in the
// denormal form. Per (group, column) the kernel then applies
//
//   out += scale * (acc * 2^-80 or 2^69 - zp * sum_{k in group} x[k])
//
// The rows of the T tiles a block reads are interleaved in rhs (and its
// scales and zero points likewise, per group), so with nb = T the block
// reads one sequential stream of nb * 64 bytes per packed row.
//
// Inner loop per packed row: nb vector loads and prefetches, K0 * nb ANDs
// (+ nb shifts, + K0 * nb conversions in the converting form) and
// K0 * nb * mr FMAs with broadcast inputs, accumulating mr x nb vectors in
// registers.
//
// Compared with the op's definition this only reassociates float sums
// (and rewrites x * (u - zp) as x * u - zp * x): results agree with a
// double-precision reference to a few ulps of sum_k |x_k| * |w_kn|.
//
// With `int8_compute` (weight-only-compute=int8) the kernel is instead an
// integer one: a prepass quantizes each row of x per group (xs = max|x| /
// 127, xq = roundeven(x / xs), clamped to +-127) into s8 codes stored four
// to a word in the order the kernel reads them (int8: k, k+1, k+2, k+3;
// int4: the even then the odd inputs of a packed row, matching the low and
// high nibbles), with each group's scale xs and sum of xq. Per packed row
// and tile, `vpdpbusd` multiplies the u8 codes (int8: the word as it is;
// int4: `word & 0x0F0F0F0F` and `(word >> 4) & 0x0F0F0F0F`) by the
// broadcast s8 activation word(s) and adds the four products per lane to an
// i32 accumulator; per (group, column)
//
//   out = fma(f32(acc - zp * sum xq), scale * xs, out)
//
// which is the op's int8_compute formula evaluated exactly as written.
//
//===----------------------------------------------------------------------===//

#include "WeightOnlyKernels.h"
#include "KernelUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

namespace {

constexpr int64_t kN0 = 16;
/// Inputs are scaled by 2^(kInputBias - position of their code in the
/// word): finite for |x| < 2^48.
constexpr int kInputBias = 80;
/// Packed rows (64 bytes each) each tile's codes are prefetched ahead.
constexpr int64_t kPrefetchRows = 32;

class DequantMatMulEmitter {
public:
  DequantMatMulEmitter(OpBuilder &b, PackedDequantMatMulOp op, bool parallel,
                       IntDot dot)
      : b(b), loc(op.getLoc()), parallel(parallel), x86(dot == IntDot::VNNI),
        dot(dot), lhs(op.getLhs()), rhs(op.getRhs()), scales(op.getScales()),
        zps(op.getZeroPoints()), init(op.getInit()), int8(op.getInt8Compute()) {
    auto lhsType = cast<MemRefType>(lhs.getType());
    auto rhsType = cast<MemRefType>(rhs.getType());
    m = lhsType.getDimSize(0);
    k = lhsType.getDimSize(1);
    tilesPerGroup = rhsType.getDimSize(2);
    n1 = rhsType.getDimSize(0) * tilesPerGroup;
    words = rhsType.getDimSize(1);
    bits = op.getBits();
    k0 = op.getK0();
    groupSize = op.getGroupSize();
    groups = cast<MemRefType>(scales.getType()).getDimSize(1);
  }

  /// True if the vector kernel applies: unit inner strides and groups made
  /// of whole packed rows (or a single group).
  bool canUseKernel() const {
    for (Value v : {lhs, rhs, scales, zps, init})
      if (!hasUnitInnerStride(v))
        return false;
    return groups == 1 || groupSize % k0 == 0;
  }

  void emitKernel() {
    Type f32 = b.getF32Type();
    int64_t kPadded = words * k0;
    auto alloc = [&](int64_t cols, Type type) {
      return memref::AllocOp::create(b, loc, MemRefType::get({m, cols}, type),
                                     ValueRange{}, b.getI64IntegerAttr(64));
    };
    wordsPerGroup = groups == 1 ? words : groupSize / k0;
    if (int8) {
      Type i32 = b.getI32Type();
      xq = alloc(kPadded / 4, i32);
      xs = alloc(groups, f32);
      xsum = alloc(groups, i32);
      emitQuantizePrepass();
    } else {
      xs = alloc(kPadded, f32);
      xsum = alloc(groups, f32);
      emitPrepass();
    }
    // Register blocks: 1 x 8 tiles for one row, 4 x 4 for a few rows (both
    // enough independent FMA chains), 4 x 2 for long M (prefill: half the
    // code; the weights come from L2 again for every row block anyway).
    int64_t mr = std::min<int64_t>(m, 4);
    int64_t tiles = std::min(PackedDequantMatMulOp::getKernelTiles(m), n1);
    int64_t fullBlocks = n1 / tiles;
    // The denormal form needs denormal operands: on x86 MXCSR.DAZ (bit 6)
    // is cleared for the call and restored after it. OpenMP workers run
    // each parallel region with their master's MXCSR (libomp's
    // KMP_INHERIT_FP_CONTROL, on by default).
    denormal = x86 && !int8;
    Value savedMXCSR;
    if (denormal)
      savedMXCSR = clearDenormalsAreZero();
    emitColumnBlocks(0, fullBlocks, tiles, mr);
    if (int64_t rest = n1 % tiles)
      emitColumnBlocks(fullBlocks * tiles, 1, rest, mr);
    if (denormal)
      LLVM::CallIntrinsicOp::create(b, loc,
                                    b.getStringAttr("llvm.x86.sse.ldmxcsr"),
                                    ValueRange{savedMXCSR});
    memref::DeallocOp::create(b, loc, xs);
    memref::DeallocOp::create(b, loc, xsum);
    if (int8)
      memref::DeallocOp::create(b, loc, xq);
  }

  /// Saves MXCSR in a stack slot (returned) and loads it with DAZ clear.
  Value clearDenormalsAreZero() {
    auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
    Type i32 = b.getI32Type();
    Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
    Value saved = LLVM::AllocaOp::create(b, loc, ptrType, i32, one, 4);
    Value cleared = LLVM::AllocaOp::create(b, loc, ptrType, i32, one, 4);
    LLVM::CallIntrinsicOp::create(
        b, loc, b.getStringAttr("llvm.x86.sse.stmxcsr"), ValueRange{saved});
    Value value = LLVM::LoadOp::create(b, loc, i32, saved);
    LLVM::StoreOp::create(
        b, loc,
        arith::AndIOp::create(
            b, loc, value,
            arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(~(1 << 6)))),
        cleared);
    LLVM::CallIntrinsicOp::create(
        b, loc, b.getStringAttr("llvm.x86.sse.ldmxcsr"), ValueRange{cleared});
    return saved;
  }

  /// Plain loops with the op's definition, for layouts the kernel does not
  /// cover.
  void emitScalar() {
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    Value c0 = index(0), c1 = index(1);
    auto rows = scf::ForOp::create(b, loc, c0, index(m), c1);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rows.getBody());
    Value row = rows.getInductionVar();
    auto cols = scf::ForOp::create(b, loc, c0, index(n1 * kN0), c1);
    b.setInsertionPointToStart(cols.getBody());
    Value col = cols.getInductionVar();
    std::pair<Value, Value> coords =
        tileCoords(arith::DivUIOp::create(b, loc, col, index(kN0)));
    Value tileOuter = coords.first, tileInner = coords.second;
    Value lane = arith::RemUIOp::create(b, loc, col, index(kN0));
    Value out0 = memref::LoadOp::create(b, loc, init, ValueRange{row, col});
    auto gs =
        scf::ForOp::create(b, loc, c0, index(groups), c1, ValueRange{out0});
    b.setInsertionPointToStart(gs.getBody());
    Value g = gs.getInductionVar();
    Value kBegin = arith::MulIOp::create(b, loc, g, index(groupSize));
    Value kEnd = arith::MinSIOp::create(
        b, loc, index(k),
        arith::AddIOp::create(b, loc, kBegin, index(groupSize)));
    Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0));
    auto ks = scf::ForOp::create(b, loc, kBegin, kEnd, c1, ValueRange{zero});
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(ks.getBody());
      Value kk = ks.getInductionVar();
      Value word = memref::LoadOp::create(
          b, loc, rhs,
          ValueRange{tileOuter, arith::DivUIOp::create(b, loc, kk, index(k0)),
                     tileInner, lane});
      Value shift = arith::IndexCastOp::create(
          b, loc, i32,
          arith::MulIOp::create(b, loc,
                                arith::RemUIOp::create(b, loc, kk, index(k0)),
                                index(bits)));
      Value code = arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, word, shift),
          arith::ConstantOp::create(b, loc, i32,
                                    b.getI32IntegerAttr((1 << bits) - 1)));
      Value zp = memref::LoadOp::create(
          b, loc, zps, ValueRange{tileOuter, g, tileInner, lane});
      Value w = arith::SubFOp::create(
          b, loc, arith::UIToFPOp::create(b, loc, f32, code), zp);
      Value x = memref::LoadOp::create(b, loc, lhs, ValueRange{row, kk});
      scf::YieldOp::create(
          b, loc,
          arith::AddFOp::create(b, loc, ks.getRegionIterArgs()[0],
                                arith::MulFOp::create(b, loc, x, w))
              .getResult());
    }
    Value scale = memref::LoadOp::create(
        b, loc, scales, ValueRange{tileOuter, g, tileInner, lane});
    scf::YieldOp::create(
        b, loc,
        arith::AddFOp::create(
            b, loc, gs.getRegionIterArgs()[0],
            arith::MulFOp::create(b, loc, scale, ks.getResult(0)))
            .getResult());
    b.setInsertionPointAfter(gs);
    memref::StoreOp::create(b, loc, gs.getResult(0), init,
                            ValueRange{row, col});
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// (n2, t) of column tile `tile` in the interleaved [N2, .., T, 16]
  /// operands.
  std::pair<Value, Value> tileCoords(Value tile) {
    return {arith::DivUIOp::create(b, loc, tile, index(tilesPerGroup)),
            arith::RemUIOp::create(b, loc, tile, index(tilesPerGroup))};
  }

  /// Sets blockOuter / blockInner to the coordinates of tiles
  /// [firstTile + iv * tiles, + tiles): constants within a group of T when
  /// the block starts at one.
  void setBlockCoords(int64_t firstTile, Value iv, int64_t tiles) {
    blockOuter.clear();
    blockInner.clear();
    int64_t t = tilesPerGroup;
    bool aligned = firstTile % t == 0 && tiles % t == 0;
    for (int64_t j = 0; j < tiles; ++j) {
      if (aligned) {
        blockOuter.push_back(arith::AddIOp::create(
            b, loc, index(firstTile / t + j / t),
            arith::MulIOp::create(b, loc, iv, index(tiles / t))));
        blockInner.push_back(index(j % t));
        continue;
      }
      auto [outer, inner] = tileCoords(arith::AddIOp::create(
          b, loc, index(firstTile + j),
          arith::MulIOp::create(b, loc, iv, index(tiles))));
      blockOuter.push_back(outer);
      blockInner.push_back(inner);
    }
  }

  Value f32Const(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                     b.getF32FloatAttr(float(v)));
  }

  /// 2^(kInputBias - position of code t): the factor of input t of a
  /// packed row, so that every product is x * u * 2^kInputBias in the
  /// converting form (the code converted in place) and
  /// x * u * 2^(kInputBias - 149) in the denormal form.
  double inputFactor(int64_t t) const {
    return std::ldexp(1.0, kInputBias - int(fieldPosition(t)));
  }

  /// Codes [0, split) are masked in place, the others after one shift
  /// right by `shift`: every field lies in the low 20 bits (an f32's
  /// mantissa, for the denormal form).
  int64_t split() const { return bits == 4 ? 5 : 2; }
  int64_t shift() const { return bits == 4 ? 12 : 16; }
  int64_t fieldPosition(int64_t t) const {
    return t < split() ? bits * t : bits * t - shift();
  }

  /// xs[r, k] = lhs[r, k] * inputFactor(k % K0) (0 past K) and
  /// xsum[r, g] = sum of lhs[r, k] over group g.
  void emitPrepass() {
    Type f32 = b.getF32Type();
    auto vecType = VectorType::get({k0}, f32);
    SmallVector<Attribute> factors;
    for (int64_t t = 0; t < k0; ++t)
      factors.push_back(b.getF32FloatAttr(float(inputFactor(t))));
    Value factorVec = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, factors));
    Value zeroVec = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0)));
    int64_t fullWords = k / k0;
    int64_t fullGroups = words / wordsPerGroup;

    auto rows = scf::ForOp::create(b, loc, index(0), index(m), index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rows.getBody());
    Value row = rows.getInductionVar();

    // Sum over words [begin, end) of the group, all inside K; stores xs.
    auto sumWords = [&](Value begin, Value end) -> Value {
      auto loop =
          scf::ForOp::create(b, loc, begin, end, index(1), ValueRange{zeroVec});
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(loop.getBody());
      Value col =
          arith::MulIOp::create(b, loc, loop.getInductionVar(), index(k0));
      Value x =
          vector::LoadOp::create(b, loc, vecType, lhs, ValueRange{row, col});
      vector::StoreOp::create(b, loc,
                              arith::MulFOp::create(b, loc, x, factorVec), xs,
                              ValueRange{row, col});
      scf::YieldOp::create(
          b, loc,
          arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0], x)
              .getResult());
      return loop.getResult(0);
    };
    auto storeSum = [&](Value g, Value vec, Value scalar) {
      Value sum =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, vec);
      if (scalar)
        sum = arith::AddFOp::create(b, loc, sum, scalar);
      memref::StoreOp::create(b, loc, sum, xsum, ValueRange{row, g});
    };

    // Groups whose rows all lie inside K.
    int64_t wholeGroups = std::min(fullGroups, fullWords / wordsPerGroup);
    if (wholeGroups > 0) {
      auto loop =
          scf::ForOp::create(b, loc, index(0), index(wholeGroups), index(1));
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(loop.getBody());
      Value g = loop.getInductionVar();
      Value begin = arith::MulIOp::create(b, loc, g, index(wordsPerGroup));
      Value end = arith::AddIOp::create(b, loc, begin, index(wordsPerGroup));
      storeSum(g, sumWords(begin, end), Value());
    }
    // The last group, when it is shorter or ends in a partial row.
    if (wholeGroups < groups) {
      int64_t begin = wholeGroups * wordsPerGroup;
      Value vec = sumWords(index(begin), index(fullWords));
      Value scalar;
      if (fullWords < words) {
        scalar = f32Const(0.0);
        for (int64_t t = 0; t < k0; ++t) {
          int64_t kk = fullWords * k0 + t;
          Value v = f32Const(0.0);
          if (kk < k) {
            Value x =
                memref::LoadOp::create(b, loc, lhs, ValueRange{row, index(kk)});
            scalar = arith::AddFOp::create(b, loc, scalar, x);
            v = arith::MulFOp::create(b, loc, x, f32Const(inputFactor(t)));
          }
          memref::StoreOp::create(b, loc, v, xs, ValueRange{row, index(kk)});
        }
      }
      storeSum(index(groups - 1), vec, scalar);
    }
  }

  /// `count` blocks of `tiles` column tiles from tile `firstTile`; the
  /// blocks are independent (parallel when asked).
  void emitColumnBlocks(int64_t firstTile, int64_t count, int64_t tiles,
                        int64_t mr) {
    auto body = [&](Value iv) {
      Value tile = arith::AddIOp::create(
          b, loc, index(firstTile),
          arith::MulIOp::create(b, loc, iv, index(tiles)));
      setBlockCoords(firstTile, iv, tiles);
      emitBlock(tile, tiles, mr);
    };
    if (parallel && count > 1) {
      scf::ParallelOp::create(
          b, loc, ValueRange{index(0)}, ValueRange{index(count)},
          ValueRange{index(1)}, [&](OpBuilder &nb, Location, ValueRange ivs) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            body(ivs[0]);
          });
      return;
    }
    auto loop = scf::ForOp::create(b, loc, index(0), index(count), index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  }

  /// All rows of tiles [tile, tile + tiles), in groups of mr rows.
  void emitBlock(Value tile, int64_t tiles, int64_t mr) {
    if (int64_t blocks = m / mr) {
      auto rows = scf::ForOp::create(b, loc, index(0), index(blocks), index(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(rows.getBody());
      emitRows(arith::MulIOp::create(b, loc, rows.getInductionVar(), index(mr)),
               mr, tile, tiles);
    }
    if (int64_t rest = m % mr)
      emitRows(index(m - rest), rest, tile, tiles);
  }

  /// Rows [row, row + rows) of tiles [tile, tile + tiles), group by group.
  void emitRows(Value row, int64_t rows, Value tile, int64_t tiles) {
    int64_t fullGroups = words / wordsPerGroup;
    if (fullGroups > 0) {
      auto loop =
          scf::ForOp::create(b, loc, index(0), index(fullGroups), index(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value g = loop.getInductionVar();
      emitGroup(row, rows, tile, tiles, g,
                arith::MulIOp::create(b, loc, g, index(wordsPerGroup)),
                wordsPerGroup);
    }
    if (int64_t rest = words % wordsPerGroup)
      emitGroup(row, rows, tile, tiles, index(fullGroups),
                index(fullGroups * wordsPerGroup), rest);
  }

  /// The loop over packed rows [begin, begin + count) of the current
  /// block, carrying `numAccs` accumulators that start at `zero`: loads the
  /// row's code word of each tile (one sequential stream when the block is
  /// a group of T interleaved tiles), prefetches kPrefetchRows ahead, and
  /// lets `body` update the accumulators from the codes.
  scf::ForOp emitPackedRowLoop(
      Value begin, int64_t count, int64_t numAccs, Value zero,
      llvm::function_ref<void(Value, SmallVector<Value>, SmallVector<Value> &)>
          body) {
    auto wordType = VectorType::get({kN0}, b.getI32Type());
    SmallVector<Value> accs(numAccs, zero);
    Value end = arith::AddIOp::create(b, loc, begin, index(count));
    auto loop = scf::ForOp::create(b, loc, begin, end, index(1), accs);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value w = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    SmallVector<Value> codes;
    for (auto [outer, inner] : llvm::zip(blockOuter, blockInner))
      codes.push_back(vector::LoadOp::create(
          b, loc, wordType, rhs, ValueRange{outer, w, inner, index(0)}));
    // With separate tile streams (T smaller than the block) the hardware
    // prefetchers fall behind once the weights come from DRAM (measured
    // before the interleaved layout: 1.5x faster for 11008 x 4096 w8a16,
    // 3% slower when they fit in L3).
    Value ahead = arith::MinSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, w, index(kPrefetchRows)),
        index(words - 1));
    for (auto [outer, inner] : llvm::zip(blockOuter, blockInner))
      memref::PrefetchOp::create(b, loc, rhs,
                                 ValueRange{outer, ahead, inner, index(0)},
                                 /*isWrite=*/false, /*localityHint=*/3,
                                 /*isDataCache=*/true);
    body(w, codes, acc);
    scf::YieldOp::create(b, loc, acc);
    return loop;
  }

  /// One group: accumulate sum_k xs[k] * field(k) over `count` packed rows
  /// from `begin` in registers, then
  /// out += scale * (acc * 2^-80 or 2^69 - zp * xsum).
  void emitGroup(Value row, int64_t rows, Value tile, int64_t tiles, Value g,
                 Value begin, int64_t count) {
    if (int8)
      return emitGroupInt8(row, rows, tile, tiles, g, begin, count);
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    auto vecType = VectorType::get({kN0}, f32);
    auto wordType = VectorType::get({kN0}, i32);
    SmallVector<Value> rowIdx, tileIdx, colIdx;
    blockIndices(b, loc, row, rows, tile, tiles, kN0, rowIdx, tileIdx, colIdx);
    ArrayRef<Value> outer = blockOuter, inner = blockInner;
    SmallVector<Value> masks;
    for (int64_t t = 0; t < k0; ++t) {
      int64_t mask = int64_t(((1u << bits) - 1) << fieldPosition(t));
      masks.push_back(arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(wordType,
                                 b.getI32IntegerAttr(int32_t(mask)))));
    }
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0)));
    scf::ForOp loop = emitPackedRowLoop(
        begin, count, rows * tiles, zero,
        [&](Value w, SmallVector<Value> codes, SmallVector<Value> &acc) {
          Value kBase = arith::MulIOp::create(b, loc, w, index(k0));
          for (int64_t t = 0; t < k0; ++t) {
            Value kk = arith::AddIOp::create(b, loc, kBase, index(t));
            SmallVector<Value> xsB;
            for (int64_t r = 0; r < rows; ++r)
              xsB.push_back(vector::BroadcastOp::create(
                  b, loc, vecType,
                  memref::LoadOp::create(b, loc, xs,
                                         ValueRange{rowIdx[r], kk})));
            if (t == split()) {
              Value amount = arith::ConstantOp::create(
                  b, loc,
                  DenseElementsAttr::get(
                      wordType, b.getI32IntegerAttr(int32_t(shift()))));
              for (Value &c : codes)
                c = arith::ShRUIOp::create(b, loc, c, amount);
            }
            for (int64_t j = 0; j < tiles; ++j) {
              Value field = arith::AndIOp::create(b, loc, codes[j], masks[t]);
              Value wf = denormal
                             ? arith::BitcastOp::create(b, loc, vecType, field)
                                   .getResult()
                             : arith::SIToFPOp::create(b, loc, vecType, field)
                                   .getResult();
              for (int64_t r = 0; r < rows; ++r)
                acc[r * tiles + j] = vector::FMAOp::create(b, loc, xsB[r], wf,
                                                           acc[r * tiles + j]);
            }
          }
        });
    for (int64_t j = 0; j < tiles; ++j) {
      Value scale = vector::LoadOp::create(
          b, loc, vecType, scales, ValueRange{outer[j], g, inner[j], index(0)});
      Value zp = vector::LoadOp::create(
          b, loc, vecType, zps, ValueRange{outer[j], g, inner[j], index(0)});
      for (int64_t r = 0; r < rows; ++r) {
        Value sum = vector::BroadcastOp::create(
            b, loc, vecType,
            memref::LoadOp::create(b, loc, xsum, ValueRange{rowIdx[r], g}));
        Value acc = arith::MulFOp::create(
            b, loc, loop.getResult(r * tiles + j),
            arith::ConstantOp::create(
                b, loc,
                DenseElementsAttr::get(
                    vecType,
                    b.getF32FloatAttr(float(std::ldexp(
                        1.0, denormal ? 149 - kInputBias : -kInputBias))))));
        Value centered = arith::SubFOp::create(
            b, loc, acc, arith::MulFOp::create(b, loc, zp, sum));
        Value out = vector::LoadOp::create(b, loc, vecType, init,
                                           ValueRange{rowIdx[r], colIdx[j]});
        vector::StoreOp::create(
            b, loc, vector::FMAOp::create(b, loc, centered, scale, out), init,
            ValueRange{rowIdx[r], colIdx[j]});
      }
    }
  }

  /// int8_compute: xq[r, :] = the s8 codes of row r, four to an i32 word
  /// in the order emitGroupInt8 reads them, xs[r, g] = the group's scale
  /// and xsum[r, g] = the group's sum of codes (i32). Goes through a copy
  /// of x padded with zeros to whole packed rows.
  void emitQuantizePrepass() {
    Type f32 = b.getF32Type();
    int64_t kPadded = words * k0;
    auto vecType = VectorType::get({k0}, f32);
    Value xpad =
        memref::AllocOp::create(b, loc, MemRefType::get({m, kPadded}, f32),
                                ValueRange{}, b.getI64IntegerAttr(64));
    int64_t fullWords = k / k0;
    int64_t fullGroups = words / wordsPerGroup;

    auto rows = scf::ForOp::create(b, loc, index(0), index(m), index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(rows.getBody());
      Value row = rows.getInductionVar();
      if (fullWords > 0) {
        auto copy =
            scf::ForOp::create(b, loc, index(0), index(fullWords), index(1));
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(copy.getBody());
        Value col =
            arith::MulIOp::create(b, loc, copy.getInductionVar(), index(k0));
        Value x =
            vector::LoadOp::create(b, loc, vecType, lhs, ValueRange{row, col});
        vector::StoreOp::create(b, loc, x, xpad, ValueRange{row, col});
      }
      for (int64_t kk = fullWords * k0; kk < kPadded; ++kk) {
        Value x = kk < k ? memref::LoadOp::create(b, loc, lhs,
                                                  ValueRange{row, index(kk)})
                               .getResult()
                         : f32Const(0.0);
        memref::StoreOp::create(b, loc, x, xpad, ValueRange{row, index(kk)});
      }
      if (fullGroups > 0) {
        auto loop =
            scf::ForOp::create(b, loc, index(0), index(fullGroups), index(1));
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(loop.getBody());
        Value g = loop.getInductionVar();
        quantizeGroup(xpad, row, g,
                      arith::MulIOp::create(b, loc, g, index(wordsPerGroup)),
                      wordsPerGroup);
      }
      if (int64_t rest = words % wordsPerGroup)
        quantizeGroup(xpad, row, index(fullGroups),
                      index(fullGroups * wordsPerGroup), rest);
    }
    memref::DeallocOp::create(b, loc, xpad);
  }

  /// Quantizes packed rows [begin, begin + count) of row `row` of `xpad`
  /// (group g) into xq, xs and xsum.
  void quantizeGroup(Value xpad, Value row, Value g, Value begin,
                     int64_t count) {
    Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
    auto vecType = VectorType::get({k0}, f32);
    auto intType = VectorType::get({k0}, i32);
    Value end = arith::AddIOp::create(b, loc, begin, index(count));
    auto load = [&](Value w) {
      Value col = arith::MulIOp::create(b, loc, w, index(k0));
      return vector::LoadOp::create(b, loc, vecType, xpad, ValueRange{row, col})
          .getResult();
    };
    auto splat = [&](VectorType type, Attribute value) {
      return arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(type, value))
          .getResult();
    };
    // a = max |x| over the group.
    auto maxLoop =
        scf::ForOp::create(b, loc, begin, end, index(1),
                           ValueRange{splat(vecType, b.getF32FloatAttr(0))});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(maxLoop.getBody());
      Value x = math::AbsFOp::create(b, loc, load(maxLoop.getInductionVar()));
      scf::YieldOp::create(
          b, loc,
          arith::MaximumFOp::create(b, loc, maxLoop.getRegionIterArgs()[0], x)
              .getResult());
    }
    Value amax = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, maxLoop.getResult(0));
    Value scale = arith::DivFOp::create(b, loc, amax, f32Const(127.0));
    memref::StoreOp::create(b, loc, scale, xs, ValueRange{row, g});
    // A zero scale (a zero group) divides by 1 instead: its inputs are 0.
    Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         scale, f32Const(0.0));
    Value divisor = vector::BroadcastOp::create(
        b, loc, vecType,
        arith::SelectOp::create(b, loc, isZero, f32Const(1.0), scale));
    Value lo = splat(vecType, b.getF32FloatAttr(-127));
    Value hi = splat(vecType, b.getF32FloatAttr(127));
    auto quantLoop =
        scf::ForOp::create(b, loc, begin, end, index(1),
                           ValueRange{splat(intType, b.getI32IntegerAttr(0))});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(quantLoop.getBody());
      Value w = quantLoop.getInductionVar();
      Value q = math::RoundEvenOp::create(
          b, loc, arith::DivFOp::create(b, loc, load(w), divisor));
      q = arith::MinimumFOp::create(
          b, loc, arith::MaximumFOp::create(b, loc, q, lo), hi);
      Value qi = arith::FPToSIOp::create(b, loc, intType, q);
      Value bytes =
          arith::TruncIOp::create(b, loc, VectorType::get({k0}, i8), qi);
      // int4: the even inputs of the packed row (low nibbles) first.
      if (bits == 4)
        bytes = vector::ShuffleOp::create(
            b, loc, bytes, bytes, ArrayRef<int64_t>{0, 2, 4, 6, 1, 3, 5, 7});
      Value packedWords = vector::BitCastOp::create(
          b, loc, VectorType::get({k0 / 4}, i32), bytes);
      vector::StoreOp::create(
          b, loc, packedWords, xq,
          ValueRange{row, arith::MulIOp::create(b, loc, w, index(k0 / 4))});
      scf::YieldOp::create(
          b, loc,
          arith::AddIOp::create(b, loc, quantLoop.getRegionIterArgs()[0], qi)
              .getResult());
    }
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            quantLoop.getResult(0));
    memref::StoreOp::create(b, loc, sum, xsum, ValueRange{row, g});
  }

  /// int8_compute: one group, as emitGroup, with vpdpbusd on the u8 weight
  /// codes and the s8 activation codes, then
  /// out = fma(f32(acc - zp * xsum), scale * xs, out).
  void emitGroupInt8(Value row, int64_t rows, Value tile, int64_t tiles,
                     Value g, Value begin, int64_t count) {
    Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
    auto vecType = VectorType::get({kN0}, f32);
    auto wordType = VectorType::get({kN0}, i32);
    auto byteType = VectorType::get({4 * kN0}, i8);
    int64_t xWords = k0 / 4;
    SmallVector<Value> rowIdx, tileIdx, colIdx;
    blockIndices(b, loc, row, rows, tile, tiles, kN0, rowIdx, tileIdx, colIdx);
    ArrayRef<Value> outer = blockOuter, inner = blockInner;
    Value nibbles = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(wordType, b.getI32IntegerAttr(0x0F0F0F0F)));
    Value four = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wordType, b.getI32IntegerAttr(4)));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wordType, b.getI32IntegerAttr(0)));
    scf::ForOp loop = emitPackedRowLoop(
        begin, count, rows * tiles, zero,
        [&](Value w, SmallVector<Value> tileCodes, SmallVector<Value> &acc) {
          // operands[j][h]: the u8 codes of tile j that multiply activation
          // word h of the packed row.
          SmallVector<SmallVector<Value, 2>> operands;
          for (int64_t j = 0; j < tiles; ++j) {
            Value codes = tileCodes[j];
            SmallVector<Value, 2> ops;
            if (bits == 8) {
              // sdot multiplies signed bytes: u - 128 (the epilogue adds
              // 128 * sum xq back through the zero point). 4-bit codes
              // (0-15) are valid signed bytes as they are.
              if (dot == IntDot::ArmDotProd)
                codes = arith::XOrIOp::create(
                    b, loc, codes,
                    arith::ConstantOp::create(
                        b, loc,
                        DenseElementsAttr::get(
                            wordType,
                            b.getI32IntegerAttr(int32_t(0x80808080u)))));
              ops.push_back(codes);
            } else {
              ops.push_back(arith::AndIOp::create(b, loc, codes, nibbles));
              ops.push_back(arith::AndIOp::create(
                  b, loc, arith::ShRUIOp::create(b, loc, codes, four),
                  nibbles));
            }
            for (Value &v : ops)
              v = vector::BitCastOp::create(b, loc, byteType, v);
            operands.push_back(ops);
          }
          Value xBase = arith::MulIOp::create(b, loc, w, index(xWords));
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t h = 0; h < xWords; ++h) {
              Value word = memref::LoadOp::create(
                  b, loc, xq,
                  ValueRange{rowIdx[r],
                             arith::AddIOp::create(b, loc, xBase, index(h))});
              Value xb = vector::BitCastOp::create(
                  b, loc, byteType,
                  vector::BroadcastOp::create(b, loc, wordType, word));
              for (int64_t j = 0; j < tiles; ++j)
                acc[r * tiles + j] =
                    dot == IntDot::VNNI
                        ? LLVM::CallIntrinsicOp::create(
                              b, loc, wordType,
                              b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                              ValueRange{acc[r * tiles + j], operands[j][h],
                                         xb})
                              .getResult(0)
                        : emitArmDot(b, loc, dot, acc[r * tiles + j],
                                     operands[j][h], xb);
            }
          }
        });
    for (int64_t j = 0; j < tiles; ++j) {
      Value scale = vector::LoadOp::create(
          b, loc, vecType, scales, ValueRange{outer[j], g, inner[j], index(0)});
      Value zp = arith::FPToSIOp::create(
          b, loc, wordType,
          vector::LoadOp::create(b, loc, vecType, zps,
                                 ValueRange{outer[j], g, inner[j], index(0)}));
      // sdot took u - 128 for 8-bit codes: acc - (zp - 128) * sum xq.
      if (bits == 8 && dot == IntDot::ArmDotProd)
        zp = arith::SubIOp::create(
            b, loc, zp,
            arith::ConstantOp::create(
                b, loc,
                DenseElementsAttr::get(wordType, b.getI32IntegerAttr(128))));
      for (int64_t r = 0; r < rows; ++r) {
        Value sum = vector::BroadcastOp::create(
            b, loc, wordType,
            memref::LoadOp::create(b, loc, xsum, ValueRange{rowIdx[r], g}));
        Value xScale = vector::BroadcastOp::create(
            b, loc, vecType,
            memref::LoadOp::create(b, loc, xs, ValueRange{rowIdx[r], g}));
        Value centered =
            arith::SubIOp::create(b, loc, loop.getResult(r * tiles + j),
                                  arith::MulIOp::create(b, loc, zp, sum));
        Value dot = arith::SIToFPOp::create(b, loc, vecType, centered);
        Value factor = arith::MulFOp::create(b, loc, scale, xScale);
        Value out = vector::LoadOp::create(b, loc, vecType, init,
                                           ValueRange{rowIdx[r], colIdx[j]});
        vector::StoreOp::create(b, loc,
                                vector::FMAOp::create(b, loc, dot, factor, out),
                                init, ValueRange{rowIdx[r], colIdx[j]});
      }
    }
  }

  OpBuilder &b;
  Location loc;
  bool parallel;
  bool x86;
  /// The integer dot product of the int8_compute kernel.
  IntDot dot;
  /// Whether the code being emitted uses the denormal form.
  bool denormal = false;
  Value lhs, rhs, scales, zps, init;
  /// Whether the op has int8_compute (integer kernel).
  bool int8;
  /// Exact form: x scaled per position and the group sums of x. int8 form:
  /// the group scales and code sums of x, and its codes (xq).
  Value xs, xsum, xq;
  /// (n2, t) of each tile of the block being emitted (setBlockCoords).
  SmallVector<Value> blockOuter, blockInner;
  /// n1: column tiles in all; tilesPerGroup: T, the tiles interleaved in
  /// rhs, scales and zero points.
  int64_t m, k, n1, tilesPerGroup, words, bits, k0, groupSize, groups,
      wordsPerGroup = 1;
};

} // namespace

LogicalResult mlir::qc::emitPackedDequantMatMul(OpBuilder &b,
                                                PackedDequantMatMulOp op,
                                                bool parallel, IntDot dot) {
  DequantMatMulEmitter emitter(b, op, parallel, dot);
  if (op.getInt8Compute()) {
    // The integer form exists only as a dot-product kernel.
    if (dot == IntDot::None)
      return op.emitError()
             << "int8_compute needs a target with integer dot products "
                "(AVX-512 VNNI vpdpbusd, AArch64 usdot or sdot); compile "
                "with --weight-only-compute=exact for this target";
    if (!emitter.canUseKernel())
      return op.emitError()
             << "int8_compute needs operands with unit inner strides";
    emitter.emitKernel();
    return success();
  }
  if (emitter.canUseKernel())
    emitter.emitKernel();
  else
    emitter.emitScalar();
  return success();
}
