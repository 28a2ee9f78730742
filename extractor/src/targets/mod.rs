//! Targets: the graph grouped into what a build engine builds (executables, static and shared
//! libraries, object libraries), each with its sources, headers, typed flags, dependencies and
//! toolchain. This is what the BUILD.dhall manifests hold (`emit::dhall`).
//!
//! `build` runs the stages in order: `artifacts` (what each action made, one draft per final
//! artifact), `grouping` (the inputs of each, object libraries), `units` (the compiles of
//! each), `naming` (packages and names), `outside` (targets from outside the tree), then
//! `project` (each draft as a target of the model and of the engine, its link line from
//! `link`, its toolchain from `toolchain`), and `records` (commands, installs, inspections).

mod artifacts;
/// The target model and its flags, at their older paths.
pub use crate::model::{self, flags};
mod grouping;
mod link;
pub mod names;
mod naming;
mod outside;
mod project;
mod records;
mod toolchain;
mod units;

pub use outside::{OutsideAs, OUTSIDE};
pub use toolchain::{asm_flags, assembler_of, parse_triple};

use crate::graph::{Graph, NodeId};
use crate::pathmap::{Loc, PathMap, Root};
use model::{Dep, LinkItem, Package, Target};
use names::Names;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One command a target came from, as the build ran it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// `compile`, `assemble`, `archive`, `link` or `run`.
    pub what: crate::graph::ActionKind,
    /// What it made (as manifests write paths).
    pub output: String,
    pub cwd: String,
    pub argv: Vec<String>,
}

/// Everything `confess targets` and `confess explain` show: the packages as emitted, and the
/// commands each target came from (keyed by `dir:name`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Confessed {
    pub schema: String,
    pub packages: Vec<Package>,
    pub commands: BTreeMap<String, Vec<CommandRecord>>,
    /// Programs and libraries the build made and deleted again, used by nothing (probes run
    /// from a Makefile): not targets.
    pub transient: Vec<String>,
    /// The engine's form of the packages (BUILD.dhall), in the order of `packages`; empty when
    /// the engine cannot express a toolchain (then `engine_lacks` says what).
    #[serde(default)]
    pub engine: Vec<crate::engine::Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_lacks: Option<crate::engine::Lacks>,
    /// What the sealed build wrote outside the source and build trees (installs, absolute
    /// paths), kept from the user's files by the seal: the install layout, with the graph node
    /// each installed artifact is a copy of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<Outside>,
    /// The sealed build's network attempts, per step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::seal::NetworkAttempts>,
    /// The machine's files the sealed build read from outside its trees, the system and the
    /// programs it ran, per step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<crate::seal::OutsideRead>,
    /// Steps whose reads were not observed, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads_unobserved: Vec<String>,
    /// The calls that looked inside artifacts of the build (nm, readelf, objdump), alike calls
    /// counted together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspections: Vec<Inspection>,
}

/// Calls of one tool that looked inside the same artifacts, answered the same way.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Inspection {
    /// `nm`, `readelf`, `objdump`.
    pub tool: String,
    /// `realized`: the artifacts were built for real and the real tool read them; `answered`:
    /// answered from the token, nothing built (Meson's symbol extractor).
    pub how: String,
    /// What it looked inside, as the targets name outputs (`[build]/libx.a`).
    pub inspected: Vec<String>,
    /// Artifacts realizing them takes: each inspected one and every artifact it is made from
    /// (0 when answered). Each is built once per content, however many calls need it.
    pub artifacts: usize,
    /// How many such calls the build made.
    pub calls: usize,
}

/// A file the sealed build wrote outside the trees.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Outside {
    pub path: String,
    /// `file`, `symlink`, `deleted` or `directory`.
    pub kind: String,
    /// The step (command of the driver, and its phase) that wrote it.
    pub step: String,
    /// For an installed artifact: the output (as the targets name it) it is a copy of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// For a symbolic link: where it points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

pub const SCHEMA: &str = "confess-targets/3";

