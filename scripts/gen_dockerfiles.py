#!/usr/bin/env python3
"""Generated Dockerfiles for the scaling benchmark and for hunting superlinear cost.

    python3 scripts/gen_dockerfiles.py OUTDIR [--sizes 1000,4000,16000,64000]
    python3 scripts/gen_dockerfiles.py OUTDIR --bytes 1048576   # the largest of each kind dopt reads

writes OUTDIR/<kind>-<n>.Dockerfile for each kind below, with n instructions each:
  runs      consecutive `RUN echo hi` (DP201 merges them all into one)
  apt       `RUN apt-get install curl` lines (every package rule looks at each)
  pip       `RUN pip install flask` (DP101 fixes each; DP201 merges)
  mixed     RUN / ENV / COPY / ADD / WORKDIR / ARG in turn (nothing merges)
  stages    a new `FROM python:3.11 AS sN` stage every 4 instructions, `COPY --from` the previous
  comments  RUNs with a comment line between each
  cont      one RUN with n continuation lines (`&& echo i \\`)
  heredoc   RUN heredocs of 3 lines each
  pkgs      RUNs of other package managers in turn (gem, dnf, apk, npm, yarn, zypper)
"""
import argparse
import os


def gen(kind, n):
    out = ["FROM python:3.11\n"]
    if kind == "runs":
        out += ["RUN echo hi\n"] * n
    elif kind == "apt":
        out += ["RUN apt-get update && apt-get install curl\n"] * n
    elif kind == "pip":
        out += [f"RUN pip install flask=={i}\n" for i in range(n)]
    elif kind == "mixed":
        kinds = ["RUN echo {i}\n", "ENV V{i}=x\n", "COPY a{i} /a{i}\n", "ADD b{i}.txt /b\n", "WORKDIR /w{i}\n", "ARG A{i}=1\n"]
        out += [kinds[i % len(kinds)].format(i=i) for i in range(n)]
    elif kind == "stages":
        for i in range(n):
            if i % 4 == 0 and i:
                out.append(f"FROM python:3.11 AS s{i}\n")
                out.append(f"COPY --from=s{i - 4 if i >= 8 else 0} /a /a\n" if i >= 8 else "COPY a /a\n")
            else:
                out.append(f"RUN pip install p{i}\n")
    elif kind == "comments":
        for i in range(n):
            out.append(f"# step {i}\nRUN echo {i}\n")
    elif kind == "cont":
        out.append("RUN echo 0 \\\n")
        out += [f"    && echo {i} \\\n" for i in range(1, n)]
        out.append("    && true\n")
    elif kind == "heredoc":
        out += [f"RUN <<EOF\necho {i}\napt-get install -y x\nEOF\n" for i in range(n)]
    elif kind == "pkgs":
        cmds = ["gem install g{i}", "dnf install -y d{i}", "apk add a{i}", "npm install n{i}", "yarn add y{i}", "zypper install z{i}"]
        out += [f"RUN {cmds[i % len(cmds)].format(i=i)}\n" for i in range(n)]
    else:
        raise SystemExit(f"unknown kind {kind}")
    return "".join(out)


KINDS = ["runs", "apt", "pip", "mixed", "stages", "comments", "cont", "heredoc", "pkgs"]

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--sizes", default="1000,4000,16000,64000")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--bytes", type=int, default=0,
                    help="instead of --sizes: for each kind, the most instructions that fit in this many bytes (<kind>-max.Dockerfile)")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    if a.bytes:
        for k in a.kinds.split(","):
            per = len(gen(k, 1000)) / 1000
            n = int(a.bytes / per)
            while len(gen(k, n)) > a.bytes:
                n -= max(1, n // 1000)
            with open(os.path.join(a.outdir, f"{k}-max.Dockerfile"), "w") as f:
                f.write(gen(k, n))
        raise SystemExit(0)
    for k in a.kinds.split(","):
        for n in [int(x) for x in a.sizes.split(",")]:
            with open(os.path.join(a.outdir, f"{k}-{n}.Dockerfile"), "w") as f:
                f.write(gen(k, n))
