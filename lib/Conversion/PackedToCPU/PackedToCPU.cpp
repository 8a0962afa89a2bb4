//===- PackedToCPU.cpp - Register-blocked kernels for qc.packed_matmul ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Emits the inner kernels of qc.packed_matmul as MLIR vector code (and, for
// VNNI, one LLVM intrinsic) rather than calling hand-written microkernels:
// the tile sizes are pass options and the same generator serves the integer
// and float forms. Shapes are static, so every loop bound and tail is known
// here; only the parallel block indices are dynamic.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "WeightOnlyKernels.h"
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::qc {
#define GEN_PASS_DEF_CONVERTQCPACKEDTOCPUPASS
#include "qc/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct KernelConfig {
  IntDot dot;
  bool parallel;
  int64_t mr, nb, kc, mc;
};

/// Emits the loops of one qc.packed_matmul on memrefs.
class PackedMatMulEmitter {
public:
  PackedMatMulEmitter(OpBuilder &b, PackedMatMulOp op, const KernelConfig &cfg)
      : b(b), loc(op.getLoc()), cfg(cfg), lhs(op.getLhs()), init(op.getInit()) {
    auto lhsType = cast<MemRefType>(lhs.getType());
    auto rhsType = cast<MemRefType>(op.getRhs().getType());
    m = lhsType.getDimSize(0);
    n1 = rhsType.getDimSize(0);
    k1 = rhsType.getDimSize(1);
    n0 = rhsType.getDimSize(2);
    k0 = rhsType.getDimSize(3);
    isFloat = lhsType.getElementType().isF32();
    // [N1, K1, N0 * K0]: one contiguous vector per (tile, k-step).
    rhs = memref::CollapseShapeOp::create(
        b, loc, op.getRhs(),
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  }

  /// True if the register-blocked kernel applies; otherwise emitScalar().
  bool canUseKernel() const {
    if (n0 != 16 || !hasUnitInnerStride(lhs) || !hasUnitInnerStride(init))
      return false;
    if (isFloat)
      return k0 == 1;
    return (k0 == 4 && cfg.dot != IntDot::None) || useMmla();
  }

  /// The AArch64 i8mm form on the K0 = 8 layout: usmmla.
  bool useMmla() const {
    return !isFloat && k0 == 8 && cfg.dot == IntDot::ArmI8MM;
  }

  /// With `startFromZero`, the first k-step starts from zero instead of
  /// reading the accumulator buffer (whose zero fill the caller drops).
  void emitKernel(bool startFromZero) {
    zeroInit = startFromZero;
    int64_t tiles = std::max<int64_t>(1, std::min(cfg.nb, n1));
    int64_t fullBlocks = n1 / tiles;
    emitColumnBlocks(/*firstTile=*/0, fullBlocks, tiles);
    if (int64_t rest = n1 % tiles)
      emitColumnBlocks(fullBlocks * tiles, 1, rest);
  }

  /// Plain loops with the op's exact semantics, for shapes and targets the
  /// kernel does not cover.
  void emitScalar() {
    Value c0 = index(0), c1 = index(1);
    auto loop = scf::ForOp::create(b, loc, c0, index(m), c1);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value row = loop.getInductionVar();
    auto cols = scf::ForOp::create(b, loc, c0, index(n1 * n0), c1);
    b.setInsertionPointToStart(cols.getBody());
    Value col = cols.getInductionVar();
    Value tile = arith::DivUIOp::create(b, loc, col, index(n0));
    Value lane = arith::RemUIOp::create(b, loc, col, index(n0));
    Value acc0 = memref::LoadOp::create(b, loc, init, ValueRange{row, col});
    auto ks =
        scf::ForOp::create(b, loc, c0, index(k1 * k0), c1, ValueRange{acc0});
    b.setInsertionPointToStart(ks.getBody());
    Value k = ks.getInductionVar();
    Value kOuter = arith::DivUIOp::create(b, loc, k, index(k0));
    Value kInner = arith::RemUIOp::create(b, loc, k, index(k0));
    Value a = memref::LoadOp::create(b, loc, lhs, ValueRange{row, k});
    Value w = memref::LoadOp::create(
        b, loc, rhs,
        ValueRange{tile, kOuter,
                   arith::AddIOp::create(
                       b, loc, arith::MulIOp::create(b, loc, lane, index(k0)),
                       kInner)});
    Value acc = ks.getRegionIterArgs()[0], next;
    if (isFloat) {
      next = arith::AddFOp::create(b, loc, acc,
                                   arith::MulFOp::create(b, loc, a, w));
    } else {
      Type i32 = b.getI32Type();
      Value prod =
          arith::MulIOp::create(b, loc, arith::ExtUIOp::create(b, loc, i32, a),
                                arith::ExtSIOp::create(b, loc, i32, w));
      next = arith::AddIOp::create(b, loc, acc, prod);
    }
    scf::YieldOp::create(b, loc, next);
    b.setInsertionPointAfter(ks);
    memref::StoreOp::create(b, loc, ks.getResult(0), init,
                            ValueRange{row, col});
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// `count` blocks of `tiles` column tiles starting at tile `firstTile`,
  /// each split into row blocks of `mc`; the (column, row) block pairs are
  /// independent and run in parallel.
  void emitColumnBlocks(int64_t firstTile, int64_t count, int64_t tiles) {
    int64_t rowBlocks = (m + cfg.mc - 1) / cfg.mc;
    Value c0 = index(0), c1 = index(1);
    auto body = [&](OpBuilder &nb, Location, ValueRange ivs) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      Value tile = arith::AddIOp::create(
          b, loc, index(firstTile),
          arith::MulIOp::create(b, loc, ivs[0], index(tiles)));
      Value rowStart = arith::MulIOp::create(b, loc, ivs[1], index(cfg.mc));
      Value rowEnd = arith::MinSIOp::create(
          b, loc, index(m),
          arith::AddIOp::create(b, loc, rowStart, index(cfg.mc)));
      emitRowBlock(tile, tiles, rowStart, rowEnd);
    };
    if (cfg.parallel) {
      scf::ParallelOp::create(
          b, loc, ValueRange{c0, c0},
          ValueRange{index(count), index(rowBlocks)}, ValueRange{c1, c1},
          [&](OpBuilder &nb, Location l, ValueRange ivs) { body(nb, l, ivs); });
      return;
    }
    auto cols = scf::ForOp::create(b, loc, c0, index(count), c1);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(cols.getBody());
    auto rows = scf::ForOp::create(b, loc, c0, index(rowBlocks), c1);
    b.setInsertionPointToStart(rows.getBody());
    body(b, loc, ValueRange{cols.getInductionVar(), rows.getInductionVar()});
  }

  /// Rows [rowStart, rowEnd) of `tiles` column tiles from `tile`: k in
  /// cache-sized steps, rows in groups of mr, then single rows.
  void emitRowBlock(Value tile, int64_t tiles, Value rowStart, Value rowEnd) {
    Value c1 = index(1);
    Value mr = index(cfg.mr);
    Value rows = arith::SubIOp::create(b, loc, rowEnd, rowStart);
    Value fullEnd = arith::AddIOp::create(
        b, loc, rowStart,
        arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, rows, mr),
                              mr));
    auto kBlocks =
        scf::ForOp::create(b, loc, index(0), index(k1), index(cfg.kc));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(kBlocks.getBody());
    Value kBegin = kBlocks.getInductionVar();
    Value kEnd = arith::MinSIOp::create(
        b, loc, index(k1),
        arith::AddIOp::create(b, loc, kBegin, index(cfg.kc)));
    auto groups = scf::ForOp::create(b, loc, rowStart, fullEnd, mr);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(groups.getBody());
      emitMicroKernel(groups.getInductionVar(), cfg.mr, tile, tiles, kBegin,
                      kEnd);
    }
    auto singles = scf::ForOp::create(b, loc, fullEnd, rowEnd, c1);
    b.setInsertionPointToStart(singles.getBody());
    emitMicroKernel(singles.getInductionVar(), 1, tile, tiles, kBegin, kEnd);
  }

  /// acc[r][j] for `rows` rows from `row` and `tiles` tiles from `tile`,
  /// accumulated over k-steps [kBegin, kEnd) in registers.
  void emitMicroKernel(Value row, int64_t rows, Value tile, int64_t tiles,
                       Value kBegin, Value kEnd) {
    if (useMmla())
      return emitMmlaMicroKernel(row, rows, tile, tiles, kBegin, kEnd);
    Type accElement = isFloat ? Type(b.getF32Type()) : Type(b.getI32Type());
    auto accType = VectorType::get({16}, accElement);
    SmallVector<Value> rowIdx, colIdx, tileIdx;
    blockIndices(b, loc, row, rows, tile, tiles, 16, rowIdx, tileIdx, colIdx);
    SmallVector<Value> accs =
        startAccumulators(kBegin, rows * tiles, accType, [&](OpBuilder &lb) {
          SmallVector<Value> loaded;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < tiles; ++j)
              loaded.push_back(vector::LoadOp::create(
                  lb, loc, accType, init, ValueRange{rowIdx[r], colIdx[j]}));
          return loaded;
        });
    // sdot (dotprod): per tile the sums of its weights, times 128 at the
    // end (see armDot).
    bool sums = !isFloat && cfg.dot == IntDot::ArmDotProd;
    if (sums)
      accs.append(tiles,
                  arith::ConstantOp::create(b, loc, b.getZeroAttr(accType)));
    auto loop = scf::ForOp::create(b, loc, kBegin, kEnd, index(1), accs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      ValueRange iter = loop.getRegionIterArgs();
      Type rhsElement = isFloat ? Type(b.getF32Type()) : Type(b.getI8Type());
      auto rhsType = VectorType::get({16 * k0}, rhsElement);
      SmallVector<Value> bs;
      for (int64_t j = 0; j < tiles; ++j)
        bs.push_back(vector::LoadOp::create(
            b, loc, rhsType, rhs, ValueRange{tileIdx[j], k, index(0)}));
      SmallVector<Value> next;
      for (int64_t r = 0; r < rows; ++r) {
        Value a = broadcastLhs(rowIdx[r], k);
        for (int64_t j = 0; j < tiles; ++j) {
          Value acc = iter[r * tiles + j];
          if (isFloat)
            next.push_back(vector::FMAOp::create(b, loc, a, bs[j], acc));
          else if (cfg.dot == IntDot::VNNI)
            next.push_back(LLVM::CallIntrinsicOp::create(
                               b, loc, accType,
                               b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                               ValueRange{acc, a, bs[j]})
                               .getResult(0));
          else
            next.push_back(armDot(acc, a, bs[j]));
        }
      }
      if (sums) {
        Value ones = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(VectorType::get({64}, b.getI8Type()),
                                   b.getI8IntegerAttr(1)));
        for (int64_t j = 0; j < tiles; ++j)
          next.push_back(armDot(iter[rows * tiles + j], ones, bs[j]));
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < tiles; ++j) {
        Value acc = loop.getResult(r * tiles + j);
        if (sums)
          acc = arith::AddIOp::create(
              b, loc, acc,
              arith::ShLIOp::create(b, loc, loop.getResult(rows * tiles + j),
                                    arith::ConstantOp::create(
                                        b, loc,
                                        DenseElementsAttr::get(
                                            accType, b.getI32IntegerAttr(7)))));
        vector::StoreOp::create(b, loc, acc, init,
                                ValueRange{rowIdx[r], colIdx[j]});
      }
  }

  /// The accumulators at the start of a k-slice: `load` reads them from
  /// `init`, or, when the fill that zeroed `init` was dropped (zeroInit),
  /// the first slice starts from zero.
  SmallVector<Value>
  startAccumulators(Value kBegin, int64_t count, VectorType accType,
                    function_ref<SmallVector<Value>(OpBuilder &)> load) {
    if (!zeroInit)
      return load(b);
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        kBegin, index(0));
    SmallVector<Type> types(count, accType);
    auto start = scf::IfOp::create(b, loc, types, first, /*else=*/true);
    OpBuilder tb = start.getThenBodyBuilder();
    Value zero = arith::ConstantOp::create(tb, loc, tb.getZeroAttr(accType));
    scf::YieldOp::create(tb, loc, SmallVector<Value>(count, zero));
    OpBuilder eb = start.getElseBodyBuilder();
    scf::YieldOp::create(eb, loc, load(eb));
    return SmallVector<Value>(start.getResults());
  }

  /// emitMicroKernel with i8mm `usmmla` on the K0 = 8 layout. One usmmla
  /// multiplies a 2 x 8 block of rows (u8) by a 2 x 8 block of columns
  /// (s8; two consecutive columns of a packed k-step) into a 2 x 2 i32
  /// block, twice the products of a usdot. Rows go in pairs: the (pair,
  /// tile) accumulator is 32 x i32, eight 2 x 2 blocks
  /// [r c, r c+1, r+1 c, r+1 c+1] for c = 0, 2, .., 14, interleaved from
  /// and back to the two rows of `init`. An odd last row pairs with zeros.
  void emitMmlaMicroKernel(Value row, int64_t rows, Value tile, int64_t tiles,
                           Value kBegin, Value kEnd) {
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    auto rowType = VectorType::get({16}, i32);
    auto accType = VectorType::get({32}, i32);
    SmallVector<Value> rowIdx, colIdx, tileIdx;
    blockIndices(b, loc, row, rows, tile, tiles, 16, rowIdx, tileIdx, colIdx);
    int64_t pairs = (rows + 1) / 2;
    SmallVector<int64_t> interleave, firstRow, secondRow, concat;
    for (int64_t c = 0; c < 16; c += 2)
      interleave.append({c, c + 1, 16 + c, 17 + c});
    for (int64_t c = 0; c < 16; ++c) {
      firstRow.push_back(4 * (c / 2) + c % 2);
      secondRow.push_back(4 * (c / 2) + c % 2 + 2);
      concat.push_back(c);
    }
    SmallVector<Value> accs =
        startAccumulators(kBegin, pairs * tiles, accType, [&](OpBuilder &lb) {
          SmallVector<Value> loaded;
          Value zero =
              arith::ConstantOp::create(lb, loc, lb.getZeroAttr(rowType));
          auto load = [&](int64_t r, int64_t j) -> Value {
            if (r >= rows)
              return zero;
            return vector::LoadOp::create(lb, loc, rowType, init,
                                          ValueRange{rowIdx[r], colIdx[j]});
          };
          for (int64_t p = 0; p < pairs; ++p)
            for (int64_t j = 0; j < tiles; ++j)
              loaded.push_back(vector::ShuffleOp::create(
                  lb, loc, load(2 * p, j), load(2 * p + 1, j), interleave));
          return loaded;
        });
    auto loop = scf::ForOp::create(b, loc, kBegin, kEnd, index(1), accs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      ValueRange iter = loop.getRegionIterArgs();
      SmallVector<Value> bs;
      for (int64_t j = 0; j < tiles; ++j)
        bs.push_back(
            vector::LoadOp::create(b, loc, VectorType::get({16 * 8}, i8), rhs,
                                   ValueRange{tileIdx[j], k, index(0)}));
      // lhs[r, 8k .. 8k + 8) and the same of row r + 1, as one 16-byte
      // 2 x 8 operand.
      auto rowType8 = VectorType::get({8}, i8);
      Value col = arith::MulIOp::create(b, loc, k, index(8));
      Value zeroRow =
          arith::ConstantOp::create(b, loc, b.getZeroAttr(rowType8));
      auto loadRow = [&](int64_t r) -> Value {
        if (r >= rows)
          return zeroRow;
        return vector::LoadOp::create(b, loc, rowType8, lhs,
                                      ValueRange{rowIdx[r], col});
      };
      SmallVector<Value> next;
      auto quarter = VectorType::get({4}, i32);
      for (int64_t p = 0; p < pairs; ++p) {
        Value a = vector::ShuffleOp::create(b, loc, loadRow(2 * p),
                                            loadRow(2 * p + 1), concat);
        for (int64_t j = 0; j < tiles; ++j) {
          Value acc = iter[p * tiles + j];
          for (int64_t c = 0; c < 8; ++c) {
            Value accC = vector::ExtractStridedSliceOp::create(
                b, loc, acc, ArrayRef<int64_t>{4 * c}, ArrayRef<int64_t>{4},
                ArrayRef<int64_t>{1});
            Value bC = vector::ExtractStridedSliceOp::create(
                b, loc, bs[j], ArrayRef<int64_t>{16 * c}, ArrayRef<int64_t>{16},
                ArrayRef<int64_t>{1});
            Value sum = LLVM::CallIntrinsicOp::create(
                            b, loc, quarter,
                            b.getStringAttr("llvm.aarch64.neon.usmmla.v4i32."
                                            "v16i8"),
                            ValueRange{accC, a, bC})
                            .getResult(0);
            acc = vector::InsertStridedSliceOp::create(b, loc, sum, acc,
                                                       ArrayRef<int64_t>{4 * c},
                                                       ArrayRef<int64_t>{1});
          }
          next.push_back(acc);
        }
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (int64_t p = 0; p < pairs; ++p)
      for (int64_t j = 0; j < tiles; ++j) {
        Value acc = loop.getResult(p * tiles + j);
        vector::StoreOp::create(
            b, loc, vector::ShuffleOp::create(b, loc, acc, acc, firstRow), init,
            ValueRange{rowIdx[2 * p], colIdx[j]});
        if (2 * p + 1 < rows)
          vector::StoreOp::create(
              b, loc, vector::ShuffleOp::create(b, loc, acc, acc, secondRow),
              init, ValueRange{rowIdx[2 * p + 1], colIdx[j]});
      }
  }

  /// acc + the four-byte dot products of a (u8) and b (s8) per 32-bit lane
  /// on AArch64: usdot (i8mm), or sdot (dotprod), for which broadcastLhs
  /// already subtracted 128 from a (and the caller adds 128 * the lane's
  /// weight sum).
  Value armDot(Value acc, Value a, Value bv) {
    return emitArmDot(b, loc, cfg.dot, acc, a, bv);
  }

  /// lhs[row, k*K0 .. k*K0 + K0) broadcast to every lane: 16 x f32, or the
  /// 4 bytes repeated 16 times (64 x i8) for the int8 dot products (minus
  /// 128, as s8, for sdot).
  Value broadcastLhs(Value row, Value k) {
    if (isFloat) {
      Value a = memref::LoadOp::create(b, loc, lhs, ValueRange{row, k});
      return vector::BroadcastOp::create(
          b, loc, VectorType::get({16}, b.getF32Type()), a);
    }
    Value col = arith::MulIOp::create(b, loc, k, index(4));
    Value bytes = vector::LoadOp::create(
        b, loc, VectorType::get({4}, b.getI8Type()), lhs, ValueRange{row, col});
    Value word = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value scalar =
        vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    Value splat = vector::BroadcastOp::create(
        b, loc, VectorType::get({16}, b.getI32Type()), scalar);
    auto bytesType = VectorType::get({64}, b.getI8Type());
    Value result = vector::BitCastOp::create(b, loc, bytesType, splat);
    // sdot multiplies signed bytes: a - 128 (see armDot).
    if (cfg.dot == IntDot::ArmDotProd)
      result = arith::XOrIOp::create(
          b, loc, result,
          arith::ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(bytesType, b.getI8IntegerAttr(-128))));
    return result;
  }

  OpBuilder &b;
  Location loc;
  KernelConfig cfg;
  Value lhs, rhs, init;
  bool zeroInit = false;
  int64_t m, n1, k1, n0, k0;
  bool isFloat;
};

