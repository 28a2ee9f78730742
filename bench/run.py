#!/usr/bin/env python3
"""Benchmark: the confess build phase against the build system's own traversal and the real build.

For each size N, generates a synthetic plain-Make project (gen_make_project.py) and measures, side
by side in one run, each on a fresh copy of the tree:

  floor    make -jJ CC=true AR=true: the build system's traversal with every tool a no-op
  confess  confess make SRC -jJ: its build phase (as it reports it) and its total time
  real     make -jJ: the real build (skipped above N=2000 unless --real-all)

and prints the ratios: confess build phase / floor, real / confess build phase, the shim's
cost per tool call ((confess build phase - floor) / calls), and the peak memory of the confess
process (its own VmHWM, which it reports), in MiB.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, cwd, env=None):
    t = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed in {cwd}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return dt, p


def fresh_copy(src, work, name):
    dst = os.path.join(work, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--confess", default=os.path.join(HERE, "..", "target", "release", "confess"))
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--real-all", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    confess = os.path.abspath(a.confess)
    if not os.path.exists(confess):
        sys.exit(f"bench: {confess} does not exist: run `cargo build --release` first")
    rows = []
    with tempfile.TemporaryDirectory(prefix="confess-bench-") as work:
        for n in a.sizes:
            proj = os.path.join(work, f"gen-{n}")
            calls = int(subprocess.check_output([sys.executable, os.path.join(HERE, "gen_make_project.py"), str(n), proj], text=True))
            floor, cbuild, ctotal, real, rss = [], [], [], [], []
            for _ in range(a.reps):
                d = fresh_copy(proj, work, "floor")
                dt, _ = timed(["make", f"-j{a.jobs}", "CC=true", "AR=true"], d)
                floor.append(dt)
                out = os.path.join(work, "out")
                shutil.rmtree(out, ignore_errors=True)
                dt, p = timed([confess, "make", proj, f"-j{a.jobs}", "--quiet", "--out", out], work)
                m = re.search(r"build phase: ([0-9.]+)s", p.stderr)
                mem = re.search(r"peak memory: ([0-9]+) KiB", p.stderr)
                if not m:
                    sys.exit(f"bench: confess printed no build-phase time:\n{p.stderr}")
                cbuild.append(float(m.group(1)))
                ctotal.append(dt)
                rss.append(int(mem.group(1)) / 1024 if mem else float("nan"))
                if not a.no_real and (n <= 2000 or a.real_all):
                    d = fresh_copy(proj, work, "real")
                    dt, _ = timed(["make", f"-j{a.jobs}"], d)
                    real.append(dt)
            med = lambda v: statistics.median(v) if v else float("nan")
            row = {
                "n": n, "calls": calls, "floor_s": med(floor), "confess_build_s": med(cbuild),
                "confess_total_s": med(ctotal), "real_s": med(real), "confess_peak_mib": med(rss),
            }
            row["confess_over_floor"] = row["confess_build_s"] / row["floor_s"]
            row["real_over_confess"] = row["real_s"] / row["confess_build_s"]
            row["shim_ms_per_call"] = 1000 * (row["confess_build_s"] - row["floor_s"]) / calls
            rows.append(row)
            print_row(row, header=len(rows) == 1)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"jobs": a.jobs, "reps": a.reps, "rows": rows}, fh, indent=2)


def print_row(r, header):
    cols = ["N", "calls", "floor s", "confess build s", "confess total s", "real s",
            "confess/floor", "real/confess", "shim ms/call", "peak MiB"]
    if header:
        print(" | ".join(cols))
    vals = [r["n"], r["calls"], f'{r["floor_s"]:.2f}', f'{r["confess_build_s"]:.2f}', f'{r["confess_total_s"]:.2f}',
            f'{r["real_s"]:.2f}', f'{r["confess_over_floor"]:.2f}x', f'{r["real_over_confess"]:.1f}x',
            f'{r["shim_ms_per_call"]:.2f}', f'{r["confess_peak_mib"]:.1f}']
    print(" | ".join(str(v) for v in vals), flush=True)


if __name__ == "__main__":
    main()
