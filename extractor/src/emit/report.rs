//! report.md: what a reviewer of the manifests should look at. Every `Raw` flag (the escape
//! hatch of the typed flags) is counted and listed with the target, the place and the command
//! it came from; so are Filesystem requirements, generated files with no recorded producer, and
//! the programs the build made and deleted again.

use crate::graph::ActionKind;
use crate::model::{CFlag, LDFlag, Producer, Resource, Src, Target};
use crate::targets::Confessed;
use std::fmt::Write;

/// One Raw flag and where it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawFlag {
    pub target: String,
    /// `cflags`, `cxxflags`, `ldflags`, or `override SRC`.
    pub place: String,
    pub word: String,
}

/// Every Raw flag of the confession, in manifest order.
#[must_use]
pub fn raw_flags(c: &Confessed) -> Vec<RawFlag> {
    let mut out = Vec::new();
    for (dir, t) in c.targets() {
        let target = format!("{dir}:{}", t.name);
        let mut push = |place: String, word: &str| {
            out.push(RawFlag {
                target: target.clone(),
                place,
                word: word.to_string(),
            });
        };
        let tc = &t.toolchain;
        for (place, flags) in [("cflags", &tc.cflags), ("cxxflags", &tc.cxxflags)] {
            for f in flags {
                if let CFlag::Raw(w) = f {
                    push(place.to_string(), w);
                }
            }
        }
        for o in &t.overrides {
            for f in &o.flags {
                if let CFlag::Raw(w) = f {
                    push(format!("override {}", o.src), w);
                }
            }
        }
        for f in &tc.ldflags {
            if let LDFlag::Raw(w) | LDFlag::Compiler(CFlag::Raw(w)) = f {
                push("ldflags".to_string(), w);
            }
        }
    }
    out
}

/// The engine form's Raw flags (the words the engine's vocabulary has no constructor for), by
/// kind (`engine::raw_kind`): how many, and the distinct words.
#[must_use]
pub fn engine_raw(c: &Confessed) -> std::collections::BTreeMap<String, (usize, Vec<String>)> {
    use crate::engine::model as e;
    let mut out: std::collections::BTreeMap<String, (usize, Vec<String>)> =
        std::collections::BTreeMap::default();
    let mut add = |w: &str, link: bool| {
        let entry = out.entry(crate::engine::raw_kind(w, link)).or_default();
        entry.0 += 1;
        if !entry.1.iter().any(|x| x == w) {
            entry.1.push(w.to_string());
        }
    };
    for p in &c.engine {
        for t in &p.targets {
            let tc = &t.toolchain;
            for f in tc.cflags.iter().chain(&tc.cxxflags) {
                if let e::CFlag::Raw(w) = f {
                    add(w, false);
                }
            }
            for f in &tc.ldflags {
                if let e::LDFlag::Raw(w) = f {
                    add(w, true);
                }
            }
        }
    }
    out
}

#[must_use]
pub fn render(c: &Confessed) -> String {
    let mut s = String::from("# confess report\n\n");
    let targets: Vec<_> = c.targets().collect();
    let _ = writeln!(
        s,
        "{} targets in {} directories (under `dhall/`: `BUILD.dhall` for the engine, `BUILD.confess.dhall` in confess's own form; index `dhall/packages.dhall`).\n",
        targets.len(),
        c.packages.len()
    );
    targets_table(&mut s, &targets);
    engine_form(&mut s, c);
    raw_flag_section(&mut s, c);
    outside_writes(&mut s, c);
    network_attempts(&mut s, c);
    outside_reads(&mut s, c);
    filesystem_requirements(&mut s, &targets);
    unrecorded_producers(&mut s, &targets);
    transient(&mut s, c);
    inspections(&mut s, c);
    s
}

/// The table of every target, and what its paths mean.
fn targets_table(s: &mut String, targets: &[(&str, &Target)]) {
    s.push_str("| target | kind | sources | headers | deps | output |\n| --- | --- | --- | --- | --- | --- |\n");
    for (dir, t) in targets {
        let n = match &t.srcs {
            Src::Files(f) => f.len(),
            _ => 0,
        };
        let _ = writeln!(
            s,
            "| {} | {} | {n} | {} | {} | `{}` |",
            crate::targets::target_ref("", dir, &t.name),
            t.kind.as_str(),
            t.headers.len(),
            t.deps.len(),
            t.output
        );
    }
    s.push_str(
        "\nPaths are relative to the source root. `[build]/` marks the build tree: a file the build \
         makes, which exists once the project is built (for an in-source build the build tree is \
         the source tree). Generated sources and headers are kept in this directory: under \
         `build/` for an out-of-tree build, under `generated/` for an in-source one.\n",
    );
}

