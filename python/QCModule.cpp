//===- QCModule.cpp - qc._qc: Python binding of the qc C API --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The extension module behind the `qc` package's compiler functions. It uses
// only the C API (qc-c/*.h and mlir-c/*.h from libQCCAPI.so); the package's
// Python code (qc/_compiler.py) validates user input and shapes the results.
//
// Options come in as a dict whose keys mirror the qcCompileOptionsSet*
// functions. Errors become Python exceptions by kind: invalid arguments
// ValueError, unsupported features NotImplementedError, I/O OSError, and
// compile failures qc.CompileError (defined in qc/_errors.py), each with the
// full diagnostic text.
//
//===----------------------------------------------------------------------===//

#include "qc-c/Compiler.h"
#include "qc-c/Dialects.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

MlirStringRef toRef(const std::string &s) {
  return mlirStringRefCreate(s.data(), s.size());
}

/// Raises the Python exception for `error` (which it releases).
[[noreturn]] void raise(QcError error) {
  MlirStringRef text = qcErrorGetMessage(error);
  std::string message(text.data, text.length);
  QcErrorKind kind = qcErrorGetKind(error);
  qcErrorDestroy(error);
  switch (kind) {
  case QcErrorKindInvalidArgument:
    throw py::value_error(message);
  case QcErrorKindUnsupported:
    PyErr_SetString(PyExc_NotImplementedError, message.c_str());
    throw py::error_already_set();
  case QcErrorKindIO:
    PyErr_SetString(PyExc_OSError, message.c_str());
    throw py::error_already_set();
  case QcErrorKindCompile:
    break;
  }
  py::object compileError =
      py::module_::import("qc._errors").attr("CompileError");
  PyErr_SetString(compileError.ptr(), message.c_str());
  throw py::error_already_set();
}

void check(QcError error) {
  if (!qcErrorIsNull(error))
    raise(error);
}

/// Owns a QcCompileOptions filled from a dict.
class Options {
public:
  explicit Options(const py::dict &dict) : options(qcCompileOptionsCreate()) {
    try {
      fill(dict);
    } catch (...) {
      qcCompileOptionsDestroy(options);
      throw;
    }
  }
  ~Options() { qcCompileOptionsDestroy(options); }
  Options(const Options &) = delete;
  Options &operator=(const Options &) = delete;

  QcCompileOptions get() const { return options; }

  /// Collects messages while the GIL is released; the Python side turns
  /// warnings into warnings.warn and prints progress when asked to.
  void collectMessages(bool printProgress) {
    this->printProgress = printProgress;
    qcCompileOptionsSetMessageCallback(options, &Options::onMessage, this);
  }
  /// What a call produced besides its main result: {"messages": [(kind,
  /// text)], "report": (json, table) or None}.
  py::dict results() const {
    py::list list;
    for (const auto &[kind, text] : messages)
      list.append(py::make_tuple(kind, text));
    py::dict result;
    result["messages"] = list;
    result["report"] =
        report ? py::object(py::make_tuple(report->first, report->second))
               : py::object(py::none());
    return result;
  }

private:
  static void onMessage(QcMessageKind kind, MlirStringRef text, void *user) {
    auto *self = static_cast<Options *>(user);
    std::string line(text.data, text.length);
    if (kind == QcMessageKindProgress && self->printProgress) {
      py::gil_scoped_acquire gil;
      PySys_WriteStderr("qc: %s\n", line.c_str());
      return;
    }
    self->messages.emplace_back(int(kind), std::move(line));
  }

  static void onReport(MlirStringRef json, MlirStringRef table, void *user) {
    static_cast<Options *>(user)->report.emplace(
        std::string(json.data, json.length),
        std::string(table.data, table.length));
  }

