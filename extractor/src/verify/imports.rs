//! The imports of the Dhall files `confess verify` reads, found and judged before serde_dhall
//! resolves any of them. A manifest is text anyone can edit, and serde_dhall resolves what it
//! imports: environment variables (`env:HOME`), any file (`/etc/x`, `~/x`), the network, and
//! Dhall's cache for imports with a hash. verify reads only the output directory: the only
//! imports it lets through are relative ones (`./x`, `../x`) of files inside it, and the files
//! they import are held to the same rule.
//!
//! serde_dhall has no public syntax tree, so this is a lexer of Dhall's grammar (the standard's
//! `dhall.abnf`, which serde_dhall's parser is generated from) for what can hide or be an
//! import: line comments (`--`), nested block comments (`{-` `-}`), double-quoted texts with
//! their escapes, `''` texts with `'''` and `''${`, interpolations (`${ ... }`, code again, in
//! either kind of text), quoted labels, labels (which may hold `-` and `/`: `a--b` is one
//! label, `List/length` one builtin), numbers, and the operators that begin with `/` (`//`,
//! `/\`). Outside comments and texts, every import form is recognised: local paths (`./`,
//! `../`, `~/`, `/`, with quoted components), `env:`, `http://` and `https://`, `missing`, and
//! `sha256:` hashes. Where it is unsure it errs towards seeing an import: a false alarm refuses
//! a hand-written manifest, a miss would let one reach outside.
//!
//! The same pass bounds how deeply brackets nest. serde_dhall's parser (a pest grammar without
//! memoization) parses the inside of every `(`, `[`, `{`, `<` and `${` about three times over, so
//! its time grows threefold with each level: twelve parentheses around `1` take seconds,
//! sixteen take minutes, and a manifest of a few dozen bytes would hold `confess verify` for
//! hours. What the brackets hold is read as often: a long text ten brackets deep takes as long.
//! The lexer charges each opening bracket 3^depth and each byte 3^n, where n brackets are open
//! around it, and refuses a file nested deeper than [`MAX_NESTING`] or charged more than
//! [`cost_budget`] or [`byte_budget`] before serde_dhall sees it. confess writes at most six
//! levels.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What an import reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `./x` or `../x`: a file relative to the importing file (the path as written, quotes
    /// removed).
    Relative(PathBuf),
    /// `~/x`.
    Home,
    /// `/x`.
    Absolute,
    /// `env:NAME`.
    Env,
    /// `http://...`, `https://...`.
    Remote,
    /// `missing`.
    Missing,
    /// `sha256:...`: the import may be read from or written into Dhall's cache.
    Hash,
}

/// One import of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub kind: Kind,
    /// As written.
    pub text: String,
    /// 1-based.
    pub line: usize,
    /// `as Text`, `as Bytes` or `as Location`: not Dhall code, not scanned in turn.
    pub not_code: bool,
}

/// A file that does not lex as Dhall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    pub line: usize,
    pub what: String,
}

/// The deepest bracket nesting a file verify reads may have (confess writes at most 6).
pub const MAX_NESTING: u32 = 10;

/// The most a file of `len` bytes may be charged for its brackets (each opening bracket costs
/// 3^depth): two lone chains of [`MAX_NESTING`] levels (3^11, about 4 s of parsing), plus 64 a
/// byte (confess's manifests cost under 2 a byte). serde_dhall parses chains at about 40,000
/// units a second, so within budget a file's brackets take at most a few seconds and 2 ms a byte.
#[must_use]
pub fn cost_budget(len: usize) -> u64 {
    3u64.pow(MAX_NESTING + 1) + 64 * len as u64
}

/// The most a file of `len` bytes may be charged for what its brackets hold, each byte 3^n inside
/// n open brackets (the parser reads it about that often: a 4,000-byte text inside eight
/// parentheses takes 2.6 s, inside six 0.29 s): 3^6 a byte, within which any file nested at most
/// six deep stays whatever it holds (confess writes at most six levels; its manifests of real
/// projects cost 40 to 150 a byte), plus 3^11. serde_dhall reads 1.9 to 10 million units a second
/// (measured on the manifests of jq, pixman and libuv, 9 to 386 KB, and on long texts), so
/// within budget a file's contents take at most 0.1 s plus 0.4 ms a byte.
#[must_use]
pub fn byte_budget(len: usize) -> u64 {
    3u64.pow(MAX_NESTING + 1) + 3u64.pow(6) * len as u64
}

