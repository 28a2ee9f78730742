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
    require("nasm", "nasm");
    require("yasm", "yasm");
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
    for (fx, generator) in [
        ("basic", "ninja"),
        ("basic", "make"),
        ("features", "ninja"),
        ("link-order", "ninja"),
        ("configure-checks", "ninja"),
        ("lto", "ninja"),
    ] {
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
        if fx == "lto" {
            // GIMPLE objects carry a random section suffix (no -frandom-seed): the same
            // symbols and sections, not the same bytes.
            assert_eq!(objects, 4, "{what}");
        } else {
            assert_eq!(identical, objects, "{what}");
        }
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
    check_manifest_forms_that_disagree(&run.out, &manifest, &text);
}

/// With the manifest restored: a target in one form and not the other, a form not of the engine's type, and a target less in both forms, each named by verify.
fn check_manifest_forms_that_disagree(
    confession: &std::path::Path,
    manifest: &std::path::Path,
    text: &str,
) {
    // A target in one form and not in the other: the manifests disagree, and verify says where.
    std::fs::write(manifest, text).expect("restore");
    std::fs::write(
        confession.join("dhall/BUILD.dhall"),
        "let Build = ./engine/Build.dhall in [] : List Build.Target\n",
    )
    .expect("edit");
    let (code, out, _) = verify(confession);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("BUILD.dhall") && out.contains("no engine target app"),
        "{out}"
    );
    // An engine form that is not exactly the engine's type is refused, naming the file.
    std::fs::write(
        confession.join("dhall/BUILD.dhall"),
        "[ { name = \"app\", srcs = [ \"main.c\" ] } ]\n",
    )
    .expect("edit");
    let (code, out, _) = verify(confession);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("dhall/BUILD.dhall") && out.contains("exactly the engine's List Target"),
        "{out}"
    );
    // A target less in both forms: the real build's program is claimed by no manifest.
    std::fs::write(
        confession.join("dhall/BUILD.confess.dhall"),
        "let S = ./schema.dhall in [] : List S.Target\n",
    )
    .expect("edit");
    std::fs::write(
        confession.join("dhall/BUILD.dhall"),
        "let Build = ./engine/Build.dhall in [] : List Build.Target\n",
    )
    .expect("edit");
    let (code, out, report) = verify(confession);
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

