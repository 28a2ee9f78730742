//! Grouping: the inputs of each artifact (its objects, the project's libraries it uses,
//! externals and other files), and the object libraries that objects several artifacts share
//! (or a build system's object libraries) form.

use super::artifacts::{Draft, Producers};
use super::model::{Dep, ExternalRef, PackageMethod, PackageRef, TargetKind};
use super::names::{self, Names};
use super::Paths;
use crate::graph::{EdgeKind, Graph, Node, NodeId, NodeKind};
use crate::pathmap::Root;
use std::collections::{BTreeMap, BTreeSet};

/// The drafts that take each object, in draft order.
pub(super) type Consumers = BTreeMap<NodeId, Vec<usize>>;

/// Inputs of each artifact: objects, libraries of the project, externals, other files. Returns
/// the drafts each object went into.
pub(super) fn gather_inputs(
    g: &Graph,
    paths: &Paths,
    producer: &Producers,
    node_target: &BTreeMap<NodeId, usize>,
    drafts: &mut [Draft],
) -> Consumers {
    let mut consumers: Consumers = BTreeMap::new();
    for (t, d) in drafts.iter_mut().enumerate() {
        let Some(a) = d.action.map(|i| &g.actions[i]) else {
            continue;
        };
        for (edge, n) in &a.inputs {
            let node = g.node(*n);
            match node.kind {
                NodeKind::Object | NodeKind::Assembly | NodeKind::Relocatable
                    if producer.contains_key(n) =>
                {
                    // An object named twice on a link line is one input.
                    if d.objects.contains(n) {
                        continue;
                    }
                    d.objects.push(*n);
                    consumers.entry(*n).or_default().push(t);
                }
                NodeKind::Archive | NodeKind::SharedLibrary | NodeKind::Executable => {
                    match node_target.get(n) {
                        Some(u) if *u != t => {
                            if !d.uses.contains(u) {
                                d.uses.push(*u);
                            }
                        }
                        Some(_) => {}
                        None => file_dep(paths, node, &mut d.deps, &mut d.requires),
                    }
                }
                NodeKind::External => external_dep(g, *n, &mut d.deps),
                _ if matches!(edge, EdgeKind::Input | EdgeKind::Library | EdgeKind::Member) => {
                    file_dep(paths, node, &mut d.deps, &mut d.requires);
                }
                _ => {}
            }
        }
    }
    consumers
}

/// An external library a link reads, added to the deps: one dep per package, listing each of
/// its libraries the link reads.
fn external_dep(g: &Graph, n: NodeId, deps: &mut Vec<Dep>) {
    let name = g.node(n).name.clone().unwrap_or_default();
    match package_dep(g, n) {
        Some(Dep::Package(pk)) => {
            let same = deps.iter_mut().find_map(|x| match x {
                Dep::Package(q) if q.name == pk.name => Some(q),
                _ => None,
            });
            let q = if let Some(q) = same {
                q
            } else {
                deps.push(Dep::Package(pk));
                let Some(Dep::Package(q)) = deps.last_mut() else {
                    return;
                };
                q
            };
            if !name.is_empty() && !q.libraries.contains(&name) {
                q.libraries.push(name);
            }
        }
        dep => {
            let dep = dep.unwrap_or(Dep::Library(name));
            if !deps.contains(&dep) {
                deps.push(dep);
            }
        }
    }
}

/// Objects that several artifacts share, and the objects of a build system's object
/// libraries, form object libraries of their own: new drafts, used by the drafts that took
/// those objects.
pub(super) fn object_libraries(
    g: &Graph,
    paths: &Paths,
    names: &Names,
    consumers: &Consumers,
    drafts: &mut Vec<Draft>,
) {
    let mut groups: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
    let mut group_named: BTreeMap<String, names::Named> = BTreeMap::new();
    for (obj, users) in consumers {
        let at = g.node(*obj).loc.as_ref().map(|l| paths.loc(l));
        if let Some(named) = at.as_deref().and_then(|p| names.object_library(p)) {
            let key = format!("named:{}/{}", named.dir, named.name);
            groups.entry(key.clone()).or_default().push(*obj);
            group_named.insert(key, named.clone());
        } else if users.len() > 1 {
            let key = format!("shared:{users:?}");
            groups.entry(key).or_default().push(*obj);
        }
    }
    for (key, objs) in &groups {
        let idx = drafts.len();
        let mut users: Vec<usize> = Vec::new();
        for o in objs {
            for u in &consumers[o] {
                if !users.contains(u) {
                    users.push(*u);
                }
            }
        }
        for u in users {
            drafts[u].objects.retain(|o| !objs.contains(o));
            drafts[u].uses.insert(0, idx);
        }
        let first = objs
            .iter()
            .filter_map(|o| g.node(*o).loc.as_ref())
            .map(|l| paths.loc(l))
            .next()
            .unwrap_or_default();
        let mut d = Draft::new(TargetKind::ObjectLibrary, first);
        d.objects.clone_from(objs);
        d.named = group_named.get(key).cloned();
        drafts.push(d);
    }
}

/// A library or file the project does not build, used by path.
fn file_dep(paths: &Paths, node: &Node, deps: &mut Vec<Dep>, requires: &mut BTreeSet<String>) {
    let Some(loc) = &node.loc else { return };
    let p = paths.loc(loc);
    if loc.root == Root::System {
        requires.insert(p.clone());
    }
    let dep = Dep::File(p);
    if !deps.contains(&dep) {
        deps.push(dep);
    }
}

/// The package an external library belongs to, when the build asked for one.
pub(super) fn package_dep(g: &Graph, n: NodeId) -> Option<Dep> {
    let p = g.packages.iter().find(|p| p.externals.contains(&n.0))?;
    Some(match p.method.as_str() {
        "pkg-config" => Dep::PkgConfig(p.name.clone()),
        "FetchContent" => Dep::External(ExternalRef {
            hash: p.hash.clone().unwrap_or_default(),
            name: p.name.clone(),
        }),
        _ => Dep::Package(PackageRef {
            name: p.name.clone(),
            method: PackageMethod::FindPackage,
            version: p.version.clone(),
            libraries: Vec::new(),
        }),
    })
}
