#!/usr/bin/env bash
# Quick start, step 2: the whole test suite, with the real models and real SIP peers.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
echo "==> cargo test"
cargo test --release --locked --workspace --no-fail-fast "$@"
echo "==> fuzzing: every target for ${FUZZ_SECONDS:-30} s on the committed corpus"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
