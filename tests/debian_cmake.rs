//! Real CMake projects from Debian source packages (zlib, cjson, expat, double-conversion in
//! C++ with LTO, snappy with googletest added from /usr/src/googletest, libjpeg-turbo with its
//! SIMD code in nasm), confessed with
//! `--deps real` and `--deps fake`, checked against CMake's File API from the same build
//! directory, and (real) against Bear on a real build and across the Ninja and Unix Makefiles
//! generators. The user's tree stays untouched even where the project's configure writes into
//! its sources (zlib renames zconf.h).

#[path = "cmake_oracle.rs"]
mod cmake_oracle;
mod common;
use common::*;
use std::path::{Path, PathBuf};

/// Unpacks the upstream tarball; `fix` applies the documented quirk of Debian's tarball.
fn source(pkg: &str, tmp: &Path, fix: impl Fn(&Path)) -> PathBuf {
    let src = corpus::upstream(pkg, &tmp.join("src"));
    fix(&src);
    src
}

fn check(pkg: &str, subdir: &str, fix: impl Fn(&Path), extra: &[&str]) {
    check_with(pkg, subdir, fix, extra, true);
}

/// `same_bytes`: every object of the manifest build is the real one's bytes (not so under
/// `-flto`: GIMPLE sections carry a random suffix without `-frandom-seed`).
fn check_with(pkg: &str, subdir: &str, fix: impl Fn(&Path), extra: &[&str], same_bytes: bool) {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let top = source(pkg, tmp.path(), fix);
    let src = if subdir.is_empty() {
        top
    } else {
        top.join(subdir)
    };
    let before = tree_digest(&src);
    for deps in ["real", "fake"] {
        let mut args = vec!["cmake", src.to_str().expect("utf-8"), "--deps", deps];
        if !extra.is_empty() {
            args.push("--");
            args.extend(extra);
        }
        let run = confess(&tmp.path().join(deps), &args);
        run.assert_ok().assert_scanned_in_process();
        assert_eq!(
            tree_digest(&src),
            before,
            "{pkg}: confess changed the source tree"
        );
        cmake_oracle::check_against_file_api(&src, &run);
        sbom_figures(
            &format!("{pkg} --deps {deps}"),
            &run.out,
            &tmp.path().join(deps),
        );
        assert_eq!(
            dhall::check_project(&format!("{pkg} --deps {deps}"), &run.out, &src),
            0,
            "Raw flags in {pkg}'s manifests"
        );
        if deps == "real" {
            let (real_src, real_build, bear_db) =
                cmake_oracle::real_build_with_bear(&src, tmp.path(), extra);
            let ours = cmake_oracle::normalized_tus(
                &run.json("compile_commands.json"),
                &src,
                &run.out.join("build"),
            );
            let theirs = cmake_oracle::normalized_tus(&bear_db, &real_src, &real_build);
            assert!(
                theirs.len() >= 5,
                "{pkg}: Bear saw {} translation units",
                theirs.len()
            );
            assert_eq!(ours, theirs, "{pkg}: compile database differs from Bear's");
            // The manifests rebuild what the real build builds, object for object.
            let (objects, identical) = assert_verified(pkg, &run.out);
            assert!(objects >= 5, "{pkg}: {objects} objects verified");
            if same_bytes {
                assert_eq!(identical, objects, "{pkg}: objects differ in bytes");
            }
            eprintln!("{pkg}: verify: {identical} of {objects} objects identical in bytes, every target agrees");
            html::check(pkg, &run.out);
            // The Unix Makefiles generator gives the same graph as Ninja.
            let mut make_args = vec![
                "cmake",
                src.to_str().expect("utf-8"),
                "--deps",
                deps,
                "--generator",
                "make",
            ];
            if !extra.is_empty() {
                make_args.push("--");
                make_args.extend(extra);
            }
            let make = confess(&tmp.path().join("make"), &make_args);
            make.assert_ok();
            cmake_oracle::check_against_file_api(&src, &make);
            assert_eq!(
                cmake_oracle::edge_set(&run.json("graph.json")),
                cmake_oracle::edge_set(&make.json("graph.json")),
                "{pkg}: Ninja and Unix Makefiles give different graphs"
            );
        }
    }
}

#[test]
fn zlib() {
    // Debian's repacked tarball drops win32/, but CMakeLists.txt still lists win32/zlib1.rc.
    check(
        "zlib",
        "",
        |src| {
            std::fs::create_dir_all(src.join("win32")).expect("mkdir");
            std::fs::write(src.join("win32/zlib1.rc"), "").expect("write");
        },
        &[],
    );
}

#[test]
fn double_conversion_cxx_with_lto() {
    // A C++ library and its test program built as Debian builds with LTO (dpkg-buildflags'
    // `-flto=auto -ffat-lto-objects`): linked in CMake's object order, rebuilt from the
    // manifests to the same symbols, members and needed libraries.
    check_with(
        "double-conversion",
        "",
        |_| {},
        &[
            "-DCMAKE_CXX_FLAGS=-O2 -flto=auto -ffat-lto-objects",
            "-DBUILD_TESTING=ON",
        ],
        false,
    );
}

#[test]
fn snappy_with_googletest_from_outside_its_tree() {
    // Debian builds link googletest's sources from /usr/src/googletest (the googletest
    // package), added with add_subdirectory: snappy's tests are built that way here (its
    // bundled third_party/googletest swapped for /usr/src/googletest in the unpacked copy).
    // googletest's and googlemock's libraries are targets under _outside/, with valid refs,
    // rebuilt from their manifests.
    assert!(
        Path::new("/usr/src/googletest/CMakeLists.txt").is_file(),
        "/usr/src/googletest is missing: install the googletest package (scripts/install-deps.sh)"
    );
    check(
        "snappy",
        "",
        |src| {
            let cm = src.join("CMakeLists.txt");
            let text = std::fs::read_to_string(&cm).expect("CMakeLists.txt");
            let swapped = text.replace(
                "add_subdirectory(\"third_party/googletest\")",
                "add_subdirectory(/usr/src/googletest googletest)",
            );
            assert_ne!(
                swapped, text,
                "snappy's CMakeLists.txt no longer adds googletest"
            );
            std::fs::write(&cm, swapped).expect("write");
        },
        &["-DSNAPPY_BUILD_BENCHMARKS=OFF"],
    );
}

#[test]
fn libjpeg_turbo_with_nasm() {
    // 27 of its objects are nasm's (CMake's ASM_NASM language), in an object library linked
    // into both libjpeg and libturbojpeg, static and shared; the shared libjpeg is linked with a
    // version script configure writes into the build tree.
    require("nasm", "nasm");
    check("libjpeg-turbo", "", |_| {}, &[]);
}

#[test]
fn cjson() {
    check("cjson", "", |_| {}, &[]);
}

#[test]
fn expat() {
    // The upstream tarball (Debian's security patches do not build with CMake); the CMake
    // project is its expat/ directory.
    check("expat", "expat", |_| {}, &[]);
}

/// Both SBOMs of a confession, valid by their formats' validators; prints what they list.
fn sbom_figures(what: &str, out: &Path, dir: &Path) {
    let (cdx, spdx) = common::sbom::checked(out, dir);
    let refs: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let count = |p: &str| refs.iter().filter(|r| r.starts_with(p)).count();
    eprintln!(
        "{what}: SBOM valid (CycloneDX 1.5, SPDX 2.3): {} targets, {} packages, {} outside files, {} -l libraries; {} SPDX relationships",
        count("//"),
        count("package:"),
        count("file:"),
        count("lib:"),
        spdx["relationships"].as_array().map_or(0, Vec::len)
    );
}
