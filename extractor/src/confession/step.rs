//! One step of the build run with the shims in place: how it is started, where its output
//! goes, what the seal observed of it, and what is said when it fails.

use super::Observed;
use crate::drivers::{Driver, Step};
use crate::error::{Error, Result};
use crate::progress::{Counts, Display};
use crate::scratch::Scratch;
use crate::seal::{Report, Seal};
use confess_shims::session::{self as ss, Phase};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Where a step's output goes and how it is shown.
pub(super) struct Output<'a> {
    /// build.log, which every step appends to.
    pub log_path: &'a Path,
    pub display: &'a Display,
    /// `--verbose`: the output is also copied onto stderr.
    pub stream: bool,
}

/// The command a step starts: through the shim (`--confess-top`) when it can be, else itself.
struct Launch {
    program: OsString,
    args: Vec<OsString>,
    /// The PATH the step's program is looked up in.
    path: Option<OsString>,
    /// Whether the shim starts the step's command as the top of the build.
    as_top: bool,
}

/// Runs one step with the shims in place, sealed when the run is; output goes to build.log,
/// and what the seal observed of it is added to `seen`.
pub(super) fn run_step(
    step: &Step,
    scratch: &Scratch,
    seal: &Seal,
    output: &Output,
    seen: &mut Observed,
) -> Result<(i32, Counts)> {
    let log_path = output.log_path;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| Error::io("writing", log_path, e))?;
    let env = scratch.env(step.phase)?;
    let launch = launch_of(step, scratch, &env);
    if seal.is_sealed() && !launch.as_top {
        crate::seal::check_program(&step.program, launch.path.as_deref(), &step.cwd)?;
    }
    let mut sealed = seal.command(&launch.program, &launch.args, &step.cwd)?;
    let cmd = &mut sealed.command;
    if !seal.is_sealed() {
        cmd.stdin(Stdio::null());
    }
    let progress = output.display.step(
        step.phase,
        &step.label,
        &confess_shims::events::log_path(&ss::events_path(&scratch.session)),
        log_path,
    );
    let streamed = direct_output(
        cmd,
        log,
        output.stream.then(|| progress.bar().clone()),
        log_path,
    )?;
    // Its own process group, so that a signal stops the step's whole process tree.
    // The step's ninja tells how far it is as `[done/total]`, whatever the user's NINJA_STATUS.
    cmd.process_group(0).env("NINJA_STATUS", "[%f/%t] ");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in &step.env {
        cmd.env(k, v);
    }
    let mut child = spawn(cmd, &step.program)?;
    let status = crate::interrupt::wait(&mut child, &step.program);
    if let Some(done) = streamed {
        // What the build left running may hold the pipe open: its output is not waited for.
        let _ = done.recv_timeout(Duration::from_secs(2));
    }
    let counts = progress.finish();
    let status = confess_shims::ctx::exit_code(status?);
    let report = sealed.report()?;
    observe(step, &scratch.session, seal.is_sealed(), report, seen);
    Ok((status, counts))
}

/// How the step is started. A build step's command starts through the shim, which becomes it
/// with its own pid in CONFESS_TOP_PID: compiles it runs directly then need not read it back
/// from /proc to see that it is no configure step (judged here, once). The command must exist
/// for that.
fn launch_of(step: &Step, scratch: &Scratch, env: &[(String, OsString)]) -> Launch {
    let command_line: Vec<String> = std::iter::once(step.program.clone())
        .chain(step.args.iter().cloned())
        .collect();
    let path = step
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| {
            env.iter()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| v.clone())
        });
    let as_top = step.phase == Phase::Build
        && confess_shims::phase::configure_ancestor(&command_line).is_none()
        && which::which_in(&step.program, path.clone(), &step.cwd).is_ok();
    let (program, args) = if as_top {
        (
            scratch.shim.clone().into_os_string(),
            std::iter::once(OsString::from("--confess-top"))
                .chain(command_line.iter().map(OsString::from))
                .collect(),
        )
    } else {
        (
            OsString::from(&step.program),
            step.args.iter().map(OsString::from).collect(),
        )
    };
    Launch {
        program,
        args,
        path,
        as_top,
    }
}

/// Sends the command's output into build.log; with a bar to stream to (`--verbose`), through a
/// pipe, into build.log and onto stderr. The receiver hears when the streamed output has ended.
fn direct_output(
    cmd: &mut Command,
    log: std::fs::File,
    stream_to: Option<crate::progress::Bar>,
    log_path: &Path,
) -> Result<Option<std::sync::mpsc::Receiver<()>>> {
    let Some(bar) = stream_to else {
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("writing", log_path, e))?;
        cmd.stdout(log).stderr(log_err);
        return Ok(None);
    };
    let (reader, writer) =
        std::io::pipe().map_err(|e| Error::io("opening a pipe for", log_path, e))?;
    let writer_err = writer
        .try_clone()
        .map_err(|e| Error::io("opening a pipe for", log_path, e))?;
    cmd.stdout(writer).stderr(writer_err);
    Ok(Some(stream_output(reader, log, bar)))
}

/// Starts the command; a program that is not there is a missing tool.
fn spawn(cmd: &mut Command, program: &str) -> Result<std::process::Child> {
    let spawned = cmd.spawn();
    // The pipe's writing ends go with the command, so that the reader sees the end.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    spawned.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingTool {
            tool: program.to_string(),
            hint: "install it, or check the command".into(),
        },
        _ => Error::io("running", program, e),
    })
}

