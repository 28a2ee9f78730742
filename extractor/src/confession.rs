//! One confession end to end: copy the sources, run the driver's steps under the shims, read
//! back the facts, build the graph, write the outputs.

mod json_log;
mod step;

use crate::buildtree::Before;
use crate::drivers::{Driver, Step};
use crate::emit;
use crate::error::{Error, Result};
use crate::graph;
use crate::interpret::{load, Interpreted, Outcome};
use crate::options::{check_jobs, JsonLog, Options};
use crate::outdir::Staged;
use crate::progress::EventLog;
use crate::scratch::shim_path;
use crate::scratch::Scratch;
use crate::seal::{OutsideWrite, Seal};
use confess_shims::session::Phase;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a confession is asked to do: the driver's configuration, the driver, the options, and
/// the user's sources.
struct Confessing<'a> {
    config: &'a crate::drivers::Config,
    driver: &'a dyn Driver,
    opts: &'a Options,
    src: &'a Path,
}

/// What the steps run in: the scratch copy of the sources, the work cache, the seal, and the
/// driver's steps. (Fields drop in this order: the scratch, which removes itself, last.)
struct Setup {
    seal: Seal,
    steps: Vec<Step>,
    cache: Option<crate::workcache::Held>,
    scratch: Scratch,
}

impl Setup {
    /// The directory the build writes into: the build directory beside the copy, or the copy.
    fn build_dir(&self, driver: &dyn Driver) -> &Path {
        if driver.out_of_tree() {
            &self.scratch.build
        } else {
            &self.scratch.src
        }
    }

    /// The trees the build writes into, as graph::scan_generated walks them.
    fn build_dirs(&self, driver: &dyn Driver) -> Vec<&Path> {
        let build_dir = self.build_dir(driver);
        let mut build_dirs: Vec<&Path> = vec![build_dir];
        if build_dir != self.scratch.src {
            build_dirs.push(&self.scratch.src);
        }
        build_dirs
    }
}

/// What running the steps left for extraction.
struct Ran {
    /// The build trees before the first build step (`None` when none ran).
    before: Option<Before>,
    seen: Observed,
    /// The wall-clock time of the build steps.
    build_secs: f64,
}

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
    let how = Confessing {
        config,
        driver,
        opts,
        src: &src,
    };
    let staged = Staged::begin(&opts.out, &src)?;
    let setup = set_up(&how, &staged)?;
    let log_path = staged.stage.join("build.log");
    let display = crate::progress::Display::new(opts.progress, opts.json_log.is_some());
    let mut events = EventLog::new();
    events.push("start", 0.0, start_event(driver, &src, &staged.out));
    let output = step::Output {
        log_path: &log_path,
        display: &display,
        stream: opts.verbose && opts.progress,
    };
    let (ran, failure) = run_steps(&how, &setup, &staged.out, &output, &mut events)?;
    let t = Instant::now();
    let extraction = display.extraction();
    let done = extract(&how, &setup, &staged, ran, failure.as_ref(), t, &mut events)?;
    let log_file = match &opts.json_log {
        Some(where_) => {
            let text = json_log::render(
                &mut events,
                &done.conf,
                &done.pairs,
                &done.graph,
                &done.confessed,
                failure.as_ref(),
            );
            match where_ {
                JsonLog::InOut => {
                    write(&staged.stage.join("log.jsonl"), &text)?;
                    None
                }
                JsonLog::File(p) => Some((p.clone(), text)),
            }
        }
        None => None,
    };
    drop(extraction);
    crate::interrupt::check()?;
    staged.commit()?;
    if let Some(c) = setup.cache {
        trim_cache(c, opts.verbose);
    }
    write_compdb(&opts.compdb, &done.entries)?;
    if let Some((p, text)) = log_file {
        write_atomically(&p, text.as_bytes())?;
    }
    if let Some(kib) = opts.verbose.then(peak_memory_kib).flatten() {
        eprintln!("peak memory: {kib} KiB");
    }
    Ok(Outcome {
        graph: done.graph,
        summary: done.summary,
        build_failure: failure,
        engine_lacks: done.confessed.engine_lacks.clone(),
        scratch_kept: opts
            .keep_scratch
            .then(|| (setup.scratch.root.clone(), setup.scratch.placed.clone())),
    })
}

/// The JSON log's first event: what is confessed, from where, into where, by which confess.
fn start_event(driver: &dyn Driver, src: &Path, out: &Path) -> serde_json::Value {
    serde_json::json!({
        "command": driver.name(),
        "source": confess_shims::raw::text_path(src),
        "out": confess_shims::raw::text_path(out),
        "confess": env!("CARGO_PKG_VERSION"),
    })
}

