# SPDX-License-Identifier: Apache-2.0
"""qc's compiler from Python: compile, calibrate, and IR-level access.

Everything goes through the extension module qc._qc, a binding of qc's C
API (include/qc-c), which runs the same driver as qc-compile. It is imported
on first use, so that `import qc` and qc.load() work without it.
"""

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._dtypes import code_of
from ._errors import QCWarning
from ._runtime import CompiledModel

#: Keyword options of compile() and calibrate() beyond their named
#: parameters, with what they mean (qc-compile's flag of the same name).
OPTIONS = {
    "name": "model name, also the C prefix of the header (default: file stem)",
    "cpu": "CPU to optimize for: native (default), generic or an LLVM CPU",
    "opt_level": "LLVM optimization level 0-3 (default 3)",
    "calib_method": "minmax (default), percentile, entropy or mse",
    "percentile": "percentile for calib_method='percentile' (default 99.99)",
    "activation_type": "activation storage: u8 (default) or i8",
    "keep_float": "ONNX node name(s) whose ops stay in float",
    "calib_table": "calibration statistics cache (JSON), read or written",
    "calib_moving_average": "moving-average min/max constant c in (0, 1]",
    "smoothquant": "SmoothQuant migration strength alpha in [0, 1]",
    "threads": "threads of the model's kernels: 0 all cores (default), 1, N",
    "input_values": "{input: array} fixed at compile time (become constants)",
    "group_size": "w8a16/w4a16: input channels per weight group (default "
                  "128; 0: per output channel)",
    "symmetric": "w8a16/w4a16: symmetric weight codes without zero point",
    "weight_only_compute": "w8a16/w4a16: 'exact' (f32 products, default) "
                           "or 'int8' (activations quantized to int8 per "
                           "group, integer dot products; needs AVX-512 "
                           "VNNI)",
    "act_order": "algo='gptq': quantize input channels by decreasing "
                 "Hessian diagonal",
    "fp8_format": "quantize='fp8': e4m3 (default) or e5m2 for weights and "
                  "activations",
    "fp8_weight_scales": "quantize='fp8': weight scales per 'tensor' "
                         "(default) or per output 'channel'",
    "mixed_precision": "quantize='w4a16': keep the most sensitive layers at "
                       "8 bits (needs calib; see max_size_ratio, "
                       "max_error_increase)",
    "max_size_ratio": "mixed_precision: size budget, weight bytes over their "
                      "f32 bytes (default 0.3; none when only "
                      "max_error_increase is given)",
    "max_error_increase": "mixed_precision: error budget, the estimated sum "
                          "of the layers' relative output errors",
    "onnx_checker": "run onnx::checker on the model (default True)",
    "verbose": "print progress lines to stderr (default False)",
}

_ext_module = None


def _ext():
    global _ext_module
    if _ext_module is None:
        from . import _qc
        _ext_module = _qc
    return _ext_module


def _model_options(model):
    """The model as C API options: a path, or serialized bytes."""
    if isinstance(model, (str, os.PathLike)):
        return {"model_path": os.fspath(model)}
    if isinstance(model, (bytes, bytearray, memoryview)):
        return {"model_bytes": bytes(model)}
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto
        return {"model_bytes": model.SerializeToString()}
    raise TypeError("model must be a path to an .onnx/.onnxtext file, ONNX "
                    f"bytes or an onnx.ModelProto, not {type(model).__name__}")


def _shapes(input_shapes):
    if input_shapes is None:
        return None
    if not isinstance(input_shapes, Mapping):
        raise TypeError("input_shapes must be a dict {input name: shape}")
    result = {}
    for name, shape in input_shapes.items():
        try:
            result[str(name)] = [int(d) for d in shape]
        except (TypeError, ValueError):
            raise TypeError(f"input_shapes[{name!r}] must be a sequence of "
                            f"integers, not {shape!r}") from None
    return result


def _calib_arrays(calib):
    arrays = []
    for name, value in calib.items():
        array = np.ascontiguousarray(np.asarray(value))
        code = code_of(array.dtype)
        if code is None:
            raise TypeError(f"calibration array {name!r} has dtype "
                            f"{array.dtype}, which qc cannot take")
        if array.ndim < 1:
            raise ValueError(f"calibration array {name!r} needs a leading "
                             "sample axis")
        arrays.append((str(name), code, list(array.shape),
                       memoryview(array.reshape(-1).view(np.uint8))))
    return arrays


class _Scratch:
    """A temporary folder for files handed to the compiler."""

    def __init__(self):
        self.path = None

    def file(self, name):
        if self.path is None:
            self.path = tempfile.mkdtemp(prefix="qc-")
        return os.path.join(self.path, name)

    def detach(self):
        path, self.path = self.path, None
        return path

    def cleanup(self):
        if self.path:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


