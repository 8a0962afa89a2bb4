//===- AOTExport.cpp - Exported qc_model_* symbols ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/AOT/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::qc {
#define GEN_PASS_DEF_AOTEXPORTPASS
#include "qc/Target/AOT/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct AOTExportPass : public qc::impl::AOTExportPassBase<AOTExportPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto entryFn = module.lookupSymbol<LLVM::LLVMFuncOp>(entry);
    if (!entryFn || entryFn.isExternal()) {
      module.emitError() << "entry function '" << entry
                         << "' is not defined in the LLVM dialect";
      return signalPassFailure();
    }
    auto signature = module->getAttrOfType<StringAttr>(kSignatureAttrName);
    if (!signature) {
      module.emitError() << "missing '" << kSignatureAttrName
                         << "'; run qc-aot-prepare-entry first";
      return signalPassFailure();
    }
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    int64_t workspaceBytes = 0;
    if (auto ws = module->getAttrOfType<IntegerAttr>(kWorkspaceAttrName))
      workspaceBytes = ws.getInt();
    unsigned numBuffers =
        entryFn.getNumArguments() - (workspaceBytes > 0 ? 1 : 0);
    for (Type t : entryFn.getFunctionType().getParams())
      if (t != ptrType) {
        entryFn.emitError() << "entry arguments must be bare pointers; lower "
                               "with use-bare-ptr-memref-call-conv";
        return signalPassFailure();
      }

    // Everything but the exported symbols becomes internal.
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal())
        fn.setLinkage(LLVM::Linkage::Internal);

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);

    auto i64 = IntegerType::get(ctx, 64);

    // void qc_model_invoke_ws(void **buffers, void *workspace): the entry
    // function on caller buffers and a caller workspace of
    // qc_model_workspace_size() bytes, 64-byte aligned.
    auto invokeWsType =
        LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType});
    auto invokeWs =
        LLVM::LLVMFuncOp::create(b, loc, "qc_model_invoke_ws", invokeWsType);
    {
      OpBuilder::InsertionGuard guard(b);
      Block *block = invokeWs.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      SmallVector<Value> args;
      for (unsigned i = 0; i < numBuffers; ++i) {
        Value slot =
            LLVM::GEPOp::create(b, loc, ptrType, ptrType, block->getArgument(0),
                                ArrayRef<LLVM::GEPArg>{int32_t(i)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
      if (workspaceBytes > 0)
        args.push_back(block->getArgument(1));
      LLVM::CallOp::create(b, loc, entryFn, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }

    // uint64_t qc_model_workspace_size(void)
    {
      auto fn = LLVM::LLVMFuncOp::create(b, loc, "qc_model_workspace_size",
                                         LLVM::LLVMFunctionType::get(i64, {}));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(fn.addEntryBlock(b));
      LLVM::ReturnOp::create(
          b, loc,
          LLVM::ConstantOp::create(b, loc, i64,
                                   b.getI64IntegerAttr(workspaceBytes))
              .getResult());
    }

    // void qc_model_invoke(void **buffers): the same with a workspace from
    // aligned_alloc, freed on return. If it cannot be allocated the model
    // does not run and the outputs are left untouched (qc_model_run() keeps
    // workspaces between calls and reports that failure).
    auto invokeType = LLVM::LLVMFunctionType::get(voidType, {ptrType});
    auto invoke =
        LLVM::LLVMFuncOp::create(b, loc, "qc_model_invoke", invokeType);
    {
      OpBuilder::InsertionGuard guard(b);
      Block *block = invoke.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      Value buffers = block->getArgument(0);
      if (workspaceBytes == 0) {
        LLVM::CallOp::create(
            b, loc, invokeWs,
            ValueRange{buffers, LLVM::ZeroOp::create(b, loc, ptrType)});
        LLVM::ReturnOp::create(b, loc, ValueRange{});
      } else {
        auto allocFn =
            declareExternal(module, b, "aligned_alloc",
                            LLVM::LLVMFunctionType::get(ptrType, {i64, i64}));
        auto freeFn =
            declareExternal(module, b, "free",
                            LLVM::LLVMFunctionType::get(voidType, {ptrType}));
        Value align =
            LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(64));
        Value size = LLVM::ConstantOp::create(
            b, loc, i64, b.getI64IntegerAttr(workspaceBytes));
        Value ws =
            LLVM::CallOp::create(b, loc, allocFn, ValueRange{align, size})
                .getResult();
        Value null = LLVM::ZeroOp::create(b, loc, ptrType);
        Value ok =
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, ws, null);
        Block *run = b.createBlock(&invoke.getBody());
        Block *exit = b.createBlock(&invoke.getBody());
        b.setInsertionPointToEnd(block);
        LLVM::CondBrOp::create(b, loc, ok, run, exit);
        b.setInsertionPointToStart(run);
        LLVM::CallOp::create(b, loc, invokeWs, ValueRange{buffers, ws});
        LLVM::CallOp::create(b, loc, freeFn, ValueRange{ws});
        LLVM::BrOp::create(b, loc, exit);
        b.setInsertionPointToStart(exit);
        LLVM::ReturnOp::create(b, loc, ValueRange{});
      }
    }

    // <model>_invoke: the same, under a per-model name.
    std::string alias = sanitizeCIdentifier(modelName) + "_invoke";
    if (!module.lookupSymbol(alias)) {
      auto fn = LLVM::LLVMFuncOp::create(b, loc, alias, invokeType);
      OpBuilder::InsertionGuard guard(b);
      Block *block = fn.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      LLVM::CallOp::create(b, loc, invoke, ValueRange{block->getArgument(0)});
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }

    // const char *qc_model_signature(void)
    {
      std::string text = signature.getValue().str();
      text.push_back('\0');
      auto arrayType =
          LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), text.size());
      LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                             LLVM::Linkage::Internal, "qc_signature_text",
                             b.getStringAttr(text));
      auto fn =
          LLVM::LLVMFuncOp::create(b, loc, "qc_model_signature",
                                   LLVM::LLVMFunctionType::get(ptrType, {}));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(fn.addEntryBlock(b));
      Value address =
          LLVM::AddressOfOp::create(b, loc, ptrType, "qc_signature_text");
      LLVM::ReturnOp::create(b, loc, address);
    }

    // uint32_t qc_model_abi_version(void)
    {
      auto fn = LLVM::LLVMFuncOp::create(b, loc, "qc_model_abi_version",
                                         LLVM::LLVMFunctionType::get(i32, {}));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(fn.addEntryBlock(b));
      Value version = LLVM::ConstantOp::create(
          b, loc, i32, b.getI32IntegerAttr(kModelABIVersion));
      LLVM::ReturnOp::create(b, loc, version);
    }
    if (failed(defineObservers(module, b)))
      return signalPassFailure();
    module->removeAttr(kSignatureAttrName);
    module->removeAttr(kWorkspaceAttrName);
  }

  /// The declaration of the C library function `name`.
  static LLVM::LLVMFuncOp declareExternal(ModuleOp module, OpBuilder &b,
                                          StringRef name,
                                          LLVM::LLVMFunctionType type) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
  }

  /// Calibration builds: defines each `__qc_observe_<i>(ptr data)` to pass
  /// the data to the hook installed with `qc_model_set_observer(hook,
  /// user)`, and exports that setter. The hook is process-global state:
  /// calibration builds are not thread-safe (deployment builds have none).
  LogicalResult defineObservers(ModuleOp module, OpBuilder &b) {
    auto sizes = module->getAttrOfType<DenseI64ArrayAttr>("qc.observer_sizes");
    if (!sizes)
      return success();
    MLIRContext *ctx = module.getContext();
    Location loc = module.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    auto i64 = IntegerType::get(ctx, 64);
    for (StringRef name : {"qc_observer_hook", "qc_observer_user"})
      LLVM::GlobalOp::create(b, loc, ptrType, /*isConstant=*/false,
                             LLVM::Linkage::Internal, name,
                             LLVM::ZeroAttr::get(ctx));
    auto hookType =
        LLVM::LLVMFunctionType::get(voidType, {ptrType, i32, ptrType, i64});
    for (auto [id, size] : llvm::enumerate(sizes.asArrayRef())) {
      std::string name = "__qc_observe_" + std::to_string(id);
      auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      if (!fn)
        continue; // the probe was optimized away with its value
      if (!fn.isExternal() || fn.getNumArguments() != 1)
        return fn.emitError() << "unexpected definition of observer " << name;
      fn.setLinkage(LLVM::Linkage::Internal);
      OpBuilder::InsertionGuard guard(b);
      Block *entry = fn.addEntryBlock(b);
      Block *call = b.createBlock(&fn.getBody());
      Block *exit = b.createBlock(&fn.getBody());
      b.setInsertionPointToStart(entry);
      Value hookAddr =
          LLVM::AddressOfOp::create(b, loc, ptrType, "qc_observer_hook");
      Value hook = LLVM::LoadOp::create(b, loc, ptrType, hookAddr);
      Value null = LLVM::ZeroOp::create(b, loc, ptrType);
      Value set =
          LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, hook, null);
      LLVM::CondBrOp::create(b, loc, set, call, exit);
      b.setInsertionPointToStart(call);
      Value userAddr =
          LLVM::AddressOfOp::create(b, loc, ptrType, "qc_observer_user");
      Value user = LLVM::LoadOp::create(b, loc, ptrType, userAddr);
      Value idValue =
          LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(id));
      Value count =
          LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(size));
      LLVM::CallOp::create(
          b, loc, hookType,
          ValueRange{hook, user, idValue, entry->getArgument(0), count});
      LLVM::BrOp::create(b, loc, exit);
      b.setInsertionPointToStart(exit);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
    // void qc_model_set_observer(hook, user)
    auto setter = LLVM::LLVMFuncOp::create(
        b, loc, "qc_model_set_observer",
        LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType}));
    OpBuilder::InsertionGuard guard(b);
    Block *block = setter.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    LLVM::StoreOp::create(
        b, loc, block->getArgument(0),
        LLVM::AddressOfOp::create(b, loc, ptrType, "qc_observer_hook"));
    LLVM::StoreOp::create(
        b, loc, block->getArgument(1),
        LLVM::AddressOfOp::create(b, loc, ptrType, "qc_observer_user"));
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    module->removeAttr("qc.observer_sizes");
    return success();
  }
};
} // namespace
