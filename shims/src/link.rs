//! Links in the build phase: executables, shared libraries and relocatable objects, through
//! the compiler driver or `ld` called directly. The token names every input by id or hash and
//! resolves each `-l` against the `-L` directories, as the linker would.

use crate::args::{ArgKind, Command, LinkKind};
use crate::ctx::{Ctx, Result};
use crate::events::Event;
use crate::facts::{ContentRef, Decision, Reason};
use crate::flags::Meaning;
use crate::token::{self, Edge, Input, Kind, Token};
use std::path::{Path, PathBuf};

/// What one link reads and writes, however it was spelled.
#[derive(Debug, Default)]
pub struct LinkSpec {
    pub lib_dirs: Vec<String>,
    pub output: Option<String>,
    pub kind: Option<LinkKind>,
    pub soname: Option<String>,
    pub static_only: bool,
    /// Files (objects, archives, shared objects, scripts; sources compiled in the same call
    /// in their places) and `-l` names (`:` names kept as given), in command-line order: the
    /// order the linker reads them in, which decides archive resolution and DT_NEEDED.
    pub order: Vec<LinkItem>,
}

/// One input of a link as the command line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkItem {
    File(String),
    Lib(String),
}

/// `-Wl,-soname,x`, `-Wl,-h,x`, `-Wl,-soname=x`, `-Xlinker -soname -Xlinker x`.
fn soname_from_linker_words(words: &[String]) -> Option<String> {
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if let Some(v) = w
            .strip_prefix("-soname=")
            .or_else(|| w.strip_prefix("--soname="))
        {
            return Some(v.to_string());
        }
        if matches!(w.as_str(), "-soname" | "--soname" | "-h") {
            return it.next().cloned();
        }
    }
    None
}

impl LinkSpec {
    /// The file inputs, in order.
    pub fn files(&self) -> Vec<String> {
        self.order
            .iter()
            .filter_map(|i| match i {
                LinkItem::File(f) => Some(f.clone()),
                LinkItem::Lib(_) => None,
            })
            .collect()
    }

    pub fn from_driver(cmd: &Command) -> LinkSpec {
        let mut linker_words = Vec::new();
        for a in &cmd.args {
            match a.kind {
                ArgKind::Flag(Meaning::LinkerArg) => {
                    linker_words
                        .extend(a.value.iter().flat_map(|v| v.split(',').map(String::from)));
                }
                ArgKind::Flag(Meaning::Xlinker) => linker_words.extend(a.value.clone()),
                _ => {}
            }
        }
        let mut order = Vec::new();
        // Inputs are listed in argument order: one pass over both.
        let mut inputs = cmd.inputs.iter().peekable();
        for (k, a) in cmd.args.iter().enumerate() {
            if let Some(i) = inputs.next_if(|i| i.arg == k) {
                order.push(LinkItem::File(i.path.clone()));
            } else if a.kind == ArgKind::Flag(Meaning::Lib) {
                if let Some(v) = &a.value {
                    order.push(LinkItem::Lib(v.clone()));
                }
            }
        }
        LinkSpec {
            order,
            lib_dirs: cmd.values(Meaning::LibPath).map(String::from).collect(),
            output: Some(cmd.output.clone().unwrap_or_else(|| "a.out".into())),
            kind: Some(cmd.link_kind()),
            soname: soname_from_linker_words(&linker_words),
            static_only: cmd
                .args
                .iter()
                .any(|a| a.kind == ArgKind::Flag(Meaning::Static) && a.words[0] == "-static"),
        }
    }

    /// `ld` called directly: its own flag spellings.
    pub fn from_ld(args: &[String]) -> LinkSpec {
        // Flags of GNU ld that take the next word as their argument.
        const SEPARATE: &[&str] = &[
            "-A",
            "-F",
            "-L",
            "-O",
            "-R",
            "-T",
            "-Y",
            "-a",
            "-assert",
            "-b",
            "-dynamic-linker",
            "-e",
            "-f",
            "-h",
            "-l",
            "-m",
            "-o",
            "-rpath",
            "-rpath-link",
            "-soname",
            "-u",
            "-y",
            "-z",
            "--architecture",
            "--auxiliary",
            "--dynamic-linker",
            "--entry",
            "--filter",
            "--format",
            "--library",
            "--library-path",
            "--output",
            "--script",
            "--soname",
            "--undefined",
            "--version-script",
            "-Map",
            "--dynamic-list",
            "--sysroot",
            "--hash-style",
        ];
        let mut s = LinkSpec {
            kind: Some(LinkKind::Executable),
            ..LinkSpec::default()
        };
        let mut it = args.iter();
        while let Some(w) = it.next() {
            let next = |it: &mut std::slice::Iter<String>| it.next().cloned().unwrap_or_default();
            match w.as_str() {
                "-o" | "--output" => s.output = Some(next(&mut it)),
                "-shared" | "-Bshareable" => s.kind = Some(LinkKind::Shared),
                "-r" | "-i" | "--relocatable" => s.kind = Some(LinkKind::Relocatable),
                "-static" | "-Bstatic" | "-non_shared" | "-dn" => s.static_only = true,
                "-Bdynamic" | "-dy" | "-call_shared" => s.static_only = false,
                "-l" | "--library" => s.order.push(LinkItem::Lib(next(&mut it))),
                "-L" | "--library-path" => s.lib_dirs.push(next(&mut it)),
                "-soname" | "-h" | "--soname" => s.soname = Some(next(&mut it)),
                w if SEPARATE.contains(&w) => {
                    next(&mut it);
                }
                w if w.starts_with("-l") => s.order.push(LinkItem::Lib(w[2..].to_string())),
                w if w.starts_with("-L") => s.lib_dirs.push(w[2..].to_string()),
                w if w.starts_with("--output=") => s.output = Some(w[9..].to_string()),
                w if w.starts_with("-soname=") => s.soname = Some(w[8..].to_string()),
                w if w.starts_with('-') => {}
                w => s.order.push(LinkItem::File(w.to_string())),
            }
        }
        if s.output.is_none() {
            s.output = Some("a.out".into());
        }
        s
    }
}

