#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""qc's CPU benchmarks: every qc number is a ratio to baselines run in the
same invocation, in interleaved rounds (qc, oneDNN, onnxruntime; repeated),
because these machines are shared and absolute times drift 2-4x.

  bench/run_bench.py --bin build/bin [--suite gemm,e2e] [--threads 1,2]
                     [--rounds 5] [--quick] [--markdown FILE]

Suites:
  gemm  INT8 GEMM u8 x s8 -> s32 (ONNX MatMulInteger with a constant weight,
        compiled by qc; oneDNN's matmul with pre-packed weights; onnxruntime's
        MatMulInteger). Every contender's output is checked against numpy
        before timing.
  e2e   Whole models: qc INT8 (W8A8, entropy calibration) against
        onnxruntime fp32 on the same ONNX file and against onnxruntime on the
        QDQ model qc exports from the same calibration (--emit=onnx), and
        qc fp32 against onnxruntime fp32.

  gemv  Weight-only INT4 / INT8 GEMV/GEMM (M = 1, 4; w4a16 / w8a16 g128)
        against the read bandwidth measured in the same run and
        onnxruntime's MatMulNBits (bench/gemv_bench.py; not in the default
        --suite).

Each timing is the median of REPS runs inside one process (qc-run --bench,
ort_run.js --bench, onednn_gemm). Per round the ratio baseline_ms / qc_ms is
computed (> 1: qc is faster); the table shows min / median / max over
rounds. A clock probe runs in every round and rounds whose clock is below
0.85x the run's best are flagged with '*' (a busy host).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

GEMM_SHAPES = [(1024, 1024, 1024), (2048, 2048, 2048), (128, 4096, 4096),
               (128, 4096, 11008), (128, 11008, 4096), (512, 4096, 4096),
               (512, 4096, 11008), (512, 11008, 4096)]
QUICK_GEMM_SHAPES = [(256, 512, 512), (64, 1024, 1024)]


def sh(cmd, env=None, timeout=1800):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def median_ms(text):
    for line in text.splitlines():
        if line.startswith("median_ms"):
            return float(line.split()[1])
    raise RuntimeError("no median_ms in output:\n" + text)


