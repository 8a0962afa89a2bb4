#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of one fuzz target into --out, from the project's
models and test files (nothing large is committed). Deterministic.

  onnx_import  models/digits_cnn (batch fixed to 1), small generated models
               covering tiny_lm's ops, control flow, RNNs and external data,
               and ONNX node-test models that qc imports (libonnx-testdata)
  npz          unittests/Support/Inputs/*, the digits .npz files, and arrays
               of every dtype, 0-d, empty and compressed
  calib_table  tables qc-compile writes for fuzz/Inputs/calib_model.onnxtext
               (minmax, histograms, per-channel), plus small edge cases
  runtime      signatures of the fixture and of real models, each followed
               by bytes that drive qc_model_run calls
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"


def onnx_seeds(out):
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper as nh

    rng = np.random.default_rng(0)

    def save(name, model):
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())

    def w(name, *shape):
        return nh.from_array(
            (rng.standard_normal(shape) * 0.3).astype(np.float32), name)

    digits = onnx.load(os.path.join(ROOT, "models/digits_cnn/digits_cnn.onnx"))
    for v in list(digits.graph.input) + list(digits.graph.output):
        for d in v.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                d.dim_value = 1
    save("digits_cnn", digits)

    # tiny_lm's ops at toy size: embedding, LayerNorm, fused QKV split,
    # heads through a Shape->Gather->Concat->Reshape subgraph, softmax
    # attention, Erf GELU.
    d, s = 8, 4
    nodes = [
        h.make_node("Gather", ["emb", "tokens"], ["e"]),
        h.make_node("LayerNormalization", ["e", "g", "b"], ["n"], axis=-1),
        h.make_node("MatMul", ["n", "wqkv"], ["qkv"]),
        h.make_node("Split", ["qkv", "split"], ["q", "k", "v"], axis=-1),
        h.make_node("Shape", ["q"], ["qs"]),
        h.make_node("Gather", ["qs", "zero"], ["batch"], axis=0),
        h.make_node("Concat", ["batch", "heads"], ["hs"], axis=0),
        h.make_node("Reshape", ["q", "hs"], ["qh"]),
        h.make_node("Reshape", ["k", "hs"], ["kh"]),
        h.make_node("Reshape", ["v", "hs"], ["vh"]),
        h.make_node("Transpose", ["qh"], ["qt"], perm=[0, 2, 1, 3]),
        h.make_node("Transpose", ["kh"], ["kt"], perm=[0, 2, 3, 1]),
        h.make_node("Transpose", ["vh"], ["vt"], perm=[0, 2, 1, 3]),
        h.make_node("MatMul", ["qt", "kt"], ["att"]),
        h.make_node("Div", ["att", "scale"], ["atts"]),
        h.make_node("Softmax", ["atts"], ["p"], axis=-1),
        h.make_node("MatMul", ["p", "vt"], ["o"]),
        h.make_node("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
        h.make_node("Reshape", ["ot", "flat"], ["of"]),
        h.make_node("Div", ["of", "sqrt2"], ["x1"]),
        h.make_node("Erf", ["x1"], ["x2"]),
        h.make_node("Add", ["x2", "one"], ["x3"]),
        h.make_node("Mul", ["of", "x3"], ["x4"]),
        h.make_node("Mul", ["x4", "half"], ["y"]),
    ]
    inits = [
        w("emb", 16, d), w("g", d), w("b", d), w("wqkv", d, 3 * d),
        nh.from_array(np.array([d, d, d], np.int64), "split"),
        nh.from_array(np.array([0], np.int64), "zero"),
        nh.from_array(np.array([s, 2, d // 2], np.int64), "heads"),
        nh.from_array(np.array([1, s, d], np.int64), "flat"),
        nh.from_array(np.array(2.0, np.float32), "scale"),
        nh.from_array(np.array(1.4142135, np.float32), "sqrt2"),
        nh.from_array(np.array(1.0, np.float32), "one"),
        nh.from_array(np.array(0.5, np.float32), "half"),
    ]
    g = h.make_graph(nodes, "tiny_attention",
                     [h.make_tensor_value_info("tokens", T.INT64, [1, s])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, s, d])],
                     initializer=inits)
    save("tiny_attention", h.make_model(
        g, opset_imports=[h.make_opsetid("", 17)]))

    # If on a run-time condition, Loop with a constant trip count.
    then_g = h.make_graph([h.make_node("Relu", ["a"], ["t"])], "then", [],
                          [h.make_tensor_value_info("t", T.FLOAT, [2, 3])])
    else_g = h.make_graph([h.make_node("Neg", ["a"], ["t2"])], "else", [],
                          [h.make_tensor_value_info("t2", T.FLOAT, [2, 3])])
    body = h.make_graph(
        [h.make_node("Identity", ["cond_in"], ["cond_out"]),
         h.make_node("Add", ["acc_in", "a"], ["acc_out"])], "body",
        [h.make_tensor_value_info("i", T.INT64, []),
         h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("acc_in", T.FLOAT, [2, 3])],
        [h.make_tensor_value_info("cond_out", T.BOOL, []),
         h.make_tensor_value_info("acc_out", T.FLOAT, [2, 3])])
    g = h.make_graph(
        [h.make_node("If", ["c"], ["r"], then_branch=then_g,
                     else_branch=else_g),
         h.make_node("Loop", ["trip", "true", "r"], ["l"], body=body)],
        "control_flow",
        [h.make_tensor_value_info("a", T.FLOAT, [2, 3]),
         h.make_tensor_value_info("c", T.BOOL, [])],
        [h.make_tensor_value_info("l", T.FLOAT, [2, 3])],
        initializer=[nh.from_array(np.array(3, np.int64), "trip"),
                     nh.from_array(np.array(True), "true")])
    save("control_flow", h.make_model(
        g, opset_imports=[h.make_opsetid("", 13)]))

    # LSTM and GRU.
    hid, inp = 3, 4
    g = h.make_graph(
        [h.make_node("LSTM", ["x", "lw", "lr", "lb"], ["ly", "lh"],
                     hidden_size=hid),
         h.make_node("GRU", ["x", "gw", "gr"], ["gy", "gh"],
                     hidden_size=hid)],
        "rnn", [h.make_tensor_value_info("x", T.FLOAT, [5, 1, inp])],
        [h.make_tensor_value_info("lh", T.FLOAT, [1, 1, hid]),
         h.make_tensor_value_info("gh", T.FLOAT, [1, 1, hid])],
        initializer=[w("lw", 1, 4 * hid, inp), w("lr", 1, 4 * hid, hid),
                     w("lb", 1, 8 * hid), w("gw", 1, 3 * hid, inp),
                     w("gr", 1, 3 * hid, hid)])
    save("rnn", h.make_model(g, opset_imports=[h.make_opsetid("", 14)]))

    # A weight in external data: the fuzzer's folder holds weights.bin
    # (4096 bytes).
    ext = T()
    ext.name = "wext"
    ext.data_type = T.FLOAT
    ext.dims.extend([4, 4])
    ext.data_location = T.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "128"),
                 ("length", "64")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    g = h.make_graph([h.make_node("MatMul", ["x", "wext"], ["y"])],
                     "external", [h.make_tensor_value_info("x", T.FLOAT,
                                                           [2, 4])],
                     [h.make_tensor_value_info("y", T.FLOAT, [2, 4])],
                     initializer=[ext])
    save("external_data", h.make_model(
        g, opset_imports=[h.make_opsetid("", 13)]))

    # Node tests qc passes, every 8th, and every 40th of the rest.
    expected = set()
    with open(os.path.join(ROOT, "test/Integration/ONNX/node-tests.expected")) \
            as f:
        expected = {line.strip() for line in f
                    if line.strip() and not line.startswith("#")}
    if os.path.isdir(NODE_TESTS):
        names = sorted(os.listdir(NODE_TESTS))
        passing = [n for n in names if n in expected]
        others = [n for n in names if n not in expected]
        for n in passing[::8] + others[::40]:
            src = os.path.join(NODE_TESTS, n, "model.onnx")
            if os.path.exists(src) and os.path.getsize(src) < 16384:
                shutil.copy(src, os.path.join(out, n + ".onnx"))


def npz_seeds(out):
    inputs = os.path.join(ROOT, "unittests/Support/Inputs")
    for f in sorted(os.listdir(inputs)):
        if f.endswith((".npy", ".npz")):
            shutil.copy(os.path.join(inputs, f), os.path.join(out, f))
    for f in ("digits_calib.npz", "digits_test.npz"):
        shutil.copy(os.path.join(ROOT, "models/digits_cnn", f),
                    os.path.join(out, f))
    rng = np.random.default_rng(0)
    arrays = {
        "f4": rng.standard_normal((2, 3)).astype(np.float32),
        "f8": np.array(3.5),
        "f2": np.arange(5, dtype=np.float16),
        "i8": np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
        "u1": np.arange(7, dtype=np.uint8),
        "b1": np.array([True, False, True]),
        "empty": np.zeros((0, 4), np.float32),
        "scalar_i4": np.array(-7, np.int32),
    }
    for k, a in arrays.items():
        np.save(os.path.join(out, k + ".npy"), a)
    np.savez(os.path.join(out, "mixed.npz"), **arrays)
    np.savez_compressed(os.path.join(out, "mixed_compressed.npz"), **arrays)


def calib_seeds(out, bindir):
    model = os.path.join(HERE, "Inputs", "calib_model.onnxtext")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "calib.npz")
        np.savez(data,
                 img=rng.standard_normal((4, 1, 2, 4, 4)).astype(np.float32),
                 x=(rng.standard_normal((4, 2, 8)) * 3).astype(np.float32))
        runs = {"minmax": [], "entropy": ["--calib-method=entropy"],
                "smoothquant": ["--smoothquant=0.5"]}
        for name, flags in runs.items():
            table = os.path.join(out, name + ".json")
            subprocess.run(
                [os.path.join(bindir, "qc-compile"), model, "-q",
                 "--quantize=int8", "--calib=" + data,
                 "--calib-table=" + table, "--emit=mlir",
                 "-o", os.path.join(tmp, "out.mlir")] + flags, check=True)
    small = {
        "empty_tensors": '{"version": 1, "tensors": {}}',
        "one": '{"version": 1, "tensors": {"x": {"min": -1, "max": 2, '
               '"samples": 3}}}',
        "hist": '{"version": 1, "tensors": {"r": {"min": 0, "max": 4, '
                '"samples": 1, "hist_max": 4, "hist": [1, 0, 2, 5]}}}',
        "channels": '{"version": 1, "tensors": {"x": {"min": -1, "max": 1, '
                    '"samples": 1, "channel_axis": 1, "channel_min": '
                    '[-1, -0.5], "channel_max": [1, 0.5]}}}',
        "version2": '{"version": 2, "tensors": {}}',
    }
    for name, text in small.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(text + "\n")


def runtime_seeds(out):
    def sig(name, inputs, outputs):
        def line(t):
            n, dtype, shape = t
            return f"{len(n)}:{n} {dtype} {len(shape)}" + \
                "".join(f" {d}" for d in shape)
        text = f"qc-signature 1\nmodel {len(name)}:{name}\n"
        text += f"inputs {len(inputs)}\n" + "".join(
            line(t) + "\n" for t in inputs)
        text += f"outputs {len(outputs)}\n" + "".join(
            line(t) + "\n" for t in outputs)
        return text.encode()

    sigs = {
        "fixture": sig("fixture", [("x", 1, [2, 3]), ("k", 3, [3])],
                       [("y", 1, [2, 3]), ("s", 6, [])]),
        "digits_cnn": sig("digits_cnn", [("image", 1, [1, 1, 8, 8])],
                          [("logits", 1, [1, 10])]),
        "tiny_lm": sig("tiny_lm", [("tokens", 7, [1, 64])],
                       [("logits", 1, [1, 64, 256])]),
        "empty": sig("e", [("a", 2, [0, 5]), ("b", 9, [])],
                     [("c", 10, [3, 0])]),
        "many": sig("m", [(f"in{i}", 1 + i % 7, [i + 1]) for i in range(40)],
                    [("out", 11, [2, 2])]),
        "odd_names": sig("a b:c", [("x y", 1, [1]), ("\x01\xff", 3, [2])],
                         [("z:", 5, [1, 1, 1])]),
    }
    rng = np.random.default_rng(0)
    for name, text in sigs.items():
        for k in range(3):
            tail = rng.integers(0, 256, 48 + 64 * k, dtype=np.uint8).tobytes()
            with open(os.path.join(out, f"{name}_{k}"), "wb") as f:
                f.write(text + b"\0" + tail)
    with open(os.path.join(out, "signature_only"), "wb") as f:
        f.write(sigs["fixture"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True,
                        choices=["onnx_import", "npz", "calib_table",
                                 "runtime"])
    parser.add_argument("--bin", help="qc's tools (calib_table needs them)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    # Written next to the destination and renamed, so that a partly written
    # corpus is never used.
    parent = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".seeds-", dir=parent)
    try:
        if args.target == "onnx_import":
            onnx_seeds(tmp)
        elif args.target == "npz":
            npz_seeds(tmp)
        elif args.target == "calib_table":
            calib_seeds(tmp, args.bin)
        else:
            runtime_seeds(tmp)
        if os.path.isdir(args.out):
            shutil.rmtree(args.out)
        os.rename(tmp, args.out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"make_seeds: {len(os.listdir(args.out))} seeds in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
