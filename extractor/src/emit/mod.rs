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

/// Writes `value` to `path` as pretty JSON and a final newline, streamed (at a hundred thousand
/// sources targets.json and the command databases are tens of megabytes).
pub fn write_pretty_json<T: serde::Serialize + ?Sized>(
    path: &std::path::Path,
    value: &T,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")?;
    w.flush()
}