/// Resolves `-lname` as the linker does: each `-L` directory in order, the shared object first
/// unless linking statically; `-l:file` names the file exactly.
pub fn resolve_lib(ctx: &Ctx, spec: &LinkSpec, name: &str) -> Option<PathBuf> {
    let candidates: Vec<String> = match name.strip_prefix(':') {
        Some(exact) => vec![exact.to_string()],
        None if spec.static_only => vec![format!("lib{name}.a")],
        None => vec![format!("lib{name}.so"), format!("lib{name}.a")],
    };
    for dir in &spec.lib_dirs {
        for c in &candidates {
            let p = ctx.abs(dir).join(crate::raw::path(c));
            if p.exists() {
                return Some(p);
            }
        }
    }
    None
}

/// Whether a path lies inside the scratch tree (the project's own files).
fn in_project(ctx: &Ctx, p: &Path) -> bool {
    match &ctx.session.root {
        Some(root) if !root.is_empty() => p.starts_with(crate::raw::path(root)),
        _ => p.starts_with(&ctx.cwd),
    }
}

/// The inputs of a link, in command-line order: files by token id or content hash, and
/// libraries.
pub fn link_inputs(ctx: &Ctx, spec: &LinkSpec, members: &[String]) -> Result<Vec<Input>> {
    let members: std::collections::HashSet<&String> = members.iter().collect();
    let mut inputs = Vec::new();
    for item in &spec.order {
        let f = match item {
            LinkItem::File(f) => f,
            LinkItem::Lib(name) => {
                inputs.push(lib_input(ctx, spec, name)?);
                continue;
            }
        };
        let abs = ctx.abs(f);
        let path = crate::raw::text_path(&abs).into_owned();
        if members.contains(f) {
            inputs.push(Input {
                edge: Edge::Member,
                content: ContentRef::None,
                path: f.clone().into(),
            });
            continue;
        }
        if let Some(t) = ctx.read_token(&abs)? {
            inputs.push(Input {
                edge: Edge::Token,
                content: ContentRef::Token(t.id.into()),
                path: path.into(),
            });
        } else {
            let hash = token::hash_file(&abs)
                .map_err(|e| crate::ctx::ShimError(format!("{}: {f}: {e}", ctx.tool_name())))?;
            inputs.push(Input {
                edge: Edge::File,
                content: ContentRef::Hash(hash.into()),
                path: path.into(),
            });
        }
    }
    Ok(inputs)
}

/// An `-l` input: the project's library by its token, a project file, or an external name.
fn lib_input(ctx: &Ctx, spec: &LinkSpec, name: &str) -> Result<Input> {
    Ok(match resolve_lib(ctx, spec, name) {
        Some(p) => match ctx.read_token(&p)? {
            Some(t) => Input {
                edge: Edge::Lib,
                content: ContentRef::Token(t.id.into()),
                path: crate::raw::text_path(&p).into(),
            },
            _ if in_project(ctx, &p) => Input {
                edge: Edge::File,
                content: token::hash_file(&p)
                    .map_or(ContentRef::None, |h| ContentRef::Hash(h.into())),
                path: crate::raw::text_path(&p).into(),
            },
            _ => external(name),
        },
        None => external(name),
    })
}

fn external(name: &str) -> Input {
    Input {
        edge: Edge::ExternalLib,
        content: ContentRef::None,
        path: name.into(),
    }
}

fn kind_of(k: LinkKind) -> Kind {
    match k {
        LinkKind::Executable => Kind::Executable,
        LinkKind::Shared => Kind::SharedLibrary,
        LinkKind::Relocatable => Kind::Relocatable,
    }
}

