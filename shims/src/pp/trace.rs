//! Header traces: what following one toolchain header did, kept in the session's cache so
//! that the next compile including it in the same circumstances applies that instead of
//! following it (and the dozens of headers it includes) again.
//!
//! Scan snapshots (`memo`) share the state after a source's leading `#include <...>` lines,
//! which helps only sources whose first lines are the same; lua5.4's sources differ from their
//! second line (`#define lapi_c`), and every compile followed glibc's headers again. A trace is
//! kept per header instead, for a system header outside the scratch root entered from a file
//! that is not itself being traced (`<stdio.h>` from a source or a project header), and
//! holds:
//! - every macro its processing (the headers it included too) looked up before changing it,
//!   with the definition it had then, or none: `#ifndef _STDIO_H`, `__USE_GNU`,
//!   `__need_size_t`, a macro an `#if` expanded;
//! - in order, what the processing did: each `#define` and `#undef`, each `#include` (the name,
//!   the file it found, whether `#pragma once` skipped it and whether it was listed as a new
//!   dependency), each `#pragma once` and `#pragma GCC system_header`.
//!
//! A trace is used only when every macro it looked up is now as it was then, and every
//! `#include` it made finds the same file now, with the same spelling, and is skipped or
//! listed the same way, which depends on what this compile has included so far. The includes
//! are found again by this compile's own search (the file system is asked as a full scan would
//! ask it, and the paths probed are the compile's like any other), and checked before anything
//! is applied. The processing is then replayed: the macros defined and removed, the
//! dependencies listed, the `#pragma once` files noted. What a header does depends on nothing
//! else: the builtin queries (`__has_attribute`) and the search chain are the same for every
//! compile of one flag set (part of the trace's key), and what it could not be kept for is not
//! traced: a `__has_include` (its answer is the file system's), a missing header (`-MG`
//! lists it once per name), a project header entered from it (hashed for the token), a header
//! below the scratch root.
//!
//! Traces live in the session's cache (`trace-KEY`, the variants of one header in one file,
//! appended whole) and last one confession, as snapshots do. A damaged or cut record ends the
//! reading of the file: only a saving is lost.

use super::macros::{self, Macro};
use super::memo::{R, W};
use super::Frame;
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CFTRACE1";

/// A trace file is not appended to beyond this size (a header traced in very many contexts).
const MAX_FILE: u64 = 8 << 20;

/// One thing a traced processing did.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Op {
    Define(String, MacroData),
    Undef(String),
    /// An `#include` (or `#include_next`) that found a file: the name and how it was searched
    /// for, the file as found, whether `#pragma once` skipped it, and whether it was listed (its
    /// entry entered for the first time). Unless skipped, its own ops follow, then `Leave`.
    Enter {
        name: String,
        angled: bool,
        next: bool,
        spelled: String,
        abs: PathBuf,
        system: bool,
        skipped: bool,
        listed: bool,
    },
    Leave,
    Once,
    SystemHeader,
}

/// A macro as a trace keeps it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct MacroData {
    params: Option<Vec<String>>,
    variadic: bool,
    text: String,
}

impl MacroData {
    pub(super) fn of(m: &Macro) -> MacroData {
        MacroData {
            params: m.params.clone(),
            variadic: m.variadic,
            text: m.text.to_string(),
        }
    }

    pub(super) fn to_macro(&self) -> Macro {
        Macro::new(self.params.clone(), self.variadic, self.text.clone())
    }

    fn same(&self, m: &Macro) -> bool {
        self.params == m.params && self.variadic == m.variadic && *self.text == *m.text
    }
}

/// One recorded processing of a header.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Trace {
    /// The macros looked up before they were changed, with what they were (`None`: not
    /// defined), sorted by name.
    pub(super) reads: Vec<(String, Option<MacroData>)>,
    pub(super) ops: Vec<Op>,
    /// How deep the includes went below the header.
    pub(super) depth: usize,
}

/// A recording in progress.
#[derive(Default)]
pub(super) struct Recording {
    pub(super) ops: Vec<Op>,
    /// Something was done that a trace cannot hold: it is not kept.
    pub(super) spoiled: bool,
    depth: usize,
    max_depth: usize,
}

