//! The shims inside real builds: tools that read artifacts (nm), archives whose objects are
//! deleted, extracted or indexed, programs and shared libraries that realize themselves, and
//! compilers called by versioned and target-prefixed names.

mod common;
use common::*;
use std::fmt::Write as _;
use std::path::Path;

/// Writes a small project (file name, content) and confesses it with `make`.
fn confess_project(tmp: &Path, files: &[(&str, &str)]) -> Run {
    require("make", "make");
    let src = tmp.join("src");
    for (name, text) in files {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let run = confess(tmp, &["make", src.to_str().expect("utf-8")]);
    run.assert_ok();
    run
}

fn generated(run: &Run, name: &str) -> String {
    std::fs::read_to_string(run.out.join("generated").join(name))
        .unwrap_or_else(|e| panic!("generated/{name}: {e}"))
}

const LIB_C: &str =
    "int confess_answer(void) { return 42; }\nint confess_twice(int x) { return 2 * x; }\n";
const MAIN_C: &str = "#include <stdio.h>\nint confess_answer(void);\nint main(void) { printf(\"answer %d\\n\", confess_answer()); return 0; }\n";

#[test]
fn nm_on_an_object_token_reads_the_real_symbols() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess_project(tmp.path(), &[
        ("lib.c", LIB_C),
        ("Makefile", "all: syms.txt\nlib.o: lib.c\n\t$(CC) -c lib.c -o lib.o\nsyms.txt: lib.o\n\tnm lib.o > syms.txt\n"),
    ]);
    let syms = generated(&run, "syms.txt");
    assert!(
        syms.contains("T confess_answer") && syms.contains("T confess_twice"),
        "{syms}"
    );
    // The summary says what was built for real, and for which inspection.
    let summary = run.stdout();
    assert!(
        summary.contains("\n  realized              1 artifacts, ")
            && summary.contains(" s of real tools (inspections: nm 1)\n"),
        "{summary}"
    );
}

#[test]
fn report_md_says_what_each_inspection_realized() {
    // nm twice on an archive of two objects, once on one of the objects: report.md counts the
    // calls by what they read and how much each takes to realize (the archive and its two
    // members; the object alone), and targets.json carries the same.
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: a.txt b.txt c.txt
lib.o: lib.c
\t$(CC) -c lib.c -o lib.o
main.o: main.c
\t$(CC) -c main.c -o main.o
libx.a: lib.o main.o
\tar rcs libx.a lib.o main.o
a.txt: libx.a
\tnm libx.a > a.txt
b.txt: libx.a
\tnm libx.a > b.txt
c.txt: lib.o
\tnm lib.o > c.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    let report = run.read("report.md");
    let section = report
        .split("\n## Inspections: ")
        .nth(1)
        .expect("an Inspections section");
    assert!(section.starts_with("3 calls\n"), "{section}");
    assert!(
        section.contains("\n| nm | realized | `[build]/lib.o` | 1 | 1 |\n")
            && section.contains("\n| nm | realized | `[build]/libx.a` | 3 | 2 |\n"),
        "{section}"
    );
    let t = run.json("targets.json");
    let calls: Vec<u64> = t["inspections"]
        .as_array()
        .expect("inspections")
        .iter()
        .map(|i| i["calls"].as_u64().expect("calls"))
        .collect();
    assert_eq!(calls, [1, 2]);
}

#[test]
fn as_called_by_name_on_compiler_output_is_confessed_and_realizes() {
    // `as` on the assembly a `gcc -S` wrote (a token): an object token whose input is that
    // token, realized by running the recorded `as` on the realized assembly.
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: out.txt
app: lib.c main.c
\t$(CC) -O2 -S lib.c -o lib.s
\tas --64 lib.s -o lib.o
\t$(CC) -o app main.c lib.o
out.txt: app
\t./app > out.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    assert_eq!(generated(&run, "out.txt"), "answer 42\n");
    let g = run.read("graph.txt");
    assert!(g.contains("assemble as -> [build]/lib.o\n"), "{g}");
    assert!(g.contains("  input [build]/lib.s\n"), "{g}");
    let summary = run.stdout();
    assert!(
        summary.contains("\n  programs run          1\n"),
        "{summary}"
    );
    // app, main.c's object, lib.o and lib.s: built for real to run app.
    assert!(
        summary.contains("\n  realized              4 artifacts, "),
        "{summary}"
    );
}

