//! `confess verify`: rebuild from the manifests with the real toolchain, run the legacy build
//! for real, and compare the two, artifact by artifact.

pub mod elf;
pub mod real;
pub mod render;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Where a confession keeps the command that made it, for verify to run the same build.
pub const INVOCATION: &str = "confession/invocation.json";

/// The `confess` command line of a confession and the directory it ran in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invocation {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
}

/// Writes this process's command line into the output directory.
pub fn record_invocation(out: &Path) -> Result<()> {
    let inv = Invocation {
        argv: std::env::args().collect(),
        cwd: std::env::current_dir().map_err(|e| Error::io("reading", ".", e))?,
    };
    let path = out.join(INVOCATION);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    let text = serde_json::to_string_pretty(&inv).map_err(|e| Error::Usage(e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(|e| Error::io("writing", &path, e))
}

/// Reads the command line a confession was made with.
pub fn read_invocation(out: &Path) -> Result<Invocation> {
    let path = out.join(INVOCATION);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Input {
        path: path.clone(),
        reason: format!(
            "cannot read how this confession was made ({e}): run confess on the project first, with this --out"
        ),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Store {
        path,
        reason: e.to_string(),
    })
}
