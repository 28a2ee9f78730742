//! `graph.json`: nodes, actions and edges. The schema is docs/graph.schema.json and is
//! described in docs/outputs.md. Written by streaming typed records (no JSON tree in memory:
//! a graph of thousands of compiles has tens of thousands of edges).

use crate::graph::{Action, EdgeKind, Graph, Node, NodeKind};
use crate::pathmap::{Loc, PathMap, Root};
use confess_shims::raw;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::Write;

pub const SCHEMA_ID: &str = "confess-graph/1";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    roots: Roots,
    nodes: Nodes<'a>,
    actions: Actions<'a>,
    edges: Edges<'a>,
    packages: &'a [crate::graph::Package],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outside_writes: Vec<OutsideWrite<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    network_attempts: &'a [crate::seal::NetworkAttempts],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    outside_reads: &'a [crate::seal::OutsideRead],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    reads_unobserved: &'a [String],
}

/// A file the sealed build wrote outside the trees, with the node it is a copy of.
#[derive(Serialize)]
struct OutsideWrite<'a> {
    path: &'a str,
    kind: &'a str,
    step: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
}

#[derive(Serialize)]
struct Roots {
    source: String,
    build: Option<String>,
    generated: String,
}

#[derive(Serialize)]
struct NodeOut<'a> {
    id: u32,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    root: Option<Root>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_at: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
}

struct Nodes<'a>(&'a [Node], &'a PathMap);

impl Serialize for Nodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            let loc = n.loc.as_ref();
            seq.serialize_element(&NodeOut {
                id: n.id.0,
                kind: n.kind.as_str(),
                root: loc.map(|l| l.root),
                path: loc.map(|l| l.path.as_str()),
                name: n.name.as_deref(),
                token: n.token.as_deref(),
                hash: n.hash.as_deref(),
                written: (n.kind.is_artifact() && n.loc.is_none()).then_some(false),
                kept_at: (n.kind == NodeKind::Generated)
                    .then(|| {
                        loc.map(|l| {
                            let kept = self.1.generated_dir.join(raw::path(&l.path));
                            raw::text_path(&kept).into_owned()
                        })
                    })
                    .flatten(),
                aliases: &n.aliases,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct InputOut {
    edge: EdgeKind,
    node: u32,
}

#[derive(Serialize)]
struct ActionOut<'a> {
    id: u32,
    kind: crate::graph::ActionKind,
    role: &'a str,
    cwd: &'a Loc,
    argv: Vec<String>,
    inputs: Vec<InputOut>,
    outputs: Vec<u32>,
}

struct Actions<'a>(&'a [Action], &'a Graph, &'a PathMap);

impl Serialize for Actions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&ActionOut {
                id: a.id.0,
                kind: a.kind,
                role: &a.role,
                cwd: &a.cwd,
                argv: a
                    .argv
                    .iter()
                    .enumerate()
                    .map(|(i, w)| match i {
                        0 => self.2.map_tool(w),
                        _ => self.2.map_word(w, &self.1.generated),
                    })
                    .collect(),
                inputs: a
                    .inputs
                    .iter()
                    .map(|(e, n)| InputOut {
                        edge: *e,
                        node: n.0,
                    })
                    .collect(),
                outputs: a.outputs.iter().map(|n| n.0).collect(),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct EdgeOut {
    from: u32,
    to: u32,
    kind: EdgeKind,
    action: u32,
}

struct Edges<'a>(&'a [Action]);

impl Serialize for Edges<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for a in self.0 {
            for (e, from) in &a.inputs {
                for to in &a.outputs {
                    seq.serialize_element(&EdgeOut {
                        from: from.0,
                        to: to.0,
                        kind: *e,
                        action: a.id.0,
                    })?;
                }
            }
        }
        seq.end()
    }
}

/// Writes graph.json to `w`.
pub fn write(
    w: impl Write,
    g: &Graph,
    map: &PathMap,
    build_root: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let doc = Doc {
        schema: SCHEMA_ID,
        roots: Roots {
            source: raw::text_path(&map.user_src).into_owned(),
            build: build_root.map(|p| raw::text_path(p).into_owned()),
            generated: raw::text_path(&map.generated_dir).into_owned(),
        },
        nodes: Nodes(&g.nodes, map),
        actions: Actions(&g.actions, g, map),
        edges: Edges(&g.actions),
        packages: &g.packages,
        outside_writes: g
            .outside
            .iter()
            .map(|w| OutsideWrite {
                path: &w.path,
                kind: &w.kind,
                step: &w.step,
                node: w.token.as_deref().and_then(|t| g.by_token(t)).map(|n| n.0),
                target: w.target.as_deref(),
            })
            .collect(),
        network_attempts: &g.network,
        outside_reads: &g.reads,
        reads_unobserved: &g.reads_unobserved,
    };
    let mut w = std::io::BufWriter::new(w);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}
