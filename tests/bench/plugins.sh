#!/usr/bin/env bash
# Plugin host benchmarks (in process, pinned to core 0): engine reservation, cold and cached
# loads per example, fresh instantiate + render p50/p99, RSS per concurrent instance.
#   tests/bench/plugins.sh   (PROFILE=release to skip the LTO build)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
PROFILE="${PROFILE:-bench-lto}"
rustup target add wasm32-wasip2 >/dev/null
CARGO_TARGET_DIR="$CARGO_TARGET_DIR-plugins" cargo build -q --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml
[ -n "${SKIP_BUILD:-}" ] || cargo build -q --profile "$PROFILE" -p cms --example bench_plugins
taskset -c 0 "$CARGO_TARGET_DIR/$PROFILE/examples/bench_plugins" "$CARGO_TARGET_DIR-plugins/wasm32-wasip2/release"
