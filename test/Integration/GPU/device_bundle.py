#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""GPU checks in two steps: compile here, run on a machine with a GPU.

A machine with an NVIDIA GPU often has the driver, Python, numpy and
PyTorch, but not qc's build (LLVM/MLIR 22, the CUDA toolkit's ptxas). So:

  # 1. Here: compile every model, write its inputs and expected outputs.
  device_bundle.py prepare --bin build/bin --arch sm_90a --out .gpu-bundle \\
      [--node-tests] [--bench-sizes 4096,8192]

  # 2. There (needs the driver, python3 with numpy; PyTorch for the
  #    benchmark baselines), from the source tree:
  device_bundle.py run .gpu-bundle [--jobs 8] [--results results.md]

The bundle holds qc-run and libqc_runtime (they need neither LLVM nor
CUDA at link time), the compiled .so files and manifest.json.

Checks (each against an independent reference, tolerances stated):
- gemm.mlir / gemm_w4.mlir: INT8 and packed-INT4 (W4A8) tensor-core GEMMs
  exactly equal to numpy; the FP8 output within 1e-3 of the emulated GPU
  lowering run here.
- Random INT8 GEMMs with several block tiles, ragged edges and the short-M
  tiling, exactly equal to numpy; a random FP8 E4M3 GEMM within
  1e-3 * sum |x_k w_k| of the float64 numpy result.
- The quantized digits CNN bit-identical to the CPU build; the float tiny LM
  within rtol 1e-4 / atol 1e-5 of the CPU build.
- --quantize=fp8 E4M3/E5M2 with per-tensor / per-channel weight scales
  against fp8_check.py's numpy reference.
- Each of the above also for sm_89 (PTX that the driver JIT-compiles on a
  newer GPU) and, on sm_90a, with --gpu-wgmma.
- --node-tests: the expected ONNX backend node tests compiled for the GPU,
  at the ONNX tolerance (rtol 1e-3, atol 1e-7, exact for integers).

Benchmarks (--bench-sizes): INT8 and FP8 GEMM S^3 (mma.sync and, on sm_90a,
wgmma) timed with QC_CUDA_PROFILE (kernel time from CUDA events, no copies)
against cuBLASLt through PyTorch (torch._int_mm, torch._scaled_mm) in the
same run; a W4 weight-only GEMV 1 x S x S against the device's copy
bandwidth. The benchmark weights follow a fixed pattern, (7k + 13n) mod 255
- 127, so that fatbinary's compression keeps the .so small; tensor-core
speed does not depend on the values.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CUDA_INPUTS = os.path.join(REPO, "test", "Target", "CUDA", "Inputs")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "test", "Integration", "ONNX"))

from bench_gemm import PROFILE_LINE, torch_best_ms  # noqa: E402


def sh(cmd, env=None, timeout=600):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n"
                 f"{r.stderr[-2000:]}")
    return r


# --------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------