/// Characters of an unquoted path component (`path-character` of the standard).
fn is_path_char(c: u8) -> bool {
    matches!(c, 0x21 | 0x24..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x3B | 0x3D | 0x40..=0x5A | 0x5E..=0x7A | 0x7C | 0x7E)
}

fn is_label_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'/' | b'_')
}

#[derive(Clone, Copy)]
enum Ctx {
    /// Code; `depth` counts the braces opened in it; `interpolation` when it ends at a `}`
    /// that closes a `${`.
    Code {
        depth: usize,
        interpolation: bool,
    },
    DoubleQuoted,
    SingleQuoted,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
}

impl Lexer<'_> {
    fn at(&self, i: usize, s: &str) -> bool {
        self.b.get(i..i + s.len()) == Some(s.as_bytes())
    }

    // reason: a file verify reads is small; a crate for counting its lines is not worth it.
    #[allow(clippy::naive_bytecount)]
    fn line(&self, i: usize) -> usize {
        1 + self.b[..i.min(self.b.len())]
            .iter()
            .filter(|c| **c == b'\n')
            .count()
    }

    /// The end of a block comment that starts at `i` (`{-`), nested ones included.
    fn block_comment(&self, i: usize) -> std::result::Result<usize, ScanError> {
        let (mut j, mut depth) = (i + 2, 1usize);
        while j < self.b.len() {
            if self.at(j, "{-") {
                depth += 1;
                j += 2;
            } else if self.at(j, "-}") {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return Ok(j);
                }
            } else {
                j += 1;
            }
        }
        Err(ScanError {
            line: self.line(i),
            what: "a block comment `{-` is not closed".into(),
        })
    }

    /// Past spaces and comments from `i`.
    fn whitespace(&self, mut i: usize) -> usize {
        loop {
            match self.b.get(i) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => i += 1,
                Some(b'-') if self.at(i, "--") => {
                    while i < self.b.len() && self.b[i] != b'\n' {
                        i += 1;
                    }
                }
                Some(b'{') if self.at(i, "{-") => match self.block_comment(i) {
                    Ok(j) => i = j,
                    Err(_) => return i,
                },
                _ => return i,
            }
        }
    }

    /// The components of a path whose first `/` is at `i`, and where it ends.
    fn path(&self, mut i: usize) -> std::result::Result<(Vec<String>, usize), ScanError> {
        let mut parts = Vec::new();
        while self.b.get(i) == Some(&b'/') {
            if self.b.get(i + 1) == Some(&b'"') {
                let start = i + 2;
                let Some(len) = self.b[start..].iter().position(|c| *c == b'"') else {
                    return Err(ScanError {
                        line: self.line(i),
                        what: "a quoted path component is not closed".into(),
                    });
                };
                parts.push(self.text[start..start + len].to_string());
                i = start + len + 1;
            } else {
                let start = i + 1;
                let mut j = start;
                while j < self.b.len() && is_path_char(self.b[j]) {
                    j += 1;
                }
                if j == start {
                    break;
                }
                parts.push(self.text[start..j].to_string());
                i = j;
            }
        }
        Ok((parts, i))
    }

    /// Whether the import that ends at `i` is read `as Text`, `as Bytes` or `as Location`.
    fn not_code(&self, i: usize) -> bool {
        let j = self.whitespace(i);
        if !self.at(j, "as") || self.b.get(j + 2).is_some_and(|c| is_label_char(*c)) {
            return false;
        }
        let k = self.whitespace(j + 2);
        if k == j + 2 {
            return false;
        }
        ["Text", "Bytes", "Location"]
            .iter()
            .any(|w| self.at(k, w) && !self.b.get(k + w.len()).is_some_and(|c| is_label_char(*c)))
    }
}

