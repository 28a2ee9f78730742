//! The property behind docs/theorems.md, on the real binaries. Random builds (terms of the
//! artifact algebra) are written as a Makefile and as a CMake project and confessed with
//! `confess make` and `confess cmake`:
//! - sources, some including a header, compiled with random flags into objects; objects
//!   archived into static libraries with ordered members; executables and shared libraries
//!   linked from ordered objects and libraries, with sharing; some archives and links have an
//!   order twin (the same inputs in another order), so ids that ignore order are caught;
//! - generators: a program built in the project and run to write a C source that is compiled
//!   in turn (confess realizes the program to run it);
//! - inspections: `nm` of an object, whose symbol names become a C source that is compiled
//!   (confess realizes the object for nm).
//!
//! Checks:
//! 1. The extracted graph equals the generating term, node for node: every term node has
//!    exactly one content-addressed id in graph.json (one graph node per id, several files for
//!    an object compiled twice by equal actions), and every id is the image of exactly one
//!    term node, with the same kind, source, headers, compile-affecting flags and ORDERED
//!    inputs.
//! 2. Ids depend on content: sources, headers and generator sources are edited at random and
//!    the Makefile project is confessed again. A node's id changes exactly when something it
//!    depends on changed content as the build saw it: an edited source or header, or a
//!    generated file whose content changed. An `nm` listing does not change when only the
//!    values a function returns change, and neither does anything compiled from it.
//! 3. A sample of the cases is confessed on its own and rebuilt by `confess verify`, which
//!    must match the real build.
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
        usize::try_from(self.next() % n as u64).expect("below n, a usize")
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
    /// A library source `c{k}/s{i}.c` defining one function named after the object it is
    /// compiled into; it may include a header of the case.
    Source {
        header: Option<usize>,
    },
    /// A header `c{k}/h{i}.h` defining one constant.
    Header,
    /// A program's source `c{k}/s{i}.c`: a `main` returning 0, or a generator.
    Main {
        generator: bool,
    },
    /// A C source `c{k}/g{i}.c` written by running the generator program `prog`.
    Gen {
        prog: usize,
    },
    /// A C source `c{k}/n{i}.c` holding the symbol names `nm` lists for object `obj`.
    Nm {
        obj: usize,
    },
    /// Compiled with `-DOBJ=o{i}` (the function's name) and the flags.
    Object {
        src: usize,
        flags: Vec<String>,
    },
    Archive {
        members: Vec<usize>,
    },
    Link {
        shared: bool,
        inputs: Vec<usize>,
    },
}

#[derive(Clone, Debug)]
struct Case {
    k: usize,
    nodes: Vec<Node>,
    /// Objects compiled a second time by an equal action (to another file): equal terms.
    dups: Vec<usize>,
    /// The content version of each Source, Header and Main node (edits bump it).
    version: BTreeMap<usize, u32>,
}

const DEFINES: &[&str] = &["ALPHA", "BETA", "GAMMA"];
const OPT: &[&str] = &["-O0", "-O1", "-O2", "-Os"];

impl Case {
    fn push(&mut self, n: Node) -> usize {
        let i = self.nodes.len();
        if matches!(n, Node::Source { .. } | Node::Header | Node::Main { .. }) {
            self.version.insert(i, 0);
        }
        self.nodes.push(n);
        i
    }

    fn object(&mut self, rng: &mut Rng, src: usize) -> usize {
        let i = self.nodes.len();
        let mut flags = vec![format!("-DOBJ=o{i}")];
        for d in DEFINES {
            if rng.chance(35) {
                flags.push(format!("-D{d}={}", rng.below(3)));
            }
        }
        if rng.chance(50) {
            flags.push(OPT[rng.below(OPT.len())].to_string());
        }
        self.push(Node::Object { src, flags })
    }

    /// Whether node `a` uses node `b`, directly or not.
    fn needs(&self, a: usize, b: usize) -> bool {
        self.inputs(a).iter().any(|&i| i == b || self.needs(i, b))
    }

