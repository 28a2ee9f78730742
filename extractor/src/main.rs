//! The `confess` command. Errors print as `confess: error: ...` and exit with the code
//! documented in README.md (see `error.rs`).

fn main() {
    std::process::exit(confess::cli::main());
}
