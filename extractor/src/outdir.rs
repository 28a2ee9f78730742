//! The output directory, replaced whole or not at all. A confession is written into a staging
//! directory beside `--out` (`.NAME.confess-new-PID`) and swapped into place in one atomic
//! exchange (`renameat2(RENAME_EXCHANGE)`) when it is complete; until then `--out` holds the
//! previous confession, byte for byte, whatever stops the run. A lock file beside it
//! (`.NAME.confess-lock`, holding the owner's pid) keeps two runs apart, and a run that holds it
//! removes what a dead run left.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Marks a directory as confess's own, so a later run may replace it.
pub const MARKER: &str = ".confess-out";

/// The start of the names of confess's temporary files in a confession being written: never
/// the user's, whatever a killed run left.
pub const TEMP_PREFIX: &str = ".confess-tmp-";

/// Whether a name in the output directory is confess's: one of [`OWNED`], or a temporary file.
#[must_use]
pub fn owned(name: &std::ffi::OsStr) -> bool {
    OWNED.iter().any(|o| name == *o) || name.as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())
}

/// What confess writes into the output directory. Anything else in it (a file the user put
/// there) is carried into the next confession.
pub const OWNED: &[&str] = &[
    MARKER,
    "compile_commands.json",
    "link_commands.json",
    "graph.json",
    "graph.dot",
    "graph-files.dot",
    "graph.txt",
    "summary.txt",
    "build.log",
    "generated",
    "build",
    "cmake-file-api",
    "config.log",
    "meson-info",
    "fake",
    "confession",
    "dhall",
    "targets.json",
    "report.md",
    "report.html",
    "log.jsonl",
    "verify",
];

/// `--out` held for one run: its lock, released when this is dropped.
pub struct Lock {
    _file: File,
}

/// A confession being written: where it goes, and where it is written until it is complete.
/// Dropped without `commit`, the staging directory is removed and `--out` is as it was.
pub struct Staged {
    /// The output directory, absolute (it may not exist yet).
    pub out: PathBuf,
    /// Where the confession is written: a directory beside `out`, on the same file system.
    pub stage: PathBuf,
    _lock: Lock,
    committed: bool,
}

fn name_of(out: &Path) -> Result<String> {
    out.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{} cannot be an output directory", out.display())))
}

/// `out` made absolute without requiring it to exist: its parent is created and canonical.
pub fn absolute(out: &Path) -> Result<PathBuf> {
    if out.is_dir() {
        return std::fs::canonicalize(out).map_err(|e| Error::io("reading", out, e));
    }
    let abs = std::path::absolute(out).map_err(|e| Error::io("reading", out, e))?;
    let name = name_of(&abs)?;
    let parent = abs.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io("creating the output directory's parent", parent, e))?;
    let parent = std::fs::canonicalize(parent).map_err(|e| Error::io("reading", parent, e))?;
    Ok(parent.join(name))
}

fn beside(out: &Path, what: &str) -> Result<PathBuf> {
    let name = name_of(out)?;
    Ok(out
        .parent()
        .unwrap_or(Path::new("/"))
        .join(format!(".{name}.confess-{what}")))
}

/// The lock file of an output directory.
pub fn lock_path(out: &Path) -> Result<PathBuf> {
    beside(out, "lock")
}

/// Takes `out`'s lock, or says which run holds it.
pub fn lock(out: &Path) -> Result<Lock> {
    let path = lock_path(out)?;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io("opening the lock", &path, e))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            return Err(Error::Busy {
                out: out.to_path_buf(),
                holder: pid.trim().to_string(),
                lock: path,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("locking", &path, e)),
    }
    let _ = f.set_len(0);
    let _ = f.rewind();
    let _ = writeln!(f, "{}", std::process::id());
    Ok(Lock { _file: f })
}

/// Moves what the user put into an output directory (anything confess does not write) from
/// `from` to `to`, where `to` lacks it.
fn carry_foreign(from: &Path, to: &Path) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name();
        if owned(&name) {
            continue;
        }
        let dest = to.join(&name);
        if dest.symlink_metadata().is_err() {
            std::fs::rename(e.path(), &dest).map_err(|err| Error::io("moving", e.path(), err))?;
        }
    }
    Ok(())
}

/// Removes the staging directories of runs that died (the caller holds the lock, so no live
/// run owns one), giving back to `out` anything of the user's a run had moved into one.
fn recover(out: &Path) -> Result<()> {
    let name = name_of(out)?;
    let prefix = format!(".{name}.confess-new-");
    let parent = out.parent().unwrap_or(Path::new("/"));
    let Ok(rd) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for e in rd.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let dead = e.path();
        if out.is_dir() {
            carry_foreign(&dead, out)?;
        }
        std::fs::remove_dir_all(&dead).map_err(|err| Error::io("removing", &dead, err))?;
    }
    Ok(())
}

