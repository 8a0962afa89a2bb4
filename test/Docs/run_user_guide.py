#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs every command of docs/user-guide.md, in order, so it cannot go stale.

  run_user_guide.py --build <build dir> [--guide docs/user-guide.md] [--keep]

The guide's commands are meant for the root of a qc checkout after `make`.
They run here in a scratch folder that links `build` (to --build),
`models`, `include`, `runtime` and `test` of this checkout, so that they
read the same files and write their outputs into the scratch folder.

Fenced blocks by language:
  sh       run with `bash -euo pipefail`
  python   run with /usr/bin/python3 (PYTHONPATH=build/python)
  c        written to the file named by its first line, `/* name.c: ... */`
  others (console, cmake, text) are illustrations and are not run.
Fails on the first block that fails, printing it and its output.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LINKED = ["models", "include", "runtime", "test"]


def blocks(text):
    """(language, body, line) of every fenced block."""
    for match in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```", text, re.S | re.M):
        yield match.group(1), match.group(2), text.count("\n", 0,
                                                         match.start()) + 1


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("--guide",
                        default=os.path.join(REPO, "docs", "user-guide.md"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder")
    args = parser.parse_args()

    with open(args.guide) as f:
        guide = f.read()
    work = tempfile.mkdtemp(prefix="qc-user-guide-")
    os.symlink(os.path.abspath(args.build), os.path.join(work, "build"))
    for name in LINKED:
        os.symlink(os.path.join(REPO, name), os.path.join(work, name))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(work, "build", "python")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = "/usr/bin:/bin:" + env.get("PATH", "")  # python3 = Debian's

    ran = 0
    try:
        for language, body, line in blocks(guide):
            if language == "sh":
                command = ["bash", "-euo", "pipefail", "-c", body]
            elif language == "python":
                command = ["/usr/bin/python3", "-c", body]
            elif language == "c":
                name = re.match(r"/\* (\S+\.c)", body)
                if not name:
                    print(f"user-guide.md:{line}: a c block must start with "
                          "/* <file>.c: ... */")
                    return 1
                with open(os.path.join(work, name.group(1)), "w") as f:
                    f.write(body)
                continue
            else:
                continue
            print(f"--- user-guide.md:{line} ({language})", flush=True)
            result = subprocess.run(command, cwd=work, env=env,
                                    capture_output=True, text=True,
                                    timeout=900)
            sys.stdout.write(result.stdout)
            if result.returncode != 0:
                print(f"user-guide.md:{line}: this {language} block failed "
                      f"(exit {result.returncode}):\n{body}\n{result.stderr}")
                return 1
            ran += 1
    finally:
        if args.keep:
            print(f"scratch folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if ran == 0:
        print("no runnable blocks found")
        return 1
    print(f"user-guide: all {ran} runnable blocks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
