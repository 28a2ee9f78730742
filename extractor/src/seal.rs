//! The sealed build: every command a confession or a verification runs (configure, build,
//! install, the real builds of `confess verify`) runs in its own mount, PID and network
//! namespaces, made by util-linux's `unshare` with confess's own small init inside
//! (`confess __seal PLAN`).
//!
//! Inside, the file system is the machine's, with three differences:
//! - the user's source directory shows the scratch copy (a bind mount), so a build that
//!   writes through an absolute path into its own tree writes into the copy;
//! - every other file system is an overlay whose lower layer is the real one and whose upper
//!   layer is a tmpfs the init made: whatever the build writes outside the tree (an install
//!   with an absolute prefix, a file in $HOME) lands in that throwaway layer, and the init
//!   lists it, with the token a written file carries, before the layer is gone;
//! - /proc is the namespace's own, and the network is a loopback that is down, unless
//!   `--network` is given.
//!
//! The namespace's init is PID 1 there: when it exits the kernel kills everything else in the
//! namespace, daemons a build left behind included. It exits when the build does, when
//! confess dies (its standard input is a socket only confess holds the other end of: the
//! lifeline), or when killed with confess's process group.

use crate::error::{Error, Result};
use confess_shims::raw;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The hidden subcommand the namespace's init runs as.
pub const INIT: &str = "__seal";

/// Exit status of the init when it could not set the namespace up; its reason is on stderr.
pub const SETUP_FAILED: i32 = 125;

/// What the user asked of the seal.
#[derive(Clone, Copy, Debug, Default)]
pub struct SealOptions {
    /// Run the build without namespaces (`--unsealed`).
    pub unsealed: bool,
    /// Let the build reach the network (`--network`).
    pub network: bool,
}

/// How commands of one run are sealed.
pub struct Seal {
    how: How,
    /// The scratch root, bound into the namespace as itself.
    scratch_root: PathBuf,
    /// Where plans and reports go (in the scratch).
    dir: PathBuf,
    /// Directories of the user's machine that show a scratch copy inside: (at, copy).
    binds: Vec<(PathBuf, PathBuf)>,
    network: bool,
    count: AtomicUsize,
}

enum How {
    Unsealed,
    Sealed {
        unshare: PathBuf,
        exe: PathBuf,
        user: bool,
    },
}

/// One command's plan, as the init reads it. Paths and words are bytes: non-UTF-8 names pass
/// through unchanged.
#[derive(Serialize, Deserialize, Debug, Default)]
struct Plan {
    scratch_root: Vec<u8>,
    binds: Vec<(Vec<u8>, Vec<u8>)>,
    cwd: Vec<u8>,
    program: Vec<u8>,
    args: Vec<Vec<u8>>,
    report: Vec<u8>,
    /// In a user namespace (confess does not run as root): overlay keeps its own metadata in
    /// user.* extended attributes.
    user: bool,
    /// The build has the machine's network (`--network`).
    #[serde(default)]
    network: bool,
}

/// A file the sealed build wrote outside the tree (it went to the throwaway layer).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OutsideWrite {
    /// The absolute path the build wrote (bytes that are not UTF-8 in confess's lossless
    /// text form, `confess_shims::raw`).
    pub path: String,
    /// `file`, `symlink`, `deleted` (the build removed a file that was there) or `directory`
    /// (a directory that replaced what was there).
    pub kind: String,
    /// For a file that is a confess token: the id of the graph node it is a copy of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For a symbolic link: where it points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The step that wrote it (filled in by confess, not by the init).
    #[serde(default)]
    pub step: String,
}

/// What the watch makes of a step's reads.
pub use crate::watch::OutsideRead;

/// Network attempts of one step of a sealed build.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NetworkAttempts {
    /// The step, with its phase: `make (build)`.
    pub step: String,
    /// Whether it was a build step (its attempts are the targets' coeffect) rather than a
    /// configure step.
    pub build: bool,
    /// Packets that found no route.
    pub attempts: u64,
}

/// What the init reports of one sealed command.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Report {
    pub writes: Vec<OutsideWrite>,
    /// File systems that could not be layered and were shown read-only instead.
    #[serde(default)]
    pub read_only: Vec<String>,
    /// Packets the build tried to send that found no route (the namespace's only network is
    /// a loopback that is down): its network attempts, from the namespace's own counters
    /// (/proc/net/snmp `Ip: OutNoRoutes`, /proc/net/snmp6 `Ip6OutNoRoutes`). 0 with --network.
    #[serde(default)]
    pub network_attempts: u64,
    /// The machine's files the build opened outside its trees (observed with fanotify), before
    /// they are told apart from the toolchain (`watch::outside_reads`).
    #[serde(default)]
    pub reads: Vec<crate::watch::Opened>,
    /// Why reads were not observed (an unprivileged seal, no fanotify), or that some were lost;
    /// `None` when every read was seen.
    #[serde(default)]
    pub reads_unobserved: Option<String>,
}

