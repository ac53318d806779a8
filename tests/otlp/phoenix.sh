#!/usr/bin/env bash
# Example: Keel's traces in Arize Phoenix, a real OpenTelemetry backend that installs from PyPI and
# runs offline on this machine.
#
#   tests/otlp/phoenix.sh PATH_TO_KEEL
#
# Installs arize-phoenix (pinned in phoenix-requirements.txt; large) into .build/phoenix-venv, starts
# `phoenix serve` on 127.0.0.1 with its own working directory, starts `keel serve` with
# `telemetry.otlp.endpoint` pointing at Phoenix's OTLP/HTTP receiver, posts a feedback score, and
# reads the span back through Phoenix's REST API. Set KEEP=1 to leave both running (Phoenix's UI at
# http://127.0.0.1:$PHOENIX_PORT) until Ctrl-C.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_KEEL" >&2
  exit 2
fi
KEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/phoenix-venv"
PHOENIX_PORT="${PHOENIX_PORT:-6006}"
KEEL_PORT="${KEEL_PORT:-4056}"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$VENV/bin/phoenix" ] || ! cmp -s "$HERE/phoenix-requirements.txt" "$VENV/requirements.installed"; then
  echo "phoenix: installing arize-phoenix into $VENV (a few minutes)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || exit 1
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/phoenix-requirements.txt" || exit 1
  cp "$HERE/phoenix-requirements.txt" "$VENV/requirements.installed"
fi

PHOENIX_WORKING_DIR="$WORK/phoenix" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$PHOENIX_PORT" \
  PHOENIX_GRPC_PORT=$((PHOENIX_PORT + 1)) PHOENIX_TELEMETRY_ENABLED=false \
  "$VENV/bin/phoenix" serve > "$WORK/phoenix.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$PHOENIX_PORT/v1/projects" && break
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$PHOENIX_PORT/v1/projects" || { echo "FAIL: Phoenix did not start"; tail -20 "$WORK/phoenix.log"; exit 1; }
echo "phoenix: listening on 127.0.0.1:$PHOENIX_PORT"

cat > "$WORK/keel.yaml" <<YAML
server:
  listen: "127.0.0.1:$KEEL_PORT"
  master_key: "phoenix-demo-key"
storage:
  url: "sqlite:$WORK/keel.db"
telemetry:
  otlp: {endpoint: "http://127.0.0.1:$PHOENIX_PORT", protocol: http/protobuf}
  service_name: keel-phoenix-demo
YAML
"$KEEL" serve --config "$WORK/keel.yaml" > "$WORK/keel.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$KEEL_PORT/healthz" && break
  sleep 0.1
done

TRACE="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
curl -s "http://127.0.0.1:$KEEL_PORT/v1/feedback" -H "authorization: Bearer phoenix-demo-key" \
  -H 'content-type: application/json' \
  -d "{\"trace_id\":\"$TRACE\",\"score\":1,\"label\":\"good\",\"comment\":\"from the example\",\"source\":\"end_user\"}"
echo

FOUND=""
for _ in $(seq 1 40); do
  sleep 0.5
  curl -s "http://127.0.0.1:$PHOENIX_PORT/v1/projects/default/spans?limit=100" > "$WORK/spans.json"
  if "$VENV/bin/python" - "$WORK/spans.json" "$TRACE" <<'PY'
import json, sys
spans = json.load(open(sys.argv[1])).get("data", [])
span = next((s for s in spans if s["context"]["trace_id"] == sys.argv[2]), None)
if span is None:
    sys.exit(1)
event = span["events"][0]
assert span["name"] == "feedback user_feedback", span["name"]
assert event["name"] == "gen_ai.evaluation.result", event["name"]
assert event["attributes"]["gen_ai.evaluation.score.value"] == 1.0
assert event["attributes"]["gen_ai.evaluation.score.label"] == "good"
print("phoenix: stored span %r in trace %s with event %s %s" % (span["name"], sys.argv[2], event["name"], json.dumps(event["attributes"], sort_keys=True)))
PY
  then FOUND=1; break; fi
done
if [ -z "$FOUND" ]; then
  echo "FAIL: the span did not arrive in Phoenix"; tail -5 "$WORK/keel.log"; tail -5 "$WORK/phoenix.log"; exit 1
fi
if [ "${KEEP:-0}" = "1" ]; then
  echo "Phoenix UI: http://127.0.0.1:$PHOENIX_PORT   (Ctrl-C to stop)"
  wait
fi
echo "1 passed, 0 failed"
