#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks weight-only compiled tiny_lm models against the FP32 one.

    check_lowbit.py HELDOUT.npz FP32.so:FP32_OUT.npz NAME=SO:OUT.npz:MAXREL ...
        [--max-size-ratio NAME=R ...] [--better NAME:OTHER ...]

For each NAME the held-out perplexity (from the qc-run outputs) may exceed
FP32's by at most the relative MAXREL; --max-size-ratio bounds the .so size
relative to FP32's; --better NAME:OTHER asks for a strictly lower perplexity
of NAME than of OTHER. Prints one line per check.
"""

import argparse
import math
import os
import sys

import numpy as np


def perplexity(logits, tokens):
    logits = logits.astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    # Position t predicts token t + 1 of the window.
    targets = tokens[:, 1:]
    nll = -np.take_along_axis(logp[:, :-1], targets[..., None], -1).mean()
    return math.exp(nll)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("heldout")
    ap.add_argument("fp32")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--max-size-ratio", action="append", default=[])
    ap.add_argument("--better", action="append", default=[])
    args = ap.parse_args()
    tokens = np.load(args.heldout)["tokens"]
    fp_so, fp_out = args.fp32.split(":")
    fp = perplexity(np.load(fp_out)["logits"], tokens)
    fp_size = os.path.getsize(fp_so)
    print(f"fp32: perplexity {fp:.4f}, {fp_size} bytes")
    limits = dict(s.split("=") for s in args.max_size_ratio)
    failed = 0
    ppls = {}
    for spec in args.models:
        name, rest = spec.split("=", 1)
        so, out, maxrel = rest.split(":")
        ppl = perplexity(np.load(out)["logits"], tokens)
        ppls[name] = ppl
        ratio = os.path.getsize(so) / fp_size
        rel = ppl / fp - 1
        ok = rel <= float(maxrel)
        if name in limits and ratio > float(limits[name]):
            ok = False
        failed += not ok
        print(f"{name}: perplexity {ppl:.4f} ({100 * rel:+.2f} %, limit "
              f"{100 * float(maxrel):.1f} %), size ratio {ratio:.3f}"
              f"{' (limit ' + limits[name] + ')' if name in limits else ''}"
              f" {'ok' if ok else 'FAILED'}")
    for spec in args.better:
        name, other = spec.split(":")
        ok = ppls[name] < ppls[other]
        failed += not ok
        print(f"{name} better than {other}: {'ok' if ok else 'FAILED'} "
              f"({ppls[name]:.4f} vs {ppls[other]:.4f})")
    total = len(args.models) + len(args.better)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
