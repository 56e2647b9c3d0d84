#!/usr/bin/env bash
# Coverage-guided fuzzing of the program's pure math (fuzz/, libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds every cargo-fuzz target with the nightly toolchain and runs each
# (or the named ones) for SECONDS (default 30) over a scratch copy of its
# committed seed corpus (fuzz/corpus/TARGET), printing executions per
# second; a crash fails the script and leaves the input under
# $CARGO_TARGET_DIR/fuzz/artifacts. Installs cargo-fuzz into
# ~/.cache/vamm-tools when it is missing. Without a nightly toolchain it
# says so and exits 0: the checks themselves also run on stable, over the
# corpora, in the test suite (fuzz/tests/corpus.rs).
#
# Grow the committed corpus after a long run with
#   VAMM_FUZZ_KEEP=1 scripts/fuzz.sh 3600 curve
# (the run's corpus is minimised with `cargo fuzz cmin` and the inputs it
# keeps are added to fuzz/corpus/curve).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vamm-target}"
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(curve curve_governance margin funding liquidation shares)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: skipped, no nightly toolchain (rustup toolchain install nightly); the checks ran on stable in the test suite"
  exit 0
fi
tools="$HOME/.cache/vamm-tools"
export PATH="$tools/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz into $tools"
  if ! cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" --quiet; then
    echo "fuzz: skipped, cargo-fuzz could not be installed (offline?); the checks ran on stable in the test suite"
    exit 0
  fi
fi

# The workspace's release profile links with fat LTO for the program;
# fuzz builds skip that (overflow checks stay on, as in every profile).
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
build=(--release --debug-assertions --sanitizer none --features libfuzzer --target-dir "$CARGO_TARGET_DIR/fuzz")
echo "== fuzz: building ${#targets[@]} targets"
for target in "${targets[@]}"; do
  if ! out="$(cargo +nightly fuzz build "${build[@]}" "$target" 2>&1)"; then
    echo "$out" | tail -40
    exit 1
  fi
done

artifacts="$CARGO_TARGET_DIR/fuzz/artifacts"
mkdir -p "$artifacts"
# Scratch corpora live under fuzz/ (git-ignored): cmin renames within them.
scratch=""
log=""
trap 'rm -rf "$scratch" "$log"' EXIT
for target in "${targets[@]}"; do
  scratch="$(mktemp -d fuzz/.scratch-XXXXXX)"
  log="$(mktemp)"
  cp fuzz/corpus/"$target"/* "$scratch"/
  # New inputs go to the scratch copy; the committed corpus is only read.
  if ! cargo +nightly fuzz run "${build[@]}" "$target" "$scratch" fuzz/corpus/"$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
      >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target FAILED; the input is under $artifacts" >&2
    exit 1
  fi
  runs="$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")"
  runs="${runs:-0}"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
  echo "fuzz: $target: $runs executions in ${seconds}s ($((runs / (seconds > 0 ? seconds : 1)))/s), ${cov:-cov: n/a}, no failure"
  if [ "${VAMM_FUZZ_KEEP:-0}" = 1 ]; then
    if ! cargo +nightly fuzz cmin "${build[@]}" "$target" "$scratch" >"$log" 2>&1; then
      tail -20 "$log"
      echo "fuzz: cmin of $target failed" >&2
      exit 1
    fi
    cp -n "$scratch"/* fuzz/corpus/"$target"/ 2>/dev/null || true
  fi
  rm -rf "$scratch" "$log"
done
