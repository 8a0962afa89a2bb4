#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds qc with AddressSanitizer + UndefinedBehaviorSanitizer into BUILD_DIR
# (default build-asan) and runs the ctest suites there: the unit tests, the
# lit suite, the hostile inputs and the end-to-end model tests. See
# docs/robustness.md.
#
#   utils/check-sanitize.sh [BUILD_DIR] [extra ctest arguments...]
#
# QC_SANITIZE_TARGETS="t1 t2 ..." builds only those targets (default: all),
# for a partial run such as
#   QC_SANITIZE_TARGETS="NpzTest QuantMathTest" \
#     utils/check-sanitize.sh build-asan -R 'unit\.(Npz|QuantMath)'
#
# Not run here:
#  - the fuzzers (label fuzz), which are instrumented in their own build;
#  - python, user-guide and install-example: the Python extension and the
#    installed libraries would be instrumented and loaded into an
#    uninstrumented python3 or example tool, which ASan refuses (the Python
#    package is not built at all: QC_ENABLE_PYTHON=OFF);
#  - onnx-node-tests, which cover the same importer and code generator paths
#    as the lit suite at many times the cost;
#  - the lit tests in LIT_FILTER_OUT below.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build-asan}
shift || true
llvm=/usr/lib/llvm-22/bin

if [ ! -f "$build/build.ninja" ]; then
  # -O1: ASan's usual level, compiles far faster than -O3 and keeps stack
  # traces readable; -gline-tables-only gives them file:line.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=$llvm/clang -DCMAKE_CXX_COMPILER=$llvm/clang++ \
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    -DLLVM_USE_LINKER=lld \
    $(command -v ccache >/dev/null && echo -DCMAKE_C_COMPILER_LAUNCHER=ccache \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) \
    -DQC_SANITIZE=address,undefined -DQC_ENABLE_FUZZERS=OFF \
    -DQC_ENABLE_PYTHON=OFF
fi
# shellcheck disable=SC2086
cmake --build "$build" ${QC_SANITIZE_TARGETS:+--target $QC_SANITIZE_TARGETS}
utils/fetch-models.sh

# halt_on_error: the first report fails the test that made it.
# detect_leaks: on, with utils/sanitizers/lsan.supp for what the uninstrumented
#   Debian libraries (LLVM, MLIR, libonnx, protobuf) keep until exit.
# Compiled models are not instrumented; dlopen'ing them is fine.
# allow_user_poisoning=0: LLVM's headers poison and unpoison allocator slabs
#   when the includer is instrumented, but Debian's libLLVM/libMLIR, which
#   allocate from the same slabs, are not, so that poisoning only produces
#   false use-after-poison reports.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:symbolize=1:allow_user_poisoning=0"
export LSAN_OPTIONS="suppressions=$root/utils/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_SYMBOLIZER_PATH=$llvm/llvm-symbolizer
# lit tests that load qc's (instrumented) libraries into an uninstrumented
# program: Debian's mlir-opt with the qc plugin, python3 with ctypes
# (gpu-runtime-fake-driver's last step; its qc-run steps pass under ASan).
export LIT_FILTER_OUT='Plugins/|Target/CUDA/gpu-model-without-device|Target/CUDA/gpu-runtime-fake-driver'
cd "$build"
ctest --output-on-failure -j "$(nproc)" -LE fuzz \
  -E '^(python|user-guide|install-example|onnx-node-tests)$' "$@"
