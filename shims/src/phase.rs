//! Deciding, per call, whether to confess or to run the real tool.
//!
//! The driver's phase is only a first answer: configure steps re-run inside a build (CMake
//! regenerating, `config.status --recheck`, meson regenerating), and probes and queries must get
//! real answers wherever they happen, or wrong answers end up cached in config.h.

use crate::args::{Command, Stop};
use crate::facts::Reason;
use crate::flags::Meaning;
use std::path::Path;

/// Whether a call is confessed, or runs the real tool and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Confess,
    Passthrough(Reason),
}

/// Directories where configure tools run their probes.
const PROBE_DIRS: &[&str] = &[
    "CMakeScratch",
    "CMakeTmp",
    "meson-private",
    "CompilerIdC",
    "CompilerIdCXX",
    "CompilerIdASM",
];

/// The decision for a compiler-driver call that parsed. `ancestors` yields each ancestor's argv,
/// nearest first, and is only walked when nothing cheaper decided.
pub fn decide_driver(
    cmd: &Command,
    cwd: &Path,
    ancestors: &mut dyn Iterator<Item = Vec<String>>,
) -> Decision {
    let pass = Decision::Passthrough;
    if cmd.info {
        return pass(Reason::InfoQuery);
    }
    match cmd.stop() {
        Stop::Preprocess => return pass(Reason::Preprocess),
        Stop::DepsOnly => return pass(Reason::DepsOnly),
        _ => {}
    }
    if cmd.inputs.is_empty() {
        return pass(Reason::NoInputs);
    }
    if cmd.args.iter().any(|a| {
        a.kind == crate::args::ArgKind::Flag(Meaning::Feature)
            && a.value.as_deref() == Some("syntax-only")
    }) {
        return pass(Reason::SyntaxOnly);
    }
    if cmd.reads_stdin() {
        return pass(Reason::Stdin);
    }
    let dev_null = |p: &str| p == "/dev/null";
    if cmd.inputs.iter().any(|i| dev_null(&i.path)) || cmd.output.as_deref().is_some_and(dev_null) {
        return pass(Reason::DevNull);
    }
    let paths = cmd
        .inputs
        .iter()
        .map(|i| i.path.as_str())
        .chain(cmd.output.as_deref());
    decide_context(paths, cwd, ancestors)
}

/// The checks shared by every role: probe files, probe directories, configure ancestors.
pub fn decide_context<'a>(
    paths: impl Iterator<Item = &'a str>,
    cwd: &Path,
    ancestors: &mut dyn Iterator<Item = Vec<String>>,
) -> Decision {
    for p in paths {
        let base = Path::new(p)
            .file_name()
            .and_then(|b| b.to_str())
            .unwrap_or("");
        if base.starts_with("conftest") {
            return Decision::Passthrough(Reason::Conftest);
        }
    }
    for comp in cwd.components() {
        let c = crate::raw::text_os(comp.as_os_str());
        if let Some(d) = PROBE_DIRS.iter().find(|d| c == **d) {
            return Decision::Passthrough(Reason::ProbeDir((*d).to_string()));
        }
    }
    for argv in ancestors {
        if let Some(name) = configure_ancestor(&argv) {
            return Decision::Passthrough(Reason::ConfigureAncestor(name.to_string()));
        }
    }
    Decision::Confess
}

