//! Hostile inputs: bad arguments, output directories confess must not write into, builds that
//! aim outside their tree or at confess's own records, file names that break naive code,
//! damaged tokens and response files given to the shims, and manifests that reach outside for
//! `confess verify`.
//!
//! The suite is one table. Each case runs in a fresh root holding the user's sources (`src`, a
//! copy of fixtures/make/static-lib), a sentinel directory (`outside`) that hostile builds aim
//! at, and a good previous confession (`out`, made by `confess make`); scratch directories go
//! to a directory of the case's own (`CONFESS_SCRATCH`). The case builds its bad input, runs
//! confess, and the harness asserts the exit code, a part of the message, that confess did not
//! panic, that every file of the root but the output directory and the lock files beside it
//! is as it was (contents, modes, modification times, links, special files), that no
//! scratch directory was left (in the case's scratch directory, /dev/shm or TMPDIR), that a
//! log the message points at exists, and that `out` is the previous confession byte for byte;
//! or, where the run confesses (a build that installs to an absolute prefix is contained, exit
//! 0) or the build fails (exit 1: what was recorded is written), what the README promises of
//! the new confession.
//!
//! Runs are as a user's: without `CONFESS_VERIFY_HEADERS` (the tests' cross-check of every
//! header scan against `gcc -M`, whose output cannot spell a file name with a newline).
//!
//! `cargo test --release --test hostile -- --nocapture` prints the table of cases.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The unprivileged user of the cases that need one (root can write anywhere).
const NOBODY: u32 = 65534;

/// A run that takes longer than this has hung (a FIFO read, a symlink loop followed).
const TIMEOUT: Duration = Duration::from_mins(2);

/// One case's root.
struct Env {
    root: PathBuf,
    src: PathBuf,
    out: PathBuf,
    outside: PathBuf,
    scratch: PathBuf,
    /// A file name only this case's sources hold: a scratch copy left anywhere is found by it.
    marker: String,
    _tmp: tempfile::TempDir,
    _scratch: tempfile::TempDir,
}

impl Env {
    fn new(n: usize) -> Env {
        let tmp = tempfile::Builder::new()
            .prefix("hostile-")
            .tempdir()
            .expect("tmp");
        let root = tmp.path().canonicalize().expect("canonical");
        // Unprivileged cases read the sources and write a home of their own here.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let scratch_tmp = tempfile::Builder::new()
            .prefix("hostile-scratch-")
            .tempdir()
            .expect("tmp");
        let scratch = scratch_tmp.path().canonicalize().expect("canonical");
        let src = root.join("src");
        copy_dir(&fixture("make/static-lib"), &src);
        let marker = format!(".hostile-marker-{}-{n}", std::process::id());
        std::fs::write(src.join(&marker), "").expect("marker");
        // The sentinel: the user's files a hostile build aims at.
        let outside = root.join("outside");
        for d in ["bin", "lib", "share/doc"] {
            std::fs::create_dir_all(outside.join(d)).expect("mkdir");
        }
        std::fs::write(outside.join("bin/hello"), "the user's real program\n").expect("write");
        std::fs::write(outside.join("lib/libuser.a"), "!<arch>\n").expect("write");
        std::fs::write(outside.join("share/doc/README"), "the user's notes\n").expect("write");
        std::fs::write(outside.join("keep.txt"), "keep me\n").expect("write");
        std::os::unix::fs::symlink("bin/hello", outside.join("link")).expect("symlink");
        Env {
            out: root.join("out"),
            root,
            src,
            outside,
            scratch,
            marker,
            _tmp: tmp,
            _scratch: scratch_tmp,
        }
    }

    /// `text` with @ROOT@, @SRC@, @OUTSIDE@ and @OUT@ spelled out.
    fn fill(&self, text: &str) -> String {
        text.replace("@ROOT@", &self.root.display().to_string())
            .replace("@SRC@", &self.src.display().to_string())
            .replace("@OUTSIDE@", &self.outside.display().to_string())
            .replace("@OUT@", &self.out.display().to_string())
    }

    /// Appends rules to the sources' Makefile (placeholders filled).
    fn rules(&self, text: &str) {
        let mf = self.src.join("Makefile");
        let mut t = std::fs::read_to_string(&mf).expect("Makefile");
        t.push('\n');
        t.push_str(&self.fill(text));
        std::fs::write(&mf, t).expect("write Makefile");
    }

