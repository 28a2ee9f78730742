//! GraphNode tokens: what the shims write in place of objects, archives and programs.
//!
//! A token is a small text file. Its first line is the magic `CONFESS-TOKEN 1` (for programs,
//! a `#!/bin/sh` line and an `exec` line come first, so running the token builds the real program
//! and runs it). Then `key value` lines: the node's content-addressed id, its kind, the action
//! that made it (as invoked, and normalised for hashing), and its direct inputs, each with a
//! token id or a content hash. Archives and compile-and-link programs embed the tokens of their
//! members, so the graph survives builds that delete objects after archiving. Values are
//! percent-escaped for `%`, CR and LF only, so paths with spaces read back as they were.

pub use crate::facts::ContentRef;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::sync::Arc;

pub const MAGIC: &str = "CONFESS-TOKEN 1";
const SHEBANG: &str = "#!/bin/sh";

/// What an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Object,
    Assembly,
    PrecompiledHeader,
    Archive,
    SharedLibrary,
    Executable,
    /// `ld -r` / `gcc -r`: objects combined into one relocatable object.
    Relocatable,
}

impl Kind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Assembly => "assembly",
            Kind::PrecompiledHeader => "pch",
            Kind::Archive => "archive",
            Kind::SharedLibrary => "shared",
            Kind::Executable => "executable",
            Kind::Relocatable => "relocatable",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Object,
            Kind::Assembly,
            Kind::PrecompiledHeader,
            Kind::Archive,
            Kind::SharedLibrary,
            Kind::Executable,
            Kind::Relocatable,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How an input enters the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edge {
    /// A source file compiled by the action (hash: content).
    Source,
    /// A header the preprocessor read (hash: content, or `missing` for -MG generated names).
    Header,
    /// Another token named on the command line (hash: its id).
    Token,
    /// A real file named on the command line that is not a token (hash: content).
    File,
    /// A `-l` library resolved to a token in the build tree (hash: its id).
    Lib,
    /// A `-l` library the project does not build (hash: empty; path: the name).
    ExternalLib,
    /// An archive member: the embedded token named by the path (hash: its id).
    Member,
}

