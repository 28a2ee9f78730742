//! The scratch area of one confession: a copy of the user's sources (every build runs from a
//! copy, whatever the build system claims about out-of-tree builds), the session directory the
//! shims write into, and the directory of shim links put first on PATH.

use crate::error::{Error, Result};
use confess_shims::role::Role;
use confess_shims::session::{self as ss, Phase};
use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

pub struct Scratch {
    pub root: PathBuf,
    /// The copy of the user's source tree.
    pub src: PathBuf,
    /// A build directory beside the copy, for drivers that build out of tree.
    pub build: PathBuf,
    /// Events, tokens, realization cache.
    pub session: PathBuf,
    /// Shim links put first on PATH.
    pub bin: PathBuf,
    /// Shim links that are not on PATH (ld): reached through $LD only, since gcc's collect2
    /// looks for ld on PATH.
    pub bin_private: PathBuf,
    pub shim: PathBuf,
    /// Why the scratch lives where it does (see [`parent_for`]).
    pub placed: String,
    /// `ROOT.lock` beside the scratch root, locked while this run lives: a scratch whose lock
    /// no process holds was left by a run that died, and the next run removes it.
    owner: Option<std::fs::File>,
    kept: bool,
    /// More variables for the shims (the work cache and the path map realization uses).
    pub shim_env: Vec<(String, OsString)>,
}

/// The owner lock of a scratch root: beside it, so that it outlives a removal cut short.
fn lock_path(root: &Path) -> PathBuf {
    let mut p = root.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The processes whose environment names `root` as their scratch (CONFESS_ROOT).
fn orphans(root: &Path) -> Vec<rustix::process::Pid> {
    let want = {
        let mut w = format!("{}=", confess_shims::session::ENV_ROOT).into_bytes();
        w.extend_from_slice(root.as_os_str().as_encoded_bytes());
        w
    };
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
            let env = std::fs::read(e.path().join("environ")).ok()?;
            env.split(|b| *b == 0)
                .any(|v| v == want.as_slice())
                .then(|| rustix::process::Pid::from_raw(pid))
                .flatten()
        })
        .collect()
}

/// Stops what a dead run left running: every process whose environment names `root` as its
/// scratch, which would otherwise go on writing into it. Again until none is left (one may
/// fork while the first are stopped), and each gone before this returns (a process stopped
/// inside a system call finishes it).
fn kill_orphans(root: &Path) {
    for _ in 0..50 {
        let found = orphans(root);
        if found.is_empty() {
            return;
        }
        for pid in &found {
            let _ = rustix::process::kill_process(*pid, rustix::process::Signal::KILL);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Removes the scratch directories runs left when they died (SIGKILL, a power cut), in the
/// places confess puts them: those whose owner lock no process holds. What such a run left
/// running is stopped first. A kept scratch (`--keep-scratch`) has no owner lock once its run
/// is over, and stays.
pub fn remove_dead() {
    let mut places = vec![PathBuf::from(TMPFS), std::env::temp_dir()];
    if let Some(d) = std::env::var_os(ENV_SCRATCH) {
        places.push(PathBuf::from(d));
    }
    for place in places {
        let Ok(place) = std::fs::canonicalize(&place) else {
            continue;
        };
        let Ok(rd) = std::fs::read_dir(&place) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name
                .strip_prefix("confess-")
                .and_then(|n| n.strip_suffix(".lock"))
            else {
                continue;
            };
            let Ok(f) = std::fs::File::open(e.path()) else {
                continue;
            };
            if f.try_lock().is_err() {
                continue;
            }
            let root = place.join(format!("confess-{stem}"));
            kill_orphans(&root);
            if remove_tree(&root).is_err() {
                continue;
            }
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The lock goes last, once the directory is gone; a kept scratch is the user's now, and
        // loses its lock so that no later run takes it for dead.
        if !self.kept && remove_tree(&self.root).is_err() {
            // Not removable even so: the lock stays unheld, and the next run tries again.
            self.owner.take();
            return;
        }
        let _ = std::fs::remove_file(lock_path(&self.root));
        self.owner.take();
    }
}

/// Removes a tree the build may have locked down (`chmod -R 000` on its copy): where removal
/// fails, its directories are made the owner's again (u+rwx) and removal tried once more.
pub fn remove_tree(root: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(root) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) => {
            unlock_dirs(root);
            std::fs::remove_dir_all(root)
        }
    }
}

fn unlock_dirs(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(md) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if !md.is_dir() {
        return;
    }
    let mode = md.permissions().mode();
    if mode & 0o700 != 0o700 {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o700));
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                unlock_dirs(&e.path());
            }
        }
    }
}

