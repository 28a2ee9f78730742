#!/usr/bin/env bash
# Confesses every fixture with its manifests importing the engine's own types from DIR (a
# checkout of the engine's src/armitage/dhall) and type-checks every BUILD.dhall and index with
# the reference Dhall implementation. Usage: scripts/check-engine.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(cd "${1:?usage: scripts/check-engine.sh ENGINE_DHALL_DIR}" && pwd)
cargo build --release -q
confess=$(ls target/*/release/confess | head -n 1)
dhall=$(dirname "$(readlink -f "$(command -v dhall-to-json)")")/builds/dhall-to-json-1.7.6-x86_64-linux
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0
run() { # NAME CONFESS-ARGS...
    local name=$1; shift
    local out="$work/$name"
    "$confess" "$1" --out "$out" --quiet --engine-schema "$dir" "${@:2}" >/dev/null 2>&1 ||
        { echo "check-engine: $name: confess failed (see $out/build.log)" >&2; exit 1; }
    while IFS= read -r -d '' f; do
        (cd "$(dirname "$f")" && echo "./BUILD.dhall : List ($dir/Build.dhall).Target" | "$dhall" --compact >/dev/null) ||
            { echo "check-engine: $f does not type-check against $dir" >&2; exit 1; }
        checked=$((checked + 1))
    done < <(find "$out/dhall" -name BUILD.dhall -print0)
    "$dhall" --file "$out/dhall/packages.dhall" >/dev/null
}
for d in fixtures/make/*/; do run "make-$(basename "$d")" make "$d"; done
for d in fixtures/cmake/*/; do run "cmake-$(basename "$d")" cmake "$d"; done
for d in fixtures/autotools/*/; do run "autotools-$(basename "$d")" autotools "$d"; done
for d in fixtures/meson/*/; do run "meson-$(basename "$d")" meson "$d"; done
echo "check-engine: $checked BUILD.dhall files type-check as List Target of $dir/Build.dhall"
