# -*- Python -*-
# SPDX-License-Identifier: Apache-2.0

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "qc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtext"]
config.excludes = ["Inputs", "run_node_tests.py", "run_model_tests.py", "run_accuracy.py", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qc_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

# qc's tools first, then LLVM's (FileCheck, not, count, split-file, ...).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.qc_tools_dir, append_path=True)

config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%qc_src_root", config.qc_src_root))
config.substitutions.append(("%qc_libdir", config.qc_lib_dir))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils.so")))

# Features for optional parts of the suite.
if shutil.which("ptxas", path="/usr/local/cuda/bin"):
    config.available_features.add("ptxas")
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# A host with AVX-512 VNNI runs the int8 weight-only kernels
# (--weight-only-compute=int8).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if "avx512_vnni" in cpuinfo.read().split():
            config.available_features.add("avx512vnni-host")
except OSError:
    pass

# onnxruntime-node, the reference runtime (utils/fetch-models.sh puts it in
# the cache); tests that run ONNX models with it use %ort_node_path.
ort_cache = os.environ.get("QC_CACHE", os.path.join(config.qc_src_root, ".cache"))
ort_modules = os.path.join(ort_cache, "ort", "node_modules")
if shutil.which("node") and os.path.isdir(os.path.join(ort_modules, "onnxruntime-node")):
    config.available_features.add("onnxruntime")
    config.substitutions.append(("%ort_node_path", ort_modules))

# AArch64 cross testing: Debian's libc6-dev-arm64-cross + qemu-user.
qemu = shutil.which("qemu-aarch64")
if qemu and os.path.exists("/usr/aarch64-linux-gnu/lib/libc.so.6") and \
        os.path.isdir("/usr/lib/gcc-cross/aarch64-linux-gnu"):
    config.available_features.add("aarch64-cross")
    config.substitutions.append(
        ("%aarch64_cc", os.path.join(config.llvm_tools_dir, "clang") +
         " --target=aarch64-linux-gnu -fuse-ld=lld"))
    config.substitutions.append(
        ("%qemu_aarch64", qemu + " -L /usr/aarch64-linux-gnu"))
