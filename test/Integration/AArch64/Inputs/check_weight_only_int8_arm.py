# SPDX-License-Identifier: Apache-2.0
"""The --weight-only-compute=int8 cases of
test/Integration/LowBit/Inputs/check_weight_only_int8.py, cross-compiled
for AArch64 CPUs with i8mm (usdot) and with dotprod only (sdot, 8-bit
codes taken as u - 128) and run under qemu-user, against the same numpy
reference of qc.packed_dequant_matmul's int8_compute rule and tolerance
(|qc - ref| <= 1e-6 * sum_g |term|). The integer part is exact on both, so
the two builds must also agree bit for bit.

  check_weight_only_int8_arm.py WORK RUN_RAW QEMU...
"""
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
LOWBIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "LowBit", "Inputs")
sys.path.insert(0, LOWBIT)
from check_weight_only_int8 import CASES, reference  # noqa: E402
from check_weight_only_matmul import make_weight, save_matmul_model  # noqa

CPUS = {"i8mm": "neoverse-v1", "dotprod": "neoverse-n1"}


def main():
    work, run_raw, qemu = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = 0
    for i, case in enumerate(CASES):
        bits, sym, group, m, k, n = case
        # The same weights and inputs as the x86-64 checker (seed 2000 + i).
        rng = np.random.default_rng(2000 + i)
        w, g, scales = make_weight(rng, bits, sym, group, k, n)
        x = rng.standard_normal((m, k)).astype(np.float32)
        if k // g > 1 or m > 1:
            x[0, :g] = 0
        if m > 1:
            x[1] *= np.float32(1e-3)
        tag = f"w{bits}{'s' if sym else 'a'}_g{group}_m{m}_k{k}_n{n}"
        model = os.path.join(work, tag + ".onnx")
        save_matmul_model(model, tag, x, w)
        inputs = os.path.join(work, tag + ".in")
        x.tofile(inputs)
        ref, mag = reference(x, w, g, scales)
        outs = {}
        for name, cpu in CPUS.items():
            so = os.path.join(work, f"{tag}_{name}.so")
            cmd = ["qc-compile", model, "-q", f"--quantize=w{bits}a16",
                   f"--group-size={group}", "--weight-only-compute=int8",
                   "--target=aarch64", f"--cpu={cpu}", "-o", so]
            if sym:
                cmd.append("--weight-symmetric")
            subprocess.run(cmd, check=True)
            out = os.path.join(work, f"{tag}_{name}.out")
            subprocess.run([*qemu, run_raw, so, inputs, out], check=True)
            outs[name] = np.fromfile(out, np.float32).reshape(m, n)
        err = max(float(np.abs(o.astype(np.float64) - ref).max())
                  for o in outs.values())
        ok = all(bool((np.abs(o.astype(np.float64) - ref) <= 1e-6 * mag)
                      .all()) for o in outs.values())
        same = bool((outs["i8mm"] == outs["dotprod"]).all())
        print(f"{tag}: max err {err:.3g}, usdot == sdot {same} "
              f"{'ok' if ok and same else 'FAIL'}")
        failed += not (ok and same)
    print(f"{len(CASES) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
