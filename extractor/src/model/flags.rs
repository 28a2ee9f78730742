//! Compiler and linker words to typed flags. The shim's flag table says what each word means;
//! this says which typed alternative stands for it. Words with no typed alternative become
//! `Raw`, which report.md counts and lists.

use super::{
    CFlag, Define, Feature, LDFlag, Lto, OptLevel, Param, StackProtector, Std, SymbolVisibility,
};
use confess_shims::args::{ArgKind, Command};
use confess_shims::flags::Meaning;

/// How a compile or link call is built: the words that say where outputs go, what is an
/// input, and which step to stop at are the engine's business, not flags.
pub(crate) fn plumbing(m: Meaning) -> bool {
    m.names_output()
        || m.is_stop()
        || matches!(
            m,
            Meaning::Pipe | Meaning::Verbose | Meaning::Info | Meaning::Sysroot
        )
}

/// Typed compile flags of a parsed compile call, in command-line order. `path` renders a path
/// the call names (relative to its working directory) as the manifests write paths.
pub fn cflags(cmd: &Command, path: &dyn Fn(&str) -> String) -> Vec<CFlag> {
    let mut out = Vec::new();
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => {}
            ArgKind::Unknown => out.push(CFlag::Raw(a.words.join(" "))),
            ArgKind::Flag(m) if plumbing(*m) || m.is_link_only() => {}
            ArgKind::Flag(m) => out.push(cflag(*m, &a.words, a.value.as_deref(), path)),
        }
    }
    out
}

/// The sysroot a call names, if any.
pub fn sysroot(cmd: &Command, path: &dyn Fn(&str) -> String) -> Option<String> {
    cmd.values(Meaning::Sysroot).last().map(path)
}

fn raw(words: &[String]) -> CFlag {
    CFlag::Raw(words.join(" "))
}

pub fn cflag(
    m: Meaning,
    words: &[String],
    value: Option<&str>,
    path: &dyn Fn(&str) -> String,
) -> CFlag {
    let w0 = words.first().map_or("", String::as_str);
    let v = value.unwrap_or("");
    match m {
        Meaning::Include => CFlag::Include(path(v)),
        Meaning::ISystem => CFlag::System(path(v)),
        Meaning::IQuote => CFlag::Quote(path(v)),
        Meaning::IDirAfter => CFlag::DirAfter(path(v)),
        Meaning::IncludeFile => CFlag::IncludeFile(path(v)),
        Meaning::IMacros => CFlag::MacrosFile(path(v)),
        Meaning::NoStdInc if w0 == "-nostdinc" => CFlag::NoStdInc,
        Meaning::Define => {
            let (name, value) = match v.split_once('=') {
                Some((n, val)) => (n.to_string(), Some(val.to_string())),
                None => (v.to_string(), None),
            };
            CFlag::Define(Define { name, value })
        }
        Meaning::Undef => CFlag::Undefine(v.to_string()),
        Meaning::Optimize => match w0 {
            "-O0" => CFlag::Optimize(OptLevel::O0),
            "-O" | "-O1" => CFlag::Optimize(OptLevel::O1),
            "-O2" => CFlag::Optimize(OptLevel::O2),
            "-O3" => CFlag::Optimize(OptLevel::O3),
            "-Os" => CFlag::Optimize(OptLevel::Os),
            "-Oz" => CFlag::Optimize(OptLevel::Oz),
            "-Ofast" => CFlag::Optimize(OptLevel::Ofast),
            "-Og" => CFlag::Optimize(OptLevel::Og),
            _ => raw(words),
        },
        Meaning::Debug => match w0 {
            "-g0" => CFlag::Debug(0),
            "-g1" => CFlag::Debug(1),
            "-g" | "-g2" => CFlag::Debug(2),
            "-g3" => CFlag::Debug(3),
            w if w.starts_with("-g") && w.len() > 2 => CFlag::DebugFormat(w[2..].to_string()),
            _ => raw(words),
        },
        Meaning::Std => match w0.strip_prefix("-std=").and_then(std_of) {
            Some(s) => CFlag::Std(s),
            None if w0 == "-ansi" => CFlag::Std(Std::C89),
            None => raw(words),
        },
        Meaning::Warning => warning(w0).unwrap_or_else(|| raw(words)),
        Meaning::Feature => feature(w0).unwrap_or_else(|| raw(words)),
        Meaning::Machine => {
            if let Some(a) = w0.strip_prefix("-march=") {
                CFlag::March(a.to_string())
            } else if let Some(t) = w0.strip_prefix("-mtune=") {
                CFlag::Mtune(t.to_string())
            } else if let Some(rest) = w0.strip_prefix("-m") {
                CFlag::Machine(rest.to_string())
            } else {
                raw(words)
            }
        }
        Meaning::Pthread => CFlag::Pthread,
        Meaning::Language => CFlag::Language(v.to_string()),
        Meaning::Param => match v.split_once('=') {
            Some((n, val)) => CFlag::Param(Param {
                name: n.to_string(),
                value: val.to_string(),
            }),
            None => raw(words),
        },
        Meaning::Assembler => match w0.strip_prefix("-Wa,") {
            Some(rest) => CFlag::Assembler(rest.to_string()),
            None => raw(words),
        },
        _ => raw(words),
    }
}

