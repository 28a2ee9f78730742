#!/usr/bin/env python3
"""Benchmark: the confess build phase against the build system's own traversal and the real build.

For each size N, generates a synthetic plain-Make project once (gen_make_project.py) and
measures, side by side in one run, each measurement on a fresh copy of the generated tree:

  floor    make -jJ CC=true AR=true: the build system's traversal with every tool a no-op
  confess  CONFESS make SRC --out OUT -jJ --verbose: its build phase (the `build phase: X.XXXs`
           line it prints on stderr) and the wall time of the whole command
  real     make -jJ: the real build (skipped above N=2000 unless --real-all)

then prints the ratios confess build / floor and real / confess build, the shim's cost per tool
call ((confess build - floor) / calls, calls counted from `make -n`) and the peak resident
memory of the confess process tree (getrusage RUSAGE_CHILDREN, taken in a fresh child process
for each measurement, so peaks from different measurements never mix).

With --reps R every measurement is repeated R times and the median is reported.

Unless --no-unsealed, the same confess binary is also measured with CONFESS_UNSEALED=1 (the
build without its namespaces), right after the sealed run in every repetition: the `unsealed`
row of the second table against the main row is what the seal costs.

With --also LABEL=PATH (repeatable), other confess binaries (an earlier commit's, or one whose
confess-shim is linked another way) are measured in the same run, each right after the main
one in every repetition, on their own fresh copies, and a second table compares their build
phases with the floor and the real build of the same run.
"""
import argparse
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GEN = os.path.join(HERE, "gen_make_project.py")
REAL_MAX_N = 2000

BUILD_PHASE = re.compile(r"^build phase: ([0-9]+(?:\.[0-9]+)?)s\s*$", re.M)
BUILD_CPU = re.compile(r"^build phase cpu: ([0-9]+(?:\.[0-9]+)?)s\s*$", re.M)
SELF_PEAK = re.compile(r"^peak memory: ([0-9]+) KiB\s*$", re.M)

_VERBOSE = {}