#[test]
fn archives_survive_deleted_and_extracted_members_and_programs_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: out.txt list.txt
libx.a: lib.c
\t$(CC) -c lib.c -o lib.o
\t$(AR) rcs libx.a lib.o
\tranlib libx.a
\trm lib.o
list.txt: libx.a
\tmkdir -p x && cd x && $(AR) x ../libx.a && ls > ../list.txt
\t$(AR) t libx.a >> list.txt
app: main.c libx.a
\t$(CC) -c main.c -o main.o
\t$(CC) -o app main.o -L. -lx
\tstrip app
\tobjcopy app app.copy
out.txt: app
\t./app.copy > out.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    assert_eq!(generated(&run, "out.txt"), "answer 42\n");
    assert_eq!(generated(&run, "list.txt"), "lib.o\nlib.o\n");
    let g = run.read("graph.txt");
    assert!(g.contains("link cc -> [build]/app\n"), "{g}");
    assert!(g.contains("  library [build]/libx.a\n"), "{g}");
}

#[test]
fn shared_libraries_realize_with_their_soname() {
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: out.txt
libg.so.1: lib.c
\t$(CC) -fPIC -c lib.c -o lib.o
\t$(CC) -shared -Wl,-soname,libg.so.1 -o libg.so.1 lib.o
\tln -sf libg.so.1 libg.so
app: main.c libg.so.1
\t$(CC) -o app main.c -L. -lg
out.txt: app
\tLD_LIBRARY_PATH=. ./app > out.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    assert_eq!(generated(&run, "out.txt"), "answer 42\n");
    let g = run.json("graph.json");
    let shared = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "shared_library")
        .count();
    assert_eq!(shared, 1);
}

#[test]
fn assembly_from_s_is_assembled_and_realizes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: out.txt
app: lib.c main.c
\t$(CC) -S lib.c -o lib.s
\t$(CC) -c lib.s -o lib.o
\t$(CC) -o app main.c lib.o
out.txt: app
\t./app > out.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    assert_eq!(generated(&run, "out.txt"), "answer 42\n");
    let g = run.read("graph.txt");
    assert!(g.contains("compile cc -> [build]/lib.s\n"), "{g}");
    assert!(g.contains("  input [build]/lib.s\n"), "{g}");
}

