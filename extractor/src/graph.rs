//! The confessed graph: files and artifacts as nodes, the actions that made them, with typed
//! ids. Built from the event store and the token store, which hold the facts; this is their
//! interpretation and can be rebuilt from a stored confession at any time.

use crate::pathmap::{Loc, PathMap, Root};
use confess_shims::events::Event;
use confess_shims::facts::{Actor, ContentRef, Decision, Phase};
use confess_shims::raw;
use confess_shims::role::Role;
use confess_shims::token::{Edge, Kind, Token};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ActionId(pub u32);

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Source,
    Header,
    Generated,
    Object,
    Assembly,
    PrecompiledHeader,
    Archive,
    SharedLibrary,
    Executable,
    Relocatable,
    /// A file the build used that it neither made nor is a project source (a prebuilt object).
    File,
    /// A library the project does not build (`-lm`, `-lz`).
    External,
    /// A header the preprocessor did not find, let through by `-MG`: a made-up package's, or
    /// one generated after the compile that read it.
    MissingHeader,
}

impl NodeKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Header => "header",
            NodeKind::Generated => "generated",
            NodeKind::Object => "object",
            NodeKind::Assembly => "assembly",
            NodeKind::PrecompiledHeader => "precompiled_header",
            NodeKind::Archive => "archive",
            NodeKind::SharedLibrary => "shared_library",
            NodeKind::Executable => "executable",
            NodeKind::Relocatable => "relocatable",
            NodeKind::File => "file",
            NodeKind::External => "external",
            NodeKind::MissingHeader => "missing_header",
        }
    }

    fn of_token(k: Kind) -> NodeKind {
        match k {
            Kind::Object => NodeKind::Object,
            Kind::Assembly => NodeKind::Assembly,
            Kind::PrecompiledHeader => NodeKind::PrecompiledHeader,
            Kind::Archive => NodeKind::Archive,
            Kind::SharedLibrary => NodeKind::SharedLibrary,
            Kind::Executable => NodeKind::Executable,
            Kind::Relocatable => NodeKind::Relocatable,
        }
    }

    #[must_use]
    pub fn is_artifact(self) -> bool {
        matches!(
            self,
            NodeKind::Object
                | NodeKind::Assembly
                | NodeKind::PrecompiledHeader
                | NodeKind::Archive
                | NodeKind::SharedLibrary
                | NodeKind::Executable
                | NodeKind::Relocatable
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// Where the file is; `None` for externals and for objects a compile-and-link call made
    /// without writing them.
    pub loc: Option<Loc>,
    /// The external library name, or the token id of an artifact.
    pub name: Option<String>,
    pub token: Option<String>,
    /// Content hash of sources and headers (sha256).
    pub hash: Option<String>,
    /// Other build-tree paths that are symbolic links to this artifact (`libx.so` and
    /// `libx.so.1` for `libx.so.1.2.3`).
    pub aliases: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Compile,
    Assemble,
    Archive,
    Link,
    /// A program the build built and ran (a code generator): realized and run for real.
    Run,
}

impl ActionKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Compile => "compile",
            ActionKind::Assemble => "assemble",
            ActionKind::Archive => "archive",
            ActionKind::Link => "link",
            ActionKind::Run => "run",
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Source,
    Header,
    Input,
    Library,
    Member,
    Program,
}

/// An action's command line, parsed once, when the graph is built: every stage reads this, not
/// the words again.
#[derive(Clone, Debug)]
pub enum Parsed {
    /// A compiler driver's or the linker's words (roles `cc`, `c++`, `ld`), as gcc or clang
    /// reads them.
    Driver(Box<confess_shims::args::Command>),
    /// An assembler's (`as`, `nasm`, `yasm`).
    Assembler(Box<confess_shims::asm::Command>),
    /// Words no stage reads as options (an archiver's, a program run).
    Words,
    /// A compiler's, linker's or assembler's words that do not parse: the action is kept with
    /// its words, and reported (`report::warnings`); its flags are not taken.
    Unparsed(String),
}

impl Parsed {
    /// The command of a call in role `role`, with words `argv` run in `cwd` (a scratch path).
    #[must_use]
    pub fn of(role: &str, argv: &[String], cwd: &Path) -> Parsed {
        let Some((a0, rest)) = argv.split_first() else {
            return Parsed::Words;
        };
        if let Some(tool) = confess_shims::asm::Assembler::of_role(role) {
            return match confess_shims::asm::parse(tool, rest) {
                Ok(c) => Parsed::Assembler(Box::new(c)),
                Err(e) => Parsed::Unparsed(e),
            };
        }
        if !matches!(role, "cc" | "c++" | "ld") {
            return Parsed::Words;
        }
        match confess_shims::args::parse(rest, a0.contains("clang"), cwd) {
            Ok(c) => Parsed::Driver(Box::new(c)),
            Err(confess_shims::args::ParseError::MissingValue { flag }) => {
                Parsed::Unparsed(format!("{flag} is the last word and needs a value"))
            }
            Err(confess_shims::args::ParseError::ResponseFile { path, reason }) => {
                Parsed::Unparsed(format!("the response file {path}: {reason}"))
            }
        }
    }

