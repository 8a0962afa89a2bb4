//===- ParallelSteps.cpp - Accesses of the steps of an OpenMP team --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "ParallelSteps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace mlir::qc::parallel_steps;

/// The trip count of loop `i` of `nest`, or -1 if a bound is not constant
/// (or the bounds are inclusive, or the count overflows).
int64_t mlir::qc::parallel_steps::tripCount(omp::LoopNestOp nest, unsigned i) {
  APInt lb, ub, step;
  if (nest.getLoopInclusive() ||
      !matchPattern(nest.getLoopLowerBounds()[i], m_ConstantInt(&lb)) ||
      !matchPattern(nest.getLoopUpperBounds()[i], m_ConstantInt(&ub)) ||
      !matchPattern(nest.getLoopSteps()[i], m_ConstantInt(&step)) ||
      step.getSExtValue() <= 0)
    return -1;
  int64_t s = step.getSExtValue();
  std::optional<int64_t> span =
      llvm::checkedSub(ub.getSExtValue(), lb.getSExtValue());
  std::optional<int64_t> rounded =
      span ? llvm::checkedAdd(*span, s - 1) : std::nullopt;
  if (!rounded)
    return -1;
  return std::max<int64_t>(0, *rounded / s);
}

/// True if `loop` has no clause that ties its iterations together or to a
/// thread (reduction, ordered, linear, order, private, a schedule): its
/// iterations may run in any order and on any thread. With `allowStatic`,
/// schedule(static) without a chunk size (the default schedule) is allowed.
bool mlir::qc::parallel_steps::isPlainWsloop(omp::WsloopOp loop,
                                             bool allowStatic) {
  std::optional<omp::ClauseScheduleKind> schedule = loop.getScheduleKind();
  bool plainSchedule =
      !schedule ||
      (allowStatic && *schedule == omp::ClauseScheduleKind::Static);
  return loop.getReductionVars().empty() && !loop.getOrdered() &&
         loop.getLinearVars().empty() && !loop.getOrder() &&
         loop.getPrivateVars().empty() && plainSchedule &&
         !loop.getScheduleChunk() && !loop.getScheduleMod() &&
         !loop.getScheduleSimd();
}

