//! Header scans answered from the work cache.
//!
//! The build phase's compile shim scans each source's headers in process (`ppscan`): a few
//! milliseconds a source, most of what a confessed compile costs. What a scan finds depends on
//! the command line, the source's content, the compiler's facts (its predefined macros, its
//! search list, its implicit includes, its answers to `__has_*` queries), the directories the
//! command names, and the files at every path the scan asked about. When all of those are as
//! they were for a stored scan, its headers are the answer, and the scan is not run.
//!
//! - The key: this version of confess, the real compiler's path, the source's language, path
//!   and content hash, the command line, the working directory, the environment the compiler
//!   reads (`workcache::tool_env`), and the hash of the compiler's facts for the command's
//!   flags, which the session asks the real compiler once per flag set as before. The scratch
//!   root is written `$ROOT`: every confession has its own.
//! - The checks, each a path as it must still be:
//!   - every path the scan asked about: where no file was, still none; where a file was in the
//!     project's tree (below the scratch root, or below a directory of the user's that shows a
//!     copy in it, as the sealed build shows the source directory: copied anew in every
//!     confession, so only their content can be compared), the same content; elsewhere (the
//!     toolchain's headers, a library's headers installed on the machine), the same file:
//!     inode, size, modification and change times (`lasting`);
//!   - outside the project's tree, the paths where no file was are kept as the directories they
//!     are in, unchanged (`Quiet`): no entry was made there since. glibc's headers are looked
//!     for in four directories, and most of a scan's paths are such misses;
//!   - each `-I`, `-isystem` and `-idirafter` directory: still a directory with the same
//!     canonical path, or still not there (gcc drops a directory it cannot find);
//!   - the compiler driver, its compiler proper (`cc1`, `cc1plus`) and the shim itself (which
//!     decides what a scan finds), as the same files.
//!
//! A hit tells confess what the scan would have opened outside the scratch root
//! (`workcache::replay_reads`), so the reads a sealed build observes are the same. A line per
//! scan in the session's `probes.log` (`scan-hit`, `scan-stored`, and `scan-miss WHAT` before a
//! stored scan that replaces a stale one) gives the summary its counts.
//! Only in-process scans are stored: a scan that falls back to the real preprocessor is run
//! each time.

use crate::args::{Command, Input as CmdInput, Lang};
use crate::ctx::Ctx;
use crate::headers::Header;
use crate::pp::memo::probe;
use crate::pp::{Probe, Probed};
use crate::raw;
use crate::session::ROOT_MARK;
use crate::token::{sha256_hex, ContentRef};
use crate::workcache::{self, WorkCache};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One source's scan, as the cache sees it.
pub struct Scan<'a> {
    ctx: &'a Ctx,
    wc: WorkCache,
    key: String,
    /// The scratch root and the directories that show copies of its trees (`copied_trees`).
    trees: Vec<PathBuf>,
    driver: PathBuf,
    lang: Lang,
    dirs: Vec<PathBuf>,
}

