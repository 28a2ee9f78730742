//! Parsing a gcc/clang command line into what it asks for: one loop over the flag table.
//!
//! Response files (`@file`) are expanded first, recursively, with gcc's quoting rules.
//! Every word ends up in `Command::args` with its meaning, so nothing is dropped; flags that
//! the table does not know are kept verbatim and listed in `Command::unknown`.

use crate::flags::{self, Meaning, Take};
use crate::raw;
use std::path::Path;

/// Source languages, from `-x` or the file extension (gcc's rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    C,
    Cxx,
    ObjC,
    ObjCxx,
    /// `.s`: assembler without preprocessing.
    Asm,
    /// `.S`, `.sx`: assembler through the preprocessor.
    AsmCpp,
    CHeader,
    CxxHeader,
    PreprocessedC,
    PreprocessedCxx,
}

impl Lang {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::C => "c",
            Lang::Cxx => "c++",
            Lang::ObjC => "objective-c",
            Lang::ObjCxx => "objective-c++",
            Lang::Asm => "assembler",
            Lang::AsmCpp => "assembler-with-cpp",
            Lang::CHeader => "c-header",
            Lang::CxxHeader => "c++-header",
            Lang::PreprocessedC => "cpp-output",
            Lang::PreprocessedCxx => "c++-cpp-output",
        }
    }

    /// The `-x` spelling; `None` for `-x none` (back to extensions) and unknown languages.
    #[must_use]
    pub fn from_x(name: &str) -> Option<Lang> {
        Some(match name {
            "c" => Lang::C,
            "c++" => Lang::Cxx,
            "objective-c" => Lang::ObjC,
            "objective-c++" => Lang::ObjCxx,
            "assembler" => Lang::Asm,
            "assembler-with-cpp" => Lang::AsmCpp,
            "c-header" => Lang::CHeader,
            "c++-header" => Lang::CxxHeader,
            "cpp-output" => Lang::PreprocessedC,
            "c++-cpp-output" => Lang::PreprocessedCxx,
            _ => return None,
        })
    }

    /// gcc's extension table; `None` means the file goes to the linker.
    #[must_use]
    pub fn from_path(path: &str) -> Option<Lang> {
        let ext = Path::new(path).extension()?.to_str()?;
        Some(match ext {
            "c" => Lang::C,
            "cc" | "cp" | "cxx" | "cpp" | "CPP" | "c++" | "C" => Lang::Cxx,
            "m" => Lang::ObjC,
            "mm" | "M" => Lang::ObjCxx,
            "s" => Lang::Asm,
            "S" | "sx" => Lang::AsmCpp,
            "h" => Lang::CHeader,
            "hh" | "H" | "hp" | "hxx" | "hpp" | "HPP" | "h++" | "tcc" => Lang::CxxHeader,
            "i" => Lang::PreprocessedC,
            "ii" => Lang::PreprocessedCxx,
            _ => return None,
        })
    }

    /// Whether compiling this language goes through the preprocessor (and so has headers).
    #[must_use]
    pub fn preprocessed(self) -> bool {
        !matches!(
            self,
            Lang::Asm | Lang::PreprocessedC | Lang::PreprocessedCxx
        )
    }

    #[must_use]
    pub fn is_header(self) -> bool {
        matches!(self, Lang::CHeader | Lang::CxxHeader)
    }
}

/// Where the driver stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Runs to the end: an executable, shared object or relocatable object.
    Link,
    /// `-c`: objects.
    Object,
    /// `-S`: assembly.
    Assembly,
    /// `-E`: preprocessed text.
    Preprocess,
    /// `-M`/`-MM` without `-c`/`-MD`: only dependency rules.
    DepsOnly,
}

/// What a link produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Executable,
    Shared,
    /// `-r`: a relocatable object.
    Relocatable,
}

/// What one word of the command line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A flag from the table.
    Flag(Meaning),
    /// A flag the table does not know: kept verbatim.
    Unknown,
    /// A positional input (source, object, archive, library file, or `-` for stdin).
    Input,
}

/// One argument as given, possibly two words (`-o out`, `-MF file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub words: Vec<String>,
    pub kind: ArgKind,
    /// The flag's argument, glued or separate; `None` for flags without one.
    pub value: Option<String>,
}

/// A positional input with the language it is compiled as (`None`: it goes to the linker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: String,
    pub lang: Option<Lang>,
    /// Index into `Command::args`.
    pub arg: usize,
}