/// Names linked in the shim directory whatever is installed.
const BASE_NAMES: &[&str] = &[
    "cc",
    "c++",
    "gcc",
    "g++",
    "clang",
    "clang++",
    "cpp",
    "ar",
    "ranlib",
    "nm",
    "strip",
    "objcopy",
    "readelf",
    "objdump",
    "gcc-ar",
    "gcc-nm",
    "gcc-ranlib",
    "pkg-config",
];

/// Names the directory scratch copies go into, instead of the choice below.
pub const ENV_SCRATCH: &str = "CONFESS_SCRATCH";

/// The memory file system scratch copies go to when it has room.
pub const TMPFS: &str = "/dev/shm";
const TMPFS_MAGIC: u64 = 0x0102_1994;

/// Where the scratch copy of a source tree of `src_bytes` goes, and why there.
///
/// `CONFESS_SCRATCH` when set. Otherwise `/dev/shm` when it is a tmpfs that allows programs to
/// run (configure runs the programs it compiles) and has room for four times the tree (the copy,
/// the build's outputs; `confess verify` holds two builds) plus 1 GiB, within half of the
/// memory available; otherwise the system's temporary directory. A build phase creates one
/// file per call, and the scratch is thrown away: on tmpfs creating a file allocates no disk
/// inode, which on ext4 after many deletions costs more than the rest of a shim call (see
/// docs/performance.md).
pub fn parent_for(src_bytes: u64) -> Result<(PathBuf, String)> {
    if let Some(dir) = std::env::var_os(ENV_SCRATCH) {
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            return Err(Error::Input {
                path: dir,
                reason: format!(
                    "{ENV_SCRATCH} names no directory; create it, or unset {ENV_SCRATCH} to let \
                     confess choose"
                ),
            });
        }
        return Ok((dir, format!("set by {ENV_SCRATCH}")));
    }
    let need = src_bytes.saturating_mul(4).saturating_add(1 << 30);
    match tmpfs_room(Path::new(TMPFS), need) {
        Ok(()) => Ok((PathBuf::from(TMPFS), "tmpfs with room".into())),
        Err(why) => Ok((std::env::temp_dir(), why)),
    }
}

