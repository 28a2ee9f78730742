//! Writes the build.ninja of the manifest build: a compile (or assembler call) for each object,
//! then each target's archive or link.

use super::{
    compiler, is_cxx, is_link_input, ninja_escape, pkg_config_libs, shell, spelled_path,
    synthetic_object, Compile, Declared, Object, Planned, Recorded, Roots, END_GROUP, START_GROUP,
};
use crate::engine::model as e;
use crate::engine::render as er;
use crate::error::Result;
use crate::model::{Assembly, Dep, LinkItem, LinkOption, Override, Src, Target, TargetKind};
use crate::verify::render;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The rules every manifest build uses.
const HEADER: &str =
    "# The manifest build of `confess verify`: every target of the BUILD.dhall manifests.\n\
     rule cc\n  command = cd $cwd && $cmd\n  description = CC $out\n\
     rule ar\n  command = rm -f $out && ar qc $out $in && ranlib $out\n  description = AR $out\n\
     rule link\n  command = cd $cwd && $cmd\n  description = LINK $out\n\n";

/// A compile without a recorded one has no include spellings of its own.
static NO_WORDS: BTreeMap<PathBuf, String> = BTreeMap::new();
/// ... nor flags spelled otherwise than the engine renders them.
static NO_SPELLING: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();

/// Writes the build.ninja of the manifest build and says what it builds.
pub fn ninja(
    declared: &[Declared],
    rec: &Recorded,
    roots: &Roots,
) -> Result<(String, Vec<Planned>)> {
    let plan = Plan::new(declared, rec, roots);
    let mut w = Written {
        ninja: String::from(HEADER),
        ..Written::default()
    };
    let mut planned = Vec::new();
    for d in declared {
        let e::Src::Files(files) = &d.engine.srcs else {
            continue;
        };
        planned.push(plan.compiles(d, files, &mut w));
    }
    for (d, p) in declared.iter().zip(planned.iter_mut()) {
        if d.target.kind == TargetKind::ObjectLibrary {
            continue;
        }
        plan.link(d, p, &mut w);
    }
    Ok((w.ninja, planned))
}

/// What every stage of the plan reads: the manifests, the recorded build and the roots.
struct Plan<'a> {
    rec: &'a Recorded,
    roots: &'a Roots,
    by_label: BTreeMap<&'a str, &'a Declared>,
    /// The objects object libraries stand for: a target that compiles one of their sources
    /// itself means another compile of it.
    owned: BTreeSet<&'a str>,
}

/// What the plan has written so far.
#[derive(Default)]
struct Written {
    ninja: String,
    /// Objects each target contributes (object libraries' objects go to whoever uses them).
    objects_of: BTreeMap<String, Vec<Object>>,
    cxx_of: BTreeMap<String, bool>,
    /// The objects that have their compile in the file.
    objects: BTreeSet<String>,
}

impl Written {
    /// Whether a target of `label` compiles C++ (which makes its users' links C++ links).
    fn cxx(&self, label: &str) -> bool {
        self.cxx_of.get(label).copied().unwrap_or(false)
    }

    /// The objects a target contributes to its users' links, as paths.
    fn objects(&self, label: &str, path: impl Fn(&str) -> String) -> Vec<String> {
        self.objects_of
            .get(label)
            .into_iter()
            .flatten()
            .map(|o| path(&o.path))
            .collect()
    }

    /// Writes a compile (or assembler call) of `src` to `obj`, run in `cwd`.
    fn compile_edge(&mut self, obj: &str, src: &str, cwd: &Path, cmd: &[String]) {
        let _ = writeln!(
            self.ninja,
            "build {}: cc {}\n  cwd = {}\n  cmd = {}",
            ninja_escape(obj),
            ninja_escape(src),
            shell(&[cwd.display().to_string()]),
            shell(cmd).replace('$', "$$")
        );
    }
}

/// A compile the manifest declares for a source: the recorded compile it is rendered as (where
/// it ran), and the override whose flags it takes (else the target's).
type Job<'a> = (Option<&'a Compile>, Option<&'a Override>);

