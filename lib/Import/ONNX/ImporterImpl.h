//===- ImporterImpl.h - ONNX importer internals -----------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The pieces op handlers are written against: HostTensor (a value known at
// compile time), ImportedValue (an ONNX value during import), NodeContext
// (one node: inputs, attributes, outputs, diagnostics) and OpRegistry (the
// table of handlers keyed by op type and opset).
//
// A handler reads its inputs and attributes from the NodeContext, builds IR
// with ctx.builder() at ctx.loc(), and sets every output it produces. When all
// inputs an op needs are known at compile time and small, it may compute the
// result on the host (setHostOutput) instead: shape computations (Shape ->
// Gather -> Concat -> Reshape) must fold this way because every tensor is
// compiled with a static shape.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNX_IMPORTERIMPL_H
#define QC_LIB_IMPORT_ONNX_IMPORTERIMPL_H

#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/Utils/DType.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
class GraphProto;
class TensorProto;
class AttributeProto;
class ValueInfoProto;
} // namespace onnx

namespace mlir::qc::onnx_import {

/// Largest tensor (in elements) the importer evaluates on the host.
constexpr int64_t kMaxHostElements = 1 << 20;

/// Largest tensor (in elements) the importer creates at all. Shapes come
/// from the model file, where a few bytes can declare an exabyte tensor; at
/// 2^40 elements every byte count still fits in an int64.
constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// `a * b`, saturated at INT64_MAX (INT64_MIN if negative) instead of
/// overflowing: dimensions come from untrusted files.
inline int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}

/// The product of `dims`, saturated like saturatingMul.
inline int64_t saturatingProduct(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n = saturatingMul(n, d);
  return n;
}

/// A tensor whose contents are known at compile time. Integer and bool
/// elements are held as int64, float elements as double.
struct HostTensor {
  ONNXDType dtype = ONNXDType::Undefined;
  SmallVector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> floats;

  bool isFloat() const { return isFloatDType(dtype); }
  int64_t numElements() const;
  int64_t rank() const { return shape.size(); }
  /// Element `i` as int64 / double, whatever the storage.
  int64_t getInt(int64_t i) const;
  double getDouble(int64_t i) const;
  /// All elements as int64 (floats truncated toward zero).
  std::vector<int64_t> toInts() const;

  static HostTensor fromInts(ONNXDType dtype, ArrayRef<int64_t> shape,
                             std::vector<int64_t> values);
  static HostTensor fromFloats(ONNXDType dtype, ArrayRef<int64_t> shape,
                               std::vector<double> values);
  /// Copies a dense constant (at most kMaxHostElements elements).
  static std::optional<HostTensor> fromAttr(ElementsAttr attr, ONNXDType dtype);
  /// The constant as a DenseElementsAttr of the MLIR element type.
  DenseElementsAttr toAttr(MLIRContext *context) const;
};

/// An ONNX value while importing: the MLIR value (created lazily for
/// compile-time constants), its ONNX dtype and static shape, and its
/// contents when they are known at compile time.
struct ImportedValue {
  Value value;
  ONNXDType dtype = ONNXDType::Undefined;
  SmallVector<int64_t> shape;
  /// Known contents, if small enough to keep on the host.
  std::shared_ptr<const HostTensor> host;
  /// Known contents of a (possibly large) constant, e.g. a weight.
  ElementsAttr constant;

  bool isConstant() const { return host || constant; }
};

class GraphImporter;

