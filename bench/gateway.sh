#!/usr/bin/env bash
# Gateway overhead benchmark: the same wrk load against the same upstream, three ways.
#
#   direct   wrk -> nginx                       (the stand-in provider answered directly)
#   keel     wrk -> keel serve -> nginx         (release build, request log in SQLite)
#   litellm  wrk -> LiteLLM proxy -> nginx      (pinned version, one worker, in .build/bench-venv)
#
# The upstream is nginx (one worker) answering POST /v1/chat/completions with a fixed chat
# completion (bench/gateway/chat-completion.json). Every client request is the same small chat
# request (bench/gateway/chat-request.json, sent by bench/chat.lua).
#
# Pinning (PIN=1, the default) on a 2-core machine: the server under test (the direct nginx, keel
# or LiteLLM) runs alone on SERVER_CPU (core 0); wrk and the upstream nginx share LOAD_CPU (core 1).
# Each target thus gets one whole core to itself, and the harness the other. Keel runs one server
# thread (KEEL_THREADS) and LiteLLM one worker. All servers are started once and stay up; runs are
# interleaved (direct, keel, litellm, then again), RUNS times, and the tables show medians.
#
# Modes:
#   bench/gateway.sh [compare]   throughput at CONNECTIONS connections and latency at 1 connection
#   bench/gateway.sh soak        keel under steady load for SOAK_DURATION, VmRSS sampled every
#                                SOAK_INTERVAL seconds
#
# Environment (defaults in brackets):
#   DURATION [20s] RUNS [3] CONNECTIONS [32] WARMUP [3s] TARGETS ["direct keel litellm"]
#   SOAK_DURATION [10m] SOAK_INTERVAL [10] SOAK_CONNECTIONS [32]
#   PIN [1] SERVER_CPU [0] LOAD_CPU [1] KEEL_THREADS [1] KEEL_BUSY_POLL_US [100] SKIP_BUILD [0]
#   DURATION=5s RUNS=1 bench/gateway.sh          # quick trial
#   KEEL_BUSY_POLL_US=0 TARGETS="direct keel" bench/gateway.sh   # Keel without busy polling
#   SOAK_DURATION=1m bench/gateway.sh soak
#
# Raw wrk output, configs and logs go to bench/results/gateway-<mode>-<time>/; the Markdown
# table is printed and also written to bench/results/gateway-latest.md (or gateway-soak-latest.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=${1:-compare}
case "$MODE" in compare|soak) ;; *) echo "usage: $0 [compare|soak]" >&2; exit 2 ;; esac

DURATION=${DURATION:-20s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-3s}
TARGETS=${TARGETS:-direct keel litellm}
SOAK_DURATION=${SOAK_DURATION:-10m}
SOAK_INTERVAL=${SOAK_INTERVAL:-10}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-32}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEL_THREADS=${KEEL_THREADS:-1}
KEEL_BUSY_POLL_US=${KEEL_BUSY_POLL_US:-100}
SKIP_BUILD=${SKIP_BUILD:-0}

# LiteLLM is pinned, and so is everything it pulls in (litellm-constraints.txt), so that every
# run measures the same code.
LITELLM_VERSION=1.81.16
VENV=.build/bench-venv
KEEL=.build/release/keel
MASTER_KEY=sk-bench-master-key
export BENCH_KEY=$MASTER_KEY BENCH_BODY=bench/gateway/chat-request.json
TEMPLATES=bench/gateway

if [ "$MODE" = soak ]; then TARGETS=keel; fi
wants() { [[ " $TARGETS " == *" $1 "* ]]; }

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=bench/results/gateway-$MODE-$STAMP
mkdir -p "$OUT"
. bench/lib.sh
bench_setup gateway.sh
SERVER_PIN=(); LOAD_PIN=()
if [ "$PIN" = 1 ]; then SERVER_PIN=(taskset -c "$SERVER_CPU"); LOAD_PIN=(taskset -c "$LOAD_CPU"); fi
seconds() { # 90, 90s, 10m, 1h -> seconds
  case "$1" in
    *h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
  esac
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- build and install ---------------------------------------------------------------------------
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v taskset >/dev/null \
  || die "wrk, nginx and taskset are needed: run scripts/bootstrap"
if [ "$SKIP_BUILD" != 1 ] && wants keel; then
  log "building keel (release)"
  swift build -c release --product keel >/dev/null
fi
if wants keel && [ ! -x "$KEEL" ]; then die "$KEEL is missing"; fi
if wants litellm; then
  if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null)" != "$LITELLM_VERSION" ]; then
    log "installing litellm[proxy]==$LITELLM_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION" \
      -c "$TEMPLATES/litellm-constraints.txt"
  fi
