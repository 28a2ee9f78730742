//! The work cache: realized artifacts kept across confessions, by what they are made of.
//!
//! A realized node (`realize.rs`) is the real artifact of a token. Its id covers the action and
//! the content of every input the token names (sources and headers by content, other nodes by
//! id), which is everything that realization reads from the project. What it reads from the
//! machine is not in the id: the real tools, the files the linker takes from the system (crt
//! files, libc, libgcc, `-l` libraries outside the project), and the environment variables the
//! tools read. An entry is therefore found by a key over the id, the tool's path, those
//! variables and the path map realization compiles with, and it is used only while every file
//! it was checked against is unchanged: the tool itself and the programs it runs (`cc1`, `as`,
//! `collect2`, `ld`), and for a link every file the linker opened (`-Wl,-t`). A file whose
//! size, modification time or inode changed is hashed again; a different hash makes the entry
//! stale, and the node is realized anew and stored in its place.
//!
//! Layout under the cache directory (`CONFESS_CACHE`, by default `$XDG_CACHE_HOME/confess` or
//! `~/.cache/confess`):
//!
//! ```text
//! work-v1/lock                   shared by every running confession; eviction takes it alone
//! work-v1/entries/KEY/meta.json  the id, the artifact, its library directories, the checks
//! work-v1/entries/KEY/files/     the realized directory's files
//! work-v1/entries/KEY/used       its modification time is the last use (eviction is by it)
//! work-v1/tmp/, work-v1/trash/   entries being written or removed
//! ```
//!
//! An entry appears by one rename of a complete directory and leaves by one rename into
//! `trash/`: a reader sees a whole entry or none. A reader that loses an entry while it copies
//! realizes the node itself. Nothing here is an error the build sees: a cache that cannot be
//! read or written costs only the realization it would have saved.

use crate::raw;
use crate::session::Session;
use crate::token::{hash_file, sha256_hex};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The cache directory, resolved by confess and passed to the shims (absolute).
pub const ENV_DIR: &str = "CONFESS_WORK_CACHE";
/// Path prefixes realization compiles with (`-ffile-prefix-map`), as a JSON list of
/// `[scratch path, path it stands for]`, general before specific (gcc applies the last match).
pub const ENV_FILE_MAP: &str = "CONFESS_FILE_MAP";
/// The layout's directory under the cache directory; a new layout gets a new name.
pub const LAYOUT: &str = "work-v1";
/// Beside a realized node that came from the cache.
pub const CACHED_MARK: &str = ".cached";

/// Names in a realized directory that are not part of the artifact: the links and member
/// copies a link or an archive was made from, the tool's log, and the session's own marks.
const NOT_KEPT: &[&str] = &["libs", "m", "log", ".done", ".secs", CACHED_MARK];

/// Environment variables that change what a compiler, an archiver or a linker makes: search
/// paths, the date macros, where gcc finds its programs. Names, and prefixes ending in `_`.
const TOOL_ENV: &[&str] = &[
    "COMPILER_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "OBJC_INCLUDE_PATH",
    "SOURCE_DATE_EPOCH",
    "DEPENDENCIES_OUTPUT",
    "SUNPRO_DEPENDENCIES",
    "ZERO_AR_DATE",
    "GCC_",
    "COLLECT_",
    "LD_",
];

/// A file an entry was made with, as it was then, and how the real tools opened it: run
/// (`exec`), or read by `program` (the file name of the program, as the sealed build's watch
/// names it). An answer taken from the cache opens nothing; what the tools would have opened
/// is told to confess instead ([`replay_opens`]), so the reads it observes are the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    pub ino: u64,
    pub sha256: String,
    pub exec: bool,
    pub program: Option<String>,
}

/// The session file where answers taken from the cache say what the real tools would have
/// opened: a JSON object a line, `{"exec": PATH}` or `{"read": PATH, "program": NAME}`.
pub const REPLAYED_OPENS: &str = "replayed-opens.log";

