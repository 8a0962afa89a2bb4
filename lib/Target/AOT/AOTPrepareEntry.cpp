//===- AOTPrepareEntry.cpp - Entry function in destination style ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/AOT/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::qc {
#define GEN_PASS_DEF_AOTPREPAREENTRYPASS
#include "qc/Target/AOT/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct AOTPrepareEntryPass
    : public qc::impl::AOTPrepareEntryPassBase<AOTPrepareEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func) {
      module.emitError() << "entry function '" << entry << "' not found";
      return signalPassFailure();
    }
    FailureOr<ModelSignature> signature = ModelSignature::fromFunction(func);
    if (failed(signature))
      return signalPassFailure();
    module->setAttr(kSignatureAttrName,
                    StringAttr::get(&getContext(), signature->toText()));

    FunctionType type = func.getFunctionType();
    Block &body = func.front();
    Location loc = func.getLoc();
    OpBuilder b(&getContext());
    b.setInsertionPointToStart(&body);

    // New block arguments: one buffer per input, then one per output. A
    // tensor with no elements gets a memref<0xi8> placeholder (the lowering
    // to bare pointers does not take zero-size inner dimensions); its value
    // is an empty tensor and nothing is written for it.
    auto isEmpty = [](Type t) {
      return cast<RankedTensorType>(t).getNumElements() == 0;
    };
    auto toMemRef = [&](Type t) {
      auto tensor = cast<RankedTensorType>(t);
      if (isEmpty(t))
        return MemRefType::get({0}, b.getI8Type());
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    unsigned numInputs = type.getNumInputs();
    SmallVector<Type> newInputs;
    for (Type t : type.getInputs())
      newInputs.push_back(toMemRef(t));
    for (Type t : type.getResults())
      newInputs.push_back(toMemRef(t));
    for (auto [i, t] : llvm::enumerate(type.getInputs())) {
      BlockArgument buffer = body.addArgument(newInputs[i], loc);
      Value tensor;
      if (isEmpty(t)) {
        auto tensorType = cast<RankedTensorType>(t);
        tensor = tensor::EmptyOp::create(b, loc, tensorType.getShape(),
                                         tensorType.getElementType());
      } else {
        tensor = bufferization::ToTensorOp::create(b, loc, t, buffer,
                                                   /*restrict=*/b.getUnitAttr(),
                                                   /*writable=*/UnitAttr());
      }
      body.getArgument(i).replaceAllUsesWith(tensor);
    }
    SmallVector<BlockArgument> outputs;
    for (size_t i = numInputs; i < newInputs.size(); ++i)
      outputs.push_back(body.addArgument(newInputs[i], loc));
    body.eraseArguments(0, numInputs);

    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (auto [value, buffer] : llvm::zip(ret.getOperands(), outputs))
        if (!isEmpty(value.getType()))
          bufferization::MaterializeInDestinationOp::create(
              b, ret.getLoc(), TypeRange{}, value, buffer, /*restrict=*/true,
              /*writable=*/true);
      ret->setOperands({});
    });
    func.setType(FunctionType::get(&getContext(), newInputs, {}));
    func.removeArgAttrsAttr();
    func.removeResAttrsAttr();
  }
};
} // namespace
