//===- Compiler.cpp - qc's compilation driver -----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Compiler/Compiler.h"
#include "CompilerDetail.h"
#include "qc/Calibration/Passes.h"
#include "qc/Export/ONNX/QDQExport.h"
#include "qc/Pipelines/Pipelines.h"
#include "qc/Quantization/Passes.h"
#include "qc/Support/Npz.h"
#include "qc/Target/AOT/ModelSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Calibration data
//===----------------------------------------------------------------------===//

/// True if a float array holds NaN or Inf.
static bool hasNonFinite(const npz::Array &array, size_t offset, size_t count) {
  if (array.dtype == QC_DTYPE_FLOAT32) {
    const float *p = reinterpret_cast<const float *>(array.data.data());
    for (size_t i = offset; i < offset + count; ++i)
      if (!std::isfinite(p[i]))
        return true;
  } else if (array.dtype == QC_DTYPE_FLOAT64) {
    const double *p = reinterpret_cast<const double *>(array.data.data());
    for (size_t i = offset; i < offset + count; ++i)
      if (!std::isfinite(p[i]))
        return true;
  }
  return false;
}

/// Copies elements [offset, offset + count) of `array` into a tensor,
/// narrowing float64 to the float32 models take.
static CalibrationTensor makeTensor(const std::string &name,
                                    const npz::Array &array, size_t offset,
                                    size_t count, ArrayRef<int64_t> shape) {
  CalibrationTensor t;
  t.name = name;
  t.shape.assign(shape.begin(), shape.end());
  if (array.dtype == QC_DTYPE_FLOAT64) {
    t.dtype = ONNXDType::Float;
    t.data.resize(count * 4);
    const double *src = reinterpret_cast<const double *>(array.data.data());
    float *dst = reinterpret_cast<float *>(t.data.data());
    for (size_t i = 0; i < count; ++i)
      dst[i] = float(src[offset + i]);
    return t;
  }
  t.dtype = static_cast<ONNXDType>(array.dtype);
  size_t size = qc_dtype_size(array.dtype);
  const char *src = reinterpret_cast<const char *>(array.data.data());
  t.data.assign(src + offset * size, src + (offset + count) * size);
  return t;
}

