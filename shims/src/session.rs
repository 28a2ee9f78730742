//! The contract between a driver and its shims: environment variables and the session layout.
//!
//! A driver (`confess make`, `confess cmake`, ...) creates a session directory holding the event
//! store, the token store and the realization cache, puts a directory of shim links first on
//! PATH, and exports these variables. A shim with no session passes straight through to the real
//! tool, so a stray shim on PATH is harmless.

use std::path::{Path, PathBuf};

/// Session directory: `events.sqlite`, `events.log`, `tokens.log`, `realized/`, `cache/`.
pub const ENV_DIR: &str = "CONFESS_DIR";
/// `configure` (every call runs the real tool) or `build` (calls confess).
pub const ENV_PHASE: &str = "CONFESS_PHASE";
/// Directory of shim links; skipped when looking for the real tools.
pub const ENV_SHIM_DIR: &str = "CONFESS_SHIM_DIR";
/// Scratch root: replaced by `$ROOT` when hashing, so ids do not depend on where it lives.
pub const ENV_ROOT: &str = "CONFESS_ROOT";
/// PID of the driver: the walk up the process tree stops there.
pub const ENV_DRIVER_PID: &str = "CONFESS_DRIVER_PID";
/// PID of the command a build step runs (`make`, `ninja`), which the driver judged not to be a
/// configure step: deciding a call's phase, the walk up the process tree stops there too, so a
/// compile make started directly reads nothing under /proc. Set by `confess-shim --confess-top`.
pub const ENV_TOP_PID: &str = "CONFESS_TOP_PID";
/// Guard against a shim finding itself as the real tool.
pub const ENV_DEPTH: &str = "CONFESS_SHIM_DEPTH";
/// PATH as it was before the shims were put first (used to find real tools).
pub const ENV_REAL_PATH: &str = "CONFESS_REAL_PATH";

/// The placeholder for the scratch root in normalised paths.
pub const ROOT_MARK: &str = "$ROOT";

#[derive(Clone, Debug)]
pub struct Session {
    pub dir: PathBuf,
    pub phase: Phase,
    pub shim_dir: Option<PathBuf>,
    /// The scratch root, as text (see `raw`): words and paths are normalised as text.
    pub root: Option<String>,
    pub driver_pid: Option<u32>,
    pub top_pid: Option<u32>,
}

/// The phase, as events record it.
pub use crate::facts::Phase;

impl Session {
    /// The session from the environment; `None` when the shim runs outside any session.
    pub fn from_env() -> Option<Session> {
        let dir = PathBuf::from(std::env::var_os(ENV_DIR)?);
        let phase = match std::env::var(ENV_PHASE).as_deref() {
            Ok("configure") => Phase::Configure,
            _ => Phase::Build,
        };
        Some(Session {
            dir,
            phase,
            shim_dir: std::env::var_os(ENV_SHIM_DIR).map(PathBuf::from),
            root: std::env::var_os(ENV_ROOT).map(|r| crate::raw::text_os(&r).into_owned()),
            driver_pid: std::env::var(ENV_DRIVER_PID)
                .ok()
                .and_then(|s| s.parse().ok()),
            top_pid: std::env::var(ENV_TOP_PID).ok().and_then(|s| s.parse().ok()),
        })
    }

    #[must_use]
    pub fn events(&self) -> PathBuf {
        events_path(&self.dir)
    }

    /// The token store (`tokens.log`, see [`crate::store`]).
    #[must_use]
    pub fn tokens(&self) -> PathBuf {
        crate::store::path(&self.dir)
    }

    #[must_use]
    pub fn realized(&self) -> PathBuf {
        self.dir.join("realized")
    }

    #[must_use]
    pub fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// Replaces the scratch root in a path or word with `$ROOT`.
    #[must_use]
    pub fn normalize(&self, s: &str) -> String {
        match &self.root {
            Some(root) if !root.is_empty() && s.contains(root.as_str()) => {
                s.replace(root.as_str(), ROOT_MARK)
            }
            _ => s.to_string(),
        }
    }
}

#[must_use]
pub fn events_path(dir: &Path) -> PathBuf {
    dir.join("events.sqlite")
}
