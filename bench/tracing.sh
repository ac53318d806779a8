#!/usr/bin/env bash
# Cost of tracing: the same wrk load through `keel serve` to the nginx stand-in provider, with
# trace export off and on (sampling_ratio 1: every request makes a SERVER span and a CLIENT span,
# sends traceparent upstream and exports both over OTLP/HTTP protobuf).
#
#   keel          wrk -> keel serve -> nginx                      (no telemetry section)
#   keel-traced   wrk -> keel serve -> nginx, spans -> nginx sink (POST /v1/traces answered 200, discarded)
#
# The upstream and its chat completion are bench/gateway.sh's (bench/gateway/nginx.conf.in,
# chat-completion.json, chat-request.json via bench/chat.lua). Both Keel instances run on
# SERVER_CPU (core 0), one at a time under load; wrk, the upstream nginx and the OTLP sink share
# LOAD_CPU (core 1). Runs are interleaved, the first instance alternating (keel, keel-traced, then
# keel-traced, keel, …), RUNS times; the table shows medians. Besides requests/s (which moves with
# whatever else the machine runs), each run records Keel's own CPU time per request
# (process_cpu_seconds_total before and after), which is what tracing costs and is steadier on a
# shared machine. The traced instance's span counters are printed too, so the numbers are for
# spans actually delivered (none dropped).
#
# Environment (defaults in brackets):
#   DURATION [20s] RUNS [3] CONNECTIONS [32] WARMUP [3s]
#   PIN [1] SERVER_CPU [0] LOAD_CPU [1] KEEL_THREADS [1] SKIP_BUILD [0]
#   DURATION=5s RUNS=1 bench/tracing.sh          # quick trial
#
# Raw wrk output, configs and logs go to bench/results/tracing-<time>/; the Markdown table is
# printed and written to bench/results/tracing-latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-3s}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEL_THREADS=${KEEL_THREADS:-1}
SKIP_BUILD=${SKIP_BUILD:-0}

KEEL=.build/release/keel
MASTER_KEY=sk-bench-master-key
export BENCH_KEY=$MASTER_KEY BENCH_BODY=bench/gateway/chat-request.json
TEMPLATES=bench/gateway
TARGETS="keel keel-traced"

OUT=bench/results/tracing-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
. bench/lib.sh
bench_setup tracing.sh
SERVER_PIN=(); LOAD_PIN=()
if [ "$PIN" = 1 ]; then SERVER_PIN=(taskset -c "$SERVER_CPU"); LOAD_PIN=(taskset -c "$LOAD_CPU"); fi

command -v wrk >/dev/null && command -v nginx >/dev/null && command -v taskset >/dev/null \
  || die "wrk, nginx and taskset are needed: run scripts/bootstrap"
if [ "$SKIP_BUILD" != 1 ]; then
  log "building keel (release)"
  swift build -c release --product keel >/dev/null
fi
[ -x "$KEEL" ] || die "$KEEL is missing"

RESPONSE=$(tr -d '\n' < "$TEMPLATES/chat-completion.json")

# --- the upstream and the OTLP sink (both nginx, on the load core) --------------------------------
UPSTREAM_PORT=$(free_port)
mkdir -p "$WORK/upstream"
render "$TEMPLATES/nginx.conf.in" "$WORK/upstream/nginx.conf" DIR="$WORK/upstream" PORT="$UPSTREAM_PORT" RESPONSE="$RESPONSE"
"${LOAD_PIN[@]}" nginx -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" 2>"$OUT/upstream.log" &
PIDS+=($!)
wait_up upstream "http://127.0.0.1:$UPSTREAM_PORT/healthz" "$!" 10

SINK_PORT=$(free_port)
mkdir -p "$WORK/sink"
cat >"$WORK/sink/nginx.conf" <<EOF
# An OTLP/HTTP receiver that accepts every export and keeps nothing.
daemon off;
master_process off;
worker_processes 1;
pid $WORK/sink/nginx.pid;
error_log $WORK/sink/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/sink/body;
  client_max_body_size 64m;
  client_body_buffer_size 4m;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$SINK_PORT;
    location = /v1/traces { default_type application/x-protobuf; return 200 ''; }
    location = /healthz { return 200 'ok'; }
  }
}
EOF
cp "$WORK/sink/nginx.conf" "$OUT/otlp-sink.conf"
"${LOAD_PIN[@]}" nginx -p "$WORK/sink" -c "$WORK/sink/nginx.conf" -e "$WORK/sink/error.log" 2>"$OUT/otlp-sink.log" &
PIDS+=($!)
wait_up otlp-sink "http://127.0.0.1:$SINK_PORT/healthz" "$!" 10