impl Edge {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Source => "source",
            Edge::Header => "header",
            Edge::Token => "token",
            Edge::File => "file",
            Edge::Lib => "lib",
            Edge::ExternalLib => "external-lib",
            Edge::Member => "member",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Edge> {
        [
            Edge::Source,
            Edge::Header,
            Edge::Token,
            Edge::File,
            Edge::Lib,
            Edge::ExternalLib,
            Edge::Member,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One direct input of a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Input {
    pub edge: Edge,
    /// What it is by content: a token id, a sha256 of content, a missing or toolchain header,
    /// or nothing (see each [`Edge`]).
    pub content: ContentRef,
    /// The path as the action saw it (absolute), or a library name for `ExternalLib`. Shared:
    /// every compile names the same system headers, and a reader of many tokens keeps one copy
    /// of each path ([`Strings`]).
    pub path: Arc<str>,
}

/// A node of the graph as it travels through the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Token {
    pub id: String,
    pub kind: Option<Kind>,
    /// The shim role that made it (`cc`, `c++`, `ar`, `ld`, `as`).
    pub role: String,
    /// Absolute working directory of the action.
    pub cwd: String,
    /// The action's argv as invoked, response files expanded; argv[0] is the name called.
    pub argv: Vec<String>,
    /// The action normalised for hashing: outputs, depfile flags and inputs taken out,
    /// scratch paths replaced by a fixed root.
    pub action: Vec<String>,
    pub inputs: Vec<Input>,
    /// Absolute path of the output as written by the action.
    pub output: String,
    /// `-soname` of a shared library, when given.
    pub soname: Option<String>,
    /// Embedded tokens: archive members (name, token), and the objects of compile-and-link calls.
    /// Shared: a reader of the store keeps one copy of a member it read on its own
    /// ([`Reading`]).
    pub members: Vec<(String, Arc<Token>)>,
    /// Where the session keeps its token store and realization cache.
    pub store: String,
    /// Read from a text whose `sum` line (sha256 of the lines before it) matched: every line
    /// is as the shim wrote it. `render` always writes the line; the reader refuses a wrong
    /// one, and the shims refuse a token without one (`ctx::check_token`).
    pub summed: bool,
}

#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    NotAToken,
    Malformed { line: usize, reason: String },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotAToken => write!(f, "not a confess token"),
            ReadError::Malformed { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl Token {
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Object)
    }

    /// The content-addressed id: sha256 over the kind, the normalised action, and each input's
    /// edge, normalised path and hash (token ids or content hashes, headers included), and the
    /// members' normalised names and ids. `norm` maps scratch paths to stable ones, so ids do
    /// not depend on where the scratch copy lives.
    pub fn compute_id(&self, norm: &dyn Fn(&str) -> String) -> String {
        let mut h = Sha256::new();
        h.update(b"confess-node-v1\0");
        h.update(self.kind().as_str().as_bytes());
        h.update(b"\0");
        for a in &self.action {
            h.update(b"a\0");
            h.update(a.as_bytes());
            h.update(b"\0");
        }
        for i in &self.inputs {
            h.update(i.edge.as_str().as_bytes());
            h.update(b"\0");
            if i.edge == Edge::ExternalLib {
                h.update(i.path.as_bytes());
            } else {
                h.update(norm(&i.path).as_bytes());
            }
            h.update(b"\0");
            h.update(i.content.as_str().as_bytes());
            h.update(b"\0");
        }
        // A member's name is a word of the command line (`ar rc lib.a $(pwd)/x.o`, `cc -o p
        // $(pwd)/p.c`): normalised too, or the id would name the scratch copy.
        for (name, m) in &self.members {
            h.update(b"m\0");
            h.update(norm(name).as_bytes());
            h.update(b"\0");
            h.update(m.id.as_bytes());
            h.update(b"\0");
        }
        hex(&h.finalize())
    }

    /// Serialises the token. Programs get a shell preamble that realizes them when run.
    #[must_use]
    pub fn render(&self, shim: &str) -> String {
        let mut s = String::new();
        if self.kind() == Kind::Executable {
            s.push_str(SHEBANG);
            s.push('\n');
            s.push_str("# ");
        }
        s.push_str(MAGIC);
        s.push('\n');
        if self.kind() == Kind::Executable {
            // Everything below `exec` is data the shell never reaches.
            let _ = writeln!(s, "exec {} --confess-exec \"$0\" \"$@\"", sh_word(shim));
        }
        self.render_body(&mut s);
        s
    }

    fn render_body(&self, s: &mut String) {
        let start = s.len();
        let _ = writeln!(s, "id {}", self.id);
        let _ = writeln!(s, "kind {}", self.kind().as_str());
        let _ = writeln!(s, "role {}", esc(&self.role));
        let _ = writeln!(s, "store {}", esc(&self.store));
        let _ = writeln!(s, "cwd {}", esc(&self.cwd));
        let _ = writeln!(s, "output {}", esc(&self.output));
        if let Some(so) = &self.soname {
            let _ = writeln!(s, "soname {}", esc(so));
        }
        for a in &self.argv {
            let _ = writeln!(s, "arg {}", esc(a));
        }
        for a in &self.action {
            let _ = writeln!(s, "act {}", esc(a));
        }
        for i in &self.inputs {
            let hash = match i.content.as_str() {
                "" => "-",
                h => h,
            };
            let _ = writeln!(s, "in {} {} {}", i.edge.as_str(), hash, esc(&i.path));
        }
        for (name, m) in &self.members {
            let mut body = String::new();
            body.push_str(MAGIC);
            body.push('\n');
            m.render_body(&mut body);
            let _ = writeln!(s, "member {} {}", body.len(), esc(name));
            s.push_str(&body);
        }
        let _ = writeln!(s, "sum {}", body_sum(&s[start..]));
        s.push_str("end\n");
    }

    /// Parses a token from its text.
    pub fn parse(text: &str) -> Result<Token, ReadError> {
        let mut reading = Reading::default();
        let tok = Token::parse_in(text, &mut reading)?;
        drop(reading);
        Ok(Arc::unwrap_or_clone(tok))
    }

    /// Parses a token from its text, sharing with what `reading` has read: its paths, hashes
    /// and ids, and the tokens it has read already (a member whose lines are those of a token
    /// read before, by their sum, is that token and is not parsed again).
    pub fn parse_in(text: &str, reading: &mut Reading) -> Result<Arc<Token>, ReadError> {
        let body = strip_preamble(text).ok_or(ReadError::NotAToken)?;
        let (tok, _) = parse_body(body, 1, reading)?;
        Ok(tok)
    }

    /// Reads a token from a file; `Ok(None)` when the file is not a token.
    pub fn read(path: &Path) -> Result<Option<Token>, ReadError> {
        use std::io::Read;
        // One open: the first bytes say whether it is a token, the rest follows from there.
        let Ok(mut f) = std::fs::File::open(path) else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        if !starts_as_token(&mut f, &mut bytes) {
            return Ok(None);
        }
        f.read_to_end(&mut bytes)?;
        let text =
            String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Token::parse(&text).map(Some)
    }

    /// A token from a file's bytes; `Ok(None)` when they are not a token.
    pub fn from_bytes(bytes: &[u8]) -> Result<Option<Token>, ReadError> {
        if !is_token_head(bytes) {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Token::parse(text).map(Some)
    }

    /// Every token in this one's closure of embedded members, depth first, this one last.
    #[must_use]
    pub fn embedded(&self) -> Vec<&Token> {
        let mut out = Vec::new();
        for (_, m) in &self.members {
            out.extend(m.embedded());
        }
        out.push(self);
        out
    }
}

/// Cheap check of the first bytes: is this file a token?
#[must_use]
pub fn is_token_file(path: &Path) -> bool {
    std::fs::File::open(path).is_ok_and(|mut f| starts_as_token(&mut f, &mut Vec::new()))
}

/// Reads up to the first 32 bytes of `f` into `head`: do they start a token?
fn starts_as_token(f: &mut std::fs::File, head: &mut Vec<u8>) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 32];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return false,
        }
    }
    head.extend_from_slice(&buf[..n]);
    is_token_head(&buf[..n])
}

