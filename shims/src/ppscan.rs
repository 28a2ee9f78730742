//! The in-process header scan of one compile: the compile's flags turned into a `pp::Config`,
//! with the compiler's own facts asked of the real compiler once per flag set and cached in
//! the session (`cache/pp-KEY`, `cache/builtins-KEY`); and [`headers`], which takes its answer
//! or, where it cannot answer exactly, the real preprocessor's (`headers::scan_real`).

use crate::args::{ArgKind, Command, Input as CmdInput, Lang};
use crate::ctx::{write_atomic, Ctx};
use crate::flags::Meaning;
use crate::headers::{header, lexical, Header};
use crate::pp::{self, macros, Config, Fallback, SearchDir};
use crate::token;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Flags that do not change the compiler's predefined macros, default directories or implicit
/// includes: they are left out of the cache key (the scan applies the path and macro flags
/// itself).
fn outside_key(m: Meaning) -> bool {
    m.names_output()
        || m.is_stop()
        || m.is_link_only()
        || matches!(
            m,
            Meaning::Language
                | Meaning::Include
                | Meaning::ISystem
                | Meaning::IQuote
                | Meaning::IDirAfter
                | Meaning::IncludeFile
                | Meaning::IMacros
                | Meaning::Define
                | Meaning::Undef
                | Meaning::Warning
                | Meaning::Debug
                | Meaning::SaveTemps
                | Meaning::Verbose
                | Meaning::Pipe
        )
}

/// The compiler's facts for one flag set.
pub(crate) struct Facts {
    /// The cached file's text (mapped), and where the predefined macros (`#define` lines) lie
    /// in it.
    pub(crate) text: &'static str,
    macros: std::ops::Range<usize>,
    /// The `<...>` search list, as the compiler spelled it, and each one's canonical path.
    pub(crate) sysdirs: Vec<String>,
    pub(crate) sysdirs_canonical: Vec<String>,
    /// The files the compiler includes on its own (`stdc-predef.h`).
    pub(crate) implicit: Vec<String>,
}

/// The headers of one compile (its source's content hash is `src_sha`): from the work cache
/// when a stored scan's checks all hold (`scancache`), else the in-process scanner when it can
/// answer exactly (see `pp`), else the real preprocessor. With CONFESS_VERIFY_HEADERS set, the
/// real preprocessor runs too and any difference fails the call (the tests set it).
pub fn headers(
    ctx: &Ctx,
    cmd: &Command,
    src: &CmdInput,
    src_sha: &str,
) -> crate::ctx::Result<Vec<Header>> {
    let driver = ctx.real_tool()?;
    let lang = src.lang.unwrap_or(Lang::C);
    let cache = crate::scancache::Scan::of(ctx, cmd, src, src_sha, &driver, lang);
    let fast = match cache.as_ref().and_then(crate::scancache::Scan::lookup) {
        Some(found) => Ok((found, None)),
        None if cache.is_some() => {
            scan_probed(ctx, cmd, src, &driver, lang, true).map(|(h, p)| (h, Some(p)))
        }
        None => scan(ctx, cmd, src, &driver, lang).map(|h| (h, None)),
    };
    let verify = std::env::var_os("CONFESS_VERIFY_HEADERS").is_some();
    match fast {
        Ok((found, probed)) => {
            if verify {
                let real = crate::headers::scan_real(ctx, cmd, src, &driver, lang)?;
                let a: Vec<(&str, bool)> = found
                    .iter()
                    .map(|h| (h.spelled.as_str(), h.system))
                    .collect();
                let b: Vec<(&str, bool)> = real
                    .iter()
                    .map(|h| (h.spelled.as_str(), h.system))
                    .collect();
                if a != b {
                    return Err(crate::ctx::ShimError(format!(
                        "header scan of {} differs from the preprocessor's:\n  scanner: {a:?}\n  gcc -M:  {b:?}",
                        src.path
                    )));
                }
            }
            if let (Some(c), Some(p)) = (&cache, probed) {
                c.store(&found, p);
            }
            Ok(found)
        }
        Err(Fallback(reason)) => {
            if verify {
                eprintln!(
                    "confess-shim: note: header scan of {} fell back to the preprocessor: {reason}",
                    src.path
                );
            }
            crate::headers::scan_real(ctx, cmd, src, &driver, lang)
        }
    }
}

/// A digest of the compiler's facts for a command's flags (asked of the real compiler once
/// per flag set and session): what a scan takes from the compiler, for the scan cache's key.
pub fn facts_digest(
    ctx: &Ctx,
    cmd: &Command,
    driver: &Path,
    lang: Lang,
) -> Result<String, Fallback> {
    let key_args = key_args(cmd)?;
    let key = facts_key(driver, lang, &key_args);
    let facts = facts(ctx, driver, lang, &key_args, &key)?;
    Ok(token::sha256_hex(facts.text.as_bytes()))
}

