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
step "wasm target" rustup target add wasm32-wasip2
step "fmt" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets -- -D warnings
step "build" cargo build --workspace --all-targets
# The plugin SDK, examples and hostile fixtures, built as components (the tests load them).
step "plugins (wasm32-wasip2)" env CARGO_TARGET_DIR="$CARGO_TARGET_DIR-plugins" \
    cargo build --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml
step "plugins fmt and clippy" bash -c 'cd plugins && cargo fmt --all -- --check && CARGO_TARGET_DIR="$CARGO_TARGET_DIR-plugins" cargo clippy --release --target wasm32-wasip2 --all-targets -- -D warnings'
step "plugin unit tests (host target)" env CARGO_TARGET_DIR="$CARGO_TARGET_DIR-plugins" \
    cargo test --manifest-path plugins/Cargo.toml
step "tests" cargo test --workspace -- --test-threads 2
echo "all steps passed in $(( $(date +%s) - total_start ))s"
