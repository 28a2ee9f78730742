//! Emitters: pure functions from the graph to the output files, in deterministic order.

pub mod compdb;
pub mod dhall;
pub mod dhall_text;
pub mod dot;
pub mod engine_dhall;
pub mod graph_json;
pub mod html;
pub mod report;
pub mod summary;
pub mod text;
