# SPDX-License-Identifier: Apache-2.0
"""qc.load and CompiledModel need only the C runtime: with the compiler
extension blocked, a saved model still loads and runs, and neither libMLIR
nor the extension is mapped into the process."""

import os
import subprocess
import sys
import textwrap

import numpy as np

import qc
from conftest import DIGITS_ONNX


def test_load_without_compiler(tmp_path):
    model = qc.compile(DIGITS_ONNX, input_shapes={"image": [2, 1, 8, 8]})
    path = model.save(tmp_path / "digits2.so")
    images = np.random.default_rng(1).random((2, 1, 8, 8), np.float32)
    np.save(tmp_path / "images.npy", images)
    expected = model(image=images)["logits"]
    np.save(tmp_path / "expected.npy", expected)
    script = textwrap.dedent(f"""
        import sys
        sys.modules["qc._qc"] = None          # no compiler extension
        import numpy as np, qc
        model = qc.load({str(path)!r})
        out = model(image=np.load({str(tmp_path / 'images.npy')!r}))
        assert np.array_equal(out["logits"],
                              np.load({str(tmp_path / 'expected.npy')!r}))
        maps = open("/proc/self/maps").read()
        assert "libMLIR" not in maps and "libQCCAPI" not in maps
        print("runtime only: ok", model)
    """)
    result = subprocess.run([sys.executable, "-c", script], env=os.environ,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "runtime only: ok" in result.stdout
