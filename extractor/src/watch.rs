//! The sealed build's reads outside its trees, observed rather than assumed. The namespace's
//! init marks each overlay it made (the machine's file systems, not the scratch, /proc, /sys or
//! /dev) with fanotify `FAN_OPEN` and `FAN_OPEN_EXEC` and notes every file opened through
//! them, with the program that opened it and whether it was run, while the build runs. When the build ends, a file that does not exist in
//! the overlay's lower layer (the machine's own file system, reached through a descriptor
//! opened before the pivot) was made by the build itself (a compiler's temporary file) and is
//! not a read from outside.
//!
//! Which of those reads are the build's coeffects (its targets then require the file) is
//! decided by [`outside_reads`]: not the system's files (`/usr` but `/usr/local`, `/lib*`,
//! `/bin`, `/sbin`, `/etc`), and not the installation of a program the build ran (the
//! directory above the `bin`, `sbin` or `libexec` it was run from, or its own directory):
//! an interpreter's modules, a tool's data. What is left (a file in `$HOME`, `/opt`,
//! `/usr/local`, `/srv`, another tree) is read from outside.
//!
//! fanotify marks on whole mounts need CAP_SYS_ADMIN in the machine's user namespace: reads
//! are observed when confess runs as root, and the report says when they were not (an
//! unprivileged run, or a kernel without fanotify).

use confess_shims::raw;
use nix::sys::fanotify::{EventFFlags, Fanotify, InitFlags, MarkFlags, MaskFlags};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// An overlay to watch: where it is mounted, and its lower layer (a descriptor opened before
/// the pivot, which keeps the machine's file system reachable after it).
pub struct Layer {
    pub mount: PathBuf,
    pub lower: OwnedFd,
}

/// A file of the machine's a sealed step opened.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Opened {
    /// The absolute path (bytes that are not UTF-8 in confess's lossless text form).
    pub path: String,
    /// The program that opened it first: the file it last ran, else its `comm`; empty when
    /// neither is known.
    pub program: String,
    /// It was opened to be run (`execve`).
    pub exec: bool,
}

/// What a watch saw: each file opened (as the namespace names it), the program that opened
/// it first and whether it was run; whether events were lost (the queue overflowed).
#[derive(Default)]
struct Seen {
    files: HashMap<PathBuf, (String, bool)>,
    lost: bool,
}

/// A running watch.
pub struct Watch {
    stop: Arc<AtomicBool>,
    /// Written when `stop` is set: the reading thread, between its reads, waits on it rather
    /// than sleeps, so that it sees the stop at once (a step lasted up to 2 ms longer).
    wake: Arc<OwnedFd>,
    thread: JoinHandle<(Seen, Fanotify)>,
    layers: Vec<Layer>,
}

/// What a finished watch reports.
pub struct Reads {
    pub files: Vec<Opened>,
    /// Events were lost: the list may be incomplete.
    pub lost: bool,
    /// The fanotify group, still open. Closing the last descriptor of a group with marks waits
    /// for the kernel to retire them (an SRCU grace period: 13 to 20 ms here, measured with
    /// `strace -T`), so whoever holds it last should close it where nothing waits for that.
    pub group: Option<OwnedFd>,
}

