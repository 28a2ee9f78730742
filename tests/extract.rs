//! `confess extract --from`: a kept confession is interpreted again from its `confession/`
//! alone. For every fixture, the outputs derived again (with the scratch directory gone and the
//! sources moved away) are the original run's, byte for byte; in place, twice over; a failed
//! build's confession exits as the run did; a record that cannot answer is refused, naming
//! what it lacks.

mod common;
use common::*;
use std::path::PathBuf;

/// Every fixture: (driver, fixture directory, the directory confess is given below it).
fn fixtures() -> Vec<(String, PathBuf, PathBuf)> {
    let mut all = Vec::new();
    for driver in ["make", "cmake", "meson", "autotools", "ninja"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture(driver))
            .expect("fixtures")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            // A project beside the sources it builds from outside (cmake/outside).
            let given = if d.join("project").is_dir() {
                PathBuf::from("project")
            } else {
                PathBuf::new()
            };
            all.push((driver.to_string(), d, given));
        }
    }
    all
}

#[test]
fn every_fixture_is_extracted_again_from_its_confession_alone() {
    for tool in [
        "make",
        "cmake",
        "meson",
        "ninja",
        "autoreconf",
        "nasm",
        "yasm",
    ] {
        require(tool, tool);
    }
    let fixtures = fixtures();
    assert!(fixtures.len() >= 30, "{} fixtures", fixtures.len());
    for (driver, fx, given) in fixtures {
        let name = format!(
            "{driver}/{}",
            fx.file_name().expect("name").to_string_lossy()
        );
        let tmp = tempfile::tempdir().expect("tmp");
        let copy = tmp.path().join("src");
        copy_dir(&fx, &copy);
        let src = copy.join(&given);
        let vendor = format!("-DMINITEST_DIR={}", copy.join("vendor/minitest").display());
        let mut args = vec![driver.as_str(), src.to_str().expect("utf-8")];
        // Options of the outputs' shape are part of the record.
        let options: &[&str] = match name.as_str() {
            "cmake/outside" => {
                args.extend(["--", vendor.as_str()]);
                &["--outside", "external"]
            }
            "make/codegen" => &["--relative", "--exclude", "*/table.c"],
            _ => &[],
        };
        let run = confess_full(tmp.path(), &args, options, &[]);
        run.assert_ok();
        for f in ["run.json", "tree.jsonl", "events.sqlite", "tokens.log"] {
            assert!(
                run.out.join("confession").join(f).is_file(),
                "{name}: no confession/{f}"
            );
        }
        // The confession is all there is: the scratch directory is gone with the run, the
        // sources are moved away, and the outputs go where the original ones were.
        let kept = tmp.path().join("kept");
        std::fs::rename(&run.out, &kept).expect("rename");
        let away = tmp.path().join("away");
        std::fs::rename(&copy, &away).expect("rename");
        let x = extract(&kept, Some(&run.out));
        assert!(
            x.status.success(),
            "{name}: extract failed: {}",
            String::from_utf8_lossy(&x.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&x.stdout),
            run.stdout(),
            "{name}: the summary differs"
        );
        assert_same_trees(&name, &kept, &run.out);
        assert!(!copy.exists(), "{name}: extract wrote into the sources");
    }
}

#[test]
fn in_place_twice_and_the_output_of_an_extraction_is_extracted_alike() {
    require("cmake", "cmake");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("cmake/packages");
    let run = confess(tmp.path(), &["cmake", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    let first = tmp.path().join("first");
    copy_dir(&run.out, &first);
    for round in 0..2 {
        let x = extract(&run.out, None);
        assert!(
            x.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&x.stderr)
        );
        assert_same_trees(&format!("in place, round {round}"), &first, &run.out);
    }
    // Into another directory: the same outputs but for the paths that name it.
    let other = tmp.path().join("other");
    let x = extract(&run.out, Some(&other));
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let cdb = std::fs::read_to_string(other.join("compile_commands.json")).expect("compdb");
    assert_eq!(
        cdb,
        run.read("compile_commands.json")
            .replace(&run.out.display().to_string(), &other.display().to_string()),
        "compile_commands.json of an extraction elsewhere"
    );
}

#[test]
fn a_failed_build_is_extracted_with_its_exit_code_and_message() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("a.c"), "int a(void) { return 1; }\n").expect("write");
    std::fs::write(
        src.join("Makefile"),
        "all: a.o\n\tfalse\na.o: a.c\n\t$(CC) -c a.c -o a.o\n",
    )
    .expect("write");
    let run = confess(tmp.path(), &["make", src.to_str().expect("utf-8")]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let kept = tmp.path().join("kept");
    std::fs::rename(&run.out, &kept).expect("rename");
    let x = extract(&kept, Some(&run.out));
    assert_eq!(
        x.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&x.stderr)
    );
    let said = String::from_utf8_lossy(&x.stderr);
    assert!(
        said.contains("the build failed: `make") && said.contains("exited with status 2"),
        "{said}"
    );
    assert_same_trees("a failed build", &kept, &run.out);
}

