//! The event store: every shim invocation, in either phase, as one row of facts.
//!
//! SQLite in WAL mode with a long busy timeout, so that `make -j` with many shims writing at once
//! loses nothing. The driver creates the schema before the build; shims only insert. Rows hold
//! what happened; what it means (compile, link, target) is worked out later by the extractor.

use rusqlite::{params, Connection, OpenFlags};
use std::path::Path;
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

/// Creates the store and its schema. Called once by the driver, before any shim runs.
pub fn create(path: &Path) -> rusqlite::Result<Connection> {
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

/// Appends one event. Opens the existing store (never creates it: a missing store means the
/// session is broken, and the caller must fail loudly rather than lose the fact).
pub fn record(path: &Path, ev: &Event) -> rusqlite::Result<()> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(120))?;
    // WAL is persistent once set by `create`. A confession does not outlive a machine crash, so
    // nothing is fsynced; and the driver checkpoints once at the end (a shim that checkpointed
    // would fsync on every call).
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
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
        create(&db).expect("create");
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
        let conn = Connection::open(&db).expect("open");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 400);
        let all = read_all(&conn).expect("read");
        assert!(all.iter().any(|(_, e)| e.argv == ["cc-7-49"]));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn record_refuses_a_missing_store() {
        let p = std::env::temp_dir().join("confess-no-such-dir/events.sqlite");
        assert!(record(&p, &Event::default()).is_err());
    }
}
