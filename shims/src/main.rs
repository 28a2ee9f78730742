//! The multi-call shim. Its role comes from the name it is called by (see `role.rs`).
//! Exit codes: the real tool's own status; 125 when the shim itself fails.
//!
//! The shim runs once for every compiler, archiver and linker call of a build, so it starts
//! the way a C program does: `main` is the C entry point, without the Rust runtime's start-up.
//! That start-up asks glibc for the main thread's stack bounds (glibc reads and parses
//! /proc/self/maps for it) and sets up a guard page and an alternate signal stack, 7 % of a
//! compile call's time, to turn a stack overflow into a message. What the shim keeps of the
//! runtime: `std::env::args_os` (glibc passes argv to Rust's initialiser), and
//! `std::process::exit`, which flushes standard output. SIGPIPE keeps the disposition the
//! build gave the shim, as it would for the real compiler (the runtime would ignore it).

#![no_main]

// The one attribute that needs `unsafe_code`: exporting the C entry point under its C name.
#[allow(unsafe_code)]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // Arguments are bytes: a word that is not UTF-8 is carried in its text form (`raw`).
    let argv: Vec<String> = std::env::args_os()
        .map(|a| confess_shims::raw::text_os(&a).into_owned())
        .collect();
    let code = match confess_shims::shim::main(argv) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("confess-shim: error: {e}");
            125
        }
    };
    std::process::exit(code);
}
