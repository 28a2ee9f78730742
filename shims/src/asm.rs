//! Assemblers the build calls by name: nasm, yasm and GNU as.
//!
//! Each gets what a compiler driver gets: its command line read into typed options (here, for
//! the shim, and in the extractor, which types the manifest's entry from the same reading), an
//! object token whose id covers the sources, every file the assembler's own preprocessor
//! includes (asked of the real tool: `nasm -M`, `yasm -M`, `as --MD`) and the options that
//! decide the object, the depfile the build asked for, and a realization that runs the recorded
//! command again with its own output.

use crate::ctx::{self, Ctx, Result, ShimError};
use crate::facts::{ContentRef, Decision, Reason};
use crate::headers;
use crate::raw;
use crate::token::{Edge, Input, Kind, Token};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Which assembler: its options differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assembler {
    Nasm,
    Yasm,
    /// GNU as.
    Gas,
}

impl Assembler {
    /// The assembler of a shim role (`nasm`, `yasm`, `as`), as stored in tokens and events.
    #[must_use]
    pub fn of_role(role: &str) -> Option<Assembler> {
        match role {
            "nasm" => Some(Assembler::Nasm),
            "yasm" => Some(Assembler::Yasm),
            "as" => Some(Assembler::Gas),
            _ => None,
        }
    }

    #[must_use]
    pub fn role(self) -> &'static str {
        match self {
            Assembler::Nasm => "nasm",
            Assembler::Yasm => "yasm",
            Assembler::Gas => "as",
        }
    }
}

/// What one option (or input) of an assembler's command line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opt {
    /// A file to assemble.
    Input,
    /// `-o`: the object.
    Output(String),
    /// A dependency-file option: `-MD`, `-MF`, `-MT`, `-MQ`, `-MP`, `-MW` (nasm), `--MD` (as).
    Depend(Depend),
    /// A file written beside the object: a listing (`-l`, `-a=file`), a map, an error file.
    SideOutput,
    /// The object format: `-f elf64`, `--oformat=elf64`.
    Format(String),
    /// An include directory: `-I`, `-i`.
    Include(String),
    /// A macro defined before the source: `-D NAME[=value]`, `-d`, as's `--defsym NAME=value`.
    Define(String),
    Undefine(String),
    /// A file included before the source: `-P`, `-p`, `--include`.
    PreInclude(String),
    /// Debug information, with its format when one is named (`-g`, `-gdwarf`, yasm's `-g dwarf2`,
    /// nasm's `-F dwarf`, as's `--gdwarf-5`).
    Debug(Option<String>),
    /// nasm's `-O` level (`0`, `1`, `x`).
    Optimize(String),
    /// A warning option, as written after `-w`/`-W` (`+all`, `error`, `no-orphan-labels`), or as's
    /// `--fatal-warnings`/`--no-warn` words.
    Warn(String),
    /// A mode that does not assemble an object: dependencies only (`-M`), preprocessing only
    /// (`-E`, `-e`), version or help.
    NotAssembling,
    /// Any other option, kept as written.
    Other,
}

/// The dependency-file options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Depend {
    /// `-MD [file]` (nasm) or `--MD file` (as): write a depfile while assembling.
    Write(Option<String>),
    /// `-MF file`: where.
    File(String),
    /// `-MT target` (`quoted`: `-MQ`).
    Target { name: String, quoted: bool },
    /// `-MP`: a phony rule per dependency.
    Phony,
    /// `-MW`: Watcom-style rules.
    Watcom,
}

/// One option with the words it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub words: Vec<String>,
    pub opt: Opt,
}

/// An assembler's command line, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub tool: Assembler,
    pub args: Vec<Arg>,
}

impl Command {
    pub fn inputs(&self) -> impl Iterator<Item = &str> {
        self.args
            .iter()
            .filter(|a| a.opt == Opt::Input)
            .filter_map(|a| a.words.last().map(String::as_str))
    }

    /// The `-o` file, if given.
    #[must_use]
    pub fn output(&self) -> Option<&str> {
        self.args.iter().rev().find_map(|a| match &a.opt {
            Opt::Output(o) => Some(o.as_str()),
            _ => None,
        })
    }

