//! ranlib, strip, objcopy, nm, readelf and objdump on tokens.
//!
//! Tools that rewrite an artifact keep the token valid (the token stands for the artifact, and
//! indexing or stripping does not change which sources it is made of). Tools that read an
//! artifact (libtool's export lists from nm, meson's readelf on shared objects) get the real
//! answer: the token is realized and the real tool reads the result.

use crate::ctx::{write_atomic, Ctx, Result, ShimError};
use crate::realize;
use crate::role::Role;
use crate::token::Token;

/// Flags of strip and objcopy that take the next word.
const SEPARATE: &[&str] = &[
    "-F",
    "-I",
    "-K",
    "-N",
    "-O",
    "-R",
    "-W",
    "-G",
    "-L",
    "-j",
    "-o",
    "-B",
    "--input-target",
    "--output-target",
    "--target",
    "--remove-section",
    "--keep-symbol",
    "--strip-symbol",
    "--only-section",
    "--add-section",
    "--set-section-flags",
    "--rename-section",
    "--redefine-sym",
    "--add-gnu-debuglink",
    "--only-keep-debug",
];

/// The file words of a strip/objcopy command line, and `-o` when given.
fn files_and_output(args: &[String]) -> (Vec<String>, Option<String>) {
    let mut files = Vec::new();
    let mut out = None;
    let mut it = args.iter();
    while let Some(w) = it.next() {
        if w == "-o" {
            out = it.next().cloned();
        } else if let Some(v) = w
            .strip_prefix("-o")
            .filter(|v| !v.is_empty() && !w.starts_with("--"))
        {
            out = Some(v.to_string());
        } else if SEPARATE.contains(&w.as_str()) && w != "--only-keep-debug" {
            it.next();
        } else if !w.starts_with('-') {
            files.push(w.clone());
        }
    }
    (files, out)
}

pub fn run(ctx: &Ctx) -> Result<i32> {
    match ctx.role {
        Role::Ranlib | Role::Strip => rewrite_in_place(ctx),
        Role::Objcopy => objcopy(ctx),
        Role::Nm | Role::Readelf | Role::Objdump => read_realized(ctx),
        _ => ctx.pass_through("not-a-binutil"),
    }
}

/// The tokens the files are, when every one is a token; a damaged or foreign token is refused.
fn all_tokens(ctx: &Ctx, files: &[String]) -> Result<Option<Vec<Token>>> {
    let mut toks = Vec::new();
    let mut all = true;
    for f in files {
        match ctx.read_token(&ctx.abs(f))? {
            Some(t) => toks.push(t),
            None => all = false,
        }
    }
    Ok((all && !toks.is_empty()).then_some(toks))
}

/// ranlib and strip: tokens stay as they are (or are copied to `-o`); real files get the real tool.
fn rewrite_in_place(ctx: &Ctx) -> Result<i32> {
    let Some(args) = ctx.expanded_args() else {
        return ctx.pass_through("response-file");
    };
    let (files, out) = files_and_output(&args);
    let Some(toks) = all_tokens(ctx, &files)? else {
        return ctx.pass_through("real-file");
    };
    let mut ev = ctx.event("confessed");
    if let (Some(out), [one]) = (&out, files.as_slice()) {
        copy_token(ctx, one, out)?;
        ev.outputs.push(out.clone());
    }
    ev.inputs = files;
    ev.tokens = toks.into_iter().map(|t| t.id).collect();
    ctx.record(ev)?;
    Ok(0)
}

/// `objcopy [opts] in [out]`: a token input is copied to the output unchanged.
fn objcopy(ctx: &Ctx) -> Result<i32> {
    let Some(args) = ctx.expanded_args() else {
        return ctx.pass_through("response-file");
    };
    let (files, _) = files_and_output(&args);
    let toks = match files.first() {
        Some(f) => all_tokens(ctx, std::slice::from_ref(f))?,
        None => None,
    };
    let Some(toks) = toks else {
        return ctx.pass_through("real-file");
    };
    let mut ev = ctx.event("confessed");
    if let [input, output] = files.as_slice() {
        copy_token(ctx, input, output)?;
        ev.outputs.push(output.clone());
    }
    ev.inputs.push(files[0].clone());
    ev.tokens = toks.into_iter().map(|t| t.id).collect();
    ctx.record(ev)?;
    Ok(0)
}

fn copy_token(ctx: &Ctx, from: &str, to: &str) -> Result<()> {
    let (src, dst) = (ctx.abs(from), ctx.abs(to));
    if src == dst {
        return Ok(());
    }
    let bytes = std::fs::read(&src).map_err(|e| ShimError(format!("{from}: {e}")))?;
    write_atomic(&dst, &bytes)?;
    let mode = std::fs::metadata(&src).map(|m| m.permissions());
    if let Ok(mode) = mode {
        let _ = std::fs::set_permissions(&dst, mode);
    }
    Ok(())
}

/// nm, readelf, objdump: realize every token argument, then run the real tool on the results.
fn read_realized(ctx: &Ctx) -> Result<i32> {
    let Some(args) = ctx.expanded_args() else {
        return ctx.pass_through("response-file");
    };
    let (words, ids) = realize::realize_file_args(ctx, &args)?;
    if ids.is_empty() {
        return ctx.pass_through("real-file");
    }
    let tool = ctx.real_tool()?;
    let status = ctx
        .real_command(&tool)
        .args(words.iter().map(|w| crate::raw::os(w)))
        .status()
        .map_err(|e| ShimError(format!("cannot run {}: {e}", crate::raw::text_path(&tool))))?;
    let code = crate::ctx::exit_code(status);
    let mut ev = ctx.event("realized");
    ev.real_tool = Some(crate::raw::text_path(&tool).into_owned());
    ev.tokens = ids;
    ev.exit_status = code;
    ctx.record(ev)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_and_objcopy_words() {
        let w = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            files_and_output(&w("--strip-debug -o out x")),
            (vec!["x".into()], Some("out".into()))
        );
        assert_eq!(
            files_and_output(&w("-O binary -R .note in out")),
            (vec!["in".into(), "out".into()], None)
        );
    }
}