/// Whether `dir` is a tmpfs that runs programs and has `need` bytes free and in memory.
fn tmpfs_room(dir: &Path, need: u64) -> std::result::Result<(), String> {
    let fs = rustix::fs::statfs(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if u64::try_from(fs.f_type).ok() != Some(TMPFS_MAGIC) {
        return Err(format!("{} is not a tmpfs", dir.display()));
    }
    let vfs = rustix::fs::statvfs(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if vfs
        .f_flag
        .intersects(rustix::fs::StatVfsMountFlags::NOEXEC | rustix::fs::StatVfsMountFlags::RDONLY)
    {
        return Err(format!("{} is mounted noexec or read-only", dir.display()));
    }
    let free = vfs.f_bavail.saturating_mul(vfs.f_frsize);
    if free < need {
        return Err(format!(
            "{} has {} MiB free, {} MiB needed",
            dir.display(),
            free >> 20,
            need >> 20
        ));
    }
    let avail = mem_available().unwrap_or(0);
    if avail / 2 < need {
        return Err(format!(
            "{} MiB of memory available, {} MiB wanted for a scratch copy in memory",
            avail >> 20,
            (need * 2) >> 20
        ));
    }
    Ok(())
}

/// `MemAvailable` from /proc/meminfo, in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The bytes of the regular files below `dir`.
#[must_use]
pub fn tree_bytes(dir: &Path) -> u64 {
    let mut n = 0;
    crate::walk::walk(dir, &mut |p, ft| {
        if ft.is_file() {
            n += std::fs::metadata(p).map_or(0, |m| m.len());
        }
        true
    });
    n
}

/// Creates `parent/confess-NAME` with its owner lock `confess-NAME.lock` held. The lock is
/// created unnamed (`O_TMPFILE`), locked, and only then linked under its name, before the
/// directory exists: a run killed at any moment leaves either nothing, or a lock no process holds
/// (with or without its directory), which [`remove_dead`] removes. On a filesystem without
/// unnamed files the lock is created under its name and locked at once.
fn create_locked(parent: &Path) -> Result<(PathBuf, std::fs::File)> {
    use rustix::fs::{Mode, OFlags};
    let parent = std::fs::canonicalize(parent)
        .map_err(|e| Error::io("reading the scratch directory's parent", parent, e))?;
    let unnamed = rustix::fs::open(
        &parent,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .ok()
    .map(std::fs::File::from);
    if let Some(f) = &unnamed {
        f.lock()
            .map_err(|e| Error::io("locking the scratch directory's lock", &parent, e))?;
    }
    for _ in 0..100 {
        let root = parent.join(format!("confess-{}", random_name()));
        let lock = lock_path(&root);
        let named = if let Some(f) = &unnamed {
            let fd = format!("/proc/self/fd/{}", f.as_raw_fd());
            match rustix::fs::linkat(
                rustix::fs::CWD,
                fd.as_str(),
                rustix::fs::CWD,
                &lock,
                rustix::fs::AtFlags::SYMLINK_FOLLOW,
            ) {
                Ok(()) => None,
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(Error::io("creating", &lock, e.into())),
            }
        } else {
            let f = match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("creating", &lock, e)),
            };
            f.lock().map_err(|e| Error::io("locking", &lock, e))?;
            Some(f)
        };
        match std::fs::create_dir(&root) {
            Ok(()) => {}
            Err(e) => {
                let _ = std::fs::remove_file(&lock);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    // A directory left without its lock has the name: take another.
                    continue;
                }
                return Err(Error::io("creating the scratch directory", &root, e));
            }
        }
        return match named.or(unnamed) {
            Some(owner) => Ok((root, owner)),
            None => Err(Error::io(
                "creating",
                &lock,
                std::io::Error::other("the lock was made in neither way"),
            )),
        };
    }
    Err(Error::io(
        "creating the scratch directory",
        &parent,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "100 names in a row were taken",
        ),
    ))
}

/// Thirteen random characters (64 bits in base 32).
fn random_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let n = h.finish();
    (0..13)
        .map(|i| CHARS[((n >> (5 * i)) & 31) as usize] as char)
        .collect()
}

impl Scratch {
    /// A scratch area for a copy of `src` (see [`parent_for`] for where it lives).
    pub fn new(keep: bool, shim: PathBuf, src_bytes: u64) -> Result<Scratch> {
        remove_dead();
        let (parent, placed) = parent_for(src_bytes)?;
        let (root, owner) = create_locked(&parent)?;
        let s = Scratch {
            owner: Some(owner),
            kept: keep,
            src: root.join("src"),
            build: root.join("build"),
            session: root.join("session"),
            bin: root.join("bin"),
            bin_private: root.join("bin-private"),
            root,
            shim,
            placed,
            shim_env: Vec::new(),
        };
        for d in [&s.session, &s.bin, &s.bin_private] {
            std::fs::create_dir_all(d).map_err(|e| Error::io("creating", d, e))?;
        }
        confess_shims::store::create(&s.session)
            .map_err(|e| Error::io("creating", confess_shims::store::path(&s.session), e))?;
        confess_shims::events::create(&ss::events_path(&s.session)).map_err(|e| Error::Store {
            path: s.session.clone(),
            reason: e.to_string(),
        })?;
        s.install_shims()?;
        Ok(s)
    }

