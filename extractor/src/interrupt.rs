//! SIGINT, SIGTERM and SIGHUP stop a run cleanly: the signal is noted, the build's process
//! group (each step runs in its own) is stopped, and the error unwinds through the owners of
//! the scratch and staging directories, which remove them. Exit status 128 + the signal.

use crate::error::{Error, Result};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

static PENDING: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

const SIGNALS: [(i32, &str); 3] = [
    (signal_hook::consts::SIGINT, "SIGINT"),
    (signal_hook::consts::SIGTERM, "SIGTERM"),
    (signal_hook::consts::SIGHUP, "SIGHUP"),
];

/// Notes the three signals instead of dying of them. Called once, at start-up.
pub fn install() {
    let flag = PENDING.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for (sig, _) in SIGNALS {
        // Registration fails only for signals that cannot be caught; these three can.
        let _ =
            signal_hook::flag::register_usize(sig, Arc::clone(flag), sig.unsigned_abs() as usize);
    }
}

/// The signal that asked the run to stop, if one did.
pub fn pending() -> Option<i32> {
    let s = PENDING.get()?.load(Ordering::SeqCst);
    i32::try_from(s).ok().filter(|s| *s != 0)
}

fn interrupted(signal: i32) -> Error {
    let name = SIGNALS
        .iter()
        .find(|(s, _)| *s == signal)
        .map_or("a signal", |(_, n)| *n);
    Error::Interrupted { signal, name }
}

/// Stops here if a signal asked the run to stop.
pub fn check() -> Result<()> {
    match pending() {
        Some(s) => Err(interrupted(s)),
        None => Ok(()),
    }
}

/// Waits for a child that leads its own process group (`process_group(0)`); if a signal
/// comes first, the whole group is asked to stop (SIGTERM), then killed after a grace period.
///
/// The wait ends when the child does: it polls a descriptor of the child's (`pidfd_open`),
/// which becomes readable when the child exits. A sleep of 10 ms between checks made every
/// step last up to 10 ms longer than its command (`confess run -- true`: 11, 21 or 31 ms).
/// A signal interrupts the poll (poll(2) is never restarted); it wakes every 100 ms anyway.
pub fn wait(child: &mut Child, what: &str) -> Result<ExitStatus> {
    let pidfd = rustix::process::Pid::from_raw(child.id().cast_signed()).and_then(|pid| {
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
    });
    let tick = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    loop {
        match child.try_wait() {
            Ok(Some(st)) => return Ok(st),
            Ok(None) => {}
            Err(e) => return Err(Error::io("waiting for", what, e)),
        }
        if let Some(sig) = pending() {
            stop_group(child);
            return Err(interrupted(sig));
        }
        match &pidfd {
            Some(fd) => {
                let mut fds = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
                // An error (EINTR) is one more look at the child and the signals.
                let _ = rustix::event::poll(&mut fds, Some(&tick));
            }
            // A kernel without pidfd_open (before 5.3).
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Stops a child's process group: SIGTERM, up to two seconds for it to go, then SIGKILL.
pub fn stop_group(child: &mut Child) {
    let Some(pid) = rustix::process::Pid::from_raw(child.id().cast_signed()) else {
        return;
    };
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Whatever of the group is left, the leader included.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}
