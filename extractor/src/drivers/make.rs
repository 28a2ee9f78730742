//! `confess make [SRC]`: plain Make, recursive or not, run in the scratch copy with the shims
//! first on PATH and the usual tool variables naming them.

use super::{require_tool, source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};

pub struct Make {
    src: PathBuf,
    args: Vec<String>,
}

impl Make {
    pub fn new(src: &Path, args: Vec<String>) -> Result<Make> {
        let src = source_dir(src)?;
        let names_makefile = args
            .iter()
            .any(|a| a == "-f" || a.starts_with("--file") || a.starts_with("-f"));
        let has = ["GNUmakefile", "makefile", "Makefile"]
            .iter()
            .any(|m| src.join(m).is_file());
        if !names_makefile && !has {
            return Err(Error::Input {
                path: src,
                reason: "no Makefile here (GNUmakefile, makefile or Makefile); give the directory \
                         that holds it, or pass -f FILE after --"
                    .into(),
            });
        }
        require_tool("make", "install GNU make (Debian: apt-get install make)")?;
        Ok(Make { src, args })
    }
}

impl Driver for Make {
    fn name(&self) -> &'static str {
        "make"
    }

    fn source(&self) -> &Path {
        &self.src
    }

    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>> {
        let mut args = Vec::new();
        if let Some(j) = opts.jobs {
            args.push(format!("-j{j}"));
        }
        args.extend(self.args.iter().cloned());
        Ok(vec![Step {
            label: "make".into(),
            phase: Phase::Build,
            program: "make".into(),
            args,
            cwd: scratch.src.clone(),
            env: Vec::new(),
        }])
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        // The same command: only the environment (the shims) made it a confession.
        self.steps(scratch, opts).map(Some)
    }
}
