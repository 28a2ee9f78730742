//! Realization: building a token's recorded closure for real, when the build runs a program it
//! built (a code generator, a test, a libtool wrapper's target) or inspects an artifact (nm on an
//! object for libtool's export list).
//!
//! Each node is built once into `realized/<id>/` of the session, under a lock per id; inputs are
//! built in parallel. The action is the recorded one with its own `-o`, depfile flags dropped,
//! token inputs swapped for realized paths, and `-l` libraries the project builds put first on
//! the search path. Compiler chatter goes to a log beside the result.

use crate::args::{self, ArgKind, Lang};
use crate::ctx::{self, err, Result, ShimError};
use crate::flags::Meaning;
use crate::raw;
use crate::session::Session;
use crate::token::{Edge, Kind, Token};
use crate::workcache::{Check, WorkCache};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The build's parallel jobs, which realization keeps to (set by confess).
pub const ENV_JOBS: &str = "CONFESS_JOBS";

/// How many realizations run at once: the build's jobs, else the machine's processors.
fn jobs() -> usize {
    std::env::var(ENV_JOBS)
        .ok()
        .and_then(|j| j.parse().ok())
        .filter(|&j: &usize| j > 0)
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(std::num::NonZero::get)
        })
        .unwrap_or(1)
}

/// Beside a realized node: the seconds its real tool took (text).
pub const SECS_FILE: &str = ".secs";

/// The role of archive members that are real files rather than tokens.
pub const OPAQUE_ROLE: &str = "file";

/// What realization needs to know about where it runs.
pub struct Realizer {
    pub session: Session,
    pub shim_exe: PathBuf,
    /// The session's token store, read when a node is first looked up. Inputs are written
    /// before the nodes that read them, so what a realization needs is in the store already.
    tokens: OnceLock<std::result::Result<crate::store::Lookup, String>>,
    /// The path map compiles are realized with (`workcache::ENV_FILE_MAP`): debug information
    /// and `__FILE__` name the user's tree, not the scratch, so a realization is the same in
    /// every confession.
    file_map: Vec<(String, String)>,
}

/// A realized node: the real artifact, and the directories of shared libraries it needs at run
/// time (for LD_LIBRARY_PATH, since rpaths point into token directories).
#[derive(Clone, Debug)]
pub struct Realized {
    pub path: PathBuf,
    pub lib_dirs: BTreeSet<PathBuf>,
}

impl Realizer {
    /// Realization in `session`, the one the shim runs in (from its environment): what is
    /// realized, and where it is written, is decided by the session, never by a token's text.
    #[must_use]
    pub fn new(session: Session, shim_exe: PathBuf) -> Realizer {
        Realizer {
            session,
            shim_exe,
            tokens: OnceLock::new(),
            file_map: crate::workcache::file_map(),
        }
    }

    fn load(&self, id: &str) -> Result<Token> {
        let store = self.session.tokens();
        let tokens = self
            .tokens
            .get_or_init(|| crate::store::Lookup::open(&store).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| {
                ShimError(format!(
                    "cannot read the session's token store {}: {e}; was the confession's \
                     session directory removed?",
                    raw::text_path(&store)
                ))
            })?;
        tokens
            .get(id)
            .map_err(|e| ShimError(format!("{}: {e}", raw::text_path(&store))))?
            .ok_or_else(|| {
                ShimError(format!(
                    "token {id} is not in the session's token store {}",
                    raw::text_path(&store)
                ))
            })
    }

