//! `confess make` and `confess run` on the Make fixtures: the graph equals the expected graph
//! beside each fixture, the compile database equals Bear's from a real build, the fixture is
//! untouched, and no output points into the scratch directory.
//!
//! Set CONFESS_BLESS=1 to rewrite the expected graphs (then read the diff before committing).

mod common;
use common::*;
use std::path::Path;

fn check_fixture(name: &str) {
    require("make", "make");
    if name == "assemblers" {
        require("nasm", "nasm");
        require("yasm", "yasm");
    }
    let fx = fixture(&format!("make/{name}"));
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    run.assert_ok().assert_scanned_in_process();
    assert_eq!(
        tree_digest(&fx),
        before,
        "confess changed the fixture's source tree"
    );

    let got = run.read("graph.txt");
    let expected = fx.join("expected.graph");
    if std::env::var_os("CONFESS_BLESS").is_some() {
        std::fs::write(&expected, &got).expect("bless");
    }
    let want = std::fs::read_to_string(&expected).unwrap_or_else(|_| {
        panic!(
            "{} is missing (CONFESS_BLESS=1 writes it)",
            expected.display()
        )
    });
    assert_eq!(
        got,
        want,
        "graph of {name} differs from {}",
        expected.display()
    );

    // Nothing may point into the scratch directory, which is gone.
    for f in [
        "compile_commands.json",
        "graph.json",
        "graph.dot",
        "graph-files.dot",
    ] {
        assert_no_scratch_paths_in(f, &run.read(f));
    }

    // The compile database equals Bear's from a real build of a copy.
    let copy = tmp.path().join("real");
    copy_dir(&fx, &copy);
    let bear_db = bear(&copy, &["make"]);
    let generated = run.out.join("generated");
    let ours = tus(
        &without_generated_halves(&run.json("compile_commands.json"), &generated),
        &[fx.as_path(), generated.as_path()],
        false,
    );
    let theirs = tus(&bear_db, &[copy.as_path()], true);
    assert!(!theirs.is_empty(), "Bear recorded nothing for {name}");
    assert_eq!(
        ours, theirs,
        "compile database of {name} differs from Bear's"
    );

    // clangd and clang-tidy see through confess's database what they see through Bear's,
    // generated headers included.
    clangd::parity_trees(
        &format!("make/{name}"),
        &run.out,
        &fx,
        &copy,
        &copy,
        &bear_db,
    );
}

macro_rules! fixtures {
    ($($test:ident => $dir:literal,)*) => {
        $( #[test] fn $test() { check_fixture($dir); } )*

        #[test]
        fn every_fixture_directory_has_a_test() {
            let listed = [$($dir),*];
            for e in std::fs::read_dir(fixture("make")).expect("fixtures/make").flatten() {
                if e.path().is_dir() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    assert!(listed.contains(&name.as_str()), "fixtures/make/{name} has no test in tests/make.rs");
                }
            }
        }
    };
}

fixtures! {
    static_lib => "static-lib",
    shared_lib => "shared-lib",
    recursive => "recursive",
    subdirs => "subdirs",
    spaces => "spaces",
    response_file => "response-file",
    compile_and_link => "compile-and-link",
    multi_source => "multi-source",
    codegen => "codegen",
    depfiles => "depfiles",
    hardcoded_gcc => "hardcoded-gcc",
    cxx => "cxx",
    moved => "moved",
    same_source_twice => "same-source-twice",
    assemblers => "assemblers",
}

#[test]
fn run_gives_the_same_graph_as_make() {
    let fx = fixture("make/static-lib");
    let tmp = tempfile::tempdir().expect("tmp");
    let a = confess(
        &tmp.path().join("a"),
        &["make", fx.to_str().expect("utf-8")],
    );
    a.assert_ok();
    let b = confess(
        &tmp.path().join("b"),
        &["run", "--dir", fx.to_str().expect("utf-8"), "--", "make"],
    );
    b.assert_ok();
    assert_eq!(a.read("graph.txt"), b.read("graph.txt"));
}