    /// The driver's command, when it is one and parsed.
    #[must_use]
    pub fn driver(&self) -> Option<&confess_shims::args::Command> {
        match self {
            Parsed::Driver(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Action {
    pub id: ActionId,
    pub kind: ActionKind,
    /// The shim role (`cc`, `c++`, `ar`, `ld`, `as`, `exec`).
    pub role: String,
    pub cwd: Loc,
    /// argv as run (response files expanded), paths mapped out of the scratch copy.
    pub argv: Vec<String>,
    /// `argv` parsed.
    #[serde(skip)]
    pub command: Parsed,
    pub inputs: Vec<(EdgeKind, NodeId)>,
    pub outputs: Vec<NodeId>,
}

#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub actions: Vec<Action>,
    // Looked up, never walked: hashed.
    by_token: HashMap<String, NodeId>,
    by_loc_token: HashMap<(Option<Loc>, String), NodeId>,
    by_loc: HashMap<Loc, NodeId>,
    by_external: BTreeMap<String, NodeId>,
    /// Build-tree files that did not exist in the user's tree: generated (sources or headers),
    /// relative to the build root.
    pub generated: BTreeSet<String>,
    /// Configure-phase and pass-through calls (count), unknown flags (count per flag).
    pub passthrough: BTreeMap<String, usize>,
    /// Build-phase calls the shims answered with a token.
    pub confessed_calls: usize,
    pub unknown_flags: BTreeMap<String, usize>,
    pub packages: Vec<Package>,
    /// What the sealed build wrote outside the tree (installs, absolute paths): it went to a
    /// throwaway layer, and is listed here with the step that wrote it.
    pub outside: Vec<crate::seal::OutsideWrite>,
    /// The sealed build's network attempts, per step (none with --network).
    pub network: Vec<crate::seal::NetworkAttempts>,
    /// The machine's files the sealed build read from outside its trees, the system and the
    /// programs it ran (`watch::outside_reads`), per step.
    pub reads: Vec<crate::seal::OutsideRead>,
    /// Steps whose reads were not observed, and why (unsealed, unprivileged, events lost).
    pub reads_unobserved: Vec<String>,
    /// What the build inspected and what building it for real cost.
    pub realized: Realization,
    /// Configure-phase compiler calls and the work cache.
    pub probes: Probes,
}

/// Configure-phase compiler calls and build-phase header scans and the work cache
/// (`confess_shims::probecache`, `confess_shims::scancache`), from the session's `probes.log`:
/// what the run did, not what the build is (in the summary only).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Answered from the cache.
    pub hits: usize,
    /// Run, and their answers stored.
    pub stored: usize,
    /// Run, and not cached (a call the cache does not take, a scan that fell back).
    pub uncached: usize,
    /// Build-phase header scans answered from the cache (`confess_shims::scancache`).
    #[serde(default)]
    pub scan_hits: usize,
    /// Build-phase header scans run, and stored.
    #[serde(default)]
    pub scans_stored: usize,
}

impl Probes {
    #[must_use]
    pub fn read(session: &std::path::Path) -> Probes {
        let text = std::fs::read_to_string(session.join(confess_shims::probecache::LOG))
            .unwrap_or_default();
        let mut p = Probes::default();
        for l in text.lines() {
            match l.split_whitespace().next() {
                Some("hit") => p.hits += 1,
                Some("stored") => p.stored += 1,
                Some("uncached") => p.uncached += 1,
                Some("scan-hit") => p.scan_hits += 1,
                Some("scan-stored") => p.scans_stored += 1,
                _ => {}
            }
        }
        p
    }
}

/// Realization: artifacts built for real because the build looked inside them or ran them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Realization {
    /// Artifacts built for real (each once per content), or taken from the work cache.
    pub artifacts: usize,
    /// Of those, the ones taken from the work cache (not in graph.json: a confession's outputs
    /// are the same with a cold cache and a warm one).
    #[serde(skip)]
    pub cached: usize,
    /// Seconds their real tools took, summed (they may have run in parallel).
    pub secs: f64,
    /// Each call that looked inside artifacts, in the order recorded.
    pub looks: Vec<Look>,
}

/// One call that looked inside artifacts of the build.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Look {
    /// The tool's role (`nm`, `readelf`, `objdump`).
    pub tool: String,
    /// `realized` (built for real, then the real tool read it) or `answered` (from the token).
    pub how: String,
    /// The token ids of what it looked inside.
    pub tokens: Vec<String>,
}

/// Every call that looked inside artifacts (`realized` and `answered` events but program runs).
#[must_use]
pub fn looks(conf: &Confession) -> Vec<Look> {
    conf.events
        .iter()
        .filter(|(_, e)| {
            matches!(e.decision, Decision::Realized | Decision::Answered) && e.role != Actor::Exec
        })
        .map(|(_, e)| Look {
            tool: e.role.as_str().to_string(),
            how: e.decision.kind().to_string(),
            tokens: e.tokens.clone(),
        })
        .collect()
}

impl Realization {
    /// Counts what the session's realization cache holds (`realized/<id>/.done` and `.secs`).
    #[must_use]
    pub fn read(dir: &std::path::Path, looks: Vec<Look>) -> Realization {
        let mut r = Realization {
            looks,
            ..Realization::default()
        };
        let Ok(rd) = std::fs::read_dir(dir) else {
            return r;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.join(".done").is_file() {
                r.artifacts += 1;
                if p.join(confess_shims::workcache::CACHED_MARK).is_file() {
                    r.cached += 1;
                }
                r.secs += std::fs::read_to_string(p.join(confess_shims::realize::SECS_FILE))
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .unwrap_or(0.0);
            }
        }
        r
    }

