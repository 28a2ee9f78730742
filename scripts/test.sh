#!/usr/bin/env bash
# The whole test suite: installs the real tools the tests drive, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The formal development: coqc, coqchk, Print Assumptions, Lean/Coq twins (docs/theorems.md).
bash scripts/check-proofs.sh
cargo test --workspace --release "$@"