    /// A file of the sources, written as bytes (names need not be UTF-8).
    fn file(&self, rel: &[u8], text: &[u8]) {
        let p = self.src.join(OsStr::from_bytes(rel));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// A directory for an unprivileged user in the root, and the scratch directory handed over.
    fn home(&self) -> PathBuf {
        let home = self.root.join("home");
        std::fs::create_dir_all(&home).expect("mkdir");
        for d in [&home, &self.scratch] {
            std::os::unix::fs::chown(d, Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        home
    }
}

/// The good confession every case starts from.
fn previous(e: &Env) {
    let o = confess_command()
        .args(["make", "--quiet", "--out"])
        .arg(&e.out)
        .arg(&e.src)
        .env("CONFESS_SCRATCH", &e.scratch)
        .stdin(Stdio::null())
        .output()
        .expect("run confess");
    assert!(
        o.status.success(),
        "the previous confession failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// How a case runs confess.
struct Cmd {
    args: Vec<OsString>,
    /// Environment on top of the harness's (`None` removes the variable).
    env: Vec<(&'static str, Option<OsString>)>,
    /// Run as the unprivileged user (through setpriv).
    nobody: bool,
    /// Names in the root, besides `out`, that are confess's to write (an unprivileged home).
    owned: Vec<&'static str>,
    /// Held while confess runs (another run's lock).
    hold: Option<std::fs::File>,
}

impl Cmd {
    fn new<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Cmd {
        Cmd {
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            env: Vec::new(),
            nobody: false,
            owned: Vec::new(),
            hold: None,
        }
    }
    fn arg(mut self, a: impl AsRef<OsStr>) -> Cmd {
        self.args.push(a.as_ref().to_owned());
        self
    }
    fn env(mut self, k: &'static str, v: impl AsRef<OsStr>) -> Cmd {
        self.env.push((k, Some(v.as_ref().to_owned())));
        self
    }
    fn unset(mut self, k: &'static str) -> Cmd {
        self.env.push((k, None));
        self
    }
    /// As the unprivileged user, with a home of its own that holds its output directory.
    fn unprivileged(mut self, home: &Path) -> Cmd {
        self.nobody = true;
        self.owned.push("home");
        self.env("HOME", home)
    }
}

/// `confess make --quiet --out OUT OPTIONS SRC -- MAKE_ARGS`.
fn make(e: &Env, options: &[&str], make_args: &[&str]) -> Cmd {
    make_into(e, &e.out, options, make_args)
}

/// `confess make` into another output directory than the previous confession's.
fn make_into(e: &Env, out: &Path, options: &[&str], make_args: &[&str]) -> Cmd {
    Cmd::new(["make", "--quiet", "--out"])
        .arg(out)
        .args(options)
        .arg(&e.src)
        .arg("--")
        .args(make_args)
}

/// `confess run --quiet --out OUT --dir SRC -- CMD`.
fn run_cmd(e: &Env, cmd: &[&str]) -> Cmd {
    Cmd::new(["run", "--quiet", "--out"])
        .arg(&e.out)
        .arg("--dir")
        .arg(&e.src)
        .arg("--")
        .args(cmd)
}

/// `confess SUBCOMMAND --out OUT ARGS` (targets, explain, verify).
fn on_out(e: &Env, sub: &str, args: &[&str]) -> Cmd {
    Cmd::new([sub, "--out"]).arg(&e.out).args(args)
}

impl Cmd {
    fn args<S: AsRef<OsStr>>(mut self, a: impl IntoIterator<Item = S>) -> Cmd {
        self.args
            .extend(a.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }
}

/// What a run gave.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    secs: f64,
}

fn run(e: &Env, cmd: Cmd) -> Outcome {
    let mut c = if cmd.nobody {
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg(confess_bin_for_anyone())
            // The tests' cache is root's.
            .env("CONFESS_CACHE", "off");
        c
    } else {
        confess_command()
    };
    c.args(&cmd.args)
        .current_dir(&e.root)
        .env_remove("CONFESS_OUT")
        .env_remove("CONFESS_UNSEALED")
        .env_remove("CONFESS_ENGINE_SCHEMA")
        .env_remove("CONFESS_VERIFY_HEADERS")
        .env("CONFESS_SCRATCH", &e.scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &cmd.env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let started = Instant::now();
    let mut child = c.spawn().expect("start confess");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break Some(st);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(cmd.hold);
    let _ = out.join();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    Outcome {
        code: status.and_then(|s| s.code()),
        stderr: if status.is_none() {
            format!("(hung: killed after {}s)\n{stderr}", TIMEOUT.as_secs())
        } else {
            stderr
        },
        secs: started.elapsed().as_secs_f64(),
    }
}

type Check = fn(&Env, &Outcome) -> Result<(), String>;

/// What becomes of `--out`.
enum Then {
    /// The run wrote nothing: `--out` is the previous confession, byte for byte.
    Kept,
    /// Kept, and more is checked.
    KeptAnd(Check),
    /// A new confession replaced it (the run confessed, or the build failed and what was
    /// recorded is written): what the README promises of it.
    New(Check),
}

struct Case {
    name: &'static str,
    /// Needs root (a device node; a switch to an unprivileged user): skipped otherwise.
    root_only: bool,
    /// Builds the bad input in the case's root (after the previous confession) and says how
    /// confess runs.
    input: fn(&Env) -> Cmd,
    /// The exit codes the README allows.
    codes: &'static [i32],
    /// A part of what confess prints on stderr (@ROOT@, @SRC@, @OUTSIDE@, @OUT@ filled).
    message: &'static str,
    then: Then,
}

macro_rules! ensure {
    ($c:expr, $($m:tt)+) => {
        if !$c {
            return Err(format!($($m)+));
        }
    };
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|err| format!("reading {}: {err}", p.display()))
}

fn json(p: &Path) -> Result<serde_json::Value, String> {
    serde_json::from_str(&read(p)?).map_err(|err| format!("{}: {err}", p.display()))
}

/// The compile database's entries: (file, arguments).
fn compdb(e: &Env) -> Result<Vec<(String, Vec<String>)>, String> {
    let db = json(&e.out.join("compile_commands.json"))?;
    Ok(db
        .as_array()
        .ok_or("compile_commands.json is not an array")?
        .iter()
        .map(|x| {
            (
                x["file"].as_str().unwrap_or_default().to_string(),
                x["arguments"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|w| w.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect())
}

/// The compile database has an entry for the user's source `rel` (not for a copy of it under
/// the output directory's `generated/`: the build generated nothing).
fn compiled(e: &Env, rel: &[u8]) -> Result<(), String> {
    let db = compdb(e)?;
    let want = e.src.join(OsStr::from_bytes(rel));
    let want = want.to_string_lossy();
    let files: Vec<&str> = db.iter().map(|(f, _)| f.as_str()).collect();
    ensure!(
        files.iter().any(|f| *f == want),
        "no compile of {want:?} in compile_commands.json: {files:?}"
    );
    ensure!(
        !e.out.join("generated").exists(),
        "the build generated nothing, but the output directory has generated/: {files:?}"
    );
    Ok(())
}

/// The compile database has an entry whose file's name ends with `tail` and lies in the
/// user's tree (for names the JSON cannot spell byte for byte).
fn compiled_like(e: &Env, tail: &str) -> Result<(), String> {
    let db = compdb(e)?;
    let src = format!("{}/", e.src.display());
    let files: Vec<&str> = db.iter().map(|(f, _)| f.as_str()).collect();
    ensure!(
        files
            .iter()
            .any(|f| f.ends_with(tail) && f.starts_with(&src)),
        "no compile of a source ending in {tail:?} in {src}: {files:?}"
    );
    ensure!(
        !e.out.join("generated").exists(),
        "the build generated nothing, but the output directory has generated/: {files:?}"
    );
    Ok(())
}

fn report(e: &Env) -> Result<String, String> {
    read(&e.out.join("report.md"))
}

/// graph.json's `outside_writes`.
fn outside_writes(e: &Env) -> Result<Vec<serde_json::Value>, String> {
    Ok(json(&e.out.join("graph.json"))?["outside_writes"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// A write outside the trees, listed in graph.json with `kind` and in report.md.
fn listed(e: &Env, path: &Path, kind: &str) -> Result<serde_json::Value, String> {
    let p = path.display().to_string();
    let writes = outside_writes(e)?;
    let w = writes
        .iter()
        // The last step's word on the path counts (a clean may remove a file a build writes).
        .rfind(|w| w["path"] == p.as_str())
        .ok_or_else(|| format!("{p} is not in graph.json's outside_writes: {writes:?}"))?;
    ensure!(w["kind"] == kind, "{p}: {w}, not {kind}");
    let rep = report(e)?;
    ensure!(
        rep.contains(&format!("| `{p}` | {kind}")),
        "{p} is not listed in report.md:\n{rep}"
    );
    Ok(w.clone())
}

/// The build failed and what was recorded is written: the new confession's build.log says how.
fn failed_with(e: &Env, text: &str) -> Result<(), String> {
    let log = read(&e.out.join("build.log"))?;
    ensure!(log.contains(text), "build.log lacks {text:?}:\n{log}");
    Ok(())
}

/// A file of the user's the build wrote through an absolute path into its tree is kept in the
/// confession as a generated file (the tree itself is checked by the harness).
fn generated(e: &Env, rel: &str) -> Result<(), String> {
    let p = e.out.join("generated").join(rel);
    ensure!(p.is_file(), "{} is missing", p.display());
    Ok(())
}

fn daemon_mark(e: &Env) -> String {
    format!("daemon{}", e.marker)
}

/// Edits a file of the previous confession (a hand-edited manifest).
fn edit(p: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(p).expect("read");
    assert!(text.contains(from), "{from} not in {}", p.display());
    std::fs::write(p, text.replacen(from, to, 1)).expect("edit");
}

fn engine_form(e: &Env) -> PathBuf {
    e.out.join("dhall/lib/BUILD.dhall")
}

const IMPORT: &str = "let Build = ../engine/Build.dhall";

/// The rules of fixtures/make/static-lib, with `extra` recipe lines in `all`.
fn static_lib_makefile(extra: &str) -> String {
    format!(
        "CFLAGS = -O2 -Wall -Iinclude\n\
         all: app\n{extra}\
         lib/libutil.a: lib/add.o lib/twice.o\n\t$(AR) rcs $@ $^\n\
         lib/%.o: lib/%.c include/util.h\n\t$(CC) $(CFLAGS) -c $< -o $@\n\
         main.o: main.c include/util.h\n\t$(CC) $(CFLAGS) -c main.c -o main.o\n\
         app: main.o lib/libutil.a\n\t$(CC) -o app main.o lib/libutil.a\n"
    )
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Every case, section by section.
fn cases() -> Vec<Case> {
    [
        usage_cases(),
        output_dir_cases(),
        missing_build_file_cases(),
        bad_scratch_and_schema_cases(),
        missing_confession_cases(),
        writes_outside_cases(),
        destructive_build_cases(),
        broken_build_cases(),
        unprivileged_and_verify_build_cases(),
        odd_byte_name_cases(),
        long_path_and_loop_cases(),
        special_file_cases(),
        damaged_token_and_response_file_cases(),
        looping_response_file_cases(),
        escaping_import_cases(),
        remote_and_pinned_import_cases(),
        damaged_record_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Usage: bad -j values, unknown subcommands and options, missing arguments.
fn usage_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "-j 0",
            root_only: false,
            input: |e| make(e, &["-j", "0"], &[]),
            codes: &[2],
            message: "-j 0: give a number of parallel jobs from 1 to 4096",
            then: Kept,
        },
        Case {
            name: "-j 99999999999",
            root_only: false,
            input: |e| make(e, &["-j", "99999999999"], &[]),
            codes: &[2],
            message: "-j 99999999999: give a number of parallel jobs from 1 to 4096",
            then: Kept,
        },
        Case {
            name: "-j -1",
            root_only: false,
            input: |e| make(e, &["-j", "-1"], &[]),
            codes: &[2],
            message: "invalid value '-1' for '--jobs <N>'",
            then: Kept,
        },
        Case {
            name: "-j abc",
            root_only: false,
            input: |e| make(e, &["-j", "abc"], &[]),
            codes: &[2],
            message: "invalid value 'abc' for '--jobs <N>'",
            then: Kept,
        },
        Case {
            name: "unknown subcommand",
            root_only: false,
            input: |e| Cmd::new(["frobnicate", "--out"]).arg(&e.out),
            codes: &[2],
            message: "unrecognized subcommand 'frobnicate'",
            then: Kept,
        },
        Case {
            name: "unknown option",
            root_only: false,
            input: |e| make(e, &["--frobnicate"], &[]),
            codes: &[2],
            message: "unexpected argument '--frobnicate' found",
            then: Kept,
        },
        Case {
            name: "no subcommand",
            root_only: false,
            input: |_| Cmd::new(Vec::<&str>::new()),
            codes: &[2],
            message: "Usage: confess <COMMAND>",
            then: Kept,
        },
        Case {
            name: "run without a command",
            root_only: false,
            input: |e| Cmd::new(["run", "--quiet", "--out"]).arg(&e.out),
            codes: &[2],
            message: "the following required arguments were not provided",
            then: Kept,
        },
        Case {
            name: "meson: a --native-file of the user's",
            root_only: false,
            input: |e| {
                e.file(b"meson.build", b"project('x', 'c')\n");
                Cmd::new(["meson", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
                    .args(["--", "--native-file", "mine.ini"])
            },
            codes: &[2],
            message: "--native-file: confess writes meson's native file itself",
            then: Kept,
        },
    ]
}

/// Output directories confess must not write into.
fn output_dir_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "--out: a non-empty directory of the user's",
            root_only: false,
            input: |e| {
                std::fs::create_dir(e.root.join("mine")).expect("mkdir");
                std::fs::write(e.root.join("mine/notes.txt"), "mine\n").expect("write");
                make_into(e, &e.root.join("mine"), &[], &[])
            },
            codes: &[2],
            message: "@ROOT@/mine is not empty and was not written by confess",
            then: Kept,
        },
        Case {
            name: "--out: a regular file",
            root_only: false,
            input: |e| {
                std::fs::write(e.root.join("afile"), "a file\n").expect("write");
                make_into(e, &e.root.join("afile"), &[], &[])
            },
            codes: &[2],
            message: "@ROOT@/afile is not a directory",
            then: Kept,
        },
        Case {
            name: "--out: a dangling symlink",
            root_only: false,
            input: |e| {
                std::os::unix::fs::symlink(e.root.join("nowhere"), e.root.join("dangling"))
                    .expect("symlink");
                make_into(e, &e.root.join("dangling"), &[], &[])
            },
            codes: &[2],
            message: "@ROOT@/dangling is not a directory",
            then: Kept,
        },
        Case {
            name: "--out: a symlink to the sentinel directory",
            root_only: false,
            input: |e| {
                std::os::unix::fs::symlink(&e.outside, e.root.join("outlink")).expect("symlink");
                make_into(e, &e.root.join("outlink"), &[], &[])
            },
            codes: &[2],
            message: "@OUTSIDE@ is not empty and was not written by confess",
            then: Kept,
        },
        Case {
            name: "--out: the source directory",
            root_only: false,
            input: |e| make_into(e, &e.src, &[], &[]),
            codes: &[2],
            message: "the output directory @SRC@ contains the sources",
            then: Kept,
        },
        Case {
            name: "--out: in a read-only directory (unprivileged)",
            root_only: true,
            input: |e| {
                let ro = e.root.join("ro");
                std::fs::create_dir(&ro).expect("mkdir");
                std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555))
                    .expect("chmod");
                let home = e.home();
                make_into(e, &ro.join("out"), &[], &[]).unprivileged(&home)
            },
            codes: &[5],
            message: "opening the lock @ROOT@/ro/.out.confess-lock: Permission denied",
            then: Kept,
        },
        Case {
            name: "--out: held by another run",
            root_only: false,
            input: |e| {
                let lock = std::fs::File::create(e.root.join(".out.confess-lock")).expect("lock");
                lock.lock().expect("flock");
                std::fs::write(
                    e.root.join(".out.confess-lock"),
                    std::process::id().to_string(),
                )
                .expect("write");
                let mut c = make(e, &[], &[]);
                c.hold = Some(lock);
                c
            },
            codes: &[9],
            message: "@OUT@ is in use by another confess run (pid",
            then: Kept,
        },
    ]
}

/// Sources confess cannot build: missing, not a directory, or without the build system's file.
fn missing_build_file_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "source: missing",
            root_only: false,
            input: |e| make(e, &[], &[]).with_src(&e.root.join("nowhere")),
            codes: &[3],
            message: "@ROOT@/nowhere: cannot open the source directory",
            then: Kept,
        },
        Case {
            name: "source: a regular file",
            root_only: false,
            input: |e| make(e, &[], &[]).with_src(&e.src.join("main.c")),
            codes: &[3],
            message: "@SRC@/main.c: not a directory",
            then: Kept,
        },
        Case {
            name: "make: no Makefile",
            root_only: false,
            input: |e| make(e, &[], &[]).with_src(&e.src.join("include")),
            codes: &[3],
            message: "@SRC@/include: no Makefile here",
            then: Kept,
        },
        Case {
            name: "cmake: no CMakeLists.txt",
            root_only: false,
            input: |e| {
                Cmd::new(["cmake", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
            },
            codes: &[3],
            message: "@SRC@: no CMakeLists.txt here",
            then: Kept,
        },
        Case {
            name: "autotools: no configure or configure.ac",
            root_only: false,
            input: |e| {
                Cmd::new(["autotools", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
            },
            codes: &[3],
            message: "@SRC@: no configure script and no configure.ac here",
            then: Kept,
        },
        Case {
            name: "meson: no meson.build",
            root_only: false,
            input: |e| {
                Cmd::new(["meson", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
            },
            codes: &[3],
            message: "@SRC@: no meson.build here",
            then: Kept,
        },
        Case {
            name: "ninja: no build.ninja",
            root_only: false,
            input: |e| {
                Cmd::new(["ninja", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
            },
            codes: &[3],
            message: "@SRC@: no build.ninja here",
            then: Kept,
        },
        Case {
            name: "autotools --vpath: a tree configured in place",
            root_only: false,
            input: |e| {
                e.file(b"configure", b"#!/bin/sh\necho configured\n");
                e.file(b"config.status", b"#!/bin/sh\n");
                Cmd::new(["autotools", "--vpath", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&e.src)
            },
            codes: &[3],
            message: "@SRC@/config.status: the source tree is configured already",
            then: Kept,
        },
    ]
}

/// Sources confess cannot build: a scratch place or an engine schema that does not serve.
fn bad_scratch_and_schema_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "CONFESS_SCRATCH names no directory",
            root_only: false,
            input: |e| make(e, &[], &[]).env("CONFESS_SCRATCH", e.root.join("nowhere")),
            codes: &[3],
            message: "@ROOT@/nowhere: CONFESS_SCRATCH names no directory",
            then: Kept,
        },
        Case {
            name: "CONFESS_SCRATCH names a file",
            root_only: false,
            input: |e| make(e, &[], &[]).env("CONFESS_SCRATCH", e.outside.join("keep.txt")),
            codes: &[3],
            message: "@OUTSIDE@/keep.txt: CONFESS_SCRATCH names no directory",
            then: Kept,
        },
        Case {
            name: "--engine-schema: a directory without Resource.dhall",
            root_only: false,
            input: |e| {
                let schema = e.root.join("schema");
                std::fs::create_dir(&schema).expect("mkdir");
                for f in ["Build", "Toolchain", "Triple", "CFlags", "LDFlags"] {
                    let name = format!("{f}.dhall");
                    std::fs::copy(e.out.join("dhall/engine").join(&name), schema.join(&name))
                        .expect("copy");
                }
                make(
                    e,
                    &["--engine-schema", schema.to_str().expect("utf-8")],
                    &[],
                )
            },
            codes: &[3],
            message: concat!(
                "@ROOT@/schema/Resource.dhall: --engine-schema: ",
                "the engine's folder has no such file"
            ),
            then: Kept,
        },
        Case {
            name: "--engine-schema: missing",
            root_only: false,
            input: |e| {
                make(
                    e,
                    &[
                        "--engine-schema",
                        e.root.join("nowhere").to_str().expect("utf-8"),
                    ],
                    &[],
                )
            },
            codes: &[3],
            message: "--engine-schema: No such file or directory",
            then: Kept,
        },
        Case {
            name: "CONFESS_ENGINE_SCHEMA: an empty directory",
            root_only: false,
            input: |e| {
                std::fs::create_dir(e.root.join("schema")).expect("mkdir");
                make(e, &[], &[]).env("CONFESS_ENGINE_SCHEMA", e.root.join("schema"))
            },
            codes: &[3],
            message: concat!(
                "@ROOT@/schema/Build.dhall: --engine-schema: ",
                "the engine's folder has no such file"
            ),
            then: Kept,
        },
    ]
}

/// Reading a confession that is not there, or not whole.
fn missing_confession_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "explain: unknown target",
            root_only: false,
            input: |e| on_out(e, "explain", &["no-such-target"]),
            codes: &[2],
            message: concat!(
                "no target \"no-such-target\" in this confession; ",
                "`confess targets` lists them: //:app, //lib:util"
            ),
            then: Kept,
        },
        Case {
            name: "targets: an empty directory",
            root_only: false,
            input: |e| {
                std::fs::create_dir(e.root.join("empty")).expect("mkdir");
                Cmd::new(["targets", "--out"]).arg(e.root.join("empty"))
            },
            codes: &[3],
            message: "@ROOT@/empty: no confession here (targets.json is missing)",
            then: Kept,
        },
        Case {
            name: "explain: an empty directory",
            root_only: false,
            input: |e| {
                std::fs::create_dir(e.root.join("empty")).expect("mkdir");
                Cmd::new(["explain", "app", "--out"]).arg(e.root.join("empty"))
            },
            codes: &[3],
            message: "@ROOT@/empty: no confession here (targets.json is missing)",
            then: Kept,
        },
        Case {
            name: "verify: an empty directory",
            root_only: false,
            input: |e| {
                std::fs::create_dir(e.root.join("empty")).expect("mkdir");
                Cmd::new(["verify", "--out"]).arg(e.root.join("empty"))
            },
            codes: &[3],
            message: "cannot read how this confession was made",
            then: Kept,
        },
        Case {
            name: "targets: a damaged targets.json",
            root_only: false,
            input: |e| {
                std::fs::write(e.out.join("targets.json"), "{\"schema\":").expect("write");
                on_out(e, "targets", &[])
            },
            codes: &[6],
            message: "@OUT@/targets.json: EOF while parsing",
            then: Kept,
        },
    ]
}

/// Builds that misbehave: writes outside the tree, through absolute paths and symlinks.
fn writes_outside_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "install with an absolute PREFIX",
            root_only: false,
            input: |e| {
                e.rules(
                    "install: all\n\tmkdir -p @OUTSIDE@/bin @OUTSIDE@/lib\n\
                     \tcp app @OUTSIDE@/bin/hello\n\tcp lib/libutil.a @OUTSIDE@/lib/\n\
                     \tln -sf bin/hello @OUTSIDE@/link\n\trm -f @OUTSIDE@/keep.txt\n",
                );
                make(e, &[], &["install"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                let hello = listed(e, &e.outside.join("bin/hello"), "file")?;
                let g = json(&e.out.join("graph.json"))?;
                let node = hello["node"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or("the install names no node")?;
                ensure!(
                    g["nodes"][node]["kind"] == "executable",
                    "{}",
                    g["nodes"][node]
                );
                listed(e, &e.outside.join("lib/libutil.a"), "file")?;
                listed(e, &e.outside.join("link"), "symlink")?;
                listed(e, &e.outside.join("keep.txt"), "deleted")?;
                let rep = report(e)?;
                ensure!(
                    rep.contains("## Writes outside the source and build trees: 4"),
                    "{rep}"
                );
                Ok(())
            }),
        },
        Case {
            name: "recipe writes through the absolute source path",
            root_only: false,
            input: |e| {
                e.rules("abs: all\n\techo written > @SRC@/abs.txt\n\techo more >> @SRC@/main.c\n");
                make(e, &[], &["abs"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                generated(e, "abs.txt")?;
                ensure!(outside_writes(e)?.is_empty(), "{:?}", outside_writes(e)?);
                Ok(())
            }),
        },
        Case {
            name: "make -C /abs/src/lib",
            root_only: false,
            input: |e| {
                e.rules(
                    "sub: all\n\t$(MAKE) -C @SRC@/lib -f ../Makefile in-sub\n\
                     in-sub:\n\techo sub > made-in-sub.txt\n",
                );
                make(e, &[], &["sub"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| generated(e, "lib/made-in-sub.txt")),
        },
        Case {
            name: "writes through an absolute symlink out of the tree",
            root_only: false,
            input: |e| {
                std::os::unix::fs::symlink(&e.outside, e.src.join("escape")).expect("symlink");
                e.rules(
                    "through: all\n\techo through > escape/through.txt\n\
                     \techo over > escape/keep.txt\n\trm -f escape/bin/hello\n",
                );
                make(e, &[], &["through"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                listed(e, &e.outside.join("through.txt"), "file")?;
                listed(e, &e.outside.join("keep.txt"), "file")?;
                listed(e, &e.outside.join("bin/hello"), "deleted")?;
                Ok(())
            }),
        },
    ]
}

/// Builds that misbehave: removals, floods of files, daemons, the network.
fn destructive_build_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "rm -rf of the sentinel directory",
            root_only: false,
            input: |e| {
                e.rules("wipe: all\n\trm -rf @OUTSIDE@\n\ttest ! -e @OUTSIDE@\n");
                make(e, &[], &["wipe"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| listed(e, &e.outside, "deleted").map(drop)),
        },
        Case {
            name: "rm -rf of the whole root (sources, sentinel, previous confession)",
            root_only: false,
            input: |e| {
                e.rules("wipe: all\n\trm -rf @ROOT@ || true\n\ttest ! -e @OUTSIDE@\n");
                make(e, &[], &["wipe"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                listed(e, &e.outside, "deleted")?;
                // confess's own output directory, its stage and lock are not the build's.
                ensure!(
                    !outside_writes(e)?.iter().any(|w| w["path"]
                        .as_str()
                        .is_some_and(|p| Path::new(p).starts_with(&e.out))),
                    "confess's own files are listed as the build's writes"
                );
                Ok(())
            }),
        },
        Case {
            name: "10,000 files written outside",
            root_only: false,
            input: |e| {
                e.rules(
                    "many: all\n\tmkdir -p @OUTSIDE@/many\n\
                     \tcd @OUTSIDE@/many && seq 1 10000 | xargs touch\n",
                );
                make(e, &[], &["many"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                let n = outside_writes(e)?.len();
                ensure!(n >= 10000, "{n} writes listed");
                let rep = report(e)?;
                ensure!(
                    rep.contains(&format!(
                        "## Writes outside the source and build trees: {n}"
                    )),
                    "report.md does not count {n} writes"
                );
                Ok(())
            }),
        },
        Case {
            name: "a daemon left running",
            root_only: false,
            input: |e| {
                e.rules(&format!(
                    "daemon: all\n\t(CONFESS_TEST_MARK={} setsid sleep 300 > /dev/null 2>&1 &)\n",
                    daemon_mark(e)
                ));
                make(e, &[], &["daemon"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                ensure!(
                    !marked_alive(&daemon_mark(e)),
                    "the build's daemon outlived confess"
                );
                Ok(())
            }),
        },
        Case {
            name: "the build tries the network",
            root_only: false,
            input: |e| {
                e.rules("net: all\n\tbash -c 'echo hi > /dev/tcp/1.1.1.1/80'\n");
                make(e, &[], &["net"])
            },
            codes: &[1],
            message: "Network is unreachable",
            then: New(|e, _| failed_with(e, "Network is unreachable")),
        },
    ]
}

/// Builds that misbehave: failures, a damaged event log, commands that cannot run, an unreadable copy.
fn broken_build_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "the build fails",
            root_only: false,
            input: |e| {
                e.rules("fail: all\n\tfalse\n");
                make(e, &[], &["fail"])
            },
            codes: &[1],
            message: "the build failed: `make fail` exited with status 2",
            then: New(|e, _| failed_with(e, "Error 1")),
        },
        Case {
            name: "the build kills its make",
            root_only: false,
            input: |e| {
                e.rules("kill: all\n\tkill -9 $$PPID\n");
                make(e, &[], &["kill"])
            },
            codes: &[1],
            message: "`make kill` exited with status 137",
            then: New(|e, _| failed_with(e, "kill -9")),
        },
        Case {
            name: "the build deletes its event log",
            root_only: false,
            input: |e| {
                e.rules("dellog: all\n\trm -f $$CONFESS_DIR/events.log\n");
                make(e, &[], &["dellog"])
            },
            codes: &[6],
            message: "the event log is gone: the build deleted it",
            then: Kept,
        },
        Case {
            name: "the build cuts its event log",
            root_only: false,
            input: |e| {
                e.rules("cutlog: all\n\ttruncate -s -7 $$CONFESS_DIR/events.log\n");
                make(e, &[], &["cutlog"])
            },
            codes: &[6],
            message: "is not a whole event (no newline at its end)",
            then: Kept,
        },
        Case {
            name: "the build writes into its event log",
            root_only: false,
            input: |e| {
                e.rules("garble: all\n\techo garbage >> $$CONFESS_DIR/events.log\n");
                make(e, &[], &["garble"])
            },
            codes: &[6],
            message: "is not a whole event",
            then: Kept,
        },
        Case {
            name: "a build command that does not exist",
            root_only: false,
            input: |e| run_cmd(e, &["no-such-cmd"]),
            codes: &[4],
            message: "`no-such-cmd` is not installed or not on PATH",
            then: Kept,
        },
        Case {
            name: "a build command that is not executable",
            root_only: false,
            input: |e| {
                e.file(b"build.sh", b"#!/bin/sh\nmake\n");
                run_cmd(e, &["./build.sh"])
            },
            codes: &[4],
            message: "`./build.sh`",
            then: Kept,
        },
        Case {
            name: "chmod -R 000 of its copy (scratch in /dev/shm)",
            root_only: false,
            input: |e| {
                e.rules("lock-out: all\n\tchmod -R 000 .\n");
                make(e, &[], &["lock-out"]).unset("CONFESS_SCRATCH")
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"main.c")),
        },
    ]
}

/// Builds that misbehave: unprivileged runs, a hand-written build.ninja, a real build deleting an absolute path.
fn unprivileged_and_verify_build_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "chmod -R 000 of its copy (unprivileged, --unsealed)",
            root_only: true,
            input: |e| {
                e.rules("lock-out: all\n\tchmod -R 000 . || true\n");
                let home = e.home();
                make_into(e, &home.join("out"), &["--unsealed"], &["lock-out"]).unprivileged(&home)
            },
            codes: &[0],
            message: "",
            then: Kept,
        },
        Case {
            name: "unprivileged and sealed: confessed, or refused with exit 10",
            root_only: true,
            input: |e| {
                let home = e.home();
                make_into(e, &home.join("out"), &[], &[]).unprivileged(&home)
            },
            codes: &[0, 10],
            message: "",
            then: KeptAnd(|e, o| {
                if o.code == Some(10) {
                    ensure!(o.stderr.contains("--unsealed"), "{}", o.stderr);
                } else {
                    let db = e.root.join("home/out/compile_commands.json");
                    ensure!(db.is_file(), "{} is missing", db.display());
                }
                Ok(())
            }),
        },
        Case {
            name: "ninja: a hand-written build.ninja writing outside",
            root_only: false,
            input: |e| {
                let build = e.src.join("build");
                std::fs::create_dir(&build).expect("mkdir");
                std::fs::write(
                    build.join("build.ninja"),
                    e.fill(
                        "rule cc\n  command = gcc -I@SRC@/include -c $in -o $out\n\
                         rule cp\n  command = cp $in $out\n\
                         build @OUTSIDE@/add.o: cc @SRC@/lib/add.c\n\
                         build @OUTSIDE@/keep.txt: cp @SRC@/main.c\n",
                    ),
                )
                .expect("write");
                Cmd::new(["ninja", "--quiet", "--out"])
                    .arg(&e.out)
                    .arg(&build)
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                listed(e, &e.outside.join("add.o"), "file")?;
                listed(e, &e.outside.join("keep.txt"), "file").map(drop)
            }),
        },
        Case {
            name: "verify: the real build deletes an absolute path",
            root_only: false,
            input: |e| {
                std::fs::write(
                    e.src.join("Makefile"),
                    e.fill(&static_lib_makefile(
                        "\trm -rf @OUTSIDE@\n\techo x > @SRC@/abs.txt\n",
                    )),
                )
                .expect("write");
                previous(e);
                on_out(e, "verify", &[])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                let v = json(&e.out.join("verify/verify.json"))?;
                ensure!(v["verdict"] == "match", "{v}");
                Ok(())
            }),
        },
    ]
}

/// Hostile file names: bytes that are not UTF-8, newlines, dashes, spaces and quotes.
fn odd_byte_name_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "non-UTF-8 byte (0xFF) in a source file name",
            root_only: false,
            input: |e| {
                e.file(b"x\xff.c", b"int xff(void) { return 1; }\n");
                e.rules("weird: all\n\tfor f in x*.c; do $(CC) -c \"$$f\" -o weird.o; done\n");
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                compiled_like(e, ".c").and_then(|()| {
                    let db = compdb(e)?;
                    ensure!(db.len() == 4, "{db:?}");
                    let src = format!("{}/x", e.src.display());
                    ensure!(
                        db.iter().any(|(f, _)| f.starts_with(&src)),
                        "no compile of {src}\u{FFFD}.c (or its escape) in {db:?}"
                    );
                    Ok(())
                })
            }),
        },
        Case {
            name: "non-UTF-8 byte (0xFF) in a directory name",
            root_only: false,
            input: |e| {
                e.file(b"d\xff/y.c", b"int y(void) { return 1; }\n");
                e.rules("weird: all\n\tfor f in d*/y.c; do $(CC) -c \"$$f\" -o weird.o; done\n");
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled_like(e, "/y.c")),
        },
        Case {
            name: "newline in a file name",
            root_only: false,
            input: |e| {
                e.file(b"new\nline.c", b"int nl(void) { return 1; }\n");
                e.rules("weird: all\n\tfor f in new*line.c; do $(CC) -c \"$$f\" -o nl.o; done\n");
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"new\nline.c")),
        },
        Case {
            name: "file name starting with -",
            root_only: false,
            input: |e| {
                e.file(b"-dash.c", b"int dash(void) { return 1; }\n");
                e.rules("weird: all\n\t$(CC) -c ./-dash.c -o dash.o\n");
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"-dash.c")),
        },
        Case {
            name: "spaces, quotes and UTF-8 in names",
            root_only: false,
            input: |e| {
                e.file(b"sp ace \"q\" 'q'.c", b"int spq(void) { return 1; }\n");
                e.rules(
                    "weird: all\n\tfor f in sp*.c; do $(CC) -c \"$$f\" -o 'sp q.o'; done\n\
                     \t$(AR) rcs 'lib \u{fc} \"weird\".a' 'sp q.o'\n",
                );
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                compiled(e, b"sp ace \"q\" 'q'.c")?;
                let t = read(&e.out.join("targets.json"))?;
                ensure!(t.contains("[build]/lib \u{fc} \\\"weird\\\".a"), "{t}");
                Ok(())
            }),
        },
    ]
}

