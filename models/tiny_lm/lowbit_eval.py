#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Held-out perplexity of qc's language models under low-bit quantization.

Compiles a byte-level LM (models/tiny_lm/tiny_lm.onnx, or with --model
small_lm the 4-layer model models/small_lm/train.py writes under
.cache/models/small_lm) and an FP-equivalent copy with planted
activation-outlier channels (inject_outliers.py) as FP32, w8a16, fp8 (E4M3
or E5M2 weights and activations), w4a16 (RTN, AWQ, GPTQ; groups of 128 and
64 input channels; "... sym" variants with symmetric codes only when
--only names them) and w4a8 (int4 per-channel weights, u8 activations),
evaluates each on the model's 256 held-out windows (those its train.py
reports; --windows N spreads N windows over the held-out text instead, run
in batches of 256) and prints a markdown table: the perplexity, its change
from FP32, the share of RTN's gap to FP32 that AWQ / GPTQ close (same group
size) with a 90 % paired bootstrap interval over the windows (2000
resamples, seed 0: how much the share depends on which windows were
drawn), and the .so size relative to FP32.

    lowbit_eval.py --bin BUILD/bin [--work DIR] [--model tiny_lm|small_lm]
                   [--onnx MODEL.onnx] [--only NAME ...] [--windows N]

Calibration (GPTQ, AWQ, fp8, w4a8): 32 feeds (--calib-feeds N for another
count) of [8, context] tokens from the training files (seed 1), as
evaluate.py --make-data writes them for tiny_lm. Takes a few minutes for tiny_lm, about half an hour for small_lm
on two cores. Not part of `make check` (`make lm-eval` runs it on small_lm);
test/Integration/LowBit has the smoke test. The numbers are quoted in
docs/accuracy.md.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = {
    "tiny_lm": (os.path.join(ROOT, "models", "tiny_lm", "train.py"),
                os.path.join(ROOT, "models", "tiny_lm", "tiny_lm.onnx")),
    "small_lm": (os.path.join(ROOT, "models", "small_lm", "train.py"),
                 os.path.join(ROOT, ".cache", "models", "small_lm",
                              "small_lm.onnx")),
}

CONFIGS = [
    ("fp32", []),
    ("w8a16 rtn g128", ["--quantize=w8a16"]),
    ("fp8 e4m3 per-tensor", ["--quantize=fp8", "CALIB"]),
    ("fp8 e5m2 per-tensor",
     ["--quantize=fp8", "--fp8-format=e5m2", "CALIB"]),
    ("w4a16 rtn g128", ["--quantize=w4a16"]),
    ("w4a16 rtn g128 int8-compute",
     ["--quantize=w4a16", "--weight-only-compute=int8"]),
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
    # Symmetric codes (no zero point): not in the default table (--only).
    ("w4a16 rtn g128 sym", ["--quantize=w4a16", "--weight-symmetric"]),
    ("w4a16 awq g128 sym",
     ["--quantize=w4a16", "--weight-symmetric", "--algo=awq", "CALIB"]),
    ("w4a16 gptq g128 sym",
     ["--quantize=w4a16", "--weight-symmetric", "--algo=gptq", "CALIB"]),
    ("w4a16 rtn g64 sym",
     ["--quantize=w4a16", "--weight-symmetric", "--group-size=64"]),
    ("w4a16 awq g64 sym",
     ["--quantize=w4a16", "--weight-symmetric", "--group-size=64",
      "--algo=awq", "CALIB"]),
    ("w4a16 gptq g64 sym",
     ["--quantize=w4a16", "--weight-symmetric", "--group-size=64",
      "--algo=gptq", "CALIB"]),
]
OPTIONAL = {name for name, _ in CONFIGS if name.endswith(" sym")}


def load_train(path):
    """The model's train.py as a module (corpus split, window layout)."""
    spec = importlib.util.spec_from_file_location("lm_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BATCH = 256


def make_data(train, work, count, feeds=32):
    """work/heldout-I.npz (batches of [256, context] tokens) and
    work/calib.npz (`feeds` feeds of [8, context] training tokens, seed 1;
    the first 32 are the same for any count); returns the held-out windows
    [count, context + 1]."""
    data, held = train.load_corpus()
    windows = train.eval_windows(held, count)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(data) - train.CONTEXT, 32 * 8)
    if feeds > 32:
        idx = np.concatenate([idx, rng.integers(0, len(data) - train.CONTEXT,
                                                (feeds - 32) * 8)])
    idx = idx[:feeds * 8]
    calib = np.stack([data[i:i + train.CONTEXT] for i in idx]).astype(np.int64)
    for i in range(0, count, BATCH):
        np.savez(os.path.join(work, f"heldout-{i // BATCH}.npz"),
                 tokens=windows[i:i + BATCH, :-1])
    np.savez(os.path.join(work, "calib.npz"),
             tokens=calib.reshape(feeds, 8, train.CONTEXT))
    return windows


def window_nll(logits, targets):
    """Mean negative log-likelihood of each window [B]."""
    logits = logits.astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, targets[..., None], -1)[..., 0].mean(-1)


def gap_closed(nll, fp, rtn):
    """Share of RTN's perplexity gap to FP32 that `nll` closes (all three
    per-window NLL arrays of one evaluation)."""
    p, f, r = (np.exp(v.mean()) for v in (nll, fp, rtn))
    return 1 - (p - f) / (r - f)


