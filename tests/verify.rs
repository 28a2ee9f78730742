//! `confess verify`: the manifests rebuilt with the real toolchain against the project's own
//! build run for real, on every Make fixture and the CMake fixtures with both generators (the
//! Debian projects are verified where they are confessed: debian_cmake.rs, debian_make.rs);
//! and a manifest that lost a flag or a source is caught.

mod common;
use common::*;
use serde_json::Value;

fn targets(report: &Value) -> &Vec<Value> {
    report["targets"].as_array().expect("targets")
}

#[test]
fn every_make_fixture_rebuilds_from_its_manifests_as_the_real_build() {
    require("make", "make");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut dirs: Vec<_> = std::fs::read_dir(fixture("make"))
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Makefile").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 12, "{dirs:?}");
    let (mut objects, mut identical) = (0, 0);
    for d in &dirs {
        let name = d.file_name().expect("name").to_string_lossy().into_owned();
        let run = confess(
            &tmp.path().join(&name),
            &["make", d.to_str().expect("utf-8")],
        );
        run.assert_ok();
        let (o, i) = assert_verified(&name, &run.out);
        objects += o;
        identical += i;
    }
    // Same compiler, same flags, same directories: the objects are the same bytes.
    assert_eq!(
        identical, objects,
        "{identical} of {objects} objects identical"
    );
}

#[test]
fn cmake_fixtures_rebuild_from_their_manifests_with_both_generators() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    for (fx, generator) in [("basic", "ninja"), ("basic", "make"), ("features", "ninja")] {
        let what = format!("{fx} ({generator})");
        let run = confess(
            &tmp.path().join(format!("{fx}-{generator}")),
            &[
                "cmake",
                fixture(&format!("cmake/{fx}")).to_str().expect("utf-8"),
                "--generator",
                generator,
            ],
        );
        run.assert_ok();
        let (objects, identical) = assert_verified(&what, &run.out);
        assert_eq!(identical, objects, "{what}");
        let (_, text, report) = verify(&run.out);
        // The table names every target.
        for t in targets(&report) {
            assert!(
                text.contains(t["target"].as_str().expect("target")),
                "{text}"
            );
        }
        let kinds: Vec<&str> = targets(&report)
            .iter()
            .filter_map(|t| t["kind"].as_str())
            .collect();
        if fx == "basic" {
            for k in [
                "executable",
                "static library",
                "shared library",
                "object library",
            ] {
                assert!(kinds.contains(&k), "{what}: no {k} in {kinds:?}");
            }
        }
    }
}

#[test]
fn installed_packages_are_linked_from_what_the_manifests_name() {
    // find_package(ZLIB) and pkg_check_modules(zlib) found for real: the manifests name the
    // package with the library it links, and the manifest build links it as the real one did.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    require("pkg-config", "pkg-config");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(
        &tmp.path().join("c"),
        &[
            "cmake",
            fixture("cmake/installed").to_str().expect("utf-8"),
            "--deps",
            "real",
        ],
    );
    run.assert_ok();
    let t = run.json("targets.json");
    let pack = target_of(&t, None, "pack");
    let zlib = pack["deps"]
        .as_array()
        .expect("deps")
        .iter()
        .find_map(|d| d.get("Package").filter(|p| p["name"] == "ZLIB"))
        .unwrap_or_else(|| panic!("pack has no Package ZLIB dep: {}", pack["deps"]))
        .clone();
    assert_eq!(zlib["method"], "FindPackage", "{zlib}");
    let libs = strs(&zlib["libraries"]);
    assert!(
        libs.len() == 1 && (libs[0] == "z" || libs[0].ends_with("/libz.so")),
        "{libs:?}"
    );
    let (objects, identical) = assert_verified("installed", &run.out);
    assert!(objects >= 2, "{objects}");
    assert_eq!(identical, objects);
    // The manifest build's program records libz as the real one does.
    let report = run.json("verify/verify.json");
    let packer = targets(&report)
        .iter()
        .find(|x| x["target"].as_str().is_some_and(|l| l.ends_with(":packer")))
        .unwrap_or_else(|| panic!("no packer: {report}"));
    assert!(
        matches!(packer["verdict"].as_str(), Some("identical" | "equivalent")),
        "{packer}"
    );
}

