//! The property behind docs/theorems.md, on the real binaries: random build graphs (terms of
//! the artifact algebra: sources compiled with random flags into objects, objects archived into
//! static libraries, executables and shared libraries linked from objects and libraries, with
//! sharing) are written as a Makefile and as a CMake project, confessed with `confess make` and
//! `confess cmake`, and the extracted graph must equal the generating term, node for node:
//! every term node has exactly one content-addressed id in graph.json (one graph node per id,
//! several files for an object compiled twice by equal actions), and every id is the image of
//! exactly one term node, with the same kind, source, compile-affecting flags and inputs.
//!
//! Many cases are batched into one project per confession (each case its own directory of
//! sources and its own target names) and checked case by case. The seed is printed; rerun with
//! CONFESS_PROPERTY_SEED=N to replay, CONFESS_PROPERTY_CASES=N to change the number of cases.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// splitmix64: small, seedable, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A random non-empty subset of `from` with at most `max` elements, in random order.
    fn pick(&mut self, from: &[usize], max: usize) -> Vec<usize> {
        let mut pool = from.to_vec();
        let n = 1 + self.below(max.min(pool.len()));
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(pool.swap_remove(self.below(pool.len())));
        }
        out
    }
}

/// A node of a term. Indices point at earlier nodes of the same case.
#[derive(Clone, Debug)]
enum Node {
    Source,
    Object { src: usize, flags: Vec<String> },
    Archive { members: Vec<usize> },
    Link { shared: bool, inputs: Vec<usize> },
}

#[derive(Debug)]
struct Case {
    k: usize,
    nodes: Vec<Node>,
    /// Objects compiled a second time by an equal action (to another file): equal terms.
    dups: Vec<usize>,
}

const DEFINES: &[&str] = &["ALPHA", "BETA", "GAMMA"];
const OPT: &[&str] = &["-O0", "-O1", "-O2", "-Os"];

fn gen_case(rng: &mut Rng, k: usize) -> Case {
    let mut nodes = Vec::new();
    let nsrc = 1 + rng.below(3);
    for _ in 0..nsrc {
        nodes.push(Node::Source);
    }
    let srcs: Vec<usize> = (0..nsrc).collect();
    let mut objs = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..2 + rng.below(4) {
        let src = srcs[rng.below(nsrc)];
        let mut flags = Vec::new();
        for d in DEFINES {
            if rng.chance(35) {
                flags.push(format!("-D{d}={}", rng.below(3)));
            }
        }
        if rng.chance(50) {
            flags.push(OPT[rng.below(OPT.len())].to_string());
        }
        // Equal (source, flags) would be one term node: keep objects distinct terms.
        let mut key = flags.clone();
        key.sort();
        if seen.insert((src, key)) {
            objs.push(nodes.len());
            nodes.push(Node::Object { src, flags });
        }
    }
    let mut libs = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..rng.below(3) {
        let members = rng.pick(&objs, 3);
        let mut key = members.clone();
        key.sort();
        if seen.insert(key) {
            libs.push(nodes.len());
            nodes.push(Node::Archive { members });
        }
    }
    let mut seen = BTreeSet::new();
    for _ in 0..1 + rng.below(3) {
        let shared = rng.chance(40);
        let mut inputs = rng.pick(&objs, 2);
        if !libs.is_empty() && rng.chance(70) {
            inputs.extend(rng.pick(&libs, 2));
        }
        let mut key = inputs.clone();
        key.sort();
        if seen.insert((shared, key)) {
            let id = nodes.len();
            nodes.push(Node::Link { shared, inputs });
            if shared {
                libs.push(id);
            }
        }
    }
    let dups = objs.iter().copied().filter(|_| rng.chance(20)).collect();
    Case { k, nodes, dups }
}

