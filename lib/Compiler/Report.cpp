//===- Report.cpp - Quantization report -----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Compiler/Report.h"
#include "CompilerDetail.h"
#include "qc/Calibration/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Export/ONNX/QDQExport.h"
#include "qc/Target/AOT/ModelSignature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

#include "qc/qc_runtime.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// ErrorStatistics
//===----------------------------------------------------------------------===//

void ErrorStatistics::add(const float *reference, const float *quantized,
                          int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    double f = reference[i], q = quantized[i];
    if (!std::isfinite(f) || !std::isfinite(q)) {
      ++nonFinite;
      continue;
    }
    double d = q - f;
    signalEnergy += f * f;
    noiseEnergy += d * d;
    maxAbsError = std::max(maxAbsError, std::fabs(d));
    ++elements;
  }
}

std::optional<double> ErrorStatistics::sqnrDb() const {
  if (elements == 0 || noiseEnergy == 0.0 || signalEnergy == 0.0)
    return std::nullopt;
  return 10.0 * std::log10(signalEnergy / noiseEnergy);
}

std::optional<double> ErrorStatistics::relativeMSE() const {
  if (elements == 0 || signalEnergy == 0.0)
    return std::nullopt;
  return noiseEnergy / signalEnergy;
}

//===----------------------------------------------------------------------===//
// Reading the quantized module
//===----------------------------------------------------------------------===//

/// The ONNX node name of an op: its NameLoc, possibly inside the fused
/// location that records its tensor name.
static std::string nodeNameOf(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = nodeNameOf(inner); !name.empty())
        return name;
  return "";
}

/// True for values computed only from constants (weights).
static bool isConstantLike(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (op->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (isa<StorageCastOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp,
          tensor::ExtractSliceOp, linalg::TransposeOp>(op))
    return isConstantLike(op->getOperand(0));
  return false;
}

static bool hasStatistics(Value value) {
  return llvm::any_of(value.getUsers(), [](Operation *user) {
    auto observe = dyn_cast<ObserveOp>(user);
    return observe && observe.getStatsAttr();
  });
}

/// Bytes of one element in memory (sub-byte types take a byte).
static int64_t elementBytes(Type type) {
  if (UniformType q = getUniformElementType(type))
    return (q.getStorageWidth() + 7) / 8;
  Type element = getElementTypeOrSelf(type);
  return (element.getIntOrFloatBitWidth() + 7) / 8;
}

/// Bytes of every tensor constant of `module`.
static int64_t constantBytes(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<ShapedType>(op.getType());
    if (type && type.hasStaticShape() && type.getElementType().isIntOrFloat())
      bytes += type.getNumElements() * elementBytes(type);
  });
  return bytes;
}

namespace {
/// What the report learns from one qc compute op of the quantized module.
struct ComputeOpInfo {
  std::string node;
  bool integer = false;
  std::string reason;
  UniformType activation;
  std::vector<int64_t> weightShape;
  int64_t weightBytes = 0, quantizedWeightBytes = 0;
  /// Bytes of the per-channel scales, which live in the weight's type.
  int64_t scaleBytes = 0;
};
} // namespace

/// Classifies a qc.matmul / qc.conv right after qc-quantize (probes with
/// statistics still in place), mirroring qc-quantize's rules.
static ComputeOpInfo classify(Operation *op, const llvm::StringSet<> &keep) {
  ComputeOpInfo info;
  info.node = nodeNameOf(op->getLoc());
  Value data = op->getOperand(0), weight = op->getOperand(1);
  UniformType dataType = getUniformElementType(data.getType());
  UniformType weightType = getUniformElementType(weight.getType());
  info.integer = dataType && weightType;
  if (dataType && dataType.isPerTensor())
    info.activation = dataType;
  if (isConstantLike(weight)) {
    auto shaped = cast<ShapedType>(weight.getType());
    info.weightShape.assign(shaped.getShape().begin(), shaped.getShape().end());
    int64_t n = shaped.getNumElements();
    if (weightType) {
      info.weightBytes = n * (weightType.getExpressedType().getWidth() / 8);
      info.scaleBytes = int64_t(weightType.getScaleValues().size()) *
                        (weightType.getExpressedType().getWidth() / 8);
      info.quantizedWeightBytes = n * elementBytes(shaped) + info.scaleBytes;
    } else {
      info.weightBytes = info.quantizedWeightBytes = n * elementBytes(shaped);
    }
  }
  if (info.integer)
    return info;
  if (keep.count(info.node))
    info.reason = "keep-float";
  else if (isConstantLike(data))
    info.reason = "constant data operand";
  else if (!getElementTypeOrSelf(data.getType()).isF32())
    info.reason = "data is not f32";
  else if (!hasStatistics(data))
    info.reason = "no calibration statistics";
  else if (!isConstantLike(weight) &&
           (isa<ConvOp>(op) || !hasStatistics(weight)))
    info.reason = "non-constant weight";
  else
    info.reason = "not quantized";
  return info;
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

static LogicalResult stripAndCanonicalize(ModuleOp module) {
  PassManager pm(module.getContext());
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createStripObserversPass());
  fpm.addPass(createCanonicalizerPass());
  return pm.run(module);
}

