# Shared by the benchmark scripts: starting the server, server CPU ticks, RSS, and one wrk run
# as a table row. Needs DURATION and CONNS; start_cms needs PORT, WORK, TOKEN and BIN.

# start_cms [ENV ASSIGNMENTS] -> CMS_PID: `cms serve` pinned to core 0 with one worker thread.
start_cms() {
    env $1 CMS_SERVER__BIND=127.0.0.1:$PORT CMS_DATA__DIR="$WORK/data" CMS_AUTH__BOOTSTRAP_TOKEN=$TOKEN \
        CMS_DEMO__LOAD_ON_EMPTY=false CMS_LOG__LEVEL=warn TOKIO_WORKER_THREADS=1 \
        taskset -c 0 "$BIN/cms" serve --config config.toml >"$WORK/cms.log" 2>&1 &
    CMS_PID=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return; sleep 0.1; done
    echo "cms did not start"; cat "$WORK/cms.log"; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# run_wrk NAME PID URL [SCRIPT] -> one table row
run_wrk() {
    local name=$1 pid=$2 url=$3 script=${4:-}
    local args=(-t1 -c"$CONNS" -d"$DURATION" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    taskset -c 1 wrk "${args[@]}" "$url" >/dev/null 2>&1 # warm-up
    local before; before=$(cpu_ticks "$pid")
    local out; out=$(taskset -c 1 wrk "${args[@]}" "$url")
    local after; after=$(cpu_ticks "$pid")
    if grep -q "Non-2xx" <<<"$out"; then echo "$name: non-2xx responses"; echo "$out"; exit 1; fi
    local rps p50 p99 reqs
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    local cpu_us; cpu_us=$(awk -v t=$((after - before)) -v r="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / r}')
    echo "$name|$rps|$p50|$p99|$cpu_us|$(rss_mb "$pid")"
}