/// Every import of a Dhall file's text, in order.
pub fn scan(text: &str) -> std::result::Result<Vec<Import>, ScanError> {
    let mut s = Scanner {
        lx: Lexer {
            text,
            b: text.as_bytes(),
        },
        found: Vec::new(),
        stack: vec![Ctx::Code {
            depth: 0,
            interpolation: false,
        }],
        nest: Vec::new(),
        cost: 0,
        bytes: 0,
        i: 0,
    };
    while s.i < s.lx.b.len() {
        let (at, level) = (s.i, s.nest.len());
        let Some(&ctx) = s.stack.last() else {
            break;
        };
        match ctx {
            Ctx::DoubleQuoted => s.double_quoted()?,
            Ctx::SingleQuoted => s.single_quoted()?,
            Ctx::Code {
                depth,
                interpolation,
            } => s.code(depth, interpolation)?,
        }
        let step = s.i.min(s.lx.b.len()).saturating_sub(at) as u64;
        s.bytes = s.bytes.saturating_add(
            step.saturating_mul(3u64.saturating_pow(u32::try_from(level).unwrap_or(u32::MAX))),
        );
    }
    s.finish()
}

/// The state of a scan: where it is, in what, and what it has found and charged.
struct Scanner<'a> {
    lx: Lexer<'a>,
    found: Vec<Import>,
    stack: Vec<Ctx>,
    /// The brackets open now (across interpolations; `$` for `${`). A closing bracket closes
    /// the innermost open one only if it is of its kind, so that a stray `)` or `>` cannot hide
    /// a level. Each opening bracket is charged 3^depth (`cost`), and each byte 3^(the brackets
    /// open around it) (`bytes`) (see [`cost_budget`] and [`byte_budget`]).
    nest: Vec<u8>,
    cost: u64,
    bytes: u64,
    i: usize,
}

