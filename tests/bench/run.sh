#!/usr/bin/env bash
# Foundation benchmarks (DESIGN.md method): the server pinned to core 0 with one worker thread,
# wrk pinned to core 1, the baseline (bench_baseline: a plain poem handler serving the same bytes)
# under the same pinning in the same run. Prints a Markdown table for BENCHMARKS.md.
#   tests/bench/run.sh [COUNT]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-10000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
# Response cache for the cached runs, in MiB (the default config has 32).
CACHE_MB="${CACHE_MB:-96}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
command -v wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
[ -n "${SKIP_BUILD:-}" ] || cargo build -q --profile bench-lto -p cms --bin cms --example bench_baseline
BIN="$CARGO_TARGET_DIR/bench-lto"
WORK=$(mktemp -d /var/tmp/cms-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 tests/bench/gen_import.py --count "$COUNT" --bench ../shared/bench/gen_articles.py \
    --out "$WORK/articles.jsonl" --ids "$WORK/public_ids.txt"
TOKEN=bench-bootstrap-token-0123456789
PORT=18180; BASE_PORT=18190


source tests/bench/wrk_row.sh

start_cms "CMS_CACHE__RESPONSES_MB=$CACHE_MB"
START=$(date +%s.%N)
"$BIN/cms" import "$WORK/articles.jsonl" --config config.toml --server "http://127.0.0.1:$PORT" --token $TOKEN 2>"$WORK/import.log" || { cat "$WORK/import.log"; exit 1; }
END=$(date +%s.%N)
IMPORT_S=$(awk -v a="$START" -v b="$END" 'BEGIN {printf "%.2f", b - a}')
IMPORT_RATE=$(awk -v s="$IMPORT_S" -v n="$COUNT" 'BEGIN {printf "%.0f", n / s}')
IMPORT_RSS=$(rss_mb $CMS_PID)
echo "import: $COUNT items in ${IMPORT_S}s = ${IMPORT_RATE} items/s (server RSS ${IMPORT_RSS} MB)"

FIRST_ID=$(head -1 "$WORK/public_ids.txt")
curl -sf "http://127.0.0.1:$PORT/api/v1/content/practice_article/$FIRST_ID" >"$WORK/item.json"
curl -sf -g "http://127.0.0.1:$PORT/api/v1/content/practice_article?filter[topics][eq]=governance&sort=-published_at&limit=20" >"$WORK/list.json"

ROWS=()
export IDS_FILE="$WORK/public_ids.txt" PATH_PREFIX=/api/v1/content/practice_article/
ROWS+=("$(run_wrk "GET by id (cms)" $CMS_PID "http://127.0.0.1:$PORT" tests/bench/random_ids.lua)")
ROWS+=("$(run_wrk "list of 20, filtered+sorted (cms)" $CMS_PID "http://127.0.0.1:$PORT" tests/bench/lists.lua)")
RSS_AFTER=$(rss_mb $CMS_PID)
kill $CMS_PID; wait $CMS_PID 2>/dev/null || true

start_cms "CMS_CACHE__RESPONSES_MB=0"
ROWS+=("$(run_wrk "GET by id, cache off (cms)" $CMS_PID "http://127.0.0.1:$PORT" tests/bench/random_ids.lua)")
ROWS+=("$(run_wrk "list of 20, cache off (cms)" $CMS_PID "http://127.0.0.1:$PORT" tests/bench/lists.lua)")
kill $CMS_PID; wait $CMS_PID 2>/dev/null || true

for body in item list; do
    taskset -c 0 "$BIN/examples/bench_baseline" "127.0.0.1:$BASE_PORT" "$WORK/$body.json" &
    BPID=$!
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$BASE_PORT/x" >/dev/null && break; sleep 0.1; done
    if [ "$body" = item ]; then
        ROWS+=("$(run_wrk "baseline, item bytes ($(wc -c <"$WORK/item.json") B)" $BPID "http://127.0.0.1:$BASE_PORT" tests/bench/random_ids.lua)")
    else
        ROWS+=("$(run_wrk "baseline, list bytes ($(wc -c <"$WORK/list.json") B)" $BPID "http://127.0.0.1:$BASE_PORT" tests/bench/lists.lua)")
    fi
    kill $BPID; wait $BPID 2>/dev/null || true
done

echo
echo "| run | req/s | p50 | p99 | server CPU us/req | server RSS MB |"
echo "|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "RSS after the cached load: ${RSS_AFTER} MB (response cache ${CACHE_MB} MiB); import: ${IMPORT_RATE} items/s (${COUNT} items, ${IMPORT_S}s)"
