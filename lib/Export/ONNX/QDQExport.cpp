//===- QDQExport.cpp - Quantized module to ONNX QDQ -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Two halves: collectQDQOperands reads what qc-quantize decided from the IR
// (no ONNX involved); exportQDQModel rewrites the original ModelProto with
// it. Ops are matched to ONNX nodes by node name, and operands to node
// inputs by position, which is how the importer built them (Gemm's
// transposes and ConvTranspose's kernel rearrangement are undone here).
//
//===----------------------------------------------------------------------===//

#include "qc/Export/ONNX/QDQExport.h"
#include "ONNXCalls.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Utils/Locations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Reading the quantized IR
//===----------------------------------------------------------------------===//

/// The i8 values of an integer constant attribute, row-major.
static FailureOr<std::vector<int8_t>> readInt8(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isInteger(8))
    return failure();
  std::vector<int8_t> values(type.getNumElements());
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    size_t i = 0;
    for (const APInt &v : dense.getValues<APInt>())
      values[i++] = int8_t(v.getSExtValue());
    return values;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != values.size())
      return failure();
    std::memcpy(values.data(), blob->getData().data(), values.size());
    return values;
  }
  return failure();
}

/// Fills the quantization parameters of `record` from `type`; returns why
/// QDQ cannot express them, or "".
static std::string readParams(UniformType type, QDQOperand &record) {
  if (type.isFloat8() || type.getStorageWidth() != 8)
    return "its type is not 8-bit integer";
  if (type.isPerGroup())
    return "it is quantized per group";
  record.isSigned = type.getIsSigned();
  record.axis = type.getAxis();
  for (double s : type.getScaleValues())
    record.scales.push_back(float(s));
  record.zeroPoints.assign(record.scales.size(), 0);
  SmallVector<int64_t> zps = type.getZeroPointValues();
  if (!zps.empty())
    record.zeroPoints.assign(zps.begin(), zps.end());
  return "";
}

