//! Targets: the graph grouped into what a build engine builds (executables, static and shared
//! libraries, object libraries), each with its sources, headers, typed flags, dependencies and
//! toolchain. This is what the BUILD.dhall manifests hold (`emit::dhall`).

pub mod flags;
pub mod model;
pub mod names;

use crate::graph::{Action, ActionKind, EdgeKind, Graph, NodeId, NodeKind};
use crate::pathmap::{Loc, PathMap, Root};
use confess_shims::args::ArgKind;
use confess_shims::flags::Meaning;
use model::*;
use names::Names;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One command a target came from, as the build ran it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// `compile`, `assemble`, `archive`, `link` or `run`.
    pub what: String,
    /// What it made (as manifests write paths).
    pub output: String,
    pub cwd: String,
    pub argv: Vec<String>,
}

/// Everything `confess targets` and `confess explain` show: the packages as emitted, and the
/// commands each target came from (keyed by `dir:name`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Confessed {
    pub schema: String,
    pub packages: Vec<Package>,
    pub commands: BTreeMap<String, Vec<CommandRecord>>,
    /// Programs and libraries the build made and deleted again, used by nothing (probes run
    /// from a Makefile): not targets.
    pub transient: Vec<String>,
    /// The engine's form of the packages (BUILD.dhall), in the order of `packages`; empty when
    /// the engine cannot express a toolchain (then `engine_lacks` says what).
    #[serde(default)]
    pub engine: Vec<crate::engine::Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_lacks: Option<crate::engine::Lacks>,
    /// What the sealed build wrote outside the source and build trees (installs, absolute
    /// paths), kept from the user's files by the seal: the install layout, with the graph node
    /// each installed artifact is a copy of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<Outside>,
    /// The sealed build's network attempts, per step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::seal::NetworkAttempts>,
    /// The machine's files the sealed build read from outside its trees, the system and the
    /// programs it ran, per step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<crate::seal::OutsideRead>,
    /// Steps whose reads were not observed, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads_unobserved: Vec<String>,
    /// The calls that looked inside artifacts of the build (nm, readelf, objdump), alike calls
    /// counted together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspections: Vec<Inspection>,
}

/// Calls of one tool that looked inside the same artifacts, answered the same way.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Inspection {
    /// `nm`, `readelf`, `objdump`.
    pub tool: String,
    /// `realized`: the artifacts were built for real and the real tool read them; `answered`:
    /// answered from the token, nothing built (Meson's symbol extractor).
    pub how: String,
    /// What it looked inside, as the targets name outputs (`[build]/libx.a`).
    pub inspected: Vec<String>,
    /// Artifacts realizing them takes: each inspected one and every artifact it is made from
    /// (0 when answered). Each is built once per content, however many calls need it.
    pub artifacts: usize,
    /// How many such calls the build made.
    pub calls: usize,
}

/// A file the sealed build wrote outside the trees.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Outside {
    pub path: String,
    /// `file`, `symlink`, `deleted` or `directory`.
    pub kind: String,
    /// The step (command of the driver, and its phase) that wrote it.
    pub step: String,
    /// For an installed artifact: the output (as the targets name it) it is a copy of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// For a symbolic link: where it points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

pub const SCHEMA: &str = "confess-targets/3";

impl Confessed {
    /// The refs to local targets (deps and link lines) that name no target of the packages,
    /// each with the target that holds it: none, in any confession confess writes.
    pub fn dangling_labels(&self) -> Vec<String> {
        let known: BTreeSet<(&str, &str)> = self
            .packages
            .iter()
            .flat_map(|p| p.targets.iter().map(|t| (p.dir.as_str(), t.name.as_str())))
            .collect();
        let mut bad = Vec::new();
        for p in &self.packages {
            for t in &p.targets {
                let refs = t.deps.iter().chain(t.link.iter().filter_map(|l| match l {
                    LinkItem::Dep(d) => Some(d),
                    _ => None,
                }));
                for d in refs {
                    let Dep::Local(r) = d else { continue };
                    let resolved = match (r.strip_prefix("//"), r.strip_prefix(':')) {
                        (Some(rest), _) => rest
                            .split_once(':')
                            .map(|(dir, n)| (if dir.is_empty() { "." } else { dir }, n)),
                        (None, Some(n)) => Some((p.dir.as_str(), n)),
                        _ => None,
                    };
                    let valid = resolved.is_some_and(|(dir, n)| {
                        !dir.starts_with('/')
                            && !dir.split('/').any(|c| c.is_empty() || c == "..")
                            && known.contains(&(dir, n))
                    });
                    if !valid {
                        bad.push(format!("{r} (in {}:{})", p.dir, t.name));
                    }
                }
            }
        }
        bad.sort();
        bad.dedup();
        bad
    }

    pub fn targets(&self) -> impl Iterator<Item = (&str, &Target)> {
        self.packages
            .iter()
            .flat_map(|p| p.targets.iter().map(move |t| (p.dir.as_str(), t)))
    }
}

/// A ref to a target as the engine writes it: `:name` inside a package, `//dir:name` across.
pub fn target_ref(from_dir: &str, dir: &str, name: &str) -> String {
    if from_dir == dir {
        format!(":{name}")
    } else if dir == "." {
        format!("//:{name}")
    } else {
        format!("//{dir}:{name}")
    }
}

/// Paths as the manifests write them: relative to the source root, `[build]/` for the build
/// tree, `[out]/` for files confess keeps in its output directory, absolute otherwise.
pub struct Paths<'a> {
    pub map: &'a PathMap,
    pub out: PathBuf,
}

impl Paths<'_> {
    pub fn loc(&self, loc: &Loc) -> String {
        match loc.root {
            Root::Source if loc.path.is_empty() => ".".into(),
            Root::Source => loc.path.clone(),
            Root::Build if loc.path.is_empty() => "[build]".into(),
            Root::Build => format!("[build]/{}", loc.path),
            Root::System => self.system(&loc.path),
        }
    }

    fn system(&self, p: &str) -> String {
        let mapped = self.map.map_word(p, &BTreeSet::new());
        match confess_shims::raw::path(&mapped).strip_prefix(&self.out) {
            Ok(rel) => format!("[out]/{}", confess_shims::raw::text_path(rel)),
            Err(_) => mapped,
        }
    }

    /// A word of a recorded command: scratch paths mapped out, and confess's output directory
    /// written `[out]`, so that manifests do not depend on where they were written.
    pub fn text(&self, g: &Graph, w: &str) -> String {
        let mapped = self.map.map_word(w, &g.generated);
        // What map_word leaves of the scratch directory (inside a list such as an rpath).
        let text = |p: &Path| confess_shims::raw::text_path(p).into_owned();
        mapped
            .replace(&text(&self.out), "[out]")
            .replace(&text(&self.map.scratch_build), "[build]")
            .replace(&text(&self.map.scratch_src), &text(&self.map.user_src))
    }

    /// A path a command named, relative to the directory it ran in.
    pub fn word(&self, cwd: &Path, p: &str) -> String {
        let p = confess_shims::raw::path(p);
        let abs = if p.is_absolute() {
            p.into_owned()
        } else {
            cwd.join(p)
        };
        self.loc(&self.map.locate(&abs))
    }
}