/// `confess verify` with `XDG_CACHE_HOME` set: exit code and what it printed.
fn verify_with_cache(out: &std::path::Path, cache: &std::path::Path) -> (i32, String) {
    let o = confess_command()
        .args(["verify", "--out"])
        .arg(out)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run confess verify");
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn a_hand_edited_manifest_reaches_nothing_outside_the_output_directory() {
    // Manifests are text anyone can edit: verify refuses, before running anything, a path that
    // leaves the trees it builds in and any import but a relative one inside the output
    // directory (exit 6, naming the file, the target or import, and the path); nothing outside
    // the output directory is created or deleted, Dhall's cache directory included.
    require("make", "make");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let root = std::fs::canonicalize(tmp.path()).expect("canonical");
    let run = confess(
        &root.join("c"),
        &["make", fixture("make/static-lib").to_str().expect("utf-8")],
    );
    run.assert_ok();
    // Outside the output directory: a sentinel, and a place where nothing may appear.
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let sentinel = outside.join("sentinel.a");
    std::fs::write(&sentinel, "not an archive\n").expect("write");
    std::fs::write(
        outside.join("Build.dhall"),
        confess::engine::DECLARATION[0].1,
    )
    .expect("write");
    let before = tree_digest(&outside);
    let cache = root.join("xdg-cache");
    let companion = run.out.join("dhall/lib/BUILD.confess.dhall");
    let engine = run.out.join("dhall/lib/BUILD.dhall");
    let (companion_text, engine_text) = (
        std::fs::read_to_string(&companion).expect("read"),
        std::fs::read_to_string(&engine).expect("read"),
    );
    let h = HandEdits {
        out: run.out.clone(),
        cache,
        outside,
        before,
        companion,
        engine,
        companion_text,
        engine_text,
    };
    check_escaping_paths_are_refused(&h, &sentinel);
    check_escaping_imports_are_refused(&h);
}

/// A confession whose manifests are edited by hand, and what verify must leave untouched.
struct HandEdits {
    out: std::path::PathBuf,
    /// Dhall's cache directory, which must not be made.
    cache: std::path::PathBuf,
    /// Outside the output directory, and its digest before: nothing may change there.
    outside: std::path::PathBuf,
    before: std::collections::BTreeMap<String, String>,
    companion: std::path::PathBuf,
    engine: std::path::PathBuf,
    companion_text: String,
    engine_text: String,
}

impl HandEdits {
    /// Both manifests as confessed.
    fn restore(&self) {
        std::fs::write(&self.companion, &self.companion_text).expect("restore");
        std::fs::write(&self.engine, &self.engine_text).expect("restore");
    }

    /// verify refuses the edit (exit 6) with `words`, before running anything, touching
    /// nothing outside; then the manifests are restored.
    fn refused(&self, what: &str, words: &[&str]) {
        let (code, text) = verify_with_cache(&self.out, &self.cache);
        assert_eq!(code, 6, "{what}: {text}");
        for w in words {
            assert!(text.contains(w), "{what}: {w:?} not in {text}");
        }
        assert!(
            text.contains("confess the project again with this --out"),
            "{what}: {text}"
        );
        assert_eq!(
            tree_digest(&self.outside),
            self.before,
            "{what}: outside was touched"
        );
        assert!(
            !self.cache.exists(),
            "{what}: Dhall's cache directory was made"
        );
        // Nothing ran: neither build left its log.
        assert!(
            !self.out.join("verify/real-build.log").exists(),
            "{what}: a build ran"
        );
        self.restore();
    }
}

/// `from` replaced by `to` (once) in the manifest `file`, which must hold it.
fn edited(file: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{from} not in {text}");
    std::fs::write(file, text.replacen(from, to, 1)).expect("edit");
}

/// Paths that leave the trees: an absolute output, an escaping source, an escaping object.
fn check_escaping_paths_are_refused(h: &HandEdits, sentinel: &std::path::Path) {
    let abs_out = sentinel.display().to_string();

    // An output at an absolute path (the archive rule starts with `rm -f`).
    edited(
        &h.companion,
        "output = \"[build]/lib/libutil.a\"",
        &format!("output = \"{abs_out}\""),
    );
    h.refused(
        "absolute output",
        &[
            "BUILD.confess.dhall",
            "//lib:util",
            &abs_out,
            "absolute path",
        ],
    );

    // A source that leaves the source tree.
    let up = "../../../../../../../../../../../../etc/passwd";
    edited(&h.engine, "\"lib/add.c\"", &format!("\"{up}\""));
    h.refused(
        "escaping source",
        &[
            "lib/BUILD.dhall",
            "//lib:util",
            up,
            "leaves the source tree",
        ],
    );

    // An object graph.json places outside.
    let graph = h.out.join("graph.json");
    let graph_text = std::fs::read_to_string(&graph).expect("read");
    let g: serde_json::Value = serde_json::from_str(&graph_text).expect("json");
    let obj = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .position(|n| n["path"] == "lib/add.o")
        .expect("lib/add.o");
    let mut g2 = g.clone();
    g2["nodes"][obj]["path"] = serde_json::json!("lib/../../../../../../../../../tmp/add.o");
    std::fs::write(&graph, serde_json::to_string(&g2).expect("json")).expect("edit");
    h.refused(
        "escaping object",
        &["graph.json", "//lib:util", "leaves the"],
    );
    std::fs::write(&graph, &graph_text).expect("restore");
}

/// Imports: an environment variable, an absolute import, one leaving the output directory,
/// one in an interpolation; imports hidden in comments and texts are none.
fn check_escaping_imports_are_refused(h: &HandEdits) {
    // An environment variable.
    edited(
        &h.engine,
        "let Build = ../engine/Build.dhall",
        "let Build = ../engine/Build.dhall\n\nlet home = env:HOME as Text",
    );
    h.refused(
        "env import",
        &[
            "lib/BUILD.dhall",
            "line 8",
            "`env:HOME`",
            "environment variable",
        ],
    );

    // An absolute import, and a relative one that leaves the output directory.
    let abs_import = h.outside.join("Build.dhall").display().to_string();
    edited(
        &h.engine,
        "let Build = ../engine/Build.dhall",
        &format!("let Build = {abs_import}"),
    );
    h.refused(
        "absolute import",
        &[
            "lib/BUILD.dhall",
            &format!("`{abs_import}`"),
            "absolute path",
        ],
    );
    edited(
        &h.engine,
        "let Build = ../engine/Build.dhall",
        "let Build = ../../../outside/Build.dhall",
    );
    h.refused(
        "escaping import",
        &[
            "`../../../outside/Build.dhall`",
            "outside the output directory",
        ],
    );
    // Imports hidden in comments and texts are no imports; one in an interpolation is.
    edited(
        &h.engine,
        "let Build = ../engine/Build.dhall",
        "{- env:HOME {- /etc/x -} -}\nlet Build = ../engine/Build.dhall\n\nlet t = \"env:HOME ${env:USER as Text}\"",
    );
    h.refused("interpolated import", &["`env:USER`"]);
    edited(
        &h.engine,
        "let Build = ../engine/Build.dhall",
        "{- env:HOME {- /etc/x -} -}\nlet Build = ../engine/Build.dhall -- /etc/y\n\nlet t = ''\n  env:HOME ''${/etc/z}\n  ''",
    );
    let (code, text) = verify_with_cache(&h.out, &h.cache);
    assert_eq!(code, 0, "{text}");
    assert!(!h.cache.exists(), "Dhall's cache directory was made");
    assert_eq!(tree_digest(&h.outside), h.before);
}

/// serde_dhall's parser backtracks without bound on some texts the lexer's budget does not see
/// (tests/data/dhall-slow-text.dhall: 989 bytes, a multi-line text with interpolations, found by
/// the fuzzer; over 500 s in a release build). verify reads each manifest within a deadline and
/// refuses it when the deadline passes, naming the file (exit 6).
#[test]
fn a_manifest_dhall_cannot_read_in_time_is_refused_at_the_deadline() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("make/static-lib");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    let slow = repo().join("tests/data/dhall-slow-text.dhall");
    std::fs::copy(&slow, run.out.join("dhall/BUILD.confess.dhall")).expect("copy");
    let t = std::time::Instant::now();
    let o = confess_command()
        .args(["verify", "--out"])
        .arg(&run.out)
        .env("CONFESS_DHALL_SECONDS", "3")
        .output()
        .expect("run confess verify");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(
        err.contains("BUILD.confess.dhall") && err.contains("did not finish reading it within 3 s"),
        "{err}"
    );
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

/// Every compile the manifests declare, rendered as `confess verify` would run it, against the
/// compile the confession recorded for the same object: the same words in the same order
/// (the words that decide the object; where outputs go and what a link takes left out).
fn assert_compiles_rendered_as_recorded(what: &str, out: &std::path::Path) -> usize {
    let checks = confess::verify::plan::compiles(out)
        .unwrap_or_else(|e| panic!("{what}: the manifests do not plan: {e}"));
    for c in &checks {
        let rendered = confess::verify::plan::compile_words(&c.rendered);
        let recorded = confess::verify::plan::compile_words(&c.recorded);
        assert_eq!(
            rendered, recorded,
            "{what}: {} of {} is rendered otherwise than recorded:\n  rendered {:?}\n  recorded {:?}",
            c.object, c.target, c.rendered, c.recorded
        );
    }
    checks.len()
}

#[test]
fn every_manifest_compile_renders_as_the_recorded_compile_before_anything_runs() {
    require("make", "make");
    require("nasm", "nasm");
    require("yasm", "yasm");
    require("cmake", "cmake");
    require("meson", "meson");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    let mut make: Vec<_> = std::fs::read_dir(fixture("make"))
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Makefile").is_file())
        .collect();
    make.sort();
    for d in make {
        runs.push((
            format!("make/{}", d.file_name().expect("name").to_string_lossy()),
            vec!["make".into(), d.display().to_string()],
        ));
    }
    for fx in [
        "basic",
        "features",
        "link-order",
        "excluded",
        "configure-checks",
        "lto",
    ] {
        runs.push((
            format!("cmake/{fx}"),
            vec![
                "cmake".into(),
                fixture(&format!("cmake/{fx}")).display().to_string(),
            ],
        ));
    }
    for fx in ["generator", "variants"] {
        runs.push((
            format!("meson/{fx}"),
            vec![
                "meson".into(),
                fixture(&format!("meson/{fx}")).display().to_string(),
            ],
        ));
    }
    let mut total = 0;
    for (what, args) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = confess(&tmp.path().join(what.replace('/', "-")), &args);
        run.assert_ok();
        let n = assert_compiles_rendered_as_recorded(what, &run.out);
        assert!(n > 0, "{what}: no compile to compare");
        total += n;
    }
    // Each fixture's compiles, the two variants of meson/variants and the plain and -fPIC
    // compiles of make/same-source-twice among them.
    eprintln!(
        "{total} manifest compiles of {} fixtures rendered as recorded",
        runs.len()
    );
    assert!(total >= 60, "{total} compiles compared");
}

