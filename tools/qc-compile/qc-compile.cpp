//===- qc-compile.cpp - ONNX model to native shared object ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qc-compile model.onnx -o model.so
//
// Imports the model, runs the CPU pipeline (the same one `qc-opt
// --qc-cpu-pipeline` runs), generates machine code with LLVM and links a
// shared object plus a C header describing its entry point.
//
//===----------------------------------------------------------------------===//

#include "qc/Compiler/Compiler.h"
#include "qc/Compiler/Report.h"
#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAllQC.h"
#include "qc/Pipelines/Pipelines.h"
#include "qc/Target/AOT/Codegen.h"
#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Utils/Locations.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Timer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

static cl::OptionCategory category("qc-compile options");

static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|model.onnxtext>"),
                                      cl::cat(category));
static cl::opt<std::string>
    outputFile("o", cl::desc("Output file (default: <model>.so)"),
               cl::value_desc("path"), cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Static shape of a graph input, NAME=D0,D1,... (repeatable); "
             "required for inputs with dynamic dimensions"),
    cl::value_desc("NAME=D0,D1,..."), cl::cat(category));
static cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Fix a graph input at compile time, NAME=V0,V1,... or "
             "NAME=@file.npy (repeatable); it becomes a constant and leaves "
             "the model's inputs. Needed when an input determines a shape "
             "(e.g. a Reshape target or a sample rate that selects a branch)"),
    cl::value_desc("NAME=VALUES"), cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("Target architecture: x86_64 (default on this "
                    "machine), aarch64, host, cuda (NVIDIA GPU, see "
                    "--gpu-arch; docs/gpu.md) or cuda-emulate (the GPU "
                    "lowering with kernels run as host loops)"),
           cl::init("host"), cl::cat(category));
static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("With --target=cuda: the GPU architecture, sm_80, sm_89 "
                     "(FP8 tensor cores) or sm_90a (default sm_89)"),
            cl::value_desc("sm_XX"), cl::cat(category));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("CPU to optimize for: native (default for the host), "
                 "generic, or an LLVM CPU name such as znver4 or "
                 "neoverse-v1"),
        cl::init("native"), cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to write: so (shared object + header, default), obj, "
                  "llvm (optimized LLVM IR), mlir (imported MLIR), "
                  "lowered-mlir (LLVM-dialect MLIR), onnx (with --quantize: "
                  "the quantized model as standard ONNX QDQ, i.e. the "
                  "original graph with QuantizeLinear/DequantizeLinear on "
                  "quantized activations and int8 per-channel weights, "
                  "runnable by onnxruntime; default <model>.qdq.onnx)"),
         cl::init("so"), cl::cat(category));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("C header to write with --emit=so (default: output "
                        "path with .h)"),
               cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string> modelName(
    "name",
    cl::desc("Model name, also the C prefix of the header's functions "
             "(default: output file stem)"),
    cl::cat(category));
static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize the model: int8 (W8A8: int8 per-channel weights, 8-bit "
             "per-tensor activations, integer matmul/conv; needs --calib or "
             "--calib-table); fp8 (E4M3 or E5M2 weights and activations with "
             "amax scales, see --fp8-format, --fp8-weight-scales; runs by "
             "conversion on the CPU; needs --calib); w8a16 / w4a16 "
             "(weight-only: group-wise 8/4-bit "
             "matmul weights, float activations, see --algo, --group-size); "
             "w4a8 (int4 per-channel weights, u8 activations, integer "
             "matmuls; needs --calib)"),
    cl::value_desc("scheme"), cl::cat(category));
static cl::opt<std::string> algo(
    "algo",
    cl::desc("Weight-only schemes (--quantize=w8a16/w4a16/w4a8): rtn (round to "
             "nearest, default), gptq or awq (both need --calib)"),
    cl::init("rtn"), cl::cat(category));
static cl::opt<int64_t> groupSize(
    "group-size",
    cl::desc("Weight-only schemes: input channels per scale group (default "
             "128; 0 = per output channel)"),
    cl::init(128), cl::cat(category));
