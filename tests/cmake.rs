//! `confess cmake` against CMake's own account of the project (the File API's codemodel-v2,
//! asked for in the same build directory), against Bear on a real build, and across the Ninja
//! and Unix Makefiles generators.

mod cmake_oracle;
mod common;
use cmake_oracle::*;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn confess_cmake(tmp: &Path, fx: &Path, generator: &str) -> Run {
    let run = confess(
        tmp,
        &[
            "cmake",
            fx.to_str().expect("utf-8"),
            "--generator",
            generator,
        ],
    );
    run.assert_ok();
    run
}

#[test]
fn basic_fixture_matches_the_file_api_with_both_generators() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/basic");
    let before = tree_digest(&fx);
    let tmp = tempfile::tempdir().expect("tmp");
    let ninja = confess_cmake(&tmp.path().join("ninja"), &fx, "ninja");
    let make = confess_cmake(&tmp.path().join("make"), &fx, "make");
    assert_eq!(tree_digest(&fx), before, "confess changed the fixture");
    check_against_file_api(&fx, &ninja);
    check_against_file_api(&fx, &make);
    assert_eq!(
        edge_set(&ninja.json("graph.json")),
        edge_set(&make.json("graph.json")),
        "Ninja and Unix Makefiles give different graphs"
    );
    // The generator ran for real: the generated table is kept, with its content.
    let table = std::fs::read_to_string(ninja.out.join("build/table.c")).expect("table.c kept");
    assert!(table.contains("27"), "{table}");
}

#[test]
fn basic_fixture_compile_database_matches_bear() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/basic");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess_cmake(&tmp.path().join("c"), &fx, "ninja");
    let (real_src, real_build, bear_db) = real_build_with_bear(&fx, tmp.path(), &[]);
    let ours = normalized_tus(
        &run.json("compile_commands.json"),
        &fx,
        &run.out.join("build"),
    );
    let theirs = normalized_tus(&bear_db, &real_src, &real_build);
    assert_eq!(ours.len(), 10);
    assert_eq!(ours, theirs);
    clangd::parity_trees(
        "cmake/basic",
        &run.out,
        &fx,
        &real_src,
        &real_build,
        &bear_db,
    );
}

#[test]
fn a_failing_configure_names_the_file_and_line() {
    require("cmake", "cmake");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.16)\nproject(p C)\nadd_executable(app no_such_source.c)\n",
    )
    .expect("write");
    let run = confess(
        &tmp.path().join("o"),
        &["cmake", src.to_str().expect("utf-8")],
    );
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(err.contains("CMakeLists.txt:3"), "{err}");
    assert!(
        err.contains(&format!(
            "{}/CMakeLists.txt:3 (add_executable)",
            src.display()
        )),
        "{err}"
    );
    assert!(
        !err.contains("/tmp/confess-"),
        "the message names the scratch directory: {err}"
    );
}

