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

/// A test fixture: targets that use every alternative of every union of the engine's types.
#[cfg(test)]
mod fixture;
#[cfg(test)]
pub use fixture::every_alternative;