  void fill(const py::dict &dict) {
    for (auto item : dict) {
      std::string key = py::cast<std::string>(item.first);
      py::handle value = item.second;
      if (value.is_none())
        continue;
      if (key == "model_path") {
        qcCompileOptionsSetModelPath(options, str(value));
      } else if (key == "model_bytes") {
        std::string bytes = py::cast<py::bytes>(value);
        qcCompileOptionsSetModelBytes(options, toRef(bytes));
      } else if (key == "name") {
        qcCompileOptionsSetModelName(options, str(value));
      } else if (key == "input_shapes") {
        for (auto entry : py::cast<py::dict>(value)) {
          std::string name = py::cast<std::string>(entry.first);
          auto dims = py::cast<std::vector<int64_t>>(entry.second);
          check(qcCompileOptionsSetInputShape(
              options, toRef(name), intptr_t(dims.size()), dims.data()));
        }
      } else if (key == "input_values") {
        for (auto entry : py::cast<py::dict>(value)) {
          std::string name = py::cast<std::string>(entry.first);
          std::string spec = py::cast<std::string>(entry.second);
          check(
              qcCompileOptionsSetInputValue(options, toRef(name), toRef(spec)));
        }
      } else if (key == "onnx_checker") {
        qcCompileOptionsSetONNXChecker(options, py::cast<bool>(value));
      } else if (key == "target") {
        qcCompileOptionsSetTarget(options, str(value));
      } else if (key == "cpu") {
        qcCompileOptionsSetCPU(options, str(value));
      } else if (key == "opt_level") {
        qcCompileOptionsSetOptLevel(options, py::cast<unsigned>(value));
      } else if (key == "quantize") {
        qcCompileOptionsSetQuantize(options, str(value));
      } else if (key == "algo") {
        qcCompileOptionsSetAlgorithm(options, str(value));
      } else if (key == "group_size") {
        qcCompileOptionsSetWeightGroupSize(options, py::cast<int64_t>(value));
      } else if (key == "symmetric") {
        qcCompileOptionsSetWeightSymmetric(options, py::cast<bool>(value));
      } else if (key == "weight_only_compute") {
        qcCompileOptionsSetWeightOnlyCompute(options, str(value));
      } else if (key == "act_order") {
        qcCompileOptionsSetActOrder(options, py::cast<bool>(value));
      } else if (key == "calib_path") {
        qcCompileOptionsSetCalibPath(options, str(value));
      } else if (key == "calib_arrays") {
        // [(name, qc_dtype_t code, shape, buffer), ...]
        for (auto entry : py::cast<py::list>(value)) {
          auto tuple = py::cast<py::tuple>(entry);
          std::string name = py::cast<std::string>(tuple[0]);
          auto dtype = static_cast<qc_dtype_t>(py::cast<int>(tuple[1]));
          auto shape = py::cast<std::vector<int64_t>>(tuple[2]);
          py::buffer_info buffer = py::cast<py::buffer>(tuple[3]).request();
          check(qcCompileOptionsAddCalibArray(
              options, toRef(name), dtype, intptr_t(shape.size()), shape.data(),
              buffer.ptr, size_t(buffer.size) * size_t(buffer.itemsize)));
        }
      } else if (key == "calib_table") {
        qcCompileOptionsSetCalibTable(options, str(value));
      } else if (key == "calib_method") {
        qcCompileOptionsSetCalibMethod(options, str(value));
      } else if (key == "percentile") {
        qcCompileOptionsSetPercentile(options, py::cast<double>(value));
      } else if (key == "activation_type") {
        qcCompileOptionsSetActivationType(options, str(value));
      } else if (key == "keep_float") {
        for (auto node : py::cast<py::list>(value))
          qcCompileOptionsAddKeepFloat(options, str(node));
      } else if (key == "calib_moving_average") {
        qcCompileOptionsSetCalibMovingAverage(options, py::cast<double>(value));
      } else if (key == "smoothquant") {
        qcCompileOptionsSetSmoothQuant(options, py::cast<double>(value));
      } else if (key == "threads") {
        qcCompileOptionsSetThreads(options, py::cast<unsigned>(value));
      } else if (key == "fp8_format") {
        qcCompileOptionsSetFP8Format(options, str(value));
      } else if (key == "fp8_weight_scales") {
        qcCompileOptionsSetFP8WeightScales(options, str(value));
      } else if (key == "mixed_precision") {
        mixedPrecision = py::cast<bool>(value);
      } else if (key == "max_size_ratio") {
        maxSizeRatio = py::cast<double>(value);
      } else if (key == "max_error_increase") {
        maxErrorIncrease = py::cast<double>(value);
      } else if (key == "report") {
        if (py::cast<bool>(value))
          qcCompileOptionsSetReportCallback(options, &Options::onReport, this);
      } else {
        throw py::value_error("unknown qc option '" + key + "'");
      }
    }
    // As qc-compile: an error budget alone has no size budget.
    if (mixedPrecision || maxSizeRatio || maxErrorIncrease)
      qcCompileOptionsSetMixedPrecision(
          options, mixedPrecision,
          maxSizeRatio ? *maxSizeRatio : (maxErrorIncrease ? 0.0 : 0.3),
          maxErrorIncrease.value_or(0.0));
  }

