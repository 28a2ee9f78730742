//! confess: makes legacy C/C++ builds confess their dependency graphs.
//!
//! Drivers run the project's own build from a scratch copy with shims in place of the
//! toolchain; the shims record events and write GraphNode tokens; this crate reads those facts
//! back into a graph and writes compile_commands.json, graph.json, graph.dot and a summary.

pub mod buildtree;
pub mod cli;
pub mod confession;
pub mod diff;
pub mod drivers;
pub mod emit;
pub mod engine;
pub mod error;
pub mod explain;
pub mod graph;
pub mod interpret;
pub mod interrupt;
pub mod model;
pub mod options;
pub mod outdir;
pub mod pathmap;
pub mod progress;
pub mod sbom;
pub mod scratch;
pub mod seal;
pub mod targets;
pub mod tree;
pub mod verify;
pub mod walk;
pub mod watch;
pub mod wording;
pub mod workcache;