/// The build phase's times and confess's peak memory are printed on stderr with --verbose
/// only, --quiet or not.
#[test]
fn timing_lines_only_with_verbose() {
    require("make", "make");
    let fx = fixture("make/static-lib");
    let tmp = tempfile::tempdir().expect("tmp");
    for (options, printed) in [
        (&[][..], false),
        (&["--quiet"][..], false),
        (&["--verbose"][..], true),
        (&["-q", "-v"][..], true),
    ] {
        let out = tmp.path().join("confess-out");
        let output = confess_command()
            .arg("make")
            .arg("--out")
            .arg(&out)
            .args(options)
            .arg(&fx)
            .output()
            .expect("run confess");
        let run = Run { out, output };
        run.assert_ok();
        let kinds: Vec<String> = run
            .stderr()
            .lines()
            .filter_map(|l| {
                let (kind, value) = l.split_once(": ")?;
                let number = value.trim_end_matches(['s', ' ', 'K', 'i', 'B']);
                (matches!(kind, "build phase" | "build phase cpu" | "peak memory")
                    && number.parse::<f64>().is_ok())
                .then(|| kind.to_string())
            })
            .collect();
        let want: &[&str] = if printed {
            &["build phase", "build phase cpu", "peak memory"]
        } else {
            &[]
        };
        assert_eq!(kinds, want, "{options:?}:\n{}", run.stderr());
    }
}

#[test]
fn output_is_deterministic_across_runs_and_jobs() {
    let fx = fixture("make/subdirs");
    let tmp = tempfile::tempdir().expect("tmp");
    let a = confess(
        &tmp.path().join("a"),
        &["make", fx.to_str().expect("utf-8"), "-j1"],
    );
    let b = confess(
        &tmp.path().join("b"),
        &["make", fx.to_str().expect("utf-8"), "-j8"],
    );
    a.assert_ok();
    b.assert_ok();
    for f in [
        "graph.json",
        "compile_commands.json",
        "graph.dot",
        "graph-files.dot",
        "report.html",
        "graph.txt",
    ] {
        let fix = |s: String| {
            s.replace(&a.out.display().to_string(), "OUT")
                .replace(&b.out.display().to_string(), "OUT")
        };
        assert_eq!(
            fix(a.read(f)),
            fix(b.read(f)),
            "{f} differs between -j1 and -j8"
        );
    }
}

#[test]
fn codegen_program_is_realized_and_its_output_is_real() {
    let fx = fixture("make/codegen");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    let g = run.json("graph.json");
    let generated: Vec<&serde_json::Value> = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "generated")
        .collect();
    assert!(!generated.is_empty(), "no generated node");
    for n in generated {
        let kept = Path::new(n["kept_at"].as_str().expect("kept_at"));
        let text = std::fs::read_to_string(kept).expect("kept copy of generated file");
        assert!(
            text.len() > 20,
            "generated file {} is (nearly) empty: the generator did not really run",
            kept.display()
        );
    }
    assert!(
        g["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a["kind"] == "run" && !a["outputs"].as_array().expect("outputs").is_empty()),
        "the generator run is not linked to the files it wrote"
    );
}

#[test]
fn failing_build_says_which_command_failed_and_keeps_the_record() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("ok.c"), "int ok(void) { return 0; }\n").expect("write");
    std::fs::write(
        src.join("bad.c"),
        "#include \"missing_header.h\"\nint x = ;\n",
    )
    .expect("write");
    std::fs::write(src.join("Makefile"), "all: ok.o bad.o\n\t@echo done\n%.o: %.c\n\t$(CC) -c $< -o $@\n\tfalse-command-that-does-not-exist $@\n").expect("write");
    let run = confess(
        &tmp.path().join("o"),
        &["make", src.to_str().expect("utf-8")],
    );
    assert_eq!(run.code(), 1, "stderr: {}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("the build failed"), "{err}");
    assert!(err.contains("build.log"), "{err}");
    assert!(
        run.out.join("graph.json").exists(),
        "the record was not extracted"
    );
}

