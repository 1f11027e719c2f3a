#!/usr/bin/env python3
"""Differential fuzzing of dopt's parser against BuildKit's (the PyPI package `dockerfile`).

Builds random Dockerfiles from awkward fragments and random characters, parses each with both,
and stops at the first disagreement, printing the file. Uses the comparison of
../shared/tools/parse_compare.py.

Usage: scripts/fuzz_parse.py [--dopt target/release/dopt] [--seconds 60] [--seed N]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "tools"))
import parse_compare  # noqa: E402

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


def rand_line(r):
    if r.random() < 0.85:
        return r.choice(FRAGS)
    alphabet = "ab \t\\`#<>-=\"'${}[],EOF\u00e9"
    return "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))


def rand_doc(r):
    eol = r.choice(["\n", "\n", "\r\n"])
    lines = [rand_line(r) for _ in range(r.randint(0, 12))]
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
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    r = random.Random(seed)
    end = time.time() + a.seconds
    n = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "Dockerfile")
        while time.time() < end:
            text = rand_doc(r)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            n += 1
            theirs = buildkit(text)
            p = subprocess.run([a.dopt, "parse", "--json", path], capture_output=True, text=True)
            ours = [parse_compare.normalise(x, True) for x in json.loads(p.stdout)] if p.returncode == 0 else None
            if ours != theirs:
                print("DISAGREE (seed %d, case %d)\n%r\n--- dopt:\n%s\n--- buildkit:\n%s" % (seed, n, text, ours or p.stderr, theirs))
                return 1
    print("fuzz_parse: %d random files, all agree (seed %d)" % (n, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
