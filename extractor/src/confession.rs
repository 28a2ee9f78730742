//! One confession end to end: copy the sources, run the driver's steps under the shims, read
//! back the facts, build the graph, write the outputs.

use crate::drivers::{Driver, Step};
use crate::emit;
use crate::error::{Error, Result};
use crate::graph::{self, Confession, Graph};
use crate::interpret::{load, Outcome};
use crate::options::{check_jobs, JsonLog, Options};
use crate::scratch::shim_path;
use crate::scratch::Scratch;
use crate::seal::{OutsideWrite, Seal};
use confess_shims::session::{self as ss, Phase};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Confesses a build. Everything is written into a staging directory beside `--out`
/// (`outdir::Staged`) and put in place in one step when it is complete: a run that fails
/// before that, or is stopped by a signal, leaves `--out` as it was. A build that fails still
/// gives a confession of what was recorded (its error comes back in `Outcome`).
pub fn run(config: &crate::drivers::Config, opts: &Options) -> Result<Outcome> {
    let driver = config.driver()?;
    let driver = driver.as_ref();
    let src = driver.source().to_path_buf();
    opts.engine_root.check()?;
    check_jobs(opts.jobs)?;
    let staged = crate::outdir::Staged::begin(&opts.out, &src)?;
    // Paths in the outputs name the output directory; files are written into the stage.
    let out = staged.out.clone();
    let stage = staged.stage.clone();
    let mut scratch = Scratch::new(
        opts.keep_scratch,
        shim_path()?,
        crate::drivers::source_bytes(driver),
    )?;
    let cache = crate::workcache::open()?;
    scratch.shim_env = shim_env(driver, &scratch, &src, &out, cache.as_ref(), opts.jobs);
    // An output directory inside the sources is not part of them, nor is what sits beside it.
    let beside = [out.clone(), stage.clone(), crate::outdir::lock_path(&out)?];
    let skip: Vec<&Path> = beside
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| p.starts_with(&src))
        .collect();
    crate::drivers::copy_source(driver, &scratch.src, &skip)?;
    // Inside the seal, the user's sources are the copy.
    // The work cache is written from inside the seal: it is bound in as itself.
    let mut binds = crate::drivers::copies(driver, &scratch.src);
    binds.extend(cache.as_ref().map(|c| (c.dir.clone(), c.dir.clone())));
    let seal = Seal::new(opts.seal, &scratch.root, binds)?;
    let steps = driver.steps(&scratch, opts)?;
    let log_path = stage.join("build.log");
    let display = crate::progress::Display::new(opts.progress, opts.json_log.is_some());
    let mut events = crate::progress::EventLog::new();
    events.push(
        "start",
        0.0,
        serde_json::json!({
            "command": driver.name(),
            "source": confess_shims::raw::text_path(&src),
            "out": confess_shims::raw::text_path(&out),
            "confess": env!("CARGO_PKG_VERSION"),
        }),
    );
    let mut build_secs = 0.0;
    let mut build_cpu = 0.0;
    let build_dir = if driver.out_of_tree() {
        &scratch.build
    } else {
        &scratch.src
    };
    // The trees the build writes into, as graph::scan_generated walks them.
    let mut build_dirs: Vec<&Path> = vec![build_dir];
    if build_dir != &scratch.src {
        build_dirs.push(&scratch.src);
    }
    let mut before_build = None;
    let mut failure = None;
    let mut seen = Observed {
        // confess's own programs: neither reads from outside nor a toolchain's installation.
        own: [Some(scratch.shim.clone()), std::env::current_exe().ok()]
            .into_iter()
            .flatten()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect(),
        unwatched: [Some(scratch.root.clone()), Some(src.clone())]
            .into_iter()
            .chain([cache.as_ref().map(|c| c.dir.clone())])
            .flatten()
            .flat_map(|p| [std::fs::canonicalize(&p).ok(), Some(p)])
            .flatten()
            .collect(),
        ..Observed::default()
    };
    for step in &steps {
        let t = Instant::now();
        if step.phase == Phase::Build && before_build.is_none() {
            before_build = Some(crate::buildtree::Before::take(&build_dirs));
        }
        let cpu = children_cpu_secs();
        let started = events.now();
        let phase = serde_json::json!({"phase": step.phase.as_str(), "step": step.label});
        events.push("phase-start", started, phase.clone());
        let (status, counts) = run_step(
            step,
            &scratch,
            &seal,
            &log_path,
            &display,
            opts.verbose && opts.progress,
            &mut seen,
        )?;
        let mut end = phase;
        end["status"] = status.into();
        end["secs"] = crate::progress::secs(t).into();
        match step.phase {
            Phase::Configure => end["configure_phase_calls"] = counts.configure.into(),
            Phase::Build => {
                end["confessed_calls"] = counts.confessed.into();
                end["real_tool_calls"] = counts.real.into();
            }
        }
        events.push("phase-end", events.now(), end);
        if step.phase == Phase::Build {
            build_secs += t.elapsed().as_secs_f64();
            build_cpu += children_cpu_secs() - cpu;
        }
        if status != 0 {
            // The log is read where it is written, and named where it will be.
            failure = Some(failure_of(
                driver,
                step,
                status,
                &scratch,
                &log_path,
                &out.join("build.log"),
            ));
            break;
        }
    }
    if opts.verbose {
        eprintln!("build phase: {build_secs:.3}s");
        eprintln!("build phase cpu: {build_cpu:.2}s");
    }
    let t = Instant::now();
    let extraction = display.extraction();
    events.push(
        "phase-start",
        events.now(),
        serde_json::json!({"phase": "extraction"}),
    );
    crate::interrupt::check()?;
    let conf = load(&scratch.session)?;
    // With no build step run, the build wrote nothing.
    let before = before_build.unwrap_or_else(|| crate::buildtree::Before::take(&build_dirs));
    // A build that removes everything it can reach removes confess's own lock and stage
    // beside --out too (in the throwaway layer): they are not the build's writes.
    let own = [crate::outdir::lock_path(&out)?, stage.clone(), out.clone()];
    seen.outside.retain(|w| {
        let p = confess_shims::raw::path(&w.path);
        !own.iter().any(|o| p.starts_with(o))
    });
    let text = |p: &Path| confess_shims::raw::text_path(p).into_owned();
    let realization = graph::Realization::read(&scratch.session.join("realized"), Vec::new());
    let mut record = crate::interpret::Record {
        schema: crate::interpret::SCHEMA.into(),
        formats: crate::interpret::Formats::CURRENT,
        confess: env!("CARGO_PKG_VERSION").into(),
        driver: driver.name().into(),
        config: config.clone(),
        build: crate::interpret::BuildOptions {
            jobs: opts.jobs,
            unsealed: opts.seal.unsealed,
            network: opts.seal.network,
        },
        source: text(&src),
        out: text(&out),
        scratch: crate::interpret::Layout {
            root: text(&scratch.root),
            src: text(&scratch.src),
            build: text(build_dir),
            session: text(&scratch.session),
            bin: text(&scratch.bin),
            bin_private: text(&scratch.bin_private),
        },
        copies: crate::drivers::copies(driver, &scratch.src)
            .iter()
            .map(|(u, c)| (text(u), text(c)))
            .collect(),
        keep: driver
            .keep(&scratch)
            .iter()
            .map(|(from, name)| (text(from), (*name).to_string()))
            .collect(),
        options: crate::interpret::Shape {
            outside: opts.outside,
            exclude: opts
                .compdb
                .exclude
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
            relative: opts.compdb.relative,
            engine_schema: match &opts.engine_root {
                emit::engine_dhall::EngineRoot::Bundled => None,
                emit::engine_dhall::EngineRoot::Dir(d) => Some(text(d)),
            },
        },
        build_secs,
        extract_secs: 0.0,
        realized: crate::interpret::Realized {
            artifacts: realization.artifacts,
            cached: realization.cached,
            secs: realization.secs,
        },
        probes: graph::Probes::read(&scratch.session),
        outside_writes: seen.outside,
        network: seen.network,
        reads: seen.reads,
        reads_unobserved: seen.unobserved,
        failure: failure.as_ref().and_then(crate::interpret::Failure::of),
    };
    // The build's log as it was written, for interpretation to keep (mapped) like any other.
    if log_path.is_file() {
        let raw_log = scratch.session.join("build.log");
        std::fs::copy(&log_path, &raw_log).map_err(|e| Error::io("copying", &log_path, e))?;
    }
    let kept = stage.join("confession");
    let tree = crate::tree::Tree::live(before, &kept.join(crate::tree::FILES))?;
    let done = crate::interpret::interpret(
        &record,
        conf,
        tree,
        &staged,
        &crate::interpret::Writing {
            compdb: &opts.compdb,
            engine_root: &opts.engine_root,
            clock: crate::interpret::Clock::Since(t),
        },
    )?;
    crate::interpret::save_session(&scratch.session, &kept)?;
    record.extract_secs = done.extract_secs;
    crate::interpret::write_record(&kept, &record)?;
    let crate::interpret::Interpreted {
        graph,
        confessed,
        summary,
        conf,
        pairs,
        entries,
        ..
    } = done;
    crate::interpret::record_invocation(&stage)?;
    events.push(
        "phase-end",
        events.now(),
        serde_json::json!({"phase": "extraction", "secs": crate::progress::secs(t)}),
    );
    let mut log_file = None;
    if let Some(where_) = &opts.json_log {
        log_calls(&mut events, &conf, &pairs);
        log_warnings(&mut events, &graph, &confessed);
        let exit = match (&failure, &confessed.engine_lacks) {
            (Some(e), _) => {
                events.push(
                    "error",
                    events.now(),
                    serde_json::json!({"message": e.to_string()}),
                );
                e.exit_code()
            }
            (None, Some(_)) => 8,
            (None, None) => 0,
        };
        events.push("end", events.now(), end_counts(&graph, exit));
        let text = events.render();
        match where_ {
            JsonLog::InOut => write(&stage.join("log.jsonl"), &text)?,
            JsonLog::File(p) => log_file = Some((p.clone(), text)),
        }
    }
    drop(extraction);
    crate::interrupt::check()?;
    staged.commit()?;
    if let Some(c) = cache {
        let (n, bytes) = c.finish();
        if n > 0 && opts.verbose {
            eprintln!(
                "work cache: {n} least recently used entries removed ({} MiB), to stay within {} MiB",
                bytes >> 20,
                crate::workcache::limit().unwrap_or(0) >> 20
            );
        }
    }
    write_compdb(&opts.compdb, &entries)?;
    if let Some((p, text)) = log_file {
        write_atomically(&p, text.as_bytes())?;
    }
    if let Some(kib) = opts.verbose.then(peak_memory_kib).flatten() {
        eprintln!("peak memory: {kib} KiB");
    }
    Ok(Outcome {
        graph,
        summary,
        build_failure: failure,
        engine_lacks: confessed.engine_lacks.clone(),
        scratch_kept: opts
            .keep_scratch
            .then(|| (scratch.root.clone(), scratch.placed.clone())),
    })
}

