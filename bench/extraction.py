#!/usr/bin/env python3
"""Extraction at scale: confess's extraction on the synthetic generator's projects, sizes side by
side in one run.

    python3 bench/extraction.py [--sizes N...] [--confess BIN] [-j J] [--also LABEL=BIN] [--workdir DIR]

For each size N (default 20000 and 100000 translation units), `gen_make_project.py N` writes
the project once; then each binary (BIN, then every --also one, on the same project) runs
`confess make PROJECT -o OUT -jJ --verbose --quiet`, and the benchmark reads:

  extraction   the summary's extraction time (reading the stores, the graph, the targets and
               every output; Graphviz's drawing and keeping the stores are not in it)
  peak         confess's own peak memory (VmHWM, which --verbose prints)
  actions      compiles, archives and links (the summary's counts)
  graph.json   its size, and bytes a node
  confession/  the size of the kept stores

and prints them per size and binary, with each binary's extraction seconds and peak memory per
1,000 actions at every size against its smallest (linear: 1.0x), and issue 18's goals at
N = 100,000: extraction under 10 s and 1 GiB.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import default_confess  # noqa: E402


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def confess_once(binary, project, out, jobs):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [binary, "make", project, "-o", out, "-j", str(jobs), "--verbose", "--quiet"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-4000:]}")
    summary = open(os.path.join(out, "summary.txt")).read()
    extraction = float(re.search(r"extraction ([0-9.]+) s", summary).group(1))
    build = float(re.search(r"build phase +([0-9.]+) s", summary).group(1))
    count = lambda name: int(re.search(rf"^  {name} +(\d+)", summary, re.M).group(1))
    actions = count("translation units") + count("archives") + count("links")
    peak = int(re.search(r"peak memory: (\d+) KiB", p.stderr).group(1))
    graph = os.path.join(out, "graph.json")
    nodes, within = 0, False
    with open(graph) as f:
        for line in f:
            if line.strip() == '"nodes": [':
                within = True
            elif within and line.startswith("  ]"):
                break
            elif within:
                nodes += 1
    return {
        "build_secs": build,
        "extract_secs": extraction,
        "peak_kib": peak,
        "actions": actions,
        "graph_json_bytes": os.path.getsize(graph),
        "graph_nodes": nodes,
        "confession_bytes": du(os.path.join(out, "confession")),
        "outputs_bytes": du(out),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[20000, 100000])
    ap.add_argument("--confess", default=default_confess())
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=PATH",
                    help="another confess binary, run on the same projects right after the main one")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--workdir", help="work here (kept) instead of a temporary directory")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args()
    binaries = [("main", args.confess)] + [tuple(a.split("=", 1)) for a in args.also]
    for label, b in binaries:
        if not os.access(b, os.X_OK):
            sys.exit(f"{label}: {b} is not an executable confess (cargo build --release makes it)")
    work = args.workdir or tempfile.mkdtemp(prefix="confess-extraction-")
    os.makedirs(work, exist_ok=True)
    rows = []
    for n in sorted(args.sizes):
        project = os.path.join(work, f"p{n}")
        if not os.path.isdir(project):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_make_project.py"), str(n), project],
                           check=True, capture_output=True)
        for label, b in binaries:
            r = confess_once(b, project, os.path.join(work, f"out-{label}-{n}"), args.jobs)
            r.update({"n": n, "confess": label})
            rows.append(r)
            shutil.rmtree(os.path.join(work, f"out-{label}-{n}"), ignore_errors=True)
            print(f"N={n} {label}: extraction {r['extract_secs']:.2f} s, peak {r['peak_kib'] / 1024:.0f} MiB",
                  file=sys.stderr)
    print("| N | confess | actions | extraction | peak | extraction per 1,000 actions | vs smallest N | "
          "peak per 1,000 actions | vs smallest N | graph.json | bytes a node | confession/ |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, _ in binaries:
        mine = [r for r in rows if r["confess"] == label]
        base = mine[0]
        per = lambda r, k: r[k] / (r["actions"] / 1000)
        for r in mine:
            print(f"| {r['n']} | {label} | {r['actions']} | {r['extract_secs']:.2f} s | "
                  f"{r['peak_kib'] / 1024:.0f} MiB | {per(r, 'extract_secs'):.3f} s | "
                  f"{per(r, 'extract_secs') / per(base, 'extract_secs'):.2f}x | "
                  f"{per(r, 'peak_kib') / 1024:.2f} MiB | {per(r, 'peak_kib') / per(base, 'peak_kib'):.2f}x | "
                  f"{r['graph_json_bytes'] / 1e6:.1f} MB | {r['graph_json_bytes'] / max(r['graph_nodes'], 1):.0f} | "
                  f"{r['confession_bytes'] / 1e6:.0f} MB |")
    for r in rows:
        if r["n"] == 100000:
            ok = r["extract_secs"] < 10 and r["peak_kib"] < 1024 * 1024
            print(f"\nN = 100,000, {r['confess']}: extraction {r['extract_secs']:.2f} s (goal under 10 s), "
                  f"peak {r['peak_kib'] / 1024:.0f} MiB (goal under 1,024 MiB): {'met' if ok else 'not met'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
