//! Configure probes answered from the work cache.
//!
//! A configure step runs the compiler for real (`phase` configure): autoconf's compile, link
//! and preprocessor checks, CMake's try_compile and compiler identification, Meson's compiler
//! checks. Their answer is the exit status, what the compiler printed, and the file it wrote;
//! it depends on the compiler and the programs it runs, the command line, the inputs' content,
//! every header the include search read or looked for, every library the link search found or
//! looked for, and the environment the compiler reads. When all of those are as they were for a
//! stored answer, the answer is replayed instead of running the compiler.
//!
//! - The key: the real tool's path, the command line and the inputs' content, the environment
//!   (`workcache::tool_env`, and the locale, which decides the language of diagnostics), with
//!   the working directory and the scratch root written as marks: a CMake try_compile runs in a
//!   directory of a random name, and every confession has its own scratch.
//! - The checks, each a file that must still have its content, or a path where there must
//!   still be no file: the tool and the programs it runs (`cc1`, `as`, `collect2`, `ld`);
//!   every path the in-process header scanner asked about (`pp`: the headers found, and each
//!   place a header was looked for and not found, so a header installed later is seen); for a
//!   link, each place every `-l` library (and libc, libgcc) could be found on the search path,
//!   and every file the linker loaded (its map, `-Wl,-Map`).
//! - Only calls whose effects are all known are cached: one source at most (C or C++), no
//!   standard input, no unknown flag, no side outputs (depfiles, `-save-temps`, dumps,
//!   coverage notes, a linker map of the probe's own), no response file, no plugin. Any other
//!   call runs for real, as before.
//!
//! The replayed call is recorded as the real one is (`passthrough:configure-phase`): the
//! confession is the same with a cold cache and a warm one. A line per call in the session's
//! `probes.log` (`hit`, `stored`, `uncached REASON`) gives the summary its counts.

use crate::args::{self, ArgKind, Command, Lang, Stop};
use crate::ctx::{self, Ctx, Result, ShimError};
use crate::facts::{Decision, Reason};
use crate::flags::Meaning;
use crate::raw;
use crate::token::{hash_file, sha256_hex};
use crate::workcache::{self, Check, WorkCache};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The session file the calls' outcomes are appended to.
pub const LOG: &str = "probes.log";

/// Marks for the working directory, the scratch root and a CMake try_compile's target name
/// (`cmTC_` and five random hex digits) in keys and stored text.
const CWD_MARK: &str = "\u{1}CWD\u{1}";
const ROOT_MARK: &str = "\u{1}ROOT\u{1}";
const CMTC_MARK: &str = "cmTC_\u{1}";

/// Flags (by prefix) that make the compiler read or write files no check covers.
const SIDE_EFFECTS: &[&str] = &[
    "-fdump-",
    "-ftest-coverage",
    "--coverage",
    "-fprofile-",
    "-fauto-profile",
    "-fstack-usage",
    "-fcallgraph-info",
    "-gsplit-dwarf",
    "-fsave-optimization-record",
    "-fopt-info",
    "-aux-info",
    "-fcompare-debug",
    "-frecord-gcc-switches",
];

/// A probe call as the cache sees it.
struct Probe<'a> {
    ctx: &'a Ctx,
    cmd: Command,
    tool: PathBuf,
    /// Where the call writes its result; `None`: standard output (`-E` without `-o`).
    output: Option<PathBuf>,
    root: Option<String>,
    cwd: String,
    /// This call's CMake try_compile target name, if its command line has one.
    cmtc: Option<String>,
}

/// The spans of CMake try_compile target names (`cmTC_` and five hex digits) in `s`.
fn cmtc_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("cmTC_") {
        let at = from + i;
        let end = at + 10;
        if end <= b.len()
            && b[at + 5..end].iter().all(u8::is_ascii_hexdigit)
            && !b.get(end).is_some_and(u8::is_ascii_alphanumeric)
        {
            out.push((at, end));
        }
        from = at + 5;
    }
    out
}

fn replace_cmtc(s: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (a, b) in cmtc_spans(s) {
        out.push_str(&s[last..a]);
        out.push_str(with);
        last = b;
    }
    out.push_str(&s[last..]);
    out
}

