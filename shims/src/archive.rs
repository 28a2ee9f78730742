//! `ar` in the build phase: archive tokens that embed their members' tokens.
//!
//! Handles the operations builds use: r (replace or add), q (append), d (delete), t (list),
//! x (extract), p (print), m (move, order kept), s (index); modifiers c s S D U T u v o P l f
//! a b i N; a leading `--plugin`. Thin archives (T) embed their members too: builds delete
//! objects after archiving, and the graph must survive that.

use crate::ctx::{write_atomic, Ctx, Result, ShimError};
use crate::facts::{ContentRef, Decision, Reason};
use crate::realize::OPAQUE_ROLE;
use crate::token::{self, Edge, Input, Kind, Token};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ArCall {
    pub op: char,
    pub mods: String,
    pub archive: String,
    pub members: Vec<String>,
}

/// Parses `ar [--plugin p] [-]{op}[mods] [relpos] [count] archive [member...]`.
pub fn parse(args: &[String]) -> Option<ArCall> {
    let mut it = args.iter().peekable();
    let mut keys = String::new();
    while let Some(w) = it.peek() {
        if w.as_str() == "--plugin" {
            it.next();
            it.next();
        } else if w.starts_with("--") {
            it.next(); // --plugin=x, --target=x, --output=x: no bearing on the graph.
        } else if keys.is_empty() || w.starts_with('-') && w.len() > 1 {
            keys.push_str(w.trim_start_matches('-'));
            it.next();
            if !keys.chars().any(|c| "dmpqrstx".contains(c)) {
                continue;
            }
            // Dashed modifiers may follow as their own words: `ar -r -c -s x.a`.
            while it
                .peek()
                .is_some_and(|w| w.starts_with('-') && !w.starts_with("--") && w.len() > 1)
            {
                if let Some(w) = it.next() {
                    keys.push_str(w.trim_start_matches('-'));
                }
            }
            break;
        } else {
            break;
        }
    }
    let op = keys
        .chars()
        .find(|c| "dmpqrtx".contains(*c))
        .or_else(|| keys.contains('s').then_some('s'))?;
    let mods: String = keys.chars().filter(|c| *c != op).collect();
    if mods.contains('a') || mods.contains('b') || mods.contains('i') {
        it.next(); // relpos
    }
    if mods.contains('N') {
        it.next(); // count
    }
    let archive = it.next()?.clone();
    Some(ArCall {
        op,
        mods,
        archive,
        members: it.cloned().collect(),
    })
}

fn member_name(call: &ArCall, path: &str) -> String {
    if call.mods.contains('P') || call.mods.contains('T') {
        path.to_string()
    } else {
        Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(path)
            .to_string()
    }
}

/// The token standing for a member: the member's own token, or an opaque node naming a real
/// file by content.
fn member_token(ctx: &Ctx, path: &str) -> Result<Token> {
    let abs = ctx.abs(path);
    if let Some(t) = ctx.read_token(&abs)? {
        Ok(t)
    } else {
        let hash = token::hash_file(&abs).map_err(|e| ShimError(format!("ar: {path}: {e}")))?;
        let mut t = Token {
            kind: Some(Kind::Object),
            role: OPAQUE_ROLE.to_string(),
            inputs: vec![Input {
                edge: Edge::File,
                content: ContentRef::Hash(hash.into()),
                path: crate::raw::text_path(&abs).into(),
            }],
            output: crate::raw::text_path(&abs).into_owned(),
            ..Token::default()
        };
        crate::ctx::fill_ids(&mut t, &|p| ctx.session.normalize(p));
        Ok(t)
    }
}

/// Build-phase `ar`. A real (non-token) archive that already exists goes to the real `ar`.
pub fn run(ctx: &Ctx) -> Result<i32> {
    let Some(args) = ctx.expanded_args() else {
        return ctx.pass_through(Reason::ResponseFile);
    };
    let Some(call) = parse(&args) else {
        return ctx.pass_through(Reason::Unparsed(None));
    };
    let ar_abs = ctx.abs(&call.archive);
    let existing = if ar_abs.exists() {
        match ctx.read_token(&ar_abs)? {
            Some(t) => Some(t),
            None => return ctx.pass_through(Reason::RealArchive),
        }
    } else {
        None
    };
    let mut members = Membership::of(existing.as_ref());
    let mut ev = ctx.event(Decision::Confessed);
    match call.op {
        'r' | 'q' => ev.inputs.extend(members.add(ctx, &call)?),
        'd' => members.delete(&call),
        't' | 'x' | 'p' => {
            if existing.is_none() {
                eprintln!("ar: '{}': No such file", call.archive);
                return Ok(1);
            }
            ev.outputs.extend(members.read_out(ctx, &call)?);
            ev.inputs.push(call.archive.clone());
            ctx.record(ev)?;
            return Ok(0);
        }
        // m (move) and s (index only) leave membership as it is.
        _ => {}
    }
    if existing.is_none() && !call.mods.contains('c') && matches!(call.op, 'r' | 'q') {
        // Real ar says so on stderr and carries on.
        eprintln!("{}: creating {}", ctx.tool_name(), call.archive);
    }
    let thin = call.mods.contains('T')
        || existing
            .as_ref()
            .is_some_and(|t| t.action.iter().any(|a| a == "thin"));
    let id = write_archive(ctx, &ar_abs, thin, members)?;
    ev.outputs.push(call.archive.clone());
    ev.tokens.push(id);
    ctx.record(ev)?;
    Ok(0)
}

/// An archive's members, each with where it was read from (its input path), in member order.
struct Membership {
    members: Vec<(String, Arc<Token>)>,
    paths: Vec<String>,
}

