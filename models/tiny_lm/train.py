#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains qc's tiny byte-level transformer language model and exports it.

A decoder-only transformer (2 layers, width 128, 4 heads, context 64,
pre-LayerNorm, GELU MLP; models/byte_lm.py) trained on the Python standard
library sources that ship with Debian's python3.11 (/usr/lib/python3.11/*.py).
Files are split by name: every 10th file is held out for evaluation.

    /usr/bin/python3 models/tiny_lm/train.py    # writes tiny_lm.onnx

The ONNX model maps tokens int64 [batch, 64] to logits float [batch, 64, 256].
Deterministic on one CPU thread; prints held-out perplexity.
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import byte_lm  # noqa: E402

CONTEXT = 64
WIDTH = 128
HEADS = 4
LAYERS = 2
MLP = 384

load_corpus = byte_lm.load_corpus


def eval_windows(data, count=256):
    """Fixed, non-overlapping evaluation windows of CONTEXT+1 bytes."""
    return byte_lm.eval_windows(data, CONTEXT, count)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train, held = load_corpus()
    model = byte_lm.ByteLM(WIDTH, HEADS, LAYERS, MLP, CONTEXT)
    byte_lm.train(model, train, CONTEXT, steps=800, batch=32, log_every=100)
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params}")
    print("held-out perplexity: "
          f"{byte_lm.perplexity(model, eval_windows(held)):.4f}")
    byte_lm.export(model, CONTEXT, os.path.join(HERE, "tiny_lm.onnx"))


if __name__ == "__main__":
    main()
