//! `confess autotools` on the Autotools fixtures and on real packages from Debian source
//! packages (jq, libyaml, GNU hello with gnulib, libuv1): the graph equals the expected graph
//! beside each fixture, the compile database equals Bear's from a real `./configure && make`
//! (in tree and VPATH), libtool's objects, libraries and programs are linked from the right
//! objects, pkg-config queries are recorded and answered per --deps, `config.status --recheck`
//! inside the build gets real answers, and the user's tree is never touched. libuv1 is
//! confessed through both its Autotools and its CMake build, which must agree on each
//! library's translation units.
//!
//! Set CONFESS_BLESS=1 to rewrite the expected graphs (then read the diff before committing).

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn require_autotools() {
    for (t, p) in [
        ("autoreconf", "autoconf"),
        ("automake", "automake"),
        ("libtoolize", "libtool"),
        ("make", "make"),
        ("pkg-config", "pkg-config"),
    ] {
        require(t, p);
    }
}

fn sh(dir: &Path, line: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "`{line}` failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// A real build of a copy of `src` under Bear: `autoreconf -fi` when there is no configure
/// script, configure (from `build`, a directory outside the copy, for VPATH builds), make.
/// Returns the copy, the build directory and Bear's compile database.
fn real_build(src: &Path, tmp: &Path, args: &[&str], vpath: bool) -> (PathBuf, PathBuf, Value) {
    let copy = tmp.join("real-src");
    copy_dir(src, &copy);
    if !copy.join("configure").exists() {
        sh(&copy, "autoreconf -fi");
    }
    let build = if vpath {
        tmp.join("real-build")
    } else {
        copy.clone()
    };
    std::fs::create_dir_all(&build).expect("mkdir");
    let configure = shlex::try_join(
        std::iter::once(copy.join("configure").to_str().expect("utf-8"))
            .chain(args.iter().copied()),
    )
    .expect("quote");
    sh(&build, &configure);
    let db = bear(&build, &["make", "-j2"]);
    (copy, build, db)
}

/// Translation units with the source and build roots replaced by $SRC and $BUILD, so that an
/// in-tree or VPATH build in one place compares with one elsewhere.
fn normalized(db: &Value, src: &Path, build: &Path) -> Vec<(String, Vec<String>)> {
    let (sr, br) = (src.display().to_string(), build.display().to_string());
    let swap = |w: &str| {
        if br.len() > sr.len() {
            w.replace(&br, "$BUILD").replace(&sr, "$SRC")
        } else {
            w.replace(&sr, "$SRC").replace(&br, "$BUILD")
        }
    };
    let mut v: Vec<(String, Vec<String>)> = tus(db, &[Path::new("/")], false)
        .into_iter()
        .map(|(f, flags)| {
            (
                swap(&format!("/{f}")),
                flags
                    .into_iter()
                    .map(|w| swap(&w.replace("$ROOT", "/")))
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Our translation units, named as `normalized` names Bear's: the user's tree is $SRC, and the
/// build tree (the sources for in-tree builds, `build/` of the output otherwise) is $BUILD; the
/// generated files of an in-tree build (kept in `generated/`) are $BUILD's too.
/// In tree, confess's entries also search each directory's generated half (kept in
/// `generated/`) right after the directory: those are left out here, as the same search.
fn ours(run: &Run, src: &Path, vpath: bool) -> Vec<(String, Vec<String>)> {
    let db = run.json("compile_commands.json");
    if vpath {
        return normalized(&db, src, &run.out.join("build"));
    }
    let db = without_generated_halves(&db, &run.out.join("generated"));
    let text = serde_json::to_string(&db)
        .expect("json")
        .replace(s(&run.out.join("generated")), s(src));
    normalized(&serde_json::from_str(&text).expect("json"), src, src)
}

fn expect_graph(run: &Run, fx: &Path, name: &str) {
    let got = run.read("graph.txt");
    let expected = fx.join(name);
    if std::env::var_os("CONFESS_BLESS").is_some() {
        std::fs::write(&expected, &got).expect("bless");
    }
    let want = std::fs::read_to_string(&expected).unwrap_or_else(|_| {
        panic!(
            "{} is missing (CONFESS_BLESS=1 writes it)",
            expected.display()
        )
    });
    assert_eq!(got, want, "graph differs from {}", expected.display());
}

fn assert_no_scratch_paths(run: &Run) {
    for f in [
        "compile_commands.json",
        "graph.json",
        "graph.dot",
        "graph-files.dot",
        "graph.txt",
    ] {
        assert_no_scratch_paths_in(f, &run.read(f));
    }
}

// ---- graph.json helpers ----

fn node_path(g: &Value, id: &Value) -> String {
    let n = &g["nodes"][usize::try_from(id.as_u64().expect("id")).expect("an index")];
    n["path"].as_str().map_or_else(
        || format!("-l{}", n["name"].as_str().unwrap_or("?")),
        String::from,
    )
}

/// The action that made `path` (not a program run).
fn maker<'a>(g: &'a Value, path: &str) -> &'a Value {
    g["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| {
            a["kind"] != "run"
                && a["outputs"]
                    .as_array()
                    .expect("outputs")
                    .iter()
                    .any(|o| node_path(g, o) == path)
        })
        .unwrap_or_else(|| panic!("no action makes {path}"))
}

fn inputs_of(g: &Value, path: &str, edge: &str) -> Vec<String> {
    maker(g, path)["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| i["edge"] == edge)
        .map(|i| node_path(g, &i["node"]))
        .collect()
}

/// The sources compiled into an artifact, following objects, archives (members, convenience
/// libraries) and the objects of shared libraries it is made of, but not shared libraries it
/// links against.
fn sources_of(g: &Value, path: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let a = maker(g, path);
    for i in a["inputs"].as_array().expect("inputs") {
        let p = node_path(g, &i["node"]);
        let edge = i["edge"].as_str().unwrap_or("");
        if edge == "source" {
            out.insert(p);
        } else if (edge == "input" || edge == "member")
            && !p.contains(".so")
            && !p.starts_with("-l")
        {
            out.extend(sources_of(g, &p));
        }
    }
    out
}

fn basename(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---- fixtures ----

#[test]
fn libtool_shared_convenience_and_generator() {
    require_autotools();
    let fx = fixture("autotools/libtool");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["autotools", s(&fx)]);
    run.assert_ok().assert_scanned_in_process();
    assert_eq!(tree_digest(&fx), before, "confess changed the fixture");
    expect_graph(&run, &fx, "expected.graph");
    assert_no_scratch_paths(&run);

    // The generator was compiled with CC_FOR_BUILD, realized when make ran it, and wrote the
    // real table.
    let table = run.read("generated/table.c");
    assert!(table.contains("\"bonjour\""), "table.c: {table}");

    let g = run.json("graph.json");
    // Each libtool source compiled twice: PIC into .libs/, and not.
    let db = run.json("compile_commands.json");
    let mut per_file: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for e in db.as_array().expect("array") {
        let args: Vec<&str> = e["arguments"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        per_file
            .entry(basename(e["file"].as_str().expect("file")))
            .or_default()
            .push(args.contains(&"-fPIC") && args.contains(&"-DPIC"));
    }
    for f in ["greet.c", "strutil.c", "table.c"] {
        let mut v = per_file[f].clone();
        v.sort_unstable();
        assert_eq!(v, [false, true], "{f}: compiled PIC and non-PIC");
    }
    assert_eq!(per_file["main.c"], [false]);

    // The shared library holds its own PIC objects and the whole convenience library; the
    // static one the non-PIC objects and the convenience library's (PIC) members.
    let so = inputs_of(&g, ".libs/libgreet.so.1.1.0", "input");
    assert_eq!(
        so,
        [
            "lib/.libs/libgreet_la-greet.o",
            ".libs/libgreet_la-table.o",
            ".libs/libutil.a"
        ]
    );
    assert_eq!(
        sources_of(&g, ".libs/libgreet.so.1.1.0"),
        ["lib/greet.c", "table.c", "util/strutil.c"]
            .map(String::from)
            .into()
    );
    let members = inputs_of(&g, ".libs/libgreet.a", "member");
    assert_eq!(
        members,
        [
            "lib/libgreet_la-greet.o",
            "libgreet_la-table.o",
            "util/.libs/strutil.o"
        ]
    );
    // The program: its own object, linked against the shared library through libtool.
    assert_eq!(
        inputs_of(&g, ".libs/greet", "input"),
        ["src/greet-main.o", ".libs/libgreet.so.1.1.0"]
    );
    assert_eq!(
        sources_of(&g, ".libs/greet"),
        ["src/main.c".to_string()].into()
    );

    // The compile database equals Bear's from a real build.
    let (copy, build, bear_db) = real_build(&fx, tmp.path(), &[], false);
    let theirs = normalized(&bear_db, &copy, &build);
    assert_eq!(theirs.len(), 8, "Bear: {theirs:?}");
    assert_eq!(
        ours(&run, &fx, false),
        theirs,
        "compile database differs from Bear's"
    );
    clangd::parity_trees("libtool fixture", &run.out, &fx, &copy, &build, &bear_db);
    // The real library's dynamic symbols come from the same sources.
    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(build.join(".libs/libgreet.so.1.1.0"))
        .output()
        .expect("nm");
    let syms = String::from_utf8_lossy(&nm.stdout);
    for sym in ["greet_word", "util_length", "greet_table"] {
        assert!(syms.contains(sym), "{sym} not in the real library: {syms}");
    }
    // The manifests rebuild the shared and static libraries, the convenience library and the
    // programs (the generator built with CC_FOR_BUILD too) as the real build makes them.
    // In tree, automake spells the include directories `-I./lib`; the manifests name them
    // canonically (`lib`), and gcc writes the spelling into the line table: verify spells them
    // as the real compile did, so the objects are the same bytes.
    let (objects, identical) = assert_verified("libtool fixture", &run.out);
    assert!(objects >= 5, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
}

#[test]
fn libtool_fixture_builds_out_of_tree_with_vpath() {
    require_autotools();
    let fx = fixture("autotools/libtool");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["autotools", s(&fx), "--vpath"]);
    run.assert_ok();
    assert_eq!(tree_digest(&fx), before, "confess changed the fixture");
    assert_no_scratch_paths(&run);
    // The build tree is laid out in build/ of the output: generated sources and config.h.
    assert!(run.read("build/table.c").contains("\"hallo\""));
    assert!(run.out.join("build/config.h").is_file());
    let (copy, build, bear_db) = real_build(&fx, tmp.path(), &[], true);
    let theirs = normalized(&bear_db, &copy, &build);
    assert_eq!(theirs.len(), 8);
    assert_eq!(
        ours(&run, &fx, true),
        theirs,
        "VPATH compile database differs from Bear's"
    );
    clangd::parity_trees(
        "libtool fixture (VPATH)",
        &run.out,
        &fx,
        &copy,
        &build,
        &bear_db,
    );
    let (objects, identical) = assert_verified("libtool fixture (VPATH)", &run.out);
    assert_eq!(identical, objects, "objects differ in bytes");
}

fn package<'a>(g: &'a Value, name: &str) -> &'a Value {
    g["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in {}", g["packages"]))
}

fn query_args(p: &Value) -> Vec<String> {
    p["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(|q| {
            assert_eq!(q["by"], "configure", "who asked: {q}");
            q["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a.as_str().expect("str").to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn pkg_check_modules_is_recorded_and_answered_per_deps() {
    require_autotools();
    let fx = fixture("autotools/pkgconfig");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let zlib_version = String::from_utf8(
        Command::new("pkg-config")
            .args(["--modversion", "zlib"])
            .output()
            .expect("pkg-config")
            .stdout,
    )
    .expect("utf-8")
    .trim()
    .to_string();

    // real: only what is installed; the graph and the compile database are a real build's.
    let real = confess(
        &tmp.path().join("real"),
        &["autotools", s(&fx), "--deps", "real"],
    );
    real.assert_ok();
    expect_graph(&real, &fx, "expected.graph");
    let g = real.json("graph.json");
    let zlib = package(&g, "zlib");
    assert_eq!(zlib["resolved"], "real");
    assert_eq!(zlib["found"], true);
    assert_eq!(zlib["version"], zlib_version.as_str());
    let asked = query_args(zlib);
    for q in [
        "--exists --print-errors zlib >= 1.2",
        "--cflags zlib >= 1.2",
        "--libs zlib >= 1.2",
        "--variable=prefix zlib",
        "--static --libs zlib",
        "--modversion zlib",
    ] {
        assert!(
            asked.iter().any(|a| a == q),
            "`{q}` not recorded: {asked:?}"
        );
    }
    let widget = package(&g, "confess-widget");
    assert_eq!(widget["found"], false);
    assert_eq!(widget["resolved"], "real");
    // Only modules are packages: `--atleast-pkgconfig-version 0.20` is not one.
    assert_eq!(g["packages"].as_array().expect("packages").len(), 2);
    let (copy, build, bear_db) = real_build(&fx, &tmp.path().join("real"), &[], false);
    assert_eq!(
        ours(&real, &fx, false),
        normalized(&bear_db, &copy, &build),
        "compile database differs from Bear's"
    );

    // auto: zlib for real, the missing module made up: widget.c is built against its stub
    // include directory and the program links -lconfess-widget.
    let auto = confess(&tmp.path().join("auto"), &["autotools", s(&fx)]);
    auto.assert_ok();
    assert_no_scratch_paths(&auto);
    let g = auto.json("graph.json");
    assert_eq!(package(&g, "zlib")["resolved"], "real");
    let widget = package(&g, "confess-widget");
    assert_eq!(widget["resolved"], "fake");
    assert_eq!(widget["found"], true);
    assert_eq!(widget["version"], "2.1");
    let stub = auto.out.join("fake/pkg-config/confess-widget/include");
    assert_eq!(widget["include_dirs"][0], s(&stub));
    assert!(stub.is_dir());
    assert_eq!(widget["libraries"][0], "confess-widget");
    let used_by: Vec<String> = widget["used_by"]
        .as_array()
        .expect("used_by")
        .iter()
        .map(|n| node_path(&g, n))
        .collect();
    assert_eq!(used_by, ["squash"]);
    assert!(sources_of(&g, "squash").contains("widget.c"));
    let libs = inputs_of(&g, "squash", "library");
    assert!(libs.contains(&"-lconfess-widget".to_string()), "{libs:?}");
    // graph.json with pkg-config packages follows its schema (Debian's python3-jsonschema).
    let st = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), \
             json.load(open(sys.argv[1])))",
        ])
        .arg(repo().join("docs/graph.schema.json"))
        .arg(auto.out.join("graph.json"))
        .output()
        .expect("python3 with jsonschema");
    assert!(
        st.status.success(),
        "graph.json does not follow docs/graph.schema.json: {}",
        String::from_utf8_lossy(&st.stderr)
    );

    // fake: zlib is made up too, at the version asked for.
    let fake = confess(
        &tmp.path().join("fake"),
        &["autotools", s(&fx), "--deps", "fake"],
    );
    fake.assert_ok();
    let g = fake.json("graph.json");
    let zlib = package(&g, "zlib");
    assert_eq!(zlib["resolved"], "fake");
    assert_eq!(zlib["version"], "1.2");
    assert_eq!(tree_digest(&fx), before, "confess changed the fixture");
}

