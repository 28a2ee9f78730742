//! `confess sbom`: what a confessed build takes from outside the project, as a software bill of
//! materials in CycloneDX 1.5 JSON or SPDX 2.3 JSON.
//!
//! Everything comes from the confession in the output directory, nothing from the machine as
//! it is now: the packages the build asked for (find_package, pkg-config, FetchContent, with the
//! version the build was given and where it asked: graph.json's `packages`), the files outside
//! the project that targets link or read as dependencies (installed libraries, with the sha256
//! confess took of them while confessing: targets.json's engine form), the libraries a link
//! names with `-l` and the linker found itself (no path is recorded for those), and the project's
//! own targets, each with what it uses. A package's library files are its parts (CycloneDX's
//! nested components, SPDX's CONTAINS). The toolchain's own headers and libraries are not
//! listed: the compiler is named on each target instead.
//!
//! The document is the same for the same confession: its time is `SOURCE_DATE_EPOCH` when that
//! is set, else when targets.json was written, and its serial number and namespace derive from
//! targets.json's sha256.

use crate::error::{Error, Result};
use crate::model::{Dep, Owner, Target, TargetKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The two document formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CycloneDX 1.5, JSON.
    Cyclonedx,
    /// SPDX 2.3, JSON.
    Spdx,
}

/// A package the build asked for.
#[derive(Debug, Default)]
struct Pkg {
    name: String,
    /// `find_package`, `pkg-config` or `FetchContent`.
    method: String,
    version: String,
    /// `real` (found on the machine) or `fake` (made up by confess, `--deps fake`).
    resolved: String,
    /// `FILE:LINE` of each request (find_package, FetchContent).
    requested_at: Vec<String>,
    /// The programs that asked (pkg-config).
    asked_by: Vec<String>,
    url: Option<String>,
    hash: Option<String>,
    /// Its library files (absolute paths).
    files: BTreeSet<String>,
    /// Its headers the targets read (absolute paths).
    headers: BTreeSet<String>,
    used_by: BTreeSet<String>,
}

/// A file outside the project that a target depends on.
#[derive(Debug, Default)]
struct File {
    /// sha256, hex, as the confession recorded it.
    sha256: Option<String>,
    /// The package it belongs to (a key of `Inventory::packages`).
    package: Option<String>,
    used_by: BTreeSet<String>,
}

/// A project target.
#[derive(Debug)]
struct Own {
    label: String,
    kind: TargetKind,
    output: String,
    compiler: String,
    /// Keys of what it uses, each with its relation: `package:…`, `file:…`, `lib:…`, or
    /// another target's label.
    uses: BTreeSet<String>,
}

/// What the build takes from outside, read from a confession.
#[derive(Debug)]
struct Inventory {
    project: String,
    /// sha256 of targets.json, hex.
    digest: String,
    created: String,
    targets: Vec<Own>,
    packages: BTreeMap<String, Pkg>,
    files: BTreeMap<String, File>,
    /// `-l` names the linker resolved, with who links them.
    libs: BTreeMap<String, BTreeSet<String>>,
}

#[derive(serde::Deserialize)]
struct GraphDoc {
    schema: String,
    roots: GraphRoots,
    #[serde(default)]
    packages: Vec<crate::graph::Package>,
}

#[derive(serde::Deserialize)]
struct GraphRoots {
    source: String,
}

fn package_key(method: &str, name: &str) -> String {
    format!("package:{method}:{name}")
}