def _options(model, scratch, *, quantize=None, algo=None, calib=None,
             input_shapes=None, target="host", report=False, **options):
    """Validates the user's arguments into the extension's option dict."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        known = "\n".join(f"  {k}: {v}" for k, v in OPTIONS.items())
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; the "
                        f"options are:\n{known}")
    result = _model_options(model)
    result.update(quantize=quantize or "", algo=algo or "", target=target,
                  report=bool(report), input_shapes=_shapes(input_shapes))
    for key in ("name", "cpu", "calib_method", "activation_type",
                "fp8_format", "fp8_weight_scales", "weight_only_compute"):
        if options.get(key) is not None:
            result[key] = str(options[key])
    for key in ("opt_level", "threads", "group_size"):
        if options.get(key) is not None:
            result[key] = int(options[key])
    for key in ("percentile", "calib_moving_average", "smoothquant",
                "max_size_ratio", "max_error_increase"):
        if options.get(key) is not None:
            result[key] = float(options[key])
    for key in ("onnx_checker", "symmetric", "act_order", "mixed_precision"):
        if options.get(key) is not None:
            result[key] = bool(options[key])
    if options.get("calib_table") is not None:
        result["calib_table"] = os.fspath(options["calib_table"])
    keep = options.get("keep_float")
    if keep is not None:
        result["keep_float"] = [keep] if isinstance(keep, str) else [
            str(k) for k in keep
        ]
    values = options.get("input_values")
    if values is not None:
        specs = {}
        for name, value in values.items():
            path = scratch.file(f"value-{len(specs)}.npy")
            np.save(path, np.asarray(value))
            specs[str(name)] = "@" + path
        result["input_values"] = specs

    if calib is None:
        pass
    elif isinstance(calib, Calibration):
        path = scratch.file("calib-table.json")
        calib.save(path)
        result["calib_table"] = path
    elif isinstance(calib, (str, os.PathLike)):
        result["calib_path"] = os.fspath(calib)
    elif isinstance(calib, Mapping) or hasattr(calib, "files"):
        # a dict of arrays, or np.load() of an .npz
        keys = calib.files if hasattr(calib, "files") else list(calib)
        result["calib_arrays"] = _calib_arrays({k: calib[k] for k in keys})
    else:
        raise TypeError("calib must be an .npz path or folder, a dict of "
                        "arrays (samples on the leading axis) or a "
                        f"qc.Calibration, not {type(calib).__name__}")
    return result


def _report_messages(results):
    for kind, text in results["messages"]:
        if kind == 1:
            warnings.warn(text, QCWarning, stacklevel=3)


class QuantizationReport:
    """What quantization did to a model, measured against the float model on
    the calibration data (qc-compile --report): str() is the table,
    `layers` / `outputs` / `data` the JSON content.
    """

    def __init__(self, json_text, table):
        self.data = json.loads(json_text)
        self._json = json_text
        self.table = table
        #: one dict per compute node: node, op_type, integer, reason,
        #: sqnr_db, max_abs_error, weight_bytes, quantized_weight_bytes, ...
        self.layers = self.data.get("layers", [])
        #: one dict per model output: name, sqnr_db, max_abs_error, ...
        self.outputs = self.data.get("outputs", [])

    def save(self, path):
        """Writes the report as JSON (what qc-compile --report writes)."""
        with open(path, "w") as f:
            f.write(self._json)
        return path

    def __str__(self):
        return self.table

    def __repr__(self):
        integer = sum(1 for layer in self.layers if layer.get("integer"))
        return (f"<qc.QuantizationReport {self.data.get('model')!r}: "
                f"{integer} of {len(self.layers)} compute nodes in integer>")


def _report(results):
    report = results.get("report")
    return QuantizationReport(*report) if report else None


def compile(model, quantize=None, algo=None, calib=None, input_shapes=None,
            target="host", report=False, **options):
    """Compiles an ONNX model into native code and loads it.

    model: path to an .onnx (or .onnxtext) file, ONNX bytes or an
        onnx.ModelProto.
    quantize: None (float), "int8" (W8A8: per-channel int8 weights,
        8-bit activations calibrated on `calib`), or the weight-only
        "w8a16" / "w4a16" (group-wise 8/4-bit matmul weights, float
        activations; see `algo` and the group_size option).
    algo: weight-only schemes: "rtn" (round to nearest, the default when
        None), "gptq" or "awq" (both need `calib`, for the Hessians of the
        layer inputs). "int8" takes only rtn.
    calib: calibration data (quantize="int8", algo="gptq"/"awq"): an .npz
        path (one array
        per model input, samples on the leading axis) or a folder of
        per-sample .npz files, a dict {input name: array}, or the
        qc.Calibration that qc.calibrate() returned.
    input_shapes: {input name: shape} for inputs with dynamic dimensions.
    target: "host", "x86_64" or "aarch64" (a cross-compiled model cannot be
        loaded here; write it with compile_to_file()); "cuda" or
        "cuda:<arch>" (sm_80, sm_89, sm_90a, ...: an NVIDIA GPU; loading
        it needs the driver and a GPU, else OSError names what is
        missing); "cuda-emulate" (the GPU lowering run on the CPU, for
        testing).
    report: also measure the quantization report (per-node SQNR and error
        against the float model on the calibration data, weight bytes);
        it is the returned model's `report` (needs quantize="int8" and calib
        data; NotImplementedError for the other schemes).
    options: see qc.OPTIONS (name, cpu, calib_method, keep_float,
        group_size, ...).

    Returns a CompiledModel. Raises CompileError with the compiler's
    diagnostics when compilation fails, ValueError/TypeError for bad
    arguments, NotImplementedError for combinations qc does not support.
    """
    verbose = bool(options.pop("verbose", False))
    if target != "host" and not _is_host(target) and not _is_gpu(target):
        raise ValueError(
            f"a model compiled for {target!r} cannot be loaded on this "
            "machine; write it with qc.compile_to_file() instead")
    scratch = _Scratch()
    try:
        opts = _options(model, scratch, quantize=quantize, algo=algo,
                        calib=calib, input_shapes=input_shapes,
                        target=target, report=report, **options)
        so_path = scratch.file("model.so")
        header = scratch.file("model.h")
        results = _ext().compile(opts, so_path, header, verbose)
        _report_messages(results)
        owned = scratch.detach()
        return CompiledModel(so_path, _owned_dir=owned, _header=header,
                             report=_report(results))
    finally:
        scratch.cleanup()


def _is_gpu(target):
    """GPU models load on this machine through the same runtime (a missing
    driver or GPU is reported when the model is opened)."""
    return target == "cuda" or target.startswith("cuda:") or \
        target == "cuda-emulate"


def _is_host(target):
    import platform
    machine = platform.machine()
    return target == machine or (target == "aarch64" and machine == "arm64")


def compile_to_file(model, path, header=None, quantize=None, algo=None,
                    calib=None, input_shapes=None, target="host",
                    report=False, **options):
    """Like compile(), but writes the shared object to `path` (and a C
    header to `header`, if given) without loading it: for other targets, or
    for deployment elsewhere. Returns `path`, or (`path`, report) with
    report=True."""
    verbose = bool(options.pop("verbose", False))
    scratch = _Scratch()
    try:
        opts = _options(model, scratch, quantize=quantize, algo=algo,
                        calib=calib, input_shapes=input_shapes,
                        target=target, report=report, **options)
        path = os.fspath(path)
        results = _ext().compile(opts, path,
                                 os.fspath(header) if header else "", verbose)
        _report_messages(results)
        return (path, _report(results)) if report else path
    finally:
        scratch.cleanup()


@dataclass(frozen=True)
class TensorStatistics:
    """What calibration saw of one tensor (a quantized op's input)."""

    min: float
    max: float
    #: number of values observed (all samples)
    samples: int
    #: NaN/Inf values seen and ignored
    non_finite: int = 0
    #: |x| histogram over [0, hist_max], for histogram methods
    histogram: Optional[np.ndarray] = None
    hist_max: Optional[float] = None
    #: per-channel ranges along channel_axis (matmul inputs)
    channel_axis: Optional[int] = None
    channel_min: Optional[np.ndarray] = None
    channel_max: Optional[np.ndarray] = None


class Calibration(Mapping):
    """Calibration statistics by tensor name (the ONNX names of the inputs
    of quantized ops): a read-only dict of TensorStatistics.

    save() writes the calibration table qc-compile --calib-table reads;
    compile(calib=<Calibration>) quantizes with it without recalibrating.
    """

    def __init__(self, table):
        """`table` is the JSON text (or parsed dict) of a calibration table."""
        self._json = table if isinstance(table, str) else json.dumps(table)
        data = json.loads(self._json)
        if not isinstance(data, dict) or data.get("version") != 1 or \
                not isinstance(data.get("tensors"), dict):
            raise ValueError("not a qc calibration table "
                             '({"version": 1, "tensors": {...}})')
        self._stats = {}
        for name, t in data["tensors"].items():
            hist = t.get("hist")
            cmin, cmax = t.get("channel_min"), t.get("channel_max")
            self._stats[name] = TensorStatistics(
                min=float(t["min"]), max=float(t["max"]),
                samples=int(t["samples"]),
                non_finite=int(t.get("non_finite", 0)),
                histogram=None if hist is None else np.asarray(hist, np.int64),
                hist_max=t.get("hist_max"),
                channel_axis=t.get("channel_axis"),
                channel_min=None if cmin is None else np.asarray(cmin),
                channel_max=None if cmax is None else np.asarray(cmax))

    @classmethod
    def load(cls, path):
        """Reads a calibration table written by save() or qc-compile."""
        with open(path) as f:
            return cls(f.read())

    def save(self, path):
        """Writes the calibration table (JSON)."""
        with open(path, "w") as f:
            f.write(self._json)
        return path

    def to_json(self):
        return self._json

    def __getitem__(self, name):
        return self._stats[name]

    def __iter__(self):
        return iter(self._stats)

    def __len__(self):
        return len(self._stats)

    def __repr__(self):
        items = ", ".join(f"{k}: [{v.min:.4g}, {v.max:.4g}]"
                          for k, v in list(self._stats.items())[:4])
        more = ", ..." if len(self._stats) > 4 else ""
        return f"<qc.Calibration {len(self)} tensors {{{items}{more}}}>"


def calibrate(model, calib, input_shapes=None, method="minmax",
              percentile=None, **options):
    """Runs the float model natively on `calib` and returns what it saw.

    model, calib: as for compile(). method: minmax (default), percentile,
    entropy or mse (the histogram methods also gather histograms).
    Inputs without input_shapes are imported at the calibration data's
    per-sample shapes (the statistics do not depend on them).
    Returns a qc.Calibration (tensor name -> TensorStatistics).
    """
    if calib is None or isinstance(calib, Calibration):
        raise TypeError("calibrate() needs calibration data: an .npz path "
                        "or folder, or a dict of arrays")
    verbose = bool(options.pop("verbose", False))
    scratch = _Scratch()
    try:
        opts = _options(model, scratch, calib=calib, input_shapes=input_shapes,
                        calib_method=method, percentile=percentile, **options)
        results = _ext().calibrate(opts, verbose)
        _report_messages(results)
        return Calibration(results["table"])
    finally:
        scratch.cleanup()


class Module:
    """An MLIR module in a context of its own, for IR-level work:

        m = qc.import_onnx("model.onnx")
        m.run_pipeline("func.func(qc-insert-observers)")
        print(m)
    """

    def __init__(self, impl):
        self._impl = impl
        #: the QuantizationReport of qc.build(..., report=True), else None
        self.report = None

    def run_pipeline(self, pipeline):
        """Runs a textual pass pipeline (as qc-opt --pass-pipeline takes it,
        with or without the builtin.module(...) anchor), in place. Returns
        the module."""
        self._impl.run_pipeline(pipeline)
        return self

    def emit_object(self, path, target="host", cpu="native", opt_level=3):
        """Writes an ELF object of an LLVM-dialect module (for instance after
        run_pipeline("qc-cpu-pipeline{aot=true}"))."""
        self._impl.emit_object(os.fspath(path), {
            "target": target,
            "cpu": cpu,
            "opt_level": int(opt_level)
        })
        return path

    def compile(self, path=None, header=None, target="host", cpu="native",
                opt_level=3):
        """Lowers a tensor-level module (import_onnx/build output) in place
        and links it; returns the loaded CompiledModel, or the path when
        `path` is given. The model's name (and the C prefix of the header)
        is the one recorded at import (the `name` option)."""
        scratch = _Scratch()
        try:
            so_path = os.fspath(path) if path else scratch.file("model.so")
            opts = {"target": target, "cpu": cpu, "opt_level": int(opt_level)}
            self._impl.emit_shared_object(so_path,
                                          os.fspath(header) if header else "",
                                          opts)
            if path:
                return path
            return CompiledModel(so_path, _owned_dir=scratch.detach())
        finally:
            scratch.cleanup()

    def verify(self):
        """True if the module verifies."""
        return bool(self._impl.verify())

    def __str__(self):
        return str(self._impl)


def import_onnx(model, input_shapes=None, **options):
    """Imports an ONNX model into a qc.Module (qc-translate --import-onnx)."""
    scratch = _Scratch()
    try:
        opts = _options(model, scratch, input_shapes=input_shapes, **options)
        return Module(_ext().Module.import_onnx(opts))
    finally:
        scratch.cleanup()


def build(model, quantize=None, algo=None, calib=None, input_shapes=None,
          report=False, **options):
    """Imports and, if asked, calibrates and quantizes a model: the
    tensor-level qc.Module that qc-compile --emit=mlir prints. With
    report=True the module's `report` is the QuantizationReport."""
    verbose = bool(options.pop("verbose", False))
    scratch = _Scratch()
    try:
        opts = _options(model, scratch, quantize=quantize, algo=algo,
                        calib=calib, input_shapes=input_shapes, report=report,
                        **options)
        results = _ext().Module.build(opts, verbose)
        _report_messages(results)
        module = Module(results["module"])
        module.report = _report(results)
        return module
    finally:
        scratch.cleanup()


def parse_mlir(text):
    """Parses MLIR text (any registered dialect) into a qc.Module."""
    return Module(_ext().Module.parse(text))