/// Makes the scratch copy of the sources, opens the work cache, prepares the seal and asks
/// the driver for its steps. Paths in the outputs name the output directory; files are
/// written into the stage.
fn set_up(how: &Confessing, staged: &Staged) -> Result<Setup> {
    let (driver, opts, src) = (how.driver, how.opts, how.src);
    let (out, stage) = (&staged.out, &staged.stage);
    let mut scratch = Scratch::new(
        opts.keep_scratch,
        shim_path()?,
        crate::drivers::source_bytes(driver),
    )?;
    let cache = crate::workcache::open()?;
    scratch.shim_env = shim_env(driver, &scratch, src, out, cache.as_ref(), opts.jobs);
    // An output directory inside the sources is not part of them, nor is what sits beside it.
    let beside = [out.clone(), stage.clone(), crate::outdir::lock_path(out)?];
    let skip: Vec<&Path> = beside
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| p.starts_with(src))
        .collect();
    crate::drivers::copy_source(driver, &scratch.src, &skip)?;
    // Inside the seal, the user's sources are the copy.
    // The work cache is written from inside the seal: it is bound in as itself.
    let mut binds = crate::drivers::copies(driver, &scratch.src);
    binds.extend(cache.as_ref().map(|c| (c.dir.clone(), c.dir.clone())));
    let seal = Seal::new(opts.seal, &scratch.root, binds)?;
    let steps = driver.steps(&scratch, opts)?;
    Ok(Setup {
        seal,
        steps,
        cache,
        scratch,
    })
}

/// Runs the driver's steps in order, each between a `phase-start` and a `phase-end` event,
/// until one fails. Gives what they left, and the failure of the step that failed.
fn run_steps(
    how: &Confessing,
    setup: &Setup,
    out: &Path,
    output: &step::Output,
    events: &mut EventLog,
) -> Result<(Ran, Option<Error>)> {
    let scratch = &setup.scratch;
    let build_dirs = setup.build_dirs(how.driver);
    let mut ran = Ran {
        before: None,
        seen: Observed::new(scratch, how.src, setup.cache.as_ref()),
        build_secs: 0.0,
    };
    let mut build_cpu = 0.0;
    let mut failure = None;
    for step in &setup.steps {
        let t = Instant::now();
        if step.phase == Phase::Build && ran.before.is_none() {
            ran.before = Some(Before::take(&build_dirs));
        }
        let cpu = step::children_cpu_secs();
        let started = events.now();
        let phase = serde_json::json!({"phase": step.phase.as_str(), "step": step.label});
        events.push("phase-start", started, phase.clone());
        let (status, counts) = step::run_step(step, scratch, &setup.seal, output, &mut ran.seen)?;
        let end = phase_end(phase, step.phase, status, t, &counts);
        events.push("phase-end", events.now(), end);
        if step.phase == Phase::Build {
            ran.build_secs += t.elapsed().as_secs_f64();
            build_cpu += step::children_cpu_secs() - cpu;
        }
        if status != 0 {
            // The log is read where it is written, and named where it will be.
            failure = Some(step::failure_of(
                how.driver,
                step,
                status,
                scratch,
                output.log_path,
                &out.join("build.log"),
            ));
            break;
        }
    }
    if how.opts.verbose {
        eprintln!("build phase: {:.3}s", ran.build_secs);
        eprintln!("build phase cpu: {build_cpu:.2}s");
    }
    Ok((ran, failure))
}

/// A step's `phase-end` event: its `phase-start` with the exit status, the time taken, and
/// the calls counted.
fn phase_end(
    mut end: serde_json::Value,
    phase: Phase,
    status: i32,
    t: Instant,
    counts: &crate::progress::Counts,
) -> serde_json::Value {
    end["status"] = status.into();
    end["secs"] = crate::progress::secs(t).into();
    match phase {
        Phase::Configure => end["configure_phase_calls"] = counts.configure.into(),
        Phase::Build => {
            end["confessed_calls"] = counts.confessed.into();
            end["real_tool_calls"] = counts.real.into();
        }
    }
    end
}

