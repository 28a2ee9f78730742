//! `graph.dot`: the artifact graph for Graphviz. Headers are left out (they would drown the
//! picture); graph.json has them.

use crate::graph::{Graph, NodeKind};
use std::fmt::Write as _;

fn shape(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Source | NodeKind::Header => "note",
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
        NodeKind::MissingHeader => "note",
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

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
