#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Feeds a few hundred broken and hostile variants of real models to
qc-compile and checks that every run ends with exit status 0, or a non-zero
status and an `error:` message: never a signal, never past the time limit,
never above the memory limit. Some cases must fail (external data escaping
the model's folder, absurd shapes), some must succeed (NaN/Inf weights).

Variants are made deterministically (fixed seeds) from
models/digits_cnn/digits_cnn.onnx, models/tiny_lm/tiny_lm.onnx and a few
ONNX node-test models (libonnx-testdata):

  bytes   truncation, bit flips, inserted and deleted bytes, huge varints
  graph   cycles, self-loops, unsorted nodes, missing initializers,
          duplicate outputs, unknown ops and domains, wrong input counts
  shapes  inconsistent initializer and input shapes, 2^40 and negative
          dimensions, ConstantOfShape/Expand/Tile/Reshape to huge sizes
  types   unsupported and invalid element types
  attrs   zero/negative strides, kernels, groups, out-of-range axes, perms
  data    external-data paths escaping the folder (.., absolute, symlink),
          bad offsets/lengths; NaN/Inf weights; NaN calibration data
  opsets  0, old (version converter), newer than libonnx, negative

Usage: run_hostile_inputs.py --bin build/bin [--jobs 2] [-v]
"""

import argparse
import concurrent.futures
import copy
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"
NODE_MODELS = ["test_conv_with_strides_padding", "test_lstm_defaults",
               "test_gemm_default_matrix_bias", "test_convtranspose",
               "test_layer_normalization_4d_axis0", "test_maxpool_2d_pads",
               "test_gather_0", "test_if"]

ANY, OK, ERROR = "any", "ok", "error"


class Case:
    def __init__(self, name, data, args=(), expect=ANY, must_say=None,
                 files=None, opt="0"):
        self.name = name
        self.data = data          # model bytes
        self.args = list(args)    # extra qc-compile arguments
        self.expect = expect      # ANY, OK or ERROR
        self.must_say = must_say  # text stderr must contain
        self.files = files or {}  # extra files next to the model
        self.opt = opt


def static_inputs(model):
    """--input-shape flags fixing every dynamic input dimension to 1."""
    args = []
    inits = {i.name for i in model.graph.initializer}
    for v in model.graph.input:
        if v.name in inits or not v.type.HasField("tensor_type"):
            continue
        dims = v.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            args.append("--input-shape=%s=%s" % (v.name, ",".join(
                str(d.dim_value) if d.HasField("dim_value") else "1"
                for d in dims)))
    return args


def byte_cases(name, data, args, rng, counts):
    n = len(data)
    cuts = [0, 1, 16, n // 2, n - 1] + [rng.randrange(n) for _ in
                                        range(counts["trunc"])]
    for c in cuts[:counts["trunc"] + 5]:
        yield Case(f"{name}/truncate-{c}", data[:c], args)
    for k in range(counts["flip"]):
        b = bytearray(data)
        for _ in range(rng.choice([1, 2, 4, 8, 32])):
            b[rng.randrange(n)] ^= 1 << rng.randrange(8)
        yield Case(f"{name}/bitflip-{k}", bytes(b), args)
    for k in range(counts["insert"]):
        b = bytearray(data)
        pos = rng.randrange(n)
        b[pos:pos] = bytes(rng.randrange(256)
                           for _ in range(rng.randrange(1, 65)))
        yield Case(f"{name}/insert-{k}", bytes(b), args)
    for k in range(counts["delete"]):
        b = bytearray(data)
        pos = rng.randrange(n)
        del b[pos:pos + rng.randrange(1, 257)]
        yield Case(f"{name}/delete-{k}", bytes(b), args)
    for k in range(counts["varint"]):
        b = bytearray(data)
        pos = rng.randrange(n)
        b[pos:pos + 10] = b"\xff" * 9 + b"\x01"
        yield Case(f"{name}/varint-{k}", bytes(b), args)


def mutated(model, fn):
    m = copy.deepcopy(model)
    fn(m)
    return m.SerializeToString()


def graph_cases(name, model, args):
    g = model.graph
    nodes = len(g.node)

    def cycle(m):  # the first node reads the last node's output
        m.graph.node[0].input[0] = m.graph.node[-1].output[0]

    def self_loop(m):
        nd = m.graph.node[nodes // 2]
        nd.input[0] = nd.output[0]

    def reverse(m):
        rev = list(reversed(m.graph.node))
        del m.graph.node[:]
        m.graph.node.extend(rev)

    def duplicate_output(m):
        m.graph.node[-1].output[0] = m.graph.node[0].output[0]

    def unknown_op(m):
        m.graph.node[nodes // 2].op_type = "NoSuchOp"

    def foreign_domain(m):
        m.graph.node[0].domain = "com.example"

    def drop_inputs(m):
        del m.graph.node[nodes // 2].input[:]

    def extra_inputs(m):
        m.graph.node[0].input.extend([m.graph.input[0].name] * 5)

    def drop_outputs(m):
        del m.graph.node[-1].output[:]

    def rename_output(m):
        m.graph.output[0].name = "never_computed"

    def no_nodes(m):
        del m.graph.node[:]

    def empty_names(m):
        for nd in m.graph.node:
            nd.name = ""
            if nd.output:
                nd.output[0] = ""

    for fn in (cycle, self_loop, reverse, duplicate_output, unknown_op,
               foreign_domain, drop_inputs, extra_inputs, drop_outputs,
               rename_output, no_nodes, empty_names):
        yield Case(f"{name}/{fn.__name__}", mutated(model, fn), args)
    def output_dtype(m):  # declared element type disagrees with the graph
        t = m.graph.output[0].type.tensor_type
        t.elem_type = T.INT64 if t.elem_type != T.INT64 else T.FLOAT
    yield Case(f"{name}/output_dtype", mutated(model, output_dtype), args,
               expect=ERROR, must_say="is declared")
    for k in range(min(3, len(g.initializer))):
        def drop_init(m, k=k):
            del m.graph.initializer[k]
        yield Case(f"{name}/missing-initializer-{k}", mutated(model, drop_init),
                   args)
    # The checker off: the importer sees the malformed graph itself.
    for fn in (cycle, self_loop, reverse, duplicate_output, rename_output):
        yield Case(f"{name}/{fn.__name__}-nochecker", mutated(model, fn),
                   args + ["--no-onnx-checker"])


def float_inits(model):
    return [i for i, t in enumerate(model.graph.initializer)
            if t.data_type == T.FLOAT and len(t.dims) >= 1]


def shape_cases(name, model, args):
    inits = float_inits(model)
    if inits:
        k = inits[0]

        def swap_dims(m):
            t = m.graph.initializer[k]
            t.dims[:] = list(reversed(t.dims)) + [1]
        yield Case(f"{name}/init-shape-mismatch", mutated(model, swap_dims),
                   args)

        def grow_dim(m):
            m.graph.initializer[k].dims[0] += 1
        yield Case(f"{name}/init-size-mismatch", mutated(model, grow_dim),
                   args, expect=ERROR)

        for dims in ([1 << 40], [1 << 31, 1 << 31], [-1, 4], [0, 1 << 62]):
            def huge(m, dims=dims):
                t = m.graph.initializer[k]
                t.dims[:] = dims
                t.raw_data = b"\0" * 4
                del t.float_data[:]
            yield Case(f"{name}/init-dims-{'x'.join(map(str, dims))}",
                       mutated(model, huge), args, expect=ERROR)
    inp = model.graph.input[0]
    rank = len(inp.type.tensor_type.shape.dim)
    for label, dims in (("rank+1", [1] * (rank + 1)), ("rank0", []),
                        ("huge", [1 << 40] + [1] * (rank - 1)),
                        ("2^62", [1 << 62] * rank), ("zero", [0] * rank),
                        ("wrong", [3] * rank)):
        def set_input(m, dims=dims):
            shape = m.graph.input[0].type.tensor_type.shape
            del shape.dim[:]
            for d in dims:
                shape.dim.add().dim_value = d
        # No --input-shape: the model's (mutated) shape is used as is.
        expect = ERROR if label in ("huge", "2^62") else ANY
        yield Case(f"{name}/input-{label}", mutated(model, set_input),
                   [a for a in args if not a.startswith("--input-shape")],
                   expect=expect)
    yield Case(f"{name}/input-shape-2^40",
               model.SerializeToString(),
               [f"--input-shape={inp.name}=" + ",".join(
                   [str(1 << 40)] + ["1"] * (rank - 1))], expect=ERROR)


def huge_shape_models():
    """Small models whose ops compute absurd shapes from constants."""
    x = h.make_tensor_value_info("x", T.FLOAT, [2, 3])
    y = h.make_tensor_value_info("y", T.FLOAT, None)

    def model(nodes, inits, inputs=(x,)):
        g = h.make_graph(nodes, "huge", list(inputs), [y], initializer=inits)
        return h.make_model(g, opset_imports=[h.make_opsetid("", 13)])

    def i64(name, values):
        return nh.from_array(np.array(values, np.int64), name)

    big = 1 << 40
    yield "constantofshape", model(
        [h.make_node("ConstantOfShape", ["s"], ["y"])],
        [i64("s", [big, big])], inputs=())
    yield "constantofshape-2^62", model(
        [h.make_node("ConstantOfShape", ["s"], ["y"])],
        [i64("s", [1 << 62, 4])], inputs=())
    yield "expand", model([h.make_node("Expand", ["x", "s"], ["y"])],
                          [i64("s", [big, 2, 3])])
    yield "tile", model([h.make_node("Tile", ["x", "r"], ["y"])],
                        [i64("r", [1 << 31, 1 << 31])])
    yield "reshape", model([h.make_node("Reshape", ["x", "s"], ["y"])],
                           [i64("s", [-1, 0, (1 << 63) - 1])])
    yield "reshape-neg", model([h.make_node("Reshape", ["x", "s"], ["y"])],
                               [i64("s", [-7, -6])])
    yield "range", model([h.make_node("Range", ["a", "b", "c"], ["y"])],
                         [nh.from_array(np.array(0, np.int64), "a"),
                          nh.from_array(np.array(1 << 62, np.int64), "b"),
                          nh.from_array(np.array(1, np.int64), "c")],
                         inputs=())
    yield "range-zero-step", model(
        [h.make_node("Range", ["a", "b", "c"], ["y"])],
        [nh.from_array(np.array(0, np.int64), "a"),
         nh.from_array(np.array(10, np.int64), "b"),
         nh.from_array(np.array(0, np.int64), "c")], inputs=())
    yield "pad", model([h.make_node("Pad", ["x", "p"], ["y"])],
                       [i64("p", [0, 0, big, big])])
    yield "pad-negative", model([h.make_node("Pad", ["x", "p"], ["y"])],
                                [i64("p", [-5, -5, -5, -5])])
    yield "onehot", model(
        [h.make_node("OneHot", ["i", "d", "v"], ["y"])],
        [i64("i", [1, 2]), i64("d", [1 << 41]),
         nh.from_array(np.array([0, 1], np.float32), "v")], inputs=())
    yield "resize", model(
        [h.make_node("Resize", ["x", "", "sc"], ["y"])],
        [nh.from_array(np.array([1e12, 1e12], np.float32), "sc")])
    yield "resize-nan", model(
        [h.make_node("Resize", ["x", "", "sc"], ["y"])],
        [nh.from_array(np.array([np.nan, np.inf], np.float32), "sc")])
    yield "slice-step0", model(
        [h.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
        [i64("s", [0]), i64("e", [3]), i64("a", [1]), i64("st", [0])])
    yield "gather-out-of-range", model(
        [h.make_node("Gather", ["c", "i"], ["y"])],
        [i64("c", [1, 2, 3]), i64("i", [1 << 40])], inputs=())
    yield "split-negative", model(
        [h.make_node("Split", ["x", "s"], ["y", "z"], axis=1)],
        [i64("s", [5, -2])])
    yield "topk-huge", model(
        [h.make_node("TopK", ["x", "k"], ["y", "idx"])],
        [i64("k", [1 << 40])])
    yield "conv-huge-pads", model(
        [h.make_node("Conv", ["x4", "w"], ["y"], pads=[big, big, big, big])],
        [nh.from_array(np.ones((1, 1, 1, 1), np.float32), "w")],
        inputs=(h.make_tensor_value_info("x4", T.FLOAT, [1, 1, 2, 2]),))
    yield "concat-many", model(
        [h.make_node("Concat", ["x"] * 3000, ["y"], axis=0)], [])


def attr_cases(name, model, args):
    def set_attr(op, attr, value):
        def fn(m):
            for nd in m.graph.node:
                if nd.op_type == op:
                    for a in list(nd.attribute):
                        if a.name == attr:
                            nd.attribute.remove(a)
                    nd.attribute.append(h.make_attribute(attr, value))
                    return
        return fn

    ops = {nd.op_type for nd in model.graph.node}
    table = [
        ("Conv", "strides", [0, 0]), ("Conv", "strides", [-1, -1]),
        ("Conv", "dilations", [0, 0]), ("Conv", "group", 0),
        ("Conv", "group", 1000), ("Conv", "pads", [-9, -9, -9, -9]),
        ("Conv", "kernel_shape", [100, 100]),
        ("MaxPool", "kernel_shape", [0, 0]),
        ("MaxPool", "strides", [0, 0]), ("MaxPool", "pads", [5, 5, 5, 5]),
        ("Gemm", "transA", 7), ("Flatten", "axis", 100),
        ("Softmax", "axis", -100), ("Transpose", "perm", [0, 0, 1, 1]),
        ("Transpose", "perm", [9, 8, 7, 6]), ("Concat", "axis", 42),
        ("Split", "axis", -42), ("LayerNormalization", "axis", 17),
        ("Gather", "axis", 99), ("Unsqueeze", "axes", [1 << 40]),
        ("LayerNormalization", "epsilon", float("nan")),
    ]
    for op, attr, value in table:
        if op in ops:
            yield Case(f"{name}/{op}-{attr}-{value}",
                       mutated(model, set_attr(op, attr, value)), args)


def type_cases(name, model, args):
    inits = float_inits(model)
    for code in (0, 8, 14, 15, 16, 99, -3):
        def input_type(m, code=code):
            m.graph.input[0].type.tensor_type.elem_type = code
        yield Case(f"{name}/input-dtype-{code}", mutated(model, input_type),
                   args, expect=ANY if code == 16 else ERROR)
        if inits:
            def init_type(m, code=code):
                m.graph.initializer[inits[0]].data_type = code
            yield Case(f"{name}/init-dtype-{code}", mutated(model, init_type),
                       args)


def data_cases(name, model, args):
    inits = float_inits(model)
    if not inits:
        return

    def nan_weights(fill):
        def fn(m):
            for k in inits:
                t = m.graph.initializer[k]
                a = nh.to_array(t).copy()
                a.reshape(-1)[::2] = fill
                t.CopyFrom(nh.from_array(a, t.name))
        return fn
    yield Case(f"{name}/nan-weights", mutated(model, nan_weights(np.nan)),
               args, expect=OK)
    yield Case(f"{name}/inf-weights", mutated(model, nan_weights(np.inf)),
               args, expect=OK)

    k = inits[0]
    nbytes = len(nh.to_array(model.graph.initializer[k]).tobytes())
    outside = {"../outside.bin": b"\0" * nbytes}
    weights = {"weights.bin": b"\0" * nbytes}
    for label, loc, files, extra, must in (
            ("dotdot", "../outside.bin", outside, {}, "escapes"),
            ("absolute", "/etc/passwd", {}, {}, "absolute"),
            ("subdir", "sub/../../outside.bin", outside, {}, None),
            ("symlink", "link.bin", dict(outside, **{"link.bin": "->"
                                                    "../outside.bin"}),
             {}, "escapes"),
            ("missing", "missing.bin", {}, {}, None),
            ("directory", ".", {}, {}, None),
            ("offset", "weights.bin", weights, {"offset": "999999999"}, None),
            ("length", "weights.bin", weights,
             {"length": "18446744073709551615"}, None),
            ("negative", "weights.bin", weights, {"offset": "-8"},
             "not a byte count"),
            ("garbage", "weights.bin", weights, {"offset": "x1"},
             "not a byte count"),
            ("length-overflow", "weights.bin", weights,
             {"length": "99999999999999999999999"}, "not a byte count"),
            ("empty", "", {}, {}, None)):
        def external(m, loc=loc, extra=extra):
            t = m.graph.initializer[k]
            t.ClearField("raw_data")
            del t.float_data[:]
            t.data_location = T.EXTERNAL
            for key, value in [("location", loc)] + list(extra.items()):
                e = t.external_data.add()
                e.key, e.value = key, value
        # Without the checker, so that qc's own checks are what refuses.
        yield Case(f"{name}/external-{label}", mutated(model, external),
                   args + ["--no-onnx-checker"],
                   expect=ERROR, must_say=must, files=files)
        if label in ("dotdot", "symlink"):
            yield Case(f"{name}/external-{label}-checker",
                       mutated(model, external), args, expect=ERROR,
                       files=files)


def opset_cases(name, model, args):
    for v in (0, 1, 5, 6, 18, 1000, -1):
        def opset(m, v=v):
            for o in m.opset_import:
                if o.domain in ("", "ai.onnx"):
                    o.version = v
        yield Case(f"{name}/opset-{v}", mutated(model, opset), args)

    def no_opset(m):
        del m.opset_import[:]
    yield Case(f"{name}/no-opset", mutated(model, no_opset), args,
               expect=ERROR)
    for v in (0, 100):
        def ir(m, v=v):
            m.ir_version = v
        yield Case(f"{name}/ir-version-{v}", mutated(model, ir), args)


def calibration_cases(workdir):
    """--quantize=int8 with NaN/Inf calibration data (a warning, or an error
    if nothing finite is left) and wrong calibration files."""
    digits = os.path.join(ROOT, "models/digits_cnn/digits_cnn.onnx")
    data = open(digits, "rb").read()
    calib = np.load(os.path.join(ROOT, "models/digits_cnn/digits_calib.npz"))
    name = calib.files[0]
    x = calib[name].astype(np.float32)
    shape = ["--input-shape=image=" + ",".join(map(str, x.shape[1:]))]
    variants = {"some-nan": x.copy(), "all-nan": np.full_like(x, np.nan),
                "inf": x.copy(), "huge": x * np.float32(1e38),
                "float64": x.astype(np.float64), "empty": x[:0]}
    # NaN/Inf in a few samples (skipped with a warning), or in all of them
    # (an error).
    variants["some-nan"][3].reshape(-1)[5] = np.nan
    variants["inf"][7].reshape(-1)[::5] = np.inf
    expected = {"some-nan": (OK, "holds NaN or Inf values; skipped"),
                "inf": (OK, "holds NaN or Inf values; skipped"),
                "all-nan": (ERROR, "no usable calibration samples")}
    for label, arr in variants.items():
        path = os.path.join(workdir, f"calib-{label}.npz")
        np.savez(path, **{name: arr})
        expect, must_say = expected.get(label, (ANY, None))
        yield Case(f"digits/calib-{label}", data,
                   shape + ["--quantize=int8", "--calib=" + path],
                   expect=expect, must_say=must_say)
    bad = os.path.join(workdir, "calib-truncated.npz")
    raw = open(os.path.join(ROOT, "models/digits_cnn/digits_calib.npz"),
               "rb").read()
    open(bad, "wb").write(raw[:len(raw) // 3])
    yield Case("digits/calib-truncated", data,
               shape + ["--quantize=int8", "--calib=" + bad], expect=ERROR)


def make_cases(workdir):
    rng = random.Random(20261125)
    bases = []
    for path in ("models/digits_cnn/digits_cnn.onnx",
                 "models/tiny_lm/tiny_lm.onnx"):
        m = onnx.load(os.path.join(ROOT, path))
        bases.append((os.path.basename(path)[:-5], m))
    if os.path.isdir(NODE_TESTS):
        for n in NODE_MODELS:
            p = os.path.join(NODE_TESTS, n, "model.onnx")
            if os.path.exists(p):
                bases.append((n[5:], onnx.load(p)))

    cases = []
    for i, (name, m) in enumerate(bases):
        args = static_inputs(m)
        data = m.SerializeToString()
        cases.append(Case(f"{name}/original", data, args, expect=OK))
        if name == "digits_cnn":
            counts = dict(trunc=15, flip=30, insert=10, delete=10, varint=5)
        elif name == "tiny_lm":
            counts = dict(trunc=5, flip=8, insert=3, delete=3, varint=2)
        else:
            counts = dict(trunc=2, flip=4, insert=2, delete=1, varint=1)
        cases += byte_cases(name, data, args, rng, counts)
        if i < 2 or name in ("conv_with_strides_padding", "lstm_defaults",
                             "gemm_default_matrix_bias"):
            cases += graph_cases(name, m, args)
            cases += attr_cases(name, m, args)
        if i < 2:
            cases += shape_cases(name, m, args)
            cases += type_cases(name, m, args)
            cases += data_cases(name, m, args)
            cases += opset_cases(name, m, args)
    for name, m in huge_shape_models():
        cases.append(Case(f"huge/{name}", m.SerializeToString(),
                          ["--no-onnx-checker"]))
    cases += calibration_cases(workdir)
    # A tenth of the cases at -O3, the optimization level users get.
    for c in cases[::10]:
        c.opt = "3"
    return cases


def limit_memory(megabytes):
    def fn():
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return fn


def run_case(case, index, args, workdir):
    d = os.path.join(workdir, f"case{index}", "model")
    os.makedirs(d)
    model = os.path.join(d, "model.onnx")
    with open(model, "wb") as f:
        f.write(case.data)
    for rel, content in case.files.items():
        path = os.path.normpath(os.path.join(d, rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, str) and content.startswith("->"):
            os.symlink(content[2:], path)
        else:
            with open(path, "wb") as f:
                f.write(content)
    cmd = [os.path.join(args.bin, "qc-compile"), model, "-q", "-O",
           case.opt, "-o", os.path.join(d, "out.so")] + case.args
    start = time.time()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=args.timeout,
                           preexec_fn=limit_memory(args.memory_mb)
                           if args.memory_mb else None)
    except subprocess.TimeoutExpired:
        return case, f"timed out after {args.timeout} s", time.time() - start
    elapsed = time.time() - start
    err = r.stderr.decode("utf-8", "replace")
    problem = None
    if r.returncode < 0:
        problem = f"killed by signal {-r.returncode}"
    elif r.returncode != 0 and "error:" not in err:
        problem = f"exit status {r.returncode} without an 'error:' message"
    elif case.expect == OK and r.returncode != 0:
        problem = "should compile but failed"
    elif case.expect == ERROR and r.returncode == 0:
        problem = "should fail but compiled"
    elif case.must_say and case.must_say not in err:
        problem = f"the diagnostics do not say '{case.must_say}'"
    if problem:
        problem += "\n    " + " ".join(cmd) + "\n    " + \
            "\n    ".join(err.strip().splitlines()[-6:])
    shutil.rmtree(os.path.join(workdir, f"case{index}"), ignore_errors=True)
    return case, (problem, r.returncode), elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--memory-mb", type=int, default=4096,
                        help="address-space limit per run (0: none)")
    parser.add_argument("--keep", help="write the variants to this folder")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    with open(os.path.join(args.bin, "qc-compile"), "rb") as f:
        if b"AddressSanitizer" in f.read():
            # ASan reserves terabytes of shadow address space, and runs slower.
            args.memory_mb = 0
            args.timeout *= 4

    workdir = tempfile.mkdtemp(prefix="qc-hostile-")
    start = time.time()
    try:
        cases = make_cases(workdir)
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for i, c in enumerate(cases):
                with open(os.path.join(args.keep, f"{i:03d}-" + c.name.replace(
                        "/", "-") + ".onnx"), "wb") as f:
                    f.write(c.data)
        failures, codes, slowest = [], {"ok": 0, "error": 0}, (0, "")
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_case, c, i, args, workdir)
                       for i, c in enumerate(cases)]
            for fut in concurrent.futures.as_completed(futures):
                case, result, elapsed = fut.result()
                slowest = max(slowest, (elapsed, case.name))
                if isinstance(result, str):
                    failures.append(f"{case.name}: {result}")
                    continue
                problem, rc = result
                codes["ok" if rc == 0 else "error"] += 1
                if problem:
                    failures.append(f"{case.name}: {problem}")
                if args.verbose:
                    print(f"{'FAIL' if problem else 'pass'} {case.name} "
                          f"(exit {rc}, {elapsed:.2f} s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for f in sorted(failures):
        print("FAIL " + f)
    print(f"hostile inputs: {len(cases)} runs of qc-compile, "
          f"{codes['ok']} compiled, {codes['error']} refused with an error, "
          f"{len(failures)} failures; slowest {slowest[0]:.1f} s "
          f"({slowest[1]}); {time.time() - start:.0f} s in all "
          f"({args.jobs} jobs, limits {args.timeout:.0f} s and "
          f"{args.memory_mb or 'no'} MB)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
