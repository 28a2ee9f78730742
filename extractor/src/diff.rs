//! `confess diff A B`: what changed between two confessions, or between a confession and a
//! directory of committed manifests. Targets are matched by label (`//dir:name`); for a target
//! on both sides each field that decides what is built is compared: kind, output and aliases,
//! sources, headers (inside the trees, and outside them unless the toolchain's: those follow
//! from the toolchain, which is compared), flags (C, C++, link, per-source overrides,
//! assembler calls), the toolchain (compiler, triples, sysroot), deps (the project's targets and
//! everything from outside: libraries, packages, pkg-config modules, externals), the link line,
//! generated files and their producers, requirements and visibility. Where a target is defined
//! (`origin`) is not compared: moving a line in a CMakeLists.txt changes no build.

use crate::error::{Error, Result};
use crate::model::{Owner, Producer, Resource, Src, Target};
use crate::wording::{assembly, cflag, compiler, dep, ldflag, link_item, owner, triple};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One field of a target that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    /// Entries only B has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Entries only A has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// For a value (or a list whose order matters), A's and B's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetChanges {
    pub target: String,
    pub changes: Vec<Change>,
}

/// What differs between A and B.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Targets only B has (label and kind).
    pub added: Vec<String>,
    /// Targets only A has.
    pub removed: Vec<String>,
    pub changed: Vec<TargetChanges>,
    /// Targets on both sides with nothing changed.
    pub same: usize,
}

impl Diff {
    #[must_use]
    pub fn drift(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }

    /// The text form: `+ label (kind)`, `- label (kind)`, `~ label` and its changes indented.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        for a in &self.added {
            let _ = writeln!(s, "+ {a}");
        }
        for r in &self.removed {
            let _ = writeln!(s, "- {r}");
        }
        for t in &self.changed {
            let _ = writeln!(s, "~ {}", t.target);
            for c in &t.changes {
                if let (Some(o), Some(n)) = (&c.old, &c.new) {
                    let _ = writeln!(s, "    {}: {o} -> {n}", c.field);
                } else {
                    let mut parts: Vec<String> = c.added.iter().map(|a| format!("+ {a}")).collect();
                    parts.extend(c.removed.iter().map(|r| format!("- {r}")));
                    let _ = writeln!(s, "    {}: {}", c.field, parts.join(", "));
                }
            }
        }
        if self.drift() {
            let _ = writeln!(
                s,
                "drift: {} added, {} removed, {} changed, {} the same",
                self.added.len(),
                self.removed.len(),
                self.changed.len(),
                self.same
            );
        } else {
            let _ = writeln!(s, "no drift: {} targets the same", self.same);
        }
        s
    }
}

/// The targets of one side, by label.
pub fn load(p: &Path) -> Result<BTreeMap<String, Target>> {
    let mut out = BTreeMap::new();
    if p.join("targets.json").is_file() {
        let c = crate::explain::load(p)?;
        for (dir, t) in c.targets() {
            out.insert(crate::targets::target_ref("//", dir, &t.name), t.clone());
        }
    } else if p.join("dhall/schema.dhall").is_file() || p.join("schema.dhall").is_file() {
        let root = if p.join("schema.dhall").is_file() {
            p.to_path_buf()
        } else {
            p.join("dhall")
        };
        for d in crate::verify::plan::load_manifests(p, &root)? {
            out.insert(d.label, d.target);
        }
    } else {
        return Err(Error::Input {
            path: p.to_path_buf(),
            reason: "neither a confession (targets.json) nor a directory of manifests (schema.dhall, or dhall/schema.dhall): give a confess --out directory or the manifests you committed".into(),
        });
    }
    Ok(out)
}

/// Compares A with B.
#[must_use]
pub fn diff(a: &BTreeMap<String, Target>, b: &BTreeMap<String, Target>) -> Diff {
    let mut d = Diff::default();
    for (label, t) in b {
        if !a.contains_key(label) {
            d.added.push(format!("{label} ({})", t.kind.as_str()));
        }
    }
    for (label, t) in a {
        match b.get(label) {
            None => d.removed.push(format!("{label} ({})", t.kind.as_str())),
            Some(n) => {
                let changes = target_changes(t, n);
                if changes.is_empty() {
                    d.same += 1;
                } else {
                    d.changed.push(TargetChanges {
                        target: label.clone(),
                        changes,
                    });
                }
            }
        }
    }
    d
}

/// Entries of `new` not in `old` and of `old` not in `new`, counted (a source listed twice is
/// two entries), in their order.
fn multiset(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let minus = |x: &[String], y: &[String]| -> Vec<String> {
        let mut left: Vec<&String> = y.iter().collect();
        let mut out = Vec::new();
        for e in x {
            match left.iter().position(|l| *l == e) {
                Some(i) => {
                    left.remove(i);
                }
                None => out.push(e.clone()),
            }
        }
        out
    };
    (minus(new, old), minus(old, new))
}

fn target_changes(a: &Target, b: &Target) -> Vec<Change> {
    let mut out = Changes::default();
    out.values(a, b);
    out.sets(a, b);
    out.lists(a, b);
    out.0
}

