// Included by tests/dhall.rs too (`include!`): no inner attributes here.

use super::{
    Arch, AsmFlag, Assembler, Assembly, CFlag, Compiler, Cpu, Define, Dep, ExternalRef, Feature,
    Fetch, Generated, Git, Gpu, LDFlag, LinkItem, LinkOption, Lto, NamedVersion, OptLevel, Origin,
    OutsideHeader, Override, Owner, Package, PackageMethod, PackageRef, Param, Producer, Program,
    Resource, Src, StackProtector, Std, SymbolVisibility, Target, TargetKind, Toolchain, Triple,
    Vendor, Version, Visibility, ABI, OS,
};

/// A package whose targets use every alternative of every union of the schema: what the tests
/// render, type-check and read back, so that the schema, the renderer and this model cannot
/// drift apart on an alternative no fixture happens to use.
#[must_use]
pub fn every_alternative() -> Package {
    let cflags = every_cflag();
    let ldflags = every_ldflag();
    let triples = triples();
    let compilers = compilers();
    let deps = every_dep();
    let srcs = [
        Src::Files(vec!["a.c".into(), "[build]/gen.c".into()]),
        Src::Fetch(Fetch {
            url: "https://example.org/x.tar.gz".into(),
            hash: "sha256-00".into(),
        }),
        Src::Git(Git {
            url: "https://example.org/x.git".into(),
            rev: "v1".into(),
            hash: "sha256-11".into(),
        }),
        Src::Files(Vec::new()),
    ];
    let kinds = [
        TargetKind::Executable,
        TargetKind::StaticLibrary,
        TargetKind::SharedLibrary,
        TargetKind::ObjectLibrary,
    ];
    // Nine targets: the engine form of the same package needs nine to use every alternative of
    // its Cpu (two per target), and both forms name the same targets.
    let targets = (0..9)
        .map(|i| {
            let first = i == 0;
            let only_first = |v: Vec<_>| if first { v } else { Vec::new() };
            Target {
                name: format!("t{i}"),
                kind: kinds[i % 4],
                output: format!("[build]/t{i}"),
                aliases: only_first(vec!["[build]/t0.copy".into()]),
                srcs: srcs[i % 4].clone(),
                headers: only_first(vec!["a.h".into()]),
                outside_headers: if first { outside_headers() } else { Vec::new() },
                deps: if first { deps.clone() } else { Vec::new() },
                toolchain: Toolchain {
                    compiler: compilers[i % 8].clone(),
                    host: triples[i % 8].clone(),
                    target: triples[(i + 1) % 8].clone(),
                    cflags: if first { cflags.clone() } else { Vec::new() },
                    cxxflags: if i == 1 { cflags.clone() } else { Vec::new() },
                    ldflags: if first { ldflags.clone() } else { Vec::new() },
                    sysroot: (i == 2).then(|| "/sysroot".into()),
                },
                overrides: if first { overrides() } else { Vec::new() },
                assembled: if first { assembled() } else { Vec::new() },
                link: if first { link() } else { Vec::new() },
                generated: if first { generated() } else { Vec::new() },
                requires: if first {
                    vec![
                        Resource::Filesystem("/opt/x.h".into()),
                        Resource::Network,
                        Resource::Auth("token".into()),
                        Resource::Sandbox("none".into()),
                    ]
                } else {
                    vec![Resource::Pure]
                },
                visibility: if i % 2 == 0 {
                    Visibility::Public
                } else {
                    Visibility::Private
                },
                origin: first.then(|| Origin {
                    file: "CMakeLists.txt".into(),
                    line: 7,
                }),
            }
        })
        .collect();
    Package {
        dir: "every alternative".into(),
        targets,
    }
}