FailureOr<std::vector<CalibrationSample>>
mlir::qc::loadCalibrationData(StringRef path, ArrayRef<std::string> inputNames,
                              Location loc) {
  llvm::StringSet<> inputs;
  std::string inputList;
  for (const std::string &name : inputNames) {
    inputs.insert(name);
    inputList += (inputList.empty() ? "" : ", ") + name;
  }
  std::vector<CalibrationSample> samples;
  unsigned skipped = 0;
  auto checkNames = [&](const std::vector<npz::NamedArray> &arrays,
                        StringRef file) -> LogicalResult {
    llvm::StringSet<> seen;
    for (const npz::NamedArray &a : arrays) {
      if (!inputs.count(a.name))
        return emitError(loc)
               << "calibration data " << file << " has array '" << a.name
               << "', which is not a model input (inputs: " << inputList << ")";
      seen.insert(a.name);
    }
    for (const std::string &name : inputNames)
      if (!seen.count(name))
        return emitError(loc)
               << "calibration data " << file
               << " has no array for model input '" << name << "'";
    return success();
  };

  if (llvm::sys::fs::is_directory(path)) {
    // One .npz per sample, arrays without a sample axis.
    std::vector<std::string> files;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (StringRef(it->path()).ends_with(".npz"))
        files.push_back(it->path());
    std::sort(files.begin(), files.end());
    if (files.empty())
      return emitError(loc)
             << "calibration folder " << path << " holds no .npz files";
    for (const std::string &file : files) {
      std::vector<npz::NamedArray> arrays;
      std::string error;
      if (!npz::readNpz(file, arrays, error))
        return emitError(loc)
               << "cannot read calibration sample " << file << ": " << error;
      if (failed(checkNames(arrays, file)))
        return failure();
      CalibrationSample sample;
      bool bad = false;
      for (const npz::NamedArray &a : arrays) {
        if (hasNonFinite(a.array, 0, a.array.numElements()))
          bad = true;
        sample.push_back(makeTensor(
            a.name, a.array, 0, a.array.numElements(),
            SmallVector<int64_t>(a.array.shape.begin(), a.array.shape.end())));
      }
      if (bad) {
        emitWarning(loc) << "calibration sample " << file
                         << " holds NaN or Inf values; skipped";
        ++skipped;
        continue;
      }
      samples.push_back(std::move(sample));
    }
  } else {
    // One .npz, samples on the leading axis of every array.
    std::vector<npz::NamedArray> arrays;
    std::string error;
    if (!npz::readNpz(path.str(), arrays, error))
      return emitError(loc)
             << "cannot read calibration data " << path << ": " << error;
    if (failed(checkNames(arrays, path)))
      return failure();
    int64_t count = -1;
    for (const npz::NamedArray &a : arrays) {
      if (a.array.shape.empty())
        return emitError(loc) << "calibration array '" << a.name
                              << "' needs a leading sample axis";
      if (count >= 0 && a.array.shape[0] != count)
        return emitError(loc)
               << "calibration arrays disagree on the number of samples: '"
               << a.name << "' has " << a.array.shape[0] << ", expected "
               << count;
      count = a.array.shape[0];
    }
    for (int64_t s = 0; s < count; ++s) {
      CalibrationSample sample;
      bool bad = false;
      for (const npz::NamedArray &a : arrays) {
        SmallVector<int64_t> feed(a.array.shape.begin() + 1,
                                  a.array.shape.end());
        size_t per = 1;
        for (int64_t d : feed)
          per *= size_t(d);
        if (hasNonFinite(a.array, s * per, per)) {
          if (!bad)
            emitWarning(loc) << "calibration sample " << s << " of input '"
                             << a.name << "' holds NaN or Inf values; skipped";
          bad = true;
        }
        sample.push_back(makeTensor(a.name, a.array, s * per, per, feed));
      }
      if (bad) {
        ++skipped;
        continue;
      }
      samples.push_back(std::move(sample));
    }
  }
  if (samples.empty())
    return emitError(loc) << "no usable calibration samples in " << path
                          << (skipped ? " (all held NaN or Inf)" : "");
  // Every sample must feed the same shapes: they are compiled once.
  for (const CalibrationSample &sample : samples)
    for (size_t i = 0; i < sample.size(); ++i)
      if (sample[i].shape != samples[0][i].shape)
        return emitError(loc)
               << "calibration samples feed input '" << sample[i].name
               << "' with different shapes; use one shape";
  return samples;
}

FailureOr<llvm::StringMap<SmallVector<int64_t>>>
mlir::qc::readCalibrationFeedShapes(StringRef path, Location loc) {
  std::string file = path.str();
  bool perSample = llvm::sys::fs::is_directory(path);
  if (perSample) {
    // The first sample file, in the order loadCalibrationData reads them.
    std::vector<std::string> files;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (StringRef(it->path()).ends_with(".npz"))
        files.push_back(it->path());
    if (files.empty())
      return emitError(loc)
             << "calibration folder " << path << " holds no .npz files";
    file = *std::min_element(files.begin(), files.end());
  }
  std::vector<npz::NamedArray> arrays;
  std::string error;
  if (!npz::readNpz(file, arrays, error))
    return emitError(loc) << "cannot read calibration data " << file << ": "
                          << error;
  llvm::StringMap<SmallVector<int64_t>> shapes;
  for (const npz::NamedArray &a : arrays) {
    if (!perSample && a.array.shape.empty())
      return emitError(loc) << "calibration array '" << a.name
                            << "' needs a leading sample axis";
    auto dims = ArrayRef<int64_t>(a.array.shape).drop_front(perSample ? 0 : 1);
    shapes[a.name] = SmallVector<int64_t>(dims.begin(), dims.end());
  }
  return shapes;
}

//===----------------------------------------------------------------------===//
// Calibration table
//===----------------------------------------------------------------------===//

