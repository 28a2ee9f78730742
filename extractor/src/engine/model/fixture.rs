// Included by tests/dhall.rs too (`include!`): no inner attributes here.

use super::{
    Arch, CFlag, CStd, Compiler, Cpu, CxxStd, DebugLevel, Define, Dep, External, Fetch, Git, Gpu,
    LDFlag, LTOMode, OptLevel, Resource, Sanitizer, Src, Target, Toolchain, Triple, Vendor,
    Version, ABI, OS,
};

/// Targets that use every alternative of every union of the engine's types: what the tests
/// render, type-check against the declaration and read back, so that the declaration, the
/// renderer and these types cannot drift apart on an alternative no fixture happens to use.
#[must_use]
pub fn every_alternative() -> Vec<Target> {
    let s = |x: &str| x.to_string();
    let cflags = every_cflag();
    let ldflags = every_ldflag();
    let compilers = compilers();
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
    let (cpu, gpu) = (cpus(), gpus());
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
    let deps = every_dep();
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

/// Every alternative of `CFlag` (and of the enumerations it takes).
fn every_cflag() -> Vec<CFlag> {
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
    cflags.extend(
        [
            OptLevel::O0,
            OptLevel::O1,
            OptLevel::O2,
            OptLevel::O3,
            OptLevel::Os,
            OptLevel::Oz,
            OptLevel::Og,
        ]
        .map(CFlag::Opt),
    );
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
    cflags
}

/// Every alternative of `LDFlag`.
fn every_ldflag() -> Vec<LDFlag> {
    let s = |x: &str| x.to_string();
    vec![
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
    ]
}

/// Every alternative of `Compiler`.
fn compilers() -> [Compiler; 7] {
    let s = |x: &str| x.to_string();
    let v = |x: &str| Version { version: s(x) };
    [
        Compiler::Clang(v("16.0.6")),
        Compiler::NVClang(v("git")),
        Compiler::GCC(v("12.2.0")),
        Compiler::NVCC(v("12.4")),
        Compiler::Rustc(v("1.95.0")),
        Compiler::GHC(v("9.6")),
        Compiler::Lean(v("4.9")),
    ]
}

/// Every alternative of `Dep`.
fn every_dep() -> Vec<Dep> {
    let s = |x: &str| x.to_string();
    vec![
        Dep::Local(s(":util")),
        Dep::Local(s("//lib:z")),
        Dep::External(External {
            hash: s("sha256:22"),
            name: s("/usr/lib/x86_64-linux-gnu/libz.so"),
        }),
        Dep::PkgConfig(s("zlib")),
        Dep::Flake(s("nixpkgs#zlib")),
    ]
}

/// Every alternative of `Cpu`, in the order the targets use them (two each).
fn cpus() -> [Cpu; 18] {
    [
        Cpu::generic,
        Cpu::native,
        Cpu::x86_64_v2,
        Cpu::x86_64_v3,
        Cpu::x86_64_v4,
        Cpu::znver3,
        Cpu::znver4,
        Cpu::znver5,
        Cpu::sapphirerapids,
        Cpu::alderlake,
        Cpu::neoverse_v2,
        Cpu::neoverse_n2,
        Cpu::cortex_a78ae,
        Cpu::cortex_a78c,
        Cpu::apple_m1,
        Cpu::apple_m2,
        Cpu::apple_m3,
        Cpu::apple_m4,
    ]
}

/// Every alternative of `Gpu`.
fn gpus() -> [Gpu; 10] {
    [
        Gpu::none,
        Gpu::sm_80,
        Gpu::sm_86,
        Gpu::sm_89,
        Gpu::sm_90,
        Gpu::sm_90a,
        Gpu::sm_87,
        Gpu::sm_100,
        Gpu::sm_100a,
        Gpu::sm_120,
    ]
}