/// The `-I`, `-isystem` and `-idirafter` directories of a command, absolute: gcc searches
/// those that exist.
pub fn search_dirs(ctx: &Ctx, cmd: &Command) -> Vec<PathBuf> {
    let f = ScanFlags::of(ctx, cmd);
    f.user
        .into_iter()
        .chain(f.isystem)
        .chain(f.after)
        .map(|d| d.abs)
        .collect()
}

/// The in-process scan alone: the headers, or why it cannot answer exactly.
pub fn scan(
    ctx: &Ctx,
    cmd: &Command,
    src: &CmdInput,
    driver: &Path,
    lang: Lang,
) -> Result<Vec<Header>, Fallback> {
    scan_probed(ctx, cmd, src, driver, lang, false).map(|(h, _)| h)
}

/// [`scan`], and with `probes`, every path the scan asked about and the file that was there
/// (`pp::Scanner::scan_with_probes`).
pub fn scan_probed(
    ctx: &Ctx,
    cmd: &Command,
    src: &CmdInput,
    driver: &Path,
    lang: Lang,
    probes: bool,
) -> Result<(Vec<Header>, pp::Probed), Fallback> {
    if matches!(lang, Lang::ObjC | Lang::ObjCxx) {
        return Err(Fallback::new("Objective-C"));
    }
    let key_args = key_args(cmd)?;
    let key = facts_key(driver, lang, &key_args);
    let facts = facts(ctx, driver, lang, &key_args, &key)?;
    let flags = ScanFlags::of(ctx, cmd);
    let chain = search_chain(ctx, flags.user, flags.isystem, flags.after, &facts)?;
    let mut builtins = Builtins {
        ctx,
        driver,
        lang,
        key_args: &key_args,
        path: ctx.session.cache().join(format!("builtins-{key}")),
        known: None,
    };
    let mut builtin = |q: &str| builtins.answer(q);
    let implicit = implicit_includes(&facts, &chain);
    let (text, predefined, defines) = (facts.text, facts.macros.clone(), flags.defines);
    let make_macros = move || starting_macros(&text[predefined], &defines);
    let cfg = Config {
        cwd: ctx.cwd.clone(),
        quote: flags.quote,
        chain,
        macros: macros::Table::default(),
        make_macros: Some(Box::new(make_macros)),
        implicit,
        forced: flags.forced,
        builtin: &mut builtin,
        memo: snapshots(ctx, &key, cmd),
        // The root `headers::header` is given (below).
        hashed_below: (ctx.session.root.as_deref())
            .filter(|r| !r.is_empty())
            .map(|r| crate::raw::path(r).into_owned()),
    };
    let (found, asked) = if probes {
        pp::Scanner::new(cfg).scan_with_probes(&src.path)?
    } else {
        (pp::Scanner::new(cfg).scan(&src.path)?, Vec::new())
    };
    let root = ctx.session.root.as_deref();
    Ok((
        found
            .into_iter()
            .map(|f| header(f.spelled, f.abs, f.system, root))
            .collect(),
        asked,
    ))
}

/// The words of the flags that may change what the compiler predefines (the facts' key), or
/// why the scan cannot model the command.
pub(crate) fn key_args(cmd: &Command) -> Result<Vec<String>, Fallback> {
    let mut key_args: Vec<String> = Vec::new();
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => {}
            ArgKind::Flag(Meaning::PreprocArg)
                if a.value.as_deref().is_some_and(crate::flags::is_wp_depfile) => {}
            ArgKind::Flag(Meaning::PreprocArg) => {
                return Err(Fallback::new("-Wp/-Xpreprocessor options"))
            }
            ArgKind::Flag(Meaning::IPrefix) => return Err(Fallback::new("-iprefix options")),
            ArgKind::Flag(Meaning::Include) if a.value.as_deref() == Some("-") => {
                return Err(Fallback::new("-I-"))
            }
            ArgKind::Flag(m) if outside_key(*m) => {}
            // Unknown flags and the rest may change what the compiler predefines: keep them.
            _ => key_args.extend(a.words.iter().cloned()),
        }
    }
    Ok(key_args)
}

/// The name of a flag set's cached facts: the driver, the language and the key's flags.
fn facts_key(driver: &Path, lang: Lang, key_args: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(driver.as_os_str().as_encoded_bytes());
    h.update(b"\0");
    h.update(lang.as_str().as_bytes());
    for a in key_args {
        h.update(b"\0");
        h.update(a.as_bytes());
    }
    token::hex(&h.finalize())[..20].to_string()
}

