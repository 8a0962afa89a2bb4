//===- ONNXImporter.cpp - ONNX model to MLIR ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Import/ONNX/ONNXImporter.h"
#include "ImporterImpl.h"
#include "ModelLoader.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/Npz.h"
#include "qc/Target/AOT/ModelSignature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

static std::string formatShapeText(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

/// Opsets below this are converted up with the ONNX version converter.
static constexpr int kMinDirectOpset = 7;

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

int64_t HostTensor::numElements() const { return saturatingProduct(shape); }

int64_t HostTensor::getInt(int64_t i) const {
  return isFloat() ? static_cast<int64_t>(floats[i]) : ints[i];
}

double HostTensor::getDouble(int64_t i) const {
  return isFloat() ? floats[i] : static_cast<double>(ints[i]);
}

std::vector<int64_t> HostTensor::toInts() const {
  if (!isFloat())
    return ints;
  std::vector<int64_t> result;
  result.reserve(floats.size());
  for (double f : floats)
    result.push_back(static_cast<int64_t>(f));
  return result;
}

HostTensor HostTensor::fromInts(ONNXDType dtype, ArrayRef<int64_t> shape,
                                std::vector<int64_t> values) {
  HostTensor t;
  t.dtype = dtype;
  t.shape.assign(shape.begin(), shape.end());
  t.ints = std::move(values);
  return t;
}

HostTensor HostTensor::fromFloats(ONNXDType dtype, ArrayRef<int64_t> shape,
                                  std::vector<double> values) {
  HostTensor t;
  t.dtype = dtype;
  t.shape.assign(shape.begin(), shape.end());
  t.floats = std::move(values);
  return t;
}

std::optional<HostTensor> HostTensor::fromAttr(ElementsAttr attr,
                                               ONNXDType dtype) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.hasStaticShape() || type.getNumElements() > kMaxHostElements)
    return std::nullopt;
  HostTensor t;
  t.dtype = dtype;
  t.shape.assign(type.getShape().begin(), type.getShape().end());
  bool isUnsigned = isUnsignedDType(dtype);
  if (isFloatDType(dtype)) {
    auto values = attr.tryGetValues<APFloat>();
    if (!values)
      return std::nullopt;
    for (const APFloat &v : *values) {
      APFloat d = v;
      bool losesInfo;
      d.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      t.floats.push_back(d.convertToDouble());
    }
  } else {
    auto values = attr.tryGetValues<APInt>();
    if (!values)
      return std::nullopt;
    for (const APInt &v : *values)
      t.ints.push_back(isUnsigned || v.getBitWidth() == 1
                           ? static_cast<int64_t>(v.getZExtValue())
                           : v.getSExtValue());
  }
  return t;
}

