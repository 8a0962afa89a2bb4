# SPDX-License-Identifier: Apache-2.0
"""Runs the Python example of README.md, exactly as written there, from the
repository root (the README tells users to do the same)."""

import os
import re
import subprocess
import sys

from conftest import BUILD, REPO


def readme_example():
    with open(os.path.join(REPO, "README.md")) as f:
        blocks = re.findall(r"^```python\n(.*?)^```", f.read(), re.S | re.M)
    assert blocks, "README.md has no ```python block"
    return blocks[0]


def test_readme_example_is_five_lines():
    lines = [line for line in readme_example().splitlines() if line.strip()]
    assert len(lines) == 5, lines


def test_readme_example_runs():
    env = dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python"))
    result = subprocess.run([sys.executable, "-c", readme_example()],
                            cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    match = re.search(r"int8 accuracy: ([0-9.]+)", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) >= 0.95
