//! Mapping paths seen in the scratch copy back to places that outlive the confession: the
//! user's source tree for sources, the output directory for generated files.
//!
//! As in the shims (`confess_shims::raw`): a `Path` holds a path's real bytes, a `String` its
//! text form. The confession's words and paths are text; they become paths through
//! `raw::path` to be located, and located paths (`Loc`) and every path written out are text
//! again (`raw::text_path`), so a name that is not UTF-8 comes out whole.

use confess_shims::raw;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which tree a path is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Root {
    /// The user's source directory: files that exist there.
    Source,
    /// The build directory: files the build made (objects, libraries, generated sources).
    /// For in-source builds (Make) it is laid over the source directory.
    Build,
    /// Outside both trees: system headers, toolchain files (absolute paths).
    System,
}

/// A path relative to a root.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Loc {
    pub root: Root,
    /// Text (see `confess_shims::raw`).
    pub path: String,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.root {
            Root::Source | Root::System => write!(f, "{}", self.path),
            Root::Build => write!(f, "[build]/{}", self.path),
        }
    }
}

/// Where the absolute path `path` first occurs in `word`: at a slash, so only the slashes are
/// searched for (a search for the whole path sets up a searcher on every call, and words are
/// mapped by the hundred thousand).
fn find_absolute(word: &str, path: &str) -> Option<usize> {
    if !path.starts_with('/') {
        return word.find(path);
    }
    word.match_indices('/')
        .map(|(i, _)| i)
        .find(|&i| word[i..].starts_with(path))
}

/// Where generated files are kept in the output directory `out` ([`PathMap::generated_dir`]).
#[must_use]
pub fn generated_dir(out: &Path, out_of_tree: bool) -> PathBuf {
    out.join(if out_of_tree { "build" } else { "generated" })
}

pub struct PathMap {
    /// The scratch copy of the sources.
    pub scratch_src: PathBuf,
    /// The scratch build directory (the same as `scratch_src` for in-source builds).
    pub scratch_build: PathBuf,
    /// The user's source directory.
    pub user_src: PathBuf,
    /// Where generated files are kept: `<out>/generated` for in-source builds; `<out>/build`
    /// for out-of-tree builds, whose build tree exists only in the confession and is laid out
    /// there (generated files, and the directories build commands ran in).
    pub generated_dir: PathBuf,
    /// Directories of shim links: a tool named by a path there is the real tool of that name.
    pub tool_dirs: Vec<PathBuf>,
    /// Other scratch directories and where they are kept (made-up packages' stubs).
    pub extra: Vec<(PathBuf, PathBuf)>,
    /// Files that exist in the user's tree (relative paths), read once.
    user_files: BTreeSet<String>,
    /// What interpretation reads of the machine, answered and recorded (`tree`).
    pub tree: crate::tree::Tree,
    /// What [`PathMap::locate`] answered, by the path it was asked: most paths are asked
    /// again and again (a header by every compile that reads it).
    located: std::sync::Mutex<std::collections::HashMap<PathBuf, Loc>>,
}

impl PathMap {
    /// The map of a confession whose scratch copy is `scratch_src` and build directory
    /// `scratch_build`, of the sources in `user_src`, written to `out`. The user's tree is
    /// listed through `tree`, without `listed_out` (the output directory the confession was
    /// made into: the same as `out`, but when a confession is interpreted again elsewhere).
    pub fn new(
        scratch_src: &Path,
        scratch_build: &Path,
        user_src: &Path,
        out: &Path,
        tree: crate::tree::Tree,
        listed_out: &Path,
    ) -> PathMap {
        // Directories are listed too (with a trailing slash) so that working directories that
        // exist in the user's tree map back to it.
        let mut user_files = BTreeSet::new();
        for (p, kind) in tree.list(user_src, Some(listed_out)) {
            if let Ok(rel) = p.strip_prefix(user_src) {
                let rel = raw::text_path(rel);
                user_files.insert(if kind == crate::tree::Kind::Dir {
                    format!("{rel}/")
                } else {
                    rel.into_owned()
                });
            }
        }
        let out_of_tree = scratch_src != scratch_build;
        PathMap {
            scratch_src: scratch_src.to_path_buf(),
            scratch_build: scratch_build.to_path_buf(),
            user_src: user_src.to_path_buf(),
            generated_dir: generated_dir(out, out_of_tree),
            tool_dirs: Vec::new(),
            extra: Vec::new(),
            user_files,
            tree,
            located: std::sync::Mutex::default(),
        }
    }

    pub fn out_of_tree(&self) -> bool {
        self.scratch_src != self.scratch_build
    }

