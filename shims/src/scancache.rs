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
//!   - every path the scan asked about: where no file was, still none; where a file was below
//!     the scratch root (the project's files, copied anew in every confession), the same
//!     content; elsewhere (the toolchain's headers, a library's headers installed on the
//!     machine), the same file: device, inode, size, modification and change times;
//!   - each `-I`, `-isystem` and `-idirafter` directory: still a directory with the same
//!     canonical path, or still not there (gcc drops a directory it cannot find);
//!   - the compiler driver, its compiler proper (`cc1`, `cc1plus`) and the shim itself (which
//!     decides what a scan finds), as the same files.
//!
//! A hit tells confess what the scan would have opened outside the scratch root
//! (`workcache::replay_reads`), so the reads a sealed build observes are the same. A line per
//! scan in the session's `probes.log` (`scan-hit`, `scan-stored`) gives the summary its counts.
//! Only in-process scans are stored: a scan that falls back to the real preprocessor is run
//! each time.

use crate::args::{Command, Input as CmdInput, Lang};
use crate::ctx::Ctx;
use crate::headers::{hashed, Header};
use crate::pp::memo::probe;
use crate::pp::{Probe, Probed};
use crate::raw;
use crate::session::ROOT_MARK;
use crate::token::{sha256_hex, ContentRef, Edge, Input};
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
    root: Option<PathBuf>,
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
        let root = ctx
            .session
            .root
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| raw::path(r).into_owned());
        let norm = |s: &str| ctx.session.normalize(s);
        let mut text = format!(
            "confess-scan-v1\0{}\0{}\0{}\0facts {facts}\0cwd {}\0src {} {src_sha}\0",
            env!("CARGO_PKG_VERSION"),
            raw::text_path(driver),
            lang.as_str(),
            norm(&ctx.cwd_text()),
            norm(&src.path),
        );
        for w in ctx.args() {
            let _ = write!(text, "arg {}\0", norm(w));
        }
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .map(|(k, v)| (raw::text_os(&k).into_owned(), raw::text_os(&v).into_owned()))
            .filter(|(k, _)| workcache::tool_env(k))
            .collect();
        vars.sort();
        for (k, v) in vars {
            let _ = write!(text, "env {k}={}\0", norm(&v));
        }
        Some(Scan {
            ctx,
            wc,
            key: sha256_hex(text.as_bytes()),
            root,
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

    fn below_root(&self, p: &Path) -> bool {
        self.root.as_deref().is_some_and(|r| p.starts_with(r))
    }

    /// The stored headers, when every check holds.
    pub fn lookup(&self) -> Option<Vec<Header>> {
        let (dir, meta) = self.wc.get(&self.key)?;
        for t in meta["tools"].as_array()? {
            let (path, id) = (t.get(0)?.as_str()?, t.get(1)?);
            if probe(&raw::path(path)) != Some(identity_of(id)?) {
                return None;
            }
        }
        for d in meta["dirs"].as_array()? {
            let (path, canon) = (self.denorm(d.get(0)?.as_str()?), d.get(1)?);
            let now = dir_state(&path);
            let then = canon.as_str().map(|c| self.denorm(c));
            if now != then {
                return None;
            }
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
                (Value::String(sha), Some(_)) if self.below_root(&path) => {
                    let bytes = crate::files::read(&path).ok()?;
                    let h = sha256_hex(&bytes);
                    if h != *sha {
                        return None;
                    }
                    hashes.insert(path, h);
                }
                (id @ Value::Array(_), Some(now)) if !self.below_root(&path) => {
                    if identity_of(id)? != now {
                        return None;
                    }
                    outside.push(path);
                }
                _ => return None,
            }
        }
        let root = self.ctx.session.root.as_deref();
        let mut headers = Vec::new();
        for h in meta["headers"].as_array()? {
            let spelled = self.denorm_text(h.get(0)?.as_str()?);
            let abs = self.denorm(h.get(1)?.as_str()?);
            let system = h.get(2)?.as_bool()?;
            let known = hashes.get(&abs).cloned();
            headers.push(header_known(spelled, abs, system, root, known));
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
        for (path, found) in probed {
            let then = match found {
                None => Value::Null,
                Some(_) if self.below_root(&path) => {
                    let text = raw::text_path(&path);
                    match known.get(text.as_ref()) {
                        Some(sha) => json!(sha),
                        None => json!(sha256_hex(&crate::files::read(&path).ok()?)),
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
        let mut tools = vec![std::fs::canonicalize(&self.driver).ok()?];
        let proper = if self.lang == Lang::Cxx {
            "cc1plus"
        } else {
            "cc1"
        };
        let memo = self.ctx.session.cache();
        tools.extend(workcache::driver_programs(
            &self.driver,
            &[proper],
            &self.ctx.cwd,
            Some(&memo),
        ));
        tools.push(self.ctx.shim_exe().ok()?.to_path_buf());
        let tools: Vec<Value> = tools
            .iter()
            .map(|t| Some(json!([raw::text_path(t), identity_json(&probe(t)?)])))
            .collect::<Option<_>>()?;
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
            "dirs": dirs,
            "tools": tools,
        });
        // What eviction counts: the entry's one file, near enough.
        let bytes = meta.to_string().len() + 32;
        meta["bytes"] = json!(bytes);
        Some(meta)
    }

    fn log(&self, line: &str) {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.ctx.session.dir.join(crate::probecache::LOG))
        {
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// A directory of the command's search: its canonical path, or `None` where there is no
/// directory (gcc drops it).
fn dir_state(p: &Path) -> Option<PathBuf> {
    std::fs::metadata(p)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|_| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
}

fn identity_json(id: &Probe) -> Value {
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

/// `headers::header`, with the content hash of a file below the root when it is known.
fn header_known(
    spelled: String,
    abs: PathBuf,
    system: bool,
    root: Option<&str>,
    known: Option<String>,
) -> Header {
    let under = root.filter(|r| !r.is_empty()).map(raw::path);
    match known {
        Some(sha) if hashed(&abs, system, under.as_deref()) => Header {
            input: Input {
                edge: Edge::Header,
                content: ContentRef::Hash(sha.into()),
                path: raw::text_path(&abs).into(),
            },
            spelled,
            system,
        },
        _ => crate::headers::header(spelled, abs, system, root),
    }
}
