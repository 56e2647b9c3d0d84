#!/usr/bin/env bash
# A long stateful-fuzzing campaign in the real runtime (tests/src/fuzz.rs):
# random operation sequences through the real program until SECONDS have
# passed, printing sequences, operations per second and every violation
# (shrunk and printed as Rust); fails at the end if there was one.
#
#   scripts/fuzz-campaign.sh [SECONDS] [FIRST_SEED] [OPS_PER_SEQUENCE]
#
# Defaults: an hour, seed 1000, 200 operations. Built optimised (the
# sandbox profile: release with overflow checks, without fat LTO).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"
export RUST_LOG="${RUST_LOG:-error}"
export VAMM_FUZZ_SECS="${1:-3600}" VAMM_FUZZ_FIRST_SEED="${2:-1000}" VAMM_FUZZ_OPS="${3:-200}"
# The runtime prints every instruction's log to stdout natively: the whole
# output goes to a log, the campaign's own lines to the terminal.
log="$CARGO_TARGET_DIR/fuzz-campaign.log"
echo "fuzz campaign: full output in $log"
set +e
cargo test --locked --profile sandbox -p vamm-tests --test suite fuzz_campaign -- --ignored --nocapture 2>&1 \
  | tee "$log" | grep --line-buffered -E "^(fuzz campaign|VIOLATION|seed |shrunk|    Op::|vec!|\]|test result)"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  grep -E -A3 "^(error|thread .* panicked)" "$log" | tail -20 || true
  echo "fuzz campaign: FAILED (exit $status), see $log" >&2
fi
exit "$status"