# --- two Keel instances: tracing off and on --------------------------------------------------------
declare -A URL PORT PID
for t in $TARGETS; do
  PORT[$t]=$(free_port)
  mkdir -p "$WORK/$t"
  render "$TEMPLATES/keel.yaml.in" "$OUT/$t.yaml" DIR="$WORK/$t" PORT="${PORT[$t]}" \
    UPSTREAM_PORT="$UPSTREAM_PORT" MASTER_KEY="$MASTER_KEY" THREADS="$KEEL_THREADS" BUSY_POLL_US=100
  if [ "$t" = keel-traced ]; then
    cat >>"$OUT/$t.yaml" <<EOF
telemetry:
  otlp: {endpoint: "http://127.0.0.1:$SINK_PORT", protocol: http/protobuf}
  sampling_ratio: 1.0
  service_name: keel-bench
EOF
  fi
  "$KEEL" check-config "$OUT/$t.yaml" >/dev/null
  # OTEL_* variables of the calling shell must not switch tracing on for the "off" instance.
  env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u OTEL_SDK_DISABLED -u OTEL_TRACES_SAMPLER -u OTEL_TRACES_SAMPLER_ARG \
    "${SERVER_PIN[@]}" "$KEEL" serve --config "$OUT/$t.yaml" >"$OUT/$t.log" 2>&1 &
  PIDS+=($!); PID[$t]=$!
  URL[$t]=http://127.0.0.1:${PORT[$t]}/v1/chat/completions
  wait_up "$t" "http://127.0.0.1:${PORT[$t]}/healthz" "${PID[$t]}" 30
  status=$(curl -s -o "$OUT/preflight-$t.json" -w '%{http_code}' -X POST "${URL[$t]}" \
    -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' --data-binary "$(<"$BENCH_BODY")")
  [ "$status" = 200 ] || die "preflight $t: HTTP $status"
done

cpu() { # the target's process_cpu_seconds_total (user + system time of the whole process)
  curl -fs "http://127.0.0.1:${PORT[$1]}/metrics" | awk '$1 == "process_cpu_seconds_total" {print $2}'
}
load() { # output connections duration url
  "${LOAD_PIN[@]}" wrk -t1 -c"$2" -d"$3" --timeout 10s --latency -s bench/chat.lua "$4" >"$1"
}

{
  echo "machine: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
  echo "keel: $("$KEEL" --version 2>/dev/null || echo '?'), $KEEL_THREADS server thread(s); runs: $RUNS x $DURATION, wrk -t1 -c$CONNECTIONS"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"
for t in $TARGETS; do
  log "warm-up $t ($WARMUP)"
  load "$OUT/warmup-$t.txt" "$CONNECTIONS" "$WARMUP" "${URL[$t]}"
done
reversed() { echo "$TARGETS" | awk '{for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "")}'; }
for i in $(seq 1 "$RUNS"); do
  # Which instance runs first alternates, as in the side-by-side runs below.
  ORDER=$TARGETS
  if [ $((i % 2)) = 0 ]; then ORDER=$(reversed); fi
  for t in $ORDER; do
    log "run $i/$RUNS: $t, $CONNECTIONS connections, $DURATION"
    cpu "$t" >"$OUT/cpu-$t-$i.before"
    load "$OUT/wrk-$t-$i.txt" "$CONNECTIONS" "$DURATION" "${URL[$t]}"
    cpu "$t" >"$OUT/cpu-$t-$i.after"
  done
done
# Side by side: both instances under the same load at the same time, sharing SERVER_CPU, so
# whatever else the machine does affects both alike. The scheduler gives each about half the core;
# the instance needing more CPU per request serves fewer of them.
# The load on one instance starts a moment before the other's; the order alternates between runs so
# that whatever advantage a position has is shared.
for i in $(seq 1 "$RUNS"); do
  log "side by side $i/$RUNS: both instances, $CONNECTIONS connections each, $DURATION"
  ORDER=$TARGETS
  if [ $((i % 2)) = 0 ]; then ORDER=$(reversed); fi
  for t in $ORDER; do cpu "$t" >"$OUT/pair-cpu-$t-$i.before"; done
  LOADS=()
  for t in $ORDER; do load "$OUT/pair-wrk-$t-$i.txt" "$CONNECTIONS" "$DURATION" "${URL[$t]}" & LOADS+=($!); done
  wait "${LOADS[@]}"
  for t in $ORDER; do cpu "$t" >"$OUT/pair-cpu-$t-$i.after"; done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
sleep 2  # let the last batch go out
curl -fs "http://127.0.0.1:${PORT[keel-traced]}/metrics" >"$OUT/metrics-keel-traced.txt"

python3 - "$OUT" "$RUNS" "$TARGETS" <<'PY' | tee bench/results/tracing-latest.md
import re, statistics, sys
from pathlib import Path
out, runs, targets = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split()

def us(value, unit):
    return float(value) * {"us": 1, "ms": 1000, "s": 1_000_000}[unit]

def wrk(path):
    text = path.read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {p: us(*re.search(rf"\s{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", text).groups()) for p in ("50", "99")}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    return rps, lat["50"], lat["99"], int(non2xx.group(1)) if non2xx else 0, requests

def cpu_per_request(t, i, requests, prefix=""):
    before = float((out / f"{prefix}cpu-{t}-{i}.before").read_text())
    after = float((out / f"{prefix}cpu-{t}-{i}.after").read_text())
    return (after - before) / requests * 1e6

rows = {}
for t in targets:
    results = [wrk(out / f"wrk-{t}-{i}.txt") for i in range(1, runs + 1)]
    cpu = [cpu_per_request(t, i, r[4]) for i, r in enumerate(results, 1)]
    rows[t] = [statistics.median(r[k] for r in results) for k in range(3)] + [sum(r[3] for r in results), [round(r[0]) for r in results], statistics.median(cpu)]
metrics = (out / "metrics-keel-traced.txt").read_text()
def sample(name, outcome):
    m = re.search(rf'^{name}\{{outcome="{outcome}"\}} ([\d.e+]+)$', metrics, re.M)
    return int(float(m.group(1))) if m else 0
exported, dropped, failed = (sample("keel_tracing_spans_total", o) for o in ("exported", "dropped", "failed"))
base, base_cpu = rows["keel"][0], rows["keel"][5]
print("| Keel | requests/s (median) | vs off | CPU µs per request (median) | vs off | p50 ms | p99 ms | non-2xx | runs (req/s) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
labels = {"keel": "tracing off", "keel-traced": "tracing on, 1:1 sampling, OTLP/protobuf export"}
for t in targets:
    rps, p50, p99, non2xx, each, cpu = rows[t]
    change = "—" if t == "keel" else f"{(rps / base - 1) * 100:+.1f} %"
    cpu_change = "—" if t == "keel" else f"{(cpu / base_cpu - 1) * 100:+.1f} %"
    print(f"| {labels[t]} | {rps:,.0f} | {change} | {cpu:.1f} | {cpu_change} | {p50 / 1000:.3f} | {p99 / 1000:.3f} | {non2xx} | {', '.join(f'{x:,}' for x in each)} |")
print()
pairs = []
for i in range(1, runs + 1):
    off, on = (wrk(out / f"pair-wrk-{t}-{i}.txt") for t in targets)
    pairs.append((off[0], on[0], cpu_per_request(targets[0], i, off[4], "pair-"), cpu_per_request(targets[1], i, on[4], "pair-")))
print("Side by side (both instances under load at once, sharing one core):")
print()
print("| run | tracing off req/s | tracing on req/s | on vs off | CPU µs/request off | on | on vs off |")
print("|---|---:|---:|---:|---:|---:|---:|")
for i, (a, b, ca, cb) in enumerate(pairs, 1):
    print(f"| {i} | {a:,.0f} | {b:,.0f} | {(b / a - 1) * 100:+.1f} % | {ca:.1f} | {cb:.1f} | {(cb / ca - 1) * 100:+.1f} % |")
ratio = statistics.median(b / a for a, b, _, _ in pairs)
cpu_ratio = statistics.median(cb / ca for _, _, ca, cb in pairs)
print(f"| median | | | {(ratio - 1) * 100:+.1f} % | | | {(cpu_ratio - 1) * 100:+.1f} % |")
print()
print(f"Spans from the traced instance: {exported:,} exported, {dropped:,} dropped (queue full), {failed:,} failed.")
print()
print("```")
print((out / "meta.txt").read_text().rstrip())
print("```")
PY