#[test]
fn link_lines_keep_the_recorded_order_and_repetitions() {
    // cmake/link-order: two archives that need each other, linked `libring.a libchain.a
    // libring.a libchain.a`, and a program whose sources are listed zmain.c before alpha.c.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(
        &tmp.path().join("c"),
        &[
            "cmake",
            fixture("cmake/link-order").to_str().expect("utf-8"),
        ],
    );
    run.assert_ok();
    let t = run.json("targets.json");
    let link = &target_of(&t, None, "loop")["link"];
    assert_eq!(
        link,
        &serde_json::json!([
            {"Source": "zmain.c"},
            {"Source": "alpha.c"},
            {"Dep": {"Local": ":ring"}},
            {"Dep": {"Local": ":chain"}},
            {"Dep": {"Local": ":ring"}},
            {"Dep": {"Local": ":chain"}}
        ]),
        "{link}"
    );
    let manifest = run.read("dhall/BUILD.confess.dhall");
    assert!(
        manifest.contains("S.LinkItem.Dep (S.Dep.Local \":ring\")"),
        "{manifest}"
    );
    // Without the repetition the program does not link; in the recorded order it is the
    // same bytes as the real one.
    let (code, text, report) = verify(&run.out);
    assert_eq!(code, 0, "{text}");
    let lp = targets(&report)
        .iter()
        .find(|x| x["target"] == "//:loop")
        .expect("//:loop");
    assert_eq!(lp["verdict"], "identical", "{lp}");
}

