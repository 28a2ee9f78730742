//! Shared helpers for the integration tests: run the real `confess` binary against fixtures and
//! real projects in temporary directories, and compare with real tools (Bear, make, gcc).
#![allow(dead_code)]

pub mod clangd;
pub mod corpus;
pub mod dhall;
pub mod html;
pub mod sbom;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

pub fn confess_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_confess"))
}

/// The work cache the tests share: one per build of the tests, cold in a fresh checkout, so a
/// test run never reads what another version of confess realized (the user's own cache is
/// not touched).
pub fn test_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("work-cache")
}

/// `confess` as the tests run it: with the tests' work cache unless the environment names one.
pub fn confess_command() -> Command {
    let mut c = Command::new(confess_bin());
    if std::env::var_os("CONFESS_CACHE").is_none() {
        c.env("CONFESS_CACHE", test_cache());
    }
    c
}

/// Tests need real tools; a missing one fails the test with what to install.
pub fn require(tool: &str, package: &str) {
    assert!(
        which::which(tool).is_ok(),
        "`{tool}` is required by this test: install the Debian package `{package}` (.ci/run does)"
    );
}

pub fn fixture(path: &str) -> PathBuf {
    repo().join("fixtures").join(path)
}

pub struct Run {
    pub out: PathBuf,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name))
            .unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }
    pub fn json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(name)).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    }
    /// The in-process header scan answered every compile itself (no fall back to gcc -M).
    pub fn assert_scanned_in_process(&self) -> &Run {
        let log = std::fs::read_to_string(self.out.join("build.log")).unwrap_or_default();
        let notes: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("fell back to the preprocessor"))
            .collect();
        assert!(
            notes.is_empty(),
            "the header scan fell back:\n{}",
            notes.join("\n")
        );
        self
    }

    pub fn assert_ok(&self) -> &Run {
        assert_eq!(
            self.code(),
            0,
            "confess failed:\nstdout:\n{}\nstderr:\n{}\nlog:\n{}",
            self.stdout(),
            self.stderr(),
            std::fs::read_to_string(self.out.join("build.log")).unwrap_or_default()
        );
        assert_no_scratch_paths_below(&self.out);
        self
    }
}

/// Fails when any file below the output directory `out` names a scratch directory, read as
/// bytes (logs, the File API reply, meson-info, generated files, verify's files included).
/// `confession/` is left out: it is the record of the build as it ran, where it ran (the
/// event store and the token store, whose lines are checksummed), which re-extraction reads.
pub fn assert_no_scratch_paths_below(out: &Path) {
    fn walk(dir: &Path, out: &Path) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if p != out.join("confession") {
                    walk(&p, out);
                }
            } else if ft.is_file() {
                let bytes = std::fs::read(&p).unwrap_or_default();
                let rel = p.strip_prefix(out).unwrap_or(&p).display().to_string();
                assert_no_scratch_paths_in(&rel, &String::from_utf8_lossy(&bytes));
            } else if ft.is_symlink() {
                let target = std::fs::read_link(&p).unwrap_or_default();
                let rel = p.strip_prefix(out).unwrap_or(&p).display().to_string();
                assert_no_scratch_paths_in(&rel, &target.display().to_string());
            }
        }
    }
    walk(out, out);
}

/// How the paths of scratch directories start, in every place confess may put them.
pub fn scratch_prefixes() -> Vec<String> {
    [std::env::temp_dir(), PathBuf::from(confess::scratch::TMPFS)]
        .iter()
        .map(|d| format!("{}/confess-", d.display()))
        .collect()
}

/// Fails when `text` (the file `what` of an output) names a scratch directory, which is gone.
/// Output directories the tests make are named `confess-out...` and may appear.
pub fn assert_no_scratch_paths_in(what: &str, text: &str) {
    for prefix in scratch_prefixes() {
        for (i, _) in text.match_indices(&prefix) {
            let rest = &text[i + prefix.len()..];
            assert!(
                rest.starts_with("out"),
                "{what} points into the scratch directory: {}",
                &text[i..(i + 80).min(text.len())]
            );
        }
    }
}

/// Runs `confess ARGS` with `--out` set to a fresh directory inside `tmp`.
pub fn confess(tmp: &Path, args: &[&str]) -> Run {
    confess_with(tmp, args, &[])
}