#[test]
fn versioned_and_prefixed_compiler_names_are_confessed() {
    // Names this machine has: gcc-12 and x86_64-linux-gnu-gcc on Debian 12.
    let names: Vec<String> = ["gcc-12", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-gcc-12"]
        .iter()
        .filter(|n| which::which(n).is_ok())
        .map(ToString::to_string)
        .collect();
    assert!(
        !names.is_empty(),
        "no versioned or prefixed gcc on this machine (install gcc)"
    );
    let mut makefile = String::from("all:");
    for (i, _) in names.iter().enumerate() {
        let _ = write!(makefile, " o{i}.o");
    }
    makefile.push('\n');
    for (i, n) in names.iter().enumerate() {
        let _ = writeln!(makefile, "o{i}.o: lib.c\n\t{n} -c lib.c -o o{i}.o");
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess_project(tmp.path(), &[("lib.c", LIB_C), ("Makefile", &makefile)]);
    let g = run.read("graph.txt");
    for (i, _) in names.iter().enumerate() {
        assert!(
            g.contains(&format!("compile cc -> [build]/o{i}.o\n")),
            "{g}"
        );
    }
    // Different compilers are different actions: ids differ.
    let j = run.json("graph.json");
    let ids: std::collections::BTreeSet<&str> = j["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "object")
        .filter_map(|n| n["token"].as_str())
        .collect();
    assert_eq!(ids.len(), names.len());
}

#[test]
fn a_shim_outside_a_session_is_the_real_tool() {
    let tmp = tempfile::tempdir().expect("tmp");
    let link = tmp.path().join("cc");
    std::os::unix::fs::symlink(confess_bin().with_file_name("confess-shim"), &link)
        .expect("symlink");
    std::fs::write(tmp.path().join("a.c"), format!("{LIB_C}{MAIN_C}")).expect("write");
    let st = std::process::Command::new(&link)
        .args(["-o", "a", "a.c"])
        .current_dir(tmp.path())
        .env_remove("CONFESS_DIR")
        .output()
        .expect("run shim");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let bytes = std::fs::read(tmp.path().join("a")).expect("a");
    assert!(
        bytes.starts_with(b"\x7fELF"),
        "the shim wrote a token outside a session"
    );
    let out = std::process::Command::new(tmp.path().join("a"))
        .output()
        .expect("run a");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "answer 42\n");
    // Outside a session the shim keeps nothing: it once cached the real tool's path in
    // `cache/` under the working directory, in the user's tree.
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("read tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["a", "a.c", "cc"],
        "the shim wrote into its working directory"
    );
}

#[test]
fn header_scan_lists_what_gcc_lists() {
    // gcc lists a header once per directory entry it was reached from: `b.h` found from a.h's
    // own directory and again through -Id is listed twice. `-include` is searched from "./",
    // which gcc leaves out of the listing. CONFESS_VERIFY_HEADERS (set by the test helper)
    // fails the build on any difference from gcc -M.
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess_project(
        tmp.path(),
        &[
            ("d/a.h", "#include \"b.h\"\n"),
            ("d/b.h", "#ifndef B_H\n#define B_H\nint b;\n#endif\n"),
            ("inc.h", "#define FROM_INC 1\n"),
            (
                "sub/x.c",
                "#include \"a.h\"\n#include \"b.h\"\nint x = FROM_INC;\n",
            ),
            (
                "Makefile",
                "all: x.o\nx.o: sub/x.c\n\t$(CC) -Id -include inc.h -MD -c sub/x.c -o x.o\n",
            ),
        ],
    );
    run.assert_scanned_in_process();
    let g = run.read("graph.txt");
    for h in ["d/a.h", "d/b.h", "inc.h"] {
        assert!(g.contains(&format!("  header {h}\n")), "{g}");
    }
}

#[test]
fn header_scan_asks_the_compiler_what_its_preprocessor_defines() {
    // gcc 12 has no `__has_feature` or `__has_extension`, and takes `true` in `#if` as 1 in
    // C++ but as an unknown name, 0, in C: the scan asks the compiler, per flag set, instead of
    // taking what clang does (CONFESS_VERIFY_HEADERS compares every scan with gcc -M).
    // `#pragma push_macro` and `pop_macro` keep and restore a definition, or its absence.
    // C++'s `and`, `not` are operators (C's are iso646.h's macros), and need no fallback.
    let tmp = tempfile::tempdir().expect("tmp");
    let p = "#define PM 1\n#pragma push_macro(\"PM\")\n#undef PM\n#pragma pop_macro(\"PM\")\n\
             #ifdef PM\n#include \"restored.h\"\n#endif\n\
             #pragma push_macro( \"NONE\" )\n#define NONE 1\n#pragma pop_macro (\"NONE\")\n\
             #pragma pop_macro(\"NONE\")\n#ifdef NONE\n#include \"never.h\"\n#endif\n";
    let h = "#ifdef __has_feature\n#include \"clang_only.h\"\n#endif\n\
             #ifndef __has_extension\n#define __has_extension(x) 0\n#endif\n\
             #if __has_extension(c_generic_selections)\n#include \"ext.h\"\n#endif\n\
             #if true\n#include \"truth.h\"\n#endif\n\
             #if defined(__has_builtin) && __has_builtin(__builtin_expect)\n\
             #include \"builtin.h\"\n#endif\n";
    let run = confess_project(
        tmp.path(),
        &[
            ("h.h", h),
            ("clang_only.h", ""),
            ("ext.h", ""),
            ("truth.h", ""),
            ("builtin.h", ""),
            ("p.h", p),
            ("restored.h", ""),
            ("never.h", ""),
            ("named.h", ""),
            (
                "x.c",
                "#include \"h.h\"\n#include \"p.h\"\n#include <iso646.h>\n\
                 #if not defined(NOPE) and 1\n#include \"named.h\"\n#endif\n",
            ),
            (
                "y.cpp",
                "#include \"h.h\"\n#include \"p.h\"\n\
                 #if not defined(NOPE) and 1\n#include \"named.h\"\n#endif\n",
            ),
            (
                "Makefile",
                "all: x.o y.o\nx.o: x.c\n\t$(CC) -MD -c x.c -o x.o\n\
                 y.o: y.cpp\n\t$(CXX) -MD -c y.cpp -o y.o\n",
            ),
        ],
    );
    run.assert_scanned_in_process();
    let g = run.read("graph.txt");
    let headers = |obj: &str| -> Vec<&str> {
        let block = g
            .split("\n\n")
            .find(|b| b.lines().next().is_some_and(|l| l.ends_with(obj)))
            .unwrap_or_else(|| panic!("no compile of {obj}: {g}"));
        block
            .lines()
            .filter_map(|l| l.strip_prefix("  header "))
            .collect()
    };
    assert_eq!(
        headers("/x.o"),
        ["builtin.h", "h.h", "named.h", "p.h", "restored.h"],
        "{g}"
    );
    assert_eq!(
        headers("/y.o"),
        [
            "builtin.h",
            "h.h",
            "named.h",
            "p.h",
            "restored.h",
            "truth.h"
        ],
        "{g}"
    );
}

#[test]
fn pragma_once_skips_a_copy_with_the_same_time_size_and_bytes() {
    // gcc takes a file marked `#pragma once` and another with the same modification second,
    // size and bytes for one file read under two names (files unpacked from one tarball share
    // one time): the second is not included. A copy of another time is, and so is a file of the
    // same time and size whose bytes differ. CONFESS_VERIFY_HEADERS compares with gcc -M.
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    let text = "#pragma once\n#define SEEN_H 1\n";
    let other = "#pragma once\n#define SEEN_X 1\n";
    let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    for (name, body, time) in [
        ("a/h.h", text, at(1_600_000_000)),
        ("b/h.h", text, at(1_600_000_000)),
        ("c/h.h", text, at(1_700_000_000)),
        ("d/h.h", other, at(1_600_000_000)),
        (
            "m.c",
            "#include \"a/h.h\"\n#include \"b/h.h\"\n#include \"c/h.h\"\n#include \"d/h.h\"\n",
            at(1_600_000_000),
        ),
        (
            "Makefile",
            "m.o: m.c\n\t$(CC) -MD -c m.c -o m.o\n",
            at(1_600_000_000),
        ),
    ] {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, body).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(time))
            .expect("set the time");
    }
    let run = confess(tmp.path(), &["make", src.to_str().expect("utf-8")]);
    run.assert_ok().assert_scanned_in_process();
    let g = run.read("graph.txt");
    let headers: Vec<&str> = g
        .lines()
        .filter_map(|l| l.strip_prefix("  header "))
        .collect();
    assert_eq!(headers, ["a/h.h", "c/h.h", "d/h.h"], "{g}");
}

