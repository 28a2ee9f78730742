//! Replays the fuzz targets' saved corpora (fuzz/corpus/TARGET/) and the inputs that once broke
//! them (fuzz/regressions/TARGET/) through the very bodies the fuzzer runs (fuzz/targets/), on
//! stable Rust and without cargo-fuzz: CI does no fuzzing, it checks that nothing once found or
//! kept has come back. `scripts/fuzz-replay.sh` runs only this. Fuzzing itself: `just fuzz
//! TARGET` (docs/design_notes.md, "Fuzzing").

#[path = "../fuzz/targets/args.rs"]
mod args;
#[path = "../fuzz/targets/asm.rs"]
mod asm;
#[path = "../fuzz/targets/dhall.rs"]
mod dhall;
#[path = "../fuzz/targets/events.rs"]
mod events;
#[path = "../fuzz/targets/response_file.rs"]
mod response_file;
#[path = "../fuzz/targets/response_file_expand.rs"]
mod response_file_expand;
#[path = "../fuzz/targets/token.rs"]
mod token;

use std::path::{Path, PathBuf};

/// Every saved input of a target: its corpus, then its regressions, by name.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut all = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        all.extend(files);
    }
    all
}

/// Runs `body` on every saved input of `target`; a panic names the input.
fn replay(target: &str, body: fn(&[u8])) {
    let files = inputs(target);
    assert!(
        !files.is_empty(),
        "no saved inputs for the fuzz target {target}"
    );
    for f in &files {
        let data = std::fs::read(f).expect("read a saved input");
        let res = std::panic::catch_unwind(|| body(&data));
        assert!(
            res.is_ok(),
            "the fuzz target {target} fails on {}",
            f.display()
        );
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn args_corpus() {
    replay("args", args::run);
}

#[test]
fn asm_corpus() {
    replay("asm", asm::run);
}

#[test]
fn response_file_corpus() {
    replay("response_file", response_file::run);
}

#[test]
fn response_file_expand_corpus() {
    replay("response_file_expand", response_file_expand::run);
}

#[test]
fn token_corpus() {
    replay("token", token::run);
}

#[test]
fn events_corpus() {
    replay("events", events::run);
}

#[test]
fn dhall_corpus() {
    replay("dhall", dhall::run);
}

/// The inputs that held serde_dhall's parser for minutes (nested brackets: its time triples with
/// each level) are refused by verify's lexer before the parser sees them.
#[test]
fn dhall_nesting_timeouts_are_refused_before_parsing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/dhall");
    for name in [
        "nested-parentheses",
        "timeout-found",
        "timeout-nested-let-and-unions",
    ] {
        let data = std::fs::read(dir.join(name)).expect("read a saved input");
        let text = String::from_utf8_lossy(&data);
        let e = confess::verify::imports::scan(&text).expect_err(name);
        assert!(e.what.contains("nest more than"), "{name}: {e:?}");
    }
    // Nested within bounds, but a text Dhall reads as left open, deep inside: each byte after
    // it is read 3^depth times (4 s in a release build, 755 bytes).
    let name = "timeout-unclosed-text-deep-in-lets";
    let text = String::from_utf8_lossy(&std::fs::read(dir.join(name)).expect("read"))
        .replace("[https://x?Integer/show", "[x");
    let e = confess::verify::imports::scan(&text).expect_err(name);
    assert!(e.what.contains("inside deep brackets"), "{name}: {e:?}");
}
