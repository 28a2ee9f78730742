//! The replay check on real projects (`just corpus`): each corpus project is confessed, its
//! sources moved away, and `confess extract --from` derives every output again from the kept
//! confession alone, byte for byte. The fixtures get the same check in the default run
//! (tests/extract.rs); these take minutes, so they run with the corpus.

mod common;
use common::*;

/// Confesses the upstream tree of `pkg` with `args` (the driver first, the source directory
/// put second), then extracts it again with the sources gone; fails naming every output that
/// differs. Prints how many files were compared.
fn replays(pkg: &str, args: &[&str]) {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = corpus::upstream(pkg, &tmp.path().join("src"));
    let mut all = vec![args[0], src.to_str().expect("utf-8")];
    all.extend(&args[1..]);
    let run = confess(&tmp.path().join("c"), &all);
    run.assert_ok();
    let kept = tmp.path().join("kept");
    std::fs::rename(&run.out, &kept).expect("rename");
    std::fs::rename(&src, tmp.path().join("away")).expect("move the sources away");
    let x = extract(&kept, Some(&run.out));
    assert!(
        x.status.success(),
        "{pkg}: extract failed: {}",
        String::from_utf8_lossy(&x.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&x.stdout),
        run.stdout(),
        "{pkg}: the summary"
    );
    assert_same_trees(pkg, &kept, &run.out);
    eprintln!(
        "replay {pkg}: {} files and directories, every one identical",
        contents(&kept).len()
    );
}

#[test]
#[ignore = "the corpus: `just corpus`"]
fn lua54_replays() {
    require("make", "make");
    replays("lua5.4", &["make", "-j2", "--", "linux"]);
}

#[test]
#[ignore = "the corpus: `just corpus`"]
fn libyaml_replays() {
    for tool in ["autoreconf", "libtoolize", "make"] {
        require(tool, tool);
    }
    replays("libyaml", &["autotools", "-j2"]);
}

#[test]
#[ignore = "the corpus: `just corpus`"]
fn gnu_hello_replays() {
    require("make", "make");
    replays("hello", &["autotools", "-j2"]);
}

#[test]
#[ignore = "the corpus: `just corpus`"]
fn pixman_replays() {
    require("meson", "meson");
    replays("pixman", &["meson", "-j2"]);
}

#[test]
#[ignore = "the corpus: `just corpus`"]
fn libuv_replays() {
    require("cmake", "cmake");
    replays("libuv1", &["cmake", "-j2"]);
}
