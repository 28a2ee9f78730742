//! `confess targets` and `confess explain TARGET`: read the targets of a confession already in
//! the output directory (`targets.json`, written beside the manifests) and show them. No build
//! runs.

use crate::emit::dhall::{cflag, ldflag};
use crate::error::{Error, Result};
use crate::targets::model::*;
use crate::targets::{target_ref, Confessed, SCHEMA};
use std::fmt::Write;
use std::path::Path;

pub fn load(out: &Path) -> Result<Confessed> {
    let p = out.join("targets.json");
    let text = std::fs::read_to_string(&p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Input {
            path: out.to_path_buf(),
            reason: "no confession here (targets.json is missing): run `confess make`, `confess cmake` or `confess run` with this --out first".into(),
        },
        _ => Error::io("reading", &p, e),
    })?;
    let c: Confessed = serde_json::from_str(&text).map_err(|e| Error::Store {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    if c.schema != SCHEMA {
        return Err(Error::Store {
            path: p,
            reason: format!(
                "written in schema {:?}, this confess reads {SCHEMA:?}: confess the project again",
                c.schema
            ),
        });
    }
    Ok(c)
}

/// The table of targets.
pub fn targets(c: &Confessed) -> String {
    let rows: Vec<[String; 5]> = c
        .targets()
        .map(|(dir, t)| {
            let srcs = match &t.srcs {
                Src::Files(f) => f.len(),
                _ => 0,
            };
            [
                target_ref("", dir, &t.name),
                t.kind.as_str().to_string(),
                srcs.to_string(),
                t.deps.len().to_string(),
                t.output.clone(),
            ]
        })
        .collect();
    let head = ["TARGET", "KIND", "SRCS", "DEPS", "OUTPUT"];
    let mut w = head.map(str::len);
    for r in &rows {
        for (k, c) in r.iter().enumerate() {
            w[k] = w[k].max(c.len());
        }
    }
    let mut s = String::new();
    for r in std::iter::once(head.map(str::to_string)).chain(rows) {
        let line = format!(
            "{:<a$}  {:<b$}  {:>c$}  {:>d$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// Finds a target by `name`, `dir:name`, `//dir:name` or `//:name`.
pub fn find<'a>(c: &'a Confessed, spec: &str) -> Result<(&'a str, &'a Target)> {
    let spec_t = spec.trim_start_matches("//");
    let (dir, name) = match spec_t.rsplit_once(':') {
        Some(("", n)) if spec.starts_with("//") => (Some("."), n),
        Some((d, n)) => (Some(if d.is_empty() { "." } else { d }), n),
        None => (None, spec_t),
    };
    let hits: Vec<(&str, &Target)> = c
        .targets()
        .filter(|(d, t)| t.name == name && dir.is_none_or(|x| x == *d))
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::Usage(format!(
            "no target {spec:?} in this confession; `confess targets` lists them: {}",
            c.targets()
                .map(|(d, t)| target_ref("", d, &t.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        many => Err(Error::Usage(format!(
            "{spec:?} names several targets: {}; give one as //dir:name",
            many.iter()
                .map(|(d, t)| target_ref("", d, &t.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn list(s: &mut String, title: &str, items: &[String]) {
    let _ = writeln!(s, "{title} ({}):", items.len());
    for i in items {
        let _ = writeln!(s, "  {i}");
    }
}

/// One target in words: sources, headers, flags, dependencies, and the commands behind them.
pub fn explain(c: &Confessed, dir: &str, t: &Target) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}) -> {}",
        target_ref("", dir, &t.name),
        t.kind.as_str(),
        t.output
    );
    let _ = writeln!(
        s,
        "manifests: dhall/{} (the engine's form), dhall/{} (confess's own)",
        crate::emit::dhall::build_file(dir),
        crate::emit::dhall::companion_file(dir)
    );
    if let Some(o) = &t.origin {
        let _ = writeln!(s, "defined at: {}:{}", o.file, o.line);
    }
    let tc = &t.toolchain;
    let _ = writeln!(
        s,
        "toolchain: {:?} for {:?}-{:?}-{:?}-{:?}{}",
        tc.compiler,
        tc.target.arch,
        tc.target.vendor,
        tc.target.os,
        tc.target.abi,
        tc.sysroot
            .as_ref()
            .map(|r| format!(", sysroot {r}"))
            .unwrap_or_default()
    );
    if let Src::Files(f) = &t.srcs {
        list(&mut s, "sources", f);
    }
    list(&mut s, "headers", &t.headers);
    let outside: Vec<String> = t
        .outside_headers
        .iter()
        .filter(|h| h.owner != Owner::Toolchain)
        .map(|h| format!("{} ({:?})", h.path, h.owner))
        .collect();
    let toolchain_headers = t.outside_headers.len() - outside.len();
    let _ = writeln!(s, "toolchain headers: {toolchain_headers}");
    if !outside.is_empty() {
        list(&mut s, "other headers outside the project", &outside);
    }
    let raw = |f: &&CFlag| matches!(f, CFlag::Raw(_));
    let show = |flags: &[CFlag]| -> Vec<String> { flags.iter().map(cflag).collect() };
    list(&mut s, "cflags", &show(&tc.cflags));
    list(&mut s, "cxxflags", &show(&tc.cxxflags));
    list(
        &mut s,
        "ldflags",
        &tc.ldflags.iter().map(ldflag).collect::<Vec<_>>(),
    );
    for o in &t.overrides {
        list(&mut s, &format!("override for {}", o.src), &show(&o.flags));
    }
    let raws: Vec<String> = tc
        .cflags
        .iter()
        .chain(&tc.cxxflags)
        .chain(t.overrides.iter().flat_map(|o| &o.flags))
        .filter(raw)
        .map(cflag)
        .chain(
            tc.ldflags
                .iter()
                .filter(|f| matches!(f, LDFlag::Raw(_) | LDFlag::Compiler(CFlag::Raw(_))))
                .map(ldflag),
        )
        .collect();
    list(&mut s, "raw flags", &raws);
    list(
        &mut s,
        "deps",
        &t.deps.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>(),
    );
    list(
        &mut s,
        "generated",
        &t.generated
            .iter()
            .map(|g| match &g.producer {
                Producer::Program(p) => {
                    format!(
                        "{} by {} {} (in {})",
                        g.path,
                        p.tool,
                        p.argv.join(" "),
                        p.cwd
                    )
                }
                Producer::Unrecorded => format!("{} (producer not recorded)", g.path),
            })
            .collect::<Vec<_>>(),
    );
    list(
        &mut s,
        "requires",
        &t.requires
            .iter()
            .map(|r| format!("{r:?}"))
            .collect::<Vec<_>>(),
    );
    let cmds = c
        .commands
        .get(&format!("{dir}:{}", t.name))
        .cloned()
        .unwrap_or_default();
    let _ = writeln!(s, "commands ({}):", cmds.len());
    for k in cmds {
        let _ = writeln!(
            s,
            "  {} {} (in {}):\n    {}",
            k.what,
            k.output,
            k.cwd,
            shlex::try_join(k.argv.iter().map(String::as_str)).unwrap_or_default()
        );
    }
    s
}
