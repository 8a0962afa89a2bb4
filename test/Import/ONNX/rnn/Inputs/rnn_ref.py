# SPDX-License-Identifier: Apache-2.0
"""NumPy reference of the ONNX RNN, GRU and LSTM ops, and a checker.

Follows the ONNX operator equations (gate order i, o, f, c for LSTM and
z, r, h for GRU), with every attribute qc supports: direction, layout,
activations with alpha/beta, clip, input_forget, linear_before_reset,
peepholes and sequence_lens (entries past a batch entry's length keep the
state and give zeros in Y, as ONNX Runtime does).

To make inputs:
  rnn_ref.py inputs MODEL INPUTS.npz
writes seeded random values for every float graph input of MODEL.

As a checker:
  rnn_ref.py check MODEL INPUTS.npz OUTPUTS.npz
reads the single recurrent node of MODEL (ONNX text or binary), computes its
outputs from INPUTS (graph initializers are used too) and compares them with
OUTPUTS (as written by qc-run); prints "ok" or the first mismatch.
"""

import sys

import numpy as np

ALPHA = {"leakyrelu": 0.01, "thresholdedrelu": 1.0, "elu": 1.0,
         "hardsigmoid": 0.2, "affine": 1.0, "scaledtanh": 1.0}
BETA = {"hardsigmoid": 0.5, "affine": 0.0, "scaledtanh": 1.0}


def activation(name, alpha, beta):
    n = name.lower()
    fns = {
        "relu": lambda x: np.maximum(x, 0),
        "tanh": np.tanh,
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "affine": lambda x: alpha * x + beta,
        "leakyrelu": lambda x: np.where(x < 0, alpha * x, x),
        "thresholdedrelu": lambda x: np.where(x > alpha, x, 0),
        "scaledtanh": lambda x: alpha * np.tanh(beta * x),
        "hardsigmoid": lambda x: np.clip(alpha * x + beta, 0, 1),
        "elu": lambda x: np.where(x < 0, alpha * (np.exp(x) - 1), x),
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softplus": lambda x: np.log1p(np.exp(x)),
    }
    return fns[n]


def make_activations(names, alphas, betas):
    ai, bi, out = 0, 0, []
    for name in names:
        n = name.lower()
        a, b = ALPHA.get(n, 0.0), BETA.get(n, 0.0)
        if n in ALPHA and ai < len(alphas):
            a = alphas[ai]
            ai += 1
        if n in BETA and bi < len(betas):
            b = betas[bi]
            bi += 1
        out.append(activation(name, a, b))
    return out


