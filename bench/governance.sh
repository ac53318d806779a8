#!/usr/bin/env bash
# Does invalid-key traffic slow valid traffic? wrk on loopback against a release `keel serve`:
#
#   alone         valid-key load only: GET /v1/models with a developer's virtual key
#   invalid-10k   the same valid load, while another client sends 10,000 requests, each with a
#                 different random (invalid) sk-keel- key, paced evenly over the run
#   invalid-flood the same valid load, while another client sends invalid-key requests as fast as it can
#   valid-flood   control for the flood: the same second client (same wrk script) sends valid-key
#                 requests as fast as it can
#
# Every invalid request is authenticated (SHA-256 + hash lookup), refused with 401 and appended
# to the audit log, like in production. Scenarios are interleaved, RUNS times; the table shows
# medians of the valid-key client. The machine has 2 cores shared by keel and both wrk clients.
#
# The invalid-key client (bench/governance-invalid-keys.lua) pre-generates 10,000 distinct keys so it
# spends no time on them while measuring; 4 paced connections send INVALID_TOTAL requests in DURATION.
#
#   bench/governance.sh                   # RUNS=3 DURATION=10s CONNECTIONS=16
#   SKIP_BUILD=1 RUNS=1 DURATION=5s bench/governance.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
INVALID_TOTAL=${INVALID_TOTAL:-10000}
OUT=bench/results
mkdir -p "$OUT"
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product keel >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MASTER="sk-bench-master-$RANDOM$RANDOM"
cat > "$WORK/keel.yaml" <<YAML
server:
  listen: "127.0.0.1:$PORT"
  master_key: "$MASTER"
  log_level: warning
storage:
  url: "sqlite:$WORK/data/keel.db"
providers:
  openai: {kind: openai, base_url: "http://127.0.0.1:9/v1"}
models:
  - name: gpt-4o-mini
    routes: [{provider: openai, model: gpt-4o-mini}]
YAML
.build/release/keel serve --config "$WORK/keel.yaml" 2>"$WORK/keel.log" & PID=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/admin/teams" -H "Authorization: Bearer $MASTER" -d '{"name":"bench"}' >/dev/null
KEY=$(curl -sf "http://127.0.0.1:$PORT/admin/keys" -H "Authorization: Bearer $MASTER" -d '{"team":"bench","name":"bench"}' | jq -r .key)
URL="http://127.0.0.1:$PORT/v1/models"
SECONDS_TOTAL=$(python3 -c "import re,sys; m=re.fullmatch(r'(\d+)(s|m)?', '$DURATION'); print(int(m.group(1)) * (60 if m.group(2)=='m' else 1))")
# 4 connections share the 10,000 requests; the pause leaves room for the response time, so the
# last of them goes out before the end of the run (LIMIT stops the client there).
PACE_MS=$(( SECONDS_TOTAL * 1000 * 4 * 3 / (INVALID_TOTAL * 4) ))
wrk -t1 -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $KEY" "$URL" >/dev/null   # warm-up

valid() { wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $KEY" "$URL" > "$WORK/$1.$2.txt"; }
for i in $(seq 1 "$RUNS"); do
  valid alone "$i"

  LIMIT=$INVALID_TOTAL PACE_MS=$PACE_MS wrk -t1 -c4 -d"$DURATION" -s bench/governance-invalid-keys.lua "$URL" > "$WORK/invalid-10k-client.$i.txt" &
  OTHER=$!; valid invalid-10k "$i"; wait "$OTHER"

  LIMIT=0 PACE_MS=0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/governance-invalid-keys.lua "$URL" > "$WORK/invalid-flood-client.$i.txt" &
  OTHER=$!; valid invalid-flood "$i"; wait "$OTHER"

  VALID_KEY=$KEY LIMIT=0 PACE_MS=0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/governance-invalid-keys.lua "$URL" > "$WORK/valid-flood-client.$i.txt" &
  OTHER=$!; valid valid-flood "$i"; wait "$OTHER"
done
sleep 1
AUDIT=$(curl -sf "http://127.0.0.1:$PORT/admin/audit?action=auth.authenticate&limit=1" -H "Authorization: Bearer $MASTER" | jq '.data[0].seq')
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
VERIFY=$(.build/release/keel audit verify --config "$WORK/keel.yaml" 2>&1 || true)

python3 - "$WORK" "$RUNS" "$CONNECTIONS" "$DURATION" "$AUDIT" "$VERIFY" <<'PY' | tee "$OUT/governance-latest.md"
import re, statistics, sys, os
work, runs, conns, duration, audit, verify = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {p: ms(*re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text).groups()) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, lat["50"], lat["99"], int(errors.group(1)) if errors else 0
def requests(path):
    m = re.search(r"(\d+) requests in", open(path).read())
    return int(m.group(1)) if m else 0
labels = {"alone": "valid keys alone",
          "invalid-10k": "+ 10,000 invalid-key requests, paced over the run",
          "invalid-flood": "+ invalid-key requests as fast as possible",
          "valid-flood": "+ valid-key requests as fast as possible (control)"}
base = None
print(f"wrk -t1 -c{conns} -d{duration} GET /v1/models with a virtual key; second client as listed; "
      f"median of {runs} interleaved runs; 2 cores shared by keel and both clients.")
print()
print("| scenario | valid req/s | valid p50 ms | valid p99 ms | valid non-2xx | second client's requests (median) | vs alone |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, label in labels.items():
    s = [parse(f"{work}/{name}.{i}.txt") for i in range(1, runs + 1)]
    rps, p50, p99 = (statistics.median(x[k] for x in s) for k in range(3))
    errs = sum(x[3] for x in s)
    other = "—"
    if name != "alone":
        other = f"{statistics.median(requests(f'{work}/{name}-client.{i}.txt') for i in range(1, runs + 1)):,.0f}"
    base = base or rps
    print(f"| {label} | {rps:,.0f} | {p50:.3f} | {p99:.3f} | {errs} | {other} | {rps / base:.2f}× |")
print()
print(f"Audit log after the runs: {audit} entries through the last refusal; `keel audit verify`: {verify.strip()}")
PY
