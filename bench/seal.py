#!/usr/bin/env python3
"""What the seal costs on a real project: `confess DRIVER SRC` sealed and with
CONFESS_UNSEALED=1, alternated in one run (REPS times each), the build phase (the
`build phase: X.XXXs` line) and the whole command's wall time; medians and their ratios.

  python3 bench/seal.py [--reps N] [--confess BIN] DRIVER SRC [-- DRIVER ARGS...]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import timing_args  # noqa: E402

BUILD_PHASE = re.compile(r"^build phase: ([0-9.]+)s$", re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--confess", default=os.path.join(HERE, "..", "target", "x86_64-unknown-linux-gnu", "release", "confess"))
    ap.add_argument("driver")
    ap.add_argument("src")
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    rest = a.rest[1:] if a.rest[:1] == ["--"] else a.rest
    runs = {"sealed": [], "unsealed": []}
    with tempfile.TemporaryDirectory() as work:
        for rep in range(a.reps):
            for label in ("sealed", "unsealed"):
                env = dict(os.environ)
                env.pop("CONFESS_UNSEALED", None)
                if label == "unsealed":
                    env["CONFESS_UNSEALED"] = "1"
                out = os.path.join(work, "out")
                shutil.rmtree(out, ignore_errors=True)
                cmd = [a.confess, a.driver, a.src, "--out", out, "--quiet"] + timing_args(a.confess) + (["--"] + rest if rest else [])
                t = time.perf_counter()
                p = subprocess.run(cmd, env=env, capture_output=True, text=True)
                wall = time.perf_counter() - t
                if p.returncode != 0:
                    sys.exit(f"seal bench: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-3000:]}")
                m = BUILD_PHASE.search(p.stderr)
                runs[label].append((float(m.group(1)) if m else float("nan"), wall))
                print(f"rep {rep + 1} {label}: build phase {runs[label][-1][0]:.3f}s, total {wall:.3f}s", file=sys.stderr)
    med = {k: (statistics.median(b for b, _ in v), statistics.median(w for _, w in v)) for k, v in runs.items()}
    print(f"| project | sealed build s | unsealed build s | sealed/unsealed build | sealed total s | unsealed total s | sealed/unsealed total |")
    print(f"| --- | --- | --- | --- | --- | --- | --- |")
    s, u = med["sealed"], med["unsealed"]
    print(f"| {a.driver} {os.path.basename(os.path.abspath(a.src))} | {s[0]:.3f} | {u[0]:.3f} | {s[0] / u[0]:.2f}x | {s[1]:.3f} | {u[1]:.3f} | {s[1] / u[1]:.2f}x |")


if __name__ == "__main__":
    main()
