//! `compile_commands.json` in clang's format: one entry per translation unit, with `arguments`,
//! `directory`, `file` and `output`, paths pointing at the user's tree (or at the kept copies of
//! generated sources), response files expanded. Usable by clangd and clang-tidy. Paths and words
//! are text (`confess_shims::raw`): a byte that is not UTF-8 is one character of U+EF80..U+EFFF.
//!
//! An in-source build (make, autotools) writes its generated files among the sources; after the
//! run they are kept under `<out>/generated` at the same relative paths, and the user's tree has
//! none of them. Each directory the real compile searched was the union of its two halves, so
//! the entry searches both, in the real order (see `Halves`): `clangd` and `clang-tidy` find every
//! header the real compile found, generated ones included, and a generated file never shadows a
//! source one.

use crate::graph::{Action, ActionKind, EdgeKind, Graph};
use crate::pathmap::{Loc, PathMap, Root};
use confess_shims::args::{Arg, ArgKind, Command, Stop};
use confess_shims::flags::Meaning;
use confess_shims::raw;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub directory: String,
    pub file: String,
    pub arguments: Vec<String>,
    pub output: String,
}

pub fn entries(g: &Graph, map: &PathMap) -> Vec<Entry> {
    let halves = (!map.out_of_tree()).then(|| Halves::new(g, map));
    let mut out: Vec<Entry> = g
        .actions
        .iter()
        .filter_map(|a| entry(g, map, halves.as_ref(), a))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The entry of one action: a compile of a compiler driver's with a source, else `None`.
fn entry(g: &Graph, map: &PathMap, halves: Option<&Halves>, a: &Action) -> Option<Entry> {
    let compiles = matches!(a.kind, ActionKind::Compile | ActionKind::Assemble);
    if !compiles || !matches!(a.role.as_str(), "cc" | "c++") {
        return None;
    }
    let src = a
        .inputs
        .iter()
        .find(|(e, _)| *e == EdgeKind::Source)
        .map(|(_, n)| *n)?;
    let src_loc = g.node(src).loc.as_ref()?;
    let a0 = a.argv.first()?;
    let cwd = map.scratch_root_join(&a.cwd);
    let src_abs = map.scratch_root_join(src_loc);
    let cmd = match &a.command {
        crate::graph::Parsed::Driver(cmd) => cmd,
        // Kept as the build ran it (report.md says it was not parsed): its words mapped
        // as every other entry's are.
        crate::graph::Parsed::Unparsed(_) => {
            return unparsed_entry(g, map, a, a0, &cwd, &src_abs);
        }
        _ => return None,
    };
    // The source's own word on the command line.
    let own = cmd.inputs.iter().find(|i| {
        let p = raw::path(&i.path);
        let p = if p.is_absolute() {
            p.into_owned()
        } else {
            cwd.join(p)
        };
        confess_shims::headers::lexical(&p) == src_abs
    })?;
    let unit = Unit {
        g,
        map,
        halves,
        own: own.arg,
        linked: cmd.stop() == Stop::Link,
        src_loc,
        src_abs,
        cwd,
    };
    let mut argv = vec![map.map_tool(a0)];
    if unit.linked {
        argv.push("-c".to_string());
    }
    let chain = halves.map(|h| h.chain(cmd, &unit.cwd)).unwrap_or_default();
    if let Some(h) = halves {
        for dir in h.front(g, a, src_loc, &chain) {
            argv.push("-iquote".to_string());
            argv.push(dir);
        }
    }
    for (i, arg) in cmd.args.iter().enumerate() {
        argv.extend(unit.words(i, arg));
    }
    let output = a.outputs.first().and_then(|o| g.node(*o).loc.as_ref());
    let output = match (output, unit.linked) {
        (Some(l), _) => map.user_path(&map.scratch_root_join(l), &g.generated),
        (None, true) => {
            let o = cmd.output.clone().unwrap_or_else(|| "a.out".into());
            map.user_path(&unit.cwd.join(raw::path(&o)), &g.generated)
        }
        (None, false) => return None,
    };
    Some(Entry {
        directory: map.user_text(&unit.cwd, &g.generated),
        file: map.user_text(&unit.src_abs, &g.generated),
        arguments: argv,
        output: raw::text_path(&output).into_owned(),
    })
}

/// The entry of a compile whose command did not parse: its words as the build ran them,
/// mapped.
fn unparsed_entry(
    g: &Graph,
    map: &PathMap,
    a: &Action,
    a0: &str,
    cwd: &Path,
    src_abs: &Path,
) -> Option<Entry> {
    let output = a.outputs.first().and_then(|o| g.node(*o).loc.as_ref())?;
    let output = map.user_path(&map.scratch_root_join(output), &g.generated);
    let mut argv = vec![map.map_tool(a0)];
    argv.extend(
        a.argv[1..]
            .iter()
            .map(|w| map.map_relative(&map.map_word(w, &g.generated), cwd, &g.generated)),
    );
    Some(Entry {
        directory: map.user_text(cwd, &g.generated),
        file: map.user_text(src_abs, &g.generated),
        arguments: argv,
        output: raw::text_path(&output).into_owned(),
    })
}

/// One compile being written as an entry.
struct Unit<'a> {
    g: &'a Graph,
    map: &'a PathMap,
    halves: Option<&'a Halves<'a>>,
    /// The argument that names the source.
    own: usize,
    /// A compile-and-link call.
    linked: bool,
    src_loc: &'a Loc,
    src_abs: PathBuf,
    cwd: PathBuf,
}