/// Whether a file's first bytes start a token.
fn is_token_head(head: &[u8]) -> bool {
    head.starts_with(MAGIC.as_bytes())
        || head.starts_with(format!("{SHEBANG}\n# {MAGIC}").as_bytes())
}

fn strip_preamble(text: &str) -> Option<&str> {
    if let Some(rest) = text.strip_prefix(MAGIC) {
        return rest.strip_prefix('\n');
    }
    let rest = text.strip_prefix(SHEBANG)?.strip_prefix("\n# ")?;
    let rest = rest.strip_prefix(MAGIC)?.strip_prefix('\n')?;
    // Skip the `exec` line.
    let nl = rest.find('\n')?;
    Some(&rest[nl + 1..])
}

/// The `sum` of a token's lines (from `id` up to the `sum` line): sha256, hex.
fn body_sum(lines: &str) -> String {
    hex(&Sha256::digest(lines.as_bytes()))
}

/// One copy of each string a reader of many tokens meets: paths, hashes and ids repeat across
/// tokens (every compile of a project names the same system headers).
#[derive(Default)]
pub struct Strings(HashSet<Arc<str>>);

impl Strings {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return Arc::clone(a);
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(Arc::clone(&a));
        a
    }

    /// The shared copy of the percent-escaped value `s`, unescaped.
    fn unesc(&mut self, s: &str) -> Arc<str> {
        if s.contains('%') {
            self.get(&unesc(s))
        } else {
            self.get(s)
        }
    }
}

