//! Compiler-driver calls in the build phase: object tokens, depfiles, compile-and-link.

use crate::args::{Command, Input as CmdInput, Lang, Stop};
use crate::ctx::{write_atomic, Ctx, Result, ShimError};
use crate::facts::{ContentRef, Decision, Reason};
use crate::flags::Meaning;
use crate::headers::Header;
use crate::link;
use crate::token::{Edge, Input, Kind, Token};
use std::path::Path;

/// The output a driver writes for one source: `-o` when there is one source, otherwise the
/// source's base name with the stop's suffix, in the working directory.
pub fn output_for(cmd: &Command, src: &CmdInput, single: bool) -> String {
    if single {
        if let Some(o) = &cmd.output {
            return o.clone();
        }
    }
    let base = Path::new(&src.path)
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or("a");
    if src.lang.is_some_and(Lang::is_header) {
        return format!("{base}.gch");
    }
    let stem = Path::new(base)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(base);
    match cmd.stop() {
        Stop::Assembly => format!("{stem}.s"),
        _ => format!("{stem}.o"),
    }
}

/// Build-phase handling of a driver call that compiles (and maybe links).
pub fn run(ctx: &Ctx, cmd: &Command) -> Result<i32> {
    let sources: Vec<&CmdInput> = cmd.sources().collect();
    let stop = cmd.stop();
    if stop != Stop::Link && sources.len() > 1 && cmd.output.is_some() {
        // gcc refuses this; let it say so in its own words.
        return ctx.pass_through(Reason::SeveralSourcesOneOutput);
    }
    let mut ev = ctx.event(Decision::Confessed);
    let mut objects = Vec::new();
    // Outputs are listed in token order first (the extractor pairs them), side files after.
    let mut side = Vec::new();
    let mut made = Vec::new();
    for src in &sources {
        made.push(object_token(ctx, cmd, src)?);
    }
    // A header that does not exist fails the real compile: a probe (zstd's `$(shell ... cc
    // have_lz4.c ...)`) must get that answer. Made-up packages' headers are missing on purpose,
    // so this holds only while nothing was made up.
    let missing = made
        .iter()
        .any(|(_, hs)| hs.iter().any(|h| h.input.content == ContentRef::Missing));
    if missing && !ctx.session.dir.join("fake").exists() {
        return ctx.pass_through(Reason::MissingHeader);
    }
    for (src, (mut tok, headers)) in sources.iter().zip(made) {
        let out = output_for(cmd, src, sources.len() == 1);
        if stop == Stop::Link {
            tok.output.clear();
            objects.push((src.path.clone(), tok));
            continue;
        }
        let out_abs = ctx.abs(&out);
        tok.output = crate::raw::text_path(&out_abs).into_owned();
        let id = ctx.write_token(&mut tok, Some(&out_abs))?;
        if cmd.dep.side {
            let dep = write_depfile(ctx, cmd, &src.path, &out, &headers)?;
            side.push(dep);
        }
        ev.inputs.push(src.path.clone());
        ev.outputs.push(out);
        ev.tokens.push(id);
    }
    if stop == Stop::Link {
        return link::run_driver_link(ctx, cmd, objects, ev);
    }
    ev.outputs.extend(side);
    ctx.record(ev)?;
    Ok(0)
}

