#!/usr/bin/env python3
"""Build the examples before and after dopt's rewrite, for real, and check the apps still answer.

Needs the image lab of ../shared/tools/image-lab (run its setup.sh first: buildah, podman and
local stand-ins for python:3.11, python:3.11-slim-bookworm, node:18, node:18-slim).

Usage: scripts/measure_examples.py [--dopt target/release/dopt] [--preset glibc] [--unsafe-fixes] [EXAMPLE...]
Prints a Markdown table: example, image size before and after, layers, whether the app answered,
and the user the app runs as after the rewrite (the image's USER and, where the image has `id`,
`podman run IMAGE id -u`). Exit 1 when an app stops answering, when the image grows, or when the
rewrite added a USER and the app still runs as uid 0.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MEASURE = os.path.join(ROOT, "..", "shared", "tools", "image-lab", "measure.py")
PORTS = {"python": ("PORT", 18000), "node": ("PORT", 13000), "go": ("PORT", 8080)}


def measure(dockerfile):
    p = subprocess.run([sys.executable, MEASURE, dockerfile], capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"ok": False, "log_tail": p.stdout[-2000:] + p.stderr[-2000:]}


def answers(tag, env, port):
    cid = subprocess.run(["podman", "run", "-d", "--rm", "--network", "host", "-e", "%s=%d" % (env, port), tag],
                         capture_output=True, text=True).stdout.strip()
    body = None
    try:
        for _ in range(30):
            time.sleep(0.5)
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                continue
    finally:
        if cid:
            subprocess.run(["podman", "rm", "-f", "-t", "2", cid], capture_output=True)
    return body


def user_of(tag):
    """(the image's USER, the uid `id -u` prints in it or None when the image has no `id`)."""
    user = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", tag],
                          capture_output=True, text=True).stdout.strip()
    p = subprocess.run(["podman", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
    uid = p.stdout.strip() if p.returncode == 0 else None
    return user, uid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dopt", default=os.path.join(ROOT, "target", "release", "dopt"))
    ap.add_argument("--preset", default="glibc")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("examples", nargs="*", default=["python", "node"])
    a = ap.parse_args()
    rows = []
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for ex in a.examples:
            src = os.path.join(ROOT, "examples", ex)
            before, after = os.path.join(tmp, ex + "-before"), os.path.join(tmp, ex + "-after")
            shutil.copytree(src, before)
            shutil.copytree(src, after)
            args = [a.dopt, "--write", "--preset", a.preset] + (["--unsafe-fixes"] if a.unsafe_fixes else [])
            subprocess.run(args + [os.path.join(after, "Dockerfile")], check=True, capture_output=True)
            diff = subprocess.run(["diff", "-u", os.path.join(before, "Dockerfile"), os.path.join(after, "Dockerfile")],
                                  capture_output=True, text=True).stdout
            print("## %s: the rewrite\n%s" % (ex, diff), file=sys.stderr)
            res = {}
            for name, d in (("before", before), ("after", after)):
                m = measure(os.path.join(d, "Dockerfile"))
                if not m.get("ok"):
                    print("build failed (%s %s):\n%s" % (ex, name, m.get("log_tail")), file=sys.stderr)
                    failed = True
                    res[name] = (m, None)
                    continue
                env, port = PORTS.get(ex, ("PORT", 18080))
                res[name] = (m, answers(m["tag"], env, port))
            (mb, ab), (ma, aa) = res["before"], res["after"]
            if not (mb.get("ok") and ma.get("ok")):
                continue
            # not larger: a rewrite that keeps the base (the Go example until its build is split
            # into stages) keeps the size, give or take a few bytes
            not_larger = ma["size_bytes"] <= mb["size_bytes"] * 1.001
            failed |= not (not_larger and ab and aa)
            user, uid = user_of(ma["tag"])
            if "\n+USER " in diff and uid == "0":
                failed = True
            runs_as = "`%s`, uid %s" % (user, uid if uid is not None else "(no `id` in the image)") if user else "root (no USER)"
            rows.append("| %s | %.0f MB | %.0f MB | %+.0f%% | %d → %d | %s | %s |" % (
                ex, mb["size_bytes"] / 1e6, ma["size_bytes"] / 1e6, -100.0 * (1 - ma["size_bytes"] / mb["size_bytes"]) + 0.0,
                mb["layers"], ma["layers"], "yes" if (ab and aa) else "NO", runs_as))
    print("| example | before | after | saved | layers | app answers before and after | after: runs as |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
