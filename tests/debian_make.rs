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
    let n = &g["nodes"][id.as_u64().expect("id") as usize];
    n["path"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| format!("-l{}", n["name"].as_str().unwrap_or("?")))
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
        &run.json("compile_commands.json"),
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
}
