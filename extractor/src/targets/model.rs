//! The target model: what a BUILD.dhall holds, as Rust types. Each type mirrors one type of
//! the Dhall schema (`extractor/dhall/schema.dhall`, documented in docs/dhall-schema.md), so
//! that a manifest reads back through serde_dhall into exactly these values.

use serde::{Deserialize, Serialize};

#[allow(non_camel_case_types)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arch {
    x86_64,
    i686,
    aarch64,
    arm,
    riscv64,
    powerpc64le,
    s390x,
    Other(String),
}

#[allow(non_camel_case_types)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Vendor {
    unknown,
    pc,
    apple,
    Other(String),
}

#[allow(non_camel_case_types)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OS {
    linux,
    darwin,
    windows,
    freebsd,
    none,
    Other(String),
}

#[allow(non_camel_case_types)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ABI {
    gnu,
    gnueabihf,
    musl,
    android,
    msvc,
    none,
    Other(String),
}

#[allow(non_camel_case_types)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cpu {
    generic,
    native,
    Named(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gpu {
    NoGPU,
    SM(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Triple {
    pub arch: Arch,
    pub vendor: Vendor,
    pub os: OS,
    pub abi: ABI,
    pub cpu: Cpu,
    pub gpu: Gpu,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version {
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedVersion {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Compiler {
    GCC(Version),
    Clang(Version),
    NVClang(Version),
    NVCC(Version),
    Rustc(Version),
    GHC(Version),
    Lean(Version),
    Unknown(NamedVersion),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OptLevel {
    O0,
    O1,
    O2,
    O3,
    Os,
    Oz,
    Ofast,
    Og,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Std {
    C89,
    C99,
    C11,
    C17,
    C23,
    GNU89,
    GNU99,
    GNU11,
    GNU17,
    GNU23,
    CXX98,
    CXX03,
    CXX11,
    CXX14,
    CXX17,
    CXX20,
    CXX23,
    CXX26,
    GNUXX98,
    GNUXX03,
    GNUXX11,
    GNUXX14,
    GNUXX17,
    GNUXX20,
    GNUXX23,
    GNUXX26,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Lto {
    Full,
    Thin,
    Auto,
    Jobs(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SymbolVisibility {
    Default,
    Hidden,
    Internal,
    Protected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StackProtector {
    Basic,
    Strong,
    All,
    Explicit,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Define {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub value: String,
}

/// A compile flag. Variant names are the Dhall alternatives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CFlag {
    Optimize(OptLevel),
    Debug(u64),
    DebugFormat(String),
    Std(Std),
    LTO(Lto),
    NoLTO,
    Define(Define),
    Undefine(String),
    Include(String),
    System(String),
    Quote(String),
    DirAfter(String),
    IncludeFile(String),
    MacrosFile(String),
    NoStdInc,
    PIC,
    SmallPIC,
    PIE,
    SmallPIE,
    NoPIC,
    Visibility(SymbolVisibility),
    StackProtector(StackProtector),
    NoStackProtector,
    Pthread,
    Warn(String),
    NoWarn(String),
    WarnError(String),
    WarningsAsErrors,
    Pedantic,
    PedanticErrors,
    NoWarnings,
    Feature(Feature),
    March(String),
    Mtune(String),
    Machine(String),
    Language(String),
    Param(Param),
    Assembler(String),
    Raw(String),
}

/// A link flag. Libraries (`-l`, library files) are dependencies, not flags.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LDFlag {
    LibPath(String),
    Rpath(String),
    Soname(String),
    VersionScript(String),
    ExportDynamic,
    AsNeeded,
    NoAsNeeded,
    NoUndefined,
    GcSections,
    ZKeyword(String),
    LinkerOptimize(u64),
    BuildId(Option<String>),
    HashStyle(String),
    Static,
    StaticLibgcc,
    StaticLibstdcxx,
    PIE,
    NoPIE,
    Strip,
    Script(String),
    Entry(String),
    UndefinedSymbol(String),
    NoStdLib,
    NoDefaultLibs,
    NoStartFiles,
    Compiler(CFlag),
    Raw(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Toolchain {
    pub compiler: Compiler,
    pub host: Triple,
    pub target: Triple,
    pub cflags: Vec<CFlag>,
    pub cxxflags: Vec<CFlag>,
    pub ldflags: Vec<LDFlag>,
    pub sysroot: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fetch {
    pub url: String,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Git {
    pub url: String,
    pub rev: String,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Src {
    Files(Vec<String>),
    Fetch(Fetch),
    Git(Git),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PackageMethod {
    FindPackage,
    PkgConfig,
    FetchContent,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalRef {
    pub hash: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageRef {
    pub name: String,
    pub method: PackageMethod,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dep {
    Local(String),
    External(ExternalRef),
    PkgConfig(String),
    Flake(String),
    Package(PackageRef),
    Library(String),
    File(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    Pure,
    Network,
    Auth(String),
    Sandbox(String),
    Filesystem(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TargetKind {
    Executable,
    StaticLibrary,
    SharedLibrary,
    ObjectLibrary,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Executable => "executable",
            TargetKind::StaticLibrary => "static library",
            TargetKind::SharedLibrary => "shared library",
            TargetKind::ObjectLibrary => "object library",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Override {
    pub src: String,
    pub flags: Vec<CFlag>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Program {
    /// The program run: a target ref (`":gen"`, `"//tools:gen"`) or a path.
    pub tool: String,
    pub argv: Vec<String>,
    pub cwd: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Producer {
    Program(Program),
    /// Written during the build by something confess does not see as a program (a script,
    /// `sed`, a shell redirection) or by the configure step.
    Unrecorded,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Generated {
    pub path: String,
    pub producer: Producer,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Owner {
    Toolchain,
    Package(String),
    Filesystem,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutsideHeader {
    pub path: String,
    pub owner: Owner,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Visibility {
    Public,
    Private,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    pub output: String,
    pub srcs: Src,
    pub headers: Vec<String>,
    pub outside_headers: Vec<OutsideHeader>,
    pub deps: Vec<Dep>,
    pub toolchain: Toolchain,
    pub overrides: Vec<Override>,
    pub generated: Vec<Generated>,
    pub requires: Vec<Resource>,
    pub visibility: Visibility,
    pub origin: Option<Origin>,
}

/// One BUILD.dhall: the source directory (`.` for the root) and its targets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub dir: String,
    pub targets: Vec<Target>,
}