/// The dependency-file options, however they were spelled (`-MD -MF x`, `-Wp,-MD,x`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // each is a gcc option of its own, given in any mix
pub struct DepOpts {
    /// `-MD` or `-MMD`: write a depfile beside compiling.
    pub side: bool,
    /// `-MM` or `-MMD`: leave out system headers.
    pub user_only: bool,
    /// `-MF`.
    pub file: Option<String>,
    /// `-MT` (false) and `-MQ` (true, quoted for make) targets, in order.
    pub targets: Vec<(String, bool)>,
    /// `-MP`: phony targets for each header.
    pub phony: bool,
    /// `-MG`: missing headers are generated files.
    pub missing_gen: bool,
}

/// A parsed driver command line.
#[derive(Clone, Debug, Default)]
pub struct Command {
    pub args: Vec<Arg>,
    pub inputs: Vec<Input>,
    pub stop: Option<Stop>,
    pub output: Option<String>,
    pub info: bool,
    pub dep: DepOpts,
    pub shared: bool,
    pub relocatable: bool,
    pub unknown: Vec<String>,
    /// Response files that were expanded, in the order met.
    pub response_files: Vec<String>,
}

impl Command {
    /// Where the driver stops (gcc runs to the link when nothing says otherwise).
    #[must_use]
    pub fn stop(&self) -> Stop {
        self.stop.unwrap_or(Stop::Link)
    }

    #[must_use]
    pub fn link_kind(&self) -> LinkKind {
        if self.relocatable {
            LinkKind::Relocatable
        } else if self.shared {
            LinkKind::Shared
        } else {
            LinkKind::Executable
        }
    }

    /// Inputs the driver compiles (not the ones it passes to the linker).
    pub fn sources(&self) -> impl Iterator<Item = &Input> {
        self.inputs.iter().filter(|i| i.lang.is_some())
    }

    #[must_use]
    pub fn reads_stdin(&self) -> bool {
        self.inputs.iter().any(|i| i.path == "-")
    }

    /// Values of every argument with the given meaning, in order.
    pub fn values(&self, meaning: Meaning) -> impl Iterator<Item = &str> {
        self.args
            .iter()
            .filter(move |a| a.kind == ArgKind::Flag(meaning))
            .filter_map(|a| a.value.as_deref())
    }
}

/// Errors a command line can have that stop classification.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// `@file` names a directory, or too many `@file`s were met: gcc stops with an error,
    /// which the real tool gives in its own words.
    ResponseFile { path: String, reason: String },
    /// A flag that needs a following word was last.
    MissingValue { flag: String },
}

/// Parses `argv[1..]` of a compiler driver. `cwd` resolves relative response files.
pub fn parse(words: &[String], clang: bool, cwd: &Path) -> Result<Command, ParseError> {
    let mut cmd = Command::default();
    let expanded = expand_response_files(words, cwd, &mut cmd.response_files)?;
    let mut lang: Option<Lang> = None;
    let mut it = expanded.into_iter().peekable();
    while let Some(word) = it.next() {
        if word == "-" || !word.starts_with('-') || word.len() == 1 {
            let l = lang.or_else(|| Lang::from_path(&word));
            let l = if word == "-" { lang } else { l };
            cmd.inputs.push(Input {
                path: word.clone(),
                lang: l,
                arg: cmd.args.len(),
            });
            cmd.args.push(Arg {
                words: vec![word],
                kind: ArgKind::Input,
                value: None,
            });
            continue;
        }
        let Some(flag) = flags::lookup(&word, clang) else {
            cmd.unknown.push(word.clone());
            cmd.args.push(Arg {
                words: vec![word],
                kind: ArgKind::Unknown,
                value: None,
            });
            continue;
        };
        let mut words_of_arg = vec![word.clone()];
        let value = match flag.take {
            Take::None => None,
            Take::Separate => match it.next() {
                Some(v) => {
                    words_of_arg.push(v.clone());
                    Some(v)
                }
                None => return Err(ParseError::MissingValue { flag: word.clone() }),
            },
            Take::Joined => Some(word[flag.spelling.len()..].to_string()),
            Take::JoinedOrSeparate => {
                let glued = &word[flag.spelling.len()..];
                let glued = glued
                    .strip_prefix('=')
                    .filter(|_| flag.spelling.starts_with("--"))
                    .unwrap_or(glued);
                if glued.is_empty() {
                    match it.next() {
                        Some(v) => {
                            words_of_arg.push(v.clone());
                            Some(v)
                        }
                        None => return Err(ParseError::MissingValue { flag: word.clone() }),
                    }
                } else {
                    Some(glued.to_string())
                }
            }
        };
        if flag.spelling == "-MM" {
            cmd.dep.user_only = true;
        }
        apply(&mut cmd, flag.meaning, value.as_deref(), &mut lang);
        cmd.args.push(Arg {
            words: words_of_arg,
            kind: ArgKind::Flag(flag.meaning),
            value,
        });
    }
    // `-M`/`-MM` alone stop at dependencies; with `-c` or `-MD` they configure the depfile.
    if cmd.stop == Some(Stop::DepsOnly) && cmd.dep.side {
        cmd.stop = Some(Stop::Object);
    }
    Ok(cmd)
}

