//! Header traces: what following one toolchain header did, kept in the session's cache so
//! that the next compile including it in the same circumstances applies that instead of
//! following it (and the dozens of headers it includes) again.
//!
//! Scan snapshots (`memo`) share the state after a source's leading `#include <...>` lines,
//! which helps only sources whose first lines are the same; lua5.4's sources differ from their
//! second line (`#define lapi_c`), and every compile followed glibc's headers again. A trace is
//! kept per header instead, for every system header outside the scratch root, and holds:
//! - every macro its processing (the headers it included too) looked up before changing it,
//!   with the definition it had then, or none: `#ifndef _STDIO_H`, `__USE_GNU`,
//!   `__need_size_t`, a macro an `#if` expanded;
//! - every builtin query its `#if`s asked (`__has_attribute(__nonnull__)`), with the answer;
//! - in order, what the processing did: each `#define` and `#undef`, each `#include` (the name,
//!   the file it found, whether `#pragma once` skipped it and whether it was listed as a new
//!   dependency), each `#pragma once` and `#pragma GCC system_header`.
//!
//! Recordings nest: while `<stdio.h>` is recorded, `<bits/types.h>` inside it is recorded on
//! its own too (when no trace of it holds), so that a context in which stdio.h's traces do not
//! hold can still apply the traces of what it includes.
//!
//! A trace is used only when every macro it looked up is now as it was then, every query it
//! asked has the same answer from this compile's compiler and flags, and every `#include` it
//! made finds the same file now, with the same spelling, and is skipped or listed the same way,
//! which depends on what this compile has included so far. The includes are found again by
//! this compile's own search (the file system is asked as a full scan would ask it, and the
//! paths probed are the compile's like any other), and checked before anything is applied. The
//! processing is then replayed: the macros defined and removed, the dependencies listed, the
//! `#pragma once` files noted. What a header does depends on nothing else, so one store serves
//! every flag set of the session; and what it could not be kept for is not traced: a
//! `__has_include` (its answer is the file system's), a missing header (`-MG` lists it once
//! per name), `#pragma push_macro` or `pop_macro` (their stacks are no macros), a project
//! header entered from it (hashed for the token), a header below the scratch root.
//!
//! Traces live in the session's cache (`trace-KEY`, the variants of one header in one file,
//! appended whole) and last one confession, as snapshots do. A damaged or cut record ends the
//! reading of the file: only a saving is lost.

use super::macros::{self, Macro};
use super::memo::{R, W};
use super::Frame;
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CFTRACE2";

/// A trace file is not appended to beyond this size (a header traced in very many contexts).
const MAX_FILE: u64 = 8 << 20;

/// One thing a traced processing did, as a record holds it: names and texts borrow from the
/// record's bytes (a mapped trace file's, which live for the process), so applying a trace
/// copies none of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op<'a> {
    Define(&'a str, MacroRef<'a>),
    Undef(&'a str),
    /// An `#include` (or `#include_next`) that found a file: the name and how it was searched
    /// for, the file as found, whether `#pragma once` skipped it, and whether it was listed (its
    /// entry entered for the first time). Unless skipped, its own ops follow, then `Leave`.
    Enter {
        name: &'a str,
        angled: bool,
        next: bool,
        spelled: &'a str,
        abs: &'a Path,
        system: bool,
        skipped: bool,
        listed: bool,
    },
    Leave,
    Once,
    SystemHeader,
}

/// A macro as a record holds it: its parameters (how many, and their encoding) decoded only
/// when it is defined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct MacroRef<'a> {
    params: Option<(usize, &'a [u8])>,
    variadic: bool,
    text: &'a str,
}

impl<'a> MacroRef<'a> {
    /// `m` as a record holds it, its parameters encoded in `scratch`.
    fn of(m: &'a Macro, scratch: &'a mut Vec<u8>) -> MacroRef<'a> {
        let mut w = W(std::mem::take(scratch));
        for p in m.params.iter().flatten() {
            w.s(p);
        }
        *scratch = w.0;
        let params: &'a [u8] = scratch;
        MacroRef {
            params: m.params.as_ref().map(|p| (p.len(), params)),
            variadic: m.variadic,
            text: &m.text,
        }
    }

    fn params(&self) -> Option<Vec<&'a str>> {
        let (n, mut bytes) = self.params?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut r = R(bytes);
            out.push(r.st()?);
            bytes = r.0;
        }
        Some(out)
    }

    /// The macro, its text borrowed from the record.
    pub(super) fn to_macro(self) -> Macro
    where
        'a: 'static,
    {
        let params = self
            .params()
            .map(|p| p.into_iter().map(str::to_string).collect());
        Macro::new(params, self.variadic, self.text)
    }

    fn same(&self, m: &Macro) -> bool {
        let params_same = match (self.params(), &m.params) {
            (None, None) => true,
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *x == y),
            _ => false,
        };
        params_same && self.variadic == m.variadic && *self.text == *m.text
    }
}

