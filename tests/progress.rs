//! What a person sees and what CI reads: the progress line in a real terminal (tmux), at two
//! widths and through a Ctrl-C; `--verbose` streaming the build's own output; the
//! `--log-format json` log.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A ninja project of two steps whose second sleeps: the line shows `1/2` while it does.
fn slow_ninja(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("a.c"), "int a(void) { return 1; }\n").expect("write");
    std::fs::write(
        dir.join("build.ninja"),
        "rule cc\n  command = cc -c $in -o $out\n\
         rule slow\n  command = sleep 60 && touch $out\n\
         build a.o: cc a.c\n\
         build slow.stamp: slow a.o\n\
         build all: phony slow.stamp\n\
         default all\n",
    )
    .expect("write");
}

/// A tmux server of its own (its socket in `dir`), with one window `width` columns wide.
struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn new(dir: &Path, width: u16) -> Tmux {
        let t = Tmux {
            socket: dir.join("tmux.sock"),
        };
        let st = t
            .cmd()
            .args(["new-session", "-d", "-s", "t", "-x"])
            .arg(width.to_string())
            .args(["-y", "20", "sh"])
            .env("TERM", "xterm")
            .status()
            .expect("tmux");
        assert!(st.success(), "tmux new-session");
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    fn send(&self, keys: &[&str]) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(st.success());
    }

    /// The screen's lines, without the trailing empty ones.
    fn screen(&self) -> Vec<String> {
        let o = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .expect("capture-pane");
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    /// Waits until a line of the screen satisfies `want` (up to `secs`).
    fn wait_for(&self, secs: u64, want: impl Fn(&str) -> bool) -> Vec<String> {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if s.iter().any(|l| want(l)) || t.elapsed() > Duration::from_secs(secs) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

#[test]
fn the_progress_line_fits_the_terminal_and_a_ctrl_c_leaves_no_trace_of_it() {
    require("tmux", "tmux");
    require("ninja", "ninja-build");
    for width in [120u16, 44] {
        let tmp = tempfile::tempdir().expect("tmp");
        let project = tmp.path().join("p");
        slow_ninja(&project);
        let tmux = Tmux::new(tmp.path(), width);
        let out = tmp.path().join("out");
        tmux.send(&[
            &format!(
                "clear; '{}' ninja '{}' --out '{}'; echo exit=$?",
                confess_bin().display(),
                project.display(),
                out.display()
            ),
            "Enter",
        ]);
        // The slow step runs: the line says how far ninja is.
        let screen = tmux.wait_for(60, |l| l.starts_with("build (ninja)") && l.contains("1/2"));
        let line = screen
            .iter()
            .find(|l| l.starts_with("build (ninja)"))
            .unwrap_or_else(|| panic!("{width} columns: no progress line:\n{}", screen.join("\n")));
        eprintln!(
            "{width} columns, while the build runs:\n{}",
            screen.join("\n")
        );
        assert!(
            line.chars().count() <= usize::from(width) - 3,
            "{width} columns: the line fills the terminal: {line:?}"
        );
        assert!(line.contains("1/2"), "{line}");
        if width >= 90 {
            assert!(
                line.contains('[') && line.contains("confessed calls"),
                "{line}"
            );
        }
        // One line, not one per redraw.
        assert_eq!(
            screen.iter().filter(|l| l.starts_with("build (")).count(),
            1,
            "{}",
            screen.join("\n")
        );
        tmux.send(&["C-c"]);
        let screen = tmux.wait_for(30, |l| l.starts_with("exit="));
        eprintln!("{width} columns, after Ctrl-C:\n{}", screen.join("\n"));
        assert!(
            screen.iter().any(|l| l == "exit=130"),
            "{}",
            screen.join("\n")
        );
        assert!(
            !screen
                .iter()
                .any(|l| l.contains("build (ninja)") || l.contains("confessed calls")),
            "{width} columns: the progress line is left on the screen:\n{}",
            screen.join("\n")
        );
        assert!(screen.iter().any(|l| l.contains("interrupted by SIGINT")));
    }
}

#[test]
fn no_progress_line_off_a_terminal_and_verbose_streams_the_build_output() {
    require("make", "make");
    let fx = fixture("make/codegen");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |options: &[&str]| {
        let out = tmp.path().join("out");
        let output = confess_command()
            .arg("make")
            .arg("--out")
            .arg(&out)
            .args(options)
            .arg(&fx)
            .output()
            .expect("run confess");
        let r = Run { out, output };
        r.assert_ok();
        r
    };
    // stderr is not a terminal here: no progress line, no escape sequence.
    let plain = run(&[]);
    assert!(
        !plain.stderr().contains('\x1b') && !plain.stderr().contains("confessed calls"),
        "{}",
        plain.stderr()
    );
    // --verbose: make's own lines, as build.log has them, in order.
    let verbose = run(&["--verbose"]);
    let log = verbose.read("build.log");
    let made: Vec<&str> = log.lines().filter(|l| l.starts_with("cc ")).collect();
    assert!(made.len() >= 4, "{log}");
    let err = verbose.stderr();
    let streamed: Vec<&str> = err.lines().filter(|l| l.starts_with("cc ")).collect();
    assert_eq!(streamed, made, "{err}");
    // --quiet --verbose: the timing lines only.
    let both = run(&["--quiet", "--verbose"]);
    assert!(!both.stderr().contains("cc "), "{}", both.stderr());
    assert!(both.stderr().contains("build phase: "), "{}", both.stderr());
}

#[test]
fn the_json_log_has_each_phase_each_call_and_the_summarys_counts() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("cmake/basic");
    let run = confess_full(
        tmp.path(),
        &["cmake", fx.to_str().expect("utf-8")],
        &["--log-format", "json"],
        &[],
    );
    run.assert_ok();
    let text = run.read("log.jsonl");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kind = |v: &serde_json::Value| v["event"].as_str().unwrap_or("").to_string();
    assert_eq!(kind(&events[0]), "start");
    assert_eq!(kind(events.last().expect("events")), "end");
    // In time order.
    let times: Vec<f64> = events.iter().map(|e| e["t"].as_f64().expect("t")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Each phase starts and ends, configure first.
    let phases: Vec<(String, String)> = events
        .iter()
        .filter(|e| kind(e).starts_with("phase-"))
        .map(|e| (kind(e), e["phase"].as_str().expect("phase").to_string()))
        .collect();
    let want: Vec<(String, String)> = [
        ("phase-start", "configure"),
        ("phase-end", "configure"),
        ("phase-start", "build"),
        ("phase-end", "build"),
        ("phase-start", "extraction"),
        ("phase-end", "extraction"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(phases, want);
    // Every call the shims recorded, with its decision; the phase ends count them.
    let calls: Vec<&serde_json::Value> = events.iter().filter(|e| kind(e) == "call").collect();
    let confessed = calls
        .iter()
        .filter(|c| c["phase"] == "build" && c["decision"] == "confessed")
        .count();
    let configure = calls.iter().filter(|c| c["phase"] == "configure").count();
    assert!(configure > 0 && confessed > 0, "{text}");
    let end_of = |p: &str| {
        events
            .iter()
            .find(|e| kind(e) == "phase-end" && e["phase"] == p)
            .expect("phase end")
            .clone()
    };
    assert_eq!(end_of("build")["confessed_calls"], confessed);
    assert_eq!(end_of("configure")["configure_phase_calls"], configure);
    let db = scratch_free_events(&run.out);
    assert_eq!(calls.len(), db, "every recorded call is in the log");
    // The end gives the exit code and the summary's counts.
    let end = events.last().expect("end");
    assert_eq!(end["exit"], 0);
    let tus = run
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("  translation units"))
        .map(|n| n.trim().parse::<u64>().expect("count"))
        .expect("summary line");
    assert_eq!(end["translation_units"], tus);
    // --log-file puts it elsewhere, and needs the json format.
    let elsewhere = tmp.path().join("ci/log.jsonl");
    std::fs::create_dir_all(elsewhere.parent().expect("parent")).expect("mkdir");
    let again = confess_full(
        tmp.path(),
        &["cmake", fx.to_str().expect("utf-8")],
        &[
            "--log-format",
            "json",
            "--log-file",
            elsewhere.to_str().expect("utf-8"),
        ],
        &[],
    );
    again.assert_ok();
    let there = std::fs::read_to_string(&elsewhere).expect("the log at --log-file");
    assert_eq!(there.lines().count(), text.lines().count());
    assert!(!again.out.join("log.jsonl").exists());
    let refused = confess_full(
        tmp.path(),
        &["cmake", fx.to_str().expect("utf-8")],
        &["--log-file", elsewhere.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("--log-format json"));
}

/// How many calls the confession's own record holds.
fn scratch_free_events(out: &Path) -> usize {
    let db = rusqlite::Connection::open(out.join("confession/events.sqlite")).expect("open");
    let n = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
        .expect("count");
    usize::try_from(n).expect("a count")
}
