#!/usr/bin/env bash
# A real local validator with the exchange deployed: JSON-RPC on
# 127.0.0.1:8899, WebSocket on 8900, a faucet on 9900, a USDC mint, the
# SOL/BTC/ETH markets and oracle prices published from a seeded walk until
# Ctrl-C. Prints the URL, the mint and a funded keypair. Extra arguments
# go to `vamm-localnet` (try --help). See docs/localnet.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"
export RUST_LOG="${RUST_LOG:-error}"

command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
./scripts/deps.sh
exec cargo run --quiet --locked -p vamm-localnet -- "$@"