/// The bytes of ops (as `put_op` writes them) and how many there are.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Ops<B> {
    count: usize,
    bytes: B,
}

impl<'a> Ops<&'a [u8]> {
    /// The ops in order, borrowed from the record; a damaged one is `None`.
    pub(super) fn iter(&self) -> impl Iterator<Item = Option<Op<'a>>> + 'a {
        let mut r = R(self.bytes);
        (0..self.count).map(move |_| get_op(&mut r))
    }
}

/// A record's trace, its macros found to hold (`decode_if_holds`): the queries it asked and the
/// ops it did, borrowed from the record.
pub(super) struct Trace<'a> {
    pub(super) queries: Vec<(&'a str, bool)>,
    pub(super) ops: Ops<&'a [u8]>,
    /// How deep the includes went below the header.
    pub(super) depth: usize,
}

/// A recording in progress: its ops written as a record holds them, as they happen.
#[derive(Default)]
pub(super) struct Recording {
    ops: Ops<Vec<u8>>,
    queries: Vec<(String, bool)>,
    /// Something was done that a trace cannot hold: it is not kept.
    pub(super) spoiled: bool,
    depth: usize,
    max_depth: usize,
}

impl Recording {
    pub(super) fn push(&mut self, op: &Op<'_>) {
        let mut w = W(std::mem::take(&mut self.ops.bytes));
        put_op(&mut w, op);
        self.ops.bytes = w.0;
        self.ops.count += 1;
        match op {
            Op::Enter { skipped: false, .. } => {
                self.depth += 1;
                self.max_depth = self.max_depth.max(self.depth);
            }
            Op::Leave => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    /// `#define name m`.
    pub(super) fn define(&mut self, name: &str, m: &Macro) {
        let mut params = Vec::new();
        self.push(&Op::Define(name, MacroRef::of(m, &mut params)));
    }

    pub(super) fn query(&mut self, q: String, answer: bool) {
        self.queries.push((q, answer));
    }

    /// A trace applied while this one records (a header it includes): its ops are this
    /// recording's too, and its depth below where it was applied.
    pub(super) fn applied(&mut self, t: &Trace<'_>) {
        self.ops.bytes.extend_from_slice(t.ops.bytes);
        self.ops.count += t.ops.count;
        (self.queries).extend(t.queries.iter().map(|(q, v)| ((*q).to_string(), *v)));
        self.max_depth = self.max_depth.max(self.depth + t.depth);
    }

    /// A recording of a header this one includes, ended: what it did, this one did.
    pub(super) fn absorb(&mut self, inner: Recording) {
        self.ops.bytes.extend_from_slice(&inner.ops.bytes);
        self.ops.count += inner.ops.count;
        self.queries.extend(inner.queries);
        self.spoiled |= inner.spoiled;
        self.max_depth = self.max_depth.max(self.depth + inner.max_depth);
    }

    /// The record's payload, given what the macro table's log learned; `None` if a lookup's
    /// value was never settled (`Table::end_log` settles them all). It holds, in order: the
    /// macros looked up before they were changed, sorted by name, with what they were (or
    /// none); the builtin queries and their answers, sorted; the depth; the ops.
    pub(super) fn finish(&self, log: macros::Log) -> Option<Vec<u8>> {
        let mut reads = Vec::new();
        for (name, f) in log.first {
            match f {
                macros::First::Read(then) => reads.push((name, then)),
                macros::First::Looked => return None,
                macros::First::Write => {}
            }
        }
        reads.sort_by(|a, b| a.0.cmp(&b.0));
        let mut queries: Vec<&(String, bool)> = self.queries.iter().collect();
        queries.sort();
        queries.dedup();
        let mut w = W(Vec::with_capacity(
            self.ops.bytes.len() + 64 * reads.len() + 64,
        ));
        w.n(reads.len() as u64);
        for (name, m) in &reads {
            w.s(name);
            match m {
                Some(m) => {
                    w.n(1);
                    put_macro(&mut w, &MacroRef::of(m, &mut Vec::new()));
                }
                None => w.n(0),
            }
        }
        w.n(queries.len() as u64);
        for (q, v) in queries {
            w.s(q);
            w.n(u64::from(*v));
        }
        w.n(self.max_depth as u64);
        w.n(self.ops.count as u64);
        w.0.extend_from_slice(&self.ops.bytes);
        Some(w.0)
    }
}

/// Where headers' traces are kept: one store for the session, shared by every flag set (what
/// a trace depends on is checked, not keyed).
pub(super) struct Store {
    dir: PathBuf,
    /// The scratch root: headers below it are never traced.
    pub(super) live: PathBuf,
}

impl Store {
    pub(super) fn new(dir: PathBuf, live: PathBuf) -> Store {
        Store { dir, live }
    }

    /// The file holding the traces of `frame`'s header, found in the search chain (`chained`)
    /// or in a file's own directory.
    pub(super) fn path(&self, frame: &Frame, chained: bool) -> PathBuf {
        let mut h = Sha256::new();
        h.update(MAGIC);
        for b in [
            frame.abs.as_os_str().as_encoded_bytes(),
            frame.spelled.as_bytes(),
            &[u8::from(frame.system), u8::from(chained)],
        ] {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
        self.dir
            .join(format!("trace-{}", &crate::token::hex(&h.finalize())[..32]))
    }
}

/// The bytes of a trace file (none when there is none), mapped: a lookup compares the first
/// bytes of a few records, and reading the file whole (tens of kilobytes for glibc's headers,
/// which have many variants) cost a copy into fresh pages of heap.
pub(super) fn load(path: &Path) -> &'static [u8] {
    crate::files::map(path).unwrap_or_default()
}

/// One record of a trace file.
pub(super) struct Record<'a> {
    pub(super) payload: &'a [u8],
    sum: &'a [u8],
}

impl Record<'_> {
    /// Whether the payload is what was written: asked of the record about to be used only, so
    /// a lookup does not read the records it passes over.
    pub(super) fn intact(&self) -> bool {
        checksum(self.payload).to_le_bytes() == *self.sum
    }
}

