#!/usr/bin/env bash
# The whole test suite: installs the real tools the tests drive, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The formal development: coqc, coqchk, Print Assumptions, Lean/Coq twins (docs/theorems.md).
bash scripts/check-proofs.sh
# Every test binary runs even when one fails, so a run reports every failure.
cargo test --workspace --release --no-fail-fast "$@"