    /// The calls answered `how` (`realized`: inspections that realized; `answered`: from the
    /// token, Meson's symbol extractor), by tool.
    #[must_use]
    pub fn by_tool(&self, how: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for l in self.looks.iter().filter(|l| l.how == how) {
            *out.entry(l.tool.clone()).or_insert(0) += 1;
        }
        out
    }
}

impl Graph {
    /// The node of a file at `loc`, if the graph has one.
    #[must_use]
    pub fn node_at(&self, loc: &Loc) -> Option<NodeId> {
        self.by_loc.get(loc).copied()
    }

    /// Sets the content hash of a file node (a generated file, once its kept copy is written).
    pub fn set_hash(&mut self, id: NodeId, hash: String) {
        self.nodes[id.0 as usize].hash = Some(hash);
    }

    #[must_use]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The action that produced a node, if any.
    #[must_use]
    pub fn producer(&self, id: NodeId) -> Option<&Action> {
        self.actions.iter().find(|a| a.outputs.contains(&id))
    }

    fn add_node(&mut self, kind: NodeKind, loc: Option<Loc>) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).expect("fewer than 2^32 nodes"));
        self.nodes.push(Node {
            id,
            kind,
            loc,
            name: None,
            token: None,
            hash: None,
            aliases: Vec::new(),
        });
        id
    }

    /// The node of the file at `loc` (made once), with its content hash when it has one.
    fn file_node(&mut self, kind: NodeKind, loc: Loc, sha: Option<&str>) -> NodeId {
        if let Some(id) = self.by_loc.get(&loc) {
            return *id;
        }
        let kind = if loc.root == Root::Build
            && matches!(
                kind,
                NodeKind::Source | NodeKind::Header | NodeKind::Generated
            ) {
            self.generated.insert(loc.path.clone());
            NodeKind::Generated
        } else {
            kind
        };
        let id = self.add_node(kind, Some(loc.clone()));
        if let Some(sha) = sha {
            self.nodes[id.0 as usize].hash = Some(sha.to_string());
        }
        self.by_loc.insert(loc, id);
        id
    }

    fn missing_header(&mut self, loc: Loc) -> NodeId {
        if let Some(id) = self.by_loc.get(&loc) {
            return *id;
        }
        let id = self.add_node(NodeKind::MissingHeader, Some(loc.clone()));
        self.by_loc.insert(loc, id);
        id
    }

    fn external(&mut self, name: &str) -> NodeId {
        if let Some(id) = self.by_external.get(name) {
            return *id;
        }
        let id = self.add_node(NodeKind::External, None);
        self.nodes[id.0 as usize].name = Some(name.to_string());
        self.by_external.insert(name.to_string(), id);
        id
    }

    #[must_use]
    pub fn by_token(&self, id: &str) -> Option<NodeId> {
        self.by_token.get(id).copied()
    }
}

/// A package the build asked for (find_package through CMake's dependency provider), as the
/// provider recorded it, with what the graph shows of it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Package {
    pub name: String,
    pub method: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// The list file that asked (mapped to the user's tree when it is there).
    #[serde(default)]
    pub file: String,
    /// Lines of that file with a find_package call for this package.
    #[serde(default)]
    pub lines: Vec<usize>,
    /// `real` (the real find_package answered) or `fake` (confess made it up).
    #[serde(default)]
    pub resolved: String,
    #[serde(default)]
    pub found: bool,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub include_dirs: Vec<String>,
    #[serde(default)]
    pub libraries: Vec<String>,
    /// External nodes that stand for this package's libraries.
    #[serde(default)]
    pub externals: Vec<u32>,
    /// Artifacts whose link uses those libraries.
    #[serde(default)]
    pub used_by: Vec<u32>,
    /// find_package: how confess heard of the request, `provider` (CMake's dependency provider)
    /// or `override` (the find_package command overridden, before CMake 3.24).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hook: String,
    /// FetchContent: where the content comes from (URL or git repository), and its hash (URL
    /// hash or git tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// pkg-config: every query about this module, in order, with who asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<PkgQuery>,
}

impl From<confess_shims::facts::PackageRequest> for Package {
    fn from(r: confess_shims::facts::PackageRequest) -> Package {
        Package {
            name: r.name,
            method: r.method.as_str().to_string(),
            args: r.args,
            file: r.file,
            resolved: r.resolved.as_str().to_string(),
            found: r.found,
            version: r.version,
            targets: r.targets,
            include_dirs: r.include_dirs,
            libraries: r.libraries,
            hook: r.hook,
            url: r.url,
            hash: r.hash,
            ..Package::default()
        }
    }
}

/// One pkg-config call: its arguments as given, and the program that made it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct PkgQuery {
    pub args: Vec<String>,
    pub by: String,
}

/// The stored facts of one confession.
pub struct Confession {
    pub events: Vec<(i64, Event)>,
    pub tokens: HashMap<String, std::sync::Arc<Token>>,
    /// find_package requests, in the order they were made.
    pub packages: Vec<Package>,
}

