# Tasks for confess. `just --list` shows them.

# Build the release binaries (confess and confess-shim).
build:
    cargo build --release

# The whole test suite: installs the tools the tests drive, then runs every test.
test:
    bash scripts/test.sh

# The real-world corpus (Debian source packages, fetched and cached under target/corpus): the
# tests that confess them, with their figures printed (translation units against Bear, clangd and
# clang-tidy diagnostics, verify), which are part of `just test` too; then the replay check
# (tests/replay.rs: each project extracted again from its confession alone), which is not.
corpus:
    bash scripts/install-deps.sh
    cargo test --release --test debian_make --test debian_cmake -- --nocapture
    cargo test --release --test autotools -- --nocapture jq_ libyaml gnu_hello libuv
    cargo test --release --test meson -- --nocapture pixman
    cargo test --release --test replay -- --ignored --nocapture

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

# The corpus benchmark: each Debian corpus project confessed side by side with its plain build,
# its build under Bear and the floor, in one run (bench/corpus.py; ONLY=name,... for some).
bench-corpus *ARGS: build
    python3 bench/corpus.py {{ARGS}}

# Extraction at scale: the synthetic generator's projects (default N = 20,000 and 100,000) confessed
# and their extraction's time, peak memory and outputs printed side by side (bench/extraction.py).
bench-extraction *ARGS: build
    python3 bench/extraction.py {{ARGS}}

# What the seal costs on one project: `confess DRIVER SRC` sealed and unsealed, alternated.
bench-seal DRIVER SRC *ARGS: build
    python3 bench/seal.py {{DRIVER}} {{SRC}} {{ARGS}}

# The fuzz targets (docs/design_notes.md, "Fuzzing").
# cargo-fuzz build options for `just fuzz` (`FUZZ_BUILD=--no-trace-compares just fuzz dhall ...`:
# the Dhall target's 10-million run was built so, about 2.9 times the executions a second).
FUZZ_BUILD := env_var_or_default("FUZZ_BUILD", "")
fuzz_targets := "args asm response_file response_file_expand token events dhall"

# Fuzz one target with cargo-fuzz (installs nightly and cargo-fuzz if missing) for RUNS
# executions, with libFuzzer's ARGS after (`-max_total_time=900`, `-max_len=1024`); new inputs go
# to fuzz/corpus/TARGET, crashes and timeouts to fuzz/artifacts/TARGET.
fuzz TARGET RUNS="10000000" *ARGS:
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz
    cd fuzz && cargo +nightly fuzz run --sanitizer none {{FUZZ_BUILD}} {{TARGET}} -- -dict=dict/{{TARGET}}.dict -runs={{RUNS}} -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 {{ARGS}}

# Every fuzz target, one after the other (response_file_expand for 15 minutes; dhall on both
# cores, built without comparison tracing: about 1.5 hours), then the corpora
# minimized.
fuzz-all RUNS="10000000":
    -for t in args asm response_file token events; do just fuzz $t {{RUNS}}; done
    -just fuzz response_file_expand {{RUNS}} -max_total_time=900
    -FUZZ_BUILD=--no-trace-compares just fuzz dhall {{RUNS}} -max_len=1024 -fork=2
    just fuzz-cmin

# Minimize the saved corpora (keeps the inputs that add coverage).
fuzz-cmin:
    cd fuzz && for t in {{fuzz_targets}}; do cargo +nightly fuzz cmin --sanitizer none $t -- -rss_limit_mb=2048 -timeout=60; done

# Replay the saved corpora and regressions on stable, as CI does (no fuzzing).
fuzz-replay:
    bash scripts/fuzz-replay.sh