impl Membership {
    /// The members of the archive token `existing`, none for a new archive.
    fn of(existing: Option<&Token>) -> Membership {
        let members: Vec<(String, Arc<Token>)> =
            existing.map(|t| t.members.clone()).unwrap_or_default();
        let mut paths: Vec<String> = existing
            .map(|t| {
                t.inputs
                    .iter()
                    .filter(|i| i.edge == Edge::Member)
                    .map(|i| i.path.to_string())
                    .collect()
            })
            .unwrap_or_default();
        paths.resize(members.len(), String::new());
        Membership { members, paths }
    }

    /// `r` (replace the first member of each name, else append) and `q` (append): returns the
    /// files added, as the call named them.
    fn add(&mut self, ctx: &Ctx, call: &ArCall) -> Result<Vec<String>> {
        // Where the first member of each name is: `r` replaces it.
        let mut first: HashMap<String, usize> = HashMap::new();
        for (i, (n, _)) in self.members.iter().enumerate() {
            first.entry(n.clone()).or_insert(i);
        }
        let mut added = Vec::new();
        for m in &call.members {
            let tok = Arc::new(member_token(ctx, m)?);
            let name = member_name(call, m);
            let pos = first.get(&name).copied();
            let path = crate::raw::text_path(&ctx.abs(m)).into_owned();
            match pos {
                Some(i) if call.op == 'r' => {
                    self.members[i] = (name, tok);
                    self.paths[i] = path;
                }
                _ => {
                    first.entry(name.clone()).or_insert(self.members.len());
                    self.members.push((name, tok));
                    self.paths.push(path);
                }
            }
            added.push(m.clone());
        }
        Ok(added)
    }

    /// `d`: drops every member of the names the call gives.
    fn delete(&mut self, call: &ArCall) {
        let names: HashSet<String> = call.members.iter().map(|m| member_name(call, m)).collect();
        let keep: Vec<bool> = self
            .members
            .iter()
            .map(|(n, _)| !names.contains(n))
            .collect();
        let mut k = keep.iter();
        self.members.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        self.paths.retain(|_| *k.next().unwrap_or(&true));
    }

    /// `t` (list), `p` (print) and `x` (extract) of the members the call names (all when it
    /// names none): returns the files extracted.
    fn read_out(&self, ctx: &Ctx, call: &ArCall) -> Result<Vec<String>> {
        let named: HashSet<&str> = call.members.iter().map(String::as_str).collect();
        let wanted = |n: &str| named.is_empty() || named.contains(n);
        let mut stdout = std::io::stdout().lock();
        let mut extracted = Vec::new();
        for (name, tok) in self.members.iter().filter(|(n, _)| wanted(n)) {
            match call.op {
                't' => {
                    // Member names are bytes, as ar prints them.
                    let _ = stdout.write_all(&crate::raw::bytes(name));
                    let _ = stdout.write_all(b"\n");
                }
                'p' => {
                    let _ = stdout.write_all(
                        tok.render(&crate::raw::text_path(ctx.shim_exe()?))
                            .as_bytes(),
                    );
                }
                _ => {
                    let out = ctx.abs(
                        Path::new(name)
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or(name),
                    );
                    write_atomic(
                        &out,
                        tok.render(&crate::raw::text_path(ctx.shim_exe()?))
                            .as_bytes(),
                    )?;
                    extracted.push(crate::raw::text_path(&out).into_owned());
                }
            }
        }
        Ok(extracted)
    }
}

/// Writes the archive token of `members` at `ar_abs` and returns its id.
fn write_archive(ctx: &Ctx, ar_abs: &Path, thin: bool, members: Membership) -> Result<String> {
    let Membership { members, paths } = members;
    let mut tok = Token {
        kind: Some(Kind::Archive),
        role: ctx.role.as_str().to_string(),
        cwd: ctx.cwd_text(),
        argv: ctx.argv.clone(),
        action: if thin { vec!["thin".into()] } else { vec![] },
        inputs: members
            .iter()
            .zip(&paths)
            .map(|((_, m), p)| Input {
                edge: Edge::Member,
                content: ContentRef::Token(m.id.clone().into()),
                path: p.clone().into(),
            })
            .collect(),
        output: crate::raw::text_path(ar_abs).into_owned(),
        members,
        ..Token::default()
    };
    ctx.write_token(&mut tok, Some(ar_abs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<ArCall> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn spellings_of_ar() {
        let c = p("rcs libx.a a.o b.o").expect("parses");
        assert_eq!(
            (c.op, c.mods.as_str(), c.archive.as_str()),
            ('r', "cs", "libx.a")
        );
        assert_eq!(c.members, ["a.o", "b.o"]);
        let c = p("--plugin /usr/lib/liblto_plugin.so -rcsD libx.a a.o").expect("parses");
        assert_eq!((c.op, c.archive.as_str()), ('r', "libx.a"));
        assert!(c.mods.contains('D'));
        let c = p("cru libx.a a.o").expect("parses");
        assert_eq!(c.op, 'r');
        let c = p("qcT libthin.a a.o").expect("parses");
        assert_eq!(c.op, 'q');
        assert!(c.mods.contains('T'));
        let c = p("t libx.a").expect("parses");
        assert_eq!((c.op, c.members.len()), ('t', 0));
        let c = p("x libx.a a.o").expect("parses");
        assert_eq!(c.members, ["a.o"]);
        let c = p("s libx.a").expect("parses");
        assert_eq!(c.op, 's');
        let c = p("rb b.o libx.a a.o").expect("parses");
        assert_eq!(c.archive, "libx.a");
        let c = p("-r -c -s libx.a a.o").expect("parses");
        assert_eq!((c.op, c.archive.as_str()), ('r', "libx.a"));
    }
}
