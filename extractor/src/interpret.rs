//! Interpretation: from a confession's record to every output. The record is the shims' facts
//! (the event store, the token store, the package requests), `run.json` (the run: where its
//! scratch directory was, the driver's configuration as data, what the run did and what the
//! seal observed) and the tree's record (`tree`: what interpretation read of the machine).
//! A confession interprets right after its build; `confess extract --from` interprets a kept
//! confession again, from those files alone, into the same outputs.
//!
//! The record's files are read and written here too: `run.json`, the stores (`load`,
//! `load_kept`, `save_session`) and the command line (`invocation.json`).

use crate::emit;
use crate::error::{Error, Result};
use crate::graph::{self, Confession, Graph};
use crate::pathmap::PathMap;
use crate::tree::{Kind, Tree};
use confess_shims::raw;
use confess_shims::session as ss;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The run's record in a confession directory.
pub const RUN: &str = "run.json";
/// The package requests (find_package, pkg-config, ...) in a confession directory.
pub const PACKAGES: &str = confess_shims::facts::PACKAGES;
/// `run.json`'s schema. 2 adds `formats`; a record of schema 1 is read too (its stored files
/// are all of format 1).
pub const SCHEMA: &str = "confess-run/2";
const SCHEMAS: &[&str] = &["confess-run/1", SCHEMA];

/// The format version of each file a confession stores; interpretation refuses a file of a
/// version it does not read, naming it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Formats {
    /// events.sqlite (`confess_shims::events::SCHEMA_VERSION`, in the store's `meta` too).
    pub events: i64,
    /// tokens.log: each record's token says its format too (`CONFESS-TOKEN 1`).
    pub tokens: u32,
    /// packages.jsonl (`confess_shims::facts::PackageRequest`).
    pub packages: u32,
    /// tree.jsonl and files/ (`crate::tree`).
    pub tree: u32,
}

impl Formats {
    /// The formats this confess writes; it reads these and every earlier one.
    pub const CURRENT: Formats = Formats {
        events: confess_shims::events::SCHEMA_VERSION,
        tokens: 1,
        packages: 1,
        tree: 1,
    };

    /// What a record of schema `confess-run/1` stored, which did not say.
    fn first() -> Formats {
        Formats {
            events: 1,
            tokens: 1,
            packages: 1,
            tree: 1,
        }
    }

    /// Fails naming the first stored file of a format this confess does not read.
    fn check(self, dir: &Path) -> Result<()> {
        let now = Formats::CURRENT;
        let files = [
            ("events.sqlite", self.events, now.events),
            ("tokens.log", i64::from(self.tokens), i64::from(now.tokens)),
            (PACKAGES, i64::from(self.packages), i64::from(now.packages)),
            (
                crate::tree::JOURNAL,
                i64::from(self.tree),
                i64::from(now.tree),
            ),
        ];
        match files.iter().find(|(_, v, known)| *v < 1 || v > known) {
            Some((file, v, known)) => Err(Error::Store {
                path: dir.join(file),
                reason: format!(
                    "format {v}, and this confess reads formats 1 to {known}: {}",
                    if v > known {
                        "the confession was made by a newer confess; extract it with that one, \
                         or confess the project again"
                    } else {
                        "run.json was written by hand or damaged; confess the project again"
                    }
                ),
            }),
            None => Ok(()),
        }
    }
}

