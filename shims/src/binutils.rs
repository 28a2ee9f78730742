//! ranlib, strip, objcopy, nm, readelf and objdump on tokens.
//!
//! Tools that rewrite an artifact keep the token valid (the token stands for the artifact, and
//! indexing or stripping does not change which sources it is made of). Tools that read an
//! artifact (libtool's export lists from nm, meson's readelf on shared objects) get the real
//! answer: the token is realized and the real tool reads the result.

use crate::ctx::{write_atomic, Ctx, Result, ShimError};
use crate::facts::{Decision, Reason};
use crate::realize;
use crate::role::Role;
use crate::token::Token;
use std::fmt::Write as _;

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
        _ => ctx.pass_through(Reason::NotABinutil),
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
        return ctx.pass_through(Reason::ResponseFile);
    };
    let (files, out) = files_and_output(&args);
    let Some(toks) = all_tokens(ctx, &files)? else {
        return ctx.pass_through(Reason::RealFile);
    };
    let mut ev = ctx.event(Decision::Confessed);
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
        return ctx.pass_through(Reason::ResponseFile);
    };
    let (files, _) = files_and_output(&args);
    let toks = match files.first() {
        Some(f) => all_tokens(ctx, std::slice::from_ref(f))?,
        None => None,
    };
    let Some(toks) = toks else {
        return ctx.pass_through(Reason::RealFile);
    };
    let mut ev = ctx.event(Decision::Confessed);
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
        return ctx.pass_through(Reason::ResponseFile);
    };
    if let Some(code) = symbol_extractor(ctx, &args)? {
        return Ok(code);
    }
    let (words, ids) = realize::realize_file_args(ctx, &args)?;
    if ids.is_empty() {
        return ctx.pass_through(Reason::RealFile);
    }
    let tool = ctx.real_tool()?;
    let status = ctx
        .real_command(&tool)
        .args(words.iter().map(|w| crate::raw::os(w)))
        .status()
        .map_err(|e| ShimError(format!("cannot run {}: {e}", crate::raw::text_path(&tool))))?;
    let code = crate::ctx::exit_code(status);
    let mut ev = ctx.event(Decision::Realized);
    ev.real_tool = Some(crate::raw::text_path(&tool).into_owned());
    ev.tokens = ids;
    ev.exit_status = code;
    ctx.record(ev)?;
    Ok(code)
}

/// The two calls of Meson's symbol extractor (`meson --internal symbolextractor`), which it makes
/// on every shared library it links, when its parent is that script and the library is a token.
const SYMBOL_EXTRACTOR_CALLS: [&[&str]; 2] = [
    &["-d"],
    &[
        "--dynamic",
        "--extern-only",
        "--defined-only",
        "--format=posix",
    ],
];

/// Meson's symbol extractor reads a shared library's soname (`readelf -d`) and exported symbols
/// (`nm --dynamic ...`) into `LIB.p/LIB.symbols`, written only when it changed, so that ninja's
/// `restat` skips relinking dependents when the ABI did not change. Nothing reads that file's
/// bytes but ninja's restat, and in confess's build, which starts from a clean build tree, every
/// edge runs once whatever restat sees: the answer cannot change what the build does, and the
/// library is not realized for it. The answer is taken from the token instead: readelf gives the
/// recorded soname, nm one symbol named after the token id (so the file changes whenever the
/// library's content does: at least as often as the real list would). Any other call, or a file that
/// is not a shared library's token, is realized as usual. docs/design_notes.md, "Meson".
fn symbol_extractor(ctx: &Ctx, args: &[String]) -> Result<Option<i32>> {
    let Some((file, opts)) = args.split_last() else {
        return Ok(None);
    };
    let want: &[&str] = match ctx.role {
        Role::Readelf => SYMBOL_EXTRACTOR_CALLS[0],
        Role::Nm => SYMBOL_EXTRACTOR_CALLS[1],
        _ => return Ok(None),
    };
    if opts.iter().map(String::as_str).ne(want.iter().copied()) {
        return Ok(None);
    }
    let parent = crate::phase::cmdline(std::os::unix::process::parent_id()).unwrap_or_default();
    if !crate::phase::meson_internal(&parent, "symbolextractor") {
        return Ok(None);
    }
    let Some(tok) = ctx.read_token(&ctx.abs(file))? else {
        return Ok(None);
    };
    if tok.kind != Some(crate::token::Kind::SharedLibrary) {
        return Ok(None);
    }
    let text = match ctx.role {
        Role::Readelf => {
            let mut t = format!(
                "\nDynamic section at offset 0x0 contains {} entries:\n  Tag        Type                         Name/Value\n",
                usize::from(tok.soname.is_some())
            );
            if let Some(so) = &tok.soname {
                let _ = writeln!(
                    t,
                    " 0x000000000000000e (SONAME)             Library soname: [{so}]"
                );
            }
            t
        }
        _ => format!("confess.token.{} T 0 0\n", tok.id),
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| ShimError(format!("writing the answer: {e}")))?;
    }
    let mut ev = ctx.event(Decision::Answered);
    ev.inputs.push(file.clone());
    ev.tokens.push(tok.id);
    ev.note = Some("meson symbolextractor: answered from the token".into());
    ctx.record(ev)?;
    Ok(Some(0))
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
