//! Scan snapshots: the scanner's whole state after the compiler's implicit includes, the
//! `-include` files and the leading `#include <...>` lines of a source, kept in the session
//! cache so that the next source with the same flags and the same leading system includes starts
//! from there instead of following glibc's headers again.
//!
//! A snapshot is exact or unused. Its key is a hash of everything the scan starts from (the
//! compiler's facts, the working directory, search chain, predefined and `-D` macros, implicit
//! and forced includes) and of the leading directives' text. What the state also depends on is
//! the file system, so a snapshot lists every path the scan asked about: the files it found,
//! with their identity (device, inode, size, mtime, ctime), and the paths it found no file at.
//! A snapshot is used only when every one of them is as it was. Snapshots live in the session's
//! cache and last one confession, as the compiler's facts do; so only the paths where the build
//! writes (below the scratch root) are checked on each use, and the toolchain's headers and
//! the misses in its directories (most of a snapshot's paths: glibc's headers) are taken as
//! they were when the snapshot was made.

use super::macros::{Base, Fast, Table};
use super::{Dir, Entry, Found, Probe};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"CONFESS-SCAN 3\n";

/// The scanner's state at a snapshot point.
pub(super) struct State {
    pub(super) probes: Probes,
    pub(super) dirs: Vec<Dir>,
    pub(super) curdirs: HashMap<String, usize>,
    pub(super) cache: Lookups,
    pub(super) entries: Vec<Entry>,
    pub(super) once: HashSet<PathBuf>,
    pub(super) deps: Vec<Found>,
    pub(super) macros: Table,
}

/// A sorted section of a snapshot: records `key, value` (each a u64 length and its bytes) in
/// strictly increasing key order, each record's offset first. A scan that starts from the
/// snapshot looks up the few keys it asks about by binary search where they lie, instead of
/// building a table of every record on each compile (a snapshot of glibc's headers holds a
/// couple of hundred probed paths and as many lookups). A record that does not decode is not
/// found, and the scan then asks the file system itself.
#[derive(Clone, Copy, Default)]
pub(super) struct Sorted {
    offsets: &'static [u8],
    records: &'static [u8],
}

impl Sorted {
    fn read(r: &mut R<'static>) -> Option<Sorted> {
        let n = r.u()?;
        let offsets = r.take(n.checked_mul(8)?)?;
        let len = r.u()?;
        let records = r.take(len)?;
        Some(Sorted { offsets, records })
    }

    fn write(w: &mut W, records: &BTreeMap<Vec<u8>, Vec<u8>>) {
        let (mut offsets, mut body) = (W(Vec::new()), W(Vec::new()));
        for (k, v) in records {
            offsets.n(body.0.len() as u64);
            body.b(k);
            body.b(v);
        }
        w.n(records.len() as u64);
        w.0.extend_from_slice(&offsets.0);
        w.n(body.0.len() as u64);
        w.0.extend_from_slice(&body.0);
    }

    fn len(&self) -> usize {
        self.offsets.len() / 8
    }

    fn record(&self, i: usize) -> Option<(&'static [u8], &'static [u8])> {
        let at = R(self.offsets.get(i * 8..)?).u()?;
        let mut r = R(self.records.get(at..)?);
        Some((r.b()?, r.b()?))
    }

    fn get(&self, key: &[u8]) -> Option<&'static [u8]> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            let (k, v) = self.record(mid)?;
            match k.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(v),
            }
        }
        None
    }

    fn iter(&self) -> impl Iterator<Item = (&'static [u8], &'static [u8])> + '_ {
        (0..self.len()).map_while(|i| self.record(i))
    }

    /// These records with `over`'s on top, in key order: what a new snapshot saves.
    fn merged(&self, over: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut m: BTreeMap<Vec<u8>, Vec<u8>> =
            self.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        m.extend(over);
        m
    }
}

fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// A probe's value in a snapshot: empty for no file, else five u64s.
fn encode_probe(id: Option<&Probe>) -> Vec<u8> {
    let mut w = W(Vec::new());
    if let Some(id) = id {
        for v in [
            id.dev,
            id.ino,
            id.size,
            id.mtime.cast_unsigned(),
            id.ctime.cast_unsigned(),
        ] {
            w.n(v);
        }
    }
    w.0
}

/// A probe's value read back: `None` for a damaged record, else whether a file was there (and
/// which).
#[allow(clippy::option_option)] // the outer `None` is a damaged snapshot, taken with `?`
fn decode_probe(b: &[u8]) -> Option<Option<Probe>> {
    if b.is_empty() {
        return Some(None);
    }
    let mut r = R(b);
    let id = Probe {
        dev: r.n()?,
        ino: r.n()?,
        size: r.n()?,
        mtime: r.n()?.cast_signed(),
        ctime: r.n()?.cast_signed(),
    };
    r.0.is_empty().then_some(Some(id))
}

