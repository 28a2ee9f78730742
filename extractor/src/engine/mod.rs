//! The engine's form of the targets: what a BUILD.dhall holds for the hermetic engine
//! (armitage), exactly its `List Target` and nothing more. confess declares the engine's types
//! in `extractor/dhall/engine/` (written into every output directory as `dhall/engine/`);
//! what the engine's Target cannot say stays in confess's own form (`BUILD.confess.dhall`).

pub mod flags;
pub mod model;
pub mod render;

use crate::model as own;

/// The revision of the engine's `src/armitage/dhall/` that the declaration matches.
pub const REVISION: &str = "97d67d4bac2a4cd8290c4fc52629455854e6cc9f";

/// confess's declaration of the engine's types: file name and text, as the engine names its
/// files, so that a checkout of the engine's own folder can stand in for it.
pub const DECLARATION: [(&str, &str); 6] = [
    (
        "Build.dhall",
        include_str!("../../dhall/engine/Build.dhall"),
    ),
    (
        "CFlags.dhall",
        include_str!("../../dhall/engine/CFlags.dhall"),
    ),
    (
        "LDFlags.dhall",
        include_str!("../../dhall/engine/LDFlags.dhall"),
    ),
    (
        "Resource.dhall",
        include_str!("../../dhall/engine/Resource.dhall"),
    ),
    (
        "Toolchain.dhall",
        include_str!("../../dhall/engine/Toolchain.dhall"),
    ),
    (
        "Triple.dhall",
        include_str!("../../dhall/engine/Triple.dhall"),
    ),
];

/// What the engine's types cannot say of a toolchain: the part, the value, and where it came
/// from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lacks {
    /// The engine's type that has no alternative for it (`Arch`, `ABI`, `Compiler`).
    pub part: String,
    pub value: String,
    /// What it was read from (`the compiler's triple i686-linux-gnu`).
    pub source: String,
}

impl std::fmt::Display for Lacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the engine's {} has no alternative for `{}` ({})",
            self.part, self.value, self.source
        )
    }
}

/// The engine's triple of a compiler's machine (`gcc -dumpmachine`). Three parts are
/// arch-os-abi with no vendor, which the engine (like LLVM, whose triples it renders) spells
/// `unknown`: `x86_64-linux-gnu` is `x86_64-unknown-linux-gnu`. The cpu is the compiler's
/// default (`generic`; `-march` and `-mtune` stay flags of the targets that give them) and
/// there is no GPU.
pub fn triple(machine: &str) -> Result<model::Triple, Lacks> {
    use model::{Arch, Cpu, Gpu, Triple, Vendor, ABI, OS};
    let lacks = |part: &str, value: &str| Lacks {
        part: part.into(),
        value: value.into(),
        source: format!("the compiler's triple is `{machine}`"),
    };
    let parts: Vec<&str> = machine.split('-').collect();
    let (arch, vendor, os, abi) = match parts.as_slice() {
        [a, o] => (*a, "unknown", *o, ""),
        [a, o, b] if !matches!(*o, "pc" | "unknown" | "apple" | "nvidia") => {
            (*a, "unknown", *o, *b)
        }
        [a, v, o] => (*a, *v, *o, ""),
        [a, v, o, b] => (*a, *v, *o, *b),
        _ => return Err(lacks("Triple", machine)),
    };
    Ok(Triple {
        arch: match arch {
            "x86_64" | "amd64" => Arch::x86_64,
            "aarch64" | "arm64" => Arch::aarch64,
            "riscv64" => Arch::riscv64,
            "wasm32" => Arch::wasm32,
            "armv7" | "armv7l" | "armv7a" => Arch::armv7,
            a => return Err(lacks("Arch", a)),
        },
        vendor: match vendor {
            "unknown" => Vendor::unknown,
            "pc" => Vendor::pc,
            "apple" => Vendor::apple,
            "nvidia" => Vendor::nvidia,
            v => return Err(lacks("Vendor", v)),
        },
        os: match os {
            "linux" => OS::linux,
            o if o.starts_with("darwin") => OS::darwin,
            "windows" => OS::windows,
            "wasi" => OS::wasi,
            "none" => OS::none,
            o => return Err(lacks("OS", o)),
        },
        abi: match abi {
            "gnu" => ABI::gnu,
            "musl" => ABI::musl,
            "eabi" => ABI::eabi,
            "eabihf" => ABI::eabihf,
            "msvc" => ABI::msvc,
            "" => ABI::none,
            b => return Err(lacks("ABI", b)),
        },
        cpu: Cpu::generic,
        gpu: Gpu::none,
    })
}

