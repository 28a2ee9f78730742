#!/usr/bin/env python3
"""Generates a synthetic plain-Make C project with N translation units.

Usage: gen_make_project.py N OUTDIR

Layout (deterministic for a given N):

  lib_K/        about N/50 libraries, ~50 sources each (fI.c) and a header lib_K.h; most are
                static (archived with $(AR) rcs), a handful are shared (compiled -fPIC, linked
                -shared with a SONAME)
  exe_K/main.c  max(2, N/100) programs, each linking four (or fewer) of the libraries;
                programs find the shared libraries through an $ORIGIN rpath
  Makefile      one non-recursive top-level Makefile: pattern rules, $(CC), $(AR), $(CFLAGS)
                (default -O2 -g), objects next to their sources, `all` and `clean`, safe
                for make -jN

Translation units in all: exactly N (library sources plus the programs' main.c). Each library
source is ordinary C of realistic size (60 to 120 lines: a few functions with loops and
arithmetic, stdio/stdlib/string calls), including its own header, one or two other libraries'
headers and <stdio.h>, <stdlib.h>, <string.h>, so a real -O2 -g build costs what real code costs.
Sources only call functions of their own library (other libraries' headers contribute macros
and static inline functions), so a program needs only the libraries it uses.

Prints one JSON object on stdout: the counts, including `calls`, the number of tool
invocations the build makes (compiles, archives, shared-library links, program links).
"""
import json
import os
import random
import sys

PER_LIB = 50
MAX_SHARED = 5
LIBS_PER_EXE = 4


def header(k, nfuncs, rng):
    scale = rng.randint(3, 29)
    lines = [
        f"#ifndef LIB_{k}_H",
        f"#define LIB_{k}_H",
        "",
        f"#define LIB_{k}_SCALE {scale}",
        f"#define LIB_{k}_MIX(a, b) (((a) * LIB_{k}_SCALE) ^ ((b) + {k}))",
        "",
        f"static inline int lib_{k}_clamp(int v, int lo, int hi) {{",
        "    return v < lo ? lo : (v > hi ? hi : v);",
        "}",
        "",
        f"struct lib_{k}_stats {{",
        "    long sum;",
        "    long max;",
        "    int count;",
        "};",
        "",
    ]
    for i in range(nfuncs):
        lines.append(f"int lib_{k}_f{i}(int x);")
        lines.append(f"void lib_{k}_stats{i}(struct lib_{k}_stats *s, const int *v, int n);")
    lines += ["", "#endif", ""]
    return "\n".join(lines)


def source(k, i, nfuncs, others, rng):
    """One library source: 60 to 120 lines."""
    o = others[0]
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        "",
        f'#include "lib_{k}.h"',
    ]
    lines += [f'#include "../lib_{x}/lib_{x}.h"' for x in others]
    lines += ["", f"static int table_{i}[64];", ""]
    nhelpers = rng.randint(3, 5)
    for f in range(nhelpers):
        m = rng.randint(3, 17)
        lines += [
            f"static long helper_{i}_{f}(const int *v, int n) {{",
            "    long acc = 0;",
            "    for (int j = 0; j < n; j++) {",
            f"        acc += (long)v[j] * {m} - (j % {m + 1});",
            "        if (acc > 100000)",
            "            acc /= 3;",
            "    }",
            "    return acc;",
            "}",
            "",
        ]
    lines += [
        f"void lib_{k}_stats{i}(struct lib_{k}_stats *s, const int *v, int n) {{",
        "    memset(s, 0, sizeof *s);",
        "    for (int j = 0; j < n; j++) {",
        "        s->sum += v[j];",
        "        if (v[j] > s->max)",
        "            s->max = v[j];",
        "        s->count++;",
        "    }",
        "}",
        "",
        f"int lib_{k}_f{i}(int x) {{",
        "    char buf[128];",
        f"    struct lib_{k}_stats st;",
        f"    int n = lib_{o}_clamp(x % 64 + 1, 1, 64);",
        "    for (int j = 0; j < n; j++)",
        f"        table_{i}[j] = LIB_{o}_MIX(x + j, {i + 1});",
        f"    long s = helper_{i}_0(table_{i}, n) + helper_{i}_1(table_{i}, n / 2);",
        f"    s -= helper_{i}_2(table_{i}, n / 3);",
    ]
    for f in range(3, nhelpers):
        lines.append(f"    s += helper_{i}_{f}(table_{i}, n / {f + 1});")
    lines += [
        f"    lib_{k}_stats{i}(&st, table_{i}, n);",
        '    snprintf(buf, sizeof buf, "%ld:%ld:%d", s, st.max, st.count);',
        "    char *copy = malloc(strlen(buf) + 1);",
        "    if (!copy)",
        "        return -1;",
        "    strcpy(copy, buf);",
        "    int r = (int)strlen(copy);",
        "    free(copy);",
    ]
    if i + 1 < nfuncs:
        lines.append(f"    return r + (x > 0 ? lib_{k}_f{i + 1}(x - 1) % 7 : 0);")
    else:
        lines.append("    return r;")
    lines += ["}", ""]
    for extra in range(rng.randint(2, 4)):
        lines += [
            f"double lib_{k}_g{i}_{extra}(double a, double b) {{",
            "    double r = 0;",
            f"    for (int j = 0; j < {rng.randint(4, 40)}; j++)",
            "        r += a * j - b / (j + 1);",
            "    return r;",
            "}",
            "",
        ]
    return "\n".join(lines)