/// Hostile file names: paths near and beyond PATH_MAX, symlink loops.
fn long_path_and_loop_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "a path near PATH_MAX",
            root_only: false,
            input: |e| {
                // The absolute path of the source about 4,000 bytes (PATH_MAX is 4,096), with
                // room for the scratch copy's longer prefix.
                let mut rel = PathBuf::from("deep");
                while e.src.join(&rel).as_os_str().len() < 3_880 {
                    rel.push("d".repeat(200));
                }
                let deep = rel.join("deep.c");
                e.file(
                    deep.as_os_str().as_bytes(),
                    b"int deep(void) { return 1; }\n",
                );
                e.rules("weird: all\n\t$(CC) -c $$(find deep -name deep.c) -o deep.o\n");
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                let db = compdb(e)?;
                ensure!(
                    db.iter()
                        .any(|(f, _)| f.len() > 3_880 && f.ends_with("/deep.c")),
                    "no compile of the deep source"
                );
                Ok(())
            }),
        },
        Case {
            name: "a path beyond PATH_MAX",
            root_only: false,
            input: |e| {
                // 25 directories of 250 bytes: made relative to each other, as no absolute
                // path reaches them.
                use rustix::fs::{Mode, OFlags};
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                let mut dir = rustix::fs::open(&e.src, flags, Mode::empty()).expect("open");
                let name = "e".repeat(250);
                for _ in 0..25 {
                    rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755))
                        .expect("mkdir");
                    dir = rustix::fs::openat(&dir, name.as_str(), flags, Mode::empty())
                        .expect("open");
                }
                let fd = rustix::fs::openat(
                    &dir,
                    "deep.c",
                    OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o644),
                )
                .expect("create");
                std::io::Write::write_all(&mut std::fs::File::from(fd), b"int deep;\n")
                    .expect("write");
                make(e, &[], &[])
            },
            codes: &[5],
            message: "File name too long",
            then: Kept,
        },
        Case {
            name: "symlink loops",
            root_only: false,
            input: |e| {
                let l = |to: &str, at: &str| {
                    std::os::unix::fs::symlink(to, e.src.join(at)).expect("symlink");
                };
                l("loop2", "loop1");
                l("loop1", "loop2");
                l("self", "self");
                l("..", "lib/up");
                l(&e.src.join("abs-loop").display().to_string(), "abs-loop");
                make(e, &[], &[])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"lib/add.c")),
        },
    ]
}