#[test]
fn a_record_that_cannot_answer_is_refused_naming_what_it_lacks() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("make/codegen");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    let before = contents(&run.out);
    // The record without its answer on the compiler's version.
    let journal = run.out.join("confession/tree.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journal");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.contains(r#""ask":"run""#) && l.contains("--version")))
        .collect();
    assert!(
        kept.len() < text.lines().count(),
        "no compiler question in {text}"
    );
    std::fs::write(&journal, kept.join("\n") + "\n").expect("write");
    let x = extract(&run.out, None);
    assert_eq!(
        x.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&x.stderr)
    );
    let said = String::from_utf8_lossy(&x.stderr);
    assert!(
        said.contains("does not record")
            && said.contains("--version")
            && said.contains("tree.jsonl"),
        "{said}"
    );
    // Refused, the output directory is as it was (the damaged record aside).
    let mut after = contents(&run.out);
    after.insert(
        "confession/tree.jsonl".into(),
        before["confession/tree.jsonl"].clone(),
    );
    assert_eq!(
        after, before,
        "a refused extraction changed the output directory"
    );

    // No record of the run at all: not a confession an extraction can run from.
    std::fs::remove_file(run.out.join("confession/run.json")).expect("rm");
    let x = extract(&run.out, None);
    assert_eq!(
        x.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&x.stderr)
    );
    let said = String::from_utf8_lossy(&x.stderr);
    assert!(
        said.contains("run.json") && said.contains("confess the project again"),
        "{said}"
    );
}

#[test]
fn a_command_that_does_not_parse_is_kept_and_reported() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("make/static-lib");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    assert!(
        !run.stdout().contains("commands not parsed"),
        "{}",
        run.stdout()
    );
    // The recorded words of main.c's compile, cut so that they do not parse: `-o` last.
    let db = run.out.join("confession/events.sqlite");
    let conn = rusqlite::Connection::open(&db).expect("store");
    let (seq, argv): (i64, String) = conn
        .query_row(
            "SELECT seq, argv FROM events WHERE role = 'cc' AND decision = 'confessed' AND argv LIKE '%main.c%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("main.c's compile");
    let mut words: Vec<String> = serde_json::from_str(&argv).expect("argv");
    words.push("-o".into());
    conn.execute(
        "UPDATE events SET argv = ?1 WHERE seq = ?2",
        rusqlite::params![serde_json::to_string(&words).expect("json"), seq],
    )
    .expect("update");
    drop(conn);
    let x = extract(&run.out, None);
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let summary = String::from_utf8_lossy(&x.stdout);
    assert!(summary.contains("commands not parsed   1"), "{summary}");
    // Kept in the compile database, as it ran.
    let cdb = run.json("compile_commands.json");
    let entry = cdb
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["file"].as_str().is_some_and(|f| f.ends_with("/main.c")))
        .unwrap_or_else(|| panic!("main.c is not in {cdb}"));
    assert_eq!(strs(&entry["arguments"]).last(), Some(&"-o"), "{entry}");
    // The source stays in its target; the command is reported.
    let targets = run.json("targets.json");
    let app = target_of(&targets, None, "app");
    assert!(app.to_string().contains("main.c"), "{app}");
    let html = run.read("report.html");
    assert!(
        html.contains("unparsed-command") && html.contains("-o is the last word and needs a value"),
        "report.html does not report the command"
    );
}
