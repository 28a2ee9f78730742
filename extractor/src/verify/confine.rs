//! Where the manifests may send `confess verify`, checked before it runs anything. The manifest
//! build writes every target's output and objects (an archive's rule starts with `rm -f`),
//! compiles the sources the manifests name, and runs each compile and link in the directory
//! graph.json says; a manifest is text anyone can edit. So:
//!
//! - what is written (outputs, their aliases, objects, and the directories compiles and links
//!   run in) lies inside the source or the build tree of verify's scratch: a relative or
//!   `[build]/` path that stays below its root after `..` is taken lexically, never an absolute
//!   one, never the output directory (`[out]/`);
//! - sources, and prebuilt objects and libraries linked as they are, lie inside those trees or
//!   the output directory (its `[out]/fake/` stubs);
//! - directories searched and files read through flags (include and library directories,
//!   rpaths, version scripts, a sysroot, libraries named by path) stay below their root when
//!   relative or marked, and may be absolute: the machine's own directories (`-I/usr/include/x`
//!   from pkg-config) are where a real build reads too, and a compiler only reads there;
//! - `Raw` words name no output of their own (`-o`, `-MF`, `-Wl,-o`, a link map outside the
//!   trees), and their `[build]`/`[out]` marks stay below their roots.
//!
//! Anything else is refused (exit 6) naming the manifest, the target and the path.

use super::plan::Declared;
use crate::engine::model as e;
use crate::error::{Error, Result};
use crate::graph::{ActionKind, EdgeKind};
use crate::model as own;
use crate::model::TargetKind;
use crate::pathmap::Root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

/// How verify uses a path of a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// Written or deleted: inside the source or build tree.
    Written,
    /// Compiled or linked as it is: inside the trees or the output directory.
    Read,
    /// A directory searched, or a file a flag names: below its root when relative or marked;
    /// absolute paths are the machine's.
    Searched,
}

/// Why verify will not use the manifest path `p` as `how`, if it will not.
fn judge(p: &str, how: Use) -> Option<String> {
    let (root, rel) = if let Some(rest) = p.strip_prefix("[build]") {
        ("build tree", rest.trim_start_matches('/'))
    } else if let Some(rest) = p.strip_prefix("[out]") {
        ("output directory", rest.trim_start_matches('/'))
    } else if Path::new(p).is_absolute() {
        return match how {
            Use::Searched => None,
            Use::Written => Some("is an absolute path, outside the trees verify builds in".into()),
            Use::Read => Some(
                "is an absolute path, outside the source and build trees and the output directory"
                    .into(),
            ),
        };
    } else {
        ("source tree", if p == "." { "" } else { p })
    };
    // How deep below its root the path ends, `..` taken lexically; below zero at any point is
    // out of it.
    let mut depth = 0usize;
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Some(format!("leaves the {root} (by `..`)")),
        }
    }
    if how == Use::Written {
        if root == "output directory" {
            return Some(
                "is in the output directory, which the manifest build does not write".into(),
            );
        }
        if depth == 0 {
            return Some(format!("is the {root} itself"));
        }
    }
    None
}

/// Why a `Raw` word would make the compiler or linker write a file of its choosing, or reach
/// outside its root through a mark, if it would.
fn raw(word: &str) -> Option<String> {
    for mark in ["[build]", "[out]"] {
        for (at, _) in word.match_indices(mark) {
            let rest = &word[at..];
            let end = rest
                .find([',', ':', ';', '=', ' ', '"', '\''])
                .unwrap_or(rest.len());
            if let Some(why) = judge(&rest[..end], Use::Searched) {
                return Some(format!("names {} ({why})", &rest[..end]));
            }
        }
    }
    let outputs = "names an output file of its own, and verify names every output itself";
    // gcc reads any word that starts with -o as its output (clang has -objcmt-* too).
    if (word.starts_with("-o") && !word.starts_with("-obj")) || word.starts_with("-MF") {
        return Some(outputs.into());
    }
    if let Some(list) = word.strip_prefix("-Wp,") {
        if list
            .split(',')
            .any(|w| w == "-MD" || w == "-MMD" || w.starts_with("-MF"))
        {
            return Some(outputs.into());
        }
    }
    if let Some(list) = word.strip_prefix("-Wl,") {
        let words: Vec<&str> = list.split(',').collect();
        for (k, w) in words.iter().enumerate() {
            if *w == "-o" || w.starts_with("--output") {
                return Some(outputs.into());
            }
            let map = match *w {
                "-Map" | "--Map" => words.get(k + 1).copied(),
                _ => w.strip_prefix("-Map=").or_else(|| w.strip_prefix("--Map=")),
            };
            if let Some(f) = map {
                if !f.starts_with('[') && judge(f, Use::Written).is_some() {
                    return Some(format!("writes a link map to {f}, outside the trees"));
                }
            }
        }
    }
    None
}

