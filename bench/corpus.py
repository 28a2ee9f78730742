#!/usr/bin/env python3
"""Benchmark on the real-world corpus: confess side by side with each project's plain build.

    python3 bench/corpus.py [--confess BIN] [-j J] [--only NAME,...] [--json FILE]

For each project (Debian source packages, upstream tarballs, fetched with `apt-get source
--download-only` into target/corpus/ as the tests do, after scripts/install-deps.sh has added
the deb-src entries), in one run and each on a fresh copy of the unpacked tree:

  plain     the project's own configure (cmake, meson setup, ./configure after autoreconf or
            autogen.sh; none for plain Make), then its build with -jJ
  bear      the same configure, then the build under `bear --`
  floor     the same configure, then the build system's dry run (`make -n`, `ninja -n`: its
            traversal with no tool run), plus as many no-op processes (`sh -c :`) as the dry
            run lists commands, J at a time: what a build phase of no-op tools would cost
  confess   `confess DRIVER SRC -jJ --log-format json`: its configure, build and extraction
            phases as its JSON log times them, and the wall time of the whole command; twice,
            on a work cache of the benchmark's own (CONFESS_CACHE), empty the first time
            (cold) and as the first run left it the second (warm). The two confessions'
            outputs are compared (all but the summary, the logs, confession/ and CMake's File
            API reply, whose file names hold a time): `same`

and prints per project: configure plain and under confess, build phase against floor, plain
and Bear, cold and warm, with the ratios and their geometric means, and how many artifacts
each confession realized and how many of those came from the cache.
"""
import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("CONFESS_CORPUS", os.path.join(ROOT, "target", "corpus"))

# name, Debian source package, driver, subdirectory, configure arguments, build arguments
PROJECTS = [
    ("lua5.4", "lua5.4", "make", "", [], ["linux"]),
    ("zlib", "zlib", "cmake", "", [], []),
    ("cjson", "cjson", "cmake", "", [], []),
    ("expat", "expat", "cmake", "expat", [], []),
    ("jq", "jq", "autotools", "", ["--disable-static", "--disable-docs"], []),
    ("libyaml", "libyaml", "autotools", "", [], []),
    ("pixman", "pixman", "meson", "", [], []),
    ("zstd", "libzstd", "make", "", [], []),
    ("libuv1", "libuv1", "autotools", "", [], []),
]