/// A started command's tie to the namespace: while it lives, the init's standard input stays
/// open; dropped (confess is done with the command, or dies), the init sees end of file.
///
/// It is a socket rather than a pipe so that the init can hand confess its read watch's
/// fanotify group when the build has ended (`hand_over`): closing a group waits for the kernel
/// to retire its marks, 13 to 20 ms, and in the init that wait was part of every sealed step
/// (the init's exit, which confess waits for, closed it). The group then lives in this
/// socket's queue until the socket is closed, which a dropped lifeline does on a thread of its
/// own, off the step's path.
pub struct Lifeline(Option<std::os::unix::net::UnixStream>);

impl Drop for Lifeline {
    fn drop(&mut self) {
        if let Some(socket) = self.0.take() {
            // If no thread can be started, the closure is dropped here, and the socket with it.
            let _ = std::thread::Builder::new()
                .name("lifeline".into())
                .spawn(move || drop(socket));
        }
    }
}

/// One command to run, sealed or not.
pub struct Sealed {
    pub command: Command,
    pub lifeline: Lifeline,
    /// Where the init writes its report, when sealed.
    report: Option<PathBuf>,
}

impl Sealed {
    /// What the command wrote outside the tree, once it has finished. Nothing when unsealed.
    pub fn report(&self) -> Result<Report> {
        let Some(p) = &self.report else {
            return Ok(Report::default());
        };
        match std::fs::read(p) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Store {
                path: p.clone(),
                reason: format!("the sealed build's report does not parse: {e}"),
            }),
            // The init died before writing it (killed); nothing is known.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Report::default()),
            Err(e) => Err(Error::io("reading", p, e)),
        }
    }
}

fn bytes(p: &Path) -> Vec<u8> {
    p.as_os_str().as_bytes().to_vec()
}

fn path(b: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(b))
}

impl Seal {
    /// The seal of a run whose scratch root is `scratch_root`. `binds` are (path on the
    /// machine, its scratch copy). Checks once that namespaces work here: where they do not,
    /// the run is refused unless `--unsealed` was given.
    pub fn new(
        opts: SealOptions,
        scratch_root: &Path,
        binds: Vec<(PathBuf, PathBuf)>,
    ) -> Result<Seal> {
        let dir = scratch_root.join("seal-plans");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        // The copies are bound where the user's directories are: they exist from the start
        // (the copying may come later, as in verify).
        for (_, copy) in &binds {
            std::fs::create_dir_all(copy).map_err(|e| Error::io("creating", copy, e))?;
        }
        let how = if opts.unsealed {
            How::Unsealed
        } else {
            let unshare = which::which("unshare").map_err(|_| Error::Unsealable {
                why: "util-linux's `unshare` is not on PATH (Debian: apt-get install util-linux)"
                    .into(),
            })?;
            let exe = std::env::current_exe().map_err(|e| Error::io("finding", "confess", e))?;
            let user = !rustix::process::geteuid().is_root();
            How::Sealed { unshare, exe, user }
        };
        let seal = Seal {
            how,
            scratch_root: scratch_root.to_path_buf(),
            dir,
            binds,
            network: opts.network,
            count: AtomicUsize::new(0),
        };
        seal.probe()?;
        Ok(seal)
    }

    /// Whether commands run sealed.
    pub fn is_sealed(&self) -> bool {
        matches!(self.how, How::Sealed { .. })
    }

    fn unshare_args(&self, user: bool) -> Vec<OsString> {
        let mut a: Vec<OsString> = ["--mount", "--pid", "--fork", "--kill-child"]
            .iter()
            .map(OsString::from)
            .collect();
        a.push("--propagation".into());
        a.push("private".into());
        if !self.network {
            a.push("--net".into());
        }
        if user {
            a.push("--user".into());
            a.push("--map-root-user".into());
        }
        a
    }

    /// Seals one command that does nothing (`true`) before the build starts, so that a
    /// machine where the seal cannot be made is told so, and why, before anything runs.
    fn probe(&self) -> Result<()> {
        if !self.is_sealed() {
            return Ok(());
        }
        let mut sealed = self.command("true".as_ref(), &[], &self.scratch_root)?;
        let out = sealed
            .command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .map_err(|e| Error::io("running", "unshare", e))?;
        drop(sealed.lifeline);
        if out.status.success() {
            return Ok(());
        }
        let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(Error::Unsealable {
            why: if why.is_empty() {
                format!("`unshare` exited with {}", out.status)
            } else {
                why
            },
        })
    }

