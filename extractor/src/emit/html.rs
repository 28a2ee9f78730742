//! `report.html`: the confession for a person, in one self-contained file (no network, no
//! script): the summary, the target graph drawn by Graphviz as inline SVG (its nodes link to the
//! targets' sections), a table of the targets, one section per target (sources, headers, typed
//! flags as a command line writes them, deps linked to their targets, generated files with what
//! made them, the commands the target came from), the externals and who needs them, and the
//! warnings (Raw flags, writes outside the trees, network attempts, unobserved reads).

use crate::model::{CFlag, Dep, Generated, LDFlag, Producer, Src, Target};
use crate::targets::{target_ref, Confessed};
use crate::wording::{cflag, compiler, dep, ldflag, triple, words};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escapes text for HTML.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The most targets the report draws. Graphviz's `dot` lays a graph out in time that grows
/// much faster than the graph: measured on this project's synthetic generator's target graphs
/// (one cluster per target), 300 targets took 0.08 s, 1,000 took 3.4 s, 1,500 took 11 s and
/// 2,980 (with 5,000 arrows) 67 s, and a drawing of thousands of boxes shows nothing a person
/// can read. Past this, the report says so and graph.dot keeps the graph.
pub const MAX_DRAWN_TARGETS: usize = 1000;

/// The target graph being drawn, beside the rest of the extraction.
pub struct Drawing(DrawingState);

enum DrawingState {
    Running(std::thread::JoinHandle<Result<String, String>>),
    NotDrawn(String),
}

impl Drawing {
    /// Starts drawing `dot_text`, the graph of `targets` targets, in a thread of its own; none
    /// past [`MAX_DRAWN_TARGETS`].
    #[must_use]
    pub fn start(dot_text: String, targets: usize) -> Drawing {
        if targets > MAX_DRAWN_TARGETS {
            return Drawing(DrawingState::NotDrawn(format!(
                "{targets} targets are more than a drawing shows (past {MAX_DRAWN_TARGETS}, \
                 Graphviz takes minutes to lay them out); graph.dot holds the graph \
                 (`dot -Tsvg graph.dot -o graph.svg` draws it)"
            )));
        }
        Drawing(DrawingState::Running(std::thread::spawn(move || {
            svg(&dot_text)
        })))
    }

    /// The SVG, or why there is none.
    pub fn finish(self) -> Result<String, String> {
        match self.0 {
            DrawingState::Running(h) => h
                .join()
                .unwrap_or_else(|_| Err("drawing the graph failed".to_string())),
            DrawingState::NotDrawn(why) => Err(why),
        }
    }
}