/// What a reader of many tokens shares between them: strings, and the tokens read so far by
/// their lines' sum (an archive's members were read on their own first, when their compiles
/// wrote them; a member whose lines have the sum of a token read already are that token's
/// lines, and it is not parsed again).
#[derive(Default)]
pub struct Reading {
    strings: Strings,
    by_sum: Known,
    /// What other readers read before this one began (the first pass over a store read by
    /// two threads): looked in after `by_sum`, never changed.
    before: Option<Arc<[Known]>>,
}

/// Tokens by their lines' sum.
pub type Known = HashMap<Box<str>, Arc<Token>>;

impl Reading {
    /// A reading that finds members among `before` too, the tokens other readings read.
    #[must_use]
    pub fn over(before: Arc<[Known]>) -> Reading {
        Reading {
            before: Some(before),
            ..Reading::default()
        }
    }

    /// The tokens read so far, by sum, taken out of this reading.
    pub fn take_known(&mut self) -> Known {
        std::mem::take(&mut self.by_sum)
    }

    /// The token read before whose lines are those of the token text `text` (from its `id`
    /// line to its `end`): its `sum` line names that token's sum, and its lines have that sum.
    fn known(&self, text: &str) -> Option<Arc<Token>> {
        let rest = text.strip_suffix("end\n")?.strip_suffix('\n')?;
        let at = rest.rfind('\n').map_or(0, |i| i + 1);
        let sum = rest[at..].strip_prefix("sum ")?;
        let tok = self.by_sum.get(sum).or_else(|| {
            self.before
                .as_deref()
                .and_then(|b| b.iter().find_map(|k| k.get(sum)))
        })?;
        (body_sum(&text[..at]) == sum).then(|| Arc::clone(tok))
    }
}

/// Parses `key value` lines up to `end`; returns the token and the bytes consumed.
fn parse_body(
    body: &str,
    first_line: usize,
    reading: &mut Reading,
) -> Result<(Arc<Token>, usize), ReadError> {
    let mut t = Token::default();
    let mut sum: Option<&str> = None;
    let mut pos = 0;
    let mut line_no = first_line;
    let bad = |line: usize, reason: &str| ReadError::Malformed {
        line,
        reason: reason.to_string(),
    };
    loop {
        let Some(nl) = body[pos..].find('\n') else {
            return Err(bad(line_no, "token ends without `end`"));
        };
        let line = &body[pos..pos + nl];
        let line_start = pos;
        pos += nl + 1;
        line_no += 1;
        if line == "end" {
            // Kept at its length: a reader of a store holds thousands of these.
            t.inputs.shrink_to_fit();
            t.argv.shrink_to_fit();
            t.action.shrink_to_fit();
            let t = Arc::new(t);
            if let Some(sum) = sum {
                reading
                    .by_sum
                    .entry(sum.into())
                    .or_insert_with(|| Arc::clone(&t));
            }
            return Ok((t, pos));
        }
        if t.summed {
            return Err(bad(line_no, "a line follows `sum`"));
        }
        let (key, val) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "sum" => {
                if body_sum(&body[..line_start]) != val {
                    return Err(bad(
                        line_no,
                        "its lines are not those its `sum` was made from (the token was edited)",
                    ));
                }
                t.summed = true;
                sum = Some(val);
            }
            "id" => t.id = val.to_string(),
            "kind" => t.kind = Some(Kind::parse(val).ok_or_else(|| bad(line_no, "unknown kind"))?),
            "role" => t.role = unesc(val),
            "store" => t.store = unesc(val),
            "cwd" => t.cwd = unesc(val),
            "output" => t.output = unesc(val),
            "soname" => t.soname = Some(unesc(val)),
            "arg" => t.argv.push(unesc(val)),
            "act" => t.action.push(unesc(val)),
            "in" => {
                let mut parts = val.splitn(3, ' ');
                let edge = parts.next().and_then(Edge::parse);
                let hash = parts.next();
                let path = parts.next();
                match (edge, hash, path) {
                    (Some(edge), Some(hash), Some(path)) => t.inputs.push(Input {
                        edge,
                        content: content_of(edge, hash, &mut reading.strings),
                        path: reading.strings.unesc(path),
                    }),
                    _ => return Err(bad(line_no, "malformed input line")),
                }
            }
            "member" => {
                let (len, name) = val
                    .split_once(' ')
                    .ok_or_else(|| bad(line_no, "malformed member"))?;
                let len: usize = len.parse().map_err(|_| bad(line_no, "bad member length"))?;
                let chunk = pos
                    .checked_add(len)
                    .and_then(|end| body.get(pos..end))
                    .ok_or_else(|| bad(line_no, "member runs past the end"))?;
                let inner = chunk
                    .strip_prefix(MAGIC)
                    .and_then(|c| c.strip_prefix('\n'))
                    .ok_or_else(|| bad(line_no, "member is not a token"))?;
                let m = match reading.known(inner) {
                    Some(m) => m,
                    None => parse_body(inner, line_no, reading)?.0,
                };
                line_no += chunk.matches('\n').count();
                t.members.push((unesc(name), m));
                pos += chunk.len();
            }
            _ => {} // Unknown keys from a newer minor version are ignored.
        }
    }
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    // Most values have nothing to escape: they are written as they are, without a copy.
    if !s.bytes().any(|b| matches!(b, b'%' | b'\n' | b'\r')) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => o.push_str("%25"),
            '\n' => o.push_str("%0A"),
            '\r' => o.push_str("%0D"),
            c => o.push(c),
        }
    }
    std::borrow::Cow::Owned(o)
}

