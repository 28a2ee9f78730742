//! The headers a compile reads, asked of the real preprocessor (`-M -MG`), which is cheap
//! next to compiling and is the truth: conditional includes, include paths and macros included.

use crate::args::{ArgKind, Command, Input as CmdInput, Lang};
use crate::ctx::{write_atomic, Ctx, Result, ShimError};
use crate::facts::ContentRef;
use crate::flags::Meaning;
use crate::token::{self, Edge, Input};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

/// A header as the preprocessor named it, with what the depfile needs.
#[derive(Clone, Debug)]
pub struct Header {
    pub input: Input,
    /// The path as gcc spelled it (relative to the working directory or absolute).
    pub spelled: String,
    /// Found in a system include directory: left out of `-MM`/`-MMD` depfiles.
    pub system: bool,
}

/// Runs the real driver with the compile's preprocessor flags and `-M -MG` on one source.
pub fn scan_real(
    ctx: &Ctx,
    cmd: &Command,
    src: &CmdInput,
    driver: &Path,
    lang: Lang,
) -> Result<Vec<Header>> {
    let mut args: Vec<String> = Vec::new();
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => {}
            ArgKind::Flag(m) if drops_for_scan(*m) => {}
            ArgKind::Flag(Meaning::PreprocArg)
                if a.value.as_deref().is_some_and(crate::flags::is_wp_depfile) => {}
            _ => args.extend(a.words.iter().cloned()),
        }
    }
    args.extend(["-M", "-MG", "-MT", "T", "-x", lang.as_str()].map(String::from));
    args.push(src.path.clone());
    let out = ctx
        .real_command(driver)
        .args(args.iter().map(|a| crate::raw::os(a)))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| {
            ShimError(format!(
                "cannot run {} -M: {e}",
                crate::raw::text_path(driver)
            ))
        })?;
    if !out.status.success() {
        // The real compile would fail the same way: show gcc's words and fail like it.
        let msg = crate::raw::text(&out.stderr);
        return Err(ShimError(format!(
            "the preprocessor rejected {} (the real compile would fail too):\n{}",
            src.path,
            msg.trim_end()
        )));
    }
    let text = crate::raw::text(&out.stdout);
    let deps = parse_make_rule(&text);
    let sys = system_dirs(ctx, driver, lang, cmd)?;
    // A header under a user directory (-I, -iquote) inside a system one (pkg-config's
    // -I/usr/include/libpng16) was found there, as a user header: the deepest directory wins.
    let user: Vec<PathBuf> = cmd
        .args
        .iter()
        .filter(|a| matches!(a.kind, ArgKind::Flag(Meaning::Include | Meaning::IQuote)))
        .filter_map(|a| a.value.as_deref())
        .map(|v| lexical(&ctx.abs(v)))
        .collect();
    let depth = |dirs: &[PathBuf], abs: &Path| {
        dirs.iter()
            .filter(|d| abs.starts_with(d))
            .map(|d| d.components().count())
            .max()
    };
    let mut headers = Vec::new();
    // The first dependency is the source itself.
    for spelled in deps.into_iter().skip(1) {
        let abs = lexical(&ctx.abs(&spelled));
        let system = match (depth(&sys, &abs), depth(&user, &abs)) {
            // gcc ignores a -I naming a system directory: a tie stays a system header.
            (Some(s), Some(u)) => s >= u,
            (s, _) => s.is_some(),
        };
        headers.push(header(spelled, abs, system, ctx.session.root.as_deref()));
    }
    Ok(headers)
}

/// A header with its content hash (`missing` when it does not exist, as `-MG` allows).
/// Toolchain headers (system headers outside the project's tree) are part of the toolchain,
/// which a build does not change: they are named by path, marked `toolchain`, not hashed
/// (hashing glibc's headers on every compile would cost more than the rest of the shim).
#[must_use]
pub fn header(spelled: String, abs: PathBuf, system: bool, root: Option<&str>) -> Header {
    header_known(spelled, abs, system, root, None)
}

/// [`header`], where the content hash of the file is `known` already (the scan cache checked
/// it), when it is.
// `abs` is taken by value because the callers (the header scan, the assembler's includes) own
// the path and have no further use for it; the signature is shared with them.
#[allow(clippy::needless_pass_by_value)]
pub fn header_known(
    spelled: String,
    abs: PathBuf,
    system: bool,
    root: Option<&str>,
    known: Option<String>,
) -> Header {
    let root = root.filter(|r| !r.is_empty()).map(crate::raw::path);
    let root = root.as_deref();
    let content = if hashed(&abs, system, root) {
        match known {
            Some(sha) => ContentRef::Hash(sha.into()),
            None => crate::files::digest_hex(&abs)
                .map_or(ContentRef::Missing, |h| ContentRef::Hash(h.into())),
        }
    } else {
        ContentRef::Toolchain
    };
    Header {
        input: Input {
            edge: Edge::Header,
            content,
            path: crate::raw::text_path(&abs).into(),
        },
        spelled,
        system,
    }
}