/// Puts a probe on the f32 output of every qc.matmul / qc.conv, named after
/// its node (`@k` for the k-th further op of one node), and returns the
/// names in program order.
static std::vector<std::string> insertOutputProbes(ModuleOp module) {
  std::vector<std::string> names;
  llvm::StringMap<unsigned> seen;
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<MatMulOp, ConvOp>(op))
      ops.push_back(op);
  });
  OpBuilder b(module.getContext());
  for (Operation *op : ops) {
    std::string name = nodeNameOf(op->getLoc());
    if (name.empty())
      name = op->getName().getStringRef().str();
    unsigned k = seen[name]++;
    if (k > 0)
      name += "@" + std::to_string(k);
    Value result = op->getResult(0);
    if (!getElementTypeOrSelf(result.getType()).isF32())
      continue;
    b.setInsertionPointAfter(op);
    ObserveOp::create(b, op->getLoc(), result, b.getStringAttr(name),
                      /*stats=*/StatsAttr());
    names.push_back(name);
  }
  return names;
}

FailureOr<QuantizationReport>
mlir::qc::buildReport(MLIRContext *context, const CompileOptions &options,
                      const BuildArtifacts &artifacts) {
  Location loc = FileLineColLoc::get(context, options.inputPath, 0, 0);
  if (options.quantize.empty() || !artifacts.quantized)
    return emitError(loc) << "--report needs a quantized model "
                             "(--quantize=int8)";
  if (options.calibPath.empty())
    return emitError(loc) << "--report measures on the calibration data and "
                             "needs --calib (a calibration table alone is "
                             "not enough)";
  auto progress = [&](const std::string &line) {
    if (options.progress)
      options.progress(line);
  };

  QuantizationReport report;
  report.scheme = "w8a8";
  report.activationType = options.activationType;
  report.calibMethod = options.calibMethod;
  report.percentile = options.percentile;
  report.movingAverage = options.calibMovingAverage;
  report.smoothQuantAlpha = options.smoothQuantAlpha;
  if (auto name =
          (*artifacts.quantized)->getAttrOfType<StringAttr>(kModelNameAttrName))
    report.model = name.str();

  // The float and the quantized model on the calibration feeds' shapes.
  CompileOptions quiet = options;
  quiet.progress = nullptr;
  FailureOr<OwningOpRef<ModuleOp>> deployed =
      importModel(context, quiet, options.import);
  if (failed(deployed))
    return failure();
  FailureOr<std::vector<CalibrationSample>> samples =
      detail::loadCalibrationSamples(**deployed, options, loc);
  if (failed(samples))
    return failure();
  report.samples = int64_t(samples->size());
  ONNXImportOptions calibImport =
      detail::calibrationImportOptions(options, *samples);
  FailureOr<OwningOpRef<ModuleOp>> floatModule =
      importModel(context, quiet, calibImport);
  FailureOr<OwningOpRef<ModuleOp>> quantModule =
      importModel(context, quiet, calibImport);
  if (failed(floatModule) || failed(quantModule) ||
      failed(quantizeModule(**quantModule, artifacts.statistics, quiet)))
    return failure();

  // Integer or float, and why, per compute op.
  llvm::StringSet<> keep;
  for (const std::string &name : options.keepFloat)
    keep.insert(name);
  std::vector<ComputeOpInfo> infos;
  (*artifacts.quantized)->walk([&](Operation *op) {
    if (isa<MatMulOp, ConvOp>(op))
      infos.push_back(classify(op, keep));
  });

  if (failed(stripAndCanonicalize(**floatModule)) ||
      failed(stripAndCanonicalize(**quantModule)))
    return failure();
  report.constantBytes = constantBytes(**floatModule);
  // Dead float weights are gone from the deployed module after
  // canonicalization; measure that one.
  {
    OwningOpRef<ModuleOp> deployedQuant((*artifacts.quantized).clone());
    if (failed(stripAndCanonicalize(*deployedQuant)))
      return failure();
    report.quantizedConstantBytes = constantBytes(*deployedQuant);
    for (const ComputeOpInfo &info : infos)
      report.quantizedConstantBytes += info.scaleBytes;
  }

  // Compile both with probes on every compute op's output and compare them
  // feed by feed, execution by execution.
  std::vector<std::string> floatNames = insertOutputProbes(**floatModule);
  std::vector<std::string> quantNames = insertOutputProbes(**quantModule);
  if (floatNames != quantNames)
    return emitError(loc) << "report: the float and the quantized model have "
                             "different compute ops";
  llvm::StringMap<ErrorStatistics> probeErrors;
  std::vector<OutputReport> outputs;
  {
    progress("report: measuring the float and the quantized model on " +
             std::to_string(samples->size()) + " calibration samples");
    FailureOr<std::unique_ptr<ProbedModel>> floatRun =
        ProbedModel::build(**floatModule, "report_float");
    if (failed(floatRun))
      return failure();
    FailureOr<std::unique_ptr<ProbedModel>> quantRun =
        ProbedModel::build(**quantModule, "report_quantized");
    if (failed(quantRun))
      return failure();
    ArrayRef<std::string> fIds = (*floatRun)->probeNames();
    ArrayRef<std::string> qIds = (*quantRun)->probeNames();
    llvm::StringMap<size_t> floatId;
    for (auto [id, name] : llvm::enumerate(fIds))
      floatId[name] = id;
    std::vector<int64_t> qToF(qIds.size(), -1);
    for (auto [id, name] : llvm::enumerate(qIds))
      if (auto it = floatId.find(name); it != floatId.end())
        qToF[id] = int64_t(it->second);
    std::vector<ErrorStatistics> errors(fIds.size());
    bool diverged = false;
    for (auto [index, sample] : llvm::enumerate(*samples)) {
      // Every execution of every float probe (loops run probes repeatedly).
      std::vector<std::vector<std::vector<float>>> floatData(fIds.size());
      std::string error = (*floatRun)->run(
          sample, [&](int32_t id, const float *data, int64_t count) {
            if (id >= 0 && size_t(id) < floatData.size())
              floatData[id].emplace_back(data, data + count);
          });
      if (error.empty()) {
        std::vector<ProbedModel::Output> floatOutputs(
            (*floatRun)->outputs().begin(), (*floatRun)->outputs().end());
        std::vector<size_t> executions(qIds.size(), 0);
        error = (*quantRun)->run(
            sample, [&](int32_t id, const float *data, int64_t count) {
              if (id < 0 || size_t(id) >= qToF.size() || qToF[id] < 0)
                return;
              const auto &runs = floatData[qToF[id]];
              size_t k = executions[id]++;
              if (k >= runs.size() || int64_t(runs[k].size()) != count) {
                diverged = true;
                return;
              }
              errors[qToF[id]].add(runs[k].data(), data, count);
            });
        if (error.empty()) {
          ArrayRef<ProbedModel::Output> quantOutputs = (*quantRun)->outputs();
          if (outputs.empty())
            for (const ProbedModel::Output &o : floatOutputs) {
              OutputReport r;
              r.name = o.name;
              r.isFloat = o.dtype == ONNXDType::Float;
              outputs.push_back(r);
            }
          for (size_t i = 0; i < floatOutputs.size(); ++i) {
            const std::vector<char> &f = floatOutputs[i].data;
            const std::vector<char> &q = quantOutputs[i].data;
            if (f.size() != q.size())
              continue;
            if (outputs[i].isFloat) {
              outputs[i].error.add(reinterpret_cast<const float *>(f.data()),
                                   reinterpret_cast<const float *>(q.data()),
                                   int64_t(f.size() / 4));
              continue;
            }
            size_t width = std::max<size_t>(
                qc_dtype_size(static_cast<qc_dtype_t>(floatOutputs[i].dtype)),
                1);
            for (size_t e = 0; e + width <= f.size(); e += width)
              outputs[i].mismatches +=
                  std::memcmp(f.data() + e, q.data() + e, width) != 0;
            outputs[i].error.elements += int64_t(f.size() / width);
          }
        }
      }
      if (!error.empty())
        return emitError(loc)
               << "report: calibration sample " << index << ": " << error;
    }
    if (diverged)
      emitWarning(loc) << "report: the quantized model executed some compute "
                          "ops a different number of times than the float "
                          "model (a data-dependent branch or loop); those "
                          "executions are not compared";
    for (auto [id, name] : llvm::enumerate(fIds))
      probeErrors[name] = errors[id];
  }
  report.outputs = std::move(outputs);

  // One row per compute node, in ONNX graph order; nodes the main graph
  // does not list (subgraph bodies) follow in program order.
  FailureOr<std::vector<ONNXNodeSummary>> nodes =
      summarizeONNXModel(options.inputPath, loc);
  if (failed(nodes))
    return failure();
  llvm::StringMap<std::vector<const ComputeOpInfo *>> byNode;
  std::vector<std::string> order;
  for (const ComputeOpInfo &info : infos) {
    auto &list = byNode[info.node];
    if (list.empty())
      order.push_back(info.node);
    list.push_back(&info);
  }
  llvm::StringMap<std::string> opTypes;
  llvm::StringSet<> listed;
  std::vector<std::string> rows;
  for (const ONNXNodeSummary &node : *nodes) {
    opTypes[node.name] = node.opType;
    if (byNode.count(node.name) || node.isEmbeddingLookup) {
      rows.push_back(node.name);
      listed.insert(node.name);
    }
  }
  for (const std::string &name : order)
    if (!listed.count(name))
      rows.push_back(name);
  llvm::StringMap<const ONNXNodeSummary *> summaries;
  for (const ONNXNodeSummary &node : *nodes)
    summaries[node.name] = &node;

  for (const std::string &name : rows) {
    LayerReport layer;
    layer.node = name;
    auto type = opTypes.find(name);
    auto ops = byNode.find(name);
    if (ops == byNode.end()) {
      // An embedding lookup: qc never quantizes a Gather's table.
      layer.opType = "Gather";
      layer.reason = "embedding lookup (Gather)";
      layer.weightBytes = layer.quantizedWeightBytes =
          summaries[name]->initializerBytes;
      report.weightBytes += layer.weightBytes;
      report.quantizedWeightBytes += layer.quantizedWeightBytes;
      report.layers.push_back(std::move(layer));
      continue;
    }
    layer.opType = type != opTypes.end() ? type->second : "qc op";
    unsigned integerOps = 0;
    for (const ComputeOpInfo *info : ops->second) {
      integerOps += info->integer;
      if (!info->integer && layer.reason.empty())
        layer.reason = info->reason;
      if (info->integer && !layer.activationType.empty())
        continue;
      if (info->activation) {
        layer.activationType = info->activation.getIsSigned() ? "i8" : "u8";
        layer.activationScale = info->activation.getScale();
        layer.activationZeroPoint = info->activation.getZeroPoint();
      }
    }
    for (const ComputeOpInfo *info : ops->second) {
      layer.weightBytes += info->weightBytes;
      layer.quantizedWeightBytes += info->quantizedWeightBytes;
      if (layer.weightShape.empty())
        layer.weightShape = info->weightShape;
    }
    layer.integer = integerOps == ops->second.size();
    if (!layer.integer && integerOps > 0)
      layer.reason = llvm::formatv("{0} of {1} ops integer; {2}", integerOps,
                                   ops->second.size(), layer.reason)
                         .str();
    // Every probe of the node: `name` and `name@k`.
    for (const auto &entry : probeErrors) {
      StringRef probe = entry.getKey();
      if (probe != name &&
          !(probe.starts_with(name + "@") &&
            llvm::all_of(probe.drop_front(name.size() + 1), llvm::isDigit)))
        continue;
      const ErrorStatistics &e = entry.getValue();
      layer.error.elements += e.elements;
      layer.error.nonFinite += e.nonFinite;
      layer.error.signalEnergy += e.signalEnergy;
      layer.error.noiseEnergy += e.noiseEnergy;
      layer.error.maxAbsError =
          std::max(layer.error.maxAbsError, e.maxAbsError);
      layer.measured = true;
    }
    report.weightBytes += layer.weightBytes;
    report.quantizedWeightBytes += layer.quantizedWeightBytes;
    report.layers.push_back(std::move(layer));
  }
  return report;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static llvm::json::Value optionalNumber(std::optional<double> v) {
  if (v && std::isfinite(*v))
    return *v;
  return nullptr;
}

llvm::json::Value mlir::qc::toJSON(const QuantizationReport &report) {
  llvm::json::Array layers;
  int64_t integer = 0;
  for (const LayerReport &l : report.layers) {
    integer += l.integer;
    llvm::json::Object o{
        {"node", l.node}, {"op_type", l.opType}, {"integer", l.integer}};
    o["reason"] = l.reason.empty() ? llvm::json::Value(nullptr)
                                   : llvm::json::Value(l.reason);
    if (!l.activationType.empty())
      o["activation"] =
          llvm::json::Object{{"type", l.activationType},
                             {"scale", l.activationScale},
                             {"zero_point", l.activationZeroPoint}};
    if (!l.weightShape.empty())
      o["weight_shape"] = llvm::json::Array(l.weightShape);
    o["weight_bytes"] = l.weightBytes;
    o["quantized_weight_bytes"] = l.quantizedWeightBytes;
    if (l.measured) {
      // SQNR is null when the outputs are identical (infinite SQNR).
      o["sqnr_db"] = optionalNumber(l.error.sqnrDb());
      o["relative_mse"] = optionalNumber(l.error.relativeMSE());
      o["max_abs_error"] = l.error.maxAbsError;
      o["elements"] = l.error.elements;
    }
    layers.push_back(std::move(o));
  }
  llvm::json::Array outputs;
  for (const OutputReport &out : report.outputs) {
    llvm::json::Object o{{"name", out.name}, {"elements", out.error.elements}};
    if (out.isFloat) {
      o["relative_mse"] = optionalNumber(out.error.relativeMSE());
      o["sqnr_db"] = optionalNumber(out.error.sqnrDb());
      o["max_abs_error"] = out.error.maxAbsError;
    } else {
      o["mismatches"] = out.mismatches;
    }
    outputs.push_back(std::move(o));
  }
  llvm::json::Object calibration{{"method", report.calibMethod},
                                 {"samples", report.samples}};
  if (report.calibMethod == "percentile")
    calibration["percentile"] = report.percentile;
  calibration["moving_average"] = report.movingAverage > 0
                                      ? llvm::json::Value(report.movingAverage)
                                      : llvm::json::Value(nullptr);
  return llvm::json::Object{
      {"version", 1},
      {"model", report.model},
      {"scheme", report.scheme},
      {"activation_type", report.activationType},
      {"calibration", std::move(calibration)},
      {"smoothquant_alpha", report.smoothQuantAlpha >= 0
                                ? llvm::json::Value(report.smoothQuantAlpha)
                                : llvm::json::Value(nullptr)},
      {"layers", std::move(layers)},
      {"outputs", std::move(outputs)},
      {"summary",
       llvm::json::Object{
           {"integer_layers", integer},
           {"float_layers", int64_t(report.layers.size()) - integer},
           {"weight_bytes", report.weightBytes},
           {"quantized_weight_bytes", report.quantizedWeightBytes},
           {"constant_bytes", report.constantBytes},
           {"quantized_constant_bytes", report.quantizedConstantBytes}}}};
}

LogicalResult mlir::qc::writeReportJSON(const QuantizationReport &report,
                                        StringRef path, Location loc) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file)
    return emitError(loc) << error;
  file->os() << llvm::formatv("{0:2}", toJSON(report)) << "\n";
  file->keep();
  return success();
}

