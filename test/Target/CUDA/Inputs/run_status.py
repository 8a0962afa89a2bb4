# SPDX-License-Identifier: Apache-2.0
"""Opens a one-input model (Inputs/gemm.mlir: x f32[4, 96] -> y, z
f32[4, 40]) with the qc runtime and runs it twice, printing each status
code, its name and qc_last_error(). Usage: run_status.py LIBQC_RUNTIME
MODEL"""
import ctypes
import sys


class Tensor(ctypes.Structure):
    # qc_tensor_t (qc/qc_runtime.h)
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("data", ctypes.c_void_p), ("size_bytes", ctypes.c_size_t)]


rt = ctypes.CDLL(sys.argv[1])
rt.qc_status_string.restype = ctypes.c_char_p
rt.qc_last_error.restype = ctypes.c_char_p
model = ctypes.c_void_p()
status = rt.qc_model_open(sys.argv[2].encode(), ctypes.byref(model))
print("open", status, rt.qc_status_string(status).decode())
if status != 0:
    print("error", rt.qc_last_error().decode())
    sys.exit(0)


def tensor(name, rows, cols, buf):
    shape = (ctypes.c_int64 * 2)(rows, cols)
    t = Tensor(name.encode(), 1, 2, shape, ctypes.cast(buf, ctypes.c_void_p),
               ctypes.sizeof(buf))
    t._keep = shape
    return t


x = (ctypes.c_float * (4 * 96))()
y = (ctypes.c_float * (4 * 40))()
z = (ctypes.c_float * (4 * 40))()
inputs = (Tensor * 1)(tensor("x", 4, 96, x))
outputs = (Tensor * 2)(tensor("y", 4, 40, y), tensor("z", 4, 40, z))
for _ in range(2):
    status = rt.qc_model_run(model, inputs, 1, outputs, 2)
    print("run", status, rt.qc_status_string(status).decode())
    if status != 0:
        print("error", rt.qc_last_error().decode())
rt.qc_model_close(model)
