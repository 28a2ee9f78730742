//! One shim invocation: who it is, where it runs, how to reach the real tool, and how it writes
//! tokens and events.

use crate::events::{self, Event};
use crate::facts::{Actor, ContentRef, Decision, Reason};
use crate::raw;
use crate::role::Role;
use crate::session::{self, Session};
use crate::token::Token;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{SystemTime, UNIX_EPOCH};

/// A failure of the shim itself (not of the tool it stands in for). Exit code 125.
#[derive(Debug)]
pub struct ShimError(pub String);

impl std::fmt::Display for ShimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, ShimError>;

pub fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ShimError(msg.into()))
}

/// The most shims that may nest (a shim running a real tool that calls a shim...).
const MAX_DEPTH: u32 = 8;

#[derive(Clone)]
pub struct Ctx {
    pub session: Session,
    pub role: Role,
    /// Full argv; argv[0] is the name the build called.
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub start_ns: i64,
    /// This shim binary, canonical: read from /proc/self/exe when first asked (a compile
    /// seldom needs it).
    pub exe: std::cell::OnceCell<PathBuf>,
}

#[must_use]
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Ctx {
    /// The same call with response files expanded in argv, as tokens record it (a response
    /// file written during the build may be gone by the time a token is realized).
    #[must_use]
    pub fn with_expanded_argv(&self, cmd: &crate::args::Command) -> Ctx {
        let mut c = self.clone();
        c.argv.truncate(1);
        c.argv
            .extend(cmd.args.iter().flat_map(|a| a.words.iter().cloned()));
        c
    }

    /// This shim binary, canonical (the kernel gives /proc/self/exe with every symlink
    /// resolved).
    pub fn shim_exe(&self) -> Result<&Path> {
        if let Some(p) = self.exe.get() {
            return Ok(p);
        }
        let p = this_exe()?;
        Ok(self.exe.get_or_init(|| p))
    }

    /// The name the tool was called by, without directory.
    pub fn tool_name(&self) -> &str {
        let a0 = self.argv.first().map_or("", String::as_str);
        Path::new(a0)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(a0)
    }

    pub fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or(&[])
    }

    /// The arguments with their `@file`s expanded, as binutils (ar, ld, nm, objcopy, strip)
    /// expand them; `None` when the expansion fails (a directory, a file that names itself),
    /// for the real tool to say why in its own words.
    pub fn expanded_args(&self) -> Option<Vec<String>> {
        crate::args::expand_at_files(self.args(), &self.cwd).ok()
    }

    /// An absolute path for a word of the command line (text, see `raw`): the real path.
    pub fn abs(&self, p: &str) -> PathBuf {
        let p = raw::path(p);
        if p.is_absolute() {
            p.into_owned()
        } else {
            self.cwd.join(p)
        }
    }

    /// The working directory as text.
    pub fn cwd_text(&self) -> String {
        raw::text_path(&self.cwd).into_owned()
    }

    /// The real tool this shim stands in for: same name, found on PATH without the shim
    /// directory, and never this binary.
    pub fn real_tool(&self) -> Result<PathBuf> {
        real_tool_named(
            &self.session,
            self.tool_name(),
            &|| self.shim_exe().map(Path::to_path_buf),
            &self.cwd,
        )
    }

    /// A `Command` for the real tool, with the recursion guard raised.
    pub fn real_command(&self, tool: &Path) -> Command {
        let mut c = Command::new(tool);
        c.current_dir(&self.cwd);
        c.env(session::ENV_DEPTH, (depth() + 1).to_string());
        c
    }

    /// Runs the real tool with the original arguments, records the event, returns the status.
    pub fn pass_through(&self, reason: Reason) -> Result<i32> {
        let tool = self.real_tool()?;
        let status = self
            .real_command(&tool)
            .args(self.args().iter().map(|a| raw::os(a)))
            .status()
            .map_err(|e| ShimError(format!("cannot run {}: {e}", raw::text_path(&tool))))?;
        let code = exit_code(status);
        let mut ev = self.event(Decision::Passthrough(reason));
        ev.real_tool = Some(raw::text_path(&tool).into_owned());
        ev.exit_status = code;
        self.record(ev)?;
        Ok(code)
    }

    /// The event of this call, decided `decision`; inputs, outputs and tokens are the caller's
    /// to add.
    pub fn event(&self, decision: Decision) -> Event {
        Event {
            start_ns: self.start_ns,
            ..Event::new(
                Actor::Tool(self.role),
                self.session.phase,
                decision,
                self.cwd_text(),
                self.argv.clone(),
            )
        }
    }

    /// Stores an event; a failure here fails the command (an incomplete graph is worse).
    pub fn record(&self, mut ev: Event) -> Result<()> {
        ev.end_ns = now_ns();
        events::record(&self.session.events(), &ev).map_err(|e| {
            ShimError(format!(
                "cannot record this call in {}: {e}; the confession would be incomplete",
                raw::text_path(&events::log_path(&self.session.events()))
            ))
        })
    }

    /// Gives the token its id, stores it in the session's token store, and writes it to `out`
    /// (executables get the exec bit). Returns the id.
    pub fn write_token(&self, tok: &mut Token, out: Option<&Path>) -> Result<String> {
        let session = &self.session;
        fill_ids(tok, &|p| session.normalize(p));
        set_store(tok, &raw::text_path(&session.dir));
        // Only an executable's token names the shim (its `exec` line).
        let shim = match tok.kind() {
            crate::token::Kind::Executable => raw::text_path(self.shim_exe()?).into_owned(),
            _ => String::new(),
        };
        let text = tok.render(&shim);
        // Embedded members travel inside the token: the store's readers index them too.
        let store = session.tokens();
        crate::store::append(&store, tok, &text).map_err(|e| {
            ShimError(format!(
                "cannot store token {} in {}: {e}; the confession would be incomplete",
                tok.id,
                raw::text_path(&store)
            ))
        })?;
        if let Some(out) = out {
            write_output(out, text.as_bytes())?;
            if tok.kind() == crate::token::Kind::Executable {
                set_executable(out)?;
            }
        }
        Ok(tok.id.clone())
    }
}

