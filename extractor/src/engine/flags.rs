//! A recorded compile or link call in the engine's flag vocabulary. Each argument becomes the
//! engine's constructor when the engine has one with the same meaning; every other argument
//! becomes `Raw`, one per word, the words exactly as the compiler received them (scratch paths
//! written as the manifests write them), in command-line order. Plumbing (`-c`, `-o`, depfile
//! flags) is the engine's business and is not a flag of the target; link inputs are deps.

use super::model::{CFlag, CStd, CxxStd, DebugLevel, Define, LDFlag, LTOMode, OptLevel, Sanitizer};
use crate::model::flags::plumbing;
use confess_shims::args::{Arg, ArgKind, Command};
use confess_shims::flags::Meaning;

/// An engine flag and the words of the argument it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spelled<F> {
    pub flag: F,
    pub words: Vec<String>,
}

/// How paths and words of a call are written: `path` for a path the engine types (`-I DIR`),
/// `text` for any other word (scratch paths mapped out).
pub struct Words<'a> {
    pub path: &'a dyn Fn(&str) -> String,
    pub text: &'a dyn Fn(&str) -> String,
}

impl Words<'_> {
    fn raw_c(&self, a: &Arg) -> Vec<Spelled<CFlag>> {
        a.words
            .iter()
            .map(|w| {
                let w = (self.text)(w);
                Spelled {
                    flag: CFlag::Raw(w.clone()),
                    words: vec![w],
                }
            })
            .collect()
    }

    fn raw_l(&self, a: &Arg) -> Vec<LDFlag> {
        a.words
            .iter()
            .map(|w| LDFlag::Raw((self.text)(w)))
            .collect()
    }
}

/// The engine's compile flags of a parsed compile call, each with its words.
#[must_use]
pub fn cflags(cmd: &Command, w: &Words) -> Vec<Spelled<CFlag>> {
    let mut out = Vec::new();
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => {}
            ArgKind::Flag(m) if plumbing(*m) || m.is_link_only() => {}
            ArgKind::Flag(m) => match cflag(*m, a, w) {
                Some(flag) => out.push(Spelled {
                    flag,
                    words: a.words.iter().map(|x| (w.text)(x)).collect(),
                }),
                None => out.extend(w.raw_c(a)),
            },
            ArgKind::Unknown => out.extend(w.raw_c(a)),
        }
    }
    out
}

