#!/usr/bin/env python3
"""How dopt's cost grows: generated files of 1k to 64k instructions of each kind
(scripts/gen_dockerfiles.py), the largest file of each kind that --max-file-size (1 MiB) lets
through, and the corpus repeated 1x, 4x and 16x.

    cargo build --release
    python3 scripts/bench_scaling.py [--runs 3] [--corpus ../shared/corpus/files]

Prints Markdown tables: the median wall and CPU time of `dopt --check` and its peak memory.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from benchlib import load, measure, median  # noqa: E402
import gen_dockerfiles  # noqa: E402


def run(cmd, runs):
    rs = [measure(cmd) for _ in range(runs)]
    for r in rs:
        if r[3] not in (0, 1):
            sys.exit(f"{' '.join(cmd[:4])}... exited {r[3]}")
    return median([r[0] for r in rs]), median([r[1] for r in rs]), max(r[2] for r in rs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dopt", default=os.path.join(here, "../target/release/dopt"))
    ap.add_argument("--corpus", default=os.path.join(here, "../../shared/corpus/files"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="1000,4000,16000,64000")
    ap.add_argument("--kinds", default=",".join(gen_dockerfiles.KINDS))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dopt-scaling-")
    try:
        print(f"load average {load():.1f}\n")
        sizes = [int(x) for x in a.sizes.split(",")]
        print("`dopt --check` on one generated file (median of %d; wall / CPU, peak memory):\n" % a.runs)
        print("| kind | " + " | ".join(f"{n:,} instructions" for n in sizes) + " | largest under 1 MiB |")
        print("| --- |" + " --- |" * (len(sizes) + 1))
        for k in a.kinds.split(","):
            cells = []
            for n in sizes:
                p = os.path.join(tmp, f"{k}-{n}.Dockerfile")
                with open(p, "w") as f:
                    f.write(gen_dockerfiles.gen(k, n))
                w, c, m = run([a.dopt, "--check", "--quiet", "--max-file-size", "100000000", p], a.runs)
                cells.append(f"{w:.3f} / {c:.3f} s, {m:.0f} MB")
            subprocess.run([sys.executable, os.path.join(here, "gen_dockerfiles.py"), tmp, "--bytes", "1048576", "--kinds", k], check=True)
            p = os.path.join(tmp, f"{k}-max.Dockerfile")
            n = sum(1 for line in open(p) if line[:1].isupper() and not line.startswith(("EOF",)))
            w, c, m = run([a.dopt, "--check", "--quiet", p], a.runs)
            cells.append(f"{w:.3f} / {c:.3f} s, {m:.0f} MB ({os.path.getsize(p) // 1024} KiB)")
            print(f"| {k} | " + " | ".join(cells) + " |")
        if os.path.isdir(a.corpus):
            files = sorted(os.listdir(a.corpus))
            print(f"\n`dopt --check DIR` on the corpus ({len(files)} files) repeated (median of {a.runs}):\n")
            print("| copies | files | wall | CPU | peak memory |")
            print("| --- | --- | --- | --- | --- |")
            for x in (1, 4, 16):
                d = os.path.join(tmp, f"corpus-x{x}")
                for c in range(x):
                    sub = os.path.join(d, f"copy{c}")
                    os.makedirs(sub)
                    for f in files:
                        shutil.copyfile(os.path.join(a.corpus, f), os.path.join(sub, f + ".Dockerfile"))
                w, c, m = run([a.dopt, "--check", "--quiet", d], a.runs)
                print(f"| {x} | {x * len(files)} | {w:.3f} s | {c:.3f} s | {m:.1f} MB |")
                shutil.rmtree(d)
        print(f"\nload average {load():.1f}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