/// Everything a handler sees of one ONNX node.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              int64_t opset, OpBuilder &builder, Location loc);

  StringRef opType() const;
  StringRef nodeName() const;
  int64_t opset() const { return opsetVersion; }
  OpBuilder &builder() { return b; }
  Location loc() const { return location; }
  MLIRContext *context() const { return b.getContext(); }
  const onnx::NodeProto &proto() const { return node; }
  GraphImporter &graph() { return importer; }

  //===--- Inputs
  //----------------------------------------------------------===//
  /// Number of inputs listed on the node (including empty optional ones).
  unsigned numInputs() const;
  /// True if input `i` is listed and not the empty name.
  bool hasInput(unsigned i) const;
  /// The input, or an error naming it if it is absent or unknown.
  FailureOr<ImportedValue> input(unsigned i);
  /// The input as an MLIR value (materializing constants). Null on error,
  /// after reporting it.
  Value inputValue(unsigned i);
  /// The input's contents if known at compile time (and small), else null.
  const HostTensor *hostInput(unsigned i);
  /// Like hostInput, but an error (naming `what`) if it is not known.
  FailureOr<const HostTensor *> requireHostInput(unsigned i, StringRef what);

  //===--- Attributes
  //------------------------------------------------------===//
  bool hasAttr(StringRef name) const;
  const onnx::AttributeProto *getAttr(StringRef name) const;
  int64_t attrInt(StringRef name, int64_t defaultValue) const;
  double attrFloat(StringRef name, double defaultValue) const;
  std::string attrString(StringRef name, StringRef defaultValue = "") const;
  SmallVector<int64_t> attrInts(StringRef name) const;
  SmallVector<double> attrFloats(StringRef name) const;
  const onnx::TensorProto *attrTensor(StringRef name) const;
  const onnx::GraphProto *attrGraph(StringRef name) const;

  //===--- Outputs
  //---------------------------------------------------------===//
  unsigned numOutputs() const;
  /// True if output `i` is listed and not the empty name (i.e. used).
  bool hasOutput(unsigned i) const;
  /// Sets output `i` to an MLIR tensor value of the given ONNX dtype.
  void setOutput(unsigned i, Value value, ONNXDType dtype);
  /// Sets output `i` to a compile-time constant.
  void setHostOutput(unsigned i, HostTensor tensor);
  /// Sets output `i` to an already-imported value (Identity, Dropout, ...).
  void setOutput(unsigned i, const ImportedValue &value);

  //===--- Helpers
  //---------------------------------------------------------===//
  /// Reports an error prefixed with the op type, node name and opset.
  InFlightDiagnostic emitError();
  LogicalResult error(const Twine &message);
  /// Emits a warning prefixed like emitError.
  InFlightDiagnostic emitWarning();
  /// The MLIR element type for `dtype`; reports unsupported ones.
  Type elementType(ONNXDType dtype);
  RankedTensorType tensorType(ArrayRef<int64_t> shape, ONNXDType dtype);
  /// Materializes a host tensor as an arith.constant.
  Value materialize(const HostTensor &tensor);
  /// Normalizes a possibly negative axis against `rank`; error if out of
  /// range.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                   StringRef what = "axis");
  /// Imports a subgraph (If/Loop body) with the builder positioned inside
  /// the region that should hold it; the subgraph sees the enclosing scope.
  /// Returns its outputs.
  FailureOr<SmallVector<ImportedValue>>
  importSubgraph(const onnx::GraphProto &graph, OpBuilder &regionBuilder,
                 ArrayRef<ImportedValue> inputs = {});

private:
  GraphImporter &importer;
  const onnx::NodeProto &node;
  int64_t opsetVersion;
  OpBuilder &b;
  Location location;
};

/// An op handler. Returns failure after reporting an error.
using OpHandler = std::function<LogicalResult(NodeContext &)>;

/// The table of op handlers, keyed by op type and opset.
class OpRegistry {
public:
  /// Registers `handler` for `opType` at opsets [minOpset, maxOpset].
  void add(StringRef opType, OpHandler handler, int64_t minOpset = 1,
           int64_t maxOpset = 1 << 30);
  /// The handler for `opType` at `opset`, or null.
  const OpHandler *lookup(StringRef opType, int64_t opset) const;
  /// True if some opset of `opType` has a handler.
  bool knows(StringRef opType) const;
  /// The opset ranges `opType` is supported at, for messages ("7-17").
  std::string supportedOpsets(StringRef opType) const;

  static const OpRegistry &get();

private:
  struct Entry {
    int64_t minOpset, maxOpset;
    OpHandler handler;
  };
  llvm::StringMap<std::vector<Entry>> entries;
};

// Handler groups; each lives in Ops/<Group>.cpp.
void registerElementwiseOps(OpRegistry &registry);
void registerLinearOps(OpRegistry &registry);
void registerTensorOps(OpRegistry &registry);
void registerNNOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerControlFlowOps(OpRegistry &registry);
void registerRNNOps(OpRegistry &registry);
void registerTensorExtraOps(OpRegistry &registry);
void registerQuantOps(OpRegistry &registry);

/// Converts an ONNX TensorProto (initializer or Constant value) into an
/// elements attribute: inline `dense` up to `inlineLimit` elements, else a
/// `dense_resource` blob. External data is read relative to `baseDir` and
/// may not leave it. Returns an error message on failure.
FailureOr<ElementsAttr>
convertTensorProto(const onnx::TensorProto &tensor, MLIRContext *context,
                   StringRef baseDir, int64_t inlineLimit, std::string &error);

/// Reads the dtype and static shape of a TensorProto.
ONNXDType getTensorProtoDType(const onnx::TensorProto &tensor);

} // namespace mlir::qc::onnx_import

#endif // QC_LIB_IMPORT_ONNX_IMPORTERIMPL_H
