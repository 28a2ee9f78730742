//! The manifest build: every target of the manifests, as a build.ninja for the real toolchain.
//! The engine form (BUILD.dhall, read back through serde_dhall as exactly the engine's
//! `List Target`) gives each target's sources, compiler, compile and link flags and deps; its
//! companion (BUILD.confess.dhall) what the engine's Target cannot say: the kind, the output
//! and its aliases, and the flags of sources whose compile differs from their target's.
//!
//! Flags, sources, kinds and dependencies come from the manifests alone. Three things come from
//! the confession's graph.json, because a manifest does not say them and they change the bytes
//! of an object without changing what it means: the directory each compile ran in and how it
//! spelled its source (both end up in `__FILE__` and in debug information), and where the
//! build put each object (an archive's member names), and how the compile spelled a flag the
//! engine renders otherwise (`-g` is the engine's `Debug g2`, which it renders `-g2`; gcc
//! records the spelling in the object's debug information). Generated sources are the files the
//! confession kept (their producing commands are listed in the manifests, and not re-run).

use super::render;

mod ninja;

use crate::emit::graph_json::{ActionIn, Read as GraphIn};
use crate::error::{Error, Result};
use crate::graph::{ActionKind, EdgeKind, NodeKind};
use crate::model::{Target, TargetKind};
use crate::pathmap::Root;
pub use ninja::ninja;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One manifest target, with the package that declares it: its engine form and confess's own.
#[derive(Clone, Debug)]
pub struct Declared {
    /// `//dir:name`.
    pub label: String,
    pub dir: String,
    pub engine: crate::engine::model::Target,
    pub target: Target,
}

/// Reads every BUILD.dhall under `dhall/` of the output directory, each with its companion.
pub fn load(out: &Path) -> Result<Vec<Declared>> {
    load_manifests(out, &out.join("dhall"))
}

/// Reads the manifests below `root` (a confession's `dhall/`, or a copy of it committed to a
/// repository), every import kept inside `confine`.
pub fn load_manifests(confine: &Path, root: &Path) -> Result<Vec<Declared>> {
    use crate::emit::dhall::COMPANION;
    let out = confine;
    let root = root.to_path_buf();
    if !root.join("schema.dhall").is_file() {
        return Err(Error::Input {
            path: root,
            reason: "no manifests here: confess a project with this --out first".into(),
        });
    }
    let mut files: Vec<PathBuf> = crate::walk::files_below(&root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == COMPANION))
        .collect();
    files.sort();
    // Before serde_dhall resolves anything: every file it will read imports only files of the
    // output directory (imports.rs).
    let mut read: Vec<PathBuf> = Vec::new();
    for f in &files {
        read.push(f.clone());
        let ef = f.with_file_name("BUILD.dhall");
        if ef.exists() || ef.is_symlink() {
            read.push(ef);
        }
    }
    for top in ["packages.dhall", "schema.dhall"] {
        if root.join(top).exists() {
            read.push(root.join(top));
        }
    }
    super::imports::check(out, &read)?;
    let _cache = NoDhallCache::new();
    let mut all = Vec::new();
    for f in files {
        let rel = f
            .parent()
            .and_then(|p| p.strip_prefix(&root).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = if rel.is_empty() { ".".to_string() } else { rel };
        let targets: Vec<Target> = within_deadline(&f, |p| {
            serde_dhall::from_file(p).parse().map_err(|e| e.to_string())
        })?
        .map_err(|e| Error::Store {
            path: f.clone(),
            reason: format!("the manifest does not read as a list of confess's targets: {e}"),
        })?;
        let ef = f.with_file_name("BUILD.dhall");
        if !ef.is_file() {
            return Err(Error::Input {
                path: ef,
                reason: "no engine form beside the companion: verify rebuilds from the engine form (confess writes none when the engine's types cannot express the toolchain)".into(),
            });
        }
        let engine: Vec<crate::engine::model::Target> = within_deadline(&ef, |p| {
            serde_dhall::from_file(p)
                .static_type_annotation()
                .parse()
                .map_err(|e| e.to_string())
        })?
        .map_err(|e| Error::Store {
            path: ef.clone(),
            reason: format!("the manifest does not read as exactly the engine's List Target: {e}"),
        })?;
        let mut engine: BTreeMap<String, crate::engine::model::Target> =
            engine.into_iter().map(|t| (t.name.clone(), t)).collect();
        for t in targets {
            let label = if dir == "." {
                format!("//:{}", t.name)
            } else {
                format!("//{dir}:{}", t.name)
            };
            let Some(e) = engine.remove(&t.name) else {
                return Err(Error::Store {
                    path: ef.clone(),
                    reason: format!(
                        "no engine target {} for the companion's target {label}",
                        t.name
                    ),
                });
            };
            all.push(Declared {
                label,
                dir: dir.clone(),
                engine: e,
                target: t,
            });
        }
        if let Some(name) = engine.keys().next() {
            return Err(Error::Store {
                path: f.clone(),
                reason: format!("the engine target {name} of BUILD.dhall has no entry here"),
            });
        }
    }
    Ok(all)
}

