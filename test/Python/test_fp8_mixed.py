# SPDX-License-Identifier: Apache-2.0
"""The fp8 and mixed-precision options of qc.compile (qc-compile's
--fp8-format, --fp8-weight-scales, --mixed-precision, --max-size-ratio,
--max-error-increase)."""

import numpy as np
import pytest

import qc
from conftest import DIGITS_CALIB, DIGITS_ONNX, TEST_SHAPE, accuracy


def test_fp8_formats(digits_test):
    images = digits_test[0]
    reference = qc.compile(DIGITS_ONNX, input_shapes=TEST_SHAPE)
    acc32 = accuracy(reference, digits_test)
    ref = reference(image=images)["logits"]
    outputs = {}
    for fmt in ("e4m3", "e5m2"):
        for scales in ("tensor", "channel"):
            model = qc.compile(DIGITS_ONNX, quantize="fp8", calib=DIGITS_CALIB,
                               input_shapes=TEST_SHAPE, fp8_format=fmt,
                               fp8_weight_scales=scales)
            outputs[fmt, scales] = model(image=images)["logits"]
            assert accuracy(model, digits_test) >= acc32 - 0.02
    # The options reach the compiler: every variant computes something else.
    keys = list(outputs)
    for i, a in enumerate(keys):
        assert not np.array_equal(outputs[a], ref)
        for b in keys[i + 1:]:
            assert not np.array_equal(outputs[a], outputs[b]), (a, b)
    # E5M2 (2 mantissa bits) is the coarser format.
    err = {k: np.abs(v - ref).mean() for k, v in outputs.items()}
    assert err["e5m2", "tensor"] > err["e4m3", "tensor"]


def test_fp8_and_mixed_precision_errors():
    with pytest.raises(qc.CompileError, match=r"unknown --fp8-format=e3m4 "
                       r"\(expected e4m3 or e5m2\)"):
        qc.compile(DIGITS_ONNX, quantize="fp8", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, fp8_format="e3m4")
    with pytest.raises(qc.CompileError, match="unknown --fp8-weight-scales="
                       "row"):
        qc.compile(DIGITS_ONNX, quantize="fp8", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, fp8_weight_scales="row")
    with pytest.raises(qc.CompileError, match="--fp8-format and "
                       "--fp8-weight-scales apply to --quantize=fp8"):
        qc.compile(DIGITS_ONNX, quantize="int8", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, fp8_format="e5m2")
    with pytest.raises(qc.CompileError, match="--max-error-increase is the "
                       "error budget of --mixed-precision"):
        qc.compile(DIGITS_ONNX, quantize="w4a16", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, max_error_increase=0.01)
    with pytest.raises(qc.CompileError, match="--max-error-increase must be "
                       "a non-negative number"):
        qc.compile(DIGITS_ONNX, quantize="w4a16", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, mixed_precision=True,
                   max_error_increase=-1)
    with pytest.raises(qc.CompileError, match="--mixed-precision applies to "
                       "--quantize=w4a16"):
        qc.compile(DIGITS_ONNX, quantize="w8a16", calib=DIGITS_CALIB,
                   input_shapes=TEST_SHAPE, mixed_precision=True)
