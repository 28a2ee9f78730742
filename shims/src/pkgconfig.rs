//! The pkg-config shim: records every query, and answers it for real or with a made-up
//! package, as `CONFESS_DEPS` says (auto: real where the module exists, made up otherwise).
//!
//! A made-up module exists, has the version asked for (or 0.0.0), `--cflags` naming a stub
//! include directory that exists (CMake's IMPORTED_TARGET refuses missing ones), and `--libs`
//! giving `-lNAME`, which the link records as an external library.

use crate::ctx::{Ctx, Result, ShimError};
use crate::facts::{Decision, Method, Reason, Resolution};
use std::io::Write;
use std::path::Path;

/// What the command line asks.
#[derive(Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // each is an option of its own, asked in any mix
pub struct Query {
    pub modules: Vec<String>,
    /// Version constraints as given (`glib-2.0 >= 2.50` gives `>= 2.50` for glib-2.0).
    pub constraints: Vec<(String, String, String)>,
    pub exists: bool,
    pub modversion: bool,
    pub cflags: bool,
    pub libs: bool,
    pub variable: Option<String>,
    pub atleast: Option<String>,
    /// Anything else (--version, --list-all, --help): only the real pkg-config answers.
    pub other: bool,
}

pub fn parse(args: &[String]) -> Query {
    let mut q = Query::default();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exists" => q.exists = true,
            "--modversion" => q.modversion = true,
            // The -I part of the flags and the -l part of the libraries are what a made-up
            // module has; "-only-other" and "-only-L" parts are empty.
            "--cflags" | "--cflags-only-I" => q.cflags = true,
            "--libs" | "--libs-only-l" => q.libs = true,
            "--cflags-only-other"
            | "--libs-only-L"
            | "--libs-only-other"
            | "--static"
            | "--print-errors"
            | "--short-errors"
            | "--silence-errors"
            | "--errors-to-stdout"
            | "--keep-system-cflags"
            | "--keep-system-libs" => {}
            "--variable" => q.variable = it.next().cloned(),
            // Options whose value may come as the next word.
            "--atleast-version" => {
                q.atleast = it.next().cloned();
                q.exists = true;
            }
            "--atleast-pkgconfig-version"
            | "--exact-version"
            | "--max-version"
            | "--define-variable" => {
                it.next();
                if a != "--define-variable" {
                    q.other = a == "--atleast-pkgconfig-version";
                    q.exists |= !q.other;
                }
            }
            a if a.starts_with("--variable=") => {
                q.variable = Some(a["--variable=".len()..].to_string());
            }
            a if a.starts_with("--atleast-version=") => {
                q.atleast = Some(a["--atleast-version=".len()..].to_string());
                q.exists = true;
            }
            a if a.starts_with("--define-variable=") => {}
            a if a.starts_with("--exact-version=") || a.starts_with("--max-version=") => {
                q.exists = true;
            }
            a if a.starts_with('-') => q.other = true,
            op @ (">=" | "<=" | "=" | ">" | "<" | "!=") => {
                if let (Some(m), Some(v)) = (q.modules.last().cloned(), it.next()) {
                    q.constraints.push((m, op.to_string(), v.clone()));
                }
            }
            // "glib-2.0 >= 2.50" and "glib-2.0>=2.50" may come as one word.
            m => {
                let spaced: String = ["!=", ">=", "<=", "=", ">", "<"]
                    .iter()
                    .find(|op| m.contains(**op))
                    .map_or_else(|| m.to_string(), |op| m.replacen(op, &format!(" {op} "), 1));
                let mut parts = spaced.split_whitespace();
                if let Some(name) = parts.next() {
                    q.modules.push(name.to_string());
                    if let (Some(op), Some(v)) = (parts.next(), parts.next()) {
                        q.constraints
                            .push((name.to_string(), op.to_string(), v.to_string()));
                    }
                }
            }
        }
    }
    q
}

/// The library name a module links as: `libfoo` is `-lfoo`, `glib-2.0` is `-lglib-2.0`.
pub fn lib_name(module: &str) -> String {
    module.strip_prefix("lib").unwrap_or(module).to_string()
}

pub fn run(ctx: &Ctx) -> Result<i32> {
    let q = parse(ctx.args());
    let mode = std::env::var("CONFESS_DEPS").unwrap_or_else(|_| "auto".into());
    if q.other || q.modules.is_empty() || mode == "real" {
        let code = ctx.pass_through(if q.other || q.modules.is_empty() {
            Reason::Query
        } else {
            Reason::DepsReal
        })?;
        if !q.modules.is_empty() {
            record(ctx, &q, Resolution::Real, code == 0)?;
        }
        return Ok(code);
    }
    let real_has = |m: &str| -> bool {
        ctx.real_tool()
            .ok()
            .and_then(|t| {
                ctx.real_command(&t)
                    .arg("--exists")
                    .arg(crate::raw::os(m))
                    .status()
                    .ok()
            })
            .is_some_and(|s| s.success())
    };
    let all_real = mode == "auto" && q.modules.iter().all(|m| real_has(m));
    if all_real {
        let code = ctx.pass_through(Reason::DepsAutoReal)?;
        record(ctx, &q, Resolution::Real, code == 0)?;
        return Ok(code);
    }
    // Made up: every module exists.
    let mut out = String::new();
    let fake = ctx.session.dir.join("fake").join("pkg-config");
    for m in &q.modules {
        let inc = fake.join(crate::raw::path(m)).join("include");
        std::fs::create_dir_all(&inc).map_err(|e| {
            ShimError(format!(
                "cannot create {}: {e}",
                crate::raw::text_path(&inc)
            ))
        })?;
        if q.modversion {
            out.push_str(&version_of(&q, m));
            out.push('\n');
        }
        if let Some(v) = &q.variable {
            // A directory-like variable points at the stub; others are empty.
            if v.ends_with("dir") {
                out.push_str(&crate::raw::text_path(&fake.join(crate::raw::path(m))));
            }
            out.push('\n');
        }
    }
    let mut flags = Vec::new();
    if q.cflags {
        flags.extend(q.modules.iter().map(|m| {
            let inc = fake.join(crate::raw::path(m)).join("include");
            format!("-I{}", crate::raw::text_path(&inc))
        }));
    }
    if q.libs {
        flags.extend(q.modules.iter().map(|m| format!("-l{}", lib_name(m))));
    }
    if !flags.is_empty() {
        out.push_str(&flags.join(" "));
        out.push('\n');
    }
    let _ = std::io::stdout().write_all(&crate::raw::bytes(&out));
    let mut ev = ctx.event(Decision::Confessed);
    ev.note = Some("pkg-config: made up".into());
    ctx.record(ev)?;
    record(ctx, &q, Resolution::Fake, true)?;
    Ok(0)
}