/// "before -> after" in the unit that suits `before`: 1234567 -> "1.18 MiB".
static std::string formatBytes(int64_t before, int64_t after) {
  auto in = [&](double unit, const char *name, int digits) {
    return llvm::formatv("{0} -> {1} {2}",
                         llvm::format("%.*f", digits, before / unit),
                         llvm::format("%.*f", digits, after / unit), name)
        .str();
  };
  if (before < 10 * 1024)
    return in(1, "B", 0);
  if (before < 10 * 1024 * 1024)
    return in(1024.0, "KiB", 1);
  return in(1024.0 * 1024.0, "MiB", 2);
}

/// "41.2" (with `unit`), "exact" when nothing differs, "-" when there was
/// nothing to compare.
static std::string formatSQNR(const ErrorStatistics &e, StringRef unit) {
  if (std::optional<double> db = e.sqnrDb())
    return llvm::formatv("{0:f1}{1}", *db, unit).str();
  return e.elements && e.noiseEnergy == 0 ? "exact" : "-";
}

void mlir::qc::printReportTable(const QuantizationReport &report,
                                llvm::raw_ostream &os) {
  os << "quantization report: " << report.model << " (" << report.scheme << ", "
     << report.activationType << " activations, " << report.calibMethod;
  if (report.movingAverage > 0)
    os << " with moving average " << llvm::format("%g", report.movingAverage);
  os << " calibration";
  if (report.smoothQuantAlpha >= 0)
    os << ", SmoothQuant " << llvm::format("%g", report.smoothQuantAlpha);
  os << "); errors vs float32 on " << report.samples
     << " calibration samples\n\n";

  size_t nameWidth = 4, typeWidth = 2;
  for (const LayerReport &l : report.layers) {
    nameWidth = std::max(nameWidth, std::min<size_t>(l.node.size(), 40));
    typeWidth = std::max(typeWidth, l.opType.size());
  }
  os << llvm::left_justify("node", nameWidth) << "  "
     << llvm::left_justify("op", typeWidth) << "  runs   SQNR dB   max |err|"
     << "  weight bytes          note\n";
  int64_t integer = 0;
  for (const LayerReport &l : report.layers) {
    integer += l.integer;
    std::string sqnr = "-", maxErr = "-";
    if (l.measured) {
      sqnr = formatSQNR(l.error, "");
      maxErr = llvm::formatv("{0:e2}", l.error.maxAbsError).str();
    }
    std::string weights =
        l.weightBytes ? formatBytes(l.weightBytes, l.quantizedWeightBytes)
                      : "-";
    std::string note = l.reason;
    if (l.integer) {
      note.clear();
      llvm::raw_string_ostream(note)
          << l.activationType
          << llvm::format(" s=%.4g zp=%lld", l.activationScale,
                          (long long)l.activationZeroPoint);
    }
    os << llvm::left_justify(l.node, nameWidth) << "  "
       << llvm::left_justify(l.opType, typeWidth) << "  "
       << llvm::left_justify(l.integer ? "int8" : "float", 5) << "  "
       << llvm::right_justify(sqnr, 7) << "  "
       << llvm::right_justify(maxErr, 10) << "  "
       << llvm::left_justify(weights, 20) << "  " << note << "\n";
  }
  os << "\n"
     << integer << " of " << report.layers.size()
     << " compute nodes run in integer arithmetic\n";
  for (const OutputReport &out : report.outputs) {
    os << "output " << out.name << ": ";
    if (!out.isFloat) {
      os << out.mismatches << " of " << out.error.elements
         << " elements differ\n";
      continue;
    }
    std::optional<double> rel = out.error.relativeMSE();
    os << "relative MSE "
       << (rel ? llvm::formatv("{0:e2}", *rel).str() : std::string("-"))
       << ", max |err| " << llvm::formatv("{0:e2}", out.error.maxAbsError)
       << ", SQNR " << formatSQNR(out.error, " dB") << "\n";
  }
  os << "weights of compute nodes: "
     << formatBytes(report.weightBytes, report.quantizedWeightBytes)
     << "; all constants: "
     << formatBytes(report.constantBytes, report.quantizedConstantBytes)
     << "\n";
}
