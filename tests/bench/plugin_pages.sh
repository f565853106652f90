#!/usr/bin/env bash
# Pages with plugin blocks (DESIGN.md method): publish latency of a page with 10 callout blocks
# against the same page with 10 paragraph blocks, then reads of both pages with wrk, with the
# response cache on and off. Server pinned to core 0 with one worker; clients on core 1.
#   tests/bench/plugin_pages.sh   (PROFILE=release to skip the LTO build; ROUNDS per block)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
ROUNDS="${ROUNDS:-100}"
PROFILE="${PROFILE:-bench-lto}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
command -v wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
rustup target add wasm32-wasip2 >/dev/null
CARGO_TARGET_DIR="$CARGO_TARGET_DIR-plugins" cargo build -q --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml
[ -n "${SKIP_BUILD:-}" ] || cargo build -q --profile "$PROFILE" -p cms --bin cms
BIN="$CARGO_TARGET_DIR/$PROFILE"
WORK=$(mktemp -d /var/tmp/cms-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
TOKEN=bench-bootstrap-token-0123456789
PORT=18180


source tests/bench/wrk_row.sh

start_cms ""
"$BIN/cms" plugin add "$CARGO_TARGET_DIR-plugins/wasm32-wasip2/release/callout.wasm" \
    --manifest plugins/examples/callout/plugin.json --config config.toml \
    --server "http://127.0.0.1:$PORT" --token $TOKEN
taskset -c 1 python3 tests/bench/plugin_pages.py "http://127.0.0.1:$PORT" $TOKEN "$ROUNDS" | tee "$WORK/publish.txt"
# Again with 50 ms between the edit and the publish (the follower has indexed the edit), with
# the blocks unchanged and then with every block changed at every round (no render reused).
taskset -c 1 python3 tests/bench/plugin_pages.py "http://127.0.0.1:$PORT" $TOKEN "$((ROUNDS / 2))" 50 | grep -v _PAGE=
taskset -c 1 python3 tests/bench/plugin_pages.py "http://127.0.0.1:$PORT" $TOKEN "$((ROUNDS / 2))" 50 blocks | grep -v _PAGE=
taskset -c 1 python3 tests/bench/plugin_pages.py "http://127.0.0.1:$PORT" $TOKEN "$ROUNDS" 0 blocks | grep -v _PAGE=
eval "$(grep -E '^(PLUGIN|BUILTIN)_PAGE=' "$WORK/publish.txt")"
ROWS=()
for cache in on off; do
    if [ $cache = off ]; then
        kill $CMS_PID; wait $CMS_PID 2>/dev/null || true
        start_cms "CMS_CACHE__RESPONSES_MB=0"
    fi
    ROWS+=("$(run_wrk "page with 10 plugin blocks, cache $cache" $CMS_PID "http://127.0.0.1:$PORT/api/v1/content/page/$PLUGIN_PAGE")")
    ROWS+=("$(run_wrk "page with 10 paragraph blocks, cache $cache" $CMS_PID "http://127.0.0.1:$PORT/api/v1/content/page/$BUILTIN_PAGE")")
done
echo "bodies: $(curl -s "http://127.0.0.1:$PORT/api/v1/content/page/$PLUGIN_PAGE" | wc -c) B with plugins, $(curl -s "http://127.0.0.1:$PORT/api/v1/content/page/$BUILTIN_PAGE" | wc -c) B without"
kill $CMS_PID; wait $CMS_PID 2>/dev/null || true
echo
echo "| run | req/s | p50 | p99 | server CPU us/req | server RSS MB |"
echo "|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
