//! `confess autotools SRC`: `autoreconf -fi` (or the package's own `autogen.sh`) when the
//! scratch copy has no configure script, `configure` with every tool variable naming a shim (the
//! real tools answer every probe), then `make` with the shims confessing. In tree by default, as
//! `./configure && make`; `--vpath` configures from a separate build directory.

use super::cmake::Deps;
use super::{require_tool, source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};

pub struct Autotools {
    src: PathBuf,
    deps: Deps,
    vpath: bool,
    args: Vec<String>,
    make_args: Vec<String>,
    /// The scratch copy needs `autoreconf -fi` first.
    bootstrap: bool,
}

impl Autotools {
    pub fn new(
        src: &Path,
        deps: Deps,
        vpath: bool,
        args: Vec<String>,
        make_args: Vec<String>,
    ) -> Result<Autotools> {
        let src = source_dir(src)?;
        let has_configure = src.join("configure").is_file();
        let has_ac = ["configure.ac", "configure.in"]
            .iter()
            .any(|f| src.join(f).is_file());
        if !has_configure && !has_ac {
            return Err(Error::Input {
                path: src,
                reason: "no configure script and no configure.ac here: give the package's top \
                         directory"
                    .into(),
            });
        }
        if vpath && src.join("config.status").is_file() {
            // configure refuses a VPATH build from a configured source tree.
            return Err(Error::Input {
                path: src.join("config.status"),
                reason: "the source tree is configured already, so configure refuses to build it \
                         out of tree: run `make distclean` there, or confess without --vpath"
                    .into(),
            });
        }
        if !has_configure {
            require_tool(
                "autoreconf",
                "the package has no configure script and needs `autoreconf -fi` (Debian: \
                 apt-get install autoconf automake libtool)",
            )?;
        }
        require_tool("make", "install GNU make (Debian: apt-get install make)")?;
        Ok(Autotools {
            src,
            deps,
            vpath,
            args,
            make_args,
            bootstrap: !has_configure,
        })
    }

    fn build_dir<'a>(&self, scratch: &'a Scratch) -> &'a Path {
        if self.vpath {
            &scratch.build
        } else {
            &scratch.src
        }
    }
}

/// The environment of configure (and of make, which may re-run it) beyond the shims' own.
/// configure sees what it sees without confess: no compiler, preprocessor or build-machine
/// compiler is named for it (it finds `gcc`, `gcc -E`, the shims first on PATH, and bakes
/// those names into the Makefiles and libtool), so its answers are a plain configure's.
fn tool_env(_scratch: &Scratch, deps: Deps) -> Vec<(String, String)> {
    vec![("CONFESS_DEPS".to_string(), deps.as_str().to_string())]
}

