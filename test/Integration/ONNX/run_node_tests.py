#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs ONNX backend node tests through qc-compile + qc-run.

Each test directory holds model.onnx and test_data_set_*/{input,output}_*.pb.
For every selected test this compiles the model to a shared object with
qc-compile, feeds each data set's inputs through qc-run, and compares the
outputs with the expected ones at the ONNX backend tolerance (rtol 1e-3,
atol 1e-7, NaN equal to NaN; exact for integer and bool outputs). Inputs
that decide shapes are fixed at compile time with --input-value when the
compiler asks for it (see run_test).

Test selection: --expect FILE lists the tests that must pass, one per line
('#' comments allowed). With --check-expectations the script fails if any of
them fails; tests not listed are still run and reported, so newly working ones
show up as "unexpected pass".

The final line is "N passed, M failed".
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    a = numpy_helper.to_array(t)
    # onnx 1.12 returns shape (1,) for 0-d tensors.
    return a.reshape(tuple(t.dims))


def save_npz(path, arrays):
    """np.savez without its keyword pitfalls (a tensor named 'like' or
    'file' would be swallowed by numpy's own parameters)."""
    import io
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.asarray(array))
            z.writestr(name + ".npy", buf.getvalue())


def graph_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def compare(name, got, want, rtol, atol):
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, expected {want.shape}"
    if want.dtype.kind in "fc":
        got64 = got.astype(np.float64)
        want64 = want.astype(np.float64)
        ok = np.isclose(got64, want64, rtol=rtol, atol=atol, equal_nan=True)
        if not ok.all():
            bad = np.argwhere(~ok)[0]
            idx = tuple(bad)
            return (f"{name}: {int((~ok).sum())} of {ok.size} elements differ,"
                    f" first at {idx}: got {got[idx]!r}, expected {want[idx]!r}")
        return None
    if not np.array_equal(got.astype(want.dtype), want):
        bad = np.argwhere(got.astype(want.dtype) != want)[0]
        idx = tuple(bad)
        return f"{name}: got {got[idx]!r} at {idx}, expected {want[idx]!r}"
    return None


def small_inputs(feeds):
    """Inputs that look like shape parameters (starts, pads, scales, k, ...):
    rank <= 1 with at most 16 elements."""
    return [n for n, a in feeds.items() if a.ndim <= 1 and a.size <= 16]


def compile_model(tools, model_path, so, fixed, work, timeout):
    """qc-compile; `fixed` maps input names to arrays passed as
    --input-value (they become compile-time constants)."""
    cmd = [tools["qc-compile"], model_path, "-o", so, "-q"]
    for name, array in fixed.items():
        path = os.path.join(work, os.path.basename(so) + "." +
                            hashlib.sha1(name.encode()).hexdigest()[:8] + ".npy")
        np.save(path, array)
        cmd.append(f"--input-value={name}=@{path}")
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout)