    /// Links the shim under every name a build may call: the base names, and every versioned or
    /// prefixed compiler and binutil on PATH (gcc-12, x86_64-linux-gnu-gcc), except ld.
    fn install_shims(&self) -> Result<()> {
        let mut names: Vec<String> = BASE_NAMES.iter().map(ToString::to_string).collect();
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    match Role::from_argv0(&name) {
                        Some(Role::Ld) | None => {}
                        Some(_) => names.push(name),
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        for n in &names {
            self.link(&self.bin, n)?;
        }
        self.link(&self.bin_private, "ld")?;
        Ok(())
    }

    /// Links one more name (a compiler named in $CC, say). Returns the link's path.
    pub fn link(&self, dir: &Path, name: &str) -> Result<PathBuf> {
        let p = dir.join(name);
        if !p.exists() {
            std::os::unix::fs::symlink(&self.shim, &p).map_err(|e| Error::io("linking", &p, e))?;
        }
        Ok(p)
    }

    /// The environment a build runs in: shims first on PATH, the session variables, and the
    /// usual tool variables naming shims (a user's `CC=/usr/bin/clang-16` becomes `clang-16`, found
    /// first on PATH). `CC` and `CXX` are set only when the user set them: a configure step then
    /// picks the compiler it picks without confess (autoconf's `gcc`, CMake's and Meson's `cc`),
    /// and finds its shim first on PATH.
    pub fn env(&self, phase: Phase) -> Result<Vec<(String, OsString)>> {
        let old_path = std::env::var_os("PATH").unwrap_or_default();
        let mut path = vec![self.bin.clone()];
        path.extend(std::env::split_paths(&old_path));
        let joined = std::env::join_paths(path).map_err(|e| Error::Usage(format!("PATH: {e}")))?;
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), joined),
            (ss::ENV_REAL_PATH.into(), old_path),
            (ss::ENV_DIR.into(), self.session.clone().into()),
            (ss::ENV_PHASE.into(), phase.as_str().into()),
            (ss::ENV_SHIM_DIR.into(), self.bin.clone().into()),
            (ss::ENV_ROOT.into(), self.root.clone().into()),
            (
                ss::ENV_DRIVER_PID.into(),
                std::process::id().to_string().into(),
            ),
        ];
        env.extend(self.shim_env.iter().cloned());
        let tools = [
            ("CC", "cc"),
            ("CXX", "c++"),
            ("AR", "ar"),
            ("RANLIB", "ranlib"),
            ("NM", "nm"),
            ("STRIP", "strip"),
            ("OBJCOPY", "objcopy"),
            ("OBJDUMP", "objdump"),
            ("READELF", "readelf"),
            ("PKG_CONFIG", "pkg-config"),
            ("AS", "as"),
        ];
        for (var, default) in tools {
            let user = std::env::var(var).ok();
            if user.is_none() && matches!(var, "CC" | "CXX" | "AS") {
                continue;
            }
            let name = user
                .as_deref()
                .and_then(shlex::split)
                .and_then(|w| w.first().cloned())
                .and_then(|w| {
                    Path::new(&w)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                })
                .filter(|n| Role::from_argv0(n).is_some())
                .unwrap_or_else(|| default.to_string());
            // A bare name: PATH finds the shim, and commands read as the user wrote them.
            self.link(&self.bin, &name)?;
            env.push((var.into(), name.into()));
        }
        env.push(("LD".into(), self.bin_private.join("ld").into()));
        env.push((
            "CONFESS_SHIM_PRIVATE_DIR".into(),
            self.bin_private.clone().into(),
        ));
        // The compilers by the names the user chose, for build systems that take absolute paths
        // (CMake's toolchain file, meson's native file).
        for (var, conf) in [("CC", "CONFESS_CC"), ("CXX", "CONFESS_CXX")] {
            if let Some((_, name)) = env.iter().find(|(k, _)| k == var) {
                let name = name.clone();
                env.push((conf.into(), name));
            }
        }
        Ok(env)
    }
}

