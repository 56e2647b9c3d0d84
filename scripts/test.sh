#!/usr/bin/env bash
# The whole test suite: math unit and property tests, the real-runtime
# integration suite (stateful fuzzing included), the check that the
# committed IDL matches the source, the TypeScript SDK's tests against the
# Rust client's vectors, and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
# One target directory per machine, reused by CI and later sessions.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"
# solana-program-test logs every transaction at debug level otherwise.
export RUST_LOG="${RUST_LOG:-error}"

command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm not found: install Node 20 and npm first" >&2; exit 1; }
# libclang and g++ for the local validator the end-to-end tests start.
./scripts/deps.sh

echo "== formatting"
cargo fmt --all -- --check
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# First: it installs the SDK the local validator's end-to-end test runs.
echo "== TypeScript SDK (app/ts): generated code up to date, strict type check, tests against the Rust vectors"
(cd app/ts && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check-generated && npm test --silent) 2>&1 | tee -a "$log"
echo "== unit, property and real-runtime tests"
cargo test --workspace --locked 2>&1 | tee -a "$log"
echo "== the client builds without the in-process runtime (JSON-RPC only)"
cargo check --quiet --locked -p vamm-client
echo "== IDL is up to date"
cargo run --quiet --locked -p xtask -- idl --check
# The math's fuzz targets, built and run briefly (needs the nightly
# toolchain; says so and skips without it).
echo "== coverage-guided fuzzing of the math"
./scripts/fuzz.sh "${VAMM_FUZZ_TARGET_SECS:-20}"
# One closing line for the whole run.
awk '/^test result:/ { passed += $4; failed += $6 } /^# pass / { passed += $3 } /^# fail / { failed += $3 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
