//! `confess meson`: the generator fixture (a custom_target and a generator() whose programs are
//! built in the project, a shared library, a static library) and pixman from Debian against
//! `meson introspect --targets --dependencies` in the same build directory and against Bear on a
//! real build; meson regenerating inside a confessed build gets real answers; dependency()
//! through the pkg-config shim per --deps.
//!
//! Set CONFESS_BLESS=1 to rewrite the expected graphs (then read the diff before committing).

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn node_loc(g: &Value, id: &Value) -> String {
    let n = &g["nodes"][usize::try_from(id.as_u64().expect("id")).expect("an index")];
    match (n["root"].as_str(), n["path"].as_str(), n["name"].as_str()) {
        (Some("build"), Some(p), _) => format!("[build]/{p}"),
        (_, Some(p), _) => p.to_string(),
        // An external library: by path when the link named it so, else -lNAME.
        (_, None, Some(name)) if name.starts_with('/') => name.to_string(),
        (_, None, Some(name)) => format!("-l{name}"),
        _ => "?".into(),
    }
}

/// A path meson names, as graph.txt writes locations.
fn loc(p: &str, src: &str, build: &str) -> String {
    if p == build {
        return "[build]".into();
    }
    if p == src {
        return ".".into();
    }
    if let Some(r) = p.strip_prefix(&format!("{build}/")) {
        format!("[build]/{r}")
    } else if let Some(r) = p.strip_prefix(&format!("{src}/")) {
        r.to_string()
    } else {
        p.to_string()
    }
}

/// Runs `meson introspect --targets --dependencies` in the confessed build directory (kept
/// scratch) and checks: the same targets (each artifact made by an action of the right kind),
/// the same sources (the sources compiled into each target's objects), the same dependencies
/// (each found dependency's libraries on the links). Returns the number of targets checked.
fn check_against_introspect(run: &Run, scratch: &Path) -> usize {
    let src = scratch.join("src").display().to_string();
    let build = scratch.join("build").display().to_string();
    let out = Command::new("meson")
        .args(["introspect", "--targets", "--dependencies"])
        .arg(&build)
        .output()
        .expect("meson introspect");
    assert!(out.status.success(), "meson introspect failed");
    let intro: Value = serde_json::from_slice(&out.stdout).expect("introspection JSON");
    let g = run.json("graph.json");
    let actions = g["actions"].as_array().expect("actions");
    let producer = |l: &str| {
        actions.iter().find(|a| {
            a["kind"] != "run"
                && a["outputs"]
                    .as_array()
                    .expect("outputs")
                    .iter()
                    .any(|o| node_loc(&g, o) == l)
        })
    };
    let inputs = |a: &Value, edges: &[&str]| -> Vec<String> {
        a["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .filter(|i| edges.contains(&i["edge"].as_str().unwrap_or("")))
            .map(|i| node_loc(&g, &i["node"]))
            .collect()
    };
    let mut checked = 0;
    let mut links_with: BTreeSet<String> = BTreeSet::new();
    for t in intro["targets"].as_array().expect("targets") {
        let kind = t["type"].as_str().expect("type");
        let (action_kind, node_kind) = match kind {
            "executable" => ("link", "executable"),
            "shared library" => ("link", "shared_library"),
            "static library" => ("archive", "archive"),
            _ => continue,
        };
        let file = loc(t["filename"][0].as_str().expect("filename"), &src, &build);
        let a = producer(&file).unwrap_or_else(|| panic!("no action makes {file} ({kind})"));
        assert_eq!(a["kind"], action_kind, "{file}");
        let n =
            &g["nodes"][usize::try_from(a["outputs"][0].as_u64().expect("id")).expect("an index")];
        assert_eq!(n["kind"], node_kind, "{file}");
        // Sources: every source of the target, compiled into an object the artifact is made of.
        let mut want = BTreeSet::new();
        for ts in t["target_sources"].as_array().expect("target_sources") {
            for s in ts["sources"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(ts["generated_sources"].as_array().into_iter().flatten())
            {
                let l = loc(s.as_str().expect("source"), &src, &build);
                if Path::new(&l).extension().is_none_or(|x| x != "h") {
                    want.insert(l);
                }
            }
        }
        let mut got = BTreeSet::new();
        for o in inputs(a, &["input", "member"]) {
            if let Some(c) = producer(&o).filter(|c| c["kind"] == "compile") {
                got.extend(inputs(c, &["source"]));
            } else {
                links_with.insert(o);
            }
        }
        assert_eq!(got, want, "sources of {file}: graph vs meson introspect");
        links_with.extend(inputs(a, &["library"]));
        checked += 1;
    }
    // Dependencies: a library meson found is linked as the graph records it (by path, or -lNAME).
    for d in intro["dependencies"].as_array().expect("dependencies") {
        for arg in d["link_args"].as_array().into_iter().flatten() {
            let arg = arg.as_str().expect("link arg");
            if arg.starts_with('/') || arg.starts_with("-l") {
                assert!(
                    links_with.contains(arg),
                    "dependency {} links {arg}, which no link of the graph has ({links_with:?})",
                    d["name"]
                );
            }
        }
    }
    checked
}

/// What Bear records from a real meson build of a copy of `src` (setup, then ninja under Bear).
fn bear_meson(tmp: &Path, src: &Path, args: &[&str]) -> (PathBuf, Value) {
    let real = tmp.join("real");
    copy_dir(src, &real);
    let st = Command::new("meson")
        .arg("setup")
        .args(args)
        .arg("b")
        .current_dir(&real)
        .output()
        .expect("meson setup");
    assert!(
        st.status.success(),
        "meson setup failed:\n{}",
        String::from_utf8_lossy(&st.stdout)
    );
    let db = bear(&real, &["ninja", "-C", "b"]);
    (real, db)
}

/// Translation units with include directories resolved: meson names them relative to the
/// build directory, which lies elsewhere in the real build than in the confession.
fn resolved_tus(db: &Value, src: &Path, build: &Path) -> Vec<Tu> {
    let (src_s, build_s) = (src.display().to_string(), build.display().to_string());
    let mut v: Vec<Tu> = db
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let dir = PathBuf::from(e["directory"].as_str().expect("directory"));
            let at = |p: &str| {
                let abs = confess_shims::headers::lexical(&dir.join(p));
                loc(&abs.display().to_string(), &src_s, &build_s)
            };
            let (_, flags) = compile_affecting(e, &[Path::new("/nonexistent")], true);
            let flags = flags
                .into_iter()
                .map(|f| match f.strip_prefix("-I") {
                    Some(p) => format!("-I{}", at(p)),
                    None => f,
                })
                .collect();
            (at(e["file"].as_str().expect("file")), flags)
        })
        .collect();
    v.sort();
    v
}

