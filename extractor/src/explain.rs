//! `confess targets` and `confess explain TARGET`: read the targets of a confession already in
//! the output directory (`targets.json`, written beside the manifests) and show them. No build
//! runs.

use crate::error::{Error, Result};
use crate::model::{CFlag, Generated, LDFlag, Owner, Producer, Src, Target};
use crate::targets::{target_ref, Confessed, SCHEMA};
use crate::wording::{
    assembly, cflag, compiler, dep, ldflag, link_item, owner, resource, triple, words,
};
use std::fmt::Write;
use std::path::Path;

pub fn load(out: &Path) -> Result<Confessed> {
    load_with_text(out).map(|(c, _)| c)
}

/// The confession's targets, with targets.json's text as read.
pub fn load_with_text(out: &Path) -> Result<(Confessed, String)> {
    let p = out.join("targets.json");
    let text = std::fs::read_to_string(&p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Input {
            path: out.to_path_buf(),
            reason: "no confession here (targets.json is missing): run `confess make`, `confess cmake` or `confess run` with this --out first".into(),
        },
        _ => Error::io("reading", &p, e),
    })?;
    let c: Confessed = Error::parse_json(&p, &text)?;
    if c.schema != SCHEMA {
        return Err(Error::Store {
            path: p,
            reason: format!(
                "written in schema {:?}, this confess reads {SCHEMA:?}: confess the project again",
                c.schema
            ),
        });
    }
    Ok((c, text))
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
        "toolchain: {} for {}{}",
        compiler(&tc.compiler),
        triple(&tc.target),
        tc.sysroot
            .as_ref()
            .map(|r| format!(", sysroot {r}"))
            .unwrap_or_default()
    );
    if let Src::Files(f) = &t.srcs {
        list(&mut s, "sources", f);
    }
    list(&mut s, "headers", &t.headers);
    explain_outside_headers(&mut s, t);
    explain_flags(&mut s, t);
    list(&mut s, "deps", &t.deps.iter().map(dep).collect::<Vec<_>>());
    list(
        &mut s,
        "link line",
        &t.link.iter().map(link_item).collect::<Vec<_>>(),
    );
    list(
        &mut s,
        "generated",
        &t.generated.iter().map(generated).collect::<Vec<_>>(),
    );
    list(
        &mut s,
        "requires",
        &t.requires.iter().map(resource).collect::<Vec<_>>(),
    );
    explain_commands(&mut s, c, dir, t);
    s
}

/// How many headers from outside the project the toolchain owns, and the others with their
/// owners.
fn explain_outside_headers(s: &mut String, t: &Target) {
    let outside: Vec<String> = t
        .outside_headers
        .iter()
        .filter(|h| h.owner != Owner::Toolchain)
        .map(|h| format!("{} ({})", h.path, owner(&h.owner)))
        .collect();
    let toolchain_headers = t.outside_headers.len() - outside.len();
    let _ = writeln!(s, "toolchain headers: {toolchain_headers}");
    if !outside.is_empty() {
        list(s, "other headers outside the project", &outside);
    }
}

/// A target's flags (its toolchain's, its overrides', its assembler calls') and, again, the
/// Raw ones among them.
fn explain_flags(s: &mut String, t: &Target) {
    let tc = &t.toolchain;
    let show = |flags: &[CFlag]| -> Vec<String> { flags.iter().map(cflag).collect() };
    list(s, "cflags", &show(&tc.cflags));
    list(s, "cxxflags", &show(&tc.cxxflags));
    list(
        s,
        "ldflags",
        &tc.ldflags.iter().map(ldflag).collect::<Vec<_>>(),
    );
    for o in &t.overrides {
        list(s, &format!("override for {}", o.src), &show(&o.flags));
    }
    list(
        s,
        "assembled",
        &t.assembled.iter().map(assembly).collect::<Vec<_>>(),
    );
    let raws: Vec<String> = tc
        .cflags
        .iter()
        .chain(&tc.cxxflags)
        .chain(t.overrides.iter().flat_map(|o| &o.flags))
        .filter(|f| matches!(f, CFlag::Raw(_)))
        .map(cflag)
        .chain(
            tc.ldflags
                .iter()
                .filter(|f| matches!(f, LDFlag::Raw(_) | LDFlag::Compiler(CFlag::Raw(_))))
                .map(ldflag),
        )
        .collect();
    list(s, "raw flags", &raws);
}

/// A generated file and the command that made it.
fn generated(g: &Generated) -> String {
    match &g.producer {
        Producer::Program(p) => {
            format!(
                "{} by {} (in {})",
                g.path,
                words(&std::iter::once(&p.tool).chain(&p.argv).collect::<Vec<_>>()),
                p.cwd
            )
        }
        Producer::Unrecorded => format!("{} (producer not recorded)", g.path),
    }
}

