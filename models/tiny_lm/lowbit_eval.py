#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Held-out perplexity of tiny_lm under qc's weight-only quantization.

Compiles models/tiny_lm/tiny_lm.onnx and an FP-equivalent copy with planted
activation-outlier channels (inject_outliers.py) as FP32, w8a16, fp8 (E4M3
weights and activations), w4a16 (RTN, AWQ, GPTQ; groups of 128 and 64
input channels) and w4a8 (int4 per-channel weights, u8 activations),
evaluates each on
the 256 held-out windows of evaluate.py and prints a markdown table: the
perplexity, its change from FP32, the share of RTN's gap to FP32 that AWQ /
GPTQ close (same group size), and the .so size relative to FP32.

    lowbit_eval.py --bin BUILD/bin [--work DIR]

Takes a few minutes (GPTQ/AWQ calibrate on evaluate.py's 32 x [8, 64]
token feeds). Not part of `make check`; test/Integration/LowBit has the
smoke test. The numbers are quoted in docs/accuracy.md.
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
    ("w8a16 rtn g128", ["--quantize=w8a16"]),
    ("fp8 e4m3 per-tensor", ["--quantize=fp8", "CALIB"]),
    ("w4a16 rtn g128", ["--quantize=w4a16"]),
    ("w4a16 awq g128", ["--quantize=w4a16", "--algo=awq", "CALIB"]),
    ("w4a16 gptq g128", ["--quantize=w4a16", "--algo=gptq", "CALIB"]),
    ("w4a16 gptq g128 act-order",
     ["--quantize=w4a16", "--algo=gptq", "--act-order", "CALIB"]),
    ("w4a8 rtn per-channel", ["--quantize=w4a8", "CALIB"]),
    ("w4a8 gptq per-channel", ["--quantize=w4a8", "--algo=gptq", "CALIB"]),
    ("w4a16 rtn g64", ["--quantize=w4a16", "--group-size=64"]),
    ("w4a16 awq g64",
     ["--quantize=w4a16", "--group-size=64", "--algo=awq", "CALIB"]),
    ("w4a16 gptq g64",
     ["--quantize=w4a16", "--group-size=64", "--algo=gptq", "CALIB"]),
]


def run_model(args, work, onnx_path, tag, heldout):
    rows = []
    for name, flags in CONFIGS:
        so = os.path.join(work, f"{tag}-{name.replace(' ', '_')}.so")
        flags = [f"--calib={os.path.join(work, 'calib.npz')}"
                 if f == "CALIB" else f for f in flags]
        subprocess.run([os.path.join(args.bin, "qc-compile"), onnx_path,
                        "--input-shape=tokens=256,64", "-q", *flags,
                        "-o", so], check=True)
        out = os.path.join(work, "out.npz")
        subprocess.run([os.path.join(args.bin, "qc-run"), so, "--inputs",
                        os.path.join(work, "heldout.npz"), "--outputs", out],
                       check=True, stdout=subprocess.DEVNULL)
        logits = np.load(out)["logits"]
        ppl = evaluate.perplexity(logits, heldout[:, 1:])
        rows.append((name, ppl, os.path.getsize(so)))
        print(f"{tag} {name}: perplexity {ppl:.4f}", file=sys.stderr,
              flush=True)
    return rows


def table(tag, rows):
    fp = rows[0][1]
    size = rows[0][2]
    rtn = {name.split()[-1]: ppl for name, ppl, _ in rows
           if name.startswith("w4a16 rtn")}
    lines = [f"**{tag}**", "",
             "| configuration | perplexity | vs FP32 | RTN gap closed | "
             ".so size vs FP32 |",
             "|---|---|---|---|---|"]
    for name, ppl, bytes_ in rows:
        closed = ""
        if name.startswith("w4a16") and "rtn" not in name:
            ref = rtn[name.split()[2]]
            if ref > fp:
                closed = f"{100 * (1 - (ppl - fp) / (ref - fp)):.0f} %"
        lines.append(f"| {name} | {ppl:.4f} | {100 * (ppl / fp - 1):+.2f} % | "
                     f"{closed} | {bytes_ / size:.3f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with qc-compile "
                    "and qc-run")
    ap.add_argument("--work", help="keep the compiled models here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"),
                        "--make-data", work], check=True)
        outliers = os.path.join(work, "tiny_lm_outliers.onnx")
        subprocess.run([sys.executable,
                        os.path.join(HERE, "inject_outliers.py"),
                        os.path.join(HERE, "tiny_lm.onnx"), outliers],
                       check=True, stdout=subprocess.DEVNULL)
        heldout = evaluate.heldout_windows()
        for tag, path in (("tiny_lm", os.path.join(HERE, "tiny_lm.onnx")),
                          ("tiny_lm with planted outlier channels", outliers)):
            rows = run_model(args, work, path, tag.split()[0] +
                             ("-outliers" if "outlier" in tag else ""),
                             heldout)
            print(table(tag, rows) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