/// What the scan takes from the command's own flags, in command-line order.
struct ScanFlags {
    /// `-D` (`true`, as `NAME BODY`) and `-U` (`false`, the name), which the starting macros
    /// are made from when the scan does not start from a snapshot (which holds its own).
    defines: Vec<(bool, String)>,
    /// `-imacros` then `-include` files (`true` for -imacros).
    forced: Vec<(String, bool)>,
    quote: Vec<SearchDir>,
    user: Vec<SearchDir>,
    isystem: Vec<SearchDir>,
    after: Vec<SearchDir>,
}

impl ScanFlags {
    fn of(ctx: &Ctx, cmd: &Command) -> ScanFlags {
        let mut f = ScanFlags {
            defines: Vec::new(),
            forced: Vec::new(),
            quote: Vec::new(),
            user: Vec::new(),
            isystem: Vec::new(),
            after: Vec::new(),
        };
        let mut forced_includes = Vec::new();
        let dir = |v: &str, system: bool| search_dir(&ctx.cwd, v, system);
        for a in &cmd.args {
            let v = a.value.as_deref().unwrap_or("");
            match a.kind {
                ArgKind::Flag(Meaning::Define) => {
                    let text = match v.split_once('=') {
                        Some((n, val)) => format!("{n} {val}"),
                        None => format!("{v} 1"),
                    };
                    f.defines.push((true, text));
                }
                ArgKind::Flag(Meaning::Undef) => f.defines.push((false, v.to_string())),
                ArgKind::Flag(Meaning::IQuote) => f.quote.push(dir(v, false)),
                ArgKind::Flag(Meaning::Include) => f.user.push(dir(v, false)),
                ArgKind::Flag(Meaning::ISystem) => f.isystem.push(dir(v, true)),
                ArgKind::Flag(Meaning::IDirAfter) => f.after.push(dir(v, true)),
                ArgKind::Flag(Meaning::IMacros) => f.forced.push((v.to_string(), true)),
                ArgKind::Flag(Meaning::IncludeFile) => {
                    forced_includes.push((v.to_string(), false));
                }
                _ => {}
            }
        }
        f.forced.extend(forced_includes);
        f
    }
}

/// A search directory as given (`v`, without a trailing `/`), found from `cwd`.
fn search_dir(cwd: &Path, v: &str, system: bool) -> SearchDir {
    let spelled = if v.len() > 1 {
        v.trim_end_matches('/').to_string()
    } else {
        v.to_string()
    };
    SearchDir {
        abs: lexical(&cwd.join(crate::raw::path(&spelled))),
        spelled,
        system,
    }
}

/// The `<...>` search chain: `-I`, `-isystem`, the compiler's own directories, `-idirafter`.
///
/// gcc (libcpp's `remove_duplicates`) drops a directory that does not exist, one given twice
/// (the first wins), and a non-system directory that duplicates a system one (it stays a system
/// directory, in its system place); directories are the same when their canonical paths are.
/// The compiler's own directories were made canonical when the facts were cached. Each
/// directory is looked at once and found in a set: a command with 40,000 `-I` costs 40,000
/// `stat`s, not their square.
fn search_chain(
    ctx: &Ctx,
    user: Vec<SearchDir>,
    isystem: Vec<SearchDir>,
    after: Vec<SearchDir>,
    facts: &Facts,
) -> Result<Vec<SearchDir>, Fallback> {
    let sys: Vec<SearchDir> = facts
        .sysdirs
        .iter()
        .map(|d| search_dir(&ctx.cwd, d, true))
        .collect();
    let user = existing(user)?;
    let isystem = existing(isystem)?;
    let after = existing(after)?;
    let system_canon: HashSet<std::borrow::Cow<Path>> = isystem
        .iter()
        .map(|(_, c)| std::borrow::Cow::Borrowed(c.as_path()))
        .chain(facts.sysdirs_canonical.iter().map(|c| crate::raw::path(c)))
        .collect();
    let mut chain: Vec<SearchDir> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for (d, c) in user {
        if system_canon.contains(c.as_path()) || seen.contains(&c) {
            continue;
        }
        seen.insert(c);
        chain.push(d);
    }
    let sys_with_canon = sys.into_iter().zip(
        facts
            .sysdirs_canonical
            .iter()
            .map(|c| crate::raw::path(c).into_owned()),
    );
    for (d, c) in isystem.into_iter().chain(sys_with_canon).chain(after) {
        if seen.contains(&c) {
            continue;
        }
        chain.push(shorter(d, &c));
        seen.insert(c);
    }
    Ok(chain)
}