struct Facts {
    compiler: Compiler,
    triple: Triple,
    /// What `-dumpmachine` says, for the engine's triple.
    machine: String,
}

/// What the compiler the build named says of itself (its version and machine): the same
/// binary the configure phase ran.
/// The version an assembler reports: nasm's `NASM version 2.16.01 ...`, yasm's `yasm 1.3.0`,
/// as's `GNU assembler (GNU Binutils for Debian) 2.40`.
fn ask_assembler(tree: &crate::tree::Tree, program: &str, tool: &str) -> Assembler {
    let flag = if program == "nasm" { "-v" } else { "--version" };
    let banner = tree.run(tool, &[flag]).unwrap_or_default();
    let line = banner.lines().next().unwrap_or_default();
    let version = match program {
        "nasm" => line
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1),
        _ => line.split_whitespace().last(),
    }
    .unwrap_or_default()
    .to_string();
    let v = Version { version };
    match program {
        "nasm" => Assembler::Nasm(v),
        "yasm" => Assembler::Yasm(v),
        _ => Assembler::GnuAs(v),
    }
}

/// The manifest's assembler for a tool, with no version.
pub fn assembler_of(tool: confess_shims::asm::Assembler) -> Assembler {
    let v = Version {
        version: String::new(),
    };
    match tool {
        confess_shims::asm::Assembler::Nasm => Assembler::Nasm(v),
        confess_shims::asm::Assembler::Yasm => Assembler::Yasm(v),
        confess_shims::asm::Assembler::Gas => Assembler::GnuAs(v),
    }
}

/// An assembler's options, typed (paths as the manifests write them).
pub fn asm_flags(cmd: &confess_shims::asm::Command, path: &dyn Fn(&str) -> String) -> Vec<AsmFlag> {
    use confess_shims::asm::Opt;
    let mut out = Vec::new();
    for a in &cmd.args {
        match &a.opt {
            Opt::Input | Opt::Output(_) | Opt::Depend(_) | Opt::SideOutput => {}
            Opt::Format(f) => out.push(AsmFlag::Format(f.clone())),
            Opt::Include(d) => out.push(AsmFlag::Include(path(d))),
            Opt::Define(d) => out.push(AsmFlag::Define(match d.split_once('=') {
                Some((n, v)) => Define {
                    name: n.into(),
                    value: Some(v.into()),
                },
                None => Define {
                    name: d.clone(),
                    value: None,
                },
            })),
            Opt::Undefine(u) => out.push(AsmFlag::Undefine(u.clone())),
            Opt::PreInclude(f) => out.push(AsmFlag::PreInclude(path(f))),
            Opt::Debug(f) => out.push(AsmFlag::Debug(f.clone())),
            Opt::Optimize(o) => out.push(AsmFlag::Optimize(o.clone())),
            Opt::Warn(_) => out.push(AsmFlag::Warn(a.words.join(" "))),
            Opt::NotAssembling | Opt::Other => {
                out.extend(a.words.iter().map(|w| AsmFlag::Raw(w.clone())))
            }
        }
    }
    out
}

fn ask_compiler(tree: &crate::tree::Tree, tool: &str) -> Facts {
    let run = |arg: &str| {
        tree.run(tool, &[arg])
            .map(|o| o.trim().to_string())
            .unwrap_or_default()
    };
    let banner = run("--version");
    let machine = run("-dumpmachine");
    let name = Path::new(tool)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| tool.to_string());
    let compiler = if banner.contains("clang") {
        // clang's -dumpversion is the compatibility version; the banner has the real one.
        let v = banner
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        Compiler::Clang(Version { version: v })
    } else if banner.contains("Free Software Foundation") || banner.contains("GCC") {
        Compiler::GCC(Version {
            version: run("-dumpfullversion"),
        })
    } else {
        Compiler::Unknown(NamedVersion {
            name,
            version: run("-dumpversion"),
        })
    };
    Facts {
        compiler,
        triple: parse_triple(&machine),
        machine,
    }
}

pub fn parse_triple(s: &str) -> Triple {
    let parts: Vec<&str> = s.split('-').collect();
    let (arch, vendor, os, abi) = match parts.as_slice() {
        [a, o, b] => (*a, "unknown", *o, *b),
        [a, v, o, b] => (*a, *v, *o, *b),
        [a] if !a.is_empty() => (*a, "unknown", "none", "none"),
        _ => ("", "unknown", "none", "none"),
    };
    Triple {
        arch: match arch {
            "x86_64" => Arch::x86_64,
            "i686" | "i586" | "i386" => Arch::i686,
            "aarch64" => Arch::aarch64,
            "arm" | "armv7" | "armv7l" => Arch::arm,
            "riscv64" => Arch::riscv64,
            "powerpc64le" => Arch::powerpc64le,
            "s390x" => Arch::s390x,
            a => Arch::Other(a.to_string()),
        },
        vendor: match vendor {
            "unknown" => Vendor::unknown,
            "pc" => Vendor::pc,
            "apple" => Vendor::apple,
            v => Vendor::Other(v.to_string()),
        },
        os: match os {
            "linux" => OS::linux,
            "darwin" => OS::darwin,
            "windows" | "mingw32" => OS::windows,
            "freebsd" => OS::freebsd,
            "none" | "elf" => OS::none,
            o => OS::Other(o.to_string()),
        },
        abi: match abi {
            "gnu" => ABI::gnu,
            "gnueabihf" => ABI::gnueabihf,
            "musl" => ABI::musl,
            "android" => ABI::android,
            "msvc" => ABI::msvc,
            "none" => ABI::none,
            b => ABI::Other(b.to_string()),
        },
        cpu: Cpu::generic,
        gpu: Gpu::NoGPU,
    }
}

/// One compiled source of a target.
struct Unit {
    src: String,
    /// The object the compile wrote, where the build named it (a compile-and-link call's
    /// objects have no name).
    object: Option<String>,
    cxx: bool,
    flags: Vec<CFlag>,
    /// The same compile in the engine's vocabulary.
    engine: Vec<crate::engine::model::CFlag>,
    sysroot: Option<String>,
    tool: String,
    action: usize,
    /// An assembler's call (nasm, yasm, as): its program and typed options. Such a unit has
    /// no C flags and stays out of the target's.
    assembly: Option<(String, Vec<AsmFlag>)>,
}

/// A target before its name and package are settled.
struct Draft {
    kind: TargetKind,
    output: String,
    aliases: Vec<String>,
    objects: Vec<NodeId>,
    /// The action that made the artifact (link or archive).
    action: Option<usize>,
    named: Option<names::Named>,
    /// Target indices this one uses, in command-line order, and other deps.
    uses: Vec<usize>,
    deps: Vec<Dep>,
    requires: BTreeSet<String>,
    dir: String,
    name: String,
    /// The directory outside the project tree that holds its sources (its package then lives
    /// under `_outside/`).
    outside_dir: Option<String>,
}

/// What targets built from sources outside the project tree become (`--outside`).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OutsideAs {
    /// Targets of their own, in packages under `_outside/`.
    #[default]
    Targets,
    /// An `External` dependency of the targets that use them: named `DIR:NAME` by the
    /// directory of their sources, and pinned by a sha256 over the path and content hash of
    /// every source and header their compiles read.
    External,
}