/// The structural id of a term node: its kind, source path or flags (sorted), and the sorted
/// ids of its inputs. Computed the same way from graph.json below.
fn term_sid(case: &Case, i: usize, memo: &mut BTreeMap<usize, String>) -> String {
    if let Some(s) = memo.get(&i) {
        return s.clone();
    }
    let s = match &case.nodes[i] {
        Node::Source => format!("source:c{}/s{i}.c", case.k),
        Node::Object { src, flags } => {
            let mut f = flags.clone();
            f.sort();
            format!("object{{{}}}({})", f.join(" "), term_sid(case, *src, memo))
        }
        Node::Archive { members } => {
            let mut m: Vec<String> = members.iter().map(|&j| term_sid(case, j, memo)).collect();
            m.sort();
            format!("archive({})", m.join(", "))
        }
        Node::Link { shared, inputs } => {
            let mut m: Vec<String> = inputs.iter().map(|&j| term_sid(case, j, memo)).collect();
            m.sort();
            let kind = if *shared {
                "shared_library"
            } else {
                "executable"
            };
            format!("{kind}({})", m.join(", "))
        }
    };
    memo.insert(i, s.clone());
    s
}

/// Every artifact node of a case with its structural id, and how many files each has (2 for a
/// compiled-twice object).
fn term_nodes(case: &Case) -> BTreeMap<String, usize> {
    let mut memo = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (i, n) in case.nodes.iter().enumerate() {
        if !matches!(n, Node::Source) {
            let files = if case.dups.contains(&i) { 2 } else { 1 };
            out.insert(term_sid(case, i, &mut memo), files);
        }
    }
    out
}

fn write_sources(dir: &Path, cases: &[Case]) {
    for c in cases {
        let d = dir.join(format!("c{}", c.k));
        std::fs::create_dir_all(d.join("dup")).expect("mkdir");
        std::fs::write(d.join("dup/.keep"), "").expect("write");
        for (i, n) in c.nodes.iter().enumerate() {
            if matches!(n, Node::Source) {
                std::fs::write(
                    d.join(format!("s{i}.c")),
                    format!("int c{}_s{i}(void) {{ return {i}; }}\n", c.k),
                )
                .expect("write source");
            }
        }
    }
}

fn make_path(c: &Case, i: usize) -> String {
    let k = c.k;
    match &c.nodes[i] {
        Node::Source => format!("c{k}/s{i}.c"),
        Node::Object { .. } => format!("c{k}/o{i}.o"),
        Node::Archive { .. } => format!("c{k}/liba{i}.a"),
        Node::Link { shared: true, .. } => format!("c{k}/libl{i}.so"),
        Node::Link { shared: false, .. } => format!("c{k}/e{i}"),
    }
}

fn write_makefile(dir: &Path, cases: &[Case]) {
    let mut all = Vec::new();
    let mut rules = String::new();
    for c in cases {
        for (i, n) in c.nodes.iter().enumerate() {
            let out = make_path(c, i);
            match n {
                Node::Source => continue,
                Node::Object { src, flags } => {
                    let src = make_path(c, *src);
                    let f = flags.join(" ");
                    writeln!(rules, "{out}: {src}\n\t$(CC) -fPIC {f} -c {src} -o {out}")
                        .expect("write to a String");
                    if c.dups.contains(&i) {
                        let dup = format!("c{}/dup/o{i}.o", c.k);
                        writeln!(rules, "{dup}: {src}\n\t$(CC) -fPIC {f} -c {src} -o {dup}")
                            .expect("write to a String");
                        all.push(dup);
                    }
                }
                Node::Archive { members } => {
                    let m: Vec<String> = members.iter().map(|&j| make_path(c, j)).collect();
                    let m = m.join(" ");
                    writeln!(rules, "{out}: {m}\n\t$(AR) rcs {out} {m}")
                        .expect("write to a String");
                }
                Node::Link { shared, inputs } => {
                    let m: Vec<String> = inputs.iter().map(|&j| make_path(c, j)).collect();
                    let m = m.join(" ");
                    let sh = if *shared { "-shared " } else { "" };
                    writeln!(rules, "{out}: {m}\n\t$(CC) {sh}-o {out} {m}")
                        .expect("write to a String");
                }
            }
            all.push(out);
        }
    }
    let text = format!("all: {}\n\n{rules}", all.join(" \\\n  "));
    std::fs::write(dir.join("Makefile"), text).expect("write Makefile");
}

