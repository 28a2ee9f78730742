#!/usr/bin/env bash
# Builds confess with its confess-shim linked two other ways, to measure what the default
# (.cargo/config.toml: static, at a fixed address) saves, side by side in one run:
#
#   target/dynamic/confess      the shim linked dynamically (RUSTFLAGS empty)
#   target/static-pie/confess   the shim linked statically as a position-independent executable
#
#   python3 bench/run.py --also dynamic=target/dynamic/confess --also static-pie=target/static-pie/confess
#
# RUSTFLAGS replaces the configuration's rustflags. confess finds confess-shim beside itself.
set -euo pipefail
cd "$(dirname "$0")/.."
triple="$(rustc -vV | sed -n 's/^host: //p')"
build() {
    local name="$1" flags="$2"
    CARGO_TARGET_DIR="target/$name-build" RUSTFLAGS="$flags" \
        cargo build --release --bin confess --bin confess-shim
    mkdir -p "target/$name"
    cp "target/$name-build/$triple/release/confess" "target/$name-build/$triple/release/confess-shim" "target/$name/"
    echo "target/$name/confess (with its confess-shim beside it)"
}
build dynamic ""
build static-pie "-C target-feature=+crt-static"
