#!/usr/bin/env python3
"""Build, measure and smoke-test the examples before and after dopt's rewrite, in the image lab.

A thin caller of `dopt verify` with the image lab's settings (../shared/tools/image-lab; run its
setup.sh first): the glibc preset, the EXPOSEd port probed, RUN steps given the host's CA bundle
(the lab's ca-runtime-wrapper, so that pip and npm reach their registries), and nothing pulled.

Usage: scripts/measure_examples.py [--dopt target/release/dopt] [--unsafe-fixes]
                                   [--format markdown|text|json] [EXAMPLE...]
Prints dopt verify's report (markdown: the README's table) and exits with its exit code:
0 when every rewrite passes what its original passes, 1 when one does not, 2 on usage errors.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WRAPPER = os.path.join(ROOT, "..", "shared", "tools", "image-lab", "ca-runtime-wrapper")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dopt", default=os.path.join(ROOT, "target", "release", "dopt"))
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--format", default="markdown", choices=["markdown", "text", "json"])
    ap.add_argument("examples", nargs="*", help="names under examples/ (default: all)")
    a = ap.parse_args()
    paths = [os.path.join("examples", e) for e in a.examples] or ["examples"]
    cmd = [a.dopt, "verify", "--preset", "glibc", "--probe", "expose", "--format", a.format,
           "--build-flag=--pull=never"]
    if os.access(WRAPPER, os.X_OK):
        cmd.append("--build-flag=--runtime=" + os.path.abspath(WRAPPER))
    if a.unsafe_fixes:
        cmd.append("--unsafe-fixes")
    return subprocess.run(cmd + paths, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
