//! Fuzz body: the response-file parser, `confess_shims::args::split_response_file`
//! (libiberty's `buildargv`, on bytes). The input is a response file's bytes. Splitting again
//! the words it gives, joined by spaces, gives them back when none needs quoting. Reading the
//! file and expanding nested `@file`s is the target `response_file_expand`.

use confess_shims::args::split_response_file;
use confess_shims::raw;

/// A word that needs no quoting: splitting the words joined by spaces gives them back.
fn plain(w: &str) -> bool {
    !w.is_empty()
        && !raw::bytes(w).iter().any(|&c| {
            matches!(
                c,
                0 | b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b'\'' | b'"' | b'\\'
            )
        })
}

pub fn run(data: &[u8]) {
    let words = split_response_file(data);
    for w in &words {
        assert!(!raw::bytes(w).contains(&0), "a word holds a NUL: {data:?}");
    }
    if words.iter().all(|w| plain(w)) {
        let joined: Vec<u8> = words
            .iter()
            .map(|w| raw::bytes(w).into_owned())
            .collect::<Vec<_>>()
            .join(&b' ');
        assert_eq!(
            split_response_file(&joined),
            words,
            "splitting is not stable on {data:?}"
        );
    }
}