    /// Whether `rel` (text, relative to the source root) is a file or directory of the user's
    /// tree.
    pub fn user_has(&self, rel: &str) -> bool {
        rel.is_empty()
            || self.user_files.contains(rel)
            || self.user_files.contains(&format!("{rel}/"))
    }

    /// argv[0] as the user would run it: a shim link becomes the real tool of that name found
    /// on PATH (as Bear records it); anything else stays as the build wrote it.
    pub fn map_tool(&self, argv0: &str) -> String {
        let p = raw::path(argv0);
        if p.is_absolute()
            && self
                .tool_dirs
                .iter()
                .any(|d| p.parent() == Some(d.as_path()))
        {
            if let Some(name) = p.file_name() {
                if let Some(real) = self.tree.which(name) {
                    return raw::text_path(&real).into_owned();
                }
                return raw::text_os(name).into_owned();
            }
        }
        self.map_word(argv0, &BTreeSet::new())
    }

    /// Where an absolute path seen during the build belongs (a real path: a word of the
    /// confession becomes one through `raw::path`).
    pub fn locate(&self, abs: &Path) -> Loc {
        // The scratch roots and the user's files do not change: an answer stays true.
        let mut memo = self
            .located
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(loc) = memo.get(abs) {
            return loc.clone();
        }
        let loc = self.locate_uncached(abs);
        memo.insert(abs.to_path_buf(), loc.clone());
        loc
    }

    fn locate_uncached(&self, abs: &Path) -> Loc {
        let abs = confess_shims::headers::lexical(abs);
        if let Ok(rel) = abs.strip_prefix(&self.scratch_src) {
            let rel = raw::text_path(rel).into_owned();
            if rel.is_empty()
                || self.user_files.contains(&rel)
                || self.user_files.contains(&format!("{rel}/"))
            {
                return Loc {
                    root: Root::Source,
                    path: rel,
                };
            }
            if self.scratch_build == self.scratch_src {
                return Loc {
                    root: Root::Build,
                    path: rel,
                };
            }
            // An out-of-tree build that wrote into the source copy: relative to the build root.
            return Loc {
                root: Root::Build,
                path: relative(&abs, &self.scratch_build),
            };
        }
        if let Ok(rel) = abs.strip_prefix(&self.scratch_build) {
            return Loc {
                root: Root::Build,
                path: raw::text_path(rel).into_owned(),
            };
        }
        Loc {
            root: Root::System,
            path: raw::text_path(&abs).into_owned(),
        }
    }

    /// The scratch path a location stands for (the inverse of `locate`).
    pub fn scratch_root_join(&self, loc: &Loc) -> PathBuf {
        let rel = raw::path(&loc.path);
        match loc.root {
            Root::Source => self.scratch_src.join(rel),
            Root::Build => confess_shims::headers::lexical(&self.scratch_build.join(rel)),
            Root::System => rel.into_owned(),
        }
    }

    /// The absolute path a user can open: the source tree, the kept copy of a generated file,
    /// or (for build outputs that are not kept) where the file lies in an in-source build.
    pub fn user_path(&self, abs: &Path, generated: &BTreeSet<String>) -> PathBuf {
        let loc = self.locate(abs);
        let rel = raw::path(&loc.path);
        match loc.root {
            Root::Source if loc.path.is_empty() => self.user_src.clone(),
            Root::Build if generated.contains(&loc.path) || self.out_of_tree() => {
                confess_shims::headers::lexical(&self.generated_dir.join(rel))
            }
            Root::Source | Root::Build => self.user_src.join(rel),
            Root::System => rel.into_owned(),
        }
    }

    /// `user_path` as text, as every output writes it.
    pub fn user_text(&self, abs: &Path, generated: &BTreeSet<String>) -> String {
        raw::text_path(&self.user_path(abs, generated)).into_owned()
    }

    /// Rewrites every scratch path inside a word (`-I/tmp/confess-x/src/inc` and the like).
    /// The word and the result are text.
    pub fn map_word(&self, word: &str, generated: &BTreeSet<String>) -> String {
        // Every path this maps is absolute: a word with no slash (most flags) stays as it is.
        if !word.contains('/') {
            return word.to_string();
        }
        for (from, to) in &self.extra {
            let f = raw::text_path(from);
            if find_absolute(word, &f).is_some() {
                return word.replace(f.as_ref(), &raw::text_path(to));
            }
        }
        // Every scratch path in the word, each up to the end of the word or of its list item
        // (`-Wl,-rpath,/s/build:/s/build/lib`, `--flag=/s/a,/s/b`).
        let bases = [
            raw::text_path(&self.scratch_build),
            raw::text_path(&self.scratch_src),
        ];
        let mut out = String::new();
        let mut rest = word;
        loop {
            let hit = bases
                .iter()
                .filter_map(|b| find_absolute(rest, b).map(|i| (i, b.len())))
                .min_by_key(|&(i, len)| (i, std::cmp::Reverse(len)));
            let Some((pos, len)) = hit else {
                out.push_str(rest);
                return out;
            };
            let end = rest[pos + len..]
                .find([':', ',', ';'])
                .map_or(rest.len(), |e| pos + len + e);
            out.push_str(&rest[..pos]);
            out.push_str(&self.user_text(&raw::path(&rest[pos..end]), generated));
            rest = &rest[end..];
        }
    }
}