/// Every alternative of `CFlag`.
fn every_cflag() -> Vec<CFlag> {
    let d = |n: &str, v: Option<&str>| Define {
        name: n.into(),
        value: v.map(str::to_string),
    };
    let mut cflags = vec![
        CFlag::Debug(3),
        CFlag::DebugFormat("gdb".into()),
        CFlag::LTO(Lto::Full),
        CFlag::LTO(Lto::Thin),
        CFlag::LTO(Lto::Auto),
        CFlag::LTO(Lto::Jobs(4)),
        CFlag::NoLTO,
        CFlag::Define(d("A", None)),
        CFlag::Define(d("B", Some("\"quoted\" ${x} \\ $"))),
        CFlag::Undefine("C".into()),
        CFlag::Include("inc".into()),
        CFlag::System("[build]/sys".into()),
        CFlag::Quote("q".into()),
        CFlag::DirAfter("/opt/after".into()),
        CFlag::IncludeFile("pre.h".into()),
        CFlag::MacrosFile("m.h".into()),
        CFlag::NoStdInc,
        CFlag::PIC,
        CFlag::SmallPIC,
        CFlag::PIE,
        CFlag::SmallPIE,
        CFlag::NoPIC,
        CFlag::NoStackProtector,
        CFlag::Pthread,
        CFlag::Warn("all".into()),
        CFlag::NoWarn("unused".into()),
        CFlag::WarnError("format".into()),
        CFlag::WarningsAsErrors,
        CFlag::Pedantic,
        CFlag::PedanticErrors,
        CFlag::NoWarnings,
        CFlag::Feature(Feature {
            name: "common".into(),
            enabled: false,
        }),
        CFlag::March("native".into()),
        CFlag::Mtune("generic".into()),
        CFlag::Machine("64".into()),
        CFlag::Language("c".into()),
        CFlag::Param(Param {
            name: "max-inline-insns-single".into(),
            value: "100".into(),
        }),
        CFlag::Assembler("--noexecstack".into()),
        CFlag::Raw("--frobnicate".into()),
    ];
    cflags.extend(enumerated_cflags());
    cflags
}

/// The flags that take one of an enumeration: each alternative of each.
fn enumerated_cflags() -> Vec<CFlag> {
    let mut cflags = Vec::new();
    for o in [
        OptLevel::O0,
        OptLevel::O1,
        OptLevel::O2,
        OptLevel::O3,
        OptLevel::Os,
        OptLevel::Oz,
        OptLevel::Ofast,
        OptLevel::Og,
    ] {
        cflags.push(CFlag::Optimize(o));
    }
    for s in [
        Std::C89,
        Std::C99,
        Std::C11,
        Std::C17,
        Std::C23,
        Std::GNU89,
        Std::GNU99,
        Std::GNU11,
        Std::GNU17,
        Std::GNU23,
        Std::CXX98,
        Std::CXX03,
        Std::CXX11,
        Std::CXX14,
        Std::CXX17,
        Std::CXX20,
        Std::CXX23,
        Std::CXX26,
        Std::GNUXX98,
        Std::GNUXX03,
        Std::GNUXX11,
        Std::GNUXX14,
        Std::GNUXX17,
        Std::GNUXX20,
        Std::GNUXX23,
        Std::GNUXX26,
    ] {
        cflags.push(CFlag::Std(s));
    }
    for v in [
        SymbolVisibility::Default,
        SymbolVisibility::Hidden,
        SymbolVisibility::Internal,
        SymbolVisibility::Protected,
    ] {
        cflags.push(CFlag::Visibility(v));
    }
    for p in [
        StackProtector::Basic,
        StackProtector::Strong,
        StackProtector::All,
        StackProtector::Explicit,
    ] {
        cflags.push(CFlag::StackProtector(p));
    }
    cflags
}