#[test]
fn sources_outside_the_project_tree_are_targets_under_outside() {
    // cmake/outside/project adds ../vendor/minitest by absolute path (as Debian adds
    // /usr/src/googletest): its library gets a package of its own under _outside/, a valid
    // label, manifests that type-check, and is rebuilt from them.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let vendor = fixture("cmake/outside/vendor/minitest");
    let before = tree_digest(&vendor);
    let tmp = tempfile::tempdir().expect("tmp");
    let define = format!("-DMINITEST_DIR={}", vendor.display());
    let run = confess(
        &tmp.path().join("c"),
        &[
            "cmake",
            fixture("cmake/outside/project").to_str().expect("utf-8"),
            "--",
            &define,
        ],
    );
    run.assert_ok();
    // Nothing is written where the outside sources are: their manifests go under --out.
    assert_eq!(
        tree_digest(&vendor),
        before,
        "confess wrote into {}",
        vendor.display()
    );
    let c = common::dhall::check(&run.out);
    let (dir, minitest) = c
        .targets()
        .find(|(_, t)| t.name == "minitest")
        .expect("a minitest target");
    assert_eq!(dir, "_outside/minitest");
    assert!(run
        .out
        .join("dhall/_outside/minitest/BUILD.dhall")
        .is_file());
    // Its sources are named where they are, and it says it needs them.
    let src = format!("{}/src/minitest.c", vendor.display());
    match &minitest.srcs {
        confess::targets::model::Src::Files(f) => assert!(f.contains(&src), "{f:?}"),
        other => panic!("{other:?}"),
    }
    assert!(
        minitest
            .requires
            .contains(&confess::targets::model::Resource::Filesystem(src.clone())),
        "{:?}",
        minitest.requires
    );
    let (_, test) = c
        .targets()
        .find(|(_, t)| t.name == "calc_test")
        .expect("calc_test");
    assert!(
        test.deps.contains(&confess::targets::model::Dep::Local(
            "//_outside/minitest:minitest".into()
        )),
        "{:?}",
        test.deps
    );
    let (objects, identical) = assert_verified("cmake/outside", &run.out);
    assert_eq!((objects, identical), (4, 4));
}