/// The outputs of the edges `file` is an input of (`ninja -t query`).
fn symbols_consumers(build: &Path, file: &str) -> Vec<String> {
    let o = Command::new("ninja")
        .args(["-t", "query", file])
        .current_dir(build)
        .output()
        .expect("ninja -t query");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "ninja -t query {file}: {text}");
    let mut out = Vec::new();
    let mut in_outputs = false;
    for line in text.lines() {
        match line.trim() {
            "outputs:" => in_outputs = true,
            "input:" => in_outputs = false,
            l if l.starts_with("input:") => in_outputs = false,
            l if in_outputs && !l.is_empty() => out.push(l.to_string()),
            _ => {}
        }
    }
    out
}

#[test]
fn generator_fixture() {
    require("meson", "meson");
    require("ninja", "ninja-build");
    let fx = fixture("meson/generator");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &["meson", fx.to_str().expect("utf-8")],
    );
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
    let want =
        std::fs::read_to_string(&expected).expect("expected.graph (CONFESS_BLESS=1 writes it)");
    assert_eq!(got, want, "graph differs from {}", expected.display());
    assert!(run.out.join("meson-info/intro-targets.json").is_file());
    // The configure checks got real answers.
    let config = run.read("build/config.h");
    assert!(config.contains("#define HAVE_STDINT_H"), "{config}");
    assert!(
        config.contains("#undef HAVE_CONFESS_NO_SUCH_HEADER_H"),
        "{config}"
    );
    // meson's symbol extractor read the shared library's soname and symbols (readelf and nm)
    // from the token, and nothing was realized for it: its answer only decides ninja's
    // restat (below, from the real build: no command reads the file).
    let symbols = std::fs::read_to_string(
        scratch.join("build/src/libshapes.so.1.2.0.p/libshapes.so.1.2.0.symbols"),
    )
    .expect("symbols file");
    let lib_token = run.json("graph.json")["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["path"] == "src/libshapes.so.1.2.0")
        .and_then(|n| n["token"].as_str())
        .expect("the library's token")
        .to_string();
    assert_eq!(
        symbols,
        format!(
            " 0x000000000000000e (SONAME)             Library soname: [libshapes.so.1]\n\
             confess.token.{lib_token} T\n"
        ),
        "{symbols}"
    );
    let summary = run.read("summary.txt");
    assert!(
        summary.contains("(answered from tokens: nm 1, readelf 1)"),
        "{summary}"
    );
    // What was realized is the two generators the build runs and their objects, not the
    // library.
    let realized: Vec<String> = std::fs::read_dir(scratch.join("session/realized"))
        .expect("realized/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_none_or(|x| x != "lock"))
        .collect();
    assert_eq!(realized.len(), 4, "{realized:?}");
    assert!(!realized.contains(&lib_token), "{realized:?}");
    let n = check_against_introspect(&run, &scratch);
    assert_eq!(n, 5, "targets compared with meson introspect");

    check_generator_against_a_real_build(tmp.path(), &fx, &run);
    // The manifests rebuild the generator, the shared library and the program.
    let (objects, identical) = assert_verified("meson generator fixture", &run.out);
    assert_eq!(identical, objects, "objects differ in bytes");
    std::fs::remove_dir_all(&scratch).expect("cleanup");
}

/// The compile database equals Bear's from a real build, in which only ninja's restat reads the symbols file.
fn check_generator_against_a_real_build(tmp: &Path, fx: &Path, run: &Run) {
    // The compile database equals Bear's from a real build.
    let (real, bear_db) = bear_meson(tmp, fx, &[]);
    // In the real build, the symbols file is an input of the links that use the library and
    // of nothing else, and no command names it: only ninja's restat reads it.
    let sym = "src/libshapes.so.1.2.0.p/libshapes.so.1.2.0.symbols";
    let consumers = symbols_consumers(&real.join("b"), sym);
    assert_eq!(
        consumers,
        ["src/app"],
        "what the symbols file is an input of"
    );
    for c in &consumers {
        let o = Command::new("ninja")
            .args(["-t", "commands", "-s", c])
            .current_dir(real.join("b"))
            .output()
            .expect("ninja -t commands");
        let cmd = String::from_utf8_lossy(&o.stdout);
        assert!(cmd.contains("libshapes.so.1.2.0"), "{cmd}");
        assert!(
            !cmd.contains(".symbols"),
            "{c}'s command reads the symbols file: {cmd}"
        );
    }
    let ours = resolved_tus(
        &run.json("compile_commands.json"),
        fx,
        &run.out.join("build"),
    );
    let theirs = resolved_tus(&bear_db, &real, &real.join("b"));
    assert_eq!(ours.len(), 7);
    assert_eq!(ours, theirs, "compile database differs from Bear's");
    clangd::parity_trees(
        "meson/generator",
        &run.out,
        fx,
        &real,
        &real.join("b"),
        &bear_db,
    );
}

#[test]
fn regeneration_inside_a_confessed_build_gets_real_answers() {
    // After a confession, the kept copy's meson.build is edited and ninja runs again under the
    // shims: meson regenerates, and its new checks must get real answers.
    require("meson", "meson");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let top = "project('regen', 'c')\nexecutable('app', 'main.c')\n";
    std::fs::write(src.join("meson.build"), top).expect("write");
    std::fs::write(src.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &["meson", src.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let edited = format!("{top}cc = meson.get_compiler('c')\nconf = configuration_data()\nconf.set('HAVE_STDIO_H', cc.has_header('stdio.h'))\nconf.set('HAVE_NO_SUCH', cc.has_header('confess_no_such_header.h'))\nconf.set('SIZEOF_INT', cc.sizeof('int'))\nconfigure_file(output: 'config.h', configuration: conf)\n");
    std::fs::write(scratch.join("src/meson.build"), edited).expect("edit");
    let st = under_shims(&scratch, "ninja")
        .arg("-C")
        .arg(scratch.join("build"))
        .output()
        .expect("ninja");
    let log = String::from_utf8_lossy(&st.stdout).into_owned();
    assert!(
        st.status.success(),
        "{log}{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(
        log.contains("Regenerating") || log.contains("regenerat"),
        "no regeneration:\n{log}"
    );
    let config = std::fs::read_to_string(scratch.join("build/config.h")).expect("config.h");
    assert!(config.contains("#define HAVE_STDIO_H"), "{config}");
    assert!(
        config.contains("#undef HAVE_NO_SUCH"),
        "a missing header was found:\n{config}"
    );
    assert!(config.contains("#define SIZEOF_INT 4"), "{config}");
    let conn = scratch_events(&scratch);
    let real: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE phase = 'build' AND decision = 'passthrough'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(real >= 3, "only {real} real calls during the regeneration");
    std::fs::remove_dir_all(&scratch).expect("cleanup");
}

#[test]
fn dependencies_go_through_the_pkg_config_shim() {
    require("meson", "meson");
    require("pkg-config", "pkg-config");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("meson.build"),
        "project('deps', 'c')\nz = dependency('zlib')\nmissing = dependency('confess-no-such-module', required: false)\n\
         zc = dependency('ZLIB', method: 'cmake')\n\
         executable('app', 'main.c', dependencies: [z, missing, zc])\n",
    )
    .expect("write");
    std::fs::write(src.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    let packages = |run: &Run| -> BTreeMap<String, String> {
        run.json("graph.json")["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().expect("name").to_string(),
                    format!("{} {}", p["resolved"].as_str().unwrap_or("?"), p["found"]),
                )
            })
            .collect()
    };
    let auto = confess(
        &tmp.path().join("auto"),
        &["meson", src.to_str().expect("utf-8")],
    );
    auto.assert_ok();
    let p = packages(&auto);
    assert_eq!(
        p.get("zlib").map(String::as_str),
        Some("real true"),
        "{p:?}"
    );
    assert_eq!(
        p.get("confess-no-such-module").map(String::as_str),
        Some("fake true"),
        "{p:?}"
    );
    assert!(auto
        .read("graph.txt")
        .contains("library -lconfess-no-such-module"));
    // meson's CMake lookup runs find_package through confess's cmake: recorded, found for real.
    let g = auto.json("graph.json");
    let zc = g["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "ZLIB")
        .expect("find_package(ZLIB) recorded");
    assert_eq!(zc["method"], "find_package");
    assert_eq!(zc["resolved"], "real");
    assert_eq!(zc["found"], true);
    let real = confess(
        &tmp.path().join("real"),
        &["meson", "--deps", "real", src.to_str().expect("utf-8")],
    );
    real.assert_ok();
    let p = packages(&real);
    assert_eq!(
        p.get("confess-no-such-module").map(String::as_str),
        Some("real false"),
        "{p:?}"
    );
    assert!(!real.read("graph.txt").contains("confess-no-such-module"));
}

#[test]
fn not_a_meson_project_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["meson", tmp.path().to_str().expect("utf-8")]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("no meson.build"), "{}", run.stderr());
}

