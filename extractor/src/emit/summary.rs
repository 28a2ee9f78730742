//! The one-screen summary printed after a confession.

use crate::graph::{ActionKind, Graph, NodeKind};
use std::fmt::Write as _;

pub struct Timing {
    pub build_secs: f64,
    pub extract_secs: f64,
}

/// The summary. `work` is what this run took (its times, and how much it realized and took
/// from the work cache); without it, the summary says only what the confession is, the same
/// for the same sources (report.html's).
#[must_use]
pub fn render(g: &Graph, what: &str, work: Option<&Timing>, out_dir: &std::path::Path) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "confess: {what}");
    if let Some(t) = work {
        let _ = writeln!(
            s,
            "  build phase           {:.3} s, extraction {:.3} s",
            t.build_secs, t.extract_secs
        );
    }
    counts(&mut s, g);
    realized(&mut s, g, work.is_some());
    calls(&mut s, g, work.is_some());
    unknown_and_unparsed(&mut s, g);
    let _ = writeln!(
        s,
        "  output                {}",
        confess_shims::raw::text_path(out_dir)
    );
    s
}

/// The graph's actions and nodes by kind: translation units, archives, links, externals,
/// generated files, packages, programs run.
fn counts(s: &mut String, g: &Graph) {
    let count = |k: ActionKind| g.actions.iter().filter(|a| a.kind == k).count();
    let links = |k: NodeKind| {
        g.actions
            .iter()
            .filter(|a| {
                a.kind == ActionKind::Link && a.outputs.iter().any(|o| g.node(*o).kind == k)
            })
            .count()
    };
    let externals: Vec<&str> = g
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::External)
        .filter_map(|n| n.name.as_deref())
        .collect();
    let _ = writeln!(
        s,
        "  translation units     {}",
        count(ActionKind::Compile) + count(ActionKind::Assemble)
    );
    let _ = writeln!(s, "  archives              {}", count(ActionKind::Archive));
    let _ = writeln!(
        s,
        "  links                 {} ({} executables, {} shared libraries, {} relocatable)",
        count(ActionKind::Link),
        links(NodeKind::Executable),
        links(NodeKind::SharedLibrary),
        links(NodeKind::Relocatable)
    );
    let _ = writeln!(
        s,
        "  externals             {}{}",
        externals.len(),
        list(&externals)
    );
    let gen: Vec<&str> = g.generated.iter().map(String::as_str).collect();
    let _ = writeln!(s, "  generated files       {}{}", gen.len(), list(&gen));
    if !g.packages.is_empty() {
        let pk: Vec<String> = g
            .packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.resolved))
            .collect();
        let pk: Vec<&str> = pk.iter().map(String::as_str).collect();
        let _ = writeln!(
            s,
            "  packages asked for    {}{}",
            g.packages.len(),
            list(&pk)
        );
    }
    let _ = writeln!(s, "  programs run          {}", count(ActionKind::Run));
}

/// What the confession realized or inspected, and what it answered from tokens.
fn realized(s: &mut String, g: &Graph, worked: bool) {
    let r = &g.realized;
    let mut said = Vec::new();
    for (how, words) in [
        ("realized", "inspections"),
        ("answered", "answered from tokens"),
    ] {
        let by_tool: Vec<String> = r
            .by_tool(how)
            .iter()
            .map(|(tool, n)| format!("{tool} {n}"))
            .collect();
        if !by_tool.is_empty() {
            said.push(format!("{words}: {}", by_tool.join(", ")));
        }
    }
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(" ({})", said.join("; "))
    };
    if worked {
        let _ = writeln!(
            s,
            "  realized              {} artifacts{}, {:.1} s of real tools{said}",
            r.artifacts,
            if r.cached > 0 {
                format!(" ({} from the work cache)", r.cached)
            } else {
                String::new()
            },
            r.secs,
        );
    } else {
        let _ = writeln!(s, "  inspected             {}{said}", r.looks.len());
    }
}

/// The calls of the configure phase, the confessed calls and those passed to the real tools.
fn calls(s: &mut String, g: &Graph, worked: bool) {
    let configure: usize = g
        .passthrough
        .iter()
        .filter(|(k, _)| k.starts_with("configure:"))
        .map(|(_, v)| v)
        .sum();
    let passed: Vec<String> = g
        .passthrough
        .iter()
        .filter(|(k, _)| k.starts_with("build:"))
        .map(|(k, v)| format!("{} {v}", k.trim_start_matches("build:passthrough:")))
        .collect();
    let passed_n: usize = g
        .passthrough
        .iter()
        .filter(|(k, _)| k.starts_with("build:"))
        .map(|(_, v)| v)
        .sum();
    let from_cache = if worked && g.probes.hits > 0 {
        format!(" ({} answered from the work cache)", g.probes.hits)
    } else {
        String::new()
    };
    let _ = writeln!(s, "  configure-phase calls {configure}{from_cache}");
    let scans = if worked && g.probes.scan_hits > 0 {
        format!(" ({} header scans from the work cache)", g.probes.scan_hits)
    } else {
        String::new()
    };
    let _ = writeln!(s, "  confessed calls       {}{scans}", g.confessed_calls);
    let _ = writeln!(
        s,
        "  real-tool calls       {passed_n}{}",
        if passed.is_empty() {
            String::new()
        } else {
            format!(" ({})", passed.join(", "))
        }
    );
}

/// The flags confess did not know, and the commands that did not parse.
fn unknown_and_unparsed(s: &mut String, g: &Graph) {
    let unknown: Vec<String> = g
        .unknown_flags
        .iter()
        .map(|(k, v)| format!("{k} x{v}"))
        .collect();
    let _ = writeln!(
        s,
        "  unknown flags         {}{}",
        unknown.len(),
        if unknown.is_empty() {
            String::new()
        } else {
            format!(" ({})", unknown.join(", "))
        }
    );
    // Only when there are some: a command that does not parse is rare, and said.
    let unparsed = g
        .actions
        .iter()
        .filter(|a| matches!(a.command, crate::graph::Parsed::Unparsed(_)))
        .count();
    if unparsed > 0 {
        let _ = writeln!(
            s,
            "  commands not parsed   {unparsed} (kept as they ran; report.html says which)"
        );
    }
}

fn list(items: &[&str]) -> String {
    const MAX: usize = 6;
    if items.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = items.iter().take(MAX).copied().collect();
    let more = if items.len() > MAX {
        format!(", +{} more", items.len() - MAX)
    } else {
        String::new()
    };
    format!(" ({}{more})", shown.join(", "))
}
