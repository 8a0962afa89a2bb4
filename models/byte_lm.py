# SPDX-License-Identifier: Apache-2.0
"""The byte-level decoder-only transformer LMs of models/tiny_lm and
models/small_lm: corpus, model, training loop and export, shared by their
train.py scripts (which fix the sizes).

Pre-LayerNorm blocks with a GELU MLP; attention is written out by hand
because nn.TransformerEncoder does not export to ONNX. The corpus is the
Python standard library that ships with Debian's python3.11 package
(/usr/lib/python3.11/*.py); files are split by name, every 10th file is
held out for evaluation.
"""

import glob
import math
import time

import numpy as np
import torch
import torch.nn as nn


def load_corpus():
    """(train bytes, held-out bytes) as uint8 arrays."""
    files = sorted(glob.glob("/usr/lib/python3.11/*.py"))
    train, held = [], []
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            (held if i % 10 == 0 else train).append(fh.read())
    return (np.frombuffer(b"".join(train), np.uint8),
            np.frombuffer(b"".join(held), np.uint8))


def eval_windows(data, context, count=256):
    """Fixed, non-overlapping evaluation windows of context+1 bytes."""
    step = (len(data) - context - 1) // count
    starts = np.arange(count) * step
    return np.stack([data[s:s + context + 1] for s in starts]).astype(np.int64)


class Block(nn.Module):
    def __init__(self, width, heads, mlp, context):
        super().__init__()
        self.width, self.heads = width, heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, mlp)
        self.fc2 = nn.Linear(mlp, width)
        mask = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(self.width, dim=2)
        hd = self.width // self.heads
        q = q.reshape(b, t, self.heads, hd).transpose(1, 2)
        k = k.reshape(b, t, self.heads, hd).transpose(1, 2)
        v = v.reshape(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + self.mask
        y = att.softmax(-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class ByteLM(nn.Module):
    """Tokens int64 [batch, context] -> logits float [batch, context, 256]."""

    def __init__(self, width, heads, layers, mlp, context):
        super().__init__()
        self.embed = nn.Embedding(256, width)
        self.pos = nn.Parameter(torch.zeros(context, width))
        self.blocks = nn.ModuleList(
            [Block(width, heads, mlp, context) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 256)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def perplexity(model, windows, chunks=1):
    """exp(mean next-byte cross entropy) over `windows` [count, context+1],
    evaluated in `chunks` batches."""
    total = 0.0
    with torch.no_grad():
        for chunk in np.array_split(windows, chunks):
            w = torch.from_numpy(chunk)
            logits = model(w[:, :-1])
            total += nn.functional.cross_entropy(
                logits.reshape(-1, 256), w[:, 1:].reshape(-1),
                reduction="sum").item()
    return math.exp(total / (windows.shape[0] * (windows.shape[1] - 1)))


def train(model, data, context, steps, batch, log_every):
    """AdamW (lr 2e-3, weight decay 0.01) with a one-cycle schedule on random
    windows of `data`; the window draws come from numpy seed 0."""
    rng = np.random.default_rng(0)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    start = time.time()
    for step in range(steps):
        idx = rng.integers(0, len(data) - context - 1, batch)
        w = torch.from_numpy(np.stack([data[i:i + context + 1] for i in idx])
                             .astype(np.int64))
        logits = model(w[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 256),
                                           w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % log_every == 0 or step == steps - 1:
            print(f"step {step}/{steps} loss {loss.item():.3f} "
                  f"({time.time() - start:.0f} s)", flush=True)
    model.eval()


def export(model, context, path):
    """Writes the model as ONNX (opset 17, dynamic batch)."""
    torch.onnx.export(
        model, torch.zeros(1, context, dtype=torch.int64), path,
        input_names=["tokens"], output_names=["logits"],
        dynamic_axes={"tokens": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True)