#[test]
fn config_status_recheck_inside_the_build_keeps_config_h() {
    require_autotools();
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    copy_dir(&fixture("autotools/recheck"), &src);
    sh(&src, "autoreconf -fi && ./configure");
    let reference = std::fs::read_to_string(src.join("config.h")).expect("config.h");
    // configure.ac newer than configure: make re-runs autoconf and config.status --recheck
    // after confess's own configure.
    sh(&src, "sleep 1 && touch configure.ac");
    let before = tree_digest(&src);
    let (run, scratch) = confess_keeping_scratch(&tmp.path().join("c"), &["autotools", s(&src)]);
    run.assert_ok();
    assert_eq!(tree_digest(&src), before, "confess changed the source tree");
    let log = run.read("build.log");
    assert!(log.contains("--recheck"), "no recheck in the build:\n{log}");
    let rerun = std::fs::read_to_string(scratch.join("src/config.h")).expect("config.h");
    assert_eq!(
        rerun, reference,
        "config.h changed when configure re-ran in the build"
    );
    let conn = rusqlite::Connection::open(run.out.join("confession/events.sqlite")).expect("db");
    let probes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE phase = 'build' AND decision = 'passthrough' AND (reason LIKE \
             'conftest%' OR reason LIKE 'configure-ancestor%')",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(
        probes >= 10,
        "only {probes} probes ran for real in the build"
    );
    std::fs::remove_dir_all(&scratch).expect("remove scratch");
    // The manifest rebuilds the program as the real build (which rechecks too) makes it.
    let (objects, identical) = assert_verified("recheck fixture", &run.out);
    assert!(objects >= 1, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
}

