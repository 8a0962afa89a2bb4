#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains qc's small byte-level transformer language model and exports it.

A decoder-only transformer (2 layers, width 128, 4 heads, context 64,
pre-LayerNorm, GELU MLP, attention written out by hand because
nn.TransformerEncoder does not export) trained on the Python standard
library sources that ship with Debian's python3.11 (/usr/lib/python3.11/*.py).
Files are split by name: every 10th file is held out for evaluation.

    /usr/bin/python3 models/tiny_lm/train.py    # writes tiny_lm.onnx

The ONNX model maps tokens int64 [batch, 64] to logits float [batch, 64, 256].
Deterministic on one CPU thread; prints held-out perplexity.
"""

import glob
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT = 64
WIDTH = 128
HEADS = 4
LAYERS = 2
MLP = 384


def load_corpus():
    """(train bytes, held-out bytes) as uint8 arrays."""
    files = sorted(glob.glob("/usr/lib/python3.11/*.py"))
    train, held = [], []
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            (held if i % 10 == 0 else train).append(fh.read())
    return (np.frombuffer(b"".join(train), np.uint8),
            np.frombuffer(b"".join(held), np.uint8))


def eval_windows(data, count=256):
    """Fixed, non-overlapping evaluation windows of CONTEXT+1 bytes."""
    step = (len(data) - CONTEXT - 1) // count
    starts = np.arange(count) * step
    return np.stack([data[s:s + CONTEXT + 1] for s in starts]).astype(np.int64)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.fc1 = nn.Linear(WIDTH, MLP)
        self.fc2 = nn.Linear(MLP, WIDTH)
        mask = torch.full((CONTEXT, CONTEXT), float("-inf")).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(WIDTH, dim=2)
        hd = WIDTH // HEADS
        q = q.reshape(b, t, HEADS, hd).transpose(1, 2)
        k = k.reshape(b, t, HEADS, hd).transpose(1, 2)
        v = v.reshape(b, t, HEADS, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + self.mask
        y = att.softmax(-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(256, WIDTH)
        self.pos = nn.Parameter(torch.zeros(CONTEXT, WIDTH))
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, 256)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def perplexity(model, windows):
    with torch.no_grad():
        w = torch.from_numpy(windows)
        logits = model(w[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 256),
                                           w[:, 1:].reshape(-1))
    return math.exp(loss.item())


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    train, held = load_corpus()
    model = TinyLM()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    steps, batch = 800, 32
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    start = time.time()
    for step in range(steps):
        idx = rng.integers(0, len(train) - CONTEXT - 1, batch)
        w = torch.from_numpy(np.stack([train[i:i + CONTEXT + 1] for i in idx])
                             .astype(np.int64))
        logits = model(w[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 256),
                                           w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.3f} "
                  f"({time.time() - start:.0f} s)", flush=True)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params}")
    print(f"held-out perplexity: {perplexity(model, eval_windows(held)):.4f}")
    torch.onnx.export(
        model, torch.zeros(1, CONTEXT, dtype=torch.int64),
        os.path.join(HERE, "tiny_lm.onnx"),
        input_names=["tokens"], output_names=["logits"],
        dynamic_axes={"tokens": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True)


if __name__ == "__main__":
    main()