fn is_cxx_source(p: &str) -> bool {
    let ext = p.rsplit('.').next().unwrap_or("");
    matches!(
        ext,
        "cc" | "cpp" | "cxx" | "C" | "c++" | "cp" | "CPP" | "ii"
    )
}

/// The name of a target after its output: `libz.so.1.2.3` and `libz.a` are `z`, `app` is `app`.
fn name_from_output(output: &str, kind: TargetKind) -> String {
    let file = output.rsplit('/').next().unwrap_or(output);
    let base = match kind {
        TargetKind::SharedLibrary => file.split(".so").next().unwrap_or(file),
        TargetKind::StaticLibrary => file.strip_suffix(".a").unwrap_or(file),
        _ => file.strip_suffix(".exe").unwrap_or(file),
    };
    let base = if matches!(kind, TargetKind::SharedLibrary | TargetKind::StaticLibrary) {
        base.strip_prefix("lib")
            .filter(|b| !b.is_empty())
            .unwrap_or(base)
    } else {
        base
    };
    base.to_string()
}

/// Builds the targets of a confession. `out` is the output directory (for paths confess keeps
/// there), `written` where its files are while the confession is written (the staging
/// directory); `names` what the build system calls its targets.
pub fn build(
    g: &Graph,
    map: &PathMap,
    out: &Path,
    written: &Path,
    names: &Names,
    outside: OutsideAs,
) -> Confessed {
    let paths = Paths {
        map,
        out: out.to_path_buf(),
    };
    // The build steps' reads from outside: every target may depend on them (the seal sees
    // reads per step, not per command). A file the graph has as a node of its own (a header a
    // compile read, a library a link took) is judged where it is used instead.
    let step_reads: BTreeSet<String> = {
        let known: BTreeSet<String> = g
            .nodes
            .iter()
            .filter_map(|n| n.loc.as_ref())
            .filter(|l| l.root == Root::System)
            .map(|l| paths.loc(l))
            .collect();
        g.reads
            .iter()
            .filter(|r| r.build && !known.contains(&r.path))
            .map(|r| r.path.clone())
            .collect()
    };
    let mut producer: BTreeMap<NodeId, usize> = BTreeMap::new();
    for (i, a) in g.actions.iter().enumerate() {
        if a.kind != ActionKind::Run {
            for o in &a.outputs {
                producer.entry(*o).or_insert(i);
            }
        }
    }
    // Final artifacts: one per written location (the last version of an archive that was
    // extended with `ar r` several times is the one no other archive step read).
    let mut by_loc: BTreeMap<Loc, Vec<NodeId>> = BTreeMap::new();
    for n in &g.nodes {
        let final_kind = matches!(
            n.kind,
            NodeKind::Archive | NodeKind::SharedLibrary | NodeKind::Executable
        );
        if let (true, Some(loc)) = (final_kind, &n.loc) {
            if producer.contains_key(&n.id) {
                by_loc.entry(loc.clone()).or_default().push(n.id);
            }
        }
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let mut transient: Vec<String> = Vec::new();
    let consumed: BTreeSet<NodeId> = g
        .actions
        .iter()
        .flat_map(|a| a.inputs.iter().map(|(_, i)| *i))
        .collect();
    // Versions that an action reads and writes again at the same place (`ar` adding to an
    // archive): not the last one. One pass over the actions, not one per artifact.
    let versioned: BTreeSet<NodeId> = by_loc.values().flatten().copied().collect();
    let rewritten: BTreeSet<NodeId> = g
        .actions
        .iter()
        .flat_map(|a| {
            a.inputs
                .iter()
                .map(|(_, i)| *i)
                .filter(|i| versioned.contains(i))
                .filter(|i| {
                    let at = g.node(*i).loc.as_ref();
                    a.outputs.iter().any(|o| g.node(*o).loc.as_ref() == at)
                })
        })
        .collect();
    let mut node_target: BTreeMap<NodeId, usize> = BTreeMap::new();
    for (loc, versions) in &by_loc {
        let last = versions
            .iter()
            .copied()
            .find(|v| !rewritten.contains(v))
            .unwrap_or(versions[versions.len() - 1]);
        // Made and deleted again during the build, and used by nothing: a probe (zstd's
        // Makefile links have_zlib.c in `$(shell)` to see whether zlib is there), not a target.
        let gone = !map.tree.exists(&map.scratch_root_join(loc));
        if gone && g.node(last).aliases.is_empty() && !consumed.contains(&last) {
            transient.push(paths.loc(loc));
            continue;
        }
        let kind = match g.node(last).kind {
            NodeKind::Archive => TargetKind::StaticLibrary,
            NodeKind::SharedLibrary => TargetKind::SharedLibrary,
            _ => TargetKind::Executable,
        };
        let idx = drafts.len();
        for v in versions {
            node_target.insert(*v, idx);
        }
        let mut output = paths.loc(loc);
        // The build system may name a symbolic link to the artifact (CMake names a versioned
        // shared library by its namelink, `libx.so`).
        let named = names.for_output(&output).cloned().or_else(|| {
            g.node(last)
                .aliases
                .iter()
                .find_map(|a| names.for_output(&format!("[build]/{a}")).cloned())
        });
        let mut aliases: Vec<String> = g
            .node(last)
            .aliases
            .iter()
            .map(|a| {
                paths.loc(&Loc {
                    root: Root::Build,
                    path: a.clone(),
                })
            })
            .collect();
        if gone && !aliases.is_empty() {
            // Moved after it was written (`ld -o x.tmp && mv x.tmp x`): the build leaves it
            // where the move put it.
            output = aliases.remove(0);
        }
        drafts.push(Draft {
            kind,
            named,
            output,
            aliases,
            objects: Vec::new(),
            action: producer.get(&last).copied(),
            uses: Vec::new(),
            deps: Vec::new(),
            requires: BTreeSet::new(),
            dir: String::new(),
            name: String::new(),
            outside_dir: None,
        });
    }
    // Inputs of each artifact: objects, libraries of the project, externals, other files.
    let mut consumers: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
    for (t, d) in drafts.iter_mut().enumerate() {
        let Some(a) = d.action.map(|i| &g.actions[i]) else {
            continue;
        };
        for (edge, n) in &a.inputs {
            let node = g.node(*n);
            match node.kind {
                NodeKind::Object | NodeKind::Assembly | NodeKind::Relocatable
                    if producer.contains_key(n) =>
                {
                    // An object named twice on a link line is one input.
                    if d.objects.contains(n) {
                        continue;
                    }
                    d.objects.push(*n);
                    consumers.entry(*n).or_default().push(t);
                }
                NodeKind::Archive | NodeKind::SharedLibrary | NodeKind::Executable => {
                    match node_target.get(n) {
                        Some(u) if *u != t => {
                            if !d.uses.contains(u) {
                                d.uses.push(*u);
                            }
                        }
                        Some(_) => {}
                        None => file_dep(&paths, node, &mut d.deps, &mut d.requires),
                    }
                }
                NodeKind::External => {
                    let name = node.name.clone().unwrap_or_default();
                    match package_dep(g, *n) {
                        // One dep per package, listing each of its libraries the link reads.
                        Some(Dep::Package(pk)) => {
                            let same = d.deps.iter_mut().find_map(|x| match x {
                                Dep::Package(q) if q.name == pk.name => Some(q),
                                _ => None,
                            });
                            let q = match same {
                                Some(q) => q,
                                None => {
                                    d.deps.push(Dep::Package(pk));
                                    match d.deps.last_mut() {
                                        Some(Dep::Package(q)) => q,
                                        _ => continue,
                                    }
                                }
                            };
                            if !name.is_empty() && !q.libraries.contains(&name) {
                                q.libraries.push(name);
                            }
                        }
                        dep => {
                            let dep = dep.unwrap_or(Dep::Library(name));
                            if !d.deps.contains(&dep) {
                                d.deps.push(dep);
                            }
                        }
                    }
                }
                _ if matches!(edge, EdgeKind::Input | EdgeKind::Library | EdgeKind::Member) => {
                    file_dep(&paths, node, &mut d.deps, &mut d.requires)
                }
                _ => {}
            }
        }
    }
    // Objects that several artifacts share, and the objects of a build system's object
    // libraries, form object libraries of their own.
    let mut groups: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
    let mut group_named: BTreeMap<String, names::Named> = BTreeMap::new();
    for (obj, users) in &consumers {
        let at = g.node(*obj).loc.as_ref().map(|l| paths.loc(l));
        if let Some(named) = at.as_deref().and_then(|p| names.object_library(p)) {
            let key = format!("named:{}/{}", named.dir, named.name);
            groups.entry(key.clone()).or_default().push(*obj);
            group_named.insert(key, named.clone());
        } else if users.len() > 1 {
            let key = format!("shared:{users:?}");
            groups.entry(key).or_default().push(*obj);
        }
    }
    for (key, objs) in &groups {
        let idx = drafts.len();
        let mut users: Vec<usize> = Vec::new();
        for o in objs {
            for u in &consumers[o] {
                if !users.contains(u) {
                    users.push(*u);
                }
            }
        }
        for u in users {
            drafts[u].objects.retain(|o| !objs.contains(o));
            drafts[u].uses.insert(0, idx);
        }
        let first = objs
            .iter()
            .filter_map(|o| g.node(*o).loc.as_ref())
            .map(|l| paths.loc(l))
            .next()
            .unwrap_or_default();
        drafts.push(Draft {
            kind: TargetKind::ObjectLibrary,
            output: first,
            aliases: Vec::new(),
            objects: objs.clone(),
            action: None,
            named: group_named.get(key).cloned(),
            uses: Vec::new(),
            deps: Vec::new(),
            requires: BTreeSet::new(),
            dir: String::new(),
            name: String::new(),
            outside_dir: None,
        });
    }
    // Compiled units per target.
    let units: Vec<Vec<Unit>> = drafts
        .iter()
        .map(|d| {
            let mut us: Vec<Unit> = d
                .objects
                .iter()
                .filter_map(|o| producer.get(o))
                .filter_map(|ai| unit(g, map, &paths, *ai))
                .collect();
            us.sort_by(|a, b| {
                (&a.src, &a.flags, &a.assembly).cmp(&(&b.src, &b.flags, &b.assembly))
            });
            us.dedup_by(|a, b| a.src == b.src && a.flags == b.flags && a.assembly == b.assembly);
            us
        })
        .collect();
    // Packages and names.
    for (d, us) in drafts.iter_mut().zip(&units) {
        let (dir, name) = match &d.named {
            Some(n) => (n.dir.clone(), n.name.clone()),
            None => {
                let dir = package_dir(map, &d.output, us.first().map(|u| u.src.as_str()));
                let name = if d.kind == TargetKind::ObjectLibrary {
                    let stem = us
                        .first()
                        .map(|u| u.src.rsplit('/').next().unwrap_or(&u.src).to_string())
                        .unwrap_or_default();
                    let stem = stem.rsplit_once('.').map(|(s, _)| s).unwrap_or(&stem);
                    format!("{stem}_objects")
                } else {
                    name_from_output(&d.output, d.kind)
                };
                (dir, name)
            }
        };
        d.dir = dir;
        d.name = name;
    }
    outside_packages(&mut drafts, map);
    // Names are unique within a package: a clash gets the kind, then a number.
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by(|a, b| {
        (
            &drafts[*a].dir,
            &drafts[*a].name,
            drafts[*a].kind,
            &drafts[*a].output,
        )
            .cmp(&(
                &drafts[*b].dir,
                &drafts[*b].name,
                drafts[*b].kind,
                &drafts[*b].output,
            ))
    });
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    for &i in &order {
        let d = &drafts[i];
        let mut name = d.name.clone();
        if taken.contains(&(d.dir.clone(), name.clone())) {
            let suffix = match d.kind {
                TargetKind::Executable => "program",
                TargetKind::StaticLibrary => "static",
                TargetKind::SharedLibrary => "shared",
                TargetKind::ObjectLibrary => "objects",
            };
            name = format!("{}_{suffix}", d.name);
            let mut n = 2;
            while taken.contains(&(d.dir.clone(), name.clone())) {
                name = format!("{}_{suffix}{n}", d.name);
                n += 1;
            }
        }
        taken.insert((d.dir.clone(), name.clone()));
        drafts[i].name = name;
    }
    // Who runs what: programs that generated files.
    type Projected = (
        Target,
        Result<crate::engine::model::Target, crate::engine::Lacks>,
    );
    let mut packages: BTreeMap<String, Vec<Projected>> = BTreeMap::new();
    let mut commands = BTreeMap::new();
    let mut facts: BTreeMap<String, Facts> = BTreeMap::new();
    let mut assemblers: BTreeMap<String, Assembler> = BTreeMap::new();
    let pkg_dirs: Vec<(String, String)> = g
        .packages
        .iter()
        .flat_map(|p| {
            let name = p.name.clone();
            p.include_dirs
                .iter()
                .map(move |d| (d.clone(), name.clone()))
        })
        .map(|(d, n)| (paths.system(&d), n))
        .collect();
    // `--outside external`: the targets outside the tree are dependencies, not targets.
    let externals: BTreeMap<String, ExternalRef> = drafts
        .iter()
        .enumerate()
        .filter(|_| outside == OutsideAs::External)
        .filter_map(|(ti, d)| {
            let dir = d.outside_dir.as_ref()?;
            let mut read: Vec<String> = units[ti]
                .iter()
                .flat_map(|u| g.actions[u.action].inputs.iter())
                .filter(|(e, _)| matches!(e, EdgeKind::Source | EdgeKind::Header))
                .filter_map(|(_, n)| {
                    let node = g.node(*n);
                    Some(format!(
                        "{} {}",
                        paths.loc(node.loc.as_ref()?),
                        node.hash.as_deref().unwrap_or("toolchain")
                    ))
                })
                .collect();
            read.sort();
            read.dedup();
            let hash = confess_shims::token::sha256_hex(read.join("\n").as_bytes());
            Some((
                format!("//{}:{}", d.dir, d.name),
                ExternalRef {
                    name: format!("{dir}:{}", d.name),
                    hash: format!("sha256:{hash}"),
                },
            ))
        })
        .collect();
    // How many different compiles each source has in the whole project: an object library's
    // unit of a source compiled more than once names its object, so a reader knows which
    // compile the library means even when it compiles the source once.
    let mut compiles_of: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for u in units.iter().flatten().filter(|u| u.assembly.is_none()) {
        compiles_of
            .entry(u.src.as_str())
            .or_default()
            .insert(u.action);
    }
    let project_compiles = |src: &str| compiles_of.get(src).map_or(0, BTreeSet::len);
    let in_target_only = |_: &str| 0;
    for (ti, d) in drafts.iter().enumerate() {
        if externals.contains_key(&format!("//{}:{}", d.dir, d.name)) {
            continue;
        }
        let us = &units[ti];
        let mut cmds = Vec::new();
        let mut headers = BTreeSet::new();
        let mut outside = BTreeSet::new();
        let mut generated = BTreeMap::new();
        let mut requires = d.requires.clone();
        for u in us {
            let a = &g.actions[u.action];
            cmds.push(record(g, map, &paths, a));
            for (e, n) in &a.inputs {
                let node = g.node(*n);
                let Some(loc) = &node.loc else { continue };
                let p = paths.loc(loc);
                if *e == EdgeKind::Source {
                    match loc.root {
                        Root::Build => {
                            generated.insert(p.clone(), *n);
                        }
                        // A source from outside the project tree: the target needs that file.
                        Root::System => {
                            requires.insert(p.clone());
                        }
                        Root::Source => {}
                    }
                    continue;
                }
                if *e != EdgeKind::Header {
                    continue;
                }
                match loc.root {
                    Root::Source => {
                        headers.insert(p);
                    }
                    Root::Build => {
                        if node.kind == NodeKind::Generated {
                            generated.insert(p.clone(), *n);
                        }
                        headers.insert(p);
                    }
                    Root::System => {
                        let owner = if node.kind == NodeKind::Header && node.hash.is_none() {
                            Owner::Toolchain
                        } else if let Some((_, pk)) = pkg_dirs
                            .iter()
                            .find(|(dir, _)| p.starts_with(&format!("{dir}/")))
                        {
                            Owner::Package(pk.clone())
                        } else {
                            requires.insert(p.clone());
                            Owner::Filesystem
                        };
                        outside.insert((p, owner));
                    }
                }
            }
        }
        if let Some(a) = d.action.map(|i| &g.actions[i]) {
            cmds.push(record(g, map, &paths, a));
        }
        let mut gens = Vec::new();
        for (p, n) in &generated {
            let run = g
                .actions
                .iter()
                .find(|a| a.kind == ActionKind::Run && a.outputs.contains(n));
            let producer = match run {
                Some(r) => {
                    cmds.push(record(g, map, &paths, r));
                    let prog = r.inputs.first().map(|(_, p)| *p);
                    let tool = match prog.and_then(|p| node_target.get(&p)) {
                        Some(t) => target_ref(&d.dir, &drafts[*t].dir, &drafts[*t].name),
                        None => r.argv.first().cloned().unwrap_or_default(),
                    };
                    Producer::Program(Program {
                        tool,
                        argv: r.argv.iter().skip(1).map(|w| paths.text(g, w)).collect(),
                        cwd: paths.loc(&r.cwd),
                    })
                }
                None => Producer::Unrecorded,
            };
            gens.push(Generated {
                path: p.clone(),
                producer,
            });
        }
        // The flags most sources share are the target's; the others are overrides.
        let c_units = || us.iter().filter(|u| u.assembly.is_none());
        // An object library is the one kind whose objects no artifact of its own names.
        let elsewhere: &dyn Fn(&str) -> usize = if d.kind == TargetKind::ObjectLibrary {
            &project_compiles
        } else {
            &in_target_only
        };
        let (cflags, mut overrides) = common_flags(c_units().filter(|u| !u.cxx), elsewhere);
        let (cxxflags, o2) = common_flags(c_units().filter(|u| u.cxx), elsewhere);
        overrides.extend(o2);
        overrides.sort();
        let link = d
            .action
            .map(|i| &g.actions[i])
            .filter(|a| a.kind == ActionKind::Link);
        let mut ldflags = Vec::new();
        let mut engine_ldflags = Vec::new();
        let mut sysroot = us.iter().find_map(|u| u.sysroot.clone());
        let mut tool = c_units().next().map(|u| u.tool.clone());
        if let Some(a) = link {
            if let Some(a0) = a.argv.first() {
                let cwd = map.scratch_root_join(&a.cwd);
                if let Some(cmd) = a.command.driver() {
                    let pf = |p: &str| paths.word(&cwd, p);
                    ldflags = flags::ldflags(cmd, &pf);
                    let tf = |w: &str| paths.text(g, w);
                    let words = crate::engine::flags::Words {
                        path: &pf,
                        text: &tf,
                    };
                    engine_ldflags = crate::engine::flags::ldflags(cmd, &words, &|l| {
                        outside_library(&d.deps, l)
                    });
                    sysroot = sysroot.or_else(|| flags::sysroot(cmd, &pf));
                }
                tool = Some(map.map_tool(a0));
            }
        }
        let tool = tool.unwrap_or_else(|| "cc".into());
        let f = facts
            .entry(tool.clone())
            .or_insert_with(|| ask_compiler(&map.tree, &tool));
        let mut deps: Vec<Dep> = d
            .uses
            .iter()
            .map(|u| Dep::Local(target_ref(&d.dir, &drafts[*u].dir, &drafts[*u].name)))
            .collect();
        deps.extend(d.deps.iter().cloned());
        // One entry per compile: a source compiled twice into the target (once per variant,
        // with its own flags) is listed twice, and its overrides name their objects.
        let srcs: Vec<String> = us.iter().map(|u| u.src.clone()).collect();
        let assembled: Vec<Assembly> = us
            .iter()
            .filter_map(|u| {
                let (program, flags) = u.assembly.as_ref()?;
                Some(Assembly {
                    src: u.src.clone(),
                    object: if srcs.iter().filter(|s| **s == u.src).count() > 1 {
                        u.object.clone()
                    } else {
                        None
                    },
                    assembler: assemblers
                        .entry(u.tool.clone())
                        .or_insert_with(|| ask_assembler(&map.tree, program, &u.tool))
                        .clone(),
                    flags: flags.clone(),
                })
            })
            .collect();
        let link = match d.kind {
            TargetKind::ObjectLibrary => Vec::new(),
            _ => link_line(&Linked {
                g,
                paths: &paths,
                drafts: &drafts,
                me: ti,
                producer: &producer,
                node_target: &node_target,
                srcs: &srcs,
                deps: &deps,
            }),
        };
        // Refs to targets outside the tree that are external dependencies now.
        let external = |dep: &Dep| -> Dep {
            if let Dep::Local(r) = dep {
                let label = match r.strip_prefix(':') {
                    Some(n) => format!("//{}:{n}", d.dir),
                    None => r.clone(),
                };
                if let Some(x) = externals.get(&label) {
                    return Dep::External(x.clone());
                }
            }
            dep.clone()
        };
        let mut deps: Vec<Dep> = deps.iter().map(external).collect();
        dedup_deps(&mut deps);
        let link: Vec<LinkItem> = link
            .into_iter()
            .map(|i| match i {
                LinkItem::Dep(dep) => LinkItem::Dep(external(&dep)),
                other => other,
            })
            .collect();
        // A build step that tried the network: each target it built may need it (the seal
        // counts attempts per step, not per command), so each declares it.
        let network = g.network.iter().any(|n| n.build);
        requires.extend(step_reads.iter().cloned());
        let requires: Vec<Resource> = if requires.is_empty() && !network {
            vec![Resource::Pure]
        } else {
            network
                .then_some(Resource::Network)
                .into_iter()
                .chain(requires.into_iter().map(Resource::Filesystem))
                .collect()
        };
        let target = Target {
            name: d.name.clone(),
            kind: d.kind,
            output: d.output.clone(),
            aliases: d.aliases.clone(),
            srcs: Src::Files(srcs),
            headers: headers.into_iter().collect(),
            outside_headers: outside
                .into_iter()
                .map(|(path, owner)| OutsideHeader { path, owner })
                .collect(),
            deps,
            toolchain: Toolchain {
                compiler: f.compiler.clone(),
                host: f.triple.clone(),
                target: f.triple.clone(),
                cflags,
                cxxflags,
                ldflags,
                sysroot,
            },
            overrides,
            assembled,
            link,
            generated: gens,
            requires,
            visibility: if d.kind == TargetKind::ObjectLibrary {
                Visibility::Private
            } else {
                Visibility::Public
            },
            origin: d.named.as_ref().and_then(|n| n.origin.clone()),
        };
        let engine_flags = crate::engine::Flags {
            cflags: engine_of(c_units().filter(|u| !u.cxx), &target.toolchain.cflags),
            cxxflags: engine_of(c_units().filter(|u| u.cxx), &target.toolchain.cxxflags),
            ldflags: engine_ldflags,
        };
        // A file of the output directory is read where it is written; any other, as the
        // confession found it.
        let hash_of = |p: &str| -> std::io::Result<String> {
            match p.strip_prefix("[out]") {
                Some(rest) => {
                    crate::engine::content_hash(&written.join(rest.trim_start_matches('/')))
                }
                None => map
                    .tree
                    .hash(&confess_shims::raw::path(p))
                    .map(|h| format!("sha256:{h}"))
                    .ok_or_else(|| {
                        std::io::Error::new(std::io::ErrorKind::NotFound, "cannot be read")
                    }),
            }
        };
        let engine = crate::engine::project(&target, engine_flags, &f.machine, &hash_of);
        cmds.dedup();
        commands.insert(format!("{}:{}", d.dir, d.name), cmds);
        packages
            .entry(d.dir.clone())
            .or_default()
            .push((target, engine));
    }
    let mut engine_lacks = None;
    let mut engine = Vec::new();
    let packages = packages
        .into_iter()
        .map(|(dir, mut targets)| {
            targets.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            let mut e = Vec::new();
            let mut own = Vec::new();
            for (t, et) in targets {
                match et {
                    Ok(x) => e.push(x),
                    Err(l) => {
                        engine_lacks.get_or_insert(l);
                    }
                }
                own.push(t);
            }
            engine.push(crate::engine::Package {
                dir: dir.clone(),
                targets: e,
            });
            Package { dir, targets: own }
        })
        .collect();
    if engine_lacks.is_some() {
        engine.clear();
    }
    Confessed {
        schema: SCHEMA.into(),
        packages,
        commands,
        transient,
        engine,
        engine_lacks,
        outside: g
            .outside
            .iter()
            .map(|w| Outside {
                path: w.path.clone(),
                kind: w.kind.clone(),
                step: w.step.clone(),
                artifact: w
                    .token
                    .as_deref()
                    .and_then(|t| g.by_token(t))
                    .and_then(|n| g.node(n).loc.as_ref())
                    .map(|l| paths.loc(l)),
                target: w.target.clone(),
            })
            .collect(),
        network: g.network.clone(),
        reads: g.reads.clone(),
        reads_unobserved: g.reads_unobserved.clone(),
        inspections: inspections(g, &paths),
    }
}

/// The calls that looked inside artifacts, alike ones counted together, sorted.
fn inspections(g: &Graph, paths: &Paths) -> Vec<Inspection> {
    let producer: std::collections::HashMap<NodeId, &Action> = g
        .actions
        .iter()
        .flat_map(|a| a.outputs.iter().map(move |o| (*o, a)))
        .collect();
    let mut counted: BTreeMap<(String, String, Vec<String>), (usize, usize)> = BTreeMap::new();
    for look in &g.realized.looks {
        let nodes: Vec<NodeId> = look.tokens.iter().filter_map(|t| g.by_token(t)).collect();
        let inspected: Vec<String> = nodes
            .iter()
            .map(|n| match &g.node(*n).loc {
                Some(l) => paths.loc(l),
                None => g.node(*n).token.clone().unwrap_or_default(),
            })
            .collect();
        let artifacts = if look.how == "answered" {
            0
        } else {
            let mut seen = BTreeSet::new();
            let mut todo = nodes.clone();
            while let Some(n) = todo.pop() {
                if g.node(n).token.is_none() || !seen.insert(n) {
                    continue;
                }
                if let Some(a) = producer.get(&n) {
                    todo.extend(a.inputs.iter().map(|(_, i)| *i));
                }
            }
            seen.len()
        };
        let e = counted
            .entry((look.tool.clone(), look.how.clone(), inspected))
            .or_insert((artifacts, 0));
        e.1 += 1;
    }
    counted
        .into_iter()
        .map(|((tool, how, inspected), (artifacts, calls))| Inspection {
            tool,
            how,
            inspected,
            artifacts,
            calls,
        })
        .collect()
}

/// Drops repeated deps, keeping the first of each (two refs to targets of one outside directory
/// can become one external).
fn dedup_deps(deps: &mut Vec<Dep>) {
    let mut seen: Vec<Dep> = Vec::new();
    deps.retain(|d| {
        if seen.contains(d) {
            false
        } else {
            seen.push(d.clone());
            true
        }
    });
}

/// The package directory under which targets whose sources lie outside the project tree are
/// written (`//_outside/minitest:minitest`): a Debian build's `add_subdirectory(/usr/src/
/// googletest ...)` compiles googletest's sources, and its targets need labels and manifests
/// like the project's own.
pub const OUTSIDE: &str = "_outside";

/// Moves the targets whose package is a directory outside the project tree (an absolute path)
/// under `_outside/`, each directory named by the fewest of its last components that tell it
/// from the others (`/usr/src/googletest/googletest` is `_outside/googletest`).
fn outside_packages(drafts: &mut [Draft], map: &PathMap) {
    let mut dirs: Vec<String> = drafts
        .iter()
        .filter(|d| d.dir.starts_with('/'))
        .map(|d| d.dir.clone())
        .collect();
    dirs.sort();
    dirs.dedup();
    if dirs.is_empty() {
        return;
    }
    // A project directory of that name would clash: then another underscore.
    let mut top = OUTSIDE.to_string();
    while map.tree.exists(&map.scratch_src.join(&top)) {
        top.push('_');
    }
    let parts = |d: &str| -> Vec<String> {
        d.split('/')
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | '+') {
                            ch
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for d in &dirs {
        let mine = parts(d);
        let mut k = 1;
        let name = loop {
            let tail = mine[mine.len().saturating_sub(k)..].join("/");
            let clash = dirs.iter().any(|o| {
                o != d && {
                    let theirs = parts(o);
                    theirs[theirs.len().saturating_sub(k)..].join("/") == tail
                }
            });
            if !clash || k >= mine.len() {
                break tail;
            }
            k += 1;
        };
        let name = if name.is_empty() { "root".into() } else { name };
        named.insert(d.clone(), format!("{top}/{name}"));
    }
    for d in drafts.iter_mut() {
        if let Some(n) = named.get(&d.dir) {
            d.outside_dir = Some(std::mem::replace(&mut d.dir, n.clone()));
        }
    }
}

/// What the link line of one target is read against.
struct Linked<'a> {
    g: &'a Graph,
    paths: &'a Paths<'a>,
    drafts: &'a [Draft],
    me: usize,
    producer: &'a BTreeMap<NodeId, usize>,
    node_target: &'a BTreeMap<NodeId, usize>,
    /// The target's sources, one entry per compile.
    srcs: &'a [String],
    deps: &'a [Dep],
}

/// The link line (or the archive's members) of a target as recorded: each input in its place,
/// repeated where the build repeated it, with the linker options whose place matters.
fn link_line(l: &Linked) -> Vec<LinkItem> {
    let d = &l.drafts[l.me];
    let Some(a) = d.action.map(|i| &l.g.actions[i]) else {
        return Vec::new();
    };
    let inputs: Vec<NodeId> = a
        .inputs
        .iter()
        .filter(|(e, _)| matches!(e, EdgeKind::Input | EdgeKind::Library | EdgeKind::Member))
        .map(|(_, n)| *n)
        .collect();
    let mut items = Vec::new();
    let mut placed_groups: BTreeSet<usize> = BTreeSet::new();
    let mut item_of = |n: NodeId, items: &mut Vec<LinkItem>| {
        let node = l.g.node(n);
        let here = node.loc.as_ref().map(|loc| l.paths.loc(loc));
        if matches!(
            node.kind,
            NodeKind::Object | NodeKind::Assembly | NodeKind::Relocatable
        ) {
            // An object of an object library: the library, where its first object is.
            if let Some(u) = d.uses.iter().find(|u| {
                l.drafts[**u].kind == TargetKind::ObjectLibrary
                    && l.drafts[**u].objects.contains(&n)
            }) {
                if placed_groups.insert(*u) {
                    items.push(LinkItem::Dep(Dep::Local(target_ref(
                        &d.dir,
                        &l.drafts[*u].dir,
                        &l.drafts[*u].name,
                    ))));
                }
                return;
            }
            let src = l.producer.get(&n).and_then(|ai| {
                let c = &l.g.actions[*ai];
                c.inputs
                    .iter()
                    .find(|(e, _)| *e == EdgeKind::Source)
                    .and_then(|(_, s)| l.g.node(*s).loc.as_ref())
                    .map(|loc| l.paths.loc(loc))
            });
            if let Some(src) = src.filter(|s| l.srcs.contains(s)) {
                let twice = l.srcs.iter().filter(|s| **s == src).count() > 1;
                items.push(match here {
                    Some(p) if twice => LinkItem::Object(p),
                    _ => LinkItem::Source(src),
                });
                return;
            }
        }
        if let Some(u) = l.node_target.get(&n).filter(|u| **u != l.me) {
            let u = &l.drafts[*u];
            items.push(LinkItem::Dep(Dep::Local(target_ref(
                &d.dir, &u.dir, &u.name,
            ))));
            return;
        }
        if node.kind == NodeKind::External {
            let name = node.name.clone().unwrap_or_default();
            let dep = match package_dep(l.g, n) {
                Some(Dep::Package(pk)) => l
                    .deps
                    .iter()
                    .find(|x| matches!(x, Dep::Package(q) if q.name == pk.name))
                    .cloned()
                    .unwrap_or(Dep::Package(pk)),
                Some(other) => other,
                None => Dep::Library(name),
            };
            items.push(LinkItem::Dep(dep));
            return;
        }
        match here {
            // A file of the project or from outside, taken as it is.
            Some(p) if matches!(node.kind, NodeKind::Object | NodeKind::Relocatable) => {
                items.push(LinkItem::Object(p))
            }
            Some(p) => items.push(LinkItem::Dep(Dep::File(p))),
            None => {}
        }
    };
    // The driver's arguments give the options' places: each file input and `-l` is the next
    // recorded input. When the two do not line up, the inputs alone keep their order.
    let parsed = a.command.driver();
    let aligned = a.kind == ActionKind::Link
        && parsed.as_ref().is_some_and(|cmd| {
            let files = cmd.inputs.len()
                + cmd
                    .args
                    .iter()
                    .filter(|x| x.kind == ArgKind::Flag(Meaning::Lib))
                    .count();
            files == inputs.len()
        });
    match parsed.filter(|_| aligned) {
        Some(cmd) => {
            let mut next = inputs.iter();
            let mut at_input = cmd.inputs.iter().map(|i| i.arg).peekable();
            for (k, x) in cmd.args.iter().enumerate() {
                if at_input.next_if(|i| *i == k).is_some() || x.kind == ArgKind::Flag(Meaning::Lib)
                {
                    if let Some(n) = next.next() {
                        item_of(*n, &mut items);
                    }
                    continue;
                }
                let words: Vec<&str> = match x.kind {
                    ArgKind::Flag(Meaning::LinkerArg) => {
                        x.value.as_deref().unwrap_or("").split(',').collect()
                    }
                    ArgKind::Flag(Meaning::Xlinker) => x.value.as_deref().into_iter().collect(),
                    _ => Vec::new(),
                };
                items.extend(
                    words
                        .into_iter()
                        .filter_map(LinkOption::of_word)
                        .map(LinkItem::Option),
                );
            }
        }
        None => {
            for n in inputs {
                item_of(n, &mut items);
            }
        }
    }
    items
}

/// Whether an `-l` library of a link comes from outside the project (a library of the system
/// or of a package), rather than being one of the project's targets.
fn outside_library(deps: &[Dep], name: &str) -> bool {
    deps.iter().any(|d| match d {
        Dep::Library(l) => l == name,
        Dep::Package(p) => p.libraries.iter().any(|l| l == name),
        _ => false,
    })
}

/// The engine's flags of the compile whose flags are the target's (`common_flags`).
fn engine_of<'a>(
    mut units: impl Iterator<Item = &'a Unit>,
    best: &[CFlag],
) -> Vec<crate::engine::model::CFlag> {
    units
        .find(|u| u.flags == best)
        .map(|u| u.engine.clone())
        .unwrap_or_default()
}