/// Tells confess what the real tools would have opened for an answer taken from the cache.
pub fn replay_opens(session_dir: &Path, checks: &[Check]) {
    let mut text = String::new();
    for c in checks {
        let path = raw::text_path(&c.path);
        let line = match (&c.program, c.exec) {
            (_, true) => json!({ "exec": path }),
            (Some(p), false) => json!({ "read": path, "program": p }),
            (None, false) => continue,
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    append_replayed(session_dir, &text);
}

/// Tells confess that `program` would have read `paths` for an answer taken from the cache.
pub fn replay_reads(session_dir: &Path, paths: &[PathBuf], program: &str) {
    let mut text = String::new();
    for p in paths {
        text.push_str(&json!({ "read": raw::text_path(p), "program": program }).to_string());
        text.push('\n');
    }
    append_replayed(session_dir, &text);
}

fn append_replayed(session_dir: &Path, text: &str) {
    use std::io::Write;
    if text.is_empty() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(session_dir.join(REPLAYED_OPENS))
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// The file name of a program as the watch names it (its canonical path's), for [`Check`].
#[must_use]
pub fn program_name(p: &Path) -> Option<String> {
    let c = std::fs::canonicalize(p).ok()?;
    c.file_name().map(|n| raw::text_os(n).into_owned())
}

impl Check {
    /// The file as it is now, or `None` when it cannot be read. With `memo` (a directory), a
    /// file is hashed once for each size, time and inode it has: a compiler's programs are
    /// tens of megabytes, and every realization checks them.
    #[must_use]
    pub fn of(path: &Path, memo: Option<&Path>) -> Option<Check> {
        let m = std::fs::metadata(path).ok()?;
        let (size, mtime_ns, ino) = (m.len(), m.mtime() * 1_000_000_000 + m.mtime_nsec(), m.ino());
        let mut key = path.as_os_str().as_encoded_bytes().to_vec();
        key.extend(format!("\0{size}\0{mtime_ns}\0{ino}").bytes());
        let sha256 = memoized(
            memo,
            "check",
            &key,
            |h| h.len() == 64,
            || hash_file(path).ok().map(String::into_bytes),
        )?;
        let sha256 = String::from_utf8(sha256).ok()?;
        Some(Check {
            path: path.to_path_buf(),
            size,
            mtime_ns,
            ino,
            sha256,
            exec: false,
            program: None,
        })
    }

    /// The check, opened as `exec` or by `program`.
    #[must_use]
    pub fn opened(mut self, exec: bool, program: Option<String>) -> Check {
        self.exec = exec;
        self.program = program;
        self
    }

    /// Whether the file still has the content it had: the same size, time and inode, or the
    /// same hash.
    #[must_use]
    pub fn holds(&self) -> bool {
        let Ok(m) = std::fs::metadata(&self.path) else {
            return false;
        };
        if m.len() != self.size {
            return false;
        }
        if m.mtime() * 1_000_000_000 + m.mtime_nsec() == self.mtime_ns && m.ino() == self.ino {
            return true;
        }
        hash_file(&self.path).is_ok_and(|h| h == self.sha256)
    }

    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "path": raw::text_path(&self.path),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "ino": self.ino,
            "sha256": self.sha256,
            "exec": self.exec,
            "program": self.program,
        })
    }

    pub fn from_json(v: &Value) -> Option<Check> {
        Some(Check {
            path: raw::path(v["path"].as_str()?).into_owned(),
            size: v["size"].as_u64()?,
            mtime_ns: v["mtime_ns"].as_i64()?,
            ino: v["ino"].as_u64()?,
            sha256: v["sha256"].as_str()?.to_string(),
            exec: v["exec"].as_bool().unwrap_or(false),
            program: v["program"].as_str().map(str::to_string),
        })
    }
}

/// A stored realization: the artifact and its library directories, relative to realized
/// directories (`(id, path in it)`), and the files it was checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub artifact: PathBuf,
    pub lib_dirs: Vec<(String, PathBuf)>,
    pub checks: Vec<Check>,
    pub bytes: u64,
    dir: PathBuf,
}

/// The work cache at a directory.
#[derive(Clone, Debug)]
pub struct WorkCache {
    /// `DIR/work-v1`.
    pub root: PathBuf,
}

