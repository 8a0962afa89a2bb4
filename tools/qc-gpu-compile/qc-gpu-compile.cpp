//===- qc-gpu-compile.cpp - Models for NVIDIA GPUs ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qc-gpu-compile model.{onnx,onnxtext,mlir} --gpu-arch=sm_89 -o model.so
//
// The CUDA target as a tool of its own, over the library functions of
// qc/Target/CUDA/Compile.h (which qc-compile --target=cuda calls too): imports
// (and optionally quantizes) an ONNX model, or reads tensor-level MLIR such as
// `qc-compile --emit=mlir` writes, and writes a GPU model .so (+ .h), the
// kernels' PTX, or the lowered MLIR.
//
//===----------------------------------------------------------------------===//

#include "qc/Compiler/Compiler.h"
#include "qc/InitAllQC.h"
#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/CUDA/Compile.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace llvm;

static cl::OptionCategory category("qc-gpu-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|.onnxtext|.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("so (model + header, default), ptx (the kernels), "
                  "lowered-mlir (host LLVM dialect + gpu.binary)"),
         cl::init("so"), cl::cat(category));
static cl::opt<std::string> gpuArch("gpu-arch",
                                    cl::desc("sm_80, sm_86, sm_89, sm_90a"),
                                    cl::init("sm_89"), cl::cat(category));
static cl::opt<bool> wgmma("gpu-wgmma",
                           cl::desc("wgmma.mma_async GEMMs (sm_90a)"),
                           cl::cat(category));
static cl::opt<int64_t> splitOutputs(
    "gpu-split-outputs",
    cl::desc("Neighbouring outputs per thread of reductions split across "
             "threads (GEMVs; 1, 2, 4, ...)"),
    cl::init(2));
static cl::opt<bool> noTensorCores("gpu-no-tensor-cores",
                                   cl::desc("Run every op as SIMT code"),
                                   cl::cat(category));
static cl::opt<bool>
    emulate("emulate",
            cl::desc("Testing without a GPU: the GPU lowering with its "
                     "kernels run as host loops, written as a CPU model"),
            cl::cat(category));
static cl::opt<std::string> headerFile("header", cl::desc("C header (.so)"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::opt<std::string> modelName("name", cl::desc("Model name"),
                                      cl::cat(category));
static cl::opt<std::string> quantize("quantize",
                                     cl::desc("int8 (ONNX input; needs "
                                              "--calib)"),
                                     cl::cat(category));
static cl::opt<std::string> calib("calib", cl::desc("Calibration .npz"),
                                  cl::cat(category));
static cl::opt<std::string> activationType("activation-type",
                                           cl::desc("u8 (default) or i8"),
                                           cl::init("u8"), cl::cat(category));
static cl::list<std::string>
    inputShapes("input-shape", cl::desc("NAME=D0,D1,..."), cl::cat(category));

static int fail(const Twine &message) {
  WithColor::error(errs(), "qc-gpu-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "qc-gpu-compile: compile a model for an NVIDIA "
                              "GPU\n");
  if (emit != "so" && emit != "ptx" && emit != "lowered-mlir")
    return fail("unknown --emit=" + emit);
  StringRef stem = sys::path::stem(inputFile);
  std::string output = outputFile;
  if (output.empty()) {
    SmallString<256> path(inputFile);
    sys::path::replace_extension(path, emit == "so"    ? ".so"
                                       : emit == "ptx" ? ".ptx"
                                                       : ".lowered.mlir");
    output = std::string(path);
  }

  DialectRegistry registry;
  qc::registerAllQCDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  qc::GPUCompileOptions options;
  options.arch = gpuArch;
  options.wgmma = wgmma;
  options.splitOutputs = splitOutputs;
  options.tensorCores = !noTensorCores;
  options.emulate = emulate;
  options.symbolName = qc::sanitizeCIdentifier(
      modelName.empty() ? sys::path::stem(output) : StringRef(modelName));

  OwningOpRef<ModuleOp> module;
  if (StringRef(inputFile).ends_with(".mlir")) {
    module = parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
    if (!module)
      return 1;
  } else {
    qc::CompileOptions compile;
    compile.inputPath = inputFile;
    compile.import.modelName = modelName.empty() ? stem.str() : modelName;
    for (const std::string &spec : inputShapes) {
      std::string error = qc::parseInputShapeOption(spec, compile.import);
      if (!error.empty())
        return fail(error);
    }
    compile.quantize = quantize;
    compile.calibPath = calib;
    compile.activationType = activationType;
    auto built = qc::buildModule(&context, compile);
    if (failed(built))
      return 1;
    module = std::move(*built);
  }

  if (emit == "so") {
    std::string header = headerFile;
    if (header.empty()) {
      SmallString<256> path(output);
      sys::path::replace_extension(path, ".h");
      header = std::string(path);
    }
    return failed(qc::emitCUDASharedObject(*module, options, output, header))
               ? 1
               : 0;
  }
  std::string error;
  auto file = openOutputFile(output, &error);
  if (!file)
    return fail(error);
  if (emit == "ptx") {
    if (failed(qc::emitCUDAPTX(*module, options, file->os())))
      return 1;
  } else {
    if (failed(qc::lowerModuleForCUDA(*module, options)))
      return 1;
    module->print(file->os());
  }
  file->keep();
  return 0;
}