impl Recording {
    pub(super) fn enter(&mut self, op: Op) {
        let entered = matches!(op, Op::Enter { skipped: false, .. });
        self.ops.push(op);
        if entered {
            self.depth += 1;
            self.max_depth = self.max_depth.max(self.depth);
        }
    }

    pub(super) fn leave(&mut self) {
        self.ops.push(Op::Leave);
        self.depth = self.depth.saturating_sub(1);
    }

    /// A trace applied while this one records (a header it includes): its ops are this
    /// recording's too, and its depth below where it was applied.
    pub(super) fn applied(&mut self, t: &Trace) {
        self.ops.extend(t.ops.iter().cloned());
        self.max_depth = self.max_depth.max(self.depth + t.depth);
    }

    /// The trace, given what the macro table's log learned; `None` if a lookup's value was
    /// never settled (`Table::end_log` settles them all).
    pub(super) fn finish(self, log: macros::Log) -> Option<Trace> {
        let mut reads = Vec::new();
        for (name, f) in log.first {
            match f {
                macros::First::Read(then) => reads.push((name, then.as_ref().map(MacroData::of))),
                macros::First::Looked => return None,
                macros::First::Write => {}
            }
        }
        reads.sort_by(|a, b| a.0.cmp(&b.0));
        Some(Trace {
            reads,
            ops: self.ops,
            depth: self.max_depth,
        })
    }
}

/// Where one header's traces are kept, for the compiles of one flag set.
pub(super) struct Store {
    dir: PathBuf,
    /// The flag set's key: the snapshot start key (compiler, working directory, search chain,
    /// predefined and `-D` macros).
    key: Sha256,
    /// The scratch root: headers below it are never traced.
    pub(super) live: PathBuf,
}

impl Store {
    pub(super) fn new(dir: PathBuf, key: Sha256, live: PathBuf) -> Store {
        Store { dir, key, live }
    }

    /// The file holding the traces of `frame`'s header, entered from the directory entry
    /// `dir_key` (its index when it is one of the chain's, whose `#include_next` goes on from
    /// there; the same for any file's own directory).
    pub(super) fn path(&self, frame: &Frame, dir_key: u64) -> PathBuf {
        let mut h = self.key.clone();
        for b in [
            frame.abs.as_os_str().as_encoded_bytes(),
            frame.spelled.as_bytes(),
            &[u8::from(frame.system)],
            &dir_key.to_le_bytes(),
        ] {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
        self.dir
            .join(format!("trace-{}", &crate::token::hex(&h.finalize())[..32]))
    }
}

/// The bytes of a trace file (none when there is none).
pub(super) fn load(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// The traces' records in a file's bytes; a damaged or cut record ends them.
pub(super) fn records(bytes: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let (payload, after) = record(rest)?;
        rest = after;
        Some(payload)
    })
}

/// One record: magic, length, a checksum of the payload (FxHash: it tells a record cut by a
/// write that did not finish, not an attack), the payload.
fn record(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let b = b.strip_prefix(MAGIC.as_slice())?;
    let (len, b) = b.split_at_checked(8)?;
    let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
    let (sum, b) = b.split_at_checked(8)?;
    let (payload, rest) = b.split_at_checked(len)?;
    (checksum(payload).to_le_bytes() == *sum).then_some((payload, rest))
}

fn checksum(b: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = macros::FxHasher::default();
    h.write(b);
    h.finish()
}

/// Appends a trace to its file in one write, unless the file (`existing`, as it was read)
/// already holds it or is full.
pub(super) fn save(path: &Path, trace: &Trace, existing: &[u8]) {
    let payload = encode(trace);
    if existing.len() as u64 >= MAX_FILE || records(existing).any(|r| r == payload.as_slice()) {
        return;
    }
    let mut rec = MAGIC.to_vec();
    rec.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    rec.extend_from_slice(&checksum(&payload).to_le_bytes());
    rec.extend_from_slice(&payload);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        let _ = f.write_all(&rec);
    }
}

fn put_macro(w: &mut W, m: &MacroData) {
    match &m.params {
        Some(p) => {
            w.n(1);
            w.n(p.len() as u64);
            for s in p {
                w.s(s);
            }
        }
        None => w.n(0),
    }
    w.n(u64::from(m.variadic));
    w.s(&m.text);
}