    /// The object format: the last `-f`, or the assembler's default (`bin` for nasm and yasm, a
    /// flat binary; ELF for as).
    #[must_use]
    pub fn format(&self) -> Option<&str> {
        self.args.iter().rev().find_map(|a| match &a.opt {
            Opt::Format(f) => Some(f.as_str()),
            _ => None,
        })
    }

    /// Whether the call writes an object file a linker takes: as always does; nasm and yasm when
    /// the format is one (not `bin`, Intel hex or S-records, which are raw images).
    #[must_use]
    pub fn makes_object(&self) -> bool {
        match self.tool {
            Assembler::Gas => true,
            Assembler::Nasm | Assembler::Yasm => self.format().is_some_and(|f| {
                let f = f.to_ascii_lowercase();
                !matches!(f.as_str(), "bin" | "ith" | "srec" | "dbg")
            }),
        }
    }

    #[must_use]
    pub fn assembles(&self) -> bool {
        !self.args.iter().any(|a| a.opt == Opt::NotAssembling)
    }

    /// The depfile the call writes while assembling, with its options: `None` when it writes
    /// none.
    #[must_use]
    pub fn depfile(&self, out: &str) -> Option<DepRequest> {
        let mut write = None;
        let mut file = None;
        let mut targets = Vec::new();
        let mut phony = false;
        for a in &self.args {
            if let Opt::Depend(d) = &a.opt {
                match d {
                    Depend::Write(f) => write = Some(f.clone()),
                    Depend::File(f) => file = Some(f.clone()),
                    Depend::Target { name, quoted } => targets.push(if *quoted {
                        escape_make(name)
                    } else {
                        name.clone()
                    }),
                    Depend::Phony => phony = true,
                    Depend::Watcom => {}
                }
            }
        }
        let named = write?;
        let path = named
            .or(file)
            .unwrap_or_else(|| Path::new(out).with_extension("d").to_string_lossy().into());
        if targets.is_empty() {
            targets.push(escape_make(out));
        }
        Some(DepRequest {
            path,
            targets,
            phony,
        })
    }

    /// The words that decide the object (everything but inputs, outputs and dependency and
    /// side-output options), in order.
    pub fn deciding_words(&self) -> impl Iterator<Item = &String> {
        self.args
            .iter()
            .filter(|a| {
                !matches!(
                    a.opt,
                    Opt::Input | Opt::Output(_) | Opt::Depend(_) | Opt::SideOutput
                )
            })
            .flat_map(|a| a.words.iter())
    }
}

/// A depfile to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepRequest {
    pub path: String,
    pub targets: Vec<String>,
    pub phony: bool,
}

/// Reads an assembler's arguments (argv without argv[0]). An option this reader does not know
/// is an error: the shim then runs the real tool, which says what it thinks of it.
pub fn parse(tool: Assembler, args: &[String]) -> std::result::Result<Command, String> {
    let args = match tool {
        Assembler::Nasm => parse_nasm(args)?,
        Assembler::Yasm => parse_yasm(args)?,
        Assembler::Gas => parse_gas(args)?,
    };
    Ok(Command { tool, args })
}

/// Takes an option's value: glued after `skip` bytes, or the next word.
fn value_of(
    args: &[String],
    i: &mut usize,
    skip: usize,
    words: &mut Vec<String>,
) -> std::result::Result<String, String> {
    let w = &args[*i];
    if let Some(v) = w.get(skip..).filter(|v| !v.is_empty()) {
        return Ok(v.to_string());
    }
    *i += 1;
    match args.get(*i) {
        Some(v) => {
            words.push(v.clone());
            Ok(v.clone())
        }
        None => Err(format!("{w} needs a value")),
    }
}

