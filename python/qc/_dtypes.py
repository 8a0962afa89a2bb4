# SPDX-License-Identifier: Apache-2.0
"""qc_dtype_t codes (runtime/include/qc/qc_runtime.h: ONNX TensorProto data
types) and the NumPy dtypes they correspond to."""

import numpy as np

#: code -> (name, NumPy dtype or None when NumPy has no such type)
DTYPES = {
    1: ("float32", np.dtype(np.float32)),
    2: ("uint8", np.dtype(np.uint8)),
    3: ("int8", np.dtype(np.int8)),
    4: ("uint16", np.dtype(np.uint16)),
    5: ("int16", np.dtype(np.int16)),
    6: ("int32", np.dtype(np.int32)),
    7: ("int64", np.dtype(np.int64)),
    9: ("bool", np.dtype(np.bool_)),
    10: ("float16", np.dtype(np.float16)),
    11: ("float64", np.dtype(np.float64)),
    12: ("uint32", np.dtype(np.uint32)),
    13: ("uint64", np.dtype(np.uint64)),
    16: ("bfloat16", None),
    17: ("float8e4m3fn", None),
    19: ("float8e5m2", None),
}

_CODES = {dtype: code for code, (_, dtype) in DTYPES.items() if dtype is not None}


def code_of(dtype):
    """The qc_dtype_t code of a NumPy dtype, or None if qc has none."""
    return _CODES.get(np.dtype(dtype))