namespace {

/// An integer as a function of the logical iteration number k of the
/// worksharing loop around it: coef * k + c with c in [lo, hi].
struct Affine {
  int64_t coef = 0, lo = 0, hi = 0;
};

std::optional<Affine> add(Affine a, Affine b) {
  auto coef = llvm::checkedAdd(a.coef, b.coef);
  auto lo = llvm::checkedAdd(a.lo, b.lo);
  auto hi = llvm::checkedAdd(a.hi, b.hi);
  if (!coef || !lo || !hi)
    return std::nullopt;
  return Affine{*coef, *lo, *hi};
}

std::optional<Affine> scale(Affine a, int64_t k) {
  auto coef = llvm::checkedMul(a.coef, k);
  auto lo = llvm::checkedMul(a.lo, k);
  auto hi = llvm::checkedMul(a.hi, k);
  if (!coef || !lo || !hi)
    return std::nullopt;
  if (k < 0)
    std::swap(*lo, *hi);
  return Affine{*coef, *lo, *hi};
}

/// floor(a / k) for k > 0, when it is affine in k again.
std::optional<Affine> floorDiv(Affine a, int64_t k) {
  if (k <= 0 || a.lo < 0 || a.coef % k != 0)
    return std::nullopt;
  return Affine{a.coef / k, a.lo / k, a.hi / k};
}

/// a mod k for k > 0.
std::optional<Affine> mod(Affine a, int64_t k) {
  if (k <= 0 || a.lo < 0 || a.coef % k != 0)
    return std::nullopt;
  if (a.hi - a.lo < k && a.lo % k <= a.hi % k)
    return Affine{0, a.lo % k, a.hi % k};
  return Affine{0, 0, k - 1};
}

/// Describes the accesses of steps as byte ranges per logical iteration,
/// following index arithmetic (arith, affine.apply, scf.for bounds) and
/// views of buffers (memref.view, subview, reshapes). Anything else makes
/// the step unknown.
class StepAnalyzer {
public:
  std::optional<Step> analyze(Operation *op) {
    Step step;
    step.op = op;
    values.clear();
    trips = 1;
    Region *body;
    if (auto loop = dyn_cast<omp::WsloopOp>(op)) {
      auto nest = setUp(loop, step);
      if (!nest)
        return std::nullopt;
      body = &nest.getRegion();
    } else if (auto single = dyn_cast<omp::SingleOp>(op)) {
      if (!single.getPrivateVars().empty() ||
          !single.getCopyprivateVars().empty() ||
          !single.getAllocateVars().empty())
        return std::nullopt;
      body = &single.getRegion();
    } else {
      return std::nullopt;
    }
    WalkResult result = body->walk([&](Operation *nested) {
      return succeeded(visit(nested, step)) ? WalkResult::advance()
                                            : WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      return std::nullopt;
    return step;
  }

  /// The iterations of the loops nested in `loop`'s body, summed over
  /// the loops (each counted once per iteration of the loops around it),
  /// or nullopt when a loop's bounds do not differ by a constant.
  std::optional<int64_t> nestedWork(omp::WsloopOp loop) {
    Step step;
    values.clear();
    trips = 1;
    omp::LoopNestOp nest = setUp(loop, step);
    if (!nest)
      return std::nullopt;
    int64_t total = 0;
    WalkResult result = nest.getRegion().walk([&](Operation *nested) {
      // Other loops (scf.while, ...) and calls are work this cannot count.
      if (isa<CallOpInterface>(nested) ||
          (isa<LoopLikeOpInterface>(nested) && !isa<scf::ForOp>(nested)))
        return WalkResult::interrupt();
      auto inner = dyn_cast<scf::ForOp>(nested);
      if (!inner)
        return WalkResult::advance();
      std::optional<int64_t> count = int64_t(1);
      for (Operation *op = inner; op && op != nest.getOperation();
           op = op->getParentOp()) {
        auto around = dyn_cast<scf::ForOp>(op);
        if (!around)
          continue;
        std::optional<int64_t> n = exactTrips(around);
        count = n && count ? llvm::checkedMul(*count, *n) : std::nullopt;
      }
      std::optional<int64_t> sum =
          count ? llvm::checkedAdd(total, *count) : std::nullopt;
      if (!sum)
        return WalkResult::interrupt();
      total = *sum;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return std::nullopt;
    return total;
  }

private:
  /// Sets `step`'s trip count and the values of `loop`'s induction
  /// variables; returns its loop nest, or null if it is not a plain
  /// worksharing loop with constant bounds.
  omp::LoopNestOp setUp(omp::WsloopOp loop, Step &step) {
    if (!isPlainWsloop(loop, /*allowStatic=*/true))
      return {};
    auto nest = dyn_cast<omp::LoopNestOp>(loop.getWrappedLoop());
    if (!nest)
      return {};
    int64_t longLoops = 0;
    for (unsigned i = 0; i < nest.getNumLoops(); ++i) {
      int64_t count = tripCount(nest, i);
      std::optional<int64_t> total = llvm::checkedMul(step.trips, count);
      if (count <= 0 || !total)
        return {};
      longLoops += count > 1;
      step.trips = *total;
    }
    step.perIteration = longLoops <= 1;
    trips = step.perIteration ? step.trips : 1;
    for (unsigned i = 0; i < nest.getNumLoops(); ++i) {
      APInt lb, stepSize;
      (void)matchPattern(nest.getLoopLowerBounds()[i], m_ConstantInt(&lb));
      (void)matchPattern(nest.getLoopSteps()[i], m_ConstantInt(&stepSize));
      int64_t count = tripCount(nest, i);
      int64_t first = lb.getSExtValue(), by = stepSize.getSExtValue();
      std::optional<int64_t> span = llvm::checkedMul(by, count - 1);
      std::optional<int64_t> last =
          span ? llvm::checkedAdd(first, *span) : std::nullopt;
      if (!last)
        return {};
      if (count == 1)
        values[nest.getIVs()[i]] = Affine{0, first, first};
      else if (step.perIteration)
        values[nest.getIVs()[i]] = Affine{by, first, first};
      else
        values[nest.getIVs()[i]] = Affine{0, first, *last};
    }
    return nest;
  }

  /// The trip count of `loop` when its bounds differ by a constant in every
  /// iteration of the worksharing loop.
  std::optional<int64_t> exactTrips(scf::ForOp loop) {
    std::optional<Affine> lb = eval(loop.getLowerBound());
    std::optional<Affine> ub = eval(loop.getUpperBound());
    std::optional<Affine> by = eval(loop.getStep());
    if (!lb || !ub || !by || lb->coef != ub->coef || lb->lo != lb->hi ||
        ub->lo != ub->hi || by->coef != 0 || by->lo != by->hi || by->lo <= 0)
      return std::nullopt;
    std::optional<int64_t> span = llvm::checkedSub(ub->lo, lb->lo);
    if (!span)
      return std::nullopt;
    return *span <= 0 ? 0 : (*span - 1) / by->lo + 1;
  }

  /// True if `op` is in an scf.for of `step` that never runs.
  bool inEmptyLoop(Operation *op) {
    for (Operation *parent = op->getParentOp(); parent;
         parent = parent->getParentOp()) {
      if (isa<omp::LoopNestOp, omp::SingleOp>(parent))
        return false;
      if (auto loop = dyn_cast<scf::ForOp>(parent))
        if (std::optional<int64_t> n = exactTrips(loop); n && *n == 0)
          return true;
    }
    return false;
  }

  /// A 1-D vector.load / vector.store: `n` consecutive elements.
  template <typename VectorAccessOp>
  LogicalResult vectorAccess(VectorAccessOp op, bool write, Step &step) {
    VectorType type = op.getVectorType();
    if (type.getRank() != 1 || type.isScalable())
      return failure();
    return access(op.getBase(), op.getIndices(), type.getNumElements(), write,
                  step);
  }

  LogicalResult visit(Operation *op, Step &step) {
    if (isa<memref::LoadOp, memref::StoreOp, vector::LoadOp, vector::StoreOp>(
            op) &&
        inEmptyLoop(op))
      return success();
    if (auto load = dyn_cast<memref::LoadOp>(op))
      return access(load.getMemRef(), load.getIndices(), 1, false, step);
    if (auto store = dyn_cast<memref::StoreOp>(op))
      return access(store.getMemRef(), store.getIndices(), 1, true, step);
    if (auto load = dyn_cast<vector::LoadOp>(op))
      return vectorAccess(load, /*write=*/false, step);
    if (auto store = dyn_cast<vector::StoreOp>(op))
      return vectorAccess(store, /*write=*/true, step);
    // An intrinsic without pointer operands or results cannot reach the
    // buffers (vpdpbusd and the like).
    if (auto call = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
      auto isPointer = [](Type t) { return isa<LLVM::LLVMPointerType>(t); };
      return success(llvm::none_of(call->getOperandTypes(), isPointer) &&
                     llvm::none_of(call->getResultTypes(), isPointer));
    }
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        op->hasTrait<OpTrait::IsTerminator>() || isMemoryEffectFree(op))
      return success();
    return failure();
  }

  /// Records the bytes `memref`[indices .. + width along the last index]
  /// touch, unless they are a read of a constant global.
  LogicalResult access(Value memref, ValueRange indices, int64_t width,
                       bool write, Step &step) {
    auto type = cast<MemRefType>(memref.getType());
    Type element = type.getElementType();
    if (!element.isIntOrIndexOrFloat() || element.isIndex() ||
        int64_t(indices.size()) != type.getRank())
      return failure();
    int64_t bytes = (element.getIntOrFloatBitWidth() + 7) / 8;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset) || llvm::any_of(strides, [](int64_t s) {
          return ShapedType::isDynamic(s) || s < 0;
        }))
      return failure();
    Root root;
    int64_t shift = 0;
    bool constant = false;
    if (failed(traceBuffer(memref, root, shift, constant)))
      return failure();
    if (constant && !write)
      return success();
    std::optional<Affine> element0 = Affine{0, offset, offset};
    for (auto [i, index] : llvm::enumerate(indices)) {
      std::optional<Affine> value = eval(index);
      if (!value)
        return failure();
      // In-bounds accesses (anything else is undefined) stay in the
      // dimension when the index does not move with the iteration.
      if (value->coef == 0 && !type.isDynamicDim(i)) {
        value->lo = std::max<int64_t>(value->lo, 0);
        value->hi = std::min<int64_t>(value->hi, type.getDimSize(i) - 1);
      }
      if (i + 1 == indices.size()) {
        std::optional<int64_t> last = llvm::checkedAdd(value->hi, width - 1);
        if (!last)
          return failure();
        value->hi = *last;
      }
      std::optional<Affine> term = scale(*value, strides[i]);
      element0 = term ? add(*element0, *term) : std::nullopt;
      if (!element0)
        return failure();
    }
    std::optional<Affine> range = scale(*element0, bytes);
    if (range)
      range = add(*range, Affine{0, shift, shift + bytes - 1});
    if (!range)
      return failure();
    step.accesses.push_back({root, write, range->coef, range->lo, range->hi});
    return success();
  }

  /// The buffer `memref` is a view of and the byte offset of the view's
  /// base in it; `constant` for a constant global.
  LogicalResult traceBuffer(Value memref, Root &root, int64_t &shift,
                            bool &constant) {
    while (true) {
      if (auto arg = dyn_cast<BlockArgument>(memref)) {
        if (!isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
          return failure();
        root = {Root::Argument, memref.getAsOpaquePointer()};
        return success();
      }
      Operation *def = memref.getDefiningOp();
      if (auto view = dyn_cast_or_null<memref::ViewOp>(def)) {
        APInt byteShift;
        if (!matchPattern(view.getByteShift(), m_ConstantInt(&byteShift)))
          return failure();
        std::optional<int64_t> total =
            llvm::checkedAdd(shift, byteShift.getSExtValue());
        if (!total)
          return failure();
        shift = *total;
        memref = view.getSource();
        continue;
      }
      // These keep the base of their source; their result type's offset
      // and strides say where the elements are.
      if (isa_and_nonnull<memref::SubViewOp, memref::CollapseShapeOp,
                          memref::ExpandShapeOp, memref::CastOp>(def)) {
        memref = def->getOperand(0);
        continue;
      }
      if (auto global = dyn_cast_or_null<memref::GetGlobalOp>(def)) {
        auto symbol = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
            global, global.getNameAttr());
        constant = symbol && symbol.getConstant();
        root = {Root::Global, global.getNameAttr().getAsOpaquePointer()};
        return success();
      }
      if (isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(def)) {
        root = {Root::Allocation, memref.getAsOpaquePointer()};
        return success();
      }
      return failure();
    }
  }

  std::optional<Affine> eval(Value value) {
    auto it = values.find(value);
    if (it != values.end())
      return it->second;
    std::optional<Affine> result = compute(value);
    if (result)
      values[value] = *result;
    return result;
  }

  std::optional<Affine> compute(Value value) {
    APInt constant;
    if (matchPattern(value, m_ConstantInt(&constant)))
      return Affine{0, constant.getSExtValue(), constant.getSExtValue()};
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
      if (!loop || arg != loop.getInductionVar())
        return std::nullopt;
      std::optional<Affine> lb = eval(loop.getLowerBound());
      std::optional<Affine> ub = eval(loop.getUpperBound());
      std::optional<Affine> by = eval(loop.getStep());
      if (!lb || !ub || !by || lb->coef != ub->coef || by->coef != 0 ||
          by->lo <= 0)
        return std::nullopt;
      // With bounds a constant apart, the last value is a whole number of
      // steps from the first.
      if (std::optional<int64_t> n = exactTrips(loop); n && *n > 0) {
        std::optional<int64_t> span = llvm::checkedMul(*n - 1, by->lo);
        std::optional<int64_t> last =
            span ? llvm::checkedAdd(lb->lo, *span) : std::nullopt;
        if (last)
          return Affine{lb->coef, lb->lo, *last};
      }
      return Affine{lb->coef, lb->lo, std::max(lb->lo, ub->hi - 1)};
    }
    Operation *def = value.getDefiningOp();
    if (!def)
      return std::nullopt;
    auto operand = [&](unsigned i) { return eval(def->getOperand(i)); };
    auto constantOperand = [&](unsigned i) -> std::optional<int64_t> {
      std::optional<Affine> v = operand(i);
      if (!v || v->coef != 0 || v->lo != v->hi)
        return std::nullopt;
      return v->lo;
    };
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(def))
      return operand(0);
    if (isa<arith::AddIOp>(def)) {
      std::optional<Affine> a = operand(0), b = operand(1);
      return a && b ? add(*a, *b) : std::nullopt;
    }
    if (isa<arith::SubIOp>(def)) {
      std::optional<Affine> a = operand(0), b = operand(1);
      std::optional<Affine> nb = b ? scale(*b, -1) : std::nullopt;
      return a && nb ? add(*a, *nb) : std::nullopt;
    }
    if (isa<arith::MulIOp>(def)) {
      std::optional<Affine> a = operand(0), b = operand(1);
      if (!a || !b)
        return std::nullopt;
      if (b->coef == 0 && b->lo == b->hi)
        return scale(*a, b->lo);
      if (a->coef == 0 && a->lo == a->hi)
        return scale(*b, a->lo);
      return std::nullopt;
    }
    if (isa<arith::DivUIOp, arith::DivSIOp, arith::FloorDivSIOp>(def)) {
      std::optional<Affine> a = operand(0);
      std::optional<int64_t> k = constantOperand(1);
      return a && k ? floorDiv(*a, *k) : std::nullopt;
    }
    if (isa<arith::RemUIOp, arith::RemSIOp>(def)) {
      std::optional<Affine> a = operand(0);
      std::optional<int64_t> k = constantOperand(1);
      return a && k ? mod(*a, *k) : std::nullopt;
    }
    if (isa<arith::MinSIOp, arith::MaxSIOp>(def))
      return minMax(def, isa<arith::MinSIOp>(def));
    if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
      SmallVector<Affine> operands;
      for (Value v : apply.getMapOperands()) {
        std::optional<Affine> a = eval(v);
        if (!a)
          return std::nullopt;
        operands.push_back(*a);
      }
      AffineMap map = apply.getAffineMap();
      return evalExpr(map.getResult(0), operands, map.getNumDims());
    }
    return std::nullopt;
  }

  /// min(a, b) or max(a, b): the operand that is smaller (larger) for every
  /// iteration, or either when both move alike.
  std::optional<Affine> minMax(Operation *def, bool isMin) {
    std::optional<Affine> a = eval(def->getOperand(0));
    std::optional<Affine> b = eval(def->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    if (a->coef == b->coef)
      return isMin ? Affine{a->coef, std::min(a->lo, b->lo),
                            std::min(a->hi, b->hi)}
                   : Affine{a->coef, std::max(a->lo, b->lo),
                            std::max(a->hi, b->hi)};
    // a <= b in every iteration k of 0 .. trips - 1 (a - b is linear in k,
    // so the first and the last iteration decide).
    auto below = [&](Affine x, Affine y) {
      for (int64_t k : {int64_t(0), trips - 1}) {
        auto xk = llvm::checkedAdd(
            x.hi, llvm::checkedMul(x.coef, k).value_or(INT64_MAX / 2));
        auto yk = llvm::checkedAdd(
            y.lo, llvm::checkedMul(y.coef, k).value_or(INT64_MIN / 2));
        if (!xk || !yk || *xk > *yk)
          return false;
      }
      return true;
    };
    if (below(*a, *b))
      return isMin ? a : b;
    if (below(*b, *a))
      return isMin ? b : a;
    return std::nullopt;
  }

  std::optional<Affine> evalExpr(AffineExpr expr, ArrayRef<Affine> operands,
                                 unsigned numDims) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      return operands[dim.getPosition()];
    if (auto symbol = dyn_cast<AffineSymbolExpr>(expr))
      return operands[numDims + symbol.getPosition()];
    if (auto cst = dyn_cast<AffineConstantExpr>(expr))
      return Affine{0, cst.getValue(), cst.getValue()};
    auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
    if (!binary)
      return std::nullopt;
    std::optional<Affine> lhs = evalExpr(binary.getLHS(), operands, numDims);
    std::optional<Affine> rhs = evalExpr(binary.getRHS(), operands, numDims);
    if (!lhs || !rhs)
      return std::nullopt;
    bool rhsConstant = rhs->coef == 0 && rhs->lo == rhs->hi;
    switch (binary.getKind()) {
    case AffineExprKind::Add:
      return add(*lhs, *rhs);
    case AffineExprKind::Mul:
      if (rhsConstant)
        return scale(*lhs, rhs->lo);
      if (lhs->coef == 0 && lhs->lo == lhs->hi)
        return scale(*rhs, lhs->lo);
      return std::nullopt;
    case AffineExprKind::FloorDiv:
      return rhsConstant ? floorDiv(*lhs, rhs->lo) : std::nullopt;
    case AffineExprKind::Mod:
      return rhsConstant ? mod(*lhs, rhs->lo) : std::nullopt;
    default:
      return std::nullopt;
    }
  }

  /// The logical iterations the coefficients refer to.
  int64_t trips = 1;
  DenseMap<Value, Affine> values;
};

} // namespace

