#!/usr/bin/env bash
# Routing benchmarks: what the response cache and hedging buy, measured through `keel serve`.
#
#   cache    the same request through Keel to an upstream that takes UPSTREAM_MS per answer:
#            direct to the upstream, through Keel with no cache (every request different), and
#            through Keel answered from the response cache (the same request again and again);
#            one connection, so the numbers are latencies, not queueing.
#   hedging  two routes on two upstream processes whose answers take TAIL_NORMAL_MS, except
#            TAIL_PERCENT % of them (at random) that take TAIL_SLOW_MS; the same model without and
#            with `hedge_after_ms: HEDGE_MS`, at HEDGE_CONCURRENCY connections.
#
# The upstreams are bench/routing/upstream.py (threaded Python, fixed answers); the load is
# bench/routing/load.py (keep-alive connections, per-request latency, percentiles). Each run
# starts fresh Keel and upstream processes; the table shows medians over RUNS runs.
#
#   bench/routing.sh                   # RUNS=3
#   RUNS=1 CACHE_N=500 HEDGE_N=400 bench/routing.sh     # quick trial
#
# Environment (defaults in brackets): RUNS [3] UPSTREAM_MS [20] CACHE_N [2000] UNCACHED_N [300]
#   TAIL_PERCENT [5] TAIL_NORMAL_MS [10] TAIL_SLOW_MS [500] HEDGE_MS [50] HEDGE_N [1000]
#   HEDGE_CONCURRENCY [4] SKIP_BUILD [0]
# Raw results go to bench/results/routing-<time>/; the table to bench/results/routing-latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
UPSTREAM_MS=${UPSTREAM_MS:-20}
CACHE_N=${CACHE_N:-2000}
UNCACHED_N=${UNCACHED_N:-300}
TAIL_PERCENT=${TAIL_PERCENT:-5}
TAIL_NORMAL_MS=${TAIL_NORMAL_MS:-10}
TAIL_SLOW_MS=${TAIL_SLOW_MS:-500}
HEDGE_MS=${HEDGE_MS:-50}
HEDGE_N=${HEDGE_N:-1000}
HEDGE_CONCURRENCY=${HEDGE_CONCURRENCY:-4}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEL=.build/release/keel
KEY=sk-bench-routing-key

OUT=bench/results/routing-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
. bench/lib.sh
bench_setup routing.sh

if [ "$SKIP_BUILD" != 1 ]; then
  log "building keel (release)"
  swift build -c release --product keel >/dev/null
fi

wait_http() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  log "nothing answers on port $1"; exit 1
}

TAIL_MODEL="tail-$TAIL_PERCENT-$TAIL_NORMAL_MS-$TAIL_SLOW_MS"
for run in $(seq 1 "$RUNS"); do
  UP1=$(free_port); UP2=$(free_port); KEEL_PORT=$(free_port)
  python3 bench/routing/upstream.py "$UP1" "$run" & PIDS+=($!)
  python3 bench/routing/upstream.py "$UP2" "$((run + 100))" & PIDS+=($!)
  rm -rf "$WORK/data"
  cat > "$WORK/keel.yaml" <<YAML
server:
  listen: "127.0.0.1:$KEEL_PORT"
  master_key: "$KEY"
  log_level: warning
storage:
  url: "sqlite:$WORK/data/keel.db"
providers:
  up1: {kind: openai, base_url: "http://127.0.0.1:$UP1/v1", api_key: "sk-upstream"}
  up2: {kind: openai, base_url: "http://127.0.0.1:$UP2/v1", api_key: "sk-upstream"}
models:
  - name: uncached
    routes: [{provider: up1, model: fixed-$UPSTREAM_MS}]
  - name: cached
    routes: [{provider: up1, model: fixed-$UPSTREAM_MS}]
    cache: {ttl_s: 3600}
  - name: nohedge
    routes: [{provider: up1, model: $TAIL_MODEL}, {provider: up2, model: $TAIL_MODEL}]
    retries: 0
  - name: hedge
    routes: [{provider: up1, model: $TAIL_MODEL}, {provider: up2, model: $TAIL_MODEL}]
    retries: 1
    hedge_after_ms: $HEDGE_MS
YAML
  "$KEEL" serve --config "$WORK/keel.yaml" > "$OUT/keel-$run.log" 2>&1 & KEEL_PID=$!; PIDS+=($KEEL_PID)
  wait_http "$UP1"; wait_http "$UP2"; wait_http "$KEEL_PORT"
  log "run $run: cache"
  # Warm up every path (connections, the first cache entry).
  python3 bench/routing/load.py "$KEEL_PORT" cached 20 1 "$KEY" > /dev/null
  python3 bench/routing/load.py "$KEEL_PORT" uncached 20 1 "$KEY" unique > /dev/null
  python3 bench/routing/load.py "$UP1" "fixed-$UPSTREAM_MS" 20 1 > /dev/null
  echo "{\"run\": $run, \"case\": \"direct\", \"result\": $(python3 bench/routing/load.py "$UP1" "fixed-$UPSTREAM_MS" "$UNCACHED_N" 1)}" >> "$OUT/results.jsonl"
  echo "{\"run\": $run, \"case\": \"uncached\", \"result\": $(python3 bench/routing/load.py "$KEEL_PORT" uncached "$UNCACHED_N" 1 "$KEY" unique)}" >> "$OUT/results.jsonl"
  echo "{\"run\": $run, \"case\": \"cache-hit\", \"result\": $(python3 bench/routing/load.py "$KEEL_PORT" cached "$CACHE_N" 1 "$KEY")}" >> "$OUT/results.jsonl"
  log "run $run: hedging"
  python3 bench/routing/load.py "$KEEL_PORT" nohedge 50 "$HEDGE_CONCURRENCY" "$KEY" > /dev/null
  echo "{\"run\": $run, \"case\": \"nohedge\", \"result\": $(python3 bench/routing/load.py "$KEEL_PORT" nohedge "$HEDGE_N" "$HEDGE_CONCURRENCY" "$KEY")}" >> "$OUT/results.jsonl"
  echo "{\"run\": $run, \"case\": \"hedge\", \"result\": $(python3 bench/routing/load.py "$KEEL_PORT" hedge "$HEDGE_N" "$HEDGE_CONCURRENCY" "$KEY")}" >> "$OUT/results.jsonl"
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
done

python3 bench/routing/report.py "$OUT/results.jsonl" \
  "upstream answers after $UPSTREAM_MS ms" \
  "$TAIL_PERCENT % of answers after $TAIL_SLOW_MS ms, the rest after $TAIL_NORMAL_MS ms; hedge_after_ms: $HEDGE_MS; $HEDGE_CONCURRENCY connections" \
  | tee "$OUT/report.md"
cp "$OUT/report.md" bench/results/routing-latest.md
