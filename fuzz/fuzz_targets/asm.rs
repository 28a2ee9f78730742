#![no_main]
// The body is shared with tests/fuzz_replay.rs, which replays the saved corpus on stable Rust.
#[path = "../targets/asm.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