    /// Builds `tok` for real (once per id, under a lock) and returns the artifact.
    pub fn realize(&self, tok: &Token) -> Result<Realized> {
        // The id names the directory: a token's id is 64 hex digits (checked when the token
        // was read), never a path.
        if !crate::ctx::plain_name(&tok.id) {
            return err(format!("token id {} is not a name", tok.id));
        }
        let dir = self.session.realized().join(&tok.id);
        std::fs::create_dir_all(self.session.realized())
            .map_err(|e| ShimError(format!("cannot create realization cache: {e}")))?;
        let lock_path = self.session.realized().join(format!("{}.lock", tok.id));
        let lock = File::create(&lock_path)
            .map_err(|e| ShimError(format!("cannot create {}: {e}", raw::text_path(&lock_path))))?;
        lock.lock()
            .map_err(|e| ShimError(format!("cannot lock {}: {e}", raw::text_path(&lock_path))))?;
        let done = dir.join(".done");
        if let Ok(text) = std::fs::read_to_string(&done) {
            return Ok(decode_done(&text));
        }
        let fresh = || {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| ShimError(format!("cannot create {}: {e}", dir.display())))
        };
        fresh()?;
        let cached = self.cache_key(tok);
        if let Some((wc, key, _)) = &cached {
            if let Some(r) = self.restore(wc, key, tok, &dir)? {
                let _ = std::fs::write(dir.join(crate::workcache::CACHED_MARK), b"");
                ctx::write_atomic(&done, encode_done(&r).as_bytes())?;
                return Ok(r);
            }
            fresh()?;
        }
        let r = match tok.kind() {
            _ if tok.role == OPAQUE_ROLE => Self::opaque(tok, &dir)?,
            _ if crate::asm::Assembler::of_role(&tok.role).is_some() => self.assemble(tok, &dir)?,
            Kind::Object | Kind::Assembly | Kind::PrecompiledHeader => self.compile(tok, &dir)?,
            Kind::Archive => self.archive(tok, &dir)?,
            Kind::Executable | Kind::SharedLibrary | Kind::Relocatable => self.link(tok, &dir)?,
        };
        if let Some((wc, key, tool)) = &cached {
            // A cache that cannot be written costs the next confession this realization.
            let _ = self.store(wc, key, tok, tool, &dir, &r);
        }
        ctx::write_atomic(&done, encode_done(&r).as_bytes())?;
        Ok(r)
    }

    /// The work cache's key for `tok` and the real tool that realizes it; `None` without a
    /// cache, and for what is not worth keeping or cannot be kept exactly: a file the build put
    /// into an archive (a copy), and an assembler's object (its debug information names the
    /// scratch, and `as` takes no path map).
    fn cache_key(&self, tok: &Token) -> Option<(WorkCache, String, PathBuf)> {
        let wc = WorkCache::from_env()?;
        if tok.role == OPAQUE_ROLE || crate::asm::Assembler::of_role(&tok.role).is_some() {
            return None;
        }
        let tool = match tok.kind() {
            Kind::Archive => self.real("ar", &self.session.dir).ok()?,
            _ => self.real(tok.argv.first()?, &raw::path(&tok.cwd)).ok()?,
        };
        let tool = std::fs::canonicalize(&tool).unwrap_or(tool);
        let key = WorkCache::key(&tok.id, &tool, &self.session, &self.file_map);
        Some((wc, key, tool))
    }

    /// A realization from the work cache, in `dir`: the realized nodes its library directories
    /// name are realized first (from the cache or anew). `None` when there is no entry, it is
    /// stale, or it went away while it was copied.
    fn restore(
        &self,
        wc: &WorkCache,
        key: &str,
        tok: &Token,
        dir: &Path,
    ) -> Result<Option<Realized>> {
        let Some(entry) = wc.lookup(key).filter(|e| e.id == tok.id) else {
            return Ok(None);
        };
        let mut lib_dirs = BTreeSet::new();
        for (id, rel) in &entry.lib_dirs {
            if id == &tok.id {
                lib_dirs.insert(dir.join(rel));
                continue;
            }
            if !crate::ctx::plain_name(id) {
                return Ok(None);
            }
            let Ok(dep) = self.load(id) else {
                return Ok(None);
            };
            self.realize(&dep)?;
            lib_dirs.insert(self.session.realized().join(id).join(rel));
        }
        if !wc.copy_out(&entry, dir) {
            return Ok(None);
        }
        crate::workcache::replay_opens(&self.session.dir, &entry.checks);
        Ok(Some(Realized {
            path: dir.join(&entry.artifact),
            lib_dirs,
        }))
    }

    /// Keeps a realization in the work cache, with the machine's files it was made with: the
    /// tool, the programs a compiler driver runs, and what a linker's trace names.
    fn store(
        &self,
        wc: &WorkCache,
        key: &str,
        tok: &Token,
        tool: &Path,
        dir: &Path,
        r: &Realized,
    ) -> Result<()> {
        let artifact = r
            .path
            .strip_prefix(dir)
            .map_err(|_| ShimError("realized outside its directory".into()))?;
        let lib_dirs = cached_lib_dirs(&self.session.realized(), &r.lib_dirs)?;
        let Some(checks) = self.checks(self.used_files(tok, tool, dir)) else {
            // A file that cannot be checked: the entry could not be trusted.
            return Ok(());
        };
        wc.store(key, &tok.id, dir, artifact, &lib_dirs, &checks)
            .map_err(|e| ShimError(format!("work cache {}: {e}", raw::text_path(&wc.root))))
    }

    /// The machine's files a realization of `tok` by `tool` in `dir` was made with. The tool
    /// (run), and confess's own shim (how a node is realized is decided there).
    fn used_files(&self, tok: &Token, tool: &Path, dir: &Path) -> Vec<Used> {
        let mut files: Vec<Used> = vec![
            (tool.to_path_buf(), true, None),
            (self.shim_exe.clone(), false, None),
        ];
        let is_link = matches!(
            tok.kind(),
            Kind::Executable | Kind::SharedLibrary | Kind::Relocatable
        );
        let mut linker = (tok.role == "ld").then(|| tool.to_path_buf());
        if tok.kind() != Kind::Archive && tok.role != "ld" {
            let (run, driver_linker) = self.driver_programs(tok, tool, is_link);
            if is_link {
                linker = driver_linker;
            }
            files.extend(run.into_iter().map(|p| (p, true, None)));
        }
        if is_link {
            let log = std::fs::read(dir.join("log")).unwrap_or_default();
            let reader = linker.as_deref().and_then(crate::workcache::program_name);
            files.extend(
                crate::workcache::traced_files(&raw::text(&log))
                    .into_iter()
                    .map(|p| (p, false, reader.clone())),
            );
        }
        files
    }

    /// The programs the driver `tool` runs for `tok`: the compiler proper and the assembler,
    /// the linker, LTO's; and, for a link (`is_link`), which of them is the linker.
    fn driver_programs(
        &self,
        tok: &Token,
        tool: &Path,
        is_link: bool,
    ) -> (Vec<PathBuf>, Option<PathBuf>) {
        let cxx = tok.role == "c++"
            || tok.action.iter().any(|a| a == "lang=c++")
            || tok.inputs.iter().any(|i| {
                i.edge == Edge::Source
                    && matches!(Lang::from_path(&i.path), Some(Lang::Cxx | Lang::CxxHeader))
            });
        let mut progs = vec![if cxx { "cc1plus" } else { "cc1" }, "as"];
        if is_link {
            progs.extend(["collect2", "ld"]);
        }
        if tok.argv.iter().any(|a| a.starts_with("-flto")) {
            progs.extend(["lto-wrapper", "lto1"]);
        }
        let memo = self.session.cache();
        let run =
            crate::workcache::driver_programs(tool, &progs, &raw::path(&tok.cwd), Some(&memo));
        // The linker is among the programs asked for; only a driver that names it otherwise
        // costs a second (memoized) question.
        let linker = if is_link {
            run.iter()
                .find(|p| p.file_name().is_some_and(|n| n == "ld"))
                .cloned()
                .or_else(|| {
                    crate::workcache::driver_programs(
                        tool,
                        &["ld"],
                        &raw::path(&tok.cwd),
                        Some(&memo),
                    )
                    .into_iter()
                    .next()
                })
        } else {
            None
        };
        (run, linker)
    }

    /// The work cache's checks of the files a realization was made with, leaving out those of
    /// the session and of the scratch; `None` when a file cannot be checked.
    fn checks(&self, files: Vec<Used>) -> Option<Vec<Check>> {
        let root = self.session.root.as_deref().map(raw::path);
        let mut checks: Vec<Check> = Vec::new();
        for (f, exec, program) in files {
            let f = std::fs::canonicalize(&f).unwrap_or(f);
            if f.starts_with(&self.session.dir)
                || root.as_deref().is_some_and(|r| f.starts_with(r))
                || checks.iter().any(|c| c.path == f)
            {
                continue;
            }
            checks.push(Check::of(&f, Some(&self.session.cache()))?.opened(exec, program));
        }
        Some(checks)
    }

    /// Realizes several tokens at once, as many at a time as the build's jobs
    /// ([`ENV_JOBS`]), keeping their order.
    pub fn realize_all(&self, toks: &[Token]) -> Result<Vec<Realized>> {
        let jobs = jobs().min(toks.len()).max(1);
        if jobs == 1 {
            return toks.iter().map(|t| self.realize(t)).collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Vec<std::sync::Mutex<Option<Result<Realized>>>> =
            toks.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..jobs)
                .map(|_| {
                    s.spawn(|| loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(t) = toks.get(i) else { break };
                        let r = self.realize(t);
                        if let Ok(mut slot) = done[i].lock() {
                            *slot = Some(r);
                        }
                    })
                })
                .collect();
            // Joined here: a worker that panicked leaves its slot empty (an error below).
            for w in workers {
                let _ = w.join();
            }
        });
        done.into_iter()
            .map(|m| {
                m.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| err("realization thread panicked"))
            })
            .collect()
    }

    fn real(&self, argv0: &str, cwd: &Path) -> Result<PathBuf> {
        // argv0 is text: its file name is text too.
        let name = Path::new(argv0)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(argv0);
        ctx::real_tool_named(&self.session, name, &|| Ok(self.shim_exe.clone()), cwd)
    }

    /// A real file the build put into an archive: it is its own realization.
    fn opaque(tok: &Token, dir: &Path) -> Result<Realized> {
        let file = tok
            .inputs
            .iter()
            .find(|i| i.edge == Edge::File)
            .ok_or_else(|| ShimError(format!("token {} names no file", tok.id)))?;
        let src = raw::path(&file.path);
        let base = src.file_name().map(PathBuf::from).unwrap_or_default();
        let dst = dir.join(base);
        std::fs::copy(&src, &dst)
            .map_err(|e| ShimError(format!("cannot copy {}: {e}", file.path)))?;
        Ok(Realized {
            path: dst,
            lib_dirs: BTreeSet::new(),
        })
    }

    fn compile(&self, tok: &Token, dir: &Path) -> Result<Realized> {
        let cwd = raw::path(&tok.cwd).into_owned();
        let (argv0, rest) = tok
            .argv
            .split_first()
            .ok_or_else(|| ShimError(format!("token {} has no recorded command", tok.id)))?;
        let src = tok
            .inputs
            .iter()
            .find(|i| matches!(i.edge, Edge::Source | Edge::Token))
            .ok_or_else(|| ShimError(format!("token {} has no source", tok.id)))?;
        let src_path = if src.edge == Edge::Token {
            self.realize(&self.load(src.content.as_str())?)?.path
        } else {
            raw::path(&src.path).into_owned()
        };
        let lang = tok
            .action
            .iter()
            .find_map(|a| a.strip_prefix("lang="))
            .and_then(Lang::from_x);
        let (stop, ext) = match tok.kind() {
            Kind::Assembly => ("-S", "s"),
            Kind::PrecompiledHeader => ("-c", "gch"),
            _ => ("-c", "o"),
        };
        let out = dir.join(output_name(tok, &format!("out.{ext}")));
        let cmd = args::parse(rest, argv0.contains("clang"), &cwd)
            .map_err(|e| ShimError(format!("token {}: recorded command: {e:?}", tok.id)))?;
        let mut words: Vec<String> = Vec::new();
        for a in &cmd.args {
            match &a.kind {
                ArgKind::Input => {}
                ArgKind::Flag(m) if drop_for_realize(*m) => {}
                ArgKind::Flag(Meaning::PreprocArg)
                    if a.value.as_deref().is_some_and(crate::flags::is_wp_depfile) => {}
                _ => words.extend(a.words.iter().cloned()),
            }
        }
        words.push(stop.to_string());
        for (from, to) in &self.file_map {
            words.push(format!("-ffile-prefix-map={from}={to}"));
        }
        if let Some(l) = lang {
            words.extend(["-x".to_string(), l.as_str().to_string()]);
        }
        words.push(raw::text_path(&src_path).into_owned());
        words.extend(["-o".to_string(), raw::text_path(&out).into_owned()]);
        run_logged(&self.real(argv0, &cwd)?, &words, &cwd, dir, &tok.id)?;
        Ok(Realized {
            path: out,
            lib_dirs: BTreeSet::new(),
        })
    }

    /// An assembler's object: the recorded command again, in its working directory, with its
    /// own `-o`, no depfile or listing, and sources that are tokens (`gcc -S` output) realized.
    fn assemble(&self, tok: &Token, dir: &Path) -> Result<Realized> {
        let cwd = raw::path(&tok.cwd).into_owned();
        let (argv0, rest) = tok
            .argv
            .split_first()
            .ok_or_else(|| ShimError(format!("token {} has no recorded command", tok.id)))?;
        let tool = crate::asm::Assembler::of_role(&tok.role)
            .ok_or_else(|| ShimError(format!("token {} is not an assembler's", tok.id)))?;
        let cmd = crate::asm::parse(tool, rest)
            .map_err(|e| ShimError(format!("token {}: recorded command: {e}", tok.id)))?;
        let mut words: Vec<String> = Vec::new();
        for a in &cmd.args {
            match &a.opt {
                crate::asm::Opt::Output(_)
                | crate::asm::Opt::Depend(_)
                | crate::asm::Opt::SideOutput => {}
                crate::asm::Opt::Input => {
                    let w = a.words.last().cloned().unwrap_or_default();
                    let abs = raw::text_path(&cwd.join(raw::path(&w))).into_owned();
                    match tok
                        .inputs
                        .iter()
                        .find(|i| i.edge == Edge::Token && *i.path == *abs)
                    {
                        Some(i) => {
                            let r = self.realize(&self.load(i.content.as_str())?)?;
                            words.push(raw::text_path(&r.path).into_owned());
                        }
                        None => words.push(w),
                    }
                }
                _ => words.extend(a.words.iter().cloned()),
            }
        }
        let out = dir.join(output_name(tok, "out.o"));
        words.extend(["-o".to_string(), raw::text_path(&out).into_owned()]);
        run_logged(&self.real(argv0, &cwd)?, &words, &cwd, dir, &tok.id)?;
        Ok(Realized {
            path: out,
            lib_dirs: BTreeSet::new(),
        })
    }

    fn archive(&self, tok: &Token, dir: &Path) -> Result<Realized> {
        let members: Vec<Token> = tok.members.iter().map(|(_, m)| (**m).clone()).collect();
        let built = self.realize_all(&members)?;
        let mut words = vec!["rcs".to_string()];
        let out = dir.join(output_name(tok, "lib.a"));
        words.push(raw::text_path(&out).into_owned());
        for (i, ((name, _), r)) in tok.members.iter().zip(&built).enumerate() {
            // Keep the member's own name inside the archive, as `ar t` would show it.
            let mdir = dir.join("m").join(i.to_string());
            std::fs::create_dir_all(&mdir)
                .map_err(|e| ShimError(format!("cannot create {}: {e}", raw::text_path(&mdir))))?;
            let mname = raw::path(name)
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_default();
            let dst = mdir.join(mname);
            std::fs::copy(&r.path, &dst)
                .map_err(|e| ShimError(format!("cannot copy {}: {e}", raw::text_path(&r.path))))?;
            words.push(raw::text_path(&dst).into_owned());
        }
        let ar = self.real("ar", dir)?;
        run_logged(&ar, &words, dir, dir, &tok.id)?;
        let lib_dirs = built.into_iter().flat_map(|r| r.lib_dirs).collect();
        Ok(Realized {
            path: out,
            lib_dirs,
        })
    }

    fn link(&self, tok: &Token, dir: &Path) -> Result<Realized> {
        let cwd = raw::path(&tok.cwd).into_owned();
        let (argv0, rest) = tok
            .argv
            .split_first()
            .ok_or_else(|| ShimError(format!("token {} has no recorded command", tok.id)))?;
        // Realize every token input and embedded member in parallel.
        let built = self.realize_all(&self.link_inputs(tok)?)?;
        let libs_dir = dir.join("libs");
        std::fs::create_dir_all(&libs_dir)
            .map_err(|e| ShimError(format!("cannot create {}: {e}", raw::text_path(&libs_dir))))?;
        let PlacedInputs {
            mut lib_dirs,
            by_path,
        } = place_link_inputs(tok, &built, &libs_dir)?;
        let base = output_name(tok, "a.out");
        let out = dir.join(&base);
        let realized_of = |w: &str| realized_input(&by_path, &cwd, w);
        let mut words: Vec<String> = vec!["-L".to_string(), raw::text_path(&libs_dir).into_owned()];
        // The linker names every file it opens (for the work cache's checks); sources a
        // compile-and-link compiles get the path map.
        if tok.role == "ld" {
            words.extend(ld_words(rest, &realized_of));
            words.push("-t".to_string());
        } else {
            let cmd = args::parse(rest, argv0.contains("clang"), &cwd)
                .map_err(|e| ShimError(format!("token {}: recorded command: {e:?}", tok.id)))?;
            words.extend(driver_link_words(&cmd, &realized_of));
            words.push("-Wl,-t".to_string());
            for (from, to) in &self.file_map {
                words.push(format!("-ffile-prefix-map={from}={to}"));
            }
        }
        words.extend(["-o".to_string(), raw::text_path(&out).into_owned()]);
        run_logged(&self.real(argv0, &cwd)?, &words, &cwd, dir, &tok.id)?;
        // The soname is a file name (checked when the token was read): the link stays in `dir`.
        if let Some(so) = tok
            .soname
            .as_deref()
            .filter(|so| crate::ctx::plain_name(so))
        {
            let so = raw::path(so);
            if so.as_ref() != base.as_path() {
                let _ = symlink(&base, &dir.join(so));
            }
        }
        if tok.kind() == Kind::SharedLibrary {
            lib_dirs.insert(dir.to_path_buf());
        }
        Ok(Realized {
            path: out,
            lib_dirs,
        })
    }

    /// What a link reads that is to be realized first: its token inputs and libraries, and the
    /// members it embeds, in input order.
    fn link_inputs(&self, tok: &Token) -> Result<Vec<Token>> {
        let mut needed: Vec<Token> = Vec::new();
        for i in &tok.inputs {
            match i.edge {
                Edge::Token | Edge::Lib => needed.push(self.load(i.content.as_str())?),
                Edge::Member => {
                    if let Some((_, m)) = tok.members.iter().find(|(n, _)| **n == *i.path) {
                        needed.push((**m).clone());
                    }
                }
                _ => {}
            }
        }
        Ok(needed)
    }
}

