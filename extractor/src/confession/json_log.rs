//! The JSON log (`--json-log`): every call the shims recorded with its decision, the warnings,
//! and the exit code with the summary's counts, after the run's own events.

use crate::emit;
use crate::error::Error;
use crate::graph::{Confession, Graph};
use crate::progress::EventLog;
use std::path::PathBuf;

/// Finishes the log: the calls, the warnings, the build's error if it failed, and the end.
/// Gives the log's text.
pub(super) fn render(
    events: &mut EventLog,
    conf: &Confession,
    pairs: &[(PathBuf, PathBuf)],
    graph: &Graph,
    confessed: &crate::targets::Confessed,
    failure: Option<&Error>,
) -> String {
    log_calls(events, conf, pairs);
    log_warnings(events, graph, confessed);
    let exit = match (failure, &confessed.engine_lacks) {
        (Some(e), _) => {
            events.push(
                "error",
                events.now(),
                serde_json::json!({"message": e.to_string()}),
            );
            e.exit_code()
        }
        (None, Some(_)) => 8,
        (None, None) => 0,
    };
    events.push("end", events.now(), end_counts(graph, exit));
    events.render()
}

/// Nanoseconds as seconds, rounded to the millisecond.
#[allow(clippy::cast_precision_loss)] // reason: a build's nanoseconds stay far below 2^52 (52 days)
fn secs_of_ns(ns: i64) -> f64 {
    (ns.max(0) as f64 / 1e6).round() / 1e3
}

/// Every call the shims recorded, with its decision, for the JSON log: paths as every output
/// names them (the user's tree, `[scratch]` for what was only in the scratch directory).
fn log_calls(events: &mut EventLog, conf: &Confession, pairs: &[(PathBuf, PathBuf)]) {
    let m = |t: &str| crate::scratch::map_text(t, pairs);
    let started = events.started_ns();
    let mut calls: Vec<&confess_shims::events::Event> =
        conf.events.iter().map(|(_, e)| e).collect();
    calls.sort_by_key(|e| (e.start_ns, e.pid));
    for e in calls {
        let t = secs_of_ns(e.start_ns - started);
        events.push(
            "call",
            t,
            serde_json::json!({
                "phase": e.phase,
                "decision": e.decision,
                "role": e.role,
                "tool": m(&e.tool),
                "cwd": m(&e.cwd),
                "argv": e.argv.iter().map(|a| m(a)).collect::<Vec<_>>(),
                "outputs": e.outputs.iter().map(|a| m(a)).collect::<Vec<_>>(),
                "exit_status": e.exit_status,
                "secs": secs_of_ns(e.end_ns - e.start_ns),
            }),
        );
    }
}

/// What needs a person's eye, one warning each, for the JSON log.
fn log_warnings(events: &mut EventLog, graph: &Graph, confessed: &crate::targets::Confessed) {
    let t = events.now();
    for w in emit::report::warnings(graph, confessed) {
        events.push(
            "warning",
            t,
            serde_json::json!({"kind": w.kind, "message": w.message, "detail": w.detail}),
        );
    }
}

/// The last event of the JSON log: the exit code and the summary's counts.
fn end_counts(g: &Graph, exit: i32) -> serde_json::Value {
    use crate::graph::ActionKind;
    let count = |k: ActionKind| g.actions.iter().filter(|a| a.kind == k).count();
    serde_json::json!({
        "exit": exit,
        "translation_units": count(ActionKind::Compile) + count(ActionKind::Assemble),
        "archives": count(ActionKind::Archive),
        "links": count(ActionKind::Link),
        "programs_run": count(ActionKind::Run),
        "generated_files": g.generated.len(),
        "realized": g.realized.artifacts,
        "realized_from_cache": g.realized.cached,
        "probes_from_cache": g.probes.hits,
        "probes_stored": g.probes.stored,
        "scans_from_cache": g.probes.scan_hits,
        "scans_stored": g.probes.scans_stored,
    })
}
