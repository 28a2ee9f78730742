//! gcc's and clang's command-line flags as data: one sorted table, one line per flag.
//!
//! Each entry gives the flag's spelling, how it takes its argument and what it means. Lookup
//! finds the longest spelling that matches, so `-MF` wins over `-M` and `-isystem` over `-i`.
//! Flags not in the table are kept verbatim and counted as unknown (see `args.rs`).

/// How a flag takes its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// No argument: the spelling must match the whole word.
    None,
    /// The argument is the next word: `-o out`, `-MF file`, `-Xlinker x`.
    Separate,
    /// The argument is glued on: `-Wl,...`, `-O2`, `-std=c99`, `-fPIC`. Also matches the bare
    /// spelling when the argument may be empty (`-O`, `-g`).
    Joined,
    /// Glued or the next word: `-I dir` and `-Idir`, `-D X` and `-DX`, `-l m` and `-lm`.
    JoinedOrSeparate,
}

/// What a flag means to confess. Spelled after what it does, not after how it looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Meaning {
    // Where the driver stops.
    StopAtObject,     // -c
    StopAtAssembly,   // -S
    StopAtPreprocess, // -E
    DepsOnly,         // -M, -MM: dependencies instead of output (unless -c/-MD style)
    // Depfile side outputs.
    DepFile,       // -MD
    DepFileUser,   // -MMD
    DepOutput,     // -MF file
    DepTarget,     // -MT target
    DepTargetQ,    // -MQ target
    DepPhony,      // -MP
    DepMissingGen, // -MG
    Output,        // -o
    Language,      // -x lang
    // Preprocessor.
    Include,     // -I
    ISystem,     // -isystem
    IQuote,      // -iquote
    IDirAfter,   // -idirafter
    IPrefix,     // -iprefix, -iwithprefix, -iwithprefixbefore
    IncludeFile, // -include file
    IMacros,     // -imacros file
    Define,      // -D
    Undef,       // -U
    NoStdInc,    // -nostdinc, -nostdinc++
    PreprocArg,  // -Wp,..., -Xpreprocessor x
    Sysroot,     // --sysroot=, --sysroot, -isysroot
    // Code generation and dialect.
    Optimize,  // -O
    Debug,     // -g
    Std,       // -std=, -ansi
    Warning,   // -W..., -w, -pedantic
    Feature,   // -f...
    Machine,   // -m...
    Target,    // --target=, -target, -march is Machine
    Pthread,   // -pthread
    Assembler, // -Wa,..., -Xassembler x
    Param,     // --param x
    Prefix,    // -B dir
    Plugin,    // -fplugin=..., -specs=
    // Linking.
    Lib,         // -l
    LibPath,     // -L
    LinkerArg,   // -Wl,...
    Xlinker,     // -Xlinker x
    Shared,      // -shared
    Static,      // -static, -static-libgcc, -static-libstdc++
    Pie,         // -pie, -no-pie
    Relocatable, // -r
    Rdynamic,    // -rdynamic
    NoStdLib,    // -nostdlib, -nodefaultlibs, -nostartfiles
    LinkMisc,    // -s, -T script, -u symbol, -z keyword, -e entry
    // Info queries: the driver prints something and compiles nothing.
    Info, // --version, -dumpversion, -dumpmachine, -print-*, -###, --help, -v alone
    // Harmless driver behaviour.
    Verbose,   // -v with inputs
    Pipe,      // -pipe
    SaveTemps, // -save-temps
    Wrapper,   // -wrapper
}

impl Meaning {
    /// `-o` and the dependency-file flags: they name where things go, not what is made.
    #[must_use]
    pub fn names_output(self) -> bool {
        matches!(
            self,
            Meaning::Output
                | Meaning::DepFile
                | Meaning::DepFileUser
                | Meaning::DepOutput
                | Meaning::DepTarget
                | Meaning::DepTargetQ
                | Meaning::DepPhony
                | Meaning::DepMissingGen
                | Meaning::DepsOnly
        )
    }

    /// Where the driver stops (`-c`, `-S`, `-E`).
    #[must_use]
    pub fn is_stop(self) -> bool {
        matches!(
            self,
            Meaning::StopAtObject | Meaning::StopAtAssembly | Meaning::StopAtPreprocess
        )
    }

