//! `compile_commands.json` in clang's format: one entry per translation unit, with `arguments`,
//! `directory`, `file` and `output`, paths pointing at the user's tree (or at the kept copies of
//! generated sources), response files expanded. Usable by clangd and clang-tidy. Paths and words
//! are text (`confess_shims::raw`): a byte that is not UTF-8 is one character of U+EF80..U+EFFF.

use crate::graph::{ActionKind, EdgeKind, Graph};
use crate::pathmap::{PathMap, Root};
use confess_shims::args::{self, ArgKind, Stop};
use confess_shims::raw;
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub directory: String,
    pub file: String,
    pub arguments: Vec<String>,
    pub output: String,
}

pub fn entries(g: &Graph, map: &PathMap) -> Vec<Entry> {
    let mut out = Vec::new();
    for a in &g.actions {
        let compiles = matches!(a.kind, ActionKind::Compile | ActionKind::Assemble);
        if !compiles || !matches!(a.role.as_str(), "cc" | "c++") {
            continue;
        }
        let Some(src) = a
            .inputs
            .iter()
            .find(|(e, _)| *e == EdgeKind::Source)
            .map(|(_, n)| *n)
        else {
            continue;
        };
        let Some(src_loc) = g.node(src).loc.as_ref() else {
            continue;
        };
        let Some((a0, rest)) = a.argv.split_first() else {
            continue;
        };
        let cwd = map.scratch_root_join(&a.cwd);
        let Ok(cmd) = args::parse(rest, a0.contains("clang"), &cwd) else {
            continue;
        };
        let src_abs = map.scratch_root_join(src_loc);
        // The source's own word on the command line.
        let own = cmd.inputs.iter().find(|i| {
            let p = raw::path(&i.path);
            let p = if p.is_absolute() {
                p.into_owned()
            } else {
                cwd.join(p)
            };
            confess_shims::headers::lexical(&p) == src_abs
        });
        let Some(own) = own else { continue };
        let linked = cmd.stop() == Stop::Link;
        let mut argv = vec![map.map_tool(a0)];
        if linked {
            argv.push("-c".to_string());
        }
        for (i, arg) in cmd.args.iter().enumerate() {
            match &arg.kind {
                ArgKind::Input if i != own.arg => continue,
                // A generated source is kept in the output directory: name the kept copy.
                ArgKind::Input if src_loc.root == Root::Build => {
                    argv.push(map.user_text(&src_abs, &g.generated))
                }
                // Link-only flags are left out when a compile-and-link call is split into its
                // compiles (as Bear does).
                ArgKind::Flag(m) if linked && m.is_link_only() => continue,
                _ => {
                    argv.extend(arg.words.iter().map(|w| {
                        map.map_relative(&map.map_word(w, &g.generated), &cwd, &g.generated)
                    }))
                }
            }
        }
        let output = a.outputs.first().and_then(|o| g.node(*o).loc.as_ref());
        let output = match (output, linked) {
            (Some(l), _) => map.user_path(&map.scratch_root_join(l), &g.generated),
            (None, true) => {
                let o = cmd.output.clone().unwrap_or_else(|| "a.out".into());
                map.user_path(&cwd.join(raw::path(&o)), &g.generated)
            }
            (None, false) => continue,
        };
        out.push(Entry {
            directory: map.user_text(&cwd, &g.generated),
            file: map.user_text(&src_abs, &g.generated),
            arguments: argv,
            output: raw::text_path(&output).into_owned(),
        });
    }
    out.sort();
    out.dedup();
    out
}

pub fn render(entries: &[Entry]) -> String {
    let mut s = serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