def bootstrap_interval(nll, fp, rtn, resamples=2000):
    """90 % paired bootstrap interval of gap_closed over the windows."""
    rng = np.random.default_rng(0)
    n = len(nll)
    stats = []
    for _ in range(resamples):
        i = rng.integers(0, n, n)
        if np.exp(rtn[i].mean()) > np.exp(fp[i].mean()):
            stats.append(gap_closed(nll[i], fp[i], rtn[i]))
    return np.percentile(stats, [5, 95])


def run_model(args, work, onnx_path, tag, heldout):
    rows = []
    context = heldout.shape[1] - 1
    batch = min(BATCH, heldout.shape[0])
    for name, flags in CONFIGS:
        if args.only and name != "fp32" and name not in args.only:
            continue
        if not args.only and name in OPTIONAL:
            continue
        so = os.path.join(work, f"{tag}-{name.replace(' ', '_')}.so")
        flags = [f"--calib={os.path.join(work, 'calib.npz')}"
                 if f == "CALIB" else f for f in flags]
        subprocess.run([os.path.join(args.bin, "qc-compile"), onnx_path,
                        f"--input-shape=tokens={batch},{context}",
                        "-q", *flags, "-o", so], check=True)
        out = os.path.join(work, "out.npz")
        nll = []
        for i in range(0, heldout.shape[0], batch):
            subprocess.run([os.path.join(args.bin, "qc-run"), so, "--inputs",
                            os.path.join(work, f"heldout-{i // batch}.npz"),
                            "--outputs", out],
                           check=True, stdout=subprocess.DEVNULL)
            nll.append(window_nll(np.load(out)["logits"],
                                  heldout[i:i + batch, 1:]))
        nll = np.concatenate(nll)
        ppl = float(np.exp(nll.mean()))
        rows.append((name, ppl, os.path.getsize(so), nll))
        print(f"{tag} {name}: perplexity {ppl:.4f}", file=sys.stderr,
              flush=True)
    return rows


def variant(name):
    """What RTN a w4a16 configuration compares with: its group size and
    code type ("w4a16 gptq g128 act-order" -> ("g128",))."""
    return tuple(w for w in name.split()[2:]
                 if w not in ("act-order", "int8-compute"))


def table(tag, rows):
    fp = rows[0][1]
    size = rows[0][2]
    fp_nll = rows[0][3]
    rtn = {variant(name): (ppl, nll) for name, ppl, _, nll in rows
           if name.startswith("w4a16 rtn") and "int8" not in name}
    lines = [f"**{tag}**", "",
             "| configuration | perplexity | vs FP32 | RTN gap closed | "
             "90 % interval | .so size vs FP32 |",
             "|---|---|---|---|---|---|"]
    for name, ppl, bytes_, nll in rows:
        closed = interval = ""
        if name.startswith("w4a16") and "rtn" not in name:
            ref = rtn.get(variant(name))
            if ref and ref[0] > fp:
                closed = f"{100 * gap_closed(nll, fp_nll, ref[1]):.0f} %"
                lo, hi = bootstrap_interval(nll, fp_nll, ref[1])
                interval = f"{100 * lo:.0f} to {100 * hi:.0f} %"
        lines.append(f"| {name} | {ppl:.4f} | {100 * (ppl / fp - 1):+.2f} % | "
                     f"{closed} | {interval} | {bytes_ / size:.3f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with qc-compile "
                    "and qc-run")
    ap.add_argument("--work", help="keep the compiled models here")
    ap.add_argument("--model", choices=sorted(MODELS), default="tiny_lm")
    ap.add_argument("--onnx", help="the model (default: the one --model "
                    "names)")
    ap.add_argument("--only", nargs="*", help="evaluate only these "
                    "configurations (names as in the table) besides fp32")
    ap.add_argument("--no-outliers", action="store_true",
                    help="skip the copy with planted outlier channels")
    ap.add_argument("--calib-feeds", type=int, default=32,
                    help="calibration feeds of [8, context] training tokens "
                    "(default 32)")
    ap.add_argument("--windows", type=int, default=256,
                    help="held-out windows to evaluate (default 256, the "
                    "ones train.py reports)")
    args = ap.parse_args()
    train_py, default_onnx = MODELS[args.model]
    onnx_path = args.onnx or default_onnx
    if not os.path.exists(onnx_path):
        ap.error(f"{onnx_path} does not exist (train it with {train_py})")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        if args.windows < 1:
            ap.error("--windows must be positive")
        if args.calib_feeds < 1:
            ap.error("--calib-feeds must be positive")
        heldout = make_data(load_train(train_py), work, args.windows,
                            args.calib_feeds)
        outliers = os.path.join(work, f"{args.model}_outliers.onnx")
        subprocess.run([sys.executable,
                        os.path.join(HERE, "inject_outliers.py"),
                        onnx_path, outliers],
                       check=True, stdout=subprocess.DEVNULL)
        models = [(args.model, onnx_path)]
        if not args.no_outliers:
            models.append((f"{args.model} with planted outlier channels",
                           outliers))
        for tag, path in models:
            rows = run_model(args, work, path, tag.split()[0] +
                             ("-outliers" if "outlier" in tag else ""),
                             heldout)
            print(table(tag, rows) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