/// How long serde_dhall may take to read a manifest of `len` bytes: 30 s plus 0.2 ms a byte
/// (confess's manifests of real projects take 0.03 to 0.04 ms a byte: 16 s for pixman's
/// 386 KB), or `CONFESS_DHALL_SECONDS` seconds when set.
#[must_use]
pub fn deadline(len: u64) -> std::time::Duration {
    match std::env::var("CONFESS_DHALL_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(s) => std::time::Duration::from_secs(s),
        None => std::time::Duration::from_millis(30_000 + len / 5),
    }
}

/// Runs serde_dhall's reading of `path` on a thread of its own and waits at most
/// [`deadline`]: its pest parser backtracks without memoization, and on some inputs (a text
/// with interpolations, found by the fuzzer; bracket nesting the lexer does not bound) it runs
/// for minutes or hours. A reading that misses the deadline is an error naming the file (exit
/// 6); the thread is left to the process's exit, which follows.
fn within_deadline<T: Send + 'static>(
    path: &Path,
    read: impl FnOnce(&Path) -> T + Send + 'static,
) -> Result<T> {
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    let p = path.to_path_buf();
    within(len, move || read(&p)).map_err(|limit| Error::Store {
        path: path.to_path_buf(),
        reason: format!(
            "Dhall's parser did not finish reading it within {} s (serde_dhall backtracks without \
             bound on some texts; confess's own manifests take well under that): restore the \
             file as confess wrote it (confess the project again with this --out)",
            limit.as_secs()
        ),
    })
}

/// Runs `read` (a reading of `len` bytes) on a thread of its own and waits at most
/// [`deadline`]; past it, the deadline comes back and the thread is left running.
pub fn within<T: Send + 'static>(
    len: u64,
    read: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, std::time::Duration> {
    let limit = deadline(len);
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("dhall".into())
        .spawn(move || {
            let _ = tx.send(read());
        });
    if spawned.is_err() {
        return Err(limit);
    }
    rx.recv_timeout(limit).map_err(|_| limit)
}

/// serde_dhall opens Dhall's cache directory (`$XDG_CACHE_HOME/dhall`, else `~/.cache/dhall`)
/// whenever it resolves imports, and makes it when it is not there: verify makes nothing outside
/// the output directory, and reads no hashed import (imports.rs refuses them), so while it reads
/// the manifests the cache is pointed at a place that cannot be a directory, and serde_dhall goes
/// without one. The variable is as it was again before any build runs.
struct NoDhallCache(Option<std::ffi::OsString>);

impl NoDhallCache {
    const VAR: &'static str = "XDG_CACHE_HOME";

    fn new() -> NoDhallCache {
        let old = std::env::var_os(Self::VAR);
        std::env::set_var(Self::VAR, "/dev/null");
        NoDhallCache(old)
    }
}