/// Answers `__has_attribute(x)` and its kin for one flag set: from the session's cache
/// (`cache/builtins-KEY`), else from the real compiler, whose answers are added to the cache.
struct Builtins<'a> {
    ctx: &'a Ctx,
    driver: &'a Path,
    lang: Lang,
    key_args: &'a [String],
    path: PathBuf,
    /// The answers known so far, read when the first query comes (a scan that starts from a
    /// snapshot seldom asks one).
    known: Option<Vec<(String, bool)>>,
}

impl Builtins<'_> {
    fn answer(&mut self, q: &str) -> Result<bool, Fallback> {
        let path = &self.path;
        let known = self.known.get_or_insert_with(|| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.rsplit_once('\t').map(|(q, v)| (q.to_string(), v == "1")))
                .collect()
        });
        if let Some((_, v)) = known.iter().find(|(k, _)| k == q) {
            return Ok(*v);
        }
        // One run of the compiler answers this query and the usual ones not known yet.
        let mut batch = vec![q];
        batch.extend(
            LIKELY_QUERIES
                .iter()
                .copied()
                .filter(|l| *l != q && !known.iter().any(|(k, _)| k == l)),
        );
        let child = spawn_builtins(self.ctx, self.driver, self.lang, self.key_args, &batch)?;
        let answers = builtin_answers(child, batch.len())?;
        let mut lines = String::new();
        for (b, a) in batch.iter().zip(&answers) {
            if let Some(v) = a {
                known.push(((*b).to_string(), *v));
                let _ = writeln!(lines, "{b}\t{}", u8::from(*v));
            }
        }
        append_line(&self.path, &lines);
        answers[0].ok_or_else(|| Fallback::new(format!("the compiler cannot answer {q}")))
    }
}

/// The compiler's implicit pre-includes, spelled from the search directory that holds them:
/// they are searched for like `#include <name>`, so they are system headers.
fn implicit_includes(facts: &Facts, chain: &[SearchDir]) -> Vec<String> {
    facts
        .implicit
        .iter()
        .map(|p| {
            let abs = lexical(&crate::raw::path(p));
            chain
                .iter()
                .find_map(|d| abs.strip_prefix(&d.abs).ok())
                .map_or_else(|| p.clone(), |rel| crate::raw::text_path(rel).into_owned())
        })
        .collect()
}

/// The starting macros: the compiler's (`predefined`, its `#define` lines), then `-D` and `-U`
/// in order.
fn starting_macros(
    predefined: &str,
    defines: &[(bool, String)],
) -> Result<macros::Table, Fallback> {
    let mut table = macros::Table::default();
    for line in predefined.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let (name, m) = macros::parse_define_text(rest)?;
            table.insert(name, m);
        }
    }
    for (define, text) in defines {
        if *define {
            let (name, m) = macros::parse_define_text(text)?;
            table.insert(name, m);
        } else {
            table.remove(text.as_str());
        }
    }
    Ok(table)
}

/// Where the scan keeps its snapshots, unless CONFESS_SCAN_SNAPSHOTS=0 turns them off.
fn snapshots(ctx: &Ctx, key: &str, cmd: &Command) -> Option<pp::Memo> {
    (std::env::var_os("CONFESS_SCAN_SNAPSHOTS").as_deref() != Some("0".as_ref())).then(|| {
        pp::Memo {
            dir: ctx.session.cache(),
            salt: memo_salt(key, cmd),
            live: ctx
                .session
                .root
                .as_deref()
                .map(|r| crate::raw::path(r).into_owned()),
        }
    })
}

/// What a scan's starting macros were made from: the facts key (the compiler's predefined
/// macros) and the `-D`/`-U` flags in order.
fn memo_salt(key: &str, cmd: &Command) -> String {
    let mut salt = key.to_string();
    for a in &cmd.args {
        if matches!(a.kind, ArgKind::Flag(Meaning::Define | Meaning::Undef)) {
            for w in &a.words {
                salt.push('\0');
                salt.push_str(w);
            }
        }
    }
    salt
}