/// Builds the graph. Tokens are visited in event order, so node and action ids are stable for a
/// given build whatever the parallelism (events are sorted by their content first).
///
/// The confession's tokens are taken: the graph keeps what it reads of them, and each is let go
/// once its action is made (they are the most an extraction holds: a compile names every header
/// it read).
pub fn build(conf: &mut Confession, map: &PathMap) -> Graph {
    let tokens = std::mem::take(&mut conf.tokens);
    let conf = &*conf;
    let mut g = Graph::default();
    let mut events: Vec<&Event> = conf.events.iter().map(|(_, e)| e).collect();
    // Parallel builds interleave events; sort by what they are so the output is deterministic.
    events.sort_by(|a, b| {
        (a.phase.as_str(), &a.decision, &a.cwd, &a.argv).cmp(&(
            b.phase.as_str(),
            &b.decision,
            &b.cwd,
            &b.argv,
        ))
    });
    g.confessed_calls = events
        .iter()
        .filter(|e| e.phase == Phase::Build && e.decision == Decision::Confessed)
        .count();
    for ev in &events {
        if let Decision::Passthrough(_) = ev.decision {
            *g.passthrough
                .entry(format!("{}:{}", ev.phase.as_str(), ev.decision))
                .or_default() += 1;
        }
    }
    for ev in events.iter().filter(|e| e.decision == Decision::Confessed) {
        if let Some(t) = ev.tokens.first().and_then(|id| tokens.get(id)) {
            count_unknown(&mut g, t);
        }
    }
    // Every artifact some confessed action wrote, where it wrote it: two identical compiles
    // into two objects (one source in two targets) share a token id but are two files, each
    // made by its own action. Objects a compile-and-link call never wrote stand alone.
    let mut insts: Vec<Instance> = Vec::new();
    for ev in events.iter().filter(|e| e.decision == Decision::Confessed) {
        if !matches!(
            ev.role,
            Actor::Tool(
                Role::Cc | Role::Cxx | Role::As | Role::Nasm | Role::Yasm | Role::Ar | Role::Ld
            )
        ) {
            continue;
        }
        for (k, id) in ev.tokens.iter().enumerate() {
            let Some(t) = tokens.get(id) else {
                continue;
            };
            let token = if t.kind() == Kind::Archive {
                // An archive's action reads its members by id: it need not keep them.
                Arc::new(Token {
                    members: Vec::new(),
                    ..Token::clone(t)
                })
            } else {
                for (_, m) in &t.members {
                    insts.push(Instance {
                        loc: None,
                        token: Arc::clone(m),
                        argv: None,
                    });
                }
                Arc::clone(t)
            };
            let loc = ev
                .outputs
                .get(k)
                .map(|o| map.locate(&raw::path(&ev.cwd).join(raw::path(o))));
            // The event's own argv names this output; a response file is expanded only in the token.
            let argv = (!ev.argv.iter().any(|w| w.starts_with('@'))).then_some(&ev.argv);
            insts.push(Instance { loc, token, argv });
        }
    }
    insts.sort_by(|a, b| {
        (a.token.kind(), &a.loc, &a.token.id).cmp(&(b.token.kind(), &b.loc, &b.token.id))
    });
    insts.dedup_by(|a, b| a.loc == b.loc && a.token.id == b.token.id);
    let nodes: Vec<NodeId> = insts
        .iter()
        .map(|i| add_token_node(&mut g, &i.token.id, i.token.kind(), i.loc.clone()))
        .collect();
    // Of a token an action reads that no instance is (one copied in), the action needs only
    // the kind; an instance's token has its node already.
    let kinds: Kinds = {
        let made: std::collections::HashSet<&str> =
            insts.iter().map(|i| i.token.id.as_str()).collect();
        insts
            .iter()
            .flat_map(|i| &i.token.inputs)
            .filter(|i| matches!(i.edge, Edge::Token | Edge::Lib | Edge::Member))
            .map(|i| i.content.as_str())
            .filter(|id| !made.contains(id))
            .filter_map(|id| tokens.get(id).map(|t| (id.to_string(), t.kind())))
            .collect()
    };
    drop(tokens);
    let mut files = FileNodes::default();
    for (inst, node) in insts.into_iter().zip(nodes) {
        add_token_action(&mut g, &mut files, &inst, node, (map, &kinds));
    }
    scan_generated(&mut g, &events, map);
    keep_link_scripts(&mut g, map);
    add_runs(&mut g, &events, map);
    add_packages(&mut g, &conf.packages, map);
    g
}

/// Ties each package request to the external nodes of its libraries and to the artifacts whose
/// links use them; names the list file in the user's tree and finds the request's lines.
fn add_packages(g: &mut Graph, packages: &[Package], map: &PathMap) {
    for p in &merge_pkg_config_queries(packages) {
        let mut p = p.clone();
        map_package_words(g, map, &mut p);
        locate_request(g, map, &mut p);
        // Find modules set NAME_ and UPPERNAME_ variables alike: list each value once.
        dedup_keep_order(&mut p.include_dirs);
        dedup_keep_order(&mut p.libraries);
        dedup_keep_order(&mut p.targets);
        link_to_externals(g, &mut p);
        g.packages.push(p);
    }
}

/// The package requests with pkg-config's merged: pkg-config is asked many times about one
/// module (--exists, --modversion, --cflags, ...), so one entry per module, with every
/// argument asked.
fn merge_pkg_config_queries(packages: &[Package]) -> Vec<Package> {
    let mut merged: Vec<Package> = Vec::new();
    for p in packages {
        let query = (p.method == "pkg-config").then(|| PkgQuery {
            args: p.args.clone(),
            by: p.file.clone(),
        });
        if let Some(m) = merged
            .iter_mut()
            .find(|m| m.method == "pkg-config" && m.method == p.method && m.name == p.name)
        {
            merge_query(m, p);
            m.queries.extend(query);
        } else {
            let mut m = p.clone();
            m.queries.extend(query);
            merged.push(m);
        }
    }
    merged
}

