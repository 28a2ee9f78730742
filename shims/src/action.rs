//! The words that identify a compiler driver's call: what a compile's or a link's token id is
//! made from besides its inputs (`compile`, `link`).

use crate::args::{ArgKind, Command, Lang};
use crate::ctx::Ctx;
use crate::flags::Meaning;

/// `-Wp,-MD,file` is a depfile request spelled as a preprocessor option.
fn is_wp_depfile(a: &crate::args::Arg) -> bool {
    a.kind == ArgKind::Flag(Meaning::PreprocArg)
        && a.value.as_deref().is_some_and(crate::flags::is_wp_depfile)
}

/// The action words that identify a compile: flags as given, minus outputs and inputs, with
/// scratch paths normalised; plus the working directory (relative flags depend on it).
pub fn normalized(ctx: &Ctx, cmd: &Command, lang: Option<Lang>) -> Vec<String> {
    let mut act = vec![
        format!("role={}", ctx.role.as_str()),
        format!("tool={}", ctx.tool_name()),
        format!("cwd={}", ctx.session.normalize(&ctx.cwd_text())),
    ];
    if let Some(l) = lang {
        act.push(format!("lang={}", l.as_str()));
    }
    for a in &cmd.args {
        match &a.kind {
            ArgKind::Input => continue,
            ArgKind::Flag(m) if m.names_output() || *m == Meaning::Language => continue,
            _ if is_wp_depfile(a) => continue,
            _ => {}
        }
        for w in &a.words {
            act.push(ctx.session.normalize(w));
        }
    }
    act
}