impl Confessed {
    /// The refs to local targets (deps and link lines) that name no target of the packages,
    /// each with the target that holds it: none, in any confession confess writes.
    #[must_use]
    pub fn dangling_labels(&self) -> Vec<String> {
        let known: BTreeSet<(&str, &str)> = self
            .packages
            .iter()
            .flat_map(|p| p.targets.iter().map(|t| (p.dir.as_str(), t.name.as_str())))
            .collect();
        let mut bad = Vec::new();
        for p in &self.packages {
            for t in &p.targets {
                let refs = t.deps.iter().chain(t.link.iter().filter_map(|l| match l {
                    LinkItem::Dep(d) => Some(d),
                    _ => None,
                }));
                for d in refs {
                    let Dep::Local(r) = d else { continue };
                    let resolved = match (r.strip_prefix("//"), r.strip_prefix(':')) {
                        (Some(rest), _) => rest
                            .split_once(':')
                            .map(|(dir, n)| (if dir.is_empty() { "." } else { dir }, n)),
                        (None, Some(n)) => Some((p.dir.as_str(), n)),
                        _ => None,
                    };
                    let valid = resolved.is_some_and(|(dir, n)| {
                        !dir.starts_with('/')
                            && !dir.split('/').any(|c| c.is_empty() || c == "..")
                            && known.contains(&(dir, n))
                    });
                    if !valid {
                        bad.push(format!("{r} (in {}:{})", p.dir, t.name));
                    }
                }
            }
        }
        bad.sort();
        bad.dedup();
        bad
    }

    pub fn targets(&self) -> impl Iterator<Item = (&str, &Target)> {
        self.packages
            .iter()
            .flat_map(|p| p.targets.iter().map(move |t| (p.dir.as_str(), t)))
    }
}

/// A ref to a target as the engine writes it: `:name` inside a package, `//dir:name` across.
#[must_use]
pub fn target_ref(from_dir: &str, dir: &str, name: &str) -> String {
    if from_dir == dir {
        format!(":{name}")
    } else if dir == "." {
        format!("//:{name}")
    } else {
        format!("//{dir}:{name}")
    }
}

/// Paths as the manifests write them: relative to the source root, `[build]/` for the build
/// tree, `[out]/` for files confess keeps in its output directory, absolute otherwise.
pub struct Paths<'a> {
    pub map: &'a PathMap,
    pub out: PathBuf,
    g: &'a Graph,
    /// Each node's path as [`Paths::loc`] writes it, made when first asked: a header is
    /// asked for by every compile that reads it.
    nodes: Vec<std::sync::OnceLock<Option<String>>>,
    /// What [`Paths::text`] writes for what, in order: the output directory, the scratch
    /// build directory, the scratch sources.
    replaced: [(String, String); 3],
}

