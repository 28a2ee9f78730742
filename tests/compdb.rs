//! What a Bear user asks of the compile database: `--compdb PATH` (the project root, where
//! clangd looks), `--append`, `--exclude GLOB`, `--relative`, and the link and archive commands
//! in `link_commands.json`. clangd is run for real on the database where it finds it itself.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// clangd's `--check` of `file`, finding the database itself (no --compile-commands-dir): what
/// it printed.
fn clangd_finds(file: &Path) -> String {
    require("clangd", "clangd");
    let out = Command::new("clangd")
        .arg(format!("--check={}", file.display()))
        .arg("--check-lines=1")
        .arg("--enable-config=0")
        .output()
        .expect("run clangd");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files(db: &Value) -> Vec<String> {
    let mut v: Vec<String> = db
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["file"].as_str().expect("file").to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn compdb_in_the_project_root_is_where_clangd_finds_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = tmp.path().join("proj");
    copy_dir(&fixture("make/codegen"), &proj);
    let before = tree_digest(&proj);
    let run = confess(
        &tmp.path().join("c"),
        &["make", s(&proj), "--compdb", s(&proj)],
    );
    run.assert_ok();
    // The one write into the tree: compile_commands.json, the same as the output's.
    let mut after = tree_digest(&proj);
    let db = after
        .remove("compile_commands.json")
        .expect("compile_commands.json in the project root");
    assert_eq!(after, before, "confess wrote more than the database");
    assert!(!db.is_empty());
    let written = std::fs::read_to_string(proj.join("compile_commands.json")).expect("read");
    assert_eq!(written, run.read("compile_commands.json"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(proj.join("compile_commands.json"))
            .expect("stat")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o644, "readable as any file the user writes");
    // clangd finds it by itself and resolves the generated table.h.
    let text = clangd_finds(&proj.join("main.c"));
    assert!(
        text.contains(&format!(
            "Loaded compilation database from {}",
            proj.join("compile_commands.json").display()
        )),
        "{text}"
    );
    assert!(text.contains("All checks completed, 0 errors"), "{text}");
}

#[test]
fn append_keeps_other_entries_and_replaces_stale_ones() {
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = tmp.path().join("proj");
    copy_dir(&fixture("make/codegen"), &proj);
    let dest = tmp.path().join("db.json");
    let main = proj.join("main.c");
    let old = serde_json::json!([
        {"directory": "/elsewhere", "file": "/elsewhere/other.c", "command": "cc -c other.c"},
        {"directory": s(&proj), "file": "main.c", "output": "main.o",
         "arguments": ["cc", "-DSTALE", "-c", "main.c", "-o", "main.o"]},
    ]);
    std::fs::write(&dest, old.to_string()).expect("write");
    let run = confess(
        &tmp.path().join("c"),
        &["make", s(&proj), "--compdb", s(&dest), "--append"],
    );
    run.assert_ok();
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&dest).expect("read")).expect("json");
    let entries = merged.as_array().expect("array");
    // Ours (three translation units), and the other project's entry as it was.
    assert_eq!(entries.len(), 4, "{merged:#}");
    assert!(entries.contains(&old[0]), "{merged:#}");
    let mains: Vec<&Value> = entries
        .iter()
        .filter(|e| e["file"].as_str() == Some(s(&main)))
        .collect();
    assert_eq!(mains.len(), 1, "{merged:#}");
    assert!(!mains[0].to_string().contains("STALE"), "{merged:#}");

    // A file that is no database is refused, named, and left as it was.
    std::fs::write(&dest, "not json").expect("write");
    let bad = confess(
        &tmp.path().join("c2"),
        &["make", s(&proj), "--compdb", s(&dest), "--append"],
    );
    assert_eq!(bad.code(), 3, "{}", bad.stderr());
    assert!(
        bad.stderr().contains(s(&dest)) && bad.stderr().contains("not a compilation database"),
        "{}",
        bad.stderr()
    );
    assert_eq!(std::fs::read_to_string(&dest).expect("read"), "not json");

    // --append means nothing without --compdb.
    let usage = confess(&tmp.path().join("c3"), &["make", s(&proj), "--append"]);
    assert_eq!(usage.code(), 2, "{}", usage.stderr());
}

#[test]
fn exclude_and_relative_shape_the_database() {
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = tmp.path().join("proj");
    copy_dir(&fixture("make/static-lib"), &proj);
    let run = confess(
        &tmp.path().join("c"),
        &[
            "make",
            s(&proj),
            "--exclude",
            "lib/*",
            "--relative",
            "--compdb",
            s(&proj),
        ],
    );
    run.assert_ok();
    let db = run.json("compile_commands.json");
    assert_eq!(files(&db), ["main.c"], "{db:#}");
    let e = &db[0];
    assert_eq!(e["directory"], s(&proj));
    assert_eq!(e["output"], "main.o");
    // -Iinclude was relative already; the source word is too.
    let args: Vec<&str> = strs(&e["arguments"]);
    assert!(
        args.contains(&"main.c") && args.contains(&"-Iinclude"),
        "{args:?}"
    );
    let text = clangd_finds(&proj.join("main.c"));
    assert!(text.contains("All checks completed, 0 errors"), "{text}");

    // An absolute pattern works too; a pattern that is no glob is a usage error naming it.
    let abs = format!("{}/lib/add.c", proj.display());
    let run = confess(
        &tmp.path().join("c2"),
        &["make", s(&proj), "--exclude", &abs],
    );
    run.assert_ok();
    assert_eq!(
        files(&run.json("compile_commands.json")),
        [
            format!("{}/lib/twice.c", proj.display()),
            format!("{}/main.c", proj.display())
        ]
    );
    let bad = confess(
        &tmp.path().join("c3"),
        &["make", s(&proj), "--exclude", "a[b"],
    );
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(
        bad.stderr().contains("--exclude \"a[b\""),
        "{}",
        bad.stderr()
    );
}

#[test]
fn link_commands_name_what_each_link_and_archive_read() {
    let fx = fixture("make/static-lib");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["make", s(&fx)]);
    run.assert_ok();
    let links = run.json("link_commands.json");
    let by_output = |o: &str| -> &Value {
        links
            .as_array()
            .expect("array")
            .iter()
            .find(|e| e["output"].as_str() == Some(&format!("{}/{o}", fx.display())))
            .unwrap_or_else(|| panic!("no command makes {o}: {links:#}"))
    };
    let ar = by_output("lib/libutil.a");
    assert_eq!(strs(&ar["arguments"])[..2], ["ar", "rcs"]);
    assert_eq!(
        strs(&ar["inputs"]),
        [
            format!("{}/lib/add.o", fx.display()),
            format!("{}/lib/twice.o", fx.display())
        ]
    );
    let app = by_output("app");
    assert_eq!(app["directory"], s(&fx));
    assert_eq!(
        strs(&app["inputs"]),
        [
            format!("{}/main.o", fx.display()),
            format!("{}/lib/libutil.a", fx.display())
        ]
    );
    assert_eq!(links.as_array().expect("array").len(), 2, "{links:#}");
}
