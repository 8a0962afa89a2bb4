//===- LowerMMA.cpp - Tensor-core kernels for tagged contractions ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// After bufferization a tagged contraction reads as
//
//   %acc = memref.alloc() : memref<MxNxi32>
//   linalg.fill ins(%zero) outs(%acc)
//   linalg.generic {qc.gpu.mma = "s8.s8"} ins(%a, %bT) outs(%acc)   (m,n,k)
//   linalg.generic ins(%acc, ...) outs(%out) { epilogue }             (m,n)
//   memref.dealloc %acc
//
// and becomes one gpu.launch of the tiled GEMM (MMAKernel.cpp) whose
// per-element epilogue is the second generic's body, so the accumulator
// never reaches memory. Without a fusable consumer the kernel stores the
// accumulator instead.
//
//===----------------------------------------------------------------------===//

#include "LinalgPoint.h"
#include "qc/Target/CUDA/MMAKernel.h"
#include "qc/Target/CUDA/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPULOWERMMAPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cuda;

namespace {

/// A tagged contraction on memrefs and its zero fill.
struct Contraction {
  linalg::GenericOp op;
  linalg::FillOp fill;
  MMAKind kind;
  Value a, bT, acc;
  GEMMShape shape;
};

/// True if `type` is a static, dense row-major memref starting at offset 0
/// (so that 16-byte aligned allocations give 16-byte aligned rows).
bool isDenseRowMajor(MemRefType type) {
  if (!type.hasStaticShape())
    return false;
  auto [strides, offset] = type.getStridesAndOffset();
  if (offset != 0)
    return false;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) != 1 && strides[i] != expected)
      return false;
    expected *= type.getDimSize(i);
  }
  return true;
}

bool isZeroConstant(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return false;
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getValue().isZero();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValue().isPosZero();
  return false;
}

FailureOr<Contraction> matchContraction(linalg::GenericOp op) {
  auto tag = op->getAttrOfType<StringAttr>(kMMAAttrName);
  if (!tag)
    return failure();
  std::optional<MMAKind> kind = MMAKind::parse(tag.getValue());
  if (!kind || !op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3)
    return failure();
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  // A packed 4-bit B^T is read a byte per two k.
  bool packed = kind->isPackedB();
  SmallVector<AffineMap> expected = {
      AffineMap::get(3, 0, {m, k}, ctx),
      AffineMap::get(3, 0, {n, packed ? k.floorDiv(2) : k}, ctx),
      AffineMap::get(3, 0, {m, n}, ctx)};
  if (op.getIndexingMapsArray() != expected ||
      op.getIteratorTypesArray() !=
          SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel,
                                           utils::IteratorType::reduction})
    return failure();
  Contraction c;
  c.op = op;
  c.kind = *kind;
  c.a = op.getDpsInputs()[0];
  c.bT = op.getDpsInputs()[1];
  c.acc = op.getDpsInits()[0];
  auto aType = cast<MemRefType>(c.a.getType());
  auto bType = cast<MemRefType>(c.bT.getType());
  auto accType = cast<MemRefType>(c.acc.getType());
  if (!isDenseRowMajor(aType) || !isDenseRowMajor(bType) ||
      !accType.hasStaticShape() || !aType.getElementType().isInteger(8) ||
      !bType.getElementType().isInteger(8) ||
      accType.getElementType() != kind->getAccumulatorType(ctx))
    return failure();
  c.shape = {aType.getDimSize(0), bType.getDimSize(0), aType.getDimSize(1)};
  if (c.shape.k % (packed ? 32 : 16) != 0 || c.shape.m == 0 || c.shape.n == 0 ||
      c.shape.k == 0 ||
      bType.getDimSize(1) != (packed ? c.shape.k / 2 : c.shape.k))
    return failure();

  // The accumulator must start at zero: a fill right before, with no other
  // access to the buffer in between.
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getDpsInits()[0] == c.acc &&
        isZeroConstant(fill.getDpsInputs()[0])) {
      c.fill = fill;
      break;
    }
    if (llvm::is_contained(prev->getOperands(), c.acc) ||
        prev->getNumRegions() != 0)
      return failure();
  }
  if (!c.fill)
    return failure();
  return c;
}

