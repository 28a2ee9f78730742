//! The `confess` command. Errors print as `confess: error: ...` and exit with the code
//! documented in README.md (see `error.rs`).

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // The sealed build's init (see seal.rs) is this binary too.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == confess::seal::INIT) {
        std::process::exit(confess::seal::init(&args[2..]));
    }
    // So is the build step of `--all-targets` (see drivers/all_targets.rs).
    if args
        .get(1)
        .is_some_and(|a| a == confess::drivers::all_targets::BUILD_ALL)
    {
        std::process::exit(confess::drivers::all_targets::main(&args[2..]));
    }
    std::process::exit(confess::cli::main());
}