/// Files configure wrote are not generated by the build, whatever their times say: a configure
/// script writes its log last, a few milliseconds before make starts, and dates it an hour
/// ahead (as files unpacked from a machine whose clock is ahead are). The build phase's files
/// were once told by their times, and configure's last line in config.log counted as the
/// build's when the machine was busy.
#[test]
fn what_configure_wrote_last_is_not_generated_by_the_build() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let files = [
        (
            "configure",
            "#!/bin/sh\n\
             printf '#define ANSWER 42\\n' > config.h\n\
             printf 'all: prog\\nprog: main.c config.h\\n\\t$(CC) -o prog main.c\\n' > Makefile\n\
             echo 'configure: exit 0' > configure.log\n\
             touch -d '1 hour' configure.log\n",
        ),
        (
            "main.c",
            "#include \"config.h\"\nint main(void) { return ANSWER - 42; }\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).expect("write");
    }
    sh(&src, "chmod +x configure");
    for i in 0..2 {
        let run = confess(&tmp.path().join(format!("c{i}")), &["autotools", s(&src)]);
        run.assert_ok();
        let generated = run.out.join("generated");
        assert!(
            generated.join("config.h").is_file(),
            "config.h, which the build reads, is not kept"
        );
        assert!(
            !generated.join("configure.log").exists(),
            "run {i}: configure.log, written by configure, counted as generated by the build"
        );
        let graph = run.read("graph.json");
        assert!(
            !graph.contains("configure.log"),
            "run {i}: graph.json names configure.log"
        );
    }
}