fn cmake_target(c: &Case, i: usize) -> String {
    format!("c{}_n{i}", c.k)
}

fn write_cmakelists(dir: &Path, cases: &[Case]) {
    let mut s = String::from(
        "cmake_minimum_required(VERSION 3.16)\nproject(property C)\n\
         set(CMAKE_POSITION_INDEPENDENT_CODE ON)\n",
    );
    for c in cases {
        for (i, n) in c.nodes.iter().enumerate() {
            let t = cmake_target(c, i);
            match n {
                Node::Source => {}
                Node::Object { src, flags } => {
                    let mut names = vec![t.clone()];
                    if c.dups.contains(&i) {
                        names.push(format!("{t}_dup"));
                    }
                    for name in names {
                        writeln!(s, "add_library({name} OBJECT c{}/s{src}.c)", c.k)
                            .expect("write to a String");
                        let defs: Vec<&str> =
                            flags.iter().filter_map(|f| f.strip_prefix("-D")).collect();
                        if !defs.is_empty() {
                            writeln!(
                                s,
                                "target_compile_definitions({name} PRIVATE {})",
                                defs.join(" ")
                            )
                            .expect("write to a String");
                        }
                        let opts: Vec<&str> = flags
                            .iter()
                            .filter(|f| f.starts_with("-O"))
                            .map(String::as_str)
                            .collect();
                        if !opts.is_empty() {
                            writeln!(
                                s,
                                "target_compile_options({name} PRIVATE {})",
                                opts.join(" ")
                            )
                            .expect("write to a String");
                        }
                    }
                }
                Node::Archive { members } => {
                    let m: Vec<String> = members
                        .iter()
                        .map(|&j| format!("$<TARGET_OBJECTS:{}>", cmake_target(c, j)))
                        .collect();
                    writeln!(s, "add_library({t} STATIC {})", m.join(" "))
                        .expect("write to a String");
                    writeln!(s, "set_target_properties({t} PROPERTIES LINKER_LANGUAGE C)")
                        .expect("write to a String");
                }
                Node::Link { shared, inputs } => {
                    let objs: Vec<String> = inputs
                        .iter()
                        .filter(|&&j| matches!(c.nodes[j], Node::Object { .. }))
                        .map(|&j| format!("$<TARGET_OBJECTS:{}>", cmake_target(c, j)))
                        .collect();
                    let libs: Vec<String> = inputs
                        .iter()
                        .filter(|&&j| !matches!(c.nodes[j], Node::Object { .. }))
                        .map(|&j| cmake_target(c, j))
                        .collect();
                    if *shared {
                        writeln!(s, "add_library({t} SHARED {})", objs.join(" "))
                            .expect("write to a String");
                    } else {
                        writeln!(s, "add_executable({t} {})", objs.join(" "))
                            .expect("write to a String");
                    }
                    writeln!(s, "set_target_properties({t} PROPERTIES LINKER_LANGUAGE C)")
                        .expect("write to a String");
                    if !libs.is_empty() {
                        writeln!(s, "target_link_libraries({t} PRIVATE {})", libs.join(" "))
                            .expect("write to a String");
                    }
                }
            }
        }
    }
    std::fs::write(dir.join("CMakeLists.txt"), s).expect("write CMakeLists.txt");
}

/// The graph's artifact nodes with their structural ids, computed from graph.json alone: the
/// node's kind, its producing action's source and -D/-O flags (objects), members (archives) or
/// inputs and libraries (links), recursively.
struct GraphView<'a> {
    nodes: &'a [Value],
    producer: BTreeMap<u64, &'a Value>,
    memo: BTreeMap<u64, String>,
}