/// The engine's typed form of one compile argument, when the engine has one that means
/// exactly what the argument means.
fn cflag(m: Meaning, a: &Arg, w: &Words) -> Option<CFlag> {
    let w0 = a.words.first().map_or("", String::as_str);
    let value = a.value.as_deref().unwrap_or("");
    Some(match m {
        Meaning::Include => CFlag::Include((w.path)(value)),
        Meaning::ISystem if w0.starts_with("-isystem") => CFlag::System((w.path)(value)),
        Meaning::Define => CFlag::Define(match value.split_once('=') {
            Some((name, val)) => Define {
                name: name.into(),
                value: Some(val.into()),
            },
            None => Define {
                name: value.into(),
                value: None,
            },
        }),
        Meaning::Undef => CFlag::Undef(value.into()),
        Meaning::Optimize => CFlag::Opt(match w0 {
            "-O0" => OptLevel::O0,
            "-O" | "-O1" => OptLevel::O1,
            "-O2" => OptLevel::O2,
            "-O3" => OptLevel::O3,
            "-Os" => OptLevel::Os,
            "-Oz" => OptLevel::Oz,
            "-Og" => OptLevel::Og,
            _ => return None,
        }),
        // -g is -g2: the same level, the same code and debug information.
        Meaning::Debug => CFlag::Debug(match w0 {
            "-g0" => DebugLevel::g0,
            "-g1" => DebugLevel::g1,
            "-g" | "-g2" => DebugLevel::g2,
            "-g3" => DebugLevel::g3,
            _ => return None,
        }),
        Meaning::Std => std(w0.strip_prefix("-std=")?)?,
        Meaning::Warning => match w0 {
            "-Wall" => CFlag::Wall,
            "-Wextra" => CFlag::Wextra,
            "-Werror" => CFlag::Werror,
            "-Wpedantic" | "-pedantic" => CFlag::Wpedantic,
            _ => CFlag::Wno(w0.strip_prefix("-Wno-").filter(|x| !x.is_empty())?.into()),
        },
        Meaning::Feature => match w0 {
            "-fPIC" => CFlag::PIC,
            "-fPIE" => CFlag::PIE,
            "-flto" => CFlag::LTO(LTOMode::full),
            "-flto=thin" => CFlag::LTO(LTOMode::thin),
            "-ffunction-sections" => CFlag::FunctionSections,
            "-fdata-sections" => CFlag::DataSections,
            "-fno-exceptions" => CFlag::NoExceptions,
            "-fno-rtti" => CFlag::NoRTTI,
            "-fsanitize=address" => CFlag::Sanitize(Sanitizer::address),
            "-fsanitize=memory" => CFlag::Sanitize(Sanitizer::memory),
            "-fsanitize=thread" => CFlag::Sanitize(Sanitizer::thread),
            "-fsanitize=undefined" => CFlag::Sanitize(Sanitizer::undefined),
            "-fsanitize=leak" => CFlag::Sanitize(Sanitizer::leak),
            _ => return None,
        },
        Meaning::Machine => {
            if w0 == "-march=native" {
                CFlag::Native
            } else if let Some(x) = w0.strip_prefix("-march=") {
                CFlag::March(x.into())
            } else if let Some(x) = w0.strip_prefix("-mtune=") {
                CFlag::Mtune(x.into())
            } else {
                return None;
            }
        }
        Meaning::Pthread if w0 == "-pthread" => CFlag::Pthread,
        _ => return None,
    })
}

/// `-std=` values with an engine standard: ISO C and C++ only (the engine has no GNU dialects,
/// and no C++98). Aliases gcc accepts for the same standard are that standard.
fn std(s: &str) -> Option<CFlag> {
    Some(match s {
        "c89" | "c90" | "iso9899:1990" => CFlag::StdC(CStd::c89),
        "c99" | "c9x" | "iso9899:1999" | "iso9899:199x" => CFlag::StdC(CStd::c99),
        "c11" | "c1x" | "iso9899:2011" => CFlag::StdC(CStd::c11),
        "c17" | "c18" | "iso9899:2017" | "iso9899:2018" => CFlag::StdC(CStd::c17),
        "c23" | "c2x" | "iso9899:2024" => CFlag::StdC(CStd::c23),
        "c++11" | "c++0x" => CFlag::StdCxx(CxxStd::cxx11),
        "c++14" | "c++1y" => CFlag::StdCxx(CxxStd::cxx14),
        "c++17" | "c++1z" => CFlag::StdCxx(CxxStd::cxx17),
        "c++20" | "c++2a" => CFlag::StdCxx(CxxStd::cxx20),
        "c++23" | "c++2b" => CFlag::StdCxx(CxxStd::cxx23),
        _ => return None,
    })
}

/// Linker options (`-Wl,` and `-Xlinker` values) that take the next word as their value.
fn takes_value(o: &str) -> bool {
    matches!(
        o,
        "-soname"
            | "--soname"
            | "-h"
            | "-rpath"
            | "--rpath"
            | "-R"
            | "-rpath-link"
            | "--rpath-link"
            | "--version-script"
            | "-version-script"
    )
}

