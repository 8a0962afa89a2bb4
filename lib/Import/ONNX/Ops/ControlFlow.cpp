//===- ControlFlow.cpp - ONNX If and Loop ---------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// If imports both branches into the regions of one scf.if (or only the taken
// branch when the condition is known at compile time). Loop with a trip count
// known at compile time imports its body once into an scf.for. Branch and
// body subgraphs see the enclosing graph's values. qc compiles static shapes,
// so both branches of an If, and every iteration of a Loop, must produce the
// same shapes.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/ScopeExit.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// "float32 [2,3]" for messages.
static std::string describe(const ImportedValue &v) {
  return getDTypeName(v.dtype) + " " + formatShape(v.shape);
}

static int64_t numElements(ArrayRef<int64_t> shape) {
  return saturatingProduct(shape);
}

/// Reads the single element of a bool tensor (shape [], [1], [1,1], ...) as
/// an i1 scalar.
static Value extractScalar(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> indices;
  if (type.getRank() > 0)
    indices.assign(type.getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, indices);
}

/// Checks that input `i` is a one-element bool tensor named `what`.
static LogicalResult checkCondition(NodeContext &ctx, unsigned i,
                                    StringRef what) {
  FailureOr<ImportedValue> cond = ctx.input(i);
  if (failed(cond))
    return failure();
  if (cond->dtype != ONNXDType::Bool || numElements(cond->shape) != 1)
    return ctx.error(what + " must be a bool tensor with one element, got " +
                     describe(*cond));
  return success();
}

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

/// Imports `graph` at the end of `block` and terminates the block with an
/// scf.yield of the graph's outputs.
static FailureOr<SmallVector<ImportedValue>>
importBranchInto(NodeContext &ctx, const onnx::GraphProto &graph,
                 Block &block) {
  OpBuilder rb = OpBuilder::atBlockEnd(&block);
  FailureOr<SmallVector<ImportedValue>> outputs = ctx.importSubgraph(graph, rb);
  if (failed(outputs))
    return failure();
  SmallVector<Value> yielded;
  for (const ImportedValue &v : *outputs)
    yielded.push_back(v.value);
  scf::YieldOp::create(rb, ctx.loc(), yielded);
  return outputs;
}

