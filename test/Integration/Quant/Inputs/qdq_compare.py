#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs a QDQ model written by `qc-compile --emit=onnx` with onnxruntime-node
and compares its outputs with qc's own shared object on the same feed.

    qdq_compare.py NODE_PATH MODEL.qdq.onnx INPUTS.npz QC_OUTPUTS.npz \\
        --layer OUTPUT=NODE [...] [--opt disabled|all] [--max-steps S]
        [--min-within F] [--argmax-agree F]

The tolerance is counted in quantization steps of the layer that produces
each output: NODE (a MatMul, Gemm or Conv of the QDQ model) reads a
quantized activation with scale s_x and per-channel int8 weights, so moving
one input code by one step moves output channel c by at most
step_c = |alpha| * s_x * max_k |W[k, c]| (W dequantized). Checks:
  --max-steps S     every element: |ort - qc| <= S * step_c
  --min-within F    at least a fraction F of the elements is within 1 step
  --argmax-agree F  the argmax over the last axis agrees on a fraction >= F
Prints one line per output and exits 1 if a check fails. --save-ort FILE
also writes onnxruntime's outputs to an .npz.

    qdq_compare.py --perplexity TOKENS.npz A.npz B.npz --max-relative R

compares the next-byte perplexities of two `logits` outputs of a byte LM
on the positions whose target is in the feed (targets = tokens[:, 1:]).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper as nh

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                    "..", ".."))


def channel_steps(model, node_name):
    graph = model.graph
    inits = {t.name: nh.to_array(t) for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    node = next((n for n in graph.node if n.name == node_name), None)
    if node is None:
        sys.exit(f"no node '{node_name}' in the QDQ model")

    def dq(name):
        n = producers.get(name)
        if n is None or n.op_type != "DequantizeLinear":
            sys.exit(f"input '{name}' of '{node_name}' is not dequantized")
        q = inits.get(n.input[0])
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        return n, q, inits[n.input[1]], inits[n.input[2]], axis

    _, _, sx, _, _ = dq(node.input[0])
    _, wq, ws, wz, axis = dq(node.input[1])
    if wq is None:
        sys.exit(f"the weight of '{node_name}' is not a constant")
    shape = [1] * wq.ndim
    shape[axis] = -1
    w = (wq.astype(np.float64) - wz.reshape(shape)) * ws.reshape(shape)
    amax = np.abs(np.moveaxis(w, axis, 0)).reshape(w.shape[axis], -1).max(1)
    alpha = next((a.f for a in node.attribute if a.name == "alpha"), 1.0)
    steps = abs(alpha) * float(sx) * amax
    return steps, 1 if node.op_type in ("Conv", "ConvTranspose") else -1


def perplexity(logits, targets):
    logits = logits.astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(np.exp(-np.take_along_axis(logp, targets[..., None], -1).mean()))


def compare_perplexity(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("tokens")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-relative", type=float, required=True)
    args = ap.parse_args(argv)
    tokens = np.load(args.tokens)["tokens"]
    targets = tokens[:, 1:]
    pa = perplexity(np.load(args.a)["logits"][:, :-1], targets)
    pb = perplexity(np.load(args.b)["logits"][:, :-1], targets)
    rel = abs(pa - pb) / pa
    print(f"perplexity qc {pa:.4f}, onnxruntime {pb:.4f}, relative "
          f"difference {rel:.2e}")
    if not rel <= args.max_relative:
        print(f"FAIL: relative difference {rel:.2e} > {args.max_relative}")
        return 1
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--perplexity":
        return compare_perplexity(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("node_path")
    ap.add_argument("model")
    ap.add_argument("inputs")
    ap.add_argument("qc_outputs")
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--opt", default="disabled")
    ap.add_argument("--max-steps", type=float)
    ap.add_argument("--min-within", type=float)
    ap.add_argument("--argmax-agree", type=float)
    ap.add_argument("--save-ort")
    args = ap.parse_args()

    model = onnx.load(args.model)
    feeds = np.load(args.inputs)
    with tempfile.TemporaryDirectory() as tmp:
        spec = {}
        for name in feeds.files:
            path = os.path.join(tmp, f"in{len(spec)}.npy")
            np.save(path, feeds[name])
            spec[name] = path
        with open(os.path.join(tmp, "inputs.json"), "w") as f:
            json.dump(spec, f)
        r = subprocess.run(
            ["node", os.path.join(REPO, "utils", "ort", "ort_run.js"),
             args.model, os.path.join(tmp, "inputs.json"),
             os.path.join(tmp, "out"), "--opt", args.opt],
            capture_output=True, text=True,
            env=dict(os.environ, NODE_PATH=args.node_path))
        if r.returncode != 0:
            sys.exit(f"onnxruntime failed: {r.stderr.strip()}")
        with open(os.path.join(tmp, "out", "outputs.json")) as f:
            ort = {k: np.load(v) for k, v in json.load(f).items()}
    qc = np.load(args.qc_outputs)
    if args.save_ort:
        np.savez(args.save_ort, **ort)

    ok = True
    for spec in args.layer:
        output, node = spec.split("=", 1)
        steps, axis = channel_steps(model, node)
        a = qc[output].astype(np.float64)
        b = ort[output].astype(np.float64)
        shape = [1] * a.ndim
        shape[axis] = -1
        ratio = np.abs(a - b) / steps.reshape(shape)
        within = float((ratio <= 1).mean())
        agree = float((a.argmax(-1) == b.argmax(-1)).mean())
        print(f"{output} (ort {args.opt}): max |ort - qc| "
              f"{np.abs(a - b).max():.3g} = {ratio.max():.3g} steps of "
              f"'{node}' (step {steps.min():.3g}..{steps.max():.3g}); "
              f"within 1 step: {within:.4f}; argmax agrees: {agree:.4f}")
        if args.max_steps is not None and not ratio.max() <= args.max_steps:
            print(f"FAIL: {output}: {ratio.max():.3g} steps > {args.max_steps}")
            ok = False
        if args.min_within is not None and not within >= args.min_within:
            print(f"FAIL: {output}: {within:.4f} within 1 step < {args.min_within}")
            ok = False
        if args.argmax_agree is not None and not agree >= args.argmax_agree:
            print(f"FAIL: {output}: argmax agreement {agree:.4f} < {args.argmax_agree}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
