#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and the end-to-end suite.
# Installs what it needs; prints the time each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
export CARGO_TERM_COLOR=never
total_start=$(date +%s)

step() {
    local name="$1"; shift
    local start; start=$(date +%s)
    echo "==> ${name}"
    "$@"
    echo "<== ${name}: $(( $(date +%s) - start ))s"
}

step "toolchain components" rustup component add rustfmt clippy
step "fmt" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets -- -D warnings
step "build" cargo build --workspace --all-targets
step "tests" cargo test --workspace -- --test-threads 2
echo "all steps passed in $(( $(date +%s) - total_start ))s"