#[test]
fn packages_are_found_for_real_or_made_up_as_asked() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    assert!(
        Path::new("/usr/include/zlib.h").exists(),
        "zlib1g-dev is required (scripts/install-deps.sh installs it)"
    );
    let fx = fixture("cmake/packages");
    let tmp = tempfile::tempdir().expect("tmp");

    // auto: ZLIB is installed and found for real; ConfessWidget is not, and is made up.
    let auto = confess(
        &tmp.path().join("auto"),
        &["cmake", fx.to_str().expect("utf-8")],
    );
    auto.assert_ok();
    let g = auto.json("graph.json");
    let zlib = package(&g, None, "ZLIB");
    assert_eq!(
        (zlib["resolved"].as_str(), zlib["found"].as_bool()),
        (Some("real"), Some(true))
    );
    assert_eq!(zlib["lines"], serde_json::json!([5]));
    assert!(zlib["file"]
        .as_str()
        .expect("file")
        .ends_with("fixtures/cmake/packages/CMakeLists.txt"));
    let widget = package(&g, None, "ConfessWidget");
    assert_eq!(widget["resolved"], "fake");
    assert_eq!(widget["version"], "2.1");
    assert_eq!(widget["lines"], serde_json::json!([7]));
    let targets = strs(&widget["targets"]);
    assert!(
        targets.contains(&"ConfessWidget::core") && targets.contains(&"ConfessWidget::extra"),
        "{targets:?}"
    );
    let app = g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["path"] == "app")
        .expect("app");
    for p in [zlib, widget] {
        assert!(
            p["used_by"]
                .as_array()
                .expect("used_by")
                .contains(&app["id"]),
            "{} is not used by app: {p}",
            p["name"]
        );
    }
    let libs = link_inputs(&g, "[build]/app", Some("library"));
    assert!(libs.iter().any(|l| l.ends_with("/libz.so")), "{libs:?}");
    assert!(libs.contains("-lconfesswidget_core"), "{libs:?}");
    // pkg-config: zlib.pc is installed and answers for real; confessgadget is made up, with
    // the version asked for, one entry however many times FindPkgConfig asked.
    let pc: Vec<&Value> = g["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["method"] == "pkg-config")
        .collect();
    assert_eq!(pc.len(), 2, "{pc:?}");
    let gadget = pc
        .iter()
        .find(|p| p["name"] == "confessgadget")
        .expect("confessgadget");
    assert_eq!(
        (
            gadget["resolved"].as_str(),
            gadget["version"].as_str(),
            gadget["file"].as_str()
        ),
        (Some("fake"), Some("3.1"), Some("cmake"))
    );
    assert!(gadget["used_by"]
        .as_array()
        .expect("used_by")
        .contains(&app["id"]));
    assert_eq!(
        pc.iter().find(|p| p["name"] == "zlib").expect("zlib")["resolved"],
        "real"
    );
    assert!(libs.contains("-lconfessgadget"), "{libs:?}");
    let stub = gadget["include_dirs"][0].as_str().expect("include dir");
    assert!(
        Path::new(stub).is_dir() && stub.starts_with(auto.out.to_str().expect("utf-8")),
        "{stub}"
    );
    // The made-up include directory exists in the output directory, and the header that is
    // not there is a missing header, not a generated file.
    let stub = widget["include_dirs"][0].as_str().expect("include dir");
    assert!(
        stub.starts_with(auto.out.to_str().expect("utf-8")) && Path::new(stub).is_dir(),
        "{stub}"
    );
    assert!(g["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .any(|n| n["kind"] == "missing_header"
            && n["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("confess_widget.h"))));

    check_fake_and_real_deps(&fx, tmp.path());
}

/// `--deps fake` makes everything up, ZLIB included; `--deps real` stops at the missing package and says where and what to do.
fn check_fake_and_real_deps(fx: &Path, tmp: &Path) {
    // fake: everything made up, ZLIB included.
    let fake = confess(
        &tmp.join("fake"),
        &["cmake", fx.to_str().expect("utf-8"), "--deps", "fake"],
    );
    fake.assert_ok();
    let g = fake.json("graph.json");
    assert_eq!(package(&g, None, "ZLIB")["resolved"], "fake");
    assert_eq!(package(&g, None, "Threads")["resolved"], "fake");
    let libs = link_inputs(&g, "[build]/app", Some("library"));
    let want: BTreeSet<String> = ["-lconfessgadget", "-lconfesswidget_core", "-lz", "-lzlib"]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(libs, want);

    // real: the missing package stops the configure, and the message says where and what to do.
    let real = confess(
        &tmp.join("real"),
        &["cmake", fx.to_str().expect("utf-8"), "--deps", "real"],
    );
    assert_eq!(real.code(), 1);
    let err = real.stderr();
    assert!(
        err.contains("packages/CMakeLists.txt:7 (find_package)"),
        "{err}"
    );
    assert!(err.contains("--deps fake"), "{err}");
}

#[test]
fn features_fixture_pch_imported_library_and_options() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/features");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut runs = Vec::new();
    for generator in ["ninja", "make"] {
        let run = confess(
            &tmp.path().join(generator),
            &[
                "cmake",
                fx.to_str().expect("utf-8"),
                "--generator",
                generator,
                "--",
                "-DFEATURES_FAST=ON",
            ],
        );
        run.assert_ok().assert_scanned_in_process();
        check_against_file_api(&fx, &run);
        runs.push(run);
    }
    assert_eq!(
        edge_set(&runs[0].json("graph.json")),
        edge_set(&runs[1].json("graph.json")),
        "Ninja and Unix Makefiles give different graphs"
    );
    let g = runs[0].read("graph.txt");
    // The option reached the compiles; the precompiled header is an input of the compiles that
    // use it; the imported archive shipped in the tree is a link input.
    assert!(g.contains("'-DCORE_FAST=1'"), "{g}");
    assert!(
        g.contains("compile c++ -> [build]/CMakeFiles/core.dir/cmake_pch.hxx.gch\n"),
        "{g}"
    );
    assert_eq!(
        g.matches("  input [build]/CMakeFiles/core.dir/cmake_pch.hxx.gch\n")
            .count(),
        2,
        "{g}"
    );
    assert!(g.contains("  input prebuilt/libprebuilt.a\n"), "{g}");
    assert!(g.contains("  header prebuilt/prebuilt.h\n"), "{g}");
}

#[test]
fn regeneration_inside_a_confessed_build_gets_real_answers() {
    // After a confession, the CMakeLists.txt of the kept scratch copy is edited and the build
    // runs again under the shims: ninja re-runs cmake, and the new checks must get real answers
    // (a header that does not exist is still missing), not a shim's.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let lists = "cmake_minimum_required(VERSION 3.16)\nproject(regen C)\ninclude(CheckIncludeFile)\nadd_executable(app main.c)\n";
    std::fs::write(src.join("CMakeLists.txt"), lists).expect("write");
    std::fs::write(src.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    std::fs::write(
        src.join("config.h.in"),
        "#cmakedefine HAVE_STDIO_H\n#cmakedefine HAVE_NO_SUCH_HEADER\n",
    )
    .expect("write");
    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &["cmake", src.to_str().expect("utf-8")],
    );
    run.assert_ok();
    // The edit: two new checks and a configured header.
    let edited = format!("{lists}check_include_file(stdio.h HAVE_STDIO_H)\ncheck_include_file(confess_no_such_header.h HAVE_NO_SUCH_HEADER)\nconfigure_file(config.h.in config.h)\n");
    std::fs::write(scratch.join("src/CMakeLists.txt"), edited).expect("edit");
    let st = under_shims(&scratch, "cmake")
        .args(["--build", scratch.join("build").to_str().expect("utf-8")])
        .output()
        .expect("cmake --build");
    assert!(
        st.status.success(),
        "{}{}",
        String::from_utf8_lossy(&st.stdout),
        String::from_utf8_lossy(&st.stderr)
    );
    let log = String::from_utf8_lossy(&st.stdout);
    assert!(
        log.contains("Re-running CMake") || log.contains("Configuring done"),
        "the build did not regenerate:\n{log}"
    );
    let config = std::fs::read_to_string(scratch.join("build/config.h")).expect("config.h");
    assert!(config.contains("#define HAVE_STDIO_H"), "{config}");
    assert!(
        config.contains("/* #undef HAVE_NO_SUCH_HEADER */"),
        "a missing header was found during regeneration:\n{config}"
    );
    // The probes ran for real, and were recorded as such.
    let conn = scratch_events(&scratch);
    let probes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE phase = 'build' AND decision = 'passthrough'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(
        probes >= 2,
        "only {probes} real calls during the regeneration"
    );
    std::fs::remove_dir_all(&scratch).expect("cleanup");
}

#[test]
fn fetchcontent_requests_are_recorded_with_url_and_hash() {
    use sha2::Digest;
    // Offline: the content is a tarball on this machine, fetched by URL with its hash.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let dep = tmp.path().join("dep");
    std::fs::create_dir_all(&dep).expect("mkdir");
    std::fs::write(dep.join("CMakeLists.txt"), "cmake_minimum_required(VERSION 3.16)\nproject(dep C)\nadd_library(dep STATIC dep.c)\ntarget_include_directories(dep PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n").expect("write");
    std::fs::write(dep.join("dep.c"), "int dep_value(void) { return 5; }\n").expect("write");
    std::fs::write(dep.join("dep.h"), "int dep_value(void);\n").expect("write");
    let st = std::process::Command::new("tar")
        .args(["-czf", "dep.tar.gz", "dep"])
        .current_dir(tmp.path())
        .status()
        .expect("tar");
    assert!(st.success());
    let hash = confess_shims::token::hex(&sha2::Sha256::digest(
        std::fs::read(tmp.path().join("dep.tar.gz")).expect("tarball"),
    ));
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).expect("mkdir");
    let url = format!("file://{}/dep.tar.gz", tmp.path().display());
    std::fs::write(proj.join("CMakeLists.txt"), format!("cmake_minimum_required(VERSION 3.24)\nproject(proj C)\ninclude(FetchContent)\nFetchContent_Declare(dep URL {url} URL_HASH SHA256={hash})\nFetchContent_MakeAvailable(dep)\nadd_executable(app main.c)\ntarget_link_libraries(app PRIVATE dep)\n")).expect("write");
    std::fs::write(
        proj.join("main.c"),
        "#include \"dep.h\"\nint main(void) { return dep_value() - 5; }\n",
    )
    .expect("write");
    let run = confess(
        &tmp.path().join("c"),
        &["cmake", proj.to_str().expect("utf-8")],
    );
    run.assert_ok();
    let g = run.json("graph.json");
    let p = package(&g, None, "dep");
    assert_eq!(p["method"], "FetchContent");
    assert_eq!(p["url"].as_str(), Some(url.as_str()));
    assert_eq!(p["hash"].as_str(), Some(format!("SHA256={hash}").as_str()));
    assert!(
        p["file"]
            .as_str()
            .expect("file")
            .ends_with("proj/CMakeLists.txt"),
        "{p}"
    );
    assert_eq!(p["lines"], serde_json::json!([4]));
    let text = serde_json::to_string(&g).expect("json");
    assert!(
        !text.contains("/tmp/confess-"),
        "graph.json names the scratch directory"
    );
    // The fetched library is built and linked like the project's own.
    let libs = g["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["kind"] == "link")
        .expect("link");
    let inputs: Vec<String> = libs["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| node_loc(&g, &i["node"]))
        .collect();
    assert!(
        inputs.contains(&"[build]/_deps/dep-build/libdep.a".to_string()),
        "{inputs:?}"
    );
}

#[test]
fn a_toolchain_file_of_the_users_is_loaded_first() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let toolchain = tmp.path().join("my-toolchain.cmake");
    std::fs::write(
        &toolchain,
        "set(CMAKE_C_FLAGS_INIT \"-DFROM_USER_TOOLCHAIN=1\")\nset(MY_TOOLCHAIN_LOADED ON)\n",
    )
    .expect("write");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("CMakeLists.txt"), "cmake_minimum_required(VERSION 3.16)\nproject(p C)\nif(NOT MY_TOOLCHAIN_LOADED)\n  message(FATAL_ERROR \"the user's toolchain file was not loaded\")\nendif()\nadd_executable(app main.c)\n").expect("write");
    std::fs::write(
        src.join("main.c"),
        "int main(void) { return FROM_USER_TOOLCHAIN - 1; }\n",
    )
    .expect("write");
    let arg = format!("-DCMAKE_TOOLCHAIN_FILE={}", toolchain.display());
    let run = confess(
        &tmp.path().join("c"),
        &["cmake", src.to_str().expect("utf-8"), "--", &arg],
    );
    run.assert_ok();
    // The user's flags reached the compile, and the compile still went through the shims.
    let g = run.read("graph.txt");
    assert!(g.contains("'-DFROM_USER_TOOLCHAIN=1'"), "{g}");
    assert!(
        g.contains("compile cc -> [build]/CMakeFiles/app.dir/main.c.o\n"),
        "{g}"
    );
}

/// CMake's own compile database of a real configure of a copy of `fx` (its `command` strings
/// split into `arguments`), with the copy and the build directory.
fn cmake_export(fx: &Path, tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, Value) {
    let (src, build) = real_configure(fx, tmp, &["-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]);
    let mut db: Value = serde_json::from_str(
        &std::fs::read_to_string(build.join("compile_commands.json")).expect("export"),
    )
    .expect("json");
    for e in db.as_array_mut().expect("array") {
        let words = shlex::split(e["command"].as_str().expect("command")).expect("words");
        e["arguments"] = words.into();
    }
    (src, build, db)
}

#[test]
fn all_targets_confesses_every_entry_of_cmakes_own_export() {
    // A test program (EXCLUDE_FROM_ALL) and an examples directory added EXCLUDE_FROM_ALL:
    // outside the default build, in CMake's export.
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/excluded");
    let tmp = tempfile::tempdir().expect("tmp");
    let (real_src, real_build, export) = cmake_export(&fx, tmp.path());
    let theirs = normalized_tus(&export, &real_src, &real_build);
    assert_eq!(theirs.len(), 4, "{theirs:?}");

    let default = confess_cmake(&tmp.path().join("d"), &fx, "ninja");
    let files = |run: &Run| -> BTreeSet<String> {
        run.json("compile_commands.json")
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["file"].as_str().expect("file").to_string())
            .collect()
    };
    let f = files(&default);
    assert!(
        !f.iter()
            .any(|p| p.ends_with("core_test.c") || p.ends_with("demo.c")),
        "the default build made the excluded targets: {f:?}"
    );

    let all = confess(
        &tmp.path().join("a"),
        &["cmake", fx.to_str().expect("utf-8"), "--all-targets"],
    );
    all.assert_ok();
    let ours = normalized_tus(
        &all.json("compile_commands.json"),
        &fx,
        &all.out.join("build"),
    );
    // Every entry of CMake's export has its twin: the same file and the same flags.
    assert_eq!(ours, theirs, "--all-targets differs from CMake's export");
    let t = all.json("targets.json");
    for name in ["core_test", "demo", "tool", "core"] {
        target_of(&t, None, name);
    }
    // The manifests rebuild them all as a real build of every target makes them.
    let (objects, identical) = assert_verified("cmake/excluded --all-targets", &all.out);
    assert_eq!(objects, 4, "objects verified");
    assert_eq!(identical, objects, "objects differ in bytes");
}
