//! The event store: every shim invocation, in either phase, as one row of facts.
//!
//! During a build each shim appends its event to `events.log` beside the store: one line of
//! JSON, written with one `write` under an exclusive lock on the file, so that `make -j` with
//! many shims writing at once loses nothing and interleaves nothing. That is a single system
//! call where opening SQLite, its WAL and its shared memory took a dozen and their locks. The
//! driver creates the store and the empty log before the build, and after it imports the log
//! into the store (SQLite, `events.sqlite`) in one transaction; a line that does not parse
//! fails the import, naming the line. Rows hold what happened; what it means (compile, link,
//! target) is worked out later by the extractor.

use crate::facts::{Actor, Decision, Phase};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The store's version, in its `meta` table (`schema_version`). 2: the decision's reason has a
/// column of its own (`passthrough` and `conftest`, not `passthrough:conftest`). 1 (confess
/// before it) is read too.
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    pid         INTEGER NOT NULL,
    ppid        INTEGER NOT NULL,
    start_ns    INTEGER NOT NULL,
    end_ns      INTEGER NOT NULL,
    role        TEXT NOT NULL,
    tool        TEXT NOT NULL,
    phase       TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reason      TEXT,
    cwd         TEXT NOT NULL,
    argv        TEXT NOT NULL,
    inputs      TEXT NOT NULL,
    outputs     TEXT NOT NULL,
    tokens      TEXT NOT NULL,
    real_tool   TEXT,
    exit_status INTEGER NOT NULL,
    note        TEXT
);
";

/// One invocation: a line of the log (JSON, this struct's serde form) and a row of the store
/// (lists JSON-encoded in TEXT columns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub pid: u32,
    pub ppid: u32,
    pub start_ns: i64,
    pub end_ns: i64,
    pub role: Actor,
    /// argv[0] as called.
    pub tool: String,
    pub phase: Phase,
    pub decision: Decision,
    pub cwd: String,
    pub argv: Vec<String>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Ids of tokens written (or, for `realized`, run).
    pub tokens: Vec<String>,
    pub real_tool: Option<String>,
    pub exit_status: i32,
    pub note: Option<String>,
}

impl Event {
    /// An event of `role` in `phase`, decided `decision`, for `argv` run in `cwd`; no inputs,
    /// outputs or tokens yet, times and status zero.
    #[must_use]
    pub fn new(
        role: Actor,
        phase: Phase,
        decision: Decision,
        cwd: String,
        argv: Vec<String>,
    ) -> Event {
        Event {
            pid: std::process::id(),
            ppid: std::os::unix::process::parent_id(),
            start_ns: 0,
            end_ns: 0,
            role,
            tool: argv.first().cloned().unwrap_or_default(),
            phase,
            decision,
            cwd,
            argv,
            inputs: Vec::new(),
            outputs: Vec::new(),
            tokens: Vec::new(),
            real_tool: None,
            exit_status: 0,
            note: None,
        }
    }
}

/// The append-only log the shims write beside the store.
#[must_use]
pub fn log_path(store: &Path) -> PathBuf {
    store.with_extension("log")
}

/// Creates the store, its schema and the empty log. Called once by the driver, before any shim
/// runs.
pub fn create(path: &Path) -> rusqlite::Result<Connection> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(path))
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_mins(2))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(SCHEMA)?;
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
        params![SCHEMA_VERSION.to_string()],
    )?;
    Ok(conn)
}

/// Appends one event to the log of the store at `path`. Opens the existing log (never creates
/// it: a missing log means the session is broken, and the caller must fail loudly rather than
/// lose the fact).
pub fn record(path: &Path, ev: &Event) -> std::io::Result<()> {
    let mut line = serde_json::to_string(ev).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path(path))?;
    // One write of the whole line under the lock: O_APPEND places it at the end, and the lock
    // keeps a writer that the kernel cut short from interleaving with another.
    f.lock()?;
    let res = f.write_all(line.as_bytes());
    let _ = f.unlock();
    res
}

