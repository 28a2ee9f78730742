//! `confess ninja` on build directories: a hand-written build.ninja (gcc by name and by absolute
//! path, a depfile rule), one meson wrote and one CMake wrote. The graph agrees with ninja's own
//! answers on the user's directory (`ninja -t commands`, `-t inputs`, `-t graph`), and the
//! user's directory is untouched.
//!
//! Set CONFESS_BLESS=1 to rewrite the expected graphs (then read the diff before committing).

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn ninja(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("ninja")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run ninja");
    assert!(out.status.success(), "ninja {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A node of graph.json as a path relative to the build directory (`rel` is where the build
/// directory lies inside the copied root).
fn node_rel(g: &Value, id: &Value, rel: &str) -> String {
    let n = &g["nodes"][usize::try_from(id.as_u64().expect("id")).expect("an index")];
    match n["path"].as_str() {
        Some(p) if rel.is_empty() => p.to_string(),
        Some(p) => match p.strip_prefix(&format!("{rel}/")) {
            Some(r) => r.to_string(),
            None => pathdiff(p, rel),
        },
        None => format!("-l{}", n["name"].as_str().unwrap_or("?")),
    }
}

/// `p` (relative to the root) seen from `rel` (also relative to the root).
fn pathdiff(p: &str, rel: &str) -> String {
    let up = rel.split('/').filter(|c| !c.is_empty()).count();
    format!("{}{p}", "../".repeat(up))
}

/// Words of a command for comparison: the user's directory and the copy spelled alike, a tool
/// by absolute path kept as it is.
fn words(cmd: &str, user_root: &str) -> Vec<String> {
    shlex::split(&cmd.replace(user_root, "$ROOT")).expect("command splits")
}

/// Checks confess's graph against ninja's answers on the user's (unbuilt) directory.
fn check_against_ninja(build: &Path, root: &Path, run: &Run, target: &str) {
    let g = run.json("graph.json");
    let rel = build
        .strip_prefix(root)
        .expect("inside root")
        .display()
        .to_string();
    let user_root = root.display().to_string();
    let generated = run.out.join("generated").display().to_string();
    let actions = g["actions"].as_array().expect("actions");
    check_commands_ninja_would_run(build, target, actions, &user_root, &generated);

    // ninja -t graph: each file's direct inputs (not order-only), against the graph's edges.
    let ninja_inputs = ninja_graph_inputs(build, target, &user_root, &rel);
    let mut checked = 0;
    for a in actions.iter().filter(|a| a["kind"] != "run") {
        let out = node_rel(&g, &a["outputs"][0], &rel);
        let Some(want) = ninja_inputs.get(&out) else {
            continue;
        };
        let got: BTreeSet<String> = a["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .filter(|i| matches!(i["edge"].as_str(), Some("source" | "input" | "member")))
            .map(|i| node_rel(&g, &i["node"], &rel))
            .collect();
        let want: BTreeSet<String> = want
            .iter()
            // Headers come from depfiles; system libraries meson adds as implicit inputs are
            // the graph's `-l` libraries.
            .filter(|w| {
                Path::new(w).extension().is_none_or(|x| x != "h") && !w.ends_with("build.ninja")
            })
            .filter(|w| !w.starts_with('/') || w.starts_with(&user_root))
            .cloned()
            .collect();
        assert_eq!(got, want, "inputs of {out}: graph vs ninja -t graph");
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} outputs compared with ninja -t graph"
    );

    // ninja -t inputs: everything the target needs, against the graph's closure (programs the
    // build ran included; headers and system libraries aside).
    let keep = |l: &String| {
        matches!(
            Path::new(l).extension().and_then(|x| x.to_str()),
            Some("c" | "cpp" | "o" | "a")
        ) && !l.starts_with('/')
    };
    let want: BTreeSet<String> = ninja(build, &["-t", "inputs", target])
        .lines()
        .map(|l| in_project(l, &user_root, &rel))
        .filter(keep)
        .collect();
    let mut got = BTreeSet::new();
    let mut todo = vec![target.to_string()];
    while let Some(t) = todo.pop() {
        for a in actions {
            if a["outputs"]
                .as_array()
                .expect("outputs")
                .iter()
                .any(|o| node_rel(&g, o, &rel) == t)
            {
                for i in a["inputs"].as_array().expect("inputs") {
                    if !matches!(i["edge"].as_str(), Some("header" | "library")) {
                        let p = node_rel(&g, &i["node"], &rel);
                        if got.insert(p.clone()) {
                            todo.push(p);
                        }
                    }
                }
            }
        }
    }
    let got: BTreeSet<String> = got.into_iter().filter(keep).collect();
    assert_eq!(got, want, "closure of {target}: graph vs ninja -t inputs");
}

/// ninja -t commands: every compile, archive and link command ninja would run is an action
/// of the graph with the same words (the archive's `rm -f` and ranlib are not tool calls).
fn check_commands_ninja_would_run(
    build: &Path,
    target: &str,
    actions: &[Value],
    user_root: &str,
    generated: &str,
) {
    let mut ours: BTreeSet<Vec<String>> = BTreeSet::new();
    for a in actions.iter().filter(|a| a["kind"] != "run") {
        let argv: Vec<String> = a["argv"]
            .as_array()
            .expect("argv")
            .iter()
            // Generated files are named by their kept copies in the output directory.
            .map(|w| {
                w.as_str()
                    .expect("word")
                    .replace(generated, "$ROOT")
                    .replace(user_root, "$ROOT")
            })
            .collect();
        ours.insert(argv);
    }
    let mut theirs = BTreeSet::new();
    for line in ninja(build, &["-t", "commands", target]).lines() {
        for seg in line.split("&&") {
            let w = words(seg.trim(), user_root);
            let tool = Path::new(&w[0])
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if matches!(tool.as_str(), "gcc" | "cc" | "c++" | "g++" | "ar") {
                theirs.insert(w);
            }
        }
    }
    assert!(theirs.len() >= 3, "ninja listed only {theirs:?}");
    assert_eq!(
        ours.intersection(&theirs).count(),
        theirs.len(),
        "commands ninja would run that the graph lacks: {:?}",
        theirs.difference(&ours).collect::<Vec<_>>()
    );
}

/// ninja -t graph: each file's direct inputs (not order-only), by output, named as the graph
/// names them.
fn ninja_graph_inputs(
    build: &Path,
    target: &str,
    user_root: &str,
    rel: &str,
) -> BTreeMap<String, BTreeSet<String>> {
    let dot = ninja(build, &["-t", "graph", target]);
    let mut label = BTreeMap::new();
    let mut rule_of_out = BTreeMap::new();
    let mut direct: Vec<(String, String)> = Vec::new();
    let mut into_rule: Vec<(String, String)> = Vec::new();
    for l in dot.lines() {
        let q: Vec<&str> = l.split('"').collect();
        if q.len() >= 4 && q[2].contains("[label=") && !l.contains("->") {
            label.insert(q[1].to_string(), q[3].to_string());
            continue;
        }
        if q.len() >= 4 && q[2].trim() == "->" {
            if l.contains("style=dotted") {
                continue;
            }
            let (a, b) = (q[1].to_string(), q[3].to_string());
            if l.contains("arrowhead=none") {
                into_rule.push((a, b));
            } else if l.contains("[label=") {
                direct.push((a, b));
            } else {
                rule_of_out.entry(a).or_insert_with(Vec::new).push(b);
            }
        }
    }
    let mut ninja_inputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Outputs of an edge that ninja reached through another output carry no label of their
    // own: they are left out. meson links against a library's `.symbols` file (relinking only
    // when its ABI changes) while the command names the library itself.
    let in_project = |l: &str| in_project(l, user_root, rel);
    let name = |id: &String| {
        label
            .get(id)
            .map(|l: &String| match l.strip_suffix(".symbols") {
                Some(lib) if l.contains(".p/") => lib[..lib.rfind(".p/").unwrap_or(0)].to_string(),
                _ => in_project(l),
            })
    };
    for (a, b) in &direct {
        match (name(a), name(b)) {
            (Some(a), Some(b)) if a != b => {
                ninja_inputs.entry(b).or_default().insert(a);
            }
            _ => {}
        }
    }
    for (input, rule) in &into_rule {
        for out in rule_of_out.get(rule).into_iter().flatten() {
            match (name(input), name(out)) {
                (Some(i), Some(o)) if i != o => {
                    ninja_inputs.entry(o).or_default().insert(i);
                }
                _ => {}
            }
        }
    }
    ninja_inputs
}

/// Absolute paths in the project (CMake's) spelled as the graph spells them: relative to the
/// build directory (`rel` below the project root `user_root`).
fn in_project(l: &str, user_root: &str, rel: &str) -> String {
    match l.strip_prefix(&format!("{user_root}/")) {
        Some(p) if rel.is_empty() => p.to_string(),
        Some(p) => p
            .strip_prefix(&format!("{rel}/"))
            .map_or_else(|| pathdiff(p, rel), String::from),
        None => l.to_string(),
    }
}

#[test]
fn handwritten_build_ninja() {
    require("ninja", "ninja-build");
    let fx = fixture("ninja/handwritten");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["ninja", fx.to_str().expect("utf-8")]);
    run.assert_ok().assert_scanned_in_process();
    assert_eq!(
        tree_digest(&fx),
        before,
        "confess changed the build directory"
    );
    let got = run.read("graph.txt");
    let expected = fx.join("expected.graph");
    if std::env::var_os("CONFESS_BLESS").is_some() {
        std::fs::write(&expected, &got).expect("bless");
    }
    let want =
        std::fs::read_to_string(&expected).expect("expected.graph (CONFESS_BLESS=1 writes it)");
    assert_eq!(got, want, "graph differs from {}", expected.display());
    // gcc called by absolute path is confessed under the path the build wrote.
    let g = run.json("graph.json");
    assert!(g["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .any(|a| a["argv"][0] == "/usr/bin/gcc"));
    check_against_ninja(&fx, &fx, &run, "app");

    // The compile database equals Bear's from a real ninja build of a copy.
    let copy = tmp.path().join("real");
    copy_dir(&fx, &copy);
    let bear_db = bear(&copy, &["ninja"]);
    let ours = tus(&run.json("compile_commands.json"), &[fx.as_path()], false);
    let theirs = tus(&bear_db, &[copy.as_path()], true);
    assert_eq!(ours, theirs, "compile database differs from Bear's");
    clangd::parity_trees("ninja/handwritten", &run.out, &fx, &copy, &copy, &bear_db);
    // The manifests rebuild what ninja builds for real from the same build.ninja.
    let (objects, identical) = assert_verified("handwritten", &run.out);
    assert!(objects >= 3, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
}

#[test]
fn meson_build_directory() {
    // A build directory inside the sources, as `meson setup build` makes it: sources named
    // by relative paths, a generator built and run, a shared library.
    require("meson", "meson");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("proj");
    copy_dir(&fixture("meson/generator"), &src);
    let st = Command::new("meson")
        .args(["setup", "build"])
        .current_dir(&src)
        .output()
        .expect("meson setup");
    assert!(st.status.success(), "meson setup failed");
    let build = src.join("build");
    let before = tree_digest(&src);
    let run = confess(
        &tmp.path().join("c"),
        &["ninja", build.to_str().expect("utf-8")],
    );
    run.assert_ok();
    assert_eq!(
        tree_digest(&src),
        before,
        "confess changed the build directory"
    );
    check_against_ninja(&build, &src, &run, "src/app");
    // The programs built in the project ran for real and their outputs were compiled.
    let txt = run.read("graph.txt");
    assert!(txt.contains("program [build]/build/tools/mktable"), "{txt}");
    assert!(txt.contains("source [build]/build/src/table.c"), "{txt}");
    // The manifests rebuild what ninja builds for real in a copy of the build directory.
    let (objects, identical) = assert_verified("meson build directory", &run.out);
    assert_eq!(identical, objects, "objects differ in bytes");
}

#[test]
fn cmake_build_directory_beside_the_sources() {
    // CMake names sources and the build directory by absolute paths; the build directory lies
    // beside the sources (PROJECT/src, PROJECT/build).
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = tmp.path().join("proj");
    let src = proj.join("src");
    std::fs::create_dir_all(&proj).expect("mkdir");
    copy_dir(&fixture("cmake/basic"), &src);
    let build = proj.join("build");
    let st = Command::new("cmake")
        .arg("-S")
        .arg(&src)
        .arg("-B")
        .arg(&build)
        .args(["-G", "Ninja"])
        .output()
        .expect("cmake");
    assert!(st.status.success(), "cmake configure failed");
    let before = tree_digest(&proj);
    let run = confess(
        &tmp.path().join("c"),
        &["ninja", build.to_str().expect("utf-8")],
    );
    run.assert_ok();
    assert_eq!(tree_digest(&proj), before, "confess changed the project");
    let target = "app";
    check_against_ninja(&build, &proj, &run, target);
    // Sources are named in the user's tree, never in the copy.
    let db = run.read("compile_commands.json");
    assert!(db.contains(&src.display().to_string()), "{db}");
    let (objects, identical) = assert_verified("cmake build directory", &run.out);
    assert!(objects >= 5, "{objects} objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
}

#[test]
fn not_a_build_directory_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["ninja", tmp.path().to_str().expect("utf-8")]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("no build.ninja"), "{}", run.stderr());
}

#[test]
fn build_directories_far_from_their_sources() {
    // The build directory neither inside nor beside its sources: the two are copied alone, at
    // their places below their common ancestor, so meson's relative paths and CMake's
    // absolute ones both still lead from one to the other; nothing else is copied.
    require("meson", "meson");
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().canonicalize().expect("canonical");
    // Something big beside them that must not be copied.
    std::fs::create_dir_all(root.join("elsewhere")).expect("mkdir");
    std::fs::write(root.join("elsewhere/big"), vec![0u8; 1 << 20]).expect("write");
    for (system, fixture_dir, target) in [
        ("meson", "meson/generator", "src/app"),
        ("cmake", "cmake/basic", "app"),
    ] {
        let src = root.join(format!("{system}/checkouts/proj"));
        let build = root.join(format!("builds/{system}/out/proj"));
        std::fs::create_dir_all(src.parent().expect("parent")).expect("mkdir");
        copy_dir(&fixture(fixture_dir), &src);
        std::fs::create_dir_all(&build).expect("mkdir");
        let st = if system == "meson" {
            Command::new("meson")
                .arg("setup")
                .arg(&build)
                .arg(&src)
                .output()
                .expect("meson setup")
        } else {
            Command::new("cmake")
                .arg("-S")
                .arg(&src)
                .arg("-B")
                .arg(&build)
                .args(["-G", "Ninja"])
                .output()
                .expect("cmake")
        };
        assert!(st.status.success(), "{system} setup failed: {st:?}");
        let before = tree_digest(&root);
        let run = confess(
            &root.join(format!("c-{system}")),
            &["ninja", build.to_str().expect("utf-8")],
        );
        run.assert_ok();
        let mut after = tree_digest(&root);
        after.retain(|k, _| !k.starts_with("c-"));
        let mut was = before.clone();
        was.retain(|k, _| !k.starts_with("c-"));
        assert_eq!(after, was, "{system}: confess changed the user's files");
        check_against_ninja(&build, &root, &run, target);
        let db = run.read("compile_commands.json");
        assert!(db.contains(&src.display().to_string()), "{system}: {db}");
        let (objects, identical) =
            assert_verified(&format!("{system} far build directory"), &run.out);
        assert!(objects >= 2, "{system}: {objects} objects verified");
        assert_eq!(identical, objects, "{system}: objects differ in bytes");
    }
}