std::optional<Step> mlir::qc::parallel_steps::analyzeStep(Operation *op) {
  return StepAnalyzer().analyze(op);
}

std::optional<int64_t>
mlir::qc::parallel_steps::nestedWork(omp::WsloopOp loop) {
  return StepAnalyzer().nestedWork(loop);
}

bool mlir::qc::parallel_steps::mayConflict(const Step &earlier,
                                           const Step &later) {
  // A static schedule gives iteration k of two loops of the same trip
  // count in one parallel region to the same thread (OpenMP 5.2, 11.5.3).
  bool sameThreads = earlier.perIteration && later.perIteration &&
                     earlier.trips == later.trips;
  for (const Access &a : earlier.accesses) {
    for (const Access &b : later.accesses) {
      if (!a.write && !b.write)
        continue;
      if (!(a.root == b.root)) {
        // An argument may be another argument or a global; allocations
        // and distinct globals are distinct buffers.
        bool aArg = a.root.kind == Root::Argument;
        bool bArg = b.root.kind == Root::Argument;
        if ((aArg && b.root.kind != Root::Allocation) ||
            (bArg && a.root.kind != Root::Allocation))
          return true;
        continue;
      }
      // The bytes each access touches over all iterations.
      auto span =
          [](const Access &x,
             int64_t trips) -> std::optional<std::pair<int64_t, int64_t>> {
        std::optional<int64_t> move = llvm::checkedMul(x.coef, trips - 1);
        if (!move)
          return std::nullopt;
        std::optional<int64_t> lo =
            llvm::checkedAdd(x.lo, std::min<int64_t>(0, *move));
        std::optional<int64_t> hi =
            llvm::checkedAdd(x.hi, std::max<int64_t>(0, *move));
        if (!lo || !hi)
          return std::nullopt;
        return std::make_pair(*lo, *hi);
      };
      auto aSpan = span(a, earlier.trips);
      auto bSpan = span(b, later.trips);
      if (!aSpan || !bSpan)
        return true;
      if (aSpan->second < bSpan->first || bSpan->second < aSpan->first)
        continue;
      if (!sameThreads)
        return true;
      if (earlier.trips == 1)
        continue;
      // Iteration k of `later` may touch what iteration k of `earlier`
      // touched (same thread), never what another iteration did.
      std::optional<int64_t> stride =
          a.coef < 0 ? llvm::checkedMul(a.coef, int64_t(-1))
                     : std::optional<int64_t>(a.coef);
      std::optional<int64_t> ahead = llvm::checkedSub(b.hi, a.lo);
      std::optional<int64_t> behind = llvm::checkedSub(a.hi, b.lo);
      if (a.coef == b.coef && stride && ahead && behind && *stride > *ahead &&
          *stride > *behind)
        continue;
      return true;
    }
  }
  return false;
}