/// This process's peak resident memory (VmHWM), for the benchmark.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the seal observed of the steps: writes outside the trees, network attempts, reads
/// from outside, and the steps whose reads were not observed.
#[derive(Default)]
struct Observed {
    outside: Vec<OutsideWrite>,
    network: Vec<crate::seal::NetworkAttempts>,
    reads: Vec<crate::seal::OutsideRead>,
    unobserved: Vec<String>,
    /// confess's own programs (the shim, confess), canonical.
    own: Vec<std::path::PathBuf>,
    /// Where reads are never observed (the scratch, the sources, the work cache): what an
    /// answer from the work cache says was opened there is left out too.
    unwatched: Vec<std::path::PathBuf>,
}

/// What answers taken from the work cache say the real tools would have opened
/// (`workcache::REPLAYED_OPENS`), added to what the step's watch saw as the watch would have
/// seen it: a file already seen keeps how it was first opened. The log is emptied for the next
/// step.
fn add_replayed(
    session: &Path,
    opened: &mut Vec<crate::watch::Opened>,
    unwatched: &[std::path::PathBuf],
) {
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

/// Runs one step with the shims in place, sealed when the run is; output goes to build.log,
/// and what the seal observed of it is added to `seen`.
fn run_step(
    step: &Step,
    scratch: &Scratch,
    seal: &Seal,
    log_path: &Path,
    display: &crate::progress::Display,
    stream: bool,
    seen: &mut Observed,
) -> Result<(i32, crate::progress::Counts)> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| Error::io("writing", log_path, e))?;
    let log2 = log
        .try_clone()
        .map_err(|e| Error::io("writing", log_path, e))?;
    let env = scratch.env(step.phase)?;
    // A build step's command starts through the shim, which becomes it with its own pid in
    // CONFESS_TOP_PID: compiles it runs directly then need not read it back from /proc to see
    // that it is no configure step (judged here, once). The command must exist for that.
    let argv: Vec<String> = std::iter::once(step.program.clone())
        .chain(step.args.iter().cloned())
        .collect();
    let path = step
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| std::ffi::OsString::from(v))
        .or_else(|| {
            env.iter()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| v.clone())
        });
    let as_top = step.phase == Phase::Build
        && confess_shims::phase::configure_ancestor(&argv).is_none()
        && which::which_in(&step.program, path.clone(), &step.cwd).is_ok();
    let (program, args): (OsString, Vec<OsString>) = if as_top {
        (
            scratch.shim.clone().into_os_string(),
            std::iter::once(OsString::from("--confess-top"))
                .chain(argv.iter().map(OsString::from))
                .collect(),
        )
    } else {
        (
            OsString::from(&step.program),
            step.args.iter().map(OsString::from).collect(),
        )
    };
    if seal.is_sealed() && !as_top {
        crate::seal::check_program(&step.program, path.as_deref(), &step.cwd)?;
    }
    let mut sealed = seal.command(&program, &args, &step.cwd)?;
    let cmd = &mut sealed.command;
    if !seal.is_sealed() {
        cmd.stdin(Stdio::null());
    }
    // Its own process group, so that a signal stops the step's whole process tree.
    use std::os::unix::process::CommandExt;
    let progress = display.step(
        step.phase,
        &step.label,
        &confess_shims::events::log_path(&ss::events_path(&scratch.session)),
        log_path,
    );
    // `--verbose`: the build's output goes through a pipe, into build.log and onto stderr.
    let streamed = if stream {
        let (reader, writer) =
            std::io::pipe().map_err(|e| Error::io("opening a pipe for", log_path, e))?;
        let writer2 = writer
            .try_clone()
            .map_err(|e| Error::io("opening a pipe for", log_path, e))?;
        cmd.stdout(writer).stderr(writer2);
        Some(stream_output(reader, log, progress.bar().clone()))
    } else {
        cmd.stdout(log).stderr(log2);
        None
    };
    // The step's ninja tells how far it is as `[done/total]`, whatever the user's NINJA_STATUS.
    cmd.process_group(0).env("NINJA_STATUS", "[%f/%t] ");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in &step.env {
        cmd.env(k, v);
    }
    let spawned = cmd.spawn();
    // The pipe's writing ends go with the command, so that the reader sees the end.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = spawned.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingTool {
            tool: step.program.clone(),
            hint: "install it, or check the command".into(),
        },
        _ => Error::io("running", &step.program, e),
    })?;
    let status = crate::interrupt::wait(&mut child, &step.program);
    if let Some(done) = streamed {
        // What the build left running may hold the pipe open: its output is not waited for.
        let _ = done.recv_timeout(Duration::from_secs(2));
    }
    let counts = progress.finish();
    let status = status?;
    let report = sealed.report()?;
    let what = format!("{} ({})", step.label, step.phase.as_str());
    if report.network_attempts > 0 {
        seen.network.push(crate::seal::NetworkAttempts {
            step: what.clone(),
            build: step.phase == Phase::Build,
            attempts: report.network_attempts,
        });
    }
    for mut w in report.writes {
        w.step = what.clone();
        seen.outside.push(w);
    }
    if !seal.is_sealed() {
        seen.unobserved.push(format!("{what}: unsealed"));
    } else if let Some(why) = &report.reads_unobserved {
        seen.unobserved.push(format!("{what}: {why}"));
    }
    let observed = seal.is_sealed() && report.reads_unobserved.is_none();
    let mut opened = report.reads;
    if observed {
        add_replayed(&scratch.session, &mut opened, &seen.unwatched);
    } else {
        let _ = std::fs::remove_file(
            scratch
                .session
                .join(confess_shims::workcache::REPLAYED_OPENS),
        );
    }
    for mut r in crate::watch::outside_reads(&opened, &seen.own) {
        r.step = what.clone();
        r.build = step.phase == Phase::Build;
        seen.reads.push(r);
    }
    Ok((confess_shims::ctx::exit_code(status), counts))
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
fn failure_of(
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
        detail.push_str(&format!("\n  first shim error: {e}"));
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
            detail.push_str(&format!(
                "\n  last failing call (status {st}) in {cwd}:\n    {}",
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_default()
            ));
        }
    }
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    detail.push_str(&format!("\n  last lines of {}:\n", shown.display()));
    for l in tail.into_iter().rev() {
        detail.push_str(&format!("    {l}\n"));
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
fn children_cpu_secs() -> f64 {
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

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

/// What the shims get besides the session: the work cache's directory (empty when it is off)
/// and the path map realization compiles with, from the scratch to where its paths stand for
/// in outputs, general before specific (the last match applies).
fn shim_env(
    driver: &dyn Driver,
    scratch: &Scratch,
    src: &Path,
    out: &Path,
    cache: Option<&crate::workcache::Held>,
    jobs: Option<usize>,
) -> Vec<(String, std::ffi::OsString)> {
    let mut map = vec![(scratch.root.clone(), PathBuf::from("[scratch]"))];
    if driver.out_of_tree() {
        map.push((
            scratch.build.clone(),
            crate::pathmap::generated_dir(out, true),
        ));
    }
    map.push((scratch.src.clone(), src.to_path_buf()));
    map.extend(
        crate::drivers::copies(driver, &scratch.src)
            .into_iter()
            .map(|(user, copy)| (copy, user)),
    );
    let jobs = jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    vec![
        (
            confess_shims::realize::ENV_JOBS.into(),
            jobs.to_string().into(),
        ),
        (
            confess_shims::workcache::ENV_DIR.into(),
            cache.map(|c| c.dir.clone().into()).unwrap_or_default(),
        ),
        (
            confess_shims::workcache::ENV_FILE_MAP.into(),
            confess_shims::workcache::file_map_text(&map).into(),
        ),
    ]
}

/// `--compdb PATH`: the database written where the user asked (the project root, where clangd
/// looks), merged with what is there under `--append`. Written beside and renamed into place,
/// so a reader never sees half of it. The one write confess makes outside `--out`.
fn write_compdb(opts: &emit::compdb::Options, entries: &[emit::compdb::Entry]) -> Result<()> {
    let Some(dest) = opts.destination() else {
        return Ok(());
    };
    let text = if opts.append && dest.exists() {
        let existing =
            std::fs::read_to_string(&dest).map_err(|e| Error::io("reading", &dest, e))?;
        let merged =
            emit::compdb::merge(&existing, &dest, entries).map_err(|reason| Error::Input {
                path: dest.clone(),
                reason,
            })?;
        let mut t = serde_json::to_string_pretty(&merged).unwrap_or_else(|_| "[]".into());
        t.push('\n');
        t
    } else {
        emit::compdb::render(entries)
    };
    write_atomically(&dest, text.as_bytes())
}

/// Writes a file outside the output directory in one step: a temporary file beside it, renamed
/// over it, readable as the file it replaces was (0644 when new).
fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".confess-tmp-")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("writing", dest, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io("writing", dest, e))?;
    // Readable as a file the user wrote would be (a temporary file is the owner's alone), or
    // as the database it replaces was.
    let mode = std::fs::metadata(dest).map_or(0o644, |m| {
        std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777
    });
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(mode),
    )
    .map_err(|e| Error::io("writing", dest, e))?;
    tmp.persist(dest)
        .map_err(|e| Error::io("writing", dest, e.error))?;
    Ok(())
}