impl<'a> Scan<'a> {
    /// The cached scan of `src` (whose content hash is `src_sha`), when there is a work cache
    /// and the compiler's facts for the command are known.
    pub fn of(
        ctx: &'a Ctx,
        cmd: &Command,
        src: &CmdInput,
        src_sha: &str,
        driver: &Path,
        lang: Lang,
    ) -> Option<Scan<'a>> {
        if ctx.session.phase != crate::session::Phase::Build {
            return None;
        }
        let wc = WorkCache::from_env()?;
        let facts = crate::ppscan::facts_digest(ctx, cmd, driver, lang).ok()?;
        let trees = copied_trees(ctx);
        let key = cache_key(
            ctx,
            &format!("scan\0{}\0{}", raw::text_path(driver), lang.as_str()),
            &format!(
                "facts {facts}\0src {} {src_sha}",
                ctx.session.normalize(&src.path)
            ),
            ctx.args(),
            workcache::tool_env,
        );
        Some(Scan {
            ctx,
            wc,
            key,
            trees,
            driver: driver.to_path_buf(),
            lang,
            dirs: crate::ppscan::search_dirs(ctx, cmd),
        })
    }

    fn norm(&self, p: &Path) -> String {
        self.ctx.session.normalize(&raw::text_path(p))
    }

    /// Text with `$ROOT` at its start put back as this confession's scratch root.
    fn denorm_text(&self, s: &str) -> String {
        match (self.ctx.session.root.as_deref(), s.strip_prefix(ROOT_MARK)) {
            (Some(root), Some(rest)) if !root.is_empty() => format!("{root}{rest}"),
            _ => s.to_string(),
        }
    }

    fn denorm(&self, s: &str) -> PathBuf {
        raw::path(&self.denorm_text(s)).into_owned()
    }

    /// Whether `p` is in the project's tree: a copy made for this confession, whose files
    /// are compared by content.
    fn in_tree(&self, p: &Path) -> bool {
        self.trees.iter().any(|r| p.starts_with(r))
    }

    /// The stored headers, when every check holds.
    pub fn lookup(&self) -> Option<Vec<Header>> {
        let (dir, meta) = self.wc.get(&self.key)?;
        if !unchanged(&meta["tools"], file_identity)? {
            self.log("scan-miss tools");
            return None;
        }
        for d in meta["dirs"].as_array()? {
            let (path, canon) = (self.denorm(d.get(0)?.as_str()?), d.get(1)?);
            let now = dir_state(&path);
            let then = canon.as_str().map(|c| self.denorm(c));
            if now != then {
                self.log("scan-miss dirs");
                return None;
            }
        }
        // Directories outside the scratch root unchanged since: no file appeared in them.
        if !unchanged(&meta["quiet"], dir_identity)? {
            self.log("scan-miss quiet");
            return None;
        }
        // Content hashes of the project's files, checked and kept for the headers.
        let mut hashes: HashMap<PathBuf, String> = HashMap::new();
        let mut outside: Vec<PathBuf> = Vec::new();
        for p in meta["probes"].as_array()? {
            let path = self.denorm(p.get(0)?.as_str()?);
            let then = p.get(1)?;
            let now = probe(&path);
            match (then, now) {
                (Value::Null, None) => {}
                (Value::String(sha), Some(_)) if self.in_tree(&path) => {
                    let h = crate::files::digest_hex(&path).ok()?;
                    if h != *sha {
                        self.log(&format!("scan-miss {}", raw::text_path(&path)));
                        return None;
                    }
                    hashes.insert(path, h);
                }
                (id @ Value::Array(_), Some(now)) if !self.in_tree(&path) => {
                    if identity_of(id)? != lasting(now) {
                        self.log(&format!("scan-miss {}", raw::text_path(&path)));
                        return None;
                    }
                    outside.push(path);
                }
                _ => {
                    self.log(&format!("scan-miss {}", raw::text_path(&path)));
                    return None;
                }
            }
        }
        let root = self.ctx.session.root.as_deref();
        let mut headers = Vec::new();
        for h in meta["headers"].as_array()? {
            let spelled = self.denorm_text(h.get(0)?.as_str()?);
            let abs = self.denorm(h.get(1)?.as_str()?);
            let system = h.get(2)?.as_bool()?;
            let known = hashes.get(&abs).cloned();
            headers.push(crate::headers::header_known(
                spelled, abs, system, root, known,
            ));
        }
        self.wc.touch(&dir);
        if let Ok(exe) = self.ctx.shim_exe() {
            if let Some(program) = workcache::program_name(exe) {
                workcache::replay_reads(&self.ctx.session.dir, &outside, &program);
            }
        }
        self.log("scan-hit");
        Some(headers)
    }

    /// Stores a scan's headers with what it asked about. Nothing is stored when a check cannot
    /// be made (a tool or a file gone meanwhile).
    pub fn store(&self, headers: &[Header], probed: Probed) {
        let Some(meta) = self.meta(headers, probed) else {
            return;
        };
        if self.wc.put(&self.key, |_| Ok(meta)).is_ok() {
            self.log("scan-stored");
        }
    }

    fn meta(&self, headers: &[Header], probed: Probed) -> Option<Value> {
        let mut known: HashMap<&str, &str> = HashMap::new();
        for h in headers {
            if let ContentRef::Hash(sha) = &h.input.content {
                known.insert(&h.input.path, sha);
            }
        }
        let mut asked = Vec::with_capacity(probed.len());
        let mut quiet = Quiet::new();
        for (path, found) in probed {
            let then = match found {
                None if !self.in_tree(&path) && quiet.covers(&path) => continue,
                None => Value::Null,
                Some(_) if self.in_tree(&path) => {
                    let text = raw::text_path(&path);
                    match known.get(text.as_ref()) {
                        Some(sha) => json!(sha),
                        None => json!(crate::files::digest_hex(&path).ok()?),
                    }
                }
                Some(id) => identity_json(&id),
            };
            asked.push(json!([self.norm(&path), then]));
        }
        let dirs: Vec<Value> = self
            .dirs
            .iter()
            .map(|d| json!([self.norm(d), dir_state(d).map(|c| self.norm(&c))]))
            .collect();
        let tools = compiler_files(self.ctx, &self.driver, self.lang)?;
        let tools: Vec<Value> = tools.iter().map(|t| ident(t)).collect::<Option<_>>()?;
        let headers: Vec<Value> = headers
            .iter()
            .map(|h| {
                json!([
                    self.ctx.session.normalize(&h.spelled),
                    self.ctx.session.normalize(&h.input.path),
                    h.system
                ])
            })
            .collect();
        let mut meta = json!({
            "headers": headers,
            "probes": asked,
            "quiet": quiet.list(),
            "dirs": dirs,
            "tools": tools,
        });
        // What eviction counts: the entry's one file, near enough.
        let bytes = meta.to_string().len() + 32;
        meta["bytes"] = json!(bytes);
        Some(meta)
    }

    fn log(&self, line: &str) {
        crate::probecache::log(self.ctx, line);
    }
}