/// The scratch directory of a confession kept for running shims by hand in its build phase;
/// removed when dropped.
struct Kept(std::path::PathBuf);

impl Drop for Kept {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Kept {
    /// A confession of a project that builds nothing, kept.
    fn new(tmp: &Path) -> Kept {
        require("make", "make");
        let src = tmp.join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("Makefile"), "all:\n\t@true\n").expect("write");
        let (run, scratch) =
            confess_keeping_scratch(&tmp.join("c"), &["make", src.to_str().expect("utf-8")]);
        let kept = Kept(scratch);
        run.assert_ok();
        kept
    }

    /// The copy of the sources, where the shims run.
    fn src(&self) -> std::path::PathBuf {
        self.0.join("src")
    }

    /// The shim called as `tool` in the copy of the sources, in the build phase.
    fn shim(&self, tool: &str) -> std::process::Command {
        let mut c = under_shims(&self.0, tool);
        // Headers are not checked against gcc -M here: gcc cannot run some of these commands
        // (40,000 `-I` make cc1's command line too long for the kernel).
        c.current_dir(self.src())
            .env_remove("CONFESS_VERIFY_HEADERS");
        c
    }

    /// Runs the shim as `tool` with `args`: exit code and standard error.
    fn run<S: AsRef<std::ffi::OsStr>>(&self, tool: &str, args: &[S]) -> (i32, String) {
        let o = self.shim(tool).args(args).output().expect("run the shim");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

#[test]
fn forty_thousand_include_directories_are_one_compile() {
    // 39,999 directories that do not exist, then the one that holds the header: the shim
    // finds it, records every word, and takes time linear in the words (it was quadratic: 66 s
    // here). gcc itself cannot run this command (cc1's command line is too long).
    let tmp = tempfile::tempdir().expect("tmp");
    let kept = Kept::new(tmp.path());
    let src = kept.src();
    std::fs::create_dir_all(src.join("inc/last")).expect("mkdir");
    std::fs::write(src.join("inc/last/deep.h"), "#define DEEP 1\n").expect("write");
    std::fs::write(src.join("a.c"), "#include <deep.h>\nint a = DEEP;\n").expect("write");
    let mut args: Vec<String> = ["-c", "a.c", "-o", "a.o"].map(String::from).to_vec();
    args.extend((0..39_999).map(|i| format!("-Inone/d{i}")));
    args.push("-Iinc/last".into());
    let (code, err) = kept.run("cc", &args);
    assert_eq!(code, 0, "{err}");
    let tok = std::fs::read_to_string(src.join("a.o")).expect("a.o");
    assert!(tok.starts_with("CONFESS-TOKEN 1\n"), "{tok:.200}");
    let lines: Vec<&str> = tok.lines().collect();
    let words: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("arg "))
        .collect();
    assert_eq!(words.len(), 1 + args.len());
    assert_eq!(
        words[1..],
        args.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    let deep = format!("{}/inc/last/deep.h", src.display());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("in header ") && l.ends_with(&deep)),
        "the header in the last directory is not an input"
    );
    let conn = scratch_events(&kept.0);
    let argv_json: String = conn
        .query_row(
            "SELECT argv FROM events WHERE decision = 'confessed'",
            [],
            |r| r.get(0),
        )
        .expect("the compile's event");
    let recorded: Vec<String> = serde_json::from_str(&argv_json).expect("argv");
    assert_eq!(recorded.len(), 1 + args.len());
}