def recurrent(op, X, W, R, B=None, seq_lens=None, h0=None, c0=None, P=None,
              direction="forward", layout=0, activations=None,
              activation_alpha=(), activation_beta=(), clip=None,
              input_forget=0, linear_before_reset=0):
    """Returns (Y, Y_h, Y_c) of op 'RNN', 'GRU' or 'LSTM' in float64."""
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    X = X.astype(np.float64)
    if layout:
        X = np.swapaxes(X, 0, 1)
    T, Bn, _ = X.shape
    D = W.shape[0]
    H = R.shape[-1]
    if B is None:
        B = np.zeros((D, 2 * G * H))
    if h0 is None:
        h0 = np.zeros((D, Bn, H))
    elif layout:
        h0 = np.swapaxes(h0, 0, 1)
    if c0 is None:
        c0 = np.zeros((D, Bn, H))
    elif layout:
        c0 = np.swapaxes(c0, 0, 1)
    if P is None:
        P = np.zeros((D, 3 * H))
    if seq_lens is None:
        seq_lens = np.full((Bn,), T)
    per = {"RNN": 1, "GRU": 2, "LSTM": 3}[op]
    if activations is None:
        activations = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"],
                       "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[op] * D
    acts = make_activations(activations, list(activation_alpha),
                            list(activation_beta))
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    Y = np.zeros((T, D, Bn, H))
    Yh = np.zeros((D, Bn, H))
    Yc = np.zeros((D, Bn, H))
    for d in range(D):
        f = acts[d * per:(d + 1) * per]
        reverse = direction == "reverse" or d == 1
        w, r = W[d].astype(np.float64), R[d].astype(np.float64)
        wb, rb = B[d][:G * H].astype(np.float64), B[d][G * H:].astype(np.float64)
        h, c = h0[d].astype(np.float64), c0[d].astype(np.float64)
        pi, po, pf = np.split(P[d].astype(np.float64), 3)
        for s in range(T):
            t = T - 1 - s if reverse else s
            x = X[t]
            live = (t < seq_lens)[:, None]
            if op == "RNN":
                hn = f[0](cl(x @ w.T + h @ r.T + wb + rb))
                cn = c
            elif op == "GRU":
                wz, wr, wh = np.split(w, 3)
                rz, rr, rh = np.split(r, 3)
                wbz, wbr, wbh = np.split(wb, 3)
                rbz, rbr, rbh = np.split(rb, 3)
                z = f[0](cl(x @ wz.T + h @ rz.T + wbz + rbz))
                rg = f[0](cl(x @ wr.T + h @ rr.T + wbr + rbr))
                if linear_before_reset:
                    ht = f[1](cl(x @ wh.T + rg * (h @ rh.T + rbh) + wbh))
                else:
                    ht = f[1](cl(x @ wh.T + (rg * h) @ rh.T + rbh + wbh))
                hn = (1 - z) * ht + z * h
                cn = c
            else:
                g = x @ w.T + h @ r.T + wb + rb
                gi, go, gf, gc = np.split(g, 4, axis=-1)
                i = f[0](cl(gi + pi * c))
                fg = 1 - i if input_forget else f[0](cl(gf + pf * c))
                cn = fg * c + i * f[1](cl(gc))
                o = f[0](cl(go + po * cn))
                hn = o * f[2](cn)
            Y[t, d] = np.where(live, hn, 0)
            h = np.where(live, hn, h)
            c = np.where(live, cn, c)
        Yh[d], Yc[d] = h, c
    if layout:
        Y = np.transpose(Y, (2, 0, 1, 3))
        Yh = np.swapaxes(Yh, 0, 1)
        Yc = np.swapaxes(Yc, 0, 1)
    return Y, Yh, Yc


def load_model(model_path):
    import onnx
    if model_path.endswith(".onnxtext"):
        import onnx.parser
        text = "\n".join(l for l in open(model_path).read().splitlines()
                         if not l.lstrip().startswith("#"))
        return onnx.parser.parse_model(text)
    return onnx.load(model_path)


def make_inputs(model_path, inputs_path):
    model = load_model(model_path)
    rng = np.random.default_rng(1234)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for i in model.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        assert t.elem_type == 1, "only float inputs are generated"
        shape = [d.dim_value for d in t.shape.dim]
        feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    np.savez(inputs_path, **feeds)
    return 0


def check(model_path, inputs_path, outputs_path):
    from onnx import helper, numpy_helper
    model = load_model(model_path)
    values = {t.name: numpy_helper.to_array(t)
              for t in model.graph.initializer}
    values.update(dict(np.load(inputs_path)))
    node = [n for n in model.graph.node if n.op_type in ("RNN", "GRU", "LSTM")]
    assert len(node) == 1, "expected one recurrent node"
    node = node[0]
    args = {}
    names = ["X", "W", "R", "B", "seq_lens", "h0", "c0", "P"]
    for name, inp in zip(names, node.input):
        if inp:
            args[name] = values[inp]
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        if a.name == "activations":
            v = [s.decode() for s in v]
        if a.name != "hidden_size":
            args[a.name] = v
    want = recurrent(node.op_type, **args)
    got = np.load(outputs_path)
    for name, w in zip(node.output, want):
        if not name:
            continue
        g = got[name]
        if g.shape != w.shape:
            print(f"{name}: shape {g.shape}, expected {w.shape}")
            return 1
        if not np.allclose(g, w, rtol=1e-4, atol=1e-5):
            idx = np.unravel_index(np.argmax(np.abs(g - w)), w.shape)
            print(f"{name}: got {g[idx]} at {idx}, expected {w[idx]}")
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    if len(sys.argv) == 4 and sys.argv[1] == "inputs":
        sys.exit(make_inputs(*sys.argv[2:]))
    print(__doc__)
    sys.exit(2)