/// The scratch root, and the directories of the user's that show a copy below it (the path
/// map's: the sealed build binds the scratch copy of the source directory where the source
/// directory is, and a build run there reads its files through that path). The map also names
/// where an out-of-tree build's files are kept in the output directory, which no build reads;
/// comparing files by content is exact wherever they are, so that entry costs nothing.
fn copied_trees(ctx: &Ctx) -> Vec<PathBuf> {
    let Some(root) = ctx.session.root.as_deref().filter(|r| !r.is_empty()) else {
        return Vec::new();
    };
    let root = raw::path(root).into_owned();
    let mut trees: Vec<PathBuf> = workcache::file_map()
        .into_iter()
        .filter(|(copy, user)| raw::path(copy).starts_with(&root) && user.starts_with('/'))
        .map(|(_, user)| raw::path(&user).into_owned())
        .collect();
    trees.push(root);
    trees
}

/// Directories outside the project's tree that a scan looked in for files that were not there,
/// kept by their identity instead of one check a path: creating, removing or renaming an entry
/// sets a directory's modification and change times to the time of the change. A directory
/// changed in the last two seconds is not taken (a change in the same tick of the clock as its
/// identity was read would leave that identity as it was); its paths are checked one by one.
/// A path whose directory is not there is covered by the nearest directory above it that is.
struct Quiet {
    dirs: std::collections::BTreeMap<PathBuf, Option<Probe>>,
    /// Directories changed since are not taken.
    limit: i64,
}

impl Quiet {
    fn new() -> Quiet {
        Quiet {
            dirs: std::collections::BTreeMap::new(),
            limit: crate::ctx::now_ns() - 2_000_000_000,
        }
    }

    fn old(&self, id: &Probe) -> bool {
        id.mtime < self.limit && id.ctime < self.limit
    }

    /// Whether an old enough directory above `path` now stands for its absence.
    fn covers(&mut self, path: &Path) -> bool {
        let mut at = path.parent();
        while let Some(d) = at {
            let id = *self
                .dirs
                .entry(d.to_path_buf())
                .or_insert_with(|| dir_identity(d));
            if let Some(id) = id {
                return self.old(&id);
            }
            at = d.parent();
        }
        false
    }

    /// The directories that stand for absent paths, with their identities.
    fn list(&self) -> Vec<Value> {
        self.dirs
            .iter()
            .filter_map(|(d, id)| {
                let id = id.as_ref().filter(|id| self.old(id))?;
                Some(json!([raw::text_path(d), identity_json(id)]))
            })
            .collect()
    }
}