fn parse_nasm(args: &[String]) -> std::result::Result<Vec<Arg>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let mut words = vec![w.clone()];
        let opt = if !w.starts_with('-') || w == "-" {
            Opt::Input
        } else if w == "--" {
            // nasm reads the words after `--` in ways of its own: leave the call to it.
            return Err("-- is not read".into());
        } else if let Some(long) = w.strip_prefix("--") {
            let (name, glued) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let mut val = || -> std::result::Result<String, String> {
                match &glued {
                    Some(v) => Ok(v.clone()),
                    None => value_of(args, &mut i, usize::MAX, &mut words),
                }
            };
            match name {
                "include" => Opt::PreInclude(val()?),
                "prefix" | "suffix" | "gprefix" | "gpostfix" | "lprefix" | "lpostfix"
                | "postfix" | "before" | "pragma" => {
                    val()?;
                    Opt::Other
                }
                n if n.starts_with("limit-") => {
                    val()?;
                    Opt::Other
                }
                "reproducible" | "keep-all" | "no-line" => Opt::Other,
                "v" | "version" | "help" => Opt::NotAssembling,
                _ => return Err(format!("unknown option {w}")),
            }
        } else {
            let letter = w.as_bytes().get(1).copied().unwrap_or(0);
            match letter {
                b'o' => Opt::Output(value_of(args, &mut i, 2, &mut words)?),
                b'f' => Opt::Format(value_of(args, &mut i, 2, &mut words)?),
                b'I' | b'i' => Opt::Include(value_of(args, &mut i, 2, &mut words)?),
                b'P' | b'p' => Opt::PreInclude(value_of(args, &mut i, 2, &mut words)?),
                b'D' | b'd' => Opt::Define(value_of(args, &mut i, 2, &mut words)?),
                b'U' | b'u' => Opt::Undefine(value_of(args, &mut i, 2, &mut words)?),
                b'F' => Opt::Debug(Some(value_of(args, &mut i, 2, &mut words)?)),
                b'O' => Opt::Optimize(value_of(args, &mut i, 2, &mut words)?),
                b'l' | b'Z' => {
                    value_of(args, &mut i, 2, &mut words)?;
                    Opt::SideOutput
                }
                b'X' => {
                    value_of(args, &mut i, 2, &mut words)?;
                    Opt::Other
                }
                b'g' => Opt::Debug(w.get(2..).filter(|v| !v.is_empty()).map(str::to_string)),
                b'w' | b'W' => Opt::Warn(w[2..].to_string()),
                b'L' | b'a' | b's' | b't' => Opt::Other,
                b'E' | b'e' | b'v' | b'h' => Opt::NotAssembling,
                b'M' => match &w[2..] {
                    "" | "G" => Opt::NotAssembling,
                    "P" => Opt::Depend(Depend::Phony),
                    "W" => Opt::Depend(Depend::Watcom),
                    // nasm takes the next word as the file unless it is an option.
                    "D" => {
                        let file = args
                            .get(i + 1)
                            .filter(|n| !n.starts_with('-') || n.as_str() == "-")
                            .cloned();
                        if let Some(f) = &file {
                            words.push(f.clone());
                            i += 1;
                        }
                        Opt::Depend(Depend::Write(file))
                    }
                    "F" | "T" | "Q" => {
                        let v = value_of(args, &mut i, usize::MAX, &mut words)?;
                        Opt::Depend(match &w[2..] {
                            "F" => Depend::File(v),
                            q => Depend::Target {
                                name: v,
                                quoted: q == "Q",
                            },
                        })
                    }
                    _ => return Err(format!("unknown option {w}")),
                },
                b'@' => return Err("response files (-@) are not read".into()),
                _ => return Err(format!("unknown option {w}")),
            }
        };
        out.push(Arg { words, opt });
        i += 1;
    }
    Ok(out)
}

