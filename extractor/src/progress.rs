//! What a person sees while a confession runs: one line on stderr, redrawn in place, naming the
//! phase (configure, build, extraction), its time, and the calls the shims have recorded so far
//! in the words of the summary (configure-phase calls, confessed calls, real-tool calls). In the
//! build phase it is a bar where the build system tells how many steps there are: ninja's
//! `[done/total]` status lines (CMake's Ninja generator, Meson, `confess ninja`), and CMake's
//! Makefile generator's `[ NN%]` lines, read from the build's own output as it is written. Plain
//! Make does not say: `make -n` would run every recipe that calls `$(MAKE)` and remake the
//! makefiles in the very tree the build then runs in, so confess does not ask it.
//!
//! The line is redrawn in place (`\r`, erase the line, the text), cut a few columns short of the
//! terminal's width so that it never wraps and a `^C` echoed after it stays on it, never drawn
//! when stderr is not a terminal (or with `--quiet`), and erased when the phase ends, whatever
//! ends it (a Ctrl-C included). indicatif was tried and set aside: it pads every line to the
//! terminal's full width on purpose, so the `^C` the terminal echoes wraps onto a new line, and
//! its erasing leaves the progress line above (docs/design_notes.md, "What a person sees").

use confess_shims::session::Phase;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the counts are read again.
const TICK: Duration = Duration::from_millis(200);

/// What the shims recorded during one step, counted as the summary counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Build-phase calls the shims answered with a token.
    pub confessed: u64,
    /// Build-phase calls passed to the real tool.
    pub real: u64,
    /// Configure-phase calls (each runs the real tool).
    pub configure: u64,
}

impl Counts {
    /// Counts one line of the shims' event log (compact JSON, as the shims write it): a search
    /// for the two fields, not a parse, since a build makes a line per call.
    fn add(&mut self, line: &[u8]) {
        let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
        if !line.starts_with(b"{") || !has(b"\"decision\":") {
            return;
        }
        if has(b"\"phase\":\"configure\"") {
            self.configure += 1;
        } else if has(b"\"decision\":\"confessed\"") {
            self.confessed += 1;
        } else if !has(b"\"decision\":\"realized\"") {
            self.real += 1;
        }
    }

    /// In the summary's words.
    #[must_use]
    pub fn describe(&self, phase: Phase) -> String {
        match phase {
            Phase::Configure => format!("{} configure-phase calls", self.configure),
            Phase::Build => format!(
                "{} confessed calls, {} real-tool calls",
                self.confessed, self.real
            ),
        }
    }
}

/// How far the build has come, where its output says: ninja's `[3/20] ...` status lines and
/// CMake's Makefile generator's `[ 15%] ...` lines. The last one read wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    Of { done: u64, total: u64 },
    Percent(u64),
}

/// The progress a line of build output states, if it states one.
#[must_use]
pub fn steps_of(line: &[u8]) -> Option<Steps> {
    let rest = line.strip_prefix(b"[")?;
    let close = rest.iter().position(|c| *c == b']')?;
    let inner = std::str::from_utf8(&rest[..close]).ok()?;
    if rest.get(close + 1) != Some(&b' ') {
        return None;
    }
    if let Some((a, b)) = inner.split_once('/') {
        let (done, total) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (done <= total && total > 0).then_some(Steps::Of { done, total });
    }
    let pct: u64 = inner.strip_suffix('%')?.trim().parse().ok()?;
    (pct <= 100).then_some(Steps::Percent(pct))
}

/// Reads what was appended to a file since the last call, line by line.
struct Tail {
    path: PathBuf,
    file: Option<std::fs::File>,
    pending: Vec<u8>,
}

impl Tail {
    fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            file: None,
            pending: Vec::new(),
        }
    }

    /// Calls `each` on every complete line written since the last call.
    fn lines(&mut self, mut each: impl FnMut(&[u8])) {
        if self.file.is_none() {
            self.file = std::fs::File::open(&self.path).ok();
        }
        let Some(f) = self.file.as_mut() else {
            return;
        };
        // Bytes, not text: a read may end inside a line that is still being written.
        if f.read_to_end(&mut self.pending).is_err() {
            return;
        }
        let mut start = 0;
        while let Some(n) = self.pending[start..].iter().position(|b| *b == b'\n') {
            each(&self.pending[start..start + n]);
            start += n + 1;
        }
        self.pending.drain(..start);
    }
}

