//! What a CMake project asks from outside, as `confess cmake` records it: find_package through
//! the command override (the fallback for CMake before 3.24) against the dependency provider,
//! pkg_search_module under `--deps auto`, and ExternalProject_Add.

mod cmake_oracle;
mod common;
use cmake_oracle::{link_inputs, package};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// What a package record says, without the paths of the run it came from.
fn facts(p: &Value) -> String {
    let mut p = p.clone();
    for k in ["include_dirs", "file"] {
        if let Some(s) = p[k].as_str() {
            p[k] = Value::String(s.rsplit("confess-out").next().unwrap_or(s).to_string());
        }
        if let Some(a) = p[k].as_array() {
            p[k] = a
                .iter()
                .map(|v| {
                    let s = v.as_str().unwrap_or_default();
                    Value::String(s.rsplit("confess-out").next().unwrap_or(s).to_string())
                })
                .collect();
        }
    }
    serde_json::to_string(&p).expect("json")
}

#[test]
fn the_find_package_override_records_what_the_provider_records() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/packages");
    let tmp = tempfile::tempdir().expect("tmp");
    for deps in ["auto", "fake"] {
        let provider = confess(
            &tmp.path().join(format!("provider-{deps}")),
            &["cmake", fx.to_str().expect("utf-8"), "--deps", deps],
        );
        provider.assert_ok();
        let over = confess_env(
            &tmp.path().join(format!("override-{deps}")),
            &["cmake", fx.to_str().expect("utf-8"), "--deps", deps],
            &[("CONFESS_FIND_PACKAGE", "override")],
        );
        over.assert_ok();
        let (a, b) = (provider.json("graph.json"), over.json("graph.json"));
        let fp = |g: &Value| -> Vec<String> {
            g["packages"]
                .as_array()
                .expect("packages")
                .iter()
                .filter(|p| p["method"] == "find_package")
                .map(|p| {
                    let mut p = p.clone();
                    p.as_object_mut().expect("object").remove("hook");
                    facts(&p)
                })
                .collect()
        };
        let (pa, pb) = (fp(&a), fp(&b));
        assert_eq!(pa.len(), 4, "--deps {deps}: {pa:#?}");
        assert_eq!(pa, pb, "--deps {deps}: provider and override differ");
        // The same build: the same links with the same libraries.
        assert_eq!(
            link_inputs(&a, "[build]/app", None),
            link_inputs(&b, "[build]/app", None),
            "--deps {deps}"
        );
        // Each side really was the one answering.
        let hooks = |g: &Value| -> BTreeSet<String> {
            g["packages"]
                .as_array()
                .expect("packages")
                .iter()
                .filter(|p| p["method"] == "find_package")
                .map(|p| p["hook"].as_str().unwrap_or("none").to_string())
                .collect()
        };
        assert_eq!(hooks(&a), BTreeSet::from(["provider".to_string()]));
        assert_eq!(hooks(&b), BTreeSet::from(["override".to_string()]));
    }
}

