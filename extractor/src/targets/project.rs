//! Projection: each draft, with its units, becomes a target of the emitted model (sources,
//! headers, generated files, flags, toolchain, deps, link line, requirements), with the
//! commands it came from and its form in the engine's model.

use super::artifacts::{Draft, Producers};
use super::link::{link_line, outside_library, Linked};
use super::model::{
    Assembly, Dep, ExternalRef, Generated, LinkItem, OutsideHeader, Owner, Package, Producer,
    Program, Resource, Src, Target, TargetKind, Toolchain, Visibility,
};
use super::records::record;
use super::toolchain::Toolchains;
use super::units::{common_flags, compiles_per_source, engine_of, Unit};
use super::{flags, target_ref, CommandRecord, Paths};
use crate::graph::{ActionKind, EdgeKind, Graph, NodeId, NodeKind};
use crate::pathmap::{PathMap, Root};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// Everything the projection of the targets reads.
pub(super) struct Interpreted<'a> {
    pub g: &'a Graph,
    pub map: &'a PathMap,
    pub paths: &'a Paths<'a>,
    /// Where the confession's files are while it is written.
    pub written: &'a Path,
    pub drafts: &'a [Draft],
    pub units: &'a [Vec<Unit>],
    pub producer: &'a Producers,
    pub node_target: &'a BTreeMap<NodeId, usize>,
    /// The targets that are external dependencies (`--outside external`), by label.
    pub externals: &'a BTreeMap<String, ExternalRef>,
    pub step_reads: &'a BTreeSet<String>,
}

/// A target, and its form in the engine's model (or what the engine lacks to say it).
type Projected = (
    Target,
    Result<crate::engine::model::Target, crate::engine::Lacks>,
);

/// The projected targets by package directory, and the commands of each (by `dir:name`).
pub(super) struct Projection {
    pub packages: BTreeMap<String, Vec<Projected>>,
    pub commands: BTreeMap<String, Vec<CommandRecord>>,
}

/// Projects every draft that stays a target.
pub(super) fn project_all(s: &Interpreted) -> Projection {
    let mut tools = Toolchains::new(&s.map.tree);
    let pkg_dirs: Vec<(String, String)> =
        s.g.packages
            .iter()
            .flat_map(|p| {
                let name = p.name.clone();
                p.include_dirs
                    .iter()
                    .map(move |d| (d.clone(), name.clone()))
            })
            .map(|(d, n)| (s.paths.system(&d), n))
            .collect();
    let compiles_of = compiles_per_source(s.units);
    let mut out = Projection {
        packages: BTreeMap::new(),
        commands: BTreeMap::new(),
    };
    for (ti, d) in s.drafts.iter().enumerate() {
        if s.externals.contains_key(&format!("//{}:{}", d.dir, d.name)) {
            continue;
        }
        let p = Projector {
            s,
            ti,
            d,
            us: &s.units[ti],
            pkg_dirs: &pkg_dirs,
            compiles_of: &compiles_of,
        };
        let (target, engine, cmds) = p.target(&mut tools);
        out.commands.insert(format!("{}:{}", d.dir, d.name), cmds);
        out.packages
            .entry(d.dir.clone())
            .or_default()
            .push((target, engine));
    }
    out
}

/// The projection of one draft.
struct Projector<'a> {
    s: &'a Interpreted<'a>,
    ti: usize,
    d: &'a Draft,
    us: &'a [Unit],
    /// Include directories of the packages the build asked for, and the package of each.
    pkg_dirs: &'a [(String, String)],
    compiles_of: &'a BTreeMap<&'a str, BTreeSet<usize>>,
}

/// What a target's compiles read: their commands, headers, generated files and the files they
/// require from outside.
struct Read {
    cmds: Vec<CommandRecord>,
    headers: BTreeSet<String>,
    outside: BTreeSet<(String, Owner)>,
    generated: BTreeMap<String, NodeId>,
    requires: BTreeSet<String>,
}

/// What the link of a target says: its flags (typed, and in the engine's vocabulary), and
/// the sysroot and tool of the target.
struct LinkFlags {
    ldflags: Vec<super::model::LDFlag>,
    engine: Vec<crate::engine::model::LDFlag>,
    sysroot: Option<String>,
    tool: String,
}