impl Drop for NoDhallCache {
    fn drop(&mut self) {
        match &self.0 {
            Some(v) => std::env::set_var(Self::VAR, v),
            None => std::env::remove_var(Self::VAR),
        }
    }
}

/// Where the two builds live: the same paths for both (the real build's trees are moved away
/// before the manifest build starts), so that paths recorded in objects agree.
#[derive(Clone, Debug)]
pub struct Roots {
    pub src: PathBuf,
    pub build: PathBuf,
    /// confess's output directory (made-up packages' stub directories).
    pub out: PathBuf,
}

impl Roots {
    /// A manifest path (`lib/a.c`, `[build]/gen.c`, `[out]/fake/x`, `/usr/include`) as a path.
    #[must_use]
    pub fn path(&self, p: &str) -> PathBuf {
        if let Some(rest) = p.strip_prefix("[build]") {
            self.build.join(rest.trim_start_matches('/'))
        } else if let Some(rest) = p.strip_prefix("[out]") {
            self.out.join(rest.trim_start_matches('/'))
        } else if p == "." {
            self.src.clone()
        } else if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            self.src.join(p)
        }
    }

    /// `path`, with names that are not UTF-8 (in confess's text form, `confess_shims::raw`)
    /// as their bytes: the file itself.
    #[must_use]
    pub fn file(&self, p: &str) -> PathBuf {
        let text = self.path(p);
        match text.to_str() {
            Some(t) => confess_shims::raw::path(t).into_owned(),
            None => text,
        }
    }
}

/// What graph.json says of one compile: where it ran, how it named its source, what it wrote.
#[derive(Clone, Debug)]
struct Compile {
    /// The object's node in graph.json: the compile's identity (a compile-and-link call's
    /// objects have no path, and two compiles of one source are two nodes).
    node: u64,
    cwd: PathBuf,
    src_word: String,
    /// Where the build put the object (`None`: inside a compile-and-link call).
    object: Option<String>,
    /// The compile's argv as recorded, its paths in the verify roots.
    argv: Vec<String>,
    /// Include directories as the compile spelled them (`./include`), by the directory they
    /// name: gcc writes the spelling into the line table, the manifests name it canonically.
    include_words: BTreeMap<PathBuf, String>,
    /// Flags the compile spelled otherwise than the engine renders them, by the engine's
    /// words: gcc records the spelling in the object's producer string.
    spelling: BTreeMap<Vec<String>, Vec<String>>,
}

/// Turns paths of the confession's trees in recorded words into the verify scratch's:
/// graph.json names the user's sources and confess's copies of the build tree.
struct Unmap(Vec<(String, PathBuf)>);

impl Unmap {
    fn new(recorded: &crate::emit::graph_json::RootsIn, roots: &Roots) -> Unmap {
        let mut prefixes: Vec<(String, PathBuf)> = Vec::new();
        for (p, to) in [
            (&recorded.generated, &roots.build),
            (&recorded.build, &roots.build),
            (&recorded.source, &roots.src),
        ] {
            if let Some(p) = p {
                prefixes.push((p.clone(), to.clone()));
            }
        }
        prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Unmap(prefixes)
    }

    /// A word that is such a path, or a flag with such a path glued to it (`-I/src/inc`,
    /// `-Wl,-rpath,/build`, `--sysroot=/x`), in the scratch.
    fn word(&self, w: &str) -> String {
        for (from, to) in &self.0 {
            let mut at = 0;
            while let Some(i) = w[at..].find(from.as_str()).map(|i| i + at) {
                let rest = &w[i + from.len()..];
                let starts = i == 0 || (w.starts_with('-') && !w[..i].ends_with('/'));
                if starts && (rest.is_empty() || rest.starts_with('/')) {
                    return format!("{}{}{rest}", &w[..i], to.display());
                }
                at = i + from.chars().next().map_or(1, char::len_utf8);
            }
        }
        w.to_string()
    }
}