DenseElementsAttr HostTensor::toAttr(MLIRContext *ctx) const {
  Type elementType = getElementType(ctx, dtype);
  auto type = RankedTensorType::get(shape, elementType);
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> values;
    values.reserve(floats.size());
    for (double f : floats) {
      APFloat v(f);
      bool losesInfo;
      v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      values.push_back(v);
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> values;
  values.reserve(ints.size());
  for (int64_t i : ints)
    values.push_back(APInt(width, static_cast<uint64_t>(i),
                           /*isSigned=*/false, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

//===----------------------------------------------------------------------===//
// TensorProto conversion
//===----------------------------------------------------------------------===//

ONNXDType
mlir::qc::onnx_import::getTensorProtoDType(const onnx::TensorProto &tensor) {
  return static_cast<ONNXDType>(tensor.data_type());
}

/// Reads the bytes of an external-data tensor, refusing locations outside
/// `baseDir`.
static bool readExternalData(const onnx::TensorProto &tensor, StringRef baseDir,
                             size_t expectedBytes, std::vector<char> &bytes,
                             std::string &error) {
  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
      continue;
    }
    if (entry.key() != "offset" && entry.key() != "length")
      continue;
    // Decimal digits only: "-8" or "x1" must not wrap around or read as 0.
    StringRef text = entry.value();
    uint64_t value;
    if (text.empty() || !llvm::all_of(text, llvm::isDigit) ||
        text.getAsInteger(10, value)) {
      error = "external data " + entry.key() + " '" + entry.value() +
              "' of tensor '" + tensor.name() + "' is not a byte count";
      return false;
    }
    if (entry.key() == "offset") {
      offset = value;
    } else {
      length = value;
      hasLength = true;
    }
  }
  if (location.empty()) {
    error = "external data of tensor '" + tensor.name() + "' has no location";
    return false;
  }
  if (llvm::sys::path::is_absolute(location)) {
    error = "external data location '" + location + "' of tensor '" +
            tensor.name() +
            "' is absolute; it must be inside the model's "
            "folder";
    return false;
  }
  SmallString<256> base(baseDir.empty() ? "." : baseDir);
  SmallString<256> realBase, realFile;
  SmallString<256> path(base);
  llvm::sys::path::append(path, location);
  if (llvm::sys::fs::real_path(base, realBase) ||
      llvm::sys::fs::real_path(path, realFile)) {
    error = "cannot open external data file '" + std::string(path) +
            "' of tensor '" + tensor.name() + "'";
    return false;
  }
  StringRef file = realFile, dir = realBase;
  if (!file.starts_with(dir) || file.size() <= dir.size() ||
      !llvm::sys::path::is_separator(file[dir.size()])) {
    error = "external data location '" + location + "' of tensor '" +
            tensor.name() + "' escapes the model's folder; refused";
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(realFile, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read external data file '" + std::string(realFile) + "'";
    return false;
  }
  uint64_t size = (*buffer)->getBufferSize();
  if (!hasLength)
    length = expectedBytes;
  if (length != expectedBytes || offset > size || length > size - offset) {
    error = "external data of tensor '" + tensor.name() + "' is " +
            std::to_string(length) + " bytes at offset " +
            std::to_string(offset) + " in a " + std::to_string(size) +
            "-byte file, but the tensor needs " +
            std::to_string(expectedBytes) + " bytes";
    return false;
  }
  const char *start = (*buffer)->getBufferStart() + offset;
  bytes.assign(start, start + length);
  return true;
}

FailureOr<ElementsAttr> mlir::qc::onnx_import::convertTensorProto(
    const onnx::TensorProto &tensor, MLIRContext *ctx, StringRef baseDir,
    int64_t inlineLimit, std::string &error) {
  ONNXDType dtype = getTensorProtoDType(tensor);
  Type elementType = getElementType(ctx, dtype);
  if (!elementType) {
    error = "tensor '" + tensor.name() + "' has unsupported element type " +
            getDTypeName(dtype);
    return failure();
  }
  if (tensor.has_segment()) {
    error = "tensor '" + tensor.name() + "' is segmented; not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error = "tensor '" + tensor.name() + "' has a negative dimension";
      return failure();
    }
    if (d != 0 && count > (int64_t(1) << 40) / d) {
      error = "tensor '" + tensor.name() + "' is too large";
      return failure();
    }
    count *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elementType);
  size_t elementSize = getDTypeSize(dtype);
  size_t byteCount = size_t(count) * elementSize;

  // Gather the little-endian bytes of the elements (one byte per bool).
  std::vector<char> bytes;
  auto sizeMismatch = [&](size_t have) {
    error = "tensor '" + tensor.name() + "' declares " + std::to_string(count) +
            " elements but holds " + std::to_string(have);
    return failure();
  };
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!readExternalData(tensor, baseDir, byteCount, bytes, error))
      return failure();
  } else if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != byteCount)
      return sizeMismatch(elementSize ? raw.size() / elementSize : 0);
    bytes.assign(raw.begin(), raw.end());
  } else {
    // The typed field must hold `count` values; checked before allocating,
    // since `count` comes from the (untrusted) dims.
    int64_t have;
    switch (dtype) {
    case ONNXDType::Float:
      have = tensor.float_data_size();
      break;
    case ONNXDType::Double:
      have = tensor.double_data_size();
      break;
    case ONNXDType::Int64:
      have = tensor.int64_data_size();
      break;
    case ONNXDType::UInt32:
    case ONNXDType::UInt64:
      have = tensor.uint64_data_size();
      break;
    default:
      have = tensor.int32_data_size();
      break;
    }
    if (have != count)
      return sizeMismatch(have);
    bytes.resize(byteCount);
    auto store = [&](size_t i, const void *src, size_t n) {
      std::memcpy(bytes.data() + i * elementSize, src, n);
    };
    switch (dtype) {
    case ONNXDType::Float:
      for (int64_t i = 0; i < count; ++i) {
        float v = tensor.float_data(i);
        store(i, &v, 4);
      }
      break;
    case ONNXDType::Double:
      for (int64_t i = 0; i < count; ++i) {
        double v = tensor.double_data(i);
        store(i, &v, 8);
      }
      break;
    case ONNXDType::Int64:
      for (int64_t i = 0; i < count; ++i) {
        int64_t v = tensor.int64_data(i);
        store(i, &v, 8);
      }
      break;
    case ONNXDType::UInt32:
    case ONNXDType::UInt64:
      for (int64_t i = 0; i < count; ++i) {
        uint64_t v = tensor.uint64_data(i);
        store(i, &v, elementSize);
      }
      break;
    default:
      // int32_data holds int32, and the bits of every narrower type.
      for (int64_t i = 0; i < count; ++i) {
        int32_t v = tensor.int32_data(i);
        store(i, &v, elementSize);
      }
      break;
    }
  }

  if (dtype == ONNXDType::Bool) {
    SmallVector<bool> values;
    for (char c : bytes)
      values.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  }
  if (count <= inlineLimit) {
    bool detectedSplat;
    if (!DenseElementsAttr::isValidRawBuffer(type, ArrayRef<char>(bytes),
                                             detectedSplat)) {
      error = "tensor '" + tensor.name() + "' has malformed data";
      return failure();
    }
    return cast<ElementsAttr>(
        DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(bytes)));
  }
  std::string blobName = tensor.name().empty() ? "weight" : tensor.name();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(bytes), /*align=*/64);
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

//===----------------------------------------------------------------------===//
// OpRegistry
//===----------------------------------------------------------------------===//

void OpRegistry::add(StringRef opType, OpHandler handler, int64_t minOpset,
                     int64_t maxOpset) {
  entries[opType].push_back({minOpset, maxOpset, std::move(handler)});
}

const OpHandler *OpRegistry::lookup(StringRef opType, int64_t opset) const {
  auto it = entries.find(opType);
  if (it == entries.end())
    return nullptr;
  for (const Entry &e : it->second)
    if (opset >= e.minOpset && opset <= e.maxOpset)
      return &e.handler;
  return nullptr;
}