    /// The nodes this node's content depends on, directly.
    fn inputs(&self, i: usize) -> Vec<usize> {
        match &self.nodes[i] {
            Node::Source { header } => header.iter().copied().collect(),
            Node::Header | Node::Main { .. } => vec![],
            Node::Gen { prog } => vec![*prog],
            Node::Nm { obj } => vec![*obj],
            Node::Object { src, .. } => vec![*src],
            Node::Archive { members: v } | Node::Link { inputs: v, .. } => v.clone(),
        }
    }
}

fn gen_case(rng: &mut Rng, k: usize) -> Case {
    let mut case = Case {
        k,
        nodes: Vec::new(),
        dups: Vec::new(),
        version: BTreeMap::new(),
    };
    let headers: Vec<usize> = (0..rng.below(3)).map(|_| case.push(Node::Header)).collect();
    let srcs: Vec<usize> = (0..=rng.below(3))
        .map(|_| {
            let header =
                (!headers.is_empty() && rng.chance(60)).then(|| headers[rng.below(headers.len())]);
            case.push(Node::Source { header })
        })
        .collect();
    let mut objs = Vec::new();
    for _ in 0..2 + rng.below(3) {
        let src = srcs[rng.below(srcs.len())];
        objs.push(case.object(rng, src));
    }
    if rng.chance(40) {
        // A generator: built here, run to write a source that is compiled in turn.
        let main = case.push(Node::Main { generator: true });
        let o = case.object(rng, main);
        let prog = case.push(Node::Link {
            shared: false,
            inputs: vec![o],
        });
        let g = case.push(Node::Gen { prog });
        objs.push(case.object(rng, g));
    }
    if rng.chance(40) {
        // An inspection: nm of an object, its symbol names compiled in turn.
        let obj = objs[rng.below(objs.len())];
        let n = case.push(Node::Nm { obj });
        objs.push(case.object(rng, n));
    }
    let mut libs = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..rng.below(3) {
        let members = rng.pick(&objs, 3);
        let mut twin = members.clone();
        twin.reverse();
        let with_twin = members.len() > 1 && rng.chance(50);
        for m in [Some(members), with_twin.then_some(twin)]
            .into_iter()
            .flatten()
        {
            if seen.insert(m.clone()) {
                libs.push(case.push(Node::Archive { members: m }));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for _ in 0..=rng.below(3) {
        let shared = rng.chance(40);
        // Objects, then libraries, as CMake orders a link line; the twin reverses each part.
        let o = rng.pick(&objs, 2);
        let mut l = if !libs.is_empty() && rng.chance(70) {
            rng.pick(&libs, 2)
        } else {
            vec![]
        };
        // CMake moves a library after the libraries that link it: a library that links
        // another comes first, and such a pair keeps its order in the twin.
        if l.len() == 2 && case.needs(l[1], l[0]) {
            l.swap(0, 1);
        }
        let lt: Vec<usize> = if l.len() == 2 && case.needs(l[0], l[1]) {
            l.clone()
        } else {
            l.iter().rev().copied().collect()
        };
        let inputs: Vec<usize> = o.iter().chain(&l).copied().collect();
        let twin: Vec<usize> = o.iter().rev().chain(&lt).copied().collect();
        let with_twin = twin != inputs && rng.chance(40);
        // An executable's own main comes first, shared by its twin.
        let main = (!shared).then(|| {
            let m = case.push(Node::Main { generator: false });
            case.object(rng, m)
        });
        for inputs in [Some(inputs), with_twin.then_some(twin)]
            .into_iter()
            .flatten()
        {
            if !seen.insert((shared, inputs.clone())) {
                continue;
            }
            let inputs: Vec<usize> = main.iter().copied().chain(inputs).collect();
            let id = case.push(Node::Link { shared, inputs });
            if shared {
                libs.push(id);
            }
        }
    }
    case.dups = case
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n, Node::Object { .. }))
        .map(|(i, _)| i)
        .filter(|_| rng.chance(20))
        .collect();
    case
}

/// The structural id of a term node: its kind, source path, headers and flags (sorted), and
/// the ids of its inputs in order. Computed the same way from graph.json below.
fn term_sid(case: &Case, i: usize, memo: &mut BTreeMap<usize, String>) -> String {
    if let Some(s) = memo.get(&i) {
        return s.clone();
    }
    let k = case.k;
    let s = match &case.nodes[i] {
        Node::Source { .. } | Node::Main { .. } => format!("source:c{k}/s{i}.c"),
        Node::Header => format!("header:c{k}/h{i}.h"),
        Node::Gen { prog } => format!("generated({})", term_sid(case, *prog, memo)),
        Node::Nm { .. } => format!("generated:c{k}/n{i}.c"),
        Node::Object { src, flags } => {
            let mut f = flags.clone();
            f.sort();
            let mut parts = vec![term_sid(case, *src, memo)];
            if let Node::Source { header: Some(h) } = case.nodes[*src] {
                parts.push(term_sid(case, h, memo));
            }
            format!("object{{{}}}({})", f.join(" "), parts.join(", "))
        }
        Node::Archive { members } => {
            let m: Vec<String> = members.iter().map(|&j| term_sid(case, j, memo)).collect();
            format!("archive({})", m.join(", "))
        }
        Node::Link { shared, inputs } => {
            let m: Vec<String> = inputs.iter().map(|&j| term_sid(case, j, memo)).collect();
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

fn is_artifact(n: &Node) -> bool {
    matches!(
        n,
        Node::Object { .. } | Node::Archive { .. } | Node::Link { .. }
    )
}

/// Every artifact node of a case with its structural id, and how many files each has (2 for a
/// compiled-twice object).
fn term_nodes(case: &Case) -> BTreeMap<String, usize> {
    let mut memo = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (i, n) in case.nodes.iter().enumerate() {
        if is_artifact(n) {
            let files = if case.dups.contains(&i) { 2 } else { 1 };
            out.insert(term_sid(case, i, &mut memo), files);
        }
    }
    out
}

/// Edits about a third of the case's sources, headers and programs' sources (their content
/// only); returns, by structural id, whether each artifact's content as the build sees it
/// changed: an edited file, or anything depending on one, except through an `nm` listing
/// (edits change the values functions return, never their names).
fn edit_case(rng: &mut Rng, case: &mut Case) -> BTreeMap<String, bool> {
    let mut dirty = vec![false; case.nodes.len()];
    for i in 0..case.nodes.len() {
        let edited = matches!(
            case.nodes[i],
            Node::Source { .. } | Node::Header | Node::Main { .. }
        ) && rng.chance(33);
        if edited {
            *case.version.get_mut(&i).expect("version") += 1;
        }
        // Inputs come before the nodes that use them.
        let through =
            !matches!(case.nodes[i], Node::Nm { .. }) && case.inputs(i).iter().any(|&j| dirty[j]);
        dirty[i] = edited || through;
    }
    let mut memo = BTreeMap::new();
    (0..case.nodes.len())
        .filter(|&i| is_artifact(&case.nodes[i]))
        .map(|i| (term_sid(case, i, &mut memo), dirty[i]))
        .collect()
}

const CAT: &str = "#define CAT2(a, b) a##b\n#define CAT(a, b) CAT2(a, b)\n";

fn write_sources(dir: &Path, cases: &[Case]) {
    // The inspection: nm's symbol names as comments, then a function of the nm source's own.
    std::fs::write(
        dir.join("nm.sh"),
        "#!/bin/sh\n# nm.sh OBJECT OUT NAME\nset -e\n\
         nm -P \"$1\" | cut -d' ' -f1 | sed 's|.*|/* & */|' > \"$2\"\n\
         printf '#define CAT2(a, b) a##b\\n#define CAT(a, b) CAT2(a, b)\\n\
         int CAT(%s_, OBJ)(void) { return 0; }\\n' \"$3\" >> \"$2\"\n",
    )
    .expect("write nm.sh");
    for c in cases {
        let k = c.k;
        let d = dir.join(format!("c{k}"));
        std::fs::create_dir_all(d.join("dup")).expect("mkdir");
        std::fs::write(d.join("dup/.keep"), "").expect("write");
        for (i, n) in c.nodes.iter().enumerate() {
            let v = c.version.get(&i).copied().unwrap_or(0);
            let (name, text) = match n {
                Node::Source { header } => {
                    let (inc, add) = match header {
                        Some(h) => (format!("#include \"h{h}.h\"\n"), format!(" + C{k}_H{h}")),
                        None => (String::new(), String::new()),
                    };
                    (
                        format!("s{i}.c"),
                        format!("{inc}{CAT}int CAT(c{k}_s{i}_, OBJ)(void) {{ return {v}{add}; }}\n"),
                    )
                }
                Node::Header => (format!("h{i}.h"), format!("#define C{k}_H{i} {v}\n")),
                Node::Main { generator: false } => (
                    format!("s{i}.c"),
                    format!("int main(void) {{ return {v} - {v}; }}\n"),
                ),
                Node::Main { generator: true } => (
                    format!("s{i}.c"),
                    format!(
                        "#include <stdio.h>\n\
                         int main(int argc, char **argv) {{\n\
                         \x20   FILE *f = argc > 1 ? fopen(argv[1], \"w\") : NULL;\n\
                         \x20   if (!f) return 1;\n\
                         \x20   fprintf(f, \"#define CAT2(a, b) a##b\\n#define CAT(a, b) CAT2(a, b)\\n\");\n\
                         \x20   fprintf(f, \"int CAT(c{k}_g{i}_, OBJ)(void) {{ return {v}; }}\\n\");\n\
                         \x20   return fclose(f) != 0;\n}}\n"
                    ),
                ),
                _ => continue,
            };
            std::fs::write(d.join(name), text).expect("write source");
        }
    }
}

fn make_path(c: &Case, i: usize) -> String {
    let k = c.k;
    match &c.nodes[i] {
        Node::Source { .. } | Node::Main { .. } => format!("c{k}/s{i}.c"),
        Node::Header => format!("c{k}/h{i}.h"),
        Node::Gen { .. } => format!("c{k}/g{i}.c"),
        Node::Nm { .. } => format!("c{k}/n{i}.c"),
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
                Node::Source { .. } | Node::Header | Node::Main { .. } => continue,
                Node::Gen { prog } => {
                    let p = make_path(c, *prog);
                    writeln!(rules, "{out}: {p}\n\t./{p} {out}").expect("write to a String");
                    continue;
                }
                Node::Nm { obj } => {
                    let o = make_path(c, *obj);
                    writeln!(
                        rules,
                        "{out}: {o} nm.sh\n\tsh nm.sh {o} {out} c{}_n{i}",
                        c.k
                    )
                    .expect("write to a String");
                    continue;
                }
                Node::Object { src, flags } => {
                    let s = make_path(c, *src);
                    let h = match c.nodes[*src] {
                        Node::Source { header: Some(h) } => format!(" {}", make_path(c, h)),
                        _ => String::new(),
                    };
                    let f = flags.join(" ");
                    writeln!(rules, "{out}: {s}{h}\n\t$(CC) -fPIC {f} -c {s} -o {out}")
                        .expect("write to a String");
                    if c.dups.contains(&i) {
                        let dup = format!("c{}/dup/o{i}.o", c.k);
                        writeln!(rules, "{dup}: {s}{h}\n\t$(CC) -fPIC {f} -c {s} -o {dup}")
                            .expect("write to a String");
                        all.push(dup);
                    }
                }
                Node::Archive { members } => {
                    let m: Vec<String> = members.iter().map(|&j| make_path(c, j)).collect();
                    let m = m.join(" ");
                    writeln!(rules, "{out}: {m}\n\trm -f {out}\n\t$(AR) rcs {out} {m}")
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
    let bin = "${CMAKE_CURRENT_BINARY_DIR}";
    for c in cases {
        let k = c.k;
        writeln!(s, "file(MAKE_DIRECTORY {bin}/c{k})").expect("write to a String");
        for (i, n) in c.nodes.iter().enumerate() {
            let t = cmake_target(c, i);
            match n {
                Node::Source { .. } | Node::Header | Node::Main { .. } => {}
                Node::Gen { prog } => {
                    let p = cmake_target(c, *prog);
                    writeln!(
                        s,
                        "add_custom_command(OUTPUT {bin}/c{k}/g{i}.c \
                         COMMAND {p} {bin}/c{k}/g{i}.c DEPENDS {p} VERBATIM)"
                    )
                    .expect("write to a String");
                }
                Node::Nm { obj } => {
                    let o = cmake_target(c, *obj);
                    writeln!(
                        s,
                        "add_custom_command(OUTPUT {bin}/c{k}/n{i}.c \
                         COMMAND sh ${{CMAKE_CURRENT_SOURCE_DIR}}/nm.sh $<TARGET_OBJECTS:{o}> \
                         {bin}/c{k}/n{i}.c c{k}_n{i} \
                         DEPENDS $<TARGET_OBJECTS:{o}> ${{CMAKE_CURRENT_SOURCE_DIR}}/nm.sh \
                         VERBATIM)"
                    )
                    .expect("write to a String");
                }
                Node::Object { src, flags } => cmake_object(&mut s, c, i, *src, flags),
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
                    // CMake puts a target's objects before its libraries: the terms do too.
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

/// The CMake lines of the object node `i` of case `c`: an object library (two for a
/// duplicated object) compiling `src` with the node's -D and -O flags.
fn cmake_object(lists: &mut String, c: &Case, i: usize, src: usize, flags: &[String]) {
    let bin = "${CMAKE_CURRENT_BINARY_DIR}";
    let k = c.k;
    let t = cmake_target(c, i);
    let file = match c.nodes[src] {
        Node::Gen { .. } => format!("{bin}/c{k}/g{src}.c"),
        Node::Nm { .. } => format!("{bin}/c{k}/n{src}.c"),
        _ => format!("c{k}/s{src}.c"),
    };
    let mut names = vec![t.clone()];
    if c.dups.contains(&i) {
        names.push(format!("{t}_dup"));
    }
    for name in names {
        writeln!(lists, "add_library({name} OBJECT {file})").expect("write to a String");
        let defs: Vec<&str> = flags.iter().filter_map(|f| f.strip_prefix("-D")).collect();
        writeln!(
            lists,
            "target_compile_definitions({name} PRIVATE {})",
            defs.join(" ")
        )
        .expect("write to a String");
        let opts: Vec<&str> = flags
            .iter()
            .filter(|f| f.starts_with("-O"))
            .map(String::as_str)
            .collect();
        if !opts.is_empty() {
            writeln!(
                lists,
                "target_compile_options({name} PRIVATE {})",
                opts.join(" ")
            )
            .expect("write to a String");
        }
    }
}

/// The graph's artifact nodes with their structural ids, computed from graph.json alone: the
/// node's kind, its producing action's source, the case's headers it read and -D/-O flags
/// (objects), members (archives) or inputs and libraries (links) in order, recursively; a
/// generated file by the program that wrote it, or by its path when no program of the build
/// did.
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
        &self.nodes[usize::try_from(id).expect("an index")]
    }

    fn path(&self, id: u64) -> &'a str {
        self.node(id)["path"].as_str().unwrap_or("")
    }

    fn sid(&mut self, id: u64) -> String {
        if let Some(s) = self.memo.get(&id) {
            return s.clone();
        }
        let n = self.node(id);
        let kind = n["kind"].as_str().expect("kind");
        let producer = self.producer.get(&id).copied();
        let of = |e: &[&str]| -> Vec<u64> {
            producer
                .and_then(|a| a["inputs"].as_array())
                .into_iter()
                .flatten()
                .filter(|i| e.iter().any(|e| i["edge"] == *e))
                .map(|i| i["node"].as_u64().expect("node"))
                .collect()
        };
        let s = match (kind, producer) {
            ("source", _) => format!("source:{}", self.path(id)),
            ("header", _) => format!("header:{}", self.path(id)),
            ("generated", None) => format!("generated:{}", self.path(id)),
            ("generated", Some(_)) => {
                let p: Vec<String> = of(&["program"]).into_iter().map(|p| self.sid(p)).collect();
                format!("generated({})", p.join(", "))
            }
            ("object", Some(a)) => {
                let mut flags: Vec<String> = a["argv"]
                    .as_array()
                    .expect("argv")
                    .iter()
                    .filter_map(|w| w.as_str())
                    .filter(|w| w.starts_with("-D") || w.starts_with("-O"))
                    .map(str::to_string)
                    .collect();
                flags.sort();
                let mut parts: Vec<String> =
                    of(&["source"]).into_iter().map(|s| self.sid(s)).collect();
                // The case's own headers; the system's are the toolchain's.
                let headers = a["headers"].as_array().into_iter().flatten();
                for h in headers.map(|h| h.as_u64().expect("header")) {
                    if !self.path(h).starts_with('/') {
                        parts.push(self.sid(h));
                    }
                }
                format!("object{{{}}}({})", flags.join(" "), parts.join(", "))
            }
            ("archive", Some(_)) => {
                let m: Vec<String> = of(&["member"]).into_iter().map(|s| self.sid(s)).collect();
                format!("archive({})", m.join(", "))
            }
            ("shared_library" | "executable", Some(_)) => {
                let m: Vec<String> = of(&["input", "library"])
                    .into_iter()
                    .map(|s| self.sid(s))
                    .collect();
                format!("{kind}({})", m.join(", "))
            }
            _ => format!("unproduced {kind} {n}"),
        };
        self.memo.insert(id, s.clone());
        s
    }
}

/// The case a structural id belongs to: the number after the first `:c` naming a file.
fn case_of(sid: &str) -> Option<usize> {
    sid.match_indices(":c").find_map(|(i, _)| {
        let rest = &sid[i + 2..];
        let (k, after) = rest.split_once('/')?;
        k.parse::<usize>().ok().filter(|_| !after.is_empty())
    })
}

/// The graph's artifact ids by token: (structural id, number of files). Ids that stand for
/// two different nodes are failures.
fn tokens(graph: &Value, failures: &mut Vec<String>) -> BTreeMap<String, (String, usize)> {
    let mut view = GraphView::new(graph);
    let mut by_token: BTreeMap<String, (String, usize)> = BTreeMap::new();
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
    by_token
}

/// Checks one confession against the cases; returns the failures, case by case.
fn check(graph: &Value, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    let by_token = tokens(graph, &mut failures);
    // structural id -> (token, files), checking each structural id has one token.
    let mut got: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (tok, (sid, files)) in &by_token {
        got.entry(sid.clone())
            .or_default()
            .push((tok.clone(), *files));
    }
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
                    problems.push(format!("  one term node, {} ids: {sid}", toks.len()));
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

/// Between two confessions of a project whose files were edited: every artifact's id changed
/// exactly when its content as the build saw it did (`dirty`, by structural id).
fn check_edits(
    before: &Value,
    after: &Value,
    dirty: &BTreeMap<String, bool>,
) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let token_of = |g: &Value, failures: &mut Vec<String>| -> BTreeMap<String, String> {
        tokens(g, failures)
            .into_iter()
            .map(|(tok, (sid, _))| (sid, tok))
            .collect()
    };
    let (a, b) = (
        token_of(before, &mut failures),
        token_of(after, &mut failures),
    );
    let mut changed = 0;
    for (sid, &d) in dirty {
        let (Some(ta), Some(tb)) = (a.get(sid), b.get(sid)) else {
            failures.push(format!("  not in both graphs: {sid}"));
            continue;
        };
        changed += usize::from(ta != tb);
        if (ta != tb) != d {
            failures.push(format!(
                "  {sid}: its content {} but its id {}",
                if d { "changed" } else { "did not change" },
                if ta == tb { "did not" } else { "changed" }
            ));
        }
    }
    (failures, changed)
}

fn seed() -> u64 {
    match std::env::var("CONFESS_PROPERTY_SEED") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("CONFESS_PROPERTY_SEED={s} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| {
                // The nanoseconds since the epoch, modulo 2^64.
                d.as_secs()
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add(u64::from(d.subsec_nanos()))
            }),
    }
}

/// As common::confess, without checking every header scan against gcc -M (the fixtures'
/// tests do that; here it would double the cost).
fn confess_quietly(args: &[&str], tmp: &Path) -> Run {
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
    run
}

fn confess_and_check(
    label: &str,
    args: &[&str],
    cases: &[Case],
    seed: u64,
    tmp: &Path,
) -> (Value, String) {
    let t0 = Instant::now();
    let graph = confess_quietly(args, tmp).json("graph.json");
    let failures = check(&graph, cases);
    assert!(
        failures.is_empty(),
        "confess {label}: the extracted graph differs from the generating term \
         (seed {seed}; rerun with CONFESS_PROPERTY_SEED={seed}):\n{}",
        failures.join("\n")
    );
    (
        graph,
        format!("{label}: {:.1} s", t0.elapsed().as_secs_f64()),
    )
}

fn count(cases: &[Case], f: impl Fn(&Node) -> bool) -> usize {
    cases
        .iter()
        .map(|c| c.nodes.iter().filter(|n| f(n)).count())
        .sum()
}

#[test]
fn extracted_graph_equals_the_generating_term() {
    require("make", "make");
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    require("nm", "binutils");
    let seed = seed();
    let n: usize = std::env::var("CONFESS_PROPERTY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    eprintln!("property: seed {seed} ({n} cases; CONFESS_PROPERTY_SEED={seed} replays them)");
    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..n).map(|k| gen_case(&mut rng, k)).collect();
    let nodes: usize = cases.iter().map(|c| term_nodes(c).len()).sum();
    eprintln!(
        "property: {nodes} artifact nodes; {} generators, {} nm inspections, {} archives, \
         {} links",
        count(&cases, |n| matches!(n, Node::Gen { .. })),
        count(&cases, |n| matches!(n, Node::Nm { .. })),
        count(&cases, |n| matches!(n, Node::Archive { .. })),
        count(&cases, |n| matches!(n, Node::Link { .. })),
    );

    let mut tmp = tempfile::tempdir().expect("tmp");
    if std::env::var_os("CONFESS_PROPERTY_KEEP").is_some() {
        tmp.disable_cleanup(true);
        eprintln!("property: keeping {}", tmp.path().display());
    }
    let make_src = tmp.path().join("make-src");
    let cmake_src = tmp.path().join("cmake-src");
    for d in [&make_src, &cmake_src] {
        std::fs::create_dir_all(d).expect("mkdir");
        write_sources(d, &cases);
    }
    write_makefile(&make_src, &cases);
    write_cmakelists(&cmake_src, &cases);

    // 1. Both build systems, side by side.
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
    let ((before, a), (_, b)) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => std::panic::resume_unwind(e),
    };
    eprintln!(
        "property: {n} cases ({nodes} term nodes) equal their extracted graphs under make and \
         cmake ({a}; {b}; {:.1} s)",
        t0.elapsed().as_secs_f64()
    );

    // 2. Edits between two confessions.
    let t0 = Instant::now();
    let mut edited = cases.clone();
    let mut dirty = BTreeMap::new();
    for c in &mut edited {
        dirty.extend(edit_case(&mut rng, c));
    }
    write_sources(&make_src, &edited);
    let (after, _) = confess_and_check(
        "make (edited)",
        &["make", "-j", "2", &ms],
        &edited,
        seed,
        &tmp.path().join("make-edited"),
    );
    let (failures, changed) = check_edits(&before, &after, &dirty);
    assert!(
        failures.is_empty(),
        "ids after edits (seed {seed}; rerun with CONFESS_PROPERTY_SEED={seed}):\n{}",
        failures.join("\n")
    );
    let want_changed = dirty.values().filter(|d| **d).count();
    assert_eq!(changed, want_changed);
    assert!(
        changed > 0 && changed < dirty.len(),
        "the edits changed {changed} of {} nodes: no test of either direction",
        dirty.len()
    );
    eprintln!(
        "property: after edits, {changed} of {} ids changed, exactly those whose content \
         changed ({:.1} s)",
        dirty.len(),
        t0.elapsed().as_secs_f64()
    );

    check_a_sample_rebuilt_by_verify(&cases, tmp.path());
}

/// A sample of the cases, confessed and rebuilt by confess verify: it matches the real build.
fn check_a_sample_rebuilt_by_verify(cases: &[Case], tmp: &Path) {
    // 3. A sample rebuilt by confess verify against the real build.
    let t0 = Instant::now();
    let sample: Vec<Case> = cases.iter().take(12).cloned().collect();
    let sample_src = tmp.join("sample-src");
    std::fs::create_dir_all(&sample_src).expect("mkdir");
    write_sources(&sample_src, &sample);
    write_makefile(&sample_src, &sample);
    let run = confess_quietly(
        &["make", sample_src.to_str().expect("utf-8")],
        &tmp.join("sample"),
    );
    let (objects, identical) = assert_verified("the property sample", &run.out);
    eprintln!(
        "property: {} cases confessed and rebuilt by confess verify: match ({objects} objects, \
         {identical} byte-identical; {:.1} s)",
        sample.len(),
        t0.elapsed().as_secs_f64()
    );
}