fn get_macro(r: &mut R<'_>) -> Option<MacroData> {
    let params = if r.flag()? {
        let n = r.u()?;
        let mut p = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            p.push(r.s()?);
        }
        Some(p)
    } else {
        None
    };
    Some(MacroData {
        params,
        variadic: r.flag()?,
        text: r.s()?,
    })
}

pub(super) fn encode(t: &Trace) -> Vec<u8> {
    let mut w = W(Vec::new());
    w.n(t.reads.len() as u64);
    for (name, m) in &t.reads {
        w.s(name);
        match m {
            Some(m) => {
                w.n(1);
                put_macro(&mut w, m);
            }
            None => w.n(0),
        }
    }
    w.n(t.depth as u64);
    w.n(t.ops.len() as u64);
    for op in &t.ops {
        match op {
            Op::Define(name, m) => {
                w.n(0);
                w.s(name);
                put_macro(&mut w, m);
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
    w.0
}

/// A record's trace, if every macro it looked up is now as it was then (`table`); `None`
/// when it does not hold or is damaged. The reads come first in a record and are compared
/// where they lie, so a trace that does not hold costs no decoding. A trace decoded here has
/// no reads of its own: they held.
pub(super) fn decode_if_holds(b: &[u8], table: &macros::Table) -> Option<Trace> {
    let mut r = R(b);
    for _ in 0..r.u()? {
        let name = std::str::from_utf8(r.b()?).ok()?;
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
    let depth = r.u()?;
    let n = r.u()?;
    let mut ops = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        ops.push(match r.n()? {
            0 => Op::Define(r.s()?, get_macro(&mut r)?),
            1 => Op::Undef(r.s()?),
            2 => Op::Enter {
                name: r.s()?,
                angled: r.flag()?,
                next: r.flag()?,
                spelled: r.s()?,
                abs: r.p()?,
                system: r.flag()?,
                skipped: r.flag()?,
                listed: r.flag()?,
            },
            3 => Op::Leave,
            4 => Op::Once,
            5 => Op::SystemHeader,
            _ => return None,
        });
    }
    r.0.is_empty().then_some(Trace {
        reads: Vec::new(),
        ops,
        depth,
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The headers of `source` (in `root/proj`, the live tree), with traces kept in `memo`
    /// when given: spelled, and whether found through a system directory.
    fn scan(root: &Path, memo: Option<&Path>, source: &str) -> Vec<(String, bool)> {
        let live = root.join("proj");
        let chain = [("proj/inc", false), ("sys", true)];
        super::super::test_scan(
            root,
            "proj",
            &chain,
            memo.map(|m| (m, Some(&*live))),
            source,
        )
    }

    /// Each trace file's number of traces, sorted.
    fn kept(memo: &Path) -> Vec<usize> {
        let mut v: Vec<usize> = std::fs::read_dir(memo)
            .expect("read")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("trace-"))
            .map(|e| super::records(&super::load(&e.path())).count())
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
            [1, 1],
            "a.h's processing (b.h's inside it), and d.h's"
        );
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_eq!(kept(&memo), [1, 1], "used again as they were");

        // WANT_C was looked up undefined: where it is defined a.h's trace does not hold.
        let two = scan(&root, None, "two.c");
        assert_eq!(names(&two), ["a.h", "b.h", "c.h", "after.h", "d.h", "e.h"]);
        assert_eq!(scan(&root, Some(&memo), "two.c"), two);
        assert_eq!(kept(&memo), [1, 1, 2], "a.h's second, e.h's");

        // b.h is already in (and once): a.h's include of it is skipped, not listed; the second
        // #include <a.h> finds its guard defined.
        let three = scan(&root, None, "three.c");
        assert_eq!(names(&three), ["b.h", "a.h", "after.h", "d.h"]);
        assert_eq!(scan(&root, Some(&memo), "three.c"), three);
        assert_eq!(
            kept(&memo),
            [1, 1, 1, 4],
            "b.h's own, a.h's third and fourth"
        );
        assert_eq!(scan(&root, Some(&memo), "three.c"), three);
        assert_eq!(scan(&root, Some(&memo), "two.c"), two);
        assert_eq!(scan(&root, Some(&memo), "one.c"), one);
        assert_eq!(kept(&memo), [1, 1, 1, 4]);

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
        for (src, text) in [
            ("h.c", "#include <h.h>\n"),
            ("m.c", "#include <m.h>\n"),
            ("p.c", "#include <p.h>\n"),
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
}
