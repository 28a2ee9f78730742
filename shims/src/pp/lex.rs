//! Splitting a source file into logical lines (continuations joined, comments removed) and
//! lines into preprocessing tokens: enough of C's lexical grammar for directives.

/// A preprocessing token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// A pp-number: digits, letters, dots, exponent signs.
    Number(String),
    /// A character constant, with its quotes and prefix.
    Char(String),
    /// A string literal, with its quotes and prefix.
    Str(String),
    Punct(&'static str),
    /// A character that is no token (a stray `\`, `@`, `$` in some dialects).
    Other(char),
}

impl Tok {
    pub fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Number(s) | Tok::Char(s) | Tok::Str(s) => s.clone(),
            Tok::Punct(p) => p.to_string(),
            Tok::Other(c) => c.to_string(),
        }
    }

    pub fn is_punct(&self, p: &str) -> bool {
        matches!(self, Tok::Punct(q) if *q == p)
    }
}

/// A token and whether whitespace came before it (needed for `#define F(` versus `#define F (`
/// and for stringizing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct T {
    pub tok: Tok,
    pub space: bool,
    /// Macros this token came out of, which it must not expand again (its hide set).
    pub hide: Option<std::rc::Rc<Vec<String>>>,
}

impl T {
    pub fn new(tok: Tok, space: bool) -> T {
        T {
            tok,
            space,
            hide: None,
        }
    }
}

/// A directive line: its 1-based line number and the text after `#`.
#[derive(Clone, Debug)]
pub struct Directive {
    pub line: usize,
    pub text: String,
}

/// The directive lines of a file, in order, with continuations joined and comments removed.
/// Text lines are skipped (only comments and literals that span lines are tracked through
/// them): only directives matter for the include graph.
pub fn directives(src: &str) -> Vec<Directive> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut in_comment = false;
    while i < b.len() {
        if in_comment {
            // Inside a block comment: find its end.
            match find_comment_end(b, i, &mut line) {
                Some(j) => {
                    i = j;
                    in_comment = false;
                }
                None => break,
            }
            // The rest of this line is text or a directive start only if at line start; a
            // comment that ends mid-line leaves the line a text line.
            i = skip_text(b, i, &mut line, &mut in_comment);
            continue;
        }
        // At the start of a line.
        let mut j = i;
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\x0c' | b'\x0b' | b'\r') {
            j += 1;
        }
        let hash = if b.get(j) == Some(&b'#') {
            Some(j + 1)
        } else if b.get(j) == Some(&b'%') && b.get(j + 1) == Some(&b':') {
            Some(j + 2)
        } else {
            None
        };
        match hash {
            None => i = skip_text(b, j, &mut line, &mut in_comment),
            Some(k) => {
                let start_line = line;
                let (text, next) = directive_text(b, k, &mut line, &mut in_comment);
                out.push(Directive {
                    line: start_line,
                    text,
                });
                i = next;
            }
        }
    }
    out
}

