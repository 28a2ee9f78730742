//! `confess ninja BUILD_DIR`: the build ninja would run in an existing build directory, with the
//! shims standing in for the tools. The build directory (with the sources it refers to) is
//! copied; ninja itself says which tools its commands call (`ninja -t commands`), and those
//! exact paths, with the copied directory's own path, are pointed at the copy and the shims.

use super::{require_tool, source_dir, Driver, Step};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use confess_shims::role::Role;
use confess_shims::session::Phase;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Ninja {
    /// What is copied: the build directory, the directory holding it and its sources, or
    /// (when they are far apart) their common ancestor, of which only the two are copied.
    root: PathBuf,
    /// The build directory, relative to `root`.
    build_rel: PathBuf,
    /// The directories of `root` copied: all of it (one empty path), or the sources and the
    /// build directory.
    subtrees: Vec<PathBuf>,
    targets: Vec<String>,
}

impl Ninja {
    pub fn new(build: &Path, targets: Vec<String>) -> Result<Ninja> {
        let build = source_dir(build)?;
        if !build.join("build.ninja").is_file() {
            return Err(Error::Input {
                path: build,
                reason:
                    "no build.ninja here: give a build directory ninja can build (one CMake -G \
                         Ninja or meson setup wrote, or your own)"
                        .into(),
            });
        }
        require_tool(
            "ninja",
            "install Ninja (Debian: apt-get install ninja-build)",
        )?;
        let src = recorded_source(&build)?;
        let (root, subtrees) = if let Some(root) = copy_root(&build, src.as_deref()) {
            (root, vec![PathBuf::new()])
        } else {
            // Far apart: the two alone, at their places below their common ancestor, so
            // that relative paths between them (meson's) still lead from one to the other.
            let src = src.unwrap_or_default();
            let root = common_ancestor(&build, &src);
            let rel = |p: &Path| {
                p.strip_prefix(&root)
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            };
            let subtrees = vec![rel(&src), rel(&build)];
            (root, subtrees)
        };
        let build_rel = build
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Ninja {
            root,
            build_rel,
            subtrees,
            targets,
        })
    }
}

/// The source directory a generated build directory refers to: meson's and CMake's record it.
fn recorded_source(build: &Path) -> Result<Option<PathBuf>> {
    let meson = build.join("meson-info/meson-info.json");
    let cmake = build.join("CMakeCache.txt");
    let recorded = if let Ok(text) = std::fs::read_to_string(&meson) {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Input {
            path: meson.clone(),
            reason: format!("not meson's introspection file: {e}"),
        })?;
        v["directories"]["source"]
            .as_str()
            .map(|s| (meson, s.to_string()))
    } else if let Ok(text) = std::fs::read_to_string(&cmake) {
        text.lines()
            .find_map(|l| l.strip_prefix("CMAKE_HOME_DIRECTORY:INTERNAL="))
            .map(|s| (cmake, s.to_string()))
    } else {
        None
    };
    match recorded {
        None => Ok(None),
        Some((file, s)) => std::fs::canonicalize(&s)
            .map(Some)
            .map_err(|e| Error::Input {
                path: PathBuf::from(&s),
                reason: format!(
                    "the source directory {} names cannot be opened ({e}): the build directory \
                 refers to sources that are gone; configure it again",
                    file.display()
                ),
            }),
    }
}

/// The directory to copy whole so that the build directory keeps its place relative to its
/// sources (meson names sources by relative paths, CMake by absolute ones): the build
/// directory, the sources around it, or the project directory holding both side by side.
/// `None` when they are farther apart.
fn copy_root(build: &Path, src: Option<&Path>) -> Option<PathBuf> {
    let Some(src) = src else {
        return Some(build.to_path_buf());
    };
    if build.starts_with(src) {
        return Some(src.to_path_buf());
    }
    if src.starts_with(build) {
        return Some(build.to_path_buf());
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (build.parent(), src.parent()) {
        (Some(a), Some(b)) if a == b && a != Path::new("/") && home.as_deref() != Some(a) => {
            Some(a.to_path_buf())
        }
        _ => None,
    }
}

/// The deepest directory holding both.
fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for (x, y) in a.components().zip(b.components()) {
        if x != y {
            break;
        }
        out.push(x);
    }
    out
}

