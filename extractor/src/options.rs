//! The options of a confessing run, shared by the confession, its drivers and verify.

use crate::emit;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// Options shared by every driver.
#[derive(Clone, Debug)]
pub struct Options {
    pub out: PathBuf,
    pub jobs: Option<usize>,
    pub keep_scratch: bool,
    /// Show a progress line on a terminal.
    pub progress: bool,
    /// Print the timing lines (build phase wall and CPU time, peak memory) on stderr.
    pub verbose: bool,
    /// Where the engine form imports the engine's types from.
    pub engine_root: crate::emit::engine_dhall::EngineRoot,
    /// Whether the build runs sealed, and with network.
    pub seal: crate::seal::SealOptions,
    /// compile_commands.json's shape, and where else it goes.
    pub compdb: emit::compdb::Options,
    /// What targets built from sources outside the project tree become.
    pub outside: crate::targets::OutsideAs,
    /// `--log-format json`: where the JSON event log goes (`log.jsonl` in the output directory,
    /// or `--log-file`).
    pub json_log: Option<JsonLog>,
}

/// Where `--log-format json` writes its log.
#[derive(Clone, Debug)]
pub enum JsonLog {
    /// `log.jsonl` in the output directory.
    InOut,
    /// `--log-file PATH`.
    File(PathBuf),
}

/// The most parallel jobs confess passes on: far more than any machine has cores, and few
/// enough that a typo (`-j 99999999999`) is an error, not a build that forks until it hangs.
pub const MAX_JOBS: usize = 4096;

/// `-j N` is 1 to `MAX_JOBS`.
pub fn check_jobs(jobs: Option<usize>) -> Result<()> {
    match jobs {
        Some(n) if n == 0 || n > MAX_JOBS => Err(Error::Usage(format!(
            "-j {n}: give a number of parallel jobs from 1 to {MAX_JOBS}"
        ))),
        _ => Ok(()),
    }
}