impl Ctx {
    /// The token a file of the build holds, checked (see [`read_token`]).
    pub fn read_token(&self, path: &Path) -> Result<Option<Token>> {
        read_token(&self.session, path)
    }
}

/// The token a file holds: `None` when the file is not a token (or cannot be opened). A file
/// that starts like a token but does not read as one is damaged, and so is a token whose ids
/// do not match its content; a token whose store is not this session's is another
/// confession's. Both are refused (the call fails, naming the file): the shim never follows
/// what such a token says.
pub fn read_token(session: &Session, path: &Path) -> Result<Option<Token>> {
    match Token::read(path) {
        Ok(None) => Ok(None),
        Ok(Some(tok)) => check_token(session, path, &tok).map(|()| Some(tok)),
        Err(e) => Err(damaged(path, &e.to_string())),
    }
}

/// Refuses a token (read from `path`) that is damaged or another confession's.
pub fn check_token(session: &Session, path: &Path, tok: &Token) -> Result<()> {
    let here = raw::text_path(&session.dir);
    if tok.store != here {
        return err(format!(
            "{} is a token of another confession (its session directory {}, this one's {}): \
             confess does not follow another confession's tokens. Remove it (`make clean`, or \
             delete the file) so that this build makes it again",
            raw::text_path(path),
            tok.store,
            here
        ));
    }
    for t in tok.embedded() {
        if !t.summed {
            return Err(damaged(
                path,
                "it has no `sum` line (the sha256 of its lines, which every token confess writes ends with)",
            ));
        }
        let id_ok =
            t.id.len() == 64 && t.id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !id_ok || t.compute_id(&|p| session.normalize(p)) != t.id {
            return Err(damaged(
                path,
                &format!("the id {} does not match its content", t.id),
            ));
        }
        if let Some(so) = t.soname.as_deref().filter(|so| !plain_name(so)) {
            return Err(damaged(
                path,
                &format!("its soname {so} is not a file name"),
            ));
        }
    }
    Ok(())
}

/// Whether a name names a file in a directory, not a path elsewhere.
#[must_use]
pub fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

/// The refusal of a damaged token read from `path`.
#[must_use]
pub fn damaged(path: &Path, why: &str) -> ShimError {
    ShimError(format!(
        "{} starts like a confess token but is damaged ({why}): it was cut short or changed \
         after a shim wrote it. Remove it (`make clean`, or delete the file) so that the build \
         makes it again",
        raw::text_path(path)
    ))
}

fn set_store(tok: &mut Token, store: &str) {
    tok.store = store.to_string();
    for (_, m) in &mut tok.members {
        set_store(std::sync::Arc::make_mut(m), store);
    }
}

/// Computes ids bottom-up: members first, then the node.
pub fn fill_ids(tok: &mut Token, norm: &dyn Fn(&str) -> String) {
    for (_, m) in &mut tok.members {
        fill_ids(std::sync::Arc::make_mut(m), norm);
    }
    // Inputs that name embedded members carry the member's id.
    // The first member of a name, as a search in member order would find it.
    let mut ids: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (n, m) in &tok.members {
        ids.entry(n.as_str()).or_insert(m.id.as_str());
    }
    for i in &mut tok.inputs {
        if i.content == ContentRef::None {
            if let Some(id) = ids.get(&*i.path) {
                i.content = ContentRef::Token((*id).into());
            }
        }
    }
    tok.id = tok.compute_id(norm);
}