def thread_env(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["OMP_PROC_BIND"] = "true"
    return env


class Clock:
    """A dependent-add chain whose iterations per second track the core
    clock (the guest has no PMU)."""

    def __init__(self, work):
        src = os.path.join(work, "clock.c")
        with open(src, "w") as f:
            f.write("#include <stdio.h>\n#include <time.h>\n"
                    "int main(void) { struct timespec a, b;\n"
                    "  volatile unsigned long seed = 1; unsigned long x = seed;\n"
                    "  clock_gettime(CLOCK_MONOTONIC, &a);\n"
                    "  for (long i = 0; i < 200000000; ++i)\n"
                    "    __asm__ volatile(\"add $1, %0\" : \"+r\"(x));\n"
                    "  clock_gettime(CLOCK_MONOTONIC, &b);\n"
                    "  double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;\n"
                    "  printf(\"%.3f %lu\\n\", 0.2 / s, x); return 0; }\n")
        self.exe = os.path.join(work, "clock")
        sh(["cc", "-O2", src, "-o", self.exe])

    def ghz(self, threads=1):
        """The slowest of `threads` probes run at once: a 2-thread round
        where the host takes one of the cores is flagged slow too (a
        single probe only sees the core it runs on)."""
        procs = [subprocess.Popen([self.exe], stdout=subprocess.PIPE,
                                  text=True) for _ in range(threads)]
        rates = []
        for p in procs:
            out, _ = p.communicate()
            if p.returncode != 0:
                raise RuntimeError(f"{self.exe} failed")
            rates.append(float(out.split()[0]))
        return min(rates)


def ort_cmd(model, inputs_json, out_dir, threads, reps):
    return ["node", os.path.join(REPO, "utils", "ort", "ort_run.js"), model,
            inputs_json, out_dir, "--opt", "all", "--threads", str(threads),
            "--bench", str(reps)]


def ort_env(cache):
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(cache, "ort", "node_modules")
    return env


def save_npy_inputs(work, tag, arrays):
    files = {}
    for name, value in arrays.items():
        path = os.path.join(work, f"{tag}_{name}.npy")
        np.save(path, value)
        files[name] = path
    with open(os.path.join(work, f"{tag}_inputs.json"), "w") as f:
        json.dump(files, f)
    return os.path.join(work, f"{tag}_inputs.json")


def save_npz(path, arrays):
    np.savez(path, **arrays)


def read_ort_output(out_dir):
    with open(os.path.join(out_dir, "outputs.json")) as f:
        names = json.load(f)
    return {n: np.load(p) for n, p in names.items()}


def ratios_row(times, qc_key, base_key):
    r = [t[base_key] / t[qc_key] for t in times]
    return min(r), statistics.median(r), max(r)


def fmt_ratio(r):
    return f"{r[1]:.2f} ({r[0]:.2f}-{r[2]:.2f})"


# --------------------------------------------------------------------------
# INT8 GEMM
# --------------------------------------------------------------------------

def gemm_suite(args, work, clock, out):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    onednn = os.path.join(args.build, "bench", "onednn_gemm")
    have_onednn = os.path.exists(onednn)
    shapes = QUICK_GEMM_SHAPES if args.quick else GEMM_SHAPES
    rows = []
    for (m, k, n) in shapes:
        rng = np.random.default_rng(m + k + n)
        a = rng.integers(0, 256, (m, k), dtype=np.uint8)
        b = rng.integers(-127, 128, (k, n), dtype=np.int8)
        tag = f"gemm_{m}_{k}_{n}"
        model = os.path.join(work, tag + ".onnx")
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mm")],
            tag, [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])],
            [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])],
            [numpy_helper.from_array(b, "b")])
        onnx.save(helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 13)]), model)
        inputs_npz = os.path.join(work, tag + "_in.npz")
        save_npz(inputs_npz, {"a": a})
        inputs_json = save_npy_inputs(work, tag, {"a": a})
        # Exact reference on a sample of rows (the full product is slow in
        # numpy for the large shapes).
        rows_sample = rng.choice(m, size=min(m, 16), replace=False)
        ref = a[rows_sample].astype(np.int64) @ b.astype(np.int64)
        reps = 5 if m * k * n >= 2**33 else 10
        for threads in args.threads:
            so = os.path.join(work, f"{tag}_t{threads}.so")
            t0 = time.time()
            sh([os.path.join(args.bin, "qc-compile"), model, "-q",
                f"--threads={threads}", "-o", so])
            compile_s = time.time() - t0
            env = thread_env(threads)
            qc_out = os.path.join(work, tag + "_qc.npz")
            sh([os.path.join(args.bin, "qc-run"), so, "--inputs", inputs_npz,
                "--outputs", qc_out], env=env)
            if not (np.load(qc_out)["y"][rows_sample] == ref).all():
                raise RuntimeError(f"qc's {tag} output is wrong")
            ort_dir = os.path.join(work, tag + "_ort")
            os.makedirs(ort_dir, exist_ok=True)
            have_ort = args.ort
            if have_ort:
                sh(ort_cmd(model, inputs_json, ort_dir, threads, 1)[:-2],
                   env=ort_env(args.cache))
                if not (read_ort_output(ort_dir)["y"][rows_sample] == ref).all():
                    raise RuntimeError(f"onnxruntime's {tag} output is wrong")
            times = []
            for r in range(args.rounds):
                t = {"ghz": clock.ghz(threads)}
                t["qc"] = median_ms(sh([os.path.join(args.bin, "qc-run"), so,
                                        "--inputs", inputs_npz, "--bench",
                                        str(reps)], env=env))
                if have_onednn:
                    t["onednn"] = median_ms(sh([onednn, "u8s8s32", str(m),
                                                str(k), str(n), str(reps)],
                                               env=env))
                if have_ort:
                    t["ort"] = median_ms(sh(
                        ort_cmd(model, inputs_json, ort_dir, threads, reps),
                        env=ort_env(args.cache)))
                times.append(t)
                print(f"  {tag} t={threads} round {r}: " +
                      ", ".join(f"{k}={v:.3f}" for k, v in t.items()),
                      file=sys.stderr)
            best = max(t["ghz"] for t in times)
            slow = sum(t["ghz"] < 0.85 * best for t in times)
            qc_ms = statistics.median(t["qc"] for t in times)
            gops = 2 * m * k * n / (qc_ms * 1e-3) / 1e9
            row = [f"{m}x{k}x{n}", str(threads), f"{qc_ms:.2f}", f"{gops:.0f}"]
            row.append(fmt_ratio(ratios_row(times, "qc", "onednn"))
                       if have_onednn else "n/a")
            row.append(fmt_ratio(ratios_row(times, "qc", "ort"))
                       if have_ort else "n/a")
            row.append(f"{compile_s:.1f}")
            row.append(f"{slow}/{len(times)}")
            rows.append(row)
    header = ["M x K x N", "threads", "qc ms", "qc GOP/s",
              "oneDNN ms / qc ms", "ORT ms / qc ms", "qc compile s",
              "slow rounds"]
    table(out, "INT8 GEMM (u8 x s8 -> s32)", header, rows)


