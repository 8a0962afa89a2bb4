#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Moving-average min/max test data: DIR/ema.onnx (y = x W, x [batch, 16]),
DIR/ema_calib.npz (32 feeds of [4, 16] standard normal values, feed 10
scaled by 25: one outlier batch) and DIR/ema_test.npz ([256, 16] held-out
standard normal values).

    make_moving_average.py DIR
    make_moving_average.py check DIR PLAIN.json EMA.json F32.npz PLAIN.npz EMA.npz
        checks the calibration tables against numpy (plain: the extremes of
        all feeds; moving average: r = r_0, then r += 0.01 (r_t - r) per
        feed t, per tensor and per channel) and that the moving average
        ranks as expected: a narrower range than plain min/max, so a lower
        held-out output error.
"""

import json
import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

C = 0.01


def make(out):
    rng = np.random.default_rng(11)
    w = (rng.standard_normal((16, 8)) * 0.3).astype(np.float32)
    g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
                     "ema",
                     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 16])],
                     [h.make_tensor_value_info("y", T.FLOAT, ["batch", 8])],
                     initializer=[nh.from_array(w, "w")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    open(f"{out}/ema.onnx", "wb").write(m.SerializeToString())
    calib = rng.standard_normal((32, 4, 16)).astype(np.float32)
    calib[10] *= 25
    np.savez(f"{out}/ema_calib.npz", x=calib)
    np.savez(f"{out}/ema_test.npz",
             x=rng.standard_normal((256, 16)).astype(np.float32))


def ema(batch_min, batch_max):
    lo, hi = float(batch_min[0]), float(batch_max[0])
    for m, M in zip(batch_min[1:], batch_max[1:]):
        lo += C * (float(m) - lo)
        hi += C * (float(M) - hi)
    return lo, hi


def check(out, plain_json, ema_json, f32, plain_out, ema_out):
    x = np.load(f"{out}/ema_calib.npz")["x"]
    plain = json.load(open(plain_json))["tensors"]["x"]
    moving = json.load(open(ema_json))["tensors"]["x"]
    ok = True

    def expect(what, cond):
        nonlocal ok
        print(f"{what}: {'ok' if cond else 'MISMATCH'}")
        ok &= bool(cond)

    expect(f"plain [{plain['min']:.4f}, {plain['max']:.4f}] = extremes of "
           f"all feeds", plain["min"] == x.min() and plain["max"] == x.max()
           and "min_max_moving_average" not in plain)
    lo, hi = ema(x.min((1, 2)), x.max((1, 2)))
    expect(f"moving average [{moving['min']:.4f}, {moving['max']:.4f}] "
           f"(numpy [{lo:.4f}, {hi:.4f}]), constant "
           f"{moving.get('min_max_moving_average')}",
           abs(moving["min"] - lo) <= 1e-9 * abs(lo) and
           abs(moving["max"] - hi) <= 1e-9 * abs(hi) and
           moving.get("min_max_moving_average") == C)
    chan = [ema(x[:, :, j].min(1), x[:, :, j].max(1)) for j in range(16)]
    expect("per-channel moving averages (numpy)",
           np.allclose(moving["channel_min"], [c[0] for c in chan],
                       rtol=1e-6, atol=0) and
           np.allclose(moving["channel_max"], [c[1] for c in chan],
                       rtol=1e-6, atol=0))
    expect(f"the outlier feed widens plain min/max "
           f"{(plain['max'] - plain['min']) / (moving['max'] - moving['min']):.1f}x"
           f" more than the moving average",
           plain["max"] > 4 * moving["max"] and plain["min"] < 4 * moving["min"])
    f = np.load(f32)["y"].astype(np.float64)
    errs = [((np.load(p)["y"] - f) ** 2).sum() / (f ** 2).sum()
            for p in (plain_out, ema_out)]
    expect(f"held-out relative MSE: plain {errs[0]:.3e}, moving average "
           f"{errs[1]:.3e}", errs[1] <= 0.25 * errs[0])
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    make(sys.argv[1])