fn parse_yasm(args: &[String]) -> std::result::Result<Vec<Arg>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let mut words = vec![w.clone()];
        let opt = if !w.starts_with('-') || w == "-" {
            Opt::Input
        } else if let Some(long) = w.strip_prefix("--") {
            let (name, glued) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let mut val = || -> std::result::Result<String, String> {
                match &glued {
                    Some(v) => Ok(v.clone()),
                    None => value_of(args, &mut i, usize::MAX, &mut words),
                }
            };
            match name {
                "oformat" => Opt::Format(val()?),
                "dformat" => Opt::Debug(Some(val()?)),
                "objfile" => Opt::Output(val()?),
                "list" | "mapfile" => {
                    val()?;
                    Opt::SideOutput
                }
                "arch" | "parser" | "preproc" | "lformat" | "machine" | "prefix" | "suffix"
                | "postfix" => {
                    val()?;
                    Opt::Other
                }
                "force-strict" => Opt::Other,
                "version" | "license" | "help" | "preproc-only" => Opt::NotAssembling,
                _ => return Err(format!("unknown option {w}")),
            }
        } else {
            let letter = w.as_bytes().get(1).copied().unwrap_or(0);
            match letter {
                b'o' => Opt::Output(value_of(args, &mut i, 2, &mut words)?),
                b'f' => Opt::Format(value_of(args, &mut i, 2, &mut words)?),
                b'g' => Opt::Debug(Some(value_of(args, &mut i, 2, &mut words)?)),
                b'I' | b'i' => Opt::Include(value_of(args, &mut i, 2, &mut words)?),
                b'P' => Opt::PreInclude(value_of(args, &mut i, 2, &mut words)?),
                b'D' | b'd' => Opt::Define(value_of(args, &mut i, 2, &mut words)?),
                b'U' | b'u' => Opt::Undefine(value_of(args, &mut i, 2, &mut words)?),
                b'l' | b'E' => {
                    value_of(args, &mut i, 2, &mut words)?;
                    Opt::SideOutput
                }
                b'a' | b'p' | b'r' | b'm' | b'L' | b'X' => {
                    value_of(args, &mut i, 2, &mut words)?;
                    Opt::Other
                }
                b'W' => Opt::Warn(w[2..].to_string()),
                b'w' => Opt::Warn(String::new()),
                b's' => Opt::Other,
                b'M' | b'e' | b'h' => Opt::NotAssembling,
                _ => return Err(format!("unknown option {w}")),
            }
        };
        out.push(Arg { words, opt });
        i += 1;
    }
    Ok(out)
}

fn parse_gas(args: &[String]) -> std::result::Result<Vec<Arg>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let mut words = vec![w.clone()];
        let opt = if !w.starts_with('-') || w == "-" {
            Opt::Input
        } else if w.starts_with("-o") {
            Opt::Output(value_of(args, &mut i, 2, &mut words)?)
        } else if w == "-I" || (w.starts_with("-I") && w.len() > 2) {
            Opt::Include(value_of(args, &mut i, 2, &mut words)?)
        } else if w == "--defsym" {
            Opt::Define(value_of(args, &mut i, usize::MAX, &mut words)?)
        } else if let Some(v) = w.strip_prefix("--defsym=") {
            Opt::Define(v.to_string())
        } else if w == "--MD" {
            Opt::Depend(Depend::Write(Some(value_of(
                args,
                &mut i,
                usize::MAX,
                &mut words,
            )?)))
        } else if w == "-g" || w == "--gen-debug" {
            Opt::Debug(None)
        } else if let Some(f) = w.strip_prefix("--g") {
            // --gdwarf-5, --gdwarf-sections, --gstabs, --gstabs+, --gcodeview.
            Opt::Debug(Some(f.to_string()))
        } else if w == "--version" || w == "--help" || w.starts_with("--target-help") {
            Opt::NotAssembling
        } else if w.starts_with("-a") && w.contains('=') {
            // A listing with its file: `-ahls=out.lst`.
            Opt::SideOutput
        } else if matches!(
            w.as_str(),
            "-W" | "--no-warn" | "--fatal-warnings" | "--warn"
        ) {
            Opt::Warn(w.trim_start_matches('-').to_string())
        } else if w == "--debug-prefix-map" {
            value_of(args, &mut i, usize::MAX, &mut words)?;
            Opt::Other
        } else {
            // as takes every other option in one word (`--64`, `-march=x`, `--noexecstack`,
            // `-mx86-used-note=yes`, `--compress-debug-sections=zlib`).
            Opt::Other
        };
        out.push(Arg { words, opt });
        i += 1;
    }
    Ok(out)
}