FailureOr<std::vector<QDQOperand>>
mlir::qc::collectQDQOperands(ModuleOp module) {
  std::vector<QDQOperand> result;
  WalkResult walk = module.walk([&](Operation *op) {
    if (!isa<MatMulOp, ConvOp>(op))
      return WalkResult::advance();
    for (OpOperand &operand : op->getOpOperands()) {
      UniformType type = getUniformElementType(operand.get().getType());
      if (!type)
        continue;
      std::optional<std::string> node = getONNXNodeName(op->getLoc());
      if (!node) {
        op->emitError() << "QDQ export: this quantized op has no ONNX node "
                           "name in its location";
        return WalkResult::interrupt();
      }
      QDQOperand record;
      record.node = *node;
      record.operand = operand.getOperandNumber();
      record.unsupported = readParams(type, record);
      Value v = operand.get();
      auto shaped = cast<ShapedType>(v.getType());
      record.shape.assign(shaped.getShape().begin(), shaped.getShape().end());
      if (!record.unsupported.empty()) {
        result.push_back(std::move(record));
        continue;
      }
      if (auto quantize = v.getDefiningOp<QuantizeOp>()) {
        if (!type.isPerTensor())
          record.unsupported = "it is an activation quantized per axis";
        result.push_back(std::move(record));
        continue;
      }
      record.isWeight = true;
      auto cast = v.getDefiningOp<StorageCastOp>();
      auto constant =
          cast ? cast.getInput().getDefiningOp<arith::ConstantOp>() : nullptr;
      FailureOr<std::vector<int8_t>> codes = failure();
      if (constant)
        if (auto attr = dyn_cast<ElementsAttr>(constant.getValue()))
          codes = readInt8(attr);
      if (failed(codes))
        record.unsupported =
            "it is neither a qc.quantize result nor an 8-bit constant";
      else
        record.codes = std::move(*codes);
      if (record.zeroPoints.size() == record.scales.size() &&
          llvm::any_of(record.zeroPoints, [](int64_t z) { return z != 0; }))
        record.unsupported = "the weight has non-zero zero points";
      result.push_back(std::move(record));
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return result;
}

//===----------------------------------------------------------------------===//
// Rewriting the ModelProto
//===----------------------------------------------------------------------===//

namespace {

/// Float values of a FLOAT initializer (raw or typed storage).
std::optional<std::vector<float>>
readFloatInitializer(const onnx::TensorProto &tensor) {
  if (tensor.data_type() != onnx::TensorProto::FLOAT ||
      tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t d : tensor.dims())
    count *= d;
  std::vector<float> values(count);
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != size_t(count) * 4)
      return std::nullopt;
    std::memcpy(values.data(), tensor.raw_data().data(), count * 4);
  } else {
    if (tensor.float_data_size() != count)
      return std::nullopt;
    for (int64_t i = 0; i < count; ++i)
      values[i] = tensor.float_data(int(i));
  }
  return values;
}

void setRawData(onnx::TensorProto &tensor, const void *data, size_t bytes) {
  tensor.set_raw_data(std::string(static_cast<const char *>(data), bytes));
}

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// A weight in the ONNX initializer's layout.
struct OnnxWeight {
  std::vector<int64_t> dims;
  int64_t axis = -1;
  std::vector<int8_t> codes;
};

class QDQWriter {
public:
  QDQWriter(onnx::ModelProto &model, Location loc) : model(model), loc(loc) {}

  LogicalResult run(ArrayRef<QDQOperand> operands);

private:
  onnx::GraphProto &graph() { return *model.mutable_graph(); }
  InFlightDiagnostic error() { return emitError(loc) << "QDQ export: "; }

  void collectNames(const onnx::GraphProto &g);
  std::string freshName(const std::string &base);
  LogicalResult indexNodes();
  FailureOr<OnnxWeight> toOnnxLayout(const onnx::NodeProto &node,
                                     const QDQOperand &q);
  LogicalResult checkProvenance(const onnx::NodeProto &node,
                                const std::string &tensor, const QDQOperand &q,
                                const OnnxWeight &w);
  std::string addActivationQDQ(size_t consumer, const std::string &tensor,
                               const QDQOperand &q);
  std::string addWeightDQ(size_t consumer, const std::string &tensor,
                          const QDQOperand &q, const OnnxWeight &w);
  bool isDequantized(const std::string &tensor);
  onnx::TensorProto &addInitializer(const std::string &name, int dataType,
                                    ArrayRef<int64_t> dims);
  void removeDeadValues(const llvm::StringSet<> &replaced);

  onnx::ModelProto &model;
  Location loc;
  /// Every value and node name in the model (subgraphs included), so that
  /// new names never collide or shadow.
  llvm::StringSet<> names;
  llvm::StringMap<size_t> nodeIndex;
  llvm::StringSet<> duplicateNodes;
  llvm::StringMap<size_t> producer;
  llvm::StringMap<size_t> initializer;
  /// New nodes to insert before the node with this index.
  std::map<size_t, std::vector<onnx::NodeProto>> before;
  /// Activation Q/DQ pairs and weight DQs made so far, by a key of their
  /// inputs and parameters, and the DequantizeLinear output they produce.
  std::map<std::string, std::string> made;
};

} // namespace

void QDQWriter::collectNames(const onnx::GraphProto &g) {
  for (const auto &v : g.input())
    names.insert(v.name());
  for (const auto &v : g.output())
    names.insert(v.name());
  for (const auto &v : g.value_info())
    names.insert(v.name());
  for (const auto &t : g.initializer())
    names.insert(t.name());
  for (const auto &n : g.node()) {
    names.insert(n.name());
    for (const auto &o : n.output())
      names.insert(o);
    for (const auto &a : n.attribute()) {
      if (a.has_g())
        collectNames(a.g());
      for (const auto &sub : a.graphs())
        collectNames(sub);
    }
  }
}

std::string QDQWriter::freshName(const std::string &base) {
  std::string name = base;
  for (int i = 1; names.count(name); ++i)
    name = base + "_" + std::to_string(i);
  names.insert(name);
  return name;
}

LogicalResult QDQWriter::indexNodes() {
  const onnx::GraphProto &g = model.graph();
  for (int i = 0, e = g.node_size(); i < e; ++i) {
    const onnx::NodeProto &node = g.node(i);
    // The importer's naming of nodes (see GraphImporter::nodeLocation).
    std::string name = node.name().empty()
                           ? node.op_type() + "_" + std::to_string(i)
                           : node.name();
    if (!nodeIndex.try_emplace(name, size_t(i)).second)
      duplicateNodes.insert(name);
    for (const std::string &output : node.output())
      producer[output] = size_t(i);
  }
  for (int i = 0, e = g.initializer_size(); i < e; ++i)
    initializer[g.initializer(i).name()] = size_t(i);
  return success();
}

/// Maps qc's layout of a weight back to the ONNX node's input layout.
FailureOr<OnnxWeight> QDQWriter::toOnnxLayout(const onnx::NodeProto &node,
                                              const QDQOperand &q) {
  OnnxWeight w;
  auto attrInt = [&](StringRef name, int64_t dflt) {
    for (const auto &a : node.attribute())
      if (a.name() == name)
        return int64_t(a.i());
    return dflt;
  };
  int64_t rank = q.shape.size();
  StringRef opType = node.op_type();
  bool transposed2D = opType == "Gemm" && attrInt("transB", 0) != 0;
  if (opType == "MatMul" || opType == "Conv" ||
      (opType == "Gemm" && !transposed2D)) {
    w.dims = q.shape;
    w.axis = q.axis;
    w.codes = q.codes;
    return w;
  }
  if (transposed2D) {
    if (rank != 2)
      return failure();
    w.dims = {q.shape[1], q.shape[0]};
    w.axis = q.axis < 0 ? -1 : 1 - q.axis;
    w.codes.resize(q.codes.size());
    for (int64_t r = 0; r < q.shape[0]; ++r)
      for (int64_t c = 0; c < q.shape[1]; ++c)
        w.codes[c * q.shape[0] + r] = q.codes[r * q.shape[1] + c];
    return w;
  }
  if (opType == "ConvTranspose") {
    // qc's kernel is [O, I, k...] with every spatial dimension reversed; the
    // ONNX kernel is [I, O/group, k...]. With group > 1 qc's output channels
    // run across groups, which no single ONNX axis can carry.
    if (attrInt("group", 1) != 1 || rank < 3) {
      error() << "node '" << node.name()
              << "' (ConvTranspose with group > 1): per-output-channel "
                 "weights have no per-axis DequantizeLinear form; keep it "
                 "float with --keep-float="
              << node.name();
      return failure();
    }
    w.dims = q.shape;
    std::swap(w.dims[0], w.dims[1]);
    w.axis = q.axis == 0 ? 1 : q.axis == 1 ? 0 : q.axis;
    SmallVector<int64_t> qStrides = stridesOf(q.shape);
    w.codes.resize(q.codes.size());
    SmallVector<int64_t> index(rank, 0);
    for (size_t n = 0; n < w.codes.size(); ++n) {
      // index is the ONNX position [i, o, k...]; read qc [o, i, K-1-k].
      int64_t src = index[0] * qStrides[1] + index[1] * qStrides[0];
      for (int64_t d = 2; d < rank; ++d)
        src += (w.dims[d] - 1 - index[d]) * qStrides[d];
      w.codes[n] = q.codes[src];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < w.dims[d])
          break;
        index[d] = 0;
      }
    }
    return w;
  }
  return failure();
}