impl Driver for Autotools {
    fn name(&self) -> &'static str {
        "autotools"
    }

    fn source(&self) -> &Path {
        &self.src
    }

    fn out_of_tree(&self) -> bool {
        self.vpath
    }

    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>> {
        let env = tool_env(scratch, self.deps);
        let build = self.build_dir(scratch).to_path_buf();
        std::fs::create_dir_all(&build).map_err(|e| Error::io("creating", &build, e))?;
        let mut steps = Vec::new();
        if self.bootstrap {
            // A package's own autogen.sh knows steps autoreconf does not (libuv writes an m4
            // file first); NOCONFIGURE=1 keeps it from running configure itself.
            let (label, program, args) = if scratch.src.join("autogen.sh").is_file() {
                ("autogen.sh", "sh", vec!["./autogen.sh".to_string()])
            } else {
                ("autoreconf", "autoreconf", vec!["-fi".to_string()])
            };
            let mut env = env.clone();
            env.push(("NOCONFIGURE".into(), "1".into()));
            steps.push(Step {
                label: label.into(),
                phase: Phase::Configure,
                program: program.into(),
                args,
                cwd: scratch.src.clone(),
                env,
            });
        }
        // The script by absolute path: srcdir is then absolute, and maps back to the user's tree.
        let configure = if self.vpath {
            scratch.src.join("configure").display().to_string()
        } else {
            "./configure".to_string()
        };
        steps.push(Step {
            label: "configure".into(),
            phase: Phase::Configure,
            program: "sh".into(),
            args: std::iter::once(configure)
                .chain(self.args.iter().cloned())
                .collect(),
            cwd: build.clone(),
            env: env.clone(),
        });
        let mut make = Vec::new();
        if let Some(j) = opts.jobs {
            make.push(format!("-j{j}"));
        }
        make.extend(self.make_args.iter().cloned());
        steps.push(Step {
            label: "make".into(),
            phase: Phase::Build,
            program: "make".into(),
            args: make,
            cwd: build,
            env,
        });
        Ok(steps)
    }

    fn keep(&self, scratch: &Scratch) -> Vec<(PathBuf, &'static str)> {
        vec![(self.build_dir(scratch).join("config.log"), "config.log")]
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        // The same steps with none of the shims' variables: configure finds the real tools.
        let mut steps = self.steps(scratch, opts)?;
        for s in &mut steps {
            s.env.retain(|(k, _)| k == "NOCONFIGURE");
        }
        Ok(Some(steps))
    }

    fn explain_failure(&self, log: &str) -> Option<String> {
        // configure's own errors: "configure: error: ..." (the details are in config.log).
        if let Some(line) = log.lines().find(|l| l.contains("configure: error:")) {
            let mut hint = format!("  configure says: {}", line.trim());
            if line.contains("pkg-config") || line.contains("Package requirements") {
                hint.push_str(if self.deps == Deps::Real {
                    "\n  a module the package asks pkg-config for is not installed: install it \
                     (its -dev package), or confess without it: --deps fake (or the default, \
                     --deps auto)"
                } else {
                    "\n  see config.log in the output directory"
                });
            } else {
                hint.push_str(
                    "\n  see config.log in the output directory; pass configure options after --",
                );
            }
            return Some(hint);
        }
        let line = log.lines().find(|l| {
            l.starts_with("autoreconf: error")
                || l.contains("error: possibly undefined macro")
                || l.starts_with("configure.ac:")
        })?;
        Some(format!(
            "  autoreconf says: {}\n  the package's configure.ac needs macros that are not \
             installed here (an autoconf-archive or gettext macro, say): install them, or give a \
             tree with a configure script",
            line.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(vpath: bool, bootstrap: bool, deps: Deps) -> Autotools {
        Autotools {
            src: PathBuf::from("/src"),
            deps,
            vpath,
            args: vec!["--disable-static".into()],
            make_args: vec!["all".into()],
            bootstrap,
        }
    }

    fn opts() -> Options {
        Options {
            out: PathBuf::from("/out"),
            jobs: Some(3),
            keep_scratch: false,
            progress: false,
            verbose: false,
            engine_root: crate::emit::engine_dhall::EngineRoot::default(),
            seal: crate::seal::SealOptions::default(),
            compdb: crate::emit::compdb::Options::default(),
            outside: crate::targets::OutsideAs::default(),
            json_log: None,
        }
    }

    #[test]
    fn steps_bootstrap_configure_and_make() {
        let exe = std::env::current_exe().expect("exe");
        let scratch = Scratch::new(false, exe, 0).expect("scratch");
        std::fs::create_dir_all(&scratch.src).expect("mkdir");
        let steps = driver(false, true, Deps::Auto)
            .steps(&scratch, &opts())
            .expect("steps");
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["autoreconf", "configure", "make"]);
        assert_eq!(steps[1].args, ["./configure", "--disable-static"]);
        assert_eq!(steps[1].cwd, scratch.src);
        assert_eq!(steps[2].args, ["-j3", "all"]);
        assert_eq!(steps[2].phase, Phase::Build);
        let env = |k: &str| {
            steps[1]
                .env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(env("CONFESS_DEPS").as_deref(), Some("auto"));
        // configure finds its own compiler and preprocessor, as without confess.
        for k in ["CC", "CXX", "CPP", "CXXCPP", "CC_FOR_BUILD"] {
            assert_eq!(env(k), None, "{k}");
        }

        // A package's autogen.sh is preferred; --vpath configures by absolute path elsewhere.
        std::fs::write(scratch.src.join("autogen.sh"), "").expect("write");
        let steps = driver(true, true, Deps::Real)
            .steps(&scratch, &opts())
            .expect("steps");
        assert_eq!(steps[0].args, ["./autogen.sh"]);
        assert!(steps[0]
            .env
            .iter()
            .any(|(k, v)| k == "NOCONFIGURE" && v == "1"));
        assert_eq!(
            steps[1].args[0],
            scratch.src.join("configure").display().to_string()
        );
        assert_eq!(steps[1].cwd, scratch.build);
        assert_eq!(steps[2].cwd, scratch.build);
    }

    #[test]
    fn failures_quote_configure_and_say_what_to_do() {
        let log = "checking for X... no\nconfigure: error: Package requirements (gadget) were \
                   not met:\n";
        let real = driver(false, false, Deps::Real)
            .explain_failure(log)
            .expect("hint");
        assert!(real.contains("configure says: configure: error: Package requirements"));
        assert!(real.contains("--deps fake"));
        let other = driver(false, false, Deps::Auto)
            .explain_failure("configure: error: C compiler cannot create executables\n")
            .expect("hint");
        assert!(other.contains("config.log"));
        let ac = driver(false, true, Deps::Auto)
            .explain_failure("configure.ac:12: error: possibly undefined macro: AX_FOO\n")
            .expect("hint");
        assert!(ac.contains("autoreconf says"), "{ac}");
        assert!(driver(false, false, Deps::Auto)
            .explain_failure("make: *** [all] Error 2\n")
            .is_none());
    }
}
