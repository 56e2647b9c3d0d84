#!/usr/bin/env bash
# Builds the program (release profile, overflow checks on) and prints its
# IDL, built the way `anchor idl build` builds it. The embedded sandbox
# replaces this as the main job once it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"

command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }

cargo build --release --locked -p vamm
cargo run --quiet --locked -p xtask -- idl --print
