//! Typed flags back to gcc's words: what the manifest build passes to the real toolchain. The
//! inverse of `model::flags` for every typed alternative; `Raw` words pass through as they
//! were recorded.

use crate::model::{
    AsmFlag, Assembler, CFlag, Define, Feature, LDFlag, Lto, OptLevel, Param, StackProtector, Std,
    SymbolVisibility,
};

/// The words of one compile flag. `path` turns a manifest path into one the compiler can open.
pub fn cflag(f: &CFlag, path: &dyn Fn(&str) -> String) -> Vec<String> {
    let one = |s: String| vec![s];
    match f {
        CFlag::Optimize(o) => one(match o {
            OptLevel::O0 => "-O0",
            OptLevel::O1 => "-O1",
            OptLevel::O2 => "-O2",
            OptLevel::O3 => "-O3",
            OptLevel::Os => "-Os",
            OptLevel::Oz => "-Oz",
            OptLevel::Ofast => "-Ofast",
            OptLevel::Og => "-Og",
        }
        .into()),
        // -g is -g2; gcc writes the same code and debug information for both.
        CFlag::Debug(2) => one("-g".into()),
        CFlag::Debug(n) => one(format!("-g{n}")),
        CFlag::DebugFormat(f) => one(format!("-g{f}")),
        CFlag::Std(s) => one(format!("-std={}", std_name(*s))),
        CFlag::LTO(Lto::Full) => one("-flto".into()),
        CFlag::LTO(Lto::Thin) => one("-flto=thin".into()),
        CFlag::LTO(Lto::Auto) => one("-flto=auto".into()),
        CFlag::LTO(Lto::Jobs(n)) => one(format!("-flto={n}")),
        CFlag::NoLTO => one("-fno-lto".into()),
        CFlag::Define(Define { name, value: None }) => one(format!("-D{name}")),
        CFlag::Define(Define {
            name,
            value: Some(v),
        }) => one(format!("-D{name}={v}")),
        CFlag::Undefine(n) => one(format!("-U{n}")),
        CFlag::Include(p) => one(format!("-I{}", path(p))),
        CFlag::System(p) => vec!["-isystem".into(), path(p)],
        CFlag::Quote(p) => vec!["-iquote".into(), path(p)],
        CFlag::DirAfter(p) => vec!["-idirafter".into(), path(p)],
        CFlag::IncludeFile(p) => vec!["-include".into(), path(p)],
        CFlag::MacrosFile(p) => vec!["-imacros".into(), path(p)],
        CFlag::NoStdInc => one("-nostdinc".into()),
        CFlag::PIC => one("-fPIC".into()),
        CFlag::SmallPIC => one("-fpic".into()),
        CFlag::PIE => one("-fPIE".into()),
        CFlag::SmallPIE => one("-fpie".into()),
        CFlag::NoPIC => one("-fno-PIC".into()),
        CFlag::Visibility(v) => one(format!(
            "-fvisibility={}",
            match v {
                SymbolVisibility::Default => "default",
                SymbolVisibility::Hidden => "hidden",
                SymbolVisibility::Internal => "internal",
                SymbolVisibility::Protected => "protected",
            }
        )),
        CFlag::StackProtector(s) => one(match s {
            StackProtector::Basic => "-fstack-protector",
            StackProtector::Strong => "-fstack-protector-strong",
            StackProtector::All => "-fstack-protector-all",
            StackProtector::Explicit => "-fstack-protector-explicit",
        }
        .into()),
        CFlag::NoStackProtector => one("-fno-stack-protector".into()),
        CFlag::Pthread => one("-pthread".into()),
        CFlag::Warn(w) => one(format!("-W{w}")),
        CFlag::NoWarn(w) => one(format!("-Wno-{w}")),
        CFlag::WarnError(w) => one(format!("-Werror={w}")),
        CFlag::WarningsAsErrors => one("-Werror".into()),
        CFlag::Pedantic => one("-pedantic".into()),
        CFlag::PedanticErrors => one("-pedantic-errors".into()),
        CFlag::NoWarnings => one("-w".into()),
        CFlag::Feature(Feature {
            name,
            enabled: true,
        }) => one(format!("-f{name}")),
        CFlag::Feature(Feature {
            name,
            enabled: false,
        }) => one(format!("-fno-{name}")),
        CFlag::March(a) => one(format!("-march={a}")),
        CFlag::Mtune(t) => one(format!("-mtune={t}")),
        CFlag::Machine(m) => one(format!("-m{m}")),
        CFlag::Language(l) => vec!["-x".into(), l.clone()],
        CFlag::Param(Param { name, value }) => vec!["--param".into(), format!("{name}={value}")],
        CFlag::Assembler(a) => one(format!("-Wa,{a}")),
        CFlag::Raw(r) => shlex::split(r).unwrap_or_else(|| vec![r.clone()]),
    }
}