/// The tools a command line calls by absolute path: the words in command position (the first
/// word and the first after `&&`, `||`, `;`, `|`), past launchers and variable assignments,
/// that name a tool a shim stands in for.
#[must_use]
pub fn absolute_tools(command: &str) -> Vec<String> {
    let words = shlex::split(command)
        .unwrap_or_else(|| command.split_whitespace().map(String::from).collect());
    let mut out = Vec::new();
    let mut at_start = true;
    for w in words {
        if matches!(w.as_str(), "&&" | "||" | ";" | "|" | "(" | "{") {
            at_start = true;
            continue;
        }
        if !at_start {
            continue;
        }
        let base = Path::new(&w)
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        if w.contains('=')
            || matches!(
                base.as_str(),
                "env" | "ccache" | "sccache" | "distcc" | "icecc" | "nice" | "time"
            )
        {
            continue;
        }
        at_start = false;
        if w.starts_with('/') && Role::from_argv0(&w).is_some() {
            out.push(w);
        }
    }
    out
}

/// Replaces whole paths: `from` where the next character does not continue a file name.
#[must_use]
pub fn replace_path(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let after = &rest[i + from.len()..];
        let continues = after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'));
        out.push_str(&rest[..i]);
        out.push_str(if continues { from } else { to });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Runs a ninja tool in the copy and returns its output; a failure names the command.
fn ninja_tool(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("ninja")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::io("running ninja in", dir, e))?;
    if !out.status.success() {
        return Err(Error::BuildFailed {
            command: format!("ninja -C {} {}", dir.display(), args.join(" ")),
            status: out.status.code().unwrap_or(-1),
            detail: format!(
                "\n  ninja says: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Driver for Ninja {
    fn name(&self) -> &'static str {
        "ninja"
    }

    fn source(&self) -> &Path {
        &self.root
    }

    fn subtrees(&self) -> Vec<PathBuf> {
        self.subtrees.clone()
    }

    fn steps(&self, scratch: &Scratch, opts: &Options) -> Result<Vec<Step>> {
        self.prepare(scratch, opts, true)
    }

    fn real_steps(&self, scratch: &Scratch, opts: &Options) -> Result<Option<Vec<Step>>> {
        // The same build in the same copy, its tools left as the build files name them.
        self.prepare(scratch, opts, false).map(Some)
    }

    fn explain_failure(&self, log: &str) -> Option<String> {
        let line = log.lines().find(|l| l.starts_with("ninja: error:"))?;
        Some(format!("  {line}"))
    }
}

impl Ninja {
    /// Points the copy's build files at the copy (and, for a confession, the tools they call
    /// by absolute path at the shims), cleans it, and says how to build it.
    fn prepare(&self, scratch: &Scratch, opts: &Options, shims: bool) -> Result<Vec<Step>> {
        let work = scratch.src.join(&self.build_rel);
        // ninja says which tools its commands call; those by absolute path are pointed at
        // shims of the same name (by name, PATH finds the shims anyway).
        let mut tools = BTreeSet::new();
        if shims {
            let mut args = vec!["-t", "commands"];
            args.extend(self.targets.iter().map(String::as_str));
            let commands = ninja_tool(&work, &args)?;
            for line in commands.lines() {
                tools.extend(absolute_tools(line));
            }
        }
        // Each copied directory's own path, pointed at its copy.
        let mut subst: Vec<(String, String)> = super::copies(self, &scratch.src)
            .into_iter()
            .map(|(user, copy)| (user.display().to_string(), copy.display().to_string()))
            .collect();
        for t in &tools {
            let name = Path::new(t)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dir = match Role::from_argv0(&name) {
                // gcc's collect2 finds ld on PATH: ld is shimmed only where named.
                Some(Role::Ld) => &scratch.bin_private,
                _ => &scratch.bin,
            };
            let link = scratch.link(dir, &name)?;
            subst.push((t.clone(), link.display().to_string()));
        }
        let files = crate::walk::files_below(&work)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "ninja"));
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::io("reading", &f, e))?;
            let mut new = text.clone();
            for (from, to) in &subst {
                new = replace_path(&new, from, to);
            }
            if new != text {
                std::fs::write(&f, new).map_err(|e| Error::io("writing", &f, e))?;
            }
        }
        // The whole build, whatever the user's directory had already built: ninja's own clean
        // (outputs of every edge but the generator's, run as a step of its own so that it is
        // sealed: an output named by an absolute path outside the copy is removed in the
        // throwaway layer, not on the machine), and no log of earlier commands.
        for f in [".ninja_log", ".ninja_deps"] {
            let p = work.join(f);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| Error::io("removing", &p, e))?;
            }
        }
        let mut build = vec!["-C".to_string(), work.display().to_string()];
        if let Some(j) = opts.jobs {
            build.push(format!("-j{j}"));
        }
        build.extend(self.targets.iter().cloned());
        let clean = Step {
            label: "ninja -t clean".into(),
            phase: Phase::Configure,
            program: "ninja".into(),
            args: vec![
                "-C".into(),
                work.display().to_string(),
                "-t".into(),
                "clean".into(),
            ],
            cwd: work.clone(),
            env: Vec::new(),
        };
        Ok(vec![
            clean,
            Step {
                label: "ninja".into(),
                phase: Phase::Build,
                program: "ninja".into(),
                args: build,
                cwd: work,
                env: Vec::new(),
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_in_command_position_only() {
        assert_eq!(
            absolute_tools("/usr/bin/gcc -c a.c -o a.o -I/usr/include/gcc"),
            ["/usr/bin/gcc"]
        );
        assert_eq!(
            absolute_tools("cd /b/x && ccache /usr/bin/g++ -c a.cc && /usr/bin/cmake -E touch x"),
            ["/usr/bin/g++"]
        );
        assert_eq!(
            absolute_tools("rm -f lib.a && /usr/bin/ar qc lib.a a.o && /usr/bin/ranlib lib.a"),
            ["/usr/bin/ar", "/usr/bin/ranlib"]
        );
        assert!(absolute_tools("gcc -c a.c").is_empty());
        assert!(absolute_tools("/usr/bin/python3 gen.py /usr/bin/gcc").is_empty());
    }

    #[test]
    fn paths_are_replaced_whole() {
        assert_eq!(
            replace_path(
                "$X/usr/bin/cc -c; /usr/bin/cc1 /usr/bin/cc",
                "/usr/bin/cc",
                "/s/cc"
            ),
            "$X/s/cc -c; /usr/bin/cc1 /s/cc"
        );
        assert_eq!(replace_path("/p/b/x /p/bb", "/p/b", "/q"), "/q/x /p/bb");
    }

    #[test]
    fn copy_root_keeps_build_and_sources_together() {
        let p = Path::new;
        assert_eq!(copy_root(p("/w/b"), None).expect("root"), p("/w/b"));
        assert_eq!(
            copy_root(p("/w/src/b"), Some(p("/w/src"))).expect("root"),
            p("/w/src")
        );
        assert_eq!(
            copy_root(p("/w/p/build"), Some(p("/w/p/src"))).expect("root"),
            p("/w/p")
        );
        assert!(copy_root(p("/x/build"), Some(p("/y/src"))).is_none());
        assert_eq!(common_ancestor(p("/x/build"), p("/y/src")), p("/"));
        assert_eq!(common_ancestor(p("/w/a/b/build"), p("/w/c/src")), p("/w"));
    }
}