  bool mixedPrecision = false;
  std::optional<double> maxSizeRatio, maxErrorIncrease;

  MlirStringRef str(py::handle value) {
    strings.push_back(py::cast<std::string>(value));
    return toRef(strings.back());
  }

  QcCompileOptions options;
  /// Keeps strings alive until the options are filled (the C API copies).
  std::vector<std::string> strings;
  std::vector<std::pair<int, std::string>> messages;
  std::optional<std::pair<std::string, std::string>> report;
  bool printProgress = false;
};

/// A module with the context it lives in (one context per module, so that
/// modules are independent and can be used from different threads).
class Module {
public:
  Module() {
    MlirDialectRegistry registry = mlirDialectRegistryCreate();
    qcRegisterAllDialects(registry);
    context = mlirContextCreateWithRegistry(registry, /*threadingEnabled=*/
                                            false);
    mlirDialectRegistryDestroy(registry);
  }
  ~Module() {
    if (!mlirModuleIsNull(module))
      mlirModuleDestroy(module);
    mlirContextDestroy(context);
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  MlirContext context;
  MlirModule module = {nullptr};
};

void appendString(MlirStringRef text, void *user) {
  static_cast<std::string *>(user)->append(text.data, text.length);
}

MlirLogicalResult collectDiagnostic(MlirDiagnostic diagnostic, void *user) {
  auto *text = static_cast<std::string *>(user);
  MlirLocation loc = mlirDiagnosticGetLocation(diagnostic);
  std::string where;
  mlirLocationPrint(loc, appendString, &where);
  // loc("file":line:col) -> file:line:col
  if (where.rfind("loc(", 0) == 0 && where.back() == ')')
    where = where.substr(4, where.size() - 5);
  if (!where.empty() && where.front() == '"') {
    size_t close = where.find('"', 1);
    if (close != std::string::npos)
      where = where.substr(1, close - 1) + where.substr(close + 1);
  }
  static const char *const severities[] = {"error", "warning", "note",
                                           "remark"};
  unsigned severity = mlirDiagnosticGetSeverity(diagnostic);
  text->append(where).append(": ");
  text->append(severity < 4 ? severities[severity] : "error").append(": ");
  mlirDiagnosticPrint(diagnostic, appendString, text);
  text->append("\n");
  return mlirLogicalResultSuccess();
}

std::unique_ptr<Module> parseModule(const std::string &source) {
  auto result = std::make_unique<Module>();
  std::string diagnostics;
  MlirDiagnosticHandlerID id = mlirContextAttachDiagnosticHandler(
      result->context, collectDiagnostic, &diagnostics, nullptr);
  result->module = mlirModuleCreateParse(result->context, toRef(source));
  mlirContextDetachDiagnosticHandler(result->context, id);
  if (mlirModuleIsNull(result->module)) {
    while (!diagnostics.empty() && diagnostics.back() == '\n')
      diagnostics.pop_back();
    py::object compileError =
        py::module_::import("qc._errors").attr("CompileError");
    PyErr_SetString(compileError.ptr(), diagnostics.empty()
                                            ? "cannot parse the MLIR module"
                                            : diagnostics.c_str());
    throw py::error_already_set();
  }
  return result;
}

std::string printModule(const Module &module) {
  std::string text;
  mlirOperationPrint(mlirModuleGetOperation(module.module), appendString,
                     &text);
  return text;
}

} // namespace