/// Checks that an initializer the weight replaces is the weight qc
/// quantized: every value within half a step of its code. This catches
/// weights qc transformed before quantizing (SmoothQuant), which the
/// original graph cannot express.
LogicalResult QDQWriter::checkProvenance(const onnx::NodeProto &node,
                                         const std::string &tensor,
                                         const QDQOperand &q,
                                         const OnnxWeight &w) {
  auto it = initializer.find(tensor);
  if (it == initializer.end())
    return success();
  const onnx::TensorProto &init = model.graph().initializer(int(it->second));
  std::vector<int64_t> dims(init.dims().begin(), init.dims().end());
  if (dims != w.dims) {
    auto diag = error() << "the quantized weight of node '" << node.name()
                        << "' has shape [";
    llvm::interleaveComma(w.dims, diag);
    diag << "] but initializer '" << tensor << "' has [";
    llvm::interleaveComma(dims, diag);
    diag << "]";
    return failure();
  }
  std::optional<std::vector<float>> values = readFloatInitializer(init);
  if (!values)
    return success();
  SmallVector<int64_t> strides = stridesOf(w.dims);
  for (size_t i = 0; i < values->size(); ++i) {
    int64_t c =
        w.axis < 0 ? 0 : (int64_t(i) / strides[w.axis]) % w.dims[w.axis];
    double s = q.scales[c];
    double err = std::fabs(double((*values)[i]) - double(w.codes[i]) * s);
    if (!(err <= 0.5 * s * (1 + 1e-5) + 1e-30)) {
      error() << "the quantized weight of node '" << node.name()
              << "' is not a quantization of initializer '" << tensor
              << "' (qc changed the weight before quantizing it, e.g. with "
                 "--smoothquant, which the original graph cannot express)";
      return failure();
    }
  }
  return success();
}

