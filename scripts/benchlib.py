"""Running a command and measuring it: wall time, CPU time and peak memory of that process
alone, for the benchmark scripts.

Peak memory comes from GNU time (`/usr/bin/time -f %M`): a child that Python starts directly
shares Python's memory until it execs, and the kernel counts that as the child's peak."""
import os
import statistics
import subprocess
import tempfile
import time

GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def measure(cmd, cwd=None):
    """Runs cmd with its output discarded; returns (wall s, cpu s, peak RSS MB, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        full = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name] + list(cmd) if GNU_TIME else list(cmd)
        t0 = time.perf_counter()
        p = subprocess.Popen(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        peak = ru.ru_maxrss / 1024
        if GNU_TIME:
            lines = [x for x in rss.read().split() if x.isdigit()]
            peak = int(lines[-1]) / 1024 if lines else float("nan")
    return wall, ru.ru_utime + ru.ru_stime, peak, code


def median(xs):
    return statistics.median(xs)


def load():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