fn unesc(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    // One pass, left to right: each escape is read once (`%250A` is `%0A`, not a newline).
    let mut o = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        o.push_str(&rest[..i]);
        let esc = &rest[i..];
        let (c, n) = match esc.get(..3) {
            Some("%25") => ('%', 3),
            Some("%0A") => ('\n', 3),
            Some("%0D") => ('\r', 3),
            _ => ('%', 1),
        };
        o.push(c);
        rest = &esc[n..];
    }
    o.push_str(rest);
    o
}

/// Quotes a word for `/bin/sh`.
#[must_use]
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A word (text, see `raw`) as `/bin/sh` reads it, its bytes exactly. A word whose bytes are
/// UTF-8 is quoted; one with other bytes is made by `printf` from octal escapes, so the token
/// stays text: `"$(printf '/opt/caf\351/bin/confess-shim')"`.
#[must_use]
pub fn sh_word(s: &str) -> String {
    if !crate::raw::has_reserved(s) {
        return sh_quote(s);
    }
    let mut fmt = String::new();
    for &b in crate::raw::bytes(s).iter() {
        match b {
            b'%' => fmt.push_str("%%"),
            0x20..=0x7e if b != b'\\' && b != b'\'' => fmt.push(char::from(b)),
            _ => {
                let _ = write!(fmt, "\\{b:03o}");
            }
        }
    }
    format!("\"$(printf '{fmt}')\"")
}

#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    // By table, not `write!` a byte at a time: every token read checks its sum in hex.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// sha256 of bytes, in hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// An input's content from the word a token writes for it: `-` is none, `missing` and
/// `toolchain` are headers named by path; otherwise a token id where the edge names a token, a
/// content hash where it names a file.
fn content_of(edge: Edge, word: &str, strings: &mut Strings) -> ContentRef {
    match word {
        "-" | "" => ContentRef::None,
        "missing" => ContentRef::Missing,
        "toolchain" => ContentRef::Toolchain,
        w => match edge {
            Edge::Token | Edge::Lib | Edge::Member => ContentRef::Token(strings.get(w)),
            Edge::Source | Edge::Header | Edge::File | Edge::ExternalLib => {
                ContentRef::Hash(strings.get(w))
            }
        },
    }
}