#[test]
fn user_errors_have_their_exit_codes() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Nothing to configure: exit 3, naming the directory.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let run = confess(&tmp.path().join("o1"), &["autotools", s(&empty)]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(
        run.stderr().contains("no configure script"),
        "{}",
        run.stderr()
    );

    // A configured tree cannot be built out of tree: exit 3, naming config.status.
    let configured = tmp.path().join("configured");
    copy_dir(&fixture("autotools/recheck"), &configured);
    sh(&configured, "autoreconf -fi && ./configure");
    let run = confess(
        &tmp.path().join("o2"),
        &["autotools", s(&configured), "--vpath"],
    );
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("config.status"), "{}", run.stderr());

    // configure fails (a required module is missing under --deps real): exit 1, with
    // configure's words and what to do.
    let missing = tmp.path().join("missing");
    copy_dir(&fixture("autotools/recheck"), &missing);
    let ac = missing.join("configure.ac");
    let text = std::fs::read_to_string(&ac).expect("configure.ac");
    std::fs::write(
        &ac,
        text.replace(
            "AC_PROG_CC\n",
            "AC_PROG_CC\nPKG_CHECK_MODULES([NOPE], [confess-no-such-module])\n",
        ),
    )
    .expect("write");
    let run = confess(
        &tmp.path().join("o3"),
        &["autotools", s(&missing), "--deps", "real"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("configure says"), "{err}");
    assert!(err.contains("--deps fake"), "{err}");
    assert!(run.out.join("config.log").is_file());
}