/// The token of one compiled source: its action, its content, its headers.
pub fn object_token(ctx: &Ctx, cmd: &Command, src: &CmdInput) -> Result<(Token, Vec<Header>)> {
    let src_abs = ctx.abs(&src.path);
    let kind = match (cmd.stop(), src.lang) {
        (_, Some(l)) if l.is_header() => Kind::PrecompiledHeader,
        (Stop::Assembly, _) => Kind::Assembly,
        _ => Kind::Object,
    };
    let mut inputs = Vec::new();
    let mut headers = Vec::new();
    // A source that is itself a token (assembly from `-S`) is an edge to that node.
    let bytes = crate::files::read(&src_abs).map_err(|e| {
        ShimError(format!(
            "cannot read source {}: {e}",
            crate::raw::text_path(&src_abs)
        ))
    })?;
    match Token::from_bytes(&bytes) {
        Ok(Some(t)) => {
            crate::ctx::check_token(&ctx.session, &src_abs, &t)?;
            inputs.push(Input {
                edge: Edge::Token,
                content: ContentRef::Token(t.id.into()),
                path: crate::raw::text_path(&src_abs).into(),
            });
        }
        Ok(None) => {
            let sha = crate::files::digest_hex(&src_abs).map_err(|e| {
                ShimError(format!(
                    "cannot read source {}: {e}",
                    crate::raw::text_path(&src_abs)
                ))
            })?;
            if src.lang.is_some_and(Lang::preprocessed) {
                headers = crate::ppscan::headers(ctx, cmd, src, &sha)?;
            }
            inputs.push(Input {
                edge: Edge::Source,
                content: ContentRef::Hash(sha.into()),
                path: crate::raw::text_path(&src_abs).into(),
            });
            inputs.extend(headers.iter().map(|h| h.input.clone()));
        }
        Err(e) => return Err(crate::ctx::damaged(&src_abs, &e.to_string())),
    }
    // `-include x.h` next to a token `x.h.gch`: the precompiled header is an input.
    for inc in cmd.values(Meaning::IncludeFile) {
        let gch = ctx.abs(&format!("{inc}.gch"));
        if let Some(t) = ctx.read_token(&gch)? {
            inputs.push(Input {
                edge: Edge::Token,
                content: ContentRef::Token(t.id.into()),
                path: crate::raw::text_path(&gch).into(),
            });
        }
    }
    let tok = Token {
        kind: Some(kind),
        role: ctx.role.as_str().to_string(),
        cwd: ctx.cwd_text(),
        argv: ctx.argv.clone(),
        action: crate::action::normalized(ctx, cmd, src.lang),
        inputs,
        ..Token::default()
    };
    Ok((tok, headers))
}

/// Writes the depfile a `-MD`/`-MMD` compile asked for, as gcc would: targets from `-MT`/`-MQ`
/// or the output, the source, then each header; `-MP` adds a phony rule per header.
fn write_depfile(
    ctx: &Ctx,
    cmd: &Command,
    src: &str,
    out: &str,
    headers: &[Header],
) -> Result<String> {
    let path = if let Some(f) = &cmd.dep.file {
        f.clone()
    } else {
        // Text in, text out: `out` is a word of the command line.
        let p = Path::new(out).with_extension("d");
        p.to_str().unwrap_or(out).to_string()
    };
    let targets: Vec<String> = if cmd.dep.targets.is_empty() {
        vec![escape_make(out)]
    } else {
        cmd.dep
            .targets
            .iter()
            .map(|(t, quoted)| if *quoted { escape_make(t) } else { t.clone() })
            .collect()
    };
    let headers: Vec<&Header> = headers
        .iter()
        .filter(|h| !cmd.dep.user_only || !h.system)
        .collect();
    let mut text = format!("{}:", targets.join(" "));
    let mut deps = vec![escape_make(src)];
    deps.extend(headers.iter().map(|h| escape_make(&h.spelled)));
    for d in &deps {
        text.push_str(" \\\n ");
        text.push_str(d);
    }
    text.push('\n');
    if cmd.dep.phony {
        for h in headers {
            text.push('\n');
            text.push_str(&escape_make(&h.spelled));
            text.push_str(":\n");
        }
    }
    // The depfile names files by their bytes, as gcc writes them.
    write_atomic(&ctx.abs(&path), &crate::raw::bytes(&text))?;
    Ok(path)
}

/// Make's escaping, as gcc's `-MQ` does it: spaces and `#` get a backslash, `$` doubles.
pub fn escape_make(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '\t' | '#' => {
                o.push('\\');
                o.push(c);
            }
            '$' => o.push_str("$$"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_escaping() {
        assert_eq!(escape_make("a b#$x"), "a\\ b\\#$$x");
    }
}
