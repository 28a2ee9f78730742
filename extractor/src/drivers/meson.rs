//! `confess meson SRC`: `meson setup` with a native file confess writes (every tool meson runs
//! is a shim; the real tools behind them answer every configure check), then `ninja` builds
//! with the shims confessing. meson's introspection files are kept (`meson-info/`).

use super::cmake::{Deps, DEPS};
use super::{require_tool, source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::session::Phase;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub struct Meson {
    src: PathBuf,
    deps: Deps,
    args: Vec<String>,
    /// Build every target, those outside the default build too (`--all-targets`).
    all_targets: bool,
}

impl Meson {
    pub fn new(src: &Path, deps: Deps, args: Vec<String>) -> Result<Meson> {
        let src = source_dir(src)?;
        if !src.join("meson.build").is_file() {
            return Err(Error::Input {
                path: src,
                reason: "no meson.build here: give the project's top directory".into(),
            });
        }
        require_tool("meson", "install Meson (Debian: apt-get install meson)")?;
        require_tool(
            "ninja",
            "install Ninja (Debian: apt-get install ninja-build)",
        )?;
        if let Some(a) = args
            .iter()
            .find(|a| a.starts_with("--native-file") || a.starts_with("--cross-file"))
        {
            return Err(Error::Usage(format!(
                "{a}: confess writes meson's native file itself (it names the shims); give the \
                 options it sets as -Dopt=value instead"
            )));
        }
        Ok(Meson {
            src,
            deps,
            args,
            all_targets: false,
        })
    }

    /// Builds every target, those outside the default build too.
    #[must_use]
    pub fn all_targets(mut self, on: bool) -> Meson {
        self.all_targets = on;
        self
    }

    /// The build step's program and arguments (see `all_targets::build_step`).
    fn build_command(&self, build: &Path, jobs: Option<usize>) -> Result<(String, Vec<String>)> {
        super::all_targets::build_step("meson", build, jobs, self.all_targets)
    }
}

/// One line of a meson machine file: `name = 'value'`, quoted as meson's ini dialect wants.
fn entry(name: &str, value: &Path) -> String {
    let v = value
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('\'', "\\'");
    format!("{name} = '{v}'\n")
}

/// The native file: every binary meson may call names a shim (by absolute path, as meson keeps
/// it in build.ninja), and CMake, which dependency() may ask, goes through `cmake`.
pub fn native_file(scratch: &Scratch, cc: &str, cxx: &str, cmake: &Path) -> Result<String> {
    let mut text = String::from(
        "# Written by confess: the tools meson runs are confess's shims, first on PATH.\n[binaries]\n",
    );
    let tools = [
        ("c", cc),
        ("cpp", cxx),
        ("ar", "ar"),
        ("strip", "strip"),
        ("nm", "nm"),
        ("readelf", "readelf"),
        ("objcopy", "objcopy"),
        ("objdump", "objdump"),
        ("ranlib", "ranlib"),
        // meson 1.0 reads `pkgconfig`; later versions `pkg-config`.
        ("pkgconfig", "pkg-config"),
        ("pkg-config", "pkg-config"),
    ];
    // By name, as meson finds them itself: the shims come first on PATH, and the project's
    // `get_compiler('c').cmd_array()` and meson's log name `cc`, as in a plain setup.
    for (key, name) in tools {
        scratch.link(&scratch.bin, name)?;
        text.push_str(&entry(key, Path::new(name)));
    }
    text.push_str(&entry("cmake", cmake));
    Ok(text)
}

/// A cmake for meson's dependency(method: 'cmake') lookups: the real cmake with confess's
/// dependency provider loaded, so find_package is recorded (and made up per --deps).
fn cmake_wrapper(real: &Path, provider: &Path) -> String {
    let q = |p: &Path| shlex::try_quote(&p.display().to_string()).map(std::borrow::Cow::into_owned);
    let real = q(real).unwrap_or_default();
    let provider = q(provider).unwrap_or_default();
    format!(
        "#!/bin/sh\n# Written by confess: cmake for meson's dependency() with find_package recorded.\n\
         for a in \"$@\"; do\n  case \"$a\" in\n    --build|-E|--version|--system-information|-P|--find-package) exec {real} \"$@\" ;;\n  esac\ndone\n\
         exec {real} \"-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES={provider}\" \"$@\"\n"
    )
}

impl Driver for Meson {
    fn name(&self) -> &'static str {
        "meson"
    }

    fn source(&self) -> &Path {
        &self.src
    }

    fn out_of_tree(&self) -> bool {
        true
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        let mut setup = vec!["setup".to_string()];
        setup.extend(self.args.iter().cloned());
        setup.push(scratch.build.display().to_string());
        setup.push(scratch.src.display().to_string());
        let (program, build) = self.build_command(&scratch.build, opts.jobs)?;
        Ok(Some(vec![
            Step {
                label: "meson setup".into(),
                phase: Phase::Configure,
                program: "meson".into(),
                args: setup,
                cwd: scratch.src.clone(),
                env: Vec::new(),
            },
            Step {
                label: "ninja".into(),
                phase: Phase::Build,
                program,
                args: build,
                cwd: scratch.build.clone(),
                env: Vec::new(),
            },
        ]))
    }

    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>> {
        let env = scratch.env(Phase::Configure)?;
        let named = |var: &str, default: &str| {
            env.iter().find(|(k, _)| k == var).map_or_else(
                || default.to_string(),
                |(_, v)| v.to_string_lossy().into_owned(),
            )
        };
        let provider = scratch.root.join("confess-deps.cmake");
        std::fs::write(&provider, DEPS).map_err(|e| Error::io("writing", &provider, e))?;
        let cmake = scratch.root.join("confess-cmake");
        match which::which("cmake") {
            Ok(real) => {
                std::fs::write(&cmake, cmake_wrapper(&real, &provider))
                    .map_err(|e| Error::io("writing", &cmake, e))?;
                std::fs::set_permissions(&cmake, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| Error::io("making executable", &cmake, e))?;
            }
            // Without CMake, meson's CMake lookups find nothing, as they would for the user.
            Err(_) => {
                std::fs::write(&cmake, "#!/bin/sh\nexit 127\n")
                    .map_err(|e| Error::io("writing", &cmake, e))?;
            }
        }
        let native = scratch.root.join("confess-native.ini");
        let text = native_file(scratch, &named("CC", "cc"), &named("CXX", "c++"), &cmake)?;
        std::fs::write(&native, text).map_err(|e| Error::io("writing", &native, e))?;
        let deps_env = vec![("CONFESS_DEPS".to_string(), self.deps.as_str().to_string())];
        let mut setup = vec![
            "setup".to_string(),
            "--native-file".to_string(),
            native.display().to_string(),
        ];
        setup.extend(self.args.iter().cloned());
        setup.push(scratch.build.display().to_string());
        setup.push(scratch.src.display().to_string());
        let (program, build) = self.build_command(&scratch.build, opts.jobs)?;
        Ok(vec![
            Step {
                label: "meson setup".into(),
                phase: Phase::Configure,
                program: "meson".into(),
                args: setup,
                cwd: scratch.src.clone(),
                env: deps_env.clone(),
            },
            Step {
                label: "ninja".into(),
                phase: Phase::Build,
                program,
                args: build,
                cwd: scratch.build.clone(),
                env: deps_env,
            },
        ])
    }

    fn keep(&self, scratch: &Scratch) -> Vec<(PathBuf, &'static str)> {
        vec![(scratch.build.join("meson-info"), "meson-info")]
    }

    fn explain_failure(&self, log: &str) -> Option<String> {
        // meson names the file and line: "meson.build:12:0: ERROR: Dependency "x" not found".
        let line = log.lines().find(|l| l.contains("ERROR:"))?;
        let mut hint = format!("  meson says: {line}");
        if line.contains("Dependency") || line.contains("dependency") {
            hint.push_str(if self.deps == Deps::Real {
                "\n  a dependency the project asks for is not installed here: install it (and its \
                 -dev package), or confess without it: --deps fake (or the default, --deps auto)"
            } else {
                "\n  a dependency the project asks for could not be made up (see the log); install \
                 it (and its -dev package)"
            });
        }
        let scratch_src = log
            .lines()
            .find_map(|l| l.strip_prefix("Source dir: "))
            .map(str::trim);
        Some(match scratch_src {
            Some(s) => hint.replace(s, &self.src.display().to_string()),
            None => hint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_file_entries_are_quoted() {
        assert_eq!(entry("c", Path::new("/a b/c'c")), "c = '/a b/c\\'c'\n");
    }

    #[test]
    fn cmake_wrapper_adds_the_provider_only_to_configure_runs() {
        let w = cmake_wrapper(Path::new("/usr/bin/cmake"), Path::new("/s/deps.cmake"));
        assert!(w.contains("--build|-E"));
        assert!(
            w.contains("exec /usr/bin/cmake \"-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=/s/deps.cmake\"")
        );
    }
}