impl<'a> GraphView<'a> {
    fn new(g: &'a Value) -> GraphView<'a> {
        let nodes = g["nodes"].as_array().expect("nodes");
        let mut producer = BTreeMap::new();
        for a in g["actions"].as_array().expect("actions") {
            for o in a["outputs"].as_array().expect("outputs") {
                producer.insert(o.as_u64().expect("id"), a);
            }
        }
        GraphView {
            nodes,
            producer,
            memo: BTreeMap::new(),
        }
    }

    fn node(&self, id: u64) -> &'a Value {
        &self.nodes[id as usize]
    }

    fn sid(&mut self, id: u64) -> String {
        if let Some(s) = self.memo.get(&id) {
            return s.clone();
        }
        let n = self.node(id);
        let kind = n["kind"].as_str().expect("kind");
        let s = if kind == "source" {
            format!("source:{}", n["path"].as_str().expect("path"))
        } else if let Some(a) = self.producer.get(&id).copied() {
            let inputs = a["inputs"].as_array().expect("inputs");
            let of = |e: &str| -> Vec<u64> {
                inputs
                    .iter()
                    .filter(|i| i["edge"] == e)
                    .map(|i| i["node"].as_u64().expect("node"))
                    .collect()
            };
            match kind {
                "object" => {
                    let mut flags: Vec<String> = a["argv"]
                        .as_array()
                        .expect("argv")
                        .iter()
                        .filter_map(|w| w.as_str())
                        .filter(|w| w.starts_with("-D") || w.starts_with("-O"))
                        .map(str::to_string)
                        .collect();
                    flags.sort();
                    let srcs: Vec<String> = of("source").into_iter().map(|s| self.sid(s)).collect();
                    format!("object{{{}}}({})", flags.join(" "), srcs.join(", "))
                }
                "archive" => {
                    let mut m: Vec<String> =
                        of("member").into_iter().map(|s| self.sid(s)).collect();
                    m.sort();
                    format!("archive({})", m.join(", "))
                }
                _ => {
                    let mut m: Vec<String> = of("input")
                        .into_iter()
                        .chain(of("library"))
                        .map(|s| self.sid(s))
                        .collect();
                    m.sort();
                    format!("{kind}({})", m.join(", "))
                }
            }
        } else {
            format!("unproduced {kind} {n}")
        };
        self.memo.insert(id, s.clone());
        s
    }
}

