//===- FinalizeKernels.cpp - Alignment of outlined kernels' memory --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPUFINALIZEKERNELSPASS
#include "qc/Target/CUDA/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// cp.async moves 16 bytes at a time, from and to 16-byte aligned addresses.
constexpr int64_t kAlignment = 16;

struct GPUFinalizeKernelsPass
    : public qc::impl::GPUFinalizeKernelsPassBase<GPUFinalizeKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto alignName = StringAttr::get(ctx, "llvm.align");
    getOperation().walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i) {
        auto align = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, alignName));
        if (!align || align.getInt() < kAlignment)
          func.setWorkgroupAttributionAttr(
              i, alignName,
              IntegerAttr::get(IntegerType::get(ctx, 64), kAlignment));
      }
    });
    mergeModules();
    getOperation().walk([&](gpu::GPUModuleOp module) {
      module.walk([&](memref::GlobalOp global) {
        std::optional<uint64_t> align = global.getAlignment();
        if (!align || *align < kAlignment)
          global.setAlignment(kAlignment);
      });
    });
  }

  /// Moves every kernel into the first GPU module, so that the model has
  /// one cubin (one ptxas run, one module load). Outlining names kernels
  /// uniquely; the constants it copied into several modules are the same
  /// host global, so one copy is kept.
  void mergeModules() {
    ModuleOp module = getOperation();
    auto modules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable targetSymbols(target);
    // (old module, old kernel) -> new kernel name in `target`.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules)) {
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (symbol && targetSymbols.lookup(symbol.getNameAttr()) &&
            isa<memref::GlobalOp>(op)) {
          op.erase();
          continue;
        }
        op.moveBefore(target.getBody(), target.getBody()->end());
        if (!symbol)
          continue;
        StringAttr oldName = symbol.getNameAttr();
        // Outlining names every kernel after its function; the modules
        // carry the unique names. insert() renames on a clash.
        StringAttr newName = targetSymbols.insert(&op);
        renamed[{source.getSymNameAttr(), oldName}] = newName;
      }
      source.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it =
          renamed.find({launch.getKernelModuleName(), launch.getKernelName()});
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            target.getSymNameAttr(), FlatSymbolRefAttr::get(it->second)));
    });
  }
};

} // namespace
