# SPDX-License-Identifier: Apache-2.0
"""Compiles and runs small ONNX models of the NN and reduction ops and
compares their outputs with NumPy references of the ONNX definitions.

  run_cases.py GROUP WORKDIR

GROUP is "nn" (pools, ConvTranspose, normalizations, softmaxes, LRN) or
"reduction" (Reduce*, ArgMax/ArgMin). The cases cover what the ONNX node
tests leave out: groups and constant kernels, negative effective pads,
ceil_mode with count_include_pad, integer and float16 inputs, opsets before
13, host folding. Each model is compiled with qc-compile and run with qc-run
(both found on PATH); floats are compared with rtol 1e-3 (1e-2 for float16),
integers exactly. Prints one line per case and "N passed, M failed".
"""

import itertools
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

DTYPES = {
    np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE,
    np.float16: TensorProto.FLOAT16, np.int8: TensorProto.INT8,
    np.uint8: TensorProto.UINT8, np.int16: TensorProto.INT16,
    np.uint16: TensorProto.UINT16, np.int32: TensorProto.INT32,
    np.uint32: TensorProto.UINT32, np.int64: TensorProto.INT64,
    np.uint64: TensorProto.UINT64,
}

rng = np.random.default_rng(7)
results = []


def run(work, name, nodes, inputs, expected, opset=13, inits=()):
    """Builds a model of `nodes` (outputs: the last node's), runs it on
    `inputs` and compares each output with `expected`."""
    nodes = nodes if isinstance(nodes, list) else [nodes]
    outputs = list(nodes[-1].output)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(k, DTYPES[v.dtype.type], v.shape)
         for k, v in inputs.items()],
        [helper.make_tensor_value_info(n, DTYPES[e.dtype.type], e.shape)
         for n, e in zip(outputs, expected)],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    base = os.path.join(work, name)
    save(model, base + ".onnx")
    r = subprocess.run(["qc-compile", base + ".onnx", "-o", base + ".so",
                        "-q"], capture_output=True, text=True)
    if r.returncode:
        return report(name, "qc-compile: " + r.stderr.strip()[-300:])
    np.savez(base + ".in.npz", **inputs)
    r = subprocess.run(["qc-run", base + ".so", "--inputs", base + ".in.npz",
                        "--outputs", base + ".out.npz"],
                       capture_output=True, text=True)
    if r.returncode:
        return report(name, "qc-run: " + r.stderr.strip()[-300:])
    got = np.load(base + ".out.npz")
    for out, want in zip(outputs, expected):
        have = got[out]
        if have.shape != want.shape:
            return report(name, f"{out}: shape {have.shape}, "
                          f"expected {want.shape}")
        if want.dtype.kind == "f":
            rtol = 1e-2 if want.dtype == np.float16 else 1e-3
            if not np.allclose(have.astype(np.float64),
                               want.astype(np.float64), rtol=rtol,
                               atol=rtol, equal_nan=True):
                return report(name, f"{out}: got {have.ravel()[:6]}, "
                              f"expected {want.ravel()[:6]}")
        elif not np.array_equal(have, want):
            return report(name, f"{out}: got {have.ravel()[:6]}, "
                          f"expected {want.ravel()[:6]}")
    return report(name, None)


def report(name, error):
    results.append(error is None)
    print(f"PASS {name}" if error is None else f"FAIL {name}: {error}")