/// Where one compile of the manifest build runs and how it names things: as its recorded
/// compile did, or made up when none was recorded.
struct Site<'a> {
    cwd: PathBuf,
    /// The word that names the source.
    word: String,
    /// The object's manifest path.
    obj: String,
    /// Include directories as the recorded compile spelled them.
    spelled: &'a BTreeMap<PathBuf, String>,
    /// Flags the recorded compile spelled otherwise than the engine renders them.
    respelled: &'a BTreeMap<Vec<String>, Vec<String>>,
}

impl Site<'_> {
    /// A manifest path as this compile names it. A build that named its source relative to
    /// where it compiled names its include directories so too, and debug information records
    /// them as named.
    fn path(&self, roots: &Roots, p: &str) -> String {
        let relative = !Path::new(&self.word).is_absolute();
        spelled_path(roots, self.spelled, relative, &self.cwd, p)
    }
}

/// The libraries and inputs of one link, gathered from the target's deps.
struct LinkInputs {
    /// The objects linked (the target's own, then those of object libraries it uses).
    objs: Vec<String>,
    /// Each library's words, with its place on the recorded link line.
    libs: Vec<(usize, Vec<String>)>,
    /// Targets the link needs built first.
    implicit: Vec<String>,
    /// C++ anywhere in what is linked makes it a C++ link (libstdc++).
    cxx: bool,
}

impl<'a> Plan<'a> {
    fn new(declared: &'a [Declared], rec: &'a Recorded, roots: &'a Roots) -> Plan<'a> {
        let by_label = declared.iter().map(|d| (d.label.as_str(), d)).collect();
        let owned = declared
            .iter()
            .filter(|d| d.target.kind == TargetKind::ObjectLibrary)
            .flat_map(|d| {
                let named = d
                    .target
                    .overrides
                    .iter()
                    .filter_map(|o| o.object.as_deref());
                std::iter::once(d.target.output.as_str()).chain(named)
            })
            .collect();
        Plan {
            rec,
            roots,
            by_label,
            owned,
        }
    }

    /// The target a dep of `from` names (`:name` in its own package, or a full label).
    fn resolve(&self, from: &Declared, r: &str) -> Option<&'a Declared> {
        let label = if let Some(name) = r.strip_prefix(':') {
            if from.dir == "." {
                format!("//:{name}")
            } else {
                format!("//{}:{name}", from.dir)
            }
        } else {
            r.to_string()
        };
        self.by_label.get(label.as_str()).copied()
    }

    fn path(&self, p: &str) -> String {
        self.roots.path(p).display().to_string()
    }

    /// Raw words name the build tree and the output directory as the manifests write them.
    fn text(&self, w: &str) -> String {
        w.replace("[build]", &self.roots.build.display().to_string())
            .replace("[out]", &self.roots.out.display().to_string())
    }

    /// Writes the compiles of one target and says what it builds.
    fn compiles(&self, d: &'a Declared, files: &'a [String], w: &mut Written) -> Planned {
        let t = &d.target;
        let srcs = compiled_sources(files);
        let artifact = (t.kind != TargetKind::ObjectLibrary).then_some(t.output.as_str());
        let mut objs = Vec::new();
        let mut k = 0;
        for src in &srcs {
            let src = src.as_str();
            let recorded = self.recorded_compiles(src, artifact);
            let assembled: Vec<&Assembly> = t.assembled.iter().filter(|a| a.src == src).collect();
            if !assembled.is_empty() {
                self.assemble(d, src, &recorded, &assembled, &mut k, &mut objs, w);
                continue;
            }
            for (c, over) in self.jobs(t, src, &recorded) {
                let at = k;
                k += 1;
                let Some(site) = self.object(d, src, c, at, &mut objs, w) else {
                    continue;
                };
                let cmd = self.compile_command(&d.engine.toolchain, src, &site, over);
                record_argv(&mut objs, &cmd);
                w.compile_edge(&self.path(&site.obj), &self.path(src), &site.cwd, &cmd);
            }
        }
        w.cxx_of
            .insert(d.label.clone(), srcs.iter().any(|s| is_cxx(s)));
        w.objects_of.insert(d.label.clone(), objs.clone());
        Planned {
            label: d.label.clone(),
            kind: t.kind,
            output: t.output.clone(),
            aliases: t.aliases.clone(),
            objects: objs,
            unresolved: Vec::new(),
        }
    }