/// A refusal naming the manifest, the target and the path.
fn refuse(file: &Path, target: &str, what: &str, p: &str, why: &str) -> Error {
    Error::Store {
        path: file.to_path_buf(),
        reason: format!(
            "target {target}: {what} `{p}` {why}. confess verify builds only inside its scratch copy of the source and build trees and compiles sources only from them and the output directory, so that no manifest makes it write or delete anything else: restore the manifest as confess wrote it (confess the project again with this --out)"
        ),
    }
}

/// Checks every path the manifests give verify, and the graph.json facts verify takes with
/// them, before anything runs. `out` is the output directory.
pub fn check(out: &Path, declared: &[Declared]) -> Result<()> {
    let manifest = |d: &Declared, file: &str| {
        let dir = out.join("dhall");
        if d.dir == "." {
            dir.join(file)
        } else {
            dir.join(&d.dir).join(file)
        }
    };
    for d in declared {
        let engine = manifest(d, "BUILD.dhall");
        let companion = manifest(d, crate::emit::dhall::COMPANION);
        Checked {
            d,
            file: &companion,
        }
        .companion()?;
        Checked { d, file: &engine }.engine()?;
    }
    graph(out, declared)
}

/// One manifest file of a target, its paths being checked.
struct Checked<'a> {
    d: &'a Declared,
    file: &'a Path,
}

