#!/usr/bin/env bash
# Replays every saved fuzz input (fuzz/corpus/TARGET/ and fuzz/regressions/TARGET/) through the
# fuzz targets' bodies, on stable Rust and without cargo-fuzz (tests/fuzz_replay.rs). CI does no
# fuzzing; `cargo test` (scripts/test.sh) runs this test too. Fuzzing: `just fuzz TARGET`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p confess --test fuzz_replay -- --nocapture "$@"
