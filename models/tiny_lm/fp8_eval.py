#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Held-out perplexity of tiny_lm under qc's FP8 schemes.

Compiles models/tiny_lm/tiny_lm.onnx as FP32 and with --quantize=fp8 in
every combination of --fp8-format (e4m3, e5m2) and --fp8-weight-scales
(tensor, channel), calibrated on evaluate.py's 32 x [8, 64] token feeds,
evaluates each on the 256 held-out windows and prints a markdown table (the
numbers of docs/fp8.md).

    fp8_eval.py --bin BUILD/bin [--work DIR] [--outliers]

--outliers evaluates the FP-equivalent copy with planted activation-outlier
channels (inject_outliers.py) instead. Not part of `make check`;
test/Integration/LowBit/fp8-formats.test has the smoke test.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evaluate  # noqa: E402

CONFIGS = [
    ("fp32", []),
    ("fp8 e4m3 per-tensor", ["--fp8-format=e4m3", "--fp8-weight-scales=tensor"]),
    ("fp8 e4m3 per-channel",
     ["--fp8-format=e4m3", "--fp8-weight-scales=channel"]),
    ("fp8 e5m2 per-tensor", ["--fp8-format=e5m2", "--fp8-weight-scales=tensor"]),
    ("fp8 e5m2 per-channel",
     ["--fp8-format=e5m2", "--fp8-weight-scales=channel"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with qc-compile "
                    "and qc-run")
    ap.add_argument("--work", help="keep the compiled models here")
    ap.add_argument("--outliers", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"),
                        "--make-data", work], check=True)
        model = os.path.join(HERE, "tiny_lm.onnx")
        if args.outliers:
            model = os.path.join(work, "tiny_lm_outliers.onnx")
            subprocess.run([sys.executable,
                            os.path.join(HERE, "inject_outliers.py"),
                            os.path.join(HERE, "tiny_lm.onnx"), model],
                           check=True, stdout=subprocess.DEVNULL)
        heldout = evaluate.heldout_windows()
        rows = []
        for name, flags in CONFIGS:
            so = os.path.join(work, f"fp8-{name.replace(' ', '_')}.so")
            if flags:
                flags = ["--quantize=fp8",
                         f"--calib={os.path.join(work, 'calib.npz')}", *flags]
            subprocess.run([os.path.join(args.bin, "qc-compile"), model,
                            "--input-shape=tokens=256,64", "-q", *flags,
                            "-o", so], check=True)
            out = os.path.join(work, "out.npz")
            subprocess.run([os.path.join(args.bin, "qc-run"), so, "--inputs",
                            os.path.join(work, "heldout.npz"), "--outputs",
                            out], check=True, stdout=subprocess.DEVNULL)
            ppl = evaluate.perplexity(np.load(out)["logits"], heldout[:, 1:])
            rows.append((name, ppl))
            print(f"{name}: perplexity {ppl:.4f}", file=sys.stderr,
                  flush=True)
    fp = rows[0][1]
    print("| configuration | perplexity | vs FP32 |")
    print("|---|---|---|")
    for name, ppl in rows:
        print(f"| {name} | {ppl:.4f} | {100 * (ppl / fp - 1):+.2f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
