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

# Every fixture's BUILD.dhall against the engine's own types: DIR is a checkout of the engine's
# src/armitage/dhall (the tests use confess's declaration of them, having no network).
engine-check DIR: build
    bash scripts/check-engine.sh {{DIR}}

# What the seal costs on one project: `confess DRIVER SRC` sealed and unsealed, alternated.
bench-seal DRIVER SRC *ARGS: build
    python3 bench/seal.py {{DRIVER}} {{SRC}} {{ARGS}}