bool OpRegistry::knows(StringRef opType) const {
  return entries.count(opType) != 0;
}

std::string OpRegistry::supportedOpsets(StringRef opType) const {
  auto it = entries.find(opType);
  if (it == entries.end())
    return "";
  std::string result;
  for (const Entry &e : it->second) {
    if (!result.empty())
      result += ", ";
    result += std::to_string(e.minOpset);
    result += e.maxOpset >= (1 << 30) ? "+" : "-" + std::to_string(e.maxOpset);
  }
  return result;
}

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLinearOps(r);
    registerTensorOps(r);
    registerNNOps(r);
    registerReductionOps(r);
    registerControlFlowOps(r);
    registerRNNOps(r);
    registerQuantOps(r);
    return r;
  }();
  return registry;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

namespace mlir::qc::onnx_import {

/// Imports one (sub)graph. Subgraphs see their parents' values.
class GraphImporter {
public:
  GraphImporter(MLIRContext *ctx, const ONNXImportOptions &options,
                std::string baseDir, std::string source, int64_t opset,
                GraphImporter *parent)
      : ctx(ctx), options(options), baseDir(std::move(baseDir)),
        source(std::move(source)), opset(opset), parent(parent),
        constants(ctx) {
    if (parent)
      constants = parent->constants;
  }

  ImportedValue *lookup(StringRef name) {
    auto it = values.find(name);
    if (it != values.end())
      return &it->second;
    return parent ? parent->lookup(name) : nullptr;
  }

  void define(StringRef name, ImportedValue value) {
    values[name] = std::move(value);
  }

  /// The MLIR value of `name`, materializing a constant at the function
  /// entry (so it dominates every use, subgraphs included).
  Value materialize(StringRef name) {
    ImportedValue *v = lookup(name);
    if (!v)
      return {};
    if (!v->value) {
      Location loc = NameLoc::get(StringAttr::get(ctx, name));
      if (v->constant)
        v->value = arith::ConstantOp::create(constants, loc,
                                             cast<TypedAttr>(v->constant));
      else if (v->host)
        v->value =
            arith::ConstantOp::create(constants, loc, v->host->toAttr(ctx));
      if (v->value)
        setONNXTensorName(v->value.getDefiningOp(), name);
    }
    return v->value;
  }

  Location nodeLocation(const onnx::NodeProto &node, int index) {
    std::string name = node.name();
    if (name.empty())
      name = node.op_type() + "_" + std::to_string(index);
    return NameLoc::get(StringAttr::get(ctx, name),
                        FileLineColLoc::get(ctx, source, 0, 0));
  }

  LogicalResult importInitializers(const onnx::GraphProto &graph);
  LogicalResult importNodes(const onnx::GraphProto &graph, OpBuilder &b);

  MLIRContext *ctx;
  const ONNXImportOptions &options;
  std::string baseDir;
  std::string source;
  int64_t opset;
  GraphImporter *parent;
  /// Positioned at the start of the top-level function body.
  OpBuilder constants;
  llvm::StringMap<ImportedValue> values;
};

} // namespace mlir::qc::onnx_import

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    std::string error;
    FailureOr<ElementsAttr> attr = convertTensorProto(
        tensor, ctx, baseDir, options.inlineConstantLimit, error);
    if (failed(attr))
      return emitError(FileLineColLoc::get(ctx, source, 0, 0))
             << "initializer '" << tensor.name() << "': " << error;
    ImportedValue v;
    v.dtype = getTensorProtoDType(tensor);
    auto type = cast<ShapedType>(attr->getType());
    v.shape.assign(type.getShape().begin(), type.getShape().end());
    v.constant = *attr;
    // Keep host copies of what shape computations read: integer tensors and
    // small float ones. Weights stay in their (resource) attribute only.
    int64_t count = type.getNumElements();
    if ((!isFloatDType(v.dtype) && count <= kMaxHostElements) || count <= 4096)
      if (std::optional<HostTensor> host = HostTensor::fromAttr(*attr, v.dtype))
        v.host = std::make_shared<HostTensor>(std::move(*host));
    define(tensor.name(), std::move(v));
  }
  if (graph.sparse_initializer_size() > 0)
    return emitError(FileLineColLoc::get(ctx, source, 0, 0))
           << "sparse initializers are not supported";
  return success();
}