/// A library or file the project does not build, used by path.
fn file_dep(
    paths: &Paths,
    node: &crate::graph::Node,
    deps: &mut Vec<Dep>,
    requires: &mut BTreeSet<String>,
) {
    let Some(loc) = &node.loc else { return };
    let p = paths.loc(loc);
    if loc.root == Root::System {
        requires.insert(p.clone());
    }
    let dep = Dep::File(p);
    if !deps.contains(&dep) {
        deps.push(dep);
    }
}

/// The package an external library belongs to, when the build asked for one.
fn package_dep(g: &Graph, n: NodeId) -> Option<Dep> {
    let p = g.packages.iter().find(|p| p.externals.contains(&n.0))?;
    Some(match p.method.as_str() {
        "pkg-config" => Dep::PkgConfig(p.name.clone()),
        "FetchContent" => Dep::External(ExternalRef {
            hash: p.hash.clone().unwrap_or_default(),
            name: p.name.clone(),
        }),
        _ => Dep::Package(PackageRef {
            name: p.name.clone(),
            method: PackageMethod::FindPackage,
            version: p.version.clone(),
            libraries: Vec::new(),
        }),
    })
}

/// The source directory that owns a target with no name from the build system: the directory
/// of its output when the sources have that directory, else that of its first source.
fn package_dir(map: &PathMap, output: &str, first_src: Option<&str>) -> String {
    let parent = |p: &str| -> String {
        match p.rsplit_once('/') {
            Some((d, _)) => d.to_string(),
            None => ".".to_string(),
        }
    };
    // The nearest directory above the output that the source tree has (zstd links its
    // libraries in `lib/obj/conf_HASH/dynamic/`: the package is `lib`).
    if let Some(rel) = output.strip_prefix("[build]/") {
        let top = parent(rel);
        let mut d = top.clone();
        while d != "."
            && map
                .locate(&map.scratch_src.join(confess_shims::raw::path(&d)))
                .root
                != Root::Source
        {
            d = parent(&d);
        }
        if d != "." || top == "." {
            return d;
        }
    }
    match first_src {
        Some(s) if !s.starts_with('[') && !s.starts_with('/') => parent(s),
        _ => ".".into(),
    }
}