# --------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------

def e2e_models(work, quick):
    """(name, onnx path, inputs dict, calibration npz, input-shape args)."""
    models = []
    digits = os.path.join(REPO, "models", "digits_cnn")
    test = np.load(os.path.join(digits, "digits_test.npz"))
    batch = 64
    models.append(("digits_cnn b64", os.path.join(digits, "digits_cnn.onnx"),
                   {"image": test["image"][:batch]},
                   os.path.join(digits, "digits_calib.npz"),
                   [f"--input-shape=image={batch},1,8,8"]))
    layers = 2 if quick else 7
    enc = os.path.join(work, "encoder.onnx")
    sh([sys.executable, os.path.join(REPO, "bench", "make_encoder.py"), enc,
        "--layers", str(layers)])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 128, 512)).astype(np.float32)
    calib = os.path.join(work, "encoder_calib.npz")
    save_npz(calib, {"x": rng.standard_normal((8, 1, 128, 512)).astype(np.float32)})
    models.append((f"encoder {layers}L d512 s128", enc, {"x": x}, calib, []))
    return models


def e2e_suite(args, work, clock, out):
    rows = []
    for name, model, inputs, calib, shape_args in e2e_models(work, args.quick):
        tag = name.split()[0]
        inputs_npz = os.path.join(work, tag + "_e2e_in.npz")
        save_npz(inputs_npz, inputs)
        inputs_json = save_npy_inputs(work, tag + "_e2e", inputs)
        ort_dir = os.path.join(work, tag + "_e2e_ort")
        os.makedirs(ort_dir, exist_ok=True)
        for threads in args.threads:
            env = thread_env(threads)
            f32 = os.path.join(work, f"{tag}_f32_t{threads}.so")
            i8 = os.path.join(work, f"{tag}_i8_t{threads}.so")
            base = [os.path.join(args.bin, "qc-compile"), model, "-q",
                    f"--threads={threads}"] + shape_args
            sh(base + ["-o", f32])
            quant = ["--quantize=int8", "--calib-method=entropy",
                     f"--calib={calib}"]
            sh(base + quant + ["-o", i8])
            qdq = os.path.join(work, f"{tag}_qdq_t{threads}.onnx")
            qdq_dir = os.path.join(work, f"{tag}_qdq_ort")
            os.makedirs(qdq_dir, exist_ok=True)
            if args.ort:
                sh(base + quant + ["--emit=onnx", "-o", qdq])
            # Accuracy gate next to the speed: int8 vs fp32 outputs.
            outs = {}
            for label, so in (("f32", f32), ("i8", i8)):
                path = os.path.join(work, f"{tag}_{label}_out.npz")
                sh([os.path.join(args.bin, "qc-run"), so, "--inputs",
                    inputs_npz, "--outputs", path], env=env)
                outs[label] = np.load(path)
            key = list(outs["f32"].keys())[0]
            ref, got = outs["f32"][key], outs["i8"][key]
            rel = float(np.sqrt(((got - ref) ** 2).mean() / max((ref ** 2).mean(), 1e-30)))
            times = []
            for r in range(args.rounds):
                t = {"ghz": clock.ghz(threads)}
                t["qc_i8"] = median_ms(sh([os.path.join(args.bin, "qc-run"), i8,
                                           "--inputs", inputs_npz, "--bench",
                                           "20"], env=env))
                t["qc_f32"] = median_ms(sh([os.path.join(args.bin, "qc-run"), f32,
                                            "--inputs", inputs_npz, "--bench",
                                            "20"], env=env))
                if args.ort:
                    t["ort_f32"] = median_ms(sh(
                        ort_cmd(model, inputs_json, ort_dir, threads, 20),
                        env=ort_env(args.cache)))
                    t["ort_qdq"] = median_ms(sh(
                        ort_cmd(qdq, inputs_json, qdq_dir, threads, 20),
                        env=ort_env(args.cache)))
                times.append(t)
                print(f"  {tag} t={threads} round {r}: " +
                      ", ".join(f"{k}={v:.3f}" for k, v in t.items()),
                      file=sys.stderr)
            best = max(t["ghz"] for t in times)
            slow = sum(t["ghz"] < 0.85 * best for t in times)
            row = [name, str(threads),
                   f"{statistics.median(t['qc_i8'] for t in times):.2f}",
                   f"{statistics.median(t['qc_f32'] for t in times):.2f}"]
            if args.ort:
                row += [f"{statistics.median(t['ort_f32'] for t in times):.2f}",
                        f"{statistics.median(t['ort_qdq'] for t in times):.2f}",
                        fmt_ratio(ratios_row(times, "qc_i8", "ort_f32")),
                        fmt_ratio(ratios_row(times, "qc_i8", "ort_qdq")),
                        fmt_ratio(ratios_row(times, "qc_f32", "ort_f32"))]
            else:
                row += ["n/a"] * 5
            row += [f"{rel:.3f}", f"{slow}/{len(times)}"]
            rows.append(row)
    header = ["model", "threads", "qc int8 ms", "qc fp32 ms", "ORT fp32 ms",
              "ORT QDQ ms", "ORT fp32 / qc int8", "ORT QDQ / qc int8",
              "ORT fp32 / qc fp32",
              "int8 rel. RMS error", "slow rounds"]
    table(out, "End to end", header, rows)