static cl::opt<std::string> weightOnlyCompute(
    "weight-only-compute",
    cl::desc("Weight-only schemes: exact (f32 products of the activations "
             "and the dequantized weights, default) or int8 (activations "
             "quantized to int8 per weight group at run time, integer dot "
             "products, like onnxruntime's MatMulNBits accuracy_level 4; "
             "needs AVX-512 VNNI or AArch64 dotprod / i8mm)"),
    cl::init("exact"), cl::cat(category));
static cl::opt<bool> weightSymmetric(
    "weight-symmetric",
    cl::desc("Weight-only schemes: symmetric signed codes without zero "
             "points (default: unsigned codes with a zero point per group)"),
    cl::cat(category));
static cl::opt<bool> actOrder(
    "act-order",
    cl::desc("--algo=gptq: quantize input channels by decreasing Hessian "
             "diagonal"),
    cl::cat(category));
static cl::opt<bool> mixedPrecision(
    "mixed-precision",
    cl::desc("--quantize=w4a16: keep the layers whose 4-bit weights hurt "
             "their output most (measured on the calibration data, needs "
             "--calib) at 8 bits, within --max-size-ratio and/or until "
             "--max-error-increase is met; prints the choice per layer "
             "(and --report writes it)"),
    cl::cat(category));
static cl::opt<double> maxSizeRatio(
    "max-size-ratio",
    cl::desc("--mixed-precision: size budget, quantized weight bytes over "
             "their f32 bytes (default 0.3; with --max-error-increase and "
             "without this option: no size budget)"),
    cl::init(0.3), cl::cat(category));
static cl::opt<double> maxErrorIncrease(
    "max-error-increase",
    cl::desc("--mixed-precision: error budget, a fraction: raise the most "
             "sensitive layers to 8 bits until the estimated error (the sum "
             "of the layers' relative output errors, |X dW|^2 / |X W|^2 on "
             "the calibration data) is at most this; alone or with "
             "--max-size-ratio (docs/passes.md, qc-quantize-weights)"),
    cl::value_desc("fraction"), cl::init(0.0), cl::cat(category));
static cl::opt<std::string> fp8Format(
    "fp8-format",
    cl::desc("--quantize=fp8: FP8 format of weights and activations, e4m3 "
             "(E4M3FN, max 448, default) or e5m2 (E5M2, max 57344)"),
    cl::init("e4m3"), cl::cat(category));
static cl::opt<std::string> fp8WeightScales(
    "fp8-weight-scales",
    cl::desc("--quantize=fp8: amax scales of the weights per tensor "
             "(tensor, default) or per output channel (channel)"),
    cl::init("tensor"), cl::cat(category));