/// Whether a header is hashed (see `header`): it is not a system header, or it lies below the
/// scratch root `root`. The header scan asks the same, to keep those headers' bytes.
#[must_use]
pub fn hashed(abs: &Path, system: bool, root: Option<&Path>) -> bool {
    !system || root.is_some_and(|r| abs.starts_with(r))
}

/// Flags the header scan leaves out: outputs, stops, the language (given per source) and
/// everything only the link reads.
#[must_use]
pub fn drops_for_scan(m: Meaning) -> bool {
    m.names_output()
        || m.is_stop()
        || m.is_link_only()
        || matches!(m, Meaning::Language | Meaning::SaveTemps)
}

/// Splits `T: a b \` continuation lines into dependency words, undoing make's escapes.
#[must_use]
pub fn parse_make_rule(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let body = match joined.find(": ") {
        Some(i) => &joined[i + 2..],
        None => joined.strip_prefix("T:").unwrap_or(&joined),
    };
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(' ' | '#' | '\t')) => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                cur.push('$');
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Removes `.` and `name/..` without touching the file system (gcc spells `inc/../x.h`).
#[must_use]
pub fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// System include directories: the command's `-isystem`/`-idirafter` and the compiler's own
/// for the command's flags that change them (`--sysroot`, `-nostdinc`, ...: those that key the
/// scanner's facts), asked once per compiler, language and flag set with `-E -v`, cached in the
/// session. When the compiler refuses those flags, its directories without them.
pub fn system_dirs(ctx: &Ctx, driver: &Path, lang: Lang, cmd: &Command) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = cmd
        .values(Meaning::ISystem)
        .chain(cmd.values(Meaning::IDirAfter))
        .map(|d| lexical(&ctx.abs(d)))
        .collect();
    let family = if matches!(
        lang,
        Lang::Cxx | Lang::CxxHeader | Lang::ObjCxx | Lang::PreprocessedCxx
    ) {
        "c++"
    } else {
        "c"
    };
    let flags = crate::ppscan::key_args(cmd).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(driver.as_os_str().as_encoded_bytes());
    h.update(b"\0");
    h.update(family.as_bytes());
    for f in &flags {
        h.update(b"\0");
        h.update(f.as_bytes());
    }
    let key = token::hex(&h.finalize());
    let cache = ctx.session.cache().join(format!("sysdirs-{}", &key[..16]));
    let text = if let Ok(t) = std::fs::read_to_string(&cache) {
        t
    } else {
        let ask = |flags: &[String]| {
            ctx.real_command(driver)
                .args(flags.iter().map(|a| crate::raw::os(a)))
                .args(["-x", family, "-E", "-v", "-"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .map_err(|e| {
                    ShimError(format!(
                        "cannot run {} -E -v: {e}",
                        crate::raw::text_path(driver)
                    ))
                })
        };
        let mut out = ask(&flags)?;
        if !out.status.success() && !flags.is_empty() {
            out = ask(&[])?;
        }
        let t = parse_search_list(&crate::raw::text(&out.stderr)).join("\n");
        write_atomic(&cache, t.as_bytes())?;
        t
    };
    dirs.extend(
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| lexical(&crate::raw::path(l))),
    );
    Ok(dirs)
}

/// The `#include <...> search starts here:` list of `gcc -E -v`.
#[must_use]
pub fn parse_search_list(stderr: &str) -> Vec<String> {
    let mut on = false;
    let mut dirs = Vec::new();
    for line in stderr.lines() {
        if line.starts_with("#include <...> search starts here:") {
            on = true;
        } else if line.starts_with("End of search list.") {
            break;
        } else if on {
            let d = line.trim().trim_end_matches(" (framework directory)");
            dirs.push(d.to_string());
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_rules_with_escapes_and_continuations() {
        let text = "T: src/a.c include/x.h \\\n /usr/include/stdio.h dir\\ with\\ space/y.h \\\n cost$$.h\n";
        assert_eq!(
            parse_make_rule(text),
            [
                "src/a.c",
                "include/x.h",
                "/usr/include/stdio.h",
                "dir with space/y.h",
                "cost$.h"
            ]
        );
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(
            lexical(Path::new("/a/b/../c/./d.h")),
            PathBuf::from("/a/c/d.h")
        );
    }

    #[test]
    fn search_list() {
        let e = "ignoring x\n#include \"...\" search starts here:\n#include <...> search starts here:\n /usr/lib/gcc/x86_64-linux-gnu/12/include\n /usr/include\nEnd of search list.\n";
        assert_eq!(
            parse_search_list(e),
            ["/usr/lib/gcc/x86_64-linux-gnu/12/include", "/usr/include"]
        );
    }
}
