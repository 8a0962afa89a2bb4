#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""SmoothQuant evidence: models whose matmul inputs have persistent outlier
channels (shared/reference/algorithms.md 9(c) and 9(e)).

  make_outlier_model.py DIR        writes the models and data
  make_outlier_model.py check DIR  compares the compiled models' outputs

Models (ONNX opset 13, features K = 256):
  mlp.onnx  x[T, K] -> MatMul(W1) -> + b1 -> Relu -> MatMul(W2) -> y
            x = (Z M) * c: correlated features (M an orthogonal basis weighted
            by k^-0.5), channel scales c_j = exp(0.5 N(0, 1)), 2 % of the
            channels x30, the same channels in every token.
  ln.onnx   x[T, K] -> LayerNorm (decomposed: opset 13 has no op) ->
            MatMul(W1) -> + b1 -> Relu -> MatMul(W2) -> y, with gamma and
            beta x30 on 2 % of the channels: the LayerNorm output carries the
            outliers, as in LLMs, and the smoothing multiply can fold into
            the LayerNorm's affine step.
Weights W ~ N(0, 0.02^2). Calibration: 32 samples of [64, K] (2048 tokens);
held-out test feed: one [2048, K] batch from the same generator.
"""

import sys

import numpy as np

K, H, O = 256, 256, 64
CALIB_SAMPLES, CALIB_TOKENS, TEST_TOKENS = 32, 64, 2048
OUTLIER_FRACTION, OUTLIER_SCALE = 0.02, 30.0


def write(out):
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper as nh

    rng = np.random.default_rng(42)
    outliers = rng.choice(K, max(1, int(round(OUTLIER_FRACTION * K))),
                          replace=False)
    q, _ = np.linalg.qr(rng.standard_normal((K, K)))
    basis = (np.arange(1, K + 1) ** -0.5)[:, None] * q
    scales = np.exp(0.5 * rng.standard_normal(K))

    def features(tokens, with_outliers):
        x = rng.standard_normal((tokens, K)) @ basis * scales
        x /= x.std()
        if with_outliers:
            x[:, outliers] *= OUTLIER_SCALE
        return x.astype(np.float32)

    w1 = (rng.standard_normal((K, H)) * 0.02).astype(np.float32)
    b1 = (rng.standard_normal(H) * 0.002).astype(np.float32)
    w2 = (rng.standard_normal((H, O)) * 0.02).astype(np.float32)

    def mlp(data):
        return [h.make_node("MatMul", [data, "w1"], ["h"], name="fc1"),
                h.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
                h.make_node("Relu", ["hb"], ["r"], name="relu1"),
                h.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")]

    weights = [nh.from_array(w1, "w1"), nh.from_array(b1, "b1"),
               nh.from_array(w2, "w2")]

    def save(name, nodes, inits):
        g = h.make_graph(
            nodes, name, [h.make_tensor_value_info("x", T.FLOAT, ["t", K])],
            [h.make_tensor_value_info("y", T.FLOAT, ["t", O])],
            initializer=inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
        open(f"{out}/{name}.onnx", "wb").write(m.SerializeToString())

    # mlp.onnx: the input itself has the outlier channels.
    save("mlp", mlp("x"), weights)
    np.savez(f"{out}/mlp_calib.npz",
             x=np.stack([features(CALIB_TOKENS, True)
                         for _ in range(CALIB_SAMPLES)]))
    np.savez(f"{out}/mlp_test.npz", x=features(TEST_TOKENS, True))

    # ln.onnx: the LayerNorm's gamma and beta make the outliers.
    gamma = np.exp(0.3 * rng.standard_normal(K))
    beta = 0.1 * rng.standard_normal(K)
    gamma[outliers] *= OUTLIER_SCALE
    beta[outliers] *= OUTLIER_SCALE
    ln = [h.make_node("ReduceMean", ["x"], ["mean"], axes=[-1], name="ln_mean"),
          h.make_node("Sub", ["x", "mean"], ["xc"], name="ln_sub"),
          h.make_node("Mul", ["xc", "xc"], ["sq"], name="ln_sq"),
          h.make_node("ReduceMean", ["sq"], ["var"], axes=[-1], name="ln_var"),
          h.make_node("Add", ["var", "eps"], ["vare"], name="ln_eps"),
          h.make_node("Sqrt", ["vare"], ["std"], name="ln_sqrt"),
          h.make_node("Div", ["xc", "std"], ["xn"], name="ln_div"),
          h.make_node("Mul", ["xn", "gamma"], ["xg"], name="ln_gamma"),
          h.make_node("Add", ["xg", "beta"], ["a"], name="ln_beta")]
    save("ln", ln + mlp("a"),
         weights + [nh.from_array(np.array(1e-5, np.float32), "eps"),
                    nh.from_array(gamma.astype(np.float32), "gamma"),
                    nh.from_array(beta.astype(np.float32), "beta")])
    np.savez(f"{out}/ln_calib.npz",
             x=np.stack([features(CALIB_TOKENS, False)
                         for _ in range(CALIB_SAMPLES)]))
    np.savez(f"{out}/ln_test.npz", x=features(TEST_TOKENS, False))


def check(out):
    for model in ("mlp", "ln"):
        def load(kind):
            return np.load(f"{out}/{model}_{kind}.npz")["y"].astype(np.float64)

        ref, smoothed = load("f32"), load("sqf32")
        ptq, sq = load("ptq"), load("sq")
        # Smoothing alone is an equivalence rewrite.
        drift = np.linalg.norm(smoothed - ref) / np.linalg.norm(ref)
        drift_max = np.abs(smoothed - ref).max() / np.abs(ref).max()
        print(f"{model}: float drift after smoothing: {drift:.2e} "
              f"(max {drift_max:.2e})")
        assert drift < 1e-5 and drift_max < 1e-5, (model, drift, drift_max)

        def rel_mse(y):
            return np.sum((y - ref) ** 2) / np.sum(ref ** 2)

        e_ptq, e_sq = rel_mse(ptq), rel_mse(sq)
        print(f"{model}: rel-MSE plain W8A8 {e_ptq:.3e}, SmoothQuant 0.5 "
              f"{e_sq:.3e}, ratio {e_sq / e_ptq:.3f}")
        # Measured ratios 0.044-0.075 over four seeds (smoothquant.test);
        # asserted with a 2x margin.
        assert e_sq <= 0.15 * e_ptq, (model, e_ptq, e_sq)


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        write(sys.argv[1])
