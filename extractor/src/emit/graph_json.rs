//! `graph.json`: nodes, actions and edges. The schema is docs/graph.schema.json and is
//! described in docs/outputs.md.

use crate::graph::{Graph, NodeKind};
use crate::pathmap::PathMap;
use serde_json::{json, Value};

pub const SCHEMA_ID: &str = "confess-graph/1";

pub fn render(g: &Graph, map: &PathMap, build_root: Option<&std::path::Path>) -> String {
    let nodes: Vec<Value> = g
        .nodes
        .iter()
        .map(|n| {
            let mut v = json!({ "id": n.id.0, "kind": n.kind.as_str() });
            if let Some(l) = &n.loc {
                v["root"] = json!(l.root);
                v["path"] = json!(l.path);
            }
            if let Some(name) = &n.name {
                v["name"] = json!(name);
            }
            if let Some(t) = &n.token {
                v["token"] = json!(t);
            }
            if let Some(h) = &n.hash {
                v["hash"] = json!(h);
            }
            if n.kind.is_artifact() && n.loc.is_none() {
                v["written"] = json!(false);
            }
            if n.kind == NodeKind::Generated {
                if let Some(l) = &n.loc {
                    v["kept_at"] = json!(map.generated_dir.join(&l.path).display().to_string());
                }
            }
            v
        })
        .collect();
    let actions: Vec<Value> = g
        .actions
        .iter()
        .map(|a| {
            json!({
                "id": a.id.0,
                "kind": a.kind,
                "role": a.role,
                "cwd": a.cwd,
                "argv": a.argv.iter().map(|w| map.map_word(w, &g.generated)).collect::<Vec<_>>(),
                "inputs": a.inputs.iter().map(|(e, n)| json!({"edge": e, "node": n.0})).collect::<Vec<_>>(),
                "outputs": a.outputs.iter().map(|n| n.0).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut edges: Vec<Value> = Vec::new();
    for a in &g.actions {
        for (e, from) in &a.inputs {
            for to in &a.outputs {
                edges.push(json!({"from": from.0, "to": to.0, "kind": e, "action": a.id.0}));
            }
        }
    }
    let doc = json!({
        "schema": SCHEMA_ID,
        "roots": {
            "source": map.user_src.display().to_string(),
            "build": build_root.map(|p| p.display().to_string()),
            "generated": map.generated_dir.display().to_string(),
        },
        "nodes": nodes,
        "actions": actions,
        "edges": edges,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