/// The display of one run: nothing off a terminal or with `--quiet`.
#[derive(Clone)]
pub struct Display {
    shown: bool,
    /// Count the calls even when nothing is drawn (for the JSON log).
    counting: bool,
}

impl Display {
    /// `wanted`: a line on a terminal (not `--quiet`); `counting`: the calls are counted for
    /// the JSON log whether or not a line is drawn.
    #[must_use]
    pub fn new(wanted: bool, counting: bool) -> Display {
        let shown = wanted && std::io::stderr().is_terminal();
        Display {
            shown,
            counting: counting || shown,
        }
    }

    fn bar(&self) -> Bar {
        Bar(Arc::new(Mutex::new(BarState {
            shown: self.shown,
            text: String::new(),
        })))
    }

    /// Follows one step of the build while it runs: `events` is the shims' event log, `log` the
    /// build's output. Dropping (or finishing) what this returns clears the line.
    #[must_use]
    pub fn step(&self, phase: Phase, label: &str, events: &Path, log: &Path) -> StepProgress {
        let bar = self.bar();
        let prefix = prefix(phase, label);
        let done = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (wake, woken) = std::sync::mpsc::channel::<()>();
        let thread = self.counting.then(|| {
            let (bar, done, counts) = (bar.clone(), done.clone(), counts.clone());
            let (mut ev, mut out) = (Tail::new(events), Tail::new(log));
            let shown = self.shown;
            let prefix = prefix.clone();
            std::thread::spawn(move || {
                let mut steps = None;
                let started = Instant::now();
                for tick in 0.. {
                    let last = done.load(Ordering::Acquire);
                    let described = {
                        let mut c = counts
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        ev.lines(|l| c.add(l));
                        c.describe(phase)
                    };
                    if shown {
                        if phase == Phase::Build {
                            out.lines(|l| {
                                if let Some(s) = steps_of(l) {
                                    steps = Some(s);
                                }
                            });
                        }
                        bar.set(render_line(
                            &prefix,
                            started.elapsed().as_secs(),
                            steps,
                            &described,
                            width(),
                            tick,
                        ));
                    }
                    if last {
                        break;
                    }
                    // A tick, or the step's end, whichever comes first.
                    let _ = woken.recv_timeout(TICK);
                }
            })
        });
        StepProgress {
            bar,
            done,
            wake: Some(wake),
            counts,
            thread,
        }
    }

    /// A spinner for the extraction, cleared when dropped.
    #[must_use]
    pub fn extraction(&self) -> Spinner {
        let bar = self.bar();
        bar.set(render_line(
            "extraction",
            0,
            None,
            "reading the recorded calls, writing the outputs",
            width().min(59),
            0,
        ));
        Spinner(bar)
    }
}

/// The progress line on stderr, shared by the thread that redraws it and the one that prints
/// the build's output above it.
#[derive(Clone)]
pub struct Bar(Arc<Mutex<BarState>>);

struct BarState {
    shown: bool,
    /// What the line shows now (empty: nothing).
    text: String,
}

impl Bar {
    fn state(&self) -> std::sync::MutexGuard<'_, BarState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Shows `text` in place of what the line showed.
    pub fn set(&self, text: String) {
        let mut st = self.state();
        if st.shown && st.text != text {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{text}");
            let _ = err.flush();
        }
        st.text = text;
    }

    /// Prints a line above the progress line (stderr), which is drawn again below it.
    pub fn println(&self, line: &str) {
        let st = self.state();
        let mut err = std::io::stderr().lock();
        if st.shown && !st.text.is_empty() {
            let _ = write!(err, "\r\x1b[2K{line}\n{}", st.text);
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Erases the line.
    pub fn clear(&self) {
        let mut st = self.state();
        if st.shown && !st.text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
        st.text.clear();
    }
}

/// `build (make)`, `configure (cmake)`: the phase, and the step's own name without it.
fn prefix(phase: Phase, label: &str) -> String {
    let p = phase.as_str();
    let rest: Vec<&str> = label.split(' ').filter(|w| *w != p).collect();
    match rest.join(" ") {
        r if r.is_empty() => p.to_string(),
        r => format!("{p} ({r})"),
    }
}

/// The terminal's width (80 when it cannot be read).
fn width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stderr())
        .map(|w| usize::from(w.ws_col))
        .ok()
        .filter(|w| *w > 0)
        .unwrap_or(80)
}

