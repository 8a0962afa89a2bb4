//===- ModelLoader.cpp - libonnx calls behind an exception wall -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions (see CMakeLists.txt). Nothing thrown here may
// escape: every entry point catches all exceptions.
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/version_converter/convert.h"

#include <climits>
#include <exception>
#include <unordered_map>

using namespace mlir::qc::onnx_import;

bool mlir::qc::onnx_import::parseModelBytes(const char *data, size_t size,
                                            onnx::ModelProto &model,
                                            std::string &error) {
  if (size > size_t(INT_MAX)) {
    error = "model file is larger than 2 GiB; store the weights as external "
            "data";
    return false;
  }
  try {
    if (!model.ParseFromArray(data, static_cast<int>(size))) {
      error = "not a valid ONNX protobuf (ModelProto) file";
      return false;
    }
  } catch (const std::exception &e) {
    error = std::string("not a valid ONNX protobuf file: ") + e.what();
    return false;
  } catch (...) {
    error = "not a valid ONNX protobuf file";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_import::parseModelText(const std::string &text,
                                           onnx::ModelProto &model,
                                           std::string &error) {
  try {
    onnx::OnnxParser parser(text.c_str());
    onnx::Status status = parser.Parse(model);
    if (!status.IsOK()) {
      error = "invalid ONNX text: " + status.ErrorMessage();
      return false;
    }
  } catch (const std::exception &e) {
    error = std::string("invalid ONNX text: ") + e.what();
    return false;
  } catch (...) {
    error = "invalid ONNX text";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_import::checkModel(const onnx::ModelProto &model,
                                       const std::string &modelDir,
                                       std::string &error) {
  try {
    onnx::checker::CheckerContext ctx;
    ctx.set_ir_version(static_cast<int>(model.ir_version()));
    std::unordered_map<std::string, int> opsets;
    for (const auto &opset : model.opset_import())
      opsets[opset.domain()] = static_cast<int>(opset.version());
    ctx.set_opset_imports(opsets);
    ctx.set_model_dir(modelDir);
    ctx.set_schema_registry(onnx::OpSchemaRegistry::Instance());
    ctx.set_is_main_graph(true);
    onnx::checker::LexicalScopeContext lexicalScope;
    onnx::checker::check_graph(model.graph(), ctx, lexicalScope);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  } catch (...) {
    error = "unknown checker failure";
    return false;
  }
  return true;
}

bool mlir::qc::onnx_import::convertModelVersion(onnx::ModelProto &model,
                                                int targetOpset,
                                                std::string &error) {
  try {
    model = onnx::version_conversion::ConvertVersion(model, targetOpset);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  } catch (...) {
    error = "unknown version converter failure";
    return false;
  }
  return true;
}

int mlir::qc::onnx_import::maxKnownOpset() {
  try {
    return onnx::OpSchemaRegistry::DomainToVersionRange::Instance()
        .Map()
        .at(onnx::ONNX_DOMAIN)
        .second;
  } catch (...) {
    return 17;
  }
}
