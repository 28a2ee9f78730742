//! The CMake oracles shared by the CMake tests: CMake's File API reply kept by confess, the
//! graph read back from graph.json, and compile databases reduced to what affects compiling.
#![allow(dead_code)]

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn load(p: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The File API reply kept in the output directory: (source root, build root, targets).
pub fn file_api(out: &Path) -> (String, String, Vec<Value>) {
    let reply = out.join("cmake-file-api");
    let index = std::fs::read_dir(&reply)
        .expect("cmake-file-api/ is kept")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index-"))
        })
        .expect("index file");
    let index = load(&index);
    let cm = index["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["kind"] == "codemodel")
        .expect("codemodel");
    let cm = load(&reply.join(cm["jsonFile"].as_str().expect("jsonFile")));
    let src = cm["paths"]["source"].as_str().expect("source").to_string();
    let build = cm["paths"]["build"].as_str().expect("build").to_string();
    let targets = cm["configurations"][0]["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| load(&reply.join(t["jsonFile"].as_str().expect("jsonFile"))))
        .collect();
    (src, build, targets)
}

/// A File API path as graph.txt writes locations: `rel` for sources, `[build]/rel` for the build tree.
pub fn api_loc(p: &str, src: &str, build: &str) -> String {
    if let Some(r) = p.strip_prefix(&format!("{build}/")) {
        format!("[build]/{r}")
    } else if let Some(r) = p.strip_prefix(&format!("{src}/")) {
        r.to_string()
    } else {
        // Relative to the source directory, or absolute outside both trees.
        p.to_string()
    }
}

pub fn node_loc(g: &Value, id: &Value) -> String {
    let n = &g["nodes"][usize::try_from(id.as_u64().expect("id")).expect("an index")];
    match (n["root"].as_str(), n["path"].as_str(), n["name"].as_str()) {
        (Some("build"), Some(p), _) => format!("[build]/{p}"),
        (_, Some(p), _) => p.to_string(),
        (_, None, Some(name)) => format!("-l{name}"),
        _ => "?".into(),
    }
}

/// The CMake target an object belongs to: `CMakeFiles/NAME.dir/` in its path.
pub fn owner(obj: &str) -> Option<String> {
    let i = obj.find("CMakeFiles/")?;
    let rest = &obj[i + "CMakeFiles/".len()..];
    Some(rest[..rest.find(".dir/")?].to_string())
}

/// Values of a flag in an argv (`-DX`, `-D X`).
pub fn flag_values(argv: &[Value], flag: &str) -> BTreeSet<String> {
    let words: Vec<&str> = argv.iter().filter_map(|w| w.as_str()).collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == flag {
            if let Some(v) = words.get(i + 1) {
                out.insert(v.to_string());
            }
            i += 2;
            continue;
        }
        if let Some(v) = words[i].strip_prefix(flag) {
            out.insert(v.to_string());
        }
        i += 1;
    }
    out
}

/// What the File API's targets are checked against: the graph, and the places CMake's and the
/// confession's paths stand for.
struct Oracle<'a> {
    g: &'a Value,
    api_src: &'a str,
    api_build: &'a str,
    user_src: &'a str,
    out_build: &'a str,
}

/// Checks a CMake confession against CMake's own account of the build (its File API): each
/// target's artifact kind, compiled sources with their flags, and link dependencies.
pub fn check_against_file_api(fx: &Path, run: &Run) {
    let g = run.json("graph.json");
    let (api_src, api_build, targets) = file_api(&run.out);
    let user_src = fx.display().to_string();
    let out_build = run.out.join("build").display().to_string();
    let o = &Oracle {
        g: &g,
        api_src: &api_src,
        api_build: &api_build,
        user_src: &user_src,
        out_build: &out_build,
    };
    let actions = g["actions"].as_array().expect("actions");
    // Compiles grouped by the target that owns their object.
    let mut compiles: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for a in actions
        .iter()
        .filter(|a| a["kind"] == "compile" || a["kind"] == "assemble")
    {
        let out = node_loc(&g, &a["outputs"][0]);
        if let Some(t) = owner(&out) {
            compiles.entry(t).or_default().push(a);
        }
    }
    let mut checked = 0;
    for t in &targets {
        let name = t["name"].as_str().expect("name");
        let kind = t["type"].as_str().expect("type");
        check_artifact_kind(o, t, name, kind);
        check_compiled_sources(o, t, name, &compiles);
        // Link dependencies: the libraries on the link line, and objects of object libraries.
        if matches!(kind, "EXECUTABLE" | "SHARED_LIBRARY") {
            check_link_dependencies(o, t, name, actions);
        }
        checked += 1;
    }
    assert!(checked >= 2, "the File API listed only {checked} targets");
}