/// Copies a tree with its symlinks, permissions and modification times (make decides what to
/// rebuild from mtimes, so a copy must keep them). `skip` names a directory to leave out (the
/// output directory when it lies inside the sources).
///
/// The copy is readable and writable by its owner whatever the source's modes: files get
/// `u+rw`, directories `u+rwx`, every other bit is kept. A read-only tree (a release tarball
/// unpacked read-only, a checkout on a read-only mount, another user's files) then copies for
/// any user, and the build writes beside its sources as it does in a writable checkout; a
/// build that tests whether a source is writable sees it writable there. The user's tree keeps
/// its modes.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&Path]) -> Result<u64> {
    let mut n = 0;
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    let rd = std::fs::read_dir(from).map_err(|e| Error::io("reading", from, e))?;
    for e in rd {
        let e = e.map_err(|e| Error::io("reading", from, e))?;
        let src = e.path();
        if skip.contains(&src.as_path()) {
            continue;
        }
        let dst = to.join(e.file_name());
        let ft = e.file_type().map_err(|e2| Error::io("reading", &src, e2))?;
        if ft.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| Error::io("reading", &src, e))?;
            std::os::unix::fs::symlink(&target, &dst).map_err(|e| Error::io("linking", &dst, e))?;
        } else if ft.is_dir() {
            n += copy_tree(&src, &dst, skip)?;
            writable_copy(&src, &dst, 0o700)?;
            copy_times(&src, &dst)?;
        } else if ft.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| Error::io("copying", &src, e))?;
            writable_copy(&src, &dst, 0o600)?;
            copy_times(&src, &dst)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Gives `dst` the permission bits of `src` with `owner` (`u+rw`, `u+rwx`) added.
fn writable_copy(src: &Path, dst: &Path, owner: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(src)
        .map_err(|e| Error::io("reading", src, e))?
        .permissions()
        .mode();
    std::fs::set_permissions(
        dst,
        std::fs::Permissions::from_mode((mode & 0o7777) | owner),
    )
    .map_err(|e| Error::io("setting the permissions of", dst, e))
}

fn copy_times(src: &Path, dst: &Path) -> Result<()> {
    let meta = std::fs::metadata(src).map_err(|e| Error::io("reading", src, e))?;
    let mtime = meta.modified().map_err(|e| Error::io("reading", src, e))?;
    let atime = meta.accessed().unwrap_or(mtime);
    // Read-only: the owner sets times without write permission (a read-only source's copy).
    let f = std::fs::File::options()
        .read(true)
        .open(dst)
        .map_err(|e| Error::io("opening", dst, e))?;
    let times = std::fs::FileTimes::new()
        .set_modified(mtime)
        .set_accessed(atime);
    f.set_times(times)
        .map_err(|e| Error::io("setting times of", dst, e))
}

/// `text` with each path of `pairs` replaced by its counterpart, the longest first.
#[must_use]
pub fn map_text(text: &str, pairs: &[(PathBuf, PathBuf)]) -> String {
    let mut t = text.to_string();
    let mut pairs: Vec<&(PathBuf, PathBuf)> = pairs.iter().collect();
    pairs.sort_by_key(|(f, _)| std::cmp::Reverse(f.as_os_str().len()));
    for (f, r) in pairs {
        let (f, r) = (f.display().to_string(), r.display().to_string());
        if !f.is_empty() && f != r {
            t = t.replace(&f, &r);
        }
    }
    t
}

/// Copies a file, and when it is text, replaces the path prefixes of `pairs` in it (longest
/// first): generated files name where they were generated (a precompiled header's wrapper
/// includes the header by absolute path), and that place is a scratch directory.
pub fn copy_mapped(from: &Path, to: &Path, pairs: &[(PathBuf, PathBuf)]) -> Result<()> {
    let bytes = std::fs::read(from).map_err(|e| Error::io("reading", from, e))?;
    std::fs::write(to, mapped_bytes(bytes, pairs)).map_err(|e| Error::io("writing", to, e))?;
    copy_times(from, to)
}

