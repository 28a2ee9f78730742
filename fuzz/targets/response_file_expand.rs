//! Fuzz body: response-file expansion. The input is a response file's bytes, written to a
//! directory made once per process and expanded by `confess_shims::args::parse` as
//! `-c @fuzz.rsp` (the path a shim takes: reading, splitting, nested `@file`s up to the limit,
//! then classification). A file whose words name a response file with a `/` in its name is not
//! expanded, so the fuzzer reads no file of the machine's (`@/dev/zero` would be read for
//! ever). Every execution writes and reads a file: this target is slow by nature.

use confess_shims::args::split_response_file;
use std::path::Path;
use std::sync::OnceLock;

fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

pub fn run(data: &[u8]) {
    let words = split_response_file(data);
    if words.iter().any(|w| w.starts_with('@') && w.contains('/')) {
        return;
    }
    // A name the dictionary does not hold: a file that names itself is read 2000 times before
    // the limit stops it, which would make every such input cost that much.
    let rsp = dir().join("fuzz.rsp");
    std::fs::write(&rsp, data).expect("write the response file");
    let words = vec!["-c".to_string(), "@fuzz.rsp".to_string()];
    // gcc's table or clang's, by the length: the file system, not the table, costs here.
    let _ = confess_shims::args::parse(&words, data.len() % 2 == 1, dir());
}