/// Kind: the target's artifact is a node of the kind its type says.
fn check_artifact_kind(o: &Oracle, t: &Value, name: &str, kind: &str) {
    let (g, api_src, api_build) = (o.g, o.api_src, o.api_build);
    if let Some(art) = t["artifacts"].as_array().and_then(|a| a.first()) {
        let loc = api_loc(art["path"].as_str().expect("path"), api_src, api_build);
        let loc = if loc.starts_with('[') {
            loc
        } else {
            format!("[build]/{loc}")
        };
        let want = match kind {
            "EXECUTABLE" => Some("executable"),
            "STATIC_LIBRARY" => Some("archive"),
            "SHARED_LIBRARY" => Some("shared_library"),
            _ => None,
        };
        if let Some(want) = want {
            let node = g["nodes"].as_array().expect("nodes").iter().find(|n| {
                let paths = std::iter::once(n["path"].as_str().unwrap_or("")).chain(
                    n["aliases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str()),
                );
                n["root"] == "build" && paths.map(|p| format!("[build]/{p}")).any(|p| p == loc)
            });
            let node =
                node.unwrap_or_else(|| panic!("target {name}: no node for its artifact {loc}"));
            assert_eq!(node["kind"], want, "target {name}: kind of {loc}");
        }
    }
}

/// Sources: the compiled ones are the target's compiles in the graph, each with its
/// definitions and include directories.
fn check_compiled_sources(
    o: &Oracle,
    t: &Value,
    name: &str,
    compiles: &BTreeMap<String, Vec<&Value>>,
) {
    let (g, api_src, api_build) = (o.g, o.api_src, o.api_build);
    let groups = t["compileGroups"].as_array().cloned().unwrap_or_default();
    let sources = t["sources"].as_array().cloned().unwrap_or_default();
    let api_compiled: BTreeMap<String, &Value> = sources
        .iter()
        .filter_map(|s| {
            s["compileGroupIndex"].as_u64().map(|gi| {
                (
                    api_loc(s["path"].as_str().expect("path"), api_src, api_build),
                    &groups[usize::try_from(gi).expect("an index")],
                )
            })
        })
        .collect();
    let ours: BTreeMap<String, &Value> = compiles
        .get(name)
        .map(|v| {
            v.iter()
                .map(|a| {
                    let src = a["inputs"]
                        .as_array()
                        .expect("inputs")
                        .iter()
                        .find(|i| i["edge"] == "source")
                        .expect("source");
                    (node_loc(g, &src["node"]), *a)
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        api_compiled.keys().collect::<Vec<_>>(),
        "target {name}: compiled sources"
    );
    for (src, group) in &api_compiled {
        check_compile_flags(o, name, src, group, ours[src]);
    }
}

/// One compile's -D flags and include directories are the ones CMake knows for its group
/// (as such, or as compile options).
fn check_compile_flags(o: &Oracle, name: &str, src: &str, group: &Value, a: &Value) {
    let (user_src, out_build, api_src, api_build) =
        (o.user_src, o.out_build, o.api_src, o.api_build);
    let argv = a["argv"].as_array().expect("argv");
    // Definitions CMake knows as such, and -D flags given as compile options.
    let fragment_defs: BTreeSet<String> = group["compileCommandFragments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["fragment"].as_str())
        .flat_map(|f| shlex::split(f).unwrap_or_default())
        .filter_map(|w| w.strip_prefix("-D").map(String::from))
        .collect();
    let want_defs: BTreeSet<String> = group["defines"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| x["define"].as_str().expect("define").to_string())
                .collect()
        })
        .unwrap_or_default();
    let want_defs: BTreeSet<String> = want_defs.union(&fragment_defs).cloned().collect();
    assert_eq!(
        flag_values(argv, "-D"),
        want_defs,
        "target {name}, {src}: definitions"
    );
    let norm = |p: &str| {
        p.replace(user_src, "$SRC")
            .replace(out_build, "$BUILD")
            .replace(api_src, "$SRC")
            .replace(api_build, "$BUILD")
    };
    // Include directories CMake knows as such, and -I flags given as compile options
    // (libjpeg-turbo's CMAKE_ASM_NASM_FLAGS).
    let fragment_incs: BTreeSet<String> = group["compileCommandFragments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["fragment"].as_str())
        .flat_map(|f| shlex::split(f).unwrap_or_default())
        .filter_map(|w| w.strip_prefix("-I").map(|p| norm(p.trim_end_matches('/'))))
        .collect();
    let want_inc: BTreeSet<String> = group["includes"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| norm(x["path"].as_str().expect("path")))
                .collect()
        })
        .unwrap_or_default();
    let want_inc: BTreeSet<String> = want_inc.union(&fragment_incs).cloned().collect();
    let got_inc: BTreeSet<String> = flag_values(argv, "-I")
        .iter()
        .chain(flag_values(argv, "-isystem").iter())
        .map(|p| norm(p))
        .collect();
    assert_eq!(
        got_inc, want_inc,
        "target {name}, {src}: include directories"
    );
}

/// The libraries on the target's link line, and the objects of its object libraries, are
/// inputs of the graph's link of its artifact.
fn check_link_dependencies(oracle: &Oracle, target: &Value, name: &str, actions: &[Value]) {
    let (g, api_src, api_build) = (oracle.g, oracle.api_src, oracle.api_build);
    let producer = |loc: &str| {
        actions.iter().find(|a| {
            a["kind"] != "run"
                && a["outputs"]
                    .as_array()
                    .expect("outputs")
                    .iter()
                    .any(|o| node_loc(g, o) == loc)
        })
    };
    let sources = target["sources"].as_array().cloned().unwrap_or_default();
    let art = api_loc(
        target["artifacts"][0]["path"].as_str().expect("path"),
        api_src,
        api_build,
    );
    let art = if art.starts_with('[') {
        art
    } else {
        format!("[build]/{art}")
    };
    let art = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| {
            n["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| format!("[build]/{}", a.as_str().unwrap_or("")) == art)
        })
        .map(|n| format!("[build]/{}", n["path"].as_str().unwrap_or("")))
        .unwrap_or(art);
    let a = producer(&art).unwrap_or_else(|| panic!("target {name}: nothing links {art}"));
    let inputs: BTreeSet<String> = a["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| node_loc(g, &i["node"]))
        .collect();
    for f in target["link"]["commandFragments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let frag = f["fragment"].as_str().expect("fragment");
        // Flags among the libraries (`-pthread` from Threads::Threads, `-Wl,...`) are
        // options of the link, not inputs.
        if f["role"] != "libraries"
            || frag.is_empty()
            || (frag.starts_with('-') && !frag.starts_with("-l"))
        {
            continue;
        }
        // A relative library path is relative to where the link runs (the top build
        // directory with Ninja, the target's directory with Unix Makefiles).
        let want = if frag.starts_with("-l") {
            frag.to_string()
        } else {
            let l = api_loc(frag, api_src, api_build);
            if l.starts_with('[') || Path::new(frag).is_absolute() {
                l
            } else {
                let cwd = a["cwd"]["path"].as_str().unwrap_or("");
                let joined = confess_shims::headers::lexical(&Path::new("/b").join(cwd).join(&l));
                format!(
                    "[build]/{}",
                    joined.strip_prefix("/b").expect("under /b").display()
                )
            }
        };
        assert!(
            inputs.contains(&want),
            "target {name}: link line has {frag}, the graph's link of {art} has {inputs:?}"
        );
    }
    for s in &sources {
        let p = s["path"].as_str().expect("path");
        if s["isGenerated"] == true && Path::new(p).extension().is_some_and(|x| x == "o") {
            let l = api_loc(p, api_src, api_build);
            assert!(
                inputs.contains(&l),
                "target {name}: object {l} of an object library is not linked"
            );
        }
    }
}

/// Every action as (kind, outputs) -> inputs, locations only: what both generators must agree on.
pub fn edge_set(g: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in g["actions"].as_array().expect("actions") {
        let outs: Vec<String> = a["outputs"]
            .as_array()
            .expect("outputs")
            .iter()
            .map(|o| node_loc(g, o))
            .collect();
        for i in a["inputs"].as_array().expect("inputs") {
            let n =
                &g["nodes"][usize::try_from(i["node"].as_u64().expect("node")).expect("an index")];
            if n["root"] == "system" {
                continue;
            }
            out.insert(format!(
                "{} {:?} <- {} {}",
                a["kind"],
                outs,
                i["edge"],
                node_loc(g, &i["node"])
            ));
        }
    }
    out
}

/// Translation units with the source and build roots replaced by $SRC and $BUILD.
pub fn normalized_tus(db: &Value, src: &Path, build: &Path) -> Vec<(String, Vec<String>)> {
    let (s, b) = (src.display().to_string(), build.display().to_string());
    let mut v: Vec<(String, Vec<String>)> = tus(db, &[build, src], false)
        .into_iter()
        .map(|(f, flags)| {
            (
                f.replace(&b, "$BUILD").replace(&s, "$SRC"),
                flags
                    .into_iter()
                    .map(|w| w.replace(&b, "$BUILD").replace(&s, "$SRC"))
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A real configure (Ninja, with `extra`) of a copy of `src` in `tmp`: the copy and the build
/// directory.
pub fn real_configure(src: &Path, tmp: &Path, extra: &[&str]) -> (PathBuf, PathBuf) {
    let real_src = tmp.join("real-src");
    copy_dir(src, &real_src);
    let real_build = tmp.join("real-build");
    let st = std::process::Command::new("cmake")
        .arg("-S")
        .arg(&real_src)
        .arg("-B")
        .arg(&real_build)
        .args(["-G", "Ninja"])
        .args(extra)
        .output()
        .expect("cmake");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    (real_src, real_build)
}

/// A real configure (Ninja) of a copy of `src` in `tmp`, and a real build under Bear: the copy,
/// the build directory and Bear's compile database.
pub fn real_build_with_bear(src: &Path, tmp: &Path, extra: &[&str]) -> (PathBuf, PathBuf, Value) {
    let (real_src, real_build) = real_configure(src, tmp, extra);
    let db = bear(&real_build, &["cmake", "--build", "."]);
    (real_src, real_build, db)
}

/// The package record named `name` in graph.json (of any method when `method` is `None`).
pub fn package<'a>(g: &'a Value, method: Option<&str>, name: &str) -> &'a Value {
    g["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name && method.is_none_or(|m| p["method"] == m))
        .unwrap_or_else(|| panic!("no package {name} ({method:?}) in {}", g["packages"]))
}

/// The inputs of the link that wrote `output`, as locations (only those on `edge`, when given).
pub fn link_inputs(g: &Value, output: &str, edge: Option<&str>) -> BTreeSet<String> {
    g["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| {
            a["kind"] == "link"
                && a["outputs"]
                    .as_array()
                    .expect("outputs")
                    .iter()
                    .any(|o| node_loc(g, o) == output)
        })
        .unwrap_or_else(|| panic!("no link of {output}"))["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| edge.is_none_or(|e| i["edge"] == e))
        .map(|i| node_loc(g, &i["node"]))
        .collect()
}
