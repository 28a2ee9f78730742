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
    RpathLink(String),
    Soname(String),
    GroupDeps,
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
    /// The package's libraries the target links, in link order: `-l` names or paths outside
    /// the project (`/usr/lib/x86_64-linux-gnu/libz.so`).
    pub libraries: Vec<String>,
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
    /// The object this compile made, when the target compiles `src` more than once (each
    /// compile is its own object, with its own flags); `None`: every compile of `src`.
    pub object: Option<String>,
    pub flags: Vec<CFlag>,
}

/// The assembler a source is assembled with, and its version (`nasm -v`, `yasm --version`,
/// `as --version`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Assembler {
    Nasm(Version),
    Yasm(Version),
    GnuAs(Version),
}

impl Assembler {
    /// The program's name: what the build called.
    pub fn program(&self) -> &'static str {
        match self {
            Assembler::Nasm(_) => "nasm",
            Assembler::Yasm(_) => "yasm",
            Assembler::GnuAs(_) => "as",
        }
    }
}

/// An assembler's option, typed where nasm, yasm and as agree on what it means.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AsmFlag {
    /// The object format: `-f elf64`.
    Format(String),
    /// An include directory: `-I`.
    Include(String),
    /// A macro defined before the source (`-D`; as's `--defsym name=value`).
    Define(Define),
    Undefine(String),
    /// A file read before the source: nasm's and yasm's `-P`.
    PreInclude(String),
    /// Debug information, in the named format when there is one.
    Debug(Option<String>),
    /// nasm's optimization level (`-O0`, `-Ox`).
    Optimize(String),
    /// A warning option, as written after `-w` or `-W`.
    Warn(String),
    /// Any other option, as written.
    Raw(String),
}

/// A source that an assembler, not the C compiler, turns into an object: nasm, yasm or as,
/// called by the build by name. Its flags are its own (a target's `cflags` do not apply).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Assembly {
    pub src: String,
    /// The object this call made, when the target assembles `src` more than once.
    pub object: Option<String>,
    pub assembler: Assembler,
    pub flags: Vec<AsmFlag>,
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

/// One place on a target's link line (or in its archive), in the recorded order, repetitions
/// kept: a link of `a.o libx.a liby.a libx.a` needs the second `libx.a`, and the order of
/// objects decides the layout of what is linked (and, with LTO, what it needs).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LinkItem {
    /// The object of this target's compile of a source (named by the source).
    Source(String),
    /// An object named by where the build put it: one of several compiles of a source, or an
    /// object file the target takes as it is.
    Object(String),
    /// One of `deps`, at this place.
    Dep(Dep),
    /// A linker option that applies to what follows it.
    Option(LinkOption),
}

/// The linker options whose place on the link line is their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LinkOption {
    /// `--start-group`: the archives up to `--end-group` are searched again until nothing new
    /// is found.
    StartGroup,
    EndGroup,
    /// `--whole-archive`: every member of the archives that follow is linked (CMake's
    /// `$<LINK_LIBRARY:WHOLE_ARCHIVE,...>`, Meson's `link_whole`).
    WholeArchive,
    NoWholeArchive,
    /// `-Bstatic`: `-l` finds only archives from here on.
    StaticLibs,
    /// `-Bdynamic`.
    SharedLibs,
    /// `--as-needed`: a shared library that follows is recorded only if it is used.
    AsNeeded,
    NoAsNeeded,
}