/// The linalg.fill of zero that initializes `op`'s accumulator buffer, if
/// nothing else touches that buffer between the fill and `op`: the kernel
/// can then start from zero instead (the fill is a memset of the whole
/// accumulator, run before the parallel kernel).
linalg::FillOp findZeroFill(PackedMatMulOp op) {
  Value init = op.getInit();
  for (Operation *op2 = op->getPrevNode(); op2; op2 = op2->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(op2);
        fill && fill.getOutputs()[0] == init) {
      if (!matchPattern(fill.getInputs()[0], m_Zero()) &&
          !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
        return {};
      return fill;
    }
    // Any other reader or writer of the buffer (or a view of it) in
    // between keeps the fill.
    if (llvm::is_contained(op2->getOperands(), init) ||
        !isMemoryEffectFree(op2))
      return {};
  }
  return {};
}

struct ConvertQCPackedToCPUPass
    : public qc::impl::ConvertQCPackedToCPUPassBase<ConvertQCPackedToCPUPass> {
  using Base::Base;
  void runOnOperation() override {
    if (mr < 1 || nb < 1 || kc < 1 || mc < 1) {
      getOperation().emitError()
          << "convert-qc-packed-to-cpu: mr, nb, kc and mc must be positive";
      return signalPassFailure();
    }
    IntDot dot = vnni ? IntDot::VNNI : IntDot::None;
    if (armDot == "dotprod" || armDot == "i8mm") {
      if (vnni) {
        getOperation().emitError()
            << "convert-qc-packed-to-cpu: vnni and arm-dot exclude each other";
        return signalPassFailure();
      }
      dot = armDot == "i8mm" ? IntDot::ArmI8MM : IntDot::ArmDotProd;
    } else if (armDot != "none") {
      getOperation().emitError()
          << "convert-qc-packed-to-cpu: arm-dot must be none, dotprod or "
             "i8mm, got '"
          << armDot << "'";
      return signalPassFailure();
    }
    KernelConfig cfg{dot, parallel, mr, nb, kc, std::max(mc, mr)};
    SmallVector<PackedMatMulOp> ops;
    getOperation().walk([&](PackedMatMulOp op) { ops.push_back(op); });
    for (PackedMatMulOp op : ops) {
      if (!isa<MemRefType>(op.getInit().getType())) {
        op.emitError() << "convert-qc-packed-to-cpu runs after bufferization";
        return signalPassFailure();
      }
      OpBuilder b(op);
      PackedMatMulEmitter emitter(b, op, cfg);
      if (emitter.canUseKernel()) {
        linalg::FillOp fill = findZeroFill(op);
        emitter.emitKernel(/*zeroInit=*/bool(fill));
        if (fill)
          fill.erase();
      } else {
        emitter.emitScalar();
      }
      op.erase();
    }
    // Weight-only kernels (WeightOnlyKernels.cpp).
    SmallVector<PackedDequantMatMulOp> dequantOps;
    getOperation().walk(
        [&](PackedDequantMatMulOp op) { dequantOps.push_back(op); });
    for (PackedDequantMatMulOp op : dequantOps) {
      if (!isa<MemRefType>(op.getInit().getType())) {
        op.emitError() << "convert-qc-packed-to-cpu runs after bufferization";
        return signalPassFailure();
      }
      OpBuilder b(op);
      // x86 with AVX-512 (the targets that set vnni) gets the denormal form.
      if (failed(emitPackedDequantMatMul(b, op, parallel, cfg.dot)))
        return signalPassFailure();
      op.erase();
    }
  }
};

} // namespace