/// True if `tensor` is a DequantizeLinear output of the source model, seen
/// through shape-only ops (which qc-fold-qdq looks through too).
bool QDQWriter::isDequantized(const std::string &tensor) {
  std::string name = tensor;
  for (int depth = 0; depth < 64; ++depth) {
    auto p = producer.find(name);
    if (p == producer.end())
      return false;
    const onnx::NodeProto &node = model.graph().node(int(p->second));
    if (node.op_type() == "DequantizeLinear")
      return true;
    if (!llvm::is_contained({"Reshape", "Flatten", "Transpose", "Squeeze",
                             "Unsqueeze", "Identity"},
                            node.op_type()) ||
        node.input_size() == 0)
      return false;
    name = node.input(0);
  }
  return false;
}

onnx::TensorProto &QDQWriter::addInitializer(const std::string &name,
                                             int dataType,
                                             ArrayRef<int64_t> dims) {
  onnx::TensorProto &t = *graph().add_initializer();
  t.set_name(name);
  t.set_data_type(dataType);
  for (int64_t d : dims)
    t.add_dims(d);
  return t;
}

std::string QDQWriter::addActivationQDQ(size_t consumer,
                                        const std::string &tensor,
                                        const QDQOperand &q) {
  float scale = q.scales[0];
  int64_t zp = q.zeroPoints[0];
  uint32_t scaleBits;
  std::memcpy(&scaleBits, &scale, 4);
  std::string key = "a:" + tensor + ":" + std::to_string(scaleBits) + ":" +
                    std::to_string(zp) + (q.isSigned ? ":i8" : ":u8");
  if (auto it = made.find(key); it != made.end())
    return it->second;
  std::string scaleName = freshName(tensor + "_scale");
  std::string zpName = freshName(tensor + "_zero_point");
  std::string quantized = freshName(tensor + "_quantized");
  std::string dequantized = freshName(tensor + "_dequantized");
  setRawData(addInitializer(scaleName, onnx::TensorProto::FLOAT, {}), &scale,
             4);
  int8_t zpByte = int8_t(zp);
  uint8_t zpUnsigned = uint8_t(zp);
  setRawData(addInitializer(zpName,
                            q.isSigned ? onnx::TensorProto::INT8
                                       : onnx::TensorProto::UINT8,
                            {}),
             q.isSigned ? static_cast<const void *>(&zpByte) : &zpUnsigned, 1);
  onnx::NodeProto quantize;
  quantize.set_op_type("QuantizeLinear");
  quantize.set_name(freshName(tensor + "_QuantizeLinear"));
  quantize.add_input(tensor);
  quantize.add_input(scaleName);
  quantize.add_input(zpName);
  quantize.add_output(quantized);
  onnx::NodeProto dequantize;
  dequantize.set_op_type("DequantizeLinear");
  dequantize.set_name(freshName(tensor + "_DequantizeLinear"));
  dequantize.add_input(quantized);
  dequantize.add_input(scaleName);
  dequantize.add_input(zpName);
  dequantize.add_output(dequantized);
  before[consumer].push_back(std::move(quantize));
  before[consumer].push_back(std::move(dequantize));
  made[key] = dequantized;
  return dequantized;
}