fn std_of(s: &str) -> Option<Std> {
    Some(match s {
        "c89" | "c90" | "iso9899:1990" | "iso9899:199409" => Std::C89,
        "c99" | "c9x" | "iso9899:1999" => Std::C99,
        "c11" | "c1x" | "iso9899:2011" => Std::C11,
        "c17" | "c18" | "iso9899:2017" | "iso9899:2018" => Std::C17,
        "c23" | "c2x" | "iso9899:2024" => Std::C23,
        "gnu89" | "gnu90" => Std::GNU89,
        "gnu99" | "gnu9x" => Std::GNU99,
        "gnu11" | "gnu1x" => Std::GNU11,
        "gnu17" | "gnu18" => Std::GNU17,
        "gnu23" | "gnu2x" => Std::GNU23,
        "c++98" => Std::CXX98,
        "c++03" => Std::CXX03,
        "c++11" | "c++0x" => Std::CXX11,
        "c++14" | "c++1y" => Std::CXX14,
        "c++17" | "c++1z" => Std::CXX17,
        "c++20" | "c++2a" => Std::CXX20,
        "c++23" | "c++2b" => Std::CXX23,
        "c++26" | "c++2c" => Std::CXX26,
        "gnu++98" => Std::GNUXX98,
        "gnu++03" => Std::GNUXX03,
        "gnu++11" | "gnu++0x" => Std::GNUXX11,
        "gnu++14" | "gnu++1y" => Std::GNUXX14,
        "gnu++17" | "gnu++1z" => Std::GNUXX17,
        "gnu++20" | "gnu++2a" => Std::GNUXX20,
        "gnu++23" | "gnu++2b" => Std::GNUXX23,
        "gnu++26" | "gnu++2c" => Std::GNUXX26,
        _ => return None,
    })
}

fn warning(w: &str) -> Option<CFlag> {
    Some(match w {
        "-w" => CFlag::NoWarnings,
        "-pedantic" | "-Wpedantic" => CFlag::Pedantic,
        "-pedantic-errors" => CFlag::PedanticErrors,
        "-Werror" => CFlag::WarningsAsErrors,
        _ => {
            let rest = w.strip_prefix("-W")?;
            // -Wl, -Wa, -Wp are not warnings; the table gives them their own meanings.
            if rest.is_empty() || rest.contains(',') {
                return None;
            }
            if let Some(e) = rest.strip_prefix("error=") {
                CFlag::WarnError(e.to_string())
            } else if let Some(n) = rest.strip_prefix("no-") {
                CFlag::NoWarn(n.to_string())
            } else {
                CFlag::Warn(rest.to_string())
            }
        }
    })
}

