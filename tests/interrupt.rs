//! Interruptions lose nothing and leave nothing: a signal stops the build's processes, removes
//! the scratch and staging directories and leaves the previous confession as it was (exit
//! 128 + the signal); SIGKILL at any moment leaves either the previous confession or a complete
//! new one, and the next run removes what the dead one left; a second run into the same
//! `--out` is refused while one runs; `-j` is checked. Scratch directories go to a directory
//! of each test's own (CONFESS_SCRATCH), so that what is left there can be counted.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Place {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    scratch: PathBuf,
}

fn place() -> Place {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().to_path_buf();
    let scratch = root.join("scratch");
    std::fs::create_dir(&scratch).expect("scratch");
    Place {
        out: root.join("out"),
        scratch,
        root,
        _tmp: tmp,
    }
}

fn command(p: &Place, src: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(confess_bin());
    c.arg("make")
        .arg("--out")
        .arg(&p.out)
        .arg("--quiet")
        .args(extra)
        .arg(src)
        .env("CONFESS_SCRATCH", &p.scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn confess_into(p: &Place, src: &Path) -> std::process::Output {
    command(p, src, &[]).output().expect("run confess")
}

/// A project whose build runs a long `sleep` after it writes the sleep's pid to `pidfile`.
fn slow_project(root: &Path, pidfile: &Path) -> PathBuf {
    let d = root.join("slow");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    std::fs::write(
        d.join("Makefile"),
        format!(
            "all: app\napp: main.o\n\tsleep 120 & echo $$! > {}; wait\n\t$(CC) -o app main.o\n",
            pidfile.display()
        ),
    )
    .expect("write");
    d
}

fn wait_for(path: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(path).map_or(true, |t| t.trim().is_empty()) {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("confess ended ({st}) before the build got going");
        }
        assert!(
            Instant::now() < deadline,
            "the build never started its sleep"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(pid: u32, signal: &str) {
    let st = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(st.success(), "kill -{signal} {pid}");
}

fn alive(pid: &str) -> bool {
    // A zombie has exited; only its entry is left until its parent reaps it.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Staging directories and lock files beside `--out`.
fn beside_out(p: &Place) -> Vec<String> {
    entries(&p.root)
        .into_iter()
        .filter(|n| n.starts_with(".out.confess-new-"))
        .collect()
}

/// A confession in `--out` and, over it, a run of the slow project that has reached its
/// `sleep`: the run, the file holding the sleep's pid, and `--out` as the confession left it.
fn slow_run_over_a_confession(
    p: &Place,
) -> (Child, PathBuf, std::collections::BTreeMap<String, String>) {
    let first = confess_into(p, &fixture("make/static-lib"));
    assert!(first.status.success(), "{first:?}");
    let before = tree_digest(&p.out);
    let pidfile = p.root.join("sleep.pid");
    let slow = slow_project(&p.root, &pidfile);
    let mut child = command(p, &slow, &[]).spawn().expect("spawn confess");
    wait_for(&pidfile, &mut child);
    (child, pidfile, before)
}

#[test]
fn a_signal_stops_the_build_and_leaves_the_previous_confession_as_it_was() {
    require("make", "make");
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let p = place();
        let (child, pidfile, before) = slow_run_over_a_confession(&p);
        assert_eq!(beside_out(&p).len(), 1, "a staging directory while it runs");
        kill(child.id(), signal);
        let o = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "SIG{signal}: {err}");
        assert!(
            err.contains(&format!("interrupted by SIG{signal}")),
            "SIG{signal}: {err}"
        );
        assert_eq!(tree_digest(&p.out), before, "SIG{signal}: --out changed");
        assert!(beside_out(&p).is_empty(), "SIG{signal}: staging left");
        assert!(
            entries(&p.scratch).is_empty(),
            "SIG{signal}: scratch left: {:?}",
            entries(&p.scratch)
        );
        let sleep = std::fs::read_to_string(&pidfile).expect("pid");
        assert!(
            !alive(sleep.trim()),
            "SIG{signal}: the build's sleep {} still runs",
            sleep.trim()
        );
    }
}

#[test]
fn a_second_run_into_the_same_out_is_told_who_holds_it() {
    require("make", "make");
    let p = place();
    let (child, _, before) = slow_run_over_a_confession(&p);
    let second = confess_into(&p, &fixture("make/static-lib"));
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(9), "{err}");
    assert!(
        err.contains("in use by another confess run")
            && err.contains(&format!("pid {}", child.id())),
        "{err}"
    );
    kill(child.id(), "TERM");
    let _ = child.wait_with_output();
    assert_eq!(tree_digest(&p.out), before);
}

#[test]
fn jobs_out_of_range_are_refused_and_change_nothing() {
    require("make", "make");
    let p = place();
    let first = confess_into(&p, &fixture("make/static-lib"));
    assert!(first.status.success(), "{first:?}");
    let before = tree_digest(&p.out);
    for j in ["0", "4097", "99999999999"] {
        let o = command(&p, &fixture("make/static-lib"), &["-j", j])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "-j {j}: {err}");
        assert!(
            err.contains(&format!("-j {j}")) && err.contains("1 to 4096"),
            "{err}"
        );
        assert_eq!(tree_digest(&p.out), before, "-j {j}");
    }
}

/// The files of a confession that are the same for the same sources (not the timings, the log
/// of the build, or the recorded events with their pids and times).
fn stable(out: &Path) -> std::collections::BTreeMap<String, String> {
    tree_digest(out)
        .into_iter()
        .filter(|(k, _)| !(k == "summary.txt" || k == "build.log" || k.starts_with("confession")))
        .map(|(k, v)| {
            // The digest holds the mode and mtime before the content hash.
            let content = v.rsplit(' ').next().unwrap_or("").to_string();
            (
                k,
                if v.starts_with("dir") {
                    String::new()
                } else {
                    content
                },
            )
        })
        .collect()
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_the_next_run_removes_what_it_left() {
    require("make", "make");
    let p = place();
    let src = fixture("make/codegen");
    let first = confess_into(&p, &src);
    assert!(first.status.success(), "{first:?}");
    let reference = stable(&p.out);
    let mut previous = tree_digest(&p.out);
    // How long a whole run takes here, to spread the kills over it.
    let t = Instant::now();
    assert!(confess_into(&p, &src).status.success());
    let whole = t.elapsed().as_millis().max(50) as u64;
    previous = if tree_digest(&p.out) == previous {
        previous
    } else {
        tree_digest(&p.out)
    };
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let (mut kept, mut replaced) = (0, 0);
    for round in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = seed % (whole + whole / 4);
        let mut child = command(&p, &src, &[]).spawn().expect("spawn confess");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let now = tree_digest(&p.out);
        if now == previous {
            kept += 1;
        } else {
            // Killed after the new confession was put in place: it is whole.
            assert_eq!(
                stable(&p.out),
                reference,
                "round {round} (killed after {delay} ms): --out is neither the previous confession nor a whole new one"
            );
            replaced += 1;
            previous = now;
        }
    }
    eprintln!("sigkill: 50 runs killed at random; {kept} left the previous confession, {replaced} a whole new one");
    // The next run removes every staging and scratch directory the dead runs left.
    let last = confess_into(&p, &src);
    assert!(last.status.success(), "{last:?}");
    assert_eq!(stable(&p.out), reference);
    assert!(beside_out(&p).is_empty(), "{:?}", beside_out(&p));
    assert!(
        entries(&p.scratch).is_empty(),
        "scratch left: {:?}",
        entries(&p.scratch)
    );
    // Nor is anything the dead runs started still running.
    let root = std::fs::canonicalize(&p.scratch).expect("canonical");
    let want = format!("CONFESS_ROOT={}/", root.display());
    let running: Vec<String> = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .map(|env| {
                    env.split(|b| *b == 0)
                        .any(|v| v.starts_with(want.as_bytes()))
                })
                .unwrap_or(false)
        })
        .filter(|e| alive(&e.file_name().to_string_lossy()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        running.is_empty(),
        "processes of dead runs still run: {running:?}"
    );
}

#[test]
fn a_build_that_deletes_the_event_log_is_an_error_and_changes_nothing() {
    require("make", "make");
    let p = place();
    let first = confess_into(&p, &fixture("make/static-lib"));
    assert!(first.status.success(), "{first:?}");
    let before = tree_digest(&p.out);
    let d = p.root.join("eraser");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    std::fs::write(
        d.join("Makefile"),
        "app: main.c\n\t$(CC) -o app main.c\n\trm -f \"$$CONFESS_DIR/events.log\"\n",
    )
    .expect("write");
    let o = confess_into(&p, &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(
        err.contains("events.log") && err.contains("the build deleted it"),
        "{err}"
    );
    assert_eq!(tree_digest(&p.out), before);
    assert!(beside_out(&p).is_empty());
    assert!(entries(&p.scratch).is_empty(), "{:?}", entries(&p.scratch));
}