impl WorkCache {
    #[must_use]
    pub fn at(dir: &Path) -> WorkCache {
        WorkCache {
            root: dir.join(LAYOUT),
        }
    }

    /// The cache confess gave the shims, if any.
    #[must_use]
    pub fn from_env() -> Option<WorkCache> {
        let dir = PathBuf::from(std::env::var_os(ENV_DIR)?);
        dir.is_absolute().then(|| WorkCache::at(&dir))
    }

    #[must_use]
    pub fn entries(&self) -> PathBuf {
        self.root.join("entries")
    }

    #[must_use]
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// Creates the layout (idempotent).
    pub fn create(&self) -> std::io::Result<()> {
        for d in ["entries", "tmp", "trash"] {
            std::fs::create_dir_all(self.root.join(d))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.lock_path())
            .map(drop)
    }

    /// The key of a node realized with `tool`: its id, the tool's path, the environment the
    /// tool reads, the path map, and this version of confess (which decides how a node is
    /// realized). Scratch paths are normalised, so the key is the same in every confession.
    #[must_use]
    pub fn key(id: &str, tool: &Path, session: &Session, file_map: &[(String, String)]) -> String {
        let mut text = format!(
            "confess-work-v1\0{}\0{id}\0{}\0",
            env!("CARGO_PKG_VERSION"),
            raw::text_path(tool)
        );
        write_env(&mut text, tool_env, |v| session.normalize(v));
        for (from, to) in file_map {
            let _ = write!(text, "map {}={to}\0", session.normalize(from));
        }
        sha256_hex(text.as_bytes())
    }

    /// The entry under `key` when its files are all still as they were.
    pub fn lookup(&self, key: &str) -> Option<Entry> {
        let (dir, v) = self.get(key)?;
        let entry = Entry {
            id: v["id"].as_str()?.to_string(),
            artifact: raw::path(v["artifact"].as_str()?).into_owned(),
            lib_dirs: v["lib_dirs"]
                .as_array()?
                .iter()
                .map(|d| {
                    Some((
                        d["id"].as_str()?.to_string(),
                        raw::path(d["path"].as_str()?).into_owned(),
                    ))
                })
                .collect::<Option<_>>()?,
            checks: v["checks"]
                .as_array()?
                .iter()
                .map(Check::from_json)
                .collect::<Option<_>>()?,
            bytes: v["bytes"].as_u64()?,
            dir,
        };
        entry.checks.iter().all(Check::holds).then_some(entry)
    }

    /// Copies an entry's files into `to` (an empty directory) and marks its use. False when
    /// the entry went away meanwhile.
    #[must_use]
    pub fn copy_out(&self, entry: &Entry, to: &Path) -> bool {
        if copy_dir(&entry.dir.join("files"), to, false).is_err() {
            return false;
        }
        self.touch(&entry.dir);
        true
    }

    /// Stores the realized directory `from` under `key`. `artifact` and `lib_dirs` are
    /// relative as in [`Entry`]; `checks` are the machine's files it was made with.
    pub fn store(
        &self,
        key: &str,
        id: &str,
        from: &Path,
        artifact: &Path,
        lib_dirs: &[(String, PathBuf)],
        checks: &[Check],
    ) -> std::io::Result<()> {
        self.put(key, |tmp| {
            let bytes = copy_dir(from, &tmp.join("files"), true)?;
            Ok(json!({
                "id": id,
                "artifact": raw::text_path(artifact),
                "lib_dirs": lib_dirs
                    .iter()
                    .map(|(i, p)| json!({"id": i, "path": raw::text_path(p)}))
                    .collect::<Vec<_>>(),
                "checks": checks.iter().map(Check::to_json).collect::<Vec<_>>(),
                "bytes": bytes,
            }))
        })
    }