/// Reads the confession in `out`.
fn inventory(out: &Path) -> Result<Inventory> {
    let (confessed, text) = crate::explain::load_with_text(out)?;
    let digest = confess_shims::token::sha256_hex(text.as_bytes());
    let graph = read_graph(out)?;
    let created = created_secs(&out.join("targets.json"))?;
    let project = Path::new(&graph.roots.source).file_name().map_or_else(
        || "project".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let hashes = recorded_hashes(&confessed);
    let mut inv = Inventory {
        project,
        digest,
        created: rfc3339(created),
        targets: Vec::new(),
        packages: requested_packages(&graph.packages),
        files: BTreeMap::new(),
        libs: BTreeMap::new(),
    };
    for (dir, t) in confessed.targets() {
        let label = crate::targets::target_ref("//", dir, &t.name);
        let uses = inv.uses(&label, t, &hashes);
        inv.targets.push(Own {
            label,
            kind: t.kind,
            output: t.output.clone(),
            compiler: crate::wording::compiler(&t.toolchain.compiler),
            uses,
        });
    }
    // A package's library files are its parts.
    for (key, p) in &inv.packages {
        for f in &p.files {
            let e = inv.files.entry(f.clone()).or_default();
            e.package = Some(key.clone());
            if e.sha256.is_none() {
                e.sha256 = hashes.get(f).cloned();
            }
        }
    }
    inv.targets.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(inv)
}

/// The part of graph.json the inventory reads, its schema checked.
fn read_graph(out: &Path) -> Result<GraphDoc> {
    let gpath = out.join("graph.json");
    let graph: GraphDoc = Error::read_json(&gpath)?;
    if graph.schema != crate::emit::graph_json::SCHEMA_ID {
        return Err(Error::Store {
            path: gpath,
            reason: format!(
                "written in schema {:?}, this confess reads {:?}: confess the project again",
                graph.schema,
                crate::emit::graph_json::SCHEMA_ID
            ),
        });
    }
    Ok(graph)
}

/// The document's time, in seconds since 1970: `SOURCE_DATE_EPOCH` when it is set, else when
/// targets.json (`tpath`) was written.
fn created_secs(tpath: &Path) -> Result<i64> {
    Ok(match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s.trim().parse::<i64>().map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH is {s:?}: give seconds since 1970 (or unset it)"
            ))
        })?,
        Err(_) => std::fs::metadata(tpath)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs().cast_signed()),
    })
}

/// The sha256 confess took of each outside file while confessing (the engine form's
/// `External`), by path.
fn recorded_hashes(confessed: &crate::targets::Confessed) -> BTreeMap<String, String> {
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    for p in &confessed.engine {
        for t in &p.targets {
            for d in &t.deps {
                if let crate::engine::model::Dep::External(e) = d {
                    if let Some(h) = e.hash.strip_prefix("sha256:") {
                        hashes.insert(e.name.clone(), h.to_string());
                    }
                }
            }
        }
    }
    hashes
}

/// The packages the build asked for and was given, by key.
fn requested_packages(asked: &[crate::graph::Package]) -> BTreeMap<String, Pkg> {
    let mut packages: BTreeMap<String, Pkg> = BTreeMap::new();
    for p in asked.iter().filter(|p| p.found) {
        let key = package_key(&p.method, &p.name);
        packages
            .entry(key)
            .or_insert_with(|| Pkg {
                name: p.name.clone(),
                method: p.method.clone(),
                ..Pkg::default()
            })
            .add_request(p);
    }
    packages
}

impl Pkg {
    /// What one request for the package says of it: its version and resolution (the first
    /// request's), who asked or where, its source and library files.
    fn add_request(&mut self, p: &crate::graph::Package) {
        if self.version.is_empty() {
            self.version.clone_from(&p.version);
        }
        if self.resolved.is_empty() {
            self.resolved.clone_from(&p.resolved);
        }
        if p.method == "pkg-config" {
            // pkg-config's `file` is the program that asked (`configure`, `cmake`, `meson`),
            // not a list file.
            let by = p
                .queries
                .iter()
                .map(|q| q.by.as_str())
                .chain([p.file.as_str()]);
            for b in by.filter(|b| !b.is_empty()) {
                if !self.asked_by.iter().any(|x| x == b) {
                    self.asked_by.push(b.to_string());
                }
            }
        } else {
            for l in &p.lines {
                self.requested_at.push(format!("{}:{l}", p.file));
            }
            if p.lines.is_empty() && !p.file.is_empty() && !self.requested_at.contains(&p.file) {
                self.requested_at.push(p.file.clone());
            }
        }
        self.url = self.url.take().or_else(|| p.url.clone());
        self.hash = self.hash.take().or_else(|| p.hash.clone());
        for l in p.libraries.iter().filter(|l| l.starts_with('/')) {
            self.files.insert(l.clone());
        }
    }
}

