//! `confess diff`: a copy of make/static-lib, edited in one way at a time, confessed again and
//! compared with the first confession: each edit is reported as exactly that change, an
//! unchanged rerun as none, and committed manifests compare like the confession they came from.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn diff(a: &Path, b: &Path, json: bool) -> (i32, String) {
    let mut c = confess_command();
    c.arg("diff").arg(a).arg(b);
    if json {
        c.arg("--json");
    }
    let o = c.output().expect("confess diff");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

fn edit(p: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(p).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", p.display());
    std::fs::write(p, text.replacen(from, to, 1)).expect("write");
}

/// A confession of the Makefile project `src` (make's arguments `extra`) into `tmp/name`,
/// which must succeed; gives the output directory.
fn confess_make(tmp: &Path, src: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["make", src.to_str().expect("utf-8")];
    if !extra.is_empty() {
        args.push("--");
        args.extend(extra);
    }
    let r = confess(&tmp.join(name), &args);
    r.assert_ok();
    r.out
}

/// `--against`: the source confessed and compared in one command, the diff alone on stdout.
fn check_against_prints_the_diff_alone(tmp: &Path, src: &Path, committed: &Path) {
    let o = confess_command()
        .args(["diff", "--json", "--against"])
        .arg(committed)
        .arg(src)
        .arg("--out")
        .arg(tmp.join("against"))
        .output()
        .expect("confess diff --against");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("the diff alone on stdout");
    assert_eq!(v["same"], 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("translation units"));
}

/// A flag: both targets compile with it, in the text and the JSON forms.
fn check_a_flag_changes_both_targets(tmp: &Path, src: &Path, a: &Path) {
    let o3 = confess_make(tmp, src, "o3", &["CFLAGS=-O3 -Wall -Iinclude"]);
    let (code, text) = diff(a, &o3, false);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        text,
        "\
~ //:app
    cflags: -O2 -Wall -Iinclude -> -O3 -Wall -Iinclude
~ //lib:util
    cflags: -O2 -Wall -Iinclude -> -O3 -Wall -Iinclude
drift: 0 added, 0 removed, 2 changed, 0 the same
"
    );
    let (code, json) = diff(a, &o3, true);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["changed"][1]["target"], "//lib:util");
    assert_eq!(v["changed"][1]["changes"][0]["field"], "cflags");
    assert_eq!(v["changed"][1]["changes"][0]["added"][0], "-O3");
    assert_eq!(v["changed"][1]["changes"][0]["removed"][0], "-O2");
    assert_eq!(v["same"], 0);
}

/// Another toolchain: a cross compiler for i686 (the engine has no triple for it, exit 8;
/// confess's own form is written).
fn check_another_toolchain(tmp: &Path, src: &Path, header: &Path) {
    require("i686-linux-gnu-gcc", "gcc-i686-linux-gnu");
    let r = confess(
        &tmp.join("i686"),
        &[
            "make",
            src.to_str().expect("utf-8"),
            "--",
            "CC=i686-linux-gnu-gcc",
        ],
    );
    assert_eq!(r.output.status.code(), Some(8), "{}", r.stderr());
    let (code, text) = diff(header, &r.out, false);
    assert_eq!(code, 1, "{text}");
    for t in ["//:app", "//lib:util"] {
        assert!(
            text.contains(&format!(
                "~ {t}\n    host: x86_64-unknown-linux-gnu -> i686-unknown-linux-gnu\n    target: x86_64-unknown-linux-gnu -> i686-unknown-linux-gnu\n"
            )),
            "{text}"
        );
    }
    assert!(!text.contains("outside_headers"), "{text}");
}

#[test]
fn each_edit_is_reported_as_exactly_that_change() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    copy_dir(&fixture("make/static-lib"), &src);
    let run = |name: &str, extra: &[&str]| confess_make(tmp.path(), &src, name, extra);
    let a = run("a", &[]);

    // An unchanged rerun: no drift, exit 0.
    let again = run("again", &[]);
    let (code, text) = diff(&a, &again, false);
    assert_eq!((code, text.as_str()), (0, "no drift: 2 targets the same\n"));

    // The committed manifests compare as the confession they came from.
    let committed = tmp.path().join("committed");
    copy_dir(&a.join("dhall"), &committed);
    let (code, text) = diff(&committed, &again, false);
    assert_eq!((code, text.as_str()), (0, "no drift: 2 targets the same\n"));

    check_against_prints_the_diff_alone(tmp.path(), &src, &committed);

    check_a_flag_changes_both_targets(tmp.path(), &src, &a);

    // A source added to the library: its sources and its archive's members.
    std::fs::write(
        src.join("lib/third.c"),
        "int third(int x) { return 3 * x; }\n",
    )
    .expect("write");
    edit(
        &src.join("Makefile"),
        "lib/libutil.a: lib/add.o lib/twice.o",
        "lib/libutil.a: lib/add.o lib/twice.o lib/third.o",
    );
    let third = run("third", &[]);
    let (code, text) = diff(&a, &third, false);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        text,
        "\
~ //lib:util
    srcs: + lib/third.c
    link: (object of lib/add.c) (object of lib/twice.c) -> (object of lib/add.c) (object of lib/twice.c) (object of lib/third.c)
drift: 0 added, 0 removed, 1 changed, 1 the same
"
    );

    // A header more, read by one source of the library.
    std::fs::write(src.join("include/extra.h"), "#define EXTRA 1\n").expect("write");
    edit(
        &src.join("lib/add.c"),
        "#include",
        "#include \"extra.h\"\n#include",
    );
    let header = run("header", &[]);
    let (code, text) = diff(&third, &header, false);
    assert_eq!(
        (code, text.as_str()),
        (
            1,
            "~ //lib:util\n    headers: + include/extra.h\ndrift: 0 added, 0 removed, 1 changed, 1 the same\n"
        )
    );

    check_another_toolchain(tmp.path(), &src, &header);

    // A new program, and a library from outside linked into app.
    std::fs::write(src.join("tool.c"), "int main(void) { return 0; }\n").expect("write");
    edit(&src.join("Makefile"), "all: app", "all: app tool");
    edit(
        &src.join("Makefile"),
        "$(CC) -o app main.o lib/libutil.a",
        "$(CC) -o app main.o lib/libutil.a -lm",
    );
    std::fs::write(
        src.join("Makefile"),
        std::fs::read_to_string(src.join("Makefile")).expect("read")
            + "\ntool: tool.c\n\t$(CC) -O2 -o tool tool.c\n",
    )
    .expect("write");
    let more = run("more", &[]);
    let (code, text) = diff(&header, &more, false);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        text,
        "\
+ //:tool (executable)
~ //:app
    deps: + -lm
    link: (object of main.c) //lib:util -> (object of main.c) //lib:util -lm
drift: 1 added, 0 removed, 1 changed, 1 the same
"
    );
    // And the other way: the program removed, the library no longer linked.
    let (code, text) = diff(&more, &header, false);
    assert_eq!(code, 1);
    assert!(
        text.starts_with("- //:tool (executable)\n~ //:app\n    deps: - -lm\n"),
        "{text}"
    );
}

#[test]
fn a_directory_that_is_no_confession_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, text) = diff(tmp.path(), tmp.path(), false);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("neither a confession") && text.contains(&tmp.path().display().to_string()),
        "{text}"
    );
}
