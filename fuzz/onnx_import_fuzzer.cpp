//===- onnx_import_fuzzer.cpp - libFuzzer target: the ONNX importer -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to importONNXBytes(), which parses them as a
// ModelProto, runs onnx::checker (and the version converter for old opsets)
// and imports the graph.
// A run must end in a module or in failure with at least one error
// diagnostic; anything else (a crash, a sanitizer report, a failure without a
// message, an error diagnostic on success) is a finding.
//
// Inputs of odd length are imported with the ONNX checker off, as
// `qc-compile --no-onnx-checker` does, so that the importer also sees graphs
// the checker would have rejected.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/ONNX/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

static DialectRegistry *registry;
/// A folder holding one 4 KiB file, `weights.bin`, for seeds with external
/// data (anything else they name does not exist or escapes the folder).
static std::string baseDir;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registry = new DialectRegistry();
  qc::registerONNXImportDialects(*registry);
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("qc-onnx-fuzz", dir)) {
    std::fprintf(stderr, "cannot create a temporary folder\n");
    std::abort();
  }
  baseDir = dir.str().str();
  llvm::SmallString<128> weights(dir);
  llvm::sys::path::append(weights, "weights.bin");
  std::error_code ec;
  llvm::raw_fd_ostream os(weights, ec);
  for (int i = 0; i < 4096; ++i)
    os << char(i * 37);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  unsigned errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    return success();
  });
  qc::ONNXImportOptions options;
  options.runChecker = size % 2 == 0;
  FailureOr<OwningOpRef<ModuleOp>> module = qc::importONNXBytes(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), baseDir,
      "fuzz.onnx", &context, options);
  if (failed(module) && errors == 0) {
    std::fprintf(stderr, "import failed without an error message\n");
    std::abort();
  }
  if (succeeded(module) && errors != 0) {
    std::fprintf(stderr, "import succeeded but reported an error\n");
    std::abort();
  }
  return 0;
}