impl Inventory {
    /// What target `label` uses from outside (and which of the project's targets), recorded in
    /// the inventory as it goes.
    fn uses(
        &mut self,
        label: &str,
        t: &Target,
        hashes: &BTreeMap<String, String>,
    ) -> BTreeSet<String> {
        let mut uses = BTreeSet::new();
        for d in &t.deps {
            if let Some(key) = self.dep_used(label, d, hashes) {
                uses.insert(key);
            }
        }
        for h in &t.outside_headers {
            if let Owner::Package(name) = &h.owner {
                if let Some((_, p)) = self
                    .packages
                    .iter_mut()
                    .find(|(k, p)| p.name == *name && !k.starts_with("package:outside:"))
                {
                    p.headers.insert(h.path.clone());
                    p.used_by.insert(label.to_string());
                }
            }
        }
        // A package's files are reached through the package.
        for p in self.packages.values_mut() {
            if p.used_by.contains(label) {
                for f in &p.files {
                    if uses.remove(&format!("file:{f}")) {
                        uses.insert(package_key(&p.method, &p.name));
                    }
                }
            }
        }
        uses
    }

    /// Records that `label` uses the outside file `path`, and says its key.
    fn file_used(&mut self, label: &str, path: &str, hashes: &BTreeMap<String, String>) -> String {
        let e = self.files.entry(path.to_string()).or_default();
        e.used_by.insert(label.to_string());
        if e.sha256.is_none() {
            e.sha256 = hashes.get(path).cloned();
        }
        format!("file:{path}")
    }

    /// Records what dep `d` of `label` uses, and says its key (`None`: nothing from outside
    /// that the document lists).
    fn dep_used(
        &mut self,
        label: &str,
        d: &Dep,
        hashes: &BTreeMap<String, String>,
    ) -> Option<String> {
        match d {
            Dep::Local(r) => Some(r.clone()),
            Dep::Package(p) => {
                let key = package_key("find_package", &p.name);
                let e = self.packages.entry(key.clone()).or_insert_with(|| Pkg {
                    name: p.name.clone(),
                    method: "find_package".into(),
                    version: p.version.clone(),
                    ..Pkg::default()
                });
                e.used_by.insert(label.to_string());
                for l in p.libraries.iter().filter(|l| l.starts_with('/')) {
                    e.files.insert(l.clone());
                }
                Some(key)
            }
            Dep::PkgConfig(m) => {
                let key = package_key("pkg-config", m);
                self.packages
                    .entry(key.clone())
                    .or_insert_with(|| Pkg {
                        name: m.clone(),
                        method: "pkg-config".into(),
                        ..Pkg::default()
                    })
                    .used_by
                    .insert(label.to_string());
                Some(key)
            }
            Dep::External(e) => Some(self.external_used(label, e, hashes)),
            Dep::Library(l) if l.starts_with('/') => Some(self.file_used(label, l, hashes)),
            Dep::Library(l) => {
                self.libs
                    .entry(l.clone())
                    .or_default()
                    .insert(label.to_string());
                Some(format!("lib:{l}"))
            }
            Dep::File(f) if f.starts_with('/') => Some(self.file_used(label, f, hashes)),
            Dep::File(_) | Dep::Flake(_) => None,
        }
    }

    /// Records what an external dep of `label` uses (a fetched package, an outside file, or
    /// sources outside the trees), and says its key.
    fn external_used(
        &mut self,
        label: &str,
        e: &crate::model::ExternalRef,
        hashes: &BTreeMap<String, String>,
    ) -> String {
        let key = package_key("FetchContent", &e.name);
        if let Some(p) = self.packages.get_mut(&key) {
            p.used_by.insert(label.to_string());
            return key;
        }
        if e.name.starts_with('/') {
            return self.file_used(label, &e.name, hashes);
        }
        // `--outside external`: sources outside the trees, named DIR:NAME.
        let key = package_key("outside", &e.name);
        let p = self.packages.entry(key.clone()).or_insert_with(|| Pkg {
            name: e.name.clone(),
            method: "outside".into(),
            hash: Some(e.hash.clone()),
            ..Pkg::default()
        });
        p.used_by.insert(label.to_string());
        key
    }
}

