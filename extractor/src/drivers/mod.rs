//! Drivers: one per build system, each a small plan of steps run under the shims.

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
    fn names(&self, _out: &Path) -> crate::targets::names::Names {
        crate::targets::names::Names::default()
    }
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
