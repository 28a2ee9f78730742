#!/usr/bin/env python3
"""Benchmark: one compile with K `-I` options, side by side for several K.

For each K, a project of one translation unit is generated whose only compile reads K include
directories through a response file (`cc -c a.c -o a.o @incs.rsp`; a make recipe cannot hold
40,000 words, which exceed the kernel's limit on one argument): K-1 directories that do not
exist, then the one that holds the header the source includes. `confess make` confesses it and
its `build phase` is read from stderr. The shim's work must be linear in its arguments: the
build phase for 4K is about four times the one for K (less, since make and the session cost the
same for every K), never sixteen. With --reps R the median of R runs is reported.

    python3 bench/wide_args.py                       # K = 10000 40000
    python3 bench/wide_args.py --ks 10000 20000 40000 --reps 3
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import BUILD_PHASE, clean_env, default_confess, timing_args  # noqa: E402


def project(k, d):
    os.makedirs(os.path.join(d, "inc", "last"))
    with open(os.path.join(d, "inc", "last", "deep.h"), "w") as fh:
        fh.write("#define DEEP 1\n")
    with open(os.path.join(d, "a.c"), "w") as fh:
        fh.write("#include <stdio.h>\n#include <deep.h>\nint a = DEEP;\n")
    with open(os.path.join(d, "incs.rsp"), "w") as fh:
        fh.write("".join(f"-Inone/d{i}\n" for i in range(k - 1)))
        fh.write("-Iinc/last\n")
    with open(os.path.join(d, "Makefile"), "w") as fh:
        fh.write("a.o: a.c\n\t$(CC) -c a.c -o a.o @incs.rsp\n")


def build_phase(confess, src, out):
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([confess, "make", src, "--out", out, "--quiet"] + timing_args(confess), env=clean_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: error: confess make exited with {p.returncode}:\n{p.stderr[-3000:]}")
    m = BUILD_PHASE.search(p.stderr)
    if not m:
        sys.exit(f"bench: error: no `build phase: X.XXXs` line on stderr:\n{p.stderr[-3000:]}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ks", nargs="+", type=int, default=[10000, 40000],
                    help="numbers of -I options (default: 10000 40000)")
    ap.add_argument("--reps", type=int, default=1, help="repetitions; the median is reported")
    ap.add_argument("--confess", default=default_confess(), help="the confess binary")
    a = ap.parse_args()
    confess = os.path.abspath(a.confess)
    if not os.access(confess, os.X_OK):
        sys.exit(f"bench: error: {confess} is not executable; build it (`cargo build --release`)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="confess-bench-wide-") as work:
        for k in a.ks:
            src = os.path.join(work, f"k{k}")
            project(k, src)
            times = [build_phase(confess, src, os.path.join(work, "out")) for _ in range(a.reps)]
            rows.append((k, statistics.median(times)))
            print(f"bench: K={k}: build phase {rows[-1][1]:.3f}s", file=sys.stderr, flush=True)
    k0, t0 = rows[0]
    print(f"{'-I options':>10}  {'build s':>8}  {'vs first':>8}  {'linear':>7}")
    for k, t in rows:
        print(f"{k:>10}  {t:>8.3f}  {t / t0:>7.2f}x  {k / k0:>6.2f}x")


if __name__ == "__main__":
    main()