/// A directory's identity: its size and times, device and inode left at 0; `None` when there
/// is no directory. An overlay (the sealed build's view of the machine) numbers a directory
/// anew in each mount, in the order directories are looked up; the times are the directory's
/// own, and any entry made or removed in it sets them to the time of the change.
fn dir_identity(p: &Path) -> Option<Probe> {
    let m = std::fs::metadata(p)
        .ok()
        .filter(std::fs::Metadata::is_dir)?;
    Some(Probe {
        dev: 0,
        ino: 0,
        ..Probe::of(&m)
    })
}

/// A directory of the command's search: its canonical path, or `None` where there is no
/// directory (gcc drops it).
fn dir_state(p: &Path) -> Option<PathBuf> {
    std::fs::metadata(p)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|_| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// A file and its identity, as an entry keeps it; `None` when there is no file.
fn ident(p: &Path) -> Option<Value> {
    Some(json!([raw::text_path(p), identity_json(&probe(p)?)]))
}

/// Whether every `[path, identity]` of a list still has that identity (`identity`: of a file,
/// `file_identity`, or of a directory, `dir_identity`); `None` for a damaged list.
fn unchanged(list: &Value, identity: fn(&Path) -> Option<Probe>) -> Option<bool> {
    for f in list.as_array()? {
        let (path, id) = (f.get(0)?.as_str()?, f.get(1)?);
        if identity(&raw::path(path)) != Some(identity_of(id)?) {
            return Some(false);
        }
    }
    Some(true)
}

/// A file's identity as entries keep it across confessions: without the device, which the
/// sealed build's overlays number in the order they are mounted (confessions running at once
/// see the same file on different devices). The inode, size and times remain, and any change
/// to a file sets its change time.
fn lasting(id: Probe) -> Probe {
    Probe { dev: 0, ..id }
}

/// `probe`, as entries keep identities (`lasting`).
fn file_identity(p: &Path) -> Option<Probe> {
    probe(p).map(lasting)
}

fn identity_json(id: &Probe) -> Value {
    let id = lasting(*id);
    json!([id.dev, id.ino, id.size, id.mtime, id.ctime])
}

fn identity_of(v: &Value) -> Option<Probe> {
    Some(Probe {
        dev: v.get(0)?.as_u64()?,
        ino: v.get(1)?.as_u64()?,
        size: v.get(2)?.as_u64()?,
        mtime: v.get(3)?.as_i64()?,
        ctime: v.get(4)?.as_i64()?,
    })
}

/// The compiler's facts for one flag set (`ppscan::Facts`: its predefined macros, search list
/// and implicit includes), kept across confessions: asking the real compiler costs two runs of
/// its compiler proper, tens of milliseconds, for the first compile of each flag set.
///
/// - The key: this version of confess, the driver's path, the language, the flags that change
///   the facts, the working directory (a flag may name a relative path), and the environment
///   the compiler reads and the locale (the search list is read from its messages).
/// - The checks: the driver, its compiler proper and the shim, the same files; each directory
///   of the search list still a directory with the same canonical path; each directory the
///   compiler said it left out because it does not exist still absent; each implicit include
///   the same file, and no file of its name in a directory searched before the one it is in.
pub struct KeptFacts<'a> {
    ctx: &'a Ctx,
    wc: WorkCache,
    key: String,
    driver: PathBuf,
    lang: Lang,
}

