//! Drivers: one per build system, each a small plan of steps run under the shims.

pub mod all_targets;
pub mod autotools;
pub mod cmake;
pub mod make;
pub mod meson;
pub mod ninja;
pub mod run;

use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use autotools::Autotools;
use cmake::Cmake;
use confess_shims::session::Phase;
use make::Make;
use meson::Meson;
use ninja::Ninja;
use run::Run;
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

/// A confessing command's driver and its arguments, as data: what `run.json` keeps, so that
/// `confess verify` runs the same build for real without parsing a command line again. Paths
/// are absolute, in text form (`confess_shims::raw`).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "driver", rename_all = "lowercase", deny_unknown_fields)]
pub enum Config {
    Make {
        src: String,
        make_args: Vec<String>,
    },
    Cmake {
        src: String,
        generator: cmake::Generator,
        deps: cmake::Deps,
        all_targets: bool,
        cmake_args: Vec<String>,
    },
    Autotools {
        src: String,
        deps: cmake::Deps,
        vpath: bool,
        configure_args: Vec<String>,
        make_args: Vec<String>,
    },
    Meson {
        src: String,
        deps: cmake::Deps,
        all_targets: bool,
        meson_args: Vec<String>,
    },
    Ninja {
        build_dir: String,
        targets: Vec<String>,
    },
    Run {
        dir: String,
        cmd: Vec<String>,
    },
}

/// A directory of the command line, absolute (relative to the working directory), as text.
#[must_use]
pub fn absolute_text(p: &Path) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    confess_shims::raw::text_path(&abs).into_owned()
}

impl Config {
    /// The driver this configuration names (its source directory checked as the command's is).
    pub fn driver(&self) -> Result<Box<dyn Driver>> {
        let p = |t: &str| confess_shims::raw::path(t).into_owned();
        Ok(match self.clone() {
            Config::Make { src, make_args } => Box::new(Make::new(&p(&src), make_args)?),
            Config::Cmake {
                src,
                generator,
                deps,
                all_targets,
                cmake_args,
            } => Box::new(
                Cmake::new(&p(&src), generator, deps, cmake_args)?.all_targets(all_targets),
            ),
            Config::Autotools {
                src,
                deps,
                vpath,
                configure_args,
                make_args,
            } => Box::new(Autotools::new(
                &p(&src),
                deps,
                vpath,
                configure_args,
                make_args,
            )?),
            Config::Meson {
                src,
                deps,
                all_targets,
                meson_args,
            } => Box::new(Meson::new(&p(&src), deps, meson_args)?.all_targets(all_targets)),
            Config::Ninja { build_dir, targets } => Box::new(Ninja::new(&p(&build_dir), targets)?),
            Config::Run { dir, cmd } => Box::new(Run::new(&p(&dir), cmd)?),
        })
    }
}

/// What the build system said of its targets' names, from what the output directory `out`
/// keeps of it (CMake's File API reply); nothing for the build systems that say nothing.
#[must_use]
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