/// A file a realization was made with: its path, whether it was run (else read), and the
/// program that read it.
type Used = (PathBuf, bool, Option<String>);

/// A realization's library directories as the work cache keeps them: the id of the realized
/// node each lies in, and the directory below it.
fn cached_lib_dirs(
    realized: &Path,
    lib_dirs: &BTreeSet<PathBuf>,
) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for d in lib_dirs {
        let rel = d
            .strip_prefix(realized)
            .map_err(|_| ShimError("a library directory outside the session".into()))?;
        let mut parts = rel.components();
        let id = parts
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((id, parts.as_path().to_path_buf()));
    }
    Ok(out)
}

/// A link's realized inputs as the link finds them.
struct PlacedInputs {
    /// The library directories the result needs at run time.
    lib_dirs: BTreeSet<PathBuf>,
    /// Each input other than a library, by its recorded path, with its realized one.
    by_path: Vec<(String, PathBuf)>,
}

/// Puts a link's realized inputs (`built`, in the order of its token, library and member
/// inputs) where the link finds them: a library `-lname` found under its name in `libs_dir`
/// (first on the search path).
fn place_link_inputs(tok: &Token, built: &[Realized], libs_dir: &Path) -> Result<PlacedInputs> {
    let mut lib_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut by_path: Vec<(String, PathBuf)> = Vec::new();
    let mut k = 0;
    for i in &tok.inputs {
        if !matches!(i.edge, Edge::Token | Edge::Lib | Edge::Member) {
            continue;
        }
        let Some(r) = built.get(k) else { break };
        k += 1;
        lib_dirs.extend(r.lib_dirs.iter().cloned());
        if i.edge == Edge::Lib {
            // `-lname` found this file: put the realized one under the same name first on -L.
            let name = raw::path(&i.path)
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_default();
            let link = libs_dir.join(&name);
            let _ = std::fs::remove_file(&link);
            symlink(&r.path, &link)?;
        } else {
            by_path.push((i.path.to_string(), r.path.clone()));
        }
        if is_shared_object(&r.path) {
            if let Some(p) = r.path.parent() {
                lib_dirs.insert(p.to_path_buf());
            }
        }
    }
    Ok(PlacedInputs { lib_dirs, by_path })
}