#[test]
fn every_fixture_directory_has_a_test() {
    let tested = ["libtool", "pkgconfig", "recheck"];
    for e in std::fs::read_dir(fixture("autotools"))
        .expect("fixtures")
        .flatten()
    {
        if e.path().is_dir() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                tested.contains(&name.as_str()),
                "fixtures/autotools/{name} has no test"
            );
        }
    }
}

// ---- real packages ----

/// The sources of the objects in a real archive, by object base name.
fn ar_members(archive: &Path) -> BTreeSet<String> {
    let out = Command::new("ar")
        .arg("t")
        .arg(archive)
        .output()
        .expect("ar t");
    assert!(out.status.success(), "ar t {}", archive.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

/// Base names of an artifact's direct inputs of one edge kind.
fn input_names(g: &Value, path: &str, edge: &str) -> BTreeSet<String> {
    inputs_of(g, path, edge)
        .iter()
        .map(|p| basename(p))
        .collect()
}

/// Confesses a Debian package's upstream tree and checks it against Bear on a real build of a
/// copy: the same translation units (libtool compiles each file twice: the multisets compare),
/// the same compile-affecting flags, and the source tree untouched. Returns the run, the real
/// build directory and the number of translation units.
fn against_bear(pkg: &str, tmp: &Path, args: &[&str]) -> (Run, PathBuf, usize) {
    require_autotools();
    let src = corpus::upstream(pkg, &tmp.join("src"));
    let before = tree_digest(&src);
    let mut cmd = vec!["autotools", s(&src), "-j2"];
    if !args.is_empty() {
        cmd.push("--");
        cmd.extend(args);
    }
    let run = confess(&tmp.join("confess"), &cmd);
    run.assert_ok().assert_scanned_in_process();
    assert_eq!(
        tree_digest(&src),
        before,
        "{pkg}: confess changed the source tree"
    );
    assert_no_scratch_paths(&run);
    let (cdx, _) = common::sbom::checked(&run.out, tmp);
    eprintln!(
        "{pkg}: SBOM valid (CycloneDX 1.5, SPDX 2.3): {} components",
        cdx["components"].as_array().map_or(0, Vec::len)
    );
    let (copy, build, bear_db) = real_build(&src, tmp, args, false);
    let theirs = normalized(&bear_db, &copy, &build);
    let mine = ours(&run, &src, false);
    assert_eq!(mine, theirs, "{pkg}: compile database differs from Bear's");
    clangd::parity_trees(pkg, &run.out, &src, &copy, &build, &bear_db);
    // Both forms of the manifests type-check and read back; they rebuild what the real build
    // makes.
    dhall::check_manifests(pkg, &run.out);
    let (objects, identical) = assert_verified(pkg, &run.out);
    eprintln!(
        "{pkg}: verify: {identical} of {objects} objects identical in bytes, every target agrees"
    );
    (run, build, theirs.len())
}

#[test]
fn jq_matches_bear() {
    // Debian's configure flags (--disable-static) with the system oniguruma (libonig-dev), and
    // no manual (it needs Ruby).
    let tmp = tempfile::tempdir().expect("tmp");
    let (run, build, n) = against_bear("jq", tmp.path(), &["--disable-static", "--disable-docs"]);
    // 18 library sources (lexer and parser shipped pre-generated) and main.c.
    assert_eq!(n, 19, "jq: Bear saw {n} translation units");
    let g = run.json("graph.json");
    // libjq.so is linked from the PIC objects libtool left in src/.libs of the real build.
    let so = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["path"].as_str())
        .find(|p| p.starts_with(".libs/libjq.so."))
        .expect("libjq.so")
        .to_string();
    let real_objects: BTreeSet<String> = std::fs::read_dir(build.join("src/.libs"))
        .expect("src/.libs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|x| x == "o"))
        .collect();
    assert_eq!(input_names(&g, &so, "input"), real_objects);
    assert!(input_names(&g, &so, "library").contains("-lonig"));
    // The program (linked with -static-libtool-libs, so no libtool wrapper): main.o and the
    // library.
    let jq = inputs_of(&g, "jq", "input");
    assert_eq!(jq.len(), 2, "{jq:?}");
    assert_eq!(jq[0], "src/main.o");
    assert!(basename(&jq[1]).starts_with("libjq."), "{jq:?}");
    // -export-symbols-regex: libtool ran nm over our tokens (realized for it) and wrote the
    // same export list as the real build.
    assert_eq!(
        run.read("generated/.libs/libjq.exp"),
        std::fs::read_to_string(build.join(".libs/libjq.exp")).expect("real libjq.exp")
    );
}

#[test]
fn libyaml_matches_bear() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (run, build, n) = against_bear("libyaml", tmp.path(), &[]);
    // 8 library sources, each PIC and not, and the test programs built by `make`.
    assert!(n >= 16, "libyaml: Bear saw {n} translation units");
    let g = run.json("graph.json");
    let real_members = ar_members(&build.join("src/.libs/libyaml.a"));
    assert_eq!(real_members.len(), 8);
    assert_eq!(
        input_names(&g, "src/.libs/libyaml.a", "member"),
        real_members
    );
    // The shared library: the PIC objects (src/.libs/*.o) of the same sources.
    let so = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["path"].as_str())
        .find(|p| p.starts_with("src/.libs/libyaml-0.so."))
        .expect("libyaml-0.so")
        .to_string();
    let pic = inputs_of(&g, &so, "input");
    assert!(pic.iter().all(|p| p.starts_with("src/.libs/")), "{pic:?}");
    assert_eq!(input_names(&g, &so, "input"), real_members);
    assert_eq!(sources_of(&g, &so), sources_of(&g, "src/.libs/libyaml.a"));
}

