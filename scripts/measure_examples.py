#!/usr/bin/env python3
"""Build the examples before and after dopt's rewrite, for real, and check the apps still answer.

Needs the image lab of ../shared/tools/image-lab (run its setup.sh first: buildah, podman and
local stand-ins for python:3.11(-slim), node:18(-slim), golang:1.19, eclipse-temurin:17-jdk/-jre,
debian:bookworm-slim).

Usage: scripts/measure_examples.py [--dopt target/release/dopt] [--preset glibc] [--unsafe-fixes]
                                   [--handwritten] [EXAMPLE...]
Prints a Markdown table: example, image size before and after, layers, whether the app answered,
and the user the app runs as after the rewrite (the image's USER and, where the image has `id`,
`podman run IMAGE id -u`); with --handwritten also the size of the example's
Dockerfile.handwritten (the same app split by hand) and the rewrite's size as a fraction of it.
Exit 1 when an app stops answering, an image does not shrink, or the rewrite added a USER and the
app still runs as uid 0.
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
PORTS = {"python": ("PORT", 18000), "node": ("PORT", 13000), "go": ("PORT", 8080), "java": ("PORT", 8080)}


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


def user_of(tag, env, port):
    """(the image's USER, the uid the app runs as, and how it was read): `podman run IMAGE id -u`,
    or, in an image without `id` (scratch, distroless), the Uid line of /proc/PID/status of the
    running app's process."""
    user = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", tag],
                          capture_output=True, text=True).stdout.strip()
    p = subprocess.run(["podman", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
    if p.returncode == 0:
        return user, p.stdout.strip(), "id -u"
    cid = subprocess.run(["podman", "run", "-d", "--rm", "--network", "host", "-e", "%s=%d" % (env, port), tag],
                         capture_output=True, text=True).stdout.strip()
    uid = None
    try:
        time.sleep(1)
        pid = subprocess.run(["podman", "inspect", "--format", "{{.State.Pid}}", cid], capture_output=True, text=True).stdout.strip()
        with open("/proc/%s/status" % pid) as f:
            uid = next((l.split()[1] for l in f if l.startswith("Uid:")), None)
    except (OSError, ValueError):
        pass
    finally:
        if cid:
            subprocess.run(["podman", "rm", "-f", "-t", "2", cid], capture_output=True)
    return user, uid, "the process"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dopt", default=os.path.join(ROOT, "target", "release", "dopt"))
    ap.add_argument("--preset", default="glibc")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--handwritten", action="store_true", help="also build Dockerfile.handwritten")
    ap.add_argument("examples", nargs="*", default=["python", "node", "go", "java"])
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
            builds = [("before", before, "Dockerfile"), ("after", after, "Dockerfile")]
            if a.handwritten:
                builds.append(("hand", before, "Dockerfile.handwritten"))
            for name, d, f in builds:
                m = measure(os.path.join(d, f))
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
            smaller = ma["size_bytes"] < mb["size_bytes"]
            failed |= not (smaller and ab and aa)
            user, uid, how = user_of(ma["tag"], *PORTS.get(ex, ("PORT", 18080)))
            if "\n+USER " in diff and uid in ("0", None):
                failed = True
            runs_as = "`USER %s`, uid %s (%s)" % (user or "", uid, how) if user else "root (no USER)"
            row = "| %s | %.1f MB | %.1f MB | %.2fx | %d → %d | %s |" % (
                ex, mb["size_bytes"] / 1e6, ma["size_bytes"] / 1e6, ma["size_bytes"] / mb["size_bytes"],
                mb["layers"], ma["layers"], "yes" if (ab and aa) else "NO")
            if a.handwritten:
                mh, ah = res.get("hand", ({}, None))
                if mh.get("ok"):
                    row += " %.1f MB (%.2fx) |" % (mh["size_bytes"] / 1e6, ma["size_bytes"] / mh["size_bytes"])
                    failed |= not ah
                else:
                    row += " build failed |"
            row += " %s |" % runs_as
            rows.append(row)
    head = "| example | before | after | after/before | layers | app answers before and after |"
    sep = "| --- | --- | --- | --- | --- | --- |"
    if a.handwritten:
        head += " hand-written (after/hand-written) |"
        sep += " --- |"
    head += " after: runs as |"
    sep += " --- |"
    print(head)
    print(sep)
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