#[test]
fn pixman_matches_introspect_and_bear() {
    // The Debian diff of pixman is missing on the mirror: the upstream tarball. --deps real so
    // that the confession sees what the real build sees (gtk and glib are not installed here,
    // and would be made up under --deps auto, adding the demos).
    require("meson", "meson");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = corpus::upstream("pixman", &tmp.path().join("src"));
    let before = tree_digest(&src);
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &[
            "meson",
            "--deps",
            "real",
            "-j2",
            src.to_str().expect("utf-8"),
        ],
    );
    run.assert_ok();
    assert_eq!(tree_digest(&src), before, "confess changed the source tree");
    let n = check_against_introspect(&run, &scratch);
    assert!(n >= 30, "only {n} targets compared with meson introspect");
    let (real, bear_db) = bear_meson(tmp.path(), &src, &[]);
    let ours = resolved_tus(
        &run.json("compile_commands.json"),
        &src,
        &run.out.join("build"),
    );
    let theirs = resolved_tus(&bear_db, &real, &real.join("b"));
    assert!(
        theirs.len() >= 60,
        "Bear saw only {} translation units",
        theirs.len()
    );
    assert_eq!(ours, theirs, "translation units differ from Bear's");
    clangd::parity_trees("pixman", &run.out, &src, &real, &real.join("b"), &bear_db);
    eprintln!(
        "pixman: {} translation units equal Bear's, {n} targets equal meson introspect's",
        ours.len()
    );
    // The manifests rebuild the library, the SIMD archives (thin, as meson makes them) and the
    // test programs (libpng by path, libraries searched as a group) as the real build does.
    dhall::check_manifests("pixman", &run.out);
    let (objects, identical) = assert_verified("pixman", &run.out);
    assert!(objects >= 70, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
    eprintln!(
        "pixman: verify: {identical} of {objects} objects identical in bytes, every target agrees"
    );
    std::fs::remove_dir_all(&scratch).expect("cleanup");
}

