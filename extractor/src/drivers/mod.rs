//! Drivers: one per build system, each a small plan of steps run under the shims.

pub mod all_targets;
pub mod autotools;
pub mod cmake;
pub mod make;
pub mod meson;
pub mod ninja;
pub mod run;

use crate::confession::Options;
use crate::error::{Error, Result};
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};

/// One command of a confession, run in the scratch copy.
#[derive(Clone, Debug)]
pub struct Step {
    pub label: String,
    pub phase: Phase,
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

pub trait Driver {
    /// The build system's name, as in `confess NAME`.
    fn name(&self) -> &'static str;
    /// The user's source directory (canonical).
    fn source(&self) -> &Path;
    /// Whether the build writes into a build directory beside the sources.
    fn out_of_tree(&self) -> bool {
        false
    }
    /// The directories below `source()` that are copied (relative; empty: all of it).
    /// `confess ninja` on a build directory far from its sources copies the two alone, each
    /// at its place below their common ancestor.
    fn subtrees(&self) -> Vec<PathBuf> {
        vec![PathBuf::new()]
    }
    /// The commands to run, in order, against the scratch copy.
    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>>;
    /// Files or directories of the scratch area to keep in the output directory (under the
    /// given name), when they exist.
    fn keep(&self, _scratch: &Scratch) -> Vec<(PathBuf, &'static str)> {
        Vec::new()
    }
    /// The build as the project runs it without confess, for `confess verify`: the commands to
    /// run against a scratch copy with the real tools and nothing of confess's in place.
    /// `None`: verify cannot run this build system's build for real yet.
    fn real_steps(&self, _scratch: &Scratch, _opts: &Options) -> Result<Option<Vec<Step>>> {
        Ok(None)
    }
    /// What the build system calls its targets, read from what the confession kept in the
    /// output directory (CMake's File API reply). Targets with no name here are named after
    /// their output file.
    /// Words for the user when a step fails: the file and line the build system named.
    fn explain_failure(&self, _log: &str) -> Option<String> {
        None
    }
}

/// Resolves a source directory given on the command line.
pub fn source_dir(p: &Path) -> Result<PathBuf> {
    let c = std::fs::canonicalize(p).map_err(|e| Error::Input {
        path: p.to_path_buf(),
        reason: format!("cannot open the source directory: {e}"),
    })?;
    if !c.is_dir() {
        return Err(Error::Input {
            path: c,
            reason: "not a directory".into(),
        });
    }
    Ok(c)
}

/// Fails with a clear message when a tool the driver runs is not installed.
pub fn require_tool(name: &str, hint: &str) -> Result<PathBuf> {
    which::which(name).map_err(|_| Error::MissingTool {
        tool: name.into(),
        hint: hint.into(),
    })
}

/// Each copied directory of the user's and its copy below `copy` (a copy of `source()`):
/// (the user's, the copy).
pub fn copies(driver: &dyn Driver, copy: &Path) -> Vec<(PathBuf, PathBuf)> {
    let join = |root: &Path, rel: &Path| {
        if rel.as_os_str().is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel)
        }
    };
    driver
        .subtrees()
        .iter()
        .map(|rel| (join(driver.source(), rel), join(copy, rel)))
        .collect()
}

/// What the build system said of its targets' names, from what the output directory `out`
/// keeps of it (CMake's File API reply); nothing for the build systems that say nothing.
pub fn names(driver: &str, out: &Path) -> crate::targets::names::Names {
    match driver {
        "cmake" => crate::targets::names::cmake(&out.join("cmake-file-api")),
        _ => crate::targets::names::Names::default(),
    }
}

/// Copies what the driver builds from into `copy`, skipping `skip`.
pub fn copy_source(driver: &dyn Driver, copy: &Path, skip: &[&Path]) -> Result<()> {
    std::fs::create_dir_all(copy).map_err(|e| crate::error::Error::io("creating", copy, e))?;
    for (from, to) in copies(driver, copy) {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| crate::error::Error::io("creating", parent, e))?;
        }
        crate::scratch::copy_tree(&from, &to, skip)?;
    }
    Ok(())
}

/// The bytes of what the driver copies.
pub fn source_bytes(driver: &dyn Driver) -> u64 {
    copies(driver, Path::new("/"))
        .iter()
        .map(|(from, _)| crate::scratch::tree_bytes(from))
        .sum()
}