LogicalResult GraphImporter::importNodes(const onnx::GraphProto &graph,
                                         OpBuilder &b) {
  const OpRegistry &registry = OpRegistry::get();
  int index = 0;
  for (const onnx::NodeProto &node : graph.node()) {
    Location loc = nodeLocation(node, index++);
    StringRef domain = node.domain();
    auto where = [&]() {
      std::string name = node.name().empty() ? "<unnamed>" : node.name();
      return "(node '" + name + "', opset " + std::to_string(opset) + ")";
    };
    if (!domain.empty() && domain != "ai.onnx")
      return emitError(loc) << "unsupported ONNX op '" << node.op_type()
                            << "' from domain '" << domain << "' " << where();
    for (const std::string &input : node.input())
      if (!input.empty() && !lookup(input))
        return emitError(loc)
               << "ONNX op '" << node.op_type() << "' " << where() << " uses '"
               << input
               << "', which is not defined before it (the graph is not "
                  "topologically sorted, has a cycle, or lacks an "
                  "initializer)";
    const OpHandler *handler = registry.lookup(node.op_type(), opset);
    if (!handler) {
      if (registry.knows(node.op_type()))
        return emitError(loc)
               << "ONNX op '" << node.op_type() << "' " << where()
               << " is supported at opsets "
               << registry.supportedOpsets(node.op_type()) << " only";
      return emitError(loc)
             << "unsupported ONNX op '" << node.op_type() << "' " << where();
    }
    NodeContext context(*this, node, opset, b, loc);
    if (failed((*handler)(context)))
      return failure();
    for (int i = 0, e = node.output_size(); i < e; ++i) {
      const std::string &output = node.output(i);
      if (output.empty())
        continue;
      auto it = values.find(output);
      if (it == values.end())
        return emitError(loc)
               << "ONNX op '" << node.op_type() << "' " << where()
               << ": output " << i << " ('" << output << "') is not supported";
      // Shapes derive from attributes and constants in the file: refuse
      // absurd ones here, before later passes allocate for them.
      ArrayRef<int64_t> shape = it->second.shape;
      if (llvm::any_of(shape, [](int64_t d) { return d < 0; }) ||
          saturatingProduct(shape) > kMaxTensorElements)
        return emitError(loc)
               << "ONNX op '" << node.op_type() << "' " << where()
               << ": output " << i << " ('" << output << "') would have shape "
               << formatShapeText(shape) << ", more than 2^40 elements or a "
               << "negative dimension; refused";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
                         int64_t opset, OpBuilder &builder, Location loc)
    : importer(importer), node(node), opsetVersion(opset), b(builder),
      location(loc) {}

StringRef NodeContext::opType() const { return node.op_type(); }
StringRef NodeContext::nodeName() const { return node.name(); }

unsigned NodeContext::numInputs() const { return node.input_size(); }

bool NodeContext::hasInput(unsigned i) const {
  return i < unsigned(node.input_size()) && !node.input(i).empty();
}

FailureOr<ImportedValue> NodeContext::input(unsigned i) {
  if (!hasInput(i)) {
    emitError() << "missing required input " << i;
    return failure();
  }
  ImportedValue *v = importer.lookup(node.input(i));
  if (!v) {
    emitError() << "input '" << node.input(i) << "' is not defined";
    return failure();
  }
  return *v;
}

Value NodeContext::inputValue(unsigned i) {
  if (failed(input(i)))
    return {};
  return importer.materialize(node.input(i));
}

const HostTensor *NodeContext::hostInput(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  ImportedValue *v = importer.lookup(node.input(i));
  return v ? v->host.get() : nullptr;
}

FailureOr<const HostTensor *> NodeContext::requireHostInput(unsigned i,
                                                            StringRef what) {
  if (failed(input(i)))
    return failure();
  if (const HostTensor *t = hostInput(i))
    return t;
  emitError() << "input " << i << " ('" << what
              << "') must be known at compile time; qc compiles static "
                 "shapes (give dynamic input sizes with --input-shape)";
  return failure();
}

const onnx::AttributeProto *NodeContext::getAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const {
  return getAttr(name) != nullptr;
}

int64_t NodeContext::attrInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr ? attr->i() : defaultValue;
}

double NodeContext::attrFloat(StringRef name, double defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr ? attr->f() : defaultValue;
}

std::string NodeContext::attrString(StringRef name,
                                    StringRef defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr ? attr->s() : defaultValue.str();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef name) const {
  SmallVector<int64_t> result;
  if (const onnx::AttributeProto *attr = getAttr(name))
    result.assign(attr->ints().begin(), attr->ints().end());
  return result;
}

SmallVector<double> NodeContext::attrFloats(StringRef name) const {
  SmallVector<double> result;
  if (const onnx::AttributeProto *attr = getAttr(name))
    for (float f : attr->floats())
      result.push_back(f);
  return result;
}

const onnx::TensorProto *NodeContext::attrTensor(StringRef name) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr && attr->has_t() ? &attr->t() : nullptr;
}

const onnx::GraphProto *NodeContext::attrGraph(StringRef name) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr && attr->has_g() ? &attr->g() : nullptr;
}

unsigned NodeContext::numOutputs() const { return node.output_size(); }

bool NodeContext::hasOutput(unsigned i) const {
  return i < unsigned(node.output_size()) && !node.output(i).empty();
}

void NodeContext::setOutput(unsigned i, Value value, ONNXDType dtype) {
  if (!hasOutput(i))
    return;
  ImportedValue v;
  v.value = value;
  v.dtype = dtype;
  auto type = cast<ShapedType>(value.getType());
  v.shape.assign(type.getShape().begin(), type.getShape().end());
  // Record the ONNX tensor name on its producer, for calibration tables,
  // reports and QDQ export.
  if (Operation *op = value.getDefiningOp())
    if (op->getNumResults() == 1 && !getONNXTensorName(op))
      setONNXTensorName(op, node.output(i));
  importer.define(node.output(i), std::move(v));
}

void NodeContext::setHostOutput(unsigned i, HostTensor tensor) {
  if (!hasOutput(i))
    return;
  ImportedValue v;
  v.dtype = tensor.dtype;
  v.shape = tensor.shape;
  v.host = std::make_shared<HostTensor>(std::move(tensor));
  importer.define(node.output(i), std::move(v));
}