impl Unit<'_> {
    /// The words of the compile's `i`th argument in the entry.
    fn words(&self, i: usize, arg: &Arg) -> Vec<String> {
        let (map, generated) = (self.map, &self.g.generated);
        let mapped = || -> Vec<String> {
            arg.words
                .iter()
                .map(|w| map.map_word(w, generated))
                .collect()
        };
        match (&arg.kind, self.halves) {
            // A search directory of the build tree: its generated half right after it.
            (ArgKind::Flag(m), Some(h)) if search_flag(*m).is_some() => {
                let mut words = mapped();
                let half = arg
                    .value
                    .as_deref()
                    .and_then(|v| h.generated_half(v, &self.cwd));
                if let (Some(dir), Some(flag)) = (half, search_flag(*m)) {
                    if flag == "-I" {
                        words.push(format!("-I{dir}"));
                    } else {
                        words.push(flag.to_string());
                        words.push(dir);
                    }
                }
                words
            }
            // `-include config.h`, found in the working directory: the kept copy.
            (ArgKind::Flag(m @ (Meaning::IncludeFile | Meaning::IMacros)), Some(h)) => {
                match arg
                    .value
                    .as_deref()
                    .and_then(|v| h.generated_file(v, &self.cwd))
                {
                    Some(kept) => {
                        let flag = if *m == Meaning::IncludeFile {
                            "-include"
                        } else {
                            "-imacros"
                        };
                        vec![flag.to_string(), kept]
                    }
                    None => mapped(),
                }
            }
            (ArgKind::Input, _) if i != self.own => Vec::new(),
            // A generated source is kept in the output directory: name the kept copy.
            (ArgKind::Input, _) if self.src_loc.root == Root::Build => {
                vec![map.user_text(&self.src_abs, generated)]
            }
            // Link-only flags are left out when a compile-and-link call is split into its
            // compiles (as Bear does).
            (ArgKind::Flag(m), _) if self.linked && m.is_link_only() => Vec::new(),
            _ => arg
                .words
                .iter()
                .map(|w| map.map_relative(&map.map_word(w, generated), &self.cwd, generated))
                .collect(),
        }
    }
}

/// One link or archive command, for `link_commands.json`: where it ran, its words (response
/// files expanded, paths out of the scratch as in compile_commands.json), what it made and
/// what it read (sources of a compile-and-link call, objects, archives, libraries by path; a
/// library the project does not build as `-lNAME`).
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkEntry {
    pub directory: String,
    pub arguments: Vec<String>,
    pub output: String,
    pub inputs: Vec<String>,
}