/// The SBOM of the confession in `out`, in `format`, as pretty-printed JSON.
pub fn render(out: &Path, format: Format) -> Result<String> {
    let inv = inventory(out)?;
    let doc = match format {
        Format::Cyclonedx => cyclonedx(&inv),
        Format::Spdx => spdx(&inv),
    };
    let mut s = serde_json::to_string_pretty(&doc).map_err(|e| Error::Store {
        path: out.to_path_buf(),
        reason: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

fn kind_word(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Executable => "application",
        _ => "library",
    }
}

/// `sha256` hex as a UUID (RFC 9562's version 8: the bits are ours), for CycloneDX's serial.
fn uuid_of(hex: &str) -> String {
    let h: Vec<char> = hex.chars().take(32).collect();
    let mut s: String = h.iter().collect();
    // version 8, variant 10
    s.replace_range(12..13, "8");
    let v = u8::from_str_radix(&s[16..17], 16).unwrap_or(0);
    s.replace_range(16..17, &format!("{:x}", 0x8 | (v & 0x3)));
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": format!("confess:{name}"), "value": value.into() })
}

fn used_by_props(used_by: &BTreeSet<String>) -> Vec<Value> {
    used_by.iter().map(|u| prop("used-by", u.clone())).collect()
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn cdx_file(path: &str, f: &File) -> Value {
    let mut c = json!({
        "type": "file",
        "bom-ref": format!("file:{path}"),
        "name": file_name(path),
    });
    if let Some(h) = &f.sha256 {
        c["hashes"] = json!([{ "alg": "SHA-256", "content": h }]);
    }
    let mut props = vec![prop("path", path)];
    props.extend(used_by_props(&f.used_by));
    c["properties"] = Value::Array(props);
    c
}

fn cyclonedx(inv: &Inventory) -> Value {
    let mut components: Vec<Value> = inv
        .packages
        .iter()
        .map(|(key, p)| cdx_package(inv, key, p))
        .collect();
    for (path, f) in inv.files.iter().filter(|(_, f)| f.package.is_none()) {
        components.push(cdx_file(path, f));
    }
    components.extend(inv.libs.iter().map(|(l, used_by)| cdx_lib(l, used_by)));
    components.extend(inv.targets.iter().map(cdx_target));
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid_of(&inv.digest)),
        "version": 1,
        "metadata": {
            "timestamp": inv.created,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "confess",
                    "version": env!("CARGO_PKG_VERSION"),
                }],
            },
            "component": {
                "type": "application",
                "bom-ref": format!("project:{}", inv.project),
                "name": inv.project,
            },
            "properties": [prop("targets-json-sha256", inv.digest.clone())],
        },
        "components": components,
        "dependencies": cdx_dependencies(inv),
    })
}

/// A package as a CycloneDX component, its library files its parts.
// reason: `.git` is the end of a URL, not a file's extension, and spelled so by convention.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn cdx_package(inv: &Inventory, key: &str, p: &Pkg) -> Value {
    let mut c = json!({
        "type": "library",
        "bom-ref": key,
        "name": p.name,
    });
    if !p.version.is_empty() {
        c["version"] = json!(p.version);
    }
    let mut props = vec![prop("method", p.method.clone())];
    if !p.resolved.is_empty() {
        props.push(prop("resolved", p.resolved.clone()));
    }
    props.extend(
        p.requested_at
            .iter()
            .map(|r| prop("requested-at", r.clone())),
    );
    props.extend(p.asked_by.iter().map(|r| prop("asked-by", r.clone())));
    props.extend(p.headers.iter().map(|h| prop("header", h.clone())));
    props.extend(used_by_props(&p.used_by));
    c["properties"] = Value::Array(props);
    if let Some(u) = &p.url {
        c["externalReferences"] = json!([{
            "type": if u.ends_with(".git") || p.hash.as_deref().is_some_and(|h| !h.contains('=')) { "vcs" } else { "distribution" },
            "url": u,
        }]);
    }
    if let Some(h) = p.hash.as_deref().and_then(sha256_of_url_hash) {
        c["hashes"] = json!([{ "alg": "SHA-256", "content": h }]);
    }
    let parts: Vec<Value> = p
        .files
        .iter()
        .filter_map(|f| inv.files.get(f).map(|e| cdx_file(f, e)))
        .collect();
    if !parts.is_empty() {
        c["components"] = Value::Array(parts);
    }
    c
}