/// The traces' records in a file's bytes; a cut record, or bytes that do not start one, end
/// them.
pub(super) fn records(bytes: &[u8]) -> impl Iterator<Item = Record<'_>> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let (r, after) = record(rest)?;
        rest = after;
        Some(r)
    })
}

/// One record: magic, length, a checksum of the payload (FxHash: it tells a record cut by a
/// write that did not finish, not an attack), the payload.
fn record(b: &[u8]) -> Option<(Record<'_>, &[u8])> {
    let b = b.strip_prefix(MAGIC.as_slice())?;
    let (len, b) = b.split_at_checked(8)?;
    let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
    let (sum, b) = b.split_at_checked(8)?;
    let (payload, rest) = b.split_at_checked(len)?;
    Some((Record { payload, sum }, rest))
}

fn checksum(b: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = macros::FxHasher::default();
    h.write(b);
    h.finish()
}

/// Appends a trace to its file in one write, unless the file (`existing`, as it was read)
/// already holds it or is full.
pub(super) fn save(path: &Path, payload: &[u8], existing: &[u8]) {
    if existing.len() as u64 >= MAX_FILE || records(existing).any(|r| r.payload == payload) {
        return;
    }
    let mut rec = MAGIC.to_vec();
    rec.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    rec.extend_from_slice(&checksum(payload).to_le_bytes());
    rec.extend_from_slice(payload);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        let _ = f.write_all(&rec);
    }
}

/// A macro as `get_macro` reads it: whether it has parameters, how many and their encoding,
/// whether it is variadic, its text.
fn put_macro(w: &mut W, m: &MacroRef<'_>) {
    match m.params {
        Some((n, bytes)) => {
            w.n(1);
            w.n(n as u64);
            w.0.extend_from_slice(bytes);
        }
        None => w.n(0),
    }
    w.n(u64::from(m.variadic));
    w.s(m.text);
}

fn get_macro<'a>(r: &mut R<'a>) -> Option<MacroRef<'a>> {
    let params = if r.flag()? {
        let n = r.u()?;
        let start = r.0;
        for _ in 0..n {
            r.b()?;
        }
        Some((n, &start[..start.len() - r.0.len()]))
    } else {
        None
    };
    Some(MacroRef {
        params,
        variadic: r.flag()?,
        text: r.st()?,
    })
}