impl Scanner<'_> {
    /// Opens a bracket of `kind` at `i`, charged for its depth.
    fn open(&mut self, kind: u8, i: usize) -> std::result::Result<(), ScanError> {
        self.nest.push(kind);
        let depth = u32::try_from(self.nest.len()).unwrap_or(u32::MAX);
        self.cost = self.cost.saturating_add(3u64.saturating_pow(depth));
        if depth > MAX_NESTING {
            return Err(ScanError {
                line: self.lx.line(i),
                what: format!(
                    "brackets nest more than {MAX_NESTING} deep (confess writes at most 6); Dhall's parser takes three times longer for each level, so verify does not read it"
                ),
            });
        }
        Ok(())
    }

    /// Opens an interpolation `${` at the scan's place.
    fn interpolation(&mut self) -> std::result::Result<(), ScanError> {
        self.open(b'$', self.i)?;
        self.stack.push(Ctx::Code {
            depth: 0,
            interpolation: true,
        });
        self.i += 2;
        Ok(())
    }

    /// One step inside a `"` text.
    fn double_quoted(&mut self) -> std::result::Result<(), ScanError> {
        match self.lx.b[self.i] {
            b'\\' => self.i += 2,
            b'"' => {
                self.stack.pop();
                self.i += 1;
            }
            b'$' if self.lx.at(self.i, "${") => self.interpolation()?,
            _ => self.i += 1,
        }
        Ok(())
    }

    /// One step inside a `''` text.
    fn single_quoted(&mut self) -> std::result::Result<(), ScanError> {
        let i = self.i;
        // The standard's order: an escaped pair of quotes, an escaped interpolation, then the
        // end.
        if self.lx.at(i, "'''") {
            self.i += 3;
        } else if self.lx.at(i, "''${") {
            self.i += 4;
        } else if self.lx.at(i, "''") {
            self.stack.pop();
            self.i += 2;
        } else if self.lx.at(i, "${") {
            self.interpolation()?;
        } else {
            self.i += 1;
        }
        Ok(())
    }

    /// One step in code, `depth` braces deep in it (`interpolation`: inside a `${`).
    fn code(&mut self, depth: usize, interpolation: bool) -> std::result::Result<(), ScanError> {
        let (b, i) = (self.lx.b, self.i);
        let at = |s: &str| self.lx.at(i, s);
        let c = b[i];
        if at("--") {
            while self.i < b.len() && b[self.i] != b'\n' {
                self.i += 1;
            }
        } else if at("{-") {
            self.i = self.lx.block_comment(i)?;
        } else if c == b'"' {
            self.stack.push(Ctx::DoubleQuoted);
            self.i += 1;
        } else if at("''") {
            self.stack.push(Ctx::SingleQuoted);
            self.i += 2;
        } else if c == b'`' {
            let Some(len) = b[i + 1..].iter().position(|c| *c == b'`') else {
                return Err(ScanError {
                    line: self.lx.line(i),
                    what: "a quoted label is not closed".into(),
                });
            };
            self.i += len + 2;
        } else if c == b'{' {
            self.set_depth(depth + 1);
            self.open(b'{', i)?;
            self.i += 1;
        } else if c == b'(' || c == b'[' || c == b'<' {
            // `<` opens a union (Dhall has no comparison operators).
            self.open(c, i)?;
            self.i += 1;
        } else if at("->") {
            self.i += 2;
        } else if c == b'}' || c == b')' || c == b']' || c == b'>' {
            self.close(c, depth, interpolation);
        } else if is_label_start(c) {
            self.label();
        } else if c.is_ascii_digit() {
            self.number();
        } else if c == b'/' {
            if at("//") || at("/\\") {
                self.i += 2;
            } else {
                self.i = self.local(i, i, Kind::Absolute)?.unwrap_or(i + 1);
            }
        } else if at("../") {
            self.i = self
                .local(i, i + 2, Kind::Relative("..".into()))?
                .unwrap_or(i + 1);
        } else if at("./") {
            self.i = self
                .local(i, i + 1, Kind::Relative(".".into()))?
                .unwrap_or(i + 1);
        } else if at("~/") {
            self.i = self.local(i, i + 1, Kind::Home)?.unwrap_or(i + 1);
        } else {
            self.i += 1;
        }
        Ok(())
    }

    /// Sets the brace depth of the code the scan is in.
    fn set_depth(&mut self, to: usize) {
        if let Some(Ctx::Code { depth, .. }) = self.stack.last_mut() {
            *depth = to;
        }
    }

    /// A closing bracket `c` in code `depth` braces deep.
    fn close(&mut self, c: u8, depth: usize, interpolation: bool) {
        let kind = match c {
            b'}' if depth == 0 && interpolation => b'$',
            b'}' => b'{',
            b')' => b'(',
            b']' => b'[',
            _ => b'<',
        };
        if c == b'}' {
            if depth > 0 {
                self.set_depth(depth - 1);
            } else if interpolation {
                self.stack.pop();
            }
        }
        if self.nest.last() == Some(&kind) {
            self.nest.pop();
        }
        self.i += 1;
    }

    /// A label, which may begin an import (`missing`, `env:`, `http://`, `sha256:`).
    fn label(&mut self) {
        let (text, b) = (self.lx.text, self.lx.b);
        let start = self.i;
        let mut i = self.i;
        while i < b.len() && is_label_char(b[i]) {
            i += 1;
        }
        self.i = i;
        let colon = b.get(i) == Some(&b':');
        let kind = match &text[start..i] {
            "missing" => Kind::Missing,
            "env" if colon => Kind::Env,
            "http" | "https" if self.lx.at(i, "://") => Kind::Remote,
            "sha256" if colon => Kind::Hash,
            _ => return,
        };
        // The whole of it, for the message: up to a space or a bracket, a quoted variable name
        // whole.
        let mut end = i;
        if kind != Kind::Missing {
            while end < b.len()
                && !matches!(
                    b[end],
                    b' ' | b'\t' | b'\n' | b'\r' | b')' | b',' | b']' | b'}'
                )
            {
                if b[end] == b'"' {
                    end += b[end + 1..]
                        .iter()
                        .position(|c| *c == b'"')
                        .map_or(b.len() - end, |n| n + 1);
                }
                end += 1;
            }
        }
        let end = end.min(b.len());
        self.found.push(Import {
            kind,
            text: text[start..end].to_string(),
            line: self.lx.line(start),
            not_code: false,
        });
        self.i = end;
    }

    /// Past a number literal.
    fn number(&mut self) {
        let b = self.lx.b;
        let start = self.i;
        let mut i = self.i;
        while i < b.len()
            && (b[i].is_ascii_alphanumeric()
                || b[i] == b'_'
                || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
                || (matches!(b[i], b'+' | b'-') && i > start && matches!(b[i - 1], b'e' | b'E')))
        {
            i += 1;
        }
        self.i = i;
    }

    /// A local import that starts at `start`, its path's first `/` at `slash`: where it ends,
    /// or `None` when no path follows.
    fn local(
        &mut self,
        start: usize,
        slash: usize,
        kind: Kind,
    ) -> std::result::Result<Option<usize>, ScanError> {
        let lx = &self.lx;
        let (parts, end) = lx.path(slash)?;
        if parts.is_empty() {
            return Ok(None);
        }
        let kind = match kind {
            Kind::Relative(prefix) => {
                let mut p = prefix;
                for c in &parts {
                    p.push(c);
                }
                Kind::Relative(p)
            }
            k => k,
        };
        self.found.push(Import {
            kind,
            text: lx.text[start..end].to_string(),
            line: lx.line(start),
            not_code: lx.not_code(end),
        });
        Ok(Some(end))
    }

    /// The imports found, when the file ended in code and its brackets are within budget.
    fn finish(self) -> std::result::Result<Vec<Import>, ScanError> {
        let len = self.lx.b.len();
        match self.stack.last() {
            Some(Ctx::Code {
                interpolation: false,
                ..
            }) if self.stack.len() == 1 => {
                if self.cost > cost_budget(len) {
                    return Err(ScanError {
                        line: 1,
                        what: format!(
                            "its brackets nest so often that Dhall's parser would take too long (charged {} where a file of {len} bytes may have {}: each bracket costs three times more than the one around it)",
                            self.cost,
                            cost_budget(len)
                        ),
                    });
                }
                if self.bytes > byte_budget(len) {
                    return Err(ScanError {
                        line: 1,
                        what: format!(
                            "it holds so much inside deep brackets that Dhall's parser would take too long (charged {} where a file of {len} bytes may have {}: each byte costs 3^n inside n brackets)",
                            self.bytes,
                            byte_budget(len)
                        ),
                    });
                }
                Ok(self.found)
            }
            _ => Err(ScanError {
                line: self.lx.line(len),
                what: "a text literal or an interpolation is not closed at the end of the file"
                    .into(),
            }),
        }
    }
}

