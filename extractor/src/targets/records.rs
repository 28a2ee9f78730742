//! Records: the commands targets came from, the files the build wrote outside its trees, and
//! the calls that looked inside artifacts, as `confess targets` shows them.

use super::{CommandRecord, Inspection, Outside, Paths};
use crate::graph::{Action, ActionKind, Graph, NodeId};
use crate::pathmap::PathMap;
use std::collections::{BTreeMap, BTreeSet};

/// What the sealed build wrote outside the trees, with the artifact each installed file is a
/// copy of.
pub(super) fn outside_writes(g: &Graph, paths: &Paths) -> Vec<Outside> {
    g.outside
        .iter()
        .map(|w| Outside {
            path: w.path.clone(),
            kind: w.kind.clone(),
            step: w.step.clone(),
            artifact: w
                .token
                .as_deref()
                .and_then(|t| g.by_token(t))
                .and_then(|n| g.node(n).loc.as_ref())
                .map(|l| paths.loc(l)),
            target: w.target.clone(),
        })
        .collect()
}

/// The calls that looked inside artifacts, alike ones counted together, sorted.
pub(super) fn inspections(g: &Graph, paths: &Paths) -> Vec<Inspection> {
    let producer: std::collections::HashMap<NodeId, &Action> = g
        .actions
        .iter()
        .flat_map(|a| a.outputs.iter().map(move |o| (*o, a)))
        .collect();
    let mut counted: BTreeMap<(String, String, Vec<String>), (usize, usize)> = BTreeMap::new();
    for look in &g.realized.looks {
        let nodes: Vec<NodeId> = look.tokens.iter().filter_map(|t| g.by_token(t)).collect();
        let inspected: Vec<String> = nodes
            .iter()
            .map(|n| match &g.node(*n).loc {
                Some(l) => paths.loc(l),
                None => g.node(*n).token.clone().unwrap_or_default(),
            })
            .collect();
        let artifacts = if look.how == "answered" {
            0
        } else {
            let mut seen = BTreeSet::new();
            let mut todo = nodes.clone();
            while let Some(n) = todo.pop() {
                if g.node(n).token.is_none() || !seen.insert(n) {
                    continue;
                }
                if let Some(a) = producer.get(&n) {
                    todo.extend(a.inputs.iter().map(|(_, i)| *i));
                }
            }
            seen.len()
        };
        let e = counted
            .entry((look.tool.clone(), look.how.clone(), inspected))
            .or_insert((artifacts, 0));
        e.1 += 1;
    }
    counted
        .into_iter()
        .map(|((tool, how, inspected), (artifacts, calls))| Inspection {
            tool,
            how,
            inspected,
            artifacts,
            calls,
        })
        .collect()
}

/// A command as the targets show it: its words with scratch paths mapped out.
pub(super) fn record(g: &Graph, map: &PathMap, paths: &Paths, a: &Action) -> CommandRecord {
    let mut argv: Vec<String> = a.argv.iter().map(|w| paths.text(w)).collect();
    if let Some(a0) = argv.first_mut() {
        if a.kind != ActionKind::Run {
            *a0 = map.map_tool(a0);
        }
    }
    CommandRecord {
        what: a.kind,
        output: a
            .outputs
            .first()
            .and_then(|o| g.node(*o).loc.as_ref())
            .map(|l| paths.loc(l))
            .unwrap_or_default(),
        cwd: paths.loc(&a.cwd),
        argv,
    }
}
