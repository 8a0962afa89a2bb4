//===- ModelSignature.h - Inputs and outputs of a compiled model -*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_AOT_MODELSIGNATURE_H
#define QC_TARGET_AOT_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "qc/Utils/DType.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir::qc {

/// Attribute names the importer sets on the entry function.
constexpr llvm::StringLiteral kNameAttrName = "qc.name";
constexpr llvm::StringLiteral kDTypeAttrName = "qc.dtype";
constexpr llvm::StringLiteral kModelNameAttrName = "qc.model_name";
constexpr llvm::StringLiteral kSignatureAttrName = "qc.signature";
/// Bytes of the workspace qc-aot-plan-workspace gave the entry function (an
/// extra, last argument), on the module.
constexpr llvm::StringLiteral kWorkspaceAttrName = "qc.workspace_size";
/// Records the ONNX tensor (or initializer) name of `op`'s single result in
/// its location (as fused-location metadata, so that it survives rewrites
/// that keep locations and stays out of the printed IR).
void setONNXTensorName(Operation *op, StringRef name);

/// The ONNX tensor name recorded for `op`'s result, if any.
std::optional<StringRef> getONNXTensorName(Operation *op);

struct TensorSignature {
  std::string name;
  ONNXDType dtype;
  SmallVector<int64_t> shape;
};

/// The inputs and outputs of a compiled model, in call order.
struct ModelSignature {
  std::string modelName;
  SmallVector<TensorSignature> inputs;
  SmallVector<TensorSignature> outputs;

  /// Reads the signature of an entry function on static-shape tensors, with
  /// names and dtypes from its `qc.name` / `qc.dtype` argument and result
  /// attributes. Reports dynamic shapes and non-tensor types at `func`.
  static FailureOr<ModelSignature> fromFunction(func::FuncOp func);

  /// The text form embedded in the shared object (see qc_runtime.h).
  std::string toText() const;

  /// A C header declaring `<prefix>_invoke` and typed `<prefix>_run`.
  std::string toCHeader(llvm::StringRef prefix) const;
};

/// Turns `name` into a valid C identifier (used for symbol prefixes).
std::string sanitizeCIdentifier(llvm::StringRef name);

} // namespace mlir::qc

#endif // QC_TARGET_AOT_MODELSIGNATURE_H
