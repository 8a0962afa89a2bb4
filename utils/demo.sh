#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The main job, end to end, on the bundled example model (models/digits_cnn,
# a CNN trained on scikit-learn's digits): compile it to a native shared
# object in float and quantized to INT8 (calibrated natively on 256 training
# images), run both on the 450 held-out test images, and compare accuracy.
set -euo pipefail
build=${1:-build}
bin="$build/bin"
model=models/digits_cnn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== qc-compile (float32)"
"$bin/qc-compile" "$model/digits_cnn.onnx" --input-shape image=450,1,8,8 \
  -o "$work/digits_f32.so"
echo
echo "== qc-compile --quantize=int8 (calibration on $model/digits_calib.npz)"
"$bin/qc-compile" "$model/digits_cnn.onnx" --input-shape image=450,1,8,8 \
  --quantize=int8 --calib="$model/digits_calib.npz" --calib-method=entropy \
  -o "$work/digits_int8.so"
echo
"$bin/qc-run" "$work/digits_int8.so" --info
echo
echo "== running both on the test set"
/usr/bin/python3 - "$work" "$model/digits_test.npz" <<'PY'
import sys, numpy as np
work, test = sys.argv[1], sys.argv[2]
d = np.load(test)
np.savez(work + "/in.npz", image=d["image"])
PY
"$bin/qc-run" "$work/digits_f32.so" --inputs "$work/in.npz" --outputs "$work/f32.npz" >/dev/null
"$bin/qc-run" "$work/digits_int8.so" --inputs "$work/in.npz" --outputs "$work/int8.npz" >/dev/null
/usr/bin/python3 - "$work" "$model/digits_test.npz" <<'PY'
import sys, numpy as np
work, test = sys.argv[1], sys.argv[2]
labels = np.load(test)["label"]
f32 = np.load(work + "/f32.npz")["logits"]
i8 = np.load(work + "/int8.npz")["logits"]
acc32 = (f32.argmax(1) == labels).mean()
acc8 = (i8.argmax(1) == labels).mean()
agree = (f32.argmax(1) == i8.argmax(1)).mean()
print(f"float32 accuracy: {acc32:.4f}")
print(f"int8    accuracy: {acc8:.4f}  (top-1 agreement with float32: {agree:.4f})")
sys.exit(0 if acc8 >= acc32 - 0.005 else 1)
PY
echo
echo "== timing (median of 20 runs, 450 images)"
for v in f32 int8; do
  printf "%-5s " "$v"; "$bin/qc-run" "$work/digits_$v.so" --inputs "$work/in.npz" --bench 20 | head -1
done
echo "demo: ok"