/// What a confession records of its run, besides the shims' facts (`confession/run.json`).
/// Paths are text (`confess_shims::raw`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// [`SCHEMA`].
    pub schema: String,
    /// The format of each stored file.
    #[serde(default = "Formats::first")]
    pub formats: Formats,
    /// The confess that made it.
    pub confess: String,
    /// The build system's name, as in `confess NAME`.
    pub driver: String,
    /// The driver and its arguments (`confess verify` runs the same build for real from it).
    pub config: crate::drivers::Config,
    /// The build's options (`-j`, `--unsealed`, `--network`).
    pub build: BuildOptions,
    /// The user's source directory.
    pub source: String,
    /// The output directory the confession was made into.
    pub out: String,
    /// Where the scratch directory's parts were.
    pub scratch: Layout,
    /// Each copied directory of the user's (`confess ninja` far from its sources) and its
    /// copy in the scratch.
    pub copies: Vec<(String, String)>,
    /// What the build system wrote that the output keeps (config.log, CMake's File API reply,
    /// meson-info), and its name there.
    pub keep: Vec<(String, String)>,
    /// How the outputs are shaped.
    pub options: Shape,
    /// The build phase's wall time.
    pub build_secs: f64,
    /// Interpretation's wall time, as the summary gives it.
    pub extract_secs: f64,
    /// Artifacts built for real because the build looked inside them or ran them.
    pub realized: Realized,
    /// Configure-phase compiler calls and the work cache.
    pub probes: graph::Probes,
    /// What the seal observed: writes outside the build's trees, network attempts, reads from
    /// outside, and the steps whose reads were not observed.
    pub outside_writes: Vec<crate::seal::OutsideWrite>,
    pub network: Vec<crate::seal::NetworkAttempts>,
    pub reads: Vec<crate::seal::OutsideRead>,
    pub reads_unobserved: Vec<String>,
    /// The step that failed, when one did.
    pub failure: Option<Failure>,
}

/// The options the build ran with.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BuildOptions {
    /// `-j`.
    pub jobs: Option<usize>,
    /// `--unsealed`.
    pub unsealed: bool,
    /// `--network`.
    pub network: bool,
}

/// The scratch directory's parts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub root: String,
    /// The copy of the sources.
    pub src: String,
    /// Where the build wrote (`src` for in-source builds).
    pub build: String,
    /// Events, tokens, made-up packages.
    pub session: String,
    /// Shim links.
    pub bin: String,
    pub bin_private: String,
}

/// How the outputs are shaped: the options of the confessing command that interpretation
/// reads.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// `--outside`.
    pub outside: crate::targets::OutsideAs,
    /// `--exclude`, each glob.
    pub exclude: Vec<String>,
    /// `--relative`.
    pub relative: bool,
    /// `--engine-schema DIR`.
    pub engine_schema: Option<String>,
}

/// Realization's counts (`graph::Realization` without the calls, which the events give).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Realized {
    pub artifacts: usize,
    pub cached: usize,
    pub secs: f64,
}

/// A failed step, as `Error::BuildFailed` says it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub command: String,
    pub status: i32,
    pub detail: String,
}

impl Failure {
    /// The record of a failed step's error (`Error::BuildFailed`; any other is not a step's).
    #[must_use]
    pub fn of(e: &Error) -> Option<Failure> {
        match e {
            Error::BuildFailed {
                command,
                status,
                detail,
            } => Some(Failure {
                command: command.clone(),
                status: *status,
                detail: detail.clone(),
            }),
            _ => None,
        }
    }

    #[must_use]
    pub fn error(&self) -> Error {
        Error::BuildFailed {
            command: self.command.clone(),
            status: self.status,
            detail: self.detail.clone(),
        }
    }
}

impl Shape {
    fn compdb(&self) -> Result<emit::compdb::Options> {
        Ok(emit::compdb::Options {
            exclude: emit::compdb::Options::patterns(&self.exclude).map_err(Error::Usage)?,
            relative: self.relative,
            ..Default::default()
        })
    }

    fn engine_root(&self) -> emit::engine_dhall::EngineRoot {
        match &self.engine_schema {
            Some(d) => emit::engine_dhall::EngineRoot::Dir(raw::path(d).into_owned()),
            None => emit::engine_dhall::EngineRoot::Bundled,
        }
    }
}

/// What interpretation gives its caller.
pub struct Interpreted {
    pub graph: Graph,
    pub confessed: crate::targets::Confessed,
    pub summary: String,
    pub conf: Confession,
    /// Where each scratch path of a kept text goes (`confession::text_pairs`).
    pub pairs: Vec<(PathBuf, PathBuf)>,
    /// compile_commands.json's entries, when they are written elsewhere too (`--compdb`); none
    /// otherwise (at a hundred thousand sources they are a hundred megabytes).
    pub entries: Vec<emit::compdb::Entry>,
    /// The interpretation's time, as the summary gives it.
    pub extract_secs: f64,
}

