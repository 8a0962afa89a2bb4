#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Quantized ONNX models for test/Integration/Quant/qdq-import.test.

  make_qdq_models.py DIR
      writes DIR/qdq_cnn.onnx, DIR/qlinear.onnx and the test feed
      DIR/inputs.npz (+ DIR/inputs.json and DIR/x.npy for onnxruntime).

  make_qdq_models.py --compare DIR MODEL NODE_PATH
      runs DIR/MODEL.onnx with onnxruntime-node (NODE_PATH holds
      onnxruntime-node) and compares its output with qc's DIR/MODEL.out.npz:
      they must agree to within one quantization step of the output. Prints
      SKIP and succeeds when onnxruntime-node or node is missing.

qdq_cnn is what onnxruntime's quantize_static writes (QDQ format, per-channel
weights): uint8 activations per tensor, int8 symmetric weights per output
channel (axis 0 for Conv, axis 1 for MatMul), the Conv bias as int32 with
scale x_scale * w_scale, QuantizeLinear/DequantizeLinear pairs between the
float ops:

  x [8, 3, 8, 8] -> Q/DQ -> Conv(3->8, 3x3, pad 1) + bias -> Q/DQ -> Relu -> Q/DQ
    -> Reshape [8, 512] -> MatMul(512x16) -> Q/DQ -> Relu -> Q/DQ
    -> MatMul(16x10) -> Q/DQ -> y

(the first MatMul reads the Reshape of a dequantized tensor, as exporters
write a Flatten between quantized ops). qlinear is the same network in
QOperator form: QuantizeLinear, QLinearConv with an int32 bias,
QLinearMatMul, DequantizeLinear.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

rng = np.random.default_rng(7)
BATCH = 8


def conv2d(x, w, b):
    """Float NCHW convolution, stride 1, pad 1 (3x3 kernel)."""
    n, c, hh, ww = x.shape
    o = w.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((n, o, hh, ww), np.float32)
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + hh, j:j + ww],
                           w[:, :, i, j])
    return y + b.reshape(1, o, 1, 1)


def act_params(values):
    """uint8 asymmetric scale/zero point over [min(0, lo), max(0, hi)], as
    onnxruntime's quantizer computes them."""
    lo = min(0.0, float(values.min()))
    hi = max(0.0, float(values.max()))
    scale = np.float32((hi - lo) / 255.0)
    zp = np.uint8(np.clip(round(-lo / float(scale)), 0, 255))
    return scale, zp


