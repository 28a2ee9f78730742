//! The token store: every token a session's shims wrote, in one append-only file.
//!
//! A shim appends its token to `tokens.log` in the session directory as one record, written with
//! one `write` on a file opened `O_APPEND`, under an exclusive lock on the file (as the event log
//! is). A record is a header line and the token's text:
//!
//! ```text
//! CONFESS-TOKEN-RECORD <bytes> <id> <member id>...
//! <the token, exactly as written to the build tree: <bytes> bytes>
//! ```
//!
//! The header line names the record's byte count, then the token's id and the ids of the tokens
//! it embeds (an archive's members): `CONFESS-TOKEN-RECORD <bytes> <id> <member id>...`.
//!
//! One file instead of one file per token: creating a file costs an inode, and on a build that
//! compiles thousands of sources the store's directory, which every shim wrote into, was the
//! most contended lock of the build phase. Readers read the whole file under a shared lock. The
//! extractor parses every record ([`index`]); realization during the build parses only the
//! records whose headers name the ids it looks up ([`Lookup`]). The same id may be written more
//! than once (an action repeated); equal ids are equal tokens, and the first record is kept.

use crate::token::{Reading, Token};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first word of a record's header line.
pub const RECORD: &str = "CONFESS-TOKEN-RECORD";

/// The token store of the session directory `dir`.
#[must_use]
pub fn path(dir: &Path) -> PathBuf {
    dir.join("tokens.log")
}

/// Creates the empty store. Called once by the driver, before any shim runs.
pub fn create(dir: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path(dir))
        .map(drop)
}

/// Appends `tok`, written as `text`, to the store at `path`. Opens the existing file and never
/// creates it: a missing store means the session is broken, and the caller fails rather than
/// lose the token.
pub fn append(path: &Path, tok: &Token, text: &str) -> std::io::Result<()> {
    let embedded = tok.embedded();
    let mut rec = String::with_capacity(text.len() + RECORD.len() + 24 + 65 * embedded.len());
    rec.push_str(RECORD);
    rec.push(' ');
    rec.push_str(&text.len().to_string());
    // The token's own id first (`embedded` lists it last), then its members'.
    for t in embedded.iter().rev() {
        rec.push(' ');
        rec.push_str(&t.id);
    }
    rec.push('\n');
    rec.push_str(text);
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.lock()?;
    let res = f.write_all(rec.as_bytes());
    let _ = f.unlock();
    res
}

/// Why the store could not be read.
#[derive(Debug)]
pub enum StoreError {
    Io(std::io::Error),
    /// A record (starting at this byte offset) that is cut short or not a token.
    Record(usize, String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::Record(at, why) => write!(f, "the record at byte {at} {why}"),
        }
    }
}

/// Every token in the store at `path`, and every token embedded in one, by id (the first
/// record of an id is kept).
///
/// The store is read one record at a time, never whole, and the tokens share what repeats
/// between them ([`Reading`]): one copy of each path, hash and id, and one of each member an
/// archive embeds whose text equals a token read before it (its compile's own record).
pub fn index(path: &Path) -> Result<BTreeMap<String, Arc<Token>>, StoreError> {
    use std::io::{BufRead, Read};
    let f = std::fs::File::open(path).map_err(StoreError::Io)?;
    f.lock_shared().map_err(StoreError::Io)?;
    let mut input = std::io::BufReader::with_capacity(1 << 20, &f);
    let mut reading = Reading::default();
    let mut out = BTreeMap::new();
    let mut at = 0;
    let mut header = String::new();
    let mut body = Vec::new();
    let res = loop {
        header.clear();
        match input.read_line(&mut header) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) => break Err(StoreError::Io(e)),
        }
        let bad = |why: String| Err(StoreError::Record(at, why));
        let Some(line) = header.strip_suffix('\n') else {
            break bad("is cut short in its header".into());
        };
        let Some(len) = record_len(line) else {
            break bad(format!("does not start with `{RECORD} <bytes>`"));
        };
        body.resize(len, 0);
        if let Err(e) = input.read_exact(&mut body) {
            break match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    bad(format!("is cut short: {len} bytes announced"))
                }
                _ => Err(StoreError::Io(e)),
            };
        }
        let Ok(text) = std::str::from_utf8(&body) else {
            break bad("is not a token: it is not UTF-8 text".into());
        };
        match Token::parse_in(text, &mut reading) {
            Ok(tok) => keep(&mut out, &tok),
            Err(e) => break bad(format!("is not a token: {e}")),
        }
        at += header.len() + len;
    };
    drop(input);
    let _ = f.unlock();
    res.map(|()| out)
}