/// The link and archive commands of the build (a compile-and-link call too: its whole command).
pub fn links(g: &Graph, map: &PathMap) -> Vec<LinkEntry> {
    let mut out = Vec::new();
    for a in &g.actions {
        if !matches!(a.kind, ActionKind::Link | ActionKind::Archive) {
            continue;
        }
        let Some((a0, rest)) = a.argv.split_first() else {
            continue;
        };
        let cwd = map.scratch_root_join(&a.cwd);
        let mut arguments = vec![map.map_tool(a0)];
        arguments.extend(
            rest.iter()
                .map(|w| map.map_relative(&map.map_word(w, &g.generated), &cwd, &g.generated)),
        );
        let path_of = |n: crate::graph::NodeId| -> Option<String> {
            let node = g.node(n);
            match &node.loc {
                Some(l) => Some(map.user_text(&map.scratch_root_join(l), &g.generated)),
                None => node.name.as_ref().map(|name| format!("-l{name}")),
            }
        };
        let Some(output) = a.outputs.first().and_then(|o| path_of(*o)) else {
            continue;
        };
        let inputs = a
            .inputs
            .iter()
            .filter(|(e, _)| {
                matches!(
                    e,
                    EdgeKind::Source | EdgeKind::Input | EdgeKind::Library | EdgeKind::Member
                )
            })
            .filter_map(|(_, n)| path_of(*n))
            .collect();
        out.push(LinkEntry {
            directory: map.user_text(&cwd, &g.generated),
            arguments,
            output,
            inputs,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// The flag that adds a directory to the include search, by its meaning.
fn search_flag(m: Meaning) -> Option<&'static str> {
    match m {
        Meaning::Include => Some("-I"),
        Meaning::IQuote => Some("-iquote"),
        Meaning::ISystem => Some("-isystem"),
        Meaning::IDirAfter => Some("-idirafter"),
        _ => None,
    }
}

/// The two halves of an in-source build's tree after the run: the user's tree (sources) and
/// `<out>/generated` (generated files, at the same relative paths). A directory the real compile
/// searched held both; the entry searches both, the user's half first, so that a name found in
/// the real directory is found in the half that holds it:
/// - a search directory (`-I`, `-iquote`, `-isystem`, `-idirafter`) of the tree is followed by
///   its generated half, with the same flag;
/// - a quoted include is first looked for in the including file's own directory, which clangd
///   sees in one half only. Where the translation unit, or a header it read, lies in one half of
///   a directory and a file it read lies below the other half of that directory, the other half
///   is searched first (`-iquote`, before every other directory), unless a search directory
///   already pairs it.
///
/// A front directory is added only when it cannot shadow: no file below it has the same
/// trailing path as a header the real compile read elsewhere (which a quoted include of that
/// spelling would find there first).
struct Halves<'a> {
    map: &'a PathMap,
    generated: &'a BTreeSet<String>,
    /// Every directory with a generated file below it ("" is the root).
    generated_dirs: BTreeSet<String>,
}

/// A file or directory of the tree: its path relative to the root and whether it is the
/// generated half's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Half {
    generated: bool,
    rel: String,
}

fn parent_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

/// Whether `rel` is `dir` or lies below it.
fn below(rel: &str, dir: &str) -> bool {
    dir.is_empty() || rel == dir || rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl<'a> Halves<'a> {
    fn new(g: &'a Graph, map: &'a PathMap) -> Halves<'a> {
        let mut generated_dirs = BTreeSet::new();
        for f in &g.generated {
            let mut d = parent_of(f);
            loop {
                if !generated_dirs.insert(d.to_string()) || d.is_empty() {
                    break;
                }
                d = parent_of(d);
            }
        }
        Halves {
            map,
            generated: &g.generated,
            generated_dirs,
        }
    }

    /// A path of the tree (relative to the root), for a path of the build (absolute in the
    /// scratch copy, or relative to the working directory `cwd`).
    fn rel(&self, word: &str, cwd: &Path) -> Option<String> {
        let p = raw::path(word);
        let abs = confess_shims::headers::lexical(&cwd.join(p));
        let loc = self.map.locate(&abs);
        (loc.root != Root::System).then_some(loc.path)
    }

    fn kept(&self, rel: &str) -> String {
        raw::text_path(&confess_shims::headers::lexical(
            &self.map.generated_dir.join(raw::path(rel)),
        ))
        .into_owned()
    }

    /// The generated half of a search directory, when it has one.
    fn generated_half(&self, dir: &str, cwd: &Path) -> Option<String> {
        let rel = self.rel(dir, cwd)?;
        self.generated_dirs.contains(&rel).then(|| self.kept(&rel))
    }

    /// The kept copy of a generated file named relative to the working directory.
    fn generated_file(&self, file: &str, cwd: &Path) -> Option<String> {
        if raw::path(file).is_absolute() {
            return None;
        }
        let rel = self.rel(file, cwd)?;
        self.generated.contains(&rel).then(|| self.kept(&rel))
    }

    /// The search directories of the tree the command names, both halves.
    fn chain(&self, cmd: &Command, cwd: &Path) -> BTreeSet<String> {
        cmd.args
            .iter()
            .filter(|a| matches!(a.kind, ArgKind::Flag(m) if search_flag(m).is_some()))
            .filter_map(|a| self.rel(a.value.as_deref()?, cwd))
            .collect()
    }

    fn has(&self, h: &Half) -> bool {
        if h.generated {
            self.generated.contains(&h.rel) || self.generated_dirs.contains(&h.rel)
        } else {
            self.map.user_has(&h.rel)
        }
    }

    /// The directories to search first (see the type), as absolute paths.
    fn front(
        &self,
        g: &Graph,
        a: &crate::graph::Action,
        src: &crate::pathmap::Loc,
        chain: &BTreeSet<String>,
    ) -> Vec<String> {
        let half = |loc: &crate::pathmap::Loc| match loc.root {
            Root::System => None,
            Root::Build if self.generated.contains(&loc.path) => Some(Half {
                generated: true,
                rel: loc.path.clone(),
            }),
            _ => Some(Half {
                generated: false,
                rel: loc.path.clone(),
            }),
        };
        let headers: Vec<&crate::pathmap::Loc> = a
            .inputs
            .iter()
            .filter(|(e, _)| *e == EdgeKind::Header)
            .filter_map(|(_, n)| g.node(*n).loc.as_ref())
            .collect();
        let read: Vec<Half> = headers.iter().filter_map(|l| half(l)).collect();
        // The translation unit first: its directory is searched before any other.
        let mut files: Vec<Half> = half(src).into_iter().collect();
        files.extend(read.iter().cloned());
        let mut out: Vec<Half> = Vec::new();
        for f in &files {
            let dir = parent_of(&f.rel);
            if chain.contains(dir) {
                continue;
            }
            let other = Half {
                generated: !f.generated,
                rel: dir.to_string(),
            };
            if out.contains(&other) || !self.has(&other) {
                continue;
            }
            let needed = read
                .iter()
                .any(|r| r.generated == other.generated && below(&r.rel, dir));
            if needed && !self.shadows(&other, &headers) {
                out.push(other);
            }
        }
        out.into_iter()
            .map(|h| {
                if h.generated {
                    self.kept(&h.rel)
                } else {
                    raw::text_path(&self.map.user_src.join(raw::path(&h.rel))).into_owned()
                }
            })
            .collect()
    }

    /// Whether searching `dir` could find a file other than the one the real compile read: a
    /// file below it ends with the trailing components of a header read from elsewhere.
    fn shadows(&self, dir: &Half, headers: &[&crate::pathmap::Loc]) -> bool {
        headers.iter().any(|h| {
            let mine = h.root != Root::System
                && (h.root == Root::Build && self.generated.contains(&h.path)) == dir.generated
                && below(&h.path, &dir.rel);
            if mine {
                return false;
            }
            let parts: Vec<&str> = h.path.split('/').filter(|c| !c.is_empty()).collect();
            (1..=parts.len()).any(|k| {
                let tail = parts[parts.len() - k..].join("/");
                let candidate = join(&dir.rel, &tail);
                if dir.generated {
                    self.generated.contains(&candidate)
                } else {
                    self.map.user_has(&candidate)
                }
            })
        })
    }
}

/// compile_commands.json or link_commands.json as written: pretty JSON and a final newline.
pub fn render<T: Serialize>(entries: &[T]) -> String {
    let mut s = serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// Where the database goes besides the output directory, and how it is shaped for its reader
/// (`--compdb`, `--append`, `--exclude`, `--relative`).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also write the database here (`--compdb PATH`: a file, or a directory to hold
    /// `compile_commands.json`).
    pub path: Option<std::path::PathBuf>,
    /// Merge with the database already at `path` (`--append`).
    pub append: bool,
    /// Entries whose file matches one of these are left out (`--exclude GLOB`).
    pub exclude: Vec<glob::Pattern>,
    /// Files, outputs and path arguments below an entry's directory are relative to it
    /// (`--relative`).
    pub relative: bool,
}

impl Options {
    /// `--exclude` patterns, each checked here so that a bad one is a usage error naming it.
    pub fn patterns(globs: &[String]) -> Result<Vec<glob::Pattern>, String> {
        globs
            .iter()
            .map(|g| {
                glob::Pattern::new(g)
                    .map_err(|e| format!("--exclude {g:?}: not a glob pattern: {e}"))
            })
            .collect()
    }

    /// Where `--compdb PATH` writes: PATH itself, or `PATH/compile_commands.json` when PATH
    /// is a directory.
    #[must_use]
    pub fn destination(&self) -> Option<std::path::PathBuf> {
        let p = self.path.as_ref()?;
        Some(if p.is_dir() {
            p.join("compile_commands.json")
        } else {
            p.clone()
        })
    }

    /// The entries this database keeps: excluded files left out (a pattern matches the file's
    /// absolute path or its path relative to the user's source tree `src`), paths made
    /// relative when asked.
    #[must_use]
    pub fn shape(&self, entries: Vec<Entry>, src: &Path) -> Vec<Entry> {
        entries
            .into_iter()
            .filter(|e| {
                let file = Path::new(&e.file);
                let rel = file.strip_prefix(src).ok();
                !self
                    .exclude
                    .iter()
                    .any(|p| p.matches_path(file) || rel.is_some_and(|r| p.matches_path(r)))
            })
            .map(|e| if self.relative { relative(e) } else { e })
            .collect()
    }
}

/// An entry with its file, output and path arguments below its directory made relative to it
/// (a glued `-I/dir/inc` too). Paths elsewhere (the output directory's generated files, the
/// system's) stay absolute.
fn relative(mut e: Entry) -> Entry {
    let dir = std::path::PathBuf::from(&e.directory);
    let rel = |w: &str| -> Option<String> {
        let r = Path::new(w).strip_prefix(&dir).ok()?;
        Some(if r.as_os_str().is_empty() {
            ".".to_string()
        } else {
            r.to_string_lossy().into_owned()
        })
    };
    if let Some(r) = rel(&e.file) {
        e.file = r;
    }
    if let Some(r) = rel(&e.output) {
        e.output = r;
    }
    for w in e.arguments.iter_mut().skip(1) {
        if let Some(r) = rel(w) {
            *w = r;
            continue;
        }
        for flag in ["-I", "-iquote", "-isystem", "-idirafter"] {
            if let Some(r) = w
                .strip_prefix(flag)
                .filter(|p| p.starts_with('/'))
                .and_then(rel)
            {
                *w = format!("{flag}{r}");
                break;
            }
        }
    }
    e
}

/// The database at `path` with `ours` merged in: an entry already there stays unless one of
/// ours has the same file and output (resolved against its directory), which replaces it.
/// Entries are kept as they were written (`command` or `arguments`).
pub fn merge(
    existing: &str,
    path: &Path,
    ours: &[Entry],
) -> Result<Vec<serde_json::Value>, String> {
    let old: Vec<serde_json::Value> = serde_json::from_str(existing).map_err(|e| {
        format!(
            "{}: not a compilation database ({e}): --append merges with a JSON array of entries; remove the file or leave out --append",
            path.display()
        )
    })?;
    let key = |v: &serde_json::Value| -> (std::path::PathBuf, Option<std::path::PathBuf>) {
        let dir = Path::new(v["directory"].as_str().unwrap_or(""));
        let abs = |p: &str| confess_shims::headers::lexical(&dir.join(p));
        (
            abs(v["file"].as_str().unwrap_or("")),
            v["output"].as_str().map(abs),
        )
    };
    let mut out: Vec<serde_json::Value> = ours
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    let new_keys: BTreeSet<_> = out.iter().map(key).collect();
    out.extend(old.into_iter().filter(|v| !new_keys.contains(&key(v))));
    out.sort_by(|a, b| {
        (
            a["directory"].as_str(),
            a["file"].as_str(),
            a["output"].as_str(),
        )
            .cmp(&(
                b["directory"].as_str(),
                b["file"].as_str(),
                b["output"].as_str(),
            ))
    });
    Ok(out)
}