/// Why the log could not be imported.
#[derive(Debug)]
pub enum ImportError {
    Io(std::io::Error),
    /// A line (1-based) that is not a whole event.
    Line(usize, String),
    Store(rusqlite::Error),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Io(e) => write!(f, "{e}"),
            ImportError::Line(n, why) => write!(f, "line {n} is not a whole event ({why})"),
            ImportError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Moves the events of the log into the store, in the order they were written, in one
/// transaction; then empties the log. Returns how many it moved.
pub fn import(conn: &mut Connection, store: &Path) -> Result<usize, ImportError> {
    let log = log_path(store);
    let events = read_log(&log)?;
    insert_all(conn, &log, None, &events)
}

/// The events of the log at `log`; none when there is no log.
fn read_log(log: &Path) -> Result<Vec<Event>, ImportError> {
    match std::fs::read_to_string(log) {
        Ok(text) => parse_log(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(ImportError::Io(e)),
    }
}

/// Writes `events` into the store in one transaction, then empties the log; says how many
/// (none written, the log left alone, when there are none). With the number `first` is to get,
/// fails if the store numbers them otherwise (nothing is written then).
fn insert_all(
    conn: &mut Connection,
    log: &Path,
    first: Option<i64>,
    events: &[Event],
) -> Result<usize, ImportError> {
    if events.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction().map_err(ImportError::Store)?;
    for (i, ev) in (0..).zip(events) {
        insert(&tx, ev).map_err(ImportError::Store)?;
        let numbered = tx.last_insert_rowid();
        if let Some(seq) = first.map(|f| f + i).filter(|&seq| seq != numbered) {
            return Err(ImportError::Io(std::io::Error::other(format!(
                "the store numbered an event {numbered} where {seq} was read: something else \
                 wrote to it during the import"
            ))));
        }
    }
    tx.commit().map_err(ImportError::Store)?;
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(log)
        .map_err(ImportError::Io)?;
    Ok(events.len())
}

/// An import that [`read_importing`] prepared: the log's events, numbered, for the store.
pub struct Import {
    conn: Connection,
    log: PathBuf,
    first: i64,
    events: Vec<Event>,
}

impl Import {
    /// Writes the events into the store in one transaction, then empties the log; says how
    /// many, or fails if the store numbered them otherwise than they were read (something else
    /// wrote to it meanwhile: nothing is written then).
    pub fn run(mut self) -> Result<usize, ImportError> {
        insert_all(&mut self.conn, &self.log, Some(self.first), &self.events)
    }
}

/// Every event of the store at `store` with the log's events after them, numbered as the store
/// will number them: what [`read_all`] reads after [`import`], without reading back what the
/// import writes. The import is prepared, not run: [`Import::run`] runs it, in a thread of the
/// caller's while the caller works on the events.
pub fn read_importing(
    conn: Connection,
    store: &Path,
) -> Result<(Vec<(i64, Event)>, Import), ImportError> {
    let log = log_path(store);
    let new = read_log(&log)?;
    let mut all = read_all(&conn).map_err(ImportError::Store)?;
    // AUTOINCREMENT numbers a row one past the greatest number the table ever held.
    let ever: Option<i64> = conn
        .query_row(
            "SELECT max(seq) FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .map_err(ImportError::Store)?;
    let first = ever.unwrap_or(0).max(all.last().map_or(0, |(seq, _)| *seq)) + 1;
    all.extend((first..).zip(new.iter().cloned()));
    Ok((
        all,
        Import {
            conn,
            log,
            first,
            events: new,
        },
    ))
}

/// The events of a log's text, in order: one JSON object a line, each line ended by a newline.
/// The text-level half of [`import`] (the fuzz target `events` feeds it arbitrary text).
pub fn parse_log(text: &str) -> Result<Vec<Event>, ImportError> {
    let mut events = Vec::new();
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if lines.peek().is_none() {
            // What follows the last newline: nothing, or an event cut short.
            if !line.is_empty() {
                return Err(ImportError::Line(i + 1, "no newline at its end".into()));
            }
            break;
        }
        let ev: Event =
            serde_json::from_str(line).map_err(|e| ImportError::Line(i + 1, e.to_string()))?;
        events.push(ev);
    }
    Ok(events)
}

fn insert(conn: &Connection, ev: &Event) -> rusqlite::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    // Prepared once per connection, not once per event: an import inserts every call of a build.
    conn.prepare_cached(
        "INSERT INTO events (pid, ppid, start_ns, end_ns, role, tool, phase, decision, reason,
                             cwd, argv, inputs, outputs, tokens, real_tool, exit_status, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        ev.pid,
        ev.ppid,
        ev.start_ns,
        ev.end_ns,
        ev.role.as_str(),
        ev.tool,
        ev.phase.as_str(),
        ev.decision.kind(),
        ev.decision.reason().map(super::facts::Reason::text),
        ev.cwd,
        json(&ev.argv),
        json(&ev.inputs),
        json(&ev.outputs),
        json(&ev.tokens),
        ev.real_tool,
        ev.exit_status,
        ev.note,
    ])?;
    Ok(())
}

