//! The model's values as a person reads them: flags as the command-line words they stand for,
//! a toolchain, a dependency, a link line's places (`confess explain`, report.html,
//! `confess diff`).

use crate::model::{
    Arch, Assembler, Assembly, CFlag, Compiler, Cpu, Dep, Gpu, LDFlag, LinkItem, Owner,
    PackageMethod, Resource, Triple, Vendor, ABI, OS,
};
use std::fmt::Write;

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
        f => words(&crate::model::words::cflag(f, &same)),
    }
}

/// A link flag as the command-line words it stands for (`-Wl,-soname,libz.so.1`, `-pie`); a
/// raw flag as it was recorded.
#[must_use]
pub fn ldflag(f: &LDFlag) -> String {
    match f {
        LDFlag::Raw(r) | LDFlag::Compiler(CFlag::Raw(r)) => r.clone(),
        LDFlag::GroupDeps => "-Wl,--start-group ... -Wl,--end-group, around the libraries".into(),
        f => words(&crate::model::words::ldflag(f, &same)),
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

/// One assembler call as a line: `tag.s: as 2.40 --64 -Iinc --defsym TAG=42`.
#[must_use]
pub fn assembly(a: &Assembly) -> String {
    let version = match &a.assembler {
        Assembler::Nasm(v) | Assembler::Yasm(v) | Assembler::GnuAs(v) => &v.version,
    };
    let flags = crate::model::words::asm_flags(&a.assembler, &a.flags, &|p: &str| p.to_string());
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

/// A dependency as a person names it: a target's label (`:cjson`, `//lib:util`), a library
/// (`-lm`, `/usr/lib/x86_64-linux-gnu/libz.so`), a file, a pkg-config module
/// (`pkg-config zlib`), or a package and the libraries of it the target links.
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