/// Whether a path names a shared object (`x.so`, `x.so.1`).
fn is_shared_object(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "so")
        || p.as_os_str()
            .as_encoded_bytes()
            .windows(4)
            .any(|w| w == b".so.")
}

/// The realized file standing for a link's word `w` (a path as recorded, or found from
/// `cwd`), if `w` names one of the link's realized inputs (`by_path`).
fn realized_input(by_path: &[(String, PathBuf)], cwd: &Path, w: &str) -> Option<PathBuf> {
    let p = raw::path(w);
    let abs = if p.is_absolute() {
        p.into_owned()
    } else {
        cwd.join(p)
    };
    let abs_s = raw::text_path(&abs);
    by_path
        .iter()
        .find(|(p, _)| *p == w || *p == abs_s.as_ref())
        .map(|(_, r)| r.clone())
}

/// The recorded words of an `ld` call without its output, realized inputs in place of
/// tokens.
fn ld_words(rest: &[String], realized_of: &dyn Fn(&str) -> Option<PathBuf>) -> Vec<String> {
    let mut words = Vec::new();
    let mut it = rest.iter();
    while let Some(w) = it.next() {
        if w == "-o" || w == "--output" {
            it.next();
            continue;
        }
        match realized_of(w) {
            Some(r) if !w.starts_with('-') => words.push(raw::text_path(&r).into_owned()),
            _ => words.push(w.clone()),
        }
    }
    words
}

