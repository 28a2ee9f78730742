//! Fuzz body: the assemblers' argument reader, `confess_shims::asm::parse`, and what the shim and
//! the extractor ask of its answer. The input is a command line: the first byte picks the
//! assembler (nasm, yasm or GNU as, by its value modulo 3), the rest is argv[1..] with words
//! separated by NUL bytes, each taken as the shim takes argv (`shims::raw::text`).

use confess_shims::asm::{self, Assembler, Opt};
use confess_shims::raw;

pub fn run(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let tool = match first % 3 {
        0 => Assembler::Nasm,
        1 => Assembler::Yasm,
        _ => Assembler::Gas,
    };
    let words: Vec<String> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split(|&b| b == 0)
            .map(|w| raw::text(w).into_owned())
            .collect()
    };
    let Ok(cmd) = asm::parse(tool, &words) else {
        return;
    };
    // Every word is in exactly one option, in order.
    let back: Vec<&String> = cmd.args.iter().flat_map(|a| a.words.iter()).collect();
    assert_eq!(back.len(), words.len(), "words lost or invented: {words:?}");
    assert!(
        back.iter().zip(&words).all(|(a, b)| *a == b),
        "words reordered: {words:?}"
    );
    // What the shim asks next: the inputs, the output, the format, the depfile, the words
    // that decide the object.
    let inputs: Vec<&str> = cmd.inputs().collect();
    let out = cmd.output().map_or_else(
        || asm::default_output(tool, inputs.first().copied().unwrap_or("a")),
        str::to_string,
    );
    let _ = cmd.makes_object();
    let _ = cmd.assembles();
    if let Some(d) = cmd.depfile(&out) {
        assert!(!d.targets.is_empty(), "a depfile with no target");
    }
    let deciding: Vec<&String> = cmd.deciding_words().collect();
    assert!(deciding.len() <= words.len());
    // An option's value is one of its words, or the tail of one.
    for a in &cmd.args {
        let value = match &a.opt {
            Opt::Format(v)
            | Opt::Include(v)
            | Opt::Define(v)
            | Opt::Undefine(v)
            | Opt::PreInclude(v)
            | Opt::Optimize(v)
            | Opt::Output(v) => Some(v),
            _ => None,
        };
        if let Some(v) = value {
            assert!(
                a.words.iter().any(|w| w.ends_with(v.as_str())),
                "{v:?} is in none of {:?}",
                a.words
            );
        }
    }
}
