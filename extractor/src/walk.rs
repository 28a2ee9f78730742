//! Walking a directory tree without following symbolic links.

use std::path::{Path, PathBuf};

/// Visits every entry below `dir`, depth first, without following symbolic links: each path
/// with its file type. A directory is descended into when `visit` returns true for it; a
/// directory that cannot be read is passed over.
pub fn walk(dir: &Path, visit: &mut dyn FnMut(&Path, std::fs::FileType) -> bool) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if visit(&p, ft) && ft.is_dir() {
            walk(&p, visit);
        }
    }
}

/// The regular files below `dir`.
#[must_use]
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut |p, ft| {
        if ft.is_file() {
            out.push(p.to_path_buf());
        }
        true
    });
    out
}