/// An OS string of bytes.
fn os(b: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(b).to_os_string()
}

const LIB_C_NAMED: &str =
    "const char *confess_name = NAME;\nint confess_answer(void) { return 42; }\n";

#[test]
fn a_response_file_with_bytes_that_are_not_utf8_is_read_as_gcc_reads_it() {
    // The response file's name, the source's directory and name, the output and a macro's
    // value hold 0xFF and 0xE9: the compile is confessed (not passed through), the token keeps
    // every word in its text form, and realizing it gives the real compiler the exact bytes
    // (the string's bytes are in the object).
    let tmp = tempfile::tempdir().expect("tmp");
    let kept = Kept::new(tmp.path());
    let src = kept.src();
    let dir = src.join(os(b"sub\xff"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(os(b"a\xff.c")), LIB_C_NAMED).expect("write");
    std::fs::write(
        src.join(os(b"r\xff.rsp")),
        b"-c 'sub\xff/a\xff.c' -o a\xff.o \"-DNAME=\\\"caf\xe9\\\"\"\n",
    )
    .expect("write");
    let (code, err) = kept.run("cc", &[os(b"@r\xff.rsp")]);
    assert_eq!(code, 0, "{err}");
    let tok = std::fs::read_to_string(src.join(os(b"a\xff.o"))).expect("a token, valid UTF-8");
    assert!(tok.starts_with("CONFESS-TOKEN 1\n"), "{tok}");
    assert!(!tok.contains('\u{fffd}'), "{tok}");
    assert!(tok.contains("\narg sub\u{efff}/a\u{efff}.c\n"), "{tok}");
    assert!(tok.contains("\narg -DNAME=\"caf\u{efe9}\"\n"), "{tok}");
    let conn = scratch_events(&kept.0);
    let (decision, argv): (String, String) = conn
        .query_row(
            "SELECT decision, argv FROM events WHERE role = 'cc'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the compile's event");
    assert_eq!(decision, "confessed");
    assert!(
        argv.contains("a\u{efff}.o") && !argv.contains('\u{fffd}'),
        "{argv}"
    );
    // objdump reads the realized object: the compiler got the bytes.
    let out = kept
        .shim("objdump")
        .args(["-s", "-j", ".rodata"])
        .arg(os(b"a\xff.o"))
        .output()
        .expect("objdump");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("636166e9"),
        "caf\\xe9 is not in the object:\n{text}"
    );
}

