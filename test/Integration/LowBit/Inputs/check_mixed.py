#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a qc-compile --report of --mixed-precision against the rule of
qc-quantize-weights (docs/passes.md), recomputed from the per-layer
numbers: layers (here one matmul per input group) are considered in order
of decreasing sensitivity; the estimated error is the sum of each layer's
relative output error at its width; with an error budget E, a layer is
raised only while the estimate exceeds E; with a size budget, a layer the
size budget stops stays at 4 bits (taken from the report's reason).

    check_mixed.py REPORT.json [--max-error-increase E] [--max-size-ratio R]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--max-error-increase", type=float, default=0.0)
    ap.add_argument("--max-size-ratio", type=float, default=0.0)
    args = ap.parse_args()
    report = json.load(open(args.report))
    mp = report["mixed_precision"]
    layers = report["layers"]
    errors = []
    assert mp["max_error_increase"] == args.max_error_increase, mp
    assert mp["max_size_ratio"] == args.max_size_ratio, mp
    estimate = sum(l["error_4bit"] for l in layers)
    for layer in sorted(layers, key=lambda l: -l["sensitivity"]):
        budget = args.max_error_increase
        if budget > 0 and estimate <= budget:
            want = 4
        elif "exceed max-size-ratio" in layer["reason"]:
            want = 4
            if args.max_size_ratio <= 0:
                errors.append(f"{layer['node']}: size reason without budget")
        else:
            want = 8
            estimate += layer["error_8bit"] - layer["error_4bit"]
        if layer["bits"] != want:
            errors.append(f"{layer['node']}: {layer['bits']} bits, the rule "
                          f"gives {want}")
    if abs(estimate - mp["estimated_error"]) > 1e-9 * max(estimate, 1e-30):
        errors.append(f"estimate {mp['estimated_error']} != {estimate}")
    if mp["matmuls_at_8_bits"] != sum(l["bits"] == 8 for l in layers):
        errors.append("matmuls_at_8_bits")
    if (args.max_error_increase > 0 and args.max_size_ratio <= 0 and
            estimate > args.max_error_increase):
        errors.append("error budget not met without a size budget")
    for e in errors:
        print(e)
    print("rule ok" if not errors else "rule FAILED")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