fn path(t: &str) -> PathBuf {
    raw::path(t).into_owned()
}

/// How the outputs are written: compile_commands.json's shape, where the manifests import
/// the engine's types from, and the time the summary gives.
pub struct Writing<'a> {
    pub compdb: &'a emit::compdb::Options,
    pub engine_root: &'a emit::engine_dhall::EngineRoot,
    pub clock: Clock,
}

/// The interpretation's time in the summary.
pub enum Clock {
    /// Measured from this instant.
    Since(Instant),
    /// As recorded (a replay gives the time of the run that made the confession).
    Recorded(f64),
}

/// Interprets a confession into the staged output directory: every output but the JSON log
/// and the confession's own files (the caller's to write), with `confession/tree.jsonl`.
pub fn interpret(
    record: &Record,
    mut conf: Confession,
    tree: Tree,
    staged: &crate::outdir::Staged,
    how: &Writing,
) -> Result<Interpreted> {
    let out = staged.out.clone();
    let stage = staged.stage.clone();
    let s = &record.scratch;
    let map = path_map(record, tree, &out);
    let mut graph = recorded_graph(record, &mut conf, &map);
    crate::interrupt::check()?;
    let copies: Vec<(PathBuf, PathBuf)> = record
        .copies
        .iter()
        .map(|(u, c)| (path(u), path(c)))
        .collect();
    let pairs = text_pairs(&map, s, &copies);
    keep_generated(&mut graph, &map, staged, &pairs)?;
    // The graph's own outputs are written beside the targets and the manifests: from here on
    // both only read the graph.
    let (entries, (confessed, target_dot, drawing)) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| write_outputs(&graph, &map, staged, how.compdb));
        let made = targets_and_manifests(record, &graph, &map, (&out, &stage), &pairs, how);
        let entries = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok::<_, Error>((entries, made?))
    })?;
    let extract_secs = match how.clock {
        Clock::Since(t) => t.elapsed().as_secs_f64(),
        Clock::Recorded(secs) => secs,
    };
    let summary = write_reports(
        record,
        &graph,
        &confessed,
        (&target_dot, drawing),
        (&out, &stage),
        extract_secs,
    )?;
    let dir = stage.join("confession");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    map.tree.save(&dir)?;
    Ok(Interpreted {
        graph,
        confessed,
        summary,
        conf,
        pairs,
        entries,
        extract_secs,
    })
}

/// How the recorded run's scratch paths map to the user's tree and the output directory `out`.
fn path_map(record: &Record, tree: Tree, out: &Path) -> PathMap {
    let s = &record.scratch;
    let session = path(&s.session);
    let mut map = PathMap::new(
        &path(&s.src),
        &path(&s.build),
        &path(&record.source),
        out,
        tree,
        &path(&record.out),
    );
    map.tool_dirs = vec![path(&s.bin), path(&s.bin_private)];
    // Stub directories of made-up packages are kept in the output directory.
    map.extra = vec![(session.join("fake"), out.join("fake"))];
    map
}

/// The confession's graph, with what the record says of the run (realization, probes, writes
/// outside, network, reads). The confession's tokens go into it (`graph::build`).
fn recorded_graph(record: &Record, conf: &mut Confession, map: &PathMap) -> Graph {
    let mut graph = graph::build(conf, map);
    graph.realized = graph::Realization {
        artifacts: record.realized.artifacts,
        cached: record.realized.cached,
        secs: record.realized.secs,
        looks: graph::looks(conf),
    };
    graph.probes = record.probes.clone();
    graph.outside.clone_from(&record.outside_writes);
    graph.network.clone_from(&record.network);
    graph.reads.clone_from(&record.reads);
    graph.reads_unobserved.clone_from(&record.reads_unobserved);
    graph
}