fn unit(g: &Graph, map: &PathMap, paths: &Paths, ai: usize) -> Option<Unit> {
    let a = &g.actions[ai];
    if !matches!(a.kind, ActionKind::Compile | ActionKind::Assemble) {
        return None;
    }
    let src_node = a
        .inputs
        .iter()
        .find(|(e, _)| *e == EdgeKind::Source)
        .map(|(_, n)| *n)?;
    let src = paths.loc(g.node(src_node).loc.as_ref()?);
    let a0 = a.argv.first()?;
    let cwd = map.scratch_root_join(&a.cwd);
    let object = a
        .outputs
        .iter()
        .find_map(|o| g.node(*o).loc.as_ref())
        .map(|l| paths.loc(l));
    let assembler = confess_shims::asm::Assembler::of_role(&a.role);
    let cmd = match &a.command {
        crate::graph::Parsed::Driver(cmd) => cmd,
        crate::graph::Parsed::Assembler(cmd) => {
            let pf = |p: &str| paths.word(&cwd, p);
            return Some(Unit {
                object,
                engine: Vec::new(),
                cxx: false,
                sysroot: None,
                src,
                flags: Vec::new(),
                tool: map.map_tool(a0),
                action: ai,
                assembly: assembler.map(|t| (t.role().to_string(), asm_flags(cmd, &pf))),
            });
        }
        // The source stays in its target, with no flags (report.md says the command was not
        // parsed).
        crate::graph::Parsed::Unparsed(_) => {
            return Some(Unit {
                object,
                engine: Vec::new(),
                cxx: a.role == "c++" || is_cxx_source(&src),
                sysroot: None,
                src,
                flags: Vec::new(),
                tool: map.map_tool(a0),
                action: ai,
                assembly: assembler.map(|t| (t.role().to_string(), Vec::new())),
            });
        }
        crate::graph::Parsed::Words => return None,
    };
    let pf = |p: &str| paths.word(&cwd, p);
    let flags = flags::cflags(cmd, &pf);
    let tf = |w: &str| paths.text(g, w);
    let words = crate::engine::flags::Words {
        path: &pf,
        text: &tf,
    };
    let engine = crate::engine::flags::cflags(cmd, &words)
        .into_iter()
        .map(|s| s.flag)
        .collect();
    Some(Unit {
        object,
        engine,
        cxx: a.role == "c++" || is_cxx_source(&src),
        sysroot: flags::sysroot(cmd, &pf),
        src,
        flags,
        tool: map.map_tool(a0),
        action: ai,
        assembly: None,
    })
}