void NodeContext::setOutput(unsigned i, const ImportedValue &value) {
  if (!hasOutput(i))
    return;
  importer.define(node.output(i), value);
}

InFlightDiagnostic NodeContext::emitError() {
  std::string name = node.name().empty() ? "<unnamed>" : node.name();
  return mlir::emitError(location)
         << "ONNX op '" << node.op_type() << "' (node '" << name << "', opset "
         << opsetVersion << "): ";
}

LogicalResult NodeContext::error(const Twine &message) {
  emitError() << message;
  return failure();
}

InFlightDiagnostic NodeContext::emitWarning() {
  std::string name = node.name().empty() ? "<unnamed>" : node.name();
  return mlir::emitWarning(location)
         << "ONNX op '" << node.op_type() << "' (node '" << name << "', opset "
         << opsetVersion << "): ";
}

Type NodeContext::elementType(ONNXDType dtype) {
  Type type = getElementType(context(), dtype);
  if (!type)
    emitError() << "element type " << getDTypeName(dtype)
                << " is not supported";
  return type;
}

RankedTensorType NodeContext::tensorType(ArrayRef<int64_t> shape,
                                         ONNXDType dtype) {
  Type element = elementType(dtype);
  return element ? RankedTensorType::get(shape, element) : RankedTensorType();
}

Value NodeContext::materialize(const HostTensor &tensor) {
  return arith::ConstantOp::create(importer.constants, location,
                                   tensor.toAttr(context()));
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
    emitError() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<ImportedValue>>
NodeContext::importSubgraph(const onnx::GraphProto &graph,
                            OpBuilder &regionBuilder,
                            ArrayRef<ImportedValue> inputs) {
  GraphImporter sub(importer.ctx, importer.options, importer.baseDir,
                    importer.source, importer.opset, &importer);
  if (inputs.size() != size_t(graph.input_size())) {
    emitError() << "subgraph '" << graph.name() << "' takes "
                << graph.input_size() << " inputs, given " << inputs.size();
    return failure();
  }
  for (auto [i, v] : llvm::enumerate(inputs))
    sub.define(graph.input(i).name(), v);
  if (failed(sub.importInitializers(graph)) ||
      failed(sub.importNodes(graph, regionBuilder)))
    return failure();
  SmallVector<ImportedValue> outputs;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    ImportedValue *v = sub.lookup(output.name());
    if (!v) {
      emitError() << "subgraph output '" << output.name()
                  << "' is never computed";
      return failure();
    }
    ImportedValue copy = *v;
    if (!copy.value)
      copy.value = sub.materialize(output.name());
    outputs.push_back(copy);
  }
  return outputs;
}

//===----------------------------------------------------------------------===//
// Model import
//===----------------------------------------------------------------------===//

void mlir::qc::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, QCDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
}

std::string mlir::qc::parseInputShapeOption(StringRef spec,
                                            ONNXImportOptions &options) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || spec.find('=') == StringRef::npos)
    return "--input-shape expects NAME=D0,D1,..., got '" + spec.str() + "'";
  SmallVector<int64_t> shape;
  if (!dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, ',');
    for (StringRef part : parts) {
      int64_t d;
      if (part.trim().getAsInteger(10, d) || d < 0)
        return "--input-shape " + name.str() + ": '" + part.str() +
               "' is not a non-negative integer";
      shape.push_back(d);
    }
  }
  options.inputShapes[name] = shape;
  return "";
}

std::string mlir::qc::parseInputValueOption(StringRef spec,
                                            ONNXImportOptions &options) {
  size_t eq = spec.find('=');
  if (eq == StringRef::npos || eq == 0)
    return "--input-value expects NAME=V0,V1,... or NAME=@file.npy, got '" +
           spec.str() + "'";
  options.inputValues[spec.take_front(eq)] = spec.drop_front(eq + 1).str();
  return "";
}

