//! Configure under confess sees what a plain configure sees: each fixture configured plainly and
//! under confess (its scratch kept), and every configuration header, every CMakeCache entry and
//! compiler fact that describes the platform, and the compiler names configure chose, compared.
//! confess's injection (the shims first on PATH, the recorder as a top-level include) must not be
//! observable to the project: `CMAKE_TOOLCHAIN_FILE` stays undefined, autoconf finds `gcc`.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn run_ok(c: &mut Command, what: &str) {
    let o = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        o.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A file's text with the trees it was made in named alike.
fn text(p: &Path, trees: &[(&Path, &str)]) -> String {
    let mut t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    for (dir, name) in trees {
        t = t.replace(&dir.display().to_string(), name);
    }
    t
}

/// The CMakeCache entries that describe the platform and the project's checks: every entry
/// but the paths of programs and directories (the shims are programs in another directory),
/// those naming the trees, and CMake's bookkeeping of how it was called.
fn cache(build: &Path) -> BTreeMap<String, String> {
    let t = std::fs::read_to_string(build.join("CMakeCache.txt")).expect("CMakeCache.txt");
    let root = build.parent().expect("parent").display().to_string();
    t.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("//"))
        .filter_map(|l| {
            let (key, value) = l.split_once('=')?;
            let (name, ty) = key.split_once(':')?;
            Some((name.to_string(), ty.to_string(), value.to_string()))
        })
        .filter(|(name, ty, value)| {
            !matches!(ty.as_str(), "FILEPATH" | "PATH" | "STATIC")
                && !value.contains(&root)
                && !value.starts_with('/')
                && !matches!(
                    name.as_str(),
                    "CMAKE_PROJECT_TOP_LEVEL_INCLUDES" | "CMAKE_COMMAND" | "CMAKE_CACHEFILE_DIR"
                )
                && !name.starts_with("CMAKE_CACHE_")
        })
        .map(|(name, _, value)| (name, value))
        .collect()
}