/// The words of a compiler driver's link without its output (and without what only a
/// compile's output needs), realized inputs in place of tokens.
fn driver_link_words(
    cmd: &args::Command,
    realized_of: &dyn Fn(&str) -> Option<PathBuf>,
) -> Vec<String> {
    let mut words = Vec::new();
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => match realized_of(&a.words[0]) {
                Some(r) => words.push(raw::text_path(&r).into_owned()),
                None => words.push(a.words[0].clone()),
            },
            ArgKind::Flag(m) if drop_for_realize(*m) || *m == Meaning::StopAtObject => {}
            _ => words.extend(a.words.iter().cloned()),
        }
    }
    words
}

/// Flags that name outputs or choose the language of positional inputs: realization sets its
/// own output, and by then sources have become objects.
fn drop_for_realize(m: Meaning) -> bool {
    m.names_output()
        || matches!(
            m,
            Meaning::Language | Meaning::StopAtAssembly | Meaning::SaveTemps
        )
}

/// The file name of a token's output, `default` when it has none.
fn output_name(tok: &Token, default: &str) -> PathBuf {
    raw::path(&tok.output)
        .file_name()
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn symlink(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| ShimError(format!("cannot link {}: {e}", raw::text_path(link))))
}

/// Runs a real tool with its chatter in `dir/log`; a failure quotes the log.
fn run_logged(tool: &Path, words: &[String], cwd: &Path, dir: &Path, id: &str) -> Result<()> {
    let log_path = dir.join("log");
    let log = File::create(&log_path)
        .map_err(|e| ShimError(format!("cannot create {}: {e}", raw::text_path(&log_path))))?;
    let log2 = log
        .try_clone()
        .map_err(|e| ShimError(format!("cannot open {}: {e}", raw::text_path(&log_path))))?;
    let started = std::time::Instant::now();
    let status = Command::new(tool)
        .args(words.iter().map(|w| raw::os(w)))
        .current_dir(cwd)
        .env(crate::session::ENV_DEPTH, (ctx::depth() + 1).to_string())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .status()
        .map_err(|e| ShimError(format!("cannot run {}: {e}", raw::text_path(tool))))?;
    // What the real tool took, for the summary's account of realization (`SECS_FILE`).
    let _ = std::fs::write(
        dir.join(SECS_FILE),
        format!("{:.3}\n", started.elapsed().as_secs_f64()),
    );
    if !status.success() {
        let text = std::fs::read(&log_path).unwrap_or_default();
        return Err(ShimError(format!(
            "realizing {id} failed: {} {} (in {}):\n{}",
            raw::text_path(tool),
            words.join(" "),
            raw::text_path(cwd),
            raw::text(&text).trim_end()
        )));
    }
    Ok(())
}

