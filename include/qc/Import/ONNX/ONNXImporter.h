//===- ONNXImporter.h - ONNX model to MLIR ----------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (protobuf file, bytes, or ONNX text syntax) into a
// module with one `func.func @main_graph` on static-shape tensors: qc
// compute ops (qc.matmul, qc.conv) plus linalg/tensor/arith/math/scf for the
// rest. Weights become constants backed by `dense_resource` blobs. Every op
// carries the location `NameLoc(<ONNX node name>)`.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_ONNX_ONNXIMPORTER_H
#define QC_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::qc {

struct ONNXImportOptions {
  /// Static sizes for graph inputs, overriding (and filling in dynamic)
  /// dimensions: name -> [d0, d1, ...].
  llvm::StringMap<SmallVector<int64_t>> inputShapes;
  /// Graph inputs fixed at compile time (they become constants and leave
  /// the model's signature): name -> "V0,V1,..." or "@file.npy". Shape
  /// inputs of ops like Reshape or Slice must be known at compile time.
  llvm::StringMap<std::string> inputValues;
  /// Name recorded as the model name; defaults to the graph name.
  std::string modelName;
  /// Run onnx::checker on the model before importing.
  bool runChecker = true;
  /// Initializers with at most this many elements become inline `dense`
  /// constants (readable, foldable); larger ones become `dense_resource`.
  int64_t inlineConstantLimit = 256;
};

/// Adds the dialects the importer creates ops of.
void registerONNXImportDialects(DialectRegistry &registry);

/// Imports the model at `path` (binary protobuf, or ONNX text syntax if the
/// file name ends in `.onnxtext`). Errors are reported as diagnostics on
/// `context`, naming the node, op type and opset where one is involved.
FailureOr<OwningOpRef<ModuleOp>>
importONNXFile(llvm::StringRef path, MLIRContext *context,
               const ONNXImportOptions &options = {});

/// Imports a serialized ModelProto. External data files are resolved
/// relative to `baseDir` and may not leave it.
FailureOr<OwningOpRef<ModuleOp>>
importONNXBytes(llvm::StringRef bytes, llvm::StringRef baseDir,
                llvm::StringRef sourceName, MLIRContext *context,
                const ONNXImportOptions &options = {});

/// Imports a model written in the ONNX text syntax (onnx::OnnxParser).
FailureOr<OwningOpRef<ModuleOp>>
importONNXText(llvm::StringRef text, llvm::StringRef sourceName,
               MLIRContext *context, const ONNXImportOptions &options = {});

/// Parses "NAME=D0,D1,..." into `options.inputShapes`. Returns an error
/// message, or an empty string on success.
std::string parseInputShapeOption(llvm::StringRef spec,
                                  ONNXImportOptions &options);

/// Parses "NAME=V0,V1,..." or "NAME=@file.npy" into `options.inputValues`.
std::string parseInputValueOption(llvm::StringRef spec,
                                  ONNXImportOptions &options);

} // namespace mlir::qc

#endif // QC_IMPORT_ONNX_ONNXIMPORTER_H