/// Checks the imports of `files` (each inside `out`, the canonical output directory) and of
/// every file they import, before anything reads them as Dhall. Only relative imports of files
/// inside `out` are let through; anything else is an error (exit 6) naming the file, the line
/// and the import.
pub fn check(out: &Path, files: &[PathBuf]) -> Result<()> {
    let refuse = |file: &Path, line: usize, what: String| {
        Error::Store {
        path: file.to_path_buf(),
        reason: format!(
            "line {line}: {what}. confess verify resolves no import but relative ones (./x, ../x) of files inside the output directory {}, so that a manifest reads nothing else: restore the file as confess wrote it (confess the project again with this --out)",
            out.display()
        ),
    }
    };
    let mut todo: Vec<PathBuf> = Vec::new();
    for f in files {
        if let Some(why) = outside(out, f) {
            return Err(Error::Store {
                path: f.clone(),
                reason: format!(
                    "{why}: confess verify reads only files inside the output directory {}; restore the file as confess wrote it (confess the project again with this --out)",
                    out.display()
                ),
            });
        }
        todo.push(f.clone());
    }
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io("reading", &file, e))?;
        let imports = scan(&text).map_err(|e| Error::Store {
            path: file.clone(),
            reason: format!(
                "line {}: {}: verify does not read it; restore it as confess wrote it (confess the project again with this --out)",
                e.line, e.what
            ),
        })?;
        for imp in imports {
            let t = &imp.text;
            let why = match &imp.kind {
                Kind::Env => format!("the import `{t}` reads an environment variable"),
                Kind::Remote => format!("the import `{t}` reaches the network"),
                Kind::Missing => format!("the import `{t}` is not a file of the output directory"),
                Kind::Hash => format!("the integrity check `{t}` makes Dhall read and write its cache outside the output directory"),
                Kind::Home => format!("the import `{t}` names a file of the home directory"),
                Kind::Absolute => {
                    let engine = if t.ends_with("/Build.dhall") || t.ends_with("/Toolchain.dhall") {
                        " (a confession made with --engine-schema imports the engine's types from that directory: confess without it to verify)"
                    } else {
                        ""
                    };
                    format!("the import `{t}` is an absolute path{engine}")
                }
                Kind::Relative(rel) => {
                    let base = file.parent().unwrap_or(out);
                    let target = base.join(rel);
                    if let Some(why) = outside(out, &target) {
                        format!("the import `{t}` {why}")
                    } else {
                        let clean = confess_shims::headers::lexical(&target);
                        if !imp.not_code && clean.is_file() {
                            todo.push(clean);
                        }
                        continue;
                    }
                }
            };
            return Err(refuse(&file, imp.line, why));
        }
    }
    Ok(())
}

