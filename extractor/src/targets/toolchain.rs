//! Toolchain: what the compilers and assemblers a build named say of themselves (asked once
//! per tool), the target triple, and an assembler's options typed.

use super::model::{
    Arch, AsmFlag, Assembler, Compiler, Cpu, Define, Gpu, NamedVersion, Triple, Vendor, Version,
    ABI, OS,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The toolchain facts of the tools a build named, each asked once.
pub(super) struct Toolchains<'a> {
    tree: &'a crate::tree::Tree,
    compilers: BTreeMap<String, Facts>,
    assemblers: BTreeMap<String, Assembler>,
}

impl<'a> Toolchains<'a> {
    /// No tool asked yet; tools run in `tree`.
    pub fn new(tree: &'a crate::tree::Tree) -> Self {
        Toolchains {
            tree,
            compilers: BTreeMap::new(),
            assemblers: BTreeMap::new(),
        }
    }

    /// What a compiler says of itself.
    pub fn compiler(&mut self, tool: &str) -> &Facts {
        self.compilers
            .entry(tool.to_string())
            .or_insert_with(|| ask_compiler(self.tree, tool))
    }

    /// The assembler `tool` (run as `program`: nasm, yasm, as), with the version it reports.
    pub fn assembler(&mut self, program: &str, tool: &str) -> Assembler {
        self.assemblers
            .entry(tool.to_string())
            .or_insert_with(|| ask_assembler(self.tree, program, tool))
            .clone()
    }
}

/// What a compiler says of itself.
pub(super) struct Facts {
    pub compiler: Compiler,
    pub triple: Triple,
    /// What `-dumpmachine` says, for the engine's triple.
    pub machine: String,
}

/// The version an assembler reports: nasm's `NASM version 2.16.01 ...`, yasm's `yasm 1.3.0`,
/// as's `GNU assembler (GNU Binutils for Debian) 2.40`.
fn ask_assembler(tree: &crate::tree::Tree, program: &str, tool: &str) -> Assembler {
    let flag = if program == "nasm" { "-v" } else { "--version" };
    let banner = tree.run(tool, &[flag]).unwrap_or_default();
    let line = banner.lines().next().unwrap_or_default();
    let version = match program {
        "nasm" => line
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1),
        _ => line.split_whitespace().last(),
    }
    .unwrap_or_default()
    .to_string();
    let v = Version { version };
    match program {
        "nasm" => Assembler::Nasm(v),
        "yasm" => Assembler::Yasm(v),
        _ => Assembler::GnuAs(v),
    }
}

/// The manifest's assembler for a tool, with no version.
#[must_use]
pub fn assembler_of(tool: confess_shims::asm::Assembler) -> Assembler {
    let v = Version {
        version: String::new(),
    };
    match tool {
        confess_shims::asm::Assembler::Nasm => Assembler::Nasm(v),
        confess_shims::asm::Assembler::Yasm => Assembler::Yasm(v),
        confess_shims::asm::Assembler::Gas => Assembler::GnuAs(v),
    }
}

/// An assembler's options, typed (paths as the manifests write them).
pub fn asm_flags(cmd: &confess_shims::asm::Command, path: &dyn Fn(&str) -> String) -> Vec<AsmFlag> {
    use confess_shims::asm::Opt;
    let mut out = Vec::new();
    for a in &cmd.args {
        match &a.opt {
            Opt::Input | Opt::Output(_) | Opt::Depend(_) | Opt::SideOutput => {}
            Opt::Format(f) => out.push(AsmFlag::Format(f.clone())),
            Opt::Include(d) => out.push(AsmFlag::Include(path(d))),
            Opt::Define(d) => out.push(AsmFlag::Define(match d.split_once('=') {
                Some((n, v)) => Define {
                    name: n.into(),
                    value: Some(v.into()),
                },
                None => Define {
                    name: d.clone(),
                    value: None,
                },
            })),
            Opt::Undefine(u) => out.push(AsmFlag::Undefine(u.clone())),
            Opt::PreInclude(f) => out.push(AsmFlag::PreInclude(path(f))),
            Opt::Debug(f) => out.push(AsmFlag::Debug(f.clone())),
            Opt::Optimize(o) => out.push(AsmFlag::Optimize(o.clone())),
            Opt::Warn(_) => out.push(AsmFlag::Warn(a.words.join(" "))),
            Opt::NotAssembling | Opt::Other => {
                out.extend(a.words.iter().map(|w| AsmFlag::Raw(w.clone())));
            }
        }
    }
    out
}

/// What the compiler the build named says of itself (its version and machine): the same
/// binary the configure phase ran.
fn ask_compiler(tree: &crate::tree::Tree, tool: &str) -> Facts {
    let run = |arg: &str| {
        tree.run(tool, &[arg])
            .map(|o| o.trim().to_string())
            .unwrap_or_default()
    };
    let banner = run("--version");
    let machine = run("-dumpmachine");
    let name = Path::new(tool)
        .file_name()
        .map_or_else(|| tool.to_string(), |n| n.to_string_lossy().into_owned());
    let compiler = if banner.contains("clang") {
        // clang's -dumpversion is the compatibility version; the banner has the real one.
        let v = banner
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        Compiler::Clang(Version { version: v })
    } else if banner.contains("Free Software Foundation") || banner.contains("GCC") {
        Compiler::GCC(Version {
            version: run("-dumpfullversion"),
        })
    } else {
        Compiler::Unknown(NamedVersion {
            name,
            version: run("-dumpversion"),
        })
    };
    Facts {
        compiler,
        triple: parse_triple(&machine),
        machine,
    }
}

#[must_use]
pub fn parse_triple(s: &str) -> Triple {
    let parts: Vec<&str> = s.split('-').collect();
    let (arch, vendor, os, abi) = match parts.as_slice() {
        [arch, os, abi] => (*arch, "unknown", *os, *abi),
        [arch, vendor, os, abi] => (*arch, *vendor, *os, *abi),
        [arch] if !arch.is_empty() => (*arch, "unknown", "none", "none"),
        _ => ("", "unknown", "none", "none"),
    };
    Triple {
        arch: match arch {
            "x86_64" => Arch::x86_64,
            "i686" | "i586" | "i386" => Arch::i686,
            "aarch64" => Arch::aarch64,
            "arm" | "armv7" | "armv7l" => Arch::arm,
            "riscv64" => Arch::riscv64,
            "powerpc64le" => Arch::powerpc64le,
            "s390x" => Arch::s390x,
            other => Arch::Other(other.to_string()),
        },
        vendor: match vendor {
            "unknown" => Vendor::unknown,
            "pc" => Vendor::pc,
            "apple" => Vendor::apple,
            other => Vendor::Other(other.to_string()),
        },
        os: match os {
            "linux" => OS::linux,
            "darwin" => OS::darwin,
            "windows" | "mingw32" => OS::windows,
            "freebsd" => OS::freebsd,
            "none" | "elf" => OS::none,
            other => OS::Other(other.to_string()),
        },
        abi: match abi {
            "gnu" => ABI::gnu,
            "gnueabihf" => ABI::gnueabihf,
            "musl" => ABI::musl,
            "android" => ABI::android,
            "msvc" => ABI::msvc,
            "none" => ABI::none,
            other => ABI::Other(other.to_string()),
        },
        cpu: Cpu::generic,
        gpu: Gpu::NoGPU,
    }
}