#[test]
fn sources_outside_the_tree_become_an_external_dependency_by_choice() {
    // `--outside external`: minitest, built from ../vendor/minitest by absolute path, is no
    // target; calc_test depends on it as External, named by its directory and pinned by what
    // its compiles read: an edit of one of its sources changes the pin.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let vendor = tmp.path().join("vendor/minitest");
    std::fs::create_dir_all(tmp.path().join("vendor")).expect("mkdir");
    copy_dir(&fixture("cmake/outside/vendor/minitest"), &vendor);
    let define = format!("-DMINITEST_DIR={}", vendor.display());
    let project = fixture("cmake/outside/project");
    let confess_external = |out: &str| {
        let run = confess(
            &tmp.path().join(out),
            &[
                "cmake",
                project.to_str().expect("utf-8"),
                "--outside",
                "external",
                "--",
                &define,
            ],
        );
        run.assert_ok();
        let c = common::dhall::check(&run.out);
        assert!(
            c.targets().all(|(dir, _)| !dir.starts_with("_outside")),
            "targets under _outside with --outside external"
        );
        assert!(!run.out.join("dhall/_outside").exists());
        let (_, test) = c
            .targets()
            .find(|(_, t)| t.name == "calc_test")
            .expect("calc_test");
        let ext: Vec<&confess::targets::model::ExternalRef> = test
            .deps
            .iter()
            .filter_map(|d| match d {
                confess::targets::model::Dep::External(x) => Some(x),
                _ => None,
            })
            .collect();
        assert_eq!(ext.len(), 1, "{:?}", test.deps);
        assert_eq!(ext[0].name, format!("{}:minitest", vendor.display()));
        assert!(
            ext[0].hash.starts_with("sha256:") && ext[0].hash.len() == 71,
            "{}",
            ext[0].hash
        );
        // The link line names it where the build linked minitest.
        assert!(
            test.link.iter().any(|i| matches!(
                i,
                confess::targets::model::LinkItem::Dep(confess::targets::model::Dep::External(x))
                    if x == ext[0]
            )),
            "{:?}",
            test.link
        );
        ext[0].hash.clone()
    };
    let first = confess_external("a");
    assert_eq!(first, confess_external("b"), "the pin is not stable");
    let src = vendor.join("src/minitest.c");
    let text = std::fs::read_to_string(&src).expect("minitest.c");
    std::fs::write(&src, format!("{text}\n/* edited */\n")).expect("edit");
    assert_ne!(
        first,
        confess_external("c"),
        "an edited source left the pin as it was"
    );
}
