#!/usr/bin/env python3
"""Generates a synthetic plain-Make C project with N translation units.

Usage: gen_make_project.py N OUTDIR

About N/50 static libraries (lib_K/, 50 sources each), two of them built as shared libraries
instead (-fPIC, -shared), and max(1, N/200) executables (exe_K/main.c) each linking a few
libraries. Sources are ordinary C of realistic size (a few functions with loops and arithmetic,
80 to 120 lines) so that a real -O2 -g build costs what real code costs. Deterministic for a
given N. Prints the number of tool calls the build makes (compiles, archives, links).
"""
import os
import random
import sys

PER_LIB = 50


def source(lib, i, rng, nlibs):
    other = (lib + 1) % nlibs
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        f'#include "lib_{lib}.h"',
        f'#include "../lib_{other}/lib_{other}.h"' if nlibs > 1 else "",
        "",
        f"static int table_{i}[64];",
        "",
    ]
    for f in range(4):
        k = rng.randint(3, 17)
        lines += [
            f"static long helper_{i}_{f}(const int *v, int n) {{",
            "    long acc = 0;",
            "    for (int j = 0; j < n; j++) {",
            f"        acc += (long)v[j] * {k} - (j % {k + 1});",
            "        if (acc > 100000) acc /= 3;",
            "    }",
            "    return acc;",
            "}",
            "",
        ]
    lines += [
        f"int lib_{lib}_f{i}(int x) {{",
        "    char buf[128];",
        "    int n = x % 64 + 1;",
        "    for (int j = 0; j < n; j++)",
        f"        table_{i}[j] = (x + j) * {i + 1};",
        f"    long s = helper_{i}_0(table_{i}, n) + helper_{i}_1(table_{i}, n / 2);",
        f"    s -= helper_{i}_2(table_{i}, n / 3) - helper_{i}_3(table_{i}, n / 4);",
        '    snprintf(buf, sizeof buf, "%ld", s);',
        "    char *copy = malloc(strlen(buf) + 1);",
        "    if (!copy) return -1;",
        "    strcpy(copy, buf);",
        "    int r = (int)strlen(copy);",
        "    free(copy);",
    ]
    if i + 1 < PER_LIB:
        lines.append(f"    return r + (x > 0 ? lib_{lib}_f{i + 1}(x - 1) % 7 : 0);")
    else:
        lines.append("    return r;")
    lines += ["}", ""]
    for extra in range(rng.randint(2, 5)):
        lines += [
            f"double lib_{lib}_g{i}_{extra}(double a, double b) {{",
            "    double r = 0;",
            f"    for (int j = 0; j < {rng.randint(4, 40)}; j++)",
            "        r += a * j - b / (j + 1);",
            "    return r;",
            "}",
            "",
        ]
    return "\n".join(lines) + "\n"


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(n)
    nlibs = max(1, n // PER_LIB)
    per = [n // nlibs + (1 if k < n % nlibs else 0) for k in range(nlibs)]
    shared = set(range(min(2, nlibs))) if nlibs > 2 else set()
    nexe = max(1, n // 200)
    os.makedirs(out, exist_ok=True)
    mk = ["CC ?= cc", "AR ?= ar", "CFLAGS ?= -O2 -g", "", ".PHONY: all clean", ""]
    libs_out = []
    calls = 0
    for k in range(nlibs):
        d = os.path.join(out, f"lib_{k}")
        os.makedirs(d, exist_ok=True)
        proto = [f"int lib_{k}_f{i}(int x);" for i in range(PER_LIB)]
        with open(os.path.join(d, f"lib_{k}.h"), "w") as fh:
            fh.write(f"#ifndef LIB_{k}_H\n#define LIB_{k}_H\n" + "\n".join(proto) + "\n#endif\n")
        srcs = []
        for i in range(per[k]):
            with open(os.path.join(d, f"f{i}.c"), "w") as fh:
                fh.write(source(k, i, rng, nlibs))
            srcs.append(f"lib_{k}/f{i}.o")
        # Functions a library declares but does not define (short libraries) are stubbed.
        if per[k] < PER_LIB:
            with open(os.path.join(d, "stubs.c"), "w") as fh:
                fh.write(f'#include "lib_{k}.h"\n' + "".join(f"int lib_{k}_f{i}(int x) {{ return x; }}\n" for i in range(per[k], PER_LIB)))
            srcs.append(f"lib_{k}/stubs.o")
        calls += len(srcs) + 1
        objs = " ".join(srcs)
        mk.append(f"LIB_{k}_OBJS = {objs}")
        if k in shared:
            target = f"lib_{k}/liblib_{k}.so"
            mk += [f"{target}: $(LIB_{k}_OBJS)", f"\t$(CC) -shared -o $@ $^", ""]
            mk += [f"lib_{k}/%.o: lib_{k}/%.c", f"\t$(CC) $(CFLAGS) -fPIC -c $< -o $@", ""]
        else:
            target = f"lib_{k}/liblib_{k}.a"
            mk += [f"{target}: $(LIB_{k}_OBJS)", f"\t$(AR) rcs $@ $^", ""]
        libs_out.append(target)
    exes = []
    for e in range(nexe):
        d = os.path.join(out, f"exe_{e}")
        os.makedirs(d, exist_ok=True)
        use = sorted(rng.sample(range(nlibs), min(nlibs, 4)))
        with open(os.path.join(d, "main.c"), "w") as fh:
            fh.write("#include <stdio.h>\n" + "".join(f'#include "../lib_{k}/lib_{k}.h"\n' for k in use))
            fh.write("int main(int argc, char **argv) {\n    (void)argv;\n    long s = 0;\n")
            fh.write("".join(f"    s += lib_{k}_f0(argc + {k});\n" for k in use))
            fh.write('    printf("%ld\\n", s);\n    return 0;\n}\n')
        # Every library: a library's functions call the next library's.
        deps = " ".join(libs_out)
        mk += [f"exe_{e}/main: exe_{e}/main.o {deps}",
               f"\t$(CC) -o $@ exe_{e}/main.o -Wl,--start-group {deps} -Wl,--end-group -lm", ""]
        exes.append(f"exe_{e}/main")
        calls += 2
    mk += ["%.o: %.c", "\t$(CC) $(CFLAGS) -c $< -o $@", ""]
    mk.insert(6, "all: " + " ".join(exes))
    mk += ["clean:", "\trm -f */*.o */*.a */*.so " + " ".join(exes), ""]
    with open(os.path.join(out, "Makefile"), "w") as fh:
        fh.write("\n".join(mk))
    print(calls)


if __name__ == "__main__":
    main()