fn apply(cmd: &mut Command, meaning: Meaning, value: Option<&str>, lang: &mut Option<Lang>) {
    let v = value.unwrap_or("");
    match meaning {
        Meaning::StopAtObject => set_stop(cmd, Stop::Object),
        Meaning::StopAtAssembly => set_stop(cmd, Stop::Assembly),
        Meaning::StopAtPreprocess => set_stop(cmd, Stop::Preprocess),
        Meaning::DepsOnly => set_stop(cmd, Stop::DepsOnly),
        Meaning::DepFile => cmd.dep.side = true,
        Meaning::DepFileUser => {
            cmd.dep.side = true;
            cmd.dep.user_only = true;
        }
        Meaning::DepOutput => cmd.dep.file = Some(v.to_string()),
        Meaning::DepTarget => cmd.dep.targets.push((v.to_string(), false)),
        Meaning::DepTargetQ => cmd.dep.targets.push((v.to_string(), true)),
        Meaning::DepPhony => cmd.dep.phony = true,
        Meaning::DepMissingGen => cmd.dep.missing_gen = true,
        Meaning::Output => cmd.output = Some(v.to_string()),
        Meaning::Language => *lang = Lang::from_x(v),
        Meaning::Info => cmd.info = true,
        Meaning::Shared => cmd.shared = true,
        Meaning::Relocatable => cmd.relocatable = true,
        Meaning::PreprocArg => apply_wp(cmd, v),
        _ => {}
    }
}

/// A later stop flag wins only if it stops earlier: `-E` beats `-S` beats `-c`.
fn set_stop(cmd: &mut Command, stop: Stop) {
    let rank = |s: Stop| match s {
        Stop::Link => 0,
        Stop::Object => 1,
        Stop::Assembly => 2,
        Stop::DepsOnly => 3,
        Stop::Preprocess => 4,
    };
    if cmd.stop.is_none_or(|old| rank(stop) > rank(old)) {
        cmd.stop = Some(stop);
    }
}

/// `-Wp,-MD,file` and `-Wp,-MMD,file`: the kernel's and some Makefiles' way to ask for depfiles.
fn apply_wp(cmd: &mut Command, v: &str) {
    let parts: Vec<&str> = v.split(',').collect();
    match parts.as_slice() {
        ["-MD", file] => {
            cmd.dep.side = true;
            cmd.dep.file = Some((*file).to_string());
        }
        ["-MMD", file] => {
            cmd.dep.side = true;
            cmd.dep.user_only = true;
            cmd.dep.file = Some((*file).to_string());
        }
        _ => {}
    }
}

/// `words` with their `@file`s expanded as gcc expands them, which is also how binutils' ar,
/// ld, nm, objcopy and strip expand theirs (each calls libiberty's `expandargv` first thing).
pub fn expand_at_files(words: &[String], cwd: &Path) -> Result<Vec<String>, ParseError> {
    expand_response_files(words, cwd, &mut Vec::new())
}

/// How many `@file` words gcc reads for one command before it gives up (libiberty's
/// `expandargv`: "too many @-files encountered"); it also stops a file that names itself.
const MAX_RESPONSE_FILES: usize = 2000;