def table(out, title, header, rows):
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out.append(text)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(REPO, "build", "bin"))
    p.add_argument("--build", help="build folder (default: parent of --bin)")
    p.add_argument("--cache", default=os.environ.get(
        "QC_CACHE", os.path.join(REPO, ".cache")))
    p.add_argument("--suite", default="gemm,e2e")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true",
                   help="small shapes and models (a smoke test)")
    p.add_argument("--markdown", help="also write the tables to this file")
    args = p.parse_args()
    args.build = args.build or os.path.dirname(os.path.abspath(args.bin))
    args.threads = [int(t) for t in args.threads.split(",")]
    args.ort = shutil.which("node") is not None and os.path.isdir(
        os.path.join(args.cache, "ort", "node_modules", "onnxruntime-node"))
    if not args.ort:
        print("run_bench: onnxruntime-node not found (utils/fetch-models.sh); "
              "no ORT columns", file=sys.stderr)
    out = []
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as work:
        clock = Clock(work)
        suites = args.suite.split(",")
        if "gemm" in suites:
            gemm_suite(args, work, clock, out)
        if "e2e" in suites:
            e2e_suite(args, work, clock, out)
        if "gemv" in suites:
            # Weight-only INT4/INT8 GEMV (bench/gemv_bench.py), 1 thread.
            from gemv_bench import gemv_suite
            gemv_suite(args, work, clock, out)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(out))


if __name__ == "__main__":
    main()