fi

# --- configuration -------------------------------------------------------------------------------
RESPONSE=$(tr -d '\n' < "$TEMPLATES/chat-completion.json")
case "$RESPONSE" in *"'"*|*'\'*|*'$'*) die "chat-completion.json must not contain ' \\ or \$ (it goes into an nginx string)";; esac
start_nginx() { # name port pin... — sets NGINX_PID
  local name=$1 port=$2 dir=$WORK/$1; shift 2
  mkdir -p "$dir"
  render "$TEMPLATES/nginx.conf.in" "$dir/nginx.conf" DIR="$dir" PORT="$port" RESPONSE="$RESPONSE"
  cp "$dir/nginx.conf" "$OUT/$name.conf"
  "$@" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$OUT/$name.log" &
  NGINX_PID=$!; PIDS+=($!)
  wait_up "$name" "http://127.0.0.1:$port/healthz" "$NGINX_PID" 10
}

UPSTREAM_PORT=$(free_port)
start_nginx upstream "$UPSTREAM_PORT" "${LOAD_PIN[@]}"
declare -A URL PID
if wants direct; then
  DIRECT_PORT=$(free_port)
  start_nginx direct "$DIRECT_PORT" "${SERVER_PIN[@]}"
  URL[direct]=http://127.0.0.1:$DIRECT_PORT/v1/chat/completions
  PID[direct]=$NGINX_PID
fi
if wants keel; then
  KEEL_PORT=$(free_port)
  mkdir -p "$WORK/keel"
  render "$TEMPLATES/keel.yaml.in" "$OUT/keel.yaml" DIR="$WORK/keel" PORT="$KEEL_PORT" \
    UPSTREAM_PORT="$UPSTREAM_PORT" MASTER_KEY="$MASTER_KEY" THREADS="$KEEL_THREADS" BUSY_POLL_US="$KEEL_BUSY_POLL_US"
  "$KEEL" check-config "$OUT/keel.yaml" >/dev/null
  "${SERVER_PIN[@]}" "$KEEL" serve --config "$OUT/keel.yaml" >"$OUT/keel.log" 2>&1 &
  PIDS+=($!); PID[keel]=$!
  URL[keel]=http://127.0.0.1:$KEEL_PORT/v1/chat/completions
  wait_up keel "http://127.0.0.1:$KEEL_PORT/healthz" "${PID[keel]}" 30
fi
if wants litellm; then
  LITELLM_PORT=$(free_port)
  render "$TEMPLATES/litellm.yaml.in" "$OUT/litellm.yaml" UPSTREAM_PORT="$UPSTREAM_PORT" MASTER_KEY="$MASTER_KEY"
  # No network beyond loopback: the bundled model cost map, no telemetry, no per-request logs.
  (cd "$WORK" && export LITELLM_LOG=ERROR LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
     LITELLM_DONT_SHOW_FEEDBACK_BOX=true DISABLE_ADMIN_UI=True NO_DOCS=True \
   && exec "${SERVER_PIN[@]}" "$ROOT/$VENV/bin/litellm" --config "$ROOT/$OUT/litellm.yaml" \
        --host 127.0.0.1 --port "$LITELLM_PORT" --num_workers 1 --telemetry False \
        --log_config "$ROOT/$TEMPLATES/litellm-logging.json") >"$OUT/litellm.log" 2>&1 &
  PIDS+=($!); PID[litellm]=$!
  URL[litellm]=http://127.0.0.1:$LITELLM_PORT/v1/chat/completions
  wait_up litellm "http://127.0.0.1:$LITELLM_PORT/health/liveliness" "${PID[litellm]}" 180
fi