class Bundle:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.bin = os.path.abspath(args.bin)
        self.cases = []
        self.bench = []

    def path(self, *parts):
        p = os.path.join(self.out, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def rel(self, p):
        return os.path.relpath(p, self.out)

    def tool(self, name, *args):
        return sh([os.path.join(self.bin, name)] + list(args))

    def add(self, name, so, inputs, checks, group="models"):
        self.cases.append({"name": name, "group": group, "so": self.rel(so),
                           "inputs": self.rel(inputs) if inputs else None,
                           "checks": checks})

    def variants(self):
        """(suffix, qc-gpu-compile flags, qc-compile target) per variant."""
        arch = self.args.arch
        if arch == "emulate":  # checks the harness on a machine without GPU
            return [("emulate", ["--emulate"], "cuda-emulate")]
        out = [(arch, [f"--gpu-arch={arch}"], f"cuda:{arch}")]
        if arch.startswith("sm_90"):
            # PTX for an older architecture: the driver JIT-compiles it.
            out.append(("sm_89-ptx-jit", ["--gpu-arch=sm_89"], "cuda:sm_89"))
        if arch == "sm_90a":
            out.append(("sm_90a-wgmma", ["--gpu-arch=sm_90a", "--gpu-wgmma"],
                        None))
        return out


def npz_check(want, exact=False, rtol=0.0, atol=0.0, arrays=None,
              bound=None):
    return {"npz": want, "exact": exact, "rtol": rtol, "atol": atol,
            "arrays": arrays, "bound": bound}


def e4m3_values():
    """float value of every E4M3FN byte (0x7F / 0xFF are NaN)."""
    v = np.zeros(256, np.float64)
    for b in range(256):
        s, e, m = b >> 7, (b >> 3) & 0xF, b & 7
        if e == 15 and m == 7:
            v[b] = np.nan
        elif e == 0:
            v[b] = m / 8 * 2.0 ** -6
        else:
            v[b] = (1 + m / 8) * 2.0 ** (e - 7)
        v[b] = -v[b] if s else v[b]
    return v


def prepare_gemms(b, rng):
    from bench_gemm import write_gemm_model
    # Fixed small models of the lit tests.
    gemm_in, gemm_want = b.path("gemm", "in.npz"), b.path("gemm", "want.npz")
    sh([sys.executable, os.path.join(CUDA_INPUTS, "gemm_reference.py"),
        gemm_in, gemm_want])
    emu = b.path("gemm", "emu.so")
    b.tool("qc-gpu-compile", os.path.join(CUDA_INPUTS, "gemm.mlir"),
           "--emulate", "-o", emu)
    emu_out = b.path("gemm", "emu.npz")
    b.tool("qc-run", emu, "--inputs", gemm_in, "--outputs", emu_out)
    os.remove(emu)
    w4_in, w4_want = b.path("w4", "in.npz"), b.path("w4", "want.npz")
    sh([sys.executable, os.path.join(CUDA_INPUTS, "gemm_w4_reference.py"),
        w4_in, w4_want])

    # Random GEMMs: several 128 x 128 blocks with ragged edges, K not a
    # multiple of 16 (padded), and M <= 32 (the short-M tiling).
    rand = []
    for m, n, k in [(256, 384, 512), (300, 200, 520), (20, 1000, 264)]:
        x = rng.integers(0, 256, (m, k), dtype=np.uint8)
        w = rng.integers(-127, 128, (k, n), dtype=np.int8)
        acc = (x.astype(np.int64) - 128) @ w.astype(np.int64)
        y = acc.astype(np.float32) * np.float32(np.float32(0.05) *
                                                np.float32(0.01))
        rand.append(("int8", m, n, k, x, w, {"y": y}, None))
    # FP8 E4M3: finite bytes only (no 0x7F / 0xFF).
    vals = e4m3_values()
    m, n, k = 160, 272, 320
    x = rng.integers(0, 256, (m, k), dtype=np.uint8) & 0xF7
    w = (rng.integers(0, 256, (k, n), dtype=np.uint8) & 0xF7).view(np.int8)
    xf, wf = vals[x], vals[w.view(np.uint8)]
    y = xf @ wf * (0.5 * 0.25)
    bound = 1e-3 * (np.abs(xf) @ np.abs(wf)) * (0.5 * 0.25) + 1e-30
    rand.append(("fp8", m, n, k, x, w, {"y": y, "bound": bound}, "bound"))
    for kind, m, n, k, x, w, want, bname in rand:
        tag = f"{kind}_{m}x{n}x{k}"
        mlir = b.path("gemm", tag + ".mlir")
        write_gemm_model(mlir, kind, m, n, k, w)
        inp, wp = b.path("gemm", tag + ".in.npz"), b.path("gemm", tag + ".want.npz")
        np.savez(inp, x=x.view(np.int8))
        np.savez(wp, **want)
    for suffix, flags, _ in b.variants():
        so = b.path("gemm", f"gemm.{suffix}.so")
        b.tool("qc-gpu-compile", os.path.join(CUDA_INPUTS, "gemm.mlir"), *flags,
               "-o", so)
        b.add(f"gemm.mlir {suffix}", so, gemm_in,
              [npz_check(b.rel(gemm_want), exact=True, arrays=["y"]),
               npz_check(b.rel(emu_out), rtol=1e-3, atol=1e-3, arrays=["z"])])
        so = b.path("w4", f"w4.{suffix}.so")
        b.tool("qc-gpu-compile", os.path.join(CUDA_INPUTS, "gemm_w4.mlir"),
               *flags, "-o", so)
        b.add(f"gemm_w4.mlir {suffix}", so, w4_in,
              [npz_check(b.rel(w4_want), exact=True)])
        for kind, m, n, k, _, _, _, bname in rand:
            tag = f"{kind}_{m}x{n}x{k}"
            so = b.path("gemm", f"{tag}.{suffix}.so")
            b.tool("qc-gpu-compile", b.path("gemm", tag + ".mlir"), *flags,
                   "-o", so)
            want = b.rel(b.path("gemm", tag + ".want.npz"))
            check = npz_check(want, exact=True) if bname is None else \
                npz_check(want, arrays=["y"], bound=bname)
            b.add(f"random {kind} GEMM {m}x{n}x{k} {suffix}", so,
                  b.path("gemm", tag + ".in.npz"), [check])
    for kind, m, n, k, *_ in rand:
        os.remove(b.path("gemm", f"{kind}_{m}x{n}x{k}.mlir"))


def prepare_models(b):
    models = os.path.join(REPO, "models")
    digits = ["--input-shape", "image=4,1,8,8", "--quantize=int8",
              f"--calib={models}/digits_cnn/digits_calib.npz"]
    lm = ["--input-shape", "tokens=2,64"]
    specs = [("digits CNN int8", f"{models}/digits_cnn/digits_cnn.onnx",
              digits, {"exact": True}),
             ("tiny LM f32", f"{models}/tiny_lm/tiny_lm.onnx", lm,
              {"rtol": 1e-4, "atol": 1e-5})]
    for i, (name, onnx_path, flags, tol) in enumerate(specs):
        cpu = b.path("models", f"m{i}.cpu.so")
        b.tool("qc-compile", "-q", onnx_path, *flags, "-o", cpu)
        want = b.path("models", f"m{i}.want.npz")
        b.tool("qc-run", cpu, "--outputs", want)
        os.remove(cpu)
        for suffix, _, target in b.variants():
            if target is None:
                continue
            so = b.path("models", f"m{i}.{suffix}.so")
            b.tool("qc-compile", "-q", onnx_path, *flags,
                   f"--target={target}", "-o", so)
            b.add(f"{name} {suffix}", so, None, [npz_check(b.rel(want), **tol)])

    check = os.path.join("test", "Integration", "LowBit", "Inputs",
                         "fp8_check.py")
    for fmt in ("e4m3", "e5m2"):
        for scales in ("tensor", "channel"):
            d = b.path("fp8", f"{fmt}-{scales}", "x")[:-2]
            sh([sys.executable, os.path.join(REPO, check), "make", d, fmt,
                scales])
            for suffix, _, target in b.variants():
                if target is None:
                    continue
                so = os.path.join(d, f"{suffix}.so")
                b.tool("qc-compile", "-q", os.path.join(d, "model.onnx"),
                       "--quantize=fp8", f"--fp8-format={fmt}",
                       f"--fp8-weight-scales={scales}",
                       f"--calib={d}/calib.npz", f"--target={target}",
                       "-o", so)
                b.add(f"fp8 {fmt} {scales} {suffix}", so,
                      os.path.join(d, "input.npz"),
                      [{"cmd": ["{python}", "{repo}/" + check, "check",
                                "{bundle}/" + b.rel(d), fmt, scales, "{got}",
                                "--rtol", "1e-3"]}])


def prepare_node_tests(b):
    """The expected node tests, compiled by run_node_tests.py --bundle."""
    sh([sys.executable, os.path.join(REPO, "test", "Integration", "ONNX",
                                     "run_node_tests.py"),
        "--bin", write_target_wrapper(b), "--expect",
        os.path.join(REPO, "test", "Integration", "ONNX", "node-tests.expected"),
        "--only-expected", "--bundle", b.path("node", "x")[:-2],
        "--jobs", str(b.args.jobs)], timeout=3600)
    with open(b.path("node", "cases.json")) as f:
        for case in json.load(f):
            case["so"] = os.path.join("node", case["so"])
            case["inputs"] = os.path.join("node", case["inputs"])
            for c in case["checks"]:
                c["npz"] = os.path.join("node", c["npz"])
            b.cases.append(case)


def write_target_wrapper(b):
    """A bin folder whose qc-compile adds --target=cuda:<arch>."""
    wrap = b.path("wrap", "qc-compile")
    with open(wrap, "w") as f:
        target = "cuda-emulate" if b.args.arch == "emulate" else \
            f"cuda:{b.args.arch}"
        f.write(f"#!/bin/sh\nexec {b.bin}/qc-compile --target={target} "
                "\"$@\"\n")
    os.chmod(wrap, 0o755)
    run = b.path("wrap", "qc-run")
    if not os.path.exists(run):
        os.symlink(os.path.join(b.bin, "qc-run"), run)
    return os.path.dirname(wrap)


def prepare_bench(b):
    from bench_gemm import write_gemm_model, write_w4_gemv_model
    sizes = [int(s) for s in b.args.bench_sizes.split(",") if s]
    emulate = b.args.arch == "emulate"  # only the GEMV's result is checked
    for s in sizes:
        k, n = np.arange(s)[:, None], np.arange(s)[None, :]
        pattern = ((7 * k + 13 * n) % 255 - 127).astype(np.int8)
        for kind in ("int8", "fp8") if not emulate else ():
            w = pattern if kind == "int8" else \
                (pattern.view(np.uint8) & 0xF7).view(np.int8)
            mlir = b.path("bench", f"{kind}{s}.mlir")
            write_gemm_model(mlir, kind, s, s, s, w)
            for suffix, flags, _ in b.variants():
                if suffix.endswith("ptx-jit"):
                    continue
                so = b.path("bench", f"{kind}{s}.{suffix}.so")
                print(f"prepare: {kind} GEMM {s}^3 {suffix}", flush=True)
                b.tool("qc-gpu-compile", mlir, *flags, "-o", so)
                b.bench.append({"name": f"{kind.upper()} GEMM {s}^3 {suffix}",
                                "kind": kind, "m": s, "n": s, "k": s,
                                "so": b.rel(so)})
            os.remove(mlir)
        w4 = ((7 * k + 13 * n) % 16 - 8).astype(np.int8)
        mlir = b.path("bench", f"gemv{s}.mlir")
        write_w4_gemv_model(mlir, s, s, w4)
        so = b.path("bench", f"gemv{s}.so")
        b.tool("qc-gpu-compile", mlir, *b.variants()[0][1], "-o", so)
        os.remove(mlir)
        if not emulate:
            b.bench.append({"name": f"W4 GEMV 1x{s}x{s}", "kind": "w4gemv",
                            "m": 1, "n": s, "k": s, "so": b.rel(so)})
        # Its result too: within 1e-5 of sum |x_k w_kn| of the float64 one
        # (the float sum's order differs from numpy's).
        x = np.random.default_rng(s).standard_normal((1, s)).astype(np.float32)
        wd = w4.astype(np.float64) * np.float64(np.float32(0.01))
        want = {"y": x.astype(np.float64) @ wd,
                "bound": 1e-5 * (np.abs(x.astype(np.float64)) @ np.abs(wd))}
        inp = b.path("bench", f"gemv{s}.in.npz")
        np.savez(inp, x=x)
        np.savez(b.path("bench", f"gemv{s}.want.npz"), **want)
        b.add(f"W4 GEMV 1x{s}x{s} {b.args.arch}", so, inp,
              [npz_check(b.rel(b.path("bench", f"gemv{s}.want.npz")),
                         arrays=["y"], bound="bound")])


def prepare(args):
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    b = Bundle(args)
    os.makedirs(b.path("bin", "x")[:-2], exist_ok=True)
    shutil.copy(os.path.join(b.bin, "qc-run"), b.path("bin", "qc-run"))
    libdir = os.path.join(os.path.dirname(b.bin), "lib")
    for lib in os.listdir(libdir):
        if lib.startswith("libqc_runtime.so"):
            shutil.copy(os.path.join(libdir, lib), b.path("bin", lib),
                        follow_symlinks=True)
    rng = np.random.default_rng(2026)
    t0 = time.time()
    prepare_gemms(b, rng)
    prepare_models(b)
    print(f"prepare: {len(b.cases)} model cases ({time.time() - t0:.0f} s)",
          flush=True)
    if args.node_tests:
        prepare_node_tests(b)
        shutil.rmtree(b.path("wrap", "x")[:-2])
        print(f"prepare: {len(b.cases)} cases with the node tests", flush=True)
    prepare_bench(b)
    with open(b.path("manifest.json"), "w") as f:
        json.dump({"arch": args.arch, "cases": b.cases, "bench": b.bench}, f,
                  indent=1)
    size = sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(b.out) for f in fs)
    print(f"prepare: bundle {b.out}: {len(b.cases)} cases, {len(b.bench)} "
          f"benchmarks, {size / 2**20:.1f} MiB")