impl PathMap {
    /// Out-of-tree builds name sources by relative paths leaving the build directory (meson:
    /// `-I../src/inc`, run from the build directory): those point at the user's tree, since the
    /// scratch copy they resolve to is gone. Other words are left as they are.
    pub fn map_relative(&self, word: &str, cwd: &Path, generated: &BTreeSet<String>) -> String {
        const PREFIXES: &[&str] = &[
            "-I",
            "-iquote",
            "-isystem",
            "-idirafter",
            "-include",
            "-imacros",
            "-L",
            "",
        ];
        // `word` is text, `cwd` a real path.
        if !self.out_of_tree() {
            return word.to_string();
        }
        for p in PREFIXES {
            let Some(rest) = word.strip_prefix(p).filter(|r| r.starts_with("../")) else {
                continue;
            };
            let abs = confess_shims::headers::lexical(&cwd.join(raw::path(rest)));
            if abs.starts_with(&self.scratch_src) && !abs.starts_with(&self.scratch_build) {
                return format!("{p}{}", self.user_text(&abs, generated));
            }
            break;
        }
        word.to_string()
    }
}

/// `path` relative to `base` (both absolute and lexically clean), with `..` where needed, as
/// text.
#[must_use]
pub fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    raw::text_path(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_generated_and_system_paths() {
        let t = tempfile::tempdir().expect("tmp");
        let user = t.path().join("user");
        std::fs::create_dir_all(user.join("inc")).expect("mkdir");
        std::fs::write(user.join("inc/a.h"), "").expect("write");
        let m = PathMap::new(
            Path::new("/s/src"),
            Path::new("/s/src"),
            &user,
            &t.path().join("out"),
            crate::tree::Tree::for_test(),
            &t.path().join("out"),
        );
        assert_eq!(
            m.locate(Path::new("/s/src/inc/a.h")),
            Loc {
                root: Root::Source,
                path: "inc/a.h".into()
            }
        );
        assert_eq!(
            m.locate(Path::new("/s/src/./gen/../table.c")),
            Loc {
                root: Root::Build,
                path: "table.c".into()
            }
        );
        assert_eq!(
            m.locate(Path::new("/usr/include/stdio.h")).root,
            Root::System
        );
        let generated: BTreeSet<String> = ["table.c".to_string()].into();
        assert_eq!(
            m.map_word("-I/s/src/inc", &generated),
            format!("-I{}", user.join("inc").display())
        );
        assert_eq!(
            m.map_word("/s/src/table.c", &generated),
            t.path().join("out/generated/table.c").display().to_string()
        );
        // Every scratch path of a list, each up to its separator.
        assert_eq!(
            m.map_word("-Wl,-rpath,/s/src/inc:/s/src:/usr/lib", &generated),
            format!(
                "-Wl,-rpath,{}:{}:/usr/lib",
                user.join("inc").display(),
                user.display()
            )
        );
    }

    #[test]
    fn relative_paths_out_of_the_build_directory_point_at_the_user_tree() {
        let t = tempfile::tempdir().expect("tmp");
        let user = t.path().join("user");
        std::fs::create_dir_all(user.join("inc")).expect("mkdir");
        let m = PathMap::new(
            Path::new("/s/src"),
            Path::new("/s/build"),
            &user,
            &t.path().join("out"),
            crate::tree::Tree::for_test(),
            &t.path().join("out"),
        );
        let none = BTreeSet::new();
        let cwd = Path::new("/s/build");
        assert_eq!(
            m.map_relative("-I../src/inc", cwd, &none),
            format!("-I{}", user.join("inc").display())
        );
        assert_eq!(
            m.map_relative("../src/inc", cwd, &none),
            user.join("inc").display().to_string()
        );
        assert_eq!(m.map_relative("-Isub", cwd, &none), "-Isub");
        assert_eq!(m.map_relative("-I../build/x", cwd, &none), "-I../build/x");
    }
}