/// The words of one link flag, as given to the compiler driver that links.
/// An assembler's options as that assembler spells them.
pub fn asm_flags(asm: &Assembler, flags: &[AsmFlag], path: &dyn Fn(&str) -> String) -> Vec<String> {
    let gas = matches!(asm, Assembler::GnuAs(_));
    let mut out = Vec::new();
    for f in flags {
        match f {
            AsmFlag::Format(v) => out.extend(["-f".to_string(), v.clone()]),
            AsmFlag::Include(d) => out.push(format!("-I{}", path(d))),
            AsmFlag::Define(d) => {
                let def = match &d.value {
                    Some(v) => format!("{}={v}", d.name),
                    None => d.name.clone(),
                };
                if gas {
                    out.extend(["--defsym".to_string(), def]);
                } else {
                    out.push(format!("-D{def}"));
                }
            }
            AsmFlag::Undefine(u) => out.push(format!("-U{u}")),
            AsmFlag::PreInclude(p) => out.extend(["-P".to_string(), path(p)]),
            AsmFlag::Debug(None) => out.push("-g".into()),
            AsmFlag::Debug(Some(fmt)) => match asm {
                Assembler::Nasm(_) => out.push(format!("-g{fmt}")),
                Assembler::Yasm(_) => out.extend(["-g".to_string(), fmt.clone()]),
                Assembler::GnuAs(_) => out.push(format!("--g{fmt}")),
            },
            AsmFlag::Optimize(o) => out.push(format!("-O{o}")),
            AsmFlag::Warn(w) => out.extend(w.split(' ').map(str::to_string)),
            AsmFlag::Raw(r) => out.push(r.clone()),
        }
    }
    out
}

pub fn ldflag(f: &LDFlag, path: &dyn Fn(&str) -> String) -> Vec<String> {
    let one = |s: String| vec![s];
    match f {
        LDFlag::LibPath(p) => one(format!("-L{}", path(p))),
        LDFlag::Rpath(p) => one(format!("-Wl,-rpath,{p}")),
        LDFlag::RpathLink(p) => one(format!("-Wl,-rpath-link,{}", path(p))),
        // It wraps the libraries, where the link line names them (see plan.rs).
        LDFlag::GroupDeps => Vec::new(),
        LDFlag::Soname(s) => one(format!("-Wl,-soname,{s}")),
        LDFlag::VersionScript(p) => one(format!("-Wl,--version-script,{}", path(p))),
        LDFlag::ExportDynamic => one("-rdynamic".into()),
        LDFlag::AsNeeded => one("-Wl,--as-needed".into()),
        LDFlag::NoAsNeeded => one("-Wl,--no-as-needed".into()),
        LDFlag::NoUndefined => one("-Wl,--no-undefined".into()),
        LDFlag::GcSections => one("-Wl,--gc-sections".into()),
        LDFlag::ZKeyword(k) => one(format!("-Wl,-z,{k}")),
        LDFlag::LinkerOptimize(n) => one(format!("-Wl,-O{n}")),
        LDFlag::BuildId(None) => one("-Wl,--build-id".into()),
        LDFlag::BuildId(Some(s)) => one(format!("-Wl,--build-id={s}")),
        LDFlag::HashStyle(s) => one(format!("-Wl,--hash-style={s}")),
        LDFlag::Static => one("-static".into()),
        LDFlag::StaticLibgcc => one("-static-libgcc".into()),
        LDFlag::StaticLibstdcxx => one("-static-libstdc++".into()),
        LDFlag::PIE => one("-pie".into()),
        LDFlag::NoPIE => one("-no-pie".into()),
        LDFlag::Strip => one("-s".into()),
        LDFlag::Script(p) => vec!["-T".into(), path(p)],
        LDFlag::Entry(e) => vec!["-e".into(), e.clone()],
        LDFlag::UndefinedSymbol(s) => vec!["-u".into(), s.clone()],
        LDFlag::NoStdLib => one("-nostdlib".into()),
        LDFlag::NoDefaultLibs => one("-nodefaultlibs".into()),
        LDFlag::NoStartFiles => one("-nostartfiles".into()),
        LDFlag::Compiler(c) => cflag(c, path),
        LDFlag::Raw(r) => shlex::split(r).unwrap_or_else(|| vec![r.clone()]),
    }
}