static cl::opt<std::string> calib(
    "calib",
    cl::desc("Calibration data: an .npz with one array per model input, "
             "named after it, samples on the leading axis; or a folder of "
             "per-sample .npz files"),
    cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string> calibTable(
    "calib-table",
    cl::desc("Calibration statistics cache (JSON): used instead of running "
             "calibration if it exists, else written after calibrating"),
    cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string> calibMethod(
    "calib-method",
    cl::desc("Activation range: minmax (default), percentile, entropy "
             "(KL divergence, TensorRT-style) or mse"),
    cl::init("minmax"), cl::cat(category));
static cl::opt<double> calibMovingAverage(
    "calib-moving-average",
    cl::desc("With --calib-method=minmax: moving-average min/max instead of "
             "the extremes over all data. Each calibration feed is a batch; "
             "the first sets the range, each later one moves it by C towards "
             "its own min/max (r += C (r_batch - r), PyTorch's observer; "
             "0.01 is the usual constant). Outlier batches then barely "
             "widen the range. Recorded in the calibration table"),
    cl::value_desc("C"), cl::init(0.0), cl::cat(category));
static cl::opt<std::string> report(
    "report",
    cl::desc("With --quantize: write a quantization report (JSON) and print "
             "it as a table on stdout: per compute node whether it runs in "
             "integer or float (and why), SQNR of its output vs float32 on "
             "the calibration data (needs --calib), weight bytes before and "
             "after; the error of every model output. With --quantize=w4a16 "
             "--mixed-precision: the precision chosen per layer, its "
             "sensitivity and why"),
    cl::value_desc("report.json"), cl::cat(category));
static cl::opt<double> percentile("percentile",
                                  cl::desc("Percentile for "
                                           "--calib-method=percentile"),
                                  cl::init(99.99), cl::cat(category));
static cl::opt<std::string> activationType(
    "activation-type",
    cl::desc("Activation storage: u8 (asymmetric, default; x86 VNNI's "
             "operand type) or i8 (symmetric)"),
    cl::init("u8"), cl::cat(category));
static cl::list<std::string>
    keepFloat("keep-float", cl::CommaSeparated,
              cl::desc("ONNX node names whose ops stay in float"),
              cl::value_desc("NODE,..."), cl::cat(category));
static cl::opt<double> smoothQuant(
    "smoothquant",
    cl::desc("SmoothQuant before quantizing: migrate activation outliers "
             "into the weights with strength ALPHA in [0, 1] (0.5 is the "
             "paper's default). Without --quantize it only smooths (the "
             "float model, same outputs up to rounding)"),
    cl::value_desc("ALPHA"), cl::init(-1.0), cl::cat(category));
static cl::opt<bool> noChecker("no-onnx-checker",
                               cl::desc("Skip onnx::checker validation"),
                               cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::init(3), cl::Prefix, cl::cat(category));
// libLLVM already registers a hidden "threads" option, so this one is
// registered as "qc-threads" and main() maps --threads onto it.
static cl::opt<unsigned> threads(
    "qc-threads",
    cl::desc("Also --threads=N. Threads the model's matmul/convolution "
             "kernels use: 0 (default) "
             "= every core at run time (OpenMP; OMP_NUM_THREADS overrides), "
             "1 = sequential, N = N. Results do not depend on it"),
    cl::init(0), cl::cat(category));
static cl::opt<bool> quiet("q", cl::desc("Do not print progress"),
                           cl::cat(category));

namespace {
/// Prints "qc-compile: <stage> (<seconds> s)" lines to stderr.
class Progress {
public:
  void stage(StringRef name) {
    finish();
    current = name.str();
    start = std::chrono::steady_clock::now();
  }
  void finish() {
    if (current.empty() || quiet)
      return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    errs() << "qc-compile: " << current << " (" << format("%.2f", seconds)
           << " s)\n";
    current.clear();
  }

private:
  std::string current;
  std::chrono::steady_clock::time_point start;
};
} // namespace

static int fail(const Twine &message) {
  WithColor::error(errs(), "qc-compile") << message << "\n";
  return 1;
}

static LogicalResult writeFile(StringRef path, StringRef contents) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    WithColor::error(errs(), "qc-compile") << error << "\n";
    return failure();
  }
  file->os() << contents;
  file->keep();
  return success();
}