/// The facts of the confession's graph the plan uses.
pub struct Recorded {
    compiles: BTreeMap<String, Vec<Compile>>,
    /// The object nodes each artifact was made from (inputs and members), in command-line
    /// order, by the artifact's manifest path.
    inputs: BTreeMap<String, Vec<u64>>,
    /// Where each artifact's link ran (relative words in link flags are relative to it).
    link_cwd: BTreeMap<String, PathBuf>,
}

impl Recorded {
    /// Reads graph.json; paths in it that name the user's tree or the output directory are
    /// turned into the verify scratch's.
    pub fn read(out: &Path, roots: &Roots) -> Result<Recorded> {
        let g = crate::emit::graph_json::Read::load(&out.join("graph.json"))?;
        let unmap = Unmap::new(&g.roots, roots);
        let mut rec = Recorded {
            compiles: BTreeMap::new(),
            inputs: BTreeMap::new(),
            link_cwd: BTreeMap::new(),
        };
        for a in &g.actions {
            let cwd_rel = PathBuf::from(&a.cwd.path);
            let cwd = match a.cwd.root {
                Root::Build => roots.build.join(cwd_rel),
                Root::Source => roots.src.join(cwd_rel),
                Root::System => cwd_rel,
            };
            if matches!(a.kind, ActionKind::Compile | ActionKind::Assemble) {
                rec.add_compile(&g, a, &cwd, roots, &unmap);
            } else if matches!(a.kind, ActionKind::Archive | ActionKind::Link) {
                rec.add_artifact(&g, a, &cwd);
            }
        }
        Ok(rec)
    }

    /// Records a compile (or assembler call) that ran in `cwd`: one per object it wrote.
    fn add_compile(&mut self, g: &GraphIn, a: &ActionIn, cwd: &Path, roots: &Roots, unmap: &Unmap) {
        let Some(src) = a
            .inputs
            .iter()
            .find(|i| i.edge == EdgeKind::Source)
            .and_then(|i| g.node_path(i.node))
        else {
            return;
        };
        let src_abs = roots.path(&src);
        let argv: Vec<String> = a.argv.iter().map(|w| unmap.word(w)).collect();
        // The word that named the source, as the build spelled it.
        let src_word = argv
            .iter()
            .skip(1)
            .find(|w| {
                !w.starts_with('-') && {
                    let p = Path::new(w.as_str());
                    let abs = if p.is_absolute() {
                        p.to_path_buf()
                    } else {
                        cwd.join(p)
                    };
                    confess_shims::headers::lexical(&abs)
                        == confess_shims::headers::lexical(&src_abs)
                }
            })
            .cloned()
            .unwrap_or_else(|| src_abs.display().to_string());
        let include_words = include_words(&argv, cwd);
        let spelling = spelling(&argv, cwd);
        for &node in &a.outputs {
            self.compiles.entry(src.clone()).or_default().push(Compile {
                node: u64::from(node),
                cwd: cwd.to_path_buf(),
                src_word: src_word.clone(),
                object: g.node_path(node),
                argv: argv.clone(),
                include_words: include_words.clone(),
                spelling: spelling.clone(),
            });
        }
    }

    /// Records the objects an archive or link (that ran in `cwd`) was made from.
    fn add_artifact(&mut self, g: &GraphIn, a: &ActionIn, cwd: &Path) {
        let outputs: Vec<String> = a.outputs.iter().filter_map(|o| g.node_path(*o)).collect();
        let objs: Vec<u64> = a
            .inputs
            .iter()
            .map(|i| i.node)
            .filter(|n| {
                g.node(*n).is_some_and(|n| {
                    matches!(
                        n.kind,
                        NodeKind::Object | NodeKind::Assembly | NodeKind::Relocatable
                    )
                })
            })
            .map(u64::from)
            .collect();
        for o in outputs {
            if a.kind == ActionKind::Link {
                self.link_cwd.insert(o.clone(), cwd.to_path_buf());
            }
            self.inputs
                .entry(o)
                .or_default()
                .extend(objs.iter().copied());
        }
    }

