#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs the Debian 12 packages qc needs to build and test. Idempotent and
# quiet when everything is already present; only missing packages are fetched.
#
# Usage: utils/install-deps.sh [extra-package-set ...]
#   sets: build (default, always), models (python3-torch, to regenerate test
#   models), bench (oneDNN, for benchmarks).
set -euo pipefail

build_pkgs=(
  cmake ninja-build ccache git
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  clang-format-22
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libgtest-dev
  python3 python3-numpy python3-onnx
  python3-dev pybind11-dev python3-pytest
  zlib1g-dev
  libclang-rt-22-dev # libFuzzer, ASan/UBSan runtimes (fuzz/, make check-sanitize)
  libomp-22-dev
  qemu-user libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
)
models_pkgs=(python3-torch python3-sklearn)
bench_pkgs=(libdnnl-dev)

pkgs=("${build_pkgs[@]}")
for set in "$@"; do
  case "$set" in
  build) ;;
  models) pkgs+=("${models_pkgs[@]}") ;;
  bench) pkgs+=("${bench_pkgs[@]}") ;;
  *) echo "install-deps: unknown package set '$set'" >&2; exit 2 ;;
  esac
done

missing=()
# Node.js runs the onnxruntime oracle; any install that provides npm will do
# (Debian's nodejs+npm, or NodeSource's nodejs, which bundles npm).
command -v npm >/dev/null || missing+=(nodejs npm)
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# LLVM 22 comes from bookworm-security; refresh the lists when a package is unknown.
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
