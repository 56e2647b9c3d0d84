#!/usr/bin/env bash
# The main job: the whole exchange in-process (the program inside the Solana
# runtime with the real SPL Token program), three markets driven by seeded
# oracle price paths, simulated traders, an arbitrageur, insurance stakers and
# the keeper. Prints a report and writes report.json and SVG charts to
# ./sandbox-out. Extra arguments go to `vamm sandbox` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"
export RUST_LOG="${RUST_LOG:-warn,tarpc=error,solana_metrics=error}"

command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }

exec cargo run --quiet --locked --profile sandbox -p vamm-cli -- sandbox "$@"