static LogicalResult importIf(NodeContext &ctx) {
  const onnx::GraphProto *thenGraph = ctx.attrGraph("then_branch");
  const onnx::GraphProto *elseGraph = ctx.attrGraph("else_branch");
  if (!thenGraph || !elseGraph)
    return ctx.error("requires the graph attributes then_branch and "
                     "else_branch");
  if (failed(checkCondition(ctx, 0, "the condition")))
    return failure();
  unsigned numOutputs = ctx.numOutputs();
  for (const onnx::GraphProto *g : {thenGraph, elseGraph})
    if (unsigned(g->output_size()) != numOutputs)
      return ctx.error("branch '" + g->name() + "' has " +
                       Twine(g->output_size()) + " outputs, the node " +
                       Twine(numOutputs));

  // A condition known at compile time selects a branch now; the other one is
  // never imported, so it may even hold ops or shapes qc cannot compile.
  if (const HostTensor *cond = ctx.hostInput(0)) {
    const onnx::GraphProto &taken =
        cond->getInt(0) != 0 ? *thenGraph : *elseGraph;
    FailureOr<SmallVector<ImportedValue>> outputs =
        ctx.importSubgraph(taken, ctx.builder());
    if (failed(outputs))
      return failure();
    for (unsigned i = 0; i < numOutputs; ++i)
      ctx.setOutput(i, (*outputs)[i]);
    return success();
  }

  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Value condTensor = ctx.inputValue(0);
  if (!condTensor)
    return failure();
  Value cond = extractScalar(b, loc, condTensor);

  // The result types are only known once the branches are imported: build
  // the regions in a result-less scf.if, then move them to the final one.
  auto staging = scf::IfOp::create(b, loc, TypeRange{}, cond,
                                   /*addThenBlock=*/true,
                                   /*addElseBlock=*/true);
  llvm::scope_exit cleanup([&] {
    if (staging)
      staging->erase();
  });
  FailureOr<SmallVector<ImportedValue>> thenOutputs =
      importBranchInto(ctx, *thenGraph, staging.getThenRegion().front());
  if (failed(thenOutputs))
    return failure();
  FailureOr<SmallVector<ImportedValue>> elseOutputs =
      importBranchInto(ctx, *elseGraph, staging.getElseRegion().front());
  if (failed(elseOutputs))
    return failure();

  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < numOutputs; ++i) {
    const ImportedValue &t = (*thenOutputs)[i], &e = (*elseOutputs)[i];
    if (t.dtype != e.dtype || t.shape != e.shape) {
      ctx.emitError() << "output " << i << " ('" << thenGraph->output(i).name()
                      << "' / '" << elseGraph->output(i).name() << "') is "
                      << describe(t) << " in then_branch but " << describe(e)
                      << " in else_branch; qc compiles static shapes, so "
                         "both branches must produce the same type and shape";
      return failure();
    }
    resultTypes.push_back(t.value.getType());
  }
  auto ifOp = scf::IfOp::create(b, loc, resultTypes, cond,
                                /*addThenBlock=*/false,
                                /*addElseBlock=*/false);
  ifOp.getThenRegion().takeBody(staging.getThenRegion());
  ifOp.getElseRegion().takeBody(staging.getElseRegion());
  for (unsigned i = 0; i < numOutputs; ++i)
    ctx.setOutput(i, ifOp.getResult(i), (*thenOutputs)[i].dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

static LogicalResult importLoop(NodeContext &ctx) {
  const onnx::GraphProto *body = ctx.attrGraph("body");
  if (!body)
    return ctx.error("requires the graph attribute body");
  int64_t numCarried = std::max<int64_t>(int64_t(ctx.numInputs()) - 2, 0);
  if (body->input_size() != 2 + numCarried)
    return ctx.error("body takes " + Twine(body->input_size()) +
                     " inputs, expected " + Twine(2 + numCarried) +
                     " (iteration number, condition and " + Twine(numCarried) +
                     " loop-carried values)");
  if (body->output_size() < 1 + numCarried)
    return ctx.error("body has " + Twine(body->output_size()) +
                     " outputs, expected at least " + Twine(1 + numCarried) +
                     " (condition and loop-carried values)");
  int64_t numScan = body->output_size() - 1 - numCarried;
  if (int64_t(ctx.numOutputs()) > numCarried + numScan)
    return ctx.error("the node has " + Twine(ctx.numOutputs()) +
                     " outputs, the body produces only " +
                     Twine(numCarried + numScan));

  // qc compiles static shapes: the number of iterations (which sizes the
  // scan outputs) must be known now.
  if (!ctx.hasInput(0))
    return ctx.error("a Loop without trip count M runs until its condition "
                     "fails; qc supports only trip counts known at compile "
                     "time");
  if (failed(ctx.input(0)))
    return failure();
  const HostTensor *m = ctx.hostInput(0);
  if (!m)
    return ctx.error("the trip count M is only known at run time; qc "
                     "compiles static shapes and needs the number of "
                     "iterations at compile time");
  if (m->numElements() != 1)
    return ctx.error("the trip count M must have one element, got shape " +
                     formatShape(m->shape));
  int64_t tripCount = std::max<int64_t>(m->getInt(0), 0);
  if (ctx.hasInput(1)) {
    if (failed(checkCondition(ctx, 1, "the condition")))
      return failure();
    const HostTensor *cond = ctx.hostInput(1);
    if (!cond)
      return ctx.error("the initial condition must be known at compile time "
                       "(qc compiles static shapes, so the number of "
                       "iterations must be fixed)");
    if (cond->getInt(0) == 0)
      tripCount = 0;
  }

  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  SmallVector<Value> inits;
  SmallVector<ImportedValue> carriedIn;
  for (int64_t i = 0; i < numCarried; ++i) {
    FailureOr<ImportedValue> v = ctx.input(2 + i);
    Value value = ctx.inputValue(2 + i);
    if (failed(v) || !value)
      return failure();
    inits.push_back(value);
    carriedIn.push_back(*v);
  }

  // Import the body once into a staging loop that carries only the
  // loop-carried values; the scan outputs' shapes are known afterwards.
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto staging = scf::ForOp::create(
      b, loc, lb, arith::ConstantIndexOp::create(b, loc, tripCount), step,
      inits);
  llvm::scope_exit cleanup([&] {
    if (staging)
      staging->erase();
  });
  Block *block = staging.getBody();
  if (!block->empty())
    block->getTerminator()->erase();
  OpBuilder bb = OpBuilder::atBlockEnd(block);

  SmallVector<ImportedValue> bodyInputs(2);
  Value iv = arith::IndexCastOp::create(bb, loc, bb.getI64Type(),
                                        staging.getInductionVar());
  bodyInputs[0].value = tensor::FromElementsOp::create(
      bb, loc, RankedTensorType::get({}, bb.getI64Type()), ValueRange{iv});
  bodyInputs[0].dtype = ONNXDType::Int64;
  // An iteration only runs while the condition holds, so inside the body
  // the incoming condition is always true.
  bodyInputs[1].dtype = ONNXDType::Bool;
  bodyInputs[1].host = std::make_shared<HostTensor>(
      HostTensor::fromInts(ONNXDType::Bool, {}, {1}));
  for (int64_t i = 0; i < numCarried; ++i) {
    ImportedValue v;
    v.value = block->getArgument(1 + i);
    v.dtype = carriedIn[i].dtype;
    v.shape = carriedIn[i].shape;
    bodyInputs.push_back(v);
  }
  FailureOr<SmallVector<ImportedValue>> outputs =
      ctx.importSubgraph(*body, bb, bodyInputs);
  if (failed(outputs))
    return failure();

  const ImportedValue &condOut = (*outputs)[0];
  if (!condOut.host || condOut.host->numElements() != 1)
    return ctx.error("the body computes its condition at run time; qc "
                     "compiles static shapes and supports Loop only with a "
                     "fixed number of iterations (trip count M with a "
                     "condition that stays constant)");
  if (condOut.host->getInt(0) == 0)
    tripCount = std::min<int64_t>(tripCount, 1);
  for (int64_t i = 0; i < numCarried; ++i) {
    const ImportedValue &in = carriedIn[i], &out = (*outputs)[1 + i];
    if (in.dtype != out.dtype || in.shape != out.shape) {
      ctx.emitError() << "loop-carried value " << i << " ('"
                      << body->output(1 + i).name() << "') enters as "
                      << describe(in) << " but the body produces "
                      << describe(out)
                      << "; qc compiles static shapes, so it must keep its "
                         "type and shape";
      return failure();
    }
  }

  // The final loop also carries one [tripCount, ...] tensor per scan
  // output, filled slice by slice.
  SmallVector<Value> finalInits(inits);
  for (int64_t k = 0; k < numScan; ++k) {
    const ImportedValue &s = (*outputs)[1 + numCarried + k];
    if (llvm::is_contained(s.shape, 0))
      return ctx.error("scan output " + Twine(k) + " ('" +
                       body->output(1 + numCarried + k).name() +
                       "') is empty (" + describe(s) +
                       "), which is not supported");
    SmallVector<int64_t> shape{tripCount};
    shape.append(s.shape.begin(), s.shape.end());
    Type element = cast<ShapedType>(s.value.getType()).getElementType();
    finalInits.push_back(createFilledTensor(
        b, loc, shape, createScalarConstant(b, loc, element, 0.0)));
  }
  auto loop = scf::ForOp::create(
      b, loc, lb, arith::ConstantIndexOp::create(b, loc, tripCount), step,
      finalInits);
  loop.getRegion().takeBody(staging.getRegion());
  block = loop.getBody();
  bb.setInsertionPointToEnd(block);
  SmallVector<Value> yielded;
  for (int64_t i = 0; i < numCarried; ++i) {
    Value arg = block->getArgument(1 + i);
    Value next = (*outputs)[1 + i].value;
    // One-shot bufferization wants each yielded value equivalent to its
    // iter_arg: write the new value into the old one's buffer.
    if (next != arg)
      next = linalg::CopyOp::create(bb, loc, next, arg).getResult(0);
    yielded.push_back(next);
  }
  for (int64_t k = 0; k < numScan; ++k) {
    Value slice = (*outputs)[1 + numCarried + k].value;
    Value acc = block->addArgument(finalInits[numCarried + k].getType(), loc);
    auto shape = cast<RankedTensorType>(acc.getType()).getShape();
    SmallVector<int64_t> unitShape(shape);
    unitShape[0] = 1;
    SmallVector<OpFoldResult> offsets(shape.size(), bb.getIndexAttr(0));
    offsets[0] = loop.getInductionVar();
    SmallVector<OpFoldResult> sizes, strides;
    for (int64_t d : unitShape) {
      sizes.push_back(bb.getIndexAttr(d));
      strides.push_back(bb.getIndexAttr(1));
    }
    yielded.push_back(tensor::InsertSliceOp::create(
        bb, loc, reshapeTensor(bb, loc, slice, unitShape), acc, offsets, sizes,
        strides));
  }
  scf::YieldOp::create(bb, loc, yielded);

  for (int64_t i = 0; i < numCarried + numScan; ++i) {
    const ImportedValue &v = (*outputs)[1 + i];
    ctx.setOutput(i, loop.getResult(i), v.dtype);
  }
  return success();
}

void mlir::qc::onnx_import::registerControlFlowOps(OpRegistry &r) {
  r.add("If", importIf);
  r.add("Loop", importLoop);
}