/// Make's escapes for a target or dependency name.
#[must_use]
pub fn escape_make(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '\t' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// The object a call writes when it names none: nasm writes beside its source (`sub/a.asm` to
/// `sub/a.o`), yasm in the working directory (`a.o`), as `a.out`.
#[must_use]
pub fn default_output(tool: Assembler, input: &str) -> String {
    let p = Path::new(input);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("a");
    match tool {
        Assembler::Nasm => p.with_extension("o").to_string_lossy().into_owned(),
        Assembler::Yasm => format!("{stem}.o"),
        Assembler::Gas => "a.out".into(),
    }
}

/// Build-phase handling of an assembler call: an object token, and its depfile.
pub fn run(ctx: &Ctx) -> Result<i32> {
    let Some(tool) = Assembler::of_role(ctx.role.as_str()) else {
        return ctx.pass_through(Reason::NotAnAssembler);
    };
    let cmd = match parse(tool, ctx.args()) {
        Ok(c) => c,
        Err(e) => return ctx.pass_through(Reason::Unparsed(Some(e))),
    };
    let inputs: Vec<String> = cmd.inputs().map(str::to_string).collect();
    if let Some(reason) = left_to_the_assembler(ctx, &cmd, &inputs) {
        return ctx.pass_through(reason);
    }
    let (mut tok_inputs, all_files) = source_inputs(ctx, &inputs)?;
    // What the assembler's preprocessor includes. A source made by the build (gcc -S) is a
    // token, which includes nothing: there is nothing to ask.
    let includes = if all_files {
        match includes(ctx, &cmd, &inputs)? {
            Ok(found) => found,
            // The real assembly fails the same way: let it say so in its own words.
            Err(()) => return ctx.pass_through(Reason::IncludeScanFailed),
        }
    } else {
        Vec::new()
    };
    tok_inputs.extend(includes.iter().map(|h| h.input.clone()));
    let out = cmd
        .output()
        .map_or_else(|| default_output(tool, &inputs[0]), str::to_string);
    let out_abs = ctx.abs(&out);
    let mut action = vec![
        format!("role={}", tool.role()),
        format!("tool={}", ctx.tool_name()),
        format!("cwd={}", ctx.session.normalize(&ctx.cwd_text())),
    ];
    action.extend(cmd.deciding_words().map(|w| ctx.session.normalize(w)));
    let mut tok = Token {
        kind: Some(Kind::Object),
        role: tool.role().to_string(),
        cwd: ctx.cwd_text(),
        argv: ctx.argv.clone(),
        action,
        inputs: tok_inputs,
        output: raw::text_path(&out_abs).into_owned(),
        ..Token::default()
    };
    let id = ctx.write_token(&mut tok, Some(&out_abs))?;
    let mut ev = ctx.event(Decision::Confessed);
    ev.inputs.clone_from(&inputs);
    ev.outputs.push(out.clone());
    ev.tokens.push(id);
    if let Some(req) = cmd.depfile(&out) {
        let text = depfile_text(&req, &inputs, &includes);
        ctx::write_atomic(&ctx.abs(&req.path), text.as_bytes())?;
        ev.outputs.push(req.path);
    }
    ctx.record(ev)?;
    Ok(0)
}

/// Why a call that the shim does not model goes to the real assembler: it assembles nothing,
/// makes a raw image, reads stdin, has several sources (nasm, yasm) or a source that is not
/// there. `None`: the shim handles it.
fn left_to_the_assembler(ctx: &Ctx, cmd: &Command, inputs: &[String]) -> Option<Reason> {
    if !cmd.assembles() {
        return Some(Reason::NotAssembling);
    }
    if !cmd.makes_object() {
        // A raw image (nasm's default `bin`): the build reads its bytes (`incbin`, a boot
        // sector), so it is made for real.
        return Some(Reason::RawImage);
    }
    if inputs.is_empty() || inputs.iter().any(|i| i == "-") {
        return Some(Reason::Stdin);
    }
    if cmd.tool != Assembler::Gas && inputs.len() > 1 {
        return Some(Reason::SeveralInputs);
    }
    if inputs
        .iter()
        .any(|i| std::fs::metadata(ctx.abs(i)).is_err())
    {
        return Some(Reason::MissingInput);
    }
    None
}

/// The token's inputs for the call's sources: a source the build made (a token) by its id,
/// a file by its content; and whether every source is a file.
fn source_inputs(ctx: &Ctx, inputs: &[String]) -> Result<(Vec<Input>, bool)> {
    let mut tok_inputs = Vec::new();
    let mut all_files = true;
    for s in inputs {
        let abs = ctx.abs(s);
        let bytes = crate::files::read(&abs)
            .map_err(|e| ShimError(format!("cannot read source {}: {e}", raw::text_path(&abs))))?;
        match Token::from_bytes(&bytes) {
            Ok(Some(t)) => {
                ctx::check_token(&ctx.session, &abs, &t)?;
                all_files = false;
                tok_inputs.push(Input {
                    edge: Edge::Token,
                    content: ContentRef::Token(t.id.into()),
                    path: raw::text_path(&abs).into(),
                });
            }
            Ok(None) => {
                let sha = crate::files::digest_hex(&abs).map_err(|e| {
                    ShimError(format!("cannot read source {}: {e}", raw::text_path(&abs)))
                })?;
                tok_inputs.push(Input {
                    edge: Edge::Source,
                    content: ContentRef::Hash(sha.into()),
                    path: raw::text_path(&abs).into(),
                });
            }
            Err(e) => return Err(ctx::damaged(&abs, &e.to_string())),
        }
    }
    Ok((tok_inputs, all_files))
}

/// The depfile the build asked for: the targets depend on the sources and the files they
/// include, with an empty rule for each of those under `-MP`.
fn depfile_text(req: &DepRequest, inputs: &[String], includes: &[headers::Header]) -> String {
    let mut deps: Vec<String> = inputs.iter().map(|i| escape_make(i)).collect();
    deps.extend(includes.iter().map(|h| escape_make(&h.spelled)));
    let mut text = format!("{} : {}\n", req.targets.join(" "), deps.join(" "));
    if req.phony {
        for d in &deps {
            let _ = writeln!(text, "\n{d} :");
        }
    }
    text
}

/// The files the assembler's preprocessor includes, asked of the real assembler: nasm and yasm
/// with `-M` (dependencies only, nothing assembled), as with `--MD` into a file of the session
/// while it assembles into /dev/null (as has no dependencies-only mode). `Ok(Err(()))`: the
/// assembler refused the source, as the real call will.
fn includes(
    ctx: &Ctx,
    cmd: &Command,
    inputs: &[String],
) -> Result<std::result::Result<Vec<headers::Header>, ()>> {
    let real = ctx.real_tool()?;
    let mut words: Vec<String> = cmd.deciding_words().cloned().collect();
    let depfile: Option<PathBuf> = match cmd.tool {
        Assembler::Nasm => {
            words.extend(["-M", "-MT", "T"].map(String::from));
            None
        }
        Assembler::Yasm => {
            words.push("-M".into());
            None
        }
        Assembler::Gas => {
            let f = ctx
                .session
                .cache()
                .join(format!("as-deps-{}", std::process::id()));
            words.extend([
                "--MD".to_string(),
                raw::text_path(&f).into_owned(),
                "-o".to_string(),
                "/dev/null".to_string(),
            ]);
            Some(f)
        }
    };
    words.extend(inputs.iter().cloned());
    let out = ctx
        .real_command(&real)
        .args(words.iter().map(|w| raw::os(w)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| ShimError(format!("cannot run {}: {e}", raw::text_path(&real))))?;
    let text = match &depfile {
        Some(f) => {
            let t = std::fs::read(f).map(|b| raw::text(&b).into_owned());
            let _ = std::fs::remove_file(f);
            if !out.status.success() {
                return Ok(Err(()));
            }
            t.map_err(|e| {
                ShimError(format!(
                    "{} wrote no dependency file {}: {e}",
                    raw::text_path(&real),
                    raw::text_path(f)
                ))
            })?
        }
        None if out.status.success() => raw::text(&out.stdout).into_owned(),
        None => return Ok(Err(())),
    };
    let root = ctx.session.root.clone();
    let inputs_abs: Vec<PathBuf> = inputs
        .iter()
        .map(|i| headers::lexical(&ctx.abs(i)))
        .collect();
    let mut found: Vec<headers::Header> = Vec::new();
    for spelled in headers::parse_make_rule(&text) {
        let abs = headers::lexical(&ctx.abs(&spelled));
        if inputs_abs.contains(&abs) || found.iter().any(|h| h.spelled == spelled) {
            continue;
        }
        found.push(headers::header(spelled, abs, false, root.as_deref()));
    }
    Ok(Ok(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn nasm_options_glued_and_separate() {
        let c = parse(
            Assembler::Nasm,
            &words("-f elf64 -Isrc/ -I inc -DPIC -D X=1 -g -F dwarf -w+all -Ox -MD a.d -MP -o a.o src/a.asm"),
        )
        .expect("parses");
        assert_eq!(c.format(), Some("elf64"));
        assert_eq!(c.output(), Some("a.o"));
        assert_eq!(c.inputs().collect::<Vec<_>>(), ["src/a.asm"]);
        let opts: Vec<&Opt> = c.args.iter().map(|a| &a.opt).collect();
        assert!(opts.contains(&&Opt::Include("src/".into())));
        assert!(opts.contains(&&Opt::Include("inc".into())));
        assert!(opts.contains(&&Opt::Define("X=1".into())));
        assert!(opts.contains(&&Opt::Debug(Some("dwarf".into()))));
        assert!(opts.contains(&&Opt::Warn("+all".into())));
        let d = c.depfile("a.o").expect("a depfile");
        assert_eq!(d.path, "a.d");
        assert_eq!(d.targets, ["a.o"]);
        assert!(d.phony);
        assert_eq!(
            c.deciding_words().cloned().collect::<Vec<_>>(),
            words("-f elf64 -Isrc/ -I inc -DPIC -D X=1 -g -F dwarf -w+all -Ox")
        );
    }

    #[test]
    fn nasm_md_takes_a_file_only_when_one_follows() {
        let c = parse(Assembler::Nasm, &words("-felf64 -MD -MF x.d -MT obj a.asm")).expect("ok");
        let d = c.depfile("a.o").expect("depfile");
        assert_eq!(
            (d.path.as_str(), d.targets.clone()),
            ("x.d", vec!["obj".into()])
        );
        assert!(parse(Assembler::Nasm, &words("-M a.asm")).is_ok_and(|c| !c.assembles()));
        assert!(parse(Assembler::Nasm, &words("a.asm")).is_ok_and(|c| !c.makes_object()));
        assert!(parse(Assembler::Nasm, &words("-@ r a.asm")).is_err());
    }

    #[test]
    fn yasm_and_gas_options() {
        let c = parse(
            Assembler::Yasm,
            &words("-f elf64 -g dwarf2 -DPIC -I. --objfile=x.o -m amd64 a.asm"),
        )
        .expect("ok");
        assert_eq!(c.output(), Some("x.o"));
        assert_eq!(c.format(), Some("elf64"));
        assert!(c.makes_object());
        let g = parse(
            Assembler::Gas,
            &words("--64 -Iinc --defsym N=1 --MD d.d -g -o x.o a.s b.s"),
        )
        .expect("ok");
        assert_eq!(g.inputs().collect::<Vec<_>>(), ["a.s", "b.s"]);
        assert_eq!(g.output(), Some("x.o"));
        assert_eq!(g.depfile("x.o").map(|d| d.path), Some("d.d".into()));
        assert_eq!(
            g.deciding_words().cloned().collect::<Vec<_>>(),
            words("--64 -Iinc --defsym N=1 -g")
        );
    }

    #[test]
    fn default_outputs() {
        assert_eq!(default_output(Assembler::Nasm, "sub/a.asm"), "sub/a.o");
        assert_eq!(default_output(Assembler::Yasm, "sub/a.asm"), "a.o");
        assert_eq!(default_output(Assembler::Gas, "a.s"), "a.out");
    }
}
