# SPDX-License-Identifier: Apache-2.0
"""Running compiled models through qc's C runtime (libqc_runtime.so).

This part of the package needs only NumPy and the runtime library, not the
compiler: a model compiled elsewhere loads with qc.load("model.so").
"""

import ctypes
import os
import shutil
import tempfile
import threading
import weakref
from typing import NamedTuple, Optional, Tuple

import numpy as np

from . import _config
from ._dtypes import DTYPES

QC_OK = 0
_RUNTIME_API_VERSION = 1


class _TensorInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
    ]


class _Tensor(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("data", ctypes.c_void_p),
        ("size_bytes", ctypes.c_size_t),
    ]


_library = None
_library_lock = threading.Lock()


def _runtime_path():
    override = os.environ.get("QC_RUNTIME_LIBRARY")
    if override:
        return override
    return os.path.normpath(
        os.path.join(os.path.dirname(__file__), _config.RUNTIME_LIBRARY))


def _runtime():
    """Loads libqc_runtime once and declares the functions used here."""
    global _library
    with _library_lock:
        if _library is not None:
            return _library
        path = _runtime_path()
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise OSError(
                f"cannot load qc's runtime library {path}: {e} (set "
                "QC_RUNTIME_LIBRARY to its path if it lives elsewhere)") from e
        c_size_t, c_void_p, c_char_p = ctypes.c_size_t, ctypes.c_void_p, ctypes.c_char_p
        lib.qc_runtime_api_version.restype = ctypes.c_uint32
        lib.qc_last_error.restype = c_char_p
        lib.qc_model_open.argtypes = [c_char_p, ctypes.POINTER(c_void_p)]
        lib.qc_model_close.argtypes = [c_void_p]
        lib.qc_model_close.restype = None
        lib.qc_model_name.argtypes = [c_void_p]
        lib.qc_model_name.restype = c_char_p
        for fn in (lib.qc_model_num_inputs, lib.qc_model_num_outputs):
            fn.argtypes = [c_void_p]
            fn.restype = c_size_t
        for fn in (lib.qc_model_input_info, lib.qc_model_output_info):
            fn.argtypes = [c_void_p, c_size_t, ctypes.POINTER(_TensorInfo)]
        lib.qc_model_run.argtypes = [
            c_void_p, ctypes.POINTER(_Tensor), c_size_t,
            ctypes.POINTER(_Tensor), c_size_t
        ]
        version = lib.qc_runtime_api_version()
        if version != _RUNTIME_API_VERSION:
            raise OSError(f"{path} implements runtime API version {version}; "
                          f"this package needs {_RUNTIME_API_VERSION}")
        _library = lib
        return lib


def _last_error(lib):
    return (lib.qc_last_error() or b"").decode(errors="replace")


class TensorInfo(NamedTuple):
    """One input or output of a compiled model."""

    name: str
    #: the NumPy dtype, or None for types NumPy lacks (bfloat16, float8)
    dtype: Optional[np.dtype]
    shape: Tuple[int, ...]
    #: the qc name of the element type ("float32", "bfloat16", ...)
    dtype_name: str

    def __str__(self):
        return f"{self.name}: {self.dtype_name}[{', '.join(map(str, self.shape))}]"


def _close(lib, handle, owned_dir):
    lib.qc_model_close(handle)
    if owned_dir:
        shutil.rmtree(owned_dir, ignore_errors=True)