/// A compiled object token in a kept session: its path.
fn object_in(kept: &Kept) -> std::path::PathBuf {
    let src = kept.src();
    std::fs::write(src.join("lib.c"), LIB_C).expect("write");
    let (code, err) = kept.run("cc", &["-c", "lib.c", "-o", "lib.o"]);
    assert_eq!(code, 0, "{err}");
    src.join("lib.o")
}

#[test]
fn a_damaged_token_is_refused_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kept = Kept::new(tmp.path());
    let obj = object_in(&kept);
    let good = std::fs::read_to_string(&obj).expect("token");
    // Cut short, an input changed under the same id, bytes that are not text: each is refused
    // by every tool that reads it, with the file named and what to do.
    let cut = good[..good.len() - 4].to_string();
    let changed = good.replacen("\nin source ", "\nin source 0", 1);
    assert_ne!(changed, good);
    // Lines the id does not cover are covered by the `sum` line, which must be there.
    let arg = good.replacen("\narg lib.c\n", "\narg /etc/passwd\n", 1);
    let output = good.replacen("\noutput ", "\noutput /tmp", 1);
    let unsummed: String = good
        .lines()
        .filter(|l| !l.starts_with("sum "))
        .flat_map(|l| [l, "\n"])
        .collect();
    for edited in [&arg, &output, &unsummed] {
        assert_ne!(edited, &good);
    }
    let mut not_text = good.clone().into_bytes();
    not_text.extend_from_slice(b"\xff\n");
    for (what, bytes) in [
        ("cut short", cut.into_bytes()),
        ("changed", changed.into_bytes()),
        ("an argument changed", arg.into_bytes()),
        ("its output changed", output.into_bytes()),
        ("without its sum", unsummed.into_bytes()),
        ("not text", not_text),
    ] {
        std::fs::write(&obj, &bytes).expect("damage");
        for (tool, args) in [
            ("cc", vec!["-o", "app", "lib.o"]),
            ("ar", vec!["rcs", "libx.a", "lib.o"]),
            ("nm", vec!["lib.o"]),
            ("strip", vec!["lib.o"]),
        ] {
            let (code, err) = kept.run(tool, &args);
            assert_eq!(code, 125, "{what}, {tool}: {err}");
            assert!(
                err.contains(&format!(
                    "{} starts like a confess token but is damaged",
                    obj.display()
                )) && err.contains("make clean"),
                "{what}, {tool}: {err}"
            );
        }
    }
    assert!(!kept.src().join("app").exists() && !kept.src().join("libx.a").exists());
}

#[test]
fn a_token_of_another_confession_is_refused_and_nothing_is_written_where_it_points() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = Kept::new(&tmp.path().join("a"));
    let b = Kept::new(&tmp.path().join("b"));
    // A program token of confession A, copied into B's tree.
    std::fs::write(a.src().join("lib.c"), LIB_C).expect("write");
    std::fs::write(a.src().join("main.c"), MAIN_C).expect("write");
    let (code, err) = a.run("cc", &["-o", "app", "main.c", "lib.c"]);
    assert_eq!(code, 0, "{err}");
    let obj = object_in(&a);
    for f in ["app", "lib.o"] {
        std::fs::copy(a.src().join(f), b.src().join(f)).expect("copy");
    }
    let a_realized = a.0.join("session/realized");
    let refused = |err: &str, what: &str| {
        assert!(
            err.contains("is a token of another confession") && err.contains("make clean"),
            "{what}: {err}"
        );
    };
    for (tool, args) in [
        ("cc", vec!["-o", "app2", "lib.o"]),
        ("ar", vec!["rcs", "libx.a", "lib.o"]),
        ("nm", vec!["lib.o"]),
    ] {
        let (code, err) = b.run(tool, &args);
        assert_eq!(code, 125, "{tool}: {err}");
        refused(&err, tool);
    }
    // Run in B, A's program is refused too, and realizes nothing in A's session.
    let o = b.shim("./app").output().expect("run app");
    assert_eq!(o.status.code(), Some(125));
    refused(&String::from_utf8_lossy(&o.stderr), "./app");
    assert!(!a_realized.exists(), "B realized into A's session");
    // A token whose store line names a directory: it is foreign, and that directory is not
    // made (the token's text never decides where anything is written).
    // (Rendered again, so that its `sum` line matches: a token edited by hand is damaged.)
    let elsewhere = tmp.path().join("elsewhere");
    let text = std::fs::read_to_string(&obj).expect("token");
    let mut tok = confess_shims::token::Token::parse(&text).expect("a token");
    tok.store = elsewhere.to_str().expect("utf-8").to_string();
    std::fs::write(b.src().join("lib.o"), tok.render("/unused/confess-shim")).expect("write");
    let (code, err) = b.run("nm", &["lib.o"]);
    assert_eq!(code, 125, "{err}");
    refused(&err, "nm on a token with another store");
    assert!(
        !elsewhere.exists(),
        "the token's store line decided where to write"
    );
}