def weight_params(w, axis):
    """int8 symmetric per-channel scales and codes in [-127, 127]."""
    red = tuple(d for d in range(w.ndim) if d != axis)
    amax = np.abs(w).max(axis=red)
    scale = (amax / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return scale, q


def write_models(out):
    x = rng.standard_normal((BATCH, 3, 8, 8)).astype(np.float32)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((512, 16)) * 0.05).astype(np.float32)
    w3 = (rng.standard_normal((16, 10)) * 0.3).astype(np.float32)

    # Calibration on the test input itself (ranges only).
    sx, zx = act_params(x)
    sw1, qw1 = weight_params(w1, 0)
    bias_scale = (sx * sw1).astype(np.float32)
    qb1 = np.rint(b1 / bias_scale).astype(np.int32)
    c1 = conv2d(x, w1, b1)
    sc, zc = act_params(c1)
    r1 = np.maximum(c1, 0).reshape(BATCH, 512)
    sr, zr = act_params(r1)
    sw2, qw2 = weight_params(w2, 1)
    m2 = r1 @ w2
    sm, zm = act_params(m2)
    r2 = np.maximum(m2, 0)
    sr2, zr2 = act_params(r2)
    sw3, qw3 = weight_params(w3, 1)
    sy, zy = act_params(r2 @ w3)

    inits = [
        nh.from_array(qw1, "w1_q"), nh.from_array(sw1, "w1_s"),
        nh.from_array(np.zeros(8, np.int8), "w1_z"),
        nh.from_array(qb1, "b1_q"), nh.from_array(bias_scale, "b1_s"),
        nh.from_array(np.zeros(8, np.int32), "b1_z"),
        nh.from_array(qw2, "w2_q"), nh.from_array(sw2, "w2_s"),
        nh.from_array(np.zeros(16, np.int8), "w2_z"),
        nh.from_array(qw3, "w3_q"), nh.from_array(sw3, "w3_s"),
        nh.from_array(np.zeros(10, np.int8), "w3_z"),
        nh.from_array(np.array([BATCH, 512], np.int64), "flat"),
    ]
    for name, (s, z) in {"x": (sx, zx), "c": (sc, zc), "r": (sr, zr),
                         "m": (sm, zm), "r2": (sr2, zr2),
                         "y": (sy, zy)}.items():
        inits += [nh.from_array(np.array(s, np.float32), name + "_s"),
                  nh.from_array(np.array(z, np.uint8), name + "_z")]

    def qdq(name, src, dst):
        return [h.make_node("QuantizeLinear", [src, name + "_s", name + "_z"],
                            [dst + "_q"], name=dst + "_Q"),
                h.make_node("DequantizeLinear",
                            [dst + "_q", name + "_s", name + "_z"], [dst],
                            name=dst + "_DQ")]

    def dq(name, axis):
        return h.make_node("DequantizeLinear",
                           [name + "_q", name + "_s", name + "_z"],
                           [name + "_dq"], name=name + "_DQ", axis=axis)

    nodes = (qdq("x", "x", "x_dq") +
             [dq("w1", 0), dq("b1", 0),
              h.make_node("Conv", ["x_dq", "w1_dq", "b1_dq"], ["c"],
                          name="conv", pads=[1, 1, 1, 1])] +
             qdq("c", "c", "c_dq") +
             [h.make_node("Relu", ["c_dq"], ["r"], name="relu1")] +
             qdq("r", "r", "r_dq") +
             [h.make_node("Reshape", ["r_dq", "flat"], ["flat_r"],
                          name="flatten"),
              dq("w2", 1),
              h.make_node("MatMul", ["flat_r", "w2_dq"], ["m"], name="fc1")] +
             qdq("m", "m", "m_dq") +
             [h.make_node("Relu", ["m_dq"], ["r2"], name="relu2")] +
             qdq("r2", "r2", "r2_dq") +
             [dq("w3", 1),
              h.make_node("MatMul", ["r2_dq", "w3_dq"], ["o"], name="fc2")] +
             qdq("y", "o", "y"))
    g = h.make_graph(nodes, "qdq_cnn",
                     [h.make_tensor_value_info("x", T.FLOAT, [BATCH, 3, 8, 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, [BATCH, 10])],
                     initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 7
    open(os.path.join(out, "qdq_cnn.onnx"), "wb").write(m.SerializeToString())

    # The same network with QOperator ops (Relu folded into the ranges).
    sc2, zc2 = act_params(np.maximum(c1, 0))
    q_inits = [i for i in inits if not i.name.startswith(("c_", "m_"))]
    q_inits += [nh.from_array(np.array(sc2, np.float32), "c_s"),
                nh.from_array(np.array(zc2, np.uint8), "c_z"),
                nh.from_array(np.array(sr2, np.float32), "m_s"),
                nh.from_array(np.array(zr2, np.uint8), "m_z")]
    nodes = [
        h.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"], name="qx"),
        h.make_node("QLinearConv",
                    ["xq", "x_s", "x_z", "w1_q", "w1_s", "w1_z", "c_s", "c_z",
                     "b1_q"], ["cq"], name="qconv", pads=[1, 1, 1, 1]),
        h.make_node("Reshape", ["cq", "flat"], ["fq"], name="flatten"),
        h.make_node("QLinearMatMul",
                    ["fq", "c_s", "c_z", "w2_q", "w2_s", "w2_z", "m_s", "m_z"],
                    ["mq"], name="qfc1"),
        h.make_node("QLinearMatMul",
                    ["mq", "m_s", "m_z", "w3_q", "w3_s", "w3_z", "y_s", "y_z"],
                    ["yq"], name="qfc2"),
        h.make_node("DequantizeLinear", ["yq", "y_s", "y_z"], ["y"],
                    name="dqy"),
    ]
    g = h.make_graph(nodes, "qlinear",
                     [h.make_tensor_value_info("x", T.FLOAT, [BATCH, 3, 8, 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, [BATCH, 10])],
                     initializer=q_inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 7
    open(os.path.join(out, "qlinear.onnx"), "wb").write(m.SerializeToString())

    np.savez(os.path.join(out, "inputs.npz"), x=x)
    np.save(os.path.join(out, "x.npy"), x)
    with open(os.path.join(out, "inputs.json"), "w") as f:
        json.dump({"x": os.path.join(out, "x.npy")}, f)
    # The output scale, for the comparison.
    with open(os.path.join(out, "y_scale.txt"), "w") as f:
        f.write(repr(float(sy)))


def compare(out, model, node_path):
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(node_path,
                                                  "onnxruntime-node")):
        print("SKIP: onnxruntime-node not found")
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    ort_run = os.path.join(here, "..", "..", "..", "..", "utils", "ort",
                           "ort_run.js")
    step = float(open(os.path.join(out, "y_scale.txt")).read())
    qc = np.load(os.path.join(out, model + ".out.npz"))["y"]
    worst = 0.0
    for level in ("disabled", "all"):
        odir = os.path.join(out, model + ".ort." + level)
        env = dict(os.environ, NODE_PATH=node_path)
        r = subprocess.run([node, ort_run, os.path.join(out, model + ".onnx"),
                            os.path.join(out, "inputs.json"), odir, "--opt",
                            level], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print(f"FAIL: onnxruntime: {r.stderr.strip()}")
            return 1
        ref = np.load(os.path.join(odir, "output_0.npy"))
        diff = float(np.abs(qc.astype(np.float64) - ref).max())
        steps = diff / step
        print(f"{model}: onnxruntime ({level}) max |qc - ort| = {diff:.6g} "
              f"= {steps:.3f} output steps")
        worst = max(worst, steps)
    # One output step, with room for the float rounding of y = (q - z) * s.
    if worst > 1.0 + 1e-3:
        print(f"FAIL: {model} differs by more than one quantization step")
        return 1
    print(f"{model}: within one quantization step")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    write_models(sys.argv[1])
