//! An include scanner: the headers a compile reads, found in process by following the
//! preprocessor's directives (conditionals, macros, include paths) the way gcc does, without
//! running cc1. Starting cc1 costs about 11 ms a call here; this costs well under one.
//!
//! It is exact or it gives up: anything it does not model (a directive it does not know, a
//! builtin it cannot answer, `#error` in live code) is a `Fallback`, and the caller then asks
//! the real preprocessor (`gcc -M -MG`). The compiler's own facts (predefined macros, default
//! include directories, implicit pre-includes, `__has_attribute` answers) come from the real
//! compiler, asked once per flag set and cached in the session.

pub mod expr;
pub mod lex;
pub mod macros;
pub mod memo;
pub mod trace;

use lex::{Directive, Tok, T};
use macros::{Macro, Table};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Why the scanner gave up (the caller falls back to the real preprocessor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback(pub String);

impl Fallback {
    pub fn new(s: impl Into<String>) -> Fallback {
        Fallback(s.into())
    }
}

/// One directory of the `<...>` search chain.
#[derive(Clone, Debug)]
pub struct SearchDir {
    /// As given (gcc spells found headers with it).
    pub spelled: String,
    pub abs: PathBuf,
    pub system: bool,
}

/// Everything the scan needs to know about the compile.
pub struct Config<'a> {
    pub cwd: PathBuf,
    /// `-iquote` directories (searched for `"..."` after the current file's directory).
    pub quote: Vec<SearchDir>,
    /// `-I`, `-isystem`, the compiler's own directories, `-idirafter`, in search order.
    pub chain: Vec<SearchDir>,
    /// Predefined macros, then `-D`/`-U` in command-line order.
    pub macros: Table,
    /// Makes `macros` when the scan needs it: a scan that starts from a snapshot takes the
    /// snapshot's table and never parses the compiler's predefined macros (about 350).
    pub make_macros: Option<Box<dyn FnOnce() -> Result<Table, Fallback> + 'a>>,
    /// Files the compiler includes before the source on its own (stdc-predef.h).
    pub implicit: Vec<String>,
    /// `-imacros` then `-include` files, in order (`true` for -imacros).
    pub forced: Vec<(String, bool)>,
    /// Answers `__has_attribute(x)` and its kin, asking the real compiler on a miss.
    pub builtin: &'a mut dyn FnMut(&str) -> Result<bool, Fallback>,
    /// Where scan snapshots are kept (see `memo`), and what else the key must hold (the
    /// compiler's identity and the flags that answer builtin queries); `None`: no snapshots.
    pub memo: Option<Memo>,
    /// The scratch root: the caller hashes the headers `headers::hashed` names, and the scan
    /// reads those through `files::read`, which keeps their bytes for that. Other headers'
    /// bytes are dropped once their directives are known.
    pub hashed_below: Option<PathBuf>,
}

pub struct Memo {
    pub dir: PathBuf,
    pub salt: String,
    /// Paths below this directory (the scratch root, where the build writes) are checked
    /// against a snapshot each time it is used; paths elsewhere (the toolchain's headers) are
    /// taken as fixed for the session the snapshot belongs to. `None`: every path is checked.
    pub live: Option<PathBuf>,
}

/// A file's identity as a probe saw it (`memo` checks a snapshot's paths against these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: i64,
    pub ctime: i64,
}

/// A header the scan found, as `gcc -M` would list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub spelled: String,
    pub abs: PathBuf,
    /// Found through a system directory (or `#pragma GCC system_header`).
    pub system: bool,
    /// Not found: listed because of `-MG`.
    pub missing: bool,
}

/// A file being read: its spelling, where it is, and which directory entry found it.
#[derive(Clone)]
struct Frame {
    spelled: String,
    abs: PathBuf,
    system: bool,
    /// The directory entry the file was found in (`NO_SEARCH` for the source itself and for
    /// absolute names), for `#include_next`.
    dir: usize,
    /// The file entry (gcc's `_cpp_file`): `None` for the source itself.
    file: Option<usize>,
}

/// A directory entry of gcc's search: a chain directory, or the directory of a file that
/// includes with quotes (one entry per directory name, made when first needed).
#[derive(Clone)]
struct Dir {
    spelled: String,
    abs: PathBuf,
    system: bool,
    next: Option<usize>,
}

/// One of gcc's `_cpp_file`s: a file as found from one starting directory. gcc lists a header
/// in the dependencies when one of these is first entered, so a header reached from two
/// starting directories that do not share a cache entry is listed twice, as gcc does.
#[derive(Clone)]
struct Entry {
    dir: usize,
    stacked: bool,
}

const NO_SEARCH: usize = 0;

struct Cond {
    /// Whether this group's text is live.
    live: bool,
    /// Whether some branch of this conditional has been taken.
    taken: bool,
    /// Whether the enclosing region is live.
    outer: bool,
}

/// Every path a scan asked about, with the file that was there (its identity), if one was.
pub type Probed = Vec<(PathBuf, Option<Probe>)>;

pub struct Scanner<'a> {
    cfg: Config<'a>,
    dirs: Vec<Dir>,
    curdirs: HashMap<String, usize>,
    quote_head: Option<usize>,
    bracket_head: Option<usize>,
    cache: memo::Lookups,
    entries: Vec<Entry>,
    /// Whether a path is a file (and which), asked once per path (the same headers are probed
    /// often).
    exists: std::cell::RefCell<memo::Probes>,
    files: HashMap<PathBuf, Rc<Vec<Directive>>>,
    once: HashSet<PathBuf>,
    /// The `once` files by modification second and size (`skips_once`).
    once_stamps: HashMap<(i64, u64), Vec<PathBuf>>,
    deps: Vec<Found>,
    listed: HashSet<String>,
    depth: usize,
    /// Where headers' traces are kept (`trace`), when snapshots are: none without.
    traces: Option<trace::Store>,
    /// The traces being recorded, the innermost last: the headers they are of are being
    /// followed.
    recording: Vec<trace::Recording>,
    /// The directory entries of the search chain (and entry 0): the rest are files' own
    /// directories, made as needed, numbered in the order a compile needs them.
    chain_dirs: usize,
    /// `#pragma push_macro`'s stacks: for each name, the definitions pushed (`None`: it was
    /// not defined), the last on top.
    pushed: HashMap<String, Vec<Option<Macro>>>,
}