/// Expands `@file` words as gcc does (libiberty's `expandargv`): the file's words (see
/// [`split_response_file`]) take the word's place and are expanded in turn; a file that
/// cannot be read (missing, unreadable, `@` alone) leaves the word as it is, an argument like
/// any other. Each word is moved once, whatever the nesting.
fn expand_response_files(
    words: &[String],
    cwd: &Path,
    seen: &mut Vec<String>,
) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::with_capacity(words.len());
    // The words still to read: the command line's, then each file's, innermost last.
    let mut pending: Vec<Box<dyn Iterator<Item = String> + '_>> =
        vec![Box::new(words.iter().cloned())];
    let mut left = MAX_RESPONSE_FILES;
    while let Some(top) = pending.last_mut() {
        let Some(w) = top.next() else {
            pending.pop();
            continue;
        };
        let Some(name) = w.strip_prefix('@') else {
            out.push(w);
            continue;
        };
        left -= 1;
        if left == 0 {
            return Err(ParseError::ResponseFile {
                path: name.to_string(),
                reason: "too many @-files (a file that names itself?)".into(),
            });
        }
        let path = cwd.join(raw::path(name));
        let readable = !name.is_empty()
            && match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    return Err(ParseError::ResponseFile {
                        path: name.to_string(),
                        reason: "@-file refers to a directory".into(),
                    })
                }
                Ok(_) => true,
                Err(_) => false,
            };
        let Some(bytes) = readable.then(|| std::fs::read(&path).ok()).flatten() else {
            out.push(w);
            continue;
        };
        seen.push(name.to_string());
        pending.push(Box::new(split_response_file(&bytes).into_iter()));
    }
    Ok(out)
}