    /// The command to run `program args` in `cwd`, sealed when the run is. Its `PWD` names
    /// `cwd`: a shell takes `PWD` for its working directory when both name the same directory,
    /// and confess's own `PWD` (the user's source directory, for `confess make .`) does, inside
    /// the seal, where that directory shows the scratch copy. The build would then name its
    /// files by the user's paths, and its outputs would depend on where confess was started.
    pub fn command(&self, program: &OsStr, args: &[OsString], cwd: &Path) -> Result<Sealed> {
        let mut sealed = self.command_in(program, args, cwd)?;
        if cwd.is_absolute() {
            sealed.command.env("PWD", cwd);
        }
        Ok(sealed)
    }

    fn command_in(&self, program: &OsStr, args: &[OsString], cwd: &Path) -> Result<Sealed> {
        let How::Sealed { unshare, exe, user } = &self.how else {
            let mut c = Command::new(program);
            c.args(args).current_dir(cwd);
            return Ok(Sealed {
                command: c,
                lifeline: Lifeline(None),
                report: None,
            });
        };
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        let report = self.dir.join(format!("{n}.report.json"));
        let plan = Plan {
            scratch_root: bytes(&self.scratch_root),
            binds: self
                .binds
                .iter()
                .map(|(at, from)| (bytes(at), bytes(from)))
                .collect(),
            cwd: bytes(cwd),
            program: program.as_bytes().to_vec(),
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            report: bytes(&report),
            user: *user,
            network: self.network,
        };
        let plan_path = self.dir.join(format!("{n}.plan.json"));
        let text = serde_json::to_vec(&plan).map_err(|e| Error::Store {
            path: plan_path.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&plan_path, text).map_err(|e| Error::io("writing", &plan_path, e))?;
        let (ours, theirs) = std::os::unix::net::UnixStream::pair()
            .map_err(|e| Error::io("creating", "a socket pair", e))?;
        let mut c = Command::new(unshare);
        c.args(self.unshare_args(*user))
            .arg(exe)
            .arg(INIT)
            .arg(&plan_path)
            .current_dir(cwd)
            .stdin(std::os::fd::OwnedFd::from(theirs));
        Ok(Sealed {
            command: c,
            lifeline: Lifeline(Some(ours)),
            report: Some(report),
        })
    }
}

/// A sealed command starts as `unshare`, which is always found: so that a missing program is
/// still named as such, it is looked up first (on `path`, the PATH the command gets).
pub fn check_program(program: &str, path: Option<&OsStr>, cwd: &Path) -> Result<()> {
    let path = path
        .map(OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"));
    match which::which_in(program, path, cwd) {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::MissingTool {
            tool: program.to_string(),
            hint: "install it, or check the command".into(),
        }),
    }
}

/// `confess __seal PLAN`: the namespace's init. Returns the
/// process's exit status.
#[must_use]
pub fn init(args: &[OsString]) -> i32 {
    let r = match args {
        [plan] => run_init(Path::new(plan)),
        _ => Err(format!("usage: confess {INIT} PLAN")),
    };
    match r {
        Ok(code) => code,
        Err(why) => {
            eprintln!("confess: cannot seal the build: {why}");
            SETUP_FAILED
        }
    }
}

/// Mounts the tmpfs that holds the upper layers at `seal`.
fn layer_fs(seal: &Path) -> std::result::Result<(), String> {
    std::fs::create_dir_all(seal).map_err(|e| format!("{}: {e}", seal.display()))?;
    rustix::mount::mount(
        "confess-seal",
        seal,
        "tmpfs",
        rustix::mount::MountFlags::empty(),
        c"mode=0700",
    )
    .map_err(|e| {
        format!(
            "mounting a tmpfs at {}: {e} (namespaces are not available here: run confess \
                 as root, allow unprivileged user namespaces (sysctl \
                 kernel.unprivileged_userns_clone=1), or give --unsealed)",
            seal.display()
        )
    })?;
    for d in ["u", "w", "root"] {
        let p = seal.join(d);
        std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Escapes a directory for overlay's mount options.
fn escape(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in p.as_os_str().as_bytes() {
        if matches!(b, b',' | b':' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// Mounts an overlay at `at` with `lower` below and layer `n` of `seal` above.
fn overlay(
    lower: &Path,
    seal: &Path,
    n: usize,
    at: &Path,
    user: bool,
) -> std::result::Result<(), String> {
    let upper = seal.join("u").join(n.to_string());
    let work = seal.join("w").join(n.to_string());
    for d in [&upper, &work] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    // The overlay's root takes the upper directory's owner and mode: the lower one's mode
    // (/tmp's sticky 1777), owned by whoever confess runs as (mapped to root inside).
    if let Ok(md) = std::fs::metadata(lower) {
        use std::os::unix::fs::PermissionsExt;
        let mode = md.permissions().mode() & 0o7777;
        let _ = std::fs::set_permissions(&upper, std::fs::Permissions::from_mode(mode));
    }
    let mut data = b"lowerdir=".to_vec();
    data.extend(escape(lower));
    data.extend(b",upperdir=");
    data.extend(escape(&upper));
    data.extend(b",workdir=");
    data.extend(escape(&work));
    if user {
        data.extend(b",userxattr");
    }
    let data = std::ffi::CString::new(data).map_err(|_| "a path holds a NUL byte".to_string())?;
    rustix::mount::mount(
        "overlay",
        at,
        "overlay",
        rustix::mount::MountFlags::empty(),
        data.as_c_str(),
    )
    .map_err(|e| format!("overlay of {} at {}: {e}", lower.display(), at.display()))
}

/// One line of /proc/self/mountinfo: the mount point and the file system type.
struct MountInfo {
    point: PathBuf,
    fstype: String,
}

fn unescape_octal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 3 < s.len() && s[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let v = u32::from(s[i + 1] - b'0') * 64
                + u32::from(s[i + 2] - b'0') * 8
                + u32::from(s[i + 3] - b'0');
            // As a byte: what does not fit (no valid escape) keeps its low eight bits.
            out.push(v.to_le_bytes()[0]);
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

fn mounts() -> std::result::Result<Vec<MountInfo>, String> {
    let text =
        std::fs::read("/proc/self/mountinfo").map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
    let mut out: Vec<MountInfo> = Vec::new();
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let fields: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == b"-") else {
            continue;
        };
        let (Some(point), Some(fstype)) = (fields.get(4), fields.get(dash + 1)) else {
            continue;
        };
        let point = path(&unescape_octal(point));
        // A later mount on the same point hides the earlier one.
        out.retain(|m| m.point != point);
        out.push(MountInfo {
            point,
            fstype: String::from_utf8_lossy(fstype).into_owned(),
        });
    }
    Ok(out)
}

/// `p` seen under `root`.
fn under(root: &Path, p: &Path) -> PathBuf {
    root.join(p.strip_prefix("/").unwrap_or(p))
}

/// What the new root is made of: the machine's mounts layered (the mount each upper layer
/// stands for, by number; empty where it was shown read-only instead), what was shown
/// read-only, and the directories the skeleton made anew (a user namespace) with what they
/// held.
#[derive(Default)]
struct Layering {
    layers: Vec<PathBuf>,
    read_only: Vec<String>,
    made: Vec<(PathBuf, BTreeSet<OsString>)>,
}

/// The seal's setup inside the new namespaces: layers the machine under a new root, runs the
/// build there as its PID 1 would, and writes what the build did outside its trees to the
/// plan's report. Gives the build's exit status.
fn run_init(plan_path: &Path) -> std::result::Result<i32, String> {
    let text = std::fs::read(plan_path).map_err(|e| format!("{}: {e}", plan_path.display()))?;
    let plan: Plan =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", plan_path.display()))?;
    let scratch_root = path(&plan.scratch_root);
    let seal = scratch_root.join("seal");
    let mounts = mounts()?;
    layer_fs(&seal)?;
    let root = seal.join("root");
    // pivot_root wants a mount point, which the root is not when it is built piece by piece.
    rustix::mount::mount_bind(&root, &root)
        .map_err(|e| format!("binding {}: {e}", root.display()))?;
    let (mut layering, dev_done) = layer_machine(&mounts, &seal, &root, &scratch_root, plan.user)?;
    mount_system_trees(
        &root,
        &mounts,
        &seal,
        plan.user,
        dev_done,
        &mut layering.layers,
    )?;
    bind_scratch_and_copies(&root, &scratch_root, &plan.binds)?;
    let lowers = lower_layers(&layering.layers, plan.user);
    let layers_fd = enter_root(&seal, &root, &path(&plan.cwd))?;
    hold_lifeline();
    let (status, reads, reads_unobserved, group) = run_watched(&plan, lowers);
    let writes = outside_writes(&layering, &layers_fd, plan.user)?;
    let report = Report {
        writes,
        read_only: std::mem::take(&mut layering.read_only),
        network_attempts: if plan.network { 0 } else { no_routes() },
        reads,
        reads_unobserved,
    };
    let text = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
    let report_path = path(&plan.report);
    std::fs::write(&report_path, text).map_err(|e| format!("{}: {e}", report_path.display()))?;
    if let Some(group) = group {
        hand_over(group);
    }
    Ok(status)
}

/// Sends the read watch's fanotify group to confess over the lifeline (this init's standard
/// input, a socket whose other end confess holds), which closes it off the step's path (see
/// `Lifeline`). Closing it here, or leaving it to this process's exit, would make the step
/// last 13 to 20 ms longer. Where it cannot be sent, it is closed here: only time is lost.
fn hand_over(group: rustix::fd::OwnedFd) {
    use rustix::fd::AsFd;
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let fds = [group.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if control.push(SendAncillaryMessage::ScmRights(&fds)) {
        let stdin = std::io::stdin();
        let _ = sendmsg(
            stdin.as_fd(),
            &[std::io::IoSlice::new(b"g")],
            &mut control,
            SendFlags::NOSIGNAL | SendFlags::DONTWAIT,
        );
    }
    // Sent, the group lives on in the socket's queue and this close is quick.
    drop(group);
}

/// Layers the machine's mounts under `root`: each an overlay of its own, a file mounted on a
/// file or a file system that cannot be a lower layer shown read-only, the machine's root
/// rebuilt piece by piece where it cannot be one overlay. /proc, /sys, what is below /dev and
/// the scratch are left for later. Says whether /dev was bound.
fn layer_machine(
    mounts: &[MountInfo],
    seal: &Path,
    root: &Path,
    scratch_root: &Path,
    user: bool,
) -> std::result::Result<(Layering, bool), String> {
    let mut layering = Layering::default();
    let mut dev_done = false;
    let is_under = |p: &Path, dir: &str| p.starts_with(dir) && p != Path::new(dir);
    for m in mounts {
        let p = &m.point;
        if is_under(p, "/proc")
            || p == Path::new("/proc")
            || p.starts_with("/sys")
            || is_under(p, "/dev") && p != Path::new("/dev/shm")
            || p.starts_with(scratch_root)
        {
            continue;
        }
        let at = under(root, p);
        if p == Path::new("/dev") {
            rustix::mount::mount_bind_recursive(p, &at)
                .map_err(|e| format!("binding /dev: {e}"))?;
            dev_done = true;
            continue;
        }
        if p != Path::new("/") && !at.is_dir() {
            // A file mounted on a file (a container's /etc/hosts): shown as it is, read-only.
            if rustix::mount::mount_bind(p, &at).is_ok() {
                remount_read_only(&at);
            }
            layering.read_only.push(raw::text_path(p).into_owned());
            continue;
        }
        let n = layering.layers.len();
        match overlay(p, seal, n, &at, user) {
            Ok(()) => layering.layers.push(p.clone()),
            Err(_) if p == Path::new("/") => {
                rebuild_root(mounts, seal, root, scratch_root, user, &mut layering)?;
                break;
            }
            Err(why) => {
                // Some file systems cannot be an overlay's lower layer: shown read-only.
                layering.layers.push(PathBuf::new());
                rustix::mount::mount_bind(p, &at)
                    .map_err(|e| format!("binding {}: {e} (after {why})", p.display()))?;
                remount_read_only(&at);
                layering
                    .read_only
                    .push(format!("{} ({})", p.display(), m.fstype));
            }
        }
    }
    Ok((layering, dev_done))
}

/// Makes a bind mount read-only (best effort: what cannot be is left as it is).
fn remount_read_only(at: &Path) {
    let _ = rustix::mount::mount_remount(
        at,
        rustix::mount::MountFlags::BIND | rustix::mount::MountFlags::RDONLY,
        "",
    );
}

/// In a user namespace the machine's root cannot be a lower layer: its submounts are locked.
/// The tree is rebuilt from the largest directories with no mount below them, each its own
/// overlay.
fn rebuild_root(
    mounts: &[MountInfo],
    seal: &Path,
    root: &Path,
    scratch_root: &Path,
    user: bool,
    layering: &mut Layering,
) -> std::result::Result<(), String> {
    let special: Vec<&Path> = mounts
        .iter()
        .map(|m| m.point.as_path())
        .filter(|q| {
            !(q.starts_with("/proc")
                || q.starts_with("/sys")
                || q.starts_with("/dev")
                || q.starts_with(scratch_root)
                || *q == Path::new("/"))
        })
        .collect();
    let mut b = Skeleton {
        mounts: special,
        seal,
        user,
        scratch_root,
        layers: &mut layering.layers,
        read_only: &mut layering.read_only,
        made: &mut layering.made,
    };
    b.build(Path::new("/"), root)
}

/// Mounts /dev (unless already bound), /sys and /proc under `root`. /dev is the machine's; its
/// shared memory, a layer of its own where it is a mount.
fn mount_system_trees(
    root: &Path,
    mounts: &[MountInfo],
    seal: &Path,
    user: bool,
    dev_done: bool,
    layers: &mut Vec<PathBuf>,
) -> std::result::Result<(), String> {
    let dev = under(root, Path::new("/dev"));
    if !dev_done && dev.is_dir() {
        let _ = rustix::mount::mount_bind_recursive("/dev", &dev);
        if let Some(shm) = mounts.iter().find(|m| m.point == Path::new("/dev/shm")) {
            let n = layers.len();
            if overlay(&shm.point, seal, n, &dev.join("shm"), user).is_ok() {
                layers.push(shm.point.clone());
            }
        }
    }
    let sys = under(root, Path::new("/sys"));
    if sys.is_dir() {
        let _ = rustix::mount::mount_bind_recursive("/sys", &sys);
    }
    let proc_at = under(root, Path::new("/proc"));
    rustix::mount::mount(
        "proc",
        &proc_at,
        "proc",
        rustix::mount::MountFlags::empty(),
        None,
    )
    .or_else(|_| rustix::mount::mount_bind_recursive("/proc", &proc_at))
    .map_err(|e| format!("mounting /proc: {e}"))
}

/// The scratch itself, real and writable; then the user's directories, showing the copies.
fn bind_scratch_and_copies(
    root: &Path,
    scratch_root: &Path,
    binds: &[(Vec<u8>, Vec<u8>)],
) -> std::result::Result<(), String> {
    let at = under(root, scratch_root);
    rustix::mount::mount_bind(scratch_root, &at)
        .map_err(|e| format!("binding {}: {e}", scratch_root.display()))?;
    for (at, from) in binds {
        let (at, from) = (path(at), path(from));
        let inside = under(root, &at);
        std::fs::create_dir_all(&inside).map_err(|e| format!("{}: {e}", inside.display()))?;
        rustix::mount::mount_bind(&from, &inside)
            .map_err(|e| format!("binding {} at {}: {e}", from.display(), at.display()))?;
    }
    Ok(())
}

/// Each layer's lower file system, reachable after the pivot: the reads' witness (not in a
/// user namespace, where reads are not watched).
fn lower_layers(layers: &[PathBuf], user: bool) -> Vec<crate::watch::Layer> {
    layers
        .iter()
        .filter(|_| !user)
        .filter(|m| !m.as_os_str().is_empty())
        .filter_map(|m| {
            let fd = rustix::fs::open(
                m,
                rustix::fs::OFlags::PATH
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok()?;
            Some(crate::watch::Layer {
                mount: m.clone(),
                lower: fd,
            })
        })
        .collect()
}

/// Makes `root` the root (the old one detached) and goes to `cwd` in it. Gives a descriptor of
/// the layers' directory: the layers stay reachable through it once the old root is gone.
fn enter_root(
    seal: &Path,
    root: &Path,
    cwd: &Path,
) -> std::result::Result<rustix::fd::OwnedFd, String> {
    let layers_fd = rustix::fs::open(
        seal.join("u"),
        rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| format!("{}: {e}", seal.display()))?;
    rustix::process::chdir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    rustix::process::pivot_root(".", ".").map_err(|e| format!("pivot_root: {e}"))?;
    rustix::mount::unmount(".", rustix::mount::UnmountFlags::DETACH)
        .map_err(|e| format!("detaching the old root: {e}"))?;
    rustix::process::chdir(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?;
    Ok(layers_fd)
}

/// confess's end of the lifeline: when it closes, confess is gone, and so is the build.
fn hold_lifeline() {
    std::thread::spawn(|| {
        use std::io::Read;
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(SETUP_FAILED + 12);
    });
}

/// Runs the build and reaps it and what it left running, watching the machine's files it
/// opens, from its first exec on; not in a user namespace, where marks on mounts are not
/// allowed. Gives its exit status, the files it opened, and why they were not (all) observed.
fn run_watched(
    plan: &Plan,
    lowers: Vec<crate::watch::Layer>,
) -> (
    i32,
    Vec<crate::watch::Opened>,
    Option<String>,
    Option<rustix::fd::OwnedFd>,
) {
    let watch = if plan.user {
        Err("confess ran unprivileged (fanotify, which observes them, needs root)".to_string())
    } else {
        crate::watch::Watch::start(lowers)
    };
    let child = Command::new(OsStr::from_bytes(&plan.program))
        .args(plan.args.iter().map(|a| OsStr::from_bytes(a)))
        .stdin(std::process::Stdio::null())
        .spawn();
    let status = match child {
        Ok(child) => reap(child.id().cast_signed()),
        Err(e) => {
            eprintln!(
                "confess: cannot run {}: {e}",
                String::from_utf8_lossy(&plan.program)
            );
            127
        }
    };
    stop_the_rest();
    match watch {
        Ok(w) => {
            let r = w.finish();
            let lost = r
                .lost
                .then(|| "fanotify lost events: the list may be incomplete".to_string());
            (status, r.files, lost, r.group)
        }
        Err(why) => (status, Vec::new(), Some(why), None),
    }
}

/// What the build left outside the tree: in the directories the skeleton made, whatever they
/// did not hold; then the layers (read through `layers_fd`), sorted by path.
fn outside_writes(
    layering: &Layering,
    layers_fd: &rustix::fd::OwnedFd,
    user: bool,
) -> std::result::Result<Vec<OutsideWrite>, String> {
    let mut writes = Vec::new();
    for (dir, had) in &layering.made {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            if !had.contains(&e.file_name()) {
                list_new(&e.path(), &mut writes);
            }
        }
    }
    rustix::process::fchdir(layers_fd).map_err(|e| format!("the layers: {e}"))?;
    for (n, mount) in layering.layers.iter().enumerate() {
        if mount.as_os_str().is_empty() {
            continue;
        }
        list_layer(Path::new(&n.to_string()), mount, user, &mut writes);
    }
    writes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(writes)
}

/// Rebuilds the machine's tree under a new root where the root itself cannot be one overlay
/// (a user namespace): directories with a mount below them are made anew, each directory with
/// none is an overlay of its own, files beside them are bound read-only, symbolic links made
/// again. /proc, /sys and /dev are made empty (mounted afterwards); the scratch is bound.
struct Skeleton<'a> {
    /// Mount points to keep out of one overlay (not /proc, /sys, /dev, the scratch).
    mounts: Vec<&'a Path>,
    seal: &'a Path,
    user: bool,
    scratch_root: &'a Path,
    layers: &'a mut Vec<PathBuf>,
    read_only: &'a mut Vec<String>,
    /// Directories made anew (as the build sees them) and the names they held.
    made: &'a mut Vec<(PathBuf, BTreeSet<OsString>)>,
}

impl Skeleton<'_> {
    fn build(&mut self, dir: &Path, at: &Path) -> std::result::Result<(), String> {
        let special = ["/proc", "/sys", "/dev"]
            .iter()
            .any(|d| dir == Path::new(d))
            || dir == self.scratch_root;
        let below = self.mounts.iter().any(|m| m.starts_with(dir) && *m != dir)
            || self.scratch_root.starts_with(dir);
        if special {
            return Ok(());
        }
        if !below {
            let n = self.layers.len();
            match overlay(dir, self.seal, n, at, self.user) {
                Ok(()) => self.layers.push(dir.to_path_buf()),
                Err(why) => {
                    self.layers.push(PathBuf::new());
                    if rustix::mount::mount_bind(dir, at).is_err() {
                        // Removed since its parent was listed (another program's temporary
                        // directory in /tmp): there is nothing to show, and an empty
                        // directory stands where it was.
                        if std::fs::symlink_metadata(dir).is_err() {
                            return Ok(());
                        }
                        return Err(why);
                    }
                    let _ = rustix::mount::mount_remount(
                        at,
                        rustix::mount::MountFlags::BIND | rustix::mount::MountFlags::RDONLY,
                        "",
                    );
                    self.read_only.push(raw::text_path(dir).into_owned());
                }
            }
            return Ok(());
        }
        let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut had = BTreeSet::new();
        for e in rd.flatten() {
            had.insert(e.file_name());
            let from = e.path();
            let to = at.join(e.file_name());
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_symlink() {
                if let Ok(t) = std::fs::read_link(&from) {
                    let _ = std::os::unix::fs::symlink(t, &to);
                }
            } else if ft.is_dir() {
                std::fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
                self.build(&from, &to)?;
            } else {
                // A file beside directories that hold mounts: shown read-only.
                if std::fs::File::create(&to).is_ok()
                    && rustix::mount::mount_bind(&from, &to).is_ok()
                {
                    let _ = rustix::mount::mount_remount(
                        &to,
                        rustix::mount::MountFlags::BIND | rustix::mount::MountFlags::RDONLY,
                        "",
                    );
                }
            }
        }
        self.made.push((dir.to_path_buf(), had));
        Ok(())
    }
}

/// A file, link or directory the build made (as the build sees it), listed with what is in it.
fn list_new(p: &Path, out: &mut Vec<OutsideWrite>) {
    let Ok(md) = std::fs::symlink_metadata(p) else {
        return;
    };
    let shown = raw::text_path(p).into_owned();
    let write = |kind: &str, token: Option<String>, target: Option<String>| OutsideWrite {
        path: shown.clone(),
        kind: kind.into(),
        token,
        target,
        step: String::new(),
    };
    if md.file_type().is_symlink() {
        let target = std::fs::read_link(p)
            .ok()
            .map(|t| raw::text_path(&t).into_owned());
        out.push(write("symlink", None, target));
    } else if md.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                list_new(&e.path(), out);
            }
        }
    } else if md.is_file() {
        let token = confess_shims::token::Token::read(p)
            .ok()
            .flatten()
            .map(|t| t.id);
        out.push(write("file", token, None));
    }
}

/// The namespace's packets that found no route, IPv4 and IPv6: each is a network attempt of
/// the build (a connect, a datagram, a DNS query), since the namespace has no route at all.
fn no_routes() -> u64 {
    let v4 = std::fs::read_to_string("/proc/net/snmp")
        .ok()
        .and_then(|t| {
            let mut lines = t.lines().filter(|l| l.starts_with("Ip: "));
            let names: Vec<&str> = lines.next()?.split_whitespace().collect();
            let values: Vec<&str> = lines.next()?.split_whitespace().collect();
            let i = names.iter().position(|n| *n == "OutNoRoutes")?;
            values.get(i)?.parse::<u64>().ok()
        })
        .unwrap_or(0);
    let v6 = std::fs::read_to_string("/proc/net/snmp6")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next()? == "Ip6OutNoRoutes").then(|| w.next()?.parse::<u64>().ok())?
            })
        })
        .unwrap_or(0);
    v4 + v6
}