/// Appends a line to a cache file; concurrent appends of whole lines are safe with O_APPEND.
fn append_line(path: &Path, line: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// The directories of a search list that exist, each with its canonical path. gcc drops a
/// directory it cannot find (`ENOENT`, `EPERM`) without a word; one that is not a directory
/// (a warning, an error under `-Werror`) or that it cannot look at for another reason (an
/// error) is left to the real preprocessor.
fn existing(dirs: Vec<SearchDir>) -> Result<Vec<(SearchDir, PathBuf)>, Fallback> {
    const EPERM: i32 = 1;
    let mut out = Vec::with_capacity(dirs.len());
    for d in dirs {
        match std::fs::metadata(&d.abs) {
            Ok(m) if m.is_dir() => {
                let c = std::fs::canonicalize(&d.abs).unwrap_or_else(|_| d.abs.clone());
                out.push((d, c));
            }
            Ok(_) => {
                return Err(Fallback::new(format!(
                    "{}: an include directory that is not a directory",
                    d.spelled
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) if e.raw_os_error() == Some(EPERM) => {}
            Err(e) => return Err(Fallback::new(format!("{}: {e}", d.spelled))),
        }
    }
    Ok(out)
}

/// How gcc spells a header found in a system directory: by its canonical path when that is
/// shorter (`-fcanonical-system-headers`, on in Debian's gcc; libcpp's `maybe_shorter_path`). A
/// cross compiler's own directories are spelled with `..`
/// (`/usr/lib/gcc-cross/i686-linux-gnu/12/../../../../i686-linux-gnu/include`), and its headers
/// are listed under the canonical `/usr/i686-linux-gnu/include`.
fn shorter(d: SearchDir, canonical: &Path) -> SearchDir {
    let c = crate::raw::text_path(canonical);
    if d.system && c.len() < d.spelled.len() {
        SearchDir {
            spelled: c.into_owned(),
            ..d
        }
    } else {
        d
    }
}

fn facts(
    ctx: &Ctx,
    driver: &Path,
    lang: Lang,
    key_args: &[String],
    key: &str,
) -> Result<Facts, Fallback> {
    let path = ctx.session.cache().join(format!("pp-{key}"));
    let cached = || crate::files::map(&path).and_then(|b| std::str::from_utf8(b).ok());
    let text: &'static str = if let Some(t) = cached() {
        t
    } else {
        // One shim asks; the compiles started beside it with the same flags (the first of a
        // parallel build all start at once) wait for its answer rather than ask too.
        let _lock = lock(&ctx.session.cache().join(format!("pp-{key}.lock")));
        if let Some(t) = cached() {
            t
        } else {
            let t = ask_or_keep_facts(ctx, driver, lang, key_args, key)?;
            write_atomic(&path, t.as_bytes()).map_err(|e| Fallback::new(e.0))?;
            t
        }
    };
    Facts::parse(text).ok_or_else(|| {
        Fallback::new(format!(
            "{}: not a facts file",
            crate::raw::text_path(&path)
        ))
    })
}

/// The facts from the work cache, else from the real compiler (then kept in the work cache).
/// Asking the compiler, the usual builtin queries are asked in the same run (`LIKELY_QUERIES`)
/// and their answers put in the session's cache, where a scan's first query finds them: a
/// scan of glibc's headers asks them, and asked then they would be another run.
fn ask_or_keep_facts(
    ctx: &Ctx,
    driver: &Path,
    lang: Lang,
    key_args: &[String],
    key: &str,
) -> Result<&'static str, Fallback> {
    let kept = crate::scancache::KeptFacts::of(ctx, driver, lang, key_args);
    if let Some(t) = kept.as_ref().and_then(crate::scancache::KeptFacts::lookup) {
        return Ok(Box::leak(t.into_boxed_str()));
    }
    let builtins = ctx.session.cache().join(format!("builtins-{key}"));
    let queries = if builtins.exists() {
        &[][..]
    } else {
        LIKELY_QUERIES
    };
    let asked = ask_facts(ctx, driver, lang, key_args, queries)?;
    let t: &'static str = Box::leak(asked.text.into_boxed_str());
    if let (Some(k), Some(ignored), Some(f)) = (&kept, asked.ignored, Facts::parse(t)) {
        k.store(&f, &ignored);
    }
    if let Some(answers) = asked.answers {
        let mut lines = String::new();
        for (q, a) in queries.iter().zip(&answers) {
            if let Some(v) = a {
                let _ = writeln!(lines, "{q}\t{}", u8::from(*v));
            }
        }
        append_line(&builtins, &lines);
    }
    Ok(t)
}

/// An exclusive lock on `path` (made if missing), held until the file is dropped; `None` when
/// it cannot be had, and the caller goes on without it (it only saves work).
fn lock(path: &Path) -> Option<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive).ok()?;
    Some(f)
}