/// libiberty's `buildargv`, on bytes, as gcc reads a response file: the text ends at its first
/// NUL; whitespace (space, tab, newline, vertical tab, form feed, carriage return) separates
/// words; single and double quotes group and are dropped; a backslash takes the next byte as
/// it is, inside quotes too (a backslash at the very end makes an empty word); a file of
/// whitespace only has no words. Words come back as text (see `raw`), every byte kept.
pub fn split_response_file(content: impl AsRef<[u8]>) -> Vec<String> {
    let content = content.as_ref();
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let b = &content[..content
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(content.len())];
    let mut words = Vec::new();
    if b.iter().all(|&c| space(c)) {
        return words;
    }
    let (mut sq, mut dq, mut bs) = (false, false, false);
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < b.len() && space(b[*i]) {
            *i += 1;
        }
    };
    loop {
        skip_space(&mut i);
        let mut arg = Vec::new();
        while let Some(&c) = b.get(i) {
            if space(c) && !sq && !dq && !bs {
                break;
            }
            if bs {
                bs = false;
                arg.push(c);
            } else if c == b'\\' {
                bs = true;
            } else if sq {
                if c == b'\'' {
                    sq = false;
                } else {
                    arg.push(c);
                }
            } else if dq {
                if c == b'"' {
                    dq = false;
                } else {
                    arg.push(c);
                }
            } else if c == b'\'' {
                sq = true;
            } else if c == b'"' {
                dq = true;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        words.push(raw::text(&arg).into_owned());
        skip_space(&mut i);
        if i >= b.len() {
            return words;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Command {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&words, false, Path::new("/nonexistent")).expect("parses")
    }

    #[test]
    fn compile_with_output_and_includes() {
        let c = p("-c -O2 -Iinc -I inc2 -DX=1 -D Y -o out.o src/a.c");
        assert_eq!(c.stop(), Stop::Object);
        assert_eq!(c.output.as_deref(), Some("out.o"));
        assert_eq!(
            c.values(Meaning::Include).collect::<Vec<_>>(),
            ["inc", "inc2"]
        );
        assert_eq!(c.values(Meaning::Define).collect::<Vec<_>>(), ["X=1", "Y"]);
        let srcs: Vec<_> = c.sources().map(|i| (i.path.as_str(), i.lang)).collect();
        assert_eq!(srcs, [("src/a.c", Some(Lang::C))]);
        assert!(c.unknown.is_empty());
    }

    #[test]
    fn link_inputs_and_libraries() {
        let c = p("-o app main.o libx.a -L. -lfoo -Wl,-rpath,/x -shared");
        assert_eq!(c.stop(), Stop::Link);
        assert_eq!(c.link_kind(), LinkKind::Shared);
        assert_eq!(c.sources().count(), 0);
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(c.values(Meaning::Lib).collect::<Vec<_>>(), ["foo"]);
        assert_eq!(
            c.values(Meaning::LinkerArg).collect::<Vec<_>>(),
            ["-rpath,/x"]
        );
    }

    #[test]
    fn x_language_applies_until_none() {
        let c = p("-c -x c++ a.h b.txt -x none c.c");
        let langs: Vec<_> = c.inputs.iter().map(|i| i.lang).collect();
        assert_eq!(langs, [Some(Lang::Cxx), Some(Lang::Cxx), Some(Lang::C)]);
    }

    #[test]
    fn depfile_spellings() {
        let c = p("-c a.c -MD -MP -MF dir/a.d -MT a.o -MQ $x");
        assert!(c.dep.side && c.dep.phony && !c.dep.user_only);
        assert_eq!(c.dep.file.as_deref(), Some("dir/a.d"));
        assert_eq!(
            c.dep.targets,
            [("a.o".to_string(), false), ("$x".to_string(), true)]
        );
        let c = p("-c a.c -Wp,-MMD,.deps/a.d");
        assert!(c.dep.side && c.dep.user_only);
        assert_eq!(c.dep.file.as_deref(), Some(".deps/a.d"));
        let c = p("-MM a.c");
        assert_eq!(c.stop(), Stop::DepsOnly);
        let c = p("-M -MD -c a.c");
        assert_eq!(c.stop(), Stop::Object);
    }

    #[test]
    fn info_queries() {
        for q in [
            "--version",
            "-dumpversion",
            "-dumpmachine",
            "-print-search-dirs",
            "-###",
            "-print-prog-name=ld",
            "--print-multiarch",
        ] {
            assert!(p(q).info, "{q}");
        }
        assert!(!p("-c a.c").info);
    }

    #[test]
    fn stops_rank_by_earliest() {
        assert_eq!(p("-c -E a.c").stop(), Stop::Preprocess);
        assert_eq!(p("-S -c a.c").stop(), Stop::Assembly);
    }

    #[test]
    fn unknown_flags_are_kept_verbatim() {
        let c = p("-c a.c --frobnicate -Q");
        assert_eq!(c.unknown, ["--frobnicate", "-Q"]);
        assert_eq!(c.args.len(), 4);
    }

    #[test]
    fn missing_value_is_an_error() {
        let words = vec!["-c".to_string(), "a.c".to_string(), "-o".to_string()];
        assert_eq!(
            parse(&words, false, Path::new("/")).expect_err("fails"),
            ParseError::MissingValue { flag: "-o".into() }
        );
    }

    fn split(text: &[u8]) -> Vec<String> {
        split_response_file(text)
    }

    #[test]
    fn response_file_quoting() {
        let words = split(b"-DMSG=\"two words\" 'single q' a\\ b\n-c\t\"\"");
        assert_eq!(words, ["-DMSG=two words", "single q", "a b", "-c", ""]);
    }

    #[test]
    fn response_files_split_as_buildargv_does() {
        // A backslash escapes inside single quotes too (libiberty's own test case).
        assert_eq!(
            split(b"arg 'Jack said \\'hi\\'' has single quotes"),
            ["arg", "Jack said 'hi'", "has", "single", "quotes"]
        );
        assert_eq!(
            split(b"arg 'Jack said \\\"hi\\\"' has double quotes"),
            ["arg", "Jack said \"hi\"", "has", "double", "quotes"]
        );
        // Quotes join with what touches them; an escaped quote is a character.
        assert_eq!(split(b"a'b c'd \"e\"f \\\"g"), ["ab cd", "ef", "\"g"]);
        // Whitespace is the six of C's isspace, vertical tab and form feed included; other
        // characters, U+00A0 among them, are part of words.
        assert_eq!(split(b"a\x0bb\x0cc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(split("a\u{a0}b".as_bytes()), ["a\u{a0}b"]);
        // Newlines inside quotes and after a backslash are kept.
        assert_eq!(split(b"'x\ny' a\\\nb"), ["x\ny", "a\nb"]);
        // A backslash at the end makes an empty word; unclosed quotes end at the end.
        assert_eq!(split(b"a \\"), ["a", ""]);
        assert_eq!(split(b"a 'b c"), ["a", "b c"]);
        assert_eq!(split(b"a \"b c"), ["a", "b c"]);
        // Only whitespace: no words (not one empty word); empty quotes: one empty word.
        assert!(split(b"").is_empty());
        assert!(split(b" \n\t ").is_empty());
        assert_eq!(split(b"''"), [""]);
        assert_eq!(split(b"  x  "), ["x"]);
        // The file is a C string: it ends at its first NUL.
        assert_eq!(split(b"a b\0c d"), ["a", "b"]);
        assert!(split(b"\0a").is_empty());
    }

    #[test]
    fn response_files_keep_every_byte() {
        // Bytes that are not UTF-8 stay, in their text form; quoting works around them.
        let words = split(b"-DN=caf\xe9 'dir\xff/a b.c' \\\xff");
        assert_eq!(words, ["-DN=caf\u{efe9}", "dir\u{efff}/a b.c", "\u{efff}"]);
        let back: Vec<Vec<u8>> = words.iter().map(|w| raw::bytes(w).into_owned()).collect();
        assert_eq!(back, [&b"-DN=caf\xe9"[..], b"dir\xff/a b.c", b"\xff"]);
        assert!(words.iter().all(|w| !w.contains('\u{fffd}')));
    }

    #[test]
    fn response_files_expand_recursively() {
        let dir = std::env::temp_dir().join(format!("confess-rsp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("a.rsp"), "-Iinc @b.rsp").expect("write");
        std::fs::write(dir.join("b.rsp"), "-DX=\"1 2\"").expect("write");
        let words = vec!["@a.rsp".to_string(), "-c".to_string(), "x.c".to_string()];
        let c = parse(&words, false, &dir).expect("parses");
        assert_eq!(c.values(Meaning::Define).collect::<Vec<_>>(), ["X=1 2"]);
        assert_eq!(c.values(Meaning::Include).collect::<Vec<_>>(), ["inc"]);
        assert_eq!(c.response_files, ["a.rsp", "b.rsp"]);
        // A file that names itself: gcc gives up after 2,000 files, and so do we.
        std::fs::write(dir.join("loop.rsp"), "@loop.rsp").expect("write");
        let words = vec!["@loop.rsp".to_string()];
        assert!(matches!(
            parse(&words, false, &dir),
            Err(ParseError::ResponseFile { .. })
        ));
        // A directory is an error (gcc says so).
        std::fs::create_dir_all(dir.join("d")).expect("mkdir");
        assert!(matches!(
            parse(&["@d".to_string()], false, &dir),
            Err(ParseError::ResponseFile { .. })
        ));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_response_file_that_cannot_be_read_is_a_word() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("ok.rsp"), "-DOK @missing.rsp").expect("write");
        let words: Vec<String> = ["-c", "a.c", "@", "@missing", "@ok.rsp"]
            .map(String::from)
            .to_vec();
        let c = parse(&words, false, dir.path()).expect("parses");
        let all: Vec<&str> = c
            .args
            .iter()
            .flat_map(|a| a.words.iter().map(String::as_str))
            .collect();
        assert_eq!(all, ["-c", "a.c", "@", "@missing", "-DOK", "@missing.rsp"]);
        // They are inputs for the linker, as gcc has them; the source is still compiled.
        assert_eq!(c.sources().count(), 1);
        assert_eq!(c.response_files, ["ok.rsp"]);
    }

    #[test]
    fn response_files_with_names_and_contents_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tmp");
        let name = std::ffi::OsStr::from_bytes(b"r\xff.rsp");
        std::fs::write(dir.path().join(name), b"-c 'src\xff/a\xff.c' -o a\xff.o").expect("write");
        let words = vec![format!("@{}", raw::text_os(name))];
        let c = parse(&words, false, dir.path()).expect("parses");
        let srcs: Vec<&str> = c.sources().map(|i| i.path.as_str()).collect();
        assert_eq!(srcs, ["src\u{efff}/a\u{efff}.c"]);
        assert_eq!(c.output.as_deref(), Some("a\u{efff}.o"));
        assert_eq!(c.response_files, ["r\u{efff}.rsp"]);
    }

    #[test]
    fn many_response_files_and_words_expand_in_linear_time() {
        use std::fmt::Write as _;
        // 40,000 words through 2 levels of files: each word is moved once.
        let dir = tempfile::tempdir().expect("tmp");
        let inner: String = (0..40_000).fold(String::new(), |mut s, i| {
            let _ = write!(s, "-Id{i} ");
            s
        });
        std::fs::write(dir.path().join("in.rsp"), inner).expect("write");
        std::fs::write(dir.path().join("out.rsp"), "-c a.c @in.rsp").expect("write");
        let c = parse(&["@out.rsp".to_string()], false, dir.path()).expect("parses");
        assert_eq!(c.values(Meaning::Include).count(), 40_000);
    }
}