def main_source(use):
    lines = ["#include <stdio.h>", "#include <stdlib.h>", ""]
    lines += [f'#include "../lib_{k}/lib_{k}.h"' for k in use]
    lines += [
        "",
        "int main(int argc, char **argv) {",
        "    int x = argc > 1 ? atoi(argv[1]) : 10;",
        "    long s = 0;",
    ]
    lines += [f"    s += lib_{k}_f0(x + {k});" for k in use]
    lines += ['    printf("%ld\\n", s);', "    return 0;", "}", ""]
    return "\n".join(lines)


def generate(n, out):
    if n < 3:
        raise SystemExit("gen_make_project.py: N must be at least 3")
    rng = random.Random(n)
    nexe = max(2, n // 100)
    nlib_srcs = n - nexe
    nlibs = max(1, round(nlib_srcs / PER_LIB))
    per = [nlib_srcs // nlibs + (1 if k < nlib_srcs % nlibs else 0) for k in range(nlibs)]
    nshared = min(MAX_SHARED, nlibs // 4)
    shared = set(rng.sample(range(nlibs), nshared))

    os.makedirs(out, exist_ok=True)
    mk = [
        f"# Generated by bench/gen_make_project.py {n}: {n} translation units,",
        f"# {nlibs - nshared} static libraries, {nshared} shared, {nexe} programs.",
        "",
        "CC ?= cc",
        "AR ?= ar",
        "CFLAGS ?= -O2 -g",
        "PICFLAGS = -fPIC",
        "",
    ]
    rules = []
    lib_targets = {}
    calls = 0
    for k in range(nlibs):
        d = os.path.join(out, f"lib_{k}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"lib_{k}.h"), "w") as fh:
            fh.write(header(k, per[k], rng))
        objs = []
        for i in range(per[k]):
            cands = [x for x in range(nlibs) if x != k] or [k]
            others = rng.sample(cands, min(len(cands), rng.randint(1, 2)))
            with open(os.path.join(d, f"f{i}.c"), "w") as fh:
                fh.write(source(k, i, per[k], others, rng))
            objs.append(f"lib_{k}/f{i}.o")
        calls += len(objs) + 1
        mk.append(f"LIB_{k}_OBJS = " + " ".join(objs))
        if k in shared:
            target = f"lib_{k}/liblib_{k}.so"
            rules += [
                f"lib_{k}/%.o: lib_{k}/%.c",
                "\t$(CC) $(CFLAGS) $(PICFLAGS) -c $< -o $@",
                "",
                f"{target}: $(LIB_{k}_OBJS)",
                f"\t$(CC) -shared -Wl,-soname,liblib_{k}.so -o $@ $^",
                "",
            ]
        else:
            target = f"lib_{k}/liblib_{k}.a"
            rules += [f"{target}: $(LIB_{k}_OBJS)", "\t$(AR) rcs $@ $^", ""]
        lib_targets[k] = target

    exes = []
    for e in range(nexe):
        d = os.path.join(out, f"exe_{e}")
        os.makedirs(d, exist_ok=True)
        # Program e always uses library e mod nlibs, so that every library is linked somewhere
        # when there are enough programs, plus a few others.
        first = e % nlibs
        rest = rng.sample([x for x in range(nlibs) if x != first], min(nlibs - 1, LIBS_PER_EXE - 1))
        use = sorted([first] + rest)
        with open(os.path.join(d, "main.c"), "w") as fh:
            fh.write(main_source(use))
        deps = " ".join(lib_targets[k] for k in use)
        rpath = "".join(f" -Wl,-rpath,'$$ORIGIN/../lib_{k}'" for k in use if k in shared)
        rules += [
            f"exe_{e}/main: exe_{e}/main.o {deps}",
            f"\t$(CC) -o $@ exe_{e}/main.o {deps}{rpath} -lm",
            "",
        ]
        exes.append(f"exe_{e}/main")
        calls += 2

    mk += [
        "",
        f"LIBS = {' '.join(lib_targets[k] for k in range(nlibs))}",
        f"PROGRAMS = {' '.join(exes)}",
        "",
        ".PHONY: all clean",
        "",
        "all: $(LIBS) $(PROGRAMS)",
        "",
        "%.o: %.c",
        "\t$(CC) $(CFLAGS) -c $< -o $@",
        "",
    ]
    mk += rules
    mk += ["clean:", "\trm -f lib_*/*.o lib_*/*.a lib_*/*.so exe_*/*.o $(PROGRAMS)", ""]
    with open(os.path.join(out, "Makefile"), "w") as fh:
        fh.write("\n".join(mk))
    return {
        "n": n,
        "translation_units": nlib_srcs + nexe,
        "static_libs": nlibs - nshared,
        "shared_libs": nshared,
        "programs": nexe,
        "compiles": nlib_srcs + nexe,
        "archives": nlibs - nshared,
        "links": nshared + nexe,
        "calls": calls,
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    print(json.dumps(generate(int(sys.argv[1]), sys.argv[2])))


if __name__ == "__main__":
    main()
