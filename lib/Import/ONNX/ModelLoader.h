//===- ModelLoader.h - libonnx calls behind an exception wall ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// libonnx reports problems by throwing; qc is built without exceptions. The
// functions declared here live in the only translation unit compiled with
// -fexceptions, catch everything libonnx throws and return an error message.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNX_MODELLOADER_H
#define QC_LIB_IMPORT_ONNX_MODELLOADER_H

#include <cstddef>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::qc::onnx_import {

/// Parses a binary ModelProto. Returns false and sets `error` on failure.
bool parseModelBytes(const char *data, size_t size, onnx::ModelProto &model,
                     std::string &error);

/// Parses the ONNX text syntax.
bool parseModelText(const std::string &text, onnx::ModelProto &model,
                    std::string &error);

/// Runs onnx::checker on the model; external data is looked up relative to
/// `modelDir`.
bool checkModel(const onnx::ModelProto &model, const std::string &modelDir,
                std::string &error);

/// Converts the model's default-domain opset to `targetOpset`.
bool convertModelVersion(onnx::ModelProto &model, int targetOpset,
                         std::string &error);

/// The highest default-domain opset libonnx knows.
int maxKnownOpset();

} // namespace mlir::qc::onnx_import

#endif // QC_LIB_IMPORT_ONNX_MODELLOADER_H