/// The flag list most units share (the first such in source order on a tie), and overrides
/// for the units that differ. A unit whose source the project compiles more than once
/// (`project_compiles`) names its object, with an override of the target's own flags when it
/// has no other: which compile of the source the target takes is then written down.
fn common_flags<'a>(
    units: impl Iterator<Item = &'a Unit>,
    project_compiles: &dyn Fn(&str) -> usize,
) -> (Vec<CFlag>, Vec<Override>) {
    let units: Vec<&Unit> = units.collect();
    let mut counts: Vec<(&Vec<CFlag>, usize)> = Vec::new();
    for u in &units {
        match counts.iter_mut().find(|(f, _)| *f == &u.flags) {
            Some((_, n)) => *n += 1,
            None => counts.push((&u.flags, 1)),
        }
    }
    let mut best: Vec<CFlag> = Vec::new();
    let mut most = 0;
    for (f, n) in counts {
        if n > most {
            most = n;
            best = f.clone();
        }
    }
    let compiles = |src: &str| units.iter().filter(|u| u.src == src).count();
    let named = |u: &Unit| {
        (compiles(&u.src) > 1 || project_compiles(&u.src) > 1)
            .then(|| u.object.clone())
            .flatten()
    };
    let overrides = units
        .iter()
        .filter(|u| u.flags != best || named(u).is_some())
        .map(|u| Override {
            src: u.src.clone(),
            object: named(u),
            flags: u.flags.clone(),
        })
        .collect();
    (best, overrides)
}