/// Reads back what the shims recorded and interprets it into the stage: the outputs, the
/// kept session and the record it is interpreted from (run.json), and the invocation.
fn extract(
    how: &Confessing,
    setup: &Setup,
    staged: &Staged,
    ran: Ran,
    failure: Option<&Error>,
    t: Instant,
    events: &mut EventLog,
) -> Result<Interpreted> {
    let (scratch, out, stage) = (&setup.scratch, &staged.out, &staged.stage);
    events.push(
        "phase-start",
        events.now(),
        serde_json::json!({"phase": "extraction"}),
    );
    crate::interrupt::check()?;
    let kept = stage.join("confession");
    let (conf, keeping) = load(&scratch.session, &kept)?;
    // With no build step run, the build wrote nothing.
    let before = ran
        .before
        .unwrap_or_else(|| Before::take(&setup.build_dirs(how.driver)));
    let mut seen = ran.seen;
    // A build that removes everything it can reach removes confess's own lock and stage
    // beside --out too (in the throwaway layer): they are not the build's writes.
    let own = [crate::outdir::lock_path(out)?, stage.clone(), out.clone()];
    seen.outside.retain(|w| {
        let p = confess_shims::raw::path(&w.path);
        !own.iter().any(|o| p.starts_with(o))
    });
    let mut record = record_of(how, setup, out, ran.build_secs, seen, failure);
    // The build's log as it was written, for interpretation to keep (mapped) like any other.
    let log_path = stage.join("build.log");
    if log_path.is_file() {
        let raw_log = scratch.session.join("build.log");
        std::fs::copy(&log_path, &raw_log).map_err(|e| Error::io("copying", &log_path, e))?;
    }
    let tree = crate::tree::Tree::live(before, &kept.join(crate::tree::FILES))?;
    let done = crate::interpret::interpret(
        &record,
        conf,
        tree,
        staged,
        &crate::interpret::Writing {
            compdb: &how.opts.compdb,
            engine_root: &how.opts.engine_root,
            clock: crate::interpret::Clock::Since(t),
        },
    )?;
    keeping.finish()?;
    record.extract_secs = done.extract_secs;
    crate::interpret::write_record(&kept, &record)?;
    crate::interpret::record_invocation(stage)?;
    events.push(
        "phase-end",
        events.now(),
        serde_json::json!({"phase": "extraction", "secs": crate::progress::secs(t)}),
    );
    Ok(done)
}

/// The record a confession is interpreted from (run.json): the driver, its configuration and
/// the build's options, the scratch's layout, the output's shape, and what the seal observed.
fn record_of(
    how: &Confessing,
    setup: &Setup,
    out: &Path,
    build_secs: f64,
    seen: Observed,
    failure: Option<&Error>,
) -> crate::interpret::Record {
    let (driver, opts, scratch) = (how.driver, how.opts, &setup.scratch);
    let text = |p: &Path| confess_shims::raw::text_path(p).into_owned();
    let realization = graph::Realization::read(&scratch.session.join("realized"), Vec::new());
    crate::interpret::Record {
        schema: crate::interpret::SCHEMA.into(),
        formats: crate::interpret::Formats::CURRENT,
        confess: env!("CARGO_PKG_VERSION").into(),
        driver: driver.name().into(),
        config: how.config.clone(),
        build: crate::interpret::BuildOptions {
            jobs: opts.jobs,
            unsealed: opts.seal.unsealed,
            network: opts.seal.network,
        },
        source: text(how.src),
        out: text(out),
        scratch: crate::interpret::Layout {
            root: text(&scratch.root),
            src: text(&scratch.src),
            build: text(setup.build_dir(driver)),
            session: text(&scratch.session),
            bin: text(&scratch.bin),
            bin_private: text(&scratch.bin_private),
        },
        copies: crate::drivers::copies(driver, &scratch.src)
            .iter()
            .map(|(u, c)| (text(u), text(c)))
            .collect(),
        keep: driver
            .keep(scratch)
            .iter()
            .map(|(from, name)| (text(from), (*name).to_string()))
            .collect(),
        options: shape_of(opts),
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
        failure: failure.and_then(crate::interpret::Failure::of),
    }
}

/// The outputs' shape as the options ask it.
fn shape_of(opts: &Options) -> crate::interpret::Shape {
    crate::interpret::Shape {
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
            emit::engine_dhall::EngineRoot::Dir(d) => {
                Some(confess_shims::raw::text_path(d).into_owned())
            }
        },
    }
}

/// Lets go of the work cache, which drops its least recently used entries beyond its limit;
/// `--verbose` says how many.
fn trim_cache(cache: crate::workcache::Held, verbose: bool) {
    let (n, bytes) = cache.finish();
    if n > 0 && verbose {
        eprintln!(
            "work cache: {n} least recently used entries removed ({} MiB), to stay within {} MiB",
            bytes >> 20,
            crate::workcache::limit().unwrap_or(0) >> 20
        );
    }
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

impl Observed {
    /// Nothing observed yet; confess's own programs and the unwatched trees known.
    fn new(scratch: &Scratch, src: &Path, cache: Option<&crate::workcache::Held>) -> Observed {
        Observed {
            // confess's own programs: neither reads from outside nor a toolchain's installation.
            own: [Some(scratch.shim.clone()), std::env::current_exe().ok()]
                .into_iter()
                .flatten()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .collect(),
            unwatched: [Some(scratch.root.clone()), Some(src.to_path_buf())]
                .into_iter()
                .chain([cache.map(|c| c.dir.clone())])
                .flatten()
                .flat_map(|p| [std::fs::canonicalize(&p).ok(), Some(p)])
                .flatten()
                .collect(),
            ..Observed::default()
        }
    }
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
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(std::num::NonZero::get)
        })
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
