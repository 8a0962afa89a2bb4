#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains qc's small byte-level transformer language model (issue 5 evidence).

A decoder-only transformer, 4 layers, width 256, 8 heads, MLP 1024, context
128 (about 3.3 M parameters): pre-LayerNorm, GELU MLP, attention written out
by hand because nn.TransformerEncoder does not export to ONNX (the same
structure as models/tiny_lm, scaled up). Trained on the Python standard
library sources that ship with Debian's python3.11 package
(/usr/lib/python3.11/*.py, 4.9 MB); files are split by name, every 10th file
is held out for evaluation.

    /usr/bin/python3 models/small_lm/train.py [--out DIR] [--steps N]

writes DIR/small_lm.onnx (default DIR: .cache/models/small_lm in the
repository; the model is about 13 MB and is not committed). Deterministic
(fixed seeds, fixed step budget, one CPU thread); prints progress and the
held-out perplexity. The ONNX model maps tokens int64 [batch, 128] to logits
float [batch, 128, 256].

800 steps of 16 windows take about 18 minutes on one core with Debian's
libopenblas0-pthread providing libblas.so.3 (the numbers in docs/accuracy.md
were made with it: held-out perplexity 6.7776); the default netlib BLAS is
about 10x slower, and another BLAS gives slightly different weights.
"""

import argparse
import glob
import math
import os
import time

# One BLAS thread (set before numpy/torch load the BLAS): the host is shared
# and a spinning second BLAS thread only slows training down there.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, ".cache", "models", "small_lm")
CONTEXT = 128
WIDTH = 256
HEADS = 8
LAYERS = 4
MLP = 1024
STEPS = 800
BATCH = 16


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


class SmallLM(nn.Module):
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
    total = 0.0
    with torch.no_grad():
        for chunk in np.array_split(windows, 8):
            w = torch.from_numpy(chunk)
            logits = model(w[:, :-1])
            total += nn.functional.cross_entropy(
                logits.reshape(-1, 256), w[:, 1:].reshape(-1),
                reduction="sum").item()
    return math.exp(total / (windows.shape[0] * CONTEXT))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    train, held = load_corpus()
    model = SmallLM()
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3,
                                                total_steps=args.steps)
    start = time.time()
    for step in range(args.steps):
        idx = rng.integers(0, len(train) - CONTEXT - 1, BATCH)
        w = torch.from_numpy(np.stack([train[i:i + CONTEXT + 1] for i in idx])
                             .astype(np.int64))
        logits = model(w[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 256),
                                           w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 25 == 0 or step == args.steps - 1:
            print(f"step {step}/{args.steps} loss {loss.item():.3f} "
                  f"({time.time() - start:.0f} s)", flush=True)
    model.eval()
    print(f"held-out perplexity: {perplexity(model, eval_windows(held)):.4f}",
          flush=True)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "small_lm.onnx")
    torch.onnx.export(
        model, torch.zeros(1, CONTEXT, dtype=torch.int64), path + ".tmp",
        input_names=["tokens"], output_names=["logits"],
        dynamic_axes={"tokens": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True)
    os.replace(path + ".tmp", path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, "
          f"{time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
