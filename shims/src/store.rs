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
use std::collections::HashMap;
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
///
/// A store of more than [`SPLIT_ABOVE`] bytes is read by two threads, in two passes. First
/// each reads half of the records (split at a record's start), setting aside those whose
/// header names members (archives). Then each reads half of those, its members found among
/// all the tokens the first pass read. What is kept is what one pass in file order keeps:
/// each token remembers where its record starts, and of one id the earliest is kept. Members
/// are shared as in one pass, since an archive's members are most often the records of its
/// objects. A bad record makes the store be read again in one pass, which names the first.
pub fn index(path: &Path) -> Result<HashMap<String, Arc<Token>>, StoreError> {
    index_split(path, SPLIT_ABOVE)
}

/// Stores of more bytes than this are read by two threads ([`index`]).
pub const SPLIT_ABOVE: u64 = 16 << 20;

/// [`index`], reading stores of more than `split_above` bytes with two threads.
pub fn index_split(
    path: &Path,
    split_above: u64,
) -> Result<HashMap<String, Arc<Token>>, StoreError> {
    let f = std::fs::File::open(path).map_err(StoreError::Io)?;
    // Held until every record is read: no record is appended half written meanwhile.
    f.lock_shared().map_err(StoreError::Io)?;
    let len = f.metadata().map_err(StoreError::Io)?.len();
    let one_pass = || read_records(std::io::Read::take(&f, u64::MAX), 0, None).map(|p| p.kept);
    let res = match split_above_len(&f, len, split_above) {
        Ok(Some(split)) => match index_in_two(path, &f, split, len) {
            Ok(kept) => Ok(kept),
            // Read again in one pass, which names the first bad record as it always has.
            Err(_) => rewind(&f).and_then(|()| one_pass()),
        },
        Ok(None) => one_pass(),
        Err(e) => Err(e),
    };
    let _ = f.unlock();
    res.map(|kept| kept.into_iter().map(|(id, (_, tok))| (id, tok)).collect())
}

fn rewind(f: &std::fs::File) -> Result<(), StoreError> {
    use std::io::Seek;
    let mut f = f;
    f.rewind().map_err(StoreError::Io)
}

/// Where to split a store of `len` bytes into halves, when it is more than `split_above`.
fn split_above_len(
    f: &std::fs::File,
    len: u64,
    split_above: u64,
) -> Result<Option<u64>, StoreError> {
    if len <= split_above {
        return Ok(None);
    }
    Ok(record_start_after(f, len / 2)?.filter(|&at| at < len))
}

/// Tokens by id, each with where its record starts.
type Kept = HashMap<String, (u64, Arc<Token>)>;

/// Tokens by id, each with where its record starts; the records set aside; what was read.
struct Part {
    kept: Kept,
    /// Records with members, set aside: where each starts, where its body starts, its length.
    aside: Vec<(u64, u64, usize)>,
    reading: Reading,
}

/// Both passes of [`index`] over a store of `len` bytes whose second half starts at `split`.
fn index_in_two(path: &Path, f: &std::fs::File, split: u64, len: u64) -> Result<Kept, StoreError> {
    use std::io::{Read, Seek};
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            // Its own file offset: the first half is read through `f` meanwhile.
            let mut g = std::fs::File::open(path).map_err(StoreError::Io)?;
            g.seek(std::io::SeekFrom::Start(split))
                .map_err(StoreError::Io)?;
            read_records(g.take(len - split), split, Some(Reading::default()))
        });
        let first = read_records(f.take(split), 0, Some(Reading::default()));
        (first, join(second))
    });
    let (mut first, mut second) = (first?, second?);
    // The second pass: the archives, their members found among every token read so far.
    let known: Arc<[crate::token::Known]> =
        Arc::new([first.reading.take_known(), second.reading.take_known()]);
    let mut aside = std::mem::take(&mut first.aside);
    aside.append(&mut second.aside);
    let (one, two) = aside.split_at(aside.len() / 2);
    let (one, two) = std::thread::scope(|scope| {
        let two = scope.spawn(|| read_aside(f, two, Reading::over(Arc::clone(&known))));
        (
            read_aside(f, one, Reading::over(Arc::clone(&known))),
            join(two),
        )
    });
    let mut out = first.kept;
    for part in [second, one?, two?] {
        for (id, (at, tok)) in part.kept {
            match out.entry(id) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((at, tok));
                }
                std::collections::hash_map::Entry::Occupied(mut o) if o.get().0 > at => {
                    o.insert((at, tok));
                }
                std::collections::hash_map::Entry::Occupied(_) => {}
            }
        }
    }
    Ok(out)
}

fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The records set aside at `recs` (where each starts, where its body starts, its length).
fn read_aside(
    f: &std::fs::File,
    recs: &[(u64, u64, usize)],
    mut reading: Reading,
) -> Result<Part, StoreError> {
    use std::os::unix::fs::FileExt;
    let mut kept = HashMap::new();
    let mut body = Vec::new();
    for &(at, body_at, len) in recs {
        let bad = |why: String| StoreError::Record(usize::try_from(at).unwrap_or(usize::MAX), why);
        body.resize(len, 0);
        f.read_exact_at(&mut body, body_at)
            .map_err(StoreError::Io)?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| bad("is not a token: it is not UTF-8 text".into()))?;
        let tok =
            Token::parse_in(text, &mut reading).map_err(|e| bad(format!("is not a token: {e}")))?;
        keep(&mut kept, at, &tok);
    }
    Ok(Part {
        kept,
        aside: Vec::new(),
        reading,
    })
}

/// Where the first record that starts at or after byte `at` starts, walking the records'
/// headers from the beginning (past the file's end when its last record is cut short); `None`
/// when none does. A header that is not a record's ends the walk: reading the file in one pass
/// names it.
fn record_start_after(f: &std::fs::File, at: u64) -> Result<Option<u64>, StoreError> {
    use std::io::{BufRead, Seek};
    let mut input = std::io::BufReader::with_capacity(1 << 12, f);
    let mut pos = 0u64;
    let mut header = String::new();
    let found = loop {
        if pos >= at {
            break Some(pos);
        }
        header.clear();
        match input.read_line(&mut header) {
            Ok(0) => break None,
            Ok(_) => {}
            Err(e) => return Err(StoreError::Io(e)),
        }
        let Some(body) = header.strip_suffix('\n').and_then(record_len) else {
            break None;
        };
        pos += header.len() as u64 + body as u64;
        input
            .seek(std::io::SeekFrom::Start(pos))
            .map_err(StoreError::Io)?;
    };
    input.rewind().map_err(StoreError::Io)?;
    Ok(found)
}

/// The records of `input`, which holds the store's bytes from byte `start` on: every token and
/// every token embedded in one, by id, the first record of an id kept. With a `reading` of its
/// own (the first of two passes), a record whose header names members is set aside, not read.
fn read_records<R: std::io::Read + std::io::Seek>(
    input: std::io::Take<R>,
    start: u64,
    pass: Option<Reading>,
) -> Result<Part, StoreError> {
    use std::io::{BufRead, Read};
    let set_aside = pass.is_some();
    let mut input = std::io::BufReader::with_capacity(1 << 20, input);
    let mut part = Part {
        kept: HashMap::new(),
        aside: Vec::new(),
        reading: pass.unwrap_or_default(),
    };
    let mut at = start;
    let mut header = String::new();
    let mut body = Vec::new();
    loop {
        header.clear();
        match input.read_line(&mut header) {
            Ok(0) => return Ok(part),
            Ok(_) => {}
            Err(e) => return Err(StoreError::Io(e)),
        }
        let bad = |why: String| {
            Err(StoreError::Record(
                usize::try_from(at).unwrap_or(usize::MAX),
                why,
            ))
        };
        let Some(line) = header.strip_suffix('\n') else {
            return bad("is cut short in its header".into());
        };
        let Some(len) = record_len(line) else {
            return bad(format!("does not start with `{RECORD} <bytes>`"));
        };
        let body_at = at + header.len() as u64;
        if set_aside && line.split_ascii_whitespace().nth(3).is_some() {
            // Members: skipped here (its length checked), read in the second pass.
            let skipped = skip(&mut input, len as u64).map_err(StoreError::Io)?;
            if skipped != len as u64 {
                return bad(format!("is cut short: {len} bytes announced"));
            }
            part.aside.push((at, body_at, len));
            at = body_at + len as u64;
            continue;
        }
        body.resize(len, 0);
        if let Err(e) = input.read_exact(&mut body) {
            return match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    bad(format!("is cut short: {len} bytes announced"))
                }
                _ => Err(StoreError::Io(e)),
            };
        }
        let Ok(text) = std::str::from_utf8(&body) else {
            return bad("is not a token: it is not UTF-8 text".into());
        };
        match Token::parse_in(text, &mut part.reading) {
            Ok(tok) => keep(&mut part.kept, at, &tok),
            Err(e) => return bad(format!("is not a token: {e}")),
        }
        at = body_at + len as u64;
    }
}

