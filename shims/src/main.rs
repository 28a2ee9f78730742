//! The multi-call shim. Its role comes from the name it is called by (see `role.rs`).
//! Exit codes: the real tool's own status; 125 when the shim itself fails.

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
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
