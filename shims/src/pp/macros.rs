//! Macros and their expansion, as far as `#if` and computed `#include` need them: object-like
//! and function-like macros, `#` and `##`, variadic arguments, and rescanning with the names
//! being expanded disabled (so `#define X X` stops).

use super::lex::{Tok, T};
use super::Fallback;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// A macro's name or replacement text: borrowed from a scan snapshot's bytes (kept for the
/// life of the shim, so that decoding a snapshot's ~800 macros allocates no string), or owned
/// when a directive defines it.
pub type Text = std::borrow::Cow<'static, str>;

#[derive(Clone, Debug)]
pub struct Macro {
    /// `None` for object-like macros; parameter names otherwise (`__VA_ARGS__` last if variadic).
    pub params: Option<Vec<String>>,
    pub variadic: bool,
    /// The replacement text; tokenized the first time the macro is expanded (most macros a
    /// header defines never appear in a directive).
    pub text: Text,
    body: std::cell::OnceCell<Vec<T>>,
}

impl Macro {
    pub fn new(params: Option<Vec<String>>, variadic: bool, text: impl Into<Text>) -> Macro {
        Macro {
            params,
            variadic,
            text: text.into(),
            body: std::cell::OnceCell::default(),
        }
    }

    pub fn body(&self) -> &[T] {
        self.body.get_or_init(|| super::lex::tokens(&self.text))
    }
}

/// The macros in force: those a snapshot holds (`base`, read where they lie in its bytes, found
/// by binary search, decoded only when looked up), and the definitions and `#undef`s made since
/// (`over`; `None` hides a base macro). A snapshot holds ~800 macros of which a scan looks up a
/// few dozen: building a hash table of them all was a fifth of a compile call.
#[derive(Clone, Debug)]
pub struct Table {
    base: Option<Base>,
    over: HashMap<Text, Option<Box<Macro>>, Fast>,
    /// While headers' processings are recorded (`super::trace`), one log per recording, the
    /// innermost last: each name looked up or changed since that log started, first access
    /// first.
    log: std::cell::RefCell<Vec<Log>>,
}

/// What a recording learned of the macros: for each name its processing touched, whether it
/// was first looked up (and then what it was when the recording started) or first changed.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub first: HashMap<String, First, Fast>,
}

#[derive(Clone, Debug)]
pub enum First {
    /// Looked up first, and not changed since: the table still holds what it was then.
    Looked,
    /// Looked up first: the macro it was then (`None`: not defined), known once it changed or
    /// the log ended.
    Read(Option<Macro>),
    /// Changed first: what it was before does not matter.
    Write,
}

/// A snapshot's macros: `count` records sorted by name, each `name, params, variadic, text` in
/// the snapshot's encoding, and the offset of each record in `records`.
#[derive(Clone, Copy, Debug)]
pub struct Base {
    offsets: &'static [u8],
    records: &'static [u8],
}

/// Reads the snapshot encoding: a u64 length, then that many bytes.
fn field(b: &'static [u8], at: usize) -> Option<(&'static [u8], usize)> {
    let n = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
    let n = usize::try_from(n).ok()?;
    let start = at + 8;
    Some((b.get(start..start.checked_add(n)?)?, start + n))
}

fn word(b: &'static [u8], at: usize) -> Option<(u64, usize)> {
    Some((
        u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?),
        at + 8,
    ))
}

impl Base {
    /// The snapshot encoding of a table's macros: each record's offset (u64, little-endian),
    /// then the records in name order, each `name, params (u64::MAX for none, else a count and
    /// the names), variadic, text`, a string being its u64 length and its bytes.
    pub fn encode(t: &Table) -> (usize, Vec<u8>, Vec<u8>) {
        let put = |v: &mut Vec<u8>, n: u64| v.extend_from_slice(&n.to_le_bytes());
        let put_s = |v: &mut Vec<u8>, b: &str| {
            put(v, b.len() as u64);
            v.extend_from_slice(b.as_bytes());
        };
        let entries = t.entries();
        let (mut offsets, mut records) = (Vec::new(), Vec::new());
        for (name, m) in &entries {
            put(&mut offsets, records.len() as u64);
            put_s(&mut records, name);
            match &m.params {
                None => put(&mut records, u64::MAX),
                Some(p) => {
                    put(&mut records, p.len() as u64);
                    for p in p {
                        put_s(&mut records, p);
                    }
                }
            }
            put(&mut records, u64::from(m.variadic));
            put_s(&mut records, &m.text);
        }
        (entries.len(), offsets, records)
    }