class CompiledModel:
    """A model compiled to a shared object and loaded through qc's runtime.

    Call it with the model's inputs, by keyword (their ONNX names) or by
    position, as NumPy arrays of exactly the compiled dtype and shape; it
    returns a dict from output name to a new NumPy array:

        outputs = model(image=batch)        # {"logits": array(...)}

    Several threads may call one model at once.
    """

    def __init__(self, path, *, _owned_dir=None, _header=None, report=None):
        lib = _runtime()
        self._lib = lib
        self.path = os.fspath(path)
        handle = ctypes.c_void_p()
        status = lib.qc_model_open(os.fsencode(self.path), ctypes.byref(handle))
        if status != QC_OK:
            if _owned_dir:
                shutil.rmtree(_owned_dir, ignore_errors=True)
            raise OSError(f"cannot load compiled model {self.path}: "
                          f"{_last_error(lib)}")
        self._handle = handle.value
        self._finalizer = weakref.finalize(self, _close, lib, self._handle,
                                           _owned_dir)
        self._header = _header
        #: The qc.QuantizationReport of compile(..., report=True), else None.
        self.report = report
        self.name = lib.qc_model_name(self._handle).decode(errors="replace")
        self.inputs = self._infos(lib.qc_model_num_inputs,
                                  lib.qc_model_input_info)
        self.outputs = self._infos(lib.qc_model_num_outputs,
                                   lib.qc_model_output_info)

    def _infos(self, count_fn, info_fn):
        infos = []
        for i in range(count_fn(self._handle)):
            info = _TensorInfo()
            if info_fn(self._handle, i, ctypes.byref(info)) != QC_OK:
                raise OSError(f"{self.path}: {_last_error(self._lib)}")
            name, dtype = DTYPES.get(info.dtype, (f"dtype {info.dtype}", None))
            infos.append(
                TensorInfo(info.name.decode(errors="replace"), dtype,
                           tuple(info.shape[d] for d in range(info.rank)),
                           name))
        return infos

    def _check_open(self):
        if not self._finalizer.alive:
            raise ValueError(f"model {self.name!r} is closed")

    def _feeds(self, args, kwargs):
        names = [t.name for t in self.inputs]
        if len(args) > len(names):
            raise TypeError(f"model {self.name!r} takes {len(names)} "
                            f"input(s) ({', '.join(names)}) but "
                            f"{len(args)} were given")
        feeds = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"model {self.name!r} has no input {key!r}; "
                                f"its inputs are: "
                                f"{', '.join(map(str, self.inputs))}")
            if key in feeds:
                raise TypeError(f"input {key!r} given twice")
            feeds[key] = value
        missing = [str(t) for t in self.inputs if t.name not in feeds]
        if missing:
            raise TypeError(f"model {self.name!r} is missing input(s): "
                            f"{', '.join(missing)}")
        return [self._array(t, feeds[t.name]) for t in self.inputs]

    @staticmethod
    def _array(info, value):
        if info.dtype is None:
            raise NotImplementedError(
                f"input {info.name!r} has element type {info.dtype_name}, "
                "which NumPy cannot hold; call the model from C")
        if isinstance(value, np.ndarray):
            if value.dtype != info.dtype:
                raise TypeError(
                    f"input {info.name!r} has dtype {value.dtype}; the model "
                    f"takes {info.dtype} (convert it with "
                    f".astype(numpy.{info.dtype}))")
            array = value
        else:
            array = np.asarray(value)
            if array.dtype != info.dtype:
                if not np.can_cast(array.dtype, info.dtype, casting="same_kind"):
                    raise TypeError(
                        f"input {info.name!r} holds {array.dtype} values; the "
                        f"model takes {info.dtype}")
                array = array.astype(info.dtype)
        if tuple(array.shape) != info.shape:
            raise ValueError(
                f"input {info.name!r} has shape {tuple(array.shape)}; the "
                f"model was compiled for {info.shape} (compile with "
                f"input_shapes={{{info.name!r}: {list(array.shape)}}} for "
                f"this shape)")
        return np.ascontiguousarray(array)

    def __call__(self, *args, **kwargs):
        """Runs the model; returns {output name: numpy array}."""
        self._check_open()
        arrays = self._feeds(args, kwargs)
        for info in self.outputs:
            if info.dtype is None:
                raise NotImplementedError(
                    f"output {info.name!r} has element type "
                    f"{info.dtype_name}, which NumPy cannot hold")
        results = [np.empty(t.shape, dtype=t.dtype) for t in self.outputs]
        keep = []

        def tensors(infos, arrays):
            table = (_Tensor * max(len(infos), 1))()
            for i, (info, array) in enumerate(zip(infos, arrays)):
                shape = (ctypes.c_int64 * max(len(info.shape), 1))(*info.shape)
                keep.append(shape)
                table[i] = _Tensor(info.name.encode(), self._code(info),
                                   len(info.shape), shape, array.ctypes.data,
                                   array.nbytes)
            return table

        inputs = tensors(self.inputs, arrays)
        outputs = tensors(self.outputs, results)
        status = self._lib.qc_model_run(self._handle, inputs, len(arrays),
                                        outputs, len(results))
        if status != QC_OK:
            raise RuntimeError(f"running {self.name!r} failed: "
                               f"{_last_error(self._lib)}")
        return {t.name: r for t, r in zip(self.outputs, results)}

    run = __call__

    @staticmethod
    def _code(info):
        for code, (name, _) in DTYPES.items():
            if name == info.dtype_name:
                return code
        raise NotImplementedError(info.dtype_name)

    def save(self, path, header=None):
        """Copies the shared object to `path` (and, for a model compiled in
        this process, its C header to `header`). Returns `path`.

        The file is replaced atomically, so saving over a model that some
        process has loaded does not disturb it.
        """
        path = os.fspath(path)
        _atomic_copy(self.path, path)
        if header is not None:
            if not self._header or not os.path.exists(self._header):
                raise ValueError(f"model {self.name!r} has no C header (it "
                                 "was loaded, not compiled, here)")
            _atomic_copy(self._header, os.fspath(header))
        return path

    def close(self):
        """Unloads the model (also done when it is garbage-collected)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        ins = ", ".join(map(str, self.inputs))
        outs = ", ".join(map(str, self.outputs))
        return f"<qc.CompiledModel {self.name!r} ({ins}) -> ({outs})>"


def _atomic_copy(source, target):
    directory = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".qc-save-")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        os.chmod(temporary, 0o755 if target.endswith(".so") else 0o644)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(path):
    """Loads a model compiled by qc (qc-compile or qc.compile + save)."""
    return CompiledModel(path)