/// Columns left free at the end of the line: a Ctrl-C echoed as `^C` after a line that filled
/// the terminal would wrap it, and the line would stay behind when it is cleared.
const MARGIN: usize = 3;

const SPINNER: [char; 8] = ['|', '/', '-', '\\', '|', '/', '-', '\\'];

/// The progress line for a terminal `width` columns wide: the bar and the time only where they
/// fit, then cut to leave [`MARGIN`] columns free, so that it never wraps (a wrapped line is
/// left behind at every redraw).
#[must_use]
pub fn render_line(
    prefix: &str,
    secs: u64,
    steps: Option<Steps>,
    counts: &str,
    width: usize,
    tick: usize,
) -> String {
    let progress = match steps {
        None => None,
        Some(Steps::Of { done, total }) => Some((done, total, format!("{done}/{total}"))),
        Some(Steps::Percent(p)) => Some((p, 100, format!("{p}%"))),
    };
    let line = match progress {
        None if width >= 60 => format!(
            "{} {prefix}: {secs}s, {counts}",
            SPINNER[tick % SPINNER.len()]
        ),
        None => format!("{prefix}: {counts}"),
        Some((done, total, of)) if width >= 90 => {
            const BAR: usize = 20;
            // At most BAR: done is at most total.
            let full = usize::try_from(done.min(total) * BAR as u64 / total.max(1)).unwrap_or(BAR);
            let mut bar = "=".repeat(full);
            if full < BAR {
                bar.push('>');
            }
            format!("{prefix}: {secs}s [{bar:<20}] {of}, {counts}")
        }
        Some((_, _, of)) => format!("{prefix}: {of}, {counts}"),
    };
    line.chars().take(width.saturating_sub(MARGIN)).collect()
}

/// The display of one running step.
pub struct StepProgress {
    bar: Bar,
    done: Arc<AtomicBool>,
    /// Wakes the counting thread from its tick when the step ends (dropped: it wakes too), so
    /// that finishing never waits out a tick.
    wake: Option<std::sync::mpsc::Sender<()>>,
    counts: Arc<Mutex<Counts>>,
    thread: Option<JoinHandle<()>>,
}

impl StepProgress {
    /// The progress line, for printing above it.
    #[must_use]
    pub fn bar(&self) -> &Bar {
        &self.bar
    }

    /// Stops following the step, clears the line, and returns what was counted.
    #[must_use]
    pub fn finish(mut self) -> Counts {
        self.stop();
        *self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Release);
        self.wake.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.bar.clear();
    }
}

impl Drop for StepProgress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The extraction's spinner; cleared when dropped.
pub struct Spinner(Bar);

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.clear();
    }
}

/// `--log-format json`: one JSON object per line for each event of the run (the run's start
/// and end, each phase's start and end, each call the shims recorded with their decision, each
/// warning), each with `t`, the seconds since the run started. Written whole at the end, with
/// the confession, so that its paths are mapped as every other output's are.
#[derive(Default)]
pub struct EventLog {
    started: Option<Instant>,
    started_ns: i64,
    lines: Vec<serde_json::Value>,
}

impl EventLog {
    #[must_use]
    pub fn new() -> EventLog {
        EventLog {
            started: Some(Instant::now()),
            started_ns: confess_shims::ctx::now_ns(),
            lines: Vec::new(),
        }
    }

    /// When the run started, in ns since the epoch (as the shims' events give their times).
    #[must_use]
    pub fn started_ns(&self) -> i64 {
        self.started_ns
    }

    /// Seconds since the run started.
    pub fn now(&self) -> f64 {
        self.started.map_or(0.0, secs)
    }

    /// Adds an event: `fields` (an object) with `event` and `t` first.
    pub fn push(&mut self, event: &str, t: f64, fields: serde_json::Value) {
        let mut v = serde_json::Map::new();
        v.insert("event".into(), event.into());
        v.insert("t".into(), t.into());
        if let serde_json::Value::Object(m) = fields {
            v.extend(m);
        }
        self.lines.push(serde_json::Value::Object(v));
    }