#[test]
fn gnu_hello_with_gnulib_matches_bear() {
    // GNU hello: a gnulib package (lib/ holds gnulib's modules, built into libhello.a) whose
    // configure runs some 260 probes against the real compiler.
    let tmp = tempfile::tempdir().expect("tmp");
    let (run, build, n) = against_bear("hello", tmp.path(), &[]);
    assert!(n >= 15, "hello: Bear saw {n} translation units");
    let g = run.json("graph.json");
    let real_members = ar_members(&build.join("lib/libhello.a"));
    assert!(real_members.len() >= 10, "{real_members:?}");
    assert_eq!(input_names(&g, "lib/libhello.a", "member"), real_members);
    assert_eq!(
        inputs_of(&g, "hello", "input"),
        ["src/hello.o", "lib/libhello.a"]
    );
}

/// Sources of each library of a confession, by library kind (shared or static).
fn library_sources(g: &Value, names: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let paths: Vec<String> = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["path"].as_str().map(String::from))
        .collect();
    names
        .iter()
        .map(|(kind, file)| {
            let p = paths
                .iter()
                .find(|p| basename(p) == *file)
                .unwrap_or_else(|| panic!("no {file} in the graph"));
            (kind.to_string(), sources_of(g, p))
        })
        .collect()
}