fn put_op(w: &mut W, op: &Op<'_>) {
    match op {
        Op::Define(name, m) => {
            w.n(0);
            w.s(name);
            put_macro(w, m);
        }
        Op::Undef(name) => {
            w.n(1);
            w.s(name);
        }
        Op::Enter {
            name,
            angled,
            next,
            spelled,
            abs,
            system,
            skipped,
            listed,
        } => {
            w.n(2);
            w.s(name);
            w.n(u64::from(*angled));
            w.n(u64::from(*next));
            w.s(spelled);
            w.p(abs);
            w.n(u64::from(*system));
            w.n(u64::from(*skipped));
            w.n(u64::from(*listed));
        }
        Op::Leave => w.n(3),
        Op::Once => w.n(4),
        Op::SystemHeader => w.n(5),
    }
}

fn get_op<'a>(r: &mut R<'a>) -> Option<Op<'a>> {
    Some(match r.n()? {
        0 => Op::Define(r.st()?, get_macro(r)?),
        1 => Op::Undef(r.st()?),
        2 => Op::Enter {
            name: r.st()?,
            angled: r.flag()?,
            next: r.flag()?,
            spelled: r.st()?,
            abs: Path::new(std::ffi::OsStr::from_bytes(r.b()?)),
            system: r.flag()?,
            skipped: r.flag()?,
            listed: r.flag()?,
        },
        3 => Op::Leave,
        4 => Op::Once,
        5 => Op::SystemHeader,
        _ => return None,
    })
}