/// Hostile file names: FIFOs, device nodes and hard links in the tree.
fn special_file_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "a FIFO in the tree",
            root_only: false,
            input: |e| {
                let st = Command::new("mkfifo")
                    .arg(e.src.join("fifo"))
                    .status()
                    .expect("mkfifo");
                assert!(st.success());
                make(e, &[], &[])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"main.c")),
        },
        Case {
            name: "a device node in the tree",
            root_only: true,
            input: |e| {
                let st = Command::new("mknod")
                    .arg(e.src.join("null"))
                    .args(["c", "1", "3"])
                    .status()
                    .expect("mknod");
                assert!(st.success());
                make(e, &[], &[])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"main.c")),
        },
        Case {
            name: "a hard link in the tree",
            root_only: false,
            input: |e| {
                std::fs::hard_link(e.src.join("lib/add.c"), e.src.join("lib/hard.c"))
                    .expect("link");
                e.rules(
                    "weird: all\n\t$(CC) $(CFLAGS) -c lib/hard.c -o hard.o\n\
                     \techo x >> lib/hard.c\n",
                );
                make(e, &[], &["weird"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| compiled(e, b"lib/hard.c")),
        },
    ]
}

/// Hostile inputs to the shims: damaged tokens, response files with odd bytes.
fn damaged_token_and_response_file_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "a damaged token given to the linker",
            root_only: false,
            input: |e| {
                e.file(b"damaged.o", b"CONFESS-TOKEN 1\nid zzzz\nkind obj");
                e.rules("bad: all\n\t$(CC) -o app2 main.o damaged.o lib/libutil.a\n");
                make(e, &[], &["bad"])
            },
            codes: &[1],
            message: "@SRC@/damaged.o starts like a confess token but is damaged",
            then: New(|e, _| failed_with(e, "Error 125")),
        },
        Case {
            name: "a damaged token given to the archiver",
            root_only: false,
            input: |e| {
                e.file(b"damaged.o", b"CONFESS-TOKEN 1\n");
                e.rules("bad: all\n\t$(AR) rcs libd.a damaged.o\n");
                make(e, &[], &["bad"])
            },
            codes: &[1],
            message: "@SRC@/damaged.o starts like a confess token but is damaged",
            then: New(|e, _| failed_with(e, "Error 125")),
        },
        Case {
            name: "a token the build cut short",
            root_only: false,
            input: |e| {
                e.rules(
                    "bad: all\n\ttruncate -s 60 main.o\n\
                     \t$(CC) -o app2 main.o lib/libutil.a\n",
                );
                make(e, &[], &["bad"])
            },
            codes: &[1],
            message: "@SRC@/main.o starts like a confess token but is damaged",
            then: New(|e, _| failed_with(e, "Error 125")),
        },
        Case {
            name: "a response file with odd bytes",
            root_only: false,
            input: |e| {
                e.file(
                    b"odd.rsp",
                    b"-DODD=caf\xe9 \"-Iinc lude\" '-DQ=\"x y\"' -DB=a\\ b\n -Iinclude\n",
                );
                e.rules("odd: all\n\t$(CC) @odd.rsp -c main.c -o m2.o\n");
                make(e, &[], &["odd"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                let db = compdb(e)?;
                let (_, args) = db
                    .iter()
                    .find(|(_, a)| a.iter().any(|w| w == "m2.o"))
                    .ok_or("no compile of m2.o")?;
                for w in ["-Iinc lude", "-DQ=\"x y\"", "-DB=a b", "-Iinclude"] {
                    ensure!(args.iter().any(|a| a == w), "{w:?} not in {args:?}");
                }
                Ok(())
            }),
        },
        Case {
            name: "a response file starting with a NUL byte",
            root_only: false,
            input: |e| {
                e.file(b"nul.rsp", b"\x00\xff\x01 @x \"unterminated\n-I\xfe\n");
                e.rules("odd: all\n\t$(CC) @nul.rsp -Iinclude -c main.c -o m2.o\n");
                make(e, &[], &["odd"])
            },
            codes: &[0],
            message: "",
            then: New(|e, _| {
                // gcc (libiberty) reads a response file up to its first NUL: nothing here.
                let db = compdb(e)?;
                let (_, args) = db
                    .iter()
                    .find(|(_, a)| a.iter().any(|w| w == "m2.o"))
                    .ok_or("no compile of m2.o")?;
                ensure!(
                    args == &["cc", "-Iinclude", "-c", "main.c", "-o", "m2.o"],
                    "{args:?}"
                );
                Ok(())
            }),
        },
    ]
}

