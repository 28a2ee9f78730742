//! The engine's manifest types as Rust values: each type is exactly one type of the engine's
//! Dhall interface (`extractor/dhall/engine/`, docs/dhall-schema.md), so that a BUILD.dhall
//! reads back through serde_dhall with its type checked against these (`StaticType`).

use serde::{Deserialize, Serialize};
use serde_dhall::StaticType;

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Arch {
    x86_64,
    aarch64,
    riscv64,
    wasm32,
    armv7,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Vendor {
    unknown,
    pc,
    apple,
    nvidia,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum OS {
    linux,
    darwin,
    windows,
    wasi,
    none,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum ABI {
    gnu,
    musl,
    eabi,
    eabihf,
    msvc,
    none,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Cpu {
    generic,
    native,
    x86_64_v2,
    x86_64_v3,
    x86_64_v4,
    znver3,
    znver4,
    znver5,
    sapphirerapids,
    alderlake,
    neoverse_v2,
    neoverse_n2,
    cortex_a78ae,
    cortex_a78c,
    apple_m1,
    apple_m2,
    apple_m3,
    apple_m4,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Gpu {
    none,
    sm_80,
    sm_86,
    sm_89,
    sm_90,
    sm_90a,
    sm_87,
    sm_100,
    sm_100a,
    sm_120,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Triple {
    pub arch: Arch,
    pub vendor: Vendor,
    pub os: OS,
    pub abi: ABI,
    pub cpu: Cpu,
    pub gpu: Gpu,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Version {
    pub version: String,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Compiler {
    Clang(Version),
    NVClang(Version),
    GCC(Version),
    NVCC(Version),
    Rustc(Version),
    GHC(Version),
    Lean(Version),
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum CStd {
    c89,
    c99,
    c11,
    c17,
    c23,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum CxxStd {
    cxx11,
    cxx14,
    cxx17,
    cxx20,
    cxx23,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum OptLevel {
    O0,
    O1,
    O2,
    O3,
    Os,
    Oz,
    Og,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum LTOMode {
    off,
    thin,
    full,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Sanitizer {
    address,
    memory,
    thread,
    undefined,
    leak,
}

#[allow(non_camel_case_types)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum DebugLevel {
    g0,
    g1,
    g2,
    g3,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Define {
    pub name: String,
    pub value: Option<String>,
}

/// A compile flag of the engine. Variant names are the Dhall alternatives.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum CFlag {
    Opt(OptLevel),
    LTO(LTOMode),
    StdC(CStd),
    StdCxx(CxxStd),
    Wall,
    Wextra,
    Werror,
    Wpedantic,
    Wno(String),
    Define(Define),
    Undef(String),
    Include(String),
    System(String),
    PIC,
    PIE,
    Static,
    Shared,
    March(String),
    Mtune(String),
    Native,
    Debug(DebugLevel),
    Sanitize(Sanitizer),
    FunctionSections,
    DataSections,
    NoExceptions,
    NoRTTI,
    Pthread,
    Raw(String),
}

/// A link flag of the engine.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum LDFlag {
    Static,
    Shared,
    Pie,
    NoPie,
    Relocatable,
    Lib(String),
    LibPath(String),
    Rpath(String),
    RpathLink(String),
    Strip,
    StripDebug,
    ExportDynamic,
    AsNeeded,
    NoAsNeeded,
    GcSections,
    NoGcSections,
    PrintGcSections,
    Soname(String),
    VersionScript(String),
    LTOJobs(u64),
    Raw(String),
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Toolchain {
    pub compiler: Compiler,
    pub host: Triple,
    pub target: Triple,
    pub cflags: Vec<CFlag>,
    pub cxxflags: Vec<CFlag>,
    pub ldflags: Vec<LDFlag>,
    pub sysroot: Option<String>,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct External {
    pub hash: String,
    pub name: String,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Dep {
    Local(String),
    External(External),
    PkgConfig(String),
    Flake(String),
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Fetch {
    pub url: String,
    pub hash: String,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Git {
    pub url: String,
    pub rev: String,
    pub hash: String,
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Src {
    Files(Vec<String>),
    Fetch(Fetch),
    Git(Git),
}

#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub enum Resource {
    Pure,
    Network,
    Auth(String),
    Sandbox(String),
    Filesystem(String),
}

/// The engine's Target: exactly these five fields.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, StaticType,
)]
pub struct Target {
    pub name: String,
    pub srcs: Src,
    pub deps: Vec<Dep>,
    pub toolchain: Toolchain,
    pub requires: Vec<Resource>,
}

/// Targets that use every alternative of every union of the engine's types: what the tests
/// render, type-check against the declaration and read back, so that the declaration, the
/// renderer and these types cannot drift apart on an alternative no fixture happens to use.
#[doc(hidden)]
pub fn every_alternative() -> Vec<Target> {
    let s = |x: &str| x.to_string();
    let mut cflags = vec![
        CFlag::Wall,
        CFlag::Wextra,
        CFlag::Werror,
        CFlag::Wpedantic,
        CFlag::Wno(s("unused")),
        CFlag::Define(Define {
            name: s("A"),
            value: None,
        }),
        CFlag::Define(Define {
            name: s("B"),
            value: Some(s("\"q\" ${x} \\ $")),
        }),
        CFlag::Undef(s("C")),
        CFlag::Include(s("inc")),
        CFlag::System(s("[build]/sys")),
        CFlag::PIC,
        CFlag::PIE,
        CFlag::Static,
        CFlag::Shared,
        CFlag::March(s("x86-64-v3")),
        CFlag::Mtune(s("generic")),
        CFlag::Native,
        CFlag::FunctionSections,
        CFlag::DataSections,
        CFlag::NoExceptions,
        CFlag::NoRTTI,
        CFlag::Pthread,
        CFlag::Raw(s("-std=gnu99")),
    ];
    use OptLevel::*;
    cflags.extend([O0, O1, O2, O3, Os, Oz, Og].map(CFlag::Opt));
    cflags.extend([LTOMode::off, LTOMode::thin, LTOMode::full].map(CFlag::LTO));
    cflags.extend([CStd::c89, CStd::c99, CStd::c11, CStd::c17, CStd::c23].map(CFlag::StdC));
    cflags.extend(
        [
            CxxStd::cxx11,
            CxxStd::cxx14,
            CxxStd::cxx17,
            CxxStd::cxx20,
            CxxStd::cxx23,
        ]
        .map(CFlag::StdCxx),
    );
    cflags.extend(
        [
            DebugLevel::g0,
            DebugLevel::g1,
            DebugLevel::g2,
            DebugLevel::g3,
        ]
        .map(CFlag::Debug),
    );
    cflags.extend(
        [
            Sanitizer::address,
            Sanitizer::memory,
            Sanitizer::thread,
            Sanitizer::undefined,
            Sanitizer::leak,
        ]
        .map(CFlag::Sanitize),
    );
    let ldflags = vec![
        LDFlag::Static,
        LDFlag::Shared,
        LDFlag::Pie,
        LDFlag::NoPie,
        LDFlag::Relocatable,
        LDFlag::Lib(s("m")),
        LDFlag::LibPath(s("[build]/lib")),
        LDFlag::Rpath(s("$ORIGIN/../lib")),
        LDFlag::RpathLink(s("[build]")),
        LDFlag::Strip,
        LDFlag::StripDebug,
        LDFlag::ExportDynamic,
        LDFlag::AsNeeded,
        LDFlag::NoAsNeeded,
        LDFlag::GcSections,
        LDFlag::NoGcSections,
        LDFlag::PrintGcSections,
        LDFlag::Soname(s("libx.so.1")),
        LDFlag::VersionScript(s("x.map")),
        LDFlag::LTOJobs(4),
        LDFlag::Raw(s("-Wl,-z,relro")),
    ];
    let v = |x: &str| Version { version: s(x) };
    let compilers = [
        Compiler::Clang(v("16.0.6")),
        Compiler::NVClang(v("git")),
        Compiler::GCC(v("12.2.0")),
        Compiler::NVCC(v("12.4")),
        Compiler::Rustc(v("1.95.0")),
        Compiler::GHC(v("9.6")),
        Compiler::Lean(v("4.9")),
    ];
    let arch = [
        Arch::x86_64,
        Arch::aarch64,
        Arch::riscv64,
        Arch::wasm32,
        Arch::armv7,
    ];
    let vendor = [Vendor::unknown, Vendor::pc, Vendor::apple, Vendor::nvidia];
    let os = [OS::linux, OS::darwin, OS::windows, OS::wasi, OS::none];
    let abi = [
        ABI::gnu,
        ABI::musl,
        ABI::eabi,
        ABI::eabihf,
        ABI::msvc,
        ABI::none,
    ];
    use Cpu::*;
    let cpu = [
        generic,
        native,
        x86_64_v2,
        x86_64_v3,
        x86_64_v4,
        znver3,
        znver4,
        znver5,
        sapphirerapids,
        alderlake,
        neoverse_v2,
        neoverse_n2,
        cortex_a78ae,
        cortex_a78c,
        apple_m1,
        apple_m2,
        apple_m3,
        apple_m4,
    ];
    use Gpu::*;
    let gpu = [
        none, sm_80, sm_86, sm_89, sm_90, sm_90a, sm_87, sm_100, sm_100a, sm_120,
    ];
    let srcs = [
        Src::Files(vec![s("a.c"), s("[build]/gen.c")]),
        Src::Files(Vec::new()),
        Src::Fetch(Fetch {
            url: s("https://example.org/x.tar.gz"),
            hash: s("sha256:00"),
        }),
        Src::Git(Git {
            url: s("https://example.org/x.git"),
            rev: s("v1"),
            hash: s("sha256:11"),
        }),
    ];
    let deps = vec![
        Dep::Local(s(":util")),
        Dep::Local(s("//lib:z")),
        Dep::External(External {
            hash: s("sha256:22"),
            name: s("/usr/lib/x86_64-linux-gnu/libz.so"),
        }),
        Dep::PkgConfig(s("zlib")),
        Dep::Flake(s("nixpkgs#zlib")),
    ];
    let requires = vec![
        Resource::Pure,
        Resource::Network,
        Resource::Auth(s("hub")),
        Resource::Sandbox(s("gpu")),
        Resource::Filesystem(s("/etc/x.conf")),
    ];
    // Nine targets, named as confess's own every_alternative names its nine: each uses two
    // alternatives of Cpu (host and target) and of Gpu.
    (0..9)
        .map(|k| {
            let triple = Triple {
                arch: arch[k % arch.len()],
                vendor: vendor[k % vendor.len()],
                os: os[k % os.len()],
                abi: abi[k % abi.len()],
                cpu: cpu[2 * k],
                gpu: gpu[(2 * k) % gpu.len()],
            };
            let first = k == 0;
            Target {
                name: format!("t{k}"),
                srcs: srcs[k % srcs.len()].clone(),
                deps: if first { deps.clone() } else { Vec::new() },
                toolchain: Toolchain {
                    compiler: compilers[k % compilers.len()].clone(),
                    host: triple,
                    target: Triple {
                        cpu: cpu[2 * k + 1],
                        gpu: gpu[(2 * k + 1) % gpu.len()],
                        ..triple
                    },
                    cflags: if first { cflags.clone() } else { Vec::new() },
                    cxxflags: if k == 1 { cflags.clone() } else { Vec::new() },
                    ldflags: if first { ldflags.clone() } else { Vec::new() },
                    sysroot: first.then(|| s("/opt/sysroot")),
                },
                requires: if first { requires.clone() } else { Vec::new() },
            }
        })
        .collect()
}
