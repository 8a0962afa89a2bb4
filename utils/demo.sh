#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job, end to end: compile an example model to a shared object and
# run it. (Grows into "calibrate, quantize, compile, run" as qc does.)
set -euo pipefail
build=${1:-build}
bin="$build/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx
echo "== compiling $model"
"$bin/qc-compile" "$model" -o "$work/conv.so"
"$bin/qc-run" "$work/conv.so" --info
echo "== running it"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
np.savez(sys.argv[1] + "/in.npz",
         x=rng.standard_normal((1, 1, 7, 5), dtype=np.float32),
         W=rng.standard_normal((1, 1, 3, 3), dtype=np.float32))
PY
"$bin/qc-run" "$work/conv.so" --inputs "$work/in.npz" --outputs "$work/out.npz"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
d = np.load(sys.argv[1] + "/in.npz"); y = np.load(sys.argv[1] + "/out.npz")["y"]
x = np.pad(d["x"], ((0, 0), (0, 0), (1, 1), (1, 1))); w = d["W"][0, 0]
ref = np.array([[(x[0, 0, i:i + 3, j:j + 3] * w).sum() for j in range(0, 5, 2)]
                for i in range(0, 7, 2)], np.float32)
err = np.abs(y[0, 0] - ref).max()
print("output y:\n", y[0, 0])
print(f"max abs error vs numpy: {err:.2e}")
sys.exit(0 if err < 1e-5 else 1)
PY
echo "demo: ok"