    /// The recorded compiles of `src` for `artifact`; a target's own compiles of it rather
    /// than those that made an object library's objects, when it has any.
    fn recorded_compiles(&self, src: &str, artifact: Option<&str>) -> Vec<&'a Compile> {
        let recorded = self.rec.compiles_for(src, artifact);
        if artifact.is_some() {
            let own: Vec<&Compile> = recorded
                .iter()
                .filter(|c| c.object.as_deref().is_none_or(|o| !self.owned.contains(o)))
                .copied()
                .collect();
            if !own.is_empty() {
                return own;
            }
        }
        recorded
    }

    /// The compiles the manifest declares for `src`: one per override naming its object, the
    /// others with the source's override or the target's flags; each rendered where the
    /// recorded compile of that object ran.
    fn jobs(&self, t: &'a Target, src: &str, recorded: &[&'a Compile]) -> Vec<Job<'a>> {
        let mut claimed: BTreeSet<u64> = BTreeSet::new();
        let mut jobs: Vec<Job<'a>> = Vec::new();
        for o in t
            .overrides
            .iter()
            .filter(|o| o.src == src && o.object.is_some())
        {
            // An object library names the compile it means among all of the source's.
            let c = recorded
                .iter()
                .find(|c| c.object == o.object)
                .copied()
                .or_else(|| self.rec.compile_writing(src, o.object.as_ref()));
            claimed.extend(c.map(|c| c.node));
            jobs.push((c, Some(o)));
        }
        let plain = t
            .overrides
            .iter()
            .find(|o| o.src == src && o.object.is_none());
        let mut rest = recorded.iter().filter(|c| !claimed.contains(&c.node));
        while jobs.len() < times_listed(t, src) {
            jobs.push((rest.next().copied(), plain));
        }
        jobs
    }

    /// Writes the assembler calls of `src`, one per assembly the manifest declares.
    #[allow(clippy::too_many_arguments)] // reason: the target's running state (k, objs, w) of `compiles`
    fn assemble(
        &self,
        d: &Declared,
        src: &str,
        recorded: &[&'a Compile],
        assembled: &[&Assembly],
        k: &mut usize,
        objs: &mut Vec<Object>,
        w: &mut Written,
    ) {
        let mut rest = recorded.iter().filter(|c| {
            !assembled
                .iter()
                .any(|a| a.object.is_some() && a.object == c.object)
        });
        for a in assembled {
            let c = match &a.object {
                Some(_) => recorded.iter().find(|c| c.object == a.object).copied(),
                None => rest.next().copied(),
            };
            let at = *k;
            *k += 1;
            let Some(site) = self.object(d, src, c, at, objs, w) else {
                continue;
            };
            let apath = |p: &str| site.path(self.roots, p);
            let mut cmd = vec![a.assembler.program().to_string()];
            cmd.extend(render::asm_flags(&a.assembler, &a.flags, &apath));
            cmd.extend([site.word.clone(), "-o".into(), self.path(&site.obj)]);
            record_argv(objs, &cmd);
            w.compile_edge(&self.path(&site.obj), &self.path(src), &site.cwd, &cmd);
        }
    }

    /// Notes the object of one compile of `src` for the target, and says where the compile
    /// runs; `None` when another target's compile already writes that object.
    fn object(
        &self,
        d: &Declared,
        src: &str,
        c: Option<&'a Compile>,
        at: usize,
        objs: &mut Vec<Object>,
        w: &mut Written,
    ) -> Option<Site<'a>> {
        let synthetic = || synthetic_object(&d.label, src, at);
        let site = match c {
            Some(c) => Site {
                cwd: c.cwd.clone(),
                word: c.src_word.clone(),
                obj: c.object.clone().unwrap_or_else(synthetic),
                spelled: &c.include_words,
                respelled: &c.spelling,
            },
            None => Site {
                cwd: self.roots.src.clone(),
                word: self.path(src),
                obj: synthetic(),
                spelled: &NO_WORDS,
                respelled: &NO_SPELLING,
            },
        };
        objs.push(Object {
            src: src.to_string(),
            path: site.obj.clone(),
            argv: Vec::new(),
            recorded: c.map(|c| c.argv.clone()),
        });
        // One compile that two targets both use: built once.
        w.objects.insert(site.obj.clone()).then_some(site)
    }

    /// The compiler call of one compile of `src`.
    fn compile_command(
        &self,
        tc: &e::Toolchain,
        src: &str,
        site: &Site,
        over: Option<&Override>,
    ) -> Vec<String> {
        let cxx = is_cxx(src);
        let cpath = |p: &str| site.path(self.roots, p);
        let mut cmd = vec![compiler(&tc.compiler, cxx)];
        if let Some(o) = over {
            // A compile that differs from its target's: the companion's flags.
            cmd.extend(o.flags.iter().flat_map(|f| render::cflag(f, &cpath)));
        } else {
            let same = |w: &str| w.to_string();
            let canonical = er::Places {
                path: &same,
                text: &same,
            };
            let text = |w: &str| self.text(w);
            let here = er::Places {
                path: &cpath,
                text: &text,
            };
            for f in if cxx { &tc.cxxflags } else { &tc.cflags } {
                match site.respelled.get(&er::cflag(f, &canonical)) {
                    Some(words) => cmd.extend(words.iter().cloned()),
                    None => cmd.extend(er::cflag(f, &here)),
                }
            }
        }
        if let Some(s) = &tc.sysroot {
            cmd.push(format!("--sysroot={}", self.path(s)));
        }
        cmd.extend([
            "-c".to_string(),
            site.word.clone(),
            "-o".into(),
            self.path(&site.obj),
        ]);
        cmd
    }

    /// Writes the archive or link of one target.
    fn link(&self, d: &Declared, p: &mut Planned, w: &mut Written) {
        let t = &d.target;
        let inputs = self.link_inputs(d, p, w);
        // The manifest's link line, when it has one: objects, deps and position-dependent
        // options in the recorded order, repetitions kept. Otherwise the order above.
        let line = (!t.link.is_empty()).then(|| self.link_line(d, p, &inputs.libs, w));
        let out = self.path(&t.output);
        if t.kind == TargetKind::StaticLibrary {
            let members = line.as_ref().unwrap_or(&inputs.objs);
            let _ = writeln!(
                w.ninja,
                "build {}: ar {}",
                ninja_escape(&out),
                members
                    .iter()
                    .map(|o| ninja_escape(o))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            return;
        }
        let cmd = self.link_command(d, &out, inputs.cxx, line, &inputs);
        let implicit: Vec<String> = inputs.implicit.iter().map(|o| ninja_escape(o)).collect();
        // Where the real link ran: relative words in its flags are relative to it.
        let cwd = self
            .rec
            .link_cwd
            .get(&t.output)
            .unwrap_or(&self.roots.build);
        let _ = writeln!(
            w.ninja,
            "build {}: link {}{}\n  cwd = {}\n  cmd = {}",
            ninja_escape(&out),
            inputs
                .objs
                .iter()
                .map(|o| ninja_escape(o))
                .collect::<Vec<_>>()
                .join(" "),
            if implicit.is_empty() {
                String::new()
            } else {
                format!(" | {}", implicit.join(" "))
            },
            shell(&[cwd.display().to_string()]),
            shell(&cmd).replace('$', "$$")
        );
    }

    /// The objects, libraries and prerequisites of one target's link. The link's libraries
    /// each have their place on the recorded link line: the engine form keeps deps and `-l`
    /// flags apart, its companion keeps them in command-line order (the order decides what a
    /// program needs first, DT_NEEDED, and what a static link finds).
    fn link_inputs(&self, d: &Declared, planned: &mut Planned, written: &Written) -> LinkInputs {
        let t = &d.target;
        let mut objs: Vec<String> = planned.objects.iter().map(|o| self.path(&o.path)).collect();
        if let e::Src::Files(files) = &d.engine.srcs {
            objs.extend(
                files
                    .iter()
                    .filter(|f| is_link_input(f))
                    .map(|f| self.path(f)),
            );
        }
        let mut inputs = LinkInputs {
            objs,
            libs: Vec::new(),
            implicit: Vec::new(),
            cxx: written.cxx(&d.label),
        };
        for dep in &d.engine.deps {
            let at = dep_place(t, dep);
            match dep {
                e::Dep::Local(r) => match self.resolve(d, r) {
                    Some(u) => self.local_dep(t, u, at, &mut inputs, written),
                    None => planned
                        .unresolved
                        .push(format!("{r} is not a target of the manifests")),
                },
                // Content from outside, named by its path: linked from there when it is still
                // the content the confession hashed.
                e::Dep::External(x) if x.name.contains('/') => {
                    if t.kind == TargetKind::StaticLibrary {
                        continue;
                    }
                    match self.external_file(x) {
                        Ok(file) => inputs.libs.push((at, vec![file])),
                        Err(why) => planned.unresolved.push(why),
                    }
                }
                e::Dep::PkgConfig(m) if t.kind != TargetKind::StaticLibrary => {
                    match pkg_config_libs(m) {
                        Some(words) => inputs.libs.push((at, words)),
                        None => planned
                            .unresolved
                            .push(format!("pkg-config knows no module {m} here")),
                    }
                }
                _ => {}
            }
        }
        let path = |p: &str| self.path(p);
        let text = |w: &str| self.text(w);
        let here = er::Places {
            path: &path,
            text: &text,
        };
        for f in &d.engine.toolchain.ldflags {
            if let e::LDFlag::Lib(name) = f {
                inputs.libs.push((lib_place(t, name), er::ldflag(f, &here)));
            }
        }
        inputs.libs.sort_by_key(|(at, _)| *at);
        inputs
    }

    /// What a dep on the manifests' target `u` adds to the link of `t`: an object library's
    /// objects, else the artifact (as `-l` for a shared library).
    fn local_dep(&self, t: &Target, u: &Declared, at: usize, inputs: &mut LinkInputs, w: &Written) {
        inputs.cxx |= w.cxx(&u.label);
        if u.target.kind == TargetKind::ObjectLibrary {
            inputs.objs.extend(w.objects(&u.label, |p| self.path(p)));
            return;
        }
        let file = self.path(&u.target.output);
        inputs.implicit.push(file.clone());
        if t.kind == TargetKind::StaticLibrary {
            return;
        }
        if u.target.kind == TargetKind::SharedLibrary {
            inputs.libs.push((at, shared_library_words(&file)));
        } else {
            inputs.libs.push((at, vec![file]));
        }
    }

    /// The file of an external dep named by its path, when it still has the content the
    /// confession hashed; else why not.
    fn external_file(&self, x: &e::External) -> std::result::Result<String, String> {
        let file = self.roots.path(&x.name);
        match crate::engine::content_hash(&file) {
            Ok(h) if h == x.hash => Ok(file.display().to_string()),
            Ok(h) => Err(format!(
                "{} has changed since the confession ({h}, not {})",
                x.name, x.hash
            )),
            Err(err) => Err(format!("{} cannot be read: {err}", x.name)),
        }
    }

    /// The link line the manifest's `link` items say, with what they do not place after them.
    fn link_line(
        &self,
        d: &Declared,
        planned: &Planned,
        libs: &[(usize, Vec<String>)],
        written: &Written,
    ) -> Vec<String> {
        let t = &d.target;
        // The project's files a link takes as they are (the engine form lists them among
        // its sources): placed where the line names them.
        let as_is: Vec<&String> = match &d.engine.srcs {
            e::Src::Files(files) => files.iter().filter(|f| is_link_input(f)).collect(),
            _ => Vec::new(),
        };
        let mut line = Line {
            objects: &planned.objects,
            named: t
                .link
                .iter()
                .filter_map(|i| match i {
                    LinkItem::Object(o) => Some(o.as_str()),
                    _ => None,
                })
                .collect(),
            used: vec![false; planned.objects.len()],
            placed: BTreeSet::new(),
            placed_files: BTreeSet::new(),
            words: Vec::new(),
        };
        let links = t.kind != TargetKind::StaticLibrary;
        for item in &t.link {
            match item {
                LinkItem::Source(src) => line.source(src, |p| self.path(p)),
                LinkItem::Object(o) => line.object(&self.path(o), o),
                LinkItem::Dep(dep) => self.place_dep(d, dep, &as_is, libs, &mut line, written),
                LinkItem::Option(o) if links => line.words.push(format!("-Wl,{}", o.word())),
                LinkItem::Option(_) => {}
            }
        }
        // What the line does not place still goes to the link, after it.
        let mut words = line.words;
        for (k, o) in planned.objects.iter().enumerate() {
            if !line.used[k] {
                words.push(self.path(&o.path));
            }
        }
        words.extend(
            as_is
                .iter()
                .filter(|f| !line.placed_files.contains(f.as_str()))
                .map(|f| self.path(f)),
        );
        if links {
            words.extend(
                libs.iter()
                    .filter(|(at, _)| !line.placed.contains(at))
                    .flat_map(|(_, words)| words.iter().cloned()),
            );
        }
        words
    }

    /// Places one of the target's deps where the link line names it.
    fn place_dep<'l>(
        &self,
        d: &Declared,
        dep: &Dep,
        as_is: &[&'l String],
        libs: &[(usize, Vec<String>)],
        line: &mut Line<'_, 'l>,
        w: &Written,
    ) {
        let t = &d.target;
        let Some(i) = t.deps.iter().position(|x| x == dep) else {
            return;
        };
        line.placed.insert(i);
        if let Dep::File(f) = dep {
            if let Some(f) = as_is.iter().find(|a| **a == f) {
                // A prebuilt object is an archive's member, as it is a link's input.
                line.placed_files.insert(f.as_str());
                line.words.push(self.path(f));
                return;
            }
        }
        if let Dep::Local(r) = dep {
            if let Some(u) = self
                .resolve(d, r)
                .filter(|u| u.target.kind == TargetKind::ObjectLibrary)
            {
                line.words.extend(w.objects(&u.label, |p| self.path(p)));
                return;
            }
        }
        if t.kind != TargetKind::StaticLibrary {
            line.words.extend(
                libs.iter()
                    .filter(|(at, _)| *at == i)
                    .flat_map(|(_, w)| w.iter().cloned()),
            );
        }
    }

    /// The compiler call that links one target to `out`. The link's options come first, then
    /// the objects, then its libraries (deps and `-l` flags, in the link's order, in the group
    /// brackets if it had them). With a link line, the options it places are not repeated in
    /// front.
    fn link_command(
        &self,
        d: &Declared,
        out: &str,
        cxx: bool,
        line: Option<Vec<String>>,
        inputs: &LinkInputs,
    ) -> Vec<String> {
        let t = &d.target;
        let tc = &d.engine.toolchain;
        let path = |p: &str| self.path(p);
        let text = |w: &str| self.text(w);
        let here = er::Places {
            path: &path,
            text: &text,
        };
        let placed = |f: &e::LDFlag| {
            line.is_some() && {
                let words = er::ldflag(f, &here);
                !words.is_empty()
                    && words.iter().all(|w| {
                        w.strip_prefix("-Wl,")
                            .is_some_and(|v| v.split(',').all(|x| LinkOption::of_word(x).is_some()))
                    })
            }
        };
        let is_library = |f: &&e::LDFlag| match f {
            e::LDFlag::Lib(_) => true,
            e::LDFlag::Raw(r) => r == START_GROUP || r == END_GROUP || placed(f),
            f => placed(f),
        };
        let mut cmd = vec![compiler(&tc.compiler, cxx)];
        if t.kind == TargetKind::SharedLibrary && !tc.ldflags.contains(&e::LDFlag::Shared) {
            cmd.push("-shared".into());
        }
        cmd.extend(
            tc.ldflags
                .iter()
                .filter(|f| !is_library(f))
                .flat_map(|f| er::ldflag(f, &here)),
        );
        if let Some(s) = &tc.sysroot {
            cmd.push(format!("--sysroot={}", self.path(s)));
        }
        cmd.extend(["-o".to_string(), out.to_string()]);
        if let Some(line) = line {
            cmd.extend(line);
        } else {
            cmd.extend(inputs.objs.iter().cloned());
            // The group brackets stand around the libraries, as the link had them.
            let group = tc.ldflags.contains(&e::LDFlag::Raw(START_GROUP.into()));
            if group {
                cmd.push(START_GROUP.into());
            }
            cmd.extend(inputs.libs.iter().flat_map(|(_, w)| w.iter().cloned()));
            if group {
                cmd.push(END_GROUP.into());
            }
        }
        cmd
    }
}