impl<'a> Paths<'a> {
    /// The paths of `g`'s nodes and commands, for a confession written to `out`.
    #[must_use]
    pub fn new(g: &'a Graph, map: &'a PathMap, out: &Path) -> Self {
        let text = |p: &Path| confess_shims::raw::text_path(p).into_owned();
        Paths {
            map,
            out: out.to_path_buf(),
            g,
            nodes: (0..g.nodes.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            replaced: [
                (text(out), "[out]".into()),
                (text(&map.scratch_build), "[build]".into()),
                (text(&map.scratch_src), text(&map.user_src)),
            ],
        }
    }

    /// Where node `n` of the graph these paths were made for is (`loc` of its location).
    #[must_use]
    pub fn node(&self, n: NodeId) -> Option<&str> {
        self.nodes[n.0 as usize]
            .get_or_init(|| self.g.node(n).loc.as_ref().map(|l| self.loc(l)))
            .as_deref()
    }

    #[must_use]
    pub fn loc(&self, loc: &Loc) -> String {
        match loc.root {
            Root::Source if loc.path.is_empty() => ".".into(),
            Root::Source => loc.path.clone(),
            Root::Build if loc.path.is_empty() => "[build]".into(),
            Root::Build => format!("[build]/{}", loc.path),
            Root::System => self.system(&loc.path),
        }
    }

    fn system(&self, p: &str) -> String {
        let mapped = self.map.map_word(p, &BTreeSet::new());
        match confess_shims::raw::path(&mapped).strip_prefix(&self.out) {
            Ok(rel) => format!("[out]/{}", confess_shims::raw::text_path(rel)),
            Err(_) => mapped,
        }
    }

    /// A word of a recorded command: scratch paths mapped out, and confess's output directory
    /// written `[out]`, so that manifests do not depend on where they were written.
    #[must_use]
    pub fn text(&self, w: &str) -> String {
        // Every path replaced is absolute: a word with no slash (most flags) stays as it is.
        if !w.contains('/') {
            return w.to_string();
        }
        let mut mapped = self.map.map_word(w, &self.g.generated);
        // What map_word leaves of the scratch directory (inside a list such as an rpath).
        for (from, to) in &self.replaced {
            if mapped.contains(from.as_str()) {
                mapped = mapped.replace(from.as_str(), to);
            }
        }
        mapped
    }

    /// A path a command named, relative to the directory it ran in.
    #[must_use]
    pub fn word(&self, cwd: &Path, p: &str) -> String {
        let p = confess_shims::raw::path(p);
        let abs = if p.is_absolute() {
            p.into_owned()
        } else {
            cwd.join(p)
        };
        self.loc(&self.map.locate(&abs))
    }
}

/// Builds the targets of a confession. `out` is the output directory (for paths confess keeps
/// there), `written` where its files are while the confession is written (the staging
/// directory); `names` what the build system calls its targets.
#[must_use]
pub fn build(
    g: &Graph,
    map: &PathMap,
    out: &Path,
    written: &Path,
    names: &Names,
    outside: OutsideAs,
) -> Confessed {
    let paths = Paths::new(g, map, out);
    let step_reads = artifacts::step_reads(g, &paths);
    let producer = artifacts::producers(g);
    let artifacts::Artifacts {
        mut drafts,
        transient,
        node_target,
    } = artifacts::artifacts(g, map, &paths, names, &producer);
    let consumers = grouping::gather_inputs(g, &paths, &producer, &node_target, &mut drafts);
    grouping::object_libraries(g, &paths, names, &consumers, &mut drafts);
    let units = units::per_target(g, map, &paths, &producer, &drafts);
    naming::name_targets(&mut drafts, &units, map);
    let externals = outside::externals(g, &paths, &drafts, &units, outside);
    let projection = project::project_all(&project::Interpreted {
        g,
        map,
        paths: &paths,
        written,
        drafts: &drafts,
        units: &units,
        producer: &producer,
        node_target: &node_target,
        externals: &externals,
        step_reads: &step_reads,
    });
    let (packages, engine, engine_lacks) = project::packages(projection.packages);
    Confessed {
        schema: SCHEMA.into(),
        packages,
        commands: projection.commands,
        transient,
        engine,
        engine_lacks,
        outside: records::outside_writes(g, &paths),
        network: g.network.clone(),
        reads: g.reads.clone(),
        reads_unobserved: g.reads_unobserved.clone(),
        inspections: records::inspections(g, &paths),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Arch, Vendor, ABI, OS};

    #[test]
    fn refs_within_and_across_packages() {
        assert_eq!(target_ref("lib", "lib", "z"), ":z");
        assert_eq!(target_ref(".", "lib", "z"), "//lib:z");
        assert_eq!(target_ref("lib", ".", "app"), "//:app");
    }

    #[test]
    fn triples_are_typed() {
        let t = parse_triple("x86_64-linux-gnu");
        assert_eq!(
            (t.arch, t.vendor, t.os, t.abi),
            (Arch::x86_64, Vendor::unknown, OS::linux, ABI::gnu)
        );
        let t = parse_triple("aarch64-unknown-linux-musl");
        assert_eq!((t.arch, t.os, t.abi), (Arch::aarch64, OS::linux, ABI::musl));
    }
}
