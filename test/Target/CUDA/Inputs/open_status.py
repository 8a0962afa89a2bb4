# SPDX-License-Identifier: Apache-2.0
"""Opens a model with qc_model_open() and prints the status code, its name
and qc_last_error(). Usage: open_status.py LIBQC_RUNTIME MODEL"""
import ctypes
import sys

rt = ctypes.CDLL(sys.argv[1])
rt.qc_status_string.restype = ctypes.c_char_p
rt.qc_last_error.restype = ctypes.c_char_p
model = ctypes.c_void_p()
status = rt.qc_model_open(sys.argv[2].encode(), ctypes.byref(model))
print("status", status, rt.qc_status_string(status).decode())
print("error", (rt.qc_last_error() or b"").decode())
if status == 0:
    rt.qc_model_close(model)
