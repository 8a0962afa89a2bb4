# SPDX-License-Identifier: Apache-2.0
# lit -sv --param tools=<example build dir> --param exec_root=<scratch dir> \
#   examples/standalone-opt/test
import os

import lit.formats

config.name = "standalone-opt"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = lit_config.params.get("exec_root",
                                              os.path.dirname(__file__))
path = [lit_config.params["tools"],
        lit_config.params.get("llvm_tools", "/usr/lib/llvm-22/bin"),
        os.environ.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(path)
