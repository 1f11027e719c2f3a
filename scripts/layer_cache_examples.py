#!/usr/bin/env python3
"""Build the examples before and after dopt's rewrite, change a source file, build again, and
show from the build log whether the dependency install ran again (the layer cache), whether the
rewritten app still answers, and the uid it runs as.

Needs the image lab of ../shared/tools/image-lab (run its setup.sh first: buildah, podman and
local stand-ins for the Docker Hub base images).

Usage: scripts/layer_cache_examples.py [--dopt target/release/dopt] [--preset glibc]
                                       [--safe-only] [--log DIR] [EXAMPLE...]
Prints a Markdown table; exit 1 when a rewritten example does not build or answer, or its
install step ran again after a source-only change.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WRAPPER = os.path.join(ROOT, "..", "shared", "tools", "image-lab", "ca-runtime-wrapper")
# example: (source file to touch, env var for the port, port)
EXAMPLES = {
    "python": ("app.py", "PORT", 18000),
    "node": ("server.js", "PORT", 13000),
    "go": ("main.go", None, 8080),
    "java": ("src/main/java/example/Main.java", None, 8080),
}
INSTALL = re.compile(r"\b(pip3? install|npm (ci|install)|yarn install|pnpm install|go mod download|mvn [^&]*dependency:go-offline|bundle install|composer install)")


def build(ctx, tag, log):
    cmd = ["buildah", "bud", "--layers", "--pull=never", "-f", os.path.join(ctx, "Dockerfile"), "-t", tag]
    if os.access(WRAPPER, os.X_OK):
        cmd += ["--runtime", WRAPPER]
    p = subprocess.run(cmd + [ctx], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "w") as f:
        f.write(p.stdout)
    return p.returncode == 0, p.stdout


def steps(log):
    """[(step text, cached)] from a `buildah bud --layers` log."""
    out = []
    for line in log.splitlines():
        # `STEP 3/9: RUN ...`, or `[1/2] STEP 3/9: RUN ...` in a multi-stage build
        if re.match(r"(\[\d+/\d+\] )?STEP \d+/\d+: ", line):
            out.append([line.split(": ", 1)[-1], False])
        elif line.startswith("--> Using cache") and out:
            out[-1][1] = True
    return out


def install_reran(log):
    """Whether a dependency install step ran (was not taken from the cache), and the step;
    None when the Dockerfile has none."""
    found = None
    for text, cached in steps(log):
        if text.startswith("RUN") and INSTALL.search(text):
            if not cached:
                return True, text
            found = False
    return found, None


def answers(tag, env, port):
    args = ["podman", "run", "-d", "--rm", "--network", "host"]
    if env:
        args += ["-e", "%s=%d" % (env, port)]
    cid = subprocess.run(args + [tag], capture_output=True, text=True).stdout.strip()
    try:
        for _ in range(40):
            time.sleep(0.5)
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2) as r:
                    return r.read().decode()[:60]
            except OSError:
                continue
    finally:
        if cid:
            subprocess.run(["podman", "rm", "-f", "-t", "2", cid], capture_output=True)
    return None


def uid(tag):
    """`id -u` in the image; the configured USER where the image has no `id` (scratch)."""
    p = subprocess.run(["podman", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
    if p.returncode == 0 and p.stdout.strip():
        return p.stdout.strip()
    u = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", tag], capture_output=True, text=True).stdout.strip()
    return "USER %s (no `id` in the image)" % (u or "root")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dopt", default=os.path.join(ROOT, "target", "release", "dopt"))
    ap.add_argument("--preset", default="glibc")
    ap.add_argument("--safe-only", action="store_true", help="rewrite without --unsafe-fixes")
    ap.add_argument("--log", default=None, help="keep the build logs here")
    ap.add_argument("examples", nargs="*", default=list(EXAMPLES))
    a = ap.parse_args()
    rows, failed = [], False
    with tempfile.TemporaryDirectory() as tmp:
        logs = a.log or tmp
        os.makedirs(logs, exist_ok=True)
        for ex in a.examples:
            touch, env, port = EXAMPLES[ex]
            res = {}
            for name in ("before", "after"):
                d = os.path.join(tmp, "%s-%s" % (ex, name))
                shutil.copytree(os.path.join(ROOT, "examples", ex), d)
                if name == "after":
                    args = [a.dopt, "--write", "--preset", a.preset] + ([] if a.safe_only else ["--unsafe-fixes"])
                    subprocess.run(args + [os.path.join(d, "Dockerfile")], capture_output=True)
                    diff = subprocess.run(["diff", "-u", os.path.join(tmp, ex + "-before", "Dockerfile"), os.path.join(d, "Dockerfile")],
                                          capture_output=True, text=True).stdout
                    created = [f for f in os.listdir(d) if f not in os.listdir(os.path.join(ROOT, "examples", ex))]
                    print("## %s: the rewrite (new files: %s)\n%s" % (ex, ", ".join(created) or "none", diff), file=sys.stderr)
                tag = "localhost/dopt-cache/%s-%s" % (ex, name)
                ok, log1 = build(d, tag, os.path.join(logs, "%s-%s-1.log" % (ex, name)))
                if not ok:
                    missing = re.search(r"FROM ([^\n]*)\n(Error|error)[^\n]*image not known", log1)
                    res[name] = "missing: " + missing.group(1) if missing else None
                    print("%s %s: build failed (log in %s)" % (ex, name, logs), file=sys.stderr)
                    continue
                # a change no earlier run made, so that no layer of an earlier run matches it
                mark = "a source-only change %.6f" % time.time()
                with open(os.path.join(d, touch), "a") as f:
                    f.write("\n# %s\n" % mark if touch.endswith(".py") else "\n// %s\n" % mark)
                ok2, log2 = build(d, tag, os.path.join(logs, "%s-%s-2.log" % (ex, name)))
                reran, step = install_reran(log2) if ok2 else (None, None)
                body = answers(tag, env, port) if ok2 else None
                res[name] = (reran, step, body, uid(tag) if ok2 else "?")
                subprocess.run(["podman", "rmi", "-f", tag], capture_output=True)
            b, af = res.get("before"), res.get("after")
            if isinstance(b, str) and isinstance(af, str):
                rows.append("| %s | not built: the lab has no `%s` | - | - | - |" % (ex, b.split(": ", 1)[1]))
                continue
            if af is None or isinstance(af, str):
                failed = True
                rows.append("| %s | %s | build failed | - | - |" % (ex, "reran" if b and b[0] else "-"))
                continue
            failed |= bool(af[0]) or not af[2]
            word = lambda r: "no install step" if r is None else ("ran again" if r else "cached")
            rows.append("| %s | %s | %s | %s | %s |" % (
                ex,
                "n/a (build failed)" if b is None or isinstance(b, str) else word(b[0]),
                "ran again: `%s`" % af[1] if af[0] else word(af[0]),
                "yes" if af[2] else "NO",
                af[3]))
    print("| example | install step after a source change, before the rewrite | after the rewrite | rewritten app answers | uid |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