fn record(g: &Graph, map: &PathMap, paths: &Paths, a: &Action) -> CommandRecord {
    let mut argv: Vec<String> = a.argv.iter().map(|w| paths.text(g, w)).collect();
    if let Some(a0) = argv.first_mut() {
        if a.kind != ActionKind::Run {
            *a0 = map.map_tool(a0);
        }
    }
    CommandRecord {
        what: match a.kind {
            ActionKind::Compile => "compile",
            ActionKind::Assemble => "assemble",
            ActionKind::Archive => "archive",
            ActionKind::Link => "link",
            ActionKind::Run => "run",
        }
        .into(),
        output: a
            .outputs
            .first()
            .and_then(|o| g.node(*o).loc.as_ref())
            .map(|l| paths.loc(l))
            .unwrap_or_default(),
        cwd: paths.loc(&a.cwd),
        argv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_outputs() {
        assert_eq!(
            name_from_output("[build]/libz.so.1.3", TargetKind::SharedLibrary),
            "z"
        );
        assert_eq!(
            name_from_output("[build]/lib/libz.a", TargetKind::StaticLibrary),
            "z"
        );
        assert_eq!(
            name_from_output("[build]/app", TargetKind::Executable),
            "app"
        );
    }

    #[test]
    fn refs_within_and_across_packages() {
        assert_eq!(target_ref("lib", "lib", "z"), ":z");
        assert_eq!(target_ref(".", "lib", "z"), "//lib:z");
        assert_eq!(target_ref("lib", ".", "app"), "//:app");
    }

    #[test]
    fn triples_are_typed() {
        let t = parse_triple("x86_64-linux-gnu");
        assert_eq!(
            (t.arch, t.vendor, t.os, t.abi),
            (Arch::x86_64, Vendor::unknown, OS::linux, ABI::gnu)
        );
        let t = parse_triple("aarch64-unknown-linux-musl");
        assert_eq!((t.arch, t.os, t.abi), (Arch::aarch64, OS::linux, ABI::musl));
    }
}