    /// The log's text: one object a line, in the order of `t` (events of the same moment in
    /// the order they were added).
    #[must_use]
    pub fn render(&self) -> String {
        let mut lines: Vec<&serde_json::Value> = self.lines.iter().collect();
        lines.sort_by(|a, b| {
            let t = |v: &serde_json::Value| {
                v.get("t")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0)
            };
            t(a).total_cmp(&t(b))
        });
        let mut s = String::new();
        for l in lines {
            s.push_str(&l.to_string());
            s.push('\n');
        }
        s
    }
}

/// How long since `t`, for the log.
#[must_use]
pub fn secs(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_from_ninja_and_cmake_status_lines_only() {
        assert_eq!(
            steps_of(b"[3/20] Building C object CMakeFiles/a.dir/a.c.o"),
            Some(Steps::Of { done: 3, total: 20 })
        );
        assert_eq!(
            steps_of(b"[ 45%] Building C object x.o"),
            Some(Steps::Percent(45))
        );
        assert_eq!(
            steps_of(b"[100%] Built target a"),
            Some(Steps::Percent(100))
        );
        for no in [
            &b"[21/20] x"[..],
            b"[0/0] x",
            b"[3/20]x",
            b"cc -c a.c",
            b"[ 101%] x",
            b"[a/b] x",
            b"[",
        ] {
            assert_eq!(steps_of(no), None, "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn the_line_never_fills_the_terminal_and_shows_what_fits() {
        let steps = Some(Steps::Of {
            done: 120,
            total: 447,
        });
        let counts = "130 confessed calls, 0 real-tool calls";
        for w in 1..=200 {
            for s in [None, steps, Some(Steps::Percent(45))] {
                let l = render_line("build (cmake)", 12, s, counts, w, 3);
                assert!(l.chars().count() + MARGIN <= w.max(MARGIN), "{w}: {l}");
            }
        }
        assert_eq!(
            render_line("build (cmake)", 12, steps, counts, 120, 0),
            "build (cmake): 12s [=====>              ] 120/447, 130 confessed calls, 0 real-tool calls"
        );
        assert_eq!(
            render_line("build (cmake)", 12, steps, counts, 50, 0),
            "build (cmake): 120/447, 130 confessed calls, 0 "
        );
        assert_eq!(
            render_line("configure", 3, None, "4 configure-phase calls", 80, 1),
            "/ configure: 3s, 4 configure-phase calls"
        );
    }

    #[test]
    fn prefixes_name_the_phase_once() {
        assert_eq!(
            prefix(Phase::Configure, "cmake configure"),
            "configure (cmake)"
        );
        assert_eq!(prefix(Phase::Configure, "configure"), "configure");
        assert_eq!(
            prefix(Phase::Build, "ninja -t clean"),
            "build (ninja -t clean)"
        );
    }

    #[test]
    fn calls_are_counted_as_the_summary_counts_them() {
        let mut c = Counts::default();
        for l in [
            r#"{"phase":"configure","decision":"passthrough:configure"}"#,
            r#"{"phase":"build","decision":"confessed"}"#,
            r#"{"phase":"build","decision":"confessed"}"#,
            r#"{"phase":"build","decision":"passthrough:version-query"}"#,
            r#"{"phase":"build","decision":"realized"}"#,
            "not json",
        ] {
            c.add(l.as_bytes());
        }
        assert_eq!(
            c,
            Counts {
                confessed: 2,
                real: 1,
                configure: 1
            }
        );
        assert_eq!(
            c.describe(Phase::Build),
            "2 confessed calls, 1 real-tool calls"
        );
    }

    #[test]
    fn a_tail_reads_only_whole_lines_and_each_once() {
        use std::io::Write;
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join("log");
        std::fs::write(&p, "a\nb").expect("write");
        let mut tail = Tail::new(&p);
        let mut seen = Vec::new();
        tail.lines(|l| seen.push(l.to_vec()));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .expect("open");
        f.write_all(b"c\nd\n").expect("append");
        tail.lines(|l| seen.push(l.to_vec()));
        assert_eq!(seen, vec![b"a".to_vec(), b"bc".to_vec(), b"d".to_vec()]);
    }
}