/// Every alternative of `LDFlag`.
fn every_ldflag() -> Vec<LDFlag> {
    vec![
        LDFlag::LibPath("lib".into()),
        LDFlag::Rpath("$ORIGIN".into()),
        LDFlag::RpathLink("[build]/lib".into()),
        LDFlag::GroupDeps,
        LDFlag::Soname("libz.so.1".into()),
        LDFlag::VersionScript("z.map".into()),
        LDFlag::ExportDynamic,
        LDFlag::AsNeeded,
        LDFlag::NoAsNeeded,
        LDFlag::NoUndefined,
        LDFlag::GcSections,
        LDFlag::ZKeyword("relro".into()),
        LDFlag::LinkerOptimize(1),
        LDFlag::BuildId(None),
        LDFlag::BuildId(Some("sha1".into())),
        LDFlag::HashStyle("gnu".into()),
        LDFlag::Static,
        LDFlag::StaticLibgcc,
        LDFlag::StaticLibstdcxx,
        LDFlag::PIE,
        LDFlag::NoPIE,
        LDFlag::Strip,
        LDFlag::Script("link.ld".into()),
        LDFlag::Entry("start".into()),
        LDFlag::UndefinedSymbol("sym".into()),
        LDFlag::NoStdLib,
        LDFlag::NoDefaultLibs,
        LDFlag::NoStartFiles,
        LDFlag::Compiler(CFlag::Optimize(OptLevel::O2)),
        LDFlag::Compiler(CFlag::LTO(Lto::Jobs(2))),
        LDFlag::Raw("-Wl,--frobnicate".into()),
    ]
}

/// Triples with every alternative of their unions.
fn triples() -> [Triple; 8] {
    let triple = |arch, vendor, os, abi, cpu, gpu| Triple {
        arch,
        vendor,
        os,
        abi,
        cpu,
        gpu,
    };
    [
        triple(
            Arch::x86_64,
            Vendor::unknown,
            OS::linux,
            ABI::gnu,
            Cpu::generic,
            Gpu::NoGPU,
        ),
        triple(
            Arch::i686,
            Vendor::pc,
            OS::windows,
            ABI::msvc,
            Cpu::native,
            Gpu::SM(90),
        ),
        triple(
            Arch::aarch64,
            Vendor::apple,
            OS::darwin,
            ABI::none,
            Cpu::Named("m1".into()),
            Gpu::NoGPU,
        ),
        triple(
            Arch::arm,
            Vendor::Other("v".into()),
            OS::freebsd,
            ABI::gnueabihf,
            Cpu::generic,
            Gpu::NoGPU,
        ),
        triple(
            Arch::riscv64,
            Vendor::unknown,
            OS::none,
            ABI::musl,
            Cpu::generic,
            Gpu::NoGPU,
        ),
        triple(
            Arch::powerpc64le,
            Vendor::unknown,
            OS::Other("aix".into()),
            ABI::android,
            Cpu::generic,
            Gpu::NoGPU,
        ),
        triple(
            Arch::s390x,
            Vendor::unknown,
            OS::linux,
            ABI::Other("x".into()),
            Cpu::generic,
            Gpu::NoGPU,
        ),
        triple(
            Arch::Other("mips".into()),
            Vendor::unknown,
            OS::linux,
            ABI::gnu,
            Cpu::generic,
            Gpu::NoGPU,
        ),
    ]
}

/// Every alternative of `Compiler`.
fn compilers() -> [Compiler; 8] {
    let version = |v: &str| Version { version: v.into() };
    [
        Compiler::GCC(version("12.2.0")),
        Compiler::Clang(version("16.0.6")),
        Compiler::NVClang(version("1")),
        Compiler::NVCC(version("12")),
        Compiler::Rustc(version("1.89")),
        Compiler::GHC(version("9.4")),
        Compiler::Lean(version("4")),
        Compiler::Unknown(NamedVersion {
            name: "tcc".into(),
            version: "0.9".into(),
        }),
    ]
}

