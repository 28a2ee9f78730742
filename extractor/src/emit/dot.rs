//! The graphs for Graphviz. `graph.dot` is the target graph: one node per target, clustered by
//! the directory that defines it, an edge from a target to each target and external it depends
//! on, transitively reduced (an edge implied by a longer path is left out: a program that links
//! `a`, which links `b`, gets no edge to `b`), externals as their own shape outside the
//! clusters. `graph-files.dot` is the artifact graph: sources, generated files, objects,
//! archives, libraries and programs, headers left out (they would drown the picture; graph.json
//! has them).

use crate::graph::{Graph, NodeKind};
use crate::model::{Dep, TargetKind};
use crate::targets::Confessed;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

fn shape(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Source | NodeKind::Header | NodeKind::MissingHeader => "note",
        NodeKind::Generated => "component",
        NodeKind::Object
        | NodeKind::Assembly
        | NodeKind::PrecompiledHeader
        | NodeKind::Relocatable => "ellipse",
        NodeKind::Archive => "box3d",
        NodeKind::SharedLibrary => "doubleoctagon",
        NodeKind::Executable => "box",
        NodeKind::File => "cylinder",
        NodeKind::External => "hexagon",
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `graph-files.dot`.
#[must_use]
pub fn render(g: &Graph) -> String {
    let mut s = String::from(
        "digraph confess {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n",
    );
    let shown = |k: NodeKind| !matches!(k, NodeKind::Header | NodeKind::MissingHeader);
    for n in g.nodes.iter().filter(|n| shown(n.kind)) {
        let label = match (&n.loc, &n.name) {
            (Some(l), _) => l.path.clone(),
            (None, Some(name)) => format!("-l{name}"),
            (None, None) => format!("({})", n.kind.as_str()),
        };
        let _ = writeln!(
            s,
            "  n{} [label={}, shape={}];",
            n.id.0,
            quote(&label),
            shape(n.kind)
        );
    }
    for a in &g.actions {
        for (e, from) in &a.inputs {
            if !shown(g.node(*from).kind) {
                continue;
            }
            for to in &a.outputs {
                let _ = writeln!(
                    s,
                    "  n{} -> n{} [label={}];",
                    from.0,
                    to.0,
                    quote(&format!("{e:?}").to_lowercase())
                );
            }
        }
    }
    s.push_str("}\n");
    s
}

/// What a dependency names outside the project, as the graph shows it.
fn external_label(d: &Dep) -> Option<String> {
    match d {
        Dep::Local(_) => None,
        Dep::External(e) => Some(e.name.clone()),
        Dep::PkgConfig(n) => Some(format!("pkg-config: {n}")),
        Dep::Flake(n) => Some(format!("flake: {n}")),
        Dep::Package(p) => Some(format!("package: {}", p.name)),
        Dep::Library(l) => Some(format!("-l{l}")),
        Dep::File(f) => Some(f.clone()),
    }
}

fn target_shape(k: TargetKind) -> &'static str {
    match k.as_str() {
        "static library" => "box3d",
        "shared library" => "doubleoctagon",
        "executable" => "box",
        _ => "ellipse",
    }
}

/// The target a `Local` ref names, seen from package `from` (`:name`, `//dir:name`, `//:name`).
fn resolve(from: &str, r: &str) -> Option<(String, String)> {
    if let Some(name) = r.strip_prefix(':') {
        return Some((from.to_string(), name.to_string()));
    }
    let rest = r.strip_prefix("//")?;
    let (dir, name) = rest.rsplit_once(':')?;
    Some((
        if dir.is_empty() {
            ".".into()
        } else {
            dir.into()
        },
        name.into(),
    ))
}

/// Removes every edge implied by a longer path, one edge at a time, so that what reaches what
/// stays as it was (on a cycle too, where the reduction is not unique).
#[must_use]
pub fn reduce(edges: &BTreeSet<(usize, usize)>) -> BTreeSet<(usize, usize)> {
    // Whether v is reached is what decides, not the path: the order a search takes does not
    // change what is kept. The edges kept so far, by where they start.
    let n = edges.iter().map(|&(a, b)| a.max(b) + 1).max().unwrap_or(0);
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        succ[a].push(b);
    }
    // `seen[x] == round` marks x as reached in this round's search.
    let mut seen = vec![0usize; n];
    let mut stack = Vec::new();
    let mut kept = edges.clone();
    for (round, &(u, v)) in edges.iter().enumerate() {
        let round = round + 1;
        seen[u] = round;
        stack.clear();
        stack.push(u);
        let mut reached = false;
        'search: while let Some(x) = stack.pop() {
            for &y in &succ[x] {
                if (x, y) == (u, v) {
                    continue;
                }
                if y == v {
                    reached = true;
                    break 'search;
                }
                if seen[y] != round {
                    seen[y] = round;
                    stack.push(y);
                }
            }
        }
        if reached {
            kept.remove(&(u, v));
            succ[u].retain(|&y| y != v);
        }
    }
    kept
}