impl LinkOption {
    /// The linker's word for the option.
    pub fn word(self) -> &'static str {
        match self {
            LinkOption::StartGroup => "--start-group",
            LinkOption::EndGroup => "--end-group",
            LinkOption::WholeArchive => "--whole-archive",
            LinkOption::NoWholeArchive => "--no-whole-archive",
            LinkOption::StaticLibs => "-Bstatic",
            LinkOption::SharedLibs => "-Bdynamic",
            LinkOption::AsNeeded => "--as-needed",
            LinkOption::NoAsNeeded => "--no-as-needed",
        }
    }

    /// The option a linker word spells, if it is one of these.
    pub fn of_word(w: &str) -> Option<LinkOption> {
        Some(match w {
            "--start-group" | "-(" => LinkOption::StartGroup,
            "--end-group" | "-)" => LinkOption::EndGroup,
            "--whole-archive" => LinkOption::WholeArchive,
            "--no-whole-archive" => LinkOption::NoWholeArchive,
            "-Bstatic" | "-dn" | "-non_shared" => LinkOption::StaticLibs,
            "-Bdynamic" | "-dy" | "-call_shared" => LinkOption::SharedLibs,
            "--as-needed" => LinkOption::AsNeeded,
            "--no-as-needed" => LinkOption::NoAsNeeded,
            _ => return None,
        })
    }
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
    /// Other paths where the build leaves the same artifact: symbolic links to it (soname
    /// links, namelinks) and copies of it.
    pub aliases: Vec<String>,
    pub srcs: Src,
    pub headers: Vec<String>,
    pub outside_headers: Vec<OutsideHeader>,
    pub deps: Vec<Dep>,
    pub toolchain: Toolchain,
    pub overrides: Vec<Override>,
    /// The sources an assembler makes objects of (listed in `srcs` too), with its options.
    pub assembled: Vec<Assembly>,
    /// The link line (or the archive's members) in the recorded order, repetitions kept:
    /// objects, deps and the linker options whose place matters. Empty for an object library.
    pub link: Vec<LinkItem>,
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

/// A package whose targets use every alternative of every union of the schema: what the tests
/// render, type-check and read back, so that the schema, the renderer and this model cannot
/// drift apart on an alternative no fixture happens to use.
#[doc(hidden)]
pub fn every_alternative() -> Package {
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
    let ldflags = vec![
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
    ];
    let triple = |arch, vendor, os, abi, cpu, gpu| Triple {
        arch,
        vendor,
        os,
        abi,
        cpu,
        gpu,
    };
    let triples = [
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
    ];
    let version = |v: &str| Version { version: v.into() };
    let compilers = [
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
    ];
    let deps = vec![
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
    ];
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
        .map(|i| Target {
            name: format!("t{i}"),
            kind: kinds[i % 4],
            output: format!("[build]/t{i}"),
            aliases: if i == 0 {
                vec!["[build]/t0.copy".into()]
            } else {
                Vec::new()
            },
            srcs: srcs[i % 4].clone(),
            headers: if i == 0 {
                vec!["a.h".into()]
            } else {
                Vec::new()
            },
            outside_headers: if i == 0 {
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
            } else {
                Vec::new()
            },
            deps: if i == 0 { deps.clone() } else { Vec::new() },
            toolchain: Toolchain {
                compiler: compilers[i % 8].clone(),
                host: triples[i % 8].clone(),
                target: triples[(i + 1) % 8].clone(),
                cflags: if i == 0 { cflags.clone() } else { Vec::new() },
                cxxflags: if i == 1 { cflags.clone() } else { Vec::new() },
                ldflags: if i == 0 { ldflags.clone() } else { Vec::new() },
                sysroot: (i == 2).then(|| "/sysroot".into()),
            },
            overrides: if i == 0 {
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
            } else {
                Vec::new()
            },
            assembled: if i == 0 {
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
            } else {
                Vec::new()
            },
            link: if i == 0 {
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
            } else {
                Vec::new()
            },
            generated: if i == 0 {
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
            } else {
                Vec::new()
            },
            requires: match i {
                0 => vec![
                    Resource::Filesystem("/opt/x.h".into()),
                    Resource::Network,
                    Resource::Auth("token".into()),
                    Resource::Sandbox("none".into()),
                ],
                _ => vec![Resource::Pure],
            },
            visibility: if i % 2 == 0 {
                Visibility::Public
            } else {
                Visibility::Private
            },
            origin: (i == 0).then(|| Origin {
                file: "CMakeLists.txt".into(),
                line: 7,
            }),
        })
        .collect();
    Package {
        dir: "every alternative".into(),
        targets,
    }
}
