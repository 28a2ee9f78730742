//! A canonical text form of the graph, one action per paragraph, sorted: the form of the
//! expected graphs beside the fixtures (`expected.graph`), and easy to diff. System headers
//! are left out, since they depend on the machine; scratch paths read `$SRC` and `$BUILD`.

use crate::graph::{ActionKind, EdgeKind, Graph};
use crate::pathmap::{PathMap, Root};
use std::fmt::Write as _;

fn loc_text(g: &Graph, n: crate::graph::NodeId) -> Option<String> {
    let node = g.node(n);
    match (&node.loc, &node.name) {
        (Some(l), _) if l.root == Root::System => None,
        (Some(l), _) => Some(l.to_string()),
        (None, Some(name)) if name.starts_with('/') => Some(name.clone()),
        (None, Some(name)) => Some(format!("-l{name}")),
        (None, None) => {
            // An object a compile-and-link call made without writing it: name it by its source.
            let src = g
                .producer(n)
                .and_then(|a| a.inputs.iter().find(|(e, _)| *e == EdgeKind::Source))
                .and_then(|(_, s)| g.node(*s).loc.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default();
            Some(format!("({} of {src})", node.kind.as_str()))
        }
    }
}

pub fn render(g: &Graph, map: &PathMap) -> String {
    let src = confess_shims::raw::text_path(&map.scratch_src);
    let build = confess_shims::raw::text_path(&map.scratch_build);
    let mut paras: Vec<String> = Vec::new();
    for a in &g.actions {
        let kind = match a.kind {
            ActionKind::Compile => "compile",
            ActionKind::Assemble => "assemble",
            ActionKind::Archive => "archive",
            ActionKind::Link => "link",
            ActionKind::Run => "run",
        };
        let outs: Vec<String> = a.outputs.iter().filter_map(|o| loc_text(g, *o)).collect();
        let mut p = format!("{kind} {} -> {}\n", a.role, outs.join(" "));
        // The tool as named (its base name: a scratch path to a shim would not be stable).
        let tool = a.argv.first().map(|a0| {
            std::path::Path::new(a0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let argv: Vec<String> = tool
            .into_iter()
            .chain(a.argv.iter().skip(1).map(|w| {
                // Stub directories of made-up packages, named where the output keeps them.
                let mut w = w.replace(&*build, "$BUILD").replace(&*src, "$SRC");
                for (from, to) in &map.extra {
                    let name = confess_shims::raw::text_os(to.file_name().unwrap_or_default());
                    let from = confess_shims::raw::text_path(from);
                    w = w.replace(&*from, &format!("$OUT/{name}"));
                }
                w
            }))
            .collect();
        if a.kind != ActionKind::Run {
            let _ = writeln!(
                p,
                "  argv {}",
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_default()
            );
        }
        let mut ins: Vec<String> = Vec::new();
        for (e, n) in &a.inputs {
            if let Some(t) = loc_text(g, *n) {
                let e = match e {
                    EdgeKind::Source => "source",
                    EdgeKind::Header => "header",
                    EdgeKind::Input => "input",
                    EdgeKind::Library => "library",
                    EdgeKind::Member => "member",
                    EdgeKind::Program => "program",
                };
                ins.push(format!("  {e} {t}\n"));
            }
        }
        // Order of objects on a link line matters; headers' order does not.
        if a.kind == ActionKind::Compile {
            ins.sort();
        }
        for i in ins {
            p.push_str(&i);
        }
        paras.push(p);
    }
    paras.sort();
    paras.dedup();
    paras.join("\n")
}