def normal(shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


#===-------------------------------------------------------------------===#
# NN references
#===-------------------------------------------------------------------===#

def conv_transpose_ref(x, w, b, strides, dilations, pad_begin, pad_end,
                       output_padding, group):
    """The transposed convolution as the scatter of its definition, cropped
    by the pads (negative pads extend with zeros)."""
    n, c = x.shape[:2]
    spatial, kernel = x.shape[2:], w.shape[2:]
    cog, cig = w.shape[1], c // group
    full_shape = [(d - 1) * s + (k - 1) * dl + 1 + op for d, s, k, dl, op in
                  zip(spatial, strides, kernel, dilations, output_padding)]
    full = np.zeros((n, cog * group, *full_shape))
    for pos in itertools.product(*[range(k) for k in kernel]):
        window = tuple(slice(p * dl, p * dl + (d - 1) * s + 1, s) for p, dl, d, s
                       in zip(pos, dilations, spatial, strides))
        for g in range(group):
            xs = x[:, g * cig:(g + 1) * cig].astype(np.float64)
            ws = w[(slice(g * cig, (g + 1) * cig), slice(None)) + pos]
            full[(slice(None), slice(g * cog, (g + 1) * cog)) + window] += \
                np.einsum("nc...,co->no...", xs, ws.astype(np.float64))
    out_shape = [f - pb - pe for f, pb, pe in zip(full_shape, pad_begin,
                                                  pad_end)]
    y = np.zeros((n, cog * group, *out_shape))
    for o in itertools.product(*[range(v) for v in out_shape]):
        src = tuple(i + pb for i, pb in zip(o, pad_begin))
        if all(0 <= s < f for s, f in zip(src, full_shape)):
            y[(Ellipsis,) + o] = full[(Ellipsis,) + src]
    if b is not None:
        y += b.reshape((1, -1) + (1,) * len(spatial))
    return y.astype(x.dtype)


def pool_ref(x, kind, kernel, strides, dilations, pad_begin, pad_end, ceil,
             include_pad, with_indices=False, storage_order=0):
    """Max or average pooling straight from the ONNX definition (ceil_mode
    windows may not start in the end padding; the average never counts the
    ceil_mode overhang)."""
    spatial = x.shape[2:]
    outs = []
    for d, k, s, dl, pb, pe in zip(spatial, kernel, strides, dilations,
                                   pad_begin, pad_end):
        span = d + pb + pe - ((k - 1) * dl + 1)
        o = (-(-span // s) if ceil else span // s) + 1
        if ceil and (o - 1) * s >= d + pb:
            o -= 1
        outs.append(o)
    y = np.zeros(x.shape[:2] + tuple(outs), x.dtype)
    idx = np.zeros(x.shape[:2] + tuple(outs), np.int64)
    plane = int(np.prod(spatial))
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for o in itertools.product(*[range(v) for v in outs]):
            values, flats, count = [], [], 0
            for j in itertools.product(*[range(k) for k in kernel]):
                pos = [oi * s + ji * dl - pb for oi, s, ji, dl, pb in
                       zip(o, strides, j, dilations, pad_begin)]
                inside = all(0 <= p < d for p, d in zip(pos, spatial))
                in_pads = all(-pb <= p < d + pe for p, d, pb, pe in
                              zip(pos, spatial, pad_begin, pad_end))
                count += in_pads if include_pad else inside
                if inside:
                    values.append(x[(n, c) + tuple(pos)])
                    dims = list(zip(pos, spatial))
                    if storage_order:
                        dims.reverse()
                    flat = 0
                    for p, d in dims:
                        flat = flat * d + p
                    flats.append((n * x.shape[1] + c) * plane + flat)
            if kind == "max":
                best = int(np.argmax(values))
                y[(n, c) + o] = values[best]
                idx[(n, c) + o] = flats[best]
            else:
                y[(n, c) + o] = np.sum(np.array(values, np.float64)) / count
    return (y, idx) if with_indices else y


def softmax_ref(x, axes, kind):
    m = x.max(axis=axes, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=axes, keepdims=True)
    return e / s if kind == "Softmax" else x - m - np.log(s)


def nn_cases(work):
    # ConvTranspose.
    def conv_transpose(name, xs, ws, group=1, strides=None, dilations=None,
                       pads=None, output_padding=None, output_shape=None,
                       auto_pad=None, bias=True, constant=False,
                       expect_pads=None, opset=11):
        k = len(xs) - 2
        x, w = normal(xs), normal(ws)
        b = normal(ws[1] * group) if bias else None
        attrs = {"group": group}
        for key, value in [("strides", strides), ("dilations", dilations),
                           ("pads", pads), ("output_padding", output_padding),
                           ("output_shape", output_shape),
                           ("auto_pad", auto_pad)]:
            if value:
                attrs[key] = value
        names = ["x", "w"] + (["b"] if bias else [])
        node = helper.make_node("ConvTranspose", names, ["y"], **attrs)
        p = expect_pads or pads or [0] * (2 * k)
        y = conv_transpose_ref(x, w, b, strides or [1] * k,
                               dilations or [1] * k, p[:k], p[k:],
                               output_padding or [0] * k, group)
        params = [("w", w)] + ([("b", b)] if bias else [])
        inputs = {"x": x}
        if not constant:
            inputs.update(params)
        run(work, name, node, inputs, [y], opset,
            inits=params if constant else ())

    conv_transpose("convtranspose_group", (2, 4, 3, 5), (4, 3, 2, 3),
                   group=2, strides=[2, 1], pads=[1, 0, 0, 2])
    conv_transpose("convtranspose_group_constant", (1, 16, 5, 5),
                   (16, 2, 3, 3), group=4, strides=[2, 2], pads=[1, 1, 1, 1],
                   output_padding=[1, 1], constant=True)
    conv_transpose("convtranspose_dilations", (1, 2, 4, 3), (2, 2, 3, 2),
                   strides=[2, 3], dilations=[2, 2], pads=[2, 1, 0, 3])
    conv_transpose("convtranspose_crop", (1, 1, 5), (1, 1, 2), pads=[2, 3])
    conv_transpose("convtranspose_1d", (2, 3, 6), (3, 2, 4), strides=[3],
                   output_padding=[2], pads=[1, 0])
    conv_transpose("convtranspose_3d", (1, 2, 2, 3, 2), (2, 2, 2, 2, 3),
                   strides=[2, 1, 2], pads=[0, 1, 1, 1, 0, 0], constant=True)
    conv_transpose("convtranspose_output_shape_same_upper", (1, 1, 3, 3),
                   (1, 2, 3, 3), strides=[2, 2], output_shape=[7, 5],
                   auto_pad="SAME_UPPER", expect_pads=[0, 1, 0, 1])
    conv_transpose("convtranspose_same_lower", (1, 1, 3, 4), (1, 2, 3, 3),
                   strides=[2, 2], auto_pad="SAME_LOWER",
                   expect_pads=[1, 1, 0, 0])
    conv_transpose("convtranspose_output_shape_extends", (1, 1, 3, 3),
                   (1, 2, 3, 3), strides=[3, 2], output_shape=[10, 8],
                   expect_pads=[0, 0, -1, -1])
    conv_transpose("convtranspose_opset8_nobias", (1, 2, 3, 3), (2, 2, 2, 2),
                   bias=False, opset=8)

    # Pools.
    def pool(name, op, x, kernel, strides=None, dilations=None, pads=None,
             ceil=0, include_pad=0, opset=12, indices=False, storage_order=0):
        k = len(kernel)
        attrs = {"kernel_shape": kernel}
        for key, value in [("strides", strides), ("dilations", dilations),
                           ("pads", pads), ("ceil_mode", ceil),
                           ("count_include_pad", include_pad),
                           ("storage_order", storage_order)]:
            if value:
                attrs[key] = value
        outputs = ["y", "i"] if indices else ["y"]
        node = helper.make_node(op, ["x"], outputs, **attrs)
        p = pads or [0] * (2 * k)
        ref = pool_ref(x, "max" if op == "MaxPool" else "avg", kernel,
                       strides or [1] * k, dilations or [1] * k, p[:k],
                       p[k:], ceil, include_pad, indices, storage_order)
        run(work, name, node, {"x": x}, list(ref) if indices else [ref],
            opset)

    ints = rng.integers(-128, 128, (1, 2, 5, 6)).astype(np.int8)
    pool("maxpool_int8_pads", "MaxPool", ints, [3, 2], pads=[1, 1, 1, 1])
    pool("maxpool_1d_dilations_ceil", "MaxPool", normal((2, 3, 11)), [3],
         strides=[3], dilations=[2], pads=[1, 2], ceil=1)
    pool("maxpool_3d_indices_column_major", "MaxPool", normal((2, 2, 3, 4, 5)),
         [2, 2, 2], strides=[1, 2, 1], pads=[1, 0, 1, 0, 1, 0], indices=True,
         storage_order=1)
    pool("maxpool_float16", "MaxPool", normal((1, 2, 5, 6), np.float16),
         [2, 2])
    pool("averagepool_ceil_include_pad", "AveragePool", normal((1, 2, 7, 6)),
         [3, 3], strides=[2, 2], pads=[1, 0, 1, 1], ceil=1, include_pad=1,
         opset=11)
    pool("averagepool_ceil", "AveragePool", normal((1, 2, 7, 6)), [3, 3],
         strides=[2, 2], pads=[1, 0, 1, 1], ceil=1, opset=11)
    pool("averagepool_1d_include_pad_opset7", "AveragePool",
         normal((1, 2, 8)), [3], strides=[2], pads=[2, 2], include_pad=1,
         opset=7)
    x = normal((1, 2, 5, 4, 6))
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 3, 2],
                            strides=[2, 1, 2], auto_pad="SAME_LOWER")
    # SAME_LOWER: out = ceil(in / stride), the odd padding in front.
    run(work, "averagepool_3d_same_lower", node, {"x": x},
        [pool_ref(x, "avg", [2, 3, 2], [2, 1, 2], [1, 1, 1], [1, 1, 0],
                  [0, 1, 0], 0, 0)], 11)

    for shape in [(2, 3, 7), (1, 2, 3, 4, 5)]:
        x = normal(shape)
        axes = tuple(range(2, len(shape)))
        run(work, f"globalaveragepool_{len(shape) - 2}d",
            helper.make_node("GlobalAveragePool", ["x"], ["y"]), {"x": x},
            [x.mean(axis=axes, keepdims=True)])
        run(work, f"globalmaxpool_{len(shape) - 2}d",
            helper.make_node("GlobalMaxPool", ["x"], ["y"]), {"x": x},
            [x.max(axis=axes, keepdims=True)])

    # Softmax family, before and from opset 13.
    x = normal((2, 3, 4, 5)) * 5
    for op in ["Softmax", "LogSoftmax"]:
        run(work, f"{op.lower()}_opset11_axis1",
            helper.make_node(op, ["x"], ["y"], axis=1), {"x": x},
            [softmax_ref(x, (1, 2, 3), op)], 11)
        run(work, f"{op.lower()}_opset11_axis_negative",
            helper.make_node(op, ["x"], ["y"], axis=-2), {"x": x},
            [softmax_ref(x, (2, 3), op)], 11)
        xh = x.astype(np.float16)
        run(work, f"{op.lower()}_float16",
            helper.make_node(op, ["x"], ["y"], axis=2), {"x": xh},
            [softmax_ref(xh.astype(np.float32), (2,), op).astype(np.float16)])
    ties = rng.integers(0, 3, (2, 3, 4)).astype(np.float32)
    flat = ties.reshape(2, -1)
    onehot = np.zeros_like(flat)
    onehot[np.arange(2), flat.argmax(axis=1)] = 1
    run(work, "hardmax_opset11_ties",
        helper.make_node("Hardmax", ["x"], ["y"]), {"x": ties},
        [onehot.reshape(ties.shape)], 11)
    onehot = np.zeros_like(ties)
    np.put_along_axis(onehot, ties.argmax(axis=1)[:, None], 1, axis=1)
    run(work, "hardmax_opset13_axis1",
        helper.make_node("Hardmax", ["x"], ["y"], axis=1), {"x": ties},
        [onehot])

    # Normalizations.
    def batchnorm(x, s, b, m, v, eps, spatial=True):
        if spatial:
            s, b, m, v = [t.reshape((1, -1) + (1,) * (x.ndim - 2))
                          for t in (s, b, m, v)]
        return ((x - m) / np.sqrt(v + eps) * s + b).astype(x.dtype)

    x = normal((2, 3, 4, 5))
    s, b, m = normal(3), normal(3), normal(3)
    v = (rng.random(3) + 0.5).astype(np.float32)
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                            ["y"], epsilon=1e-3)
    run(work, "batchnorm_runtime_parameters", node,
        {"x": x, "s": s, "b": b, "m": m, "v": v},
        [batchnorm(x, s, b, m, v, 1e-3)], 15)
    params = [normal((3, 4, 5)) for _ in range(3)]
    pv = (rng.random((3, 4, 5)) + 0.5).astype(np.float32)
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                            ["y"], spatial=0)
    run(work, "batchnorm_opset7_not_spatial", node, {"x": x},
        [batchnorm(x, *params, pv, 1e-5, spatial=False)], 7,
        inits=[("s", params[0]), ("b", params[1]), ("m", params[2]),
               ("v", pv)])
    x2 = normal((4, 3))
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                            ["y"])
    run(work, "batchnorm_rank2_constant", node, {"x": x2},
        [batchnorm(x2, s, b, m, v, 1e-5)], 14,
        inits=[("s", s), ("b", b), ("m", m), ("v", v)])

    x = normal((2, 3, 4, 5, 2)) + 3
    sc, bi = normal(3), normal(3)
    mu = x.mean(axis=(2, 3, 4), keepdims=True)
    var = x.var(axis=(2, 3, 4), keepdims=True)
    view = (1, 3, 1, 1, 1)
    run(work, "instancenorm_3d",
        helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                         epsilon=1e-4),
        {"x": x, "s": sc, "b": bi},
        [((x - mu) / np.sqrt(var + 1e-4) * sc.reshape(view) +
          bi.reshape(view)).astype(np.float32)], 6)

    xh = normal((2, 3, 8), np.float16)
    wh, bh = normal(8, np.float16), normal((3, 8), np.float16)
    x32 = xh.astype(np.float32)
    mu = x32.mean(axis=-1, keepdims=True)
    inv = 1 / np.sqrt(x32.var(axis=-1, keepdims=True) + 1e-5)
    y = ((x32 - mu) * inv).astype(np.float16) * wh + bh
    run(work, "layernorm_float16_statistics",
        helper.make_node("LayerNormalization", ["x", "w", "b"],
                         ["y", "mean", "inv"]),
        {"x": xh, "w": wh, "b": bh}, [y, mu, inv.astype(np.float32)], 17)
    x, w = normal((2, 3, 4)), normal((3, 4))
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    run(work, "layernorm_axis1_no_bias",
        helper.make_node("LayerNormalization", ["x", "w"], ["y"], axis=1),
        {"x": x, "w": w}, [((x - mu) / np.sqrt(var + 1e-5) * w)], 17)

    x = normal((2, 6, 3, 3))
    for size in [2, 5]:
        square_sum = np.zeros_like(x)
        for c in range(6):
            lo = max(0, c - (size - 1) // 2)
            hi = min(5, c + size // 2)
            square_sum[:, c] = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        y = x / (2.0 + 1e-3 / size * square_sum) ** 0.6
        run(work, f"lrn_size{size}",
            helper.make_node("LRN", ["x"], ["y"], size=size, alpha=1e-3,
                             beta=0.6, bias=2.0), {"x": x}, [y])


#===-------------------------------------------------------------------===#
# Reductions
#===-------------------------------------------------------------------===#

def reduce_ref(kind, x, axes, keepdims):
    ax = tuple(axes) if axes is not None else None
    wide = x.astype(np.float64) if x.dtype.kind == "f" else x
    if kind == "ReduceSum":
        r = np.sum(x, axis=ax, keepdims=keepdims, dtype=x.dtype)
    elif kind == "ReduceMean":
        if x.dtype.kind == "f":
            r = np.mean(wide, axis=ax, keepdims=keepdims)
        else:
            s = np.sum(x, axis=ax, keepdims=keepdims, dtype=x.dtype)
            # Integer division truncates toward zero.
            r = np.trunc(s.astype(np.float64) / (x.size // s.size))
    elif kind == "ReduceMax":
        r = np.max(x, axis=ax, keepdims=keepdims)
    elif kind == "ReduceMin":
        r = np.min(x, axis=ax, keepdims=keepdims)
    elif kind == "ReduceProd":
        r = np.prod(x, axis=ax, keepdims=keepdims, dtype=x.dtype)
    elif kind == "ReduceL1":
        r = np.sum(np.abs(x), axis=ax, keepdims=keepdims, dtype=x.dtype)
    elif kind == "ReduceL2":
        r = np.sqrt(np.sum(wide * wide, axis=ax, keepdims=keepdims))
    elif kind == "ReduceLogSum":
        r = np.log(np.sum(wide, axis=ax, keepdims=keepdims))
    elif kind == "ReduceLogSumExp":
        r = np.log(np.sum(np.exp(wide), axis=ax, keepdims=keepdims))
    else:
        r = np.sum(x * x, axis=ax, keepdims=keepdims, dtype=x.dtype)
    return np.asarray(r).astype(x.dtype)


def reduction_cases(work):
    kinds = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
             "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
             "ReduceLogSumExp", "ReduceSumSquare"]
    for dtype in [np.float32, np.float16, np.int32, np.uint32, np.int64]:
        for kind in kinds:
            if dtype().dtype.kind != "f" and kind in (
                    "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"):
                continue
            if dtype().dtype.kind == "f":
                x = (rng.random((3, 4, 5)) + 0.5).astype(dtype)
                if kind in ("ReduceMax", "ReduceMin", "ReduceL1"):
                    x = normal((3, 4, 5), dtype)
            else:
                low = 0 if dtype == np.uint32 else -3
                x = rng.integers(low, 4, (3, 4, 5)).astype(dtype)
            for axes, keepdims in [([0, 2], 0), (None, 1), ([-1], 1)]:
                attrs = {"keepdims": keepdims}
                if axes is not None:
                    attrs["axes"] = axes
                run(work, f"{kind}_{dtype.__name__}_{keepdims}_" +
                    ("all" if axes is None else
                     "_".join(str(a) for a in axes).replace("-", "m")),
                    helper.make_node(kind, ["x"], ["y"], **attrs), {"x": x},
                    [reduce_ref(kind, x, axes, keepdims)], 11)

    x = normal((3, 4, 5))
    run(work, "reducesum_opset13_constant_axes",
        helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0),
        {"x": x}, [x.sum(axis=(0, 2))], 13,
        inits=[("axes", np.array([0, -1], np.int64))])
    run(work, "reducesum_opset13_no_axes",
        helper.make_node("ReduceSum", ["x"], ["y"]), {"x": x},
        [x.sum(keepdims=True)], 13)
    run(work, "reducemax_int8_opset12",
        helper.make_node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0),
        {"x": np.array([[-128, -5], [127, 3]], np.int8)},
        [np.array([-5, 127], np.int8)], 12)
    run(work, "reducemin_uint8_opset12",
        helper.make_node("ReduceMin", ["x"], ["y"], axes=[1], keepdims=0),
        {"x": np.array([[200, 5], [255, 128]], np.uint8)},
        [np.array([5, 128], np.uint8)], 12)
    nan = np.array([[1, np.nan, 3], [2, 5, 1]], np.float32)
    run(work, "reducemax_nan",
        helper.make_node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0),
        {"x": nan}, [np.max(nan, axis=1)])

    # Folded on the host: a float constant through ReduceLogSumExp.
    c = normal((3, 4)) * 30
    nodes = [helper.make_node("ReduceLogSumExp", ["c"], ["r"], axes=[1],
                              keepdims=0),
             helper.make_node("Add", ["x", "r"], ["y"])]
    lse = np.log(np.exp(c.astype(np.float64) - c.max(axis=1, keepdims=True))
                 .sum(axis=1)) + c.max(axis=1)
    run(work, "reducelogsumexp_folded", nodes,
        {"x": np.zeros(3, np.float32)}, [lse.astype(np.float32)],
        inits=[("c", c)])

    for dtype in [np.int8, np.uint8, np.uint64, np.float16]:
        x = rng.integers(0, 5, (3, 4)).astype(dtype)
        for op, fn in [("ArgMax", np.argmax), ("ArgMin", np.argmin)]:
            run(work, f"{op.lower()}_{dtype.__name__}",
                helper.make_node(op, ["x"], ["y"], axis=1, keepdims=0),
                {"x": x}, [fn(x, axis=1).astype(np.int64)])
            last = x.shape[0] - 1 - fn(np.flip(x, axis=0), axis=0,
                                       keepdims=True)
            run(work, f"{op.lower()}_{dtype.__name__}_select_last_index",
                helper.make_node(op, ["x"], ["y"], axis=0,
                                 select_last_index=1),
                {"x": x}, [last.astype(np.int64)])
    for op, fn in [("ArgMax", np.argmax), ("ArgMin", np.argmin)]:
        run(work, f"{op.lower()}_nan",
            helper.make_node(op, ["x"], ["y"], axis=1, keepdims=0),
            {"x": nan}, [fn(nan, axis=1)])
    run(work, "argmax_opset11_default_axis",
        helper.make_node("ArgMax", ["x"], ["y"]), {"x": nan[1:]},
        [np.argmax(nan[1:], axis=0, keepdims=True)], 11)


def main():
    group, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    {"nn": nn_cases, "reduction": reduction_cases}[group](work)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