    /// Checks the layout (every record within bounds, where its offset says, names in strictly
    /// increasing order, the last record ending the bytes) without decoding a record.
    pub fn new(count: usize, offsets: &'static [u8], records: &'static [u8]) -> Option<Base> {
        if offsets.len() != count.checked_mul(8)? {
            return None;
        }
        let base = Base { offsets, records };
        let mut at = 0;
        let mut prev: Option<&[u8]> = None;
        for i in 0..count {
            if base.offset(i)? != at {
                return None;
            }
            let (name, mut next) = field(records, at)?;
            if prev.is_some_and(|p| p >= name) {
                return None;
            }
            prev = Some(name);
            let (nparams, n) = word(records, next)?;
            next = n;
            if nparams != u64::MAX {
                for _ in 0..nparams {
                    next = field(records, next)?.1;
                }
            }
            next = word(records, next)?.1;
            at = field(records, next)?.1;
        }
        (at == records.len()).then_some(base)
    }

    fn count(&self) -> usize {
        self.offsets.len() / 8
    }

    fn offset(&self, i: usize) -> Option<usize> {
        usize::try_from(word(self.offsets, i * 8)?.0).ok()
    }

    fn name(&self, i: usize) -> &'static [u8] {
        self.offset(i)
            .and_then(|at| field(self.records, at))
            .map_or(&[][..], |(n, _)| n)
    }

    fn find(&self, name: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.count());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            match self.name(mid).cmp(name.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The record `i`, decoded (its layout was checked when the base was made).
    fn get(&self, i: usize) -> Option<(Text, Macro)> {
        let text = |b: &'static [u8]| -> Text { String::from_utf8_lossy(b) };
        let (name, next) = field(self.records, self.offset(i)?)?;
        let (nparams, mut next) = word(self.records, next)?;
        let params = if nparams == u64::MAX {
            None
        } else {
            let mut p = Vec::new();
            for _ in 0..nparams {
                let (b, n) = field(self.records, next)?;
                p.push(text(b).into_owned());
                next = n;
            }
            Some(p)
        };
        let (variadic, next) = word(self.records, next)?;
        let (body, _) = field(self.records, next)?;
        Some((text(name), Macro::new(params, variadic != 0, text(body))))
    }
}

/// The table of definitions made over the base, sized for a compile that includes glibc's
/// usual headers (lua5.4's sources end with 1,600 to 2,200 macros): growing it from empty
/// rehashed it nine times, and each larger table was fresh memory to fault in, a twelfth of a
/// cold compile call. Its macros are boxed so that the table itself stays small (4,096 slots
/// of 32 bytes).
fn over_table() -> HashMap<Text, Option<Box<Macro>>, Fast> {
    HashMap::with_capacity_and_hasher(2048, Fast::default())
}

impl Default for Table {
    fn default() -> Table {
        Table {
            base: None,
            over: over_table(),
            log: std::cell::RefCell::default(),
        }
    }
}

impl Table {
    /// A table of a snapshot's macros.
    pub fn with_base(base: Base) -> Table {
        Table {
            base: Some(base),
            over: over_table(),
            log: std::cell::RefCell::default(),
        }
    }

    /// Starts a log of the names looked up and changed (`Log`), inside those already going.
    pub fn start_log(&self) {
        self.log.borrow_mut().push(Log::default());
    }