/// Reads the compile-time value of graph input `name` (dtype and declared
/// shape from the model) from `spec`: "@file.npy" or "V0,V1,...".
static FailureOr<HostTensor> readInputValue(StringRef name, StringRef spec,
                                            ONNXDType dtype,
                                            ArrayRef<int64_t> declared,
                                            bool shapeKnown, Location loc) {
  HostTensor t;
  t.dtype = dtype;
  if (spec.starts_with("@")) {
    npz::Array array;
    std::string error;
    if (!npz::readNpy(spec.drop_front().str(), array, error))
      return emitError(loc) << "--input-value " << name << ": " << error;
    t.shape.assign(array.shape.begin(), array.shape.end());
    size_t n = array.numElements();
    auto at = [&](size_t i) -> double {
      const uint8_t *p = array.data.data();
      switch (array.dtype) {
      case QC_DTYPE_FLOAT32:
        return reinterpret_cast<const float *>(p)[i];
      case QC_DTYPE_FLOAT64:
        return reinterpret_cast<const double *>(p)[i];
      case QC_DTYPE_INT64:
        return double(reinterpret_cast<const int64_t *>(p)[i]);
      case QC_DTYPE_INT32:
        return reinterpret_cast<const int32_t *>(p)[i];
      case QC_DTYPE_INT16:
        return reinterpret_cast<const int16_t *>(p)[i];
      case QC_DTYPE_INT8:
        return reinterpret_cast<const int8_t *>(p)[i];
      case QC_DTYPE_UINT8:
      case QC_DTYPE_BOOL:
        return p[i];
      case QC_DTYPE_UINT16:
        return reinterpret_cast<const uint16_t *>(p)[i];
      default:
        return NAN;
      }
    };
    for (size_t i = 0; i < n; ++i) {
      double v = at(i);
      if (std::isnan(v) && isIntegerDType(dtype))
        return emitError(loc)
               << "--input-value " << name << ": unsupported .npy element type";
      if (isFloatDType(dtype))
        t.floats.push_back(v);
      else if (array.dtype == QC_DTYPE_INT64)
        t.ints.push_back(
            reinterpret_cast<const int64_t *>(array.data.data())[i]);
      else
        t.ints.push_back(int64_t(v));
    }
  } else {
    SmallVector<StringRef> parts;
    spec.split(parts, ',', -1, /*KeepEmpty=*/false);
    for (StringRef part : parts) {
      part = part.trim();
      if (isFloatDType(dtype)) {
        double v;
        if (part.getAsDouble(v))
          return emitError(loc) << "--input-value " << name << ": '" << part
                                << "' is not a number";
        t.floats.push_back(v);
      } else {
        int64_t v;
        if (part.getAsInteger(10, v))
          return emitError(loc) << "--input-value " << name << ": '" << part
                                << "' is not an integer";
        t.ints.push_back(v);
      }
    }
    int64_t n = std::max(t.floats.size(), t.ints.size());
    int64_t declaredCount = saturatingProduct(declared);
    if (shapeKnown && declaredCount == n)
      t.shape.assign(declared.begin(), declared.end());
    else if (n != 1 || (shapeKnown && !declared.empty()))
      t.shape = {n};
  }
  int64_t count = t.numElements();
  if (int64_t(std::max(t.floats.size(), t.ints.size())) != count)
    return emitError(loc) << "--input-value " << name
                          << ": the value count does not match its shape";
  if (shapeKnown && ArrayRef<int64_t>(t.shape) != declared)
    return emitError(loc) << "--input-value " << name << " has shape "
                          << formatShapeText(t.shape)
                          << " but the model declares "
                          << formatShapeText(declared);
  return t;
}

/// Checks what libonnx's IR builder (behind the version converter) takes for
/// granted and dereferences NULL without: every value a node or the graph
/// output reads is defined before it (in this graph or an enclosing one), and
/// no value is defined twice. The ONNX checker does not ensure the outputs
/// part (fuzz/regressions/onnx_import/convert-undefined-output.onnx).
static std::string checkValueDefinitions(const onnx::GraphProto &graph,
                                         llvm::StringSet<> scope) {
  auto define = [&](const std::string &name) -> std::string {
    if (!name.empty() && !scope.insert(name).second)
      return "value '" + name + "' of graph '" + graph.name() +
             "' is defined more than once";
    return "";
  };
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &init : graph.initializer()) {
    initializers.insert(init.name());
    if (std::string error = define(init.name()); !error.empty())
      return error;
  }
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!initializers.count(input.name()))
      if (std::string error = define(input.name()); !error.empty())
        return error;
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &input : node.input())
      if (!input.empty() && !scope.count(input))
        return "node '" + node.name() + "' (" + node.op_type() + ") reads '" +
               input + "', which is not defined before it";
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        if (std::string error = checkValueDefinitions(attr.g(), scope);
            !error.empty())
          return error;
      for (const onnx::GraphProto &sub : attr.graphs())
        if (std::string error = checkValueDefinitions(sub, scope);
            !error.empty())
          return error;
    }
    for (const std::string &output : node.output())
      if (std::string error = define(output); !error.empty())
        return error;
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    if (!scope.count(output.name()))
      return "graph output '" + output.name() + "' of graph '" + graph.name() +
             "' is never computed";
  return "";
}

namespace {
/// Drives the import of a whole model.
class ModelImporter {
public:
  ModelImporter(MLIRContext *ctx, const ONNXImportOptions &options,
                StringRef baseDir, StringRef source)
      : ctx(ctx), options(options), baseDir(baseDir.str()),
        source(source.str()) {}

  FailureOr<OwningOpRef<ModuleOp>> run(onnx::ModelProto &model);

private:
  Location fileLoc() { return FileLineColLoc::get(ctx, source, 0, 0); }
  LogicalResult applyInputShapes(onnx::GraphProto &graph);

  MLIRContext *ctx;
  const ONNXImportOptions &options;
  std::string baseDir;
  std::string source;
};
} // namespace