/// Checks one confession against the cases; returns the failures, case by case.
fn check(graph: &Value, cases: &[Case]) -> Vec<String> {
    let mut view = GraphView::new(graph);
    // token -> structural id, and the files of each token.
    let mut by_token: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for n in view.nodes {
        let kind = n["kind"].as_str().unwrap_or("");
        if !matches!(kind, "object" | "archive" | "shared_library" | "executable") {
            continue;
        }
        let id = n["id"].as_u64().expect("id");
        let Some(token) = n["token"].as_str() else {
            failures.push(format!("artifact node without a token: {n}"));
            continue;
        };
        let sid = view.sid(id);
        let e = by_token
            .entry(token.to_string())
            .or_insert_with(|| (sid.clone(), 0));
        if e.0 != sid {
            failures.push(format!(
                "one id, two different nodes: {token} is {} and {sid}",
                e.0
            ));
        }
        e.1 += 1;
    }
    // structural id -> (token, files), checking each structural id has one token.
    let mut got: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (tok, (sid, files)) in &by_token {
        got.entry(sid.clone())
            .or_default()
            .push((tok.clone(), *files));
    }
    let case_of = |sid: &str| -> Option<usize> {
        let i = sid.find("source:c")? + "source:c".len();
        sid[i..]
            .split('/')
            .next()
            .and_then(|k| k.parse::<usize>().ok())
    };
    let mut got_by_case: BTreeMap<usize, BTreeMap<String, Vec<(String, usize)>>> = BTreeMap::new();
    for (sid, toks) in got {
        match case_of(&sid) {
            Some(k) => {
                got_by_case.entry(k).or_default().insert(sid, toks);
            }
            None => failures.push(format!("a graph node from no case: {sid}")),
        }
    }
    for c in cases {
        let want = term_nodes(c);
        let got = got_by_case.remove(&c.k).unwrap_or_default();
        let mut problems = Vec::new();
        for (sid, files) in &want {
            match got.get(sid) {
                None => problems.push(format!("  missing from the graph: {sid}")),
                Some(toks) if toks.len() != 1 => {
                    problems.push(format!("  one term node, {} ids: {sid}", toks.len()))
                }
                Some(toks) if toks[0].1 != *files => problems.push(format!(
                    "  {sid}: {} files with its id, expected {files}",
                    toks[0].1
                )),
                Some(_) => {}
            }
        }
        for sid in got.keys() {
            if !want.contains_key(sid) {
                problems.push(format!("  in the graph but not in the term: {sid}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case {}:\n{}\n  term: {:?}",
                c.k,
                problems.join("\n"),
                c
            ));
        }
    }
    for (k, rest) in got_by_case {
        failures.push(format!("nodes of an unknown case {k}: {:?}", rest.keys()));
    }
    failures
}

fn seed() -> u64 {
    match std::env::var("CONFESS_PROPERTY_SEED") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("CONFESS_PROPERTY_SEED={s} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

fn confess_and_check(label: &str, args: &[&str], cases: &[Case], seed: u64, tmp: &Path) -> String {
    let t0 = Instant::now();
    // As common::confess, without checking every header scan against gcc -M (the fixtures'
    // tests do that; here it would double the cost and the sources include nothing).
    let out = tmp.join("confess-out");
    let output = confess_command()
        .arg(args[0])
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(&args[1..])
        .output()
        .expect("run confess");
    let run = Run { out, output };
    run.assert_ok();
    let failures = check(&run.json("graph.json"), cases);
    assert!(
        failures.is_empty(),
        "confess {label}: the extracted graph differs from the generating term \
         (seed {seed}; rerun with CONFESS_PROPERTY_SEED={seed}):\n{}",
        failures.join("\n")
    );
    format!("{label}: {:.1} s", t0.elapsed().as_secs_f64())
}

#[test]
fn extracted_graph_equals_the_generating_term() {
    require("make", "make");
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let seed = seed();
    let n: usize = std::env::var("CONFESS_PROPERTY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    eprintln!("property: seed {seed} ({n} cases; CONFESS_PROPERTY_SEED={seed} replays them)");
    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..n).map(|k| gen_case(&mut rng, k)).collect();
    let nodes: usize = cases.iter().map(|c| term_nodes(c).len()).sum();

    let tmp = tempfile::tempdir().expect("tmp");
    let make_src = tmp.path().join("make-src");
    let cmake_src = tmp.path().join("cmake-src");
    for d in [&make_src, &cmake_src] {
        std::fs::create_dir_all(d).expect("mkdir");
        write_sources(d, &cases);
    }
    write_makefile(&make_src, &cases);
    write_cmakelists(&cmake_src, &cases);

    let t0 = Instant::now();
    let (make_tmp, cmake_tmp) = (tmp.path().join("make"), tmp.path().join("cmake"));
    let ms = make_src.to_str().expect("utf-8").to_string();
    let cs = cmake_src.to_str().expect("utf-8").to_string();
    let (a, b) = std::thread::scope(|s| {
        let m = s.spawn(|| {
            confess_and_check("make", &["make", "-j", "2", &ms], &cases, seed, &make_tmp)
        });
        let c = s.spawn(|| confess_and_check("cmake", &["cmake", &cs], &cases, seed, &cmake_tmp));
        (m.join(), c.join())
    });
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => std::panic::resume_unwind(e),
    };
    eprintln!(
        "property: {n} cases ({nodes} term nodes) equal their extracted graphs under make and \
         cmake ({a}; {b}; {:.1} s in all)",
        t0.elapsed().as_secs_f64()
    );
}