/// `graph.dot`: the target graph.
#[must_use]
pub fn targets(c: &Confessed) -> String {
    let mut ids: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (dir, t) in c.targets() {
        let n = ids.len();
        ids.insert((dir.to_string(), t.name.clone()), n);
    }
    let mut externals: BTreeMap<String, usize> = BTreeMap::new();
    let mut edges = BTreeSet::new();
    for (dir, t) in c.targets() {
        let from = ids[&(dir.to_string(), t.name.clone())];
        for d in &t.deps {
            let to = match d {
                Dep::Local(r) => resolve(dir, r).and_then(|k| ids.get(&k).copied()),
                other => external_label(other).map(|l| {
                    let n = ids.len() + externals.len();
                    *externals.entry(l).or_insert(n)
                }),
            };
            if let Some(to) = to {
                if to != from {
                    edges.insert((from, to));
                }
            }
        }
    }
    let edges = reduce(&edges);
    let mut s = String::from(
        "digraph targets {\n  rankdir=LR;\n  fontname=\"monospace\";\n  fontsize=10;\n  node [fontname=\"monospace\", fontsize=10];\n",
    );
    let mut by_dir: BTreeMap<&str, Vec<(usize, &crate::model::Target)>> = BTreeMap::new();
    for (dir, t) in c.targets() {
        by_dir
            .entry(dir)
            .or_default()
            .push((ids[&(dir.to_string(), t.name.clone())], t));
    }
    for (k, (dir, ts)) in by_dir.iter().enumerate() {
        let _ = writeln!(
            s,
            "  subgraph cluster_{k} {{\n    label={};\n    style=rounded;\n    color=gray60;",
            quote(if *dir == "." { "(root)" } else { dir })
        );
        for (id, t) in ts {
            let _ = writeln!(
                s,
                "    t{id} [label={}, shape={}, id={}, URL={}, tooltip={}];",
                quote(&format!("{}\n{}", t.name, t.kind.as_str())).replace('\n', "\\n"),
                target_shape(t.kind),
                quote(&format!(
                    "node-{}",
                    crate::emit::report::anchor(dir, &t.name)
                )),
                quote(&format!("#{}", crate::emit::report::anchor(dir, &t.name))),
                quote(&crate::targets::target_ref("", dir, &t.name)),
            );
        }
        s.push_str("  }\n");
    }
    for (label, id) in &externals {
        let _ = writeln!(
            s,
            "  t{id} [label={}, shape=hexagon, style=dashed, color=gray40, fontcolor=gray30];",
            quote(label)
        );
    }
    for (a, b) in &edges {
        let _ = writeln!(s, "  t{a} -> t{b};");
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_drops_what_a_longer_path_implies_and_keeps_reachability() {
        // exe -> a -> b, exe -> b: the last goes.
        let e = BTreeSet::from([(0, 1), (1, 2), (0, 2)]);
        assert_eq!(reduce(&e), BTreeSet::from([(0, 1), (1, 2)]));
        // A cycle keeps what it reaches: 0 -> 1 -> 0, 0 -> 2 -> 1.
        let e = BTreeSet::from([(0, 1), (1, 0), (0, 2), (2, 1)]);
        let r = reduce(&e);
        let reach = |g: &BTreeSet<(usize, usize)>, a: usize, b: usize| {
            let mut seen = BTreeSet::from([a]);
            let mut st = vec![a];
            while let Some(x) = st.pop() {
                for &(p, q) in g {
                    if p == x && seen.insert(q) {
                        st.push(q);
                    }
                }
            }
            seen.contains(&b)
        };
        for a in 0..3 {
            for b in 0..3 {
                assert_eq!(reach(&e, a, b), reach(&r, a, b), "{a} -> {b}: {r:?}");
            }
        }
        assert!(r.len() < e.len(), "{r:?}");
    }

    /// The reduction by its definition: each edge in order, dropped when the edges kept so far
    /// (but it) still reach its end.
    fn reduce_by_definition(edges: &BTreeSet<(usize, usize)>) -> BTreeSet<(usize, usize)> {
        let mut kept = edges.clone();
        for &(u, v) in edges {
            let mut seen = BTreeSet::from([u]);
            let mut st = vec![u];
            let mut reached = false;
            while let Some(x) = st.pop() {
                for &(a, b) in &kept {
                    if a == x && (a, b) != (u, v) {
                        reached |= b == v;
                        if seen.insert(b) {
                            st.push(b);
                        }
                    }
                }
            }
            if reached {
                kept.remove(&(u, v));
            }
        }
        kept
    }

    #[test]
    fn reduction_is_its_definition_on_random_graphs_with_cycles() {
        // A fixed linear congruential sequence: the same graphs every run.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from((x >> 33) % m).expect("small")
        };
        for round in 0..300u64 {
            let nodes = 2 + round % 12;
            let mut e = BTreeSet::new();
            for _ in 0..next(40) {
                let (a, b) = (next(nodes), next(nodes));
                if a != b {
                    e.insert((a, b));
                }
            }
            assert_eq!(reduce(&e), reduce_by_definition(&e), "{e:?}");
        }
    }

    #[test]
    fn refs_resolve_within_and_across_packages() {
        assert_eq!(resolve("lib", ":a"), Some(("lib".into(), "a".into())));
        assert_eq!(resolve("lib", "//:a"), Some((".".into(), "a".into())));
        assert_eq!(
            resolve(".", "//src/x:a"),
            Some(("src/x".into(), "a".into()))
        );
        assert_eq!(resolve(".", "a"), None);
    }
}