/// The byte count a record's header line announces.
fn record_len(header: &str) -> Option<usize> {
    header
        .strip_prefix(RECORD)?
        .strip_prefix(' ')?
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Puts `tok` and the tokens it embeds, members first, into `out` under their ids, where no
/// token of that id is yet.
fn keep(out: &mut BTreeMap<String, Arc<Token>>, tok: &Arc<Token>) {
    for (_, m) in &tok.members {
        keep(out, m);
    }
    if !out.contains_key(&tok.id) {
        out.insert(tok.id.clone(), Arc::clone(tok));
    }
}

/// The file's text, read under a shared lock so that no record is read half written.
fn read_locked(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    f.lock_shared()?;
    let mut text = String::new();
    let res = f.read_to_string(&mut text);
    let _ = f.unlock();
    res.map(|_| text)
}

/// One record of the store's text: where its body starts, the ids its header names, its body.
struct Record<'a> {
    start: usize,
    ids: std::str::SplitAsciiWhitespace<'a>,
    body: &'a str,
}

/// The records of the store's text, in the order they were written, read by their headers.
fn headers(text: &str) -> impl Iterator<Item = Result<Record<'_>, StoreError>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let at = pos;
        let bad = |why: &str| Some(Err(StoreError::Record(at, why.to_string())));
        let rest = &text[at..];
        let Some(nl) = rest.find('\n') else {
            pos = text.len();
            return bad("is cut short in its header");
        };
        let mut words = rest[..nl]
            .strip_prefix(RECORD)
            .and_then(|h| h.strip_prefix(' '))
            .unwrap_or("")
            .split_ascii_whitespace();
        let Some(len) = words.next().and_then(|n| n.parse::<usize>().ok()) else {
            pos = text.len();
            return bad(&format!("does not start with `{RECORD} <bytes>`"));
        };
        let Some(body) = rest.get(nl + 1..nl + 1 + len) else {
            pos = text.len();
            return bad(&format!("is cut short: {len} bytes announced"));
        };
        pos = at + nl + 1 + len;
        Some(Ok(Record {
            start: at + nl + 1,
            ids: words,
            body,
        }))
    })
}

/// The store as realization reads it: its text, and where the record naming each id starts.
/// A lookup parses that record only.
pub struct Lookup {
    text: String,
    at: std::collections::HashMap<String, (usize, usize)>,
}

impl Lookup {
    /// Reads the store at `path` and indexes its records' headers.
    pub fn open(path: &Path) -> Result<Lookup, StoreError> {
        let text = read_locked(path).map_err(StoreError::Io)?;
        let mut at = std::collections::HashMap::new();
        for r in headers(&text) {
            let r = r?;
            for id in r.ids.clone() {
                at.entry(id.to_string())
                    .or_insert((r.start, r.start + r.body.len()));
            }
        }
        Ok(Lookup { text, at })
    }

