#!/usr/bin/env bash
# HTTP engine benchmarks: wrk on loopback against
#   keel       `keel serve` (release build) — GET /healthz
#   echo       keel-bench-server (the same engine, JSON decode + encode per request) — POST /echo
#   reference  plain C on libmicrohttpd with the same threading, no application logic
#   pinned     keel serve and the reference with one worker thread on core 0, wrk -t1 on core 1,
#              so the load generator does not preempt the server (tail latency without that noise)
# Each target is run RUNS times, interleaved; the table shows medians.
#
#   bench/run.sh                 # RUNS=5 DURATION=10s CONNECTIONS=64
#   RUNS=3 DURATION=5s bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
OUT=bench/results
mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

swift build -c release --product keel >/dev/null
swift build -c release --product keel-bench-server >/dev/null
cc -O2 -o "$WORK/mhd_reference" bench/reference/mhd_reference.c $(pkg-config --cflags --libs libmicrohttpd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$1/healthz" && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

KEEL_PORT=$(free_port); ECHO_PORT=$(free_port); REF_PORT=$(free_port); PIN_KEEL_PORT=$(free_port); PIN_REF_PORT=$(free_port)
cat > "$WORK/keel.yaml" <<YAML
server:
  listen: "127.0.0.1:$KEEL_PORT"
  log_level: warning
storage:
  url: "sqlite:$WORK/data/keel.db"
YAML
sed -e "s/127.0.0.1:$KEEL_PORT/127.0.0.1:$PIN_KEEL_PORT/" -e "s#data/keel.db#pinned/keel.db#" "$WORK/keel.yaml" > "$WORK/pinned.yaml"
python3 - "$WORK/pinned.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("server:\n", "server:\n  threads: 1\n", 1)
open(p, "w").write(s)
PY
.build/release/keel serve --config "$WORK/keel.yaml" 2>"$WORK/keel.log" & PIDS+=($!); KEEL_PID=$!
taskset -c 0 .build/release/keel serve --config "$WORK/pinned.yaml" 2>/dev/null & PIDS+=($!)
taskset -c 0 "$WORK/mhd_reference" "$PIN_REF_PORT" 1 & PIDS+=($!)
.build/release/keel-bench-server "$ECHO_PORT" 2>/dev/null & PIDS+=($!)
"$WORK/mhd_reference" "$REF_PORT" "$(nproc)" & PIDS+=($!)
wait_up "$KEEL_PORT"; wait_up "$ECHO_PORT"; wait_up "$REF_PORT"; wait_up "$PIN_KEEL_PORT"; wait_up "$PIN_REF_PORT"
sleep 2
IDLE_RSS=$(rss_mb "$KEEL_PID")

run() { # name url [script]
  local name=$1 url=$2 script=${3:-}
  local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  ${WRK_PIN:-} wrk "${args[@]}" "$url" > "$WORK/$name.$i.txt"
}
for i in $(seq 1 "$RUNS"); do
  run ref-healthz "http://127.0.0.1:$REF_PORT/healthz"
  run keel-healthz "http://127.0.0.1:$KEEL_PORT/healthz"
  run ref-echo "http://127.0.0.1:$REF_PORT/echo" bench/echo.lua
  run keel-echo "http://127.0.0.1:$ECHO_PORT/echo" bench/echo.lua
  WRK_PIN="taskset -c 1" WRK_THREADS=1 run ref-pinned "http://127.0.0.1:$PIN_REF_PORT/healthz"
  WRK_PIN="taskset -c 1" WRK_THREADS=1 run keel-pinned "http://127.0.0.1:$PIN_KEEL_PORT/healthz"
done
LOADED_RSS=$(rss_mb "$KEEL_PID")
sleep 5
AFTER_RSS=$(rss_mb "$KEEL_PID")

python3 - "$WORK" "$RUNS" "$IDLE_RSS" "$LOADED_RSS" "$AFTER_RSS" "$CONNECTIONS" "$DURATION" <<'PY' | tee "$OUT/latest.md"
import re, statistics, sys, platform, os
work, runs, idle, loaded, after, conns, duration = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {p: ms(*re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text).groups()) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, lat["50"], lat["99"], int(errors.group(1)) if errors else 0
rows = {}
for name in ("ref-healthz", "keel-healthz", "ref-echo", "keel-echo", "ref-pinned", "keel-pinned"):
    samples = [parse(f"{work}/{name}.{i}.txt") for i in range(1, runs + 1)]
    rows[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
                  statistics.median(s[2] for s in samples), sum(s[3] for s in samples))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"Machine: {os.cpu_count()} cores ({cpu}), {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB; "
      f"wrk -t2 -c{conns} -d{duration} on the same machine, loopback; median of {runs} interleaved runs.")
print()
print("| target | requests/s | p50 ms | p99 ms | non-2xx | vs reference |")
print("|---|---:|---:|---:|---:|---:|")
labels = {"ref-healthz": "reference C server, GET", "keel-healthz": "keel serve, GET /healthz",
          "ref-echo": "reference C server, POST echo", "keel-echo": "Keel engine, POST /echo (JSON round trip)",
          "ref-pinned": "reference C server, GET, pinned (1 thread core 0, wrk -t1 core 1)",
          "keel-pinned": "keel serve, GET /healthz, pinned (1 thread core 0, wrk -t1 core 1)"}
for name, (rps, p50, p99, errs) in rows.items():
    ref = rows["ref-" + name.split("-", 1)[1]][0]
    print(f"| {labels[name]} | {rps:,.0f} | {p50:.3f} | {p99:.3f} | {errs} | {rps / ref:.2f}× |")
print()
print(f"keel serve RSS: {idle} MB idle after start, {loaded} MB right after the load, {after} MB 5 s later.")
PY