/// Folds one more pkg-config query `p` about a module into its entry `m`.
fn merge_query(m: &mut Package, p: &Package) {
    for a in &p.args {
        if !m.args.contains(a) {
            m.args.push(a.clone());
        }
    }
    // A made-up answer is what the build went on with (pkg_search_module under
    // auto asks for real first, then makes up the first module).
    if p.resolved == "fake" && m.resolved != "fake" {
        m.resolved.clone_from(&p.resolved);
        m.found = p.found;
        m.version.clone_from(&p.version);
    } else if p.resolved == m.resolved {
        m.found &= p.found;
    }
    if m.version.is_empty() {
        m.version.clone_from(&p.version);
    }
    m.include_dirs.extend(p.include_dirs.iter().cloned());
    m.libraries.extend(p.libraries.iter().cloned());
}

/// Maps the package's arguments, its queries' arguments and its include directories into the
/// user's tree.
fn map_package_words(g: &Graph, map: &PathMap, p: &mut Package) {
    p.args = p
        .args
        .iter()
        .map(|a| map.map_word(a, &g.generated))
        .collect();
    for q in &mut p.queries {
        q.args = q
            .args
            .iter()
            .map(|a| map.map_word(a, &g.generated))
            .collect();
    }
    p.include_dirs = p
        .include_dirs
        .iter()
        .map(|d| map.map_word(d, &g.generated))
        .collect();
}

/// Names the list file that made the request, in the user's tree, and the request's lines in it.
fn locate_request(g: &Graph, map: &PathMap, p: &mut Package) {
    if p.method == "FetchContent" {
        // The provider is called from CMake's FetchContent module: the request itself is
        // the project's FetchContent_Declare.
        if let Some((file, lines)) = find_declare(map, &p.name) {
            p.file = raw::text_path(&file).into_owned();
            p.lines = lines;
        }
    } else if p.method != "pkg-config" {
        let file = map.user_text(&raw::path(&p.file), &g.generated);
        let text = map
            .tree
            .read_to_string(&raw::path(&p.file))
            .unwrap_or_default();
        p.lines = if p.method == "ExternalProject" {
            command_lines(&text, "externalproject_add", &p.name)
        } else {
            find_package_lines(&text, &p.name)
        };
        p.file = file;
    }
}

/// Ties the package to the external nodes of its libraries and to the outputs of the actions
/// that use them.
fn link_to_externals(g: &Graph, p: &mut Package) {
    let libs: BTreeSet<&str> = p.libraries.iter().map(String::as_str).collect();
    let externals: Vec<NodeId> = g
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::External)
        .filter(|n| n.name.as_deref().is_some_and(|name| libs.contains(name)))
        .map(|n| n.id)
        .collect();
    let mut used_by = BTreeSet::new();
    for a in &g.actions {
        if a.inputs.iter().any(|(_, i)| externals.contains(i)) {
            used_by.extend(a.outputs.iter().map(|o| o.0));
        }
    }
    p.externals = externals.iter().map(|e| e.0).collect();
    p.used_by = used_by.into_iter().collect();
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

/// The project list file (CMakeLists.txt or *.cmake) that declares FetchContent content NAME,
/// with the lines of the declaration.
fn find_declare(map: &PathMap, name: &str) -> Option<(std::path::PathBuf, Vec<usize>)> {
    let mut files = Vec::new();
    let mut symlinks = Vec::new();
    list_files(&map.tree, &map.user_src, &mut files, &mut symlinks);
    files.sort();
    files
        .into_iter()
        .filter(|f| {
            f.file_name().is_some_and(|n| n == "CMakeLists.txt")
                || f.extension().is_some_and(|e| e == "cmake")
        })
        .find_map(|f| {
            let text = map.tree.read_to_string(&f)?;
            let lines = command_lines(&text, "fetchcontent_declare", name);
            (!lines.is_empty()).then_some((f, lines))
        })
}

/// Lines (1-based) with `find_package(NAME` in a list file, any case, any spacing.
#[must_use]
pub fn find_package_lines(text: &str, name: &str) -> Vec<usize> {
    command_lines(text, "find_package", name)
}

/// Lines (1-based) where `command(NAME` is called, the command in any case.
fn command_lines(text: &str, command: &str, name: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let Some(pos) = lower.find(command) else {
            continue;
        };
        let rest = line[pos + command.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('(') else {
            continue;
        };
        let word: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
            .collect();
        if word == name {
            out.push(i + 1);
        }
    }
    out
}

