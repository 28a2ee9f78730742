//! Where the work cache lives (`confess_shims::workcache`), how large it may grow, and the
//! lock a confession holds on it while it runs.
//!
//! `CONFESS_CACHE` names the directory (`off` turns the cache off); by default it is
//! `$XDG_CACHE_HOME/confess`, else `~/.cache/confess`. `CONFESS_CACHE_SIZE` bounds it (bytes,
//! or a number with K, M or G; 4G by default). Every running confession holds the cache's lock
//! shared; at its end a confession that can take the lock alone (no other is running) removes
//! the least recently used entries beyond the bound.

use crate::error::{Error, Result};
use confess_shims::workcache::WorkCache;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const ENV_DIR: &str = "CONFESS_CACHE";
pub const ENV_SIZE: &str = "CONFESS_CACHE_SIZE";
/// The bound when `CONFESS_CACHE_SIZE` is not set.
pub const DEFAULT_SIZE: u64 = 4 << 30;

/// The cache a confession uses, with its lock held shared.
pub struct Held {
    pub cache: WorkCache,
    pub dir: PathBuf,
    pub limit: u64,
    lock: std::fs::File,
}

/// The directory the settings name: `None` when the cache is off.
pub fn dir() -> Result<Option<PathBuf>> {
    if let Some(v) = std::env::var_os(ENV_DIR) {
        if v == "off" {
            return Ok(None);
        }
        let p = PathBuf::from(&v);
        if p.as_os_str().is_empty() {
            return Err(Error::Usage(format!(
                "{ENV_DIR} is empty: set it to a directory for the work cache, or to `off`"
            )));
        }
        return Ok(Some(std::path::absolute(&p).unwrap_or(p)));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")));
    Ok(base.map(|b| b.join("confess")))
}

/// The size bound (`CONFESS_CACHE_SIZE`).
pub fn limit() -> Result<u64> {
    let Ok(text) = std::env::var(ENV_SIZE) else {
        return Ok(DEFAULT_SIZE);
    };
    parse_size(&text).ok_or_else(|| {
        Error::Usage(format!(
            "{ENV_SIZE}={text:?} is not a size: give bytes, or a number with K, M or G (4G)"
        ))
    })
}

fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = num.parse().ok()?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

/// Opens the cache and holds its lock shared, for the length of a confession. A cache named by
/// `CONFESS_CACHE` that cannot be made is an error; the default one only turns the cache off,
/// with a note.
pub fn open() -> Result<Option<Held>> {
    let limit = limit()?;
    let Some(dir) = dir()? else {
        return Ok(None);
    };
    let cache = WorkCache::at(&dir);
    let made = cache.create().and_then(|()| {
        let lock = std::fs::File::options()
            .read(true)
            .write(true)
            .open(cache.lock_path())?;
        lock.lock_shared()?;
        Ok(lock)
    });
    match made {
        Ok(lock) => Ok(Some(Held {
            cache,
            dir,
            limit,
            lock,
        })),
        Err(e) if std::env::var_os(ENV_DIR).is_some() => Err(Error::Usage(format!(
            "{ENV_DIR}={}: cannot use it for the work cache ({e}); name a directory you can \
             write, or set {ENV_DIR}=off",
            dir.display()
        ))),
        Err(e) => {
            eprintln!(
                "confess: note: no work cache ({}: {e}); set {ENV_DIR} to a directory you can \
                 write",
                dir.display()
            );
            Ok(None)
        }
    }
}

impl Held {
    /// Lets go of the lock, then, when no other confession holds it, keeps the cache within its
    /// bound. Returns the entries and bytes removed.
    #[must_use]
    pub fn finish(self) -> (usize, u64) {
        let Held {
            cache, limit, lock, ..
        } = self;
        drop(lock);
        let Ok(alone) = std::fs::File::options()
            .read(true)
            .write(true)
            .open(cache.lock_path())
        else {
            return (0, 0);
        };
        if alone.try_lock().is_err() {
            return (0, 0);
        }
        cache.evict(limit)
    }
}

/// `confess cache [--clear]`: where the cache is, what it holds, its size against its bound;
/// with `clear`, everything removed first (only when no confession holds the cache).
pub fn describe(clear: bool) -> Result<String> {
    let limit = limit()?;
    let Some(dir) = dir()? else {
        return Ok(format!("work cache: off ({ENV_DIR}=off)\n"));
    };
    let cache = WorkCache::at(&dir);
    let mut out = String::new();
    if clear && cache.root.is_dir() {
        let lock = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(cache.lock_path())
            .map_err(|e| Error::io("opening", cache.lock_path(), e))?;
        if lock.try_lock().is_err() {
            return Err(Error::CacheBusy {
                dir: dir.clone(),
                lock: cache.lock_path(),
            });
        }
        let (n, bytes) = cache.evict(0);
        let _ = writeln!(out, "removed {n} entries ({:.1} MiB)", mib(bytes));
    }
    let (mut realized, mut probes, mut bytes) = (0usize, 0usize, 0u64);
    for (key, b, _) in cache.list() {
        bytes += b;
        match cache.get(&key) {
            Some((_, meta)) if meta["probe"].as_bool() == Some(true) => probes += 1,
            _ => realized += 1,
        }
    }
    let source = if std::env::var_os(ENV_DIR).is_some() {
        ENV_DIR
    } else {
        "default"
    };
    let _ = write!(
        out,
        "work cache: {} ({source})\n  entries  {} ({realized} realized artifacts, {probes} configure probes)\n  size     {:.1} MiB of {:.1} MiB ({ENV_SIZE})\n",
        dir.display(),
        realized + probes,
        mib(bytes),
        mib(limit),
    );
    Ok(out)
}

/// Bytes in MiB, for showing.
#[allow(clippy::cast_precision_loss)] // reason: shown to a tenth of a MiB; exact below 8 PiB
fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_units() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("2 GiB"), Some(2 << 30));
        assert_eq!(parse_size("12k"), Some(12 << 10));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5X"), None);
    }
}
