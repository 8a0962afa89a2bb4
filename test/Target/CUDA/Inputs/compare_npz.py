# SPDX-License-Identifier: Apache-2.0
"""Compares the arrays of two .npz files: compare_npz.py GOT WANT [--exact |
--rtol R --atol A] [--arrays a,b]. Prints one line per array and exits 1 on
a mismatch."""
import argparse
import sys

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("got")
ap.add_argument("want")
ap.add_argument("--exact", action="store_true")
ap.add_argument("--rtol", type=float, default=0.0)
ap.add_argument("--atol", type=float, default=0.0)
ap.add_argument("--arrays", help="compare only these (comma-separated)")
args = ap.parse_args()
got, want = np.load(args.got), np.load(args.want)
names = args.arrays.split(",") if args.arrays else sorted(want.files)
ok = all(n in got.files and n in want.files for n in names)
if not ok or (not args.arrays and sorted(got.files) != sorted(want.files)):
    print("arrays differ:", sorted(got.files), sorted(want.files))
    ok = False
for name in [n for n in names if n in got.files and n in want.files]:
    g, w = got[name], want[name]
    if g.shape != w.shape or g.dtype != w.dtype:
        print(f"{name}: {g.dtype}{list(g.shape)} vs {w.dtype}{list(w.shape)}")
        ok = False
        continue
    if args.exact:
        same = np.array_equal(g, w, equal_nan=True)
    else:
        same = np.allclose(g.astype(np.float64), w.astype(np.float64),
                           rtol=args.rtol, atol=args.atol, equal_nan=True)
    diff = np.abs(g.astype(np.float64) - w.astype(np.float64)).max()
    print(f"{name}: {'match' if same else 'MISMATCH'} (max abs diff {diff:g})")
    ok = ok and same
sys.exit(0 if ok else 1)