std::string QDQWriter::addWeightDQ(size_t consumer, const std::string &tensor,
                                   const QDQOperand &q, const OnnxWeight &w) {
  // Weights shared by several nodes share their DequantizeLinear when they
  // were quantized the same way.
  std::string key = "w:" + tensor + ":" + std::to_string(w.axis) + ":";
  key.append(reinterpret_cast<const char *>(q.scales.data()),
             q.scales.size() * sizeof(float));
  key.append(reinterpret_cast<const char *>(w.codes.data()), w.codes.size());
  if (auto it = made.find(key); it != made.end())
    return it->second;
  std::string codesName = freshName(tensor + "_quantized");
  std::string scaleName = freshName(tensor + "_scale");
  std::string zpName = freshName(tensor + "_zero_point");
  std::string dequantized = freshName(tensor + "_dequantized");
  setRawData(addInitializer(codesName, onnx::TensorProto::INT8, w.dims),
             w.codes.data(), w.codes.size());
  SmallVector<int64_t> paramDims;
  if (w.axis >= 0)
    paramDims.push_back(int64_t(q.scales.size()));
  setRawData(addInitializer(scaleName, onnx::TensorProto::FLOAT, paramDims),
             q.scales.data(), q.scales.size() * sizeof(float));
  std::vector<int8_t> zeros(q.scales.size(), 0);
  setRawData(addInitializer(zpName, onnx::TensorProto::INT8, paramDims),
             zeros.data(), zeros.size());
  onnx::NodeProto dequantize;
  dequantize.set_op_type("DequantizeLinear");
  dequantize.set_name(freshName(tensor + "_DequantizeLinear"));
  dequantize.add_input(codesName);
  dequantize.add_input(scaleName);
  dequantize.add_input(zpName);
  dequantize.add_output(dequantized);
  if (w.axis >= 0) {
    onnx::AttributeProto *axis = dequantize.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(w.axis);
  }
  before[consumer].push_back(std::move(dequantize));
  made[key] = dequantized;
  return dequantized;
}

void QDQWriter::removeDeadValues(const llvm::StringSet<> &replaced) {
  // Counts of the readers of every name (nodes, subgraphs, graph outputs).
  llvm::StringMap<int64_t> readers;
  std::function<void(const onnx::GraphProto &)> count =
      [&](const onnx::GraphProto &g) {
        for (const auto &n : g.node()) {
          for (const auto &i : n.input())
            ++readers[i];
          for (const auto &a : n.attribute()) {
            if (a.has_g())
              count(a.g());
            for (const auto &sub : a.graphs())
              count(sub);
          }
        }
        for (const auto &o : g.output())
          ++readers[o.name()];
      };
  count(model.graph());
  llvm::StringMap<int> producers;
  for (int i = 0, e = model.graph().node_size(); i < e; ++i)
    for (const std::string &o : model.graph().node(i).output())
      producers[o] = i;

  // The replaced weights, and what only they needed (a Transpose of an
  // initializer, its Constant), transitively.
  llvm::StringSet<> deadValues;
  std::vector<bool> deadNodes(model.graph().node_size(), false);
  SmallVector<std::string> worklist;
  for (const auto &r : replaced)
    worklist.push_back(r.getKey().str());
  while (!worklist.empty()) {
    std::string name = worklist.pop_back_val();
    if (readers.lookup(name) > 0 || deadValues.count(name))
      continue;
    auto p = producers.find(name);
    if (p == producers.end()) {
      deadValues.insert(name);
      continue;
    }
    const onnx::NodeProto &node = model.graph().node(p->second);
    if (deadNodes[p->second] ||
        llvm::any_of(node.output(), [&](const std::string &o) {
          return readers.lookup(o) > 0;
        }))
      continue;
    deadNodes[p->second] = true;
    for (const std::string &input : node.input()) {
      if (input.empty())
        continue;
      --readers[input];
      worklist.push_back(input);
    }
  }
  int index = 0;
  auto *nodes = graph().mutable_node();
  nodes->erase(std::remove_if(
                   nodes->begin(), nodes->end(),
                   [&](const onnx::NodeProto &) { return deadNodes[index++]; }),
               nodes->end());
  auto *inits = graph().mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto &t) {
                                return deadValues.count(t.name());
                              }),
               inits->end());
  // Older models also list initializers as graph inputs.
  auto *inputs = graph().mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto &v) {
                                 return deadValues.count(v.name()) &&
                                        initializer.count(v.name());
                               }),
                inputs->end());
}

