//===- QCPlugin.cpp - qc as a plugin for a stock mlir-opt -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One shared object that is both a dialect plugin and a pass plugin:
//
//   mlir-opt --load-dialect-plugin=libQCPlugin.so \
//            --load-pass-plugin=libQCPlugin.so \
//            --pass-pipeline="builtin.module(func.func(convert-qc-to-linalg))"
//
// Debian's mlir-opt links libMLIR.so dynamically and so does this plugin, so
// both use the one copy of MLIR in the process (one set of TypeIDs and
// registries). Pass flags of a plugin are unknown when mlir-opt parses its
// command line, so name qc passes in --pass-pipeline.
//
//===----------------------------------------------------------------------===//

#include "qc/InitAllQC.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {
      MLIR_PLUGIN_API_VERSION, "qc", LLVM_VERSION_STRING,
      [](DialectRegistry *registry) { qc::registerAllQCDialects(*registry); }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "qc", LLVM_VERSION_STRING,
          []() { qc::registerAllQCPasses(); }};
}