/// Whether the engine form was written, and its Raw flags by kind.
fn engine_form(s: &mut String, c: &Confessed) {
    if let Some(l) = &c.engine_lacks {
        let _ = writeln!(
            s,
            "\n## The engine form: not written\n\n{l}. Every BUILD.dhall would be rejected, so there is none: the targets are in confess's own form only (`BUILD.confess.dhall`).",
        );
        return;
    }
    let raw = engine_raw(c);
    let total: usize = raw.values().map(|(n, _)| *n).sum();
    let _ = writeln!(
        s,
        "\n## The engine form: {total} Raw flags\n\nEach `BUILD.dhall` is exactly the engine's `List Target`. Words the engine's flag vocabulary has no constructor for are its `Raw`, exactly as the compiler received them, in order. By kind:\n"
    );
    if raw.is_empty() {
        s.push_str("None: every flag has an engine constructor.\n");
        return;
    }
    s.push_str("| kind | count | words |\n| --- | --- | --- |\n");
    for (kind, (n, words)) in &raw {
        let shown: Vec<String> = words
            .iter()
            .take(8)
            .map(|w| format!("`{}`", w.replace('|', "\\|")))
            .collect();
        let more = if words.len() > 8 {
            format!(" and {} more", words.len() - 8)
        } else {
            String::new()
        };
        let _ = writeln!(s, "| {kind} | {n} | {}{more} |", shown.join(" "));
    }
}

/// The Raw flags of confess's own form, each with the command it came from.
fn raw_flag_section(s: &mut String, c: &Confessed) {
    let raws = raw_flags(c);
    let _ = writeln!(s, "\n## Raw flags in confess's own form: {}\n", raws.len());
    if raws.is_empty() {
        s.push_str("Every flag has a typed alternative.\n");
    } else {
        s.push_str("Flags with no typed alternative, kept verbatim (`S.CFlag.Raw`, `S.LDFlag.Raw`):\n\n| flag | target | where | from the command |\n| --- | --- | --- | --- |\n");
        for r in &raws {
            // A link flag comes from a link command, a compile flag from a compile: the same
            // word may be on both (`-fPIC`, `-pthread`).
            let kinds: &[ActionKind] = if r.place == "ldflags" {
                &[ActionKind::Link, ActionKind::Archive]
            } else {
                &[ActionKind::Compile, ActionKind::Assemble]
            };
            let cmd = c
                .commands
                .get(&r.target)
                .and_then(|cmds| {
                    cmds.iter().find(|k| {
                        kinds.contains(&k.what)
                            && k.argv.iter().any(|w| r.word.split(' ').any(|x| x == w))
                    })
                })
                .map(|k| format!("{} of `{}` in `{}`", k.what.as_str(), k.output, k.cwd))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {cmd} |",
                r.word.replace('|', "\\|"),
                r.target,
                r.place
            );
        }
    }
}

/// What the sealed build wrote outside its trees.
fn outside_writes(s: &mut String, c: &Confessed) {
    let _ = writeln!(
        s,
        "\n## Writes outside the source and build trees: {}\n",
        c.outside.len()
    );
    if c.outside.is_empty() {
        s.push_str("None: the build wrote only into its own trees.\n");
    } else {
        s.push_str("The sealed build wrote these outside its trees (an install, an absolute path). They went to a throwaway layer; your files are untouched. An installed artifact is named by the target output it is a copy of:\n\n| path | what | copy of | step |\n| --- | --- | --- | --- |\n");
        for w in &c.outside {
            let what = match &w.target {
                Some(t) => format!("{} → `{}`", w.kind, t.replace('|', "\\|")),
                None => w.kind.clone(),
            };
            let _ = writeln!(
                s,
                "| `{}` | {what} | {} | {} |",
                w.path.replace('|', "\\|"),
                w.artifact
                    .as_deref()
                    .map(|a| format!("`{a}`"))
                    .unwrap_or_default(),
                w.step
            );
        }
    }
}