#[test]
fn all_targets_confesses_what_is_not_built_by_default() {
    // An example with `build_by_default: false`: in meson's own compile database, made only
    // when named.
    require("meson", "meson");
    require("ninja", "ninja-build");
    let fx = fixture("meson/excluded");
    let tmp = tempfile::tempdir().expect("tmp");
    let real = tmp.path().join("real");
    copy_dir(&fx, &real);
    let st = Command::new("meson")
        .args(["setup", "b"])
        .current_dir(&real)
        .output()
        .expect("meson setup");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
    let theirs: Value = serde_json::from_str(
        &std::fs::read_to_string(real.join("b/compile_commands.json")).expect("meson's database"),
    )
    .expect("json");
    let files = |db: &Value, dir: &Path| -> BTreeSet<String> {
        db.as_array()
            .expect("array")
            .iter()
            .map(|e| {
                let f = Path::new(e["file"].as_str().expect("file"));
                let abs = Path::new(e["directory"].as_str().expect("directory")).join(f);
                let abs = confess_shims::headers::lexical(&abs);
                abs.strip_prefix(dir).unwrap_or(&abs).display().to_string()
            })
            .collect()
    };
    let theirs = files(&theirs, &real);
    assert!(theirs.contains("examples/demo.c"), "{theirs:?}");

    let default = confess(tmp.path(), &["meson", fx.to_str().expect("utf-8")]);
    default.assert_ok();
    let d = files(&default.json("compile_commands.json"), &fx);
    assert!(!d.contains("examples/demo.c"), "{d:?}");

    let all = confess(
        &tmp.path().join("a"),
        &["meson", fx.to_str().expect("utf-8"), "--all-targets"],
    );
    all.assert_ok();
    assert_eq!(
        files(&all.json("compile_commands.json"), &fx),
        theirs,
        "--all-targets differs from meson's own database"
    );
    target_of(&all.json("targets.json"), None, "demo");
    let (objects, identical) = assert_verified("meson/excluded --all-targets", &all.out);
    assert_eq!(identical, objects, "objects differ in bytes");
}

