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
    #[must_use]
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
    #[must_use]
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
    #[must_use]
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
    #[must_use]
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

/// Compiler and linker words to typed flags.
pub mod flags;
/// Typed flags back to the compiler's and linker's words.
pub mod words;

/// A test fixture: a package whose targets use every alternative of every union of the
/// schema.
#[cfg(test)]
mod fixture;
#[cfg(test)]
pub use fixture::every_alternative;