fn feature(w: &str) -> Option<CFlag> {
    let rest = w.strip_prefix("-f")?;
    Some(match rest {
        "PIC" => CFlag::PIC,
        "pic" => CFlag::SmallPIC,
        "PIE" => CFlag::PIE,
        "pie" => CFlag::SmallPIE,
        "no-PIC" | "no-pic" | "no-PIE" | "no-pie" => CFlag::NoPIC,
        "lto" | "lto=full" => CFlag::LTO(Lto::Full),
        "lto=thin" => CFlag::LTO(Lto::Thin),
        "lto=auto" | "lto=jobserver" => CFlag::LTO(Lto::Auto),
        "no-lto" => CFlag::NoLTO,
        "stack-protector" => CFlag::StackProtector(StackProtector::Basic),
        "stack-protector-strong" => CFlag::StackProtector(StackProtector::Strong),
        "stack-protector-all" => CFlag::StackProtector(StackProtector::All),
        "stack-protector-explicit" => CFlag::StackProtector(StackProtector::Explicit),
        "no-stack-protector" => CFlag::NoStackProtector,
        _ => {
            if let Some(n) = rest.strip_prefix("lto=") {
                return n.parse().ok().map(|j| CFlag::LTO(Lto::Jobs(j)));
            }
            if let Some(v) = rest.strip_prefix("visibility=") {
                return Some(CFlag::Visibility(match v {
                    "default" => SymbolVisibility::Default,
                    "hidden" => SymbolVisibility::Hidden,
                    "internal" => SymbolVisibility::Internal,
                    "protected" => SymbolVisibility::Protected,
                    _ => return None,
                }));
            }
            // Plugins and files named by -f options are inputs the engine cannot see.
            if rest.starts_with("plugin") || rest.starts_with("profile-use") {
                return None;
            }
            match rest.strip_prefix("no-") {
                Some(n) if !n.is_empty() => CFlag::Feature(Feature {
                    name: n.to_string(),
                    enabled: false,
                }),
                _ if !rest.is_empty() => CFlag::Feature(Feature {
                    name: rest.to_string(),
                    enabled: true,
                }),
                _ => return None,
            }
        }
    })
}

/// Typed link flags of a parsed link call. Libraries and inputs are dependencies; `-o` and
/// `-shared` are said by the target's output and kind; the preprocessor's flags are the
/// compile's (a link ignores them).
pub fn ldflags(cmd: &Command, path: &dyn Fn(&str) -> String) -> Vec<LDFlag> {
    let mut out = Vec::new();
    let mut it = cmd.args.iter().peekable();
    while let Some(a) = it.next() {
        let w0 = a.words.first().map_or("", String::as_str);
        let v = a.value.as_deref().unwrap_or("");
        match &a.kind {
            ArgKind::Input => {}
            ArgKind::Unknown => out.push(LDFlag::Raw(a.words.join(" "))),
            ArgKind::Flag(m) if plumbing(*m) || m.is_preprocessor_only() => {}
            ArgKind::Flag(m) => match m {
                Meaning::Lib | Meaning::Shared | Meaning::Relocatable => {}
                Meaning::LibPath => out.push(LDFlag::LibPath(path(v))),
                Meaning::LinkerArg => {
                    // ld reads consecutive -Wl, words as one run (libtool writes
                    // `-Wl,-version-script -Wl,FILE`): gather it so options pair with values.
                    let mut parts: Vec<String> = v.split(',').map(str::to_string).collect();
                    while let Some(n) = it.peek() {
                        if n.kind == ArgKind::Flag(Meaning::LinkerArg) {
                            let nv = n.value.clone().unwrap_or_default();
                            parts.extend(nv.split(',').map(str::to_string));
                            it.next();
                        } else {
                            break;
                        }
                    }
                    linker_words(&parts, path, &mut out);
                }
                Meaning::Xlinker => {
                    // -Xlinker a -Xlinker b: gather the run so options with values pair up.
                    let mut parts = vec![v.to_string()];
                    while let Some(n) = it.peek() {
                        if n.kind == ArgKind::Flag(Meaning::Xlinker) {
                            parts.push(n.value.clone().unwrap_or_default());
                            it.next();
                        } else {
                            break;
                        }
                    }
                    linker_words(&parts, path, &mut out);
                }
                Meaning::Static => out.push(match w0 {
                    "-static" => LDFlag::Static,
                    "-static-libgcc" => LDFlag::StaticLibgcc,
                    "-static-libstdc++" => LDFlag::StaticLibstdcxx,
                    _ => LDFlag::Raw(a.words.join(" ")),
                }),
                Meaning::Pie => out.push(match w0 {
                    "-pie" => LDFlag::PIE,
                    "-no-pie" => LDFlag::NoPIE,
                    _ => LDFlag::Raw(a.words.join(" ")),
                }),
                Meaning::Rdynamic => out.push(LDFlag::ExportDynamic),
                Meaning::NoStdLib => out.push(match w0 {
                    "-nostdlib" => LDFlag::NoStdLib,
                    "-nodefaultlibs" => LDFlag::NoDefaultLibs,
                    "-nostartfiles" => LDFlag::NoStartFiles,
                    _ => LDFlag::Raw(a.words.join(" ")),
                }),
                Meaning::LinkMisc => out.push(match w0 {
                    "-s" => LDFlag::Strip,
                    "-T" => LDFlag::Script(path(v)),
                    "-u" => LDFlag::UndefinedSymbol(v.to_string()),
                    "-e" => LDFlag::Entry(v.to_string()),
                    "-z" => LDFlag::ZKeyword(v.to_string()),
                    _ => LDFlag::Raw(a.words.join(" ")),
                }),
                m => out.push(LDFlag::Compiler(cflag(
                    *m,
                    &a.words,
                    a.value.as_deref(),
                    path,
                ))),
            },
        }
    }
    out
}