PYBIND11_MODULE(_qc, m) {
  m.doc() = "qc compiler binding over the qc C API (use the qc package)";
  qcRegisterAllPasses();

  m.def("capi_version", &qcGetCAPIVersion);

  m.def(
      "compile",
      [](const py::dict &dict, const std::string &soPath,
         const std::string &headerPath, bool verbose) {
        Options options(dict);
        options.collectMessages(verbose);
        QcError error;
        {
          py::gil_scoped_release release;
          error = qcCompile(options.get(), toRef(soPath), toRef(headerPath));
        }
        // Warnings explain many failures; they are part of the message.
        check(error);
        return options.results();
      },
      py::arg("options"), py::arg("so_path"), py::arg("header_path") = "",
      py::arg("verbose") = false,
      "Compiles a model into a shared object; returns {messages, report}.");

  m.def(
      "calibrate",
      [](const py::dict &dict, bool verbose) {
        Options options(dict);
        options.collectMessages(verbose);
        std::string table;
        QcError error;
        {
          py::gil_scoped_release release;
          error = qcCalibrate(options.get(), appendString, &table);
        }
        check(error);
        py::dict result = options.results();
        result["table"] = table;
        return result;
      },
      py::arg("options"), py::arg("verbose") = false,
      "Calibrates a model; returns {table (JSON), messages}.");

  py::class_<Module>(m, "Module")
      .def_static(
          "parse",
          [](const std::string &source) { return parseModule(source); },
          py::arg("source"))
      .def_static(
          "import_onnx",
          [](const py::dict &dict) {
            auto result = std::make_unique<Module>();
            Options options(dict);
            QcError error;
            if (dict.contains("model_bytes")) {
              std::string bytes = py::cast<py::bytes>(dict["model_bytes"]);
              py::gil_scoped_release release;
              error = qcImportONNXBytes(result->context, toRef(bytes),
                                        mlirStringRefCreate("", 0),
                                        options.get(), &result->module);
            } else {
              std::string path = py::cast<std::string>(dict["model_path"]);
              py::gil_scoped_release release;
              error = qcImportONNXFile(result->context, toRef(path),
                                       options.get(), &result->module);
            }
            check(error);
            return result;
          },
          py::arg("options"))
      .def_static(
          "build",
          [](const py::dict &dict, bool verbose) {
            auto result = std::make_unique<Module>();
            Options options(dict);
            options.collectMessages(verbose);
            QcError error;
            {
              py::gil_scoped_release release;
              error = qcBuildModule(result->context, options.get(),
                                    &result->module);
            }
            check(error);
            py::dict results = options.results();
            results["module"] = py::cast(std::move(result));
            return results;
          },
          py::arg("options"), py::arg("verbose") = false)
      .def("run_pipeline",
           [](Module &self, const std::string &pipeline) {
             QcError error;
             {
               py::gil_scoped_release release;
               error = qcRunPassPipeline(self.module, toRef(pipeline));
             }
             check(error);
           })
      .def("emit_object",
           [](Module &self, const std::string &path, const py::dict &dict) {
             Options options(dict);
             QcError error;
             {
               py::gil_scoped_release release;
               error = qcEmitObject(self.module, options.get(), toRef(path));
             }
             check(error);
           })
      .def("emit_shared_object",
           [](Module &self, const std::string &soPath,
              const std::string &headerPath, const py::dict &dict) {
             Options options(dict);
             QcError error;
             {
               py::gil_scoped_release release;
               error = qcEmitSharedObject(self.module, options.get(),
                                          toRef(soPath), toRef(headerPath));
             }
             check(error);
           })
      .def("verify",
           [](Module &self) {
             return mlirOperationVerify(mlirModuleGetOperation(self.module));
           })
      .def("__str__", &printModule);
}