/// A link line being put together from the manifest's `link` items.
struct Line<'p, 'l> {
    /// The target's objects, and which of them the line has placed.
    objects: &'p [Object],
    used: Vec<bool>,
    /// The objects the line names by their path.
    named: BTreeSet<&'p str>,
    /// The deps (by their index) and the project's prebuilt files the line has placed.
    placed: BTreeSet<usize>,
    placed_files: BTreeSet<&'l str>,
    words: Vec<String>,
}

impl Line<'_, '_> {
    /// Places the object of a compile of `src`: one the line does not name by path, if any.
    fn source(&mut self, src: &str, path: impl Fn(&str) -> String) {
        let n = self.objects.len();
        let k = (0..n)
            .find(|k| {
                !self.used[*k]
                    && self.objects[*k].src == *src
                    && !self.named.contains(self.objects[*k].path.as_str())
            })
            .or_else(|| (0..n).find(|k| !self.used[*k] && self.objects[*k].src == *src));
        if let Some(k) = k {
            self.used[k] = true;
            self.words.push(path(&self.objects[k].path));
        }
    }

    /// Places the object at manifest path `o` (`at` is its path in the build).
    fn object(&mut self, at: &str, o: &str) {
        if let Some(k) =
            (0..self.objects.len()).find(|k| !self.used[*k] && self.objects[*k].path == *o)
        {
            self.used[k] = true;
        }
        self.words.push(at.to_string());
    }
}