/// Whether `op` may write to one of `roots`.
bool mayWriteTo(Operation *op, ArrayRef<Value> roots) {
  if (isMemoryEffectFree(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true;
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffects(list);
  for (auto &effect : list) {
    if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
      continue;
    Value value = effect.getValue();
    if (!value || llvm::is_contained(roots, getRootBuffer(value)))
      return true;
  }
  return false;
}

/// The elementwise consumer of the accumulator that can become the kernel's
/// epilogue, or null.
linalg::GenericOp findEpilogue(const Contraction &c) {
  // The first elementwise op after the contraction that reads the
  // accumulator; other users must come after it and see its result.
  linalg::GenericOp epilogue;
  SmallVector<Operation *> others;
  for (Operation *user : c.acc.getUsers()) {
    // (An op using the buffer twice is listed twice.)
    if (user == c.op || user == c.fill || user == epilogue ||
        llvm::is_contained(others, user) ||
        isa<memref::DeallocOp, bufferization::DeallocOp>(user))
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || generic->getBlock() != c.op->getBlock() ||
        (epilogue && epilogue->isBeforeInBlock(generic))) {
      others.push_back(user);
      continue;
    }
    if (epilogue)
      others.push_back(epilogue);
    epilogue = generic;
  }
  if (!epilogue || !epilogue.hasPureBufferSemantics() ||
      !c.op->isBeforeInBlock(epilogue) || epilogue.getNumLoops() != 2 ||
      epilogue.getNumReductionLoops() != 0)
    return {};
  auto staticRanges = epilogue.getStaticLoopRanges();
  if (staticRanges != SmallVector<int64_t>{c.shape.m, c.shape.n})
    return {};
  int reads = 0;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input->get() != c.acc)
      continue;
    if (!epilogue.getMatchingIndexingMap(input).isIdentity())
      return {};
    ++reads;
  }
  // Bufferization often writes the epilogue's result over the accumulator
  // (in place): the kernel then stores the final values there, and later
  // users of the buffer read them.
  bool inPlace = false;
  for (OpOperand &init : epilogue.getDpsInitsMutable()) {
    if (init.get() != c.acc)
      continue;
    if (!epilogue.getMatchingBlockArgument(&init).use_empty() ||
        !epilogue.getMatchingIndexingMap(&init).isIdentity())
      return {};
    inPlace = true;
  }
  for (Operation *other : others)
    if (!inPlace || other->getBlock() != epilogue->getBlock() ||
        !epilogue->isBeforeInBlock(other))
      return {};
  if (reads != 1)
    return {};
  // The kernel runs where the epilogue is: the GEMM's operands must not
  // change in between.
  SmallVector<Value> roots{getRootBuffer(c.a), getRootBuffer(c.bT)};
  for (Operation *op = c.op->getNextNode(); op != epilogue.getOperation();
       op = op->getNextNode())
    if (mayWriteTo(op, roots) || llvm::is_contained(op->getOperands(), c.acc))
      return {};
  return epilogue;
}

struct GPULowerMMAPass : public qc::impl::GPULowerMMAPassBase<GPULowerMMAPass> {
  using Base::Base;

  /// The tiling for one problem: the options, with fewer rows per block
  /// for short matrices (a decode-style GEMM with M = 1..32 would otherwise
  /// leave most of a 128-row tile idle).
  MMATileConfig chooseConfig(GEMMShape shape) const {
    MMATileConfig config;
    config.blockM = blockM;
    config.blockN = blockN;
    config.blockK = blockK;
    config.warpsM = warpsM;
    config.warpsN = warpsN;
    if (shape.m <= 32 && config.blockM > 32 &&
        config.blockN % (8 * warpsM * warpsN) == 0) {
      config.blockM = 32;
      config.warpsN = warpsM * warpsN;
      config.warpsM = 1;
      config.blockM = 32;
    }
    return config;
  }