def timing_args(binary):
    """The argument that makes BINARY print its timing lines: `--verbose`, or nothing for a
    confess from before the flag (it printed them on every run). Asked once per binary."""
    if binary not in _VERBOSE:
        p = subprocess.run([binary, "make", "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        _VERBOSE[binary] = ["--verbose"] if "--verbose" in p.stdout else []
    return _VERBOSE[binary]


# ---------------------------------------------------------------------------------------------
# The measuring child: `run.py _measure RESULT OUT ERR CWD -- CMD...` runs CMD in CWD with its
# output in OUT and ERR, and writes {"rc", "wall_s", "maxrss_kib"} to RESULT. Being a fresh
# process, its RUSAGE_CHILDREN peak is CMD's tree alone.


def measure_child(argv):
    result, out, err, cwd = argv[:4]
    assert argv[4] == "--"
    cmd = argv[5:]
    with open(out, "wb") as o, open(err, "wb") as e:
        t = time.perf_counter()
        try:
            rc = subprocess.call(cmd, cwd=cwd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        except OSError as ex:
            e.write(f"bench: cannot run {cmd[0]}: {ex}\n".encode())
            rc = 127
        wall = time.perf_counter() - t
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(result, "w") as fh:
        json.dump({"rc": rc, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kib": ru.ru_maxrss},
                  fh)


# ---------------------------------------------------------------------------------------------


class BenchError(Exception):
    pass


def clean_env():
    env = dict(os.environ)
    # A benchmark started from make (or just) must not hand its make flags to the builds.
    for v in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GNUMAKEFLAGS"):
        env.pop(v, None)
    return env


def tail(path, chars=3000):
    try:
        with open(path, errors="replace") as fh:
            s = fh.read()
    except OSError:
        return ""
    return s[-chars:]


def measure(label, cmd, cwd, logs, env=()):
    """Runs cmd in a fresh measuring child, with `env` (pairs) added to the environment; returns
    (result dict, stderr path)."""
    res, out, err = (os.path.join(logs, f"{label}.{x}") for x in ("json", "out", "err"))
    subprocess.run([sys.executable, os.path.abspath(__file__), "_measure", res, out, err, cwd, "--"] + cmd,
                   env={**clean_env(), **dict(env)}, check=True)
    with open(res) as fh:
        r = json.load(fh)
    if r["rc"] != 0:
        raise BenchError(
            f"{label}: `{' '.join(cmd)}` exited with {r['rc']} (in {cwd})\n"
            f"--- stdout (tail) ---\n{tail(out)}\n--- stderr (tail) ---\n{tail(err)}")
    return r, err


def fresh_copy(src, work, name):
    dst = os.path.join(work, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def count_calls(proj):
    """Tool invocations of the build, from `make -n` with marker tools on the pristine tree."""
    p = subprocess.run(["make", "-n", "CC=BENCH_CC", "AR=BENCH_AR"], cwd=proj, env=clean_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise BenchError(f"make -n failed in {proj}:\n{p.stderr[-2000:]}")
    return sum(1 for line in p.stdout.splitlines() if re.match(r"\s*BENCH_(CC|AR)\b", line))


def version(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        return p.stdout.splitlines()[0].strip() if p.stdout else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def median(v):
    return statistics.median(v) if v else None


def ratio(a, b):
    return a / b if a is not None and b else None


def confess_run(binary, label, proj, work, logs, jobs, env=()):
    """`BINARY make` on a fresh copy of the project, with `env` added to the environment: the
    measurement and its stderr (the copy and the output directory are removed afterwards)."""
    d = fresh_copy(proj, work, "confess-src")
    out = os.path.join(work, "confess-out")
    shutil.rmtree(out, ignore_errors=True)
    r, err = measure(label, [binary, "make", d, "--out", out, "-j", str(jobs), "--quiet"] + timing_args(binary), work, logs, env)
    stderr = tail(err, 1 << 20)
    shutil.rmtree(d)
    shutil.rmtree(out, ignore_errors=True)
    return r, stderr


def bench_size(n, a, work, confess):
    proj = os.path.join(work, f"gen-{n}")
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    t = time.perf_counter()
    gen = json.loads(subprocess.check_output([sys.executable, GEN, str(n), proj], text=True))
    gen_s = time.perf_counter() - t
    calls = count_calls(proj)
    if calls != gen["calls"]:
        print(f"bench: warning: N={n}: make -n shows {calls} tool calls, the generator counted "
              f"{gen['calls']}; using make -n", file=sys.stderr)
    do_real = not a.no_real and (n <= REAL_MAX_N or a.real_all)
    log(f"N={n}: generated in {gen_s:.1f}s: {gen['translation_units']} TUs, {gen['static_libs']} static "
        f"+ {gen['shared_libs']} shared libraries, {gen['programs']} programs, {calls} tool calls")

    m = {k: [] for k in ("floor", "cbuild", "ctotal", "crss", "cself", "real", "floor_cpu", "cbuild_cpu",
                         "real_cpu")}
    also = {label: {"build": [], "cpu": [], "floor": [], "floor_cpu": []} for label, _, _ in a.also}
    j = f"-j{a.jobs}"
    for rep in range(a.reps):
        tag = f"{n}.{rep}"

        d = fresh_copy(proj, work, "floor")
        r, _ = measure(f"floor.{tag}", ["make", j, "CC=true", "AR=true"], d, logs)
        shutil.rmtree(d)
        m["floor"].append(r["wall_s"])
        m["floor_cpu"].append(r["cpu_s"])
        log(f"N={n} rep {rep + 1}/{a.reps}: floor {r['wall_s']:.2f}s")

        if confess:
            r, stderr = confess_run(confess, f"confess.{tag}", proj, work, logs, a.jobs)
            bp = BUILD_PHASE.search(stderr)
            if not bp:
                raise BenchError(f"confess printed no `build phase: X.XXXs` line on stderr:\n{stderr[-3000:]}")
            m["cbuild"].append(float(bp.group(1)))
            bc = BUILD_CPU.search(stderr)
            if bc:
                m["cbuild_cpu"].append(float(bc.group(1)))
            m["ctotal"].append(r["wall_s"])
            m["crss"].append(r["maxrss_kib"] / 1024)
            sp = SELF_PEAK.search(stderr)
            if sp:
                m["cself"].append(int(sp.group(1)) / 1024)
            log(f"N={n} rep {rep + 1}/{a.reps}: confess build {m['cbuild'][-1]:.2f}s, "
                f"total {r['wall_s']:.2f}s, peak {m['crss'][-1]:.1f} MiB")

        for label, binary, env in a.also:
            # Each binary gets a floor of its own, measured just before it: the paired ratio.
            d = fresh_copy(proj, work, "floor")
            r, _ = measure(f"floor-{label}.{tag}", ["make", j, "CC=true", "AR=true"], d, logs)
            shutil.rmtree(d)
            also[label]["floor"].append(r["wall_s"])
            also[label]["floor_cpu"].append(r["cpu_s"])
            _, stderr = confess_run(binary, f"also-{label}.{tag}", proj, work, logs, a.jobs, env)
            bp, bc = BUILD_PHASE.search(stderr), BUILD_CPU.search(stderr)
            if not (bp and bc):
                raise BenchError(f"{binary} printed no build phase lines on stderr:\n{stderr[-3000:]}")
            also[label]["build"].append(float(bp.group(1)))
            also[label]["cpu"].append(float(bc.group(1)))
            log(f"N={n} rep {rep + 1}/{a.reps}: {label} build {also[label]['build'][-1]:.2f}s, "
                f"cpu {also[label]['cpu'][-1]:.2f}s")

        if do_real:
            d = fresh_copy(proj, work, "real")
            r, _ = measure(f"real.{tag}", ["make", j], d, logs)
            shutil.rmtree(d)
            m["real"].append(r["wall_s"])
            m["real_cpu"].append(r["cpu_s"])
            log(f"N={n} rep {rep + 1}/{a.reps}: real {r['wall_s']:.2f}s")

    if not a.keep:
        shutil.rmtree(proj)
    row = {
        "n": n,
        "calls": calls,
        "generated": gen,
        "floor_s": median(m["floor"]),
        "confess_build_s": median(m["cbuild"]),
        "confess_total_s": median(m["ctotal"]),
        "real_s": median(m["real"]),
        "confess_peak_rss_mib": median(m["crss"]),
        "confess_self_peak_mib": median(m["cself"]),
        "floor_cpu_s": median(m["floor_cpu"]),
        "confess_build_cpu_s": median(m["cbuild_cpu"]),
        "real_cpu_s": median(m["real_cpu"]),
        "samples": {k: v for k, v in m.items() if v},
    }
    row["cpu_confess_over_floor"] = ratio(row["confess_build_cpu_s"], row["floor_cpu_s"])
    row["paired_cpu_confess_over_floor"] = paired(m["cbuild_cpu"], m["floor_cpu"])
    row["cpu_real_over_confess"] = ratio(row["real_cpu_s"], row["confess_build_cpu_s"])
    row["confess_over_floor"] = ratio(row["confess_build_s"], row["floor_s"])
    row["real_over_confess"] = ratio(row["real_s"], row["confess_build_s"])
    row["shim_ms_per_call"] = (1000 * (row["confess_build_s"] - row["floor_s"]) / calls
                               if row["confess_build_s"] is not None and calls else None)
    row["also"] = []
    for label, _, _ in a.also:
        b, c = median(also[label]["build"]), median(also[label]["cpu"])
        row["also"].append({
            "label": label,
            "build_s": b,
            "build_cpu_s": c,
            "over_floor": ratio(b, row["floor_s"]),
            "cpu_over_floor": ratio(c, row["floor_cpu_s"]),
            "paired_cpu_over_floor": paired(also[label]["cpu"], also[label]["floor_cpu"]),
            "cpu_real_over": ratio(row["real_cpu_s"], c),
            "samples": also[label],
        })
    return row


ALSO_COLUMNS = [
    ("N", "n", "{}"),
    ("confess", "label", "{}"),
    ("build s", "build_s", "{:.2f}"),
    ("build/floor", "over_floor", "{:.2f}x"),
    ("build cpu s", "build_cpu_s", "{:.2f}"),
    ("cpu build/floor", "cpu_over_floor", "{:.2f}x"),
    ("paired cpu build/floor", "paired_cpu_over_floor", "{:.2f}x"),
    ("cpu real/build", "cpu_real_over", "{:.1f}x"),
]


def paired(builds, floors):
    """The median of each repetition's build over the floor measured just before it (the main
    confess follows the repetition's first floor; each --also binary has its own). The floor
    moves by a quarter between minutes on a shared machine; pairs taken a second apart move
    less."""
    if not builds or len(builds) != len(floors):
        return None
    return median([b / f for b, f in zip(builds, floors) if f])


def also_table(rows, markdown=False):
    """The main confess and every --also binary, row by row, against the same run's floor."""
    lines_in = []
    for r in rows:
        lines_in.append({"n": r["n"], "label": "main", "build_s": r["confess_build_s"],
                         "over_floor": r["confess_over_floor"], "build_cpu_s": r["confess_build_cpu_s"],
                         "cpu_over_floor": r["cpu_confess_over_floor"],
                         "paired_cpu_over_floor": r["paired_cpu_confess_over_floor"],
                         "cpu_real_over": r["cpu_real_over_confess"]})
        for x in r["also"]:
            lines_in.append(dict(x, n=r["n"]))
    return render(ALSO_COLUMNS, lines_in, markdown)


COLUMNS = [
    ("N", "n", "{}"),
    ("calls", "calls", "{}"),
    ("floor s", "floor_s", "{:.2f}"),
    ("confess build s", "confess_build_s", "{:.2f}"),
    ("confess total s", "confess_total_s", "{:.2f}"),
    ("real s", "real_s", "{:.2f}"),
    ("confess/floor", "confess_over_floor", "{:.2f}x"),
    ("real/confess", "real_over_confess", "{:.1f}x"),
    ("shim ms/call", "shim_ms_per_call", "{:.2f}"),
    ("peak RSS MiB", "confess_peak_rss_mib", "{:.1f}"),
    ("floor cpu s", "floor_cpu_s", "{:.2f}"),
    ("confess build cpu s", "confess_build_cpu_s", "{:.2f}"),
    ("real cpu s", "real_cpu_s", "{:.2f}"),
    ("cpu confess/floor", "cpu_confess_over_floor", "{:.2f}x"),
    ("paired cpu confess/floor", "paired_cpu_confess_over_floor", "{:.2f}x"),
    ("cpu real/confess", "cpu_real_over_confess", "{:.1f}x"),
]


def render(columns, rows, markdown=False):
    """A table of `rows` (dicts) with `columns` (header, key, format), aligned or in Markdown."""
    cells = [[h for h, _, _ in columns]]
    for r in rows:
        cells.append([("-" if r.get(k) is None else f.format(r[k])) for _, k, f in columns])
    w = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    lines = []
    for ri, c in enumerate(cells):
        if markdown:
            lines.append("| " + " | ".join(c) + " |")
            if ri == 0:
                lines.append("| " + " | ".join("---:" for _ in c) + " |")
        else:
            lines.append("  ".join(x.rjust(w[i]) for i, x in enumerate(c)))
    return "\n".join(lines)


def table(rows, markdown=False):
    return render(COLUMNS, rows, markdown)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def parse_sizes(values):
    out = []
    for v in values:
        for p in str(v).split(","):
            if p.strip():
                n = int(p)
                if n < 3:
                    raise argparse.ArgumentTypeError(f"size {n} is below 3")
                out.append(n)
    return out


def default_confess():
    """Where `cargo build --release` puts confess: target/HOST/release/ (.cargo/config.toml names
    the host as the target, so that the shim links statically), or target/release/ for a build
    made with another target setting."""
    try:
        host = re.search(r"^host: (\S+)$", subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout,
                         re.M).group(1)
    except (OSError, AttributeError):
        host = None
    candidates = ([os.path.join(ROOT, "target", host, "release", "confess")] if host else []) + \
        [os.path.join(ROOT, "target", "release", "confess")]
    return next((c for c in candidates if os.path.exists(c)), candidates[0])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        return measure_child(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["200", "1000", "2000"],
                    help="project sizes N, in translation units (default: 200 1000 2000)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel jobs, make -jJ (default 2)")
    ap.add_argument("--reps", type=int, default=1, help="repetitions; the median is reported (default 1)")
    ap.add_argument("--confess", default=default_confess(),
                    help="the confess binary (default: target/HOST/release/confess, as cargo "
                         "build --release leaves it)")
    ap.add_argument("--no-confess", action="store_true", help="skip the confess column")
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=PATH",
                    help="another confess binary to measure in the same run (repeatable); "
                         "'LABEL=PATH NAME=VALUE...' also sets environment variables for it")
    ap.add_argument("--no-unsealed", action="store_true",
                    help="skip the `unsealed` row (the same confess with CONFESS_UNSEALED=1: what "
                         "the sealed build costs, side by side)")
    ap.add_argument("--no-real", action="store_true", help="skip the real build")
    ap.add_argument("--real-all", action="store_true", help=f"real builds above N={REAL_MAX_N} too")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--workdir", help="work in this directory (kept) instead of a temporary one")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects and logs")
    a = ap.parse_args()
    try:
        a.sizes = parse_sizes(a.sizes)
    except (ValueError, argparse.ArgumentTypeError) as e:
        ap.error(f"--sizes: {e}")
    if a.jobs < 1 or a.reps < 1:
        ap.error("--jobs and --reps must be at least 1")
    also = []
    for v in a.also:
        first, *settings = v.split()
        label, sep, path = first.partition("=")
        if not sep or not label or not path:
            ap.error(f"--also {v}: give LABEL=PATH, then any NAME=VALUE settings")
        path = os.path.abspath(path)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            ap.error(f"--also {v}: {path} does not exist or is not executable")
        env = []
        for kv in settings:
            k, sep, val = kv.partition("=")
            if not sep or not k:
                ap.error(f"--also {v}: {kv} is not NAME=VALUE")
            env.append((k, val))
        also.append((label, path, env))
    if not a.no_confess and not a.no_unsealed:
        # The seal's cost: the same binary without namespaces, measured in the same run.
        also.insert(0, ("unsealed", os.path.abspath(a.confess), [("CONFESS_UNSEALED", "1")]))
    a.also = also

    if shutil.which("make") is None:
        sys.exit("bench: error: `make` is not on PATH")
    confess = None
    if not a.no_confess:
        confess = os.path.abspath(a.confess)
        if not (os.path.isfile(confess) and os.access(confess, os.X_OK)):
            sys.exit(f"bench: error: the confess binary {confess} does not exist or is not executable.\n"
                     f"Build it (`cargo build --release`), point at it with --confess PATH, "
                     f"or measure without it (--no-confess).")
    if not a.no_real and shutil.which(os.environ.get("CC", "cc")) is None and shutil.which("cc") is None:
        sys.exit("bench: error: no C compiler (cc) for the real build; use --no-real")

    if a.workdir:
        os.makedirs(a.workdir, exist_ok=True)
        work, tmp = os.path.abspath(a.workdir), None
        a.keep = True
    else:
        tmp = tempfile.TemporaryDirectory(prefix="confess-bench-")
        work = tmp.name
        if a.keep:
            tmp._finalizer.detach()  # noqa: SLF001 - keep it on purpose
            log(f"working in {work} (kept)")

    rows = []
    try:
        for n in a.sizes:
            rows.append(bench_size(n, a, work, confess))
    except BenchError as e:
        if rows:
            print(table(rows, a.markdown))
        sys.exit(f"bench: error: {e}")
    except KeyboardInterrupt:
        if rows:
            print(table(rows, a.markdown))
        sys.exit("bench: interrupted")
    finally:
        if tmp is not None and not a.keep:
            tmp.cleanup()

    print(table(rows, a.markdown))
    if a.also:
        print()
        print(also_table(rows, a.markdown))
    if a.json:
        doc = {
            "jobs": a.jobs,
            "reps": a.reps,
            "confess": confess,
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "make": version(["make", "--version"]),
                "cc": version(["cc", "--version"]),
                "confess": version([confess, "--version"]) if confess else None,
            },
            "rows": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows],
        }
        with open(a.json, "w") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
