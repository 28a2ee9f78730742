//! Errors of the confess CLI and library, each with the exit code it maps to.
//! The codes are documented in README.md ("Exit codes").

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line makes no sense (clap reports its own errors with code 2 too).
    #[error("{0}")]
    Usage(String),
    /// The source directory is missing or is not something this driver can build.
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    /// A tool the confession needs is not installed.
    #[error("`{tool}` is not installed or not on PATH: {hint}")]
    MissingTool { tool: String, hint: String },
    /// The build failed under confess. What was recorded is kept and extracted.
    #[error("the build failed: `{command}` exited with status {status}{detail}")]
    BuildFailed {
        command: String,
        status: i32,
        detail: String,
    },
    /// Reading or writing a file.
    #[error("{what} {path}: {source}")]
    Io {
        what: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// `confess verify`: the manifest build does not give what the real build gives.
    #[error("verify: {failing} of {total} targets differ from the real build{unclaimed} (verify/verify.json says how)")]
    Mismatch {
        failing: usize,
        total: usize,
        /// Words on artifacts the real build made that no manifest target builds.
        unclaimed: String,
    },
    /// The engine's types cannot express a toolchain of the build: the engine form is not
    /// written, confess's own form is.
    #[error("the engine's types cannot express this build: {lacks}. confess wrote its own form of the targets (dhall/**/BUILD.confess.dhall, targets.json) and no engine form (BUILD.dhall)")]
    EngineForm { lacks: crate::engine::Lacks },
    /// Another confess run holds the output directory.
    #[error("{out} is in use by another confess run (pid {holder}; lock {lock}): wait for it to finish, or choose another --out")]
    Busy {
        out: PathBuf,
        holder: String,
        lock: PathBuf,
    },
    /// A confession is running on the work cache `confess cache --clear` would empty.
    #[error("the work cache {dir} is in use by a running confession (it holds {lock}): clear it when none runs")]
    CacheBusy { dir: PathBuf, lock: PathBuf },
    /// A signal stopped the run: the build's processes were stopped, the scratch directory
    /// removed, and the output directory left as it was.
    #[error("interrupted by {name}: the build's processes were stopped and the scratch directory removed; the output directory holds what it held before")]
    Interrupted { signal: i32, name: &'static str },
    /// The build cannot be sealed here (no namespaces) and `--unsealed` was not given.
    #[error("cannot run the build sealed here: {why}. Without the seal, a build that writes through an absolute path or installs writes into your real files; give --unsealed to run it so anyway")]
    Unsealable { why: String },
    /// The event store or a token is unreadable.
    #[error("confession store {path}: {reason}")]
    Store { path: PathBuf, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(what: &str, path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.to_string(),
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A file confess wrote that does not parse as what it should be.
    pub fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| Error::Store {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads and parses a JSON file confess wrote: unreadable is `Io`, not parsing is `Store`,
    /// both naming the file.
    pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
        Error::parse_json(path, &text)
    }

    /// The process exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BuildFailed { .. } => 1,
            Error::Usage(_) => 2,
            Error::Input { .. } => 3,
            Error::MissingTool { .. } => 4,
            Error::Io { .. } => 5,
            Error::Store { .. } => 6,
            Error::Mismatch { .. } => 7,
            Error::EngineForm { .. } => 8,
            Error::Busy { .. } | Error::CacheBusy { .. } => 9,
            Error::Unsealable { .. } => 10,
            Error::Interrupted { signal, .. } => 128 + signal,
        }
    }
}
