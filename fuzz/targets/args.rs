//! Fuzz body: the argument classifier, `confess_shims::args::parse`, and through it the flag
//! table's lookup (`flags::lookup`). The input is a command line: the first byte's low bit picks
//! clang's table, the rest is argv[1..] with words separated by NUL bytes (as in
//! /proc/PID/cmdline), each taken as the shim takes argv (`shims::raw::text`, checked to give
//! its bytes back). Response files: the words may name `@a` and `@b` of a directory made once
//! per process; a word `@...` with a `/` in it is left out, so that the fuzzer reads no file of
//! the machine's (the response_file target fuzzes the files' text).

use confess_shims::raw;
use std::path::Path;
use std::sync::OnceLock;

/// A directory holding two response files, `a` (which names `b`) and `b`; kept for the process.
fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(d.path().join("a"), "-c 'x y.c' -o\n\"out dir/x.o\" @b\n").expect("write a");
        std::fs::write(
            d.path().join("b"),
            "-MD -MF x.d -DA=\\\"1\\\" -Wl,-rpath,/lib\n",
        )
        .expect("write b");
        d
    })
    .path()
}

/// argv[1..] of the input: NUL-separated words, each in its text form as the shim takes
/// argv (`shims::raw`: bytes that are not UTF-8 kept, each as a reserved character).
pub fn words(data: &[u8]) -> Vec<String> {
    if data.is_empty() {
        return Vec::new();
    }
    data.split(|&b| b == 0)
        .map(|w| {
            let text = raw::text(w);
            assert_eq!(raw::bytes(&text), w, "a word's text form lost its bytes");
            text.into_owned()
        })
        .filter(|w| !(w.starts_with('@') && w.contains('/')))
        .collect()
}

pub fn run(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let clang = first & 1 == 1;
    let words = words(rest);
    if let Ok(cmd) = confess_shims::args::parse(&words, clang, dir()) {
        // What the shim asks of a command next.
        let _ = cmd.stop();
        let _ = cmd.link_kind();
        let _ = cmd.reads_stdin();
        let _ = cmd.sources().count();
        // Without a response file expanded, every word is in exactly one argument.
        let n: usize = cmd.args.iter().map(|a| a.words.len()).sum();
        if cmd.response_files.is_empty() {
            assert_eq!(n, words.len(), "args lost or invented words: {words:?}");
        }
        for i in &cmd.inputs {
            assert!(i.arg < cmd.args.len(), "an input names no argument");
        }
    }
    // The table lookup alone, on every word.
    for w in &words {
        if let Some(f) = confess_shims::flags::lookup(w, clang) {
            assert!(w.starts_with(f.spelling), "{w:?} matched {:?}", f.spelling);
        }
    }
}
