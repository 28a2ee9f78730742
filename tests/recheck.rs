//! Configure re-running inside a confessed build (`config.status --recheck` after a
//! configure.ac edit) gets real answers: config.h comes out the same as from a plain configure.

mod common;
use common::*;
use std::process::Command;

fn sh(dir: &std::path::Path, line: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "`{line}` failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn configure_rerun_inside_the_build_keeps_config_h() {
    for (t, p) in [
        ("autoreconf", "autoconf"),
        ("automake", "automake"),
        ("make", "make"),
    ] {
        require(t, p);
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    copy_dir(&fixture("autotools/recheck"), &src);
    sh(&src, "autoreconf -fi && ./configure");
    let reference = std::fs::read_to_string(src.join("config.h")).expect("config.h");
    assert!(
        reference.contains("/* #undef HAVE_CONFESS_NO_SUCH_HEADER_H */"),
        "{reference}"
    );
    // configure.ac newer than configure: make re-runs autoconf and config.status --recheck.
    sh(&src, "sleep 1 && touch configure.ac");

    let (run, scratch) = confess_keeping_scratch(
        &tmp.path().join("c"),
        &["make", src.to_str().expect("utf-8")],
    );
    let out = run.out.clone();
    let stderr = run.stderr();
    let log = std::fs::read_to_string(out.join("build.log")).unwrap_or_default();
    assert_eq!(run.code(), 0, "confess failed:\n{stderr}\n{log}");
    assert!(
        log.contains("--recheck") || log.contains("config.status"),
        "configure did not re-run inside the build:\n{log}"
    );

    let rerun = std::fs::read_to_string(scratch.join("src/config.h")).expect("config.h in scratch");
    assert_eq!(
        rerun, reference,
        "config.h changed when configure re-ran inside the confessed build"
    );

    // The probes ran for real (pass-through because configure was an ancestor), and the
    // program itself was confessed.
    let conn = rusqlite::Connection::open(out.join("confession/events.sqlite")).expect("store");
    let probes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE phase = 'build' AND decision = 'passthrough' AND (reason LIKE 'conftest%' \
             OR reason LIKE 'configure-ancestor%')",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(
        probes >= 10,
        "only {probes} configure probes ran for real inside the build"
    );
    let graph = std::fs::read_to_string(out.join("graph.txt")).expect("graph");
    assert!(graph.contains("source hello.c"), "{graph}");
    std::fs::remove_dir_all(&scratch).expect("remove scratch");
}