/// A file's bytes with the path prefixes of `pairs` replaced (longest first) when it is text
/// (UTF-8 with no NUL byte); other bytes as they are.
#[must_use]
pub fn mapped_bytes(bytes: Vec<u8>, pairs: &[(PathBuf, PathBuf)]) -> Vec<u8> {
    if bytes.contains(&0) {
        return bytes;
    }
    match String::from_utf8(bytes) {
        Ok(t) => map_text(&t, pairs).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// `copy_mapped` of a file onto itself (through a sibling, renamed into place). A file that is
/// not there is left alone.
pub fn map_in_place(path: &Path, pairs: &[(PathBuf, PathBuf)]) -> Result<()> {
    if !path.is_file() {
        return Ok(());
    }
    // Named as confess's own (`.confess-` first), so that a run killed here does not leave a
    // file the next run takes for the user's and carries into the output directory.
    let mut name = OsString::from(crate::outdir::TEMP_PREFIX);
    name.push(path.file_name().unwrap_or_default());
    let tmp = path.with_file_name(name);
    copy_mapped(path, &tmp, pairs)?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming", &tmp, e))
}

/// `copy_tree` with `copy_mapped` for every file.
pub fn copy_tree_mapped(from: &Path, to: &Path, pairs: &[(PathBuf, PathBuf)]) -> Result<u64> {
    let mut n = 0;
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    let rd = std::fs::read_dir(from).map_err(|e| Error::io("reading", from, e))?;
    for e in rd {
        let e = e.map_err(|e| Error::io("reading", from, e))?;
        let src = e.path();
        let dst = to.join(e.file_name());
        let ft = e.file_type().map_err(|e2| Error::io("reading", &src, e2))?;
        if ft.is_dir() {
            n += copy_tree_mapped(&src, &dst, pairs)?;
        } else if ft.is_file() {
            copy_mapped(&src, &dst, pairs)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The shim binary: `CONFESS_SHIM`, or `confess-shim` beside this program.
pub fn shim_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CONFESS_SHIM") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().map_err(|e| Error::io("finding", "confess", e))?;
    let p = me
        .parent()
        .map(|d| d.join("confess-shim"))
        .unwrap_or_default();
    if p.is_file() {
        return std::fs::canonicalize(&p).map_err(|e| Error::io("reading", &p, e));
    }
    Err(Error::MissingTool {
        tool: "confess-shim".into(),
        hint: format!(
            "it is built and installed with confess and must sit beside it ({}); or set CONFESS_SHIM",
            p.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copies_keep_links_modes_and_times() {
        let t = tempfile::tempdir().expect("tmp");
        let a = t.path().join("a");
        std::fs::create_dir_all(a.join("sub dir")).expect("mkdir");
        std::fs::write(a.join("sub dir/x.c"), "int x;").expect("write");
        std::fs::write(a.join("run.sh"), "#!/bin/sh").expect("write");
        std::fs::set_permissions(a.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::os::unix::fs::symlink("sub dir/x.c", a.join("link.c")).expect("symlink");
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::options()
            .write(true)
            .open(a.join("sub dir/x.c"))
            .expect("open")
            .set_modified(old)
            .expect("touch");
        std::fs::create_dir_all(a.join("out")).expect("mkdir");
        let b = t.path().join("b");
        let n = copy_tree(&a, &b, &[&a.join("out")]).expect("copy");
        assert_eq!(n, 2);
        assert!(!b.join("out").exists());
        assert_eq!(
            std::fs::read_link(b.join("link.c")).expect("link"),
            PathBuf::from("sub dir/x.c")
        );
        assert_eq!(
            std::fs::metadata(b.join("sub dir/x.c"))
                .expect("meta")
                .modified()
                .expect("mtime"),
            old
        );
        assert_eq!(
            std::fs::metadata(b.join("run.sh"))
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
    }
}