/// Whether a path is a file (and which): the snapshot's probes, then those made since.
#[derive(Clone, Default)]
pub(super) struct Probes {
    base: Sorted,
    over: HashMap<PathBuf, Option<Probe>, Fast>,
}

impl Probes {
    /// The file at `p` as probed (`None` inside: no file); `None` when `p` was not probed.
    #[allow(clippy::option_option)] // the outer `None` is a path not probed yet
    pub(super) fn probe(&self, p: &Path) -> Option<Option<Probe>> {
        match self.over.get(p) {
            Some(v) => Some(*v),
            None => self.base.get(path_bytes(p)).and_then(decode_probe),
        }
    }

    pub(super) fn insert(&mut self, p: PathBuf, v: Option<Probe>) {
        self.over.insert(p, v);
    }

    /// Every path probed, with the file that was there, if one was.
    pub(super) fn all(&self) -> Vec<(PathBuf, Option<Probe>)> {
        self.records()
            .into_iter()
            .filter_map(|(p, v)| Some((PathBuf::from(OsStr::from_bytes(&p)), decode_probe(&v)?)))
            .collect()
    }

    fn records(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let over = self.over.iter();
        (self.base).merged(over.map(|(p, id)| (path_bytes(p).to_vec(), encode_probe(id.as_ref()))))
    }
}

/// gcc's file lookup cache: which file entry a name found from a starting directory entry. The
/// snapshot's, then those made since.
#[derive(Clone, Default)]
pub(super) struct Lookups {
    base: Sorted,
    over: HashMap<(usize, String), usize>,
}