/// Hostile inputs to the shims: response files that include themselves or are missing.
fn looping_response_file_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "a response file that includes itself",
            root_only: false,
            input: |e| {
                e.file(b"self.rsp", b"-Iinclude @self.rsp\n");
                e.rules("odd: all\n\t$(CC) @self.rsp -c main.c -o m2.o\n");
                make(e, &[], &["odd"])
            },
            codes: &[1],
            message: "too many @-files encountered",
            then: New(|e, _| failed_with(e, "too many @-files encountered")),
        },
        Case {
            name: "a missing response file",
            root_only: false,
            input: |e| {
                e.rules("odd: all\n\t$(CC) @nosuch.rsp -Iinclude -c main.c -o m2.o\n");
                make(e, &[], &["odd"])
            },
            codes: &[1],
            message: "cc @nosuch.rsp -Iinclude -c main.c -o m2.o",
            then: New(|e, _| failed_with(e, "@nosuch.rsp: linker input file not found")),
        },
    ]
}

/// Hand-edited manifests for `confess verify`: outputs, sources and imports reaching out of the confession.
fn escaping_import_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "verify: an absolute output path",
            root_only: false,
            input: |e| {
                edit(
                    &e.out.join("dhall/lib/BUILD.confess.dhall"),
                    "output = \"[build]/lib/libutil.a\"",
                    &e.fill("output = \"@OUTSIDE@/keep.txt\""),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "target //lib:util: the output `@OUTSIDE@/keep.txt` is an absolute path",
            then: Kept,
        },
        Case {
            name: "verify: a source ../../..",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    "\"lib/add.c\"",
                    "\"../../../../../../../../etc/passwd\"",
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "the source `../../../../../../../../etc/passwd` leaves the source tree",
            then: Kept,
        },
        Case {
            name: "verify: an absolute source",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    "\"lib/add.c\"",
                    &e.fill("\"lib/add.c\", \"@OUTSIDE@/keep.txt\""),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "the source `@OUTSIDE@/keep.txt` is an absolute path",
            then: Kept,
        },
        Case {
            name: "verify: an env:HOME import",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    IMPORT,
                    &format!("{IMPORT}\n\nlet h = env:HOME as Text"),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "line 8: the import `env:HOME` reads an environment variable",
            then: Kept,
        },
        Case {
            name: "verify: brackets nested deeper than Dhall's parser takes in time",
            root_only: false,
            input: |e| {
                // Sixteen parentheses: serde_dhall's parser would take minutes (its time
                // triples with each level).
                edit(
                    &engine_form(e),
                    IMPORT,
                    &format!("{IMPORT}\n\nlet n = {}1{}", "(".repeat(16), ")".repeat(16)),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "line 8: brackets nest more than 10 deep",
            then: Kept,
        },
    ]
}

/// Hand-edited manifests for `confess verify`: absolute, remote, symlinked, missing and pinned imports.
fn remote_and_pinned_import_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "verify: an absolute import",
            root_only: false,
            input: |e| {
                std::fs::copy(
                    e.out.join("dhall/engine/Build.dhall"),
                    e.outside.join("Build.dhall"),
                )
                .expect("copy");
                edit(
                    &engine_form(e),
                    IMPORT,
                    &e.fill("let Build = @OUTSIDE@/Build.dhall"),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "the import `@OUTSIDE@/Build.dhall` is an absolute path",
            then: Kept,
        },
        Case {
            name: "verify: an http import",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    IMPORT,
                    "let Build = https://example.com/Build.dhall",
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "the import `https://example.com/Build.dhall` reaches the network",
            then: Kept,
        },
        Case {
            name: "verify: an import through a symlink out of the output directory",
            root_only: false,
            input: |e| {
                std::fs::copy(
                    e.out.join("dhall/engine/Build.dhall"),
                    e.outside.join("Build.dhall"),
                )
                .expect("copy");
                std::os::unix::fs::symlink(&e.outside, e.out.join("dhall/escape"))
                    .expect("symlink");
                edit(&engine_form(e), IMPORT, "let Build = ../escape/Build.dhall");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: concat!(
                "the import `../escape/Build.dhall` leads through a symbolic link ",
                "to @OUTSIDE@/Build.dhall"
            ),
            then: Kept,
        },
        Case {
            name: "verify: a `missing` import",
            root_only: false,
            input: |e| {
                edit(&engine_form(e), IMPORT, "let Build = missing");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "the import `missing` is not a file of the output directory",
            then: Kept,
        },
        Case {
            name: "verify: a sha256-pinned import",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    IMPORT,
                    &format!("{IMPORT} sha256:{}", "0".repeat(64)),
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "makes Dhall read and write its cache outside the output directory",
            then: Kept,
        },
    ]
}

/// Hand-edited manifests for `confess verify`: manifests that do not check, damaged graphs and run records.
fn damaged_record_cases() -> Vec<Case> {
    use Then::*;
    vec![
        Case {
            name: "verify: a manifest that does not type-check",
            root_only: false,
            input: |e| {
                edit(&engine_form(e), "\"lib/add.c\"", "42");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "lib/BUILD.dhall: the manifest does not read as exactly the engine's",
            then: Kept,
        },
        Case {
            name: "verify: a field the engine's Target lacks",
            root_only: false,
            input: |e| {
                edit(
                    &engine_form(e),
                    "name = \"util\"",
                    "name = \"util\", bogus = 1",
                );
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "lib/BUILD.dhall: the manifest does not read as exactly the engine's",
            then: Kept,
        },
        Case {
            name: "verify: a truncated graph.json",
            root_only: false,
            input: |e| {
                let g = e.out.join("graph.json");
                let text = std::fs::read(&g).expect("read");
                std::fs::write(&g, &text[..100]).expect("write");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "@OUT@/graph.json: EOF while parsing",
            then: Kept,
        },
        Case {
            name: "verify: no record of the run nor of its command line",
            root_only: false,
            input: |e| {
                std::fs::remove_file(e.out.join("confession/run.json")).expect("rm");
                std::fs::remove_file(e.out.join("confession/invocation.json")).expect("rm");
                on_out(e, "verify", &[])
            },
            codes: &[3],
            message: "@OUT@/confession/invocation.json: cannot read how this confession was made",
            then: Kept,
        },
        Case {
            name: "verify: a garbled invocation record (a confession with no run record)",
            root_only: false,
            input: |e| {
                std::fs::remove_file(e.out.join("confession/run.json")).expect("rm");
                std::fs::write(e.out.join("confession/invocation.json"), "{").expect("write");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "@OUT@/confession/invocation.json: EOF while parsing",
            then: Kept,
        },
        Case {
            name: "verify: a garbled run record",
            root_only: false,
            input: |e| {
                std::fs::write(e.out.join("confession/run.json"), "{").expect("write");
                on_out(e, "verify", &[])
            },
            codes: &[6],
            message: "@OUT@/confession/run.json: EOF while parsing",
            then: Kept,
        },
        Case {
            name: "extract: a garbled run record",
            root_only: false,
            input: |e| {
                std::fs::write(e.out.join("confession/run.json"), "{").expect("write");
                Cmd::new(["extract", "--from"]).arg(&e.out)
            },
            codes: &[6],
            message: "@OUT@/confession/run.json: EOF while parsing",
            then: Kept,
        },
    ]
}

impl Cmd {
    /// Replaces the source directory (the word before `--`).
    fn with_src(mut self, src: &Path) -> Cmd {
        let i = self
            .args
            .iter()
            .position(|a| a == "--")
            .expect("a command with --");
        src.as_os_str().clone_into(&mut self.args[i - 1]);
        self
    }
}

/// A description of every entry below `root`: type, mode, modification time (ns), link count,
/// content hash or link target, device number. Walked through directory descriptors, so paths
/// beyond PATH_MAX are read too; FIFOs and devices are described, not opened.
fn digest(root: &Path) -> BTreeMap<Vec<u8>, String> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use sha2::{Digest, Sha256};
    fn walk(dir: &rustix::fd::OwnedFd, prefix: &[u8], out: &mut BTreeMap<Vec<u8>, String>) {
        let mut names: Vec<std::ffi::CString> = rustix::fs::Dir::read_from(dir)
            .expect("read_dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_owned())
            .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
            .collect();
        names.sort();
        for name in names {
            let mut rel = prefix.to_vec();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(name.as_bytes());
            let st =
                rustix::fs::statat(dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW).expect("stat");
            let when = format!("{}.{:09}", st.st_mtime, st.st_mtime_nsec);
            let desc = match FileType::from_raw_mode(st.st_mode) {
                FileType::Symlink => {
                    let to =
                        rustix::fs::readlinkat(dir, name.as_c_str(), Vec::new()).expect("readlink");
                    format!("link {}", to.to_string_lossy())
                }
                FileType::Directory => {
                    let sub = rustix::fs::openat(
                        dir,
                        name.as_c_str(),
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                    .expect("open dir");
                    walk(&sub, &rel, out);
                    format!("dir {:o} {when}", st.st_mode)
                }
                FileType::RegularFile => {
                    let fd = rustix::fs::openat(
                        dir,
                        name.as_c_str(),
                        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                    .expect("open");
                    let mut bytes = Vec::new();
                    std::fs::File::from(fd)
                        .read_to_end(&mut bytes)
                        .expect("read");
                    format!(
                        "file {:o} {when} {} {}",
                        st.st_mode,
                        st.st_nlink,
                        confess_shims::token::hex(&Sha256::digest(&bytes))
                    )
                }
                other => format!("{other:?} {:o} {when} {}", st.st_mode, st.st_rdev),
            };
            out.insert(rel, desc);
        }
    }
    let fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .expect("open root");
    let mut out = BTreeMap::new();
    walk(&fd, b"", &mut out);
    out
}

/// What confess may write in the root: the output directory, the lock files beside any
/// `--out`, and the names a case gives.
fn users(d: BTreeMap<Vec<u8>, String>, owned: &[&str]) -> BTreeMap<Vec<u8>, String> {
    d.into_iter()
        .filter(|(k, _)| {
            let top = k.split(|b| *b == b'/').next().unwrap_or_default();
            let lock = top.starts_with(b".") && top.ends_with(b".confess-lock");
            top != b"out" && !lock && !owned.iter().any(|o| top == o.as_bytes())
        })
        .collect()
}

/// Differences between two digests, in words.
fn changes(before: &BTreeMap<Vec<u8>, String>, after: &BTreeMap<Vec<u8>, String>) -> Vec<String> {
    let name = |k: &[u8]| {
        String::from_utf8_lossy(k)
            .chars()
            .take(120)
            .collect::<String>()
    };
    let mut v = Vec::new();
    for (k, d) in before {
        match after.get(k) {
            None => v.push(format!("removed {}", name(k))),
            Some(a) if a != d => v.push(format!("changed {} ({d} -> {a})", name(k))),
            _ => {}
        }
    }
    for k in after.keys().filter(|k| !before.contains_key(*k)) {
        v.push(format!("created {}", name(k)));
    }
    v
}

/// Scratch directories holding this case's sources, wherever confess puts them.
fn left_scratch(e: &Env) -> Vec<PathBuf> {
    let mut places = vec![
        e.scratch.clone(),
        PathBuf::from(confess::scratch::TMPFS),
        std::env::temp_dir(),
    ];
    places.dedup();
    let mut left = Vec::new();
    for place in places {
        let Ok(rd) = std::fs::read_dir(&place) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            let name = entry.file_name();
            let ours = place == e.scratch
                || name.as_bytes().starts_with(b"confess-")
                    && std::fs::symlink_metadata(p.join("src").join(&e.marker)).is_ok();
            if ours {
                left.push(p);
            }
        }
    }
    left
}

/// The path of the log a message tells the user to read, if it names one.
fn log_named(stderr: &str) -> Option<PathBuf> {
    let i = stderr.find("last lines of ")? + "last lines of ".len();
    let rest = &stderr[i..];
    Some(PathBuf::from(&rest[..rest.find(":\n")?]))
}

struct Row {
    name: &'static str,
    code: Option<i32>,
    excerpt: String,
    secs: f64,
    skipped: bool,
    failures: Vec<String>,
}

/// What a new confession holds, in a few words.
fn confessed(e: &Env) -> String {
    if let Ok(v) = json(&e.out.join("verify/verify.json")) {
        return format!("verified: {}", v["verdict"].as_str().unwrap_or("?"));
    }
    let tus = compdb(e).map_or(0, |db| db.len());
    let writes = outside_writes(e).map_or(0, |w| w.len());
    format!("confessed: {tus} compiles, {writes} writes outside the trees listed")
}

/// The line of the message that holds `want` (else its first error line), shortened.
fn excerpt(stderr: &str, want: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| !want.is_empty() && l.contains(want))
        .or_else(|| {
            stderr
                .lines()
                .find(|l| l.starts_with("confess: error:") || l.starts_with("error:"))
        })
        .or_else(|| {
            stderr.lines().find(|l| {
                !l.trim().is_empty()
                    && !l.starts_with("build phase")
                    && !l.starts_with("peak memory")
            })
        })
        .unwrap_or("-");
    let line = line
        .trim()
        .strip_prefix("confess: error: ")
        .unwrap_or(line.trim());
    let mut s: String = line.chars().take(110).collect();
    if line.chars().count() > 110 {
        s.push('…');
    }
    s
}

fn check_case(number: usize, case: &Case) -> Row {
    let mut row = Row {
        name: case.name,
        code: None,
        excerpt: String::new(),
        secs: 0.0,
        skipped: false,
        failures: Vec::new(),
    };
    if case.root_only && !is_root() {
        row.skipped = true;
        row.excerpt = "skipped: needs root".into();
        return row;
    }
    let e = Env::new(number);
    previous(&e);
    let cmd = (case.input)(&e);
    let owned = cmd.owned.clone();
    let before = users(digest(&e.root), &owned);
    let outside_before = digest(&e.outside);
    let out_before = digest(&e.out);
    let o = run(&e, cmd);
    row.code = o.code;
    // The table names the case's directories by what they are.
    let short = |s: &str| {
        s.replace(&e.scratch.display().to_string(), "SCRATCH")
            .replace(&e.root.display().to_string(), "ROOT")
    };
    row.excerpt = excerpt(&short(&o.stderr), &short(&e.fill(case.message)));
    row.secs = o.secs;
    let f = &mut row.failures;
    let stderr = || o.stderr.chars().take(3000).collect::<String>();
    if !o.code.is_some_and(|c| case.codes.contains(&c)) {
        f.push(format!(
            "exit {:?}, expected {:?}:\n{}",
            o.code,
            case.codes,
            stderr()
        ));
    }
    let message = e.fill(case.message);
    if !o.stderr.contains(&message) {
        f.push(format!("the message lacks {message:?}:\n{}", stderr()));
    }
    if o.stderr.contains("panicked") {
        f.push(format!("confess panicked:\n{}", stderr()));
    }
    if let Some(log) = log_named(&o.stderr) {
        if !log.is_file() {
            f.push(format!(
                "the message points at {}, which does not exist",
                log.display()
            ));
        }
    }
    let outside = changes(&outside_before, &digest(&e.outside));
    if !outside.is_empty() {
        f.push(format!("the sentinel directory changed: {outside:?}"));
    }
    let user = changes(&before, &users(digest(&e.root), &owned));
    if !user.is_empty() {
        f.push(format!(
            "files outside the output directory changed: {:?}",
            user.iter().take(20).collect::<Vec<_>>()
        ));
    }
    let left = left_scratch(&e);
    if !left.is_empty() {
        f.push(format!("scratch directories were left: {left:?}"));
    }
    let out_after = if e.out.is_dir() {
        digest(&e.out)
    } else {
        BTreeMap::new()
    };
    match &case.then {
        Then::Kept | Then::KeptAnd(_) => {
            let c = changes(&out_before, &out_after);
            if !c.is_empty() {
                f.push(format!(
                    "the previous confession changed: {:?}",
                    c.iter().take(20).collect::<Vec<_>>()
                ));
            }
        }
        Then::New(_) => {
            if !e.out.join(confess::outdir::MARKER).is_file() {
                f.push("no confession in --out".into());
            }
        }
    }
    if let Then::KeptAnd(check) | Then::New(check) = &case.then {
        if let Err(why) = check(&e, &o) {
            f.push(why);
        }
    }
    if let (Then::New(_), Some(0)) = (&case.then, o.code) {
        row.excerpt = confessed(&e);
    }
    row
}

#[test]
fn hostile_inputs_leave_everything_outside_the_output_directory_as_it_was() {
    require("make", "make");
    require("ninja", "ninja-build");
    require("unshare", "util-linux");
    require("setpriv", "util-linux");
    require("bash", "bash");
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let started = Instant::now();
    // Two at a time: each case has its own root, scratch directory and output directory.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let row =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_case(i, case)))
                        .unwrap_or_else(|p| Row {
                            name: case.name,
                            code: None,
                            excerpt: String::new(),
                            secs: 0.0,
                            skipped: false,
                            failures: vec![format!(
                                "the case's set-up panicked: {}",
                                p.downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| p.downcast_ref::<&str>().map(ToString::to_string))
                                    .unwrap_or_default()
                            )],
                        });
                rows.lock().expect("rows").push((i, row));
            });
        }
    });
    let mut rows = rows.into_inner().expect("rows");
    rows.sort_by_key(|(i, _)| *i);
    let mut table = String::from(
        "\n| # | case | exit | message | s | result |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for (i, r) in &rows {
        let result = if r.skipped {
            "skipped"
        } else if r.failures.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {:.1} | {result} |",
            i + 1,
            r.name,
            r.code.map_or("-".to_string(), |c| c.to_string()),
            r.excerpt.replace('|', "\\|"),
            r.secs,
        );
    }
    let failed: Vec<&(usize, Row)> = rows
        .iter()
        .filter(|(_, r)| !r.failures.is_empty())
        .collect();
    let _ = writeln!(
        table,
        "\n{} cases, {} ok, {} failed, {} skipped, {:.0} s",
        rows.len(),
        rows.iter()
            .filter(|(_, r)| !r.skipped && r.failures.is_empty())
            .count(),
        failed.len(),
        rows.iter().filter(|(_, r)| r.skipped).count(),
        started.elapsed().as_secs_f64()
    );
    println!("{table}");
    let mut why = String::new();
    for (i, r) in &failed {
        let _ = write!(why, "\n#{} {}:\n", i + 1, r.name);
        for f in &r.failures {
            let _ = writeln!(why, "  - {f}");
        }
    }
    assert!(
        failed.is_empty(),
        "{} hostile cases failed:{why}",
        failed.len()
    );
}