/// Adds what the seal observed of the step to `seen`: its network attempts, its writes and
/// reads outside the trees, or why its reads were not observed.
fn observe(step: &Step, session: &Path, sealed: bool, report: Report, seen: &mut Observed) {
    let what = format!("{} ({})", step.label, step.phase.as_str());
    if report.network_attempts > 0 {
        seen.network.push(crate::seal::NetworkAttempts {
            step: what.clone(),
            build: step.phase == Phase::Build,
            attempts: report.network_attempts,
        });
    }
    for mut w in report.writes {
        w.step.clone_from(&what);
        seen.outside.push(w);
    }
    if !sealed {
        seen.unobserved.push(format!("{what}: unsealed"));
    } else if let Some(why) = &report.reads_unobserved {
        seen.unobserved.push(format!("{what}: {why}"));
    }
    let observed = sealed && report.reads_unobserved.is_none();
    let mut opened = report.reads;
    if observed {
        add_replayed(session, &mut opened, &seen.unwatched);
    } else {
        let _ = std::fs::remove_file(session.join(confess_shims::workcache::REPLAYED_OPENS));
    }
    for mut r in crate::watch::outside_reads(&opened, &seen.own) {
        r.step.clone_from(&what);
        r.build = step.phase == Phase::Build;
        seen.reads.push(r);
    }
}

/// What answers taken from the work cache say the real tools would have opened
/// (`workcache::REPLAYED_OPENS`), added to what the step's watch saw as the watch would have
/// seen it: a file already seen keeps how it was first opened. The log is emptied for the next
/// step.
fn add_replayed(session: &Path, opened: &mut Vec<crate::watch::Opened>, unwatched: &[PathBuf]) {
    let log = session.join(confess_shims::workcache::REPLAYED_OPENS);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (path, exec) = match (v["exec"].as_str(), v["read"].as_str()) {
            (Some(p), _) => (p, true),
            (None, Some(p)) => (p, false),
            _ => continue,
        };
        let p = confess_shims::raw::path(path);
        if unwatched.iter().any(|u| p.starts_with(u)) {
            continue;
        }
        match opened.iter_mut().find(|o| o.path == path) {
            Some(o) => o.exec |= exec,
            None => opened.push(crate::watch::Opened {
                path: path.to_string(),
                program: v["program"].as_str().unwrap_or_default().to_string(),
                exec,
            }),
        }
    }
}
/// Copies the build's output from `reader` into `log` and, line by line, onto stderr above the
/// progress line. The receiver hears when the output has ended.
fn stream_output(
    mut reader: std::io::PipeReader,
    mut log: std::fs::File,
    bar: crate::progress::Bar,
) -> std::sync::mpsc::Receiver<()> {
    use std::io::{Read, Write};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut line: Vec<u8> = Vec::new();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let _ = log.write_all(&buf[..n]);
            line.extend_from_slice(&buf[..n]);
            let mut start = 0;
            while let Some(end) = line[start..].iter().position(|b| *b == b'\n') {
                bar.println(&String::from_utf8_lossy(&line[start..start + end]));
                start += end + 1;
            }
            line.drain(..start);
        }
        if !line.is_empty() {
            bar.println(&String::from_utf8_lossy(&line));
        }
        let _ = tx.send(());
    });
    rx
}

/// Says which command failed: the last recorded call that failed, shim errors from the log,
/// and the log's tail.
pub(super) fn failure_of(
    driver: &dyn Driver,
    step: &Step,
    status: i32,
    scratch: &Scratch,
    log: &Path,
    shown: &Path,
) -> Error {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut detail = String::new();
    if let Some(why) = driver.explain_failure(&text) {
        detail.push('\n');
        detail.push_str(&why);
    }
    let shim_errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("confess-shim: error:"))
        .collect();
    if let Some(e) = shim_errors.first() {
        let _ = write!(detail, "\n  first shim error: {e}");
    }
    let db = ss::events_path(&scratch.session);
    if let Ok(mut conn) = rusqlite::Connection::open(&db) {
        let _ = confess_shims::events::import(&mut conn, &db);
        let last: Option<(String, String, i32)> = conn
            .query_row(
                "SELECT cwd, argv, exit_status FROM events WHERE exit_status != 0 ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        if let Some((cwd, argv, st)) = last {
            let argv: Vec<String> = serde_json::from_str(&argv).unwrap_or_default();
            let _ = write!(
                detail,
                "\n  last failing call (status {st}) in {cwd}:\n    {}",
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_default()
            );
        }
    }
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let _ = write!(detail, "\n  last lines of {}:\n", shown.display());
    for l in tail.into_iter().rev() {
        let _ = writeln!(detail, "    {l}");
    }
    detail.push_str("  what was recorded up to the failure has been extracted.");
    // Name places the user can open: the sources, not their scratch copy (which is removed).
    let mut pairs = crate::drivers::copies(driver, &scratch.src);
    pairs.sort_by_key(|(_, copy)| std::cmp::Reverse(copy.as_os_str().len()));
    let unscratch = |t: &str| {
        let mut t = t.to_string();
        for (user, copy) in &pairs {
            t = t.replace(&copy.display().to_string(), &user.display().to_string());
        }
        t.replace(&scratch.root.display().to_string(), "<scratch>")
    };
    Error::BuildFailed {
        command: unscratch(&format!("{} {}", step.program, step.args.join(" "))),
        status,
        detail: unscratch(&detail),
    }
}

/// User and system CPU time of the waited-for children of this process (the build's whole tree),
/// from /proc/self/stat (`cutime`, `cstime`, in clock ticks of 1/100 s); 0 when unreadable.
pub(super) fn children_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 16 and 17 of proc(5); the text after `)` starts at field 3.
    let tick = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(16) + tick(17)) / 100.0
}
