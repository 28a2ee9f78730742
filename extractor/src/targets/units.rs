//! Units: the compiles (and assemblies) of each target, one unit per compile, and the flags
//! most of a target's units share (the target's), with overrides for the others.

use super::artifacts::{Draft, Producers};
use super::model::{AsmFlag, CFlag, Override};
use super::toolchain::asm_flags;
use super::{flags, Paths};
use crate::graph::{ActionKind, EdgeKind, Graph};
use crate::pathmap::PathMap;
use std::collections::{BTreeMap, BTreeSet};

/// One compiled source of a target.
pub(super) struct Unit {
    pub src: String,
    /// The object the compile wrote, where the build named it (a compile-and-link call's
    /// objects have no name).
    pub object: Option<String>,
    pub cxx: bool,
    pub flags: Vec<CFlag>,
    /// The same compile in the engine's vocabulary.
    pub engine: Vec<crate::engine::model::CFlag>,
    pub sysroot: Option<String>,
    pub tool: String,
    pub action: usize,
    /// An assembler's call (nasm, yasm, as): its program and typed options. Such a unit has
    /// no C flags and stays out of the target's.
    pub assembly: Option<(String, Vec<AsmFlag>)>,
}

/// Compiled units per target, in source order, a compile repeated in one target once.
pub(super) fn per_target(
    g: &Graph,
    map: &PathMap,
    paths: &Paths,
    producer: &Producers,
    drafts: &[Draft],
) -> Vec<Vec<Unit>> {
    drafts
        .iter()
        .map(|d| {
            let mut us: Vec<Unit> = d
                .objects
                .iter()
                .filter_map(|o| producer.get(o))
                .filter_map(|ai| unit(g, map, paths, *ai))
                .collect();
            us.sort_by(|a, b| {
                (&a.src, &a.flags, &a.assembly).cmp(&(&b.src, &b.flags, &b.assembly))
            });
            us.dedup_by(|a, b| a.src == b.src && a.flags == b.flags && a.assembly == b.assembly);
            us
        })
        .collect()
}

/// How many different compiles each source has in the whole project: an object library's
/// unit of a source compiled more than once names its object, so a reader knows which
/// compile the library means even when it compiles the source once.
pub(super) fn compiles_per_source(units: &[Vec<Unit>]) -> BTreeMap<&str, BTreeSet<usize>> {
    let mut compiles_of: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for u in units.iter().flatten().filter(|u| u.assembly.is_none()) {
        compiles_of
            .entry(u.src.as_str())
            .or_default()
            .insert(u.action);
    }
    compiles_of
}

fn is_cxx_source(p: &str) -> bool {
    let ext = p.rsplit('.').next().unwrap_or("");
    matches!(
        ext,
        "cc" | "cpp" | "cxx" | "C" | "c++" | "cp" | "CPP" | "ii"
    )
}

/// The engine's flags of the compile whose flags are the target's (`common_flags`).
pub(super) fn engine_of<'a>(
    mut units: impl Iterator<Item = &'a Unit>,
    best: &[CFlag],
) -> Vec<crate::engine::model::CFlag> {
    units
        .find(|u| u.flags == best)
        .map(|u| u.engine.clone())
        .unwrap_or_default()
}

/// The unit a compile or assembly made, when it is one.
fn unit(g: &Graph, map: &PathMap, paths: &Paths, ai: usize) -> Option<Unit> {
    let a = &g.actions[ai];
    if !matches!(a.kind, ActionKind::Compile | ActionKind::Assemble) {
        return None;
    }
    let src_node = a
        .inputs
        .iter()
        .find(|(e, _)| *e == EdgeKind::Source)
        .map(|(_, n)| *n)?;
    let src = paths.loc(g.node(src_node).loc.as_ref()?);
    let a0 = a.argv.first()?;
    let cwd = map.scratch_root_join(&a.cwd);
    let object = a
        .outputs
        .iter()
        .find_map(|o| g.node(*o).loc.as_ref())
        .map(|l| paths.loc(l));
    let assembler = confess_shims::asm::Assembler::of_role(&a.role);
    let cmd = match &a.command {
        crate::graph::Parsed::Driver(cmd) => cmd,
        crate::graph::Parsed::Assembler(cmd) => {
            let pf = |p: &str| paths.word(&cwd, p);
            return Some(Unit {
                object,
                engine: Vec::new(),
                cxx: false,
                sysroot: None,
                src,
                flags: Vec::new(),
                tool: map.map_tool(a0),
                action: ai,
                assembly: assembler.map(|t| (t.role().to_string(), asm_flags(cmd, &pf))),
            });
        }
        // The source stays in its target, with no flags (report.md says the command was not
        // parsed).
        crate::graph::Parsed::Unparsed(_) => {
            return Some(Unit {
                object,
                engine: Vec::new(),
                cxx: a.role == "c++" || is_cxx_source(&src),
                sysroot: None,
                src,
                flags: Vec::new(),
                tool: map.map_tool(a0),
                action: ai,
                assembly: assembler.map(|t| (t.role().to_string(), Vec::new())),
            });
        }
        crate::graph::Parsed::Words => return None,
    };
    let pf = |p: &str| paths.word(&cwd, p);
    let flags = flags::cflags(cmd, &pf);
    let tf = |w: &str| paths.text(w);
    let words = crate::engine::flags::Words {
        path: &pf,
        text: &tf,
    };
    let engine = crate::engine::flags::cflags(cmd, &words)
        .into_iter()
        .map(|s| s.flag)
        .collect();
    Some(Unit {
        object,
        engine,
        cxx: a.role == "c++" || is_cxx_source(&src),
        sysroot: flags::sysroot(cmd, &pf),
        src,
        flags,
        tool: map.map_tool(a0),
        action: ai,
        assembly: None,
    })
}

/// The flag list most units share (the first such in source order on a tie), and overrides
/// for the units that differ. A unit whose source the project compiles more than once
/// (`project_compiles`) names its object, with an override of the target's own flags when it
/// has no other: which compile of the source the target takes is then written down.
pub(super) fn common_flags<'a>(
    units: impl Iterator<Item = &'a Unit>,
    project_compiles: &dyn Fn(&str) -> usize,
) -> (Vec<CFlag>, Vec<Override>) {
    let units: Vec<&Unit> = units.collect();
    let mut counts: Vec<(&Vec<CFlag>, usize)> = Vec::new();
    for u in &units {
        match counts.iter_mut().find(|(f, _)| *f == &u.flags) {
            Some((_, n)) => *n += 1,
            None => counts.push((&u.flags, 1)),
        }
    }
    let mut best: Vec<CFlag> = Vec::new();
    let mut most = 0;
    for (f, n) in counts {
        if n > most {
            most = n;
            best.clone_from(f);
        }
    }
    let compiles = |src: &str| units.iter().filter(|u| u.src == src).count();
    let named = |u: &Unit| {
        (compiles(&u.src) > 1 || project_compiles(&u.src) > 1)
            .then(|| u.object.clone())
            .flatten()
    };
    let overrides = units
        .iter()
        .filter(|u| u.flags != best || named(u).is_some())
        .map(|u| Override {
            src: u.src.clone(),
            object: named(u),
            flags: u.flags.clone(),
        })
        .collect();
    (best, overrides)
}