fn version_of(q: &Query, m: &str) -> String {
    q.constraints
        .iter()
        .find(|(n, op, _)| n == m && matches!(op.as_str(), ">=" | "=" | ">"))
        .map(|(_, _, v)| v.clone())
        .or_else(|| q.atleast.clone())
        .unwrap_or_else(|| "0.0.0".into())
}

/// The installed version of a module the real pkg-config answered for (empty if it cannot say).
fn real_version(ctx: &Ctx, m: &str) -> String {
    ctx.real_tool()
        .ok()
        .and_then(|t| {
            ctx.real_command(&t)
                .arg("--modversion")
                .arg(crate::raw::os(m))
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
        })
        .filter(|o| o.status.success())
        .map(|o| crate::raw::text(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Appends the query to the session's package log, in the provider's format.
fn record(ctx: &Ctx, q: &Query, resolved: Resolution, found: bool) -> Result<()> {
    let path = ctx.session.dir.join(crate::facts::PACKAGES);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| {
            ShimError(format!(
                "cannot record the pkg-config query in {}: {e}",
                crate::raw::text_path(&path)
            ))
        })?;
    let fake = ctx.session.dir.join("fake").join("pkg-config");
    for m in &q.modules {
        let made_up = resolved == Resolution::Fake;
        let req = crate::facts::PackageRequest {
            name: m.clone(),
            method: Method::PkgConfig,
            args: ctx.args().to_vec(),
            file: caller(ctx),
            resolved,
            found,
            version: if made_up {
                version_of(q, m)
            } else if found {
                real_version(ctx, m)
            } else {
                String::new()
            },
            include_dirs: if made_up {
                vec![
                    crate::raw::text_path(&fake.join(crate::raw::path(m)).join("include"))
                        .into_owned(),
                ]
            } else {
                Vec::new()
            },
            libraries: if made_up {
                vec![lib_name(m)]
            } else {
                Vec::new()
            },
            ..Default::default()
        };
        let mut line = serde_json::to_string(&req)
            .map_err(|e| ShimError(format!("cannot record the pkg-config query: {e}")))?;
        line.push('\n');
        f.write_all(line.as_bytes()).map_err(|e| {
            ShimError(format!(
                "cannot record the pkg-config query in {}: {e}",
                crate::raw::text_path(&path)
            ))
        })?;
    }
    Ok(())
}

/// Who asked: the nearest ancestor that is not a shell, by program name (`cmake`, `make`,
/// `meson`, `configure`; an interpreter's script for python and perl).
fn caller(ctx: &Ctx) -> String {
    let base = |a: &String| {
        Path::new(a)
            .file_name()
            .and_then(|n| n.to_str())
            .map(String::from)
            .unwrap_or_default()
    };
    for argv in crate::phase::Ancestors::new(ctx.session.driver_pid) {
        let name = argv.first().map(base).unwrap_or_default();
        match name.as_str() {
            // A script run by a shell (`sh ./configure`) is named by the script.
            "sh" | "bash" | "dash" => match argv.get(1) {
                Some(script) if !script.starts_with('-') => return base(script),
                _ => {}
            },
            "" => {}
            n if n.starts_with("python") || n.starts_with("perl") => {
                return argv.get(1).map(base).unwrap_or(name)
            }
            _ => return name,
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Query {
        parse(&s.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn queries() {
        let q = p("--exists --print-errors glib-2.0 >= 2.50 zlib");
        assert!(q.exists);
        assert_eq!(q.modules, ["glib-2.0", "zlib"]);
        assert_eq!(
            q.constraints,
            [("glib-2.0".into(), ">=".into(), "2.50".into())]
        );
        let q = p("--cflags --libs --static libfoo");
        assert!(q.cflags && q.libs && !q.other);
        assert_eq!(lib_name("libfoo"), "foo");
        assert_eq!(lib_name("glib-2.0"), "glib-2.0");
        assert!(p("--version").other);
        let q = p("--atleast-pkgconfig-version 0.20");
        assert!(q.other && q.modules.is_empty());
        let q = p("--atleast-version 1.2 zlib");
        assert_eq!(q.modules, ["zlib"]);
        assert_eq!(q.atleast.as_deref(), Some("1.2"));
        let q = p("--exact-version 1.2 zlib");
        assert!(q.exists && !q.other);
        assert_eq!(q.modules, ["zlib"]);
        assert_eq!(
            p("--variable=includedir x").variable.as_deref(),
            Some("includedir")
        );
    }
}
