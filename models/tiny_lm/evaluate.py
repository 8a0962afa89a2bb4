#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Held-out perplexity of a compiled tiny_lm shared object.

    evaluate.py --qc-run build/bin/qc-run MODEL.so
    evaluate.py --make-data DIR    # writes DIR/heldout.npz and DIR/calib.npz

The model must be compiled for tokens [256, 64] (the 256 fixed held-out
windows that train.py evaluates on). The calibration set holds 32 feeds of
[8, 64] tokens from the training files.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (corpus split and window layout)


def heldout_windows():
    _, held = train.load_corpus()
    return train.eval_windows(held)  # [256, 65] int64


def calibration_feeds(count=32, batch=8, seed=1):
    data, _ = train.load_corpus()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(data) - train.CONTEXT, count * batch)
    windows = np.stack([data[i:i + train.CONTEXT] for i in idx]).astype(np.int64)
    return windows.reshape(count, batch, train.CONTEXT)


def perplexity(logits, targets):
    logits = logits.astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, targets[..., None], -1).mean()
    return math.exp(nll)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", nargs="?")
    ap.add_argument("--qc-run", default="qc-run")
    ap.add_argument("--make-data")
    args = ap.parse_args()
    if args.make_data:
        os.makedirs(args.make_data, exist_ok=True)
        w = heldout_windows()
        np.savez(os.path.join(args.make_data, "heldout.npz"), tokens=w[:, :-1])
        np.savez(os.path.join(args.make_data, "calib.npz"),
                 tokens=calibration_feeds())
        return 0
    w = heldout_windows()
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "in.npz"), tokens=w[:, :-1])
        subprocess.run([args.qc_run, args.model, "--inputs",
                        os.path.join(tmp, "in.npz"), "--outputs",
                        os.path.join(tmp, "out.npz")], check=True)
        logits = np.load(os.path.join(tmp, "out.npz"))["logits"]
    print(f"perplexity {perplexity(logits, w[:, 1:]):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