    /// Flags only the preprocessor reads: a call that links objects ignores them (a
    /// compile-and-link call's `-I` and `-D` are its compile's).
    #[must_use]
    pub fn is_preprocessor_only(self) -> bool {
        matches!(
            self,
            Meaning::Include
                | Meaning::ISystem
                | Meaning::IQuote
                | Meaning::IDirAfter
                | Meaning::IPrefix
                | Meaning::IncludeFile
                | Meaning::IMacros
                | Meaning::Define
                | Meaning::Undef
                | Meaning::NoStdInc
                | Meaning::PreprocArg
        )
    }

    /// Flags only the link step reads.
    #[must_use]
    pub fn is_link_only(self) -> bool {
        matches!(
            self,
            Meaning::Lib
                | Meaning::LibPath
                | Meaning::LinkerArg
                | Meaning::Xlinker
                | Meaning::Shared
                | Meaning::Static
                | Meaning::Rdynamic
                | Meaning::NoStdLib
                | Meaning::LinkMisc
                | Meaning::Relocatable
                | Meaning::Pie
        )
    }
}

/// `-Wp,-MD,file` and `-Wp,-MMD,file`: a depfile request spelled as a preprocessor option.
#[must_use]
pub fn is_wp_depfile(value: &str) -> bool {
    value.starts_with("-MD,") || value.starts_with("-MMD,")
}

/// One line of the table.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub spelling: &'static str,
    pub take: Take,
    pub meaning: Meaning,
}

const fn f(spelling: &'static str, take: Take, meaning: Meaning) -> Flag {
    Flag {
        spelling,
        take,
        meaning,
    }
}

use Meaning as M;
use Take::{Joined as J, JoinedOrSeparate as JS, None as N, Separate as S};

/// gcc's flags, sorted by spelling (byte order); `table_is_sorted` checks it.
pub static GCC: &[Flag] = &[
    f("-###", N, M::Info),
    f("--help", J, M::Info),
    f("--param", JS, M::Param),
    f("--print-", J, M::Info),
    f("--sysroot", JS, M::Sysroot),
    f("--target", J, M::Target),
    f("--version", N, M::Info),
    f("-B", JS, M::Prefix),
    f("-D", JS, M::Define),
    f("-E", N, M::StopAtPreprocess),
    f("-H", N, M::Verbose),
    f("-I", JS, M::Include),
    f("-L", JS, M::LibPath),
    f("-M", N, M::DepsOnly),
    f("-MD", N, M::DepFile),
    f("-MF", JS, M::DepOutput),
    f("-MG", N, M::DepMissingGen),
    f("-MM", N, M::DepsOnly),
    f("-MMD", N, M::DepFileUser),
    f("-MP", N, M::DepPhony),
    f("-MQ", JS, M::DepTargetQ),
    f("-MT", JS, M::DepTarget),
    f("-O", J, M::Optimize),
    f("-P", N, M::Feature),
    f("-S", N, M::StopAtAssembly),
    f("-T", JS, M::LinkMisc),
    f("-U", JS, M::Undef),
    f("-W", J, M::Warning),
    f("-Wa,", J, M::Assembler),
    f("-Wl,", J, M::LinkerArg),
    f("-Wp,", J, M::PreprocArg),
    f("-Xassembler", S, M::Assembler),
    f("-Xlinker", S, M::Xlinker),
    f("-Xpreprocessor", S, M::PreprocArg),
    f("-ansi", N, M::Std),
    f("-c", N, M::StopAtObject),
    f("-dumpfullversion", N, M::Info),
    f("-dumpmachine", N, M::Info),
    f("-dumpspecs", N, M::Info),
    f("-dumpversion", N, M::Info),
    f("-e", JS, M::LinkMisc),
    f("-f", J, M::Feature),
    f("-fplugin=", J, M::Plugin),
    f("-g", J, M::Debug),
    f("-idirafter", JS, M::IDirAfter),
    f("-imacros", JS, M::IMacros),
    f("-include", JS, M::IncludeFile),
    f("-iprefix", JS, M::IPrefix),
    f("-iquote", JS, M::IQuote),
    f("-isysroot", JS, M::Sysroot),
    f("-isystem", JS, M::ISystem),
    f("-iwithprefix", JS, M::IPrefix),
    f("-iwithprefixbefore", JS, M::IPrefix),
    f("-l", JS, M::Lib),
    f("-m", J, M::Machine),
    f("-no-pie", N, M::Pie),
    f("-nodefaultlibs", N, M::NoStdLib),
    f("-nostartfiles", N, M::NoStdLib),
    f("-nostdinc", N, M::NoStdInc),
    f("-nostdinc++", N, M::NoStdInc),
    f("-nostdlib", N, M::NoStdLib),
    f("-o", JS, M::Output),
    f("-pedantic", N, M::Warning),
    f("-pedantic-errors", N, M::Warning),
    f("-pg", N, M::Feature),
    f("-pie", N, M::Pie),
    f("-pipe", N, M::Pipe),
    f("-print-", J, M::Info),
    f("-pthread", N, M::Pthread),
    f("-r", N, M::Relocatable),
    f("-rdynamic", N, M::Rdynamic),
    f("-s", N, M::LinkMisc),
    f("-save-temps", J, M::SaveTemps),
    f("-shared", N, M::Shared),
    f("-specs=", J, M::Plugin),
    f("-static", N, M::Static),
    f("-static-libasan", N, M::Static),
    f("-static-libgcc", N, M::Static),
    f("-static-libstdc++", N, M::Static),
    f("-std=", J, M::Std),
    f("-u", JS, M::LinkMisc),
    f("-undef", N, M::Feature),
    f("-v", N, M::Verbose),
    f("-w", N, M::Warning),
    f("-wrapper", S, M::Wrapper),
    f("-x", JS, M::Language),
    f("-z", JS, M::LinkMisc),
];