/// A record's trace, if every macro it looked up is now as it was then (`table`) and every
/// builtin query it asked has the same answer now (`ask`); `None` when it does not hold or is
/// damaged. The reads come first in a record and are compared where they lie, so a trace that
/// does not hold costs no decoding, and nothing is copied out of the record.
pub(super) fn decode_if_holds<'a>(
    b: &'a [u8],
    table: &macros::Table,
    ask: &mut dyn FnMut(&str) -> Option<bool>,
) -> Option<Trace<'a>> {
    let mut r = R(b);
    for _ in 0..r.u()? {
        let name = r.st()?;
        let then = if r.flag()? {
            Some(get_macro(&mut r)?)
        } else {
            None
        };
        let same = match (&then, table.get(name).as_deref()) {
            (None, None) => true,
            (Some(then), Some(now)) => then.same(now),
            _ => false,
        };
        if !same {
            return None;
        }
    }
    let nq = r.u()?;
    let mut queries = Vec::with_capacity(nq.min(256));
    for _ in 0..nq {
        let q = r.st()?;
        let then = r.flag()?;
        if ask(q)? != then {
            return None;
        }
        queries.push((q, then));
    }
    let depth = r.u()?;
    let count = r.u()?;
    Some(Trace {
        queries,
        ops: Ops { count, bytes: r.0 },
        depth,
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The headers of `source` (in `root/proj`, the live tree), with traces kept in `memo`
    /// when given: spelled, and whether found through a system directory.
    fn scan(root: &Path, memo: Option<&Path>, source: &str) -> Vec<(String, bool)> {
        scan_asking(root, memo, source, &|_| None)
    }

    /// [`scan`], with `answers` answering the builtin queries.
    fn scan_asking(
        root: &Path,
        memo: Option<&Path>,
        source: &str,
        answers: &dyn Fn(&str) -> Option<bool>,
    ) -> Vec<(String, bool)> {
        let live = root.join("proj");
        let chain = [("proj/inc", false), ("sys", true)];
        super::super::test_scan_asking(
            root,
            "proj",
            &chain,
            memo.map(|m| (m, Some(&*live))),
            source,
            answers,
        )
    }

    /// Each trace file's number of traces, sorted.
    fn kept(memo: &Path) -> Vec<usize> {
        let mut v: Vec<usize> = std::fs::read_dir(memo)
            .expect("read")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("trace-"))
            .map(|e| super::records(super::load(&e.path())).count())
            .collect();
        v.sort_unstable();
        v
    }

    fn names(found: &[(String, bool)]) -> Vec<&str> {
        found
            .iter()
            .map(|(s, _)| s.rsplit('/').next().unwrap_or(s))
            .collect()
    }

    fn setup(name: &str) -> (PathBuf, PathBuf) {
        let root =
            std::env::temp_dir().join(format!("confess-trace-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["proj/inc", "sys", "memo"] {
            std::fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        let memo = root.join("memo");
        (root, memo)
    }

    #[test]
    fn a_trace_is_replayed_where_it_holds_and_a_new_one_kept_where_it_does_not() {
        let (root, memo) = setup("replay");
        let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write");
        w(
            "sys/a.h",
            "#ifndef A_H\n#define A_H\n#include <b.h>\n#ifdef WANT_C\n#include <c.h>\n#endif\n\
             #define A_VAL 1\n#endif\n",
        );
        w("sys/b.h", "#pragma once\n#define B 1\n");
        w("sys/c.h", "#define C 1\n");
        w("sys/d.h", "");
        w("sys/e.h", "");
        w(
            "proj/after.h",
            "#if A_VAL && B\n#include <d.h>\n#endif\n#ifdef C\n#include <e.h>\n#endif\n",
        );
        w("proj/one.c", "#include <a.h>\n#include \"after.h\"\n");
        w(
            "proj/two.c",
            "#define WANT_C\n#include <a.h>\n#include \"after.h\"\n",
        );
        w(
            "proj/three.c",
            "#include <b.h>\n#include <a.h>\n#include <a.h>\n#include \"after.h\"\n",
        );

        let one = scan(&root, None, "one.c");
        assert_eq!(names(&one), ["a.h", "b.h", "after.h", "d.h"]);
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_eq!(
            kept(&memo),
            [1, 1, 1],
            "a.h's processing (b.h's inside it), b.h's own, and d.h's"
        );
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_eq!(kept(&memo), [1, 1, 1], "used again as they were");

        // WANT_C was looked up undefined: where it is defined a.h's trace does not hold.
        let two = scan(&root, None, "two.c");
        assert_eq!(names(&two), ["a.h", "b.h", "c.h", "after.h", "d.h", "e.h"]);
        assert_eq!(scan(&root, Some(&memo), "two.c"), two);
        assert_eq!(
            kept(&memo),
            [1, 1, 1, 1, 2],
            "a.h's second (b.h's applied inside it), c.h's, e.h's"
        );

        // b.h is already in (and once): a.h's include of it is skipped, not listed; the second
        // #include <a.h> finds its guard defined.
        let three = scan(&root, None, "three.c");
        assert_eq!(names(&three), ["b.h", "a.h", "after.h", "d.h"]);
        assert_eq!(scan(&root, Some(&memo), "three.c"), three);
        assert_eq!(
            kept(&memo),
            [1, 1, 1, 1, 4],
            "b.h's applied, a.h's third and fourth"
        );
        assert_eq!(scan(&root, Some(&memo), "three.c"), three);
        assert_eq!(scan(&root, Some(&memo), "two.c"), two);
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_eq!(kept(&memo), [1, 1, 1, 1, 4]);

        // What answers is the trace: a.h changed on disk (a toolchain header, which the
        // session takes as fixed) still gives what was recorded.
        w("sys/a.h", "#define A_VAL 0\n");
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_ne!(scan(&root, None, "one.c"), one);

        // A header found earlier in the chain (in the project) makes a.h's include of b.h
        // find another file: the trace does not hold.
        w(
            "sys/a.h",
            "#ifndef A_H\n#define A_H\n#include <b.h>\n#define A_VAL 1\n#endif\n",
        );
        let _ = std::fs::remove_dir_all(&memo);
        std::fs::create_dir_all(&memo).expect("mkdir");
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        w("proj/inc/b.h", "#define B 0\n");
        let shadowed = scan(&root, None, "one.c");
        assert_eq!(names(&shadowed), ["a.h", "b.h", "after.h"]);
        assert!(shadowed
            .iter()
            .any(|(s, sys)| s.ends_with("inc/b.h") && !sys));
        assert_eq!(scan(&root, Some(&memo), "one.c"), shadowed);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn what_a_trace_cannot_hold_is_not_traced() {
        let (root, memo) = setup("spoiled");
        let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write");
        // __has_include: the file system's answer.
        w("sys/h.h", "#if __has_include(<x.h>)\n#define X 1\n#endif\n");
        // A missing header, listed as written (-MG).
        w("sys/m.h", "#include <missing.h>\n");
        // A project header reached from a system one.
        w("sys/p.h", "#include <proj.h>\n");
        w("proj/inc/proj.h", "#define P 1\n");
        // `#pragma push_macro`'s stacks, which a trace does not hold.
        w(
            "sys/pm.h",
            "#pragma push_macro(\"PM\")\n#undef PM\n#pragma pop_macro(\"PM\")\n\
             #ifdef PM\n#define SEEN 1\n#endif\n",
        );
        for (src, text) in [
            ("h.c", "#include <h.h>\n"),
            ("m.c", "#include <m.h>\n"),
            ("p.c", "#include <p.h>\n"),
            ("pm.c", "#define PM\n#include <pm.h>\n"),
        ] {
            w(&format!("proj/{src}"), text);
            let plain = scan(&root, None, src);
            assert_eq!(scan(&root, Some(&memo), src), plain, "{src}");
            assert_eq!(kept(&memo), Vec::<usize>::new(), "{src}");
        }
        // The same setup traces a header that does none of that.
        w("proj/s.c", "#include <a.h>\n");
        w("sys/a.h", "#define A 1\n");
        assert_eq!(scan(&root, Some(&memo), "s.c"), scan(&root, None, "s.c"));
        assert_eq!(kept(&memo), [1]);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_header_included_by_another_has_its_own_trace() {
        let (root, memo) = setup("nested");
        let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write");
        w(
            "sys/x.h",
            "#ifdef X_WIDE\n#define X_W 1\n#endif\n#include <y.h>\n",
        );
        w(
            "sys/y.h",
            "#ifndef Y_H\n#define Y_H\n#include <y1.h>\n#endif\n",
        );
        w("sys/y1.h", "");
        w("sys/z.h", "");
        w("proj/one.c", "#include <x.h>\n");
        w("proj/two.c", "#define X_WIDE\n#include <x.h>\n");
        let one = scan(&root, Some(&memo), "one.c");
        assert_eq!(names(&one), ["x.h", "y.h", "y1.h"]);
        assert_eq!(
            kept(&memo),
            [1, 1, 1],
            "x.h's, y.h's inside it, y1.h's inside that"
        );
        // y.h changed on disk (a toolchain header, fixed for the session): x.h's trace does
        // not hold where X_WIDE is defined, so x.h is followed, and y.h's own trace answers.
        w("sys/y.h", "#include <z.h>\n");
        let two = scan(&root, Some(&memo), "two.c");
        assert_eq!(names(&two), ["x.h", "y.h", "y1.h"]);
        assert_eq!(names(&scan(&root, None, "two.c")), ["x.h", "y.h", "z.h"]);
        assert_eq!(kept(&memo), [1, 1, 2], "x.h's second");
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_trace_holds_only_where_its_builtin_queries_answer_the_same() {
        let (root, memo) = setup("queries");
        let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write");
        w(
            "sys/q.h",
            "#if __has_attribute(__cold__)\n#include <qa.h>\n#else\n#include <qb.h>\n#endif\n",
        );
        w("sys/qa.h", "");
        w("sys/qb.h", "");
        // Not a snapshot's prefix: a snapshot belongs to one flag set (the real scans' salt
        // names it), which these scans, both salted "test", do not tell apart.
        w("proj/q.c", "#pragma once\n#include <q.h>\n");
        // The compiler has `__has_attribute` (asked first) and answers it for `__cold__`.
        let yes = |q: &str| match q {
            "defined(__has_attribute)" | "__has_attribute(__cold__)" => Some(true),
            _ => None,
        };
        let no = |q: &str| match q {
            "defined(__has_attribute)" => Some(true),
            "__has_attribute(__cold__)" => Some(false),
            _ => None,
        };
        let with = scan_asking(&root, Some(&memo), "q.c", &yes);
        assert_eq!(names(&with), ["q.h", "qa.h"]);
        // Another flag set, whose compiler answers otherwise, shares the store.
        let without = scan_asking(&root, Some(&memo), "q.c", &no);
        assert_eq!(names(&without), ["q.h", "qb.h"]);
        assert_eq!(kept(&memo), [1, 1, 2], "q.h's two, qa.h's, qb.h's");
        assert_eq!(scan_asking(&root, Some(&memo), "q.c", &yes), with);
        assert_eq!(scan_asking(&root, Some(&memo), "q.c", &no), without);
        assert_eq!(kept(&memo), [1, 1, 2], "used again as they were");
        std::fs::remove_dir_all(&root).expect("cleanup");
    }
}