/// sha256 of a file's content, in hex.
pub fn hash_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Token {
        let member = Token {
            id: "m1".into(),
            kind: Some(Kind::Object),
            role: "cc".into(),
            cwd: "/b".into(),
            argv: vec!["cc".into(), "-c".into(), "a b.c".into()],
            action: vec!["-c".into()],
            inputs: vec![Input {
                edge: Edge::Source,
                content: ContentRef::Hash("abc".into()),
                path: "/b/a b.c".into(),
            }],
            output: "/b/a b.o".into(),
            summed: true,
            ..Token::default()
        };
        Token {
            id: "x".into(),
            kind: Some(Kind::Archive),
            role: "ar".into(),
            cwd: "/b".into(),
            argv: vec!["ar".into(), "rcs".into(), "lib%x\n.a".into()],
            action: vec!["rcs".into()],
            inputs: vec![Input {
                edge: Edge::Member,
                content: ContentRef::Token("m1".into()),
                path: "a b.o".into(),
            }],
            output: "/b/libx.a".into(),
            soname: None,
            members: vec![("a b.o".into(), Arc::new(member))],
            store: "/s".into(),
            summed: true,
        }
    }

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_member_is_the_token_read_before_only_when_its_lines_have_its_sum() {
        let ar = sample();
        let member_text = ar.members[0].1.render("/shim");
        let ar_text = ar.render("/shim");
        let mut reading = Reading::default();
        let m = Token::parse_in(&member_text, &mut reading).expect("member");
        let a = Token::parse_in(&ar_text, &mut reading).expect("archive");
        assert!(Arc::ptr_eq(&a.members[0].1, &m));
        // The member's lines edited, its `sum` line kept, the archive's sum made again: the
        // member is read (and refused), not taken for the token of that sum.
        let edited = ar_text.replacen("arg -c", "arg -C", 1);
        let start = edited.find("id ").expect("id line");
        let at = edited.rfind("\nsum ").expect("sum line") + 1;
        let resummed = format!(
            "{}sum {}\nend\n",
            &edited[..at],
            body_sum(&edited[start..at])
        );
        let e = Token::parse_in(&resummed, &mut reading).expect_err("edited member");
        assert!(e.to_string().contains("the token was edited"), "{e}");
    }

    #[test]
    fn round_trips_with_members_and_odd_paths() {
        let t = sample();
        let text = t.render("/shim");
        assert!(text.starts_with(MAGIC));
        assert_eq!(Token::parse(&text).expect("parses"), t);
    }

    #[test]
    fn each_content_word_reads_as_its_kind_and_round_trips() {
        let mut t = sample();
        let words = [
            (Edge::Header, "missing", ContentRef::Missing),
            (Edge::Header, "toolchain", ContentRef::Toolchain),
            (Edge::Header, "-", ContentRef::None),
            // Two spaces: an empty word, as a hand-edited token may hold, is none too.
            (Edge::Header, "", ContentRef::None),
            (Edge::Source, "ab12", ContentRef::Hash("ab12".into())),
            (Edge::Lib, "cd34", ContentRef::Token("cd34".into())),
        ];
        let mut body = String::new();
        for (e, w, _) in &words {
            let _ = writeln!(body, "in {} {w} /p", e.as_str());
        }
        let text = format!("{MAGIC}\nid x\nkind object\n{body}end\n");
        let read = Token::parse(&text).expect("parses");
        let got: Vec<&ContentRef> = read.inputs.iter().map(|i| &i.content).collect();
        let want: Vec<&ContentRef> = words.iter().map(|(_, _, c)| c).collect();
        assert_eq!(got, want);
        t.inputs.clone_from(&read.inputs);
        let again = Token::parse(&t.render("/shim")).expect("parses");
        assert_eq!(again.inputs, read.inputs);
    }

    #[test]
    fn executables_are_scripts_and_round_trip() {
        let mut t = sample();
        t.kind = Some(Kind::Executable);
        t.soname = Some("libx.so.1".into());
        let text = t.render("/opt/it's/confess-shim");
        assert!(text.starts_with("#!/bin/sh\n# CONFESS-TOKEN 1\nexec '/opt/it'\\''s/confess-shim'"));
        assert_eq!(Token::parse(&text).expect("parses"), t);
    }

    #[test]
    fn ids_depend_on_inputs_and_not_on_scratch_location() {
        let norm_a = |p: &str| p.replace("/tmp/a", "$ROOT");
        let norm_b = |p: &str| p.replace("/tmp/b", "$ROOT");
        let mut t = sample();
        t.inputs[0].path = "/tmp/a/x.o".into();
        let mut u = t.clone();
        u.inputs[0].path = "/tmp/b/x.o".into();
        assert_eq!(t.compute_id(&norm_a), u.compute_id(&norm_b));
        u.inputs[0].content = ContentRef::Hash("other".into());
        assert_ne!(t.compute_id(&norm_a), u.compute_id(&norm_b));
        // Members named by their scratch path (`ar rc lib.a $(pwd)/x.o`).
        let member = Arc::new(sample());
        let (mut t, mut u) = (sample(), sample());
        t.members = vec![("/tmp/a/x.o".into(), member.clone())];
        u.members = vec![("/tmp/b/x.o".into(), member.clone())];
        assert_eq!(t.compute_id(&norm_a), u.compute_id(&norm_b));
        u.members = vec![("/tmp/b/y.o".into(), member)];
        assert_ne!(t.compute_id(&norm_a), u.compute_id(&norm_b));
    }

    #[test]
    fn escapes_read_back_in_one_pass() {
        for v in ["%0A", "%250A", "a%\nb", "%%0D%", "100%", "\r\n%25"] {
            assert_eq!(unesc(&esc(v)), v, "{v:?}");
        }
    }

    #[test]
    fn a_shim_path_that_is_not_utf8_reaches_the_shell_as_its_bytes() {
        let bytes = b"/opt/caf\xe9 it's 100%\\/confess-shim";
        let text = crate::raw::text(bytes);
        let word = sh_word(&text);
        assert!(word.is_ascii(), "{word}");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .output()
            .expect("sh");
        assert_eq!(out.stdout, bytes);
        // A UTF-8 path is quoted as before.
        assert_eq!(sh_word("/usr/bin/confess-shim"), "'/usr/bin/confess-shim'");
    }

    #[test]
    fn every_line_is_covered_by_the_sum() {
        let text = sample().render("/shim");
        // Lines the id does not cover: an argument, the working directory, the output, a
        // member's output.
        for (from, to) in [
            ("arg rcs\n", "arg rcx\n"),
            ("cwd /b\n", "cwd /c\n"),
            ("output /b/libx.a\n", "output /etc/libx.a\n"),
            ("output /b/a b.o\n", "output /b/a c.o\n"),
        ] {
            assert!(text.contains(from), "{from}");
            let edited = text.replacen(from, to, 1);
            match Token::parse(&edited) {
                Err(ReadError::Malformed { reason, .. }) => {
                    assert!(reason.contains("(the token was edited)"), "{reason}");
                }
                other => panic!("{from:?} edited: {other:?}"),
            }
        }
        // A line after `sum` is refused; without the line the token reads, not summed.
        let after = text.replacen("end\n", "arg more\nend\n", 1);
        assert!(Token::parse(&after).is_err());
        let mut one = sample();
        one.members.clear();
        let cut: String = one
            .render("/shim")
            .lines()
            .filter(|l| !l.starts_with("sum "))
            .fold(String::new(), |mut cut, l| {
                cut.push_str(l);
                cut.push('\n');
                cut
            });
        let t = Token::parse(&cut).expect("reads without its sum line");
        assert!(!t.summed);
    }

    #[test]
    fn non_tokens_are_rejected() {
        assert!(matches!(
            Token::parse("\x7fELF..."),
            Err(ReadError::NotAToken)
        ));
        assert!(matches!(
            Token::parse("CONFESS-TOKEN 1\nid x\n"),
            Err(ReadError::Malformed { .. })
        ));
    }
}
