//===- ParallelSteps.h - Accesses of the steps of an OpenMP team -*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What the steps of an omp.parallel region (worksharing loops, omp.single)
// read and write, as byte ranges per logical iteration, and whether two
// steps may touch the same bytes from different threads. Used by
// qc-merge-parallel-regions to drop barriers nothing needs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_TRANSFORMS_PARALLELSTEPS_H
#define QC_LIB_TRANSFORMS_PARALLELSTEPS_H

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::qc::parallel_steps {

/// The trip count of loop `i` of `nest`, or -1 if a bound is not constant
/// (or the bounds are inclusive, or the count overflows).
int64_t tripCount(omp::LoopNestOp nest, unsigned i);

/// True if `loop` has no clause that ties its iterations together or to a
/// thread (reduction, ordered, linear, order, private, a schedule): its
/// iterations may run in any order and on any thread. With `allowStatic`,
/// schedule(static) without a chunk size (the default schedule) is allowed.
bool isPlainWsloop(omp::WsloopOp loop, bool allowStatic = false);

/// The buffer an access reaches through views: a function argument (which
/// may be the same buffer as another argument or a global), a global (one
/// per symbol) or an allocation.
struct Root {
  enum Kind { Argument, Global, Allocation } kind;
  const void *key;
  bool operator==(const Root &other) const {
    return kind == other.kind && key == other.key;
  }
};

/// A range of bytes one iteration of a step reads or writes: in iteration
/// k, [lo, hi] + coef * k from the start of `root`.
struct Access {
  Root root;
  bool write;
  int64_t coef, lo, hi;
};

/// What one step of a parallel region (a worksharing loop or an omp.single)
/// reads and writes.
struct Step {
  Operation *op = nullptr;
  /// The logical iterations, 1 for omp.single.
  int64_t trips = 1;
  /// True for a worksharing loop whose accesses are described per logical
  /// iteration (at most one of its collapsed loops has more than one
  /// iteration): with the same schedule and trip count, another loop runs
  /// iteration k on the same thread.
  bool perIteration = false;
  SmallVector<Access> accesses;
};

/// The accesses of `op` (an omp.wsloop or omp.single) as byte ranges per
/// logical iteration, following index arithmetic (arith, affine.apply,
/// scf.for bounds) and views of buffers (memref.view, subview, reshapes);
/// nullopt when anything else is involved.
std::optional<Step> analyzeStep(Operation *op);

/// The iterations of the loops nested in `loop`'s body, summed over the
/// loops (each counted once per iteration of the loops around it), or
/// nullopt when a loop's bounds do not differ by a constant.
std::optional<int64_t> nestedWork(omp::WsloopOp loop);

/// True if some thread may run a part of `later` that touches bytes
/// another thread touches in `earlier`, one of them writing, when no
/// barrier separates the two steps.
bool mayConflict(const Step &earlier, const Step &later);

} // namespace mlir::qc::parallel_steps

#endif // QC_LIB_TRANSFORMS_PARALLELSTEPS_H
