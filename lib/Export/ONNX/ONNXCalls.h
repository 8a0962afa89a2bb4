//===- ONNXCalls.h - libonnx calls behind an exception wall -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// libonnx throws; qc is built without exceptions. These functions live in
// the export library's only translation unit compiled with -fexceptions and
// turn anything thrown into an error message.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXPORT_ONNX_ONNXCALLS_H
#define QC_LIB_EXPORT_ONNX_ONNXCALLS_H

#include <cstddef>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::qc::onnx_export {

/// Parses a binary ModelProto, or the ONNX text syntax if `isText`.
bool parseModel(const char *data, size_t size, bool isText,
                onnx::ModelProto &model, std::string &error);

/// Runs onnx::checker::check_model.
bool checkModel(const onnx::ModelProto &model, std::string &error);

/// Runs strict, type-checking shape inference on a copy of `model`.
bool typeCheckModel(const onnx::ModelProto &model, std::string &error);

/// Serializes `model`; fails beyond protobuf's 2 GiB limit.
bool serializeModel(const onnx::ModelProto &model, std::string &bytes,
                    std::string &error);

} // namespace mlir::qc::onnx_export

#endif // QC_LIB_EXPORT_ONNX_ONNXCALLS_H