/// Copies into the stage the made-up packages' stubs and what the build system and the build
/// said, with no scratch path in it.
fn keep_what_was_said(
    record: &Record,
    map: &PathMap,
    stage: &Path,
    pairs: &[(PathBuf, PathBuf)],
) -> Result<()> {
    let session = path(&record.scratch.session);
    copy_from_tree(&map.tree, &session.join("fake"), &stage.join("fake"), None)?;
    for (from, name) in &record.keep {
        copy_from_tree(&map.tree, &path(from), &stage.join(name), Some(pairs))?;
    }
    copy_from_tree(
        &map.tree,
        &session.join("build.log"),
        &stage.join("build.log"),
        Some(pairs),
    )
}

/// Labels are checked as they are written: a ref that names no target is confess's fault,
/// and no manifest with one is written.
fn check_labels(confessed: &crate::targets::Confessed, out: &Path) -> Result<()> {
    let dangling = confessed.dangling_labels();
    if dangling.is_empty() {
        return Ok(());
    }
    Err(Error::Store {
        path: out.join("dhall"),
        reason: format!(
            "confess made refs that name no target: {}; this is a bug in confess: please \
             report it with graph.json and build.log of this output directory",
            dangling.join(", ")
        ),
    })
}

/// What the build system said is kept, then the targets are made and checked, and their
/// manifests written while Graphviz draws the target graph: the targets, graph.dot's text and
/// the drawing under way.
fn targets_and_manifests(
    record: &Record,
    graph: &Graph,
    map: &PathMap,
    (out, stage): (&Path, &Path),
    pairs: &[(PathBuf, PathBuf)],
    how: &Writing,
) -> Result<(crate::targets::Confessed, String, emit::html::Drawing)> {
    keep_what_was_said(record, map, stage, pairs)?;
    // Targets and manifests come after: they read what the build system said of its targets
    // (CMake's File API reply, kept just above).
    let names = crate::drivers::names(&record.driver, stage);
    let confessed = crate::targets::build(graph, map, out, stage, &names, record.options.outside);
    check_labels(&confessed, out)?;
    // The manifests, and targets.json with report.md, are written at once: on a large project
    // each is seconds of writing.
    let (target_dot, drawing) = std::thread::scope(|scope| {
        let records = scope.spawn(|| emit::dhall::write_records(stage, &confessed));
        let target_dot = emit::dot::targets(&confessed);
        let drawing = emit::html::Drawing::start(target_dot.clone(), confessed.targets().count());
        let written = emit::dhall::write_all(stage, &confessed, how.engine_root);
        records
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        written.map(|()| (target_dot, drawing))
    })?;
    Ok((confessed, target_dot, drawing))
}