/// A lookup's key in a snapshot: the start, big-endian so that keys sort by start, then the name.
fn lookup_key(start: usize, name: &str) -> Vec<u8> {
    let mut k = (start as u64).to_be_bytes().to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

impl Lookups {
    pub(super) fn get(&self, start: usize, name: &str) -> Option<usize> {
        if let Some(f) = self.over.get(&(start, name.to_string())) {
            return Some(*f);
        }
        let v = self.base.get(&lookup_key(start, name))?;
        R(v).u()
    }

    pub(super) fn insert(&mut self, start: usize, name: String, file: usize) {
        self.over.insert((start, name), file);
    }

    fn records(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.base
            .merged(self.over.iter().map(|((start, name), file)| {
                (
                    lookup_key(*start, name),
                    (*file as u64).to_le_bytes().to_vec(),
                )
            }))
    }
}

/// The identity of a file as `stat` gives it.
pub fn probe(p: &Path) -> Option<Probe> {
    let m = std::fs::metadata(p)
        .ok()
        .filter(std::fs::Metadata::is_file)?;
    Some(Probe::of(&m))
}

impl Probe {
    /// The identity `metadata` gives.
    #[must_use]
    pub fn of(m: &std::fs::Metadata) -> Probe {
        use std::os::unix::fs::MetadataExt;
        Probe {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
            ctime: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
        }
    }
}

/// The key of the state a scan starts from (before any directive of the source). The macro
/// table is not hashed: the salt names what it was made from (the compiler's facts and the
/// `-D`/`-U` flags in order).
pub fn start_key(salt: &str, cfg: &super::Config) -> Sha256 {
    let mut h = Sha256::new();
    let mut put = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(MAGIC);
    put(salt.as_bytes());
    put(cfg.cwd.as_os_str().as_encoded_bytes());
    for (tag, dirs) in [(b"q", &cfg.quote), (b"c", &cfg.chain)] {
        put(tag);
        for d in dirs {
            put(d.spelled.as_bytes());
            put(d.abs.as_os_str().as_encoded_bytes());
            put(&[u8::from(d.system)]);
        }
    }
    put(b"i");
    for i in &cfg.implicit {
        put(i.as_bytes());
    }
    put(b"f");
    for (f, m) in &cfg.forced {
        put(f.as_bytes());
        put(&[u8::from(*m)]);
    }
    h
}

/// The file a snapshot lives in: the start key followed by the leading directives.
pub fn path(dir: &Path, start: &Sha256, directives: &[&str]) -> PathBuf {
    let mut h = start.clone();
    for d in directives {
        h.update((d.len() as u64).to_le_bytes());
        h.update(d.as_bytes());
    }
    dir.join(format!("scan-{}", &crate::token::hex(&h.finalize())[..32]))
}

pub(super) struct W(pub(super) Vec<u8>);

impl W {
    pub(super) fn n(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn b(&mut self, v: &[u8]) {
        self.n(v.len() as u64);
        self.0.extend_from_slice(v);
    }
    pub(super) fn s(&mut self, v: &str) {
        self.b(v.as_bytes());
    }
    pub(super) fn p(&mut self, v: &Path) {
        self.b(v.as_os_str().as_encoded_bytes());
    }
    pub(super) fn o(&mut self, v: Option<usize>) {
        self.n(v.map_or(u64::MAX, |v| v as u64));
    }
}

fn encode(st: &State) -> Vec<u8> {
    let mut w = W(MAGIC.to_vec());
    Sorted::write(&mut w, &st.probes.records());
    w.n(st.dirs.len() as u64);
    for d in &st.dirs {
        w.s(&d.spelled);
        w.p(&d.abs);
        w.n(u64::from(d.system));
        w.o(d.next);
    }
    w.n(st.curdirs.len() as u64);
    for (k, v) in &st.curdirs {
        w.s(k);
        w.n(*v as u64);
    }
    Sorted::write(&mut w, &st.cache.records());
    w.n(st.entries.len() as u64);
    for e in &st.entries {
        w.n(e.dir as u64);
        w.n(u64::from(e.stacked));
    }
    w.n(st.once.len() as u64);
    for p in &st.once {
        w.p(p);
    }
    w.n(st.deps.len() as u64);
    for d in &st.deps {
        w.s(&d.spelled);
        w.p(&d.abs);
        w.n(u64::from(d.system));
    }
    // The macros sorted by name, each record's offset first: a scan that starts here looks up
    // the few it needs by binary search in these bytes (`macros::Base`).
    let (count, offsets, records) = Base::encode(&st.macros);
    w.n(count as u64);
    w.0.extend_from_slice(&offsets);
    w.0.extend_from_slice(&records);
    w.0
}

pub(super) struct R<'a>(pub(super) &'a [u8]);

impl<'a> R<'a> {
    pub(super) fn n(&mut self) -> Option<u64> {
        let (a, b) = self.0.split_at_checked(8)?;
        self.0 = b;
        Some(u64::from_le_bytes(a.try_into().ok()?))
    }
    pub(super) fn u(&mut self) -> Option<usize> {
        usize::try_from(self.n()?).ok()
    }
    pub(super) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(len)?;
        self.0 = b;
        Some(a)
    }
    pub(super) fn b(&mut self) -> Option<&'a [u8]> {
        let len = self.u()?;
        self.take(len)
    }
    pub(super) fn s(&mut self) -> Option<String> {
        self.st().map(str::to_string)
    }
    /// A string, borrowed.
    pub(super) fn st(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.b()?).ok()
    }
    pub(super) fn p(&mut self) -> Option<PathBuf> {
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(self.b()?)))
    }
    /// An optional index (`u64::MAX` for none); `None` when damaged.
    #[allow(clippy::option_option)] // the outer `None` is a damaged snapshot, taken with `?`
    pub(super) fn o(&mut self) -> Option<Option<usize>> {
        let v = self.n()?;
        Some((v != u64::MAX).then_some(usize::try_from(v).ok()?))
    }
    pub(super) fn flag(&mut self) -> Option<bool> {
        Some(self.n()? != 0)
    }
}

/// Reads a snapshot and checks it against the file system: `None` when there is none, it is
/// damaged, or any path it asked about below `live` (every path, without `live`) has changed.
pub(super) fn load(path: &Path, live: Option<&Path>) -> Option<State> {
    // Mapped, not read: a scan looks at a few of the records (80 KiB of them for glibc's
    // stdio, stdlib and string headers), and reading them all cost a copy and a fresh page of
    // heap for every 4 KiB. Macro names and texts borrow from the mapping.
    let bytes = crate::files::map(path)?;
    let mut r = R(bytes.strip_prefix(MAGIC)?);
    let probes = Sorted::read(&mut r)?;
    // Only the paths where the build writes can have changed since the snapshot was made
    // (paths are lexical and absolute, so a byte prefix ending at a `/` is a parent).
    let live = live.map(|l| {
        let b = path_bytes(l);
        b.strip_suffix(b"/").unwrap_or(b)
    });
    let checked = |p: &[u8]| {
        live.is_none_or(|l| {
            p.strip_prefix(l)
                .is_some_and(|rest| rest.is_empty() || rest[0] == b'/')
        })
    };
    for (p, id) in probes.iter().filter(|(p, _)| checked(p)) {
        if decode_probe(id)? != probe(Path::new(OsStr::from_bytes(p))) {
            return None;
        }
    }
    let probes = Probes {
        base: probes,
        over: HashMap::default(),
    };
    let mut dirs = Vec::new();
    for _ in 0..r.n()? {
        dirs.push(Dir {
            spelled: r.s()?,
            abs: r.p()?,
            system: r.flag()?,
            next: r.o()?,
        });
    }
    let mut curdirs = HashMap::new();
    for _ in 0..r.n()? {
        let k = r.s()?;
        curdirs.insert(k, r.u()?);
    }
    let cache = Lookups {
        base: Sorted::read(&mut r)?,
        over: HashMap::new(),
    };
    let mut entries = Vec::new();
    for _ in 0..r.n()? {
        entries.push(Entry {
            dir: r.u()?,
            stacked: r.flag()?,
        });
    }
    let mut once = HashSet::new();
    for _ in 0..r.n()? {
        once.insert(r.p()?);
    }
    let mut deps = Vec::new();
    for _ in 0..r.n()? {
        deps.push(Found {
            spelled: r.s()?,
            abs: r.p()?,
            system: r.flag()?,
            missing: false,
        });
    }
    let n = r.u()?;
    let (offsets, records) = r.0.split_at_checked(n.checked_mul(8)?)?;
    // `Base::new` checks that the records end the bytes.
    let macros = Table::with_base(Base::new(n, offsets, records)?);
    Some(State {
        probes,
        dirs,
        curdirs,
        cache,
        entries,
        once,
        deps,
        macros,
    })
}