/// What CMake found out about the C compiler (CMakeFiles/VERSION/CMakeCCompiler.cmake), but
/// where it is.
fn compiler_facts(build: &Path) -> Vec<String> {
    let dir = std::fs::read_dir(build.join("CMakeFiles"))
        .expect("CMakeFiles")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("CMakeCCompiler.cmake").is_file())
        .expect("CMakeCCompiler.cmake");
    std::fs::read_to_string(dir.join("CMakeCCompiler.cmake"))
        .expect("compiler facts")
        .lines()
        .filter(|l| {
            [
                "set(CMAKE_C_COMPILER_ID ",
                "set(CMAKE_C_COMPILER_VERSION ",
                "set(CMAKE_C_STANDARD_COMPUTED_DEFAULT ",
                "set(CMAKE_C_SIZEOF_DATA_PTR ",
                "set(CMAKE_C_BYTE_ORDER ",
                "set(CMAKE_C_COMPILER_ABI ",
                "set(CMAKE_C_LIBRARY_ARCHITECTURE ",
                "set(CMAKE_C_IMPLICIT_LINK_LIBRARIES ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn cmake_configures_as_plainly_as_without_confess() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    for fx in ["configure-checks", "basic", "features", "link-order"] {
        let src = fixture(&format!("cmake/{fx}"));
        let plain = tmp.path().join(format!("{fx}-plain/build"));
        run_ok(
            Command::new("cmake")
                .arg("-S")
                .arg(&src)
                .arg("-B")
                .arg(&plain)
                .args(["-G", "Ninja"])
                .env_remove("CC")
                .env_remove("CXX"),
            &format!("plain cmake of {fx}"),
        );
        let (run, scratch) = confess_keeping_scratch(
            &tmp.path().join(format!("{fx}-confess")),
            &["cmake", src.to_str().expect("utf-8")],
        );
        run.assert_ok();
        let ours = scratch.join("build");
        let (a, b) = (cache(&plain), cache(&ours));
        assert!(
            !b.contains_key("CMAKE_TOOLCHAIN_FILE"),
            "{fx}: confess defined CMAKE_TOOLCHAIN_FILE"
        );
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            assert_eq!(a.get(k), b.get(k), "{fx}: CMakeCache entry {k}");
        }
        assert!(a.len() > 20, "{fx}: {} cache entries compared", a.len());
        assert_eq!(compiler_facts(&plain), compiler_facts(&ours), "{fx}");
        // Every configuration header configure wrote.
        let trees_plain = [(src.as_path(), "$SRC"), (plain.as_path(), "$BUILD")];
        let scratch_src = scratch.join("src");
        let trees_ours = [(scratch_src.as_path(), "$SRC"), (ours.as_path(), "$BUILD")];
        let mut headers = 0;
        for f in ["config.h", "include/config.h", "features_config.h"] {
            if plain.join(f).is_file() {
                assert_eq!(
                    text(&plain.join(f), &trees_plain),
                    text(&ours.join(f), &trees_ours),
                    "{fx}: {f}"
                );
                headers += 1;
            }
        }
        if fx == "configure-checks" {
            assert_eq!(headers, 1);
            let config = std::fs::read_to_string(ours.join("config.h")).expect("config.h");
            assert!(config.contains("#define CHECKS_NATIVE 1"), "{config}");
            assert!(config.contains("#define HAVE_POLL_FINE 1"), "{config}");
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

#[test]
fn autoconf_finds_the_compilers_it_finds_without_confess() {
    require("autoreconf", "autoconf");
    require("automake", "automake");
    require("libtoolize", "libtool");
    let tmp = tempfile::tempdir().expect("tmp");
    for fx in ["libtool", "recheck"] {
        let src = fixture(&format!("autotools/{fx}"));
        let plain = tmp.path().join(format!("{fx}-plain"));
        copy_dir(&src, &plain);
        run_ok(
            Command::new("autoreconf").args(["-fi"]).current_dir(&plain),
            &format!("autoreconf of {fx}"),
        );
        run_ok(
            Command::new("./configure")
                .current_dir(&plain)
                .env_remove("CC")
                .env_remove("CXX")
                .env_remove("CPP"),
            &format!("plain configure of {fx}"),
        );
        let (run, scratch) = confess_keeping_scratch(
            &tmp.path().join(format!("{fx}-confess")),
            &["autotools", src.to_str().expect("utf-8")],
        );
        run.assert_ok();
        let ours = scratch.join("src");
        // The compiler and preprocessor configure chose, as the Makefile names them.
        let chosen = |dir: &Path| -> Vec<String> {
            std::fs::read_to_string(dir.join("Makefile"))
                .expect("Makefile")
                .lines()
                .filter(|l| {
                    ["CC = ", "CPP = ", "CXX = ", "CXXCPP = ", "CC_FOR_BUILD = "]
                        .iter()
                        .any(|p| l.starts_with(p))
                })
                .map(str::to_string)
                .collect()
        };
        let names = chosen(&plain);
        assert!(names.iter().any(|l| l == "CC = gcc"), "{fx}: {names:?}");
        assert_eq!(names, chosen(&ours), "{fx}: the compilers configure chose");
        for f in ["config.h"] {
            if plain.join(f).is_file() {
                assert_eq!(
                    text(&plain.join(f), &[(plain.as_path(), "$SRC")]),
                    text(&ours.join(f), &[(ours.as_path(), "$SRC")]),
                    "{fx}: {f}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

#[test]
fn meson_configures_as_plainly_as_without_confess() {
    require("meson", "meson");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    for fx in ["generator", "variants"] {
        let src = fixture(&format!("meson/{fx}"));
        let plain = tmp.path().join(format!("{fx}-plain"));
        run_ok(
            Command::new("meson")
                .arg("setup")
                .arg(&plain)
                .arg(&src)
                .env_remove("CC")
                .env_remove("CXX"),
            &format!("plain meson setup of {fx}"),
        );
        let (run, scratch) = confess_keeping_scratch(
            &tmp.path().join(format!("{fx}-confess")),
            &["meson", src.to_str().expect("utf-8")],
        );
        run.assert_ok();
        let ours = scratch.join("build");
        // The compiler and linker meson found, and the answers of its checks, as its log says.
        let facts = |dir: &Path| -> Vec<String> {
            std::fs::read_to_string(dir.join("meson-logs/meson-log.txt"))
                .expect("meson-log.txt")
                .lines()
                .filter(|l| {
                    l.contains(" for the host machine: ")
                        || l.starts_with("Has header ")
                        || l.starts_with("Checking ")
                        || l.starts_with("Library ")
                })
                .map(str::to_string)
                .collect()
        };
        let found = facts(&plain);
        assert!(
            found
                .iter()
                .any(|l| l.starts_with("C compiler for the host machine: cc ")),
            "{fx}: {found:?}"
        );
        assert_eq!(facts(&plain), facts(&ours), "{fx}");
        if plain.join("config.h").is_file() {
            assert_eq!(
                std::fs::read_to_string(plain.join("config.h")).expect("config.h"),
                std::fs::read_to_string(ours.join("config.h")).expect("config.h"),
                "{fx}: config.h"
            );
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