/// Runs `confess ARGS --keep-scratch`; returns the run and the kept scratch directory (the
/// caller removes it).
pub fn confess_keeping_scratch(tmp: &Path, args: &[&str]) -> (Run, PathBuf) {
    let run = confess_with(tmp, args, &["--keep-scratch"]);
    let stderr = run.stderr();
    let scratch = stderr
        .lines()
        .find_map(|l| l.strip_prefix("confess: scratch directory kept at "))
        .map_or_else(
            || panic!("confess kept no scratch directory:\n{stderr}"),
            |l| PathBuf::from(l.rsplit_once(" (").map_or(l, |(p, _)| p)),
        );
    (run, scratch)
}

/// A command run again under the shims of a kept scratch directory, in its build phase, as
/// confess runs the build (PATH led by the shims, the real PATH for the real tools).
pub fn under_shims(scratch: &Path, program: &str) -> Command {
    let real_path = std::env::var("PATH").unwrap_or_default();
    let mut c = Command::new(program);
    c.env(
        "PATH",
        format!("{}:{real_path}", scratch.join("bin").display()),
    )
    .env("CONFESS_REAL_PATH", &real_path)
    .env("CONFESS_DIR", scratch.join("session"))
    .env("CONFESS_PHASE", "build")
    .env("CONFESS_SHIM_DIR", scratch.join("bin"))
    .env("CONFESS_SHIM_PRIVATE_DIR", scratch.join("bin-private"))
    .env("CONFESS_ROOT", scratch);
    c
}

/// The event store of a kept scratch directory, with the events that shims run by hand since
/// the confession appended to its log moved in.
pub fn scratch_events(scratch: &Path) -> rusqlite::Connection {
    let db = scratch.join("session/events.sqlite");
    let mut conn = rusqlite::Connection::open(&db).expect("store");
    confess_shims::events::import(&mut conn, &db).expect("import the event log");
    conn
}

/// A JSON array of strings, as strings (panics on anything else, naming what it got).
pub fn strs(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("not a string: {s}")))
        .collect()
}

/// The target `dir:name` of a targets.json (`dir` `None`: in any package).
pub fn target_of<'a>(
    targets: &'a serde_json::Value,
    dir: Option<&str>,
    name: &str,
) -> &'a serde_json::Value {
    targets["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| dir.is_none_or(|d| p["dir"] == d))
        .flat_map(|p| p["targets"].as_array().expect("targets").iter())
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no target {dir:?}:{name} in {targets}"))
}

/// Runs `confess ARGS` with extra environment variables.
pub fn confess_env(tmp: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    confess_full(tmp, args, &[], env)
}

fn confess_with(tmp: &Path, args: &[&str], options: &[&str]) -> Run {
    confess_full(tmp, args, options, &[])
}

/// Runs `confess ARGS` with `options` right after the subcommand and extra environment variables.
pub fn confess_full(tmp: &Path, args: &[&str], options: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tmp.join("confess-out");
    let mut cmd = confess_command();
    // Options go right after the subcommand, before any `--`.
    cmd.arg(args[0])
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(options)
        .args(&args[1..]);
    // Every header scan is checked against the real preprocessor's (gcc -M) in the tests.
    cmd.env("CONFESS_VERIFY_HEADERS", "1");
    cmd.envs(env.iter().copied());
    let output = cmd.output().expect("run confess");
    Run { out, output }
}

/// A content hash of every file, link and mode in a tree: equal before and after means the
/// tree was not touched.
pub fn tree_digest(root: &Path) -> BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::MetadataExt;
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            let desc = if meta.file_type().is_symlink() {
                format!("link {}", std::fs::read_link(&p).expect("link").display())
            } else if meta.is_dir() {
                walk(root, &p, out);
                format!("dir {:o} {}", meta.mode(), meta.mtime())
            } else {
                let bytes = std::fs::read(&p).expect("read");
                format!(
                    "file {:o} {} {}",
                    meta.mode(),
                    meta.mtime(),
                    confess_shims::token::hex(&Sha256::digest(&bytes))
                )
            };
            out.insert(rel, desc);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Copies a fixture into a temporary directory with `cp -a` (keeps mtimes).