/// Writes graph.dot (`target_dot`, being drawn), summary.txt and report.html into the stage;
/// gives the summary.
fn write_reports(
    record: &Record,
    graph: &Graph,
    confessed: &crate::targets::Confessed,
    (target_dot, drawing): (&str, emit::html::Drawing),
    (out, stage): (&Path, &Path),
    extract_secs: f64,
) -> Result<String> {
    write(&stage.join("graph.dot"), target_dot)?;
    let timing = emit::summary::Timing {
        build_secs: record.build_secs,
        extract_secs,
    };
    let what = format!("{} in {}", record.driver, record.source);
    let summary = emit::summary::render(graph, &what, Some(&timing), out);
    write(&stage.join("summary.txt"), &summary)?;
    let warnings: Vec<(String, String)> = emit::report::warnings(graph, confessed)
        .into_iter()
        .map(|w| (w.kind, w.message))
        .collect();
    write(
        &stage.join("report.html"),
        &emit::html::render(
            confessed,
            &what,
            &emit::summary::render(graph, &what, None, out),
            &drawing.finish(),
            &warnings,
        ),
    )?;
    Ok(summary)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

/// Copies the file or the tree at `from`, as the tree answers, to `to`; with `pairs`, each
/// text file with its scratch paths replaced (`scratch::map_text`). Nothing there: nothing
/// copied.
fn copy_from_tree(
    tree: &Tree,
    from: &Path,
    to: &Path,
    pairs: Option<&[(PathBuf, PathBuf)]>,
) -> Result<()> {
    let put = |bytes: Vec<u8>, to: &Path| -> Result<()> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        let bytes = match pairs {
            Some(p) => crate::scratch::mapped_bytes(bytes, p),
            None => bytes,
        };
        std::fs::write(to, bytes).map_err(|e| Error::io("writing", to, e))
    };
    if tree.is_file(from) {
        let bytes = tree.read(from).ok_or_else(|| Error::Store {
            path: from.to_path_buf(),
            reason: "the file cannot be read".into(),
        })?;
        return put(bytes, to);
    }
    if !tree.exists(from) {
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    for (p, kind) in tree.list(from, None) {
        let Ok(rel) = p.strip_prefix(from) else {
            continue;
        };
        match kind {
            Kind::Dir => {
                let d = to.join(rel);
                std::fs::create_dir_all(&d).map_err(|e| Error::io("creating", &d, e))?;
            }
            Kind::File => {
                if let Some(bytes) = tree.read(&p) {
                    put(bytes, &to.join(rel))?;
                }
            }
            Kind::Symlink | Kind::Other => {}
        }
    }
    Ok(())
}

/// Where each scratch path of a kept text (generated files, build.log, config.log, the File
/// API reply, meson-info) goes, for `scratch::map_text`: the source copy to the user's tree,
/// an out-of-tree build directory to the output's `build/`, made-up packages' stubs to `fake/`,
/// each copied directory to its own, a shim link to the real tool of its name (as on PATH), and
/// what remains of the scratch root to `[scratch]`, which names no place that exists. (The
/// longest replacement applies first.)
fn text_pairs(map: &PathMap, s: &Layout, copies: &[(PathBuf, PathBuf)]) -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = vec![(map.scratch_src.clone(), map.user_src.clone())];
    if map.out_of_tree() {
        pairs.push((map.scratch_build.clone(), map.generated_dir.clone()));
    }
    pairs.extend(map.extra.iter().cloned());
    pairs.extend(
        copies
            .iter()
            .map(|(user, copy)| (copy.clone(), user.clone())),
    );
    for dir in [&s.bin, &s.bin_private] {
        let dir = path(dir);
        for (link, _) in map.tree.list(&dir, None) {
            let Some(name) = link.file_name() else {
                continue;
            };
            let real = map.tree.which(name).unwrap_or_else(|| PathBuf::from(name));
            pairs.push((link, real));
        }
    }
    pairs.push((path(&s.root), PathBuf::from("[scratch]")));
    pairs
}

/// Copies the generated files into the output, their text without scratch paths, and gives their
/// nodes the hashes of those copies.
fn keep_generated(
    g: &mut Graph,
    map: &PathMap,
    staged: &crate::outdir::Staged,
    pairs: &[(PathBuf, PathBuf)],
) -> Result<()> {
    // Generated files are kept, so that outputs never point into the scratch directory. A
    // generated file's hash is its kept copy's: the file as it is found, with no scratch path.
    let mut kept = Vec::new();
    for rel in &g.generated {
        let loc = crate::pathmap::Loc {
            root: crate::pathmap::Root::Build,
            path: rel.clone(),
        };
        let from = map.scratch_root_join(&loc);
        let to = staged.place(&map.generated_dir.join(raw::path(rel)));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        if map.tree.is_file(&from) && map.tree.token(&from) == crate::tree::TokenFile::No {
            // Their text names the user's tree and the output directory, not the scratch copy.
            copy_from_tree(&map.tree, &from, &to, Some(pairs))?;
            if let Some(id) = g.node_at(&loc) {
                let hash = confess_shims::token::hash_file(&to)
                    .map_err(|e| Error::io("reading", &to, e))?;
                kept.push((id, hash));
            }
        }
    }
    for (id, hash) in kept {
        g.set_hash(id, hash);
    }
    Ok(())
}

