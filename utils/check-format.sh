#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails (listing the files) if a tracked C/C++ source is not clang-formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=/usr/lib/llvm-22/bin/clang-format
bad=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  if ! "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done < <(git ls-files '*.c' '*.cpp' '*.h')
if [ ${#bad[@]} -ne 0 ]; then
  echo "format-check: not clang-formatted (run 'make format'):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format-check: all sources formatted"
