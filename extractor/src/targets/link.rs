//! Link: the link line (or an archive's members) of a target as recorded, each input in its
//! place, with the linker options whose place matters.

use super::artifacts::{Draft, Producers};
use super::grouping::package_dep;
use super::model::{Dep, LinkItem, LinkOption, TargetKind};
use super::{target_ref, Paths};
use crate::graph::{ActionKind, EdgeKind, Graph, NodeId, NodeKind};
use confess_shims::args::ArgKind;
use confess_shims::flags::Meaning;
use std::collections::{BTreeMap, BTreeSet};

/// What the link line of one target is read against.
pub(super) struct Linked<'a> {
    pub g: &'a Graph,
    pub paths: &'a Paths<'a>,
    pub drafts: &'a [Draft],
    pub me: usize,
    pub producer: &'a Producers,
    pub node_target: &'a BTreeMap<NodeId, usize>,
    /// The target's sources, one entry per compile.
    pub srcs: &'a [String],
    pub deps: &'a [Dep],
}

/// The link line (or the archive's members) of a target as recorded: each input in its place,
/// repeated where the build repeated it, with the linker options whose place matters.
pub(super) fn link_line(l: &Linked) -> Vec<LinkItem> {
    let d = &l.drafts[l.me];
    let Some(a) = d.action.map(|i| &l.g.actions[i]) else {
        return Vec::new();
    };
    let inputs: Vec<NodeId> = a
        .inputs
        .iter()
        .filter(|(e, _)| matches!(e, EdgeKind::Input | EdgeKind::Library | EdgeKind::Member))
        .map(|(_, n)| *n)
        .collect();
    let mut line = Line {
        l,
        items: Vec::new(),
        placed_groups: BTreeSet::new(),
    };
    // The driver's arguments give the options' places: each file input and `-l` is the next
    // recorded input. When the two do not line up, the inputs alone keep their order.
    let parsed = a.command.driver();
    let aligned = a.kind == ActionKind::Link
        && parsed.as_ref().is_some_and(|cmd| {
            let files = cmd.inputs.len()
                + cmd
                    .args
                    .iter()
                    .filter(|x| x.kind == ArgKind::Flag(Meaning::Lib))
                    .count();
            files == inputs.len()
        });
    match parsed.filter(|_| aligned) {
        Some(cmd) => {
            let mut next = inputs.iter();
            let mut at_input = cmd.inputs.iter().map(|i| i.arg).peekable();
            for (k, x) in cmd.args.iter().enumerate() {
                if at_input.next_if(|i| *i == k).is_some() || x.kind == ArgKind::Flag(Meaning::Lib)
                {
                    if let Some(n) = next.next() {
                        line.input(*n);
                    }
                    continue;
                }
                let words: Vec<&str> = match x.kind {
                    ArgKind::Flag(Meaning::LinkerArg) => {
                        x.value.as_deref().unwrap_or("").split(',').collect()
                    }
                    ArgKind::Flag(Meaning::Xlinker) => x.value.as_deref().into_iter().collect(),
                    _ => Vec::new(),
                };
                line.items.extend(
                    words
                        .into_iter()
                        .filter_map(LinkOption::of_word)
                        .map(LinkItem::Option),
                );
            }
        }
        None => {
            for n in inputs {
                line.input(n);
            }
        }
    }
    line.items
}

/// A link line as it is written, input by input.
struct Line<'a, 'b> {
    l: &'b Linked<'a>,
    items: Vec<LinkItem>,
    /// The object libraries already on the line.
    placed_groups: BTreeSet<usize>,
}

impl Line<'_, '_> {
    /// Writes one input of the link.
    fn input(&mut self, n: NodeId) {
        let l = self.l;
        let d = &l.drafts[l.me];
        let node = l.g.node(n);
        let here = node.loc.as_ref().map(|loc| l.paths.loc(loc));
        if matches!(
            node.kind,
            NodeKind::Object | NodeKind::Assembly | NodeKind::Relocatable
        ) && self.object(n, here.as_ref())
        {
            return;
        }
        if let Some(u) = l.node_target.get(&n).filter(|u| **u != l.me) {
            let u = &l.drafts[*u];
            self.items.push(LinkItem::Dep(Dep::Local(target_ref(
                &d.dir, &u.dir, &u.name,
            ))));
            return;
        }
        if node.kind == NodeKind::External {
            let name = node.name.clone().unwrap_or_default();
            let dep = match package_dep(l.g, n) {
                Some(Dep::Package(pk)) => l
                    .deps
                    .iter()
                    .find(|x| matches!(x, Dep::Package(q) if q.name == pk.name))
                    .cloned()
                    .unwrap_or(Dep::Package(pk)),
                Some(other) => other,
                None => Dep::Library(name),
            };
            self.items.push(LinkItem::Dep(dep));
            return;
        }
        match here {
            // A file of the project or from outside, taken as it is.
            Some(p) if matches!(node.kind, NodeKind::Object | NodeKind::Relocatable) => {
                self.items.push(LinkItem::Object(p));
            }
            Some(p) => self.items.push(LinkItem::Dep(Dep::File(p))),
            None => {}
        }
    }

    /// Writes an object the project compiled, when the target knows it (as its object library
    /// or its source): whether it did.
    fn object(&mut self, n: NodeId, here: Option<&String>) -> bool {
        let l = self.l;
        let d = &l.drafts[l.me];
        // An object of an object library: the library, where its first object is.
        if let Some(u) = d.uses.iter().find(|u| {
            l.drafts[**u].kind == TargetKind::ObjectLibrary && l.drafts[**u].objects.contains(&n)
        }) {
            if self.placed_groups.insert(*u) {
                self.items.push(LinkItem::Dep(Dep::Local(target_ref(
                    &d.dir,
                    &l.drafts[*u].dir,
                    &l.drafts[*u].name,
                ))));
            }
            return true;
        }
        let src = l.producer.get(&n).and_then(|ai| {
            let c = &l.g.actions[*ai];
            c.inputs
                .iter()
                .find(|(e, _)| *e == EdgeKind::Source)
                .and_then(|(_, s)| l.g.node(*s).loc.as_ref())
                .map(|loc| l.paths.loc(loc))
        });
        if let Some(src) = src.filter(|s| l.srcs.contains(s)) {
            let twice = l.srcs.iter().filter(|s| **s == src).count() > 1;
            self.items.push(match here {
                Some(p) if twice => LinkItem::Object(p.clone()),
                _ => LinkItem::Source(src),
            });
            return true;
        }
        false
    }
}

/// Whether an `-l` library of a link comes from outside the project (a library of the system
/// or of a package), rather than being one of the project's targets.
pub(super) fn outside_library(deps: &[Dep], name: &str) -> bool {
    deps.iter().any(|d| match d {
        Dep::Library(l) => l == name,
        Dep::Package(p) => p.libraries.iter().any(|l| l == name),
        _ => false,
    })
}