/// Writes compile_commands.json, link_commands.json, graph.json, graph-files.dot and graph.txt
/// into the stage; gives the compile commands when `--compdb` writes them elsewhere too.
fn write_outputs(
    g: &Graph,
    map: &PathMap,
    staged: &crate::outdir::Staged,
    compdb: &emit::compdb::Options,
) -> Result<Vec<emit::compdb::Entry>> {
    let out_of_tree = map.out_of_tree();
    let out = &staged.stage;
    let entries = compdb.shape(emit::compdb::entries(g, map), &map.user_src);
    let compile = out.join("compile_commands.json");
    emit::write_pretty_json(&compile, &entries).map_err(|e| Error::io("writing", &compile, e))?;
    let links = out.join("link_commands.json");
    emit::write_pretty_json(&links, &emit::compdb::links(g, map))
        .map_err(|e| Error::io("writing", &links, e))?;
    let build_root = (!out_of_tree).then_some(map.user_src.as_path());
    if out_of_tree {
        // The build tree exists only here: lay out the directories build commands ran in, so
        // that compile_commands.json's `directory` entries exist.
        for a in &g.actions {
            if a.cwd.root == crate::pathmap::Root::Build {
                let d = staged.place(&map.generated_dir.join(&a.cwd.path));
                std::fs::create_dir_all(&d).map_err(|e| Error::io("creating", &d, e))?;
            }
        }
    }
    let graph_json = out.join("graph.json");
    let f = std::fs::File::create(&graph_json).map_err(|e| Error::io("writing", &graph_json, e))?;
    emit::graph_json::write(f, g, map, build_root)
        .map_err(|e| Error::io("writing", &graph_json, e))?;
    write(&out.join("graph-files.dot"), &emit::dot::render(g))?;
    write(&out.join("graph.txt"), &emit::text::render(g, map))?;
    Ok(if compdb.path.is_some() {
        entries
    } else {
        Vec::new()
    })
}

/// Reads a kept confession's record (`DIR/confession/run.json`).
pub fn read_record(dir: &Path) -> Result<Record> {
    let p = dir.join("confession").join(RUN);
    let text = std::fs::read_to_string(&p).map_err(|e| Error::Input {
        path: p.clone(),
        reason: format!(
            "cannot read the run's record ({e}): {} is not a confession an extraction can run \
             from (made by an earlier confess, or not a confess --out directory); confess the \
             project again",
            dir.display()
        ),
    })?;
    let r: Record = serde_json::from_str(&text).map_err(|e| Error::Store {
        path: p.clone(),
        reason: format!("{e}: confess the project again with this version"),
    })?;
    if !SCHEMAS.contains(&r.schema.as_str()) {
        return Err(Error::Store {
            path: p,
            reason: format!(
                "schema {:?}, and this confess reads {SCHEMAS:?}: confess the project again",
                r.schema
            ),
        });
    }
    r.formats.check(&dir.join("confession"))?;
    Ok(r)
}