# --------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------

def check_npz(got, c, bundle):
    from run_node_tests import compare
    want = np.load(os.path.join(bundle, c["npz"]))
    names = c["arrays"] or [n for n in want.files if n != c["bound"]]
    errors = []
    for name in names:
        if name not in got.files:
            errors.append(f"{name}: missing from the outputs")
            continue
        g, w = got[name], want[name]
        if c["bound"]:
            err = np.abs(g.astype(np.float64) - w)
            bad = err > want[c["bound"]]
            if g.shape != w.shape or bad.any():
                errors.append(f"{name}: {int(bad.sum())} of {bad.size} "
                              "elements outside the bound")
        elif c["exact"]:
            if g.shape != w.shape or g.dtype != w.dtype or \
                    not np.array_equal(g, w, equal_nan=True):
                diff = np.abs(g.astype(np.float64) - w.astype(np.float64)).max() \
                    if g.shape == w.shape else "shape"
                errors.append(f"{name}: not bit-identical (max abs diff {diff})")
        else:
            e = compare(name, g, w, c["rtol"], c["atol"])
            if e:
                errors.append(e)
    return errors


def run_case(case, bundle, qc_run, env, timeout):
    got_path = os.path.join(bundle, "out", case["so"].replace("/", "_") +
                            ".npz")
    cmd = [qc_run, os.path.join(bundle, case["so"]), "--outputs", got_path]
    if case["inputs"]:
        cmd += ["--inputs", os.path.join(bundle, case["inputs"])]
    t0 = time.time()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "FAIL", f"qc-run timed out after {timeout} s"
    if r.returncode != 0:
        sig = f" (signal {-r.returncode})" if r.returncode < 0 else ""
        return "FAIL", f"qc-run failed{sig}: " + \
            " | ".join(r.stderr.strip().splitlines()[-3:])
    errors = []
    got = np.load(got_path)
    for c in case["checks"]:
        if "cmd" in c:
            argv = [a.replace("{python}", sys.executable)
                    .replace("{repo}", REPO).replace("{bundle}", bundle)
                    .replace("{got}", got_path) for a in c["cmd"]]
            r = subprocess.run(argv, capture_output=True, text=True)
            if r.returncode != 0:
                errors.append(" | ".join((r.stdout + r.stderr).strip()
                                         .splitlines()[-3:]))
        else:
            errors += check_npz(got, c, bundle)
    if errors:
        return "FAIL", "; ".join(errors)
    return "PASS", f"{time.time() - t0:.1f} s"