const BUILTIN_QUERIES: &[&str] = &[
    "__has_attribute",
    "__has_cpp_attribute",
    "__has_c_attribute",
    "__has_builtin",
    "__has_feature",
    "__has_extension",
];

impl<'a> Scanner<'a> {
    pub fn new(cfg: Config<'a>) -> Scanner<'a> {
        // Entry 0 stands for no search (absolute names); then the quote chain, then the
        // bracket chain, each entry's `next` the one after it.
        let mut dirs = vec![Dir {
            spelled: String::new(),
            abs: PathBuf::from("/"),
            system: false,
            next: None,
        }];
        let chain: Vec<SearchDir> = cfg.quote.iter().chain(cfg.chain.iter()).cloned().collect();
        let first = dirs.len();
        for (i, d) in chain.iter().enumerate() {
            let next = (i + 1 < chain.len()).then_some(first + i + 1);
            dirs.push(Dir {
                spelled: d.spelled.clone(),
                abs: d.abs.clone(),
                system: d.system,
                next,
            });
        }
        let bracket_head = (!cfg.chain.is_empty()).then_some(first + cfg.quote.len());
        let chain_dirs = dirs.len();
        let quote_head = if cfg.quote.is_empty() {
            bracket_head
        } else {
            Some(first)
        };
        Scanner {
            dirs,
            curdirs: HashMap::new(),
            quote_head,
            bracket_head,
            cache: memo::Lookups::default(),
            entries: Vec::new(),
            cfg,
            exists: std::cell::RefCell::default(),
            files: HashMap::new(),
            once: HashSet::new(),
            once_stamps: HashMap::new(),
            deps: Vec::new(),
            listed: HashSet::new(),
            depth: 0,
            traces: None,
            recording: Vec::new(),
            chain_dirs,
            pushed: HashMap::new(),
        }
    }

    /// Scans a source (spelled as on the command line) and returns its headers in the order
    /// `gcc -M` lists them (the source itself left out).
    pub fn scan(mut self, source: &str) -> Result<Vec<Found>, Fallback> {
        let deps = self.run(source);
        // The scanner lives in a shim that exits right after: its tables (hundreds of macros,
        // every path probed) are left to the exit rather than freed one by one, which cost a
        // tenth of a compile call.
        std::mem::forget(self);
        deps
    }

    /// [`Scanner::scan`], and every path the scan asked about, with the file that was there
    /// (a snapshot's included): what the scan's answer depends on, besides the files' content.
    pub fn scan_with_probes(mut self, source: &str) -> Result<(Vec<Found>, Probed), Fallback> {
        let deps = self.run(source)?;
        let probes = self.exists.borrow().all();
        std::mem::forget(self);
        Ok((deps, probes))
    }

    fn run(&mut self, source: &str) -> Result<Vec<Found>, Fallback> {
        let abs = lexical(&self.cfg.cwd.join(crate::raw::path(source)));
        let main = Frame {
            spelled: source.to_string(),
            abs,
            system: false,
            dir: NO_SEARCH,
            file: None,
        };
        self.listed.insert(source.to_string());
        let body = self.read(&main.abs, true)?;
        // The leading `#include <...>` (and #define, #undef) lines of the source do not depend
        // on which source it is: the state after them may come from a snapshot.
        let run = body.iter().take_while(|d| snapshot_prefix(&d.text)).count();
        // Only a run with an include saves enough to be worth a snapshot.
        let includes = body[..run]
            .iter()
            .any(|d| lex::keyword(d.text.trim_start()) == "include");
        let mut start = 0;
        let mut save_to = None;
        if let Some(m) = self.cfg.memo.take() {
            let key = memo::start_key(&m.salt, &self.cfg);
            if includes {
                let texts: Vec<&str> = body[..run].iter().map(|d| d.text.as_str()).collect();
                for k in (1..=run).rev() {
                    let p = memo::path(&m.dir, &key, &texts[..k]);
                    if let Some(st) = memo::load(&p, m.live.as_deref()) {
                        self.restore(st);
                        start = k;
                        break;
                    }
                }
                if start < run {
                    save_to = Some(memo::path(&m.dir, &key, &texts));
                }
            }
            // Traces take the headers outside `live` as fixed for the session, as snapshots
            // do: without `live`, where snapshots check every path, there are none.
            if let Some(live) = m.live {
                self.traces = Some(trace::Store::new(m.dir, live));
            }
        }
        if let Some(make) = self.cfg.make_macros.take() {
            if start == 0 {
                self.cfg.macros = make()?;
            }
        }
        if start == 0 {
            self.process_forced()?;
        }
        if let Some(p) = save_to {
            self.process_directives(&main, &body[start..run])?;
            // A missing header is listed once per name, which depends on the source's name;
            // a snapshot holds the macros, not what `#pragma push_macro` keeps.
            if self.deps.iter().all(|d| !d.missing) && self.pushed.values().all(Vec::is_empty) {
                memo::save(&p, &self.state());
            }
            start = run;
        }
        self.process_directives(&main, &body[start..])?;
        Ok(std::mem::take(&mut self.deps))
    }

    fn state(&self) -> memo::State {
        memo::State {
            probes: self.exists.borrow().clone(),
            dirs: self.dirs.clone(),
            curdirs: self.curdirs.clone(),
            cache: self.cache.clone(),
            entries: self.entries.clone(),
            once: self.once.clone(),
            deps: self.deps.clone(),
            macros: self.cfg.macros.clone(),
        }
    }

    fn restore(&mut self, st: memo::State) {
        self.exists = std::cell::RefCell::new(st.probes);
        self.dirs = st.dirs;
        self.curdirs = st.curdirs;
        self.cache = st.cache;
        self.entries = st.entries;
        self.once = HashSet::new();
        self.once_stamps = HashMap::new();
        for p in st.once {
            self.mark_once(p);
        }
        self.deps = st.deps;
        self.cfg.macros = st.macros;
    }

    /// The file at `p` as stat saw it, asked once per path.
    fn identity(&self, p: &Path) -> Option<Probe> {
        if let Some(v) = self.exists.borrow().probe(p) {
            return v;
        }
        let v = memo::probe(p);
        self.exists.borrow_mut().insert(p.to_path_buf(), v);
        v
    }

    /// `#pragma once` was met in the file at `p`.
    fn mark_once(&mut self, p: PathBuf) {
        if let Some(stamp) = self.identity(&p).map(|id| stamp(&id)) {
            self.once_stamps.entry(stamp).or_default().push(p.clone());
        }
        self.once.insert(p);
    }

    /// Whether `#pragma once` skips the file at `abs`, as gcc's `should_stack_file` decides:
    /// it was marked once, or another file marked once has the same modification second, the
    /// same size and the same bytes (gcc takes it for the same file read under another name:
    /// two copies of a header in a tarball, whose files share one time). `pending`: files a
    /// trace being checked has marked so far.
    fn skips_once(&self, abs: &Path, pending: &HashSet<PathBuf>) -> bool {
        if self.once.contains(abs) || pending.contains(abs) {
            return true;
        }
        if self.once.is_empty() && pending.is_empty() {
            return false;
        }
        let Some(id) = self.identity(abs) else {
            return false;
        };
        let key = stamp(&id);
        let same = |p: &PathBuf| {
            self.identity(p).is_some_and(|o| stamp(&o) == key)
                && match (crate::files::read(p), crate::files::read(abs)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                }
        };
        self.once_stamps
            .get(&key)
            .is_some_and(|v| v.iter().any(same))
            || pending.iter().any(same)
    }

    /// The compiler's implicit pre-includes, then `-imacros` and `-include` files.
    fn process_forced(&mut self) -> Result<(), Fallback> {
        let implicit = self.cfg.implicit.clone();
        for name in implicit {
            if let Some(frame) = self.resolve(&name, true, None, false) {
                self.process(&frame)?;
            }
        }
        // -imacros and -include are searched first in the working directory.
        let forced = self.cfg.forced.clone();
        for (name, _) in forced {
            // gcc starts -include and -imacros searches in a directory entry named "./".
            let cwd_frame = Frame {
                spelled: "./".to_string(),
                // A file in the working directory, whose directory is the working directory.
                abs: self.cfg.cwd.join("<command-line>"),
                system: false,
                dir: NO_SEARCH,
                file: None,
            };
            match self.resolve(&name, false, Some(&cwd_frame), false) {
                Some(frame) => self.process(&frame)?,
                None => return Err(Fallback::new(format!("-include {name} not found"))),
            }
        }
        Ok(())
    }

    fn read(&mut self, abs: &Path, hashed: bool) -> Result<Rc<Vec<Directive>>, Fallback> {
        if let Some(d) = self.files.get(abs) {
            return Ok(d.clone());
        }
        let bytes = if hashed {
            crate::files::read(abs)
        } else {
            std::fs::read(abs).map(Rc::from)
        }
        .map_err(|e| Fallback::new(format!("{}: {e}", crate::raw::text_path(abs))))?;
        // Bytes that are not UTF-8 (a Latin-1 comment, a header name) keep their text form, so
        // an include name comes back as the bytes it was.
        let text = crate::raw::text(&bytes);
        let d = Rc::new(lex::directives(&text));
        self.files.insert(abs.to_path_buf(), d.clone());
        Ok(d)
    }

    /// Whether entering `frame`'s file lists it: its file entry (gcc's `_cpp_file`) has not
    /// been entered yet.
    fn first_entry(&self, frame: &Frame) -> bool {
        (frame.file)
            .and_then(|f| self.entries.get(f))
            .is_some_and(|e| !e.stacked)
    }

    /// Marks `frame`'s file entry entered, listing the file if it is the entry's first time.
    fn enter_entry(&mut self, frame: &Frame) {
        if let Some(e) = frame.file.and_then(|f| self.entries.get_mut(f)) {
            if !e.stacked {
                e.stacked = true;
                self.deps.push(Found {
                    spelled: dep_spelling(&frame.spelled),
                    abs: frame.abs.clone(),
                    system: frame.system,
                    missing: false,
                });
            }
        }
    }

    /// Enters an included file: lists it (once), then follows its directives.
    fn process(&mut self, frame: &Frame) -> Result<(), Fallback> {
        if self.skips_once(&frame.abs, &HashSet::new()) {
            return Ok(());
        }
        self.enter_entry(frame);
        self.depth += 1;
        if self.depth > 200 {
            return Err(Fallback::new("#include nested too deeply"));
        }
        let r = self.process_traced(frame);
        self.depth -= 1;
        r
    }

    /// Follows a file, or applies a trace of it (`trace`), or follows it and keeps a trace.
    /// Recordings nest: while one header is recorded, a header it includes is recorded too
    /// (when no trace of it holds), and what that one did is then the outer one's too.
    fn process_traced(&mut self, frame: &Frame) -> Result<(), Fallback> {
        let Some(path) = self.trace_path(frame) else {
            return self.process_body(frame);
        };
        let bytes = trace::load(&path);
        for record in trace::records(bytes) {
            let cfg = &mut self.cfg;
            let mut ask = |q: &str| (cfg.builtin)(q).ok();
            let Some(t) = trace::decode_if_holds(record.payload, &cfg.macros, &mut ask) else {
                continue;
            };
            if !record.intact() {
                continue;
            }
            if let Some(found) = self.check_trace(&t, frame) {
                self.replay(&t, frame, found);
                if let Some(r) = self.recording.last_mut() {
                    r.applied(&t);
                }
                return Ok(());
            }
        }
        self.recording.push(trace::Recording::default());
        self.cfg.macros.start_log();
        let r = self.process_body(frame);
        let log = self.cfg.macros.end_log();
        if let Some(rec) = self.recording.pop() {
            if r.is_ok() && !rec.spoiled {
                if let Some(payload) = rec.finish(log) {
                    trace::save(&path, &payload, bytes);
                }
            }
            if let Some(outer) = self.recording.last_mut() {
                outer.absorb(rec);
            }
        }
        r
    }

    /// Where the traces of a file are kept, when it may have one: a system header outside the
    /// scratch root.
    fn trace_path(&self, frame: &Frame) -> Option<PathBuf> {
        let store = self.traces.as_ref()?;
        if !frame.system
            || frame.abs.starts_with(&store.live)
            || crate::headers::hashed(&frame.abs, frame.system, self.cfg.hashed_below.as_deref())
        {
            return None;
        }
        Some(store.path(frame, frame.dir < self.chain_dirs))
    }

    /// Whether a trace of `frame`'s file, whose macros hold (`trace::decode_if_holds`), holds
    /// now: each of its includes finds the same file, skipped or listed as it was. Gives the
    /// files its includes found, in order.
    fn check_trace(&mut self, t: &trace::Trace<'_>, frame: &Frame) -> Option<Vec<Frame>> {
        if self.depth + t.depth > 200 {
            return None;
        }
        let mut stack = vec![frame.clone()];
        let mut once: HashSet<PathBuf> = HashSet::new();
        let mut stacked: HashSet<usize> = HashSet::new();
        let mut found = Vec::new();
        for op in t.ops.iter() {
            match op? {
                trace::Op::Enter {
                    name,
                    angled,
                    next,
                    spelled,
                    abs,
                    system,
                    skipped,
                    listed,
                } => {
                    let f = self.resolve(name, angled, Some(stack.last()?), next)?;
                    if f.abs != abs || f.spelled != spelled || f.system != system {
                        return None;
                    }
                    if self.skips_once(&f.abs, &once) != skipped {
                        return None;
                    }
                    if !skipped {
                        let now_listed =
                            f.file.is_some_and(|i| !stacked.contains(&i)) && self.first_entry(&f);
                        if now_listed != listed {
                            return None;
                        }
                        stacked.extend(f.file);
                        stack.push(f.clone());
                    }
                    found.push(f);
                }
                trace::Op::Leave => {
                    stack.pop();
                    if stack.is_empty() {
                        return None;
                    }
                }
                trace::Op::Once => {
                    once.insert(stack.last()?.abs.clone());
                }
                trace::Op::SystemHeader => stack.last_mut()?.system = true,
                trace::Op::Define(..) | trace::Op::Undef(_) => {}
            }
        }
        (stack.len() == 1).then_some(found)
    }

    /// Does what a trace recorded, `check_trace` having found it holds (`found`: the files
    /// its includes find).
    fn replay(&mut self, t: &trace::Trace<'static>, frame: &Frame, found: Vec<Frame>) {
        let mut stack: Vec<PathBuf> = vec![frame.abs.clone()];
        let mut found = found.into_iter();
        for op in t.ops.iter() {
            // `check_trace` went through every op: none is damaged.
            let Some(op) = op else { return };
            match op {
                trace::Op::Define(name, m) => self.cfg.macros.insert(name, m.to_macro()),
                trace::Op::Undef(name) => self.cfg.macros.remove(name),
                trace::Op::Enter { skipped, .. } => {
                    let Some(f) = found.next() else { return };
                    if skipped {
                        continue;
                    }
                    self.enter_entry(&f);
                    stack.push(f.abs);
                }
                trace::Op::Leave => {
                    stack.pop();
                }
                trace::Op::Once => {
                    if let Some(p) = stack.last() {
                        self.mark_once(p.clone());
                    }
                }
                trace::Op::SystemHeader => {}
            }
        }
    }

    /// Something a trace cannot hold was done: no recording going on is kept.
    fn spoil_recording(&mut self) {
        for r in &mut self.recording {
            r.spoiled = true;
        }
    }

    fn process_body(&mut self, frame: &Frame) -> Result<(), Fallback> {
        let hashed =
            crate::headers::hashed(&frame.abs, frame.system, self.cfg.hashed_below.as_deref());
        if hashed
            || self
                .traces
                .as_ref()
                .is_some_and(|t| frame.abs.starts_with(&t.live))
        {
            // A project header's bytes are hashed as it is read; one below the scratch root can
            // change during the build.
            self.spoil_recording();
        }
        let dirs = self.read(&frame.abs, hashed)?;
        self.process_directives(frame, &dirs)
    }

    fn process_directives(&mut self, frame: &Frame, dirs: &[Directive]) -> Result<(), Fallback> {
        let mut stack: Vec<Cond> = Vec::new();
        let mut system = frame.system;
        for d in dirs {
            let text = d.text.trim_start();
            let kw = lex::keyword(text);
            let rest_text = &text[kw.len()..];
            if matches!(
                kw,
                "if" | "ifdef" | "ifndef" | "elif" | "elifdef" | "elifndef" | "else" | "endif"
            ) {
                self.conditional(&mut stack, kw, rest_text, frame)?;
            } else if stack.last().is_none_or(|c| c.live) {
                self.directive(kw, rest_text, d.line, frame, &mut system)?;
            }
        }
        if !stack.is_empty() {
            return Err(Fallback::new(format!(
                "{}: unterminated #if",
                frame.spelled
            )));
        }
        Ok(())
    }

    /// A conditional directive (`#if` and its kin, `#else`, `#endif`), on the stack of the
    /// file's open conditionals.
    fn conditional(
        &mut self,
        stack: &mut Vec<Cond>,
        kw: &str,
        rest_text: &str,
        frame: &Frame,
    ) -> Result<(), Fallback> {
        let live = stack.last().is_none_or(|c| c.live);
        match kw {
            "if" | "ifdef" | "ifndef" => {
                let v = live && self.condition(kw, rest_text, frame)?;
                stack.push(Cond {
                    live: live && v,
                    taken: v,
                    outer: live,
                });
            }
            "elif" | "elifdef" | "elifndef" => {
                let Some(c) = stack.last() else {
                    return Err(Fallback::new("#elif without #if"));
                };
                let (outer, taken) = (c.outer, c.taken);
                let v = outer && !taken && self.condition(kw, rest_text, frame)?;
                if let Some(c) = stack.last_mut() {
                    c.live = outer && !taken && v;
                    c.taken = taken || v;
                }
            }
            "else" => {
                let Some(c) = stack.last_mut() else {
                    return Err(Fallback::new("#else without #if"));
                };
                c.live = c.outer && !c.taken;
                c.taken = true;
            }
            _ => {
                if stack.pop().is_none() {
                    return Err(Fallback::new("#endif without #if"));
                }
            }
        }
        Ok(())
    }

    /// The value of a conditional's test: `#ifdef`, `#ifndef` (and their `#elif` forms), or an
    /// `#if` expression. Only a test in a live region is evaluated.
    fn condition(&mut self, kw: &str, rest_text: &str, frame: &Frame) -> Result<bool, Fallback> {
        // Only the directives that need it are tokenized: most lines are #define (its body is
        // tokenized on first use), conditionals in skipped groups, #endif and #else.
        Ok(match kw {
            "ifdef" | "elifdef" => self.is_defined(first_word(rest_text)?)?,
            "ifndef" | "elifndef" => !self.is_defined(first_word(rest_text)?)?,
            _ => self.eval_if(&lex::tokens(rest_text), frame)?,
        })
    }

    /// A directive other than a conditional, in a live region. `system` is whether the file
    /// is a system header (`#pragma GCC system_header` makes it one).
    fn directive(
        &mut self,
        kw: &str,
        rest_text: &str,
        line: usize,
        frame: &Frame,
        system: &mut bool,
    ) -> Result<(), Fallback> {
        match kw {
            "define" => {
                let (name, m) = macros::parse_define_text(rest_text)?;
                if let Some(r) = self.recording.last_mut() {
                    r.define(&name, &m);
                }
                self.cfg.macros.insert(name, m);
            }
            "undef" => {
                let name = first_word(rest_text)?;
                if let Some(r) = self.recording.last_mut() {
                    r.push(&trace::Op::Undef(name));
                }
                self.cfg.macros.remove(name);
            }
            "include" | "include_next" => {
                let cur = Frame {
                    spelled: frame.spelled.clone(),
                    abs: frame.abs.clone(),
                    system: *system,
                    dir: frame.dir,
                    file: frame.file,
                };
                self.include(&lex::tokens(rest_text), kw == "include_next", &cur)?;
            }
            "pragma" => {
                let rest = lex::tokens(rest_text);
                match rest.first().map(|t| t.tok.text()).as_deref() {
                    Some("once") => {
                        if let Some(r) = self.recording.last_mut() {
                            r.push(&trace::Op::Once);
                        }
                        self.mark_once(frame.abs.clone());
                    }
                    Some("GCC") if rest.get(1).is_some_and(|t| t.tok.text() == "system_header") => {
                        if let Some(r) = self.recording.last_mut() {
                            r.push(&trace::Op::SystemHeader);
                        }
                        *system = true;
                    }
                    Some(p @ ("push_macro" | "pop_macro")) => {
                        let push = p == "push_macro";
                        self.push_or_pop_macro(push, &rest[1..], frame, line)?;
                    }
                    _ => {}
                }
            }
            "line" | "ident" | "sccs" | "warning" | "assert" | "unassert" => {}
            "error" => return Err(Fallback::new(format!("{}:{}: #error", frame.spelled, line))),
            // The null directive, and `# 33 "file"` line markers of preprocessed input.
            "" if rest_text.trim().is_empty()
                || rest_text
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit()) => {}
            other => {
                return Err(Fallback::new(format!(
                    "{}:{}: #{other}",
                    frame.spelled, line
                )))
            }
        }
        Ok(())
    }