    /// The compile of `src` that wrote `object`.
    fn compile_writing(&self, src: &str, object: Option<&String>) -> Option<&Compile> {
        self.compiles
            .get(src)?
            .iter()
            .find(|c| object.is_some() && c.object.as_ref() == object)
    }

    /// The compiles of `src` whose objects went into `artifact`, in its command-line order
    /// (for an object library, or an artifact the graph does not know: the first compile of
    /// `src` whose object any artifact used, else its first compile).
    fn compiles_for(&self, src: &str, artifact: Option<&str>) -> Vec<&Compile> {
        let Some(cs) = self.compiles.get(src) else {
            return Vec::new();
        };
        if let Some(ins) = artifact.and_then(|a| self.inputs.get(a)) {
            let mut mine: Vec<&Compile> = Vec::new();
            for n in ins {
                if let Some(c) = cs.iter().find(|c| c.node == *n) {
                    if !mine.iter().any(|m| m.node == c.node) {
                        mine.push(c);
                    }
                }
            }
            if !mine.is_empty() {
                return mine;
            }
        }
        let used: BTreeSet<u64> = self.inputs.values().flatten().copied().collect();
        cs.iter()
            .find(|c| used.contains(&c.node))
            .or(cs.first())
            .into_iter()
            .collect()
    }
}

fn is_cxx(p: &str) -> bool {
    let ext = p.rsplit('.').next().unwrap_or("");
    matches!(
        ext,
        "cc" | "cpp" | "cxx" | "C" | "c++" | "cp" | "CPP" | "ii"
    )
}

/// One object of the manifest build: which target, which source, where it goes.
#[derive(Clone, Debug)]
pub struct Object {
    pub src: String,
    /// Manifest path of the object (the same place as in the real build).
    pub path: String,
    /// The compile the manifest build runs for it (empty when another target's compile makes
    /// it), and the compile the confession recorded for it, if any.
    pub argv: Vec<String>,
    pub recorded: Option<Vec<String>>,
}

/// What the plan builds for one target.
#[derive(Clone, Debug)]
pub struct Planned {
    pub label: String,
    pub kind: TargetKind,
    pub output: String,
    /// Where else the build leaves the artifact (symbolic links, copies).
    pub aliases: Vec<String>,
    pub objects: Vec<Object>,
    /// Dependencies the manifest build could not turn into link inputs (a find_package
    /// package names no library), said in words.
    pub unresolved: Vec<String>,
}

fn ninja_escape(s: &str) -> String {
    s.replace('$', "$$").replace(' ', "$ ").replace(':', "$:")
}