/// --report for --quantize=w4a16 --mixed-precision: the choice that
/// qc-quantize-weights recorded on every quantized matmul (its
/// `qc.mixed_precision` attribute) as JSON, and as a table on `os`: the
/// width, the sensitivity (of the matmul's input group), the matmul's own
/// relative output error at 4 and 8 bits, and the reason; then the
/// estimated error (the sum of the errors at the chosen widths).
static LogicalResult writeMixedPrecisionReport(ModuleOp module, StringRef path,
                                               double sizeBudget,
                                               double errorBudget,
                                               raw_ostream &os) {
  json::Array layers;
  std::string table;
  raw_string_ostream rows(table);
  double estimate = 0.0;
  int64_t raised = 0;
  module.walk([&](Operation *op) {
    auto choice = op->getAttrOfType<DictionaryAttr>("qc.mixed_precision");
    if (!choice)
      return;
    auto bits = choice.getAs<IntegerAttr>("bits");
    auto sensitivity = choice.getAs<FloatAttr>("sensitivity");
    auto error4 = choice.getAs<FloatAttr>("error4");
    auto error8 = choice.getAs<FloatAttr>("error8");
    auto reason = choice.getAs<StringAttr>("reason");
    if (!bits || !sensitivity || !error4 || !error8 || !reason)
      return;
    std::string node = qc::getONNXNodeName(op->getLoc()).value_or("matmul");
    double e4 = error4.getValueAsDouble(), e8 = error8.getValueAsDouble();
    estimate += bits.getInt() == 8 ? e8 : e4;
    raised += bits.getInt() == 8;
    layers.push_back(
        json::Object{{"node", node},
                     {"bits", bits.getInt()},
                     {"sensitivity", sensitivity.getValueAsDouble()},
                     {"error_4bit", e4},
                     {"error_8bit", e8},
                     {"reason", reason.getValue().str()}});
    rows << format("%-32s %4d %11.3g %11.3g %11.3g  %s\n", node.c_str(),
                   int(bits.getInt()), sensitivity.getValueAsDouble(), e4, e8,
                   reason.getValue().str().c_str());
  });
  int64_t count = layers.size();
  json::Object root{
      {"scheme", "w4a16"},
      {"mixed_precision", json::Object{{"max_size_ratio", sizeBudget},
                                       {"max_error_increase", errorBudget},
                                       {"matmuls", count},
                                       {"matmuls_at_8_bits", raised},
                                       {"estimated_error", estimate}}},
      {"layers", std::move(layers)}};
  std::string text;
  raw_string_ostream js(text);
  js << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  if (failed(writeFile(path, text)))
    return failure();
  os << format("%-32s %4s %11s %11s %11s  %s\n", "node", "bits", "sensitivity",
               "error@4bit", "error@8bit", "why")
     << table
     << format("%lld of %lld matmuls at 8 bits; estimated error %.3g "
               "(sum of the errors at the chosen widths)\n",
               (long long)raised, (long long)count, estimate);
  return success();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  std::vector<std::string> renamed;
  renamed.reserve(argc);
  std::vector<const char *> args(argv, argv + argc);
  for (const char *&arg : args) {
    StringRef a(arg);
    for (StringRef prefix : {"--threads", "-threads"})
      if (a == prefix || a.starts_with((prefix + "=").str())) {
        renamed.push_back("--qc-threads" + a.drop_front(prefix.size()).str());
        arg = renamed.back().c_str();
      }
  }
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "qc-compile: compile an ONNX model into a native shared object\n\n"
      "  qc-compile model.onnx -o model.so [--input-shape x=1,3,224,224]\n\n"
      "writes model.so, which exports qc_model_invoke / qc_model_signature\n"
      "(load it with qc_model_open() from qc/qc_runtime.h, or run it with\n"
      "qc-run), and model.h, a C header with a typed <name>_run() wrapper.\n\n"
      "  qc-compile model.onnx --quantize=int8 --calib=calib.npz -o model.so\n"
      "      [--report=report.json]\n"
      "  qc-compile model.onnx --quantize=int8 --calib=calib.npz --emit=onnx\n"
      "      -o model.qdq.onnx\n\n"
      "quantize to W8A8 after calibrating on calib.npz; the second writes the\n"
      "same quantization as an ONNX QDQ model for other runtimes.\n");

  StringRef stem = sys::path::stem(inputFile);
  std::string output = outputFile;
  if (output.empty()) {
    SmallString<256> path(inputFile);
    sys::path::replace_extension(path, emit == "so"     ? ".so"
                                       : emit == "obj"  ? ".o"
                                       : emit == "llvm" ? ".ll"
                                       : emit == "onnx" ? ".qdq.onnx"
                                                        : ".mlir");
    output = std::string(path);
  }
  if (emit != "so" && emit != "obj" && emit != "llvm" && emit != "mlir" &&
      emit != "lowered-mlir" && emit != "onnx")
    return fail("unknown --emit=" + emit +
                " (expected so, obj, llvm, mlir, lowered-mlir or onnx)");
  if (emit == "onnx" && quantize.empty())
    return fail("--emit=onnx writes a quantized model as ONNX QDQ and needs "
                "--quantize");
  if (emit == "onnx" && smoothQuant >= 0)
    return fail("--emit=onnx does not support --smoothquant: the smoothed "
                "weights and the scaling of activations have no place in the "
                "original graph");
  if (!report.empty() && quantize.empty())
    return fail("--report describes a quantized model and needs --quantize");
  // --report of a weight-only model: the mixed-precision choice per layer.
  bool mixedReport = !report.empty() && quantize == "w4a16" && mixedPrecision;
  if ((quantize == "w8a16" || quantize == "w4a16" || quantize == "fp8" ||
       quantize == "w4a8") &&
      (emit == "onnx" || (!report.empty() && !mixedReport)))
    return fail("--emit=onnx and --report support --quantize=int8 only, not " +
                quantize +
                " (--report also --quantize=w4a16 --mixed-precision)");

  qc::CompileOptions options;
  options.inputPath = inputFile;
  options.import.runChecker = !noChecker;
  for (const std::string &spec : inputShapes) {
    std::string error = qc::parseInputShapeOption(spec, options.import);
    if (!error.empty())
      return fail(error);
  }
  for (const std::string &spec : inputValues) {
    std::string error = qc::parseInputValueOption(spec, options.import);
    if (!error.empty())
      return fail(error);
  }
  options.symbolName = modelName.empty()
                           ? qc::sanitizeCIdentifier(
                                 output == "-" ? stem : sys::path::stem(output))
                           : qc::sanitizeCIdentifier(modelName);
  options.import.modelName =
      modelName.empty() ? stem.str() : modelName.getValue();
  options.target = target;
  if (!gpuArch.empty()) {
    if (target != "cuda")
      return fail("--gpu-arch=" + gpuArch + " needs --target=cuda");
    options.target = "cuda:" + gpuArch;
  }
  if (StringRef(options.target).starts_with("cuda") && emit != "so" &&
      emit != "mlir")
    return fail("--target=" + target +
                " writes a shared object (--emit=so) or the imported MLIR "
                "(--emit=mlir); for PTX use qc-gpu-compile --emit=ptx");
  options.cpu = cpu;
  options.optLevel = optLevel;
  options.threads = threads;
  options.quantize = quantize;
  options.algo = algo;
  options.groupSize = groupSize;
  options.weightSymmetric = weightSymmetric;
  options.weightOnlyCompute = weightOnlyCompute;
  options.actOrder = actOrder;
  options.mixedPrecision = mixedPrecision;
  // An error budget alone has no size budget.
  options.maxSizeRatio =
      maxErrorIncrease.getNumOccurrences() && !maxSizeRatio.getNumOccurrences()
          ? 0.0
          : double(maxSizeRatio);
  options.maxErrorIncrease = maxErrorIncrease;
  options.fp8Format = fp8Format;
  options.fp8WeightScales = fp8WeightScales;
  options.calibPath = calib;
  options.calibTable = calibTable;
  options.calibMethod = calibMethod;
  options.percentile = percentile;
  options.calibMovingAverage = calibMovingAverage;
  options.activationType = activationType;
  options.keepFloat.assign(keepFloat.begin(), keepFloat.end());
  if (smoothQuant.getNumOccurrences() &&
      !(smoothQuant >= 0.0 && smoothQuant <= 1.0)) {
    std::string value;
    raw_string_ostream(value) << format("%g", smoothQuant.getValue());
    return fail("--smoothquant=" + value + ": alpha must be in [0, 1]");
  }
  options.smoothQuantAlpha = smoothQuant;
  if (!quiet)
    options.progress = [](const std::string &line) {
      errs() << "qc-compile: " << line << "\n";
    };

  DialectRegistry registry;
  qc::registerAllQCDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics name the ONNX node; a dump of the op (or of the whole
  // function, for a function-level remark) would bury them.
  context.printOpOnDiagnostic(false);
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  // The QDQ graph does not depend on shapes: inputs without --input-shape
  // are imported at the calibration feeds' shapes.
  if (emit == "onnx" && !calib.empty()) {
    auto shapes = qc::readCalibrationFeedShapes(
        calib, FileLineColLoc::get(&context, calib, 0, 0));
    if (failed(shapes))
      return 1;
    for (const auto &entry : *shapes)
      options.import.inputShapes.try_emplace(entry.getKey(), entry.getValue());
  }

  Progress progress;
  progress.stage("imported " + inputFile +
                 (!quantize.empty()  ? " and quantized it"
                  : smoothQuant >= 0 ? " and smoothed it"
                                     : ""));
  qc::BuildArtifacts artifacts;
  auto module = qc::buildModule(&context, options, artifacts);
  if (failed(module))
    return 1;
  progress.finish();
  if (mixedReport) {
    if (failed(writeMixedPrecisionReport(
            *artifacts.quantized, report.getValue(), options.maxSizeRatio,
            options.maxErrorIncrease, output == "-" ? errs() : outs())))
      return 1;
  } else if (!report.empty()) {
    progress.stage("measured the quantized model");
    FailureOr<qc::QuantizationReport> measured =
        qc::buildReport(&context, options, artifacts);
    if (failed(measured) ||
        failed(qc::writeReportJSON(
            *measured, report, FileLineColLoc::get(&context, report, 0, 0))))
      return 1;
    progress.finish();
    // The table goes to stdout unless the model itself does.
    qc::printReportTable(*measured, output == "-" ? errs() : outs());
  }
  if (emit == "onnx") {
    progress.stage("wrote the QDQ model " + output);
    if (failed(qc::emitQDQModel(&context, artifacts, options, output)))
      return 1;
    progress.finish();
    return 0;
  }
  if (emit == "mlir") {
    std::string text;
    raw_string_ostream os(text);
    (*module)->print(os);
    return failed(writeFile(output, text)) ? 1 : 0;
  }

  if (emit == "so") {
    progress.stage("compiled and linked " + output);
    std::string header = headerFile;
    if (header.empty()) {
      SmallString<256> path(output);
      sys::path::replace_extension(path, ".h");
      header = std::string(path);
    }
    if (failed(qc::emitSharedObject(**module, options, output, header)))
      return 1;
    progress.finish();
    return 0;
  }

  std::string error;
  FailureOr<qc::TargetSpec> targetSpec = qc::resolveTarget(target, cpu, error);
  if (failed(targetSpec))
    return fail(error);
  targetSpec->optLevel = optLevel;
  progress.stage("lowered to LLVM");
  PassManager pm(&context);
  qc::CPUPipelineOptions pipelineOptions;
  if (failed(qc::configureCPUPipeline(*targetSpec, options, pipelineOptions,
                                      error)))
    return fail(error);
  targetSpec->openmp = pipelineOptions.threads != 1;
  qc::buildCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(**module)))
    return 1;
  progress.finish();
  if (emit == "lowered-mlir") {
    std::string text;
    raw_string_ostream os(text);
    (*module)->print(os);
    return failed(writeFile(output, text)) ? 1 : 0;
  }
  progress.stage("generated " + targetSpec->triple + " code (" +
                 targetSpec->cpu + ")");
  SmallString<0> objectBytes;
  raw_svector_ostream objectStream(objectBytes);
  std::string llvmIR;
  if (failed(qc::emitObject(**module, *targetSpec, objectStream,
                            emit == "llvm" ? &llvmIR : nullptr)))
    return 1;
  progress.finish();
  if (emit == "llvm")
    return failed(writeFile(output, llvmIR)) ? 1 : 0;
  return failed(writeFile(output, objectBytes)) ? 1 : 0;
}
