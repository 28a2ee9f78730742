# Tasks for confess. `just --list` shows them.

# Build the release binaries (confess and confess-shim).
build:
    cargo build --release

# The whole test suite: installs the tools the tests drive, then runs every test.
test:
    bash scripts/test.sh

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --release -- -D warnings

# Benchmark: confess build phase vs the build system's traversal vs the real build.
bench *ARGS: build
    python3 bench/run.py {{ARGS}}
