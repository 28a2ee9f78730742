//! `confess sbom`: the externals of a confessed build as CycloneDX 1.5 and SPDX 2.3 JSON, each
//! checked by its own ecosystem's validator (cyclonedx-python-lib's strict JSON-schema
//! validator, spdx-tools' pyspdxtools; scripts/install-deps.sh installs both in a virtual
//! environment), and their contents against what the machine says independently: the
//! installed library's sha256, pkg-config's version of zlib.

mod common;
use common::sbom::checked;
use common::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

fn component<'a>(cdx: &'a Value, bom_ref: &str) -> &'a Value {
    cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["bom-ref"] == bom_ref)
        .unwrap_or_else(|| panic!("no component {bom_ref}: {cdx:#}"))
}

fn props(c: &Value, name: &str) -> Vec<String> {
    c["properties"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["name"] == format!("confess:{name}"))
                .map(|p| p["value"].as_str().expect("value").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn depends_on(cdx: &Value, r: &str) -> Vec<String> {
    let d = cdx["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["ref"] == r)
        .unwrap_or_else(|| panic!("no dependencies of {r}"));
    strs(&d["dependsOn"])
        .into_iter()
        .map(String::from)
        .collect()
}

fn spdx_id(spdx: &Value, name: &str) -> String {
    spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no SPDX package {name}"))["SPDXID"]
        .as_str()
        .expect("id")
        .to_string()
}

fn related(spdx: &Value, from: &str, kind: &str, to: &str) -> bool {
    spdx["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .any(|r| {
            r["spdxElementId"] == from
                && r["relationshipType"] == kind
                && r["relatedSpdxElement"] == to
        })
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(p).expect("read");
    sha2::Sha256::digest(&bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn pkg_config_version(module: &str) -> String {
    let o = Command::new("pkg-config")
        .args(["--modversion", module])
        .output()
        .expect("pkg-config");
    String::from_utf8(o.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

#[test]
fn cmake_packages_are_listed_with_versions_files_hashes_and_users() {
    require("cmake", "cmake");
    require("pkg-config", "pkg-config");
    let tmp = tempfile::tempdir().expect("tmp");
    let r = confess(
        &tmp.path().join("c"),
        &["cmake", fixture("cmake/packages").to_str().expect("utf-8")],
    );
    r.assert_ok();
    let (cdx, spdx) = checked(&r.out, tmp.path());

    // ZLIB: found on the machine, the version zlib's own pkg-config file gives, its library
    // a part of it with the sha256 of the file on disk, and //:app uses it.
    let zlib = component(&cdx, "package:find_package:ZLIB");
    assert_eq!(zlib["version"], pkg_config_version("zlib").as_str());
    assert_eq!(props(zlib, "resolved"), ["real"]);
    assert_eq!(props(zlib, "used-by"), ["//:app"]);
    let at = props(zlib, "requested-at");
    assert_eq!(at.len(), 1);
    assert!(
        at[0].ends_with("fixtures/cmake/packages/CMakeLists.txt:5"),
        "{at:?}"
    );
    let libz = Path::new("/usr/lib/x86_64-linux-gnu/libz.so");
    let part = &zlib["components"][0];
    assert_eq!(part["bom-ref"], format!("file:{}", libz.display()).as_str());
    assert_eq!(part["hashes"][0]["alg"], "SHA-256");
    assert_eq!(part["hashes"][0]["content"], sha256_file(libz).as_str());

    // ConfessWidget is installed nowhere: made up, and said to be.
    let widget = component(&cdx, "package:find_package:ConfessWidget");
    assert_eq!(widget["version"], "2.1");
    assert_eq!(props(widget, "resolved"), ["fake"]);
    let gadget = component(&cdx, "package:pkg-config:confessgadget");
    assert_eq!(props(gadget, "resolved"), ["fake"]);
    assert_eq!(props(gadget, "asked-by"), ["cmake"]);

    // Asked for but linked by no target: listed, used by none.
    let threads = component(&cdx, "package:find_package:Threads");
    assert_eq!(props(threads, "used-by"), Vec::<String>::new());

    let app = component(&cdx, "//:app");
    assert_eq!(app["type"], "application");
    assert_eq!(props(app, "kind"), ["executable"]);
    assert_eq!(
        depends_on(&cdx, "//:app"),
        [
            "package:find_package:ConfessWidget",
            "package:find_package:ZLIB",
            "package:pkg-config:confessgadget"
        ]
    );
    assert_eq!(depends_on(&cdx, "project:packages"), ["//:app"]);

    // SPDX: the same facts as packages and relationships.
    let app = spdx_id(&spdx, "//:app");
    let zlib = spdx_id(&spdx, "ZLIB");
    let libz_id = spdx_id(&spdx, "libz.so");
    assert!(related(&spdx, &app, "DEPENDS_ON", &zlib));
    assert!(related(&spdx, &zlib, "CONTAINS", &libz_id));
    assert!(related(&spdx, "SPDXRef-Project", "CONTAINS", &app));
    assert!(related(
        &spdx,
        "SPDXRef-DOCUMENT",
        "DESCRIBES",
        "SPDXRef-Project"
    ));
    let p = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["SPDXID"] == libz_id.as_str())
        .expect("libz.so");
    assert_eq!(p["packageFileName"], "/usr/lib/x86_64-linux-gnu/libz.so");
    assert_eq!(
        p["checksums"][0]["checksumValue"],
        sha256_file(libz).as_str()
    );
}

#[test]
fn pkg_config_modules_and_linked_libraries_of_an_autotools_build() {
    require("autoreconf", "autoconf");
    require("pkg-config", "pkg-config");
    let tmp = tempfile::tempdir().expect("tmp");
    let r = confess(
        &tmp.path().join("c"),
        &[
            "autotools",
            fixture("autotools/pkgconfig").to_str().expect("utf-8"),
        ],
    );
    r.assert_ok();
    let (cdx, spdx) = checked(&r.out, tmp.path());

    let zlib = component(&cdx, "package:pkg-config:zlib");
    assert_eq!(zlib["version"], pkg_config_version("zlib").as_str());
    assert_eq!(props(zlib, "resolved"), ["real"]);
    assert_eq!(props(zlib, "asked-by"), ["configure"]);
    let widget = component(&cdx, "package:pkg-config:confess-widget");
    assert_eq!(widget["version"], "2.1");
    assert_eq!(props(widget, "resolved"), ["fake"]);
    assert_eq!(props(widget, "used-by"), ["//:squash"]);
    // `-lz` on squash's link line: the linker found it, confess names it.
    let z = component(&cdx, "lib:z");
    assert_eq!(props(z, "link"), ["-lz"]);
    assert_eq!(props(z, "used-by"), ["//:squash"]);
    assert_eq!(
        depends_on(&cdx, "//:squash"),
        ["lib:z", "package:pkg-config:confess-widget"]
    );
    let squash = spdx_id(&spdx, "//:squash");
    assert!(related(&spdx, &squash, "DEPENDS_ON", &spdx_id(&spdx, "z")));
    assert!(related(
        &spdx,
        &squash,
        "DEPENDS_ON",
        &spdx_id(&spdx, "confess-widget")
    ));
}

#[test]
fn no_confession_no_sbom() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = confess_command()
        .args(["sbom", "--out"])
        .arg(tmp.path())
        .output()
        .expect("confess sbom");
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&tmp.path().display().to_string()) && err.contains("targets.json is missing"),
        "{err}"
    );

    let o = confess_command()
        .args(["sbom", "--format", "swid"])
        .output()
        .expect("confess sbom");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cyclonedx"));
}

#[test]
fn a_bad_source_date_epoch_is_a_usage_error() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let r = confess(
        &tmp.path().join("c"),
        &["make", fixture("make/static-lib").to_str().expect("utf-8")],
    );
    r.assert_ok();
    let o = confess_command()
        .args(["sbom", "--out"])
        .arg(&r.out)
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .expect("confess sbom");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SOURCE_DATE_EPOCH"));
    // A project with nothing from outside: its targets alone, still valid.
    let (cdx, _) = checked(&r.out, tmp.path());
    assert!(cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .all(|c| c["bom-ref"].as_str().expect("ref").starts_with("//")));
}
