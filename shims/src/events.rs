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

use rusqlite::{params, Connection};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SCHEMA_VERSION: i64 = 1;

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

/// One invocation. JSON-encoded lists go into the TEXT columns.
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub pid: u32,
    pub ppid: u32,
    pub start_ns: i64,
    pub end_ns: i64,
    pub role: String,
    /// argv[0] as called.
    pub tool: String,
    /// `configure` or `build`.
    pub phase: String,
    /// `confessed`, `passthrough:<reason>`, `realized`, or `failed:<reason>`.
    pub decision: String,
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

/// The append-only log the shims write beside the store.
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
    conn.busy_timeout(Duration::from_secs(120))?;
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
    let mut line = serde_json::to_string(&to_json(ev)).map_err(std::io::Error::other)?;
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

fn to_json(ev: &Event) -> Value {
    json!({
        "pid": ev.pid,
        "ppid": ev.ppid,
        "start_ns": ev.start_ns,
        "end_ns": ev.end_ns,
        "role": ev.role,
        "tool": ev.tool,
        "phase": ev.phase,
        "decision": ev.decision,
        "cwd": ev.cwd,
        "argv": ev.argv,
        "inputs": ev.inputs,
        "outputs": ev.outputs,
        "tokens": ev.tokens,
        "real_tool": ev.real_tool,
        "exit_status": ev.exit_status,
        "note": ev.note,
    })
}

fn from_json(v: &Value) -> Option<Event> {
    let text = |k: &str| v[k].as_str().map(String::from);
    let list = |k: &str| -> Option<Vec<String>> {
        v[k].as_array()?
            .iter()
            .map(|w| w.as_str().map(String::from))
            .collect()
    };
    Some(Event {
        pid: u32::try_from(v["pid"].as_u64()?).ok()?,
        ppid: u32::try_from(v["ppid"].as_u64()?).ok()?,
        start_ns: v["start_ns"].as_i64()?,
        end_ns: v["end_ns"].as_i64()?,
        role: text("role")?,
        tool: text("tool")?,
        phase: text("phase")?,
        decision: text("decision")?,
        cwd: text("cwd")?,
        argv: list("argv")?,
        inputs: list("inputs")?,
        outputs: list("outputs")?,
        tokens: list("tokens")?,
        real_tool: text("real_tool"),
        exit_status: i32::try_from(v["exit_status"].as_i64()?).ok()?,
        note: text("note"),
    })
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
    let text = match std::fs::read_to_string(&log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(ImportError::Io(e)),
    };
    let events = parse_log(&text)?;
    let tx = conn.transaction().map_err(ImportError::Store)?;
    for ev in &events {
        insert(&tx, ev).map_err(ImportError::Store)?;
    }
    tx.commit().map_err(ImportError::Store)?;
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .map_err(ImportError::Io)?;
    Ok(events.len())
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
        let v: Value =
            serde_json::from_str(line).map_err(|e| ImportError::Line(i + 1, e.to_string()))?;
        let ev =
            from_json(&v).ok_or_else(|| ImportError::Line(i + 1, "a field is missing".into()))?;
        events.push(ev);
    }
    Ok(events)
}

fn insert(conn: &Connection, ev: &Event) -> rusqlite::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT INTO events (pid, ppid, start_ns, end_ns, role, tool, phase, decision, cwd, argv,
                             inputs, outputs, tokens, real_tool, exit_status, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            ev.pid,
            ev.ppid,
            ev.start_ns,
            ev.end_ns,
            ev.role,
            ev.tool,
            ev.phase,
            ev.decision,
            ev.cwd,
            json(&ev.argv),
            json(&ev.inputs),
            json(&ev.outputs),
            json(&ev.tokens),
            ev.real_tool,
            ev.exit_status,
            ev.note,
        ],
    )?;
    Ok(())
}

/// Reads every event in insertion order.
pub fn read_all(conn: &Connection) -> rusqlite::Result<Vec<(i64, Event)>> {
    let mut stmt = conn.prepare(
        "SELECT seq, pid, ppid, start_ns, end_ns, role, tool, phase, decision, cwd, argv, inputs,
                outputs, tokens, real_tool, exit_status, note FROM events ORDER BY seq",
    )?;
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Event {
                pid: r.get(1)?,
                ppid: r.get(2)?,
                start_ns: r.get(3)?,
                end_ns: r.get(4)?,
                role: r.get(5)?,
                tool: r.get(6)?,
                phase: r.get(7)?,
                decision: r.get(8)?,
                cwd: r.get(9)?,
                argv: list(r.get(10)?),
                inputs: list(r.get(11)?),
                outputs: list(r.get(12)?),
                tokens: list(r.get(13)?),
                real_tool: r.get(14)?,
                exit_status: r.get(15)?,
                note: r.get(16)?,
            },
        ))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
                            ..Event::default()
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
        record(&db, &Event::default()).expect("record");
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
            role: "cc".into(),
            argv: vec!["gcc".into(), "a \"b\"\n".into()],
            real_tool: Some("/usr/bin/gcc".into()),
            exit_status: -1,
            note: None,
            ..Event::default()
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
        assert_eq!(back.argv, ev.argv);
        assert_eq!(back.real_tool, ev.real_tool);
        // The log is empty after an import: importing again adds nothing.
        assert_eq!(import(&mut conn, &db).expect("import"), 0);
    }

    #[test]
    fn record_refuses_a_missing_store() {
        let p = std::env::temp_dir().join("confess-no-such-dir/events.sqlite");
        assert!(record(&p, &Event::default()).is_err());
    }
}
