//! The real-world corpus: Debian source packages, fetched with apt-get and cached under
//! target/corpus (set CONFESS_CORPUS to put the cache elsewhere). Never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn cache_dir() -> PathBuf {
    std::env::var_os("CONFESS_CORPUS")
        .map_or_else(|| super::repo().join("target/corpus"), PathBuf::from)
}

/// Versions of a source package the mirror lists, newest first.
fn versions(pkg: &str) -> Vec<String> {
    let out = Command::new("apt-cache")
        .args(["showsrc", pkg])
        .output()
        .expect("apt-cache");
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Version: ").map(String::from))
        .collect();
    v.dedup();
    v
}

/// Downloads a source package into the cache (once) and returns the cache directory for it.
/// The newest version is sometimes missing on the mirror: older ones are tried in turn.
pub fn download(pkg: &str) -> PathBuf {
    super::require("apt-get", "apt");
    let dir = cache_dir().join(pkg);
    let done = dir.join(".complete");
    if done.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("corpus cache");
    let vs = versions(pkg);
    assert!(!vs.is_empty(), "apt-cache showsrc {pkg} lists nothing: run scripts/install-deps.sh (it adds deb-src entries and runs apt-get update)");
    let mut errors = String::new();
    for v in &vs {
        let out = Command::new("apt-get")
            .args(["source", "--download-only", &format!("{pkg}={v}")])
            .current_dir(&dir)
            .output()
            .expect("apt-get source");
        if out.status.success() {
            std::fs::write(&done, v).expect("mark");
            return dir;
        }
        errors.push_str(&String::from_utf8_lossy(&out.stderr));
        // Some Debian diffs are missing on the mirror (pixman's): the upstream tarball alone
        // will do for callers of `upstream`.
        if orig_tarball(&dir).is_some() {
            std::fs::write(&done, v).expect("mark");
            return dir;
        }
    }
    panic!("could not download the source of {pkg} (tried {vs:?}):\n{errors}");
}

/// Unpacks the upstream tarball alone (`NAME_VERSION.orig.tar.*`) into `into`; returns the
/// top directory of the unpacked tree.
pub fn upstream(pkg: &str, into: &Path) -> PathBuf {
    let dir = download(pkg);
    let orig = orig_tarball(&dir)
        .unwrap_or_else(|| panic!("no .orig tarball for {pkg} in {}", dir.display()));
    std::fs::create_dir_all(into).expect("mkdir");
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&orig)
        .current_dir(into)
        .status()
        .expect("tar");
    assert!(st.success(), "tar -xf {}", orig.display());
    let mut tops: Vec<PathBuf> = std::fs::read_dir(into)
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(
        tops.len(),
        1,
        "{} unpacked into several directories",
        orig.display()
    );
    tops.remove(0)
}

/// The upstream tarball in a download directory (not its `.asc` signature).
fn orig_tarball(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.contains(".orig.tar.") && !n.ends_with(".asc")
            })
        })
}
