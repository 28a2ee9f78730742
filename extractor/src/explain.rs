//! `confess targets` and `confess explain TARGET`: read the targets of a confession already in
//! the output directory (`targets.json`, written beside the manifests) and show them. No build
//! runs.

use crate::error::{Error, Result};
use crate::targets::model::{
    Arch, Assembler, Assembly, CFlag, Compiler, Cpu, Dep, Generated, Gpu, LDFlag, LinkItem, Owner,
    PackageMethod, Producer, Resource, Src, Target, Triple, Vendor, ABI, OS,
};
use crate::targets::{target_ref, Confessed, SCHEMA};
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

/// A word as a shell reads it back: as it is when it holds nothing the shell would change,
/// else in single quotes. `[` and `]` stay bare: the manifests' `[build]` and `[out]` are
/// placeholders a person reads, not globs.
#[must_use]
pub fn word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=+/.,:@%^[]".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// Words as a shell reads them back, separated by spaces.
pub fn words<S: AsRef<str>>(ws: &[S]) -> String {
    ws.iter()
        .map(|w| word(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The manifests' paths are shown as the manifests write them.
fn same(p: &str) -> String {
    p.to_string()
}

/// A compile flag as the command-line words it stands for (`-O2`, `-Iinclude`,
/// `-isystem /opt/inc`); a raw flag as it was recorded.
#[must_use]
pub fn cflag(f: &CFlag) -> String {
    match f {
        CFlag::Raw(r) => r.clone(),
        f => words(&crate::verify::render::cflag(f, &same)),
    }
}

/// A link flag as the command-line words it stands for (`-Wl,-soname,libz.so.1`, `-pie`); a
/// raw flag as it was recorded.
#[must_use]
pub fn ldflag(f: &LDFlag) -> String {
    match f {
        LDFlag::Raw(r) | LDFlag::Compiler(CFlag::Raw(r)) => r.clone(),
        LDFlag::GroupDeps => "-Wl,--start-group ... -Wl,--end-group, around the libraries".into(),
        f => words(&crate::verify::render::ldflag(f, &same)),
    }
}

/// The compiler as its name and version (`gcc 12.2.0`).
#[must_use]
pub fn compiler(c: &Compiler) -> String {
    let (name, version) = match c {
        Compiler::GCC(v) => ("gcc", &v.version),
        Compiler::Clang(v) => ("clang", &v.version),
        Compiler::NVClang(v) => ("nvclang", &v.version),
        Compiler::NVCC(v) => ("nvcc", &v.version),
        Compiler::Rustc(v) => ("rustc", &v.version),
        Compiler::GHC(v) => ("ghc", &v.version),
        Compiler::Lean(v) => ("lean", &v.version),
        Compiler::Unknown(n) => (n.name.as_str(), &n.version),
    };
    match version.as_str() {
        "" => name.to_string(),
        v => format!("{name} {v}"),
    }
}

/// A target triple as a compiler names it (`x86_64-unknown-linux-gnu`), then the CPU and GPU
/// when the build chose them.
#[must_use]
pub fn triple(t: &Triple) -> String {
    let arch = match &t.arch {
        Arch::x86_64 => "x86_64",
        Arch::i686 => "i686",
        Arch::aarch64 => "aarch64",
        Arch::arm => "arm",
        Arch::riscv64 => "riscv64",
        Arch::powerpc64le => "powerpc64le",
        Arch::s390x => "s390x",
        Arch::Other(s) => s,
    };
    let vendor = match &t.vendor {
        Vendor::unknown => "unknown",
        Vendor::pc => "pc",
        Vendor::apple => "apple",
        Vendor::Other(s) => s,
    };
    let os = match &t.os {
        OS::linux => "linux",
        OS::darwin => "darwin",
        OS::windows => "windows",
        OS::freebsd => "freebsd",
        OS::none => "none",
        OS::Other(s) => s,
    };
    let abi = match &t.abi {
        ABI::gnu => "gnu",
        ABI::gnueabihf => "gnueabihf",
        ABI::musl => "musl",
        ABI::android => "android",
        ABI::msvc => "msvc",
        ABI::none => "none",
        ABI::Other(s) => s,
    };
    let mut s = format!("{arch}-{vendor}-{os}-{abi}");
    match &t.cpu {
        Cpu::generic => {}
        Cpu::native => s.push_str(", CPU native"),
        Cpu::Named(c) => {
            let _ = write!(s, ", CPU {c}");
        }
    }
    if let Gpu::SM(n) = t.gpu {
        let _ = write!(s, ", GPU sm_{n}");
    }
    s
}

/// A library as a link line names it: `-lm` for a name, the path for a path.
fn library(l: &str) -> String {
    if l.contains('/') {
        l.to_string()
    } else {
        format!("-l{l}")
    }
}

/// A dependency as a person names it: a target's label (`:cjson`, `//lib:util`), a library
/// (`-lm`, `/usr/lib/x86_64-linux-gnu/libz.so`), a file, a pkg-config module
/// (`pkg-config zlib`), or a package and the libraries of it the target links.
/// One assembler call as a line: `tag.s: as 2.40 --64 -Iinc --defsym TAG=42`.
#[must_use]
pub fn assembly(a: &Assembly) -> String {
    let version = match &a.assembler {
        Assembler::Nasm(v) | Assembler::Yasm(v) | Assembler::GnuAs(v) => &v.version,
    };
    let flags = crate::verify::render::asm_flags(&a.assembler, &a.flags, &|p: &str| p.to_string());
    let mut line = format!("{}: {} {version}", a.src, a.assembler.program());
    if let Some(o) = &a.object {
        let _ = write!(line, " (object {o})");
    }
    for f in flags {
        line.push(' ');
        line.push_str(&f);
    }
    line
}

/// One place of a link line as a word: the source whose object it is, an object, a dep, or the
/// linker option.
#[must_use]
pub fn link_item(i: &LinkItem) -> String {
    match i {
        LinkItem::Source(s) => format!("(object of {s})"),
        LinkItem::Object(o) => o.clone(),
        LinkItem::Dep(d) => dep(d),
        LinkItem::Option(o) => o.word().to_string(),
    }
}

#[must_use]
pub fn dep(d: &Dep) -> String {
    match d {
        Dep::Local(label) => label.clone(),
        Dep::Library(l) => library(l),
        Dep::File(p) => p.clone(),
        Dep::PkgConfig(m) => format!("pkg-config {m}"),
        Dep::Flake(f) => format!("flake {f}"),
        Dep::External(e) if e.hash.is_empty() => format!("{} (fetched)", e.name),
        Dep::External(e) => format!("{} (fetched, {})", e.name, e.hash),
        Dep::Package(p) => {
            let how = match p.method {
                PackageMethod::FindPackage => "find_package",
                PackageMethod::PkgConfig => "pkg-config",
                PackageMethod::FetchContent => "FetchContent",
            };
            let mut s = p.name.clone();
            if !p.version.is_empty() {
                let _ = write!(s, " {}", p.version);
            }
            let _ = write!(s, " from {how}");
            if !p.libraries.is_empty() {
                let libs: Vec<String> = p.libraries.iter().map(|l| library(l)).collect();
                let _ = write!(s, ": {}", libs.join(" "));
            }
            s
        }
    }
}

/// What a target's build needs beyond its sources.
#[must_use]
pub fn resource(r: &Resource) -> String {
    match r {
        Resource::Pure => "nothing outside the source and build trees".into(),
        Resource::Network => "the network".into(),
        Resource::Auth(a) => format!("credentials {a}"),
        Resource::Sandbox(s) => format!("sandbox {s}"),
        Resource::Filesystem(p) => p.clone(),
    }
}

/// Who a header outside the project belongs to.
#[must_use]
pub fn owner(o: &Owner) -> String {
    match o {
        Owner::Toolchain => "the toolchain".into(),
        Owner::Package(p) => format!("package {p}"),
        Owner::Filesystem => "no package".into(),
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
    use crate::targets::model::every_alternative;

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