class Failed(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def env():
    e = dict(os.environ)
    for v in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GNUMAKEFLAGS"):
        e.pop(v, None)
    return e


def run(cmd, cwd, what, out=None, check=True):
    """Runs cmd in cwd; returns its wall time. Output goes to `out` (a path) or is discarded.
    `check`: a failure is an error."""
    t = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        p = subprocess.run(cmd, cwd=cwd, env=env(), stdout=fh, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    if check and p.returncode != 0:
        raise Failed(f"{what}: `{' '.join(cmd)}` exited with {p.returncode} in {cwd}"
                     + (f" (see {out})" if out else ""))
    return wall


def download(pkg):
    d = os.path.join(CACHE, pkg)
    if os.path.exists(os.path.join(d, ".complete")):
        return d
    os.makedirs(d, exist_ok=True)
    p = subprocess.run(["apt-cache", "showsrc", pkg], stdout=subprocess.PIPE, text=True)
    versions = [l.split(": ", 1)[1] for l in p.stdout.splitlines() if l.startswith("Version: ")]
    if not versions:
        raise Failed(f"apt-cache showsrc {pkg} lists nothing: run scripts/install-deps.sh")
    for v in dict.fromkeys(versions):
        subprocess.run(["apt-get", "source", "--download-only", f"{pkg}={v}"], cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if orig(d):
            with open(os.path.join(d, ".complete"), "w") as fh:
                fh.write(v)
            return d
    raise Failed(f"could not download the source of {pkg}")


def orig(d):
    found = [f for f in glob.glob(os.path.join(d, "*.orig.tar.*")) if not f.endswith(".asc")]
    return found[0] if found else None


def unpack(pkg, into):
    os.makedirs(into, exist_ok=True)
    with tarfile.open(orig(download(pkg))) as t:
        t.extractall(into, filter="tar")
    tops = [os.path.join(into, n) for n in os.listdir(into)]
    tops = [t for t in tops if os.path.isdir(t)]
    if len(tops) != 1:
        raise Failed(f"{pkg}: the tarball unpacked into {len(tops)} directories")
    top = tops[0]
    if pkg == "zlib":
        # Debian's repacked tarball drops win32/, which CMakeLists.txt still names.
        os.makedirs(os.path.join(top, "win32"), exist_ok=True)
        open(os.path.join(top, "win32", "zlib1.rc"), "w").close()
    return top


def fresh(src, work, name):
    dst = os.path.join(work, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def configure(driver, src, args, logs, label):
    """Configures a copy the project's own way; returns (seconds, build command, dry run)."""
    j = ["-j", str(JOBS)]
    if driver == "make":
        return 0.0, (src, ["make"] + j), (src, ["make", "-n"])
    if driver == "cmake":
        b = os.path.join(src, "_build")
        t = run(["cmake", "-S", src, "-B", b, "-G", "Ninja"] + args, src, f"{label} configure",
                os.path.join(logs, f"{label}.configure"))
        return t, (b, ["ninja"] + j), (b, ["ninja", "-n"])
    if driver == "meson":
        b = os.path.join(src, "_build")
        t = run(["meson", "setup", b] + args, src, f"{label} configure",
                os.path.join(logs, f"{label}.configure"))
        return t, (b, ["ninja"] + j), (b, ["ninja", "-n"])
    t = 0.0
    if not os.path.exists(os.path.join(src, "configure")):
        boot = ["sh", "autogen.sh"] if os.path.exists(os.path.join(src, "autogen.sh")) \
            else ["autoreconf", "-fi"]
        t += run(boot, src, f"{label} bootstrap", os.path.join(logs, f"{label}.bootstrap"))
    t += run(["./configure"] + args, src, f"{label} configure",
             os.path.join(logs, f"{label}.configure"))
    return t, (src, ["make"] + j), (src, ["make", "-n"])


def confess(binary, driver, src, cargs, bargs, out, logs, name, cache):
    jl = os.path.join(logs, f"{name}.confess.jsonl")
    cmd = [binary, driver, src, "--out", out, "-j", str(JOBS), "--quiet", "--log-format", "json",
           "--log-file", jl]
    if driver == "meson":
        cmd += ["--deps", "real"]
    extra = cargs if driver != "make" else bargs
    if extra:
        cmd += ["--"] + extra
    os.environ["CONFESS_CACHE"] = cache
    try:
        wall = run(cmd, src, f"{name} confess", os.path.join(logs, f"{name}.confess"))
    finally:
        del os.environ["CONFESS_CACHE"]
    phases = {"configure": 0.0, "build": 0.0, "extraction": 0.0}
    end = {}
    with open(jl) as fh:
        for line in fh:
            e = json.loads(line)
            kind = e.get("event") or e.get("kind")
            if kind == "phase-end":
                p = e.get("phase")
                if p in phases:
                    phases[p] += float(e.get("secs", 0))
            elif kind == "end":
                end = e
    return wall, phases, (end.get("realized", 0), end.get("realized_from_cache", 0))


def outputs(out):
    """Every output file but those that say how long things took, by path, with its bytes."""
    files = {}
    for d, _, names in os.walk(out):
        for n in names:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, out)
            # CMake's own File API reply names its files by time and content hash.
            if (rel in ("summary.txt", "log.jsonl", "build.log")
                    or rel.startswith(("confession/", "cmake-file-api/"))):
                continue
            with open(p, "rb") as fh:
                files[rel] = fh.read()
    return files


def commands(listed, driver):
    """The commands a dry run lists: ninja's `[k/N] ...` lines, or make's non-empty lines
    that are not its own messages."""
    n = 0
    with open(listed, errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            if driver in ("cmake", "meson"):
                n += line.startswith("[")
            else:
                n += not line.startswith(("make:", "make[", "Making "))
    return n


def spawn(n):
    """Wall time of n no-op processes through the shell, JOBS at a time."""
    if n == 0:
        return 0.0
    t = time.perf_counter()
    p = subprocess.run(["xargs", "-P", str(JOBS), "-n", "1", "sh", "-c", ":"],
                       input=("x\n" * n).encode(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.returncode != 0:
        raise Failed(f"xargs for the floor exited with {p.returncode}")
    return time.perf_counter() - t


def geomean(v):
    v = [x for x in v if x]
    return math.exp(sum(math.log(x) for x in v) / len(v)) if v else None


def main():
    global JOBS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--confess", default=os.path.join(ROOT, "target", "x86_64-unknown-linux-gnu", "release", "confess"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--json")
    a = ap.parse_args()
    JOBS = a.j
    if not shutil.which("bear"):
        sys.exit("bench: bear is not installed (scripts/install-deps.sh installs it)")
    only = set(filter(None, a.only.split(",")))
    work = tempfile.mkdtemp(prefix="confess-corpus-bench-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    rows = []
    for name, pkg, driver, sub, cargs, bargs in PROJECTS:
        if only and name not in only:
            continue
        try:
            top = unpack(pkg, os.path.join(work, "src", name))
            src = os.path.join(top, sub) if sub else top
            r = {"project": name, "driver": driver}
            d = fresh(src, work, f"{name}-plain")
            r["configure_plain_s"], (bdir, build), _ = configure(driver, d, cargs, logs, f"{name}-plain")
            r["build_plain_s"] = run(build + bargs, bdir, f"{name} build", os.path.join(logs, f"{name}.build"))
            d = fresh(src, work, f"{name}-bear")
            _, (bdir, build), _ = configure(driver, d, cargs, logs, f"{name}-bear")
            db = os.path.join(work, f"{name}.bear.json")
            r["build_bear_s"] = run(["bear", "--output", db, "--"] + build + bargs, bdir,
                                    f"{name} bear", os.path.join(logs, f"{name}.bear"))
            d = fresh(src, work, f"{name}-floor")
            _, _, (bdir, dry) = configure(driver, d, cargs, logs, f"{name}-floor")
            listed = os.path.join(logs, f"{name}.floor")
            # A dry run can stop where a recipe needs what an earlier one would have made (make
            # -n runs recursive makes): -k goes on, and what it listed is counted.
            dry_s = run(dry + (["-k"] if dry[0] == "make" else []) + bargs, bdir, f"{name} floor",
                        listed, check=False)
            r["commands"] = commands(listed, driver)
            r["floor_s"] = dry_s + spawn(r["commands"])
            out = os.path.join(work, f"{name}-out")
            cache = os.path.join(work, f"{name}-cache")
            wall, ph, r["realized_cold"] = confess(a.confess, driver, src, cargs, bargs, out, logs,
                                                   f"{name}-cold", cache)
            cold = outputs(out)
            r["confess_total_s"] = wall
            r["configure_confess_s"] = ph["configure"]
            r["build_confess_s"] = ph["build"]
            r["extraction_s"] = ph["extraction"]
            wall, ph, r["realized_warm"] = confess(a.confess, driver, src, cargs, bargs, out, logs,
                                                   f"{name}-warm", cache)
            r["confess_total_warm_s"] = wall
            r["configure_warm_s"] = ph["configure"]
            r["build_warm_s"] = ph["build"]
            r["same"] = cold == outputs(out)
            r["bear_over_warm"] = r["build_bear_s"] / r["build_warm_s"] if r["build_warm_s"] else None
            r["configure_plain_over_warm"] = (r["configure_plain_s"] / r["configure_warm_s"]
                                              if r["configure_warm_s"] else None)
            r["bear_over_confess"] = r["build_bear_s"] / r["build_confess_s"] if r["build_confess_s"] else None
            r["plain_over_confess"] = r["build_plain_s"] / r["build_confess_s"] if r["build_confess_s"] else None
            r["confess_over_floor"] = r["build_confess_s"] / r["floor_s"] if r["floor_s"] else None
            r["configure_confess_over_plain"] = (r["configure_confess_s"] / r["configure_plain_s"]
                                                 if r["configure_plain_s"] else None)
            rows.append(r)
            log(f"{name}: plain {r['build_plain_s']:.1f}s, bear {r['build_bear_s']:.1f}s, "
                f"floor {r['floor_s']:.2f}s, confess build {r['build_confess_s']:.2f}s")
        except Failed as e:
            log(f"{name}: {e}")
            rows.append({"project": name, "driver": driver, "error": str(e)})
    f = lambda v, fmt="{:.2f}": "-" if v is None else fmt.format(v)
    print(f"corpus benchmark: -j{JOBS}, one run, logs in {logs}")
    print("| project | system | configure plain | configure confess | floor | build plain | build Bear | confess build | extraction | confess total | Bear / confess | plain / confess | confess / floor | configure confess / plain |")
    print("| --- | --- | " + " | ".join(["---:"] * 12) + " |")
    for r in rows:
        if "error" in r:
            print(f"| {r['project']} | {r['driver']} | failed: {r['error']} |")
            continue
        print(f"| {r['project']} | {r['driver']} | {f(r['configure_plain_s'])} s | {f(r['configure_confess_s'])} s | "
              f"{f(r['floor_s'])} s | {f(r['build_plain_s'])} s | {f(r['build_bear_s'])} s | "
              f"{f(r['build_confess_s'])} s | {f(r['extraction_s'])} s | {f(r['confess_total_s'])} s | "
              f"{f(r['bear_over_confess'], '{:.1f}x')} | {f(r['plain_over_confess'], '{:.1f}x')} | "
              f"{f(r['confess_over_floor'], '{:.1f}x')} | {f(r['configure_confess_over_plain'], '{:.2f}x')} |")
    print()
    print("cold and warm work cache (the table above is the cold run):")
    print("| project | realized cold (from cache) | realized warm (from cache) | configure cold | configure warm | "
          "build cold | build warm | total cold | total warm | Bear / build cold | Bear / build warm | "
          "configure plain / warm | outputs |")
    print("| --- | " + " | ".join(["---:"] * 11) + " | --- |")
    for r in rows:
        if "error" in r:
            continue
        rc, rw = r["realized_cold"], r["realized_warm"]
        print(f"| {r['project']} | {rc[0]} ({rc[1]}) | {rw[0]} ({rw[1]}) | {f(r['configure_confess_s'])} s | "
              f"{f(r['configure_warm_s'])} s | {f(r['build_confess_s'])} s | {f(r['build_warm_s'])} s | "
              f"{f(r['confess_total_s'])} s | {f(r['confess_total_warm_s'])} s | "
              f"{f(r['bear_over_confess'], '{:.1f}x')} | {f(r['bear_over_warm'], '{:.1f}x')} | "
              f"{f(r['configure_plain_over_warm'], '{:.2f}x')} | {'same' if r['same'] else 'DIFFER'} |")
    ok = [r for r in rows if "error" not in r]
    print(f"geometric means over {len(ok)} projects: Bear / confess build "
          f"{f(geomean([r['bear_over_confess'] for r in ok]), '{:.1f}x')} cold, "
          f"{f(geomean([r['bear_over_warm'] for r in ok]), '{:.1f}x')} warm; plain / confess build "
          f"{f(geomean([r['plain_over_confess'] for r in ok]), '{:.1f}x')}, confess build / floor "
          f"{f(geomean([r['confess_over_floor'] for r in ok]), '{:.1f}x')}, configure confess / plain "
          f"{f(geomean([r['configure_confess_over_plain'] for r in ok]), '{:.2f}x')} cold, plain / confess "
          f"{f(geomean([r['configure_plain_over_warm'] for r in ok]), '{:.2f}x')} warm")
    differ = [r["project"] for r in ok if not r["same"]]
    if differ:
        print(f"outputs differ between the cold and the warm cache: {', '.join(differ)}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 1 if len(ok) != len(rows) or differ else 0


JOBS = 2

if __name__ == "__main__":
    sys.exit(main())