    /// The token `id`, whether written itself or embedded in another.
    pub fn get(&self, id: &str) -> Result<Option<Token>, StoreError> {
        let Some(&(start, end)) = self.at.get(id) else {
            return Ok(None);
        };
        let tok = Token::parse(&self.text[start..end])
            .map_err(|e| StoreError::Record(start, format!("is not a token: {e}")))?;
        Ok(tok.embedded().into_iter().find(|t| t.id == id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Edge, Input, Kind};

    fn token(id: &str, kind: Kind) -> Token {
        Token {
            id: id.into(),
            kind: Some(kind),
            role: "cc".into(),
            cwd: "/w".into(),
            output: format!("/w/{id}"),
            argv: vec!["cc".into(), "-c".into(), "x.c".into()],
            inputs: vec![Input {
                edge: Edge::Source,
                content: crate::facts::ContentRef::Hash("ab".into()),
                path: "/w/x.c".into(),
            }],
            // As it reads back from its rendered text.
            summed: true,
            ..Token::default()
        }
    }

    /// A new empty store: its directory (kept alive by the caller) and its path.
    fn new_store() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        create(dir.path()).expect("create");
        let p = path(dir.path());
        (dir, p)
    }

    #[test]
    fn tokens_and_their_members_are_found_by_id() {
        let (_dir, p) = new_store();
        let obj = token("o1", Kind::Object);
        let mut ar = token("a1", Kind::Archive);
        ar.members
            .push(("m.o".into(), Arc::new(token("m1", Kind::Object))));
        let exe = token("e1", Kind::Executable);
        for t in [&obj, &ar, &exe, &obj] {
            append(&p, t, &t.render("/bin/confess-shim")).expect("append");
        }
        let idx = index(&p).expect("index");
        assert_eq!(
            idx.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a1", "e1", "m1", "o1"]
        );
        assert_eq!(idx["m1"], ar.members[0].1);
        assert_eq!(*idx["e1"], exe);
        // Realization's lookup finds the same tokens from the headers alone.
        let look = Lookup::open(&p).expect("lookup");
        for id in ["a1", "e1", "m1", "o1"] {
            assert_eq!(
                look.get(id).expect("parses").as_ref(),
                Some(&*idx[id]),
                "{id}"
            );
        }
        assert!(look.get("nope").expect("parses").is_none());
    }

    #[test]
    fn a_record_cut_short_is_an_error_naming_where_it_starts() {
        let (_dir, p) = new_store();
        let tok = token("o1", Kind::Object);
        let text = tok.render("/s");
        append(&p, &tok, &text).expect("append");
        let whole = usize::try_from(std::fs::metadata(&p).expect("stat").len()).expect("size");
        append(&p, &tok, &text).expect("append");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open");
        f.set_len((whole + 30) as u64).expect("cut");
        let e = index(&p).expect_err("cut short").to_string();
        assert!(e.contains(&format!("at byte {whole}")), "{e}");
        assert!(e.contains("cut short"), "{e}");
        std::fs::write(&p, "garbage\n").expect("write");
        assert!(index(&p)
            .expect_err("garbage")
            .to_string()
            .contains("does not start with"));
    }

    #[test]
    fn a_member_read_before_is_shared_and_a_different_text_is_not() {
        let (_dir, p) = new_store();
        let obj = token("o1", Kind::Object);
        // The same id written elsewhere: the same action's object at another path.
        let mut elsewhere = token("o2", Kind::Object);
        elsewhere.output = "/w/other/o2".into();
        let mut ar = token("a1", Kind::Archive);
        ar.members.push(("o1.o".into(), Arc::new(obj.clone())));
        ar.members
            .push(("o2.o".into(), Arc::new(elsewhere.clone())));
        for t in [&obj, &token("o2", Kind::Object), &ar] {
            append(&p, t, &t.render("/s")).expect("append");
        }
        let idx = index(&p).expect("index");
        // o1's text in the archive is its own record's: one token, not two.
        assert!(Arc::ptr_eq(&idx["a1"].members[0].1, &idx["o1"]));
        // o2's text differs from its record's (another output): read as written, not shared;
        // the index keeps the first record of the id.
        assert_eq!(*idx["a1"].members[1].1, elsewhere);
        assert_eq!(idx["o2"].output, "/w/o2");
        // Paths and hashes are one copy each.
        let [a, b] = [&idx["o1"], &idx["o2"]].map(|t| Arc::clone(&t.inputs[0].path));
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn a_record_that_is_not_text_is_an_error_naming_where_it_starts() {
        let (_dir, p) = new_store();
        let tok = token("o1", Kind::Object);
        append(&p, &tok, &tok.render("/s")).expect("append");
        let whole = std::fs::metadata(&p).expect("stat").len();
        let mut bytes = std::fs::read(&p).expect("read");
        bytes.extend_from_slice(format!("{RECORD} 2 x\n").as_bytes());
        bytes.extend_from_slice(&[0xff, 0xfe]);
        std::fs::write(&p, &bytes).expect("write");
        let e = index(&p).expect_err("not text").to_string();
        assert!(e.contains(&format!("at byte {whole}")), "{e}");
        assert!(e.contains("not UTF-8"), "{e}");
    }
}
