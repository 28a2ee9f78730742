//! Real projects with plain Makefiles, from Debian source packages: the translation units
//! equal Bear's from a real build, and the programs and libraries are linked from the right
//! objects.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn node_path(g: &Value, id: &Value) -> String {
    let n = &g["nodes"][usize::try_from(id.as_u64().expect("id")).expect("an index")];
    n["path"].as_str().map_or_else(
        || format!("-l{}", n["name"].as_str().unwrap_or("?")),
        String::from,
    )
}

/// The inputs of the action that made `path`, by edge kind.
fn inputs_of(g: &Value, path: &str, edge: &str) -> Vec<String> {
    let actions = g["actions"].as_array().expect("actions");
    let a = actions
        .iter()
        .find(|a| {
            a["outputs"]
                .as_array()
                .expect("outputs")
                .iter()
                .any(|o| node_path(g, o) == path)
                && a["kind"] != "run"
        })
        .unwrap_or_else(|| panic!("no action makes {path}"));
    a["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| i["edge"] == edge)
        .map(|i| node_path(g, &i["node"]))
        .collect()
}

#[test]
fn lua54_upstream_plain_make() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    // Debian's patch turns lua5.4 into a libtool build; the upstream tarball is plain Make.
    let src = corpus::upstream("lua5.4", &tmp.path().join("src"));
    let before = tree_digest(&src);
    let run = confess(
        tmp.path(),
        &["make", src.to_str().expect("utf-8"), "-j2", "--", "linux"],
    );
    run.assert_ok().assert_scanned_in_process();
    assert_eq!(tree_digest(&src), before, "confess changed the source tree");
    assert_eq!(
        dhall::check_project("lua5.4", &run.out, &src),
        0,
        "Raw flags in lua5.4's manifests"
    );

    let real = tmp.path().join("real");
    copy_dir(&src, &real);
    let bear_db = bear(&real, &["make", "-j2", "linux"]);
    let generated = run.out.join("generated");
    let ours = tus(
        &without_generated_halves(&run.json("compile_commands.json"), &generated),
        &[src.as_path(), generated.as_path()],
        false,
    );
    let theirs = tus(&bear_db, &[real.as_path()], true);
    assert!(
        theirs.len() >= 30,
        "Bear saw only {} translation units",
        theirs.len()
    );
    assert_eq!(ours, theirs, "translation units differ from Bear's");

    let g = run.json("graph.json");
    // liblua.a holds exactly the members the real archive holds.
    let out = Command::new("ar")
        .arg("t")
        .arg(real.join("src/liblua.a"))
        .output()
        .expect("ar t");
    let real_members: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    let ours_members: BTreeSet<String> = inputs_of(&g, "src/liblua.a", "member")
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(ours_members, real_members);
    assert!(!real_members.contains("lua.o") && !real_members.contains("luac.o"));
    // lua and luac: their own object plus the library, and the system libraries.
    for (prog, obj) in [("src/lua", "src/lua.o"), ("src/luac", "src/luac.o")] {
        let inputs = inputs_of(&g, prog, "input");
        assert_eq!(
            inputs,
            [obj.to_string(), "src/liblua.a".to_string()],
            "{prog} inputs"
        );
        let libs = inputs_of(&g, prog, "library");
        assert!(
            libs.contains(&"-lm".to_string()),
            "{prog} libraries: {libs:?}"
        );
    }
    // The manifests rebuild lua, luac and liblua.a as the real build makes them.
    let (objects, identical) = assert_verified("lua5.4", &run.out);
    assert!(objects >= 30, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
    eprintln!(
        "lua5.4: verify: {identical} of {objects} objects identical in bytes, every target agrees"
    );
}

/// The object files under `dir` of a real build, relative to `root`.
fn objects_under(root: &Path, dir: &str) -> BTreeSet<String> {
    let out = Command::new("find")
        .arg(dir)
        .args(["-name", "*.o"])
        .current_dir(root)
        .output()
        .expect("find");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

#[test]
fn zstd_plain_makefiles() {
    // libzstd's Debian source, built with its own Makefiles (default target: the library,
    // static and shared, and the zstd program).
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = corpus::upstream("libzstd", &tmp.path().join("src"));
    let before = tree_digest(&src);
    let run = confess(tmp.path(), &["make", src.to_str().expect("utf-8"), "-j2"]);
    run.assert_ok();
    assert_eq!(tree_digest(&src), before, "confess changed the source tree");

    let real = tmp.path().join("real");
    copy_dir(&src, &real);
    let bear_db = bear(&real, &["make", "-j2"]);
    let generated = run.out.join("generated");
    let ours = tus(
        &without_generated_halves(&run.json("compile_commands.json"), &generated),
        &[src.as_path(), generated.as_path()],
        false,
    );
    let theirs = tus(&bear_db, &[real.as_path()], true);
    assert!(
        theirs.len() >= 100,
        "Bear saw only {} translation units",
        theirs.len()
    );
    // programs/Makefile probes for zlib, lzma, lz4 and pthread in $(shell): it writes
    // have_X.c, compiles and links it, and deletes it. Bear leaves out entries whose source is
    // gone at the end; confess records the calls (the build made them). Everything else is equal.
    let (probes, ours): (Vec<Tu>, Vec<Tu>) = ours
        .into_iter()
        .partition(|(f, _)| f.contains("programs/have_"));
    let probe_files: BTreeSet<&str> = probes
        .iter()
        .map(|(f, _)| f.rsplit('/').next().unwrap_or(""))
        .collect();
    assert!(
        probe_files
            .iter()
            .all(|f| ["have_zlib.c", "have_lzma.c", "have_lz4.c", "have_pthread.c"].contains(f)),
        "{probe_files:?}"
    );
    assert_eq!(ours, theirs, "translation units differ from Bear's");
    eprintln!(
        "zstd: {} translation units equal Bear's ({} probe compiles besides)",
        ours.len(),
        probes.len()
    );

    let g = run.json("graph.json");
    let path_of = |suffix: &str| -> String {
        g["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter_map(|n| n["path"].as_str())
            .find(|p| p.ends_with(suffix))
            .unwrap_or_else(|| panic!("no node ends with {suffix}"))
            .to_string()
    };
    // libzstd.a holds exactly the members the real archive holds.
    let out = Command::new("ar")
        .arg("t")
        .arg(real.join("lib/libzstd.a"))
        .output()
        .expect("ar t");
    let real_members: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    let base = |p: &String| {
        Path::new(p)
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()
    };
    let archive = path_of("static/libzstd.a");
    let members: BTreeSet<String> = inputs_of(&g, &archive, "member").iter().map(base).collect();
    assert_eq!(members, real_members, "members of {archive}");
    // libzstd.so and zstd: linked from the objects the real build made for them.
    let so = path_of("dynamic/libzstd.so.1.5.4");
    let so_dir = Path::new(&so).parent().expect("dir").display().to_string();
    let so_inputs: BTreeSet<String> = inputs_of(&g, &so, "input").into_iter().collect();
    assert_eq!(so_inputs, objects_under(&real, &so_dir), "inputs of {so}");
    let prog = path_of("/zstd");
    let prog_dir = Path::new(&prog)
        .parent()
        .expect("dir")
        .display()
        .to_string();
    let prog_inputs: BTreeSet<String> = inputs_of(&g, &prog, "input").into_iter().collect();
    assert_eq!(
        prog_inputs,
        objects_under(&real, &prog_dir),
        "inputs of {prog}"
    );
    assert!(prog_inputs.len() >= 40, "{prog_inputs:?}");

    check_zstd_targets_and_manifests(&run);
}

/// The $(shell) probes are no targets and report.md says so; the copies out of obj/conf_HASH/ are the targets' aliases; the manifests check and rebuild the real build's objects.
fn check_zstd_targets_and_manifests(run: &Run) {
    // The $(shell) probes are linked and deleted again: no targets, and report.md says so.
    let targets = run.json("targets.json");
    let transient = strs(&targets["transient"]);
    assert!(
        !transient.is_empty()
            && transient
                .iter()
                .all(|t| t.starts_with("[build]/programs/have_")),
        "{transient:?}"
    );
    let report = std::fs::read_to_string(run.out.join("report.md")).expect("report.md");
    assert!(
        report.contains(&format!(
            "## Made and deleted during the build: {}",
            transient.len()
        )),
        "{report}"
    );
    // The Makefile copies the libraries and the program out of obj/conf_HASH/: the copies are
    // the targets' aliases, and the targets sit in the packages lib and programs.
    let aliases_of = |dir: &str, name: &str| strs(&target_of(&targets, Some(dir), name)["aliases"]);
    assert_eq!(aliases_of("lib", "zstd"), ["[build]/lib/libzstd.a"]);
    assert!(aliases_of("lib", "zstd_shared").contains(&"[build]/lib/libzstd.so.1.5.4"));
    assert_eq!(aliases_of("programs", "zstd"), ["[build]/programs/zstd"]);

    // Both forms of the manifests type-check and read back; they rebuild libzstd.a,
    // libzstd.so and zstd as the real build makes them.
    dhall::check_manifests("zstd", &run.out);
    let (objects, identical) = assert_verified("zstd", &run.out);
    assert!(objects >= 100, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
    eprintln!(
        "zstd: verify: {identical} of {objects} objects identical in bytes, every target agrees"
    );
}