LogicalResult QDQWriter::run(ArrayRef<QDQOperand> operands) {
  collectNames(model.graph());
  if (failed(indexNodes()))
    return failure();
  int64_t opset = -1;
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();

  // In graph order, so that shared Q/DQ nodes land before their first
  // consumer.
  std::vector<std::pair<size_t, const QDQOperand *>> ordered;
  for (const QDQOperand &q : operands) {
    auto found = nodeIndex.find(q.node);
    if (found == nodeIndex.end()) {
      error() << "the quantized op of node '" << q.node
              << "' is not in the model's main graph (inside an If or Loop "
                 "body?); keep it float with --keep-float="
              << q.node;
      return failure();
    }
    if (duplicateNodes.count(q.node)) {
      error() << "several nodes are named '" << q.node
              << "'; QDQ export needs unique node names";
      return failure();
    }
    ordered.push_back({found->second, &q});
  }
  // Ties keep the IR order: pair comparison falls back to the address of
  // the operand record, which is increasing in `operands`.
  llvm::sort(ordered);

  llvm::StringSet<> replacedWeights;
  std::set<std::pair<size_t, unsigned>> rewritten;
  for (auto [index, qp] : ordered) {
    const QDQOperand &q = *qp;
    if (!rewritten.insert({index, q.operand}).second) {
      error() << "node '" << q.node << "' has several quantized ops reading "
              << "its input " << q.operand
              << "; QDQ export needs one per input";
      return failure();
    }
    onnx::NodeProto &node = *graph().mutable_node(int(index));
    StringRef opType = node.op_type();
    // Integer ops of a model that was quantized already: nothing to add.
    if (opType == "QLinearMatMul" || opType == "QLinearConv" ||
        opType == "MatMulInteger" || opType == "ConvInteger")
      continue;
    if (opType != "MatMul" && opType != "Gemm" && opType != "Conv" &&
        opType != "ConvTranspose") {
      error() << "node '" << q.node << "' (" << opType
              << ") runs quantized, but QDQ export handles MatMul, Gemm, "
                 "Conv and ConvTranspose only; keep it float with "
                 "--keep-float="
              << q.node;
      return failure();
    }
    if (q.operand >= unsigned(node.input_size()) ||
        node.input(int(q.operand)).empty()) {
      error() << "node '" << q.node << "' has no input " << q.operand;
      return failure();
    }
    std::string tensor = node.input(int(q.operand));
    // Inputs that a DequantizeLinear of the source model feeds are in QDQ
    // form already.
    if (isDequantized(tensor))
      continue;
    if (!q.unsupported.empty()) {
      error() << "input '" << tensor << "' of node '" << q.node
              << "' cannot be written as QDQ: " << q.unsupported;
      return failure();
    }
    if (opset < 13) {
      error() << "the model uses opset " << opset
              << "; QDQ export writes per-channel DequantizeLinear, which "
                 "needs opset 13 or newer";
      return failure();
    }
    std::string replacement;
    if (!q.isWeight) {
      replacement = addActivationQDQ(index, tensor, q);
    } else {
      FailureOr<OnnxWeight> w = toOnnxLayout(node, q);
      if (failed(w)) {
        if (opType != "ConvTranspose")
          error() << "cannot map the quantized weight of node '" << q.node
                  << "' back to input '" << tensor << "'";
        return failure();
      }
      if (failed(checkProvenance(node, tensor, q, *w)))
        return failure();
      replacement = addWeightDQ(index, tensor, q, *w);
      replacedWeights.insert(tensor);
    }
    // Nodes were not moved, so `node` is still valid here.
    node.set_input(int(q.operand), replacement);
  }

  // Splice the new nodes in before their first consumer: their inputs are
  // graph inputs, initializers or outputs of earlier nodes, so the graph
  // stays topologically sorted.
  if (!before.empty()) {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    nodes.Swap(graph().mutable_node());
    for (int i = 0, e = nodes.size(); i < e; ++i) {
      if (auto it = before.find(size_t(i)); it != before.end())
        for (onnx::NodeProto &n : it->second)
          *graph().add_node() = std::move(n);
      *graph().add_node() = std::move(*nodes.Mutable(i));
    }
  }
  removeDeadValues(replacedWeights);
  return success();
}