/// Every call the shims recorded, with its decision, for the JSON log: paths as every output
/// names them (the user's tree, `[scratch]` for what was only in the scratch directory).
fn log_calls(
    events: &mut crate::progress::EventLog,
    conf: &Confession,
    pairs: &[(PathBuf, PathBuf)],
) {
    let m = |t: &str| crate::scratch::map_text(t, pairs);
    let started = events.started_ns();
    let mut calls: Vec<&confess_shims::events::Event> =
        conf.events.iter().map(|(_, e)| e).collect();
    calls.sort_by_key(|e| (e.start_ns, e.pid));
    for e in calls {
        let t = ((e.start_ns - started).max(0) as f64 / 1e6).round() / 1e3;
        events.push(
            "call",
            t,
            serde_json::json!({
                "phase": e.phase,
                "decision": e.decision,
                "role": e.role,
                "tool": m(&e.tool),
                "cwd": m(&e.cwd),
                "argv": e.argv.iter().map(|a| m(a)).collect::<Vec<_>>(),
                "outputs": e.outputs.iter().map(|a| m(a)).collect::<Vec<_>>(),
                "exit_status": e.exit_status,
                "secs": ((e.end_ns - e.start_ns).max(0) as f64 / 1e6).round() / 1e3,
            }),
        );
    }
}

/// What needs a person's eye, one warning each, for the JSON log.
fn log_warnings(
    events: &mut crate::progress::EventLog,
    graph: &Graph,
    confessed: &crate::targets::Confessed,
) {
    let t = events.now();
    for w in emit::report::warnings(graph, confessed) {
        events.push(
            "warning",
            t,
            serde_json::json!({"kind": w.kind, "message": w.message, "detail": w.detail}),
        );
    }
}

/// The last event of the JSON log: the exit code and the summary's counts.
fn end_counts(g: &Graph, exit: i32) -> serde_json::Value {
    use crate::graph::ActionKind;
    let count = |k: ActionKind| g.actions.iter().filter(|a| a.kind == k).count();
    serde_json::json!({
        "exit": exit,
        "translation_units": count(ActionKind::Compile) + count(ActionKind::Assemble),
        "archives": count(ActionKind::Archive),
        "links": count(ActionKind::Link),
        "programs_run": count(ActionKind::Run),
        "generated_files": g.generated.len(),
        "realized": g.realized.artifacts,
        "realized_from_cache": g.realized.cached,
        "probes_from_cache": g.probes.hits,
        "probes_stored": g.probes.stored,
    })
}
