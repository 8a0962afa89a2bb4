//===- qc-translate.cpp - qc translation driver ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with qc's translations:
//
//   qc-translate --import-onnx model.onnx [--input-shape x=1,3,224,224]
//
//===----------------------------------------------------------------------===//

#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAllQC.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static llvm::cl::list<std::string> inputShapes(
    "input-shape",
    llvm::cl::desc("With --import-onnx: static shape of a graph input, "
                   "NAME=D0,D1,... (repeatable)"),
    llvm::cl::value_desc("NAME=D0,D1,..."));
static llvm::cl::list<std::string> inputValues(
    "input-value",
    llvm::cl::desc("With --import-onnx: fix a graph input at compile time, "
                   "NAME=V0,V1,... or NAME=@file.npy (repeatable)"),
    llvm::cl::value_desc("NAME=VALUES"));
static llvm::cl::opt<bool>
    noChecker("no-onnx-checker",
              llvm::cl::desc("With --import-onnx: skip onnx::checker"));

int main(int argc, char **argv) {
  TranslateToMLIRRegistration importONNX(
      "import-onnx", "Import an ONNX model (.onnx or .onnxtext)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        qc::ONNXImportOptions options;
        options.runChecker = !noChecker;
        for (const std::string &spec : inputShapes) {
          std::string error = qc::parseInputShapeOption(spec, options);
          if (!error.empty()) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
        }
        for (const std::string &spec : inputValues) {
          std::string error = qc::parseInputValueOption(spec, options);
          if (!error.empty()) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
        }
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buffer->getBufferIdentifier();
        SmallString<256> dir(name);
        llvm::sys::path::remove_filename(dir);
        FailureOr<OwningOpRef<ModuleOp>> module =
            name.ends_with(".onnxtext")
                ? qc::importONNXText(buffer->getBuffer(), name, context,
                                     options)
                : qc::importONNXBytes(buffer->getBuffer(), dir, name, context,
                                      options);
        if (failed(module))
          return nullptr;
        return OwningOpRef<Operation *>(module->release());
      },
      [](DialectRegistry &registry) { qc::registerAllQCDialects(registry); });
  return failed(mlirTranslateMain(argc, argv, "qc translation driver"));
}
