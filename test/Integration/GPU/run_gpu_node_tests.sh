#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs the ONNX backend node tests on an NVIDIA GPU: the CPU runner
# (test/Integration/ONNX/run_node_tests.py) with a qc-compile that adds
# --target=cuda:<arch>, so that every model is compiled for the GPU and its
# outputs are compared with the ONNX reference outputs.
#
#   test/Integration/GPU/run_gpu_node_tests.sh BUILD/bin sm_90a [runner options]
#
# e.g. --expect test/Integration/ONNX/node-tests.expected --only-expected.
# With <arch> = emulate the models get --target=cuda-emulate instead: the
# GPU lowering with the kernels run on the CPU, which needs no GPU.
set -eu
bin=$(cd "$1" && pwd)
if [ "$2" = emulate ]; then target=cuda-emulate; else target=cuda:$2; fi
shift 2
here=$(cd "$(dirname "$0")" && pwd)
wrap=$(mktemp -d)
trap 'rm -rf "$wrap"' EXIT
cat > "$wrap/qc-compile" <<WRAPPER
#!/bin/sh
exec "$bin/qc-compile" --target=$target "\$@"
WRAPPER
chmod +x "$wrap/qc-compile"
ln -s "$bin/qc-run" "$wrap/qc-run"
exec /usr/bin/python3 "$here/../ONNX/run_node_tests.py" --bin "$wrap" "$@"