/// clang's flags, laid over gcc's (an entry here wins over gcc's same spelling).
pub static CLANG: &[Flag] = &[
    f("--gcc-toolchain=", J, M::Sysroot),
    f("-Xclang", S, M::Feature),
    f("-target", S, M::Target),
];

/// Finds the flag for one word: the longest matching spelling, clang's table first when asked.
/// Returns the flag and, for `Joined`/`JoinedOrSeparate`, whether the argument is glued on.
#[must_use]
pub fn lookup(word: &str, clang: bool) -> Option<&'static Flag> {
    let mut best: Option<&'static Flag> = None;
    let tables: &[&'static [Flag]] = if clang { &[CLANG, GCC] } else { &[GCC] };
    for table in tables {
        for flag in *table {
            if !matches(flag, word) {
                continue;
            }
            if best.is_none_or(|b| flag.spelling.len() > b.spelling.len()) {
                best = Some(flag);
            }
        }
    }
    best
}

fn matches(flag: &Flag, word: &str) -> bool {
    match flag.take {
        Take::None | Take::Separate => word == flag.spelling,
        Take::Joined | Take::JoinedOrSeparate => word.starts_with(flag.spelling),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted() {
        for table in [GCC, CLANG] {
            for pair in table.windows(2) {
                assert!(
                    pair[0].spelling < pair[1].spelling,
                    "{} must sort before {}",
                    pair[0].spelling,
                    pair[1].spelling
                );
            }
        }
    }

    #[test]
    fn longest_spelling_wins() {
        let cases = [
            ("-MF", M::DepOutput),
            ("-MMD", M::DepFileUser),
            ("-MM", M::DepsOnly),
            ("-M", M::DepsOnly),
            ("-isystem/usr/x", M::ISystem),
            ("-include", M::IncludeFile),
            ("-Wl,-soname,x", M::LinkerArg),
            ("-Wall", M::Warning),
            ("-fPIC", M::Feature),
            ("-fplugin=x.so", M::Plugin),
            ("-std=c99", M::Std),
            ("-static-libgcc", M::Static),
            ("-print-prog-name=ld", M::Info),
            ("--print-file-name=libc.so", M::Info),
            ("-lm", M::Lib),
            ("-O2", M::Optimize),
            ("-O", M::Optimize),
        ];
        for (word, want) in cases {
            assert_eq!(lookup(word, false).map(|f| f.meaning), Some(want), "{word}");
        }
    }

    #[test]
    fn flags_without_argument_match_whole_words_only() {
        assert!(lookup("-cfoo", false).is_none());
        assert!(lookup("-sharedx", false).is_none());
        assert_eq!(
            lookup("-c", false).map(|f| f.meaning),
            Some(M::StopAtObject)
        );
    }

    #[test]
    fn clang_table_overlays_gcc() {
        assert_eq!(lookup("-target", true).map(|f| f.meaning), Some(M::Target));
        assert!(lookup("-target", false).is_none());
    }
}