fn std_name(s: Std) -> &'static str {
    match s {
        Std::C89 => "c89",
        Std::C99 => "c99",
        Std::C11 => "c11",
        Std::C17 => "c17",
        Std::C23 => "c2x",
        Std::GNU89 => "gnu89",
        Std::GNU99 => "gnu99",
        Std::GNU11 => "gnu11",
        Std::GNU17 => "gnu17",
        Std::GNU23 => "gnu2x",
        Std::CXX98 => "c++98",
        Std::CXX03 => "c++03",
        Std::CXX11 => "c++11",
        Std::CXX14 => "c++14",
        Std::CXX17 => "c++17",
        Std::CXX20 => "c++20",
        Std::CXX23 => "c++23",
        Std::CXX26 => "c++26",
        Std::GNUXX98 => "gnu++98",
        Std::GNUXX03 => "gnu++03",
        Std::GNUXX11 => "gnu++11",
        Std::GNUXX14 => "gnu++14",
        Std::GNUXX17 => "gnu++17",
        Std::GNUXX20 => "gnu++20",
        Std::GNUXX23 => "gnu++23",
        Std::GNUXX26 => "gnu++26",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every typed flag the parser gives comes back as words that parse to the same flag.
    #[test]
    fn rendered_flags_parse_back_to_themselves() {
        let words = [
            "-O2",
            "-Os",
            "-g",
            "-g3",
            "-std=c99",
            "-std=gnu++17",
            "-flto",
            "-fno-lto",
            "-DX=1",
            "-DY",
            "-UZ",
            "-Iinc",
            "-fPIC",
            "-fpic",
            "-fvisibility=hidden",
            "-fstack-protector-strong",
            "-fno-stack-protector",
            "-pthread",
            "-Wall",
            "-Wno-unused",
            "-Werror=format",
            "-Werror",
            "-pedantic",
            "-w",
            "-fno-common",
            "-march=native",
            "-mtune=generic",
            "-msse2",
        ];
        let w: Vec<String> = std::iter::once("-c".to_string())
            .chain(words.iter().map(ToString::to_string))
            .chain(["a.c".to_string()])
            .collect();
        let id = |p: &str| p.to_string();
        let cmd = confess_shims::args::parse(&w, false, std::path::Path::new("/nonexistent"))
            .expect("parse");
        let flags = crate::model::flags::cflags(&cmd, &id);
        assert!(
            !flags.iter().any(|f| matches!(f, CFlag::Raw(_))),
            "{flags:?}"
        );
        let back: Vec<String> = flags.iter().flat_map(|f| cflag(f, &id)).collect();
        assert_eq!(back, words);
        for f in [
            CFlag::System("s".into()),
            CFlag::Quote("q".into()),
            CFlag::IncludeFile("pch.h".into()),
            CFlag::Language("c++".into()),
        ] {
            let w: Vec<String> = std::iter::once("-c".to_string())
                .chain(cflag(&f, &id))
                .chain(["a.c".to_string()])
                .collect();
            let cmd = confess_shims::args::parse(&w, false, std::path::Path::new("/nonexistent"))
                .expect("parse");
            assert_eq!(crate::model::flags::cflags(&cmd, &id), vec![f]);
        }
    }

    #[test]
    fn rendered_link_flags_parse_back_to_themselves() {
        let flags = vec![
            LDFlag::Soname("libz.so.1".into()),
            LDFlag::RpathLink("lib".into()),
            LDFlag::VersionScript("zlib.map".into()),
            LDFlag::ZKeyword("relro".into()),
            LDFlag::AsNeeded,
            LDFlag::LibPath("lib".into()),
            LDFlag::PIE,
            LDFlag::Compiler(CFlag::Optimize(OptLevel::O2)),
        ];
        let id = |p: &str| p.to_string();
        let mut w: Vec<String> = vec!["-o".into(), "x".into(), "a.o".into()];
        w.extend(flags.iter().flat_map(|f| ldflag(f, &id)));
        let cmd = confess_shims::args::parse(&w, false, std::path::Path::new("/nonexistent"))
            .expect("parse");
        assert_eq!(crate::model::flags::ldflags(&cmd, &id), flags);
    }
}
