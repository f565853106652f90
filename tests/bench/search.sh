#!/usr/bin/env bash
# Search benchmarks (DESIGN.md method): server pinned to core 0 with one worker thread, wrk on
# core 1, the baseline (bench_baseline serving the same response bytes) under the same pinning
# in the same run. Then, with the server stopped, bench_search in process on the same data
# (query p50/p99 with snippets; freshness of writes at 50/s). Prints lines for BENCHMARKS.md.
#   tests/bench/search.sh [COUNT]   (default 10000; PROFILE=release to skip the LTO build)
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-10000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
command -v wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
PROFILE="${PROFILE:-bench-lto}"
[ -n "${SKIP_BUILD:-}" ] || cargo build -q --profile "$PROFILE" -p cms --bin cms --example bench_baseline --example bench_search
BIN="$CARGO_TARGET_DIR/$PROFILE"
WORK=$(mktemp -d /var/tmp/cms-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 tests/bench/gen_import.py --count "$COUNT" --bench ../shared/bench/gen_articles.py \
    --out "$WORK/articles.jsonl" --ids "$WORK/public_ids.txt"
TOKEN=bench-bootstrap-token-0123456789
PORT=18180; BASE_PORT=18190
URL="http://127.0.0.1:$PORT"
source tests/bench/wrk_row.sh

start_cms() {
    CMS_SERVER__BIND=127.0.0.1:$PORT CMS_DATA__DIR="$WORK/data" CMS_AUTH__BOOTSTRAP_TOKEN=$TOKEN \
        CMS_DEMO__LOAD_ON_EMPTY=false CMS_LOG__LEVEL=warn TOKIO_WORKER_THREADS=1 \
        taskset -c 0 "$BIN/cms" serve --config config.toml >"$WORK/cms.log" 2>&1 &
    CMS_PID=$!
    for _ in $(seq 1 600); do curl -sf "$URL/health/ready" >/dev/null && return; sleep 0.1; done
    echo "cms did not start"; cat "$WORK/cms.log"; exit 1
}
status() { curl -sf -H "authorization: Bearer $TOKEN" "$URL/api/v1/admin/reindex"; }

start_cms
RSS_START=$(rss_mb $CMS_PID)
"$BIN/cms" import "$WORK/articles.jsonl" --config config.toml --server "$URL" --token $TOKEN 2>"$WORK/import.log" || { cat "$WORK/import.log"; exit 1; }
for _ in $(seq 1 600); do
    [ "$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["status"]["lag_events"])')" = 0 ] && break
    sleep 0.5
done
RSS_IMPORT=$(rss_mb $CMS_PID)
START=$(date +%s.%N)
"$BIN/cms" reindex --config config.toml --server "$URL" --token $TOKEN 2>"$WORK/reindex.log" || { cat "$WORK/reindex.log"; exit 1; }
END=$(date +%s.%N)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["meta"]["status"][sys.argv[2]])' "$(status)" "$1"; }
SEGMENTS=$(field segments)
for _ in $(seq 1 1200); do [ "$(field merging)" = False ] && break; sleep 0.1; done
MERGED=$(date +%s.%N)
RSS_REINDEX=$(rss_mb $CMS_PID)
REINDEX_S=$(awk -v a="$START" -v b="$END" 'BEGIN {printf "%.2f", b - a}')
MERGED_S=$(awk -v a="$START" -v b="$MERGED" 'BEGIN {printf "%.2f", b - a}')
DOCS=$(field documents)
DISK_MB=$(python3 -c 'import sys; print(round(int(sys.argv[1]) / 1048576, 1))' "$(field disk_bytes)")
echo "reindex (server pinned to core 0): $COUNT articles ($DOCS documents) searchable on the new index in ${REINDEX_S}s ($SEGMENTS segments; merged into $(field segments) in the background by ${MERGED_S}s); index on disk ${DISK_MB} MB"

curl -sf "$URL/api/v1/search?q=oracy" >"$WORK/search.json"
ROWS=()
ROWS+=("$(run_wrk "GET /api/v1/search?q=oracy, top 20 with snippets (cms)" $CMS_PID "$URL/api/v1/search?q=oracy")")
ROWS+=("$(run_wrk "GET /api/v1/search?q=reading+assessment (cms)" $CMS_PID "$URL/api/v1/search?q=reading+assessment")")
RSS_AFTER=$(rss_mb $CMS_PID)
kill $CMS_PID; wait $CMS_PID 2>/dev/null || true
taskset -c 0 "$BIN/examples/bench_baseline" "127.0.0.1:$BASE_PORT" "$WORK/search.json" &
BPID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$BASE_PORT/x" >/dev/null && break; sleep 0.1; done
ROWS+=("$(run_wrk "baseline, same bytes ($(wc -c <"$WORK/search.json") B)" $BPID "http://127.0.0.1:$BASE_PORT/x")")
kill $BPID; wait $BPID 2>/dev/null || true

echo
echo "| run | req/s | p50 | p99 | server CPU us/req | server RSS MB |"
echo "|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "server RSS: ${RSS_START} MB at start (empty), ${RSS_IMPORT} MB after the import and indexing, ${RSS_REINDEX} MB after the rebuild, ${RSS_AFTER} MB after the search load"
echo
START=$(date +%s.%N)
CMS_DATA__DIR="$WORK/data" CMS_LOG__LEVEL=info "$BIN/cms" reindex --offline --config config.toml 2>"$WORK/offline.log" || { cat "$WORK/offline.log"; exit 1; }
END=$(date +%s.%N)
echo "reindex --offline (both cores, server stopped): $(awk -v a="$START" -v b="$END" 'BEGIN {printf "%.2f", b - a}')s including start and shutdown; $(sed 's/\x1b\[[0-9;]*m//g' "$WORK/offline.log" | grep -o 'segments=.*seconds=[0-9.]*' | tr '\n' ' ')"
echo
echo "In process (bench_search, pinned to core 0, top 20 with snippets):"
CMS_DATA__DIR="$WORK/data" CMS_LOG__LEVEL=warn taskset -c 0 "$BIN/examples/bench_search" config.toml 50 20