#[must_use]
pub fn depth() -> u32 {
    std::env::var(session::ENV_DEPTH)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// This shim binary, from /proc/self/exe.
pub fn this_exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(|e| ShimError(format!("cannot find this executable: {e}")))
}

/// The real tool called `name`. `me` gives this shim binary, which is never the answer; it is
/// asked only when the session has no cached answer.
pub fn real_tool_named(
    session: &Session,
    name: &str,
    me: &dyn Fn() -> Result<PathBuf>,
    cwd: &Path,
) -> Result<PathBuf> {
    if depth() >= MAX_DEPTH {
        return err(format!(
            "shims nested {MAX_DEPTH} deep looking for the real `{name}`: is a shim directory on \
             PATH twice under different names? Check PATH and {}",
            session::ENV_REAL_PATH
        ));
    }
    let path = std::env::var_os(session::ENV_REAL_PATH)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    // The answer depends on the name, the search path and the shim directory only (a relative
    // PATH entry, which depends on the directory too, is not cached; the shim binary is the
    // same for the whole session): it is looked up once per session, and then one `stat`
    // checks the tool is still there. The search costs about a hundred system calls.
    // Outside a session (`session.dir` empty) there is no cache to keep the answer in.
    let cacheable = !session.dir.as_os_str().is_empty()
        && std::env::split_paths(&path).all(|d| d.is_absolute());
    let key = [
        name.as_bytes(),
        path.as_bytes(),
        session
            .shim_dir
            .as_deref()
            .map_or(&[][..], |p| p.as_os_str().as_bytes()),
    ]
    .join(&0u8);
    let cached = session
        .cache()
        .join(format!("tool-{}", crate::token::sha256_hex(&key)));
    if cacheable {
        if let Ok(p) = std::fs::read(&cached) {
            let p = PathBuf::from(std::ffi::OsString::from_vec(p));
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let dirs = std::env::split_paths(&path)
        .filter(|d| session.shim_dir.as_deref().is_none_or(|s| !same_dir(d, s)));
    let search = std::env::join_paths(dirs).unwrap_or_default();
    let me = me()?;
    let found = which::which_in_all(raw::os(name), Some(search), cwd)
        .map_err(|e| ShimError(format!("cannot look for the real `{name}`: {e}")))?
        .find(|p| std::fs::canonicalize(p).map_or(true, |c| c != me));
    match found {
        Some(p) => {
            if cacheable {
                // A cache that cannot be written only costs the next call the search again.
                let _ = write_atomic(&cached, p.as_os_str().as_encoded_bytes());
            }
            Ok(p)
        }
        None => err(format!(
            "the real `{name}` is not installed (not found on PATH outside the shim directory); \
             install it or point the build at another tool"
        )),
    }
}

/// Whether a PATH entry is the shim directory. Canonical paths are compared only for entries
/// with the shim directory's own name (canonicalizing every PATH entry costs on every call).
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || (a.file_name() == b.file_name()
            && std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok())
}

#[must_use]
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Writes through a temporary file and a rename, so parallel writers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.confess-tmp.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    // The output's directory nearly always exists: it is made only when the write finds it
    // missing, which saves a `mkdir` and a `stat` on every call.
    let mut written = std::fs::write(&tmp, bytes);
    if written
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| ShimError(format!("cannot create {}: {e}", raw::text_path(dir))))?;
        written = std::fs::write(&tmp, bytes);
    }
    written.map_err(|e| ShimError(format!("cannot write {}: {e}", raw::text_path(&tmp))))?;
    // A real compiler replaces its output; a symlink or read-only file in the way is replaced too.
    std::fs::rename(&tmp, path)
        .map_err(|e| ShimError(format!("cannot write {}: {e}", raw::text_path(path))))
}

/// Writes a build output. A new file is written where it goes, as the real tool would write
/// it (the build reads it only after this call exits); one that is there already is replaced
/// through `write_atomic`, as a real compiler replaces its output even when it is a symlink or
/// read-only. Session files that other calls read while they are written (the cache) always go
/// through `write_atomic`.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    match created {
        Ok(mut f) => f.write_all(bytes).map_err(|e| {
            let _ = std::fs::remove_file(path);
            ShimError(format!("cannot write {}: {e}", raw::text_path(path)))
        }),
        Err(_) => write_atomic(path, bytes),
    }
}

pub fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| {
        ShimError(format!(
            "cannot make {} executable: {e}",
            raw::text_path(path)
        ))
    })
}
