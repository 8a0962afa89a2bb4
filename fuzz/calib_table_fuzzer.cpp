//===- calib_table_fuzzer.cpp - libFuzzer target: calibration tables ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to readCalibrationTable() (`qc-compile
// --calib-table`), through a file since that is the function's interface.
// A table it accepts is then used the way qc-compile uses it: the model in
// Inputs/calib_model.onnxtext is quantized to int8 with it, so hostile
// statistics (empty or huge histograms, channel arrays of any length, extreme
// ranges) reach the calibration methods, SmoothQuant and qc-quantize.
//
// The input's length picks the calibration method (minmax, percentile,
// entropy, mse, or minmax with SmoothQuant), so every method sees every kind
// of table. A finding is a crash, a sanitizer report, a failure without an
// error diagnostic, or a result that does not verify.
//
//===----------------------------------------------------------------------===//

#include "qc/Compiler/Compiler.h"
#include "qc/InitAllQC.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

static DialectRegistry *registry;
static std::string tablePath;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registry = new DialectRegistry();
  qc::registerAllQCDialects(*registry);
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("qc-calib-fuzz", dir)) {
    std::fprintf(stderr, "cannot create a temporary folder\n");
    std::abort();
  }
  llvm::sys::path::append(dir, "table.json");
  tablePath = dir.str().str();
  return 0;
}

[[noreturn]] static void finding(const char *what) {
  std::fprintf(stderr, "calib_table_fuzzer: %s\n", what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tablePath, ec);
    if (ec)
      finding("cannot write the table file");
    os.write(reinterpret_cast<const char *>(data), size);
  }
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  unsigned errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    return success();
  });
  FailureOr<llvm::StringMap<qc::TensorStatistics>> table =
      qc::readCalibrationTable(tablePath, UnknownLoc::get(&context));
  if (failed(table)) {
    if (errors == 0)
      finding("readCalibrationTable failed without an error message");
    return 0;
  }
  if (errors != 0)
    finding("readCalibrationTable succeeded but reported an error");
  if (table->empty())
    return 0;

  qc::CompileOptions options;
  options.inputPath = QC_FUZZ_CALIB_MODEL;
  options.quantize = "int8";
  options.calibTable = tablePath;
  static const char *const methods[] = {"minmax", "percentile", "entropy",
                                        "mse", "minmax"};
  unsigned choice = size % 5;
  options.calibMethod = methods[choice];
  if (choice == 4)
    options.smoothQuantAlpha = 0.5;
  FailureOr<OwningOpRef<ModuleOp>> module = qc::buildModule(&context, options);
  if (failed(module)) {
    if (errors == 0)
      finding("quantizing with the table failed without an error message");
    return 0;
  }
  if (errors != 0)
    finding("quantizing with the table succeeded but reported an error");
  if (failed(verify(**module)))
    finding("the quantized module does not verify");
  return 0;
}
