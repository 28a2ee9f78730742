//! The bytes of the files a compile call reads: its source and its project's headers are read
//! once, and the token check, the header scan and the input hashes all use those bytes (they
//! were three opens and reads of each, a third of a call's system calls). Reading once also
//! means the hash is of the very bytes the scan followed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

thread_local! {
    static READ: RefCell<HashMap<PathBuf, Rc<[u8]>>> = RefCell::new(HashMap::new());
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