/// The sources a target compiles, each once (the confess form lists a source once per compile
/// of it); files a link takes as they are left out.
fn compiled_sources(files: &[String]) -> Vec<&String> {
    let mut srcs: Vec<&String> = Vec::new();
    for f in files.iter().filter(|f| !is_link_input(f)) {
        if !srcs.contains(&f) {
            srcs.push(f);
        }
    }
    srcs
}

/// How many compiles of `src` the target declares.
fn times_listed(t: &Target, src: &str) -> usize {
    match &t.srcs {
        Src::Files(fs) => fs.iter().filter(|f| *f == src).count().max(1),
        _ => 1,
    }
}

/// Gives the last object noted its compile.
fn record_argv(objs: &mut [Object], cmd: &[String]) {
    if let Some(o) = objs.last_mut() {
        o.argv = cmd.to_vec();
    }
}

/// The place of an engine dep among the companion's deps (their command-line order).
fn dep_place(t: &Target, dep: &e::Dep) -> usize {
    t.deps
        .iter()
        .position(|o| match (dep, o) {
            (e::Dep::Local(a), Dep::Local(b)) | (e::Dep::PkgConfig(a), Dep::PkgConfig(b)) => a == b,
            (e::Dep::External(x), Dep::Library(b) | Dep::File(b)) => x.name == *b,
            (e::Dep::External(x), Dep::Package(pk)) => pk.libraries.contains(&x.name),
            _ => false,
        })
        .unwrap_or(usize::MAX)
}

/// The place of a `-l` library among the companion's deps.
fn lib_place(t: &Target, name: &str) -> usize {
    t.deps
        .iter()
        .position(|o| match o {
            Dep::Library(b) => b == name,
            Dep::Package(pk) => pk.libraries.iter().any(|l| l == name),
            _ => false,
        })
        .unwrap_or(usize::MAX)
}

/// A shared library of the manifests as `-l`: the program records the library's SONAME (or its
/// file name), not the path it was linked from.
fn shared_library_words(file: &str) -> Vec<String> {
    let fp = Path::new(file);
    vec![
        format!(
            "-L{}",
            fp.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
        format!(
            "-l:{}",
            fp.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
    ]
}
