//===- ONNXCalls.cpp - libonnx calls behind an exception wall -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions (see CMakeLists.txt). Nothing thrown here may
// escape: every entry point catches all exceptions.
//
//===----------------------------------------------------------------------===//

#include "ONNXCalls.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <climits>
#include <exception>

using namespace mlir::qc::onnx_export;

bool mlir::qc::onnx_export::parseModel(const char *data, size_t size,
                                       bool isText, onnx::ModelProto &model,
                                       std::string &error) {
  try {
    if (isText) {
      // The parser keeps a pointer into the text: it must outlive Parse().
      std::string text(data, size);
      onnx::OnnxParser parser(text.c_str());
      onnx::Status status = parser.Parse(model);
      if (!status.IsOK()) {
        error = "invalid ONNX text: " + status.ErrorMessage();
        return false;
      }
      return true;
    }
    if (size > size_t(INT_MAX)) {
      error = "model file is larger than 2 GiB";
      return false;
    }
    if (!model.ParseFromArray(data, static_cast<int>(size))) {
      error = "not a valid ONNX protobuf (ModelProto) file";
      return false;
    }
  } catch (const std::exception &e) {
    error = std::string("cannot parse the model: ") + e.what();
    return false;
  } catch (...) {
    error = "cannot parse the model";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_export::checkModel(const onnx::ModelProto &model,
                                       std::string &error) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  } catch (...) {
    error = "unknown checker failure";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_export::typeCheckModel(const onnx::ModelProto &model,
                                           std::string &error) {
  try {
    // The checker looks at each node alone; strict inference also checks
    // that the types flowing between nodes agree (e.g. a zero point's type
    // with the quantized tensor's).
    onnx::ModelProto copy = model;
    onnx::ShapeInferenceOptions options(/*check_type=*/true,
                                        /*strict_mode=*/1,
                                        /*data_prop=*/false);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                       options);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  } catch (...) {
    error = "type inference failed";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_export::serializeModel(const onnx::ModelProto &model,
                                           std::string &bytes,
                                           std::string &error) {
  try {
    if (model.ByteSizeLong() > size_t(INT_MAX)) {
      error = "the model would be larger than protobuf's 2 GiB limit";
      return false;
    }
    if (!model.SerializeToString(&bytes)) {
      error = "protobuf serialization failed";
      return false;
    }
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  } catch (...) {
    error = "protobuf serialization failed";
    return false;
  }
  return true;
}