/// As PID 1, reaps every process that ends until `main` does; returns its exit status in the
/// shell's form.
fn reap(main: i32) -> i32 {
    use rustix::process::{wait, WaitOptions};
    loop {
        match wait(WaitOptions::empty()) {
            Ok(Some((pid, st))) if pid.as_raw_nonzero().get() == main => {
                return match (st.exit_status(), st.terminating_signal()) {
                    (Some(code), _) => code,
                    (None, Some(sig)) => 128 + sig,
                    _ => 1,
                };
            }
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => return 1,
        }
    }
}

/// Kills what the build left running (a daemon, a server a test started) and reaps it.
fn stop_the_rest() {
    for _ in 0..50 {
        let pids: Vec<i32> = std::fs::read_dir("/proc")
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                    .filter(|p| *p != 1)
                    .collect()
            })
            .unwrap_or_default();
        if pids.is_empty() {
            return;
        }
        for p in pids {
            if let Some(pid) = rustix::process::Pid::from_raw(p) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Lists one upper layer (`dir`, relative to the layers' directory) as writes under `mount`.
fn list_layer(dir: &Path, mount: &Path, user: bool, out: &mut Vec<OutsideWrite>) {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let opaque = if user {
        "user.overlay.opaque"
    } else {
        "trusted.overlay.opaque"
    };
    for e in rd.flatten() {
        let p = e.path();
        let shown = mount.join(e.file_name());
        let Ok(md) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let ft = md.file_type();
        let shown_s = raw::text_path(&shown).into_owned();
        if ft.is_dir() {
            let mut buf = [0u8; 4];
            if rustix::fs::lgetxattr(&p, opaque, &mut buf).is_ok() {
                out.push(OutsideWrite {
                    path: shown_s,
                    kind: "directory".into(),
                    token: None,
                    target: None,
                    step: String::new(),
                });
            }
            list_layer(&p, &shown, user, out);
        } else if ft.is_char_device() && md.rdev() == 0 {
            out.push(OutsideWrite {
                path: shown_s,
                kind: "deleted".into(),
                token: None,
                target: None,
                step: String::new(),
            });
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&p)
                .ok()
                .map(|t| raw::text_path(&t).into_owned());
            out.push(OutsideWrite {
                path: shown_s,
                kind: "symlink".into(),
                token: None,
                target,
                step: String::new(),
            });
        } else if ft.is_file() {
            let token = confess_shims::token::Token::read(&p)
                .ok()
                .flatten()
                .map(|t| t.id);
            out.push(OutsideWrite {
                path: shown_s,
                kind: "file".into(),
                token,
                target: None,
                step: String::new(),
            });
        }
    }
}