/// A realized node's `.done` file: its path, then its library directories, a line each (text).
fn encode_done(r: &Realized) -> String {
    let mut s = format!("{}\n", raw::text_path(&r.path));
    for d in &r.lib_dirs {
        let _ = writeln!(s, "{}", raw::text_path(d));
    }
    s
}

fn decode_done(text: &str) -> Realized {
    let mut lines = text.lines();
    let path = raw::path(lines.next().unwrap_or("")).into_owned();
    Realized {
        path,
        lib_dirs: lines.map(|l| raw::path(l).into_owned()).collect(),
    }
}

/// Runs an executable token: realize it, then exec the real program with the given arguments.
/// `token` is the token's path as the build called it (text). It runs only inside the
/// confession that wrote it: the session is the shim's environment's, and a token of another
/// confession, a damaged one, or one run when no confession is running (its session directory
/// gone) is refused.
pub fn exec_token(token: &str, program_args: &[String], shim_exe: PathBuf) -> Result<i32> {
    let token_path = raw::path(token);
    let Some(session) = Session::from_env() else {
        return err(format!(
            "{token} stands for a program a confession built (a confess token), and no \
             confession is running: it runs only inside the confession that made it. Build \
             the program for real (run the build without confess) to run it"
        ));
    };
    if !session.dir.is_dir() {
        return err(format!(
            "{token} cannot run: the session directory of its confession, {}, is gone (the \
             confession has finished). Build the program for real (run the build without \
             confess) to run it",
            raw::text_path(&session.dir)
        ));
    }
    let tok = match ctx::read_token(&session, &token_path)? {
        Some(t) => t,
        None if token_path.is_file() => return err(format!("{token} is not a confess token")),
        None => return err(format!("cannot read {token}")),
    };
    let start = ctx::now_ns();
    let rz = Realizer::new(session, shim_exe);
    let r = rz.realize(&tok)?;
    let mut ld_path: Vec<PathBuf> = r.lib_dirs.iter().cloned().collect();
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
        ld_path.extend(std::env::split_paths(&old));
    }
    let joined = std::env::join_paths(ld_path).unwrap_or_default();
    let cwd = std::env::current_dir().unwrap_or_default();
    let before = written_candidates(program_args, &cwd);
    let mut cmd = Command::new(&r.path);
    cmd.args(program_args.iter().map(|a| raw::os(a)))
        .env("LD_LIBRARY_PATH", &joined);
    {
        use std::os::unix::process::CommandExt;
        cmd.arg0(token_path.as_os_str());
    }
    let status = cmd
        .status()
        .map_err(|e| ShimError(format!("cannot run {}: {e}", raw::text_path(&r.path))))?;
    let code = ctx::exit_code(status);
    let outputs = written_files(&before, &cwd);
    let mut argv = vec![token.to_string()];
    argv.extend(program_args.iter().cloned());
    let ev = crate::events::Event {
        start_ns: start,
        end_ns: ctx::now_ns(),
        tokens: vec![tok.id.clone()],
        outputs,
        real_tool: Some(raw::text_path(&r.path).into_owned()),
        exit_status: code,
        ..crate::events::Event::new(
            crate::facts::Actor::Exec,
            rz.session.phase,
            crate::facts::Decision::Realized,
            raw::text_path(&cwd).into_owned(),
            argv,
        )
    };
    crate::events::record(&rz.session.events(), &ev).map_err(|e| {
        ShimError(format!(
            "cannot record the run of {token} in {}: {e}",
            raw::text_path(&crate::events::log_path(&rz.session.events()))
        ))
    })?;
    Ok(code)
}