#[test]
fn pkg_search_module_takes_the_first_installed_module_under_auto() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    require("pkg-config", "pkg-config");
    assert!(
        Path::new("/usr/share/pkgconfig/zlib.pc").exists()
            || Path::new("/usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc").exists(),
        "zlib1g-dev is required (scripts/install-deps.sh installs it)"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.16)\nproject(search C)\n\
         find_package(PkgConfig REQUIRED)\n\
         pkg_search_module(Z REQUIRED IMPORTED_TARGET confessnothere zlib)\n\
         pkg_search_module(NONE REQUIRED IMPORTED_TARGET confessnone1 confessnone2)\n\
         add_executable(app main.c)\n\
         target_link_libraries(app PRIVATE PkgConfig::Z PkgConfig::NONE)\n",
    )
    .expect("write");
    std::fs::write(src.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    let run = confess(
        &tmp.path().join("auto"),
        &["cmake", src.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let g = run.json("graph.json");
    let state = |name: &str| {
        let p = package(&g, Some("pkg-config"), name);
        (
            p["resolved"].as_str().unwrap_or_default().to_string(),
            p["found"].as_bool(),
        )
    };
    // The first installed module is taken, as CMake takes it without confess.
    assert_eq!(state("zlib"), ("real".into(), Some(true)));
    assert_eq!(state("confessnothere"), ("real".into(), Some(false)));
    // None installed: the first is made up, the second was only looked for.
    assert_eq!(state("confessnone1"), ("fake".into(), Some(true)));
    assert_eq!(state("confessnone2"), ("real".into(), Some(false)));
    let libs = link_inputs(&g, "[build]/app", None);
    assert!(libs.contains("-lconfessnone1"), "{libs:?}");
    assert!(
        libs.iter().any(|l| l == "-lz" || l.ends_with("/libz.so")),
        "{libs:?}"
    );
    assert!(!libs.contains("-lconfessnothere"), "{libs:?}");

    // fake: the first module, installed or not, is made up, as before.
    let fake = confess(
        &tmp.path().join("fake"),
        &["cmake", src.to_str().expect("utf-8"), "--deps", "fake"],
    );
    fake.assert_ok();
    let g = fake.json("graph.json");
    assert_eq!(
        package(&g, Some("pkg-config"), "confessnothere")["resolved"],
        "fake"
    );
    assert!(link_inputs(&g, "[build]/app", None).contains("-lconfessnothere"));
}

#[test]
fn external_projects_are_recorded_with_where_they_come_from() {
    use sha2::Digest;
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    // Offline: a tarball on this machine, fetched by URL with its hash, and a local directory.
    let dep = tmp.path().join("dep");
    std::fs::create_dir_all(&dep).expect("mkdir");
    std::fs::write(dep.join("README"), "not a CMake project\n").expect("write");
    let st = std::process::Command::new("tar")
        .args(["-czf", "dep.tar.gz", "dep"])
        .current_dir(tmp.path())
        .status()
        .expect("tar");
    assert!(st.success());
    let hash = confess_shims::token::hex(&sha2::Sha256::digest(
        std::fs::read(tmp.path().join("dep.tar.gz")).expect("tarball"),
    ));
    let url = format!("file://{}/dep.tar.gz", tmp.path().display());
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(proj.join("sub")).expect("mkdir");
    // Empty commands ("") are what make the fetched tree need no build: dropped, CMake would
    // try to configure a tree that has no CMakeLists.txt, and the build would fail.
    std::fs::write(
        proj.join("CMakeLists.txt"),
        format!(
            "cmake_minimum_required(VERSION 3.16)\nproject(proj C)\n\
             include(ExternalProject)\n\
             ExternalProject_Add(fetched\n  URL {url}\n  URL_HASH SHA256={hash}\n  \
             CONFIGURE_COMMAND \"\"\n  BUILD_COMMAND \"\"\n  INSTALL_COMMAND \"\")\n\
             add_subdirectory(sub)\n\
             add_executable(app main.c)\n"
        ),
    )
    .expect("write");
    std::fs::write(
        proj.join("sub/CMakeLists.txt"),
        format!(
            "include(ExternalProject)\n\n\
             ExternalProject_Add(local SOURCE_DIR {} CONFIGURE_COMMAND \"\" BUILD_COMMAND \"\" INSTALL_COMMAND \"\")\n",
            dep.display()
        ),
    )
    .expect("write");
    std::fs::write(proj.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    let run = confess(
        &tmp.path().join("c"),
        &["cmake", proj.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let g = run.json("graph.json");
    let fetched = package(&g, Some("ExternalProject"), "fetched");
    assert_eq!(fetched["url"].as_str(), Some(url.as_str()));
    assert_eq!(
        fetched["hash"].as_str(),
        Some(format!("SHA256={hash}").as_str())
    );
    assert_eq!(fetched["lines"], serde_json::json!([4]));
    assert!(
        fetched["file"]
            .as_str()
            .is_some_and(|f| f == proj.join("CMakeLists.txt").to_str().unwrap_or("")),
        "{fetched}"
    );
    let args: Vec<&str> = fetched["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(args.contains(&"CONFIGURE_COMMAND"), "{args:?}");
    let local = package(&g, Some("ExternalProject"), "local");
    assert_eq!(local["url"].as_str(), dep.to_str());
    assert_eq!(local["hash"], "");
    assert_eq!(local["lines"], serde_json::json!([3]));
    assert!(
        local["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("proj/sub/CMakeLists.txt")),
        "{local}"
    );
    // CMake's own ExternalProject ran: the tarball was fetched and unpacked in the build.
    let log = std::fs::read_to_string(run.out.join("build.log")).expect("build.log");
    assert!(
        log.contains("Performing download step") || log.contains("verifying file"),
        "{log}"
    );
    assert!(
        !serde_json::to_string(&g)
            .expect("json")
            .contains("/tmp/confess-"),
        "graph.json names the scratch directory"
    );
}