/// Why `p` (absolute) is not a place inside `out`, if it is not: lexically, and as the file
/// system resolves it (symbolic links).
fn outside(out: &Path, p: &Path) -> Option<String> {
    let clean = confess_shims::headers::lexical(p);
    if !clean.starts_with(out) {
        return Some(format!(
            "leads to {}, outside the output directory",
            clean.display()
        ));
    }
    for q in [p, clean.as_path()] {
        if let Ok(real) = std::fs::canonicalize(q) {
            if !real.starts_with(out) {
                return Some(format!(
                    "leads through a symbolic link to {}, outside the output directory",
                    real.display()
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        scan(text)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .into_iter()
            .map(|i| (i.kind, i.text))
            .collect()
    }

    fn rel(p: &str, t: &str) -> (Kind, String) {
        (Kind::Relative(PathBuf::from(p)), t.to_string())
    }

    #[test]
    fn relative_imports_and_what_is_not_one() {
        let text = "-- a comment with ./not/an/import and env:HOME\n\
                    let Build = ../engine/Build.dhall\n\
                    let S = ./schema.dhall\n\
                    let x = S.CFlag.Include \"./a/../../../b\"\n\
                    let f = List/length\n\
                    let y = { a = 1 } // { b = 2.5e-3 } /\\ {=}\n\
                    let z = a--b\n\
                    in  [ x, f, y, z, `./x`, 1 ]\n";
        assert_eq!(
            kinds(text),
            vec![
                rel("../engine/Build.dhall", "../engine/Build.dhall"),
                rel("./schema.dhall", "./schema.dhall"),
            ]
        );
    }

    #[test]
    fn comments_nest_and_texts_hide_nothing_but_interpolations() {
        let text = "{- outer {- inner ./a -} still a comment /etc/passwd -}\n\
                    let t = ''\n  text ./b and ''' and ''${./c} and env:X\n  ${./d.dhall}\n  ''\n\
                    let u = \"quoted \\\" ./e ${ let r = { a = 1 } in ./f.dhall } ./g\"\n\
                    in  ./h\n";
        assert_eq!(
            kinds(text),
            vec![
                rel("./d.dhall", "./d.dhall"),
                rel("./f.dhall", "./f.dhall"),
                rel("./h", "./h"),
            ]
        );
    }

    #[test]
    fn every_other_import_is_seen() {
        let text =
            "[ env:HOME, env:\"A B\" as Text, /etc/x.dhall, /\"engine checkout\"/Build.dhall\n\
                    , ~/x.dhall, https://example.com/x.dhall, missing, ./a sha256:0000 ]\n";
        let got = kinds(text);
        let ks: Vec<&Kind> = got.iter().map(|(k, _)| k).collect();
        assert_eq!(
            ks,
            vec![
                &Kind::Env,
                &Kind::Env,
                &Kind::Absolute,
                &Kind::Absolute,
                &Kind::Home,
                &Kind::Remote,
                &Kind::Missing,
                &Kind::Relative(PathBuf::from("./a")),
                &Kind::Hash,
            ]
        );
        assert_eq!(got[0].1, "env:HOME");
        assert_eq!(got[1].1, "env:\"A B\"");
        assert_eq!(got[3].1, "/\"engine checkout\"/Build.dhall");
        assert_eq!(got[5].1, "https://example.com/x.dhall");
        // Labels that start like a keyword are labels; a path after a closing bracket is a path.
        assert!(kinds("let missingX = 1 let envy = 2 in (x)/etc/y").len() == 1);
    }

    #[test]
    fn quoted_components_and_text_imports() {
        let i = scan("./\"a b\"/../c.txt as Text").expect("scan");
        assert_eq!(i[0].kind, Kind::Relative(PathBuf::from("./a b/../c.txt")));
        assert!(i[0].not_code);
        let i = scan("./c.dhall -- as Text\n").expect("scan");
        assert!(!i[0].not_code);
    }

    #[test]
    fn unclosed_things_are_errors() {
        for t in ["{- {- -}", "\"abc", "''\nabc", "\"${ ./a \"", "`abc"] {
            assert!(scan(t).is_err(), "{t}");
        }
    }

    #[test]
    fn nesting_is_bounded_before_dhall_parses_it() {
        let chain = |d: usize| format!("{}1{}", "(".repeat(d), ")".repeat(d));
        scan(&chain(MAX_NESTING as usize)).expect("ten levels");
        let e = scan(&chain(MAX_NESTING as usize + 1)).expect_err("eleven");
        assert!(e.what.contains("nest more than 10 deep"), "{e:?}");
        // Every kind of bracket counts, interpolations too; a text's brackets do not.
        let mixed = "[ { a = (Some [ \"${ let x = { b = ([ 1 ]) } in \"((((((((((((\" }\" ]) } ]";
        assert_eq!(scan(mixed).map(|_| ()), Ok(()));
        let deeper = mixed.replace("([ 1 ])", "([ ([ { c = 1 } ]) ])");
        assert!(scan(&deeper).is_err());
        // Unions are brackets too; an arrow's `>` closes nothing, and neither does a closing
        // bracket of another kind.
        let unions = format!("{}A{}", "< A : ".repeat(11), " >".repeat(11));
        assert!(scan(&unions).is_err(), "{unions}");
        let arrows = format!("{}1{}", "(\\(x : Bool) -> ".repeat(11), ")".repeat(11));
        assert!(scan(&arrows).is_err(), "{arrows}");
        let stray = format!("{}1{}", "(( > ]".repeat(6), "))".repeat(6));
        assert!(scan(&stray).is_err(), "{stray}");
        // Many chains of nine levels are charged 3^k for each level k: within the budget a few
        // times, refused when they fill the file.
        let eight = chain(8);
        scan(&format!("[ {} ]", [eight.as_str(); 2].join(", "))).expect("two chains");
        let e = scan(&format!("[ {} ]", vec![eight.as_str(); 400].join(", ")))
            .expect_err("four hundred chains");
        assert!(e.what.contains("would take too long"), "{e:?}");
        // What deep brackets hold is charged too: a long text eight deep (2.6 s of parsing for
        // 4,000 bytes) is refused, the same text six deep is not, and neither is any file six
        // deep throughout.
        let text =
            |d: usize, n: usize| format!("{}\"{}\"{}", "(".repeat(d), "x".repeat(n), ")".repeat(d));
        scan(&text(6, 4000)).expect("six deep");
        let e = scan(&text(8, 4000)).expect_err("eight deep");
        assert!(e.what.contains("inside deep brackets"), "{e:?}");
        let six = format!(
            "[ {{ a = [ {{ b = ( Some [ {} ] ) }} ] }} ]",
            "\"-DX=1\", ".repeat(5000)
        );
        scan(&six).expect("six deep throughout");
    }

    #[test]
    fn imports_are_followed_inside_the_output_directory_and_refused_outside() {
        let t = tempfile::tempdir().expect("tmp");
        let out = std::fs::canonicalize(t.path())
            .expect("canonical")
            .join("out");
        std::fs::create_dir_all(out.join("dhall/engine")).expect("mkdir");
        std::fs::write(out.join("dhall/engine/T.dhall"), "Text").expect("write");
        let m = out.join("dhall/BUILD.dhall");
        std::fs::write(&m, "let T = ./engine/T.dhall in [] : List T").expect("write");
        check(&out, std::slice::from_ref(&m)).expect("inside");
        // A file it imports is held to the same rule.
        std::fs::write(out.join("dhall/engine/T.dhall"), "env:HOME as Text").expect("write");
        let e = check(&out, std::slice::from_ref(&m)).expect_err("env");
        assert!(
            e.to_string().contains("engine/T.dhall") && e.to_string().contains("env:HOME"),
            "{e}"
        );
        std::fs::write(&m, "../../x.dhall").expect("write");
        let e = check(&out, std::slice::from_ref(&m)).expect_err("outside");
        assert!(e.to_string().contains("`../../x.dhall`"), "{e}");
        // Through a symbolic link out of the directory.
        std::os::unix::fs::symlink(t.path(), out.join("dhall/up")).expect("symlink");
        std::fs::write(t.path().join("x.dhall"), "1").expect("write");
        std::fs::write(&m, "./up/x.dhall").expect("write");
        let e = check(&out, std::slice::from_ref(&m)).expect_err("link");
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }
}