/// Answers a configure-phase compiler call from the cache, or runs it and stores its answer.
/// `None`: the call is not one the cache takes; the caller runs it as before.
pub fn run(ctx: &Ctx) -> Result<Option<i32>> {
    let Some(wc) = WorkCache::from_env() else {
        return Ok(None);
    };
    let p = match Probe::of(ctx) {
        Ok(p) => p,
        Err(why) => {
            log(ctx, &format!("uncached {why} {}", ctx.args().join(" ")));
            return Ok(None);
        }
    };
    let key = p.key()?;
    if let Some(code) = p.replay(&wc, &key)? {
        log(ctx, "hit");
        return Ok(Some(code));
    }
    p.run_and_store(&wc, &key).map(Some)
}

/// Appends a line to the session's `probes.log` (the scan cache's lines too).
pub(crate) fn log(ctx: &Ctx, line: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ctx.session.dir.join(LOG))
    {
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

impl<'a> Probe<'a> {
    fn of(ctx: &'a Ctx) -> std::result::Result<Probe<'a>, String> {
        let clang = ctx.tool_name().contains("clang");
        let cmd = args::parse(ctx.args(), clang, &ctx.cwd).map_err(|e| format!("parse {e:?}"))?;
        if cmd.info || cmd.reads_stdin() || !cmd.response_files.is_empty() {
            return Err("info, stdin or response file".into());
        }
        if !cmd.unknown.is_empty() {
            return Err("unknown flag".into());
        }
        for a in &cmd.args {
            match &a.kind {
                ArgKind::Unknown => return Err("unknown flag".into()),
                ArgKind::Flag(
                    Meaning::SaveTemps
                    | Meaning::Plugin
                    | Meaning::Wrapper
                    | Meaning::Info
                    | Meaning::PreprocArg
                    | Meaning::Prefix,
                ) => return Err("side effects".into()),
                ArgKind::Flag(m) if m.names_output() && *m != Meaning::Output => {
                    return Err("depfile".into())
                }
                ArgKind::Flag(Meaning::LinkerArg | Meaning::Xlinker)
                    if a.words.iter().any(|w| {
                        w.contains("Map") || w.contains("implib") || w.contains("dependency")
                    }) =>
                {
                    return Err("linker side output".into())
                }
                _ => {}
            }
            if a.words
                .iter()
                .any(|w| SIDE_EFFECTS.iter().any(|f| w.starts_with(f)))
            {
                return Err("side effects".into());
            }
        }
        let sources: Vec<&args::Input> = cmd.sources().collect();
        if sources.len() > 1 {
            return Err("several sources".into());
        }
        if sources.iter().any(|s| {
            !matches!(
                s.lang.or_else(|| Lang::from_path(&s.path)),
                Some(Lang::C | Lang::Cxx)
            )
        }) {
            return Err("language".into());
        }
        for i in &cmd.inputs {
            let p = ctx.cwd.join(raw::path(&i.path));
            if !std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                return Err("input not a file".into());
            }
        }
        let stem = |ext: &str| {
            sources.first().and_then(|s| {
                raw::path(&s.path)
                    .file_stem()
                    .map(|n| ctx.cwd.join(Path::new(n).with_extension(ext)))
            })
        };
        let output = match (&cmd.output, cmd.stop()) {
            (_, Stop::DepsOnly) => return Err("depfile".into()),
            (Some(o), _) => Some(ctx.cwd.join(raw::path(o))),
            (None, Stop::Preprocess) => None,
            (None, Stop::Object) => Some(stem("o").ok_or("no source")?),
            (None, Stop::Assembly) => Some(stem("s").ok_or("no source")?),
            (None, Stop::Link) => Some(ctx.cwd.join("a.out")),
        };
        // Only a file is written over: never a device (`-o /dev/null`) or a directory.
        if output
            .as_ref()
            .is_some_and(|o| std::fs::symlink_metadata(o).is_ok_and(|m| !m.is_file()))
        {
            return Err("output not a file".into());
        }
        let tool = ctx.real_tool().map_err(|e| e.0)?;
        let tool = std::fs::canonicalize(&tool).unwrap_or(tool);
        let cmtc = ctx
            .args()
            .iter()
            .find_map(|w| cmtc_spans(w).first().map(|(a, b)| w[*a..*b].to_string()));
        Ok(Probe {
            ctx,
            root: ctx.session.root.clone().filter(|r| !r.is_empty()),
            cwd: ctx.cwd_text(),
            cmd,
            tool,
            output,
            cmtc,
        })
    }

    /// Text with the working directory and the scratch root as marks.
    fn norm(&self, s: &str) -> String {
        let mut t = s.replace(&self.cwd, CWD_MARK);
        if let Some(r) = &self.root {
            t = t.replace(r.as_str(), ROOT_MARK);
        }
        replace_cmtc(&t, CMTC_MARK)
    }

    fn denorm(&self, s: &str) -> String {
        let mut t = s.replace(CWD_MARK, &self.cwd);
        if let Some(r) = &self.root {
            t = t.replace(ROOT_MARK, r);
        }
        match &self.cmtc {
            Some(name) => t.replace(CMTC_MARK, name),
            None => t,
        }
    }

    fn key(&self) -> Result<String> {
        let mut text = format!(
            "confess-probe-v1\0{}\0{}\0",
            env!("CARGO_PKG_VERSION"),
            raw::text_path(&self.tool)
        );
        for w in self.ctx.args() {
            let _ = write!(text, "arg {}\0", self.norm(w));
        }
        for i in &self.cmd.inputs {
            let p = self.ctx.cwd.join(raw::path(&i.path));
            let h = hash_file(&p)
                .map_err(|e| ShimError(format!("cannot read {}: {e}", raw::text_path(&p))))?;
            let _ = write!(text, "input {} {h}\0", self.norm(&i.path));
        }
        workcache::write_env(
            &mut text,
            |k| workcache::tool_env(k) || workcache::locale_env(k),
            |v| self.norm(v),
        );
        Ok(sha256_hex(text.as_bytes()))
    }

    /// The stored answer, replayed, when every check holds.
    fn replay(&self, wc: &WorkCache, key: &str) -> Result<Option<i32>> {
        let Some((dir, meta)) = wc.get(key) else {
            return Ok(None);
        };
        // An exit status is an i32; another number is a damaged entry.
        let Some(code) = meta["exit"].as_i64().and_then(|c| i32::try_from(c).ok()) else {
            return Ok(None);
        };
        let checks: Option<Vec<Check>> = meta["checks"].as_array().and_then(|cs| {
            cs.iter()
                .map(|c| {
                    let mut c = c.clone();
                    if let Some(p) = c["path"].as_str() {
                        c["path"] = self.denorm(p).into();
                    }
                    Check::from_json(&c)
                })
                .collect()
        });
        let Some(checks) = checks else {
            return Ok(None);
        };
        let holds = checks.iter().all(Check::holds)
            && meta["absent"].as_array().is_some_and(|ps| {
                ps.iter().all(|p| {
                    p.as_str()
                        .is_some_and(|p| !Path::new(&self.denorm(p)).is_file())
                })
            });
        if !holds {
            return Ok(None);
        }
        let read = |name: &str| std::fs::read(dir.join(name)).ok();
        let (Some(stdout), Some(stderr)) = (read("stdout"), read("stderr")) else {
            return Ok(None);
        };
        let produced = meta["output"].as_bool().unwrap_or(false);
        let output = if produced {
            match read("output") {
                Some(b) => Some(b),
                None => return Ok(None),
            }
        } else {
            None
        };
        if let Some(out) = &self.output {
            match &output {
                Some(bytes) => {
                    ctx::write_atomic(out, bytes)?;
                    if meta["executable"].as_bool().unwrap_or(false) {
                        ctx::set_executable(out)?;
                    }
                }
                // The compiler removes the output of a call that fails.
                None => {
                    let _ = std::fs::remove_file(out);
                }
            }
        }
        wc.touch(&dir);
        workcache::replay_opens(&self.ctx.session.dir, &checks);
        emit(
            &raw::bytes(&self.denorm(&raw::text(&stdout))),
            &raw::bytes(&self.denorm(&raw::text(&stderr))),
        );
        self.record(code)?;
        Ok(Some(code))
    }

    fn record(&self, code: i32) -> Result<()> {
        let mut ev = self
            .ctx
            .event(Decision::Passthrough(Reason::ConfigurePhase));
        ev.real_tool = Some(raw::text_path(&self.tool).into_owned());
        ev.exit_status = code;
        self.ctx.record(ev)
    }

    /// Runs the call for real (with a linker map of confess's own when it links), gives its
    /// output, records it, and stores the answer with its checks.
    fn run_and_store(&self, wc: &WorkCache, key: &str) -> Result<i32> {
        let links = self.cmd.stop() == Stop::Link;
        let map = links.then(|| {
            self.ctx.session.cache().join(format!(
                "probe-{}-{}.map",
                std::process::id(),
                ctx::now_ns()
            ))
        });
        let mut c = self.ctx.real_command(&self.tool);
        c.args(self.ctx.args().iter().map(|a| raw::os(a)));
        if let Some(m) = &map {
            c.arg(format!("-Wl,-Map={}", raw::text_path(m)));
        }
        let out = c
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| ShimError(format!("cannot run {}: {e}", raw::text_path(&self.tool))))?;
        emit(&out.stdout, &out.stderr);
        let code = ctx::exit_code(out.status);
        self.record(code)?;
        let loaded = map
            .as_ref()
            .map(|m| {
                let text = std::fs::read(m).unwrap_or_default();
                let _ = std::fs::remove_file(m);
                map_loads(&raw::text(&text))
            })
            .unwrap_or_default();
        match self.checks(links, loaded) {
            Some((checks, absent)) => {
                let stored = self.store(wc, key, code, &out.stdout, &out.stderr, &checks, &absent);
                let what = if stored.is_ok() {
                    "stored"
                } else {
                    "uncached store failed"
                };
                log(self.ctx, &format!("{what} {}", self.ctx.args().join(" ")));
            }
            None => log(
                self.ctx,
                &format!("uncached scan {}", self.ctx.args().join(" ")),
            ),
        }
        Ok(code)
    }

    /// The files the answer depends on, and the paths where there must be no file; `None`
    /// when they cannot all be known (the header scanner fell back).
    fn checks(&self, links: bool, loaded: Vec<PathBuf>) -> Option<(Vec<Check>, Vec<String>)> {
        let memo = self.ctx.session.cache();
        // The tool (run), and confess's own shim (which decides what a call depends on).
        // Each file with how the real tools open it: run, or read by a program.
        let mut files: Vec<(PathBuf, bool, Option<String>)> = vec![(self.tool.clone(), true, None)];
        files.extend(
            self.ctx
                .shim_exe()
                .ok()
                .map(|p| (p.to_path_buf(), false, None)),
        );
        let mut absent: Vec<PathBuf> = Vec::new();
        let cxx = self.ctx.role == crate::role::Role::Cxx
            || self
                .cmd
                .sources()
                .any(|s| s.lang.or_else(|| Lang::from_path(&s.path)) == Some(Lang::Cxx));
        let proper = if cxx { "cc1plus" } else { "cc1" };
        let mut progs = Vec::new();
        if self.cmd.sources().next().is_some() {
            progs.extend([proper, "as"]);
        }
        if links {
            progs.extend(["collect2", "ld"]);
        }
        let run = workcache::driver_programs(&self.tool, &progs, &self.ctx.cwd, Some(&memo));
        let named = |name: &str| {
            run.iter()
                .find(|p| p.file_name().is_some_and(|n| n == name))
                .and_then(|p| workcache::program_name(p))
        };
        // Headers are read by the compiler proper (clang: the driver itself), libraries by
        // the linker.
        let compiler = named(proper).or_else(|| workcache::program_name(&self.tool));
        let linker = named("ld");
        files.extend(run.iter().map(|p| (p.clone(), true, None)));
        if let Some(src) = self.cmd.sources().next() {
            let lang = src
                .lang
                .or_else(|| Lang::from_path(&src.path))
                .unwrap_or(Lang::C);
            let (_, probed) =
                crate::ppscan::scan_probed(self.ctx, &self.cmd, src, &self.tool, lang, true)
                    .ok()?;
            for (p, found) in probed {
                if found.is_some() {
                    files.push((p, false, compiler.clone()));
                } else {
                    absent.push(p);
                }
            }
        }
        if links {
            let (found, missing) = self.library_candidates();
            absent.extend(missing);
            for p in found.into_iter().chain(loaded) {
                files.push((p, false, linker.clone()));
            }
        }
        let mut checks: Vec<Check> = Vec::new();
        for (f, exec, program) in files {
            // As the watch names it.
            let f = std::fs::canonicalize(&f).unwrap_or(f);
            if checks.iter().any(|c| c.path == f) {
                continue;
            }
            let mut c = Check::of(&f, Some(&memo))?.opened(exec, program);
            c.path = PathBuf::from(self.norm(&raw::text_path(&f)));
            checks.push(c);
        }
        let mut absent: Vec<String> = absent
            .iter()
            .map(|p| self.norm(&raw::text_path(p)))
            .collect();
        absent.sort();
        absent.dedup();
        Some((checks, absent))
    }

    /// Every place a `-l` library of the call (and libc, libgcc, which the driver adds) could be
    /// found on the link's search path: the `-L` directories, then the compiler's own. Found
    /// files, and paths where there is none.
    fn library_candidates(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut dirs: Vec<PathBuf> = self
            .cmd
            .values(Meaning::LibPath)
            .map(|d| self.ctx.cwd.join(raw::path(d)))
            .collect();
        let target: Vec<String> = self
            .cmd
            .args
            .iter()
            .filter(|a| {
                matches!(
                    a.kind,
                    ArgKind::Flag(Meaning::Machine | Meaning::Sysroot | Meaning::Target)
                )
            })
            .flat_map(|a| a.words.iter().cloned())
            .collect();
        dirs.extend(search_dirs(&self.ctx.session.cache(), &self.tool, &target));
        let mut names: Vec<String> = self.cmd.values(Meaning::Lib).map(str::to_string).collect();
        names.extend(["c", "gcc", "gcc_s", "m"].map(String::from));
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for n in &names {
            let files: Vec<String> = match n.strip_prefix(':') {
                Some(exact) => vec![exact.to_string()],
                None => vec![format!("lib{n}.so"), format!("lib{n}.a")],
            };
            for d in &dirs {
                for f in &files {
                    let p = d.join(f);
                    if p.is_file() {
                        found.push(p);
                    } else {
                        missing.push(p);
                    }
                }
            }
        }
        (found, missing)
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        wc: &WorkCache,
        key: &str,
        code: i32,
        stdout: &[u8],
        stderr: &[u8],
        checks: &[Check],
        absent: &[String],
    ) -> std::io::Result<()> {
        let output = match &self.output {
            Some(p) if code == 0 => Some(std::fs::read(p)?),
            Some(p) if p.is_file() => Some(std::fs::read(p)?),
            _ => None,
        };
        let executable = self.output.as_ref().is_some_and(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
        });
        let stdout = self.norm(&raw::text(stdout));
        let stderr = self.norm(&raw::text(stderr));
        wc.put(key, |dir| {
            std::fs::write(dir.join("stdout"), raw::bytes(&stdout))?;
            std::fs::write(dir.join("stderr"), raw::bytes(&stderr))?;
            let mut bytes = (stdout.len() + stderr.len()) as u64;
            if let Some(o) = &output {
                std::fs::write(dir.join("output"), o)?;
                bytes += o.len() as u64;
            }
            Ok(json!({
                "probe": true,
                "exit": code,
                "output": output.is_some(),
                "executable": executable,
                "checks": checks
                    .iter()
                    .map(|c| {
                        let mut v = c.to_json();
                        v["path"] = raw::text_path(&c.path).into();
                        v
                    })
                    .collect::<Vec<Value>>(),
                "absent": absent,
                "bytes": bytes,
            }))
        })
    }
}

