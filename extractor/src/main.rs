//! The `confess` command. Errors print as `confess: error: ...` and exit with the code
//! documented in README.md (see `error.rs`).

fn main() {
    // The sealed build's init (see seal.rs) is this binary too.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == confess::seal::INIT) {
        std::process::exit(confess::seal::init(&args[2..]));
    }
    std::process::exit(confess::cli::main());
}