pub fn copy_dir(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

/// A translation unit reduced to what affects compilation: the file (relative to its root) and
/// the flags in order, without the driver, -c, -o, depfile flags and the file itself.
pub type Tu = (String, Vec<String>);

pub fn compile_affecting(entry: &serde_json::Value, roots: &[&Path], expand_rsp: bool) -> Tu {
    let root = roots[0];
    let dir = PathBuf::from(entry["directory"].as_str().expect("directory"));
    let file = PathBuf::from(entry["file"].as_str().expect("file"));
    let file_abs = if file.is_absolute() {
        file.clone()
    } else {
        dir.join(&file)
    };
    let clean = confess_shims::headers::lexical(&file_abs);
    let rel = roots
        .iter()
        .find_map(|r| clean.strip_prefix(r).ok())
        .map_or_else(
            || file_abs.display().to_string(),
            |p| p.display().to_string(),
        );
    let mut words: Vec<String> = entry["arguments"]
        .as_array()
        .expect("arguments")
        .iter()
        .skip(1)
        .map(|w| w.as_str().expect("string").to_string())
        .collect();
    if expand_rsp {
        let mut out = Vec::new();
        expand(&words, &dir, &mut out);
        words = out;
    }
    let root_text = root.display().to_string();
    let mut flags = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-c" | "-MD" | "-MMD" | "-MP" | "-MG" => {}
            "-o" | "-MF" | "-MT" | "-MQ" => {
                it.next();
            }
            w if w.starts_with("-MF") || w.starts_with("-MT") || w.starts_with("-MQ") => {}
            w if w.starts_with("-Wp,-MD,") || w.starts_with("-Wp,-MMD,") => {}
            // A compile-and-link call's libraries and objects (`cc -o app main.c libx.a`): Bear
            // keeps them among a source's arguments, confess keeps them for the link; they do
            // not affect the compile.
            w if !w.starts_with('-')
                && [".a", ".so", ".o", ".lo"].iter().any(|x| w.ends_with(x)) => {}
            w => {
                let abs = if Path::new(w).is_absolute() {
                    PathBuf::from(w)
                } else {
                    dir.join(w)
                };
                if confess_shims::headers::lexical(&abs)
                    == confess_shims::headers::lexical(&file_abs)
                {
                    continue;
                }
                flags.push(w.replace(&root_text, "$ROOT"));
            }
        }
    }
    (rel, flags)
}

fn expand(words: &[String], dir: &Path, out: &mut Vec<String>) {
    for w in words {
        match w.strip_prefix('@') {
            Some(f) if dir.join(f).is_file() => {
                let text = std::fs::read_to_string(dir.join(f)).expect("rsp");
                let inner = confess_shims::args::split_response_file(text.as_bytes());
                expand(&inner, dir, out);
            }
            _ => out.push(w.clone()),
        }
    }
}

/// A compile database of an in-source build without the search directories confess adds for
/// the two halves of its tree (`generated` and the user's): the generated half of each search
/// directory (`-I`, `-iquote`, `-isystem`, `-idirafter` naming a directory below `generated`),
/// and the other half of a file's own directory, searched first (`-iquote` and an absolute
/// path, before the real command's words). What remains is the real compile's command.
pub fn without_generated_halves(db: &serde_json::Value, generated: &Path) -> serde_json::Value {
    let mut db = db.clone();
    for e in db.as_array_mut().expect("array") {
        let mut words: Vec<String> = e["arguments"]
            .as_array()
            .expect("arguments")
            .iter()
            .map(|w| w.as_str().expect("string").to_string())
            .collect();
        let front = 1 + usize::from(words.get(1).is_some_and(|w| w == "-c"));
        while words.get(front).is_some_and(|w| w == "-iquote")
            && words.get(front + 1).is_some_and(|p| p.starts_with('/'))
        {
            words.drain(front..front + 2);
        }
        let mut kept = Vec::new();
        let mut it = words.into_iter().peekable();
        while let Some(w) = it.next() {
            if w.strip_prefix("-I")
                .is_some_and(|p| Path::new(p).starts_with(generated))
            {
                continue;
            }
            if ["-iquote", "-isystem", "-idirafter"].contains(&w.as_str())
                && it
                    .peek()
                    .is_some_and(|p| Path::new(p).starts_with(generated))
            {
                it.next();
                continue;
            }
            kept.push(w);
        }
        e["arguments"] = kept.into();
    }
    db
}

/// Translation units of a compile database, sorted, as a multiset.
pub fn tus(db: &serde_json::Value, roots: &[&Path], expand_rsp: bool) -> Vec<Tu> {
    let mut v: Vec<Tu> = db
        .as_array()
        .expect("array")
        .iter()
        .map(|e| compile_affecting(e, roots, expand_rsp))
        .collect();
    v.sort();
    v
}