/// The steps that tried the network.
fn network_attempts(s: &mut String, c: &Confessed) {
    let attempts: u64 = c.network.iter().map(|n| n.attempts).sum();
    let _ = writeln!(s, "\n## Network attempts: {attempts}\n");
    if c.network.is_empty() {
        s.push_str("None: the sealed build did not try the network (or it ran with --network, and nothing was counted).\n");
    } else {
        s.push_str("The sealed build has no network; these steps tried it anyway (packets that found no route). A build step's attempts make every target declare `Network` in its requirements, since the count is per step; a configure step's are only listed here.\n\n| step | attempts |\n| --- | --- |\n");
        for n in &c.network {
            let _ = writeln!(s, "| {} | {} |", n.step, n.attempts);
        }
    }
}

/// The machine's files the sealed build read, and the steps whose reads were not observed.
fn outside_reads(s: &mut String, c: &Confessed) {
    let _ = writeln!(
        s,
        "\n## Reads from outside the source and build trees: {}\n",
        c.reads.len()
    );
    if c.reads.is_empty() {
        s.push_str("None: the sealed build read only its own trees, the system's files (`/usr` but `/usr/local`, `/lib*`, `/bin`, `/sbin`, `/etc`) and the installations of the programs it ran.\n");
    } else {
        s.push_str("The sealed build opened these files of the machine's, which are neither the system's (`/usr` but `/usr/local`, `/lib*`, `/bin`, `/sbin`, `/etc`) nor part of the installation of a program it ran. A build step's reads make every target declare the file in its requirements (`Filesystem`), since reads are seen per step; a configure step's are only listed here.\n\n| path | read by | step |\n| --- | --- | --- |\n");
        for r in &c.reads {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                r.path.replace('|', "\\|"),
                if r.program.is_empty() {
                    "?"
                } else {
                    &r.program
                },
                r.step
            );
        }
    }
    if !c.reads_unobserved.is_empty() {
        s.push_str(
            "\nReads were not observed for these steps, so the list above may be incomplete:\n\n",
        );
        for u in &c.reads_unobserved {
            let _ = writeln!(s, "- {u}");
        }
    }
}

/// The targets' `Filesystem` requirements.
fn filesystem_requirements(s: &mut String, targets: &[(&str, &Target)]) {
    let mut fs = Vec::new();
    for (dir, t) in targets {
        for r in &t.requires {
            if let Resource::Filesystem(p) = r {
                fs.push(format!("| {dir}:{} | `{p}` |", t.name));
            }
        }
    }
    let _ = writeln!(s, "\n## Filesystem requirements: {}\n", fs.len());
    if fs.is_empty() {
        s.push_str("No target reads files outside the source and build trees, the toolchain and its declared packages.\n");
    } else {
        s.push_str("Files read from outside the source and build trees that belong to neither the toolchain nor a declared package:\n\n| target | path |\n| --- | --- |\n");
        for l in fs {
            let _ = writeln!(s, "{l}");
        }
    }
}

/// The generated files nothing confess saw produced.
fn unrecorded_producers(s: &mut String, targets: &[(&str, &Target)]) {
    let mut unrecorded = Vec::new();
    for (dir, t) in targets {
        for g in &t.generated {
            if g.producer == Producer::Unrecorded {
                unrecorded.push(format!("| {dir}:{} | `{}` |", t.name, g.path));
            }
        }
    }
    let _ = writeln!(
        s,
        "\n## Generated files with no recorded producer: {}\n",
        unrecorded.len()
    );
    if !unrecorded.is_empty() {
        s.push_str("Written by the configure step, a script or a redirection confess does not see as a program:\n\n| target | file |\n| --- | --- |\n");
        for l in unrecorded {
            let _ = writeln!(s, "{l}");
        }
    }
}

/// Programs and libraries the build made and deleted again.
fn transient(s: &mut String, c: &Confessed) {
    let _ = writeln!(
        s,
        "\n## Made and deleted during the build: {}\n",
        c.transient.len()
    );
    if !c.transient.is_empty() {
        s.push_str("Programs and libraries the build linked and removed again, used by no other step (probes a Makefile runs in `$(shell)`): not targets.\n\n");
        for t in &c.transient {
            let _ = writeln!(s, "- `{t}`");
        }
    }
}