/// Writes the run's record into the confession directory `dir`.
pub fn write_record(dir: &Path, r: &Record) -> Result<()> {
    let p = dir.join(RUN);
    let text = serde_json::to_string_pretty(r).map_err(|e| Error::Store {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    write(&p, &(text + "\n"))
}

/// The files of a confession directory that interpretation does not write: the stores, the
/// package requests, the run's record, the command line, the contents the tree read.
const KEPT: &[&str] = &[RUN, PACKAGES, "invocation.json", crate::tree::FILES];

/// `confess extract --from FROM [--out OUT]`: interprets the confession kept in FROM again,
/// with this confess, into OUT (FROM itself when not given). Needs nothing but FROM's
/// `confession/`: not the scratch directory, not the sources.
pub fn extract(from: &Path, out: Option<&Path>) -> Result<Outcome> {
    let record = read_record(from)?;
    let dir = from.join("confession");
    let conf = load_kept(&dir)?;
    let tree = Tree::replay(&dir)?;
    let staged = crate::outdir::Staged::begin(out.unwrap_or(from), &path(&record.source))?;
    let done = interpret(
        &record,
        conf,
        tree,
        &staged,
        &Writing {
            compdb: &record.options.compdb()?,
            engine_root: &record.options.engine_root(),
            clock: Clock::Recorded(record.extract_secs),
        },
    )?;
    let to = staged.stage.join("confession");
    let stores = [ss::events_path(&dir), confess_shims::store::path(&dir)];
    for p in stores.into_iter().chain(KEPT.iter().map(|n| dir.join(n))) {
        let Some(name) = p.file_name() else {
            continue;
        };
        if p.is_dir() {
            crate::scratch::copy_tree(&p, &to.join(name), &[])?;
        } else if p.is_file() {
            std::fs::copy(&p, to.join(name)).map_err(|e| Error::io("copying", &p, e))?;
        }
    }
    crate::interrupt::check()?;
    staged.commit()?;
    Ok(Outcome {
        summary: done.summary,
        graph: done.graph,
        build_failure: record.failure.as_ref().map(Failure::error),
        engine_lacks: done.confessed.engine_lacks.clone(),
        scratch_kept: None,
    })
}

/// Keeps the stores of a session in the confession directory `to`: a compacted copy of the
/// event store, the token store and the package requests.
fn save_session(session: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    let db = ss::events_path(session);
    let dst = ss::events_path(to);
    let conn = rusqlite::Connection::open(&db).map_err(|e| Error::Store {
        path: db.clone(),
        reason: e.to_string(),
    })?;
    conn.execute("VACUUM INTO ?1", [dst.display().to_string()])
        .map_err(|e| Error::Store {
            path: dst.clone(),
            reason: e.to_string(),
        })?;
    let tokens = confess_shims::store::path(session);
    std::fs::copy(&tokens, confess_shims::store::path(to))
        .map_err(|e| Error::io("copying", &tokens, e))?;
    let packages = session.join(PACKAGES);
    if packages.is_file() {
        std::fs::copy(&packages, to.join(PACKAGES))
            .map_err(|e| Error::io("copying", &packages, e))?;
    }
    Ok(())
}

/// What a finished confession leaves for the caller.
pub struct Outcome {
    pub graph: Graph,
    pub summary: String,
    pub build_failure: Option<Error>,
    /// What the engine's types cannot express of the build (no engine form was written).
    pub engine_lacks: Option<crate::engine::Lacks>,
    /// The kept scratch directory (`--keep-scratch`), and why it is where it is.
    pub scratch_kept: Option<(PathBuf, String)>,
}

/// The event log did not import: for a line that is not a whole event (the log was cut or
/// written into), which line, the byte it starts at, and what to do.
fn log_unreadable(log: &Path, e: confess_shims::events::ImportError) -> Error {
    let reason = match e {
        confess_shims::events::ImportError::Line(n, why) => {
            let offset: usize = std::fs::read(log)
                .unwrap_or_default()
                .split(|b| *b == b'\n')
                .take(n.saturating_sub(1))
                .map(|l| l.len() + 1)
                .sum();
            format!(
                "line {n} (from byte {offset}) is not a whole event ({why}): the log was cut short or written into during the build (a full disk, or a command that writes to or truncates files in $CONFESS_DIR), and the calls recorded from there on are lost; nothing was written (the previous confession in --out is as it was): free some space or change that command, and run confess again"
            )
        }
        e => e.to_string(),
    };
    Error::Store {
        path: log.to_path_buf(),
        reason,
    }
}

/// Reads the event store and every token of a kept confession (`OUT/confession`): its events
/// joined the store when it was kept.
pub fn load_kept(dir: &Path) -> Result<Confession> {
    let db = ss::events_path(dir);
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| Error::Store {
                path: db.clone(),
                reason: e.to_string(),
            })?;
    let events = confess_shims::events::read_all(&conn).map_err(|e| Error::Store {
        path: db.clone(),
        reason: e.to_string(),
    })?;
    facts(dir, events)
}

/// Reads the event store and every token of a session, and starts keeping the session in
/// `keep_in` (see [`Keeping`]).
pub fn load(session: &Path, keep_in: &Path) -> Result<(Confession, Keeping)> {
    let db = ss::events_path(session);
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| Error::Store {
                path: db.clone(),
                reason: e.to_string(),
            })?;
    // The shims appended their events to the log; they join the store here. The log is made
    // before the build starts: gone now, the build deleted it, and what it held is lost.
    let log = confess_shims::events::log_path(&db);
    if !log.is_file() {
        return Err(Error::Store {
            path: log,
            reason: "the event log is gone: the build deleted it, and with it every call the shims recorded; nothing was written (the previous confession in --out is as it was)".into(),
        });
    }
    let (events, import) =
        confess_shims::events::read_importing(conn, &db).map_err(|e| log_unreadable(&log, e))?;
    let confession = facts(session, events)?;
    let (session, to) = (session.to_path_buf(), keep_in.to_path_buf());
    let thread = std::thread::spawn(move || {
        import.run().map_err(|e| log_unreadable(&log, e))?;
        save_session(&session, &to)
    });
    Ok((
        confession,
        Keeping {
            thread: Some(thread),
        },
    ))
}

