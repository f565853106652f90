#!/usr/bin/env bash
# Auth benchmarks (DESIGN.md method): logins per second with the configured argon2id cost, and
# GET by id as anonymous vs a signed-in member vs a members API token, in one run. The server is
# pinned to core 0 with one worker thread (argon2's blocking threads share that core), wrk to core 1.
#   tests/bench/auth.sh [COUNT]   (default 2000 articles; SKIP_BUILD=1 reuses the last build)
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-2000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cms-target}"
command -v wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
[ -n "${SKIP_BUILD:-}" ] || cargo build -q --profile bench-lto -p cms --bin cms
BIN="$CARGO_TARGET_DIR/bench-lto"
WORK=$(mktemp -d /var/tmp/cms-auth-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 tests/bench/gen_import.py --count "$COUNT" --bench ../shared/bench/gen_articles.py \
    --out "$WORK/articles.jsonl" --ids "$WORK/public_ids.txt"
TOKEN=bench-bootstrap-token-0123456789
PORT=18280
export EMAIL=admin@bench.example PASSWORD=bench-admin-password
# argon2id cost: the shipped defaults (19 MiB, 2 passes, 1 lane); login limits raised for the run.
env CMS_SERVER__BIND=127.0.0.1:$PORT CMS_DATA__DIR="$WORK/data" CMS_AUTH__BOOTSTRAP_TOKEN=$TOKEN \
    CMS_AUTH__ADMIN_EMAIL=$EMAIL CMS_AUTH__ADMIN_PASSWORD=$PASSWORD \
    CMS_AUTH__LOGIN_PER_ACCOUNT_PER_MIN=100000000 CMS_AUTH__LOGIN_PER_IP_PER_MIN=100000000 \
    CMS_CACHE__RESPONSES_MB=96 CMS_DEMO__LOAD_ON_EMPTY=false CMS_LOG__LEVEL=warn TOKIO_WORKER_THREADS=1 \
    taskset -c 0 "$BIN/cms" serve --config config.toml >"$WORK/cms.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
"$BIN/cms" import "$WORK/articles.jsonl" --config config.toml --server "http://127.0.0.1:$PORT" --token $TOKEN 2>/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run_wrk() { # NAME URL SCRIPT [HEADER]
    local name=$1 url=$2 script=$3 header=${4:-}
    local args=(-t1 -c"$CONNS" -d"$DURATION" --latency -s "$script")
    [ -n "$header" ] && args+=(-H "$header")
    taskset -c 1 wrk "${args[@]}" "$url" >/dev/null 2>&1
    local before; before=$(cpu_ticks $PID)
    local out; out=$(taskset -c 1 wrk "${args[@]}" "$url")
    local after; after=$(cpu_ticks $PID)
    if grep -q "Non-2xx" <<<"$out"; then echo "$name: non-2xx responses"; echo "$out"; exit 1; fi
    local rps p50 p99 reqs cpu
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v r="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / r}')
    echo "| $name | $rps | $p50 | $p99 | $cpu |"
}

MEMBER_SESSION=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/users" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' \
    -d '{"email": "member@bench.example", "role": "member", "password": "member-password-1"}' >/dev/null &&
    curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email": "member@bench.example", "password": "member-password-1"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')
API_TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/tokens" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"name": "bench", "access": "read", "visibility": "members"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')

export IDS_FILE="$WORK/public_ids.txt" PATH_PREFIX=/api/v1/content/practice_article/
echo "| run | req/s | p50 | p99 | server CPU us/req |"
echo "|---|---|---|---|---|"
RSS_IMPORT=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status)
run_wrk "login (argon2id m=19456 KiB, t=2, p=1)" "http://127.0.0.1:$PORT" tests/bench/login.lua
RSS_LOGIN=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status)
run_wrk "GET by id, anonymous" "http://127.0.0.1:$PORT" tests/bench/random_ids.lua
run_wrk "GET by id, member session" "http://127.0.0.1:$PORT" tests/bench/random_ids.lua "Authorization: Bearer $MEMBER_SESSION"
run_wrk "GET by id, members API token" "http://127.0.0.1:$PORT" tests/bench/random_ids.lua "Authorization: Bearer $API_TOKEN"
echo "server RSS: ${RSS_IMPORT} MB after the import of $COUNT articles, ${RSS_LOGIN} MB after the logins, $(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status) MB after the reads"