/// The store's version (`meta.schema_version`; a store without one is not an event store).
fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let v: String = conn.query_row(
        "SELECT value FROM meta WHERE key = 'schema_version'",
        [],
        |r| r.get(0),
    )?;
    v.parse()
        .map_err(|_| bad(0, format!("schema_version {v:?} is not a number")))
}

/// A value of the store this version cannot read, as the error rusqlite's readers give.
fn bad(column: usize, why: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, why.into())
}

/// Reads every event in insertion order, from a store of version 1 or 2; a store of another
/// version is refused, naming it.
pub fn read_all(conn: &Connection) -> rusqlite::Result<Vec<(i64, Event)>> {
    let version = version(conn)?;
    // Version 1 kept the reason inside the decision's text; its rows read with NULL reasons.
    let reason = match version {
        1 => "NULL",
        2 => "reason",
        v => {
            return Err(bad(
                0,
                format!(
                    "the event store has schema version {v}, and this confess reads versions 1 \
                     to {SCHEMA_VERSION}: it was made by a newer confess"
                ),
            ))
        }
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, pid, ppid, start_ns, end_ns, role, tool, phase, decision, {reason}, cwd,
                argv, inputs, outputs, tokens, real_tool, exit_status, note FROM events ORDER BY seq"
    ))?;
    let rows = stmt.query_map([], |r| {
        let seq: i64 = r.get(0)?;
        let list = |i: usize| -> rusqlite::Result<Vec<String>> {
            let text: String = r.get(i)?;
            serde_json::from_str(&text).map_err(|e| bad(i, format!("event {seq}: {e}")))
        };
        let role: String = r.get(5)?;
        let phase: String = r.get(7)?;
        let kind: String = r.get(8)?;
        let why: Option<String> = r.get(9)?;
        let decision = match why {
            Some(w) => Decision::from_parts(&kind, Some(&w)),
            None => Decision::parse(&kind),
        };
        Ok((
            seq,
            Event {
                pid: r.get(1)?,
                ppid: r.get(2)?,
                start_ns: r.get(3)?,
                end_ns: r.get(4)?,
                role: Actor::parse(&role)
                    .ok_or_else(|| bad(5, format!("event {seq}: unknown role {role:?}")))?,
                tool: r.get(6)?,
                phase: Phase::parse(&phase)
                    .ok_or_else(|| bad(7, format!("event {seq}: unknown phase {phase:?}")))?,
                decision: decision
                    .ok_or_else(|| bad(8, format!("event {seq}: unknown decision {kind:?}")))?,
                cwd: r.get(10)?,
                argv: list(11)?,
                inputs: list(12)?,
                outputs: list(13)?,
                tokens: list(14)?,
                real_tool: r.get(15)?,
                exit_status: r.get(16)?,
                note: r.get(17)?,
            },
        ))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Reason;
    use crate::role::Role;

    fn event() -> Event {
        Event::new(
            Actor::Tool(Role::Cc),
            Phase::Build,
            Decision::Confessed,
            "/".into(),
            Vec::new(),
        )
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = std::env::temp_dir().join(format!("confess-ev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let db = dir.join("events.sqlite");
        let _ = std::fs::remove_file(&db);
        let mut conn = create(&db).expect("create");
        std::thread::scope(|s| {
            for t in 0..8 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..50 {
                        let ev = Event {
                            pid: t,
                            argv: vec![format!("cc-{t}-{i}")],
                            ..event()
                        };
                        record(&db, &ev).expect("record");
                    }
                });
            }
        });
        assert_eq!(import(&mut conn, &db).expect("import"), 400);
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 400);
        let all = read_all(&conn).expect("read");
        assert!(all.iter().any(|(_, e)| e.argv == ["cc-7-49"]));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn an_event_cut_short_fails_the_import_and_names_its_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("events.sqlite");
        let mut conn = create(&db).expect("create");
        record(&db, &event()).expect("record");
        let whole = std::fs::read_to_string(log_path(&db)).expect("log");
        assert!(
            whole.ends_with('\n') && whole.matches('\n').count() == 1,
            "{whole}"
        );
        // Half a line after a whole one: the import refuses it and moves nothing.
        let half = &whole[..whole.len() / 2];
        std::fs::write(log_path(&db), format!("{whole}{half}")).expect("write");
        let err = import(&mut conn, &db).expect_err("a cut line");
        assert!(err.to_string().starts_with("line 2 "), "{err}");
        std::fs::write(log_path(&db), format!("{half}\n{whole}")).expect("write");
        let err = import(&mut conn, &db).expect_err("a cut line");
        assert!(err.to_string().starts_with("line 1 "), "{err}");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0);
        // Whole lines: every field comes back.
        let ev = Event {
            pid: 7,
            ppid: 1,
            start_ns: -3,
            end_ns: 9,
            role: Actor::Tool(Role::Cc),
            decision: Decision::Passthrough(Reason::ProbeDir("CMakeScratch".into())),
            argv: vec!["gcc".into(), "a \"b\"\n".into()],
            real_tool: Some("/usr/bin/gcc".into()),
            exit_status: -1,
            note: None,
            ..event()
        };
        std::fs::write(log_path(&db), "").expect("empty");
        record(&db, &ev).expect("record");
        assert_eq!(import(&mut conn, &db).expect("import"), 1);
        let all = read_all(&conn).expect("read");
        assert_eq!(all.len(), 1);
        let back = &all[0].1;
        assert_eq!(
            (
                back.pid,
                back.ppid,
                back.start_ns,
                back.end_ns,
                back.exit_status
            ),
            (7, 1, -3, 9, -1)
        );
        assert_eq!(back, &ev);
        let (kind, reason): (String, Option<String>) = conn
            .query_row("SELECT decision, reason FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("row");
        assert_eq!(
            (kind.as_str(), reason.as_deref()),
            ("passthrough", Some("probe-dir:CMakeScratch"))
        );
        // The log is empty after an import: importing again adds nothing.
        assert_eq!(import(&mut conn, &db).expect("import"), 0);
    }

    /// What the live extraction reads while the import runs is what a replay reads from the
    /// store after it: the same events, numbered the same, past a row that was deleted.
    #[test]
    fn reading_while_importing_gives_what_the_store_gives_after() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("events.sqlite");
        let mut conn = create(&db).expect("create");
        let ev = |i: u32, decision: Decision| Event {
            pid: i,
            decision,
            argv: vec![format!("cc-{i}"), "a \"b\"\n\u{e9}".into()],
            inputs: vec![format!("in-{i}")],
            outputs: vec![format!("out-{i}")],
            tokens: vec![format!("{i:064x}")],
            note: i.is_multiple_of(2).then(|| format!("note {i}")),
            real_tool: i.is_multiple_of(3).then(|| "/usr/bin/gcc".into()),
            ..event()
        };
        for i in 0..3 {
            record(&db, &ev(i, Decision::Confessed)).expect("record");
        }
        assert_eq!(import(&mut conn, &db).expect("import"), 3);
        // AUTOINCREMENT numbers the next row 4, not 3.
        conn.execute("DELETE FROM events WHERE seq = 3", [])
            .expect("delete");
        let decisions = [
            Decision::Realized,
            Decision::Answered,
            Decision::Passthrough(Reason::ProbeDir("CMakeScratch/a:b".into())),
            Decision::Passthrough(Reason::ConfigureAncestor("config.status".into())),
            Decision::Passthrough(Reason::Conftest),
        ];
        for (i, d) in (10..).zip(decisions) {
            record(&db, &ev(i, d)).expect("record");
        }
        drop(conn);
        let open = || Connection::open(&db).expect("open");
        let (read, import) = read_importing(open(), &db).expect("read");
        assert_eq!(import.run().expect("import"), 5);
        let after = read_all(&open()).expect("read back");
        assert_eq!(read, after);
        let seqs: Vec<i64> = read.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [1, 2, 4, 5, 6, 7, 8]);
        assert_eq!(std::fs::read(log_path(&db)).expect("log"), b"");
        // An empty log: the store's events, nothing to import.
        let (again, import) = read_importing(open(), &db).expect("read");
        assert_eq!(import.run().expect("import"), 0);
        assert_eq!(again, after);
        // A line cut short is refused before anything is imported, naming the line.
        record(&db, &ev(20, Decision::Confessed)).expect("record");
        let whole = std::fs::read_to_string(log_path(&db)).expect("log");
        std::fs::write(log_path(&db), format!("{whole}{}", &whole[..9])).expect("cut");
        let Err(e) = read_importing(open(), &db) else {
            panic!("a cut line was read");
        };
        assert!(e.to_string().starts_with("line 2 "), "{e}");
        assert_eq!(read_all(&open()).expect("read back"), after);
    }

    #[test]
    fn record_refuses_a_missing_store() {
        let p = std::env::temp_dir().join("confess-no-such-dir/events.sqlite");
        assert!(record(&p, &event()).is_err());
    }

    /// A store as confess wrote it before version 2 (its schema and rows, written here by hand):
    /// every event reads back typed, the reason taken out of the decision's text.
    #[test]
    fn a_version_1_store_reads_as_it_was_written() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema_version', '1');
             CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL,
                 ppid INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
                 role TEXT NOT NULL, tool TEXT NOT NULL, phase TEXT NOT NULL,
                 decision TEXT NOT NULL, cwd TEXT NOT NULL, argv TEXT NOT NULL,
                 inputs TEXT NOT NULL, outputs TEXT NOT NULL, tokens TEXT NOT NULL,
                 real_tool TEXT, exit_status INTEGER NOT NULL, note TEXT);
             INSERT INTO events VALUES (1, 10, 1, 5, 6, 'cc', 'gcc', 'configure',
                 'passthrough:configure-ancestor:config.status', '/b', '[\"gcc\",\"-c\"]', '[]',
                 '[]', '[]', '/usr/bin/gcc', 0, NULL);
             INSERT INTO events VALUES (2, 11, 1, 7, 8, 'exec', './gen', 'build', 'realized',
                 '/b', '[\"./gen\"]', '[]', '[\"t.h\"]', '[\"ab\"]', '/b/gen', 0, 'n');",
        )
        .expect("v1 store");
        let all = read_all(&conn).expect("read");
        assert_eq!(all.len(), 2);
        let (a, b) = (&all[0].1, &all[1].1);
        assert_eq!(
            a.decision,
            Decision::Passthrough(Reason::ConfigureAncestor("config.status".into()))
        );
        assert_eq!((a.role, a.phase), (Actor::Tool(Role::Cc), Phase::Configure));
        assert_eq!(a.argv, ["gcc", "-c"]);
        assert_eq!(
            (b.role, b.phase, &b.decision),
            (Actor::Exec, Phase::Build, &Decision::Realized)
        );
        assert_eq!(
            (b.outputs.as_slice(), b.tokens.as_slice()),
            (&["t.h".to_string()][..], &["ab".to_string()][..])
        );
        assert_eq!(b.note.as_deref(), Some("n"));
        // A decision that version did not write is refused, naming the event.
        conn.execute(
            "UPDATE events SET decision = 'passthrough:nonsense' WHERE seq = 2",
            [],
        )
        .expect("update");
        let e = read_all(&conn).expect_err("unknown decision");
        assert!(e.to_string().contains("event 2"), "{e}");
        // A store of a version to come is refused, naming its version.
        conn.execute("UPDATE meta SET value = '3'", [])
            .expect("update");
        let e = read_all(&conn).expect_err("version 3");
        assert!(e.to_string().contains("schema version 3"), "{e}");
    }
}