/// The target graph as SVG, drawn by Graphviz's `dot`; or why there is none.
pub fn svg(dot_text: &str) -> Result<String, String> {
    use std::io::Write;
    let dot = which::which("dot").map_err(|_| {
        "Graphviz's dot is not installed (Debian: apt install graphviz)".to_string()
    })?;
    let mut child = std::process::Command::new(&dot)
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", dot.display()))?;
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(dot_text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running {}: {e}", dot.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            dot.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Inline: from the <svg> element on, without the XML prolog and doctype.
    Ok(text
        .find("<svg")
        .map_or(text.to_string(), |i| text[i..].to_string()))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}\
code,pre{font-family:ui-monospace,monospace;font-size:.9em}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}section.target{border-top:2px solid #ddd;margin-top:1.5em;padding-top:.5em}\
.kind{color:#666;font-weight:normal;font-size:.8em}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\
dt{font-weight:bold}dd{margin:0}.raw{background:#fff3cd}.graph svg{max-width:100%;height:auto}\
.warn{color:#8a4b00}:target{background:#eef6ff}";

/// `report.html`. `what` is the summary's first line, `summary` the summary, `graph` the SVG
/// of graph.dot (or why there is none), `warnings` what report.md lists for a person's eye.
#[must_use]
pub fn render(
    c: &Confessed,
    what: &str,
    summary: &str,
    graph: &Result<String, String>,
    warnings: &[(String, String)],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>confess: {}</title><style>{STYLE}</style></head><body>\n",
        esc(what)
    );
    let _ = writeln!(s, "<h1>confess: {}</h1>", esc(what));
    let _ = writeln!(
        s,
        "<nav><a href=\"#graph\">target graph</a> · <a href=\"#targets\">targets</a> · \
         <a href=\"#externals\">externals</a> · <a href=\"#warnings\">warnings</a></nav>"
    );
    // The summary without what the run took (`summary::render` without its work): the page
    // is the same for the same sources, as every output is.
    let _ = writeln!(s, "<pre id=\"summary\">{}</pre>", esc(summary.trim_end()));
    let _ = writeln!(s, "<h2 id=\"graph\">Target graph</h2>");
    match graph {
        Ok(svg) => {
            let _ = writeln!(
                s,
                "<p>One node per target, clustered by the directory that defines it; an arrow \
                 to what a target depends on, an arrow implied by a longer path left out; \
                 externals dashed. A node links to its target. (graph.dot; every artifact: \
                 graph-files.dot.)</p>\n<div class=\"graph\">{svg}</div>"
            );
        }
        Err(why) => {
            let _ = writeln!(s, "<p class=\"warn\">No picture: {}.</p>", esc(why));
        }
    }
    let targets: Vec<(&str, &Target)> = c.targets().collect();
    let _ = writeln!(
        s,
        "<h2 id=\"targets\">Targets ({})</h2>\n<p>Paths are relative to the source root; \
         <code>[build]/</code> marks the build tree.</p>\n<table><tr><th>target</th><th>kind</th>\
         <th>sources</th><th>headers</th><th>deps</th><th>output</th></tr>",
        targets.len()
    );
    for (dir, t) in &targets {
        let n = match &t.srcs {
            Src::Files(f) => f.len(),
            _ => 0,
        };
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{n}</td><td>{}</td><td>{}</td>\
             <td><code>{}</code></td></tr>",
            super::report::anchor(dir, &t.name),
            esc(&target_ref("", dir, &t.name)),
            t.kind.as_str(),
            t.headers.len(),
            t.deps.len(),
            esc(&t.output)
        );
    }
    s.push_str("</table>\n");
    for (dir, t) in &targets {
        target_section(&mut s, c, dir, t);
    }
    externals(&mut s, &targets);
    let _ = writeln!(s, "<h2 id=\"warnings\">Warnings ({})</h2>", warnings.len());
    if warnings.is_empty() {
        s.push_str("<p>None.</p>\n");
    } else {
        s.push_str("<table><tr><th>kind</th><th>what</th></tr>\n");
        for (kind, message) in warnings {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(kind),
                esc(message)
            );
        }
        s.push_str("</table>\n");
    }
    s.push_str("</body></html>\n");
    s
}

fn row(s: &mut String, name: &str, value: &str) {
    let _ = writeln!(s, "<dt>{}</dt><dd>{value}</dd>", esc(name));
}

fn list(s: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<details><summary>{} ({})</summary><ul>",
        esc(title),
        items.len()
    );
    for i in items {
        let _ = writeln!(s, "<li><code>{}</code></li>", esc(i));
    }
    s.push_str("</ul></details>\n");
}

/// Flags as a command line writes them, Raw ones marked.
fn flags(words_of: Vec<(String, bool)>) -> String {
    if words_of.is_empty() {
        return "<em>none</em>".into();
    }
    let parts: Vec<String> = words_of
        .into_iter()
        .map(|(w, raw)| {
            if raw {
                format!(
                    "<span class=\"raw\" title=\"no typed form: kept as Raw\">{}</span>",
                    esc(&w)
                )
            } else {
                esc(&w)
            }
        })
        .collect();
    format!("<code>{}</code>", parts.join(" "))
}

fn target_section(s: &mut String, c: &Confessed, dir: &str, t: &Target) {
    let id = super::report::anchor(dir, &t.name);
    let _ = writeln!(
        s,
        "<section class=\"target\" id=\"{id}\"><h3>{} <span class=\"kind\">{}</span></h3><dl>",
        esc(&target_ref("", dir, &t.name)),
        t.kind.as_str()
    );
    row(s, "output", &format!("<code>{}</code>", esc(&t.output)));
    if let Some(o) = &t.origin {
        row(s, "defined at", &esc(&format!("{}:{}", o.file, o.line)));
    }
    row(
        s,
        "manifests",
        &format!(
            "<code>dhall/{}</code>, <code>dhall/{}</code>",
            esc(&crate::emit::dhall::build_file(dir)),
            esc(&crate::emit::dhall::companion_file(dir))
        ),
    );
    toolchain_rows(s, t);
    let deps: Vec<String> = t.deps.iter().map(|d| dep_link(dir, d)).collect();
    row(
        s,
        "deps",
        &if deps.is_empty() {
            "<em>none</em>".into()
        } else {
            deps.join(", ")
        },
    );
    s.push_str("</dl>\n");
    if let Src::Files(f) = &t.srcs {
        list(s, "sources", f);
    }
    list(s, "headers", &t.headers);
    list(
        s,
        "generated files",
        &t.generated.iter().map(generated).collect::<Vec<_>>(),
    );
    list(s, "commands it came from", &commands(c, dir, t));
    s.push_str("</section>\n");
}

/// Compile flags, their Raw ones marked.
fn cflags(fs: &[CFlag]) -> String {
    flags(
        fs.iter()
            .map(|f| (cflag(f), matches!(f, CFlag::Raw(_))))
            .collect(),
    )
}