#[test]
fn missing_source_directory_is_exit_3() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["make", "/nonexistent/confess/src"]);
    assert_eq!(run.code(), 3);
    assert!(
        run.stderr().contains("/nonexistent/confess/src"),
        "{}",
        run.stderr()
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let run = confess(tmp.path(), &["make", empty.to_str().expect("utf-8")]);
    assert_eq!(run.code(), 3);
    assert!(run.stderr().contains("no Makefile"), "{}", run.stderr());
}

#[test]
fn refuses_an_output_directory_it_did_not_make() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("confess-out");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("precious.txt"), "keep me").expect("write");
    let run = confess(
        tmp.path(),
        &["make", fixture("make/static-lib").to_str().expect("utf-8")],
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).expect("kept"),
        "keep me"
    );
}

/// Make rules of a depfile: (targets, prerequisites) per rule, continuations joined.
fn depfile_rules(text: &str) -> Vec<(String, Vec<String>)> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (t, d) = l.split_once(':').expect("rule");
            (
                t.trim().to_string(),
                d.split_whitespace().map(String::from).collect(),
            )
        })
        .collect()
}

#[test]
fn depfiles_say_what_gcc_says() {
    let fx = fixture("make/depfiles");
    let tmp = tempfile::tempdir().expect("tmp");
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &["make", fx.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let real = tmp.path().join("real");
    copy_dir(&fx, &real);
    let st = std::process::Command::new("make")
        .current_dir(&real)
        .output()
        .expect("make");
    assert!(st.status.success());
    for d in ["area.d", "custom/main.d"] {
        let ours = std::fs::read_to_string(scratch.join("src").join(d)).expect("our depfile");
        let gcc = std::fs::read_to_string(real.join(d)).expect("gcc's depfile");
        assert_eq!(
            depfile_rules(&ours),
            depfile_rules(&gcc),
            "{d}:\nours:\n{ours}\ngcc:\n{gcc}"
        );
    }
    std::fs::remove_dir_all(&scratch).expect("cleanup");
}

#[test]
fn graph_json_follows_its_schema() {
    // Debian's python3-jsonschema (installed by scripts/install-deps.sh) checks the documents.
    let python = "/usr/bin/python3";
    assert!(
        Path::new(python).exists(),
        "{python} is required (Debian package python3-jsonschema)"
    );
    let schema = repo().join("docs/graph.schema.json");
    for name in ["codegen", "shared-lib", "compile-and-link", "multi-source"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let run = confess(
            tmp.path(),
            &[
                "make",
                fixture(&format!("make/{name}")).to_str().expect("utf-8"),
            ],
        );
        run.assert_ok();
        let out = std::process::Command::new(python)
            .args(["-c", "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))"])
            .arg(run.out.join("graph.json"))
            .arg(&schema)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "graph.json of {name} does not follow docs/graph.schema.json:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn confess_scratch_says_where_the_scratch_copy_goes() {
    let fx = fixture("make/static-lib");
    let tmp = tempfile::tempdir().expect("tmp");
    let place = tmp.path().join("scratch-here");
    std::fs::create_dir(&place).expect("mkdir");
    let place_s = place.to_str().expect("utf-8");
    let run = confess_full(
        &tmp.path().join("c"),
        &["make", fx.to_str().expect("utf-8")],
        &["--keep-scratch"],
        &[("CONFESS_SCRATCH", place_s)],
    );
    run.assert_ok();
    let kept = std::fs::read_dir(&place)
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .collect::<Vec<_>>();
    assert_eq!(
        kept.len(),
        1,
        "one scratch directory in {place_s}: {kept:?}"
    );
    assert!(kept[0].join("src/main.o").is_file(), "{kept:?}");
    assert!(
        run.stderr().contains("(set by CONFESS_SCRATCH)"),
        "{}",
        run.stderr()
    );
    // Without --keep-scratch the directory goes when the confession ends.
    std::fs::remove_dir_all(&kept[0]).expect("cleanup");
    let run = confess_env(
        &tmp.path().join("d"),
        &["make", fx.to_str().expect("utf-8")],
        &[("CONFESS_SCRATCH", place_s)],
    );
    run.assert_ok();
    assert_eq!(std::fs::read_dir(&place).expect("read").count(), 0);

    // A place that is not a directory is an input error naming it.
    let missing = tmp.path().join("no-such-dir");
    let run = confess_env(
        &tmp.path().join("e"),
        &["make", fx.to_str().expect("utf-8")],
        &[("CONFESS_SCRATCH", missing.to_str().expect("utf-8"))],
    );
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("no-such-dir"), "{}", run.stderr());
    assert!(run.stderr().contains("CONFESS_SCRATCH"), "{}", run.stderr());
}

#[test]
fn a_build_command_runs_as_itself_under_its_own_pid_and_a_missing_one_is_named() {
    let fx = fixture("make/static-lib");
    let tmp = tempfile::tempdir().expect("tmp");
    // The shell the step runs is the process CONFESS_TOP_PID names: the shim became it.
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("a"),
        &[
            "run",
            "--dir",
            fx.to_str().expect("utf-8"),
            "--",
            "sh",
            "-c",
            "echo \"$CONFESS_TOP_PID $$\" > top.txt && make",
        ],
    );
    run.assert_ok();
    let top = std::fs::read_to_string(scratch.join("src/top.txt")).expect("top.txt");
    let pids: Vec<&str> = top.split_whitespace().collect();
    assert_eq!(pids.len(), 2, "{top}");
    assert_eq!(
        pids[0], pids[1],
        "CONFESS_TOP_PID is the step's own pid: {top}"
    );
    assert!(
        run.read("graph.txt").contains("app"),
        "the build was confessed"
    );
    std::fs::remove_dir_all(&scratch).expect("cleanup");

    let run = confess(
        &tmp.path().join("b"),
        &[
            "run",
            "--dir",
            fx.to_str().expect("utf-8"),
            "--",
            "no-such-build-tool",
        ],
    );
    assert_eq!(run.code(), 4, "{}", run.stderr());
    assert!(
        run.stderr().contains("no-such-build-tool"),
        "{}",
        run.stderr()
    );
}