impl<'a> KeptFacts<'a> {
    pub fn of(
        ctx: &'a Ctx,
        driver: &Path,
        lang: Lang,
        key_args: &[String],
    ) -> Option<KeptFacts<'a>> {
        let wc = WorkCache::from_env()?;
        let key = cache_key(
            ctx,
            &format!("facts\0{}\0{}", raw::text_path(driver), lang.as_str()),
            "",
            key_args,
            |k| workcache::tool_env(k) || workcache::locale_env(k),
        );
        Some(KeptFacts {
            ctx,
            wc,
            key,
            driver: driver.to_path_buf(),
            lang,
        })
    }

    /// The stored facts' text, when every check holds.
    pub fn lookup(&self) -> Option<String> {
        let (dir, meta) = self.wc.get(&self.key)?;
        if !unchanged(&meta["tools"], file_identity)? || !unchanged(&meta["files"], file_identity)?
        {
            return None;
        }
        for d in meta["dirs"].as_array()? {
            let (path, canon) = (d.get(0)?.as_str()?, d.get(1)?.as_str()?);
            if dir_state(&raw::path(path)).as_deref() != Some(raw::path(canon).as_ref()) {
                return None;
            }
        }
        for p in meta["absent"].as_array()? {
            if std::fs::symlink_metadata(raw::path(p.as_str()?)).is_ok() {
                return None;
            }
        }
        let text = meta["facts"].as_str()?.to_string();
        self.wc.touch(&dir);
        Some(text)
    }

    /// Stores facts just asked of the compiler, with the directories it said it left out.
    /// Nothing is stored when a check cannot be made.
    pub fn store(&self, facts: &crate::ppscan::Facts, ignored: &[String]) {
        let Some(meta) = self.meta(facts, ignored) else {
            return;
        };
        let _ = self.wc.put(&self.key, |_| Ok(meta));
    }

    fn meta(&self, facts: &crate::ppscan::Facts, ignored: &[String]) -> Option<Value> {
        let tools: Vec<Value> = compiler_files(self.ctx, &self.driver, self.lang)?
            .iter()
            .map(|p| ident(p))
            .collect::<Option<_>>()?;
        let mut dirs = Vec::new();
        for (d, c) in facts.sysdirs.iter().zip(&facts.sysdirs_canonical) {
            // As the facts were made: a directory of the list is there.
            dir_state(&raw::path(d))?;
            dirs.push(json!([d, c]));
        }
        let mut absent: Vec<String> = ignored.to_vec();
        let mut files = Vec::new();
        for inc in &facts.implicit {
            let file = raw::path(inc);
            files.push(ident(&file)?);
            // Where the search found it, and the directories before, where it must not be.
            let (k, rel) = facts
                .sysdirs
                .iter()
                .zip(&facts.sysdirs_canonical)
                .enumerate()
                .find_map(|(k, (d, c))| {
                    let rel = file
                        .strip_prefix(raw::path(d).as_ref())
                        .or_else(|_| file.strip_prefix(raw::path(c).as_ref()))
                        .ok()?;
                    Some((k, rel.to_path_buf()))
                })?;
            for before in &facts.sysdirs[..k] {
                absent.push(raw::text_path(&raw::path(before).join(&rel)).into_owned());
            }
        }
        let mut meta = json!({
            "facts": facts.text,
            "tools": tools,
            "dirs": dirs,
            "absent": absent,
            "files": files,
        });
        let bytes = meta.to_string().len() + 32;
        meta["bytes"] = json!(bytes);
        Some(meta)
    }
}

/// A work cache key: what is kept (`what`, with the compiler's path and the language), this
/// version of confess, the working directory, `extra`, the words `args` and the environment
/// variables `env` takes; the scratch root written `$ROOT` throughout.
fn cache_key(
    ctx: &Ctx,
    what: &str,
    extra: &str,
    args: &[String],
    env: impl Fn(&str) -> bool,
) -> String {
    let norm = |s: &str| ctx.session.normalize(s);
    let mut text = format!(
        "confess-{what}-v1\0{}\0cwd {}\0{extra}\0",
        env!("CARGO_PKG_VERSION"),
        norm(&ctx.cwd_text()),
    );
    for a in args {
        let _ = write!(text, "arg {}\0", norm(a));
    }
    workcache::write_env(&mut text, env, norm);
    sha256_hex(text.as_bytes())
}

/// The files that make a compiler's answers: its driver, its compiler proper (`cc1`,
/// `cc1plus`; clang has none apart) and the shim. `None` when one cannot be found.
fn compiler_files(ctx: &Ctx, driver: &Path, lang: Lang) -> Option<Vec<PathBuf>> {
    let mut files = vec![std::fs::canonicalize(driver).ok()?];
    let proper = if lang == Lang::Cxx { "cc1plus" } else { "cc1" };
    let memo = ctx.session.cache();
    files.extend(workcache::driver_programs(
        driver,
        &[proper],
        &ctx.cwd,
        Some(&memo),
    ));
    files.push(ctx.shim_exe().ok()?.to_path_buf());
    Some(files)
}