impl Projector<'_> {
    /// The target, its engine form and the commands it came from.
    fn target(
        &self,
        tools: &mut Toolchains,
    ) -> (
        Target,
        Result<crate::engine::model::Target, crate::engine::Lacks>,
        Vec<CommandRecord>,
    ) {
        let (s, d, us) = (self.s, self.d, self.us);
        let Read {
            mut cmds,
            headers,
            outside,
            generated,
            mut requires,
        } = self.read();
        if let Some(a) = d.action.map(|i| &s.g.actions[i]) {
            cmds.push(record(s.g, s.map, s.paths, a));
        }
        let gens = self.generated(&generated, &mut cmds);
        // The flags most sources share are the target's; the others are overrides.
        let c_units = || us.iter().filter(|u| u.assembly.is_none());
        let project_compiles = |src: &str| self.compiles_of.get(src).map_or(0, BTreeSet::len);
        let in_target_only = |_: &str| 0;
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
        let linked = self.link_flags();
        let f = tools.compiler(&linked.tool);
        let (compiler, triple, machine) = (f.compiler.clone(), f.triple.clone(), f.machine.clone());
        // One entry per compile: a source compiled twice into the target (once per variant,
        // with its own flags) is listed twice, and its overrides name their objects.
        let srcs: Vec<String> = us.iter().map(|u| u.src.clone()).collect();
        let assembled = assembled(tools, us, &srcs);
        let (deps, link) = self.deps_and_link(&srcs);
        requires.extend(s.step_reads.iter().cloned());
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
                compiler,
                host: triple.clone(),
                target: triple,
                cflags,
                cxxflags,
                ldflags: linked.ldflags,
                sysroot: linked.sysroot,
            },
            overrides,
            assembled,
            link,
            generated: gens,
            requires: resources(s.g, requires),
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
            ldflags: linked.engine,
        };
        let engine = crate::engine::project(&target, engine_flags, &machine, &|p| self.hash_of(p));
        cmds.dedup();
        (target, engine, cmds)
    }

    /// What the target's compiles read. A file most of them read is looked at once: the sets
    /// it goes to are the same for every compile that reads it.
    fn read(&self) -> Read {
        let (s, d) = (self.s, self.d);
        let mut read = Read {
            cmds: Vec::new(),
            headers: BTreeSet::new(),
            outside: BTreeSet::new(),
            generated: BTreeMap::new(),
            requires: d.requires.clone(),
        };
        let mut seen: HashSet<(EdgeKind, NodeId)> = HashSet::new();
        for u in self.us {
            let a = &s.g.actions[u.action];
            read.cmds.push(record(s.g, s.map, s.paths, a));
            for &(e, n) in &a.inputs {
                if !matches!(e, EdgeKind::Source | EdgeKind::Header) {
                    continue;
                }
                let node = s.g.node(n);
                let (Some(loc), Some(p)) = (&node.loc, s.paths.node(n)) else {
                    continue;
                };
                let generated = loc.root == Root::Build
                    && (e == EdgeKind::Source || node.kind == NodeKind::Generated);
                if !seen.insert((e, n)) {
                    // Read again: only which node a generated path names can change, when
                    // two nodes have one path (the later one names it, as it always has).
                    if generated && read.generated.get(p) != Some(&n) {
                        read.generated.insert(p.to_owned(), n);
                    }
                    continue;
                }
                let p = p.to_owned();
                match e {
                    EdgeKind::Source => match loc.root {
                        Root::Build => {
                            read.generated.insert(p, n);
                        }
                        // A source from outside the project tree: the target needs that file.
                        Root::System => {
                            read.requires.insert(p);
                        }
                        Root::Source => {}
                    },
                    _ => self.header(&mut read, p, loc.root, n),
                }
            }
        }
        read
    }

    /// A header a compile read, by where it is.
    fn header(&self, read: &mut Read, p: String, root: Root, n: NodeId) {
        let node = self.s.g.node(n);
        match root {
            Root::Source => {
                read.headers.insert(p);
            }
            Root::Build => {
                if node.kind == NodeKind::Generated {
                    read.generated.insert(p.clone(), n);
                }
                read.headers.insert(p);
            }
            Root::System => {
                let owner = if node.kind == NodeKind::Header && node.hash.is_none() {
                    Owner::Toolchain
                } else if let Some((_, pk)) = self.pkg_dirs.iter().find(|(dir, _)| {
                    p.strip_prefix(dir.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                }) {
                    Owner::Package(pk.clone())
                } else {
                    read.requires.insert(p.clone());
                    Owner::Filesystem
                };
                read.outside.insert((p, owner));
            }
        }
    }

    /// Who runs what: the programs that generated the target's generated files (their
    /// commands join the target's).
    fn generated(
        &self,
        generated: &BTreeMap<String, NodeId>,
        cmds: &mut Vec<CommandRecord>,
    ) -> Vec<Generated> {
        let (s, d) = (self.s, self.d);
        let mut gens = Vec::new();
        for (p, n) in generated {
            let run =
                s.g.actions
                    .iter()
                    .find(|a| a.kind == ActionKind::Run && a.outputs.contains(n));
            let producer = match run {
                Some(r) => {
                    cmds.push(record(s.g, s.map, s.paths, r));
                    let prog = r.inputs.first().map(|(_, p)| *p);
                    let tool = match prog.and_then(|p| s.node_target.get(&p)) {
                        Some(t) => target_ref(&d.dir, &s.drafts[*t].dir, &s.drafts[*t].name),
                        None => r.argv.first().cloned().unwrap_or_default(),
                    };
                    Producer::Program(Program {
                        tool,
                        argv: r.argv.iter().skip(1).map(|w| s.paths.text(w)).collect(),
                        cwd: s.paths.loc(&r.cwd),
                    })
                }
                None => Producer::Unrecorded,
            };
            gens.push(Generated {
                path: p.clone(),
                producer,
            });
        }
        gens
    }

    /// The link's flags, and the target's sysroot and tool (the linker's, else the first
    /// compiler's, else `cc`).
    fn link_flags(&self) -> LinkFlags {
        let (s, d, us) = (self.s, self.d, self.us);
        let link = d
            .action
            .map(|i| &s.g.actions[i])
            .filter(|a| a.kind == ActionKind::Link);
        let mut ldflags = Vec::new();
        let mut engine = Vec::new();
        let mut sysroot = us.iter().find_map(|u| u.sysroot.clone());
        let mut tool = us
            .iter()
            .find(|u| u.assembly.is_none())
            .map(|u| u.tool.clone());
        if let Some(a) = link {
            if let Some(a0) = a.argv.first() {
                let cwd = s.map.scratch_root_join(&a.cwd);
                if let Some(cmd) = a.command.driver() {
                    let pf = |p: &str| s.paths.word(&cwd, p);
                    ldflags = flags::ldflags(cmd, &pf);
                    let tf = |w: &str| s.paths.text(w);
                    let words = crate::engine::flags::Words {
                        path: &pf,
                        text: &tf,
                    };
                    engine = crate::engine::flags::ldflags(cmd, &words, &|l| {
                        outside_library(&d.deps, l)
                    });
                    sysroot = sysroot.or_else(|| flags::sysroot(cmd, &pf));
                }
                tool = Some(s.map.map_tool(a0));
            }
        }
        LinkFlags {
            ldflags,
            engine,
            sysroot,
            tool: tool.unwrap_or_else(|| "cc".into()),
        }
    }

    /// The target's deps (the targets it uses, then the others) and its link line, refs to
    /// targets that are external dependencies now made those.
    fn deps_and_link(&self, srcs: &[String]) -> (Vec<Dep>, Vec<LinkItem>) {
        let (s, d) = (self.s, self.d);
        let mut deps: Vec<Dep> = d
            .uses
            .iter()
            .map(|u| Dep::Local(target_ref(&d.dir, &s.drafts[*u].dir, &s.drafts[*u].name)))
            .collect();
        deps.extend(d.deps.iter().cloned());
        let link = match d.kind {
            TargetKind::ObjectLibrary => Vec::new(),
            _ => link_line(&Linked {
                g: s.g,
                paths: s.paths,
                drafts: s.drafts,
                me: self.ti,
                producer: s.producer,
                node_target: s.node_target,
                srcs,
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
                if let Some(x) = s.externals.get(&label) {
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
        (deps, link)
    }

    /// A file's content hash, for the engine: a file of the output directory is read where it
    /// is written; any other, as the confession found it.
    fn hash_of(&self, p: &str) -> std::io::Result<String> {
        match p.strip_prefix("[out]") {
            Some(rest) => {
                crate::engine::content_hash(&self.s.written.join(rest.trim_start_matches('/')))
            }
            None => self
                .s
                .map
                .tree
                .hash(&confess_shims::raw::path(p))
                .map(|h| format!("sha256:{h}"))
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "cannot be read")),
        }
    }
}

/// The target's assembled sources, each with its assembler (asked once per tool).
fn assembled(tools: &mut Toolchains, us: &[Unit], srcs: &[String]) -> Vec<Assembly> {
    us.iter()
        .filter_map(|u| {
            let (program, flags) = u.assembly.as_ref()?;
            Some(Assembly {
                src: u.src.clone(),
                object: if srcs.iter().filter(|s| **s == u.src).count() > 1 {
                    u.object.clone()
                } else {
                    None
                },
                assembler: tools.assembler(program, &u.tool),
                flags: flags.clone(),
            })
        })
        .collect()
}

/// What a target requires: `Pure`, or the network when a build step tried it (the seal counts
/// attempts per step, not per command, so each target the build made declares it) and the
/// files from outside it needs.
fn resources(g: &Graph, requires: BTreeSet<String>) -> Vec<Resource> {
    let network = g.network.iter().any(|n| n.build);
    if requires.is_empty() && !network {
        vec![Resource::Pure]
    } else {
        network
            .then_some(Resource::Network)
            .into_iter()
            .chain(requires.into_iter().map(Resource::Filesystem))
            .collect()
    }
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

/// The packages in directory order, each's targets by name, and their engine form: none when
/// the engine cannot say some target (then what it lacks).
pub(super) fn packages(
    projected: BTreeMap<String, Vec<Projected>>,
) -> (
    Vec<Package>,
    Vec<crate::engine::Package>,
    Option<crate::engine::Lacks>,
) {
    let mut engine_lacks = None;
    let mut engine = Vec::new();
    let packages = projected
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
    (packages, engine, engine_lacks)
}