/// Whether a process is a configure step: cmake configuring (not `-E`, not `--build`),
/// `configure` or `config.status` scripts, meson setting up or regenerating.
pub fn configure_ancestor(argv: &[String]) -> Option<&'static str> {
    let base = |i: usize| {
        argv.get(i)
            .and_then(|a| Path::new(a).file_name())
            .and_then(|b| b.to_str())
            .unwrap_or("")
    };
    let has = |w: &str| argv.iter().skip(1).any(|a| a == w);
    if base(0) == "cmake" || base(0).starts_with("cmake3") {
        if has("-E") || has("--build") || has("--install") {
            return None;
        }
        return Some("cmake");
    }
    for i in 0..2 {
        match base(i) {
            "configure" => return Some("configure"),
            "config.status" => return Some("config.status"),
            "meson" | "meson.py" => {
                let rest: Vec<&str> = argv[i + 1..].iter().map(String::as_str).collect();
                let sub = rest.iter().copied().find(|a| !a.starts_with('-'));
                let internal = rest.first() == Some(&"--internal");
                if internal {
                    return (rest.get(1) == Some(&"regenerate")).then_some("meson");
                }
                return match sub {
                    Some("setup" | "configure") => Some("meson"),
                    // `meson builddir` with no subcommand is the old spelling of setup.
                    Some(s)
                        if !matches!(s, "compile" | "install" | "test" | "introspect" | "dist") =>
                    {
                        Some("meson")
                    }
                    _ => None,
                };
            }
            _ => {}
        }
    }
    None
}

/// Whether a process is `meson --internal NAME` (meson run as `meson`, `meson.py`, or by an
/// interpreter: `python3 /usr/bin/meson --internal NAME ...`).
#[must_use]
pub fn meson_internal(argv: &[String], name: &str) -> bool {
    (0..2).any(|i| {
        let base = argv
            .get(i)
            .and_then(|a| Path::new(a).file_name())
            .and_then(|b| b.to_str())
            .unwrap_or("");
        matches!(base, "meson" | "meson.py")
            && argv.get(i + 1).map(String::as_str) == Some("--internal")
            && argv.get(i + 2).map(String::as_str) == Some(name)
    })
}

/// Walks up the process tree from the parent: each ancestor's argv, nearest first, stopping at
/// the driver (or init) and after a fixed depth.
pub struct Ancestors {
    pid: u32,
    stop_at: [Option<u32>; 2],
    left: usize,
}

impl Ancestors {
    #[must_use]
    pub fn new(stop_at: Option<u32>) -> Ancestors {
        Ancestors {
            pid: std::os::unix::process::parent_id(),
            stop_at: [stop_at, None],
            left: 64,
        }
    }

    /// Stops at `pid` as well (before yielding it).
    #[must_use]
    pub fn stopping_at(mut self, pid: Option<u32>) -> Ancestors {
        self.stop_at[1] = pid;
        self
    }
}

impl Iterator for Ancestors {
    type Item = Vec<String>;
    fn next(&mut self) -> Option<Vec<String>> {
        if self.pid <= 1 || self.left == 0 || self.stop_at.contains(&Some(self.pid)) {
            return None;
        }
        self.left -= 1;
        let pid = self.pid;
        let argv = cmdline(pid).unwrap_or_default();
        self.pid = parent_of(pid).unwrap_or(0);
        Some(argv)
    }
}

#[must_use]
pub fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = read_proc(&format!("/proc/{pid}/cmdline"))?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| crate::raw::text(s).into_owned())
            .collect(),
    )
}