def baseline_ms(bench, runs):
    """cuBLASLt through PyTorch for the same problem, or copy bandwidth."""
    import torch
    m, n, k = bench["m"], bench["n"], bench["k"]
    if bench["kind"] == "int8":
        a = torch.randint(-128, 127, (m, k), dtype=torch.int8, device="cuda")
        bt = torch.randint(-128, 127, (n, k), dtype=torch.int8, device="cuda")
        return "cuBLASLt torch._int_mm", torch_best_ms(
            lambda: torch._int_mm(a, bt.t()), runs)
    if bench["kind"] == "fp8":
        a = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
        bt = torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn)
        one = torch.ones((), device="cuda")
        return "cuBLASLt torch._scaled_mm (f32 out)", torch_best_ms(
            lambda: torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one,
                                     out_dtype=torch.float32), runs)
    nbytes = n * k // 2
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = torch_best_ms(lambda: dst.copy_(src), runs)
    return "copy of the weight bytes", ms


def run_ncu(bench, kernel, bundle, qc_run, env, ncu, out_dir):
    """Nsight Compute's main sections for one launch of `kernel`, the
    benchmark's slowest kernel (its input is the one run_bench wrote last);
    the report goes to out_dir/ncu-<name>.txt, its main lines are
    returned."""
    inp = os.path.join(bundle, "out", "bench_in.npz")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", bench["name"])
    cmd = [ncu, "--launch-count", "1", "--kernel-name", kernel,
           "--section", "SpeedOfLight", "--section", "Occupancy",
           "--section", "LaunchStats", "--section", "WarpStateStats",
           "--section", "ComputeWorkloadAnalysis",
           "--section", "MemoryWorkloadAnalysis",
           qc_run, os.path.join(bundle, bench["so"]), "--inputs", inp]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=180)
    text = r.stdout + r.stderr
    with open(os.path.join(out_dir, f"ncu-{name}.txt"), "w") as f:
        f.write(text)
    keep = ("Throughput", "Duration", "Registers Per Thread",
            "Achieved Occupancy", "Theoretical Occupancy", "Block Limit",
            "Issue Slots Busy", "Warp Cycles Per Issued", "==ERROR==",
            "==PROF==")
    return [line.strip() for line in text.splitlines()
            if any(k in line for k in keep)][:40]