/// Every alternative of `Dep` (and of `PackageMethod`).
fn every_dep() -> Vec<Dep> {
    vec![
        Dep::Local(":t1".into()),
        Dep::External(ExternalRef {
            hash: "SHA256=00".into(),
            name: "fmt".into(),
        }),
        Dep::PkgConfig("zlib".into()),
        Dep::Flake("nixpkgs#zlib".into()),
        Dep::Package(PackageRef {
            name: "ZLIB".into(),
            method: PackageMethod::FindPackage,
            version: "1.3".into(),
            libraries: vec!["/usr/lib/x86_64-linux-gnu/libz.so".into()],
        }),
        Dep::Package(PackageRef {
            name: "z".into(),
            method: PackageMethod::PkgConfig,
            version: String::new(),
            libraries: Vec::new(),
        }),
        Dep::Package(PackageRef {
            name: "f".into(),
            method: PackageMethod::FetchContent,
            version: String::new(),
            libraries: Vec::new(),
        }),
        Dep::Library("m".into()),
        Dep::File("prebuilt/libp.a".into()),
    ]
}

/// Headers from outside with every alternative of `Owner`.
fn outside_headers() -> Vec<OutsideHeader> {
    vec![
        OutsideHeader {
            path: "/usr/include/stdio.h".into(),
            owner: Owner::Toolchain,
        },
        OutsideHeader {
            path: "[out]/fake/w/w.h".into(),
            owner: Owner::Package("W".into()),
        },
        OutsideHeader {
            path: "/opt/x.h".into(),
            owner: Owner::Filesystem,
        },
    ]
}

/// Overrides, of a source and of one compile of a source.
fn overrides() -> Vec<Override> {
    vec![
        Override {
            src: "a.c".into(),
            object: None,
            flags: vec![CFlag::Optimize(OptLevel::O0)],
        },
        Override {
            src: "b.c".into(),
            object: Some("[build]/b16.o".into()),
            flags: vec![CFlag::Define(Define {
                name: "BITS".into(),
                value: Some("16".into()),
            })],
        },
    ]
}

/// Assembled sources with every alternative of `Assembler` and `AsmFlag`.
fn assembled() -> Vec<Assembly> {
    let v = |s: &str| Version { version: s.into() };
    vec![
        Assembly {
            src: "x.asm".into(),
            object: None,
            assembler: Assembler::Nasm(v("2.16.01")),
            flags: vec![
                AsmFlag::Format("elf64".into()),
                AsmFlag::Include("inc".into()),
                AsmFlag::Define(Define {
                    name: "PIC".into(),
                    value: None,
                }),
                AsmFlag::Undefine("X".into()),
                AsmFlag::PreInclude("[build]/config.asm".into()),
                AsmFlag::Debug(None),
                AsmFlag::Debug(Some("dwarf".into())),
                AsmFlag::Optimize("x".into()),
                AsmFlag::Warn("+all".into()),
                AsmFlag::Raw("--prefix _".into()),
            ],
        },
        Assembly {
            src: "y.asm".into(),
            object: Some("[build]/y8.o".into()),
            assembler: Assembler::Yasm(v("1.3.0")),
            flags: Vec::new(),
        },
        Assembly {
            src: "z.s".into(),
            object: None,
            assembler: Assembler::GnuAs(v("2.40")),
            flags: Vec::new(),
        },
    ]
}

/// A link line with every alternative of `LinkItem` and `LinkOption`.
fn link() -> Vec<LinkItem> {
    let mut items = vec![
        LinkItem::Source("a.c".into()),
        LinkItem::Object("[build]/b16.o".into()),
        LinkItem::Dep(Dep::Local(":t2".into())),
    ];
    items.extend(
        [
            LinkOption::StartGroup,
            LinkOption::EndGroup,
            LinkOption::WholeArchive,
            LinkOption::NoWholeArchive,
            LinkOption::StaticLibs,
            LinkOption::SharedLibs,
            LinkOption::AsNeeded,
            LinkOption::NoAsNeeded,
        ]
        .map(LinkItem::Option),
    );
    items
}

/// Generated files with every alternative of `Producer`.
fn generated() -> Vec<Generated> {
    vec![
        Generated {
            path: "[build]/gen.c".into(),
            producer: Producer::Program(Program {
                tool: ":gen".into(),
                argv: vec!["--out".into(), "gen.c".into()],
                cwd: "[build]".into(),
            }),
        },
        Generated {
            path: "[build]/config.h".into(),
            producer: Producer::Unrecorded,
        },
    ]
}