/// Writes a snapshot through a temporary file and a rename (parallel scans may write the same
/// one; either copy is the same state). A snapshot that cannot be written is only a lost saving.
pub(super) fn save(path: &Path, st: &State) {
    let tmp = path.with_file_name(format!(
        ".{}.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("scan"),
        std::process::id()
    ));
    if std::fs::write(&tmp, encode(st)).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn scan(root: &Path, memo: Option<&Path>, source: &str) -> Vec<(String, bool)> {
        let chain = [("user", false), ("sys", true)];
        super::super::test_scan(root, "", &chain, memo.map(|m| (m, None)), source)
    }

    fn snapshots(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read")
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn snapshots_are_reused_exactly_and_dropped_when_a_probed_path_changes() {
        let root = &std::env::temp_dir().join(format!("confess-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(root);
        let memo = root.join("memo");
        for d in ["user", "sys", "memo"] {
            std::fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write");
        w(
            "sys/a.h",
            "#ifndef A_H\n#define A_H\n#define WANT_C 1\n#include <b.h>\n#endif\n",
        );
        w("sys/b.h", "#if WANT_C\n#include \"c.h\"\n#endif\n");
        w("sys/c.h", "#define C 1\n");
        w("local.h", "#if C\n#include <d.h>\n#endif\n");
        w("sys/d.h", "");
        w("one.c", "#include <a.h>\n#include \"local.h\"\nint x;\n");
        w("two.c", "#include <a.h>\n#include \"local.h\"\nint y;\n");

        let plain = scan(root, None, "two.c");
        assert_eq!(
            plain
                .iter()
                .map(|(s, _)| s.rsplit('/').next().unwrap_or(s))
                .collect::<Vec<_>>(),
            ["a.h", "b.h", "c.h", "local.h", "d.h"]
        );
        assert_eq!(scan(root, Some(&memo), "one.c"), plain);
        let saved = snapshots(&memo);
        assert_eq!(saved.len(), 1, "the first scan leaves one snapshot");
        assert!(super::load(&saved[0], None).is_some());
        assert_eq!(scan(root, Some(&memo), "two.c"), plain);
        assert_eq!(snapshots(&memo), saved, "the second scan reuses it");

        // A header appearing earlier in the chain shadows one the snapshot found.
        w("user/b.h", "");
        assert!(super::load(&saved[0], None).is_none());
        // Only paths below the live directory are checked: the rest are fixed for the session.
        assert!(super::load(&saved[0], Some(&root.join("user"))).is_none());
        assert!(super::load(&saved[0], Some(&root.join("user/"))).is_none());
        assert!(super::load(&saved[0], Some(&root.join("sys"))).is_some());
        let shadowed = scan(root, Some(&memo), "two.c");
        assert_eq!(shadowed, scan(root, None, "two.c"));
        assert!(shadowed
            .iter()
            .any(|(s, sys)| s.ends_with("user/b.h") && !sys));
        assert!(!shadowed.iter().any(|(s, _)| s.ends_with("c.h")));

        // A header the snapshot read changes.
        std::fs::remove_file(root.join("user/b.h")).expect("rm");
        w(
            "sys/a.h",
            "#ifndef A_H\n#define A_H\n#include <b.h>\n#endif\n",
        );
        assert!(super::load(&saved[0], None).is_none());
        let changed = scan(root, Some(&memo), "two.c");
        assert_eq!(changed, scan(root, None, "two.c"));
        assert!(!changed.iter().any(|(s, _)| s.ends_with("c.h")));
        std::fs::remove_dir_all(root).expect("cleanup");
    }
}