impl Watch {
    /// Starts watching `layers`, or says why it cannot (not root, no fanotify).
    pub fn start(layers: Vec<Layer>) -> std::result::Result<Watch, String> {
        let group = Fanotify::init(
            InitFlags::FAN_CLASS_NOTIF
                | InitFlags::FAN_CLOEXEC
                | InitFlags::FAN_NONBLOCK
                | InitFlags::FAN_UNLIMITED_QUEUE
                | InitFlags::FAN_UNLIMITED_MARKS,
            EventFFlags::O_RDONLY | EventFFlags::O_LARGEFILE | EventFFlags::O_CLOEXEC,
        )
        .map_err(|e| format!("fanotify_init: {e}"))?;
        for l in &layers {
            group
                .mark(
                    MarkFlags::FAN_MARK_ADD | MarkFlags::FAN_MARK_MOUNT,
                    MaskFlags::FAN_OPEN | MaskFlags::FAN_OPEN_EXEC,
                    // The path is absolute: the directory descriptor is not used.
                    &l.lower,
                    Some(&l.mount),
                )
                .map_err(|e| format!("fanotify_mark {}: {e}", l.mount.display()))?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(
            rustix::event::eventfd(0, rustix::event::EventfdFlags::CLOEXEC)
                .map_err(|e| format!("eventfd: {e}"))?,
        );
        let (flag, woken) = (stop.clone(), wake.clone());
        let thread = std::thread::spawn(move || {
            let seen = collect(&group, &flag, &woken);
            (seen, group)
        });
        Ok(Watch {
            stop,
            wake,
            thread,
            layers,
        })
    }

    /// Stops the watch once the build has ended and returns the files read from outside.
    #[must_use]
    pub fn finish(self) -> Reads {
        let Watch {
            stop,
            wake,
            thread,
            layers,
        } = self;
        stop.store(true, Ordering::Relaxed);
        let _ = rustix::io::write(&*wake, &1u64.to_ne_bytes());
        let (seen, group) = match thread.join() {
            Ok((seen, group)) => (seen, Some(OwnedFd::from(group))),
            Err(_) => (Seen::default(), None),
        };
        let mut files: Vec<Opened> = seen
            .files
            .into_iter()
            .filter(|(p, _)| in_lower(&layers, p))
            .map(|(p, (program, exec))| Opened {
                path: raw::text_path(&p).into_owned(),
                program,
                exec,
            })
            .collect();
        files.sort();
        Reads {
            files,
            lost: seen.lost,
            group,
        }
    }
}

/// Whether `p` (a file the build opened) is a file of the machine's: it exists in the lower
/// layer of the overlay it was opened through, rather than being made by the build.
fn in_lower(layers: &[Layer], p: &Path) -> bool {
    let Some(l) = layers
        .iter()
        .filter(|l| p.starts_with(&l.mount))
        .max_by_key(|l| l.mount.as_os_str().len())
    else {
        return false;
    };
    let Ok(rel) = p.strip_prefix(&l.mount) else {
        return false;
    };
    if rel.as_os_str().is_empty() {
        return false;
    }
    rustix::fs::statat(&l.lower, rel, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_file())
}

/// Reads events until `stop` is set and the queue is empty. Between reads of an empty queue it
/// waits 2 ms, or until `wake` is written: the events of that time are read together.
fn collect(group: &Fanotify, stop: &AtomicBool, wake: &OwnedFd) -> Seen {
    let tick = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 2_000_000,
    };
    let mut seen = Seen::default();
    // What each process last ran.
    let mut ran: HashMap<i32, String> = HashMap::new();
    loop {
        match group.read_events() {
            Ok(events) if !events.is_empty() => {
                for ev in events {
                    if ev.mask().contains(MaskFlags::FAN_Q_OVERFLOW) {
                        seen.lost = true;
                        continue;
                    }
                    let Some(fd) = ev.fd() else { continue };
                    let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                    else {
                        continue;
                    };
                    // Deleted by the time it was looked at: the build's own file.
                    if p.as_os_str().as_encoded_bytes().ends_with(b" (deleted)") {
                        continue;
                    }
                    let exec = ev.mask().contains(MaskFlags::FAN_OPEN_EXEC);
                    if exec {
                        // execve opens the program, then its ELF interpreter (the dynamic
                        // loader), which is not the program.
                        let name = p.file_name().map(|n| raw::text_os(n).into_owned());
                        if let Some(name) = name.filter(|n| !loader(n)) {
                            ran.insert(ev.pid(), name);
                        }
                    }
                    if let Some(e) = seen.files.get_mut(&p) {
                        e.1 |= exec;
                    } else {
                        // The program the process last ran (its exec comes first), else
                        // its name now, if it still runs.
                        let program = ran.get(&ev.pid()).cloned().unwrap_or_else(|| {
                            std::fs::read_to_string(format!("/proc/{}/comm", ev.pid()))
                                .map(|c| c.trim_end().to_string())
                                .unwrap_or_default()
                        });
                        seen.files.insert(p, (program, exec));
                    }
                }
            }
            Ok(_) | Err(nix::errno::Errno::EAGAIN) => {
                if stop.load(Ordering::Relaxed) {
                    return seen;
                }
                let mut fds = [rustix::event::PollFd::new(
                    wake,
                    rustix::event::PollFlags::IN,
                )];
                let _ = rustix::event::poll(&mut fds, Some(&tick));
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => {
                seen.lost = true;
                return seen;
            }
        }
    }
}

/// Whether a file run is the dynamic loader (`ld-linux-x86-64.so.2`, `ld-musl-x86_64.so.1`,
/// `ld64.so.2`): the interpreter of the program just run.
fn loader(name: &str) -> bool {
    (name.starts_with("ld-") || name.starts_with("ld64.")) && name.contains(".so")
}

/// Whether `p` is one of the system's files: `/usr` but `/usr/local`, `/lib*`, `/bin`,
/// `/sbin`, `/etc`.
fn system_file(p: &Path) -> bool {
    let mut c = p.components().skip(1);
    let Some(first) = c.next().and_then(|c| c.as_os_str().to_str()) else {
        return false;
    };
    match first {
        "usr" => c.next().is_none_or(|c| c.as_os_str() != "local"),
        "bin" | "sbin" | "etc" => true,
        l => l.starts_with("lib"),
    }
}

/// Where a program run from `exe` is installed: the directory above the `bin`, `sbin` or
/// `libexec` it is in, else its own directory.
fn installation(exe: &Path) -> Option<&Path> {
    let dir = exe.parent()?;
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("bin" | "sbin" | "libexec") => dir.parent().filter(|p| p != &Path::new("/")),
        _ => Some(dir),
    }
}