/// The engine's compiler for confess's, when the engine has it.
pub fn compiler(c: &own::Compiler) -> Result<model::Compiler, Lacks> {
    use model::{Compiler as E, Version as V};
    let v = |x: &own::Version| V {
        version: x.version.clone(),
    };
    Ok(match c {
        own::Compiler::GCC(x) => E::GCC(v(x)),
        own::Compiler::Clang(x) => E::Clang(v(x)),
        own::Compiler::NVClang(x) => E::NVClang(v(x)),
        own::Compiler::NVCC(x) => E::NVCC(v(x)),
        own::Compiler::Rustc(x) => E::Rustc(v(x)),
        own::Compiler::GHC(x) => E::GHC(v(x)),
        own::Compiler::Lean(x) => E::Lean(v(x)),
        own::Compiler::Unknown(n) => {
            return Err(Lacks {
                part: "Compiler".into(),
                value: n.name.clone(),
                source: format!(
                    "the build compiles with `{}`, version `{}`, neither gcc nor clang",
                    n.name, n.version
                ),
            })
        }
    })
}

/// A colon-separated list of directories (an rpath) with each directory passed through `path`;
/// `$ORIGIN` and the like, and empty entries, as written. Used both ways: recorded paths to
/// manifest paths (`flags`), and back (`render`).
pub fn map_dirs(v: &str, path: &dyn Fn(&str) -> String) -> String {
    v.split(':')
        .map(|d| {
            if d.is_empty() || d.starts_with('$') {
                d.to_string()
            } else {
                path(d)
            }
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// The engine's requirements: a pure build is the empty list.
#[must_use]
pub fn requires(r: &[own::Resource]) -> Vec<model::Resource> {
    r.iter()
        .filter_map(|x| match x {
            own::Resource::Pure => None,
            own::Resource::Network => Some(model::Resource::Network),
            own::Resource::Auth(s) => Some(model::Resource::Auth(s.clone())),
            own::Resource::Sandbox(s) => Some(model::Resource::Sandbox(s.clone())),
            own::Resource::Filesystem(s) => Some(model::Resource::Filesystem(s.clone())),
        })
        .collect()
}

/// The engine's flags of one target, worked out from its recorded commands
/// (`engine::flags`): those of the compile most of its C sources share, of its C++ sources,
/// and of its link.
pub struct Flags {
    pub cflags: Vec<model::CFlag>,
    pub cxxflags: Vec<model::CFlag>,
    pub ldflags: Vec<model::LDFlag>,
}

/// `sha256:HEX` of a file's bytes: how the engine's `External` names content.
pub fn content_hash(path: &std::path::Path) -> std::io::Result<String> {
    Ok(format!("sha256:{}", confess_shims::token::hash_file(path)?))
}

/// Whether a manifest path is in the project's trees (the source tree, the build tree) rather
/// than outside (absolute, or confess's output directory).
fn in_project(p: &str) -> bool {
    !(p.starts_with('/') || p.starts_with("[out]"))
}

/// The engine's form of one of confess's targets. `machine` is the compiler's triple
/// (`-dumpmachine`); `hash_of` gives the content hash (`sha256:HEX`) of a file a manifest
/// names (what the project takes from outside). Sources are the compiled sources, then prebuilt files of the project
/// the link reads; deps are the project's targets (`Local`), then what comes from outside:
/// libraries named by a path and other outside files as `External` (sha256 and path),
/// pkg-config modules, and content the build fetched. `-l` libraries from outside are `Lib`
/// flags of the link, in `flags.ldflags`.
pub fn project(
    t: &own::Target,
    flags: Flags,
    machine: &str,
    hash_of: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<model::Target, Lacks> {
    let compiler = compiler(&t.toolchain.compiler)?;
    let triple = triple(machine)?;
    let external = |p: &str| -> Result<model::Dep, Lacks> {
        let hash = hash_of(p).map_err(|e| Lacks {
            part: "Dep.External".into(),
            value: p.into(),
            source: format!(
                "the target {} links it, and it cannot be read to hash it: {e}",
                t.name
            ),
        })?;
        Ok(model::Dep::External(model::External {
            hash,
            name: p.into(),
        }))
    };
    // Each file once: the engine compiles a file once per target, with the target's flags (a
    // source compiled twice, once per variant, is a companion's matter).
    let mut srcs: Vec<String> = match &t.srcs {
        own::Src::Files(f) => {
            let mut seen = std::collections::BTreeSet::new();
            f.iter().filter(|s| seen.insert(*s)).cloned().collect()
        }
        _ => Vec::new(),
    };
    let mut deps = Vec::new();
    for d in &t.deps {
        match d {
            own::Dep::Local(r) => deps.push(model::Dep::Local(r.clone())),
            own::Dep::External(e) => deps.push(model::Dep::External(model::External {
                hash: e.hash.clone(),
                name: e.name.clone(),
            })),
            own::Dep::PkgConfig(m) => deps.push(model::Dep::PkgConfig(m.clone())),
            own::Dep::Flake(f) => deps.push(model::Dep::Flake(f.clone())),
            own::Dep::Library(l) if l.contains('/') => deps.push(external(l)?),
            own::Dep::Library(_) => {}
            own::Dep::Package(p) => {
                for l in p.libraries.iter().filter(|l| l.contains('/')) {
                    deps.push(external(l)?);
                }
            }
            own::Dep::File(f) if in_project(f) => srcs.push(f.clone()),
            own::Dep::File(f) => deps.push(external(f)?),
        }
    }
    Ok(model::Target {
        name: t.name.clone(),
        srcs: match &t.srcs {
            own::Src::Files(_) => model::Src::Files(srcs),
            own::Src::Fetch(f) => model::Src::Fetch(model::Fetch {
                url: f.url.clone(),
                hash: f.hash.clone(),
            }),
            own::Src::Git(g) => model::Src::Git(model::Git {
                url: g.url.clone(),
                rev: g.rev.clone(),
                hash: g.hash.clone(),
            }),
        },
        deps,
        toolchain: model::Toolchain {
            compiler,
            host: triple,
            target: triple,
            cflags: flags.cflags,
            cxxflags: flags.cxxflags,
            ldflags: flags.ldflags,
            sysroot: t.toolchain.sysroot.clone(),
        },
        requires: requires(&t.requires),
    })
}

/// One BUILD.dhall of the engine form: the source directory and its targets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Package {
    pub dir: String,
    pub targets: Vec<model::Target>,
}

/// What a Raw flag of the engine form is, for report.md's count per kind: the family of the
/// word (`-f`, `-W`, `-std=`, `-Wl,`), so a reader sees what the engine's vocabulary lacks. On a
/// link line (`link`), a compiler option the driver passes on (`-O2`, `-g`, `-fPIC`) is one
/// kind: the engine's LDFlag has no compiler options.
#[must_use]
pub fn raw_kind(word: &str, link: bool) -> String {
    if link && !word.starts_with("-Wl,") && !word.starts_with("-Xlinker") && word.starts_with('-') {
        return "compiler option on a link line".to_string();
    }
    let kinds = [
        ("-Wl,", "-Wl, (linker option)"),
        ("-Wa,", "-Wa, (assembler option)"),
        ("-Wp,", "-Wp, (preprocessor option)"),
        ("-std=", "-std= (a standard the engine lacks)"),
        ("-fvisibility", "-fvisibility="),
        ("-fstack-protector", "-fstack-protector"),
        ("-f", "-f (code generation or language feature)"),
        ("-W", "-W (warning)"),
        ("-pedantic", "-W (warning)"),
        ("-m", "-m (machine option)"),
        ("-O", "-O (optimization level the engine lacks)"),
        ("-g", "-g (debug format)"),
        ("-D", "-D"),
        ("-i", "-i (include path or file)"),
        ("-l", "-l"),
        ("-L", "-L"),
        ("-", "other option"),
    ];
    for (prefix, kind) in kinds {
        if word.starts_with(prefix) {
            return kind.to_string();
        }
    }
    "a value of the option before it".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::*;

    #[test]
    fn triples_from_the_compiler_machine() {
        let t = triple("x86_64-linux-gnu").expect("x86_64 linux");
        assert_eq!(
            (t.arch, t.vendor, t.os, t.abi, t.cpu, t.gpu),
            (
                Arch::x86_64,
                Vendor::unknown,
                OS::linux,
                ABI::gnu,
                Cpu::generic,
                Gpu::none
            )
        );
        let t = triple("x86_64-pc-linux-gnu").expect("with a vendor");
        assert_eq!(t.vendor, Vendor::pc);
        let t = triple("aarch64-linux-musl").expect("aarch64 musl");
        assert_eq!((t.arch, t.abi), (Arch::aarch64, ABI::musl));
        let t = triple("x86_64-apple-darwin23.1.0").expect("darwin");
        assert_eq!(
            (t.vendor, t.os, t.abi),
            (Vendor::apple, OS::darwin, ABI::none)
        );
        let t = triple("wasm32-wasi").expect("wasi");
        assert_eq!((t.arch, t.os, t.abi), (Arch::wasm32, OS::wasi, ABI::none));
    }

    #[test]
    fn a_triple_the_engine_cannot_say_names_the_part_it_lacks() {
        let e = triple("i686-linux-gnu").expect_err("no i686");
        assert_eq!((e.part.as_str(), e.value.as_str()), ("Arch", "i686"));
        assert!(e.to_string().contains("i686-linux-gnu"), "{e}");
        let e = triple("arm-linux-gnueabihf").expect_err("arm is not armv7");
        assert_eq!(e.part, "Arch");
        let e = triple("armv7l-linux-gnueabihf").expect_err("glibc eabihf");
        assert_eq!((e.part.as_str(), e.value.as_str()), ("ABI", "gnueabihf"));
        let e = triple("x86_64-unknown-freebsd14").expect_err("freebsd");
        assert_eq!(e.part, "OS");
        let e = triple("").expect_err("nothing");
        assert_eq!(e.part, "Triple");
    }

    #[test]
    fn a_compiler_the_engine_cannot_say_is_refused() {
        let e = compiler(&own::Compiler::Unknown(own::NamedVersion {
            name: "tcc".into(),
            version: "0.9.27".into(),
        }))
        .expect_err("tcc");
        assert_eq!(e.part, "Compiler");
        assert_eq!(
            compiler(&own::Compiler::GCC(own::Version {
                version: "12.2.0".into()
            })),
            Ok(model::Compiler::GCC(model::Version {
                version: "12.2.0".into()
            }))
        );
    }

    #[test]
    fn raw_words_are_counted_by_family() {
        assert_eq!(
            raw_kind("-std=gnu99", false),
            "-std= (a standard the engine lacks)"
        );
        assert_eq!(raw_kind("-fvisibility=hidden", false), "-fvisibility=");
        assert_eq!(raw_kind("-Wshadow", false), "-W (warning)");
        assert_eq!(raw_kind("-pedantic-errors", false), "-W (warning)");
        assert_eq!(
            raw_kind("config.h", false),
            "a value of the option before it"
        );
        assert_eq!(raw_kind("-Wl,-z,relro", true), "-Wl, (linker option)");
        assert_eq!(raw_kind("-O2", true), "compiler option on a link line");
    }

    #[test]
    fn a_pure_build_is_the_empty_list() {
        assert_eq!(requires(&[own::Resource::Pure]), vec![]);
        assert_eq!(
            requires(&[own::Resource::Filesystem("/etc/x".into())]),
            vec![model::Resource::Filesystem("/etc/x".into())]
        );
    }
}
