# SPDX-License-Identifier: Apache-2.0
"""qc: compile ONNX models into native shared objects, optionally quantized.

    import numpy as np, qc
    model = qc.compile("model.onnx", quantize="int8", calib="calib.npz")
    outputs = model(x=np.zeros((1, 3, 224, 224), np.float32))
    model.save("model.so")            # later: qc.load("model.so")

Compiling goes through qc's C API (the same driver as qc-compile); running
goes through qc's C runtime, so qc.load() and CompiledModel need neither
LLVM nor MLIR.
"""

from ._compiler import (OPTIONS, Calibration, Module, QuantizationReport,
                        TensorStatistics, build, calibrate, compile,
                        compile_to_file, import_onnx, parse_mlir)
from ._errors import CompileError, QCWarning
from ._runtime import CompiledModel, TensorInfo, load

from ._config import VERSION as __version__

__all__ = [
    "Calibration",
    "CompileError",
    "CompiledModel",
    "Module",
    "OPTIONS",
    "QCWarning",
    "QuantizationReport",
    "TensorInfo",
    "TensorStatistics",
    "build",
    "calibrate",
    "compile",
    "compile_to_file",
    "import_onnx",
    "load",
    "parse_mlir",
]