/// The engine's typed form of one linker option with its value, if it has one.
fn linker_option(o: &str, value: Option<&str>, w: &Words) -> Option<LDFlag> {
    let with = |v: &str| -> Option<LDFlag> {
        Some(match o {
            "-soname" | "--soname" | "-h" => LDFlag::Soname(v.into()),
            "-rpath" | "--rpath" | "-R" => LDFlag::Rpath(rpath(v, w)),
            "-rpath-link" | "--rpath-link" => LDFlag::RpathLink(rpath(v, w)),
            "--version-script" | "-version-script" => LDFlag::VersionScript((w.path)(v)),
            _ => return None,
        })
    };
    if let Some(v) = value {
        return with(v);
    }
    if let Some((k, v)) = o.split_once('=') {
        return linker_option(k, Some(v), w).filter(|_| takes_value(k));
    }
    Some(match o {
        "--as-needed" => LDFlag::AsNeeded,
        "--no-as-needed" => LDFlag::NoAsNeeded,
        "--gc-sections" => LDFlag::GcSections,
        "--no-gc-sections" => LDFlag::NoGcSections,
        "--print-gc-sections" => LDFlag::PrintGcSections,
        "-E" | "--export-dynamic" | "-export-dynamic" => LDFlag::ExportDynamic,
        "-s" | "--strip-all" => LDFlag::Strip,
        "-S" | "--strip-debug" => LDFlag::StripDebug,
        _ => return None,
    })
}

/// An rpath list: each directory as the manifests write paths, `$ORIGIN` and the like as
/// written.
fn rpath(v: &str, w: &Words) -> String {
    super::map_dirs(v, w.path)
}