# --- preflight: every target must return the upstream's chat completion --------------------------
for t in $TARGETS; do
  status=$(curl -s -o "$OUT/preflight-$t.json" -w '%{http_code}' -X POST "${URL[$t]}" \
    -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' --data-binary "$(<"$BENCH_BODY")")
  python3 - "$t" "$status" "$OUT/preflight-$t.json" "$TEMPLATES/chat-completion.json" <<'PY' || die "preflight failed for $t"
import json, sys
target, status, path, expected_path = sys.argv[1:]
raw = open(path, "rb").read()
if status != "200":
    sys.exit(f"{target}: HTTP {status}: {raw[:300]!r}")
body = json.loads(raw)
expected = json.load(open(expected_path))
content = body["choices"][0]["message"]["content"]
if body.get("object") != "chat.completion" or content != expected["choices"][0]["message"]["content"]:
    sys.exit(f"{target}: not the upstream's chat completion: {raw[:300]!r}")
if body["usage"]["total_tokens"] != expected["usage"]["total_tokens"]:
    sys.exit(f"{target}: usage differs: {body['usage']}")
print(f"preflight {target}: 200, chat.completion from the upstream", file=sys.stderr)
PY
done

load() { # output connections duration url
  "${LOAD_PIN[@]}" wrk -t1 -c"$2" -d"$3" --timeout 10s --latency -s bench/chat.lua "$4" >"$1"
}
metrics() { curl -fs "http://127.0.0.1:$KEEL_PORT/metrics" >"$1"; }

describe() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  echo "machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "pinning: $([ "$PIN" = 1 ] && echo "server under test on core $SERVER_CPU; wrk -t1 and the upstream nginx on core $LOAD_CPU" || echo none)"
  echo "keel: $("$KEEL" --version 2>/dev/null || echo '?'), $KEEL_THREADS server thread(s), busy_poll_us $KEEL_BUSY_POLL_US"
  wants litellm && echo "litellm: $LITELLM_VERSION, 1 worker, $("$VENV/bin/python" --version)"
  echo "nginx: $(nginx -v 2>&1 | sed 's/.*version: //'), 1 worker process"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# --- soak ----------------------------------------------------------------------------------------
if [ "$MODE" = soak ]; then
  total=$(seconds "$SOAK_DURATION")
  describe >"$OUT/meta.txt"
  metrics "$OUT/metrics-before.txt"
  log "soak: keel under wrk -c$SOAK_CONNECTIONS for ${total}s, VmRSS every ${SOAK_INTERVAL}s"
  echo -e "0\t$(rss_kb "${PID[keel]}")\tidle, before the load" >"$OUT/rss.tsv"
  load "$OUT/wrk.txt" "$SOAK_CONNECTIONS" "${total}s" "${URL[keel]}" &
  WRK_PID=$!; PIDS+=($WRK_PID)
  start=$(date +%s)
  while :; do
    for _ in $(seq 1 "$SOAK_INTERVAL"); do kill -0 "$WRK_PID" 2>/dev/null || break 2; sleep 1; done
    kill -0 "$WRK_PID" 2>/dev/null || break
    echo -e "$(( $(date +%s) - start ))\t$(rss_kb "${PID[keel]}")" >>"$OUT/rss.tsv"
  done
  wait "$WRK_PID"
  echo -e "$(( $(date +%s) - start ))\t$(rss_kb "${PID[keel]}")\tafter load" >>"$OUT/rss.tsv"
  sleep 5
  echo -e "$(( $(date +%s) - start ))\t$(rss_kb "${PID[keel]}")\t5 s after load" >>"$OUT/rss.tsv"
  metrics "$OUT/metrics-after.txt"
  python3 bench/gateway/report.py soak "$OUT" | tee bench/results/gateway-soak-latest.md
  exit 0
fi

# --- compare -------------------------------------------------------------------------------------
describe >"$OUT/meta.txt"
echo "runs: $RUNS x $DURATION, wrk -t1 -c$CONNECTIONS and -c1, warm-up $WARMUP per target" >>"$OUT/meta.txt"
for t in $TARGETS; do
  log "warm-up $t ($WARMUP)"
  load "$OUT/warmup-$t.txt" "$CONNECTIONS" "$WARMUP" "${URL[$t]}"
done
for i in $(seq 1 "$RUNS"); do
  for c in "$CONNECTIONS" 1; do
    for t in $TARGETS; do
      log "run $i/$RUNS: $t, $c connection(s), $DURATION"
      [ "$t" = keel ] && metrics "$OUT/metrics-$t-c$c-$i.before"
      load "$OUT/wrk-$t-c$c-$i.txt" "$c" "$DURATION" "${URL[$t]}"
      [ "$t" = keel ] && metrics "$OUT/metrics-$t-c$c-$i.after"
    done
  done
done
for t in $TARGETS; do echo "$(rss_kb "${PID[$t]}")" >"$OUT/rss-$t.txt"; done
python3 bench/gateway/report.py compare "$OUT" "$RUNS" "$CONNECTIONS" "$TARGETS" | tee bench/results/gateway-latest.md
