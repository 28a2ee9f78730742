#!/usr/bin/env bash
# Builds confess with a statically linked confess-shim (no ld.so, no shared libraries to map and
# relocate on each of the thousands of calls a build makes; see docs/performance.md) into
# target/static/: confess and confess-shim side by side, as confess expects them. The shim
# cannot be linked statically by a plain `cargo build`: `-C target-feature=+crt-static` would
# reach the proc-macro crates too, so it is built for an explicit --target in its own target
# directory.
set -euo pipefail
cd "$(dirname "$0")/.."
triple="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --bin confess
CARGO_TARGET_DIR=target/static-build RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --target "$triple" --bin confess-shim
mkdir -p target/static
cp target/release/confess target/static/confess
cp "target/static-build/$triple/release/confess-shim" target/static/confess-shim
echo "target/static/confess (with a statically linked confess-shim beside it)"