#[test]
fn a_program_token_run_after_its_confession_is_refused_and_recreates_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kept = Kept::new(tmp.path());
    std::fs::write(kept.src().join("lib.c"), LIB_C).expect("write");
    std::fs::write(kept.src().join("main.c"), MAIN_C).expect("write");
    let (code, err) = kept.run("cc", &["-o", "app", "main.c", "lib.c"]);
    assert_eq!(code, 0, "{err}");
    // Inside the confession the program runs.
    let o = kept.shim("./app").output().expect("run app");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "answer 42\n");
    let app = tmp.path().join("app");
    std::fs::copy(kept.src().join("app"), &app).expect("copy");
    let session = kept.0.join("session");
    drop(kept);
    // No confession running: refused, with what to do.
    let o = std::process::Command::new(&app)
        .env_remove("CONFESS_DIR")
        .output()
        .expect("run app");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(err.contains("no confession is running"), "{err}");
    // Its confession's directory gone: refused, and not made again.
    let o = std::process::Command::new(&app)
        .env("CONFESS_DIR", &session)
        .output()
        .expect("run app");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(err.contains("is gone"), "{err}");
    assert!(
        !session.exists(),
        "running the token made its session directory again"
    );
}

/// ar, ld, nm and objcopy read `@file` as gcc does (binutils call libiberty's `expandargv`
/// first thing): an archive's members, a relocatable link's inputs and the files nm and objcopy
/// read, all given in response files, are in the graph and realize.
#[test]
fn binutils_read_response_files_as_gcc_does() {
    let tmp = tempfile::tempdir().expect("tmp");
    let makefile = "\
all: syms.txt out.txt
lib.o: lib.c
\t$(CC) -c lib.c -o lib.o
libx.a: lib.o
\techo 'lib.o' > ar.rsp
\t$(AR) rcs libx.a @ar.rsp
both.o: main.o
\techo '-r main.o' > ld.rsp
\t$(LD) @ld.rsp -o both.o
main.o: main.c
\t$(CC) -c main.c -o main.o
syms.txt: libx.a
\techo 'libx.a' > nm.rsp
\tnm @nm.rsp > syms.txt
app: both.o libx.a
\t$(CC) -o app main.o libx.a
\techo 'app app.copy' > objcopy.rsp
\tobjcopy @objcopy.rsp
out.txt: app
\t./app.copy > out.txt
";
    let run = confess_project(
        tmp.path(),
        &[("lib.c", LIB_C), ("main.c", MAIN_C), ("Makefile", makefile)],
    );
    let g = run.read("graph.txt");
    assert!(
        g.contains(
            "archive ar -> [build]/libx.a\n  argv ar rcs libx.a @ar.rsp\n  member [build]/lib.o\n"
        ),
        "{g}"
    );
    assert!(
        g.contains(
            "link ld -> [build]/both.o\n  argv ld @ld.rsp -o both.o\n  input [build]/main.o\n"
        ),
        "{g}"
    );
    let syms = generated(&run, "syms.txt");
    assert!(syms.contains("T confess_answer"), "{syms}");
    assert_eq!(generated(&run, "out.txt"), "answer 42\n");
}