    /// Makes the entry `key`: `fill` writes its files into a new directory and returns its
    /// `meta.json` (with `bytes`, the size eviction counts); the directory is renamed into
    /// place whole, replacing an entry that is there.
    pub fn put(
        &self,
        key: &str,
        fill: impl FnOnce(&Path) -> std::io::Result<Value>,
    ) -> std::io::Result<()> {
        let tmp = self.root.join("tmp").join(format!(
            "{key}.{}.{}",
            std::process::id(),
            crate::ctx::now_ns()
        ));
        // The layout is made once: a compile stores its header scan, and a call that makes
        // its temporary directory in one step makes no other.
        if std::fs::create_dir(&tmp).is_err() {
            self.create()?;
            std::fs::create_dir_all(&tmp)?;
        }
        let result = (|| {
            let meta = fill(&tmp)?;
            std::fs::write(tmp.join("meta.json"), meta.to_string())?;
            std::fs::write(tmp.join("used"), b"")?;
            let at = self.entries().join(key);
            if std::fs::rename(&tmp, &at).is_err() {
                // An entry is there: stale (the caller found it so, or did not find it), or
                // just stored by a concurrent run. The new one replaces it. (Or `entries/` is
                // gone: it is made again.)
                self.discard(&at);
                self.create()?;
                std::fs::rename(&tmp, &at)?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    /// An entry's directory and its `meta.json`, if it is there.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<(PathBuf, Value)> {
        let dir = self.entries().join(key);
        let text = std::fs::read(dir.join("meta.json")).ok()?;
        let v = serde_json::from_slice(&text).ok()?;
        Some((dir, v))
    }

    /// Marks an entry used now (eviction goes by it: an entry in use is the last to go).
    pub fn touch(&self, dir: &Path) {
        let _ = std::fs::File::options()
            .write(true)
            .open(dir.join("used"))
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    }

    /// Removes an entry: one rename out of `entries/`, then the files.
    fn discard(&self, entry: &Path) {
        let Some(name) = entry.file_name() else {
            return;
        };
        let mut trash = self.root.join("trash").join(name);
        trash
            .as_mut_os_string()
            .push(format!(".{}.{}", std::process::id(), crate::ctx::now_ns()));
        if std::fs::rename(entry, &trash).is_ok() {
            let _ = std::fs::remove_dir_all(&trash);
        }
    }

    /// Every entry's key, size and last use.
    #[must_use]
    pub fn list(&self) -> Vec<(String, u64, std::time::SystemTime)> {
        let Ok(rd) = std::fs::read_dir(self.entries()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in rd.flatten() {
            let dir = e.path();
            let bytes = std::fs::read(dir.join("meta.json"))
                .ok()
                .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
                .and_then(|v| v["bytes"].as_u64())
                .unwrap_or(0);
            let used = std::fs::metadata(dir.join("used"))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            out.push((e.file_name().to_string_lossy().into_owned(), bytes, used));
        }
        out
    }

    /// Removes the least recently used entries until the rest fit in `limit` bytes, and what
    /// unfinished writes and removals left. The caller holds the cache's lock alone: no
    /// confession is running. Returns the entries and bytes removed.
    #[must_use]
    pub fn evict(&self, limit: u64) -> (usize, u64) {
        for d in ["tmp", "trash"] {
            if let Ok(rd) = std::fs::read_dir(self.root.join(d)) {
                for e in rd.flatten() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let mut all = self.list();
        let mut total: u64 = all.iter().map(|(_, b, _)| b).sum();
        all.sort_by_key(|(k, _, used)| (*used, k.clone()));
        let (mut n, mut freed) = (0, 0);
        for (key, bytes, _) in all {
            if total <= limit {
                break;
            }
            self.discard(&self.entries().join(&key));
            total = total.saturating_sub(bytes);
            freed += bytes;
            n += 1;
        }
        (n, freed)
    }
}

/// Appends to a key's text the environment variables `keep` takes, sorted, as `env NAME=VALUE`
/// with the value through `norm`.
pub fn write_env(text: &mut String, keep: impl Fn(&str) -> bool, norm: impl Fn(&str) -> String) {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (raw::text_os(&k).into_owned(), raw::text_os(&v).into_owned()))
        .filter(|(k, _)| keep(k))
        .collect();
    vars.sort();
    for (k, v) in vars {
        let _ = write!(text, "env {k}={}\0", norm(&v));
    }
}

/// Whether an environment variable chooses the language of a tool's messages, which confess
/// and configure scripts read.
#[must_use]
pub fn locale_env(name: &str) -> bool {
    matches!(
        name,
        "LANG" | "LANGUAGE" | "LC_ALL" | "LC_MESSAGES" | "LC_CTYPE"
    )
}

/// Whether an environment variable reaches what a tool makes (`TOOL_ENV`).
#[must_use]
pub fn tool_env(name: &str) -> bool {
    TOOL_ENV.iter().any(|k| {
        if k.ends_with('_') {
            name.starts_with(k)
        } else {
            name == *k
        }
    })
}

/// The path map realization compiles with (`ENV_FILE_MAP`), general before specific.
#[must_use]
pub fn file_map() -> Vec<(String, String)> {
    let Some(text) = std::env::var_os(ENV_FILE_MAP) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<Value>(text.as_encoded_bytes()) else {
        return Vec::new();
    };
    v.as_array()
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The text of [`ENV_FILE_MAP`] for `pairs` (scratch path, path it stands for).
#[must_use]
pub fn file_map_text(pairs: &[(PathBuf, PathBuf)]) -> String {
    Value::Array(
        pairs
            .iter()
            .map(|(a, b)| json!([raw::text_path(a), raw::text_path(b)]))
            .collect(),
    )
    .to_string()
}

/// Copies a directory's files, symbolic links and subdirectories, keeping modes; at the top,
/// `skip_own` leaves out what is not part of an artifact (`NOT_KEPT`). Returns the bytes copied.
fn copy_dir(from: &Path, to: &Path, skip_own: bool) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut bytes = 0;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if skip_own && NOT_KEPT.iter().any(|n| name == *n) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type()?;
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ft.is_dir() {
            bytes += copy_dir(&src, &dst, false)?;
        } else {
            bytes += std::fs::copy(&src, &dst)?;
        }
    }
    Ok(bytes)
}

/// The programs `progs` a compiler driver runs (gcc's `cc1`, `as`, `collect2`, `ld`), as it
/// names them, found on the real PATH when it gives a bare name; those that exist.
///
/// With `memo` (the session's cache directory), the answer is asked once per confession: each
/// name costs the driver a run.
pub fn driver_programs(
    tool: &Path,
    progs: &[&str],
    cwd: &Path,
    memo: Option<&Path>,
) -> Vec<PathBuf> {
    let path = std::env::var_os(crate::session::ENV_REAL_PATH)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let mut key = tool.as_os_str().as_encoded_bytes().to_vec();
    for p in progs {
        key.push(0);
        key.extend(p.as_bytes());
    }
    key.push(0);
    key.extend(path.as_encoded_bytes());
    let decode = |text: &[u8]| -> Vec<PathBuf> {
        text.split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(std::ffi::OsStr::from_bytes(p)))
            .collect()
    };
    let text = memoized(
        memo,
        "programs",
        &key,
        |text| decode(text).iter().all(|p| p.is_file()),
        || {
            let mut text = Vec::new();
            for p in ask_driver(tool, progs, cwd, &path) {
                text.extend(p.as_os_str().as_encoded_bytes());
                text.push(0);
            }
            Some(text)
        },
    );
    text.map_or_else(Vec::new, |t| decode(&t))
}

/// A value computed once per confession: kept in the session's cache directory `memo` under
/// `NAME-sha256(key)` and used again while `valid` accepts it; without `memo`, computed each
/// time. `None` when `compute` has no answer (nothing is kept then).
fn memoized(
    memo: Option<&Path>,
    name: &str,
    key: &[u8],
    valid: impl Fn(&[u8]) -> bool,
    compute: impl FnOnce() -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let file = memo.map(|d| d.join(format!("{name}-{}", sha256_hex(key))));
    if let Some(known) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        if valid(&known) {
            return Some(known);
        }
    }
    let value = compute()?;
    if let Some(f) = &file {
        let _ = crate::ctx::write_atomic(f, &value);
    }
    Some(value)
}

fn ask_driver(tool: &Path, progs: &[&str], cwd: &Path, path: &std::ffi::OsStr) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for prog in progs {
        let Ok(o) = std::process::Command::new(tool)
            .arg(format!("-print-prog-name={prog}"))
            .env(
                crate::session::ENV_DEPTH,
                (crate::ctx::depth() + 1).to_string(),
            )
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
        else {
            continue;
        };
        let name = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if name.is_empty() {
            continue;
        }
        let p = PathBuf::from(&name);
        let found = if p.is_absolute() {
            Some(p)
        } else if !name.contains('/') {
            which::which_in(&name, Some(path), cwd).ok()
        } else {
            None
        };
        if let Some(p) = found.filter(|p| p.is_file()) {
            out.push(p);
        }
    }
    out
}

/// The files a linker's trace (`-t`) names: one per line, `-lname (path)` for a library found
/// by search, `(archive)member` for an archive's member; other lines (`ld: mode ...`) name none.
#[must_use]
pub fn traced_files(log: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in log.lines() {
        let line = line.trim();
        let path = if let Some(rest) = line.strip_prefix('(') {
            rest.split_once(')').map(|(a, _)| a)
        } else if line.starts_with("-l") {
            line.split_once(" (").and_then(|(_, r)| r.strip_suffix(')'))
        } else {
            Some(line)
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            let p = PathBuf::from(p);
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_name_files_in_each_form() {
        let t = tempfile::tempdir().expect("tmp");
        let a = t.path().join("libx.a");
        let o = t.path().join("crt1.o");
        std::fs::write(&a, b"!<arch>\n").expect("write");
        std::fs::write(&o, b"o").expect("write");
        let log = format!(
            "/usr/bin/ld: mode elf_x86_64\n{}\n-lx ({})\n({})m.o\n/nonexistent/y.o\nrelative.o\n",
            o.display(),
            a.display(),
            a.display()
        );
        assert_eq!(traced_files(&log), vec![o, a.clone(), a]);
    }

    #[test]
    fn an_entry_is_stale_when_a_checked_file_changes_content() {
        let t = tempfile::tempdir().expect("tmp");
        let wc = WorkCache::at(t.path());
        let lib = t.path().join("libsys.a");
        std::fs::write(&lib, b"one").expect("write");
        let made = t.path().join("made");
        std::fs::create_dir_all(made.join("libs")).expect("mkdir");
        std::fs::write(made.join("prog"), b"program").expect("write");
        std::fs::write(made.join("log"), b"chatter").expect("write");
        let check = Check::of(&lib, None).expect("check");
        wc.store("k", "id1", &made, Path::new("prog"), &[], &[check])
            .expect("store");
        let e = wc.lookup("k").expect("fresh entry");
        assert_eq!(e.bytes, 7, "only the artifact is kept");
        let to = t.path().join("to");
        assert!(wc.copy_out(&e, &to));
        assert_eq!(std::fs::read(to.join("prog")).expect("copied"), b"program");
        assert!(!to.join("log").exists() && !to.join("libs").exists());
        // Touched, same content: still good. Other content of the same size: stale.
        std::fs::write(&lib, b"one").expect("write");
        assert!(wc.lookup("k").is_some(), "same content, new time");
        std::fs::write(&lib, b"two").expect("write");
        assert!(wc.lookup("k").is_none(), "new content");
    }

    #[test]
    fn eviction_removes_the_least_recently_used_first() {
        let t = tempfile::tempdir().expect("tmp");
        let wc = WorkCache::at(t.path());
        let made = t.path().join("made");
        std::fs::create_dir_all(&made).expect("mkdir");
        std::fs::write(made.join("a"), vec![0u8; 100]).expect("write");
        for k in ["old", "mid", "new"] {
            wc.store(k, k, &made, Path::new("a"), &[], &[])
                .expect("store");
        }
        let at = |k: &str, secs: u64| {
            std::fs::File::options()
                .write(true)
                .open(wc.entries().join(k).join("used"))
                .and_then(|f| {
                    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
                })
                .expect("touch");
        };
        at("old", 10);
        at("mid", 20);
        at("new", 30);
        assert_eq!(wc.evict(250), (1, 100));
        assert!(wc.lookup("old").is_none());
        assert!(wc.lookup("mid").is_some() && wc.lookup("new").is_some());
        assert_eq!(wc.evict(0), (2, 200));
        assert!(wc.list().is_empty());
    }
}