impl Checked<'_> {
    /// A source outside the trees that the target declares it needs (`Filesystem`, as a
    /// build's add_subdirectory(/usr/src/googletest) makes it) is read where it is.
    fn declared_file(&self, p: &str) -> bool {
        self.d.target.requires.iter().any(|r| {
            matches!(r, crate::model::Resource::Filesystem(f)
                if f == p || p.strip_prefix(f.as_str()).is_some_and(|r| r.starts_with('/')))
        })
    }

    /// Checks path `p` (`what` it is), used `how`.
    fn at(&self, what: &str, p: &str, how: Use) -> Result<()> {
        if how == Use::Read && Path::new(p).is_absolute() && self.declared_file(p) {
            return Ok(());
        }
        match judge(p, how) {
            Some(why) => Err(refuse(self.file, &self.d.label, what, p, &why)),
            None => Ok(()),
        }
    }

    /// Checks a Raw flag's word.
    fn raw_at(&self, w: &str) -> Result<()> {
        match raw(w) {
            Some(why) => Err(refuse(self.file, &self.d.label, "the Raw flag", w, &why)),
            None => Ok(()),
        }
    }

    /// The paths of the companion: the output, its aliases, the overrides' sources and
    /// paths.
    fn companion(&self) -> Result<()> {
        let t = &self.d.target;
        if t.kind != TargetKind::ObjectLibrary {
            self.at("the output", &t.output, Use::Written)?;
        }
        for a in &t.aliases {
            self.at("the alias", a, Use::Written)?;
        }
        for o in &t.overrides {
            self.at("the source", &o.src, Use::Read)?;
            for f in &o.flags {
                match f {
                    own::CFlag::Include(p)
                    | own::CFlag::System(p)
                    | own::CFlag::Quote(p)
                    | own::CFlag::DirAfter(p)
                    | own::CFlag::IncludeFile(p)
                    | own::CFlag::MacrosFile(p) => self.at("the path", p, Use::Searched)?,
                    own::CFlag::Raw(w) => self.raw_at(w)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The paths of the engine form: sources, include and library directories, version
    /// scripts, rpaths, the sysroot and outside libraries.
    fn engine(&self) -> Result<()> {
        let d = self.d;
        if let e::Src::Files(files) = &d.engine.srcs {
            for f in files {
                self.at("the source", f, Use::Read)?;
            }
        }
        let tc = &d.engine.toolchain;
        for f in tc.cflags.iter().chain(&tc.cxxflags) {
            match f {
                e::CFlag::Include(p) | e::CFlag::System(p) => {
                    self.at("the include directory", p, Use::Searched)?;
                }
                e::CFlag::Raw(w) => self.raw_at(w)?,
                _ => {}
            }
        }
        for f in &tc.ldflags {
            match f {
                e::LDFlag::LibPath(p) => self.at("the library directory", p, Use::Searched)?,
                e::LDFlag::VersionScript(p) => self.at("the version script", p, Use::Searched)?,
                e::LDFlag::Rpath(v) | e::LDFlag::RpathLink(v) => {
                    for p in v
                        .split(':')
                        .filter(|p| !p.is_empty() && !p.starts_with('$'))
                    {
                        self.at("the rpath directory", p, Use::Searched)?;
                    }
                }
                e::LDFlag::Raw(w) => self.raw_at(w)?,
                _ => {}
            }
        }
        if let Some(s) = &tc.sysroot {
            self.at("the sysroot", s, Use::Searched)?;
        }
        for dep in &d.engine.deps {
            if let e::Dep::External(x) = dep {
                if x.name.contains('/') {
                    self.at("the library", &x.name, Use::Searched)?;
                }
            }
        }
        Ok(())
    }
}

/// graph.json gives the manifest build the object each compile of a manifest's source wrote
/// and the directory it ran in, and the directory each target's link ran in: held to the rules
/// of what the manifest build writes.
fn graph(out: &Path, declared: &[Declared]) -> Result<()> {
    let path = out.join("graph.json");
    let g = crate::emit::graph_json::Read::load(&path)?;
    // Which target compiles each source, and which makes each output.
    let mut by_src: BTreeMap<&str, &str> = BTreeMap::new();
    let mut by_output: BTreeMap<&str, &str> = BTreeMap::new();
    for d in declared {
        if let e::Src::Files(files) = &d.engine.srcs {
            for f in files {
                by_src.entry(f).or_insert(&d.label);
            }
        }
        by_output.insert(&d.target.output, &d.label);
    }
    let refuse_graph = |target: &str, what: String, why: String| {
        Error::Store {
        path: path.clone(),
        reason: format!(
            "{what} {why}, and target {target} uses it. confess verify builds only inside its scratch copy of the source and build trees, so that no edited file makes it write or delete anything else: restore graph.json as confess wrote it (confess the project again with this --out)"
        ),
    }
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for a in &g.actions {
        let kind = a.kind.as_str();
        let outputs: Vec<String> = a.outputs.iter().filter_map(|o| g.node_path(*o)).collect();
        let user = match a.kind {
            ActionKind::Compile => a
                .inputs
                .iter()
                .filter(|i| i.edge == EdgeKind::Source)
                .filter_map(|i| g.node_path(i.node))
                .find_map(|s| by_src.get(s.as_str()).copied()),
            ActionKind::Link | ActionKind::Archive => outputs
                .iter()
                .find_map(|o| by_output.get(o.as_str()).copied()),
            _ => None,
        };
        let Some(target) = user else {
            continue;
        };
        let cwd = a.cwd.path.as_str();
        let cwd_word = match a.cwd.root {
            Root::Build if cwd.is_empty() => "[build]".to_string(),
            Root::Build => format!("[build]/{cwd}"),
            Root::Source => cwd.to_string(),
            Root::System => {
                return Err(refuse_graph(
                    target,
                    format!("the {kind} of {} ran in {cwd}, which", outputs.join(", ")),
                    "is outside the source and build trees".into(),
                ))
            }
        };
        let cwd_word = if cwd_word.is_empty() {
            ".".to_string()
        } else {
            cwd_word
        };
        if let Some(why) = judge(&cwd_word, Use::Read) {
            return Err(refuse_graph(
                target,
                format!("the directory `{cwd_word}` a {kind} ran in"),
                why,
            ));
        }
        if a.kind == ActionKind::Compile {
            for o in outputs {
                if seen.insert(o.clone()) {
                    if let Some(why) = judge(&o, Use::Written) {
                        return Err(refuse_graph(target, format!("the object `{o}`"), why));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_by_use() {
        assert_eq!(judge("lib/a.c", Use::Read), None);
        assert_eq!(judge("[build]/lib/libu.a", Use::Written), None);
        assert_eq!(judge("[out]/fake/z/include", Use::Searched), None);
        assert_eq!(judge("/usr/include/libpng16", Use::Searched), None);
        assert!(judge("/tmp/evil/libu.a", Use::Written).is_some());
        assert!(judge("/etc/passwd", Use::Read).is_some());
        assert!(judge("../../../etc/passwd", Use::Read).is_some());
        assert!(judge("[build]/a/../../x.o", Use::Written).is_some());
        assert!(judge("[build]/a/../x.o", Use::Written).is_none());
        assert!(judge("[out]/graph.json", Use::Written).is_some());
        assert!(judge("[build]", Use::Written).is_some());
        assert!(judge("[build]/..", Use::Searched).is_some());
        assert!(judge("inc/../../..", Use::Searched).is_some());
    }

    #[test]
    fn raw_words_that_write_or_leave() {
        for ok in [
            "-std=gnu99",
            "-Wl,-z,relro",
            "-include",
            "[build]/config.h",
            "-Wl,-Map=app.map",
            "-objcmt-migrate-literals",
            "-ffile-prefix-map=/build/x=.",
            "-Wl,-rpath,[build]/lib:[out]/fake/lib",
        ] {
            assert_eq!(raw(ok), None, "{ok}");
        }
        for bad in [
            "-o",
            "-o/tmp/x",
            "-MF/tmp/x.d",
            "-Wp,-MD,/tmp/x.d",
            "-Wl,-o,/tmp/x",
            "-Wl,--output=/tmp/x",
            "-Wl,-Map,/tmp/x.map",
            "-Wl,-Map=../../../x.map",
            "[build]/../../x.h",
            "-I[out]/../x",
        ] {
            assert!(raw(bad).is_some(), "{bad}");
        }
    }
}