/// Files a program run may write: its stdout when that is a regular file (`./gen > table.c`),
/// and each argument naming a path, with its modification time before the run.
fn written_candidates(
    args: &[String],
    cwd: &Path,
) -> Vec<(PathBuf, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    if let Ok(p) = std::fs::read_link("/proc/self/fd/1") {
        if p.is_absolute() && std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            // Written during the run whatever its time says: the shell opened it for us.
            out.push((p, None));
        }
    }
    for a in args {
        let word = a
            .split_once('=')
            .map(|(_, v)| v)
            .filter(|_| a.starts_with('-'))
            .unwrap_or(a);
        if word.is_empty() || word.starts_with('-') {
            continue;
        }
        let p = cwd.join(raw::path(word));
        if p.parent().is_some_and(Path::is_dir) {
            let mtime = std::fs::metadata(&p).and_then(|m| m.modified()).ok();
            out.push((p, Some(mtime.unwrap_or(std::time::UNIX_EPOCH))));
        }
    }
    out
}

/// The candidates that the run wrote: stdout files, and argument paths that appeared or changed.
fn written_files(before: &[(PathBuf, Option<std::time::SystemTime>)], cwd: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (p, old) in before {
        let now = std::fs::metadata(p)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok());
        let wrote = match (old, now) {
            (None, Some(_)) => true,
            (Some(old), Some(now)) => now != *old,
            _ => false,
        };
        if wrote {
            let p = crate::headers::lexical(p);
            let shown = p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p);
            out.push(raw::text_path(&shown).into_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Realizes every token among `words` (file arguments) and returns the words with realized
/// paths, and the tokens' ids. Tokens are read as every shim reads them (`ctx::read_token`) and
/// realized in the shim's own session.
pub fn realize_file_args(
    ctx: &crate::ctx::Ctx,
    words: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let rz = Realizer::new(ctx.session.clone(), ctx.shim_exe()?.to_path_buf());
    // The tokens first, then all of them realized at once (libtool's `nm` of every object of
    // a library is one call).
    let mut toks: Vec<(usize, Token)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !w.starts_with('-') {
            if let Some(tok) = ctx.read_token(&ctx.abs(w))? {
                toks.push((i, tok));
            }
        }
    }
    let only: Vec<Token> = toks.iter().map(|(_, t)| t.clone()).collect();
    let built = rz.realize_all(&only)?;
    let mut out = words.to_vec();
    let mut ids = Vec::with_capacity(toks.len());
    for ((i, tok), r) in toks.iter().zip(built) {
        out[*i] = raw::text_path(&r.path).into_owned();
        ids.push(tok.id.clone());
    }
    Ok((out, ids))
}
