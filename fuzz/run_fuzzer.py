#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs one libFuzzer target the way `make check` and `make fuzz` do.

1. Replays every file in fuzz/regressions/<target>/ (inputs that once
   crashed); any failure fails the test.
2. Makes the seed corpus if it is missing (make_seeds.py) and fuzzes for
   --seconds (or $QC_FUZZ_SECONDS) with the seeds and the corpus kept in
   <work>/corpus/<target>, which grows from run to run.
3. Prints and records (<work>/stats/<target>.json) the executions, new corpus
   entries and any crash. A crash leaves its input in
   <work>/artifacts/<target>/; copy it to fuzz/regressions/<target>/ once
   fixed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Flags per target: a dictionary where the format has keywords the
# uninstrumented parsers (llvm::json, protobuf) cannot teach libFuzzer.
EXTRA_FLAGS = {
    "calib_table": ["-dict=" + os.path.join(HERE, "dicts", "calib_table.dict")],
    "runtime": ["-dict=" + os.path.join(HERE, "dicts", "runtime.dict")],
    "onnx_import": ["-max_len=131072"],
    "npz": ["-max_len=32768"],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fuzzer", required=True, help="fuzz target binary")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--bin", required=True, help="qc's tools (for seeds)")
    parser.add_argument("--work", required=True, help="corpus/stats folder")
    args = parser.parse_args()
    seconds = int(os.environ.get("QC_FUZZ_SECONDS", args.seconds))
    name = os.path.basename(args.fuzzer)
    target = name[:-len("_fuzzer")] if name.endswith("_fuzzer") else name
    env = dict(os.environ)
    # Leaks from a fuzzed input are findings too; LLVM's own intentionally
    # leaked globals are allocated before fuzzing starts and stay reachable.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")

    failed = False
    regressions = os.path.join(HERE, "regressions", target)
    replay = sorted(os.path.join(regressions, f)
                    for f in os.listdir(regressions)) \
        if os.path.isdir(regressions) else []
    if replay:
        r = subprocess.run([args.fuzzer, "-timeout=60"] + replay, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
        if r.returncode != 0:
            sys.stdout.write(r.stdout[-8000:])
            print(f"fuzz.{target}: a regression input fails again")
            failed = True
        else:
            print(f"fuzz.{target}: replayed {len(replay)} regression inputs")

    seeds = os.path.join(args.work, "seeds", target)
    if not os.path.isdir(seeds):
        subprocess.run([sys.executable, os.path.join(HERE, "make_seeds.py"),
                        "--target", target, "--bin", args.bin,
                        "--out", seeds], check=True)
    corpus = os.path.join(args.work, "corpus", target)
    artifacts = os.path.join(args.work, "artifacts", target)
    stats_dir = os.path.join(args.work, "stats")
    for d in (corpus, artifacts, stats_dir):
        os.makedirs(d, exist_ok=True)

    cmd = [args.fuzzer, f"-max_total_time={max(seconds, 1)}",
           "-timeout=25", "-rss_limit_mb=2560", "-print_final_stats=1",
           "-artifact_prefix=" + artifacts + "/"] + \
        EXTRA_FLAGS.get(target, []) + [corpus, seeds]
    if seconds == 0:
        cmd[1] = "-runs=0"
    start = time.time()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    elapsed = time.time() - start
    stats = {k: int(v) for k, v in
             re.findall(r"stat::(\w+):\s+(\d+)", r.stdout)}
    crashed = r.returncode != 0
    record = {"target": target, "seconds": round(elapsed, 1),
              "executions": stats.get("number_of_executed_units", 0),
              "new_units": stats.get("new_units_added", 0),
              "corpus_files": len(os.listdir(corpus)),
              "peak_rss_mb": stats.get("peak_rss_mb", 0),
              "crashed": crashed}
    with open(os.path.join(stats_dir, target + ".json"), "w") as f:
        json.dump(record, f)
    if crashed:
        sys.stdout.write(r.stdout[-12000:])
        print(f"fuzz.{target}: FOUND A CRASH; the input is in {artifacts}/ "
              f"(replay: {args.fuzzer} <file>)")
        failed = True
    print(f"fuzz.{target}: {record['executions']} executions in "
          f"{record['seconds']} s, {record['new_units']} new corpus entries "
          f"({record['corpus_files']} in {corpus}), peak RSS "
          f"{record['peak_rss_mb']} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