#[must_use]
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = String::from_utf8(read_proc(&format!("/proc/{pid}/stat"))?).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A /proc file's bytes, read with one `read` into a page-sized buffer (and more only when it is
/// longer). Its size shows as 0, so `fs::read` would `stat` it and then read in growing steps
/// from 32 bytes, and each read of `cmdline` copies from the other process's memory anew.
fn read_proc(path: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 4096];
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(2 * n, 0);
        }
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(n);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::parse;

    #[test]
    fn meson_internal_scripts_are_known_however_meson_is_run() {
        let v = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(meson_internal(
            &v("/usr/bin/python3 /usr/bin/meson --internal symbolextractor /b lib.so lib.so lib.so.symbols"),
            "symbolextractor"
        ));
        assert!(meson_internal(
            &v("meson --internal symbolextractor /b x"),
            "symbolextractor"
        ));
        assert!(!meson_internal(
            &v("meson --internal regenerate /s /b"),
            "symbolextractor"
        ));
        assert!(!meson_internal(&v("meson setup b"), "symbolextractor"));
        assert!(!meson_internal(
            &v("python3 x.py --internal symbolextractor"),
            "symbolextractor"
        ));
        assert!(!meson_internal(&[], "symbolextractor"));
    }

    #[test]
    fn proc_files_are_read_whole() {
        let me = std::process::id();
        let argv = cmdline(me).expect("own cmdline");
        assert_eq!(argv, std::env::args().collect::<Vec<_>>());
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
        // Longer than the first buffer: nothing is cut at 4096 bytes.
        let big = "x".repeat(10_000);
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env_clear()
            .env("BIG", &big)
            .spawn()
            .expect("sleep");
        let env = read_proc(&format!("/proc/{}/environ", child.id()));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(env.expect("environ"), format!("BIG={big}\0").into_bytes());
    }

    fn cmd(line: &str) -> Command {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&words, false, Path::new("/")).expect("parses")
    }

    fn decide(line: &str, cwd: &str, ancestors: &[&[&str]]) -> Decision {
        let mut it = ancestors.iter().map(|a| {
            a.iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
        });
        decide_driver(&cmd(line), Path::new(cwd), &mut it)
    }

    fn passes(d: Decision) -> String {
        match d {
            Decision::Passthrough(r) => r.text().into_owned(),
            Decision::Confess => "confess".into(),
        }
    }

    #[test]
    fn plain_compiles_and_links_confess() {
        assert_eq!(
            decide("-c a.c -o a.o", "/b", &[&["make"]]),
            Decision::Confess
        );
        assert_eq!(
            decide("-o app a.o -lm", "/b", &[&["/bin/sh", "-c", "x"]]),
            Decision::Confess
        );
    }

    #[test]
    fn probes_and_queries_pass_through() {
        let cases = [
            ("--version", "/b", "info-query"),
            ("-E a.c", "/b", "preprocess"),
            ("-M a.c", "/b", "deps-only"),
            ("-c conftest.c", "/b", "conftest"),
            ("-c -x c -", "/b", "stdin"),
            ("-c a.c -o /dev/null", "/b", "dev-null"),
            (
                "-c a.c",
                "/b/CMakeFiles/CMakeScratch/TryCompile-x",
                "probe-dir:CMakeScratch",
            ),
            ("-c a.c", "/b/meson-private/tmp", "probe-dir:meson-private"),
            ("-c a.c -fsyntax-only", "/b", "syntax-only"),
        ];
        for (line, cwd, want) in cases {
            assert_eq!(passes(decide(line, cwd, &[])), want, "{line}");
        }
    }

    #[test]
    fn configure_reruns_inside_a_build_pass_through() {
        let d = decide(
            "-c a.c",
            "/b",
            &[&["make"], &["/bin/sh", "./config.status", "--recheck"]],
        );
        assert_eq!(passes(d), "configure-ancestor:config.status");
        let d = decide(
            "-c a.c",
            "/b",
            &[&["/bin/bash", "./configure", "--no-create"]],
        );
        assert_eq!(passes(d), "configure-ancestor:configure");
        let d = decide(
            "-c a.c",
            "/b",
            &[&["cmake", "--regenerate-during-build", "-S.", "-B."]],
        );
        assert_eq!(passes(d), "configure-ancestor:cmake");
        let d = decide(
            "-c a.c",
            "/b",
            &[&["python3", "/usr/bin/meson", "--internal", "regenerate", "x"]],
        );
        assert_eq!(passes(d), "configure-ancestor:meson");
    }

    #[test]
    fn build_steps_run_by_build_tools_still_confess() {
        for anc in [
            &["cmake", "-E", "cmake_link_script", "x"][..],
            &["cmake", "--build", "."],
            &["python3", "/usr/bin/meson", "--internal", "exe", "x"],
            &["python3", "/usr/bin/meson", "compile"],
        ] {
            assert_eq!(decide("-c a.c", "/b", &[anc]), Decision::Confess, "{anc:?}");
        }
    }

    #[test]
    fn proc_walk_reads_this_process() {
        let me = std::process::id();
        assert!(cmdline(me).is_some_and(|a| !a.is_empty()));
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
    }
}