/// A library the linker found by its `-l` name, as a CycloneDX component.
fn cdx_lib(l: &str, used_by: &BTreeSet<String>) -> Value {
    let mut props = vec![prop("link", format!("-l{l}"))];
    props.push(prop(
        "resolved-by",
        "the linker's search (confess records no path)",
    ));
    props.extend(used_by_props(used_by));
    json!({
        "type": "library",
        "bom-ref": format!("lib:{l}"),
        "name": l,
        "properties": props,
    })
}

/// A project target as a CycloneDX component.
fn cdx_target(t: &Own) -> Value {
    json!({
        "type": kind_word(t.kind),
        "bom-ref": t.label,
        "name": t.label,
        "properties": [
            prop("kind", t.kind.as_str()),
            prop("output", t.output.clone()),
            prop("compiler", t.compiler.clone()),
        ],
    })
}

/// The project depends on its targets, each target on what it uses.
fn cdx_dependencies(inv: &Inventory) -> Vec<Value> {
    let known: BTreeSet<&str> = inv.targets.iter().map(|t| t.label.as_str()).collect();
    let mut dependencies = vec![json!({
        "ref": format!("project:{}", inv.project),
        "dependsOn": inv.targets.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
    })];
    for t in &inv.targets {
        dependencies.push(json!({
            "ref": t.label,
            "dependsOn": t
                .uses
                .iter()
                .filter(|u| !u.starts_with("//") || known.contains(u.as_str()))
                .collect::<Vec<_>>(),
        }));
    }
    dependencies
}

/// The sha256 in a FetchContent URL_HASH (`SHA256=HEX`), if that is what it is.
fn sha256_of_url_hash(h: &str) -> Option<String> {
    let (alg, hex) = h.split_once('=')?;
    (alg.eq_ignore_ascii_case("sha256")
        && hex.len() == 64
        && hex.chars().all(|c| c.is_ascii_hexdigit()))
    .then(|| hex.to_ascii_lowercase())
}

/// SPDX's identifier characters: letters, digits, `.` and `-`.
fn spdx_id(prefix: &str, n: usize) -> String {
    format!("SPDXRef-{prefix}-{n}")
}