impl Facts {
    /// The facts of a cached file's text, or `None` when it is not one. The macros come first
    /// and are most of the file. They stay where they lie, for a scan that does not start from
    /// a snapshot; the sections after them are read line by line.
    pub(crate) fn parse(text: &'static str) -> Option<Facts> {
        let body = text.strip_prefix("[macros]\n")?;
        let end = if body.starts_with("[sysdirs]\n") {
            0
        } else {
            body.find("\n[sysdirs]\n")? + 1
        };
        let start = text.len() - body.len();
        let mut f = Facts {
            macros: start..start + end,
            sysdirs: Vec::new(),
            sysdirs_canonical: Vec::new(),
            implicit: Vec::new(),
            text,
        };
        let mut section = "";
        for line in body[end..].lines() {
            match line {
                "[sysdirs]" | "[canonical]" | "[implicit]" => section = line,
                _ => match section {
                    "[sysdirs]" => f.sysdirs.push(line.to_string()),
                    "[canonical]" => f.sysdirs_canonical.push(line.to_string()),
                    "[implicit]" => f.implicit.push(line.to_string()),
                    _ => {}
                },
            }
        }
        Some(f)
    }
}

/// What one run of the compiler said of a flag set (`ask_facts`).
struct Asked {
    /// The facts file's text (`Facts::parse`).
    text: String,
    /// The directories the compiler said it left out of its search because they do not
    /// exist, when it said so in words this reads.
    ignored: Option<Vec<String>>,
    /// The answers to the builtin queries asked with it, when they were asked and answered.
    answers: Option<Vec<Option<bool>>>,
}

/// Asks the real compiler, in one run of it (`-E -dD -v` of the `queries`, as
/// `spawn_builtins` writes them): its predefined macros (the `#define`s it prints before the
/// input, the same set `-dM` prints), its `<...>` search list (`-v`), the files it includes on
/// its own (those its line markers enter before the input: `stdc-predef.h`) and the queries'
/// answers. The compiler proper starts once instead of three times (about 8 ms of processor
/// time instead of 20). An error in the queries' own lines (gcc 12 has no `__has_extension`)
/// leaves the rest of the run's answer whole; any other failure is tried once more without
/// the queries.
fn ask_facts(
    ctx: &Ctx,
    driver: &Path,
    lang: Lang,
    key_args: &[String],
    queries: &[&str],
) -> Result<Asked, Fallback> {
    let run = |queries: &[&str]| -> Result<Option<Asked>, Fallback> {
        use std::io::Write;
        let cannot = |e: std::io::Error| {
            Fallback::new(format!("cannot ask {}: {e}", crate::raw::text_path(driver)))
        };
        let mut child = ctx
            .real_command(driver)
            .args(key_args.iter().map(|a| crate::raw::os(a)))
            .args(["-x", lang.as_str(), "-E", "-dD", "-v", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(cannot)?;
        if let Some(mut stdin) = child.stdin.take() {
            // The queries are a few kilobytes: the pipe takes them whole before the compiler
            // writes anything.
            let _ = stdin.write_all(query_text(queries).as_bytes());
        }
        let out = child.wait_with_output().map_err(cannot)?;
        let said = crate::raw::text(&out.stderr);
        let only_the_queries_failed = said
            .lines()
            .filter(|l| l.contains("error:"))
            .all(|l| l.starts_with("<stdin>:"));
        if !out.status.success() && (queries.is_empty() || !only_the_queries_failed) {
            return Ok(None);
        }
        let printed = crate::raw::text(&out.stdout);
        let (macros, implicit) = predefined(&printed);
        let dirs = crate::headers::parse_search_list(&said);
        let ignored = said
            .contains("#include <...> search starts here:")
            .then(|| {
                said.lines()
                    .filter_map(|l| l.strip_prefix("ignoring nonexistent directory \""))
                    .filter_map(|l| l.strip_suffix('"'))
                    .map(str::to_string)
                    .collect()
            });
        let mut t = String::from("[macros]\n");
        t.push_str(&macros);
        t.push_str("[sysdirs]\n");
        for d in &dirs {
            t.push_str(d);
            t.push('\n');
        }
        t.push_str("[canonical]\n");
        for d in &dirs {
            let d = crate::raw::path(d);
            let c = std::fs::canonicalize(&d).unwrap_or_else(|_| d.into_owned());
            t.push_str(&crate::raw::text_path(&c));
            t.push('\n');
        }
        t.push_str("[implicit]\n");
        for f in implicit {
            t.push_str(&f);
            t.push('\n');
        }
        let answers = (!queries.is_empty()).then(|| answers_in(&printed, queries.len()));
        Ok(Some(Asked {
            text: t,
            ignored,
            answers,
        }))
    };
    if let Some(a) = run(queries)? {
        return Ok(a);
    }
    if !queries.is_empty() {
        if let Some(a) = run(&[])? {
            return Ok(a);
        }
    }
    Err(Fallback::new("the compiler refused -E -dD -v"))
}

/// From what `-E -dD` printed: the predefined macros as `-dM` prints them (one `#define` line
/// each, the last definition of a name, none for a name `#undef` removed), and the files its
/// line markers entered (flag 1) other than its own `<built-in>` and `<command-line>`, in
/// order.
fn predefined(printed: &str) -> (String, Vec<String>) {
    let mut defs: Vec<Option<&str>> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut implicit: Vec<String> = Vec::new();
    for line in printed.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = rest.split(['(', ' ']).next().unwrap_or(rest);
            if let Some(&i) = at.get(name) {
                defs[i] = Some(line);
            } else {
                at.insert(name, defs.len());
                defs.push(Some(line));
            }
        } else if let Some(name) = line.strip_prefix("#undef ") {
            if let Some(&i) = at.get(name.trim()) {
                defs[i] = None;
            }
        } else if let Some((name, flags)) = line_marker(line) {
            if flags.split(' ').any(|f| f == "1")
                && !name.starts_with('<')
                && !implicit.contains(&name)
            {
                implicit.push(name);
            }
        }
    }
    let mut text = String::new();
    for d in defs.into_iter().flatten() {
        text.push_str(d);
        text.push('\n');
    }
    (text, implicit)
}

