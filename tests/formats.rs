//! The stored files' formats: a confession whose files are of an earlier format (events.sqlite
//! 1, run.json `confess-run/1`, as confess wrote them before the decision's reason had a column
//! of its own) is extracted with the outputs a current confession gives, byte for byte; a file
//! of a format to come is refused, naming the file and its format.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file below `root` but the two whose format is changed, by path relative to `root`.
fn outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = contents(root);
    all.remove("confession/events.sqlite");
    all.remove("confession/run.json");
    all
}

/// Rewrites the confession in `out` into the formats confess wrote before: events.sqlite of
/// schema version 1 (the reason inside the decision's text, no `reason` column) and run.json of
/// schema `confess-run/1` (no `formats`). Returns how many events passed through with a reason.
fn to_format_1(out: &Path) -> i64 {
    let db = out.join("confession/events.sqlite");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let version: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .expect("version");
    assert_eq!(version, "2", "a confession is written in format 2");
    let reasons: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE reason IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    conn.execute_batch(
        "UPDATE events SET decision = decision || ':' || reason WHERE reason IS NOT NULL;
         ALTER TABLE events DROP COLUMN reason;
         UPDATE meta SET value = '1' WHERE key = 'schema_version';",
    )
    .expect("to version 1");
    drop(conn);
    let run = out.join("confession/run.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run).expect("run.json")).expect("json");
    assert_eq!(record["schema"], "confess-run/2");
    record["schema"] = "confess-run/1".into();
    record
        .as_object_mut()
        .expect("object")
        .remove("formats")
        .expect("formats");
    std::fs::write(&run, serde_json::to_string_pretty(&record).expect("json")).expect("write");
    reasons
}

#[test]
fn a_confession_of_the_first_formats_is_extracted_as_a_current_one() {
    require("cmake", "cmake");
    require("make", "make");
    for (driver, fx) in [
        ("cmake", "cmake/configure-checks"),
        ("make", "make/codegen"),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = fixture(fx);
        let run = confess(tmp.path(), &[driver, src.to_str().expect("utf-8")]);
        run.assert_ok();
        let want = outputs(&run.out);
        let reasons = to_format_1(&run.out);
        if driver == "cmake" {
            // CMake's probes pass through: the old format's combined text is what is read.
            assert!(reasons > 0, "{fx}: no call passed through");
        }
        let x = extract(&run.out, None);
        assert!(
            x.status.success(),
            "{fx}: {}",
            String::from_utf8_lossy(&x.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&x.stdout), run.stdout(), "{fx}");
        assert_same_contents(&format!("{fx}, format 1"), &want, &outputs(&run.out));
    }
}

#[test]
fn a_file_of_a_format_to_come_is_refused_naming_it() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = fixture("make/codegen");
    let run = confess(tmp.path(), &["make", src.to_str().expect("utf-8")]);
    run.assert_ok();
    let before = outputs(&run.out);
    // run.json says the token store is of format 2, which this confess does not read.
    let path = run.out.join("confession/run.json");
    let text = std::fs::read_to_string(&path).expect("run.json");
    let mut record: serde_json::Value = serde_json::from_str(&text).expect("json");
    record["formats"]["tokens"] = 2.into();
    std::fs::write(&path, record.to_string()).expect("write");
    let x = extract(&run.out, None);
    let said = String::from_utf8_lossy(&x.stderr);
    assert_eq!(x.status.code(), Some(6), "{said}");
    assert!(
        said.contains("tokens.log") && said.contains("format 2") && said.contains("newer confess"),
        "{said}"
    );
    // The event store of a version to come: refused by the store's own version.
    std::fs::write(&path, &text).expect("restore");
    let conn = rusqlite::Connection::open(run.out.join("confession/events.sqlite")).expect("open");
    conn.execute(
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
        [],
    )
    .expect("update");
    drop(conn);
    let x = extract(&run.out, None);
    let said = String::from_utf8_lossy(&x.stderr);
    assert_eq!(x.status.code(), Some(6), "{said}");
    assert!(
        said.contains("events.sqlite") && said.contains("schema version 3"),
        "{said}"
    );
    // Refused, nothing else in the output changed.
    assert_eq!(outputs(&run.out), before);
}