/// The engine's link flags of a parsed link call, in command-line order. `-l` libraries the
/// project builds itself are deps (`Local`), not flags: `external` says which names are not.
/// The preprocessor's flags are left out: a link ignores them, and a compile-and-link call's
/// `-I/abs/dir` would otherwise tie the manifest to one machine's paths.
pub fn ldflags(cmd: &Command, w: &Words, external: &dyn Fn(&str) -> bool) -> Vec<LDFlag> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < cmd.args.len() {
        let a = &cmd.args[k];
        k += 1;
        let w0 = a.words.first().map_or("", String::as_str);
        let value = a.value.as_deref().unwrap_or("");
        let m = match &a.kind {
            ArgKind::Input => continue,
            ArgKind::Unknown => {
                out.extend(w.raw_l(a));
                continue;
            }
            ArgKind::Flag(m) if plumbing(*m) || m.is_preprocessor_only() => continue,
            ArgKind::Flag(m) => *m,
        };
        let typed = match m {
            Meaning::Lib if external(value) => Some(LDFlag::Lib(value.into())),
            Meaning::Lib => continue,
            Meaning::LibPath => Some(LDFlag::LibPath((w.path)(value))),
            Meaning::Shared if w0 == "-shared" => Some(LDFlag::Shared),
            Meaning::Static if w0 == "-static" => Some(LDFlag::Static),
            Meaning::Pie if w0 == "-pie" => Some(LDFlag::Pie),
            Meaning::Pie if w0 == "-no-pie" => Some(LDFlag::NoPie),
            Meaning::Relocatable if w0 == "-r" => Some(LDFlag::Relocatable),
            Meaning::Rdynamic => Some(LDFlag::ExportDynamic),
            Meaning::LinkMisc if w0 == "-s" => Some(LDFlag::Strip),
            Meaning::LinkerArg | Meaning::Xlinker => {
                let parts: Vec<&str> = if m == Meaning::LinkerArg {
                    value.split(',').collect()
                } else {
                    vec![value]
                };
                match parts.as_slice() {
                    [opt] if takes_value(opt) => {
                        // The value in the next argument of the same kind (libtool writes
                        // `-Wl,-version-script -Wl,FILE`).
                        let next = cmd.args.get(k).filter(|arg| arg.kind == a.kind);
                        let nv = next.and_then(|arg| arg.value.as_deref());
                        match nv
                            .filter(|nv| m == Meaning::Xlinker || !nv.contains(','))
                            .and_then(|nv| linker_option(opt, Some(nv), w))
                        {
                            Some(flag) => {
                                k += 1;
                                Some(flag)
                            }
                            None => None,
                        }
                    }
                    [opt] => linker_option(opt, None, w),
                    [opt, val] if takes_value(opt) => linker_option(opt, Some(val), w),
                    _ => None,
                }
            }
            _ => None,
        };
        match typed {
            Some(flag) => out.push(flag),
            None => out.extend(w.raw_l(a)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Command {
        let w: Vec<String> = words.iter().map(ToString::to_string).collect();
        confess_shims::args::parse(&w, false, std::path::Path::new("/p")).expect("parses")
    }

    fn words() -> (impl Fn(&str) -> String, impl Fn(&str) -> String) {
        (
            |p: &str| format!("<{p}>"),
            |t: &str| t.replace("/scratch", "[build]"),
        )
    }

    #[test]
    fn compile_words_become_engine_constructors_or_raw_words_in_order() {
        let (p, t) = words();
        let w = Words { path: &p, text: &t };
        let cmd = parse(&[
            "-c",
            "-O2",
            "-g",
            "-std=gnu99",
            "-Wall",
            "-Wshadow",
            "-Wno-unused",
            "-DA",
            "-DB=1",
            "-UC",
            "-Iinc",
            "-isystem",
            "sys",
            "-fPIC",
            "-fvisibility=hidden",
            "-march=native",
            "-march=x86-64-v3",
            "-pthread",
            "-include",
            "/scratch/config.h",
            "-MD",
            "-MF",
            "a.d",
            "-o",
            "a.o",
            "a.c",
        ]);
        let got: Vec<CFlag> = cflags(&cmd, &w).into_iter().map(|s| s.flag).collect();
        let raw = |s: &str| CFlag::Raw(s.into());
        assert_eq!(
            got,
            vec![
                CFlag::Opt(OptLevel::O2),
                CFlag::Debug(DebugLevel::g2),
                raw("-std=gnu99"),
                CFlag::Wall,
                raw("-Wshadow"),
                CFlag::Wno("unused".into()),
                CFlag::Define(Define {
                    name: "A".into(),
                    value: None
                }),
                CFlag::Define(Define {
                    name: "B".into(),
                    value: Some("1".into())
                }),
                CFlag::Undef("C".into()),
                CFlag::Include("<inc>".into()),
                CFlag::System("<sys>".into()),
                CFlag::PIC,
                raw("-fvisibility=hidden"),
                CFlag::Native,
                CFlag::March("x86-64-v3".into()),
                CFlag::Pthread,
                raw("-include"),
                raw("[build]/config.h"),
            ]
        );
    }

    #[test]
    fn link_words_keep_their_order_and_libraries_the_project_builds_are_deps() {
        let (p, t) = words();
        let w = Words { path: &p, text: &t };
        let cmd = parse(&[
            "-shared",
            "-Wl,-soname,libx.so.1",
            "-Wl,-z,relro",
            "-Wl,--as-needed",
            "-o",
            "libx.so",
            "a.o",
            "-L.",
            "-lown",
            "-lm",
            "-Wl,-version-script",
            "-Wl,x.map",
            "-Wl,-rpath,/scratch/lib:$ORIGIN",
            "-O2",
            // The preprocessor's words (a compile-and-link call's) are the compile's.
            "-I/scratch/inc",
            "-DA=1",
            "-include",
            "/scratch/config.h",
        ]);
        let got = ldflags(&cmd, &w, &|l| l != "own");
        assert_eq!(
            got,
            vec![
                LDFlag::Shared,
                LDFlag::Soname("libx.so.1".into()),
                LDFlag::Raw("-Wl,-z,relro".into()),
                LDFlag::AsNeeded,
                LDFlag::LibPath("<.>".into()),
                LDFlag::Lib("m".into()),
                LDFlag::VersionScript("<x.map>".into()),
                LDFlag::Rpath("</scratch/lib>:$ORIGIN".into()),
                LDFlag::Raw("-O2".into()),
            ]
        );
    }
}
