//! Outside the tree: targets built from sources outside the project tree, as packages under
//! `_outside/` or (`--outside external`) as external dependencies of the targets that use them.

use super::artifacts::Draft;
use super::model::ExternalRef;
use super::units::Unit;
use super::Paths;
use crate::graph::{EdgeKind, Graph};
use crate::pathmap::PathMap;
use std::collections::BTreeMap;

/// What targets built from sources outside the project tree become (`--outside`).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OutsideAs {
    /// Targets of their own, in packages under `_outside/`.
    #[default]
    Targets,
    /// An `External` dependency of the targets that use them: named `DIR:NAME` by the
    /// directory of their sources, and pinned by a sha256 over the path and content hash of
    /// every source and header their compiles read.
    External,
}

/// The package directory under which targets whose sources lie outside the project tree are
/// written (`//_outside/minitest:minitest`): a Debian build's `add_subdirectory(/usr/src/
/// googletest ...)` compiles googletest's sources, and its targets need labels and manifests
/// like the project's own.
pub const OUTSIDE: &str = "_outside";

/// Moves the targets whose package is a directory outside the project tree (an absolute path)
/// under `_outside/`, each directory named by the fewest of its last components that tell it
/// from the others (`/usr/src/googletest/googletest` is `_outside/googletest`).
pub(super) fn outside_packages(drafts: &mut [Draft], map: &PathMap) {
    let mut dirs: Vec<String> = drafts
        .iter()
        .filter(|d| d.dir.starts_with('/'))
        .map(|d| d.dir.clone())
        .collect();
    dirs.sort();
    dirs.dedup();
    if dirs.is_empty() {
        return;
    }
    // A project directory of that name would clash: then another underscore.
    let mut top = OUTSIDE.to_string();
    while map.tree.exists(&map.scratch_src.join(&top)) {
        top.push('_');
    }
    let parts = |d: &str| -> Vec<String> {
        d.split('/')
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | '+') {
                            ch
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for d in &dirs {
        let mine = parts(d);
        let mut k = 1;
        let name = loop {
            let tail = mine[mine.len().saturating_sub(k)..].join("/");
            let clash = dirs.iter().any(|o| {
                o != d && {
                    let theirs = parts(o);
                    theirs[theirs.len().saturating_sub(k)..].join("/") == tail
                }
            });
            if !clash || k >= mine.len() {
                break tail;
            }
            k += 1;
        };
        let name = if name.is_empty() { "root".into() } else { name };
        named.insert(d.clone(), format!("{top}/{name}"));
    }
    for d in drafts.iter_mut() {
        if let Some(n) = named.get(&d.dir) {
            d.outside_dir = Some(std::mem::replace(&mut d.dir, n.clone()));
        }
    }
}

/// `--outside external`: the targets outside the tree are dependencies, not targets. Each is
/// keyed by its label (`//dir:name`).
pub(super) fn externals(
    g: &Graph,
    paths: &Paths,
    drafts: &[Draft],
    units: &[Vec<Unit>],
    outside: OutsideAs,
) -> BTreeMap<String, ExternalRef> {
    drafts
        .iter()
        .enumerate()
        .filter(|_| outside == OutsideAs::External)
        .filter_map(|(ti, d)| {
            let dir = d.outside_dir.as_ref()?;
            let mut read: Vec<String> = units[ti]
                .iter()
                .flat_map(|u| g.actions[u.action].inputs.iter())
                .filter(|(e, _)| matches!(e, EdgeKind::Source | EdgeKind::Header))
                .filter_map(|(_, n)| {
                    let node = g.node(*n);
                    Some(format!(
                        "{} {}",
                        paths.loc(node.loc.as_ref()?),
                        node.hash.as_deref().unwrap_or("toolchain")
                    ))
                })
                .collect();
            read.sort();
            read.dedup();
            let hash = confess_shims::token::sha256_hex(read.join("\n").as_bytes());
            Some((
                format!("//{}:{}", d.dir, d.name),
                ExternalRef {
                    name: format!("{dir}:{}", d.name),
                    hash: format!("sha256:{hash}"),
                },
            ))
        })
        .collect()
}