/// A Makefile project in `src` whose names and response file hold bytes that are not UTF-8:
/// a source `a\xff.c`, and `b.c` compiled from `b\xff.rsp`, which defines NAME as "caf\xe9".
fn write_non_utf8_project(src: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let os = |b: &[u8]| std::ffi::OsStr::from_bytes(b).to_os_string();
    std::fs::create_dir_all(src).expect("mkdir");
    std::fs::write(src.join(os(b"a\xff.c")), "int a(void) { return 1; }\n").expect("write");
    std::fs::write(
        src.join("b.c"),
        "const char *b_name = NAME;\nint b(void) { return 2; }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "int a(void);\nint b(void);\nint main(void) { return a() + b() - 3; }\n",
    )
    .expect("write");
    std::fs::write(
        src.join(os(b"b\xff.rsp")),
        b"-c b.c -o b.o '-DNAME=\"caf\xe9\"'\n",
    )
    .expect("write");
    std::fs::write(
        src.join("Makefile"),
        b"app: a\xff.o b.o main.o\n\t$(CC) -o app a\xff.o b.o main.o\n\
a\xff.o: a\xff.c\n\t$(CC) -c a\xff.c -o a\xff.o\n\
b.o: b.c\n\t$(CC) @b\xff.rsp\n\
main.o: main.c\n\t$(CC) -c main.c -o main.o\n",
    )
    .expect("write");
}