/// An rpath is a list of directories separated by colons (CMake ends its build-tree rpaths
/// with one); `$ORIGIN` and the like stay as written.
fn rpaths(v: &str, path: &dyn Fn(&str) -> String, out: &mut Vec<LDFlag>) {
    for d in v.split(':').filter(|d| !d.is_empty()) {
        out.push(LDFlag::Rpath(if d.starts_with('$') {
            d.to_string()
        } else {
            path(d)
        }));
    }
}

/// Options passed to the linker (`-Wl,a,b`), as ld reads them.
fn linker_words(parts: &[String], path: &dyn Fn(&str) -> String, out: &mut Vec<LDFlag>) {
    let mut i = 0;
    let raw = |w: &str| LDFlag::Raw(format!("-Wl,{w}"));
    while i < parts.len() {
        let p = parts[i].as_str();
        let next = parts.get(i + 1).map(String::as_str);
        let (flag, used) = match p {
            "-soname" | "-h" | "--soname" => match next {
                Some(n) => (LDFlag::Soname(n.to_string()), 2),
                None => (raw(p), 1),
            },
            "-rpath" | "-R" | "--rpath" => match next {
                Some(n) => {
                    rpaths(n, path, out);
                    i += 2;
                    continue;
                }
                None => (raw(p), 1),
            },
            "-rpath-link" | "--rpath-link" => match next {
                Some(n) => {
                    for d in n.split(':').filter(|d| !d.is_empty()) {
                        out.push(LDFlag::RpathLink(path(d)));
                    }
                    i += 2;
                    continue;
                }
                None => (raw(p), 1),
            },
            // ld takes its long options with one dash too (libtool writes -version-script).
            "--version-script" | "-version-script" => match next {
                Some(n) => (LDFlag::VersionScript(path(n)), 2),
                None => (raw(p), 1),
            },
            "-z" => match next {
                Some(n) => (LDFlag::ZKeyword(n.to_string()), 2),
                None => (raw(p), 1),
            },
            "-E" | "--export-dynamic" | "-export-dynamic" => (LDFlag::ExportDynamic, 1),
            "--as-needed" => (LDFlag::AsNeeded, 1),
            // The group brackets the link's libraries; the deps keep their order.
            "--start-group" | "-(" => {
                if !out.contains(&LDFlag::GroupDeps) {
                    out.push(LDFlag::GroupDeps);
                }
                i += 1;
                continue;
            }
            "--end-group" | "-)" => {
                i += 1;
                continue;
            }
            "--no-as-needed" => (LDFlag::NoAsNeeded, 1),
            "--no-undefined" | "-zdefs" => (LDFlag::NoUndefined, 1),
            "--gc-sections" => (LDFlag::GcSections, 1),
            "--build-id" => (LDFlag::BuildId(None), 1),
            _ => {
                if let Some(v) = p
                    .strip_prefix("-soname=")
                    .or_else(|| p.strip_prefix("--soname="))
                {
                    (LDFlag::Soname(v.to_string()), 1)
                } else if let Some(v) = p
                    .strip_prefix("-rpath=")
                    .or_else(|| p.strip_prefix("--rpath="))
                {
                    rpaths(v, path, out);
                    i += 1;
                    continue;
                } else if let Some(v) = p
                    .strip_prefix("-rpath-link=")
                    .or_else(|| p.strip_prefix("--rpath-link="))
                {
                    for d in v.split(':').filter(|d| !d.is_empty()) {
                        out.push(LDFlag::RpathLink(path(d)));
                    }
                    i += 1;
                    continue;
                } else if let Some(v) = p
                    .strip_prefix("--version-script=")
                    .or_else(|| p.strip_prefix("-version-script="))
                {
                    (LDFlag::VersionScript(path(v)), 1)
                } else if let Some(v) = p.strip_prefix("--build-id=") {
                    (LDFlag::BuildId(Some(v.to_string())), 1)
                } else if let Some(v) = p.strip_prefix("--hash-style=") {
                    (LDFlag::HashStyle(v.to_string()), 1)
                } else if let Some(v) = p.strip_prefix("-z").filter(|v| !v.is_empty()) {
                    (LDFlag::ZKeyword(v.to_string()), 1)
                } else if let Some(n) = p.strip_prefix("-O").and_then(|n| n.parse().ok()) {
                    (LDFlag::LinkerOptimize(n), 1)
                } else {
                    (raw(p), 1)
                }
            }
        };
        out.push(flag);
        i += used;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Command {
        let w: Vec<String> = words.iter().map(ToString::to_string).collect();
        confess_shims::args::parse(&w, false, std::path::Path::new("/nonexistent")).expect("parse")
    }

    #[test]
    fn common_compile_flags_are_typed() {
        let cmd = parse(&[
            "-c",
            "-O2",
            "-g",
            "-Wall",
            "-Wno-unused",
            "-Werror",
            "-std=c99",
            "-fPIC",
            "-fvisibility=hidden",
            "-DX=1",
            "-DY",
            "-Iinc",
            "-o",
            "a.o",
            "a.c",
            "-MD",
            "-MF",
            "a.d",
            "-fstack-protector-strong",
            "-pedantic",
            "-fno-common",
            "-march=native",
        ]);
        let f = cflags(&cmd, &|p| p.to_string());
        assert!(!f.iter().any(|f| matches!(f, CFlag::Raw(_))), "{f:?}");
        assert_eq!(
            f,
            vec![
                CFlag::Optimize(OptLevel::O2),
                CFlag::Debug(2),
                CFlag::Warn("all".into()),
                CFlag::NoWarn("unused".into()),
                CFlag::WarningsAsErrors,
                CFlag::Std(Std::C99),
                CFlag::PIC,
                CFlag::Visibility(SymbolVisibility::Hidden),
                CFlag::Define(Define {
                    name: "X".into(),
                    value: Some("1".into())
                }),
                CFlag::Define(Define {
                    name: "Y".into(),
                    value: None
                }),
                CFlag::Include("inc".into()),
                CFlag::StackProtector(StackProtector::Strong),
                CFlag::Pedantic,
                CFlag::Feature(Feature {
                    name: "common".into(),
                    enabled: false
                }),
                CFlag::March("native".into()),
            ]
        );
    }

    #[test]
    fn linker_options_are_typed() {
        let cmd = parse(&[
            "-shared",
            "-Wl,-soname,libz.so.1,--version-script,zlib.map",
            "-Wl,-version-script",
            "-Wl,lib.ver",
            "-o",
            "libz.so",
            "a.o",
            "-lc",
            "-Wl,-E",
            "-Wl,-z,relro",
            "-O2",
            "-I/abs/inc",
            "-DX=1",
        ]);
        let f = ldflags(&cmd, &|p| p.to_string());
        assert_eq!(
            f,
            vec![
                LDFlag::Soname("libz.so.1".into()),
                LDFlag::VersionScript("zlib.map".into()),
                LDFlag::VersionScript("lib.ver".into()),
                LDFlag::ExportDynamic,
                LDFlag::ZKeyword("relro".into()),
                LDFlag::Compiler(CFlag::Optimize(OptLevel::O2)),
            ]
        );
    }

    #[test]
    fn unknown_words_are_raw() {
        let cmd = parse(&["-c", "--frobnicate", "a.c"]);
        assert_eq!(
            cflags(&cmd, &|p| p.to_string()),
            vec![CFlag::Raw("--frobnicate".into())]
        );
    }
}
