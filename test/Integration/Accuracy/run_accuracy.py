#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""INT8 (W8A8) accuracy of qc's own models against their float32 versions.

For every calibration method (minmax, percentile, entropy, mse):
  - digits_cnn: top-1 accuracy on the 450 held-out test images; the INT8
    model may lose at most 0.5 points;
  - tiny_lm: perplexity on 256 held-out windows of 64 bytes; W8A8 may raise
    it by at most 1.5 %.
Both are compiled with qc-compile, calibrated natively on their calibration
sets (models/digits_cnn/digits_calib.npz: 256 training images; tiny_lm: 32
feeds of 8 windows from the training files), and run with qc-run.
Prints a markdown table (--table FILE also writes it) and
"N passed, M failed".
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
METHODS = ["minmax", "percentile", "entropy", "mse"]


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def digits(bin_dir, work, method):
    model = os.path.join(REPO, "models", "digits_cnn")
    test = np.load(os.path.join(model, "digits_test.npz"))
    np.savez(os.path.join(work, "digits_in.npz"), image=test["image"])
    so = os.path.join(work, f"digits_{method}.so")
    args = [os.path.join(bin_dir, "qc-compile"),
            os.path.join(model, "digits_cnn.onnx"),
            "--input-shape=image=450,1,8,8", "-q", "-o", so]
    if method != "fp32":
        args += ["--quantize=int8", f"--calib-method={method}",
                 "--calib=" + os.path.join(model, "digits_calib.npz")]
    sh(*args)
    out = os.path.join(work, f"digits_{method}.npz")
    sh(os.path.join(bin_dir, "qc-run"), so, "--inputs",
       os.path.join(work, "digits_in.npz"), "--outputs", out)
    logits = np.load(out)["logits"]
    return float((logits.argmax(1) == test["label"]).mean())


def lm(bin_dir, work, method):
    model = os.path.join(REPO, "models", "tiny_lm")
    data = os.path.join(work, "lm_data")
    if not os.path.exists(os.path.join(data, "calib.npz")):
        sh(sys.executable, os.path.join(model, "evaluate.py"), "--make-data",
           data)
    so = os.path.join(work, f"lm_{method}.so")
    args = [os.path.join(bin_dir, "qc-compile"),
            os.path.join(model, "tiny_lm.onnx"),
            "--input-shape=tokens=256,64", "-q", "-o", so]
    if method != "fp32":
        args += ["--quantize=int8", f"--calib-method={method}",
                 "--calib=" + os.path.join(data, "calib.npz")]
    sh(*args)
    out = sh(sys.executable, os.path.join(model, "evaluate.py"), "--qc-run",
             os.path.join(bin_dir, "qc-run"), so)
    return float(out.split()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--table")
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args()
    methods = args.methods.split(",")
    rows, npass, nfail = [], 0, 0
    with tempfile.TemporaryDirectory() as work:
        acc32 = digits(args.bin, work, "fp32")
        ppl32 = lm(args.bin, work, "fp32")
        rows.append(("float32", f"{acc32:.4f}", "", f"{ppl32:.4f}", ""))
        for m in methods:
            acc = digits(args.bin, work, m)
            ppl = lm(args.bin, work, m)
            drop = (acc32 - acc) * 100
            rise = (ppl / ppl32 - 1) * 100
            ok = drop <= 0.5 and rise <= 1.5
            npass += ok
            nfail += not ok
            rows.append((f"int8 {m}", f"{acc:.4f}", f"{-drop:+.2f} pt",
                         f"{ppl:.4f}", f"{rise:+.2f} %"))
            print(f"{'pass' if ok else 'FAIL'} {m}: digits {acc:.4f} "
                  f"({-drop:+.2f} pt), tiny_lm ppl {ppl:.4f} ({rise:+.2f} %)",
                  flush=True)
    table = ["| model | digits top-1 | change | tiny_lm perplexity | change |",
             "|---|---|---|---|---|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    print("\n".join(table))
    if args.table:
        with open(args.table, "w") as f:
            f.write("\n".join(table) + "\n")
    print(f"{npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