    /// Ends the innermost log: each name first looked up has what it was when the log started.
    pub fn end_log(&self) -> Log {
        let mut log = self.log.borrow_mut().pop().unwrap_or_default();
        for (name, f) in &mut log.first {
            if matches!(f, First::Looked) {
                *f = First::Read(self.peek(name).map(std::borrow::Cow::into_owned));
            }
        }
        log
    }

    fn note_read(&self, name: &str) {
        for log in self.log.borrow_mut().iter_mut() {
            if !log.first.contains_key(name) {
                log.first.insert(name.to_string(), First::Looked);
            }
        }
    }

    fn note_write(&self, name: &str) {
        let mut logs = self.log.borrow_mut();
        if logs.is_empty() {
            return;
        }
        let mut before: Option<Option<Macro>> = None;
        for log in logs.iter_mut() {
            match log.first.get_mut(name) {
                None => {
                    log.first.insert(name.to_string(), First::Write);
                }
                Some(f @ First::Looked) => {
                    let then = before
                        .get_or_insert_with(|| self.peek(name).map(std::borrow::Cow::into_owned));
                    *f = First::Read(then.clone());
                }
                Some(_) => {}
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<std::borrow::Cow<'_, Macro>> {
        self.note_read(name);
        self.peek(name)
    }

    /// `get`, not logged.
    fn peek(&self, name: &str) -> Option<std::borrow::Cow<'_, Macro>> {
        if let Some(m) = self.over.get(name) {
            m.as_deref().map(std::borrow::Cow::Borrowed)
        } else {
            let b = self.base.as_ref()?;
            b.get(b.find(name)?)
                .map(|(_, m)| std::borrow::Cow::Owned(m))
        }
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.note_read(name);
        match self.over.get(name) {
            Some(m) => m.is_some(),
            None => self.base.is_some_and(|b| b.find(name).is_some()),
        }
    }

    pub fn insert(&mut self, name: impl Into<Text>, m: Macro) {
        let name = name.into();
        self.note_write(&name);
        self.over.insert(name, Some(Box::new(m)));
    }

    pub fn remove(&mut self, name: &str) {
        self.note_write(name);
        if self.base.is_some_and(|b| b.find(name).is_some()) {
            self.over.insert(name.to_string().into(), None);
        } else {
            self.over.remove(name);
        }
    }

    /// Every macro in force, sorted by name (what a snapshot stores).
    pub fn entries(&self) -> Vec<(Text, Macro)> {
        let mut out: Vec<(Text, Macro)> = Vec::new();
        if let Some(b) = &self.base {
            for i in 0..b.count() {
                if let Some((name, m)) = b.get(i) {
                    if !self.over.contains_key(name.as_ref()) {
                        out.push((name, m));
                    }
                }
            }
        }
        for (name, m) in &self.over {
            if let Some(m) = m {
                out.push((name.clone(), Macro::clone(m)));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

impl FromIterator<(String, Macro)> for Table {
    fn from_iter<I: IntoIterator<Item = (String, Macro)>>(it: I) -> Table {
        let mut t = Table::default();
        for (name, m) in it {
            t.insert(name, m);
        }
        t
    }
}

/// The hasher of the scanner's tables: FxHash (rustc's), several times quicker than SipHash on
/// short names. Its keys are macro names and paths, not input an attacker chooses to collide.
pub type Fast = std::hash::BuildHasherDefault<FxHasher>;

#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for b in chunks.remainder() {
            self.add(u64::from(*b));
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.add(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Parses `#define` from the text after the directive name, without tokenizing the body.
pub fn parse_define_text(text: &str) -> Result<(String, Macro), Fallback> {
    let t = text.trim_start();
    let b = t.as_bytes();
    let end = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80))
        .unwrap_or(b.len());
    if end == 0 {
        return Err(Fallback::new("#define without a name"));
    }
    let name = t[..end].to_string();
    let rest = &t[end..];
    // Function-like only when `(` follows the name with no space between.
    let Some(after) = rest.strip_prefix('(') else {
        return Ok((
            name,
            Macro {
                params: None,
                variadic: false,
                text: rest.to_string().into(),
                body: std::cell::OnceCell::default(),
            },
        ));
    };
    let close = after
        .find(')')
        .ok_or_else(|| Fallback::new("malformed macro parameters"))?;
    let mut params = Vec::new();
    let mut variadic = false;
    for p in after[..close].split(',') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        if p == "..." {
            params.push("__VA_ARGS__".to_string());
            variadic = true;
        } else if let Some(named) = p.strip_suffix("...") {
            // GNU named variadic: `args...`.
            params.push(named.trim().to_string());
            variadic = true;
        } else if p
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            params.push(p.to_string());
        } else {
            return Err(Fallback::new("malformed macro parameters"));
        }
    }
    Ok((
        name,
        Macro {
            params: Some(params),
            variadic,
            text: after[close + 1..].to_string().into(),
            body: std::cell::OnceCell::default(),
        },
    ))
}

/// Expands every macro in `toks`, rescanning each expansion together with what follows it;
/// each token's hide set keeps a macro from expanding inside its own expansion.
pub fn expand(toks: &[T], table: &Table, depth: usize) -> Result<Vec<T>, Fallback> {
    if depth > 64 {
        return Err(Fallback::new("macro expansion too deep"));
    }
    let mut work: VecDeque<T> = toks.iter().cloned().collect();
    let mut out = Vec::new();
    let mut steps = 0usize;
    while let Some(t) = work.pop_front() {
        steps += 1;
        if steps > 100_000 {
            return Err(Fallback::new("macro expansion does not end"));
        }
        let Tok::Ident(name) = &t.tok else {
            out.push(t);
            continue;
        };
        let name = name.clone();
        let hidden = t.hide.as_ref().is_some_and(|h| h.contains(&name));
        let Some(m) = table.get(name.as_str()).filter(|_| !hidden) else {
            out.push(t);
            continue;
        };
        let mut hide: Vec<String> = t.hide.as_deref().cloned().unwrap_or_default();
        hide.push(name.clone());
        let hide = Rc::new(hide);
        let body = match &m.params {
            None => paste(m.body(), &HashMap::new(), &HashMap::new())?,
            Some(params) => {
                // A function-like macro name not followed by `(` is not an invocation.
                if !work.front().is_some_and(|n| n.tok.is_punct("(")) {
                    out.push(t);
                    continue;
                }
                let args = collect_args(&mut work)?;
                let args = bind(params, m.variadic, args)?;
                let mut expanded_args = HashMap::new();
                for (p, a) in &args {
                    expanded_args.insert(p.clone(), expand(a, table, depth + 1)?);
                }
                paste(m.body(), &args, &expanded_args)?
            }
        };
        for (k, mut b) in body.into_iter().enumerate().rev() {
            // Tokens from the definition share one hide set; tokens from arguments add theirs.
            b.hide = Some(match b.hide.take() {
                None => hide.clone(),
                Some(own) => {
                    let mut h: Vec<String> = (*own).clone();
                    for n in hide.iter() {
                        if !h.contains(n) {
                            h.push(n.clone());
                        }
                    }
                    Rc::new(h)
                }
            });
            if k == 0 {
                b.space = t.space;
            }
            work.push_front(b);
        }
    }
    Ok(out)
}

/// Collects the arguments of an invocation from the worklist, whose front is its `(`.
fn collect_args(work: &mut VecDeque<T>) -> Result<Vec<Vec<T>>, Fallback> {
    work.pop_front();
    let mut args: Vec<Vec<T>> = vec![Vec::new()];
    let mut depth = 0;
    while let Some(t) = work.pop_front() {
        match &t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") if depth == 0 => return Ok(args),
            Tok::Punct(")") => depth -= 1,
            Tok::Punct(",") if depth == 0 => {
                args.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(a) = args.last_mut() {
            a.push(t);
        }
    }
    Err(Fallback::new("macro invocation spans lines"))
}

fn bind(
    params: &[String],
    variadic: bool,
    mut args: Vec<Vec<T>>,
) -> Result<HashMap<String, Vec<T>>, Fallback> {
    let mut map = HashMap::new();
    // `F()` passes one empty argument; for a macro without parameters that is none.
    if params.is_empty() && args.len() == 1 && args[0].is_empty() {
        return Ok(map);
    }
    if variadic {
        let fixed = params.len() - 1;
        if args.len() < fixed {
            return Err(Fallback::new("too few macro arguments"));
        }
        let rest: Vec<Vec<T>> = args.split_off(fixed.min(args.len()));
        let mut va = Vec::new();
        for (k, a) in rest.into_iter().enumerate() {
            if k > 0 {
                va.push(T::new(Tok::Punct(","), false));
            }
            va.extend(a);
        }
        for (p, a) in params.iter().zip(args) {
            map.insert(p.clone(), a);
        }
        map.insert(params[fixed].clone(), va);
        return Ok(map);
    }
    if args.len() != params.len() {
        return Err(Fallback::new("wrong number of macro arguments"));
    }
    for (p, a) in params.iter().zip(args) {
        map.insert(p.clone(), a);
    }
    Ok(map)
}

/// Substitutes parameters into a body: `#p` stringizes the raw argument, `a ## b` pastes raw
/// arguments, other parameters take the fully expanded argument.
fn paste(
    body: &[T],
    raw: &HashMap<String, Vec<T>>,
    expanded: &HashMap<String, Vec<T>>,
) -> Result<Vec<T>, Fallback> {
    let param = |t: &T| match &t.tok {
        Tok::Ident(n) if raw.contains_key(n) => Some(n.clone()),
        _ => None,
    };
    let mut out: Vec<T> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let t = &body[i];
        if t.tok == Tok::Ident("__VA_OPT__".into()) {
            return Err(Fallback::new("__VA_OPT__"));
        }
        if t.tok.is_punct("#") && !raw.is_empty() {
            if let Some(p) = body.get(i + 1).and_then(param) {
                out.push(T::new(Tok::Str(stringize(&raw[&p])), t.space));
                i += 2;
                continue;
            }
        }
        if t.tok.is_punct("##") {
            let Some(rhs) = body.get(i + 1) else {
                return Err(Fallback::new("## at the end of a macro"));
            };
            let rhs_toks: Vec<T> = match param(rhs) {
                Some(p) => raw[&p].clone(),
                None => vec![rhs.clone()],
            };
            let lhs = out.pop();
            let mut joined = String::new();
            if let Some(l) = &lhs {
                joined.push_str(&l.tok.text());
            }
            if let Some(r) = rhs_toks.first() {
                joined.push_str(&r.tok.text());
            }
            let mut re = super::lex::tokens(&joined);
            if let (Some(first), Some(l)) = (re.first_mut(), &lhs) {
                first.space = l.space;
            }
            out.extend(re);
            out.extend(rhs_toks.into_iter().skip(1));
            i += 2;
            continue;
        }
        if let Some(p) = param(t) {
            // An operand of ## takes the raw argument.
            let next_is_paste = body.get(i + 1).is_some_and(|n| n.tok.is_punct("##"));
            let arg = if next_is_paste {
                &raw[&p]
            } else {
                &expanded[&p]
            };
            let mut a = arg.clone();
            if let Some(first) = a.first_mut() {
                first.space = t.space;
            }
            out.extend(a);
            i += 1;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    Ok(out)
}

fn stringize(toks: &[T]) -> String {
    let mut s = String::from("\"");
    for (k, t) in toks.iter().enumerate() {
        if k > 0 && t.space {
            s.push(' ');
        }
        let text = t.tok.text();
        match t.tok {
            Tok::Str(_) | Tok::Char(_) => {
                s.push_str(&text.replace('\\', "\\\\").replace('"', "\\\""));
            }
            _ => s.push_str(&text),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::super::lex::tokens;
    use super::*;

    fn table(defs: &[&str]) -> Table {
        defs.iter()
            .map(|d| parse_define_text(d).expect("define"))
            .collect()
    }

    #[test]
    fn a_snapshot_base_is_found_by_name_and_shadowed_by_later_directives() {
        let t = table(&["B 2", "A 1", "F(x, ...) x + __VA_ARGS__", "C 3"]);
        assert_eq!(
            t.entries()
                .iter()
                .map(|(n, _)| n.as_ref())
                .collect::<Vec<_>>(),
            ["A", "B", "C", "F"]
        );
        let (count, offsets, records) = Base::encode(&t);
        assert_eq!(count, 4);
        let offsets: &'static [u8] = Box::leak(offsets.into_boxed_slice());
        let records: &'static [u8] = Box::leak(records.into_boxed_slice());
        let mut based = Table::with_base(Base::new(4, offsets, records).expect("layout"));
        for name in ["A", "B", "C", "F"] {
            let (want, got) = (t.get(name).expect(name), based.get(name).expect(name));
            assert_eq!(
                (&want.params, want.variadic, want.text.trim()),
                (&got.params, got.variadic, got.text.trim())
            );
        }
        assert!(based.get("D").is_none() && !based.contains_key("0"));
        assert_eq!(ex_in(&based, "F(A, B, C)"), "1 + 2 , 3");
        based.remove("B");
        based.insert(
            "A".to_string(),
            parse_define_text("A 10").expect("define").1,
        );
        based.insert("E".to_string(), parse_define_text("E 5").expect("define").1);
        based.remove("E");
        assert!(!based.contains_key("B") && !based.contains_key("E"));
        assert_eq!(ex_in(&based, "A + B + C"), "10 + B + 3");
        assert_eq!(
            based
                .entries()
                .iter()
                .map(|(n, m)| format!("{n}={}", m.text.trim()))
                .collect::<Vec<_>>(),
            ["A=10", "C=3", "F=x + __VA_ARGS__"]
        );
        // A damaged layout is refused: offsets that disagree, names out of order, bytes left.
        assert!(Base::new(3, &offsets[..24], records).is_none());
        assert!(Base::new(4, offsets, &records[..records.len() - 1]).is_none());
        let mut swapped = offsets.to_vec();
        swapped[..16].rotate_left(8);
        assert!(Base::new(4, Box::leak(swapped.into_boxed_slice()), records).is_none());
    }

    fn ex_in(t: &Table, line: &str) -> String {
        expand(&tokens(line), t, 0)
            .expect("expands")
            .iter()
            .map(|t| t.tok.text())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn ex(defs: &[&str], line: &str) -> String {
        ex_in(&table(defs), line)
    }

    #[test]
    fn glibc_style_macros() {
        let defs = [
            "__GLIBC_USE(F) __GLIBC_USE_ ## F",
            "__GLIBC_USE_ISOC2X 0",
            "__GNUC_PREREQ(maj, min) ((__GNUC__ << 16) + __GNUC_MINOR__ >= ((maj) << 16) + (min))",
            "__GNUC__ 12",
            "__GNUC_MINOR__ 2",
        ];
        assert_eq!(ex(&defs, "__GLIBC_USE (ISOC2X)"), "0");
        assert_eq!(
            ex(&defs, "__GNUC_PREREQ (4, 4)"),
            "( ( 12 << 16 ) + 2 >= ( ( 4 ) << 16 ) + ( 4 ) )"
        );
    }

    #[test]
    fn self_reference_stops_and_function_names_without_parens_stay() {
        assert_eq!(ex(&["X X + 1"], "X"), "X + 1");
        assert_eq!(ex(&["F(a) a"], "F + 1"), "F + 1");
        assert_eq!(ex(&["EMPTY()", "G EMPTY ()"], "G"), "");
    }

    #[test]
    fn variadics_stringize_and_chains() {
        assert_eq!(ex(&["V(x, ...) x __VA_ARGS__"], "V(1, 2, 3)"), "1 2 , 3");
        assert_eq!(ex(&["S(x) #x"], "S(a  b)"), "\"a b\"");
        assert_eq!(ex(&["A B", "B(x) x*2"], "A(3)"), "3 * 2");
    }
}