/// A line marker's file name (its escapes undone) and flags: `# 1 "/usr/include/x.h" 1 3 4`.
fn line_marker(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("# ")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix(" \"")?;
    let mut name = Vec::new();
    let mut bytes = rest.bytes().enumerate();
    while let Some((i, b)) = bytes.next() {
        match b {
            b'"' => {
                let name = String::from_utf8(name).ok()?;
                return Some((name, rest[i + 1..].trim()));
            }
            b'\\' => {
                let (_, c) = bytes.next()?;
                if c.is_ascii_digit() {
                    // An octal escape: three digits.
                    let mut v = u32::from(c - b'0');
                    for _ in 0..2 {
                        let (_, d) = bytes.next()?;
                        v = v * 8 + u32::from(d.checked_sub(b'0').filter(|d| *d < 8)?);
                    }
                    name.push(u8::try_from(v).ok()?);
                } else {
                    name.push(c);
                }
            }
            _ => name.push(b),
        }
    }
    None
}

/// The `__has_*` queries glibc's headers make (`sys/cdefs.h` and its kin) and a few that other
/// common headers make. The first query a scan cannot answer from the session's cache is asked
/// together with these: one run of the compiler instead of one per query (a full scan of
/// `<stdio.h>` asks 18, and every flag set that changes the answers has its own cache).
const LIKELY_QUERIES: &[&str] = &[
    "__has_attribute(__nothrow__)",
    "__has_attribute(__malloc__)",
    "__has_attribute(__alloc_align__)",
    "__has_attribute(__alloc_size__)",
    "__has_attribute(__pure__)",
    "__has_attribute(__const__)",
    "__has_attribute(__unused__)",
    "__has_attribute(__used__)",
    "__has_attribute(__deprecated__)",
    "__has_extension(__attribute_deprecated_with_message__)",
    "__has_attribute(__format_arg__)",
    "__has_attribute(__format__)",
    "__has_attribute(__nonnull__)",
    "__has_attribute(__returns_nonnull__)",
    "__has_attribute(__warn_unused_result__)",
    "__has_attribute(__always_inline__)",
    "__has_attribute(__artificial__)",
    "__has_attribute(__fallthrough__)",
    "__has_attribute(__noreturn__)",
    "__has_attribute(__visibility__)",
    "__has_attribute(__access__)",
    "__has_attribute(__cold__)",
    "__has_builtin(__builtin_expect)",
    "__has_builtin(__builtin_unreachable)",
    "__has_builtin(__builtin_constant_p)",
    "__has_extension(c_generic_selections)",
    "defined(__has_attribute)",
    "defined(__has_builtin)",
    "defined(__has_feature)",
    "defined(__has_extension)",
    "defined(__has_c_attribute)",
    "defined(__has_cpp_attribute)",
    "true",
    // Whether `and` is an operator (C++ without -fno-operator-names) or a name.
    "1 and 2",
];

/// `__has_attribute(x)` and kin, asked of the real compiler in one run; `builtin_answers`
/// reads its answers.
fn spawn_builtins(
    ctx: &Ctx,
    driver: &Path,
    lang: Lang,
    key_args: &[String],
    qs: &[&str],
) -> Result<std::process::Child, Fallback> {
    use std::io::Write;
    let mut child = ctx
        .real_command(driver)
        .args(key_args.iter().map(|a| crate::raw::os(a)))
        .args(["-x", lang.as_str(), "-E", "-P", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Fallback::new(format!("cannot ask {}: {e}", crate::raw::text_path(driver))))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(query_text(qs).as_bytes());
    }
    Ok(child)
}

