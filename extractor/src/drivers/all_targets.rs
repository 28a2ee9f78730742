//! `--all-targets` for CMake and Meson: the build step builds every target the project defines,
//! those outside the default build too (CMake's `EXCLUDE_FROM_ALL`, Meson's
//! `build_by_default: false`: tests, examples, benchmarks). Which targets there are is known
//! only once the project is configured, so the build step is this binary
//! (`confess __build-all cmake|meson BUILD_DIR [-j N]`), run where the build command would run:
//! it reads what the build system said of its targets (CMake's File API codemodel, Meson's
//! `meson-info/intro-targets.json`) and becomes the build command, naming every one of them
//! (`cmake --build BUILD_DIR --target a b c`, `ninja -C BUILD_DIR a b c`).

use serde_json::Value;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;

/// The first argument that makes this binary the build step.
pub const BUILD_ALL: &str = "__build-all";

/// The build command of a configured build directory, default targets only: `cmake --build
/// BUILD [-j N]` or `ninja -C BUILD [-jN]`.
fn default_command(system: &str, build: &Path, jobs: Option<usize>) -> (String, Vec<String>) {
    let build = build.display().to_string();
    if system == "cmake" {
        let mut args = vec!["--build".to_string(), build];
        if let Some(j) = jobs {
            args.extend(["-j".to_string(), j.to_string()]);
        }
        ("cmake".to_string(), args)
    } else {
        let mut args = vec!["-C".to_string(), build];
        if let Some(j) = jobs {
            args.push(format!("-j{j}"));
        }
        ("ninja".to_string(), args)
    }
}

/// The build step's program and arguments for `system` (`cmake` or `meson`): the default build
/// command, or under `--all-targets` this binary (`confess __build-all SYSTEM BUILD [-j N]`),
/// which lists the targets once they are configured and runs that command naming them all.
pub fn build_step(
    system: &str,
    build: &Path,
    jobs: Option<usize>,
    all: bool,
) -> crate::error::Result<(String, Vec<String>)> {
    if !all {
        return Ok(default_command(system, build, jobs));
    }
    let me =
        std::env::current_exe().map_err(|e| crate::error::Error::io("finding", "confess", e))?;
    let mut args = vec![
        BUILD_ALL.to_string(),
        system.to_string(),
        build.display().to_string(),
    ];
    if let Some(j) = jobs {
        args.extend(["-j".to_string(), j.to_string()]);
    }
    Ok((me.display().to_string(), args))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every target of CMake's File API codemodel (its first configuration) that makes a file:
/// executables and libraries, object libraries included. Custom targets (`UTILITY`) are built
/// when a target needs them, as in a real build.
pub fn cmake_targets(build: &Path) -> Result<Vec<String>, String> {
    let reply = build.join(".cmake/api/v1/reply");
    let mut index = None;
    for e in std::fs::read_dir(&reply)
        .map_err(|e| format!("{}: {e}", reply.display()))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("index-") && Path::new(&name).extension().is_some_and(|x| x == "json") {
            // The newest index is the one CMake wrote last (names sort by time).
            if index.as_ref().is_none_or(|i: &String| name > *i) {
                index = Some(name);
            }
        }
    }
    let index = index.ok_or_else(|| format!("{}: no index file", reply.display()))?;
    let index = read_json(&reply.join(index))?;
    let codemodel = index["objects"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == "codemodel"))
        .and_then(|o| o["jsonFile"].as_str())
        .ok_or_else(|| format!("{}: no codemodel in the File API reply", reply.display()))?;
    let cm = read_json(&reply.join(codemodel))?;
    let mut out = Vec::new();
    let configs = cm["configurations"].as_array().cloned().unwrap_or_default();
    let Some(config) = configs.first() else {
        return Ok(out);
    };
    for t in config["targets"].as_array().into_iter().flatten() {
        let (Some(name), Some(file)) = (t["name"].as_str(), t["jsonFile"].as_str()) else {
            continue;
        };
        let target = read_json(&reply.join(file))?;
        if matches!(
            target["type"].as_str(),
            Some(
                "EXECUTABLE"
                    | "STATIC_LIBRARY"
                    | "SHARED_LIBRARY"
                    | "MODULE_LIBRARY"
                    | "OBJECT_LIBRARY"
            )
        ) {
            out.push(name.to_string());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every file Meson's targets make (`meson-info/intro-targets.json`), relative to the build
/// directory as build.ninja names them: executables, libraries, custom targets' outputs.
pub fn meson_outputs(build: &Path) -> Result<Vec<String>, String> {
    let targets = read_json(&build.join("meson-info/intro-targets.json"))?;
    let mut out = Vec::new();
    for t in targets.as_array().into_iter().flatten() {
        // `run` targets run a command when asked; they make nothing.
        if t["type"] == "run" || t["type"] == "alias" {
            continue;
        }
        for f in t["filename"].as_array().into_iter().flatten() {
            let Some(f) = f.as_str() else { continue };
            let p = Path::new(f);
            let rel = p.strip_prefix(build).unwrap_or(p);
            out.push(rel.display().to_string());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `confess __build-all SYSTEM BUILD_DIR [-j N]`: becomes the build command for every target.
/// Returns only when it cannot (the exit status then).
#[must_use]
pub fn main(args: &[OsString]) -> i32 {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (Some(system), Some(build)) = (args.first(), args.get(1)) else {
        eprintln!("confess: {BUILD_ALL} needs a build system and a build directory");
        return 2;
    };
    let build = Path::new(build);
    let jobs = match args.get(2..) {
        Some([flag, n]) if flag == "-j" => n.parse().ok(),
        _ => None,
    };
    let (program, mut words) = default_command(system, build, jobs);
    match system.as_str() {
        "cmake" => match cmake_targets(build) {
            Ok(targets) if !targets.is_empty() => {
                words.push("--target".to_string());
                words.extend(targets);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("confess: --all-targets: cannot list CMake's targets: {e}");
                return 1;
            }
        },
        "meson" => match meson_outputs(build) {
            Ok(outputs) => words.extend(outputs),
            Err(e) => {
                eprintln!("confess: --all-targets: cannot list Meson's targets: {e}");
                return 1;
            }
        },
        other => {
            eprintln!("confess: {BUILD_ALL}: unknown build system {other}");
            return 2;
        }
    }
    let err = std::process::Command::new(&program).args(&words).exec();
    eprintln!("confess: --all-targets: running {program}: {err}");
    127
}