impl Staged {
    /// Locks `out`, removes what dead runs left beside it, and makes the staging directory.
    /// Refuses an `out` that holds the sources, is not a directory, or is a non-empty directory
    /// confess did not write.
    pub fn begin(out: &Path, src: &Path) -> Result<Staged> {
        let out = absolute(out)?;
        if out == src || src.starts_with(&out) {
            return Err(Error::Usage(format!(
                "the output directory {} contains the sources {}: choose another --out",
                out.display(),
                src.display()
            )));
        }
        if out.symlink_metadata().is_ok() && !out.is_dir() {
            return Err(Error::Usage(format!(
                "{} is not a directory: choose another --out",
                out.display()
            )));
        }
        let lock = lock(&out)?;
        recover(&out)?;
        if out.is_dir() {
            let empty = std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_none());
            if !empty && !out.join(MARKER).exists() {
                return Err(Error::Usage(format!(
                    "{} is not empty and was not written by confess; choose another --out or empty it",
                    out.display()
                )));
            }
        }
        let stage = beside(&out, &format!("new-{}", std::process::id()))?;
        std::fs::create_dir(&stage)
            .map_err(|e| Error::io("creating the staging directory", &stage, e))?;
        let marker = stage.join(MARKER);
        std::fs::write(&marker, "This directory holds the output of confess.\n")
            .map_err(|e| Error::io("writing", &marker, e))?;
        Ok(Staged {
            out,
            stage,
            _lock: lock,
            committed: false,
        })
    }

    /// Where a path under the output directory is while the confession is being written.
    #[must_use]
    pub fn place(&self, p: &Path) -> PathBuf {
        match p.strip_prefix(&self.out) {
            Ok(rest) => self.stage.join(rest),
            Err(_) => p.to_path_buf(),
        }
    }

    /// Puts the complete confession in place of the previous one in one step, keeps what the
    /// user put there, and removes the previous one.
    pub fn commit(mut self) -> Result<()> {
        if self.out.symlink_metadata().is_ok() {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.stage,
                rustix::fs::CWD,
                &self.out,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .map_err(|e| Error::io("putting the confession in place of", &self.out, e.into()))?;
            // The staging directory now holds the previous confession.
            carry_foreign(&self.stage, &self.out)?;
            std::fs::remove_dir_all(&self.stage)
                .map_err(|e| Error::io("removing", &self.stage, e))?;
        } else {
            std::fs::rename(&self.stage, &self.out)
                .map_err(|e| Error::io("putting the confession in place at", &self.out, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.stage);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(d: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = crate::walk::files_below(d)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(d).expect("below").display().to_string(),
                    std::fs::read_to_string(&p).unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_confession_replaces_the_previous_one_whole_and_keeps_the_users_files() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("src");
        std::fs::create_dir(&src).expect("src");
        let out = tmp.path().join("out");
        let s = Staged::begin(&out, &src).expect("begin");
        std::fs::write(s.stage.join("report.md"), "one").expect("write");
        assert!(!out.exists(), "nothing in place before the commit");
        s.commit().expect("commit");
        std::fs::write(out.join("notes.txt"), "mine").expect("user file");
        let before = tree(&out);
        // A run that stops before its commit leaves the previous confession as it was.
        let s = Staged::begin(&out, &src).expect("begin");
        std::fs::write(s.stage.join("report.md"), "two").expect("write");
        let stage = s.stage.clone();
        drop(s);
        assert_eq!(tree(&out), before);
        assert!(!stage.exists());
        // A committed one replaces it, with the user's file carried over.
        let s = Staged::begin(&out, &src).expect("begin");
        std::fs::write(s.stage.join("report.md"), "three").expect("write");
        s.commit().expect("commit");
        let after = tree(&out);
        assert!(
            after.contains(&("report.md".into(), "three".into())),
            "{after:?}"
        );
        assert!(
            after.contains(&("notes.txt".into(), "mine".into())),
            "{after:?}"
        );
        let beside: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("confess-new"))
            .collect();
        assert!(beside.is_empty(), "{beside:?}");
    }

    #[test]
    fn a_second_run_is_told_who_holds_the_output() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("src");
        std::fs::create_dir(&src).expect("src");
        let out = tmp.path().join("out");
        let first = Staged::begin(&out, &src).expect("begin");
        match Staged::begin(&out, &src) {
            Err(Error::Busy { holder, .. }) => {
                assert_eq!(holder, std::process::id().to_string());
            }
            other => panic!("expected Busy, got {:?}", other.map(|s| s.stage.clone())),
        }
        drop(first);
        Staged::begin(&out, &src).expect("free again");
    }

    #[test]
    fn a_dead_runs_staging_is_removed_and_what_it_carried_given_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("src");
        std::fs::create_dir(&src).expect("src");
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).expect("out");
        std::fs::write(out.join(MARKER), "").expect("marker");
        let dead = tmp.path().join(".out.confess-new-999999");
        std::fs::create_dir(&dead).expect("dead");
        std::fs::write(dead.join("report.md"), "partial").expect("w");
        std::fs::write(dead.join("notes.txt"), "mine").expect("w");
        // A temporary file of confess's own, as a run killed while rewriting build.log leaves.
        std::fs::write(dead.join(".confess-tmp-build.log"), "half").expect("w");
        let s = Staged::begin(&out, &src).expect("begin");
        assert!(!dead.exists());
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).expect("given back"),
            "mine"
        );
        assert!(!out.join("report.md").exists());
        assert!(!out.join(".confess-tmp-build.log").exists());
        drop(s);
    }
}
