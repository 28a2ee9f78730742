#!/usr/bin/env python3
"""Seed inputs for the fuzz targets, from confess output directories.

    python3 fuzz/seeds.py SEEDS_DIR OUT_DIR...

Each OUT_DIR is what `confess make fixtures/make/X --out OUT_DIR` wrote. Writes
SEEDS_DIR/<target>/<sha1>: command lines of the recorded events (args), the repository's
response files (response_file), the tokens of the token store (token), the event log as the
shims wrote it, one JSON object a line (events), and each BUILD.dhall and BUILD.confess.dhall
with its local imports inlined, since the fuzz target reads with imports off (dhall).
`cargo fuzz cmin` then keeps what adds coverage.
"""
import hashlib
import json
import pathlib
import re
import sqlite3
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def put(seeds, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def events(out):
    db = out / "confession" / "events.sqlite"
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    cols = ["pid", "ppid", "start_ns", "end_ns", "role", "tool", "phase", "decision", "cwd",
            "argv", "inputs", "outputs", "tokens", "real_tool", "exit_status", "note"]
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM events ORDER BY seq").fetchall()
    evs = []
    for r in rows:
        ev = dict(zip(cols, r))
        for k in ("argv", "inputs", "outputs", "tokens"):
            ev[k] = json.loads(ev[k])
        evs.append(ev)
    return evs


def tokens(out):
    log = out / "confession" / "tokens.log"
    if not log.exists():
        return []
    data = log.read_bytes()
    toks, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        head = data[pos:nl].split()
        n = int(head[1])
        toks.append(data[nl + 1:nl + 1 + n])
        pos = nl + 1 + n
    return toks


IMPORT = re.compile(r"(?<![\w/.])(\.\.?/[\w./-]+\.dhall)")


def inline(path, depth=0):
    text = path.read_text()
    if depth > 20:
        raise RuntimeError(f"imports nest too deeply at {path}")
    # Drop comments first: they may mention paths.
    text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("--"))

    def sub(m):
        return "(" + inline((path.parent / m.group(1)).resolve(), depth + 1) + ")"

    return IMPORT.sub(sub, text)


def main():
    seeds = pathlib.Path(sys.argv[1])
    for out in map(pathlib.Path, sys.argv[2:]):
        evs = events(out)
        for ev in evs:
            argv = ev["argv"][1:]
            put(seeds, "args", b"\x00" + b"\x00".join(w.encode() for w in argv))
            put(seeds, "args", b"\x01" + b"\x00".join(w.encode() for w in argv))
        if evs:
            put(seeds, "events", "".join(json.dumps(e) + "\n" for e in evs))
            for e in evs[:8]:
                put(seeds, "events", json.dumps(e) + "\n")
        for t in tokens(out):
            put(seeds, "token", t)
        for f in sorted((out / "dhall").rglob("BUILD*.dhall")):
            put(seeds, "dhall", inline(f))
    for f in REPO.glob("fixtures/**/*.rsp"):
        put(seeds, "response_file", f.read_bytes())
    for text in ["-c a.c -o 'b c.o' \"-DX=\\\"y\\\"\"\n", "@more.rsp\n", "a\\ b 'c\\d' \"e\\\"f\"\n"]:
        put(seeds, "response_file", text)


if __name__ == "__main__":
    main()
