//! Engine flags as the engine renders them, as command-line words: what `confess verify`
//! passes to the real toolchain when it rebuilds from the engine form. Paths go through `path`
//! (a manifest path to one the compiler can open) and `Raw` words through `text` (the
//! manifests' `[build]` and `[out]` marks back to directories).

use super::model::{CFlag, CStd, CxxStd, DebugLevel, Define, LDFlag, LTOMode, OptLevel, Sanitizer};

/// Where paths and words of the manifests are found on this machine.
pub struct Places<'a> {
    pub path: &'a dyn Fn(&str) -> String,
    pub text: &'a dyn Fn(&str) -> String,
}

#[must_use]
pub fn cflag(f: &CFlag, p: &Places) -> Vec<String> {
    let one = |s: &str| vec![s.to_string()];
    match f {
        CFlag::Opt(o) => one(match o {
            OptLevel::O0 => "-O0",
            OptLevel::O1 => "-O1",
            OptLevel::O2 => "-O2",
            OptLevel::O3 => "-O3",
            OptLevel::Os => "-Os",
            OptLevel::Oz => "-Oz",
            OptLevel::Og => "-Og",
        }),
        // The engine renders `off` as nothing.
        CFlag::LTO(LTOMode::off) => Vec::new(),
        CFlag::LTO(LTOMode::thin) => one("-flto=thin"),
        CFlag::LTO(LTOMode::full) => one("-flto"),
        CFlag::StdC(s) => one(match s {
            CStd::c89 => "-std=c89",
            CStd::c99 => "-std=c99",
            CStd::c11 => "-std=c11",
            CStd::c17 => "-std=c17",
            CStd::c23 => "-std=c23",
        }),
        CFlag::StdCxx(s) => one(match s {
            CxxStd::cxx11 => "-std=c++11",
            CxxStd::cxx14 => "-std=c++14",
            CxxStd::cxx17 => "-std=c++17",
            CxxStd::cxx20 => "-std=c++20",
            CxxStd::cxx23 => "-std=c++23",
        }),
        CFlag::Wall => one("-Wall"),
        CFlag::Wextra => one("-Wextra"),
        CFlag::Werror => one("-Werror"),
        CFlag::Wpedantic => one("-Wpedantic"),
        CFlag::Wno(w) => vec![format!("-Wno-{w}")],
        CFlag::Define(Define { name, value: None }) => vec![format!("-D{name}")],
        CFlag::Define(Define {
            name,
            value: Some(v),
        }) => vec![format!("-D{name}={v}")],
        CFlag::Undef(n) => vec![format!("-U{n}")],
        CFlag::Include(d) => vec![format!("-I{}", (p.path)(d))],
        // One Text in the engine ("-isystem p"), two words on a command line.
        CFlag::System(d) => vec!["-isystem".into(), (p.path)(d)],
        CFlag::PIC => one("-fPIC"),
        CFlag::PIE => one("-fPIE"),
        CFlag::Static => one("-static"),
        CFlag::Shared => one("-shared"),
        CFlag::March(a) => vec![format!("-march={a}")],
        CFlag::Mtune(t) => vec![format!("-mtune={t}")],
        CFlag::Native => one("-march=native"),
        CFlag::Debug(d) => one(match d {
            DebugLevel::g0 => "-g0",
            DebugLevel::g1 => "-g1",
            DebugLevel::g2 => "-g2",
            DebugLevel::g3 => "-g3",
        }),
        CFlag::Sanitize(s) => one(match s {
            Sanitizer::address => "-fsanitize=address",
            Sanitizer::memory => "-fsanitize=memory",
            Sanitizer::thread => "-fsanitize=thread",
            Sanitizer::undefined => "-fsanitize=undefined",
            Sanitizer::leak => "-fsanitize=leak",
        }),
        CFlag::FunctionSections => one("-ffunction-sections"),
        CFlag::DataSections => one("-fdata-sections"),
        CFlag::NoExceptions => one("-fno-exceptions"),
        CFlag::NoRTTI => one("-fno-rtti"),
        CFlag::Pthread => one("-pthread"),
        CFlag::Raw(r) => vec![(p.text)(r)],
    }
}

#[must_use]
pub fn ldflag(f: &LDFlag, p: &Places) -> Vec<String> {
    let one = |s: &str| vec![s.to_string()];
    let list = |v: &str| super::map_dirs(v, p.path);
    match f {
        LDFlag::Static => one("-static"),
        LDFlag::Shared => one("-shared"),
        LDFlag::Pie => one("-pie"),
        LDFlag::NoPie => one("-no-pie"),
        LDFlag::Relocatable => one("-r"),
        LDFlag::Lib(l) => vec![format!("-l{l}")],
        LDFlag::LibPath(d) => vec![format!("-L{}", (p.path)(d))],
        LDFlag::Rpath(d) => vec![format!("-Wl,-rpath,{}", list(d))],
        LDFlag::RpathLink(d) => vec![format!("-Wl,-rpath-link,{}", list(d))],
        LDFlag::Strip => one("-s"),
        LDFlag::StripDebug => one("-S"),
        LDFlag::ExportDynamic => one("-Wl,--export-dynamic"),
        LDFlag::AsNeeded => one("-Wl,--as-needed"),
        LDFlag::NoAsNeeded => one("-Wl,--no-as-needed"),
        LDFlag::GcSections => one("-Wl,--gc-sections"),
        LDFlag::NoGcSections => one("-Wl,--no-gc-sections"),
        LDFlag::PrintGcSections => one("-Wl,--print-gc-sections"),
        LDFlag::Soname(n) => vec![format!("-Wl,-soname,{n}")],
        LDFlag::VersionScript(s) => vec![format!("-Wl,--version-script,{}", (p.path)(s))],
        LDFlag::LTOJobs(n) => vec![format!("-flto-jobs={n}")],
        LDFlag::Raw(r) => vec![(p.text)(r)],
    }
}