/// A driver call that links, with `objects` compiled in the same call (source path, token).
pub fn run_driver_link(
    ctx: &Ctx,
    cmd: &Command,
    objects: Vec<(String, Token)>,
    mut ev: Event,
) -> Result<i32> {
    let spec = LinkSpec::from_driver(cmd);
    let member_names: Vec<String> = objects.iter().map(|(n, _)| n.clone()).collect();
    let inputs = link_inputs(ctx, &spec, &member_names)?;
    let out = spec.output.clone().unwrap_or_else(|| "a.out".into());
    let out_abs = ctx.abs(&out);
    let mut tok = Token {
        kind: Some(kind_of(spec.kind.unwrap_or(LinkKind::Executable))),
        role: ctx.role.as_str().to_string(),
        cwd: ctx.cwd_text(),
        argv: ctx.argv.clone(),
        action: crate::action::normalized(ctx, cmd, None),
        inputs,
        output: crate::raw::text_path(&out_abs).into_owned(),
        soname: spec.soname.clone(),
        members: objects
            .into_iter()
            .map(|(n, t)| (n, std::sync::Arc::new(t)))
            .collect(),
        store: String::new(),
        id: String::new(),
        summed: false,
    };
    let id = ctx.write_token(&mut tok, Some(&out_abs))?;
    ev.inputs.extend(cmd.inputs.iter().map(|i| i.path.clone()));
    ev.outputs.push(out);
    ev.tokens.push(id);
    ctx.record(ev)?;
    Ok(0)
}

/// `ld` called by the build itself (never by collect2: see `main.rs`).
pub fn run_ld(ctx: &Ctx) -> Result<i32> {
    let Some(args) = ctx.expanded_args() else {
        return ctx.pass_through(Reason::ResponseFile);
    };
    let spec = LinkSpec::from_ld(&args);
    let inputs = link_inputs(ctx, &spec, &[])?;
    let out = spec.output.clone().unwrap_or_else(|| "a.out".into());
    let out_abs = ctx.abs(&out);
    let mut action = vec![
        "role=ld".to_string(),
        format!("cwd={}", ctx.session.normalize(&ctx.cwd_text())),
    ];
    let mut it = args.iter();
    while let Some(w) = it.next() {
        if w == "-o" || w == "--output" {
            it.next();
            continue;
        }
        if !w.starts_with('-') {
            continue;
        }
        action.push(ctx.session.normalize(w));
    }
    let mut tok = Token {
        kind: Some(kind_of(spec.kind.unwrap_or(LinkKind::Executable))),
        role: ctx.role.as_str().to_string(),
        cwd: ctx.cwd_text(),
        argv: ctx.argv.clone(),
        action,
        inputs,
        output: crate::raw::text_path(&out_abs).into_owned(),
        soname: spec.soname.clone(),
        ..Token::default()
    };
    let id = ctx.write_token(&mut tok, Some(&out_abs))?;
    let mut ev = ctx.event(Decision::Confessed);
    ev.inputs = spec.files();
    ev.outputs.push(out);
    ev.tokens.push(id);
    ctx.record(ev)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn ld_spec() {
        let s = LinkSpec::from_ld(&words(
            "-shared -soname libx.so.1 -o libx.so a.o b.o -L. -lfoo -lm -m elf_x86_64",
        ));
        assert_eq!(s.files(), ["a.o", "b.o"]);
        let libs: Vec<&LinkItem> = s
            .order
            .iter()
            .filter(|i| matches!(i, LinkItem::Lib(_)))
            .collect();
        assert_eq!(
            libs,
            [&LinkItem::Lib("foo".into()), &LinkItem::Lib("m".into())]
        );
        assert_eq!(s.kind, Some(LinkKind::Shared));
        assert_eq!(s.soname.as_deref(), Some("libx.so.1"));
        assert_eq!(s.output.as_deref(), Some("libx.so"));
        let s = LinkSpec::from_ld(&words("-r -o all.o a.o b.o"));
        assert_eq!(s.kind, Some(LinkKind::Relocatable));
    }

    #[test]
    fn driver_soname_spellings() {
        for line in [
            "-shared -Wl,-soname,libg.so.1 a.o",
            "-shared -Wl,-h,libg.so.1 a.o",
            "-shared -Xlinker -soname -Xlinker libg.so.1 a.o",
            "-shared -Wl,-soname=libg.so.1 a.o",
        ] {
            let c = crate::args::parse(&words(line), false, Path::new("/")).expect("parses");
            assert_eq!(
                LinkSpec::from_driver(&c).soname.as_deref(),
                Some("libg.so.1"),
                "{line}"
            );
        }
    }

    #[test]
    fn inputs_keep_their_command_line_order() {
        use LinkItem::{File, Lib};
        let c = crate::args::parse(
            &words("-o p main.o libu.a -lm /usr/lib/libpng.so -l z b.o"),
            false,
            Path::new("/"),
        )
        .expect("parses");
        let f = |s: &str| File(s.to_string());
        let l = |s: &str| Lib(s.to_string());
        let want = [
            f("main.o"),
            f("libu.a"),
            l("m"),
            f("/usr/lib/libpng.so"),
            l("z"),
            f("b.o"),
        ];
        assert_eq!(LinkSpec::from_driver(&c).order, want);
        let s = LinkSpec::from_ld(&words("-o p main.o libu.a -lm /usr/lib/libpng.so -l z b.o"));
        assert_eq!(s.order, want);
    }
}