def run_test(test_dir, tools, work, rtol, atol, timeout, bundle=None):
    """Returns (status, message); status in pass/fail/compile-error.
    With `bundle` (a folder), the compiled models, inputs and expected
    outputs are stored there instead of run: the status is "bundled" and the
    message the list of cases (see test/Integration/GPU/device_bundle.py).

    qc compiles static shapes, so an input that decides a shape (a Reshape
    target, Slice starts, Resize scales, ...) must be known at compile time.
    Node tests often feed those as graph inputs; when compilation says so,
    the test is compiled again per data set with its small inputs fixed by
    --input-value, exactly as a user would."""
    name = os.path.basename(test_dir)
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    inputs = graph_inputs(model)
    outputs = [o.name for o in model.graph.output]
    so = os.path.join(work, name + ".so")
    r = compile_model(tools, model_path, so, {}, work, timeout)
    fold = False
    if r.returncode != 0:
        if r.returncode < 0:
            return "fail", f"qc-compile died with signal {-r.returncode}"
        if "must be known at compile time" in r.stderr:
            fold = True
        else:
            msg = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
            return "compile-error", msg
    sets = sorted(d for d in os.listdir(test_dir)
                  if d.startswith("test_data_set_"))
    feeds_per_set = []
    for s in sets:
        sdir = os.path.join(test_dir, s)
        feeds = {}
        for i, iname in enumerate(inputs):
            p = os.path.join(sdir, f"input_{i}.pb")
            if not os.path.exists(p):
                return "fail", f"{s}: missing {p}"
            feeds[iname] = load_tensor(p)
        feeds_per_set.append(feeds)

    cases = []
    for s, feeds in zip(sets, feeds_per_set):
        if fold:
            fixed = {n: feeds[n] for n in small_inputs(feeds)}
            so = os.path.join(work, f"{name}.{s}.so")
            r = compile_model(tools, model_path, so, fixed, work, timeout)
            if r.returncode != 0:
                if r.returncode < 0:
                    return "fail", f"qc-compile died with signal {-r.returncode}"
                msg = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
                return "compile-error", msg + " (with shape inputs fixed)"
            feeds = {n: a for n, a in feeds.items() if n not in fixed}
        in_npz = os.path.join(work, f"{name}.{s}.in.npz")
        out_npz = os.path.join(work, f"{name}.{s}.out.npz")
        save_npz(in_npz, feeds)
        if bundle:
            cases.append(bundle_case(bundle, f"{name}/{s}", so, in_npz,
                                     os.path.join(test_dir, s), outputs,
                                     rtol, atol))
            continue
        r = subprocess.run([tools["qc-run"], so, "--inputs", in_npz,
                            "--outputs", out_npz],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            sig = f" (signal {-r.returncode})" if r.returncode < 0 else ""
            msg = (r.stderr.strip().splitlines() or [""])[-1]
            return "fail", f"{s}: qc-run failed{sig}: {msg}"
        got = np.load(out_npz)
        for j, oname in enumerate(outputs):
            p = os.path.join(test_dir, s, f"output_{j}.pb")
            if not os.path.exists(p):
                continue
            want = load_tensor(p)
            err = compare(oname, got[oname], want, rtol, atol)
            if err:
                return "fail", f"{s}: {err}"
    if bundle:
        return "bundled", cases
    return "pass", "fixed shape inputs" if fold else ""


def bundle_case(bundle, name, so, in_npz, set_dir, outputs, rtol, atol):
    """Stores one data set's model, inputs and expected outputs in
    `bundle` and returns its case (paths relative to `bundle`)."""
    so_name = os.path.basename(so)
    if not os.path.exists(os.path.join(bundle, so_name)):
        shutil.copy(so, os.path.join(bundle, so_name))
    base = name.replace("/", ".")
    shutil.copy(in_npz, os.path.join(bundle, base + ".in.npz"))
    want = {}
    for j, oname in enumerate(outputs):
        p = os.path.join(set_dir, f"output_{j}.pb")
        if os.path.exists(p):
            want[oname] = load_tensor(p)
    save_npz(os.path.join(bundle, base + ".want.npz"), want)
    return {"name": name, "group": "node", "so": so_name,
            "inputs": base + ".in.npz",
            "checks": [{"npz": base + ".want.npz", "exact": False,
                        "rtol": rtol, "atol": atol, "arrays": None,
                        "bound": None}]}


def read_list(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with qc-compile and qc-run")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--filter", default="", help="regex on test names")
    ap.add_argument("--expect", help="file listing tests that must pass")
    ap.add_argument("--only-expected", action="store_true",
                    help="run only the tests listed in --expect")
    ap.add_argument("--check-expectations", action="store_true",
                    help="exit 1 if an expected test does not pass")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-7)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every test, not only failures")
    ap.add_argument("--keep", help="keep compiled models in this directory")
    ap.add_argument("--bundle", help="compile only: store the models, inputs "
                    "and expected outputs in this folder with cases.json, to "
                    "be run elsewhere (test/Integration/GPU/device_bundle.py)")
    args = ap.parse_args()

    if not os.path.isdir(args.data):
        print(f"ONNX backend test data not found at {args.data}; install "
              "libonnx-testdata")
        print("0 passed, 0 failed")
        return 0
    tools = {t: os.path.join(args.bin, t) for t in ("qc-compile", "qc-run")}
    expected = set(read_list(args.expect)) if args.expect else set()
    tests = sorted(d for d in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, d, "model.onnx")))
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t)]
    if args.only_expected:
        tests = [t for t in tests if t in expected]
    missing = expected - set(os.listdir(args.data))
    work = args.keep or tempfile.mkdtemp(prefix="qc-node-tests-")
    os.makedirs(work, exist_ok=True)
    if args.bundle:
        os.makedirs(args.bundle, exist_ok=True)

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_test, os.path.join(args.data, t), tools,
                               work, args.rtol, args.atol, args.timeout,
                               args.bundle): t
                   for t in tests}
        for fut in concurrent.futures.as_completed(futures):
            t = futures[fut]
            try:
                results[t] = fut.result()
            except subprocess.TimeoutExpired:
                results[t] = ("fail", "timed out")
            except Exception as e:  # report, never hide
                results[t] = ("fail", f"harness error: {e!r}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    if args.bundle:
        cases = [c for t in sorted(results) if results[t][0] == "bundled"
                 for c in results[t][1]]
        with open(os.path.join(args.bundle, "cases.json"), "w") as f:
            json.dump(cases, f)
        for t in sorted(results):
            if results[t][0] != "bundled":
                print(f"{results[t][0].upper():14} {t}  {results[t][1]}")
        print(f"bundled {len(cases)} data sets of "
              f"{sum(1 for s, _ in results.values() if s == 'bundled')} tests"
              f" in {args.bundle}")
        return 0
    npass = sum(1 for s, _ in results.values() if s == "pass")
    regressions, unexpected = [], []
    for t in sorted(results):
        status, msg = results[t]
        in_scope = t in expected
        if status == "pass" and expected and not in_scope:
            unexpected.append(t)
        if in_scope and status != "pass":
            regressions.append(t)
        if args.verbose or (in_scope and status != "pass") or \
                (not expected and status != "pass"):
            print(f"{status.upper():14} {t}  {msg}")
    for t in unexpected:
        print(f"UNEXPECTED PASS {t}")
    for t in sorted(missing):
        print(f"MISSING        {t} (listed in {args.expect})")
    print(f"node tests: {npass} of {len(results)} run pass"
          f" ({len(expected)} expected, {len(regressions)} expected failing,"
          f" {len(unexpected)} unexpected passes)")
    failed = len(regressions) + len(missing) if expected else \
        len(results) - npass
    passed = (len(expected) - len(regressions) - len(missing)) if expected \
        else npass
    print(f"{passed} passed, {failed} failed")
    if args.check_expectations and (regressions or missing):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