LogicalResult mlir::qc::exportQDQModel(ModuleOp module, StringRef sourcePath,
                                       StringRef outputPath) {
  Location loc = FileLineColLoc::get(module.getContext(), sourcePath, 0, 0);
  FailureOr<std::vector<QDQOperand>> operands = collectQDQOperands(module);
  if (failed(operands))
    return failure();
  auto buffer = llvm::MemoryBuffer::getFile(sourcePath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << "cannot read '" << sourcePath
                          << "': " << buffer.getError().message();
  onnx::ModelProto model;
  std::string error;
  if (!onnx_export::parseModel((*buffer)->getBufferStart(),
                               (*buffer)->getBufferSize(),
                               sourcePath.ends_with(".onnxtext"), model, error))
    return emitError(loc) << error;
  for (const onnx::TensorProto &t : model.graph().initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      return emitError(loc)
             << "QDQ export: initializer '" << t.name()
             << "' is stored as external data; QDQ export writes "
                "self-contained models only";
  onnx::ModelProto original = model;

  QDQWriter writer(model, loc);
  if (failed(writer.run(*operands)))
    return failure();
  if (!onnx_export::checkModel(model, error))
    return emitError(loc) << "QDQ export: the written model fails "
                             "onnx::checker (a qc bug): "
                          << error;
  // Strict type inference is only meaningful if the source passes it.
  std::string typeError;
  if (!onnx_export::typeCheckModel(model, typeError) &&
      onnx_export::typeCheckModel(original, error))
    return emitError(loc) << "QDQ export: the written model fails ONNX type "
                             "inference (a qc bug): "
                          << typeError;
  std::string bytes;
  if (!onnx_export::serializeModel(model, bytes, error))
    return emitError(loc) << "QDQ export: " << error;
  auto file = openOutputFile(outputPath, &error);
  if (!file)
    return emitError(loc) << error;
  file->os() << bytes;
  file->keep();
  return success();
}

//===----------------------------------------------------------------------===//
// Model summary (for reports)
//===----------------------------------------------------------------------===//

FailureOr<std::vector<ONNXNodeSummary>>
mlir::qc::summarizeONNXModel(StringRef path, Location loc) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << "cannot read '" << path
                          << "': " << buffer.getError().message();
  onnx::ModelProto model;
  std::string error;
  if (!onnx_export::parseModel((*buffer)->getBufferStart(),
                               (*buffer)->getBufferSize(),
                               path.ends_with(".onnxtext"), model, error))
    return emitError(loc) << error;
  const onnx::GraphProto &g = model.graph();
  llvm::StringMap<const onnx::TensorProto *> inits;
  for (const onnx::TensorProto &t : g.initializer())
    inits[t.name()] = &t;
  std::vector<ONNXNodeSummary> nodes;
  for (int i = 0, e = g.node_size(); i < e; ++i) {
    const onnx::NodeProto &node = g.node(i);
    ONNXNodeSummary s;
    s.name = node.name().empty() ? node.op_type() + "_" + std::to_string(i)
                                 : node.name();
    s.opType = node.op_type();
    s.inputs.assign(node.input().begin(), node.input().end());
    s.outputs.assign(node.output().begin(), node.output().end());
    for (const std::string &input : s.inputs) {
      auto it = inits.find(input);
      if (it == inits.end() ||
          it->second->data_type() != onnx::TensorProto::FLOAT)
        continue;
      int64_t count = 1;
      for (int64_t d : it->second->dims())
        count *= d;
      s.initializerBytes += 4 * count;
    }
    if (s.opType == "Gather" && !s.inputs.empty()) {
      auto it = inits.find(s.inputs[0]);
      s.isEmbeddingLookup = it != inits.end() &&
                            it->second->data_type() == onnx::TensorProto::FLOAT;
    }
    nodes.push_back(std::move(s));
  }
  return nodes;
}
