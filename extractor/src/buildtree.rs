//! The build tree as the build phase found it, so that the files the build phase wrote are told
//! from the ones configure wrote by what changed, not by comparing file times with a clock.
//!
//! A file time is the kernel's coarse clock (up to a tick behind the real one), so "written
//! after the build phase started" cannot be read off a time alone: configure's last line in
//! config.log, written a few milliseconds before the build phase, looks as new as the build's
//! first output. A snapshot of each file's size, inode and times when the build phase starts
//! says exactly which files the build phase made or changed. A file last written within one
//! clock tick of the snapshot could be written again in the same tick with the same size and
//! times: its content hash is kept too, and compared.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How far behind the clock a file time may be (a kernel tick is 1 to 10 ms).
const COARSE_NS: i128 = 20_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    ino: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            ino: m.ino(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        }
    }
}

/// The regular files below some directories, as they were when [`Before::take`] ran.
#[derive(Debug, Default)]
pub struct Before {
    /// Each file's stamp, and its content hash when it was written within a clock tick of
    /// the snapshot.
    files: HashMap<PathBuf, (Stamp, Option<String>)>,
}

impl Before {
    /// Records the regular files below `dirs` (symbolic links are not followed).
    #[must_use]
    pub fn take(dirs: &[&Path]) -> Before {
        let now = i128::from(confess_shims::ctx::now_ns());
        let mut files = HashMap::new();
        for dir in dirs {
            crate::walk::walk(dir, &mut |p, ft| {
                if ft.is_file() {
                    if let Ok(m) = std::fs::symlink_metadata(p) {
                        let s = Stamp::of(&m);
                        let recent = s.mtime_ns.max(s.ctime_ns) >= now - COARSE_NS;
                        let hash = if recent {
                            confess_shims::token::hash_file(p).ok()
                        } else {
                            None
                        };
                        files.insert(p.to_path_buf(), (s, hash));
                    }
                }
                true
            });
        }
        Before { files }
    }

    /// Whether the file at `p` is new since the snapshot or was written after it. A file that
    /// cannot be read now counts as changed.
    #[must_use]
    pub fn changed(&self, p: &Path) -> bool {
        let Some((was, hash)) = self.files.get(p) else {
            return true;
        };
        let Ok(m) = std::fs::symlink_metadata(p) else {
            return true;
        };
        if Stamp::of(&m) != *was {
            return true;
        }
        match hash {
            Some(h) => confess_shims::token::hash_file(p).map_or(true, |now| now != *h),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rewritten_and_untouched_files() {
        let d = tempfile::tempdir().expect("tmp");
        let (old, same, log, gone) = (
            d.path().join("old.h"),
            d.path().join("same.h"),
            d.path().join("config.log"),
            d.path().join("gone.c"),
        );
        for p in [&old, &same, &log, &gone] {
            std::fs::write(p, "x").expect("write");
        }
        let before = Before::take(&[d.path()]);
        assert_eq!(before.files.len(), 4);
        // Written again at once: same length, and perhaps the same coarse times.
        std::fs::write(&log, "y").expect("write");
        std::fs::write(d.path().join("new.c"), "z").expect("write");
        std::fs::remove_file(&gone).expect("rm");
        assert!(before.changed(&log), "rewritten in the same tick");
        assert!(before.changed(&d.path().join("new.c")), "new");
        assert!(before.changed(&gone), "gone");
        assert!(!before.changed(&old));
        assert!(!before.changed(&same));
    }
}