/// The commands a target came from.
fn explain_commands(s: &mut String, c: &Confessed, dir: &str, t: &Target) {
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
            k.what.as_str(),
            k.output,
            k.cwd,
            words(&k.argv)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::every_alternative;
    use crate::wording::word;

    /// An identifier followed by `(` or ` {`: Rust's debug syntax (`Local(":a")`,
    /// `Version { version: .. }`), or the manifests' Dhall (`S.Dep.Local ":a"`).
    fn debug_like(s: &str) -> bool {
        let b = s.as_bytes();
        s.contains(" { ")
            || s.contains("S.")
            || s.contains("Some")
            || s.contains("None")
            || b.windows(2)
                .any(|w| w[0].is_ascii_alphanumeric() && w[1] == b'(')
    }

    #[test]
    fn words_are_quoted_where_a_shell_would_change_them() {
        assert_eq!(word("-Iinclude"), "-Iinclude");
        assert_eq!(word("-DLEVEL=3"), "-DLEVEL=3");
        assert_eq!(word("-I[build]/gen"), "-I[build]/gen");
        assert_eq!(word("-DMSG=\"two words\""), "'-DMSG=\"two words\"'");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(word("-Wl,-rpath,$ORIGIN"), "'-Wl,-rpath,$ORIGIN'");
        assert_eq!(word(""), "''");
    }

    /// Every alternative of every type explain shows, in words a person writes: no debug
    /// syntax and no Dhall.
    #[test]
    fn every_alternative_reads_as_a_person_writes_it() {
        let p = every_alternative();
        let t0 = &p.targets[0];
        assert_eq!(
            t0.deps.iter().map(dep).collect::<Vec<_>>(),
            [
                ":t1",
                "fmt (fetched, SHA256=00)",
                "pkg-config zlib",
                "flake nixpkgs#zlib",
                "ZLIB 1.3 from find_package: /usr/lib/x86_64-linux-gnu/libz.so",
                "z from pkg-config",
                "f from FetchContent",
                "-lm",
                "prebuilt/libp.a",
            ]
        );
        assert_eq!(
            p.targets[..8]
                .iter()
                .map(|t| compiler(&t.toolchain.compiler))
                .collect::<Vec<_>>(),
            [
                "gcc 12.2.0",
                "clang 16.0.6",
                "nvclang 1",
                "nvcc 12",
                "rustc 1.89",
                "ghc 9.4",
                "lean 4",
                "tcc 0.9"
            ]
        );
        assert_eq!(
            triple(&p.targets[0].toolchain.host),
            "x86_64-unknown-linux-gnu"
        );
        assert_eq!(
            triple(&p.targets[1].toolchain.host),
            "i686-pc-windows-msvc, CPU native, GPU sm_90"
        );
        let mut shown: Vec<String> = Vec::new();
        for t in &p.targets {
            let tc = &t.toolchain;
            shown.push(compiler(&tc.compiler));
            shown.push(triple(&tc.host));
            shown.push(triple(&tc.target));
            shown.extend(tc.cflags.iter().chain(&tc.cxxflags).map(cflag));
            shown.extend(tc.ldflags.iter().map(ldflag));
            shown.extend(t.requires.iter().map(resource));
            shown.extend(t.outside_headers.iter().map(|h| owner(&h.owner)));
        }
        for s in &shown {
            assert!(!debug_like(s), "{s:?}");
        }
        let c0 = &p.targets[0].toolchain.cflags;
        let f: Vec<String> = c0.iter().map(cflag).collect();
        for want in [
            "-g3",
            "-flto=4",
            "-DA",
            r#"'-DB="quoted" ${x} \ $'"#,
            "-isystem [build]/sys",
            "-fno-common",
            "--param max-inline-insns-single=100",
            "-Wa,--noexecstack",
            "--frobnicate",
            "-std=c++17",
            "-fvisibility=hidden",
            "-fstack-protector-strong",
        ] {
            assert!(f.iter().any(|x| x == want), "{want} not in {f:?}");
        }
        let l: Vec<String> = p.targets[0].toolchain.ldflags.iter().map(ldflag).collect();
        for want in [
            "-Llib",
            "'-Wl,-rpath,$ORIGIN'",
            "-Wl,-soname,libz.so.1",
            "-Wl,--build-id=sha1",
            "-T link.ld",
            "-O2",
            "-Wl,--frobnicate",
        ] {
            assert!(l.iter().any(|x| x == want), "{want} not in {l:?}");
        }
    }
}
