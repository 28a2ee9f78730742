//! `graph.json`: nodes and the actions between them. The schema is docs/graph.schema.json and
//! is described in docs/outputs.md. Written by streaming typed records (no JSON tree in
//! memory: a graph of thousands of compiles has hundreds of thousands of inputs), one node or
//! action a line. An action's headers are a list of node ids: they are most of the graph's
//! inputs, and each would otherwise be an object of its own.

use crate::graph::{Action, EdgeKind, Graph, Node, NodeKind};
use crate::pathmap::{Loc, PathMap, Root};
use confess_shims::raw;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::Write;

pub const SCHEMA_ID: &str = "confess-graph/2";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    roots: Roots,
    nodes: Nodes<'a>,
    actions: Actions<'a>,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headers: Vec<u32>,
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
                    .filter(|(e, _)| *e != EdgeKind::Header)
                    .map(|(e, n)| InputOut {
                        edge: *e,
                        node: n.0,
                    })
                    .collect(),
                headers: a
                    .inputs
                    .iter()
                    .filter(|(e, _)| *e == EdgeKind::Header)
                    .map(|(_, n)| n.0)
                    .collect(),
                outputs: a.outputs.iter().map(|n| n.0).collect(),
            })?;
        }
        seq.end()
    }
}

/// graph.json read back (`confess verify` reads it): its roots, nodes and actions, typed as
/// they are written (the fields no reader takes are passed over).
#[derive(serde::Deserialize, Debug)]
pub struct Read {
    pub schema: String,
    pub roots: RootsIn,
    pub nodes: Vec<NodeIn>,
    pub actions: Vec<ActionIn>,
}

#[derive(serde::Deserialize, Debug)]
pub struct RootsIn {
    pub source: Option<String>,
    /// The build root of an in-source build (laid over the sources); none out of tree.
    pub build: Option<String>,
    pub generated: Option<String>,
}

#[derive(serde::Deserialize, Debug)]
pub struct NodeIn {
    pub id: u32,
    pub kind: NodeKind,
    pub root: Option<Root>,
    pub path: Option<String>,
}

#[derive(serde::Deserialize, Debug)]
pub struct InputIn {
    pub edge: EdgeKind,
    pub node: u32,
}

#[derive(serde::Deserialize, Debug)]
pub struct ActionIn {
    pub id: u32,
    pub kind: crate::graph::ActionKind,
    pub role: String,
    pub cwd: Loc,
    pub argv: Vec<String>,
    pub inputs: Vec<InputIn>,
    #[serde(default)]
    pub headers: Vec<u32>,
    pub outputs: Vec<u32>,
}

impl Read {
    /// Reads the graph.json at `path` (of this version's schema).
    pub fn load(path: &std::path::Path) -> crate::error::Result<Read> {
        let g: Read = crate::error::Error::read_json(path)?;
        if g.schema != SCHEMA_ID {
            return Err(crate::error::Error::Store {
                path: path.to_path_buf(),
                reason: format!(
                    "schema {:?}, and this confess reads {SCHEMA_ID:?}: confess the project \
                     again (or `confess extract --from` its output directory)",
                    g.schema
                ),
            });
        }
        Ok(g)
    }

    /// The node `id`.
    #[must_use]
    pub fn node(&self, id: u32) -> Option<&NodeIn> {
        self.nodes.get(id as usize).filter(|n| n.id == id)
    }

    /// The node's path as the manifests write it: `[build]/PATH` in the build tree, `.` for
    /// the top of the sources, a source or system path as it is.
    #[must_use]
    pub fn node_path(&self, id: u32) -> Option<String> {
        let n = self.node(id)?;
        let p = n.path.as_deref()?;
        Some(match n.root? {
            Root::Build if p.is_empty() => "[build]".to_string(),
            Root::Build => format!("[build]/{p}"),
            Root::Source if p.is_empty() => ".".to_string(),
            _ => p.to_string(),
        })
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
    let mut ser = serde_json::Serializer::with_formatter(&mut w, Lines::default());
    doc.serialize(&mut ser)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// JSON laid out a record a line: the document's fields each on a line, and each element of
/// its lists (a node, an action) on a line of its own; what is inside a record stays on its
/// line. As readable as pretty printing for `grep` and `diff`, at a third of the size.
#[derive(Default)]
struct Lines {
    depth: usize,
    /// Whether the list or record being written has an element yet (as serde_json's pretty
    /// formatter: an empty one closes on its line).
    has_value: bool,
}

impl Lines {
    /// Records nest from depth 1 (the document); those at depth 2 and above share a line.
    const LINED: usize = 2;

    fn newline<W: ?Sized + Write>(w: &mut W, depth: usize) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.depth < Self::LINED && self.has_value {
            Self::newline(w, self.depth)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= Self::LINED {
            Self::newline(w, self.depth)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Lines {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.depth <= Self::LINED {
            b": "
        } else {
            b":"
        })
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Lines::default());
        v.serialize(&mut ser).expect("serialize");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_record_a_line_reads_back_the_same() {
        let v = serde_json::json!({
            "schema": "s",
            "roots": {"source": "/a", "build": null},
            "nodes": [{"id": 0, "aliases": ["x", "y"]}, {"id": 1, "cwd": {"path": ""}}],
            "packages": [],
            "empty": {},
        });
        let text = lines(&v);
        // (A JSON value's keys come sorted.)
        assert_eq!(
            text,
            "{\n  \"empty\": {},\n  \"nodes\": [\n    {\"aliases\":[\"x\",\"y\"],\"id\":0},\n    \
             {\"cwd\":{\"path\":\"\"},\"id\":1}\n  ],\n  \"packages\": [],\n  \"roots\": {\n    \
             \"build\": null,\n    \"source\": \"/a\"\n  },\n  \"schema\": \"s\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, v);
    }
}