/// Every real file the build phase made or changed in the build tree is generated (objects and
/// libraries are tokens, and depfiles are the shims' own writing). What configure made is not,
/// unless the build reads it: [`crate::buildtree::Before`] tells the two apart.
fn scan_generated(g: &mut Graph, events: &[&Event], map: &PathMap) {
    let mut shim_written: std::collections::HashSet<std::path::PathBuf> =
        std::collections::HashSet::new();
    for ev in events.iter().filter(|e| e.decision == Decision::Confessed) {
        for o in &ev.outputs {
            let p = raw::path(&ev.cwd).join(raw::path(o));
            shim_written.insert(confess_shims::headers::lexical(&p));
        }
    }
    let mut files = Vec::new();
    let mut links = Vec::new();
    list_files(&map.tree, &map.scratch_build, &mut files, &mut links);
    if map.scratch_build != map.scratch_src {
        list_files(&map.tree, &map.scratch_src, &mut files, &mut links);
    }
    sort_paths(&mut files);
    sort_paths(&mut links);
    // Whether a file the shims did not write is a token is asked of each below; a live tree
    // opens each file for it, so two threads ask first (a replay answers from its record).
    let unwritten: Vec<&std::path::PathBuf> = files
        .iter()
        .filter(|f| !shim_written.contains(*f))
        .collect();
    let (one, two) = unwritten.split_at(unwritten.len() / 2);
    let ask = |fs: &[&std::path::PathBuf]| {
        for f in fs {
            let _ = map.tree.token(f);
        }
    };
    std::thread::scope(|scope| {
        scope.spawn(|| ask(one));
        ask(two);
    });
    // Symbolic links to artifacts (soname links, namelinks) are aliases of their node.
    for l in links {
        let Some(target) = map.tree.canonical(&l) else {
            continue;
        };
        let (from, to) = (map.locate(&l), map.locate(&target));
        let Some(&id) = g.by_loc.get(&to) else {
            continue;
        };
        if from.root == Root::Build && g.nodes[id.0 as usize].kind.is_artifact() {
            g.nodes[id.0 as usize].aliases.push(from.path);
        }
    }
    for f in files {
        if shim_written.contains(&f) {
            continue;
        }
        if let crate::tree::TokenFile::Id(id) = map.tree.token(&f) {
            // A token where the shims did not write one: the build copied an artifact (zstd's
            // Makefile copies libzstd.a out of its object directory). The copy is an alias.
            let loc = map.locate(&f);
            if loc.root == Root::Build && !g.by_loc.contains_key(&loc) {
                if let Some(id) = g.by_token(&id) {
                    let n = &mut g.nodes[id.0 as usize];
                    if n.kind.is_artifact() && n.loc.as_ref() != Some(&loc) {
                        n.aliases.push(loc.path);
                    }
                }
            }
            continue;
        }
        let loc = map.locate(&f);
        if loc.root != Root::Build || is_bookkeeping(&loc.path) {
            continue;
        }
        if !map.tree.changed(&f) {
            continue;
        }
        let hash = map.tree.hash(&f);
        g.file_node(
            NodeKind::Generated,
            loc,
            hash.as_deref().filter(|s| !s.is_empty()),
        );
    }
}

/// Files of the build tree a link reads through its flags (a version script, a linker script)
/// count as generated: the manifests name them and a rebuild needs them, though no compile
/// reads them (libjpeg-turbo's configure writes the `libjpeg.map` its shared library is linked
/// with).
fn keep_link_scripts(g: &mut Graph, map: &PathMap) {
    let mut found = Vec::new();
    for a in g
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Link && matches!(a.role.as_str(), "cc" | "c++"))
    {
        let Some(cmd) = a.command.driver() else {
            continue;
        };
        let cwd = map.scratch_root_join(&a.cwd);
        let abs = |p: &str| raw::text_path(&cwd.join(raw::path(p))).into_owned();
        for f in crate::model::flags::ldflags(cmd, &abs) {
            if let crate::model::LDFlag::VersionScript(p) | crate::model::LDFlag::Script(p) = f {
                found.push(confess_shims::headers::lexical(&raw::path(&p)));
            }
        }
    }
    for f in found {
        let loc = map.locate(&f);
        if loc.root == Root::Build
            && map.tree.is_file(&f)
            && map.tree.token(&f) == crate::tree::TokenFile::No
        {
            g.generated.insert(loc.path);
        }
    }
}

// Library file names on Linux are spelled `.a` and `.so` exactly: a case-insensitive match
// would take other files for libraries.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn is_library_path(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    name.ends_with(".a") || name.ends_with(".so") || name.contains(".so.")
}

/// Build systems' own records (ninja's logs, CMake's internal and File API files): not what the
/// project generates. (When a compile reads one, it is still a generated input.)
fn is_bookkeeping(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name, ".ninja_log" | ".ninja_deps" | "CMakeCache.txt")
        || rel.split('/').any(|c| c == "CMakeFiles" || c == ".cmake")
}

/// Sorts `paths` in `Path`'s order (component by component), comparing a key made once for
/// each path instead of splitting both paths into components at every comparison.
fn sort_paths(paths: &mut [std::path::PathBuf]) {
    paths.sort_by_cached_key(|p| component_key(p));
}

/// Bytes that order as `p`'s components do: each component a zero byte (no name holds one),
/// the rank of its kind (as `Component` orders them), then its name.
fn component_key(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    use std::path::Component;
    let mut k = Vec::with_capacity(p.as_os_str().len() + 8);
    for c in p.components() {
        k.push(0);
        match c {
            Component::Prefix(_) => k.push(0),
            Component::RootDir => k.push(1),
            Component::CurDir => k.push(2),
            Component::ParentDir => k.push(3),
            Component::Normal(name) => {
                k.push(4);
                k.extend_from_slice(name.as_bytes());
            }
        }
    }
    k
}

/// The regular files and the symbolic links below `dir`.
fn list_files(
    tree: &crate::tree::Tree,
    dir: &Path,
    out: &mut Vec<std::path::PathBuf>,
    links: &mut Vec<std::path::PathBuf>,
) {
    for (p, kind) in tree.list(dir, None) {
        match kind {
            crate::tree::Kind::File => out.push(p),
            crate::tree::Kind::Symlink => links.push(p),
            crate::tree::Kind::Dir | crate::tree::Kind::Other => {}
        }
    }
}

