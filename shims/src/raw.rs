//! Words and paths are bytes; the formats confess writes are text. This is the one place
//! where the two meet.
//!
//! A file name, an argument or a working directory may hold bytes that are not UTF-8 (a
//! Latin-1 name, `\xff`). Inside the shim and in every text format (the event log, tokens, the
//! token store, the JSON outputs) such a word is carried as a `String` in which each byte that
//! is not part of valid UTF-8 stands as one character of a reserved block: byte `b` (always
//! 0x80 to 0xFF) is U+EF00 + `b`, that is U+EF80 to U+EFFF, a stretch of the Private Use Area
//! (the mapping MirBSD's OPTU-8 uses for raw octets). A character of that block that the bytes
//! themselves hold, as valid UTF-8, is written as the escapes of its three bytes, so every
//! byte string has exactly one text form and comes back from it exactly ([`bytes`] of
//! [`text`] is the identity). Valid UTF-8 without those characters, which is every name in
//! practice, is its own text form: nothing changes for it.
//!
//! The rule in the code: a `String` holding a word or a path is text (this form); a
//! `PathBuf`, `OsString` or `&[u8]` holds the real bytes. Text becomes bytes ([`path`],
//! [`os`], [`bytes`]) where it reaches the file system or a real tool's argv, and bytes become
//! text ([`text`], [`text_os`], [`text_path`]) where they enter a record. Nothing is ever
//! decoded lossily, so U+FFFD never appears where a name had other bytes.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The character standing for byte 0x80; byte `b` is `FIRST - 0x80 + b`.
pub const FIRST: char = '\u{EF80}';
/// The character standing for byte 0xFF.
pub const LAST: char = '\u{EFFF}';

/// The escape of each byte 0x80..=0xFF, checked at compile time to be characters.
const ESCAPES: [char; 128] = {
    let mut t = ['\0'; 128];
    let mut i: u32 = 0;
    while i < 128 {
        t[i as usize] = match char::from_u32(FIRST as u32 + i) {
            Some(c) => c,
            None => panic!("the reserved block is not made of characters"),
        };
        i += 1;
    }
    t
};

/// The character standing for a byte that is not UTF-8 (0x80..=0xFF).
fn escape(b: u8) -> char {
    ESCAPES[usize::from(b & 0x7f)]
}

/// Whether a character is one of the reserved block's.
#[must_use]
pub fn reserved(c: char) -> bool {
    (FIRST..=LAST).contains(&c)
}

/// The text form of bytes: borrowed when they are UTF-8 without reserved characters.
pub fn text(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        if !has_reserved(s) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if reserved(c) {
                let mut buf = [0u8; 4];
                out.extend(c.encode_utf8(&mut buf).bytes().map(escape));
            } else {
                out.push(c);
            }
        }
        out.extend(chunk.invalid().iter().map(|&b| escape(b)));
    }
    Cow::Owned(out)
}

/// The text form of an OS string (an argument, an environment value).
#[must_use]
pub fn text_os(s: &OsStr) -> Cow<'_, str> {
    text(s.as_bytes())
}

/// The text form of a path: what confess writes wherever it records one (never
/// `Path::display`, which replaces bytes that are not UTF-8 with U+FFFD).
#[must_use]
pub fn text_path(p: &Path) -> Cow<'_, str> {
    text(p.as_os_str().as_bytes())
}

/// The bytes a text form stands for.
#[must_use]
pub fn bytes(s: &str) -> Cow<'_, [u8]> {
    if !has_reserved(s) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if reserved(c) {
            // The low byte of U+EF80..U+EFFF is the byte itself.
            out.push((c as u32 & 0xff) as u8);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    Cow::Owned(out)
}

/// The OS string a text form stands for (an argument for a real tool).
#[must_use]
pub fn os(s: &str) -> Cow<'_, OsStr> {
    match bytes(s) {
        Cow::Borrowed(b) => Cow::Borrowed(OsStr::from_bytes(b)),
        Cow::Owned(v) => Cow::Owned(OsString::from_vec(v)),
    }
}

/// The path a text form stands for (a file to open, a directory to run in).
#[must_use]
pub fn path(s: &str) -> Cow<'_, Path> {
    match os(s) {
        Cow::Borrowed(o) => Cow::Borrowed(Path::new(o)),
        Cow::Owned(o) => Cow::Owned(PathBuf::from(o)),
    }
}

/// Whether text holds a character of the reserved block (so it is not its own bytes).
#[must_use]
pub fn has_reserved(s: &str) -> bool {
    // Text in ASCII (most sources and headers) has none: `is_ascii` looks at a word at a time,
    // the search below a byte at a time (run over every header read, it was about 4 % of a
    // cold compile call's time).
    if s.is_ascii() {
        return false;
    }
    // Every character of U+EF80..U+EFFF is encoded as EE BE xx or EE BF xx.
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &x)| x == 0xEE && matches!(b.get(i + 1), Some(0xBE | 0xBF)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_its_own_text() {
        for s in [
            "",
            "a.c",
            "dir with space/é.c",
            "\u{EF7F}\u{F000}",
            "日本.h",
        ] {
            assert!(matches!(text(s.as_bytes()), Cow::Borrowed(t) if t == s));
            assert!(matches!(bytes(s), Cow::Borrowed(b) if b == s.as_bytes()));
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_round_trip() {
        let cases: &[&[u8]] = &[
            b"src\xff/a\xff.c",
            b"\x80\xbf\xc0\xc1\xf5\xff",
            b"caf\xe9.h",
            // Cut-short and overlong sequences, surrogates.
            b"\xe2\x82",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            // A reserved character spelled in the bytes themselves.
            "\u{EF80}x\u{EFFF}".as_bytes(),
            b"\xee\xbe\x80\xff",
        ];
        for &b in cases {
            let t = text(b);
            assert!(!t.contains('\u{FFFD}'), "{t:?}");
            assert_eq!(bytes(&t).as_ref(), b, "{t:?}");
            assert_eq!(path(&t).as_os_str().as_bytes(), b);
        }
        assert_eq!(text(b"a\xff"), "a\u{EFFF}");
        assert_eq!(text(b"\xe9"), "\u{EFE9}");
        // A reserved character of the bytes is written as its three bytes' escapes.
        assert_eq!(text("\u{EF80}".as_bytes()), "\u{EFEE}\u{EFBE}\u{EF80}");
    }

    #[test]
    fn every_byte_pair_round_trips() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let v = [a, b'/', b, a, b];
                assert_eq!(bytes(&text(&v)).as_ref(), v);
            }
        }
    }

    #[test]
    fn paths_split_the_same_in_text() {
        // `/` and `.` are ASCII: path operations on the text form agree with the bytes.
        let p = Path::new(OsStr::from_bytes(b"/tmp/src\xff/a\xff.c"));
        let t = text_path(p);
        let tp = Path::new(t.as_ref());
        assert_eq!(
            text_path(p.parent().expect("parent")),
            tp.parent().expect("parent").to_str().expect("text")
        );
        assert_eq!(tp.extension().and_then(OsStr::to_str), Some("c"));
    }
}
