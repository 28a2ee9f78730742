//! `confess cmake SRC`: configure with the confess toolchain file (the real tools answer every
//! probe), then build with the shims in place. The CMake File API's codemodel is asked for in
//! the same build directory and kept in the output directory (`cmake-file-api/`).

use super::{require_tool, source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};

/// The toolchain file, shipped inside the binary and written into each scratch directory.
pub const TOOLCHAIN: &str = include_str!("../../../toolchain-files/confess-toolchain.cmake");
/// The dependency provider that records find_package requests (CMake 3.24 and later).
pub const DEPS: &str = include_str!("../../../toolchain-files/confess-deps.cmake");

/// What find_package does under confess.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Deps {
    /// The real find_package where it finds the package, a made-up one otherwise.
    Auto,
    /// Only the real find_package (a missing REQUIRED package fails the configure).
    Real,
    /// Every package made up: imported targets and variables pointing at stubs.
    Fake,
}

impl Deps {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Deps::Auto => "auto",
            Deps::Real => "real",
            Deps::Fake => "fake",
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    Ninja,
    Make,
}

impl Generator {
    fn cmake_name(self) -> &'static str {
        match self {
            Generator::Ninja => "Ninja",
            Generator::Make => "Unix Makefiles",
        }
    }
}

/// Asks for the File API's codemodel in the build directory `build` (before configure).
fn query_codemodel(build: &Path) -> Result<()> {
    let query = build.join(".cmake/api/v1/query/codemodel-v2");
    if let Some(p) = query.parent() {
        std::fs::create_dir_all(p).map_err(|e| Error::io("creating", p, e))?;
    }
    std::fs::write(&query, "").map_err(|e| Error::io("writing", &query, e))
}

pub struct Cmake {
    src: PathBuf,
    generator: Generator,
    deps: Deps,
    args: Vec<String>,
    user_toolchain: Option<PathBuf>,
    /// Build every target, those outside the default build too (`--all-targets`).
    all_targets: bool,
}

impl Cmake {
    pub fn new(src: &Path, generator: Generator, deps: Deps, args: Vec<String>) -> Result<Cmake> {
        let src = source_dir(src)?;
        if !src.join("CMakeLists.txt").is_file() {
            return Err(Error::Input {
                path: src,
                reason: "no CMakeLists.txt here: give the project's top directory".into(),
            });
        }
        require_tool("cmake", "install CMake (Debian: apt-get install cmake)")?;
        if generator == Generator::Ninja {
            require_tool(
                "ninja",
                "install Ninja (Debian: apt-get install ninja-build), or use --generator make",
            )?;
        } else {
            require_tool("make", "install GNU make (Debian: apt-get install make)")?;
        }
        // A toolchain file of the user's is loaded by ours, first.
        let mut user_toolchain = None;
        let mut rest = Vec::new();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            let value = if a == "-DCMAKE_TOOLCHAIN_FILE" || a == "--toolchain" {
                it.next()
            } else {
                a.strip_prefix("-DCMAKE_TOOLCHAIN_FILE=")
                    .or_else(|| a.strip_prefix("-DCMAKE_TOOLCHAIN_FILE:FILEPATH="))
                    .or_else(|| a.strip_prefix("--toolchain="))
                    .map(String::from)
            };
            match value {
                Some(v) => {
                    let p = std::fs::canonicalize(&v).map_err(|e| Error::Input {
                        path: PathBuf::from(&v),
                        reason: format!("cannot open the toolchain file: {e}"),
                    })?;
                    user_toolchain = Some(p);
                }
                None => rest.push(a),
            }
        }
        Ok(Cmake {
            src,
            generator,
            deps,
            args: rest,
            user_toolchain,
            all_targets: false,
        })
    }

    /// Builds every target, those outside the default build too.
    #[must_use]
    pub fn all_targets(mut self, on: bool) -> Cmake {
        self.all_targets = on;
        self
    }

    /// The build step's program and arguments (see `all_targets::build_step`).
    fn build_command(&self, build: &Path, jobs: Option<usize>) -> Result<(String, Vec<String>)> {
        super::all_targets::build_step("cmake", build, jobs, self.all_targets)
    }
}

/// The installed CMake's version (major, minor), from `cmake --version`.
fn cmake_version() -> Option<(u32, u32)> {
    let out = std::process::Command::new("cmake")
        .arg("--version")
        .output()
        .ok()?;
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

/// `cmake version 3.25.1` gives (3, 25).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let v = text.lines().next()?.split_whitespace().nth(2)?;
    let mut parts = v.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
    });
    Some((parts.next()?.ok()?, parts.next()?.ok()?))
}