/// Runs the real build under Bear in `dir` and returns its compile database.
pub fn bear(dir: &Path, build: &[&str]) -> serde_json::Value {
    require("bear", "bear");
    let out = dir.join("compile_commands.bear.json");
    let st = Command::new("bear")
        .arg("--output")
        .arg(&out)
        .arg("--")
        .args(build)
        .current_dir(dir)
        .output()
        .expect("run bear");
    assert!(
        st.status.success(),
        "bear -- {build:?} failed in {}:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&st.stdout),
        String::from_utf8_lossy(&st.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).expect("bear output")).expect("bear json")
}

/// Runs `confess verify --out OUT`: exit code, what it printed, verify.json.
pub fn verify(out: &Path) -> (i32, String, serde_json::Value) {
    let o = confess_command()
        .args(["verify", "--out"])
        .arg(out)
        .output()
        .expect("run confess verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let json = std::fs::read_to_string(out.join("verify/verify.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (o.status.code().unwrap_or(-1), text, json)
}

/// `confess verify` agrees on every target; returns (objects, objects identical in bytes).
pub fn assert_verified(what: &str, out: &Path) -> (usize, usize) {
    let (code, text, report) = verify(out);
    assert_eq!(code, 0, "{what}: verify failed:\n{text}");
    assert_no_scratch_paths_below(out);
    assert_eq!(report["verdict"], "match", "{what}: {report}");
    let targets = report["targets"].as_array().expect("targets");
    assert!(!targets.is_empty(), "{what}: no targets");
    let (mut objects, mut identical) = (0, 0);
    for t in targets {
        assert!(
            matches!(t["verdict"].as_str(), Some("identical" | "equivalent")),
            "{what}: {t}"
        );
        objects += usize::try_from(t["objects"].as_u64().expect("objects")).expect("a count");
        identical +=
            usize::try_from(t["objects_identical"].as_u64().expect("identical")).expect("a count");
    }
    (objects, identical)
}

/// confess and confess-shim where any user can run them: copies in a directory of mode 755
/// (the build's own target directory may sit below one only its owner can enter, as a
/// `mktemp -d` clone does). For tests that run confess as an unprivileged user.
pub fn confess_bin_for_anyone() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("confess-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let me = confess_bin();
        for name in ["confess", "confess-shim"] {
            let from = me.with_file_name(name);
            let to = dir.join(name);
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        dir
    })
    .join("confess")
}

/// Whether the process of `/proc/PID` (`proc_dir`) still runs: a zombie has exited, and only
/// its entry is left until its parent reaps it.
pub fn running(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Whether a process (not a zombie) whose environment holds `CONFESS_TEST_MARK=mark` runs on
/// the machine: how tests find a sealed build's processes from outside its PID namespace.
pub fn marked_alive(mark: &str) -> bool {
    let want = format!("CONFESS_TEST_MARK={mark}").into_bytes();
    std::fs::read_dir("/proc").is_ok_and(|rd| {
        rd.flatten().any(|e| {
            std::fs::read(e.path().join("environ")).is_ok_and(|env| {
                env.split(|b| *b == 0).any(|v| v == want.as_slice()) && running(&e.path())
            })
        })
    })
}

/// Every file below `root`, by its path relative to `root`, with its bytes; directories and
/// links too (a link by its target).
pub fn contents(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("below").display().to_string();
            let ft = e.file_type().expect("file type");
            if ft.is_symlink() {
                let t = std::fs::read_link(&p).expect("link");
                out.insert(rel, format!("-> {}", t.display()).into_bytes());
            } else if ft.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Fails naming every path that differs between two trees (an extraction against the
/// confession it came from).
pub fn assert_same_trees(what: &str, want: &Path, got: &Path) {
    assert_same_contents(what, &contents(want), &contents(got));
}

/// Fails naming every path whose bytes differ between two trees' [`contents`].
pub fn assert_same_contents(
    what: &str,
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
) {
    let mut diffs = Vec::new();
    for k in a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(_), Some(_)) => diffs.push(format!("differs: {k}")),
            (Some(_), None) => diffs.push(format!("missing: {k}")),
            (None, _) => diffs.push(format!("extra: {k}")),
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}: the extraction differs from the confession:\n{}",
        diffs.join("\n")
    );
}

/// `confess extract --from FROM [--out OUT]`, run to its end.
pub fn extract(from: &Path, out: Option<&Path>) -> std::process::Output {
    let mut c = confess_command();
    c.arg("extract").arg("--from").arg(from);
    if let Some(o) = out {
        c.arg("--out").arg(o);
    }
    c.output().expect("run confess extract")
}
