//! The bytes of the files a compile call reads.
//!
//! - Its source and its project's headers are read once, and the token check, the header scan
//!   and the input hashes all use those bytes (they were three opens and reads of each, a third
//!   of a call's system calls). Reading once also means the hash is of the very bytes the scan
//!   followed. Their content hashes are computed once too (`digest`): the token's source and
//!   header inputs and the scan's entry in the work cache all ask for them.
//! - The session cache's files (the compiler's facts, scan snapshots) are mapped: a call uses a
//!   few parts of them, and reading them whole cost a copy and a fresh page of heap per 4 KiB.

use sha2::Digest as _;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

thread_local! {
    static READ: RefCell<HashMap<PathBuf, Rc<[u8]>>> = RefCell::new(HashMap::new());
    static DIGEST: RefCell<HashMap<PathBuf, [u8; 32]>> = RefCell::new(HashMap::new());
}

/// A file's bytes, read on the first call for its path and kept for the rest of the process
/// (a shim call, which reads a source and its headers). Only for files of that kind: a
/// library or an archive is hashed as a stream (`token::hash_file`).
pub fn read(path: &Path) -> io::Result<Rc<[u8]>> {
    if let Some(b) = READ.with(|r| r.borrow().get(path).cloned()) {
        return Ok(b);
    }
    let b: Rc<[u8]> = std::fs::read(path)?.into();
    READ.with(|r| r.borrow_mut().insert(path.to_path_buf(), b.clone()));
    Ok(b)
}

/// The SHA-256 of a file's bytes as [`read`] keeps them, computed once for the process.
pub fn digest(path: &Path) -> io::Result<[u8; 32]> {
    if let Some(d) = DIGEST.with(|r| r.borrow().get(path).copied()) {
        return Ok(d);
    }
    let d: [u8; 32] = sha2::Sha256::digest(&*read(path)?).into();
    DIGEST.with(|r| r.borrow_mut().insert(path.to_path_buf(), d));
    Ok(d)
}

/// [`digest`] in hex, as tokens and the work cache write it.
pub fn digest_hex(path: &Path) -> io::Result<String> {
    digest(path).map(|d| crate::token::hex(&d))
}

/// Forgets every file read, as a new process would start: tests that change a file between
/// two scans in one thread.
#[cfg(test)]
pub fn forget() {
    READ.with(|r| r.borrow_mut().clear());
    DIGEST.with(|r| r.borrow_mut().clear());
}

/// A session cache file's bytes, mapped for the rest of the process; `None` when it cannot be
/// opened or is empty. Only for files whose bytes are never written in place: the cache's files
/// are written to a temporary file and renamed over the old one (`ctx::write_atomic`,
/// `pp::memo::save`), or only appended to (`pp::trace::save`), which leaves the bytes mapped as
/// they were.
#[allow(unsafe_code)]
pub fn map(path: &Path) -> Option<&'static [u8]> {
    use rustix::mm::{mmap, MapFlags, ProtFlags};
    let f = std::fs::File::open(path).ok()?;
    let len = usize::try_from(f.metadata().ok()?.len()).ok()?;
    if len == 0 {
        return None;
    }
    // SAFETY: a private, read-only mapping of `len` bytes of a file whose first `len` bytes
    // are never written again (renamed into place whole, or appended to), so they do not
    // change while this process looks at them; the mapping is never unmapped, so the slice
    // lives for 'static.
    unsafe {
        let p = mmap(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ,
            MapFlags::PRIVATE,
            &f,
            0,
        )
        .ok()?;
        Some(std::slice::from_raw_parts(p.cast::<u8>(), len))
    }
}