fn spdx(inv: &Inventory) -> Value {
    let mut doc = Spdx::default();
    doc.project(inv);
    doc.targets(inv);
    doc.packages(inv);
    doc.files(inv);
    doc.libs(inv);
    doc.depends(inv);
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{} (confess)", inv.project),
        "documentNamespace": format!("urn:confess:sbom:{}", inv.digest),
        "creationInfo": {
            "created": inv.created,
            "creators": [format!("Tool: confess-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": doc.packages,
        "relationships": doc.relationships,
    })
}

/// An SPDX document being written: its packages and relationships, and the SPDX identifier of
/// each inventory key.
#[derive(Default)]
struct Spdx {
    packages: Vec<Value>,
    relationships: Vec<Value>,
    ids: BTreeMap<String, String>,
}

/// The SPDX identifier of the project.
const SPDX_PROJECT: &str = "SPDXRef-Project";

impl Spdx {
    fn relate(&mut self, from: &str, kind: &str, to: &str) {
        self.relationships.push(json!({
            "spdxElementId": from,
            "relationshipType": kind,
            "relatedSpdxElement": to,
        }));
    }

    /// The project, which the document describes.
    fn project(&mut self, inv: &Inventory) {
        self.relate("SPDXRef-DOCUMENT", "DESCRIBES", SPDX_PROJECT);
        self.packages.push(json!({
            "SPDXID": SPDX_PROJECT,
            "name": inv.project,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "APPLICATION",
            "comment": format!("The project confess confessed (targets.json sha256 {}).", inv.digest),
        }));
    }

    /// The project's targets, which it contains.
    fn targets(&mut self, inv: &Inventory) {
        for (i, t) in inv.targets.iter().enumerate() {
            let id = spdx_id("Target", i + 1);
            self.ids.insert(t.label.clone(), id.clone());
            self.packages.push(json!({
                "SPDXID": id,
                "name": t.label,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "packageFileName": t.output,
                "primaryPackagePurpose": if t.kind == TargetKind::Executable { "APPLICATION" } else { "LIBRARY" },
                "comment": format!("The project's {} {}, built with {}.", t.kind.as_str(), t.output, t.compiler),
            }));
            self.relate(SPDX_PROJECT, "CONTAINS", &id);
        }
    }

    /// The packages the build asked for.
    fn packages(&mut self, inv: &Inventory) {
        for (i, (key, p)) in inv.packages.iter().enumerate() {
            let id = spdx_id("Package", i + 1);
            self.ids.insert(key.clone(), id.clone());
            let mut e = json!({
                "SPDXID": id,
                "name": p.name,
                "downloadLocation": p.url.clone().unwrap_or_else(|| "NOASSERTION".into()),
                "filesAnalyzed": false,
                "primaryPackagePurpose": "LIBRARY",
            });
            if !p.version.is_empty() {
                e["versionInfo"] = json!(p.version);
            }
            if let Some(h) = p.hash.as_deref().and_then(sha256_of_url_hash) {
                e["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": h }]);
            }
            e["comment"] = json!(spdx_package_comment(p));
            self.packages.push(e);
        }
    }

    /// The outside files, each contained in its package when it has one.
    fn files(&mut self, inv: &Inventory) {
        for (i, (path, f)) in inv.files.iter().enumerate() {
            let id = spdx_id("File", i + 1);
            self.ids.insert(format!("file:{path}"), id.clone());
            let mut e = json!({
                "SPDXID": id,
                "name": file_name(path),
                "packageFileName": path,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "primaryPackagePurpose": "FILE",
            });
            if let Some(h) = &f.sha256 {
                e["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": h }]);
            }
            self.packages.push(e);
            if let Some(owner) = f.package.as_ref().and_then(|k| self.ids.get(k)).cloned() {
                self.relate(&owner, "CONTAINS", &id);
            }
        }
    }

    /// The libraries the linker found by their `-l` names.
    fn libs(&mut self, inv: &Inventory) {
        for (i, l) in inv.libs.keys().enumerate() {
            let id = spdx_id("Lib", i + 1);
            self.ids.insert(format!("lib:{l}"), id.clone());
            self.packages.push(json!({
                "SPDXID": id,
                "name": l,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "primaryPackagePurpose": "LIBRARY",
                "comment": format!("Linked as -l{l}; the linker's search found it (confess records no path)."),
            }));
        }
    }

    /// Each target depends on what it uses.
    fn depends(&mut self, inv: &Inventory) {
        for t in &inv.targets {
            let Some(from) = self.ids.get(&t.label).cloned() else {
                continue;
            };
            for u in &t.uses {
                if let Some(to) = self.ids.get(u).cloned() {
                    self.relate(&from, "DEPENDS_ON", &to);
                }
            }
        }
    }
}

/// What an SPDX package's comment says of a package: how it was asked for, whether it was
/// found, where and by whom it was asked for, and the headers read from it.
fn spdx_package_comment(p: &Pkg) -> String {
    let mut comment = format!("Asked for with {}", p.method);
    if !p.resolved.is_empty() {
        comment.push_str(", ");
        comment.push_str(if p.resolved == "fake" {
            "made up by confess (--deps fake), not found on the machine"
        } else {
            "found on the machine"
        });
    }
    if !p.requested_at.is_empty() {
        let _ = write!(comment, " (at {})", p.requested_at.join(", "));
    }
    if !p.asked_by.is_empty() {
        let _ = write!(comment, " (asked by {})", p.asked_by.join(", "));
    }
    comment.push('.');
    if !p.headers.is_empty() {
        let h: Vec<&str> = p.headers.iter().map(String::as_str).collect();
        let _ = write!(comment, " Headers read: {}.", h.join(", "));
    }
    comment
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_212_800), "2026-12-02T12:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn uuid_is_version_8_variant_10() {
        let u = uuid_of(&"f".repeat(64));
        assert_eq!(u, "ffffffff-ffff-8fff-bfff-ffffffffffff");
        let u = uuid_of(&"0".repeat(64));
        assert_eq!(u, "00000000-0000-8000-8000-000000000000");
    }

    #[test]
    fn url_hash_is_read_only_when_it_is_sha256() {
        let h = "A".repeat(64);
        assert_eq!(
            sha256_of_url_hash(&format!("SHA256={h}")),
            Some("a".repeat(64))
        );
        assert_eq!(sha256_of_url_hash(&format!("MD5={h}")), None);
        assert_eq!(sha256_of_url_hash("v1.2.3"), None);
    }
}