impl Driver for Cmake {
    fn name(&self) -> &'static str {
        "cmake"
    }

    fn source(&self) -> &Path {
        &self.src
    }

    fn out_of_tree(&self) -> bool {
        true
    }

    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>> {
        let toolchain = scratch.root.join("confess-toolchain.cmake");
        std::fs::write(&toolchain, TOOLCHAIN).map_err(|e| Error::io("writing", &toolchain, e))?;
        query_codemodel(&scratch.build)?;
        let deps = scratch.root.join("confess-deps.cmake");
        std::fs::write(&deps, DEPS).map_err(|e| Error::io("writing", &deps, e))?;
        let mut env = vec![("CONFESS_DEPS".to_string(), self.deps.as_str().to_string())];
        // Dependency providers need CMake 3.24; before that the toolchain file loads the
        // recorder, which overrides find_package. CONFESS_FIND_PACKAGE=override asks for the
        // override on any CMake.
        let override_find_package = std::env::var("CONFESS_FIND_PACKAGE")
            .is_ok_and(|v| v == "override")
            || cmake_version().is_some_and(|v| v < (3, 24));
        if override_find_package {
            env.push(("CONFESS_FIND_PACKAGE".into(), "override".into()));
            env.push(("CONFESS_DEPS_FILE".into(), deps.display().to_string()));
        }
        if let Some(t) = &self.user_toolchain {
            env.push((
                "CONFESS_USER_TOOLCHAIN".to_string(),
                t.display().to_string(),
            ));
        }
        let mut configure = vec![
            "-S".to_string(),
            scratch.src.display().to_string(),
            "-B".to_string(),
            scratch.build.display().to_string(),
            "-G".to_string(),
            self.generator.cmake_name().to_string(),
        ];
        // The project sees what a plain configure sees: CMake finds the compilers on PATH, where
        // the shims come first (and binutils beside the compiler it found), and the recorder
        // comes in as a top-level include. `CMAKE_TOOLCHAIN_FILE` is defined only when the user
        // gave one (then confess's file loads it), or on a CMake without dependency providers.
        if self.user_toolchain.is_some() || override_find_package {
            configure.push(format!("-DCMAKE_TOOLCHAIN_FILE={}", toolchain.display()));
        }
        // The provider is loaded with the user's own top-level includes, if any.
        let mut includes: Vec<String> = Vec::new();
        if !override_find_package {
            includes.push(deps.display().to_string());
        }
        for a in &self.args {
            if let Some(v) = a.strip_prefix("-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=") {
                includes.push(v.to_string());
            } else {
                configure.push(a.clone());
            }
        }
        if !includes.is_empty() {
            configure.push(format!(
                "-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES={}",
                includes.join(";")
            ));
        }
        let (program, build) = self.build_command(&scratch.build, opts.jobs)?;
        Ok(vec![
            Step {
                label: "cmake configure".into(),
                phase: Phase::Configure,
                program: "cmake".into(),
                args: configure,
                cwd: scratch.build.clone(),
                env: env.clone(),
            },
            Step {
                label: "cmake build".into(),
                phase: Phase::Build,
                program,
                args: build,
                cwd: scratch.build.clone(),
                env,
            },
        ])
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        if self.all_targets {
            // The build step lists the targets from the codemodel.
            query_codemodel(&scratch.build)?;
        }
        let mut configure = vec![
            "-S".to_string(),
            scratch.src.display().to_string(),
            "-B".to_string(),
            scratch.build.display().to_string(),
            "-G".to_string(),
            self.generator.cmake_name().to_string(),
        ];
        if let Some(t) = &self.user_toolchain {
            configure.push(format!("-DCMAKE_TOOLCHAIN_FILE={}", t.display()));
        }
        configure.extend(self.args.iter().cloned());
        let (program, build) = self.build_command(&scratch.build, opts.jobs)?;
        let step = |label: &str, phase: Phase, program: String, args: Vec<String>| Step {
            label: label.into(),
            phase,
            program,
            args,
            cwd: scratch.build.clone(),
            env: Vec::new(),
        };
        Ok(Some(vec![
            step(
                "cmake configure",
                Phase::Configure,
                "cmake".into(),
                configure,
            ),
            step("cmake build", Phase::Build, program, build),
        ]))
    }

    fn keep(&self, scratch: &Scratch) -> Vec<(PathBuf, &'static str)> {
        vec![(scratch.build.join(".cmake/api/v1/reply"), "cmake-file-api")]
    }

    fn explain_failure(&self, log: &str) -> Option<String> {
        // CMake names the file and line: "CMake Error at CMakeLists.txt:12 (find_package):".
        // The first error in the project's own files (errors inside confess's toolchain or
        // provider files are reported again at the project's call).
        let line = log
            .lines()
            .filter(|l| l.starts_with("CMake Error"))
            .find(|l| {
                !l.contains("/confess-deps.cmake") && !l.contains("/confess-toolchain.cmake")
            })?;
        // CMake names files relative to the source directory: name them in the user's tree.
        let line = match line.strip_prefix("CMake Error at ") {
            Some(rest) if !rest.starts_with('/') => {
                format!("CMake Error at {}/{rest}", self.src.display())
            }
            _ => line.to_string(),
        };
        let mut hint = format!("  CMake says: {line}");
        if log.contains("find_package") || log.contains("Could NOT find") {
            hint.push_str(if self.deps == Deps::Real {
                "\n  a package the project asks for is not installed here: install it (and its -dev \
                 package), or confess without it: --deps fake (or the default, --deps auto)"
            } else {
                "\n  a package the project asks for could not be made up (see the log); install it \
                 (and its -dev package)"
            });
        }
        Some(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn cmake_versions_are_read_from_the_first_line() {
        assert_eq!(
            parse_version("cmake version 3.25.1\n\nCMake suite maintained"),
            Some((3, 25))
        );
        assert_eq!(parse_version("cmake version 3.18.0-rc2\n"), Some((3, 18)));
        assert_eq!(parse_version("something else"), None);
    }
}
