//! Artifacts: which action produced each file, the final artifact of each written location
//! (the drafts of targets), and the programs the build made and deleted again (transient).

use super::model::{Dep, TargetKind};
use super::names::{self, Names};
use super::Paths;
use crate::graph::{ActionKind, Graph, NodeId, NodeKind};
use crate::pathmap::{Loc, PathMap, Root};
use std::collections::{BTreeMap, BTreeSet};

/// A target before its name and package are settled.
pub(super) struct Draft {
    pub kind: TargetKind,
    pub output: String,
    pub aliases: Vec<String>,
    pub objects: Vec<NodeId>,
    /// The action that made the artifact (link or archive).
    pub action: Option<usize>,
    pub named: Option<names::Named>,
    /// Target indices this one uses, in command-line order, and other deps.
    pub uses: Vec<usize>,
    pub deps: Vec<Dep>,
    pub requires: BTreeSet<String>,
    pub dir: String,
    pub name: String,
    /// The directory outside the project tree that holds its sources (its package then lives
    /// under `_outside/`).
    pub outside_dir: Option<String>,
}

impl Draft {
    /// A draft of `kind` at `output`, with nothing gathered yet.
    pub fn new(kind: TargetKind, output: String) -> Self {
        Draft {
            kind,
            output,
            aliases: Vec::new(),
            objects: Vec::new(),
            action: None,
            named: None,
            uses: Vec::new(),
            deps: Vec::new(),
            requires: BTreeSet::new(),
            dir: String::new(),
            name: String::new(),
            outside_dir: None,
        }
    }
}

/// The action that made each file (the first, when several wrote it), runs aside.
pub(super) type Producers = BTreeMap<NodeId, usize>;

/// The artifacts of a build: a draft per final artifact, and what was built and deleted again.
pub(super) struct Artifacts {
    pub drafts: Vec<Draft>,
    pub transient: Vec<String>,
    /// The draft each version of an artifact belongs to.
    pub node_target: BTreeMap<NodeId, usize>,
}

/// The build steps' reads from outside: every target may depend on them (the seal sees
/// reads per step, not per command). A file the graph has as a node of its own (a header a
/// compile read, a library a link took) is judged where it is used instead.
pub(super) fn step_reads(g: &Graph, paths: &Paths) -> BTreeSet<String> {
    let known: BTreeSet<String> = g
        .nodes
        .iter()
        .filter_map(|n| n.loc.as_ref())
        .filter(|l| l.root == Root::System)
        .map(|l| paths.loc(l))
        .collect();
    g.reads
        .iter()
        .filter(|r| r.build && !known.contains(&r.path))
        .map(|r| r.path.clone())
        .collect()
}

/// The action that made each file.
pub(super) fn producers(g: &Graph) -> Producers {
    let mut producer: Producers = BTreeMap::new();
    for (i, a) in g.actions.iter().enumerate() {
        if a.kind != ActionKind::Run {
            for o in &a.outputs {
                producer.entry(*o).or_insert(i);
            }
        }
    }
    producer
}

/// Final artifacts: one per written location (the last version of an archive that was
/// extended with `ar r` several times is the one no other archive step read).
fn by_location(g: &Graph, producer: &Producers) -> BTreeMap<Loc, Vec<NodeId>> {
    let mut by_loc: BTreeMap<Loc, Vec<NodeId>> = BTreeMap::new();
    for n in &g.nodes {
        let final_kind = matches!(
            n.kind,
            NodeKind::Archive | NodeKind::SharedLibrary | NodeKind::Executable
        );
        if let (true, Some(loc)) = (final_kind, &n.loc) {
            if producer.contains_key(&n.id) {
                by_loc.entry(loc.clone()).or_default().push(n.id);
            }
        }
    }
    by_loc
}

/// Versions that an action reads and writes again at the same place (`ar` adding to an
/// archive): not the last one. One pass over the actions, not one per artifact.
fn rewritten(g: &Graph, by_loc: &BTreeMap<Loc, Vec<NodeId>>) -> BTreeSet<NodeId> {
    let versioned: BTreeSet<NodeId> = by_loc.values().flatten().copied().collect();
    g.actions
        .iter()
        .flat_map(|a| {
            a.inputs
                .iter()
                .map(|(_, i)| *i)
                .filter(|i| versioned.contains(i))
                .filter(|i| {
                    let at = g.node(*i).loc.as_ref();
                    a.outputs.iter().any(|o| g.node(*o).loc.as_ref() == at)
                })
        })
        .collect()
}

/// The drafts of the final artifacts, and the artifacts that were transient.
pub(super) fn artifacts(
    g: &Graph,
    map: &PathMap,
    paths: &Paths,
    names: &Names,
    producer: &Producers,
) -> Artifacts {
    let by_loc = by_location(g, producer);
    let consumed: BTreeSet<NodeId> = g
        .actions
        .iter()
        .flat_map(|a| a.inputs.iter().map(|(_, i)| *i))
        .collect();
    let rewritten = rewritten(g, &by_loc);
    let mut found = Artifacts {
        drafts: Vec::new(),
        transient: Vec::new(),
        node_target: BTreeMap::new(),
    };
    for (loc, versions) in &by_loc {
        let last = versions
            .iter()
            .copied()
            .find(|v| !rewritten.contains(v))
            .unwrap_or(versions[versions.len() - 1]);
        // Made and deleted again during the build, and used by nothing: a probe (zstd's
        // Makefile links have_zlib.c in `$(shell)` to see whether zlib is there), not a target.
        let gone = !map.tree.exists(&map.scratch_root_join(loc));
        if gone && g.node(last).aliases.is_empty() && !consumed.contains(&last) {
            found.transient.push(paths.loc(loc));
            continue;
        }
        let idx = found.drafts.len();
        for v in versions {
            found.node_target.insert(*v, idx);
        }
        let mut d = draft(g, paths, names, loc, last, gone);
        d.action = producer.get(&last).copied();
        found.drafts.push(d);
    }
    found
}

/// The draft of the artifact whose last version is `last`, written at `loc` (`gone` when the
/// build no longer has it there).
fn draft(g: &Graph, paths: &Paths, names: &Names, loc: &Loc, last: NodeId, gone: bool) -> Draft {
    let kind = match g.node(last).kind {
        NodeKind::Archive => TargetKind::StaticLibrary,
        NodeKind::SharedLibrary => TargetKind::SharedLibrary,
        _ => TargetKind::Executable,
    };
    let mut output = paths.loc(loc);
    // The build system may name a symbolic link to the artifact (CMake names a versioned
    // shared library by its namelink, `libx.so`).
    let given = names.for_output(&output).cloned().or_else(|| {
        g.node(last)
            .aliases
            .iter()
            .find_map(|a| names.for_output(&format!("[build]/{a}")).cloned())
    });
    let mut aliases: Vec<String> = g
        .node(last)
        .aliases
        .iter()
        .map(|a| {
            paths.loc(&Loc {
                root: Root::Build,
                path: a.clone(),
            })
        })
        .collect();
    if gone && !aliases.is_empty() {
        // Moved after it was written (`ld -o x.tmp && mv x.tmp x`): the build leaves it
        // where the move put it.
        output = aliases.remove(0);
    }
    let mut d = Draft::new(kind, output);
    d.aliases = aliases;
    d.named = given;
    d
}