fn count_unknown(g: &mut Graph, t: &Token) {
    if !matches!(t.role.as_str(), "cc" | "c++") {
        return;
    }
    let Some((a0, rest)) = t.argv.split_first() else {
        return;
    };
    if let Ok(cmd) = confess_shims::args::parse(rest, a0.contains("clang"), &raw::path(&t.cwd)) {
        for u in cmd.unknown {
            *g.unknown_flags.entry(u).or_default() += 1;
        }
    }
}

/// One artifact as written: where (none for objects never written), its token, and the argv
/// of the call that wrote it (when it differs from the token's only by the output).
struct Instance<'e> {
    loc: Option<Loc>,
    token: Arc<Token>,
    argv: Option<&'e Vec<String>>,
}

/// The node of an artifact at a location (a new one per token written there: `ar r` twice
/// makes two versions of one archive).
fn add_token_node(g: &mut Graph, token: &str, kind: Kind, loc: Option<Loc>) -> NodeId {
    if let Some(id) = g.by_loc_token.get(&(loc.clone(), token.to_string())) {
        return *id;
    }
    let kind = NodeKind::of_token(kind);
    let id = g.add_node(kind, loc.clone());
    if let Some(l) = &loc {
        g.by_loc.entry(l.clone()).or_insert(id);
    }
    g.nodes[id.0 as usize].token = Some(token.to_string());
    g.by_token.entry(token.to_string()).or_insert(id);
    g.by_loc_token.insert((loc, token.to_string()), id);
    id
}

/// The file node each source or header path an action reads is, found once per path: every
/// compile reads the same system headers, and a path's node is the first one made for it (a
/// file node is found by its location before one is made).
#[derive(Default)]
struct FileNodes {
    /// By the address of the path's shared text ([`confess_shims::token::Reading`] makes one
    /// copy of each path), which is kept alive here so that no other text takes its address.
    by_copy: HashMap<usize, (Arc<str>, NodeId), std::hash::BuildHasherDefault<AddressHash>>,
    /// By the text: a store read by two threads has a copy of a path in each half.
    by_text: HashMap<Arc<str>, NodeId>,
}

impl FileNodes {
    fn get(&mut self, path: &Arc<str>) -> Option<NodeId> {
        let at = Arc::as_ptr(path).cast::<u8>() as usize;
        if let Some((_, n)) = self.by_copy.get(&at) {
            return Some(*n);
        }
        let n = *self.by_text.get(&**path)?;
        self.by_copy.insert(at, (Arc::clone(path), n));
        Some(n)
    }

    fn insert(&mut self, path: &Arc<str>, n: NodeId) {
        let at = Arc::as_ptr(path).cast::<u8>() as usize;
        self.by_copy.insert(at, (Arc::clone(path), n));
        self.by_text.insert(Arc::clone(path), n);
    }
}

/// Hashes an address by one multiplication: addresses are unique and need no mixing of text.
#[derive(Default)]
struct AddressHash(u64);