#[test]
fn names_that_are_not_utf8_are_confessed_whole() {
    // The source directory's name and a source's name hold 0xFF, and a response file holds
    // 0xFF and 0xE9: every translation unit is in compile_commands.json and the graph, with
    // each such byte written as its character of U+EF80..U+EFFF (docs/outputs.md), and no
    // output holds U+FFFD.
    use std::os::unix::ffi::OsStrExt;
    require("make", "make");
    let os = |b: &[u8]| std::ffi::OsStr::from_bytes(b).to_os_string();
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join(os(b"src\xff"));
    write_non_utf8_project(&src);
    let out = tmp.path().join("confess-out");
    let output = confess_command()
        .arg("make")
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .arg(&src)
        .env("CONFESS_VERIFY_HEADERS", "1")
        .output()
        .expect("run confess");
    let run = Run { out, output };
    run.assert_ok();
    let text = |p: &Path| confess_shims::raw::text_path(p).into_owned();
    let src_text = text(&src);
    assert!(src_text.ends_with("/src\u{efff}"), "{src_text}");

    let db = run.json("compile_commands.json");
    let entries = db.as_array().expect("entries");
    let files: Vec<&str> = entries
        .iter()
        .map(|e| e["file"].as_str().expect("file"))
        .collect();
    for name in ["a\u{efff}.c", "b.c", "main.c"] {
        let want = format!("{src_text}/{name}");
        assert!(files.contains(&want.as_str()), "{want} is not in {files:?}");
        // The text names the file itself.
        assert!(confess_shims::raw::path(&want).is_file(), "{want}");
    }
    for e in entries {
        assert_eq!(e["directory"], src_text.as_str(), "{e}");
    }
    let b = entries
        .iter()
        .find(|e| e["file"].as_str().is_some_and(|f| f.ends_with("/b.c")))
        .expect("b.c");
    assert!(
        strs(&b["arguments"]).contains(&"-DNAME=\"caf\u{efe9}\""),
        "the response file is expanded with its bytes: {b}"
    );

    let graph = run.read("graph.txt");
    assert!(graph.contains("\n  source a\u{efff}.c\n"), "{graph}");
    assert!(
        graph.contains("compile cc -> [build]/a\u{efff}.o\n"),
        "{graph}"
    );
    let g = run.json("graph.json");
    assert_eq!(g["roots"]["source"], src_text.as_str());
    let sources: Vec<&str> = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "source")
        .filter_map(|n| n["path"].as_str())
        .collect();
    assert!(sources.contains(&"a\u{efff}.c"), "{sources:?}");
    // A source of the tree is not mistaken for a generated file.
    assert!(
        !run.out.join("generated").exists()
            || std::fs::read_dir(run.out.join("generated"))
                .expect("generated")
                .next()
                .is_none()
    );
    for f in [
        "compile_commands.json",
        "graph.json",
        "graph.txt",
        "graph.dot",
        "graph-files.dot",
        "report.html",
        "summary.txt",
        "targets.json",
        "report.md",
        "confession/invocation.json",
    ] {
        assert!(!run.read(f).contains('\u{fffd}'), "{f} holds U+FFFD");
        assert_no_scratch_paths_in(f, &run.read(f));
    }

    check_run_from_a_non_utf8_directory(tmp.path(), &src, &src_text);
}

/// Run from inside that directory: the invocation keeps it, and verify reads it back as the directory's bytes.
fn check_run_from_a_non_utf8_directory(tmp: &Path, src: &Path, src_text: &str) {
    // Run from inside that directory: the invocation keeps it (confess failed to write
    // invocation.json there, exit 2), and verify reads it back as the directory's bytes.
    let out = tmp.join("confess-out-2");
    let output = confess_command()
        .args(["make", ".", "--quiet", "--out"])
        .arg(&out)
        .current_dir(src)
        .env("CONFESS_VERIFY_HEADERS", "1")
        .output()
        .expect("run confess");
    let run = Run { out, output };
    run.assert_ok();
    let inv = run.json("confession/invocation.json");
    assert_eq!(inv["cwd"], src_text, "{inv}");
    let back = confess::interpret::read_invocation(&run.out).expect("read back");
    assert_eq!(back.cwd, src);
}