/// Writes what the compiler printed.
fn emit(stdout: &[u8], stderr: &[u8]) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(stdout);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(stderr);
}

/// The compiler's library search directories (`-print-search-dirs`), asked once per session.
/// `flags` are the call's words that choose the target (`-m32`, `--sysroot`, `--target`):
/// they choose the directories too.
fn search_dirs(memo: &Path, tool: &Path, flags: &[String]) -> Vec<PathBuf> {
    let mut key = tool.as_os_str().as_encoded_bytes().to_vec();
    for f in flags {
        key.push(0);
        key.extend(f.as_bytes());
    }
    let file = memo.join(format!("search-dirs-{}", &sha256_hex(&key)[..20]));
    let text = if let Ok(t) = std::fs::read_to_string(&file) {
        t
    } else {
        let Ok(o) = std::process::Command::new(tool)
            .args(flags.iter().map(|f| raw::os(f)))
            .arg("-print-search-dirs")
            .env(crate::session::ENV_DEPTH, (ctx::depth() + 1).to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        else {
            return Vec::new();
        };
        let t = String::from_utf8_lossy(&o.stdout).into_owned();
        let _ = ctx::write_atomic(&file, t.as_bytes());
        t
    };
    text.lines()
        .find_map(|l| l.strip_prefix("libraries: ="))
        .map(|l| {
            l.split(':')
                .filter(|d| !d.is_empty())
                .map(|d| crate::headers::lexical(Path::new(d)))
                .collect()
        })
        .unwrap_or_default()
}

/// The files a linker map says were loaded (`LOAD path` lines).
fn map_loads(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|l| l.strip_prefix("LOAD "))
        .map(|p| PathBuf::from(p.trim()))
        .filter(|p| p.is_absolute() && p.is_file())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{map_loads, Probe};
    use crate::ctx::Ctx;
    use crate::role::Role;
    use crate::session::{Phase, Session};

    /// Which calls the cache takes: one whose every effect it knows.
    #[test]
    fn only_calls_with_known_effects_are_taken() {
        let t = tempfile::tempdir().expect("tmp");
        std::fs::write(t.path().join("conftest.c"), "int x;\n").expect("write");
        std::fs::write(t.path().join("b.c"), "int y;\n").expect("write");
        let ctx = |args: &[&str]| Ctx {
            session: Session {
                dir: t.path().join("session"),
                phase: Phase::Configure,
                shim_dir: None,
                root: None,
                driver_pid: None,
                top_pid: None,
            },
            role: Role::Cc,
            argv: std::iter::once("gcc")
                .chain(args.iter().copied())
                .map(String::from)
                .collect(),
            cwd: t.path().to_path_buf(),
            start_ns: 0,
            exe: std::cell::OnceCell::default(),
        };
        let taken = |args: &[&str]| Probe::of(&ctx(args)).map(|p| p.output);
        assert_eq!(
            taken(&["-c", "conftest.c"]).expect("a compile"),
            Some(t.path().join("conftest.o"))
        );
        assert_eq!(taken(&["-E", "conftest.c"]).expect("a preprocess"), None);
        assert_eq!(
            taken(&["-o", "conftest", "conftest.c", "-lm"]).expect("a link"),
            Some(t.path().join("conftest"))
        );
        for refused in [
            &["-c", "conftest.c", "-o", "/dev/null"][..],
            &["-c", "conftest.c", "-MD", "-MF", "c.d"],
            &["-c", "conftest.c", "b.c"],
            &["-E", "-"],
            &["-c", "missing.c"],
            &["-c", "conftest.c", "-save-temps"],
            &["-c", "conftest.c", "-fdump-tree-all"],
            &["-c", "conftest.c", "--coverage"],
            &["-o", "c", "conftest.c", "-Wl,-Map=c.map"],
            &["--version"],
            &["@args.rsp"],
        ] {
            assert!(taken(refused).is_err(), "{refused:?} was taken");
        }
    }

    #[test]
    fn try_compile_names_are_marked() {
        assert_eq!(
            super::replace_cmtc(
                "CMakeFiles/cmTC_1a2b3.dir/src.c.o cmTC_zzzzz cmTC_1a2b34",
                "X"
            ),
            "CMakeFiles/X.dir/src.c.o cmTC_zzzzz cmTC_1a2b34"
        );
    }

    #[test]
    fn a_map_names_what_was_loaded() {
        let t = tempfile::tempdir().expect("tmp");
        let crt = t.path().join("crt1.o");
        std::fs::write(&crt, b"x").expect("write");
        let map = format!(
            "Archive member included\nLOAD {}\nLOAD /nonexistent/libz.so\nLOAD linker stubs\n",
            crt.display()
        );
        assert_eq!(map_loads(&map), vec![crt]);
    }
}