/// Moves `input` on by `n` bytes without reading them, as far as its limit allows; says how far
/// it moved.
fn skip<R: std::io::Read + std::io::Seek>(
    input: &mut std::io::BufReader<std::io::Take<R>>,
    n: u64,
) -> std::io::Result<u64> {
    use std::io::BufRead;
    let buffered = input.buffer().len();
    if n <= buffered as u64 {
        input.consume(usize::try_from(n).unwrap_or(buffered));
        return Ok(n);
    }
    input.consume(buffered);
    let take = input.get_mut();
    let rest = (n - buffered as u64).min(take.limit());
    take.get_mut().seek(std::io::SeekFrom::Current(
        i64::try_from(rest).map_err(std::io::Error::other)?,
    ))?;
    take.set_limit(take.limit() - rest);
    Ok(buffered as u64 + rest)
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
/// token of that id is yet, with `at`, where their record starts.
fn keep(out: &mut Kept, at: u64, tok: &Arc<Token>) {
    for (_, m) in &tok.members {
        keep(out, at, m);
    }
    if !out.contains_key(&tok.id) {
        out.insert(tok.id.clone(), (at, Arc::clone(tok)));
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
        let mut ids: Vec<&str> = idx.keys().map(String::as_str).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a1", "e1", "m1", "o1"]);
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

    /// A store of objects, archives of them, repeats and an id written twice with other text.
    fn mixed_store(p: &Path) {
        let mut all = Vec::new();
        for k in 0..40 {
            let objs: Vec<Token> = (0..3)
                .map(|j| token(&format!("o{k}-{j}"), Kind::Object))
                .collect();
            let mut ar = token(&format!("a{k}"), Kind::Archive);
            for o in &objs {
                ar.members
                    .push((format!("{}.o", o.id), Arc::new(o.clone())));
            }
            // The first archive's member `late`, with its own text, comes before every record
            // of that id, each with another text again.
            let mut late = token("late", Kind::Object);
            if k == 0 {
                late.output = "/w/in-archive".into();
                ar.members.push(("late.o".into(), Arc::new(late.clone())));
            }
            late.output = format!("/w/late{k}");
            all.extend(objs);
            all.push(ar);
            all.push(late);
            all.push(token(&format!("o{k}-0"), Kind::Object));
        }
        for t in &all {
            append(p, t, &t.render("/s")).expect("append");
        }
    }

    #[test]
    fn a_store_read_in_two_halves_keeps_what_one_pass_keeps() {
        let (_dir, p) = new_store();
        mixed_store(&p);
        let len = std::fs::metadata(&p).expect("stat").len();
        let whole = index_split(&p, u64::MAX).expect("one pass");
        let halves = index_split(&p, 0).expect("two halves");
        assert_eq!(whole.len(), halves.len());
        for (id, t) in &whole {
            assert_eq!(**t, *halves[id], "{id}");
        }
        // `late`'s first record is inside the first archive, read in the second pass.
        assert_eq!(halves["late"].output, "/w/in-archive");
        // Members are shared across the passes: an archive's objects are its members.
        assert!(Arc::ptr_eq(&halves["a39"].members[0].1, &halves["o39-0"]));
        assert!(Arc::ptr_eq(&halves["a0"].members[1].1, &halves["o0-1"]));
        // The split is a record's start near the middle, so both halves held records.
        let f = std::fs::File::open(&p).expect("open");
        let at = record_start_after(&f, len / 2)
            .expect("walk")
            .expect("found");
        assert!(at >= len / 2 && at < len, "{at} of {len}");
        let head = std::fs::read(&p).expect("read");
        assert!(head[usize::try_from(at).expect("size")..].starts_with(RECORD.as_bytes()));
    }

    #[test]
    fn skip_moves_past_the_buffer_and_stops_at_the_limit() {
        use std::io::{BufRead, Read};
        let bytes: Vec<u8> = (0..=255).collect();
        let input = |limit| {
            std::io::BufReader::with_capacity(16, std::io::Cursor::new(bytes.clone()).take(limit))
        };
        let next = |r: &mut std::io::BufReader<_>| {
            let mut b = [0u8];
            r.read_exact(&mut b).map(|()| b[0])
        };
        // Within what is buffered, then past it.
        let mut r = input(200);
        r.fill_buf().expect("fill");
        assert_eq!(skip(&mut r, 5).expect("skip"), 5);
        assert_eq!(next(&mut r).expect("byte"), 5);
        assert_eq!(skip(&mut r, 100).expect("skip"), 100);
        assert_eq!(next(&mut r).expect("byte"), 106);
        // Not past the limit: 200 bytes, 107 read or skipped.
        assert_eq!(skip(&mut r, 1000).expect("skip"), 93);
        assert!(next(&mut r).is_err());
    }

    #[test]
    fn a_bad_record_in_the_second_half_is_named_as_one_pass_names_it() {
        let (_dir, p) = new_store();
        mixed_store(&p);
        let whole = std::fs::metadata(&p).expect("stat").len();
        let tok = token("o1", Kind::Object);
        let text = tok.render("/s");
        append(&p, &tok, &text).expect("append");
        // Cut the last record short: the split walk stops past the end, one pass names it.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open");
        f.set_len(whole + 30).expect("cut");
        let named = |why: &str| {
            let one = index_split(&p, u64::MAX).expect_err(why).to_string();
            assert_eq!(one, index_split(&p, 0).expect_err(why).to_string());
            assert!(one.contains(&format!("at byte {whole}")), "{one}");
        };
        named("cut short");
        // An archive cut short in its members: the first pass skips it, and finds it short.
        let mut bytes = std::fs::read(&p).expect("read");
        bytes.truncate(usize::try_from(whole).expect("size"));
        std::fs::write(&p, &bytes).expect("write");
        let mut ar = token("a-last", Kind::Archive);
        ar.members
            .push(("m.o".into(), Arc::new(token("m", Kind::Object))));
        append(&p, &ar, &ar.render("/s")).expect("append");
        // The cut falls in the record's body, past its header.
        let header = format!("{RECORD} {} a-last m\n", ar.render("/s").len());
        let end = std::fs::metadata(&p).expect("stat").len();
        assert!((header.len() as u64) < 200 && whole + 200 < end);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open");
        f.set_len(whole + 200).expect("cut");
        named("archive cut short");
        // A record that is not a token, in the second half.
        let mut bytes = std::fs::read(&p).expect("read");
        bytes.truncate(usize::try_from(whole).expect("size"));
        bytes.extend_from_slice(format!("{RECORD} 4 x\nabc\n").as_bytes());
        std::fs::write(&p, &bytes).expect("write");
        named("not a token");
    }
}