/// The session going into the kept confession while the extraction goes on, in a thread
/// started once the tokens are read (which takes both cores): the shims' event log into the
/// session's event store, then the store, the tokens and the package requests copied (the
/// build is over: nothing writes them again). Dropped unfinished, it waits for its thread, so
/// that nothing writes the session after its owner let it go.
pub struct Keeping {
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Keeping {
    /// Waits for the session to be kept.
    pub fn finish(mut self) -> Result<()> {
        match self.thread.take().map(std::thread::JoinHandle::join) {
            None => Ok(()),
            Some(Ok(r)) => r,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Keeping {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The tokens and package requests of a session or a kept confession, with its events.
fn facts(session: &Path, events: Vec<(i64, confess_shims::events::Event)>) -> Result<Confession> {
    let store = confess_shims::store::path(session);
    let tokens = confess_shims::store::index(&store).map_err(|e| Error::Store {
        path: store.clone(),
        reason: e.to_string(),
    })?;
    let mut packages = Vec::new();
    let plog = session.join(confess_shims::facts::PACKAGES);
    if let Ok(text) = std::fs::read_to_string(&plog) {
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let p: confess_shims::facts::PackageRequest =
                serde_json::from_str(line).map_err(|e| Error::Store {
                    path: plog.clone(),
                    reason: format!("line {}: {e}", n + 1),
                })?;
            packages.push(p.into());
        }
    }
    Ok(Confession {
        events,
        tokens,
        packages,
    })
}

/// Where a confession keeps the command that made it, for verify to run the same build.
pub const INVOCATION: &str = "confession/invocation.json";

/// The `confess` command line of a confession and the directory it ran in. Both are written in
/// confess's text form (`confess_shims::raw`): a word or a directory that is not UTF-8 comes back
/// as its bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invocation {
    pub argv: Vec<String>,
    #[serde(with = "text_path")]
    pub cwd: PathBuf,
}

impl Invocation {
    /// The command line's words as the process had them.
    #[must_use]
    pub fn args_os(&self) -> Vec<std::ffi::OsString> {
        self.argv
            .iter()
            .map(|a| confess_shims::raw::os(a).into_owned())
            .collect()
    }
}

/// A path as its text form in JSON.
mod text_path {
    use serde::Deserialize;
    use std::path::{Path, PathBuf};

    pub fn serialize<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&confess_shims::raw::text_path(p))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let t = String::deserialize(d)?;
        Ok(confess_shims::raw::path(&t).into_owned())
    }
}

/// Writes this process's command line into the output directory.
pub fn record_invocation(out: &Path) -> Result<()> {
    let inv = Invocation {
        // A word that is not UTF-8 is kept in its text form, every byte.
        argv: std::env::args_os()
            .map(|a| confess_shims::raw::text_os(&a).into_owned())
            .collect(),
        cwd: std::env::current_dir().map_err(|e| Error::io("reading", ".", e))?,
    };
    let path = out.join(INVOCATION);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    let text = serde_json::to_string_pretty(&inv).map_err(|e| Error::Usage(e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(|e| Error::io("writing", &path, e))
}

/// Reads the command line a confession was made with.
pub fn read_invocation(out: &Path) -> Result<Invocation> {
    let path = out.join(INVOCATION);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Input {
        path: path.clone(),
        reason: format!(
            "cannot read how this confession was made ({e}): run confess on the project first, with this --out"
        ),
    })?;
    Error::parse_json(&path, &text)
}