/// The calls that looked inside artifacts of the build.
fn inspections(s: &mut String, c: &Confessed) {
    let calls: usize = c.inspections.iter().map(|i| i.calls).sum();
    let _ = writeln!(s, "\n## Inspections: {calls} calls\n");
    if !c.inspections.is_empty() {
        s.push_str("Calls that looked inside artifacts of the build. `realized`: the artifact and every artifact it is made from (the count) were built for real, each once per content however many calls need it, and the real tool read the result. `answered`: answered from the token, nothing built (Meson's symbol extractor, whose answer only feeds ninja's restat).\n\n| tool | how | inspected | artifacts | calls |\n| --- | --- | --- | ---: | ---: |\n");
        for i in &c.inspections {
            let what: Vec<String> = i.inspected.iter().map(|p| format!("`{p}`")).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                i.tool,
                i.how,
                what.join(", "),
                i.artifacts,
                i.calls
            );
        }
    }
}

/// The HTML anchor of a target (`t-lib-greet`): letters, digits, `-` and `_` only, any other
/// byte as `.XX`.
#[must_use]
pub fn anchor(dir: &str, name: &str) -> String {
    let mut s = String::from("t");
    let dir = if dir == "." { None } else { Some(dir) };
    for part in dir.into_iter().chain([name]) {
        s.push('-');
        for b in part.bytes() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                s.push(b as char);
            } else {
                let _ = write!(s, ".{b:02X}");
            }
        }
    }
    s
}

/// One thing that needs a person's eye (the JSON log's warnings, report.html's).
pub struct Warning {
    /// `unknown-flag`, `raw-flag`, `outside-write`, `network`, `reads-unobserved`,
    /// `engine-form`.
    pub kind: String,
    /// A sentence.
    pub message: String,
    /// The fields, as graph.json and report.md give them.
    pub detail: serde_json::Value,
}

/// Every warning of a confession, by kind.
pub fn warnings(graph: &crate::graph::Graph, confessed: &Confessed) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |kind: &str, message: String, detail: serde_json::Value| {
        out.push(Warning {
            kind: kind.to_string(),
            message,
            detail,
        });
    };
    for (flag, n) in &graph.unknown_flags {
        warn(
            "unknown-flag",
            format!("the flag {flag} is not known to confess ({n} uses); it is kept as written"),
            serde_json::json!({"flag": flag, "uses": n}),
        );
    }
    for f in raw_flags(confessed) {
        warn(
            "raw-flag",
            format!(
                "{}: {} `{}` has no typed form and is kept as a Raw flag",
                f.target, f.place, f.word
            ),
            serde_json::json!({"target": f.target, "place": f.place, "word": f.word}),
        );
    }
    for a in &graph.actions {
        if let crate::graph::Parsed::Unparsed(why) = &a.command {
            let words = shlex::try_join(a.argv.iter().map(String::as_str)).unwrap_or_default();
            warn(
                "unparsed-command",
                format!(
                    "the command `{words}` (in {}) does not parse ({why}): it is kept as it ran \
                     (compile_commands.json, graph.json), and its flags are not in the targets",
                    if a.cwd.path.is_empty() {
                        ".".to_string()
                    } else {
                        a.cwd.to_string()
                    }
                ),
                serde_json::json!({"argv": a.argv, "cwd": a.cwd.to_string(), "reason": why}),
            );
        }
    }
    for w in &graph.outside {
        warn(
            "outside-write",
            format!(
                "{}: wrote {} outside its tree (kept in a throwaway layer)",
                w.step, w.path
            ),
            serde_json::to_value(w).unwrap_or_default(),
        );
    }
    for n in &graph.network {
        warn(
            "network",
            format!(
                "{}: {} attempts to reach the network (it has none)",
                n.step, n.attempts
            ),
            serde_json::to_value(n).unwrap_or_default(),
        );
    }
    for why in &graph.reads_unobserved {
        warn(
            "reads-unobserved",
            format!("{why}: its reads from outside the trees were not observed"),
            serde_json::Value::Null,
        );
    }
    if let Some(l) = &confessed.engine_lacks {
        warn(
            "engine-form",
            format!("no engine form was written: {l}"),
            serde_json::json!({"part": l.part, "value": l.value, "source": l.source}),
        );
    }
    out
}
