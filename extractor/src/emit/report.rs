//! report.md: what a reviewer of the manifests should look at. Every `Raw` flag (the escape
//! hatch of the typed flags) is counted and listed with the target, the place and the command
//! it came from; so are Filesystem requirements, generated files with no recorded producer, and
//! the programs the build made and deleted again.

use crate::targets::model::*;
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
pub fn raw_flags(c: &Confessed) -> Vec<RawFlag> {
    let mut out = Vec::new();
    for (dir, t) in c.targets() {
        let target = format!("{dir}:{}", t.name);
        let mut push = |place: String, word: &str| {
            out.push(RawFlag {
                target: target.clone(),
                place,
                word: word.to_string(),
            })
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

pub fn render(c: &Confessed) -> String {
    let mut s = String::from("# confess report\n\n");
    let targets: Vec<_> = c.targets().collect();
    let _ = writeln!(
        s,
        "{} targets in {} BUILD.dhall files (under `dhall/`; index `dhall/packages.dhall`).\n",
        targets.len(),
        c.packages.len()
    );
    s.push_str("| target | kind | sources | headers | deps | output |\n| --- | --- | --- | --- | --- | --- |\n");
    for (dir, t) in &targets {
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
    let raws = raw_flags(c);
    let _ = writeln!(s, "\n## Raw flags: {}\n", raws.len());
    if raws.is_empty() {
        s.push_str("Every flag has a typed alternative.\n");
    } else {
        s.push_str("Flags with no typed alternative, kept verbatim (`S.CFlag.Raw`, `S.LDFlag.Raw`):\n\n| flag | target | where | from the command |\n| --- | --- | --- | --- |\n");
        for r in &raws {
            let cmd = c
                .commands
                .get(&r.target)
                .and_then(|cmds| {
                    cmds.iter()
                        .find(|k| k.argv.iter().any(|w| r.word.split(' ').any(|x| x == w)))
                })
                .map(|k| format!("{} of `{}` in `{}`", k.what, k.output, k.cwd))
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
    let mut fs = Vec::new();
    let mut unrecorded = Vec::new();
    for (dir, t) in &targets {
        for r in &t.requires {
            if let Resource::Filesystem(p) = r {
                fs.push(format!("| {dir}:{} | `{p}` |", t.name));
            }
        }
        for g in &t.generated {
            if g.producer == Producer::Unrecorded {
                unrecorded.push(format!("| {dir}:{} | `{}` |", t.name, g.path));
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
    s
}