/// The flags of the compile of `file` into a library of kind `kind`.
fn flags_of(db: &Value, file: &str, pic: bool) -> BTreeSet<String> {
    db.as_array()
        .expect("db")
        .iter()
        .filter(|e| e["file"].as_str().is_some_and(|f| f.ends_with(file)))
        .map(|e| {
            e["arguments"]
                .as_array()
                .expect("args")
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect::<BTreeSet<String>>()
        })
        .find(|f| f.contains("-fPIC") == pic)
        .unwrap_or_else(|| panic!("no compile of {file} (PIC {pic})"))
}

#[test]
fn libuv_autotools_and_cmake_agree() {
    require_autotools();
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = corpus::upstream("libuv1", &tmp.path().join("src"));
    let before = tree_digest(&src);
    // No configure script: libuv's autogen.sh (it writes an m4 file autoreconf needs).
    let at = confess(
        &tmp.path().join("autotools"),
        &["autotools", s(&src), "-j2"],
    );
    at.assert_ok();
    // Autotools builds the tests only under `make check`: CMake is told not to build them.
    let cm = confess(
        &tmp.path().join("cmake"),
        &[
            "cmake",
            s(&src),
            "-j2",
            "--",
            "-DLIBUV_BUILD_TESTS=OFF",
            "-DLIBUV_BUILD_BENCH=OFF",
        ],
    );
    cm.assert_ok();
    assert_eq!(tree_digest(&src), before, "confess changed the source tree");
    // Both confessions' manifests rebuild what their build makes.
    for (what, run) in [("libuv (autotools)", &at), ("libuv (cmake)", &cm)] {
        dhall::check_manifests(what, &run.out);
        let (objects, identical) = assert_verified(what, &run.out);
        eprintln!("{what}: verify: {identical} of {objects} objects identical in bytes, every target agrees");
    }
    let ga = at.json("graph.json");
    let gc = cm.json("graph.json");
    let a = library_sources(&ga, &[("shared", "libuv.so.1.0.0"), ("static", "libuv.a")]);
    let c = library_sources(
        &gc,
        &[("shared", "libuv.so.1.0.0"), ("static", "libuv_a.a")],
    );
    assert_eq!(a["shared"].len(), 37, "{:?}", a["shared"]);
    // The same translation units in each library.
    assert_eq!(
        a, c,
        "libuv: the Autotools and CMake builds compile different sources"
    );
    // The flags that shape the code agree; the legitimate differences: Autotools passes
    // configure's results as -D options (PACKAGE_*, HAVE_*) and -std=gnu89, CMake passes
    // -std=gnu90 (the same language), BUILDING_UV_SHARED for the shared library, and the
    // large-file and POSIX feature macros its CMakeLists.txt sets for Linux.
    let (dba, dbc) = (
        at.json("compile_commands.json"),
        cm.json("compile_commands.json"),
    );
    for pic in [true, false] {
        let fa = flags_of(&dba, "src/unix/core.c", pic);
        let fc = flags_of(&dbc, "src/unix/core.c", pic);
        for f in [
            "-D_GNU_SOURCE",
            "-fvisibility=hidden",
            "-fno-strict-aliasing",
        ] {
            assert!(fa.contains(f) && fc.contains(f), "{f}: {fa:?} {fc:?}");
        }
        assert!(fa.contains("-std=gnu89") && fc.contains("-std=gnu90"));
        assert_eq!(fc.contains("-DBUILDING_UV_SHARED=1"), pic);
    }
}