/// The rows of a target's toolchain, flags, overrides, assembler calls and link line.
fn toolchain_rows(s: &mut String, t: &Target) {
    let tc = &t.toolchain;
    row(
        s,
        "toolchain",
        &esc(&format!(
            "{} for {}",
            compiler(&tc.compiler),
            triple(&tc.target)
        )),
    );
    row(s, "cflags", &cflags(&tc.cflags));
    if !tc.cxxflags.is_empty() {
        row(s, "cxxflags", &cflags(&tc.cxxflags));
    }
    row(
        s,
        "ldflags",
        &flags(
            tc.ldflags
                .iter()
                .map(|f| {
                    (
                        ldflag(f),
                        matches!(f, LDFlag::Raw(_) | LDFlag::Compiler(CFlag::Raw(_))),
                    )
                })
                .collect(),
        ),
    );
    for o in &t.overrides {
        row(s, &format!("flags for {}", o.src), &cflags(&o.flags));
    }
    for a in &t.assembled {
        row(
            s,
            &format!("assembled {}", a.src),
            &format!("<code>{}</code>", esc(&crate::wording::assembly(a))),
        );
    }
    if !t.link.is_empty() {
        row(
            s,
            "link line",
            &format!(
                "<code>{}</code>",
                esc(&t
                    .link
                    .iter()
                    .map(crate::wording::link_item)
                    .collect::<Vec<_>>()
                    .join(" "))
            ),
        );
    }
}

/// A dep of a target of package `dir`: a link to the target it names, when it is one.
fn dep_link(dir: &str, d: &Dep) -> String {
    match d {
        Dep::Local(r) => match resolve_anchor(dir, r) {
            Some(a) => format!("<a href=\"#{a}\"><code>{}</code></a>", esc(r)),
            None => format!("<code>{}</code>", esc(r)),
        },
        other => format!("<code>{}</code>", esc(&dep(other))),
    }
}

/// A generated file and what made it.
fn generated(g: &Generated) -> String {
    match &g.producer {
        Producer::Program(p) => format!(
            "{} ← {} (in {})",
            g.path,
            words(&std::iter::once(&p.tool).chain(&p.argv).collect::<Vec<_>>()),
            p.cwd
        ),
        Producer::Unrecorded => format!("{} (what made it was not recorded)", g.path),
    }
}

/// The commands a target came from.
fn commands(c: &Confessed, dir: &str, t: &Target) -> Vec<String> {
    c.commands
        .get(&format!("{dir}:{}", t.name))
        .map(|ks| {
            ks.iter()
                .map(|k| {
                    format!(
                        "{} {}: cd {} && {}",
                        k.what.as_str(),
                        k.output,
                        k.cwd,
                        words(&k.argv)
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The anchor of the target a `Local` ref names, seen from package `from`.
fn resolve_anchor(from: &str, r: &str) -> Option<String> {
    let (dir, name) = if let Some(n) = r.strip_prefix(':') {
        (from.to_string(), n.to_string())
    } else {
        let (d, n) = r.strip_prefix("//")?.rsplit_once(':')?;
        (
            if d.is_empty() {
                ".".into()
            } else {
                d.to_string()
            },
            n.to_string(),
        )
    };
    Some(super::report::anchor(&dir, &name))
}

fn externals(s: &mut String, targets: &[(&str, &Target)]) {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (dir, t) in targets {
        for d in &t.deps {
            if !matches!(d, Dep::Local(_)) {
                by.entry(dep(d)).or_default().push(format!(
                    "<a href=\"#{}\">{}</a>",
                    super::report::anchor(dir, &t.name),
                    esc(&target_ref("", dir, &t.name))
                ));
            }
        }
    }
    let _ = writeln!(s, "<h2 id=\"externals\">Externals ({})</h2>", by.len());
    if by.is_empty() {
        s.push_str("<p>None: the targets need nothing from outside the project.</p>\n");
        return;
    }
    s.push_str("<table><tr><th>external</th><th>needed by</th></tr>\n");
    for (e, users) in by {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(&e),
            users.join(", ")
        );
    }
    s.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_is_drawn_up_to_the_most_targets_and_not_past_them() {
        let text = "digraph targets {\n  t0 -> t1;\n}\n";
        let drawn = Drawing::start(text.to_string(), MAX_DRAWN_TARGETS).finish();
        assert!(drawn.expect("Graphviz draws it").contains("<svg"));
        let why = Drawing::start(text.to_string(), MAX_DRAWN_TARGETS + 1)
            .finish()
            .expect_err("not drawn");
        assert!(why.contains("1001 targets"), "{why}");
        assert!(why.contains("graph.dot"), "{why}");
    }
}