  LogicalResult lower(Contraction &c) {
    OpBuilder b(c.op);
    Location loc = c.op.getLoc();
    MLIRContext *ctx = b.getContext();
    linalg::GenericOp epilogue = findEpilogue(c);
    Operation *anchor =
        epilogue ? epilogue.getOperation() : c.op.getOperation();
    b.setInsertionPoint(anchor);

    // wgmma reads B from shared memory as is: 8-bit operands only.
    bool useWGMMA = wgmma && !c.kind.isPackedB();
    WGMMATileConfig wgConfig;
    MMATileConfig config = chooseConfig(c.shape);
    std::string why;
    if (useWGMMA) {
      wgConfig.blockN = std::min<int64_t>(wgConfig.blockN, blockN);
      // A narrow matrix gets the narrowest instruction that covers it.
      if (c.shape.n < wgConfig.blockN)
        wgConfig.blockN = std::max<int64_t>(16, llvm::alignTo(c.shape.n, 16));
      if (failed(wgConfig.verify(why)))
        return c.op.emitError("invalid wgmma tiling: ") << why;
    } else if (failed(config.verify(why))) {
      return c.op.emitError("invalid mma.sync tiling: ") << why;
    }
    int64_t sharedBytes =
        useWGMMA ? wgConfig.sharedBytes() : config.sharedBytes();
    int64_t threads = useWGMMA ? wgConfig.numThreads() : config.numThreads();
    auto [gridX, gridY] = useWGMMA ? getWGMMAGrid(wgConfig, c.shape)
                                   : getMMASyncGrid(config, c.shape);

    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto smemType = MemRefType::get(
        {sharedBytes}, b.getI8Type(), MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
    // Named first: argument evaluation order is unspecified, and the
    // constants' order in the IR should not depend on the host compiler.
    Value gx = cst(gridX), gy = cst(gridY), one = cst(1), tx = cst(threads);
    auto launch = gpu::LaunchOp::create(
        b, loc, gx, gy, one, tx, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{smemType});
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Value smem = launch.getWorkgroupAttributions()[0];

    auto emitEpilogue = [&](OpBuilder &eb, Location el, Value row, Value col,
                            Value acc) {
      if (!epilogue) {
        memref::StoreOp::create(eb, el, acc, c.acc, ValueRange{row, col});
        return;
      }
      SmallVector<Value> ivs{row, col};
      SmallVector<Value> results = emitLinalgBodyAt(
          eb, el, epilogue, ivs, [&](OpOperand &operand) -> Value {
            if (epilogue.isDpsInput(&operand) && operand.get() == c.acc)
              return acc;
            return {};
          });
      storeLinalgResultsAt(eb, el, epilogue, ivs, results);
    };
    if (useWGMMA) {
      NVVMKernelTarget target;
      emitWGMMAGEMM(b, loc, target, c.kind, wgConfig, c.shape, c.a, c.bT, smem,
                    emitEpilogue);
    } else {
      NVVMKernelTarget target;
      emitMMASyncGEMM(b, loc, target, c.kind, config, c.shape, c.a, c.bT, smem,
                      emitEpilogue);
    }
    gpu::TerminatorOp::create(b, loc);

    // The kernel writes every element, so the fill is dead; with a fused
    // epilogue the accumulator buffer is too.
    Value acc = c.acc;
    c.fill.erase();
    c.op.erase();
    if (epilogue) {
      epilogue.erase();
      if (llvm::all_of(
              acc.getUsers(),
              [](Operation *user) { return isa<memref::DeallocOp>(user); }) &&
          acc.getDefiningOp<memref::AllocOp>()) {
        for (Operation *user : llvm::make_early_inc_range(acc.getUsers()))
          user->erase();
        acc.getDefiningOp()->erase();
      }
    }
    return success();
  }

  void runOnOperation() override {
    SmallVector<Contraction> contractions;
    getOperation().walk([&](linalg::GenericOp op) {
      FailureOr<Contraction> c = matchContraction(op);
      if (failed(c))
        return;
      if (c->kind.isFloat() && !fp8)
        return;
      contractions.push_back(*c);
    });
    for (Contraction &c : contractions)
      if (failed(lower(c)))
        return signalPassFailure();
  }
};

} // namespace
