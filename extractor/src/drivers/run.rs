//! `confess run -- CMD...`: any build command, run from a scratch copy of the current
//! directory with the shims first on PATH and CC, CXX, AR and friends naming them.

use super::{source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};

pub struct Run {
    src: PathBuf,
    cmd: Vec<String>,
}

impl Run {
    pub fn new(src: &Path, cmd: Vec<String>) -> Result<Run> {
        if cmd.is_empty() {
            return Err(Error::Usage(
                "confess run needs a command after --, e.g. `confess run -- make all`".into(),
            ));
        }
        Ok(Run {
            src: source_dir(src)?,
            cmd,
        })
    }
}

impl Driver for Run {
    fn name(&self) -> &'static str {
        "run"
    }

    fn source(&self) -> &Path {
        &self.src
    }

    fn steps(&self, scratch: &Scratch, _opts: &Options) -> Result<Vec<Step>> {
        // Absolute paths into the user's tree would build there: point them at the copy.
        let user = self.src.display().to_string();
        let copy = scratch.src.display().to_string();
        let words: Vec<String> = self
            .cmd
            .iter()
            .map(|w| {
                if w.contains(&user) {
                    w.replace(&user, &copy)
                } else {
                    w.clone()
                }
            })
            .collect();
        // A command that is not a configure names its compilers by CC and CXX (a build script's
        // `$CC -c a.c`), and its assembler by AS: they name shims, `cc`, `c++` and `as` unless
        // the user chose others.
        let env = [("CC", "cc"), ("CXX", "c++"), ("AS", "as")]
            .into_iter()
            .filter(|(k, _)| std::env::var_os(k).is_none())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(vec![Step {
            label: words[0].clone(),
            phase: Phase::Build,
            program: words[0].clone(),
            args: words[1..].to_vec(),
            cwd: scratch.src.clone(),
            env,
        }])
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        // The same command: only the environment (the shims) made it a confession.
        self.steps(scratch, opts).map(Some)
    }
}