FailureOr<llvm::StringMap<TensorStatistics>>
mlir::qc::readCalibrationTable(StringRef path, Location loc) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return emitError(loc) << "cannot read calibration table " << path << ": "
                          << buffer.getError().message();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return emitError(loc) << "calibration table " << path
                          << " is not valid JSON: "
                          << llvm::toString(json.takeError());
  auto fail = [&](const Twine &what) {
    return emitError(loc) << "calibration table " << path << ": " << what;
  };
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getInteger("version") != 1)
    return fail("expected {\"version\": 1, \"tensors\": {...}}");
  const llvm::json::Object *tensors = root->getObject("tensors");
  if (!tensors)
    return fail("missing \"tensors\"");
  llvm::StringMap<TensorStatistics> result;
  for (const auto &entry : *tensors) {
    const llvm::json::Object *t = entry.second.getAsObject();
    std::optional<double> min = t ? t->getNumber("min") : std::nullopt;
    std::optional<double> max = t ? t->getNumber("max") : std::nullopt;
    std::optional<int64_t> samples =
        t ? t->getInteger("samples") : std::nullopt;
    if (!min || !max || !samples || !std::isfinite(*min) ||
        !std::isfinite(*max) || *min > *max || *samples <= 0)
      return fail("tensor '" + entry.first.str() +
                  "' needs finite min <= max and samples > 0");
    TensorStatistics s;
    s.min = *min;
    s.max = *max;
    s.samples = *samples;
    if (std::optional<double> c = t->getNumber("min_max_moving_average")) {
      if (!(*c > 0 && *c <= 1))
        return fail("tensor '" + entry.first.str() +
                    "' needs min_max_moving_average in (0, 1]");
      s.movingAverage = *c;
    }
    if (const llvm::json::Array *hist = t->getArray("hist")) {
      std::optional<double> histMax = t->getNumber("hist_max");
      if (!histMax || !(*histMax > 0) || !std::isfinite(*histMax))
        return fail("tensor '" + entry.first.str() +
                    "' has a histogram but no positive hist_max");
      s.histogram.maxAbs = *histMax;
      for (const llvm::json::Value &c : *hist) {
        std::optional<int64_t> n = c.getAsInteger();
        if (!n || *n < 0)
          return fail("tensor '" + entry.first.str() +
                      "' has a negative or non-integer histogram count");
        s.histogram.counts.push_back(*n);
      }
    }
    // Per-channel min/max (added in place to version 1; optional).
    const llvm::json::Array *channelMin = t->getArray("channel_min");
    const llvm::json::Array *channelMax = t->getArray("channel_max");
    std::optional<int64_t> channelAxis = t->getInteger("channel_axis");
    if (channelMin || channelMax || channelAxis) {
      if (!channelMin || !channelMax || !channelAxis || *channelAxis < 0 ||
          channelMin->empty() || channelMin->size() != channelMax->size())
        return fail("tensor '" + entry.first.str() +
                    "' needs channel_axis >= 0 and channel_min / channel_max "
                    "arrays of one equal, non-zero size");
      s.channelAxis = *channelAxis;
      for (auto [lo, hi] : llvm::zip(*channelMin, *channelMax)) {
        std::optional<double> l = lo.getAsNumber(), u = hi.getAsNumber();
        if (!l || !u || !std::isfinite(*l) || !std::isfinite(*u) || *l > *u)
          return fail("tensor '" + entry.first.str() +
                      "' needs finite channel_min <= channel_max in channel " +
                      Twine(s.channelMin.size()));
        s.channelMin.push_back(*l);
        s.channelMax.push_back(*u);
      }
    }
    result[entry.first] = std::move(s);
  }
  return result;
}

LogicalResult
mlir::qc::writeCalibrationTable(StringRef path,
                                const llvm::StringMap<TensorStatistics> &stats,
                                Location loc) {
  llvm::json::Object tensors;
  for (const auto &entry : stats) {
    const TensorStatistics &s = entry.second;
    llvm::json::Object t{{"min", s.min},
                         {"max", s.max},
                         {"samples", s.samples},
                         {"non_finite", s.nonFinite}};
    // Records how min/max came about: plain extremes, or a moving average.
    if (s.movingAverage > 0)
      t["min_max_moving_average"] = s.movingAverage;
    if (!s.histogram.counts.empty() && s.histogram.maxAbs > 0) {
      t["hist_max"] = s.histogram.maxAbs;
      llvm::json::Array hist;
      for (int64_t c : s.histogram.counts)
        hist.push_back(c);
      t["hist"] = std::move(hist);
    }
    if (!s.channelMin.empty()) {
      t["channel_axis"] = s.channelAxis;
      t["channel_min"] = llvm::json::Array(s.channelMin);
      t["channel_max"] = llvm::json::Array(s.channelMax);
    }
    tensors[entry.getKey()] = std::move(t);
  }
  llvm::json::Object root{{"version", 1}, {"tensors", std::move(tensors)}};
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file)
    return emitError(loc) << error;
  file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
             << "\n";
  file->keep();
  return success();
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// `alpha` in its shortest form (0.5, not 0.500000).
static std::string formatAlpha(double alpha) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", alpha);
  return text;
}