    /// `#pragma push_macro("NAME")` (`push`) or `#pragma pop_macro("NAME")`, `rest` being what
    /// follows the pragma's name: push keeps the macro's definition (or that it has none), pop
    /// restores the last one kept and does nothing when none is. A trace does not hold the
    /// stacks, so no trace is kept of a header that uses them.
    fn push_or_pop_macro(
        &mut self,
        push: bool,
        rest: &[T],
        frame: &Frame,
        line: usize,
    ) -> Result<(), Fallback> {
        let name = match rest {
            [open, name, close] if open.tok.is_punct("(") && close.tok.is_punct(")") => {
                match &name.tok {
                    Tok::Str(s) => s
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .filter(|n| {
                            n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        }),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(name) = name else {
            return Err(Fallback::new(format!(
                "{}:{line}: #pragma {} of no macro name",
                frame.spelled,
                if push { "push_macro" } else { "pop_macro" }
            )));
        };
        self.spoil_recording();
        if push {
            let now = self.cfg.macros.get(name).map(std::borrow::Cow::into_owned);
            self.pushed.entry(name.to_string()).or_default().push(now);
        } else if let Some(kept) = self.pushed.get_mut(name).and_then(Vec::pop) {
            match kept {
                Some(m) => self.cfg.macros.insert(name.to_string(), m),
                None => self.cfg.macros.remove(name),
            }
        }
        Ok(())
    }

    /// `#include` (`#include_next` with `next`) of the header `rest` names, from the file
    /// `cur`: the header is followed, or, missing, listed as written (`-MG`).
    fn include(&mut self, rest: &[T], next: bool, cur: &Frame) -> Result<(), Fallback> {
        let (name, angled) = self.header_name(rest)?;
        match self.resolve(&name, angled, Some(cur), next) {
            Some(f) if !self.recording.is_empty() => {
                let skipped = self.skips_once(&f.abs, &HashSet::new());
                let listed = !skipped && self.first_entry(&f);
                if let Some(r) = self.recording.last_mut() {
                    r.push(&trace::Op::Enter {
                        name: &name,
                        angled,
                        next,
                        spelled: &f.spelled,
                        abs: &f.abs,
                        system: f.system,
                        skipped,
                        listed,
                    });
                }
                self.process(&f)?;
                if !skipped {
                    if let Some(r) = self.recording.last_mut() {
                        r.push(&trace::Op::Leave);
                    }
                }
            }
            Some(f) => self.process(&f)?,
            None => {
                self.spoil_recording();
                // -MG: a missing header is listed as written and not followed.
                if self.listed.insert(name.clone()) {
                    self.deps.push(Found {
                        spelled: name.clone(),
                        abs: lexical(&self.cfg.cwd.join(crate::raw::path(&name))),
                        system: false,
                        missing: true,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether `n` is defined: a macro, one of the names every gcc defines, or a builtin query
    /// this compiler has (asked: `defined(__has_feature)`).
    fn is_defined(&mut self, n: &str) -> Result<bool, Fallback> {
        if self.cfg.macros.contains_key(n)
            || matches!(
                n,
                "__has_include"
                    | "__has_include_next"
                    | "__FILE__"
                    | "__LINE__"
                    | "__COUNTER__"
                    | "__INCLUDE_LEVEL__"
                    | "__DATE__"
                    | "__TIME__"
                    | "__TIMESTAMP__"
                    | "__BASE_FILE__"
            )
        {
            return Ok(true);
        }
        if BUILTIN_QUERIES.contains(&n) {
            return self.has_query(n);
        }
        Ok(false)
    }

    /// Whether this compiler has the builtin query `n` (gcc 12 has no `__has_feature`).
    fn has_query(&mut self, n: &str) -> Result<bool, Fallback> {
        self.ask(&format!("defined({n})"))
    }

    /// Asks the compiler (the session's cache answers for the flag set) what `#if q` is: a
    /// builtin query, whether it has one (gcc 12 has no `__has_feature`), or `true` (1 in
    /// C++, an unknown name in gcc 12's C). The answer is part of a trace being recorded.
    fn ask(&mut self, q: &str) -> Result<bool, Fallback> {
        let answer = (self.cfg.builtin)(q)?;
        if let Some(r) = self.recording.last_mut() {
            r.query(q.to_string(), answer);
        }
        Ok(answer)
    }

    /// The name of an #include: `<...>`, `"..."`, or macros that expand to one of them.
    fn header_name(&self, rest: &[T]) -> Result<(String, bool), Fallback> {
        let toks: Vec<T> = match rest.first().map(|t| &t.tok) {
            Some(Tok::Str(_) | Tok::Punct("<")) => rest.to_vec(),
            _ => macros::expand(rest, &self.cfg.macros, 0)?,
        };
        match toks.first().map(|t| &t.tok) {
            Some(Tok::Str(s)) if s.starts_with('"') => Ok((s[1..s.len() - 1].to_string(), false)),
            Some(Tok::Punct("<")) => {
                let mut name = String::new();
                for t in &toks[1..] {
                    if t.tok.is_punct(">") {
                        return Ok((name, true));
                    }
                    if t.space && !name.is_empty() {
                        name.push(' ');
                    }
                    name.push_str(&t.tok.text());
                }
                Err(Fallback::new("#include <... without >"))
            }
            _ => Err(Fallback::new(
                "#include of something that is no header name",
            )),
        }
    }

    fn is_file(&self, p: &Path) -> bool {
        self.identity(p).is_some()
    }

    /// The directory entry of a file's own directory, for its quoted includes (gcc makes one
    /// per directory name, whose next entry is the head of the quote chain).
    fn curdir(&mut self, spelled_file: &str, abs_file: &Path, system: bool) -> usize {
        let name = match spelled_file.rfind('/') {
            Some(i) => spelled_file[..=i].to_string(),
            None => String::new(),
        };
        if let Some(d) = self.curdirs.get(&name) {
            return *d;
        }
        let abs = abs_file
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        let id = self.dirs.len();
        self.dirs.push(Dir {
            spelled: name.clone(),
            abs,
            system,
            next: self.quote_head,
        });
        self.curdirs.insert(name, id);
        id
    }

    /// Finds a header the way gcc does (`_cpp_find_file`): from a starting directory entry
    /// along the chain, reusing a file entry cached for the start or for a chain head passed
    /// on the way, and caching the result for the start and for those heads.
    fn resolve(
        &mut self,
        name: &str,
        angled: bool,
        cur: Option<&Frame>,
        next: bool,
    ) -> Option<Frame> {
        let start = if Path::new(name).is_absolute() {
            NO_SEARCH
        } else if next && cur.is_some_and(|c| c.dir != NO_SEARCH) {
            self.dirs[cur?.dir].next?
        } else if angled {
            self.bracket_head?
        } else {
            match cur {
                Some(c) => self.curdir(&c.spelled, &c.abs, c.system),
                None => self.quote_head?,
            }
        };
        let file = match self.cache.get(start, name) {
            Some(f) => f,
            None => self.search(start, name)?,
        };
        let dir = self.entries[file].dir;
        let d = &self.dirs[dir];
        let spelled = if dir == NO_SEARCH {
            name.to_string()
        } else {
            join_spelled(&d.spelled, name)
        };
        Some(Frame {
            abs: lexical(&d.abs.join(crate::raw::path(name))),
            spelled,
            system: d.system,
            dir,
            file: Some(file),
        })
    }

    /// Looks `name` up along the chain from the directory entry `start` (`resolve` found no
    /// cached file entry for it), and caches the file entry found.
    fn search(&mut self, start: usize, name: &str) -> Option<usize> {
        let mut d = start;
        let (mut saw_bracket, mut saw_quote) = (false, false);
        let mut found_in_cache = None;
        let file = loop {
            let abs = lexical(&self.dirs[d].abs.join(crate::raw::path(name)));
            if self.is_file(&abs) {
                self.entries.push(Entry {
                    dir: d,
                    stacked: false,
                });
                break self.entries.len() - 1;
            }
            d = self.dirs[d].next?;
            if Some(d) == self.bracket_head {
                saw_bracket = true;
            } else if Some(d) == self.quote_head {
                saw_quote = true;
            } else {
                continue;
            }
            if let Some(f) = self.cache.get(d, name) {
                found_in_cache = Some(d);
                break f;
            }
        };
        self.cache.insert(start, name.to_string(), file);
        for (saw, head) in [
            (saw_bracket, self.bracket_head),
            (saw_quote, self.quote_head),
        ] {
            if let Some(h) = head.filter(|h| saw && *h != start && found_in_cache != Some(*h)) {
                self.cache.insert(h, name.to_string(), file);
            }
        }
        Some(file)
    }

    /// Evaluates an #if: `defined`, `__has_include` and builtin queries first, then macros,
    /// then arithmetic.
    fn eval_if(&mut self, rest: &[T], frame: &Frame) -> Result<bool, Fallback> {
        let rest = self.named_operators(std::borrow::Cow::Borrowed(rest))?;
        let pre = self.replace_operators(&rest, frame)?;
        let expanded = macros::expand(&pre, &self.cfg.macros, 0)?;
        let expanded = self.named_operators(std::borrow::Cow::Owned(expanded))?;
        // Operators that only appear after expansion (a macro expanding to `defined X`).
        let post = self.replace_operators(&expanded, frame)?;
        let mut post = post;
        for t in &mut post {
            if let Tok::Ident(n) = &t.tok {
                match n.as_str() {
                    "__LINE__" | "__COUNTER__" | "__INCLUDE_LEVEL__" | "__FILE__" => {
                        return Err(Fallback::new(format!("#if uses {n}")));
                    }
                    // Every other name left is 0 (`false` too).
                    "true" => {
                        let v = self.ask("true")?;
                        *t = T::new(Tok::Number(if v { "1" } else { "0" }.into()), t.space);
                    }
                    _ => {}
                }
            }
        }
        expr::eval(&post)
    }

    /// C++'s named operators (`and`, `not`, ...) as the operators they are, where this
    /// compiler has them (asked: C++ without `-fno-operator-names`); elsewhere they are names.
    fn named_operators<'t>(
        &mut self,
        toks: std::borrow::Cow<'t, [T]>,
    ) -> Result<std::borrow::Cow<'t, [T]>, Fallback> {
        // Every `#if` passes here: a match on the name, not a search of a table.
        let named = |t: &T| match &t.tok {
            Tok::Ident(n) => match n.as_str() {
                "and" => Some("&&"),
                "or" => Some("||"),
                "not" => Some("!"),
                "bitand" => Some("&"),
                "bitor" => Some("|"),
                "xor" => Some("^"),
                "compl" => Some("~"),
                "not_eq" => Some("!="),
                _ => None,
            },
            _ => None,
        };
        if !toks.iter().any(|t| named(t).is_some()) || !self.ask("1 and 2")? {
            return Ok(toks);
        }
        let mut toks = toks.into_owned();
        for t in &mut toks {
            if let Some(op) = named(t) {
                *t = T::new(Tok::Punct(op), t.space);
            }
        }
        Ok(std::borrow::Cow::Owned(toks))
    }

    fn replace_operators(&mut self, toks: &[T], frame: &Frame) -> Result<Vec<T>, Fallback> {
        let mut out = Vec::with_capacity(toks.len());
        let mut i = 0;
        let one =
            |v: bool, space: bool| T::new(Tok::Number(if v { "1" } else { "0" }.into()), space);
        while i < toks.len() {
            let t = &toks[i];
            let Tok::Ident(name) = &t.tok else {
                out.push(t.clone());
                i += 1;
                continue;
            };
            if name == "defined" {
                let (n, next) = match (
                    toks.get(i + 1).map(|t| &t.tok),
                    toks.get(i + 2).map(|t| &t.tok),
                    toks.get(i + 3),
                ) {
                    (Some(Tok::Punct("(")), Some(Tok::Ident(n)), Some(c))
                        if c.tok.is_punct(")") =>
                    {
                        (n.clone(), i + 4)
                    }
                    (Some(Tok::Ident(n)), _, _) => (n.clone(), i + 2),
                    _ => return Err(Fallback::new("malformed defined")),
                };
                out.push(one(self.is_defined(&n)?, t.space));
                i = next;
                continue;
            }
            let is_has_include = name == "__has_include" || name == "__has_include_next";
            // A query the compiler does not have is a name like any other: a header may define
            // a macro of that name (`#define __has_feature(x) 0`), else it is 0.
            let is_query = |s: &mut Self| -> Result<bool, Fallback> {
                Ok(BUILTIN_QUERIES.contains(&name.as_str())
                    && !s.cfg.macros.contains_key(name)
                    && s.has_query(name)?)
            };
            if toks.get(i + 1).is_some_and(|t| t.tok.is_punct("("))
                && (is_has_include || is_query(self)?)
            {
                // The argument runs to the matching parenthesis.
                let mut depth = 0;
                let mut j = i + 1;
                while j < toks.len() {
                    if toks[j].tok.is_punct("(") {
                        depth += 1;
                    } else if toks[j].tok.is_punct(")") {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    j += 1;
                }
                if j >= toks.len() {
                    return Err(Fallback::new(format!("unterminated {name}(")));
                }
                let arg = &toks[i + 2..j];
                let v = if is_has_include {
                    // Its answer is the file system's, which a trace does not keep.
                    self.spoil_recording();
                    let (hname, angled) = self.header_name(arg)?;
                    let cur = Frame {
                        spelled: frame.spelled.clone(),
                        abs: frame.abs.clone(),
                        system: frame.system,
                        dir: frame.dir,
                        file: frame.file,
                    };
                    self.resolve(&hname, angled, Some(&cur), name == "__has_include_next")
                        .is_some()
                } else {
                    let text: String = arg.iter().map(|t| t.tok.text()).collect();
                    self.ask(&format!("{name}({text})"))?
                };
                out.push(one(v, t.space));
                i = j + 1;
                continue;
            }
            out.push(t.clone());
            i += 1;
        }
        Ok(out)
    }
}

/// What gcc compares first to tell whether two files marked once are one: the modification
/// time in seconds (`st_mtime`) and the size.
fn stamp(id: &Probe) -> (i64, u64) {
    (id.mtime.div_euclid(1_000_000_000), id.size)
}

/// Whether a directive of the source may be part of a snapshot's prefix: `#include <...>`
/// (searched from the bracket chain, whatever the source) or a macro definition.
fn snapshot_prefix(text: &str) -> bool {
    let text = text.trim_start();
    let kw = lex::keyword(text);
    match kw {
        "include" => text[kw.len()..].trim_start().starts_with('<'),
        "define" | "undef" => true,
        _ => false,
    }
}

/// The macro name after #ifdef, #ifndef or #undef.
fn first_word(rest: &str) -> Result<&str, Fallback> {
    let w = lex::keyword(rest);
    if w.is_empty() {
        Err(Fallback::new("a directive without the name it needs"))
    } else {
        Ok(w)
    }
}

/// gcc writes dependencies without a leading `./` (mkdeps' `apply_vpath`).
fn dep_spelling(s: &str) -> String {
    let mut t = s;
    while let Some(rest) = t.strip_prefix("./") {
        t = rest.trim_start_matches('/');
    }
    t.to_string()
}

fn join_spelled(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Removes `.` and `name/..` without touching the file system.
pub fn lexical(p: &Path) -> PathBuf {
    crate::headers::lexical(p)
}

/// A scan for the unit tests of `memo` and `trace`: `source` in `root/cwd`, along the chain
/// `root/D` for each `(D, system)`, with snapshots and traces in `memo` (paths below `live`
/// checked on each use) when given; each header as spelled, and whether it was found through
/// a system directory.
#[cfg(test)]
fn test_scan(
    root: &Path,
    cwd: &str,
    chain: &[(&str, bool)],
    memo: Option<(&Path, Option<&Path>)>,
    source: &str,
) -> Vec<(String, bool)> {
    test_scan_asking(root, cwd, chain, memo, source, &|_| None)
}

/// [`test_scan`], with `answers` answering the builtin queries (`None`: the compiler cannot).
#[cfg(test)]
fn test_scan_asking(
    root: &Path,
    cwd: &str,
    chain: &[(&str, bool)],
    memo: Option<(&Path, Option<&Path>)>,
    source: &str,
    answers: &dyn Fn(&str) -> Option<bool>,
) -> Vec<(String, bool)> {
    // A new process: the files changed between two scans are read again.
    crate::files::forget();
    let mut builtin = |q: &str| answers(q).ok_or_else(|| Fallback::new("no builtins here"));
    let cfg = Config {
        cwd: if cwd.is_empty() {
            root.to_path_buf()
        } else {
            root.join(cwd)
        },
        quote: Vec::new(),
        chain: chain
            .iter()
            .map(|(d, system)| SearchDir {
                spelled: root.join(d).display().to_string(),
                abs: root.join(d),
                system: *system,
            })
            .collect(),
        macros: Table::default(),
        make_macros: None,
        implicit: Vec::new(),
        forced: Vec::new(),
        builtin: &mut builtin,
        memo: memo.map(|(dir, live)| Memo {
            dir: dir.to_path_buf(),
            salt: "test".into(),
            live: live.map(Path::to_path_buf),
        }),
        hashed_below: None,
    };
    Scanner::new(cfg)
        .scan(source)
        .expect("scan")
        .into_iter()
        .map(|f| (f.spelled, f.system))
        .collect()
}
