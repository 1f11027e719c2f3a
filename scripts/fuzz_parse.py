#!/usr/bin/env python3
"""Differential fuzzing of dopt's parser against BuildKit's (the PyPI package `dockerfile`).

Builds random Dockerfiles from awkward fragments and random characters, parses each with both,
and stops at the first disagreement, printing the file. Uses the comparison of
../shared/tools/parse_compare.py.

With --rewrite, it also rewrites each file BuildKit accepts with `dopt --write --unsafe-fixes`
and stops when the output no longer parses under BuildKit, or a second run changes it.

Usage: scripts/fuzz_parse.py [--dopt target/release/dopt] [--seconds 60] [--seed N] [--rewrite]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "tools"))
import parse_compare  # noqa: E402

try:
    import corpus_eval  # noqa: E402  (hadolint with its heredoc workaround)
except SystemExit:
    corpus_eval = None

RULE_FRAGS = [
    "FROM python:3.11", "FROM node:18", "FROM debian:12", "FROM alpine:3.19", "FROM centos:7", "RUN pip install flask",
    "RUN apt-get update", "RUN apt-get install curl", "RUN apt update && apt install -y git", "RUN apk update && apk add bash",
    "RUN npm install", "RUN yarn install", "RUN yum install -y httpd", "RUN dnf install x", "RUN gem install rails",
    "ADD . /app", "ADD a.tar.gz /", "CMD python app.py", "ENTRYPOINT node server.js", "HEALTHCHECK CMD curl -f http://x/",
    "RUN cd /x && make", "RUN set -e; a; b", "RUN a || b", "RUN echo $HOME", "  && apt-get install -y vim \\", "    curl",
    "RUN <<EOF", "apt-get install -y wget", "pip install x", "EOF", "SHELL [\"/bin/bash\", \"-c\"]", "WORKDIR /app",
    "ENV DEBIAN_FRONTEND=noninteractive", "USER app", "ONBUILD RUN npm install", "RUN sh -c 'pip install y'",
]

FRAGS = [
    "FROM a", "from a as b", "RUN a", "run a", "RUN a \\", "RUN a\\", "RUN a \\\\", "RUN a\\\\\\", "\\", " \\", "  b", "  # c",
    "#c", "# escape=`", "# escape=\\", "# syntax=x", "#ESCAPE = `", "RUN a `", "`", "", "   ", "\t",
    "RUN <<EOF", "RUN <<-EOF", "RUN <<'EOF'", 'RUN <<"EOF" cat', "RUN cat <<EOF >x", "RUN 3<<EOF", "COPY <<A <<B /x",
    "EOF", "\tEOF", "A", "B", "RUN echo <<EOF", "RUN echo '<<EOF'", "RUN echo \"a <<EOF", "RUN ${x:-<<EOF}", "RUN $x <<EOF",
    "CMD [\"a\"]", "CMD [\"a\", \"b\"", "CMD []", "CMD [ ]x", "ENTRYPOINT ['a']", "SHELL [\"a\",\"b\"]", "RUN [\"a\\u00e9\"]",
    "ENV a b", "ENV a=b c=d", "ENV a=\"b c\" d=e\\ f", "LABEL \"a\"=b", "ARG a", "ARG a=b c", "ENV a=", "LABEL a b c",
    "EXPOSE 1 2", "FROM --platform=x a", "RUN --mount=type=cache,target=/x a", "RUN --a --b=\"c d\" -- e", "COPY --from=a b c",
    "RUN --x", "RUN --", "RUN -- x", "HEALTHCHECK NONE", "HEALTHCHECK CMD a", "HEALTHCHECK --i=1 CMD [\"a\"]", "HEALTHCHECK",
    "ONBUILD RUN a", "ONBUILD", "ONBUILD COPY [\"a\",\"b\"]", "ONBUILD RUN <<EOF", "MAINTAINER a  b ", "USER", "WORKDIR  /x ",
    "FOO bar", "é", "RUN é\u00a0x", "STOPSIGNAL 9", "VOLUME [\"/a\"]", "VOLUME /a /b", "ADD a b", "ADD [\"a\", \"b\"]",
]


def rand_line(r, rewrite=False):
    if rewrite and r.random() < 0.6:
        return r.choice(RULE_FRAGS)
    if r.random() < 0.85:
        return r.choice(FRAGS)
    alphabet = "ab \t\\`#<>-=\"'${}[],EOF\u00e9"
    return "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))


def rand_doc(r, rewrite=False):
    eol = r.choice(["\n", "\n", "\r\n"])
    lines = [rand_line(r, rewrite) for _ in range(r.randint(0, 12))]
    s = eol.join(lines)
    if r.random() < 0.7:
        s += eol
    if r.random() < 0.1:
        s = "\ufeff" + s
    return s


def buildkit(text):
    """parse_compare.buildkit, but keeping instructions whose keyword is empty (a lone
    continuation at the end of a file), which it cannot lower-case."""
    try:
        cmds = parse_compare.dockerfile.parse_string(text)
    except Exception:
        return None
    out = []
    for c in cmds:
        out.append(parse_compare.normalise({
            "cmd": c.cmd or "", "sub_cmd": c.sub_cmd, "json": bool(c.json), "start_line": c.start_line,
            "end_line": c.end_line, "flags": list(c.flags), "value": list(c.value),
            "heredocs": [{"name": h.name, "content": h.content} for h in c.heredocs]}, False))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dopt", default="target/release/dopt")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rewrite", action="store_true", help="also check dopt's rewrites")
    ap.add_argument("--hadolint", action="store_true", help="with --rewrite: safe rewrites add no hadolint finding")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    r = random.Random(seed)
    end = time.time() + a.seconds
    n = rewritten = changed = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "Dockerfile")
        while time.time() < end:
            text = rand_doc(r, a.rewrite)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            n += 1
            theirs = buildkit(text)
            p = subprocess.run([a.dopt, "parse", "--json", path], capture_output=True, text=True)
            ours = [parse_compare.normalise(x, True) for x in json.loads(p.stdout)] if p.returncode == 0 else None
            if ours != theirs:
                print("DISAGREE (seed %d, case %d)\n%r\n--- dopt:\n%s\n--- buildkit:\n%s" % (seed, n, text, ours or p.stderr, theirs))
                return 1
            if a.rewrite and theirs is not None:
                args = [a.dopt, "--write", "--unsafe-fixes", "-", "--stdin-filename", path]
                w = subprocess.run(args, input=text, capture_output=True, text=True)
                again = subprocess.run(args, input=w.stdout, capture_output=True, text=True)
                problem = None
                if w.returncode != 0:
                    problem = "dopt exit %d: %s" % (w.returncode, w.stderr.strip()[:300])
                elif buildkit(w.stdout) is None:
                    problem = "the rewrite does not parse under BuildKit"
                elif again.stdout != w.stdout:
                    problem = "a second run changed the rewrite"
                elif a.hadolint and corpus_eval is not None:
                    safe = subprocess.run(args[:2] + args[3:], input=text, capture_output=True, text=True).stdout
                    if safe != text:
                        hb, ha = corpus_eval.hadolint(text), corpus_eval.hadolint(safe)
                        grew = {c: ha[c] - hb[c] for c in ha if ha[c] > hb[c]}
                        # where shellcheck cannot parse a RUN (SC10xx), or hadolint a file (DL1000) it
                        # already could not parse or whose escape directive it does not know in that
                        # spelling (`#ESCAPE = \``), other findings come and go
                        odd_escape = re.match(r"(?i)\ufeff?#\s*escape\s*=", text) and not re.match(r"\ufeff?# ?escape=", text)
                        unparsed = any(c.startswith("SC10") for c in list(hb) + list(ha)) or "DL1000" in hb or ("DL1000" in ha and odd_escape)
                        if grew and not unparsed:
                            problem = "the safe rewrite adds hadolint findings %s:\n%s" % (grew, safe)
                rewritten += 1
                changed += w.stdout != text
                if problem:
                    print("REWRITE (seed %d, case %d): %s\n%r\n--- rewrite:\n%s" % (seed, n, problem, text, w.stdout))
                    return 1
    extra = ", %d rewritten (%d changed), all parse and are stable" % (rewritten, changed) if a.rewrite else ""
    print("fuzz_parse: %d random files, all agree%s (seed %d)" % (n, extra, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