static LogicalResult
runFunctionPasses(ModuleOp module, function_ref<void(OpPassManager &)> add) {
  PassManager pm(module.getContext());
  add(pm.nest<func::FuncOp>());
  return pm.run(module);
}

FailureOr<std::vector<CalibrationSample>>
mlir::qc::detail::loadCalibrationSamples(ModuleOp imported,
                                         const CompileOptions &options,
                                         Location loc) {
  auto entry = imported.lookupSymbol<func::FuncOp>("main_graph");
  if (!entry)
    return emitError(loc) << "the module has no @main_graph";
  FailureOr<ModelSignature> signature = ModelSignature::fromFunction(entry);
  if (failed(signature))
    return failure();
  std::vector<std::string> inputNames;
  for (const TensorSignature &t : signature->inputs)
    inputNames.push_back(t.name);
  return loadCalibrationData(options.calibPath, inputNames, loc);
}

ONNXImportOptions mlir::qc::detail::calibrationImportOptions(
    const CompileOptions &options, ArrayRef<CalibrationSample> samples) {
  // Calibration runs on the samples' own feed shapes.
  ONNXImportOptions import = options.import;
  import.inputShapes.clear();
  for (const CalibrationTensor &t : samples.front())
    import.inputShapes[t.name] = t.shape;
  return import;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::importModel(MLIRContext *context, const CompileOptions &options,
                      const ONNXImportOptions &import) {
  FailureOr<OwningOpRef<ModuleOp>> module =
      importONNXFile(options.inputPath, context, import);
  if (failed(module))
    return failure();
  // Models already in QDQ form (quantization-aware training, onnxruntime or
  // ModelOpt output) compute with the scales they carry.
  if (failed(runFunctionPasses(**module, [](OpPassManager &pm) {
        pm.addPass(createFoldQDQPass());
      })))
    return failure();
  return module;
}

/// `--calib-moving-average=C` as it would be written.
static std::string formatMovingAverage(double c) {
  return c > 0 ? "--calib-moving-average=" + formatAlpha(c)
               : "plain min/max (no --calib-moving-average)";
}

/// True for the weight-only schemes (qc-quantize-weights).
static bool isWeightOnlyScheme(StringRef scheme) {
  return scheme == "w8a16" || scheme == "w4a16";
}

/// Checks the options that do not need the model.
static LogicalResult verifyQuantizeOptions(const CompileOptions &options,
                                           Location loc) {
  bool smooth = options.smoothQuantAlpha >= 0;
  if (!options.quantize.empty() && options.quantize != "int8" &&
      options.quantize != "fp8" && options.quantize != "w4a8" &&
      !isWeightOnlyScheme(options.quantize))
    return emitError(loc) << "unknown --quantize=" << options.quantize
                          << " (expected int8, fp8, w4a8, w8a16 or w4a16)";
  if (options.quantize == "w4a8" &&
      (options.algo == "awq" || options.calibMethod != "minmax" || smooth))
    return emitError(loc) << "--quantize=w4a8 takes --algo=rtn or gptq, "
                             "--calib-method=minmax and no --smoothquant";
  if (options.quantize == "fp8" && (options.calibMethod != "minmax" || smooth))
    return emitError(loc) << "--quantize=fp8 scales by the calibrated amax: "
                             "it takes --calib-method=minmax and no "
                             "--smoothquant";
  if (isWeightOnlyScheme(options.quantize)) {
    if (options.algo != "rtn" && options.algo != "gptq" &&
        options.algo != "awq")
      return emitError(loc) << "unknown --algo=" << options.algo
                            << " (expected rtn, gptq or awq)";
    if (options.groupSize < 0)
      return emitError(loc) << "--group-size must be positive (or 0 for per "
                               "output channel)";
    if (smooth)
      return emitError(loc) << "--smoothquant applies to --quantize=int8, "
                               "not to weight-only "
                            << options.quantize;
  } else if (!options.quantize.empty() && options.quantize != "w4a8" &&
             options.algo != "rtn") {
    return emitError(loc) << "--algo=" << options.algo
                          << " applies to --quantize=w8a16/w4a16/w4a8";
  }
  if (options.weightOnlyCompute != "exact" &&
      options.weightOnlyCompute != "int8")
    return emitError(loc) << "unknown --weight-only-compute="
                          << options.weightOnlyCompute
                          << " (expected exact or int8)";
  if (options.weightOnlyCompute == "int8" &&
      !isWeightOnlyScheme(options.quantize))
    return emitError(loc) << "--weight-only-compute=int8 applies to "
                             "--quantize=w8a16/w4a16";
  if (options.weightOnlyCompute == "int8" &&
      qc::detail::isCUDATarget(options.target))
    return emitError(loc) << "--weight-only-compute=int8 is a CPU (AVX-512 "
                             "VNNI) mode; --target="
                          << options.target
                          << " has no int8 weight-only kernel";
  if (!(options.maxSizeRatio >= 0) || !std::isfinite(options.maxSizeRatio))
    return emitError(loc) << "--max-size-ratio must be a non-negative number";
  if (!(options.maxErrorIncrease >= 0) ||
      !std::isfinite(options.maxErrorIncrease))
    return emitError(loc) << "--max-error-increase must be a non-negative "
                             "number (a fraction, e.g. 0.01)";
  if (options.mixedPrecision &&
      (options.quantize != "w4a16" ||
       !(options.maxSizeRatio > 0 || options.maxErrorIncrease > 0)))
    return emitError(loc) << "--mixed-precision applies to --quantize=w4a16 "
                             "with a positive --max-size-ratio or "
                             "--max-error-increase";
  if (options.maxErrorIncrease > 0 && !options.mixedPrecision)
    return emitError(loc) << "--max-error-increase is the error budget of "
                             "--mixed-precision";
  if (options.fp8Format != "e4m3" && options.fp8Format != "e5m2")
    return emitError(loc) << "unknown --fp8-format=" << options.fp8Format
                          << " (expected e4m3 or e5m2)";
  if (options.fp8WeightScales != "tensor" &&
      options.fp8WeightScales != "channel")
    return emitError(loc) << "unknown --fp8-weight-scales="
                          << options.fp8WeightScales
                          << " (expected tensor or channel)";
  if (options.quantize != "fp8" &&
      (options.fp8Format != "e4m3" || options.fp8WeightScales != "tensor"))
    return emitError(loc) << "--fp8-format and --fp8-weight-scales apply to "
                             "--quantize=fp8";
  if (smooth && !(options.smoothQuantAlpha <= 1.0))
    return emitError(loc) << "--smoothquant="
                          << formatAlpha(options.smoothQuantAlpha)
                          << ": alpha must be in [0, 1]";
  if (smooth && !options.quantize.empty() && options.calibMethod != "minmax")
    return emitError(loc) << "--smoothquant needs --calib-method=minmax: the "
                             "|x| histograms of the other methods do not "
                             "carry over to the smoothed activations";
  if (options.calibMovingAverage != 0 &&
      !(options.calibMovingAverage > 0 && options.calibMovingAverage <= 1))
    return emitError(loc) << "--calib-moving-average="
                          << formatAlpha(options.calibMovingAverage)
                          << ": the constant must be in (0, 1]";
  if (options.calibMovingAverage > 0 && options.calibMethod != "minmax")
    return emitError(loc) << "--calib-moving-average applies to "
                             "--calib-method=minmax only, not "
                          << options.calibMethod;
  return success();
}

LogicalResult
mlir::qc::quantizeModule(ModuleOp m,
                         const llvm::StringMap<TensorStatistics> &stats,
                         const CompileOptions &options) {
  auto progress = [&](const std::string &line) {
    if (options.progress)
      options.progress(line);
  };
  Location loc = m.getLoc();
  // Weight-only RTN reads no statistics.
  bool needStats = !(isWeightOnlyScheme(options.quantize) &&
                     options.algo == "rtn" && stats.empty());
  if (needStats &&
      (failed(runFunctionPasses(m,
                                [](OpPassManager &pm) {
                                  pm.addPass(createInsertObserversPass());
                                })) ||
       failed(attachStatistics(m, stats))))
    return failure();
  if (options.smoothQuantAlpha >= 0) {
    // SmoothQuant balances activations and weights with the per-channel
    // statistics the calibrator gathers for matmul inputs.
    if (llvm::none_of(stats, [](const auto &entry) {
          return !entry.second.channelMin.empty();
        }))
      emitWarning(loc) << "--smoothquant: the calibration statistics have no "
                          "per-channel ranges (a table from an older qc?); "
                          "nothing is smoothed. Recalibrate with --calib";
    SmoothQuantPassOptions smoothOptions;
    smoothOptions.alpha = options.smoothQuantAlpha;
    if (failed(runFunctionPasses(m, [&](OpPassManager &pm) {
          pm.addPass(createSmoothQuantPass(smoothOptions));
        })))
      return failure();
    progress("smoothed activations (SmoothQuant, alpha " +
             formatAlpha(options.smoothQuantAlpha) + ")");
  }
  if (options.quantize.empty())
    return success();
  if (isWeightOnlyScheme(options.quantize) || options.quantize == "fp8" ||
      options.quantize == "w4a8") {
    QuantizeWeightsPassOptions weights;
    weights.scheme = options.quantize;
    weights.algo = options.algo;
    weights.groupSize = options.groupSize;
    weights.symmetric = options.weightSymmetric;
    weights.actOrder = options.actOrder;
    weights.mixedPrecision = options.mixedPrecision;
    weights.maxSizeRatio = options.maxSizeRatio;
    weights.maxErrorIncrease = options.maxErrorIncrease;
    weights.fp8Format = options.fp8Format;
    weights.fp8WeightScales = options.fp8WeightScales;
    weights.keepFloat.assign(options.keepFloat.begin(),
                             options.keepFloat.end());
    return runFunctionPasses(m, [&](OpPassManager &pm) {
      pm.addPass(createQuantizeWeightsPass(weights));
    });
  }
  QuantizePassOptions quantize;
  quantize.scheme = "w8a8";
  quantize.calibMethod = options.calibMethod;
  quantize.percentile = options.percentile;
  quantize.activationType = options.activationType;
  quantize.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
  return runFunctionPasses(
      m, [&](OpPassManager &pm) { pm.addPass(createQuantizePass(quantize)); });
}

/// Quantizes the deployment module with `stats` and runs what follows
/// qc-quantize in buildModule.
static FailureOr<OwningOpRef<ModuleOp>>
quantizeAndFinish(OwningOpRef<ModuleOp> &module,
                  llvm::StringMap<TensorStatistics> &stats,
                  const CompileOptions &options, BuildArtifacts &artifacts) {
  ModuleOp m = *module;
  if (failed(quantizeModule(m, stats, options)))
    return failure();
  artifacts.statistics = std::move(stats);
  if (!options.quantize.empty())
    artifacts.quantized = OwningOpRef<ModuleOp>(m.clone());
  if (failed(runFunctionPasses(m, [&](OpPassManager &pm) {
        pm.addPass(createStripObserversPass());
        // AWQ's and SmoothQuant's per-channel multiplies fold into the
        // producing LayerNorm or matmul (the probes are gone by now).
        if (options.algo == "awq" || options.smoothQuantAlpha >= 0)
          pm.addPass(createFoldChannelScalesPass());
        if (!options.quantize.empty())
          pm.addPass(createPropagateScalesPass());
        pm.addPass(createCanonicalizerPass());
      })))
    return failure();
  if (isWeightOnlyScheme(options.quantize) && options.progress)
    options.progress("quantized weights (" + options.quantize + ", " +
                     options.algo + ", group size " +
                     std::to_string(options.groupSize) + ")");
  else if (!options.quantize.empty() && options.progress)
    options.progress(
        "quantized (" + options.quantize + ", " +
        (options.quantize == "fp8"
             ? options.fp8Format + " with " + options.fp8WeightScales +
                   " weight scales, "
             : "") +
        options.calibMethod +
        (options.calibMovingAverage > 0
             ? " with moving average " + formatAlpha(options.calibMovingAverage)
             : "") +
        " calibration)");
  return std::move(module);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::buildModule(MLIRContext *context, const CompileOptions &options) {
  BuildArtifacts artifacts;
  return buildModule(context, options, artifacts);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qc::buildModule(MLIRContext *context, const CompileOptions &options,
                      BuildArtifacts &artifacts) {
  auto progress = [&](const std::string &line) {
    if (options.progress)
      options.progress(line);
  };
  FailureOr<OwningOpRef<ModuleOp>> module =
      importModel(context, options, options.import);
  if (failed(module))
    return failure();
  bool smooth = options.smoothQuantAlpha >= 0;
  Location loc = FileLineColLoc::get(context, options.inputPath, 0, 0);
  // Without a scheme verifyQuantizeOptions does not run; a non-default
  // --weight-only-compute would have nothing to apply to.
  if (options.quantize.empty() && options.weightOnlyCompute != "exact")
    return emitError(loc) << "--weight-only-compute="
                          << options.weightOnlyCompute
                          << " applies to --quantize=w8a16/w4a16";
  if (options.quantize.empty() && !smooth)
    return module;
  if (failed(verifyQuantizeOptions(options, loc)))
    return failure();

  // Weight-only RTN needs no statistics; GPTQ and AWQ need Hessians, which
  // calibration tables do not hold.
  bool weightOnly = isWeightOnlyScheme(options.quantize);
  if (weightOnly && options.algo == "rtn" && !options.mixedPrecision) {
    llvm::StringMap<TensorStatistics> none;
    return quantizeAndFinish(*module, none, options, artifacts);
  }
  // GPTQ/AWQ need 2/n X^T X of every layer input.
  bool secondMoments = (weightOnly || options.quantize == "w4a8") &&
                       (options.algo != "rtn" || options.mixedPrecision);
  if (secondMoments && options.calibPath.empty())
    return emitError(loc) << "--algo=" << options.algo
                          << " needs calibration data (--calib=data.npz) for "
                             "the Hessians of the layer inputs";

  // Statistics: from the table, or by running the float model natively.
  llvm::StringMap<TensorStatistics> stats;
  bool haveTable = !secondMoments && !options.calibTable.empty() &&
                   llvm::sys::fs::exists(options.calibTable);
  if (haveTable) {
    FailureOr<llvm::StringMap<TensorStatistics>> table =
        readCalibrationTable(options.calibTable, loc);
    if (failed(table))
      return failure();
    stats = std::move(*table);
    // The table caches statistics for one way of gathering them.
    for (const auto &entry : stats)
      if (entry.second.movingAverage != options.calibMovingAverage)
        return emitError(loc)
               << "calibration table " << options.calibTable
               << " holds min/max of '" << entry.getKey() << "' from "
               << formatMovingAverage(entry.second.movingAverage)
               << ", but this compilation asks for "
               << formatMovingAverage(options.calibMovingAverage)
               << "; delete the table to recalibrate";
    progress("read calibration table " + options.calibTable);
  } else {
    if (options.calibPath.empty())
      return emitError(loc)
             << (options.quantize.empty() ? "--smoothquant"
                                          : "--quantize=" + options.quantize)
             << " needs calibration data "
                "(--calib=data.npz) or a calibration table "
                "(--calib-table=table.json)";
    FailureOr<std::vector<CalibrationSample>> samples =
        detail::loadCalibrationSamples(**module, options, loc);
    if (failed(samples))
      return failure();
    FailureOr<OwningOpRef<ModuleOp>> calibModule = importModel(
        context, options, detail::calibrationImportOptions(options, *samples));
    if (failed(calibModule))
      return emitError(loc) << "the calibration data's feed shapes do not "
                               "fit the model (see the error above)";
    if (failed(runFunctionPasses(**calibModule, [](OpPassManager &pm) {
          pm.addPass(createInsertObserversPass());
        })))
      return failure();
    bool anyProbe = false;
    (**calibModule)->walk([&](ObserveOp) {
      anyProbe = true;
      return WalkResult::interrupt();
    });
    if (!anyProbe) {
      // A model in QDQ form: its compute ops carry their own scales.
      emitWarning(loc) << "nothing to calibrate: no float matmul or "
                          "convolution reads an activation";
      return quantizeAndFinish(*module, stats, options, artifacts);
    }
    CalibrationOptions calibOptions;
    calibOptions.histograms = options.calibMethod != "minmax";
    calibOptions.movingAverage = options.calibMovingAverage;
    calibOptions.secondMoments = secondMoments;
    size_t lastReported = 0;
    calibOptions.progress = [&](size_t done, size_t total) {
      // About ten lines per run.
      if (done == total || done * 10 / total != lastReported * 10 / total)
        progress("calibrating: " + std::to_string(done) + "/" +
                 std::to_string(total) + " sample runs");
      lastReported = done;
    };
    progress(
        "calibrating on " + std::to_string(samples->size()) + " samples" +
        (calibOptions.histograms ? " (two passes: range, histograms)" : "") +
        (options.calibMovingAverage > 0
             ? " (moving-average min/max, constant " +
                   formatAlpha(options.calibMovingAverage) + ")"
             : ""));
    FailureOr<llvm::StringMap<TensorStatistics>> gathered =
        runCalibration(**calibModule, *samples, calibOptions);
    if (failed(gathered))
      return failure();
    stats = std::move(*gathered);
    for (const auto &entry : stats)
      if (entry.second.nonFinite > 0)
        emitWarning(loc) << "tensor '" << entry.getKey() << "' produced "
                         << entry.second.nonFinite
                         << " NaN/Inf values during calibration; they were "
                            "ignored";
    if (!options.calibTable.empty() && !secondMoments) {
      if (failed(writeCalibrationTable(options.calibTable, stats, loc)))
        return failure();
      progress("wrote calibration table " + options.calibTable);
    }
  }

  return quantizeAndFinish(*module, stats, options, artifacts);
}

LogicalResult mlir::qc::emitQDQModel(MLIRContext *context,
                                     const BuildArtifacts &artifacts,
                                     const CompileOptions &options,
                                     StringRef output) {
  Location loc = FileLineColLoc::get(context, options.inputPath, 0, 0);
  if (!artifacts.quantized)
    return emitError(loc) << "QDQ export needs a quantized model "
                             "(--quantize=int8)";
  return exportQDQModel(*artifacts.quantized, options.inputPath, output);
}

LogicalResult mlir::qc::configureCPUPipeline(const TargetSpec &target,
                                             const CompileOptions &options,
                                             CPUPipelineOptions &pipeline,
                                             std::string &error) {
  pipeline.aot = true;
  pipeline.modelName = options.symbolName;
  pipeline.vnni = target.hasAVX512VNNI;
  pipeline.armDot = target.hasI8MM      ? "i8mm"
                    : target.hasDotProd ? "dotprod"
                                        : "none";
  pipeline.weightOnlyCompute = options.weightOnlyCompute;
  if (options.weightOnlyCompute == "int8" && !target.hasAVX512VNNI &&
      !target.hasI8MM && !target.hasDotProd) {
    error = "--weight-only-compute=int8 needs a target with integer dot "
            "products (AVX-512 VNNI, or AArch64 dotprod / i8mm); " +
            target.cpu + " has none";
    return failure();
  }
  // Cross-compiled models stay sequential: the target's OpenMP runtime is
  // not available here to link against.
  pipeline.threads = target.isHost ? options.threads : 1;
  return success();
}

LogicalResult mlir::qc::emitSharedObject(ModuleOp module,
                                         const CompileOptions &options,
                                         StringRef output, StringRef header) {
  if (detail::isCUDATarget(options.target))
    return detail::emitCUDAModel(module, options, output, header);
  Location loc = module.getLoc();
  std::string error;
  FailureOr<TargetSpec> target =
      resolveTarget(options.target, options.cpu, error);
  if (failed(target))
    return emitError(loc) << error;
  target->optLevel = options.optLevel;
  auto entry = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!entry)
    return emitError(loc) << "the module has no @main_graph";
  FailureOr<ModelSignature> signature = ModelSignature::fromFunction(entry);
  if (failed(signature))
    return failure();
  PassManager pm(module.getContext());
  CPUPipelineOptions pipeline;
  if (failed(configureCPUPipeline(*target, options, pipeline, error)))
    return emitError(loc) << error;
  target->openmp = pipeline.threads != 1;
  buildCPUPipeline(pm, pipeline);
  if (failed(pm.run(module)))
    return failure();
  if (failed(emitAndLinkSharedObject(module, *target, output)))
    return failure();
  if (!header.empty()) {
    auto file = openOutputFile(header, &error);
    if (!file)
      return emitError(loc) << error;
    file->os() << signature->toCHeader(options.symbolName);
    file->keep();
  }
  return success();
}