#[test]
fn a_manifest_that_lost_a_flag_or_a_source_is_caught() {
    require("make", "make");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(
        &tmp.path().join("c"),
        &["make", fixture("make/static-lib").to_str().expect("utf-8")],
    );
    run.assert_ok();
    let manifest = run.out.join("dhall/lib/BUILD.dhall");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(
        text.contains("CFlags.CFlag.Opt CFlags.OptLevel.O2"),
        "{text}"
    );
    // Another optimisation level in the engine form: other code.
    std::fs::write(
        &manifest,
        text.replace(
            "CFlags.CFlag.Opt CFlags.OptLevel.O2",
            "CFlags.CFlag.Opt CFlags.OptLevel.O0",
        ),
    )
    .expect("edit");
    let (code, out, report) = verify(&run.out);
    assert_eq!(code, 7, "{out}");
    assert_eq!(report["verdict"], "mismatch");
    let util = targets(&report)
        .iter()
        .find(|t| t["target"] == "//lib:util")
        .expect("//lib:util");
    assert_eq!(util["verdict"], "differs", "{util}");
    let why = util["difference"].as_str().expect("difference");
    assert!(
        why.contains("lib/add.c") || why.contains("lib/twice.c"),
        "{why}"
    );
    assert!(out.contains("//lib:util"), "{out}");
    assert!(out.contains("verify: mismatch"), "{out}");
    // A source less: the archive lacks a member.
    std::fs::write(&manifest, text.replace("\"lib/add.c\"\n          , ", "")).expect("edit");
    let (code, out, report) = verify(&run.out);
    assert_eq!(code, 7, "{out}");
    let util = targets(&report)
        .iter()
        .find(|t| t["target"] == "//lib:util")
        .expect("//lib:util");
    assert_eq!(
        util["difference"].as_str(),
        Some("member add.o is in the real build's and not in the manifest build's"),
        "{util}"
    );
    // The program that links it no longer links: a missing artifact.
    let app = targets(&report)
        .iter()
        .find(|t| t["target"] == "//:app")
        .expect("//:app");
    assert_eq!(app["verdict"], "missing", "{app}");
    // A target in one form and not in the other: the manifests disagree, and verify says where.
    std::fs::write(&manifest, &text).expect("restore");
    std::fs::write(
        run.out.join("dhall/BUILD.dhall"),
        "let Build = ./engine/Build.dhall in [] : List Build.Target\n",
    )
    .expect("edit");
    let (code, out, _) = verify(&run.out);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("BUILD.dhall") && out.contains("no engine target app"),
        "{out}"
    );
    // An engine form that is not exactly the engine's type is refused, naming the file.
    std::fs::write(
        run.out.join("dhall/BUILD.dhall"),
        "[ { name = \"app\", srcs = [ \"main.c\" ] } ]\n",
    )
    .expect("edit");
    let (code, out, _) = verify(&run.out);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("dhall/BUILD.dhall") && out.contains("exactly the engine's List Target"),
        "{out}"
    );
    // A target less in both forms: the real build's program is claimed by no manifest.
    std::fs::write(
        run.out.join("dhall/BUILD.confess.dhall"),
        "let S = ./schema.dhall in [] : List S.Target\n",
    )
    .expect("edit");
    std::fs::write(
        run.out.join("dhall/BUILD.dhall"),
        "let Build = ./engine/Build.dhall in [] : List Build.Target\n",
    )
    .expect("edit");
    let (code, out, report) = verify(&run.out);
    assert_eq!(code, 7, "{out}");
    assert_eq!(
        report["unclaimed"],
        serde_json::json!(["[build]/app"]),
        "{report}"
    );
    assert!(
        out.contains(
            "[build]/app: the real build made it, and no target of the manifests builds it"
        ),
        "{out}"
    );
    assert_eq!(targets(&report).len(), 1, "{report}");
}

#[test]
fn verify_needs_a_confession_and_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, text, _) = verify(&tmp.path().join("nothing"));
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("confess a project with this --out first")
            || text.contains("run confess on the project first"),
        "{text}"
    );
}