/// Skips a text line from `i`, tracking comments, strings and continuations; returns the start
/// of the next line (or the position inside an unterminated block comment, with `in_comment`).
fn skip_text(b: &[u8], mut i: usize, line: &mut usize, in_comment: &mut bool) -> usize {
    while i < b.len() {
        match b[i] {
            b'\n' => {
                *line += 1;
                return i + 1;
            }
            b'\\' if b.get(i + 1) == Some(&b'\n') => {
                *line += 1;
                i += 2;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if let Some(j) = find_comment_end(b, i + 2, line) {
                    i = j;
                } else {
                    *in_comment = true;
                    return b.len();
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                // To the end of the line, continuations included.
                while i < b.len() && b[i] != b'\n' {
                    if b[i] == b'\\' && b.get(i + 1) == Some(&b'\n') {
                        *line += 1;
                        i += 1;
                    }
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        if b.get(i + 1) == Some(&b'\n') {
                            *line += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                if i < b.len() && b[i] == q {
                    i += 1;
                }
            }
            _ => i = find_byte(b, i + 1, b"\n\\/\"'"),
        }
    }
    i
}

/// From inside a block comment, the position after its `*/`, counting lines.
fn find_comment_end(b: &[u8], mut i: usize, line: &mut usize) -> Option<usize> {
    loop {
        i = find_byte(b, i, b"*\n");
        if i + 1 >= b.len() {
            return None;
        }
        if b[i] == b'*' && b[i + 1] == b'/' {
            return Some(i + 2);
        }
        if b[i] == b'\n' {
            *line += 1;
        }
        i += 1;
    }
}

/// The position of the first of `set`'s bytes at or after `i` (`b.len()` if none). Most of a
/// header is text the scan only skips: eight bytes are tested at a time, for each byte of the
/// set at once (a zero byte of `word ^ c` marks `c`; its lowest marked byte is exact, since a
/// false mark can only follow a true one).
fn find_byte(b: &[u8], mut i: usize, set: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes);
        let mut marks = 0;
        for &c in set {
            let x = word ^ (ONES * u64::from(c));
            marks |= x.wrapping_sub(ONES) & !x & HIGH;
        }
        if marks != 0 {
            return i + (marks.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !set.contains(&b[i]) {
        i += 1;
    }
    i
}

/// The text of a directive starting at `i` (after `#`): continuations joined, comments
/// replaced by a space, literals kept. Returns the text and the start of the next line.
fn directive_text(
    b: &[u8],
    mut i: usize,
    line: &mut usize,
    in_comment: &mut bool,
) -> (String, usize) {
    let mut text: Vec<u8> = Vec::new();
    let mut run = i;
    macro_rules! flush {
        () => {
            text.extend_from_slice(&b[run..i]);
        };
    }
    while i < b.len() {
        match b[i] {
            b'\n' => {
                flush!();
                *line += 1;
                return (String::from_utf8_lossy(&text).into_owned(), i + 1);
            }
            b'\\' if b.get(i + 1) == Some(&b'\n') => {
                flush!();
                *line += 1;
                i += 2;
                run = i;
            }
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => {
                flush!();
                *line += 1;
                i += 3;
                run = i;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                flush!();
                text.push(b' ');
                if let Some(j) = find_comment_end(b, i + 2, line) {
                    i = j;
                    run = i;
                } else {
                    *in_comment = true;
                    return (String::from_utf8_lossy(&text).into_owned(), b.len());
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                flush!();
                while i < b.len() && b[i] != b'\n' {
                    if b[i] == b'\\' && b.get(i + 1) == Some(&b'\n') {
                        *line += 1;
                        i += 1;
                    }
                    i += 1;
                }
                run = i;
            }
            q @ (b'"' | b'\'') => {
                // `#include <it's.h>` has no literal in it; elsewhere a quote starts one.
                let in_header_name =
                    q == b'\'' && text.iter().chain(&b[run..i]).any(|c| *c == b'<');
                i += 1;
                if !in_header_name {
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    if i < b.len() && b[i] == q {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    flush!();
    (String::from_utf8_lossy(&text).into_owned(), i)
}

const PUNCTS: &[&str] = &[
    "%:%:", "...", "<<=", ">>=", "##", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++",
    "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<:", ":>", "<%", "%>", "%:", "::", "#",
    "(", ")", "[", "]", "{", "}", ",", ";", ":", "?", "+", "-", "*", "/", "%", "&", "|", "^", "!",
    "~", "<", ">", "=", ".",
];

/// The first word of a directive (its keyword), without tokenizing the rest: enough for lines
/// in skipped groups.
pub fn keyword(text: &str) -> &str {
    let t = text.trim_start();
    let end = t
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .unwrap_or(t.len());
    &t[..end]
}

fn ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Tokenizes one logical line (comments already removed).
pub fn tokens(text: &str) -> Vec<T> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut space = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len() && ident_byte(b[i]) {
                i += 1;
            }
            let word = &text[start..i];
            // A string or character prefix (L, u, U, u8) glued to a quote is part of the literal.
            if i < b.len()
                && (b[i] == b'"' || b[i] == b'\'')
                && matches!(word, "L" | "u" | "U" | "u8")
            {
                let q = b[i];
                i = skip_quoted(b, i);
                let lit = text[start..i].to_string();
                if q == b'"' {
                    Tok::Str(lit)
                } else {
                    Tok::Char(lit)
                }
            } else {
                Tok::Ident(word.to_string())
            }
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() {
                let d = b[i];
                let exponent_sign =
                    (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P');
                if exponent_sign
                    || d.is_ascii_alphanumeric()
                    || d == b'.'
                    || d == b'_'
                    || d == b'\''
                {
                    i += 1;
                } else {
                    break;
                }
            }
            Tok::Number(text[start..i].to_string())
        } else if c == b'"' || c == b'\'' {
            i = skip_quoted(b, i);
            let lit = text[start..i].to_string();
            if c == b'"' {
                Tok::Str(lit)
            } else {
                Tok::Char(lit)
            }
        } else if let Some(p) = PUNCTS.iter().find(|p| b[i..].starts_with(p.as_bytes())) {
            i += p.len();
            Tok::Punct(canonical(p))
        } else {
            // Not a token start: one character (whole, if it is multi-byte).
            let ch = text[i..].chars().next().unwrap_or('?');
            i += ch.len_utf8();
            Tok::Other(ch)
        };
        out.push(T::new(tok, space));
        space = false;
    }
    out
}

/// Digraphs mean their plain spelling.
fn canonical(p: &'static str) -> &'static str {
    match p {
        "%:%:" => "##",
        "%:" => "#",
        "<:" => "[",
        ":>" => "]",
        "<%" => "{",
        "%>" => "}",
        p => p,
    }
}

fn skip_quoted(b: &[u8], mut i: usize) -> usize {
    let q = b[i];
    i += 1;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_finds_what_a_byte_by_byte_search_finds() {
        // Every position of every byte of the set, in words and tails of every alignment, with
        // bytes whose high bit is set around them (the word test's borrows run through those).
        let sets: [&[u8]; 2] = [b"\n\\/\"'", b"*\n"];
        for set in sets {
            for len in 0..40 {
                for at in 0..=len {
                    for &c in set.iter().chain([&0xffu8]) {
                        let mut b = vec![0x80u8; len];
                        b.iter_mut().step_by(3).for_each(|x| *x = b'a');
                        if at < len {
                            b[at] = c;
                        }
                        for start in 0..=len {
                            let naive = (start..len).find(|&i| set.contains(&b[i])).unwrap_or(len);
                            assert_eq!(find_byte(&b, start, set), naive, "{b:?} from {start}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn directives_with_comments_and_continuations() {
        let src = "int x; /* #define NOT\n still comment */ # define A \\\n  1 // tail\n#include <a.h>\n  #  if A /* c */ > 0\n\"#string\"\n#endif\n";
        let d = directives(src);
        let texts: Vec<String> = d
            .iter()
            .map(|d| d.text.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        // The comment that starts on a text line makes `# define A` part of that text line.
        assert_eq!(texts, ["include <a.h>", "if A > 0", "endif"]);
        assert_eq!(d[0].line, 4);
        assert_eq!(d[1].line, 5);
        let d = directives(
            "#define A \\
  1 /* multi\nline */ + 2
#x\n",
        );
        assert_eq!(
            d[0].text.split_whitespace().collect::<Vec<_>>(),
            ["define", "A", "1", "+", "2"]
        );
        assert_eq!((d[1].line, d[1].text.as_str()), (4, "x"));
    }

    #[test]
    fn comment_opened_on_a_text_line_hides_directives() {
        let d = directives("x /*\n#define HIDDEN\n*/\n#define SHOWN\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].text.contains("SHOWN"));
    }

    #[test]
    fn tokens_of_an_expression() {
        let t: Vec<String> = tokens("defined(X) && Y<<2 >= 0x1fUL || 'a' != L'b' ## c")
            .iter()
            .map(|t| t.tok.text())
            .collect();
        assert_eq!(
            t,
            [
                "defined", "(", "X", ")", "&&", "Y", "<<", "2", ">=", "0x1fUL", "||", "'a'", "!=",
                "L'b'", "##", "c"
            ]
        );
    }
}