#[test]
fn a_source_compiled_once_per_variant_is_two_compiles_rebuilt_each_with_its_flags() {
    // One template source compiled for 8 and 16 bits into objects of one shared library
    // (extract_all_objects of two static libraries that are not built by default): two
    // compiles, each with its own define and include directory, in the graph, the database,
    // the manifests, and verify's build.
    require("meson", "meson");
    require("ninja", "ninja-build");
    let fx = fixture("meson/variants");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(
        &tmp.path().join("c"),
        &["meson", fx.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let got = run.read("graph.txt");
    let expected = fx.join("expected.graph");
    if std::env::var_os("CONFESS_BLESS").is_some() {
        std::fs::write(&expected, &got).expect("bless");
    }
    let want =
        std::fs::read_to_string(&expected).expect("expected.graph (CONFESS_BLESS=1 writes it)");
    assert_eq!(got, want, "graph differs from {}", expected.display());
    // compile_commands.json: one entry per variant, each with its define.
    let db = run.json("compile_commands.json");
    let mut variants: Vec<(String, String)> = db
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            e["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("pixel_tmpl.c"))
        })
        .map(|e| {
            let args = strs(&e["arguments"]);
            let define = args
                .iter()
                .find(|a| a.starts_with("-DBITDEPTH="))
                .expect("BITDEPTH")
                .to_string();
            (define, e["output"].as_str().expect("output").to_string())
        })
        .collect();
    variants.sort();
    assert_eq!(variants.len(), 2, "{variants:?}");
    assert_eq!(variants[0].0, "-DBITDEPTH=16");
    assert_eq!(variants[1].0, "-DBITDEPTH=8");
    // The companion lists the source once per compile, each override naming its object.
    let t = run.json("targets.json");
    let pixel = target_of(&t, None, "pixel");
    let srcs = strs(&pixel["srcs"]["Files"]);
    assert_eq!(
        srcs.iter().filter(|s| s.ends_with("pixel_tmpl.c")).count(),
        2,
        "{srcs:?}"
    );
    let overrides = pixel["overrides"].as_array().expect("overrides");
    for (depth, dir) in [("16", "libpixel_16.a.p"), ("8", "libpixel_8.a.p")] {
        let o = overrides
            .iter()
            .find(|o| o["object"].as_str().is_some_and(|p| p.contains(dir)))
            .unwrap_or_else(|| panic!("no override for the {depth}-bit object: {overrides:?}"));
        assert!(
            o["flags"].to_string().contains(&format!("\"{depth}\"")),
            "the {depth}-bit override lacks its define: {o}"
        );
    }
    let manifest = run.read("dhall/BUILD.confess.dhall");
    assert!(
        manifest.contains("object = Some \"[build]/libpixel_8.a.p/src_pixel_tmpl.c.o\""),
        "{manifest}"
    );
    // Both variants rebuilt from the manifests, each object the same bytes as the real one.
    let (objects, identical) = assert_verified("meson/variants", &run.out);
    assert_eq!((objects, identical), (4, 4));
}
