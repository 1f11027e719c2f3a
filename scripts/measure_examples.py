#!/usr/bin/env python3
"""Build, measure and smoke-test the examples before and after dopt's rewrite, in the image lab.

A thin caller of `dopt verify` with the image lab's settings (../shared/tools/image-lab; run its
setup.sh first): a preset (glibc by default), the EXPOSEd port probed, RUN steps given the host's CA bundle
(the lab's ca-runtime-wrapper, so that pip and npm reach their registries), and nothing pulled.

Usage: scripts/measure_examples.py [--dopt target/release/dopt] [--preset glibc] [--unsafe-fixes]
                                   [--handwritten] [--extra PATH]... [--format markdown|text|json]
                                   [EXAMPLE...]
Verifies examples/EXAMPLE/Dockerfile (every example by default); with --handwritten also each
example's Dockerfile.handwritten (the same app split by hand, to compare sizes with: its
"before" is the hand-written image); --extra adds Dockerfiles or directories (tests/build).
Prints dopt verify's report (markdown: the README's tables)
and exits with its exit code: 0 when every rewrite passes what its original passes, 1 when one
does not, 2 on usage errors.
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
    ap.add_argument("--preset", default="glibc")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--handwritten", action="store_true", help="also verify Dockerfile.handwritten")
    ap.add_argument("--extra", action="append", default=[], help="also verify these paths")
    ap.add_argument("--format", default="markdown", choices=["markdown", "text", "json"])
    ap.add_argument("examples", nargs="*", help="names under examples/ (default: all)")
    a = ap.parse_args()
    examples = a.examples or sorted(d for d in os.listdir(os.path.join(ROOT, "examples"))
                                    if os.path.isfile(os.path.join(ROOT, "examples", d, "Dockerfile")))
    paths = []
    for e in examples:
        paths.append(os.path.join("examples", e, "Dockerfile"))
        if a.handwritten:
            paths.append(os.path.join("examples", e, "Dockerfile.handwritten"))
    paths += a.extra
    cmd = [a.dopt, "verify", "--preset", a.preset, "--probe", "expose", "--format", a.format,
           "--build-flag=--pull=never"]
    if os.access(WRAPPER, os.X_OK):
        cmd.append("--build-flag=--runtime=" + os.path.abspath(WRAPPER))
    if a.unsafe_fixes:
        cmd.append("--unsafe-fixes")
    return subprocess.run(cmd + paths, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