/// The changes between two versions of a target, in the order they are found.
#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    /// A field with one value: old and new, when they differ.
    fn value(&mut self, field: &str, old: String, new: String) {
        if old != new {
            self.0.push(Change {
                field: field.into(),
                added: Vec::new(),
                removed: Vec::new(),
                old: Some(old),
                new: Some(new),
            });
        }
    }

    /// A set (or multiset) of entries: what was added and removed.
    fn set(&mut self, field: &str, old: &[String], new: &[String]) {
        let (added, removed) = multiset(old, new);
        if !added.is_empty() || !removed.is_empty() {
            self.0.push(Change {
                field: field.into(),
                added,
                removed,
                old: None,
                new: None,
            });
        }
    }

    /// A list whose order is its meaning: the whole list, before and after.
    fn ordered(&mut self, field: &str, old: &[String], new: &[String]) {
        if old != new {
            let (added, removed) = multiset(old, new);
            self.0.push(Change {
                field: field.into(),
                added,
                removed,
                old: Some(old.join(" ")),
                new: Some(new.join(" ")),
            });
        }
    }

    /// The fields with one value: kind, output, the toolchain's compiler, triples and sysroot,
    /// visibility.
    fn values(&mut self, a: &Target, b: &Target) {
        self.value("kind", a.kind.as_str().into(), b.kind.as_str().into());
        self.value("output", a.output.clone(), b.output.clone());
        let (ta, tb) = (&a.toolchain, &b.toolchain);
        self.value("compiler", compiler(&ta.compiler), compiler(&tb.compiler));
        self.value("host", triple(&ta.host), triple(&tb.host));
        self.value("target", triple(&ta.target), triple(&tb.target));
        self.value(
            "sysroot",
            ta.sysroot.clone().unwrap_or_else(|| "none".into()),
            tb.sysroot.clone().unwrap_or_else(|| "none".into()),
        );
        self.value(
            "visibility",
            format!("{:?}", a.visibility),
            format!("{:?}", b.visibility),
        );
    }

    /// The fields that are sets of entries.
    fn sets(&mut self, a: &Target, b: &Target) {
        self.set("srcs", &src_entries(&a.srcs), &src_entries(&b.srcs));
        self.set("aliases", &a.aliases, &b.aliases);
        self.set("headers", &a.headers, &b.headers);
        self.set("outside_headers", &outside_entries(a), &outside_entries(b));
        self.set("deps", &entries(&a.deps, dep), &entries(&b.deps, dep));
        self.set("overrides", &override_entries(a), &override_entries(b));
        self.set(
            "assembled",
            &entries(&a.assembled, assembly),
            &entries(&b.assembled, assembly),
        );
        self.set("generated", &generated_entries(a), &generated_entries(b));
        self.set(
            "requires",
            &entries(&a.requires, requirement),
            &entries(&b.requires, requirement),
        );
    }

    /// The fields whose order is their meaning: flags and the link line.
    fn lists(&mut self, a: &Target, b: &Target) {
        let (ta, tb) = (&a.toolchain, &b.toolchain);
        self.ordered(
            "cflags",
            &entries(&ta.cflags, cflag),
            &entries(&tb.cflags, cflag),
        );
        self.ordered(
            "cxxflags",
            &entries(&ta.cxxflags, cflag),
            &entries(&tb.cxxflags, cflag),
        );
        self.ordered(
            "ldflags",
            &entries(&ta.ldflags, ldflag),
            &entries(&tb.ldflags, ldflag),
        );
        self.ordered(
            "link",
            &entries(&a.link, link_item),
            &entries(&b.link, link_item),
        );
    }
}

/// Each item of a list in words.
fn entries<T>(items: &[T], words: impl Fn(&T) -> String) -> Vec<String> {
    items.iter().map(words).collect()
}

/// A target's sources as entries: its files, or where they are fetched from.
fn src_entries(s: &Src) -> Vec<String> {
    match s {
        Src::Files(f) => f.clone(),
        Src::Fetch(f) => vec![format!("{} ({})", f.url, f.hash)],
        Src::Git(g) => vec![format!("{}@{} ({})", g.url, g.rev, g.hash)],
    }
}

/// Headers from outside the trees that a package or the file system owns; the toolchain's
/// follow from the toolchain, which is compared as a value.
fn outside_entries(t: &Target) -> Vec<String> {
    t.outside_headers
        .iter()
        .filter(|h| h.owner != Owner::Toolchain)
        .map(|h| format!("{} ({})", h.path, owner(&h.owner)))
        .collect()
}

/// Each override: its source (and object), and its flags.
fn override_entries(t: &Target) -> Vec<String> {
    t.overrides
        .iter()
        .map(|o| {
            let flags: Vec<String> = o.flags.iter().map(cflag).collect();
            match &o.object {
                Some(obj) => format!("{} ({obj}): {}", o.src, flags.join(" ")),
                None => format!("{}: {}", o.src, flags.join(" ")),
            }
        })
        .collect()
}

/// Each generated file with its producer.
fn generated_entries(t: &Target) -> Vec<String> {
    t.generated
        .iter()
        .map(|g| match &g.producer {
            Producer::Program(p) => format!(
                "{} <- {} {} (in {})",
                g.path,
                p.tool,
                p.argv.join(" "),
                p.cwd
            ),
            Producer::Unrecorded => format!("{} (unrecorded)", g.path),
        })
        .collect()
}

/// A requirement in words.
fn requirement(r: &Resource) -> String {
    match r {
        Resource::Pure => "pure".to_string(),
        Resource::Network => "network".to_string(),
        Resource::Auth(x) => format!("auth {x}"),
        Resource::Sandbox(x) => format!("sandbox {x}"),
        Resource::Filesystem(x) => format!("file {x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_entries() {
        let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            multiset(&s(&["a", "b", "b"]), &s(&["b", "c"])),
            (s(&["c"]), s(&["a", "b"]))
        );
        assert_eq!(multiset(&s(&["a"]), &s(&["a"])), (Vec::new(), Vec::new()));
    }
}