/// A file a sealed step opened outside the source and build trees that was the machine's
/// (it existed before the build).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutsideRead {
    /// The absolute path (bytes that are not UTF-8 in confess's lossless text form).
    pub path: String,
    /// The program that opened it first (the file its process last ran, else its `comm`;
    /// empty when neither is known).
    pub program: String,
    /// The step that read it, with its phase (filled in by confess, not by the init).
    #[serde(default)]
    pub step: String,
    /// Whether that step was a build step (its reads are the targets' coeffect) rather than
    /// a configure step.
    #[serde(default)]
    pub build: bool,
}

/// The reads of one step that are from outside (see the module's documentation): not the
/// system's files, not a program it ran or anything of that program's installation. `own`
/// are confess's own programs (the shim, confess): neither a read nor an installation.
#[must_use]
pub fn outside_reads(opened: &[Opened], own: &[PathBuf]) -> Vec<OutsideRead> {
    let paths: Vec<(PathBuf, &Opened)> = opened
        .iter()
        .map(|o| (raw::path(&o.path).into_owned(), o))
        .collect();
    // confess's own programs are not the build's toolchain: where they are installed says
    // nothing of what else there is.
    let installs: Vec<&Path> = paths
        .iter()
        .filter(|(p, o)| o.exec && !own.contains(p))
        .filter_map(|(p, _)| installation(p))
        .filter(|p| !system_file(p))
        .collect();
    let mut out: Vec<OutsideRead> = paths
        .iter()
        .filter(|(p, o)| !o.exec && !system_file(p) && !own.contains(p))
        .filter(|(p, _)| !installs.iter().any(|i| p.starts_with(i)))
        .map(|(_, o)| OutsideRead {
            path: o.path.clone(),
            program: o.program.clone(),
            step: String::new(),
            build: false,
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(path: &str, exec: bool) -> Opened {
        Opened {
            path: path.into(),
            program: "p".into(),
            exec,
        }
    }

    #[test]
    fn the_system_and_the_programs_run_are_not_reads_from_outside() {
        let seen = [
            opened("/usr/lib/x86_64-linux-gnu/libc.so.6", false),
            opened("/usr/local/share/data.txt", false),
            opened("/etc/passwd", false),
            opened("/lib64/ld-linux-x86-64.so.2", false),
            opened("/opt/py/bin/python3", true),
            opened("/opt/py/lib/python3/os.py", false),
            opened("/opt/data/table.txt", false),
            opened("/root/.gitconfig", false),
            opened("/home/u/tools/gen", true),
            opened("/home/u/tools/gen.cfg", false),
            opened("/home/u/other.txt", false),
            opened("/work/bin/confess-shim", true),
            opened("/work/include/x.h", false),
        ];
        let out = outside_reads(&seen, &[PathBuf::from("/work/bin/confess-shim")]);
        let paths: Vec<&str> = out.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/home/u/other.txt",
                "/opt/data/table.txt",
                "/root/.gitconfig",
                "/usr/local/share/data.txt",
                "/work/include/x.h",
            ]
        );
        assert!(system_file(Path::new("/usr/include/stdio.h")));
        assert!(!system_file(Path::new("/usr/local/include/x.h")));
        assert!(!system_file(Path::new("/opt/x")));
        assert_eq!(
            installation(Path::new("/usr/bin/x")),
            Some(Path::new("/usr"))
        );
        assert_eq!(installation(Path::new("/bin/sh")), None);
    }
}
