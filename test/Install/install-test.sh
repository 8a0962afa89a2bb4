#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# install-test.sh <build dir> <source dir> <C++ compiler> [compiler launcher]
#
# Installs the build into a fresh prefix and checks that what is installed
# works on its own: the tools, the mlir-opt plugin, the C API (a C program
# built against the installed headers and library), the Python package
# (where Debian's python3 finds it under the prefix), and find_package(QC)
# from an independent project (examples/standalone-opt), whose own opt tool
# then runs its lit tests.
set -euo pipefail
# No `grep -q` after a pipe: it exits at the first match, the writer can then
# die of SIGPIPE, and pipefail turns that into a failure that depends on timing.
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cxx=$3
launcher=${4:-}
llvm=/usr/lib/llvm-22/bin

work=$(mktemp -d "${TMPDIR:-/tmp}/qc-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

echo "== cmake --install $build --prefix <tmp>/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/qc-opt bin/qc-compile bin/qc-run bin/qc-translate \
    lib/libqc_runtime.so lib/libQCCAPI.so lib/libQCPlugin.so \
    include/qc/qc_runtime.h include/qc-c/Compiler.h \
    include/qc/Dialect/QC/IR/QCOps.h.inc lib/cmake/qc/QCConfig.cmake \
    lib/cmake/qc/QCTargets.cmake; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done

echo "== installed tools"
"$prefix/bin/qc-compile" -q "$src/test/CAPI/Inputs/linear.onnxtext" \
  --input-shape x=2,4 -o "$work/linear.so"
"$prefix/bin/qc-run" "$work/linear.so" --info | grep "linear" >/dev/null

echo "== installed plugin in Debian's mlir-opt"
"$llvm/mlir-opt" "$src/examples/standalone-opt/test/quantize.mlir" \
  --load-dialect-plugin="$prefix/lib/libQCPlugin.so" \
  --load-pass-plugin="$prefix/lib/libQCPlugin.so" \
  --pass-pipeline="builtin.module(convert-qc-to-linalg)" |
  grep "math.roundeven" >/dev/null

echo "== C API from the installed headers and libQCCAPI.so"
cat >"$work/capi.c" <<'C'
#include "qc-c/Compiler.h"
#include <stdio.h>
int main(int argc, char **argv) {
  QcCompileOptions options = qcCompileOptionsCreate();
  qcCompileOptionsSetModelPath(options, mlirStringRefCreateFromCString(argv[1]));
  int64_t shape[] = {2, 4};
  QcError error = qcCompileOptionsSetInputShape(
      options, mlirStringRefCreateFromCString("x"), 2, shape);
  if (qcErrorIsNull(error))
    error = qcCompile(options, mlirStringRefCreateFromCString(argv[2]),
                      mlirStringRefCreateFromCString(""));
  qcCompileOptionsDestroy(options);
  if (!qcErrorIsNull(error)) {
    fprintf(stderr, "%s\n", qcErrorGetMessage(error).data);
    return 1;
  }
  printf("C API %u: compiled %s\n", qcGetCAPIVersion(), argv[2]);
  return 0;
}
C
"$llvm/clang" -std=c99 "$work/capi.c" -o "$work/capi" -I "$prefix/include" \
  -I /usr/lib/llvm-22/include -L "$prefix/lib" -lQCCAPI \
  -Wl,-rpath,"$prefix/lib"
"$work/capi" "$src/test/CAPI/Inputs/linear.onnxtext" "$work/linear_capi.so"
"$prefix/bin/qc-run" "$work/linear_capi.so" --info | grep "linear" >/dev/null

echo "== installed Python package"
site=$(cd "$prefix" && ls -d lib/python3*/*-packages 2>/dev/null || true)
if [ -z "$site" ]; then
  echo "skipped: no Python package installed (QC_ENABLE_PYTHON=OFF)"
else
PYTHONPATH=$prefix/$site PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - \
  "$prefix" "$src/test/CAPI/Inputs/linear.onnxtext" <<'PY'
import os, sys
import numpy as np
import qc
prefix, model = sys.argv[1], sys.argv[2]
assert qc.__file__.startswith(prefix), qc.__file__
m = qc.compile(model, input_shapes={"x": [2, 4]})
y = m(x=np.ones((2, 4), np.float32))["y"]
assert np.allclose(y, [[1.875, 0, 2.25]] * 2), y
print("python:", qc.__file__, m)
PY
fi

echo "== examples/standalone-opt against the installed package"
export CCACHE_BASEDIR=$work
cmake -S "$src/examples/standalone-opt" -B "$work/example" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
  ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher} >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
grep "Using QCConfig.cmake in: $prefix/lib/cmake/qc" "$work/configure.log"
ninja -C "$work/example" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
# One MLIR in the process: the tool links the shared libMLIR.so.
ldd "$work/example/standalone-opt" | grep "libMLIR.so.22" >/dev/null
"$llvm/lit" -sv --param tools="$work/example" --param llvm_tools="$llvm" \
  --param exec_root="$work/lit" "$src/examples/standalone-opt/test"
echo "install-test: ok"
