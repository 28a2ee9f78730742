#!/usr/bin/env bash
# Builds confess with a dynamically linked confess-shim into target/dynamic/ (confess and
# confess-shim side by side, as confess expects them), to measure what static linking, the
# default (.cargo/config.toml), saves: `python3 bench/run.py --also dynamic=target/dynamic/confess`.
# An empty RUSTFLAGS overrides the configuration's `+crt-static`.
set -euo pipefail
cd "$(dirname "$0")/.."
triple="$(rustc -vV | sed -n 's/^host: //p')"
CARGO_TARGET_DIR=target/dynamic-build RUSTFLAGS="" cargo build --release --bin confess --bin confess-shim
mkdir -p target/dynamic
cp "target/dynamic-build/$triple/release/confess" "target/dynamic-build/$triple/release/confess-shim" target/dynamic/
echo "target/dynamic/confess (with a dynamically linked confess-shim beside it)"