def run_bench(bench, bundle, qc_run, env, runs):
    rng = np.random.default_rng(1)
    inp = os.path.join(bundle, "out", "bench_in.npz")
    if bench["kind"] == "w4gemv":
        np.savez(inp, x=rng.standard_normal((1, bench["k"])).astype(np.float32))
    else:
        x = rng.integers(0, 256, (bench["m"], bench["k"]), dtype=np.uint8)
        if bench["kind"] == "fp8":
            x &= 0xF7
        np.savez(inp, x=x.view(np.int8))
    r = subprocess.run([qc_run, os.path.join(bundle, bench["so"]), "--inputs",
                        inp, "--bench", str(runs), "--warmup", "3"],
                       capture_output=True, text=True,
                       env=dict(env, QC_CUDA_PROFILE="1"), timeout=300)
    if r.returncode != 0:
        return None, r.stderr.strip()[-500:]
    kernels = [(name, float(best)) for name, _, best, _ in
               PROFILE_LINE.findall(r.stderr)]
    if not kernels:
        return None, "no qc-cuda-profile lines"
    return max(kernels, key=lambda kv: kv[1]), None


def run(args):
    bundle = os.path.abspath(args.bundle)
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    bindir = os.path.join(bundle, "bin")
    env = dict(os.environ, LD_LIBRARY_PATH=bindir + ":" +
               os.environ.get("LD_LIBRARY_PATH", ""))
    qc_run = os.path.join(bindir, "qc-run")
    os.makedirs(os.path.join(bundle, "out"), exist_ok=True)
    report = []

    def say(line=""):
        print(line, flush=True)
        report.append(line)

    smi = shutil.which("nvidia-smi")
    if smi:
        gpu = subprocess.run([smi, "--query-gpu=name,compute_cap,driver_version",
                              "--format=csv,noheader"], capture_output=True,
                             text=True).stdout.strip()
        say(f"GPU: {gpu}; bundle compiled for {manifest['arch']}")
    cases = manifest["cases"]
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c["name"])]
    results = {}
    t0 = time.time()
    deadline = t0 + args.deadline

    def run_group(group_cases):
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            def one(c):
                if time.time() > deadline:
                    return "SKIP", "past --deadline"
                return run_case(c, bundle, qc_run, env, args.timeout)
            futs = {pool.submit(one, c): c["name"] for c in group_cases}
            for fut in concurrent.futures.as_completed(futs):
                name = futs[fut]
                try:
                    results[name] = fut.result()
                except Exception as e:  # report, never hide
                    results[name] = ("FAIL", f"harness error: {e!r}")

    # The fixed models first: when none of them runs, something basic is
    # wrong (driver, module loading) and the node tests would only repeat it.
    models = [c for c in cases if c["group"] == "models"]
    run_group(models)
    if models and not any(results[c["name"]][0] == "PASS" for c in models):
        say("no model case passes: the node tests are skipped")
        cases = models
    else:
        run_group([c for c in cases if c["group"] != "models"])
    groups = {}
    for c in cases:
        status, msg = results[c["name"]]
        groups.setdefault(c["group"], []).append(status)
        if status != "PASS" or (c["group"] != "node" and args.verbose):
            say(f"{status} {c['name']}: {msg}")
    for g, st in groups.items():
        say(f"{g}: {st.count('PASS')} of {len(st)} pass")
    say(f"correctness: {time.time() - t0:.0f} s")

    rows = []
    if manifest["bench"] and not args.no_bench:
        try:
            import torch  # noqa: F401
            have_torch = torch.cuda.is_available()
        except ImportError:
            have_torch = False
        for bench in manifest["bench"]:
            if args.bench_filter and not re.search(args.bench_filter,
                                                   bench["name"]):
                continue
            if time.time() > deadline:
                say("bench: past --deadline, stopped")
                break
            try:
                kernel, err = run_bench(bench, bundle, qc_run, env, args.runs)
            except Exception as e:  # report, go on with the next one
                kernel, err = None, repr(e)
            if err:
                say(f"bench {bench['name']}: FAILED: {err}")
                continue
            name, qc_ms = kernel
            base, base_ms = "(no PyTorch)", float("nan")
            if have_torch:
                try:
                    base, base_ms = baseline_ms(bench, args.runs)
                except Exception as e:  # report, keep the qc figure
                    base = f"(baseline failed: {e!r:.200})"
            if bench["kind"] == "w4gemv":
                gbs = bench["n"] * bench["k"] / 2 / (qc_ms * 1e-3) / 1e9
                copy_gbs = 2 * bench["n"] * bench["k"] / 2 / (base_ms * 1e-3) / 1e9
                line = (f"{bench['name']}: qc {qc_ms:.3f} ms ({name}) = "
                        f"{gbs:.0f} GB/s "
                        f"of weights; copy {copy_gbs:.0f} GB/s (read+write); "
                        f"ratio {gbs / copy_gbs:.2f}")
                rows.append((bench["name"], f"{qc_ms:.3f}",
                             f"copy {copy_gbs:.0f} GB/s", f"{gbs / copy_gbs:.2f}"))
            else:
                tops = 2 * bench["m"] * bench["n"] * bench["k"] / (qc_ms * 1e-3) / 1e12
                line = (f"{bench['name']}: qc {qc_ms:.3f} ms ({tops:.0f} TOPS, "
                        f"{name}); {base} {base_ms:.3f} ms; qc speed / "
                        f"baseline {base_ms / qc_ms:.2f}x")
                rows.append((bench["name"], f"{qc_ms:.3f}",
                             f"{base_ms:.3f}", f"{base_ms / qc_ms:.2f}"))
            say(line)
            if args.ncu and args.ncu_filter and \
                    re.search(args.ncu_filter, bench["name"]) and \
                    time.time() < deadline:
                try:
                    for ncu_line in run_ncu(bench, name, bundle, qc_run, env,
                                            args.ncu, args.ncu_out or bundle):
                        say(f"  ncu: {ncu_line}")
                except Exception as e:  # report, go on
                    say(f"  ncu failed: {e!r}")
    if rows:
        say()
        say("| problem | qc kernel (ms) | baseline (ms) | ratio |")
        say("|---|---|---|---|")
        for row in rows:
            say("| " + " | ".join(row) + " |")
    if args.sanitize and shutil.which(args.sanitize):
        chosen = [c for c in cases if c["group"] == "models" and
                  re.search(args.sanitize_filter, c["name"])]
        for c in chosen:
            if time.time() > deadline:
                say("memcheck: past --deadline, stopped")
                break
            cmd = [args.sanitize, "--tool", "memcheck", "--error-exitcode", "9",
                   qc_run, os.path.join(bundle, c["so"])]
            if c["inputs"]:
                cmd += ["--inputs", os.path.join(bundle, c["inputs"])]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                   timeout=120)
                tail = (r.stdout + r.stderr).strip().splitlines()
                summary = [line for line in tail if "ERROR SUMMARY" in line]
                say(f"memcheck {c['name']}: rc {r.returncode}, "
                    f"{summary[-1] if summary else tail[-1] if tail else ''}")
            except subprocess.TimeoutExpired:
                say(f"memcheck {c['name']}: timed out")

    if args.results:
        with open(args.results, "w") as f:
            f.write("\n".join(report) + "\n")
    failed = sum(1 for s, _ in results.values() if s != "PASS")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="compile the bundle (needs qc's build)")
    p.add_argument("--bin", required=True, help="qc's build/bin")
    p.add_argument("--arch", default="sm_90a",
                   help="the GPU's architecture, or 'emulate' (the GPU lowering "
                   "run on the CPU: checks this script without a GPU)")
    p.add_argument("--out", required=True)
    p.add_argument("--node-tests", action="store_true")
    p.add_argument("--bench-sizes", default="4096,8192",
                   help="comma-separated S for S^3 GEMMs ('' for none)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    r = sub.add_parser("run", help="run a bundle (needs a GPU)")
    r.add_argument("bundle")
    r.add_argument("--jobs", type=int, default=8)
    r.add_argument("--timeout", type=float, default=120)
    r.add_argument("--filter", help="regex on case names")
    r.add_argument("--results", help="also write the report here")
    r.add_argument("--runs", type=int, default=20, help="timed runs per benchmark")
    r.add_argument("--no-bench", action="store_true")
    r.add_argument("--bench-filter", help="regex on benchmark names")
    r.add_argument("--ncu", default="",
                   help="Nsight Compute binary: profile the benchmarks that "
                   "--ncu-filter selects (one kernel launch each)")
    r.add_argument("--ncu-filter", default="")
    r.add_argument("--ncu-out", help="folder for the ncu reports")
    r.add_argument("--deadline", type=float, default=1e9,
                   help="seconds after which no new case or benchmark starts")
    r.add_argument("--sanitize", default="",
                   help="compute-sanitizer binary: memcheck the first model cases")
    r.add_argument("--sanitize-filter", default="^(gemm|random int8 GEMM 300|digits)",
                   help="regex on the model cases to memcheck")
    r.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    return prepare(args) if args.cmd == "prepare" else run(args)


if __name__ == "__main__":
    sys.exit(main())