LogicalResult ModelImporter::applyInputShapes(onnx::GraphProto &graph) {
  llvm::StringSet<llvm::MallocAllocator> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());
  llvm::StringSet<llvm::MallocAllocator> seen;
  std::string inputNames;
  for (onnx::ValueInfoProto &input : *graph.mutable_input()) {
    if (initializers.count(input.name()))
      continue;
    inputNames += (inputNames.empty() ? "" : ", ") + input.name();
    auto it = options.inputShapes.find(input.name());
    if (it == options.inputShapes.end())
      continue;
    seen.insert(input.name());
    if (!input.type().has_tensor_type())
      return emitError(fileLoc())
             << "input '" << input.name() << "' is not a tensor";
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    ArrayRef<int64_t> given = it->second;
    if (shape->dim_size() != 0 && shape->dim_size() != int(given.size()))
      return emitError(fileLoc())
             << "--input-shape " << input.name() << " has rank " << given.size()
             << " but the model's input has rank " << shape->dim_size();
    for (int i = 0, e = shape->dim_size(); i < e; ++i) {
      const auto &dim = shape->dim(i);
      if (dim.has_dim_value() && dim.dim_value() != given[i])
        return emitError(fileLoc())
               << "--input-shape " << input.name() << ": dimension " << i
               << " is fixed to " << dim.dim_value() << " by the model, given "
               << given[i];
    }
    shape->clear_dim();
    for (int64_t d : given)
      shape->add_dim()->set_dim_value(d);
  }
  for (const auto &entry : options.inputShapes)
    if (!seen.count(entry.getKey()))
      return emitError(fileLoc())
             << "--input-shape names '" << entry.getKey()
             << "', which is not a graph input (inputs: " << inputNames << ")";
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> ModelImporter::run(onnx::ModelProto &model) {
  ctx->loadDialect<arith::ArithDialect, func::FuncDialect,
                   linalg::LinalgDialect, math::MathDialect, QCDialect,
                   scf::SCFDialect, tensor::TensorDialect>();
  int64_t opset = -1;
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  if (opset < 0)
    return emitError(fileLoc())
           << "model imports no default-domain (ai.onnx) opset";
  int maxOpset = maxKnownOpset();
  if (opset > maxOpset)
    return emitError(fileLoc())
           << "model uses opset " << opset
           << ", newer than the ONNX library qc was built with (opset "
           << maxOpset << "); convert it to opset " << maxOpset << " or lower";
  if (opset < kMinDirectOpset) {
    std::string error = checkValueDefinitions(model.graph(), {});
    if (!error.empty())
      return emitError(fileLoc())
             << "model uses opset " << opset
             << ", which needs the ONNX version converter, but its graph is "
                "malformed: "
             << error;
    if (!convertModelVersion(model, kMinDirectOpset, error))
      return emitError(fileLoc())
             << "model uses opset " << opset
             << " and the ONNX version converter could not convert it to "
                "opset "
             << kMinDirectOpset << ": " << error;
    opset = kMinDirectOpset;
  }

  onnx::GraphProto &graph = *model.mutable_graph();
  if (failed(applyInputShapes(graph)))
    return failure();
  if (options.runChecker) {
    std::string error;
    if (!checkModel(model, baseDir, error))
      return emitError(fileLoc()) << "invalid ONNX model: " << error;
  }
  // No ONNX shape inference: qc computes every shape itself, and libonnx
  // 1.12's inference dereferences NULL on a node input that nothing defines
  // (fuzz/regressions/onnx_import/shape-inference-undefined-input.onnx).

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  std::string modelName = options.modelName;
  if (modelName.empty())
    modelName = graph.name().empty() ? "model" : graph.name();
  (*module)->setAttr(kModelNameAttrName, StringAttr::get(ctx, modelName));
  (*module)->setAttr("qc.onnx_opset",
                     IntegerAttr::get(IntegerType::get(ctx, 64), opset));

  // Function inputs: graph inputs that are not initializers.
  llvm::StringSet<llvm::MallocAllocator> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());
  SmallVector<const onnx::ValueInfoProto *> inputs;
  SmallVector<Type> inputTypes;
  SmallVector<ONNXDType> inputDTypes;
  SmallVector<std::pair<std::string, HostTensor>> fixedInputs;
  llvm::StringSet<llvm::MallocAllocator> fixedSeen;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    auto fixed = options.inputValues.find(input.name());
    if (fixed != options.inputValues.end()) {
      fixedSeen.insert(input.name());
      const auto &tensorType = input.type().tensor_type();
      auto dtype = static_cast<ONNXDType>(tensorType.elem_type());
      if (!getElementType(ctx, dtype))
        return emitError(fileLoc())
               << "input '" << input.name() << "' has unsupported element type "
               << getDTypeName(dtype);
      SmallVector<int64_t> declared;
      bool shapeKnown = tensorType.has_shape();
      for (const auto &dim : tensorType.shape().dim()) {
        if (!dim.has_dim_value())
          shapeKnown = false;
        declared.push_back(dim.dim_value());
      }
      FailureOr<HostTensor> value = readInputValue(
          input.name(), fixed->second, dtype, declared, shapeKnown, fileLoc());
      if (failed(value))
        return failure();
      fixedInputs.push_back({input.name(), std::move(*value)});
      continue;
    }
    if (!input.type().has_tensor_type())
      return emitError(fileLoc())
             << "input '" << input.name()
             << "' is not a tensor (sequences, maps and optionals are not "
                "supported)";
    const auto &tensorType = input.type().tensor_type();
    auto dtype = static_cast<ONNXDType>(tensorType.elem_type());
    Type elementType = getElementType(ctx, dtype);
    if (!elementType || dtype == ONNXDType::Float8E4M3FN ||
        dtype == ONNXDType::Float8E5M2)
      return emitError(fileLoc())
             << "input '" << input.name() << "' has unsupported element type "
             << getDTypeName(dtype);
    if (!tensorType.has_shape())
      return emitError(fileLoc())
             << "input '" << input.name()
             << "' has no shape; give it with --input-shape " << input.name()
             << "=D0,D1,...";
    SmallVector<int64_t> shape;
    for (int i = 0, e = tensorType.shape().dim_size(); i < e; ++i) {
      const auto &dim = tensorType.shape().dim(i);
      if (!dim.has_dim_value() || dim.dim_value() < 0) {
        std::string symbol = dim.has_dim_param()
                                 ? " ('" + dim.dim_param() + "')"
                                 : std::string();
        return emitError(fileLoc())
               << "input '" << input.name() << "' has dynamic dimension " << i
               << symbol << "; give its size with --input-shape "
               << input.name() << "=D0,D1,...";
      }
      shape.push_back(dim.dim_value());
    }
    if (saturatingProduct(shape) > kMaxTensorElements)
      return emitError(fileLoc())
             << "input '" << input.name() << "' has shape "
             << formatShapeText(shape) << ", more than 2^40 elements; refused";
    inputs.push_back(&input);
    inputTypes.push_back(RankedTensorType::get(shape, elementType));
    inputDTypes.push_back(dtype);
  }

  OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module->getBody());
  auto func = func::FuncOp::create(moduleBuilder, fileLoc(), "main_graph",
                                   FunctionType::get(ctx, inputTypes, {}));
  Block *body = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);

  GraphImporter importer(ctx, options, baseDir, source, opset, nullptr);
  importer.constants = OpBuilder::atBlockBegin(body);
  for (auto [i, input] : llvm::enumerate(inputs)) {
    ImportedValue v;
    v.value = body->getArgument(i);
    v.dtype = inputDTypes[i];
    auto type = cast<RankedTensorType>(inputTypes[i]);
    v.shape.assign(type.getShape().begin(), type.getShape().end());
    importer.define(input->name(), v);
    func.setArgAttr(i, kNameAttrName, StringAttr::get(ctx, input->name()));
    func.setArgAttr(i, kDTypeAttrName,
                    IntegerAttr::get(IntegerType::get(ctx, 32),
                                     static_cast<int32_t>(inputDTypes[i])));
  }
  for (const auto &entry : options.inputValues)
    if (!fixedSeen.count(entry.getKey()))
      return emitError(fileLoc()) << "--input-value names '" << entry.getKey()
                                  << "', which is not a graph input";
  for (auto &[name, value] : fixedInputs) {
    ImportedValue v;
    v.dtype = value.dtype;
    v.shape = value.shape;
    v.host = std::make_shared<HostTensor>(std::move(value));
    importer.define(name, std::move(v));
  }
  if (failed(importer.importInitializers(graph)) ||
      failed(importer.importNodes(graph, b)))
    return failure();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<ONNXDType> resultDTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    ImportedValue *v = importer.lookup(output.name());
    if (!v)
      return emitError(fileLoc())
             << "graph output '" << output.name() << "' is never computed";
    // qc computes every type itself; a declared element type that disagrees
    // means the model is inconsistent (a declared shape may legitimately
    // differ after --input-shape, and is not checked).
    auto declared =
        static_cast<ONNXDType>(output.type().tensor_type().elem_type());
    if (output.type().has_tensor_type() && declared != ONNXDType::Undefined &&
        declared != v->dtype)
      return emitError(fileLoc()) << "graph output '" << output.name()
                                  << "' is declared " << getDTypeName(declared)
                                  << " but computes " << getDTypeName(v->dtype);
    Value value = importer.materialize(output.name());
    results.push_back(value);
    resultTypes.push_back(value.getType());
    resultDTypes.push_back(v->dtype);
  }
  func::ReturnOp::create(b, fileLoc(), results);
  func.setType(FunctionType::get(ctx, inputTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, kNameAttrName, StringAttr::get(ctx, output.name()));
    func.setResultAttr(i, kDTypeAttrName,
                       IntegerAttr::get(IntegerType::get(ctx, 32),
                                        static_cast<int32_t>(resultDTypes[i])));
  }
  if (failed(mlir::verify(*module)))
    return failure();
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::importONNXBytes(StringRef bytes, StringRef baseDir,
                          StringRef sourceName, MLIRContext *ctx,
                          const ONNXImportOptions &options) {
  onnx::ModelProto model;
  std::string error;
  if (!parseModelBytes(bytes.data(), bytes.size(), model, error))
    return emitError(FileLineColLoc::get(ctx, sourceName, 0, 0)) << error;
  ModelImporter importer(ctx, options, baseDir, sourceName);
  return importer.run(model);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::importONNXText(StringRef text, StringRef sourceName, MLIRContext *ctx,
                         const ONNXImportOptions &options) {
  onnx::ModelProto model;
  std::string error;
  if (!parseModelText(text.str(), model, error))
    return emitError(FileLineColLoc::get(ctx, sourceName, 0, 0)) << error;
  SmallString<256> dir(sourceName);
  llvm::sys::path::remove_filename(dir);
  ModelImporter importer(ctx, options, dir, sourceName);
  return importer.run(model);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::importONNXFile(StringRef path, MLIRContext *ctx,
                         const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(FileLineColLoc::get(ctx, path, 0, 0))
           << "cannot read '" << path << "': " << buffer.getError().message();
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (path.ends_with(".onnxtext"))
    return importONNXText((*buffer)->getBuffer(), path, ctx, options);
  return importONNXBytes((*buffer)->getBuffer(), dir, path, ctx, options);
}