/// The queries as the compiler is asked them: one `#if` each, whose output names the answer.
fn query_text(qs: &[&str]) -> String {
    let mut text = String::new();
    for (i, q) in qs.iter().enumerate() {
        let _ = writeln!(
            text,
            "#if {q}\nconfess_yes_{i}\n#else\nconfess_no_{i}\n#endif"
        );
    }
    text
}

/// For each of the `n` queries `spawn_builtins` asked, its answer, or `None` when the
/// compiler gave none.
fn builtin_answers(child: std::process::Child, n: usize) -> Result<Vec<Option<bool>>, Fallback> {
    let out = child
        .wait_with_output()
        .map_err(|e| Fallback::new(e.to_string()))?;
    Ok(answers_in(&crate::raw::text(&out.stdout), n))
}

/// The answers to `n` queries (`query_text`) in what the compiler printed.
fn answers_in(printed: &str, n: usize) -> Vec<Option<bool>> {
    let words: HashSet<&str> = printed.split_whitespace().collect();
    (0..n)
        .map(|i| {
            if words.contains(format!("confess_yes_{i}").as_str()) {
                Some(true)
            } else if words.contains(format!("confess_no_{i}").as_str()) {
                Some(false)
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    fn run(args: &[&str], stdin: &str) -> (String, String) {
        let mut c = Command::new("cc")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cc runs");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        let out = c.wait_with_output().expect("cc ends");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The one run's answers are the three runs' answers: the predefined macros `-dM` prints,
    /// the implicit includes `-M` lists, and each query's answer asked on its own run.
    #[test]
    fn one_run_says_what_three_said() {
        let queries = super::query_text(super::LIKELY_QUERIES);
        for (lang, flags) in [
            ("c", &[][..]),
            ("c", &["-std=c89", "-fPIC", "-fvisibility=hidden"][..]),
            ("c", &["-O2", "-pthread", "-fopenmp"][..]),
            ("c", &["-ffreestanding"][..]),
            ("c", &["-undef"][..]),
            ("c++", &["-std=c++17"][..]),
        ] {
            let with = |extra: &[&'static str]| -> Vec<&str> {
                let mut a: Vec<&str> = flags.to_vec();
                a.extend(["-x", lang]);
                a.extend(extra);
                a
            };
            let (printed, _) = run(&with(&["-E", "-dD", "-v", "-"]), &queries);
            let (macros, implicit) = super::predefined(&printed);
            let (dm, _) = run(&with(&["-E", "-dM", "/dev/null"]), "");
            let mut want: Vec<&str> = dm.lines().collect();
            let mut got: Vec<&str> = macros.lines().collect();
            want.sort_unstable();
            got.sort_unstable();
            assert!(want.len() > 5, "{flags:?}: -dM printed {want:?}");
            assert_eq!(got, want, "{lang} {flags:?}");
            let (rule, _) = run(&with(&["-M", "-MG", "-MT", "T", "/dev/null"]), "");
            let listed: Vec<String> = crate::headers::parse_make_rule(&rule)
                .into_iter()
                .skip(1)
                .collect();
            assert_eq!(implicit, listed, "{lang} {flags:?}");
            let answers = super::answers_in(&printed, super::LIKELY_QUERIES.len());
            let (alone, _) = run(&with(&["-E", "-P", "-"]), &queries);
            let want = super::answers_in(&alone, super::LIKELY_QUERIES.len());
            assert!(want.contains(&Some(true)), "{flags:?}: no query answered");
            assert_eq!(answers, want, "{lang} {flags:?}");
        }
        let plain = run(&["-x", "c", "-E", "-dD", "-"], "").0;
        assert!(
            !super::predefined(&plain).1.is_empty(),
            "glibc's compiler includes stdc-predef.h on its own"
        );
    }

    #[test]
    fn line_markers_are_read_with_their_escapes() {
        assert_eq!(
            super::line_marker(r#"# 1 "/usr/include/stdc-predef.h" 1 3 4"#),
            Some(("/usr/include/stdc-predef.h".to_string(), "1 3 4"))
        );
        assert_eq!(
            super::line_marker(r#"# 12 "/a \"b\"\\c\303\251.h" 2"#),
            Some(("/a \"b\"\\cé.h".to_string(), "2"))
        );
        assert_eq!(
            super::line_marker(r#"# 0 "<built-in>""#),
            Some(("<built-in>".to_string(), ""))
        );
        assert_eq!(super::line_marker("#define X 1"), None);
        assert_eq!(super::line_marker(r#"# 1 "unterminated"#), None);
    }
}