fn shell(words: &[String]) -> String {
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// A file of a target's sources that goes to its link as it is (a prebuilt object or library
/// of the project), not to a compiler.
fn is_link_input(p: &str) -> bool {
    let file = p.rsplit('/').next().unwrap_or(p);
    [".o", ".obj", ".a", ".so", ".lo"]
        .iter()
        .any(|x| file.ends_with(x))
        || file.contains(".so.")
}

/// The group brackets of a link (`-Wl,--start-group` ... `-Wl,--end-group`): the engine has no
/// constructor for them, and they stand around the link's libraries.
const START_GROUP: &str = "-Wl,--start-group";
const END_GROUP: &str = "-Wl,--end-group";

/// The words of a compile call that decide what it compiles to, in order: every flag but
/// those that say where outputs go, where the driver stops, or what the link takes (a
/// compile-and-link call's `-shared` and libraries); the driver, inputs and `-o` left out.
#[must_use]
pub fn compile_words(argv: &[String]) -> Vec<String> {
    use confess_shims::args::ArgKind;
    let Some((a0, rest)) = argv.split_first() else {
        return Vec::new();
    };
    // An assembler's: the words that decide its object (see `asm::Command::deciding_words`).
    let role = confess_shims::role::Role::from_argv0(a0).filter(|r| r.is_assembler());
    if let Some(tool) = role.and_then(|r| confess_shims::asm::Assembler::of_role(r.as_str())) {
        // Typed and rendered again: `-I inc` and `-Iinc`, `-F dwarf` and `-gdwarf` say the same.
        return match confess_shims::asm::parse(tool, rest) {
            Ok(cmd) => {
                let same = |w: &str| w.to_string();
                let flags = crate::targets::asm_flags(&cmd, &same);
                let asm = crate::targets::assembler_of(tool);
                render::asm_flags(&asm, &flags, &same)
            }
            Err(_) => rest.to_vec(),
        };
    }
    let Ok(cmd) = confess_shims::args::parse(rest, a0.contains("clang"), Path::new("/")) else {
        return rest.to_vec();
    };
    cmd.args
        .iter()
        .filter(|a| match &a.kind {
            ArgKind::Input => false,
            ArgKind::Unknown => true,
            ArgKind::Flag(m) => !(crate::model::flags::plumbing(*m) || m.is_link_only()),
        })
        .flat_map(|a| a.words.iter().cloned())
        .collect()
}

/// One compile of the manifest build beside the compile the confession recorded for it.
#[derive(Clone, Debug)]
pub struct CompileCheck {
    pub target: String,
    pub object: String,
    pub rendered: Vec<String>,
    pub recorded: Vec<String>,
}

/// Renders every compile of a confession's manifests, without running anything, beside the
/// compile recorded for the same object (paths in both as the confession's graph names them).
/// Compiles the graph has no record of (none in a confession of this version) are left out.
pub fn compiles(out: &Path) -> Result<Vec<CompileCheck>> {
    let declared = load(out)?;
    let g = crate::emit::graph_json::Read::load(&out.join("graph.json"))?;
    // The layout verify's scratch has: the sources in `src`, an out-of-tree build tree (one
    // graph.json gives no build root of its own) in `build` beside it, where relative words of
    // the recorded compiles (`-I../src/include`) name what they named. Nothing is read there.
    let base = Path::new("/confess-verify-plan");
    let roots = Roots {
        src: base.join("src"),
        build: if g.roots.build.is_none() {
            base.join("build")
        } else {
            base.join("src")
        },
        out: out.to_path_buf(),
    };
    let rec = Recorded::read(out, &roots)?;
    let (_, planned) = ninja(&declared, &rec, &roots)?;
    // The engine form names the build tree by the output directory's copy of it (`[out]/build`,
    // `[out]/generated` for an in-tree build): the same files as the build tree's.
    let copies: Vec<String> = ["build", "generated"]
        .iter()
        .map(|d| out.join(d).display().to_string())
        .collect();
    let build = roots.build.display().to_string();
    let same = |w: &String| -> String {
        let mut w = w.clone();
        for c in &copies {
            w = w.replace(c.as_str(), &build);
        }
        w
    };
    Ok(planned
        .into_iter()
        .flat_map(|p| {
            let label = p.label.clone();
            p.objects.into_iter().filter_map(move |o| {
                Some(CompileCheck {
                    target: label.clone(),
                    object: o.path,
                    recorded: o.recorded?,
                    rendered: o.argv.iter().map(same).collect(),
                })
            })
        })
        .filter(|c| !c.rendered.is_empty())
        .collect())
}

/// The compiler driver of a toolchain, for C or C++.
fn compiler(c: &crate::engine::model::Compiler, cxx: bool) -> String {
    use crate::engine::model::Compiler;
    match (c, cxx) {
        (Compiler::Clang(_), false) => "clang",
        (Compiler::Clang(_), true) => "clang++",
        (_, false) => "gcc",
        (_, true) => "g++",
    }
    .to_string()
}

fn pkg_config_libs(module: &str) -> Option<Vec<String>> {
    let out = std::process::Command::new("pkg-config")
        .args(["--libs", module])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    shlex::split(String::from_utf8_lossy(&out.stdout).trim())
}

/// The include directories of a recorded compile (`-I`, `-isystem`, `-iquote`, `-idirafter`,
/// glued or separate), each as spelled, by the directory it names.
fn include_words(argv: &[String], cwd: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut words = argv.iter().skip(1);
    while let Some(w) = words.next() {
        let value = ["-I", "-isystem", "-iquote", "-idirafter"]
            .iter()
            .find_map(|f| {
                let rest = w.strip_prefix(f)?;
                if rest.is_empty() {
                    words.next().cloned()
                } else if *f == "-I" {
                    Some(rest.to_string())
                } else {
                    None
                }
            });
        if let Some(v) = value {
            let abs = confess_shims::headers::lexical(&cwd.join(&v));
            out.entry(abs).or_insert(v);
        }
    }
    out
}

/// The words of a recorded compile whose engine flag the engine renders otherwise, by the
/// engine's rendering.
fn spelling(argv: &[String], cwd: &Path) -> BTreeMap<Vec<String>, Vec<String>> {
    use crate::engine::{flags, render};
    let mut out = BTreeMap::new();
    let Some((a0, rest)) = argv.split_first() else {
        return out;
    };
    let Ok(cmd) = confess_shims::args::parse(rest, a0.contains("clang"), cwd) else {
        return out;
    };
    let same = |w: &str| w.to_string();
    let words = flags::Words {
        path: &same,
        text: &same,
    };
    let places = render::Places {
        path: &same,
        text: &same,
    };
    for s in flags::cflags(&cmd, &words) {
        let engine = render::cflag(&s.flag, &places);
        if engine != s.words {
            out.entry(engine).or_insert(s.words);
        }
    }
    out
}

/// Where the manifest build puts the object of a compile the confession has no path for.
fn synthetic_object(label: &str, src: &str, at: usize) -> String {
    format!(
        "[build]/confess-verify/{}/{}.{at}.o",
        label.replace([':', '/'], "_"),
        src.rsplit('/').next().unwrap_or(src)
    )
}

/// A manifest path as a recorded compile (or assembler call) in `cwd` named it: its own
/// spelling of an include directory, else relative to `cwd` when the call named its source
/// relatively and the path is in the trees, else absolute.
fn spelled_path(
    roots: &Roots,
    spelled: &BTreeMap<PathBuf, String>,
    relative: bool,
    cwd: &Path,
    p: &str,
) -> String {
    let abs = roots.path(p);
    if let Some(w) = spelled.get(&confess_shims::headers::lexical(&abs)) {
        return w.clone();
    }
    if relative && (abs.starts_with(&roots.src) || abs.starts_with(&roots.build)) {
        relative_to(cwd, &abs)
    } else {
        abs.display().to_string()
    }
}

/// `to` as a path relative to the directory `from` (both absolute): `../include`.
fn relative_to(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::{include_words, relative_to};
    use std::path::{Path, PathBuf};

    #[test]
    fn paths_relative_to_a_directory() {
        let r = |a: &str, b: &str| relative_to(Path::new(a), Path::new(b));
        assert_eq!(r("/s/src", "/s/include"), "../include");
        assert_eq!(r("/s", "/s/include/x"), "include/x");
        assert_eq!(r("/s/a", "/s/a"), ".");
        assert_eq!(r("/s/a/b", "/t"), "../../../t");
    }

    #[test]
    fn include_directories_keep_their_spelling() {
        let argv: Vec<String> = "gcc -I. -I./include -isystem ../sys -iquote q -Iinclude -c a.c"
            .split(' ')
            .map(String::from)
            .collect();
        let w = include_words(&argv, Path::new("/s/b"));
        let at = |p: &str| w.get(&PathBuf::from(p)).map(String::as_str);
        assert_eq!(at("/s/b"), Some("."));
        // The first spelling of a directory is the one gcc records.
        assert_eq!(at("/s/b/include"), Some("./include"));
        assert_eq!(at("/s/sys"), Some("../sys"));
        assert_eq!(at("/s/b/q"), Some("q"));
        assert_eq!(w.len(), 4);
    }
}
