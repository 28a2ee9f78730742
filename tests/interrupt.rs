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
    let mut c = confess_command();
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

/// A project whose build runs a long `sleep`, marked by `mark` in its environment (the build
/// runs sealed, in its own PID namespace: the test finds the sleep from outside by its mark).
fn slow_project(root: &Path, mark: &str) -> PathBuf {
    let d = root.join("slow");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("main.c"), "int main(void) { return 0; }\n").expect("write");
    std::fs::write(
        d.join("Makefile"),
        format!("all: app\napp: main.o\n\tCONFESS_TEST_MARK={mark} sleep 120 & wait\n\t$(CC) -o app main.o\n"),
    )
    .expect("write");
    d
}

/// The pid (as the machine sees it) of the process whose environment holds the mark.
fn marked(mark: &str) -> Option<String> {
    let want = format!("CONFESS_TEST_MARK={mark}").into_bytes();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.parse::<u32>().ok()?;
        let env = std::fs::read(e.path().join("environ")).ok()?;
        env.split(|b| *b == 0)
            .any(|v| v == want.as_slice())
            .then_some(name)
    })
}

/// Waits until the build's marked `sleep` runs; returns its pid.
fn wait_for(mark: &str, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Some(pid) = marked(mark) {
            return pid;
        }
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
    running(&Path::new("/proc").join(pid))
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
/// `sleep`: the run, the sleep's pid, and `--out` as the confession left it.
fn slow_run_over_a_confession(
    p: &Place,
) -> (Child, String, std::collections::BTreeMap<String, String>) {
    let first = confess_into(p, &fixture("make/static-lib"));
    assert!(first.status.success(), "{first:?}");
    let before = tree_digest(&p.out);
    let mark = p
        .root
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let slow = slow_project(&p.root, &mark);
    let mut child = command(p, &slow, &[]).spawn().expect("spawn confess");
    let sleep = wait_for(&mark, &mut child);
    (child, sleep, before)
}

#[test]
fn a_signal_stops_the_build_and_leaves_the_previous_confession_as_it_was() {
    require("make", "make");
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let p = place();
        let (child, sleep, before) = slow_run_over_a_confession(&p);
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
        assert!(
            !alive(&sleep),
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
    let whole =
        u64::try_from(t.elapsed().as_millis().max(50)).expect("a run of under 500 million years");
    previous = if tree_digest(&p.out) == previous {
        previous
    } else {
        tree_digest(&p.out)
    };
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| {
            // The nanoseconds since the epoch, modulo 2^64.
            d.as_secs()
                .wrapping_mul(1_000_000_000)
                .wrapping_add(u64::from(d.subsec_nanos()))
        })
        | 1;
    let (mut kept, mut replaced) = (0, 0);
    for round in 0..60 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Every other kill falls in the first eighth, where the scratch and its lock are made.
        let delay = if round % 2 == 0 {
            seed % (whole / 8 + 1)
        } else {
            seed % (whole + whole / 4)
        };
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
    eprintln!("sigkill: 60 runs killed at random; {kept} left the previous confession, {replaced} a whole new one");
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
            std::fs::read(e.path().join("environ")).is_ok_and(|env| {
                env.split(|b| *b == 0)
                    .any(|v| v.starts_with(want.as_bytes()))
            })
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

#[test]
fn an_event_log_cut_in_the_middle_of_a_record_is_an_error_naming_it() {
    // A command of the build cuts the log inside the record of the call before it, and the
    // shims append after the cut: the import refuses the log (exit 6) naming it, the line and
    // the byte the line starts at, and --out keeps the previous confession.
    require("make", "make");
    let p = place();
    let first = confess_into(&p, &fixture("make/static-lib"));
    assert!(first.status.success(), "{first:?}");
    let before = tree_digest(&p.out);
    let d = p.root.join("cutter");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("a.c"), "int a(void) { return 1; }\n").expect("write");
    std::fs::write(d.join("b.c"), "int b(void) { return 2; }\n").expect("write");
    std::fs::write(
        d.join("Makefile"),
        "all: a.o b.o\n\
         a.o: a.c\n\t$(CC) -c a.c\n\ttruncate -s -9 \"$$CONFESS_DIR/events.log\"\n\
         b.o: a.o b.c\n\t$(CC) -c b.c\n",
    )
    .expect("write");
    let o = confess_into(&p, &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(6), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("events.log"))
        .unwrap_or_else(|| panic!("no line names the log: {err}"));
    // The first record lost its last bytes; the second was appended to what was left of it.
    assert!(
        line.contains("line 1 (from byte 0) is not a whole event")
            && line.contains("cut short")
            && line.contains("run confess again"),
        "{line}"
    );
    assert_eq!(tree_digest(&p.out), before);
    assert!(beside_out(&p).is_empty());
    assert!(entries(&p.scratch).is_empty(), "{:?}", entries(&p.scratch));
}

#[test]
fn a_read_only_tree_confesses_for_a_user_who_cannot_write_to_it() {
    use std::os::unix::fs::PermissionsExt;
    // The sources are another user's and read-only, files and directories: confess, run as
    // an unprivileged user (root would write anyway), copies them, builds the copy (which it
    // makes writable by its owner), confesses every translation unit, and leaves the tree as
    // it was, modes and times included.
    require("make", "make");
    require("setpriv", "util-linux");
    let p = place();
    let nobody = 65534;
    std::fs::set_permissions(&p.root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let src = p.root.join("read-only");
    copy_dir(&fixture("make/static-lib"), &src);
    let st = Command::new("chmod")
        .args(["-R", "a-w"])
        .arg(&src)
        .status()
        .expect("chmod");
    assert!(st.success());
    let before = tree_digest(&src);
    assert!(
        before.values().any(|d| d.starts_with("file 100444")),
        "{before:?}"
    );
    assert!(
        before.values().any(|d| d.starts_with("dir 40555")),
        "{before:?}"
    );
    // What the user owns: a home, the scratch area, and where the outputs go.
    let home = p.root.join("home");
    for d in [&home, &home.join("scratch"), &home.join("tmp")] {
        std::fs::create_dir_all(d).expect("mkdir");
        std::os::unix::fs::chown(d, Some(nobody), Some(nobody)).expect("chown");
    }
    let out = home.join("out");
    let o = Command::new("setpriv")
        .arg(format!("--reuid={nobody}"))
        .arg(format!("--regid={nobody}"))
        .arg("--clear-groups")
        .arg(confess_bin_for_anyone())
        // Unsealed: what is tested is the copy, and the seal's namespaces are not every
        // user's to make.
        .args(["make", "--quiet", "--keep-scratch", "--unsealed", "--out"])
        .arg(&out)
        .arg(&src)
        .env("HOME", &home)
        .env("TMPDIR", home.join("tmp"))
        .env("CONFESS_SCRATCH", home.join("scratch"))
        .env("CONFESS_VERIFY_HEADERS", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run confess");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "confess as an unprivileged user failed:\n{}\n{err}",
        String::from_utf8_lossy(&o.stdout)
    );
    let db: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("compile_commands.json")).expect("compile db"),
    )
    .expect("json");
    let mut files: Vec<String> = db
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let f = e["file"].as_str().expect("file");
            let abs = Path::new(e["directory"].as_str().expect("directory")).join(f);
            confess_shims::headers::lexical(&abs)
                .strip_prefix(&src)
                .unwrap_or_else(|_| panic!("{f} is not in {}", src.display()))
                .display()
                .to_string()
        })
        .collect();
    files.sort();
    assert_eq!(files, ["lib/add.c", "lib/twice.c", "main.c"]);
    assert_eq!(tree_digest(&src), before, "the read-only tree changed");
    // The copy was the user's to write: files u+rw, directories u+rwx, other bits kept.
    let scratch = err
        .lines()
        .find_map(|l| l.strip_prefix("confess: scratch directory kept at "))
        .map_or_else(
            || panic!("no scratch kept:\n{err}"),
            |l| PathBuf::from(l.rsplit_once(" (").map_or(l, |(p, _)| p)),
        );
    let mode = |p: &Path| {
        std::fs::symlink_metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode(&scratch.join("src/lib/add.c")), 0o644);
    assert_eq!(mode(&scratch.join("src/lib")), 0o755);
    std::fs::remove_dir_all(&scratch).expect("remove the kept scratch");
}