impl std::hash::Hasher for AddressHash {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(26);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The ids of the tokens, with their kinds.
type Kinds = HashMap<String, Kind>;

fn add_token_action(
    g: &mut Graph,
    files: &mut FileNodes,
    inst: &Instance,
    out: NodeId,
    (map, kinds): (&PathMap, &Kinds),
) {
    let t = &*inst.token;
    if t.role == confess_shims::realize::OPAQUE_ROLE {
        // A real file put into an archive: a file node, not an action.
        g.nodes[out.0 as usize].kind = NodeKind::File;
        return;
    }
    let kind = match (t.kind(), t.role.as_str()) {
        (Kind::Archive, _) => ActionKind::Archive,
        (Kind::Object, "as" | "nasm" | "yasm") => ActionKind::Assemble,
        (Kind::Object | Kind::Assembly | Kind::PrecompiledHeader, _) => ActionKind::Compile,
        _ => ActionKind::Link,
    };
    let mut inputs = Vec::with_capacity(t.inputs.len());
    for i in &t.inputs {
        let file = matches!(i.edge, Edge::Source | Edge::Header);
        let known = if file { files.get(&i.path) } else { None };
        inputs.push(match known {
            Some(n) if i.edge == Edge::Source => (EdgeKind::Source, n),
            Some(n) => (EdgeKind::Header, n),
            None => {
                let (edge, node) = input_node(g, i, t, kind, (map, kinds));
                if file {
                    files.insert(&i.path, node);
                }
                (edge, node)
            }
        });
    }
    let id = ActionId(u32::try_from(g.actions.len()).expect("fewer than 2^32 actions"));
    let argv = inst.argv.unwrap_or(&t.argv).clone();
    let command = Parsed::of(&t.role, &argv, &raw::path(&t.cwd));
    g.actions.push(Action {
        id,
        kind,
        role: t.role.clone(),
        cwd: map.locate(&raw::path(&t.cwd)),
        argv,
        command,
        inputs,
        outputs: vec![out],
    });
}

/// The node an input of the token `t`, the action of `kind`, reads, and how it reads it.
fn input_node(
    g: &mut Graph,
    i: &confess_shims::token::Input,
    t: &Token,
    kind: ActionKind,
    (map, kinds): (&PathMap, &Kinds),
) -> (EdgeKind, NodeId) {
    match i.edge {
        Edge::Source => {
            let loc = map.locate(&raw::path(&i.path));
            (
                EdgeKind::Source,
                g.file_node(NodeKind::Source, loc, i.content.sha()),
            )
        }
        Edge::Header if i.content == ContentRef::Missing => {
            let loc = map.locate(&raw::path(&i.path));
            (EdgeKind::Header, g.missing_header(loc))
        }
        Edge::Header => {
            let loc = map.locate(&raw::path(&i.path));
            (
                EdgeKind::Header,
                g.file_node(NodeKind::Header, loc, i.content.sha()),
            )
        }
        Edge::File => {
            let loc = map.locate(&raw::path(&i.path));
            if loc.root == Root::System && is_library_path(&loc.path) {
                // A library outside the project, named by path: an external.
                (EdgeKind::Library, g.external(&loc.path))
            } else {
                (
                    EdgeKind::Input,
                    g.file_node(NodeKind::File, loc, i.content.sha()),
                )
            }
        }
        Edge::ExternalLib => (EdgeKind::Library, g.external(&i.path)),
        Edge::Token | Edge::Lib | Edge::Member => {
            // The artifact at the path the action named, with the id it read there.
            let at = Some(map.locate(&raw::path(&t.cwd).join(raw::path(&i.path))));
            let id = i.content.as_str();
            let known = g
                .by_loc_token
                .get(&(at.clone(), id.to_string()))
                .or_else(|| g.by_token.get(id))
                .copied();
            let node = if let Some(n) = known {
                n
            } else if let Some(&tk) = kinds.get(id) {
                // A token made outside the recorded actions (copied in, say).
                add_token_node(g, id, tk, at)
            } else {
                // Named by the id it was read with.
                let loc = map.locate(&raw::path(&i.path));
                g.file_node(NodeKind::File, loc, Some(id).filter(|s| !s.is_empty()))
            };
            let edge = match i.edge {
                Edge::Lib => EdgeKind::Library,
                Edge::Member if kind == ActionKind::Archive => EdgeKind::Member,
                _ => EdgeKind::Input,
            };
            (edge, node)
        }
    }
}

/// Programs the build ran (realized tokens) and the files they wrote, as the shim recorded them:
/// the run's stdout when it was a file, and argument paths that appeared or changed.
fn add_runs(g: &mut Graph, events: &[&Event], map: &PathMap) {
    let runs: Vec<&&Event> = events
        .iter()
        .filter(|e| e.decision == Decision::Realized && e.role == Actor::Exec)
        .collect();
    for ev in &runs {
        let Some(prog) = ev.tokens.first().and_then(|t| g.by_token(t)) else {
            continue;
        };
        let id = ActionId(u32::try_from(g.actions.len()).expect("fewer than 2^32 actions"));
        let mut argv = ev.argv.clone();
        if let Some(a0) = argv.first_mut() {
            *a0 = map.locate(&raw::path(a0)).path;
        }
        let mut outputs = Vec::new();
        for o in &ev.outputs {
            let loc = map.locate(&raw::path(&ev.cwd).join(raw::path(o)));
            if loc.root == Root::Build {
                outputs.push(g.file_node(NodeKind::Generated, loc, None));
            }
        }
        g.actions.push(Action {
            id,
            kind: ActionKind::Run,
            role: "exec".into(),
            cwd: map.locate(&raw::path(&ev.cwd)),
            argv,
            command: Parsed::Words,
            inputs: vec![(EdgeKind::Program, prog)],
            outputs,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_by_their_key_as_path_orders_them() {
        let names = [
            "",
            "a",
            "a-b",
            "a/b",
            "a/b/c",
            "a.b",
            "a\u{1}",
            "a\u{1}/x",
            "ab",
            "ab/c",
            "a b",
            "./x",
            "../y",
            "/a//b",
            "/a/./b",
            "/a/b/",
            "/a",
            "/a-b",
            "/a/b",
            "/",
            "/x/../a",
            "b",
            ".",
            "..",
            "a/..",
            "/a\u{1}/b",
            "/a/\u{1}",
        ];
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for a in names {
            for b in ["", "z", "/z", "-z"] {
                paths.push(std::path::PathBuf::from(format!("{a}{b}")));
            }
        }
        let mut by_path = paths.clone();
        by_path.sort();
        let mut by_key = paths.clone();
        sort_paths(&mut by_key);
        assert_eq!(by_key, by_path);
        // The byte order differs: a key is needed.
        let mut by_bytes = paths;
        by_bytes.sort_by(|x, y| x.as_os_str().cmp(y.as_os_str()));
        assert_ne!(by_bytes, by_path);
    }

    #[test]
    fn a_path_is_one_file_node_whichever_copy_of_its_text_names_it() {
        let mut files = FileNodes::default();
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("/s/x.h"), Arc::from("/s/x.h"));
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(files.get(&a), None);
        files.insert(&a, NodeId(7));
        assert_eq!(files.get(&a), Some(NodeId(7)));
        // Another copy of the same text: found by the text, then by its own address.
        assert_eq!(files.get(&b), Some(NodeId(7)));
        assert_eq!(files.get(&b), Some(NodeId(7)));
        assert_eq!(files.get(&Arc::from("/s/y.h")), None);
        // A copy let go cannot be mistaken for another text at its address: the map holds it.
        drop(b);
        let c: Arc<str> = Arc::from("/s/z.h");
        assert_eq!(files.get(&c), None);
    }
}
