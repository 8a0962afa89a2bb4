# SPDX-License-Identifier: Apache-2.0
"""IR-level access: qc.import_onnx, qc.build, qc.parse_mlir, textual pass
pipelines (the same results as qc-opt), object emission."""

import os
import subprocess

import numpy as np
import pytest

import qc
from conftest import BUILD, DIGITS_CALIB, DIGITS_ONNX, LINEAR

QUANTIZE = """
!q = !qc.uniform<i8:f32, 0.5:-3>
func.func @quantize(%x: tensor<4xf32>) -> tensor<4x!q> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!q>
  return %q : tensor<4x!q>
}
"""


def test_import_onnx():
    module = qc.import_onnx(LINEAR, input_shapes={"x": [2, 4]})
    text = str(module)
    assert "func.func @main_graph(%arg0: tensor<2x4xf32>" in text
    assert "qc.matmul" in text
    assert module.verify()
    with open(DIGITS_ONNX, "rb") as f:
        from_bytes = qc.import_onnx(f.read(), input_shapes={"image": [1, 1, 8, 8]})
    assert str(from_bytes).count("qc.conv") == 3


def test_pipeline_matches_qc_opt():
    pipeline = "builtin.module(convert-qc-to-linalg,canonicalize)"
    module = qc.parse_mlir(QUANTIZE).run_pipeline(pipeline)
    text = str(module)
    assert "qc.quantize" not in text and "math.roundeven" in text
    qc_opt = subprocess.run(
        [os.path.join(BUILD, "bin", "qc-opt"), "--pass-pipeline=" + pipeline],
        input=QUANTIZE, capture_output=True, text=True, check=True).stdout
    assert text.strip() == qc_opt.strip()
    # The anchor may be left out.
    bare = qc.parse_mlir(QUANTIZE).run_pipeline("convert-qc-to-linalg,canonicalize")
    assert str(bare) == text


def test_pipeline_errors():
    module = qc.parse_mlir(QUANTIZE)
    with pytest.raises(ValueError, match="'no-such-pass' does not refer to a "
                       "registered pass"):
        module.run_pipeline("no-such-pass")
    with pytest.raises(ValueError, match="did you intend to nest"):
        module.run_pipeline("func.func(convert-qc-to-linalg)")


def test_parse_errors():
    with pytest.raises(qc.CompileError,
                       match=r"1:31: error: expected attribute name"):
        qc.parse_mlir("func.func @f(%x: tensor<4xf32> {")
    with pytest.raises(qc.CompileError, match="zero point"):
        qc.parse_mlir("func.func private @g(tensor<4x!qc.uniform<i8:f32, "
                      "0.5:300>>)")


def test_lower_and_emit_object(tmp_path):
    module = qc.import_onnx(LINEAR, input_shapes={"x": [2, 4]})
    with pytest.raises(ValueError, match="needs an LLVM-dialect module"):
        module.emit_object(tmp_path / "early.o")
    module.run_pipeline("qc-cpu-pipeline{aot=true model-name=linear}")
    assert "llvm.func @qc_model_invoke" in str(module)
    path = module.emit_object(tmp_path / "linear.o")
    with open(path, "rb") as f:
        assert f.read(4) == b"\x7fELF"


def test_build_then_compile():
    calib = {"image": np.load(DIGITS_CALIB)["image"]}
    module = qc.build(DIGITS_ONNX, quantize="int8", calib=calib,
                      input_shapes={"image": [4, 1, 8, 8]}, name="digits4")
    text = str(module)
    assert "!qc.uniform<u8:f32" in text and "qc.observe" not in text
    model = module.compile()
    assert model.name == "digits4"
    out = model(image=np.zeros((4, 1, 8, 8), np.float32))["logits"]
    assert out.shape == (4, 10) and np.isfinite(out).all()
