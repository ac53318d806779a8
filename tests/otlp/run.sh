#!/usr/bin/env bash
# OTLP conformance: Keel's OTLP/HTTP exporter against a receiver that decodes with the official
# opentelemetry-proto package (PyPI), in both encodings (http/protobuf and http/json), plus a
# check that the encoder fixtures in Tests/KeelServerTests/OTLPFixtures.swift are what the pinned
# package serialises, plus an end-to-end check: a real `keel serve` in front of keel-fake-upstream,
# exporting to a second receiver, must deliver a chat request's SERVER span (continuing the
# caller's traceparent) and its CLIENT attempt span, decodable by opentelemetry-proto.
#
#   tests/otlp/run.sh            (after `swift build --build-tests`)
#
# The packages (pinned in requirements.txt) are installed into .build/otel-venv, which is reused
# while requirements.txt is unchanged. Exits non-zero when a check fails.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/otel-venv"
SWIFT="${SWIFT:-swift}"
WORK="$(mktemp -d)"
RECEIVER_PID=""
EXTRA_PIDS=()

cleanup() {
  for pid in "${EXTRA_PIDS[@]}" $RECEIVER_PID; do
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the virtual environment --------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.installed"; then
  echo "otlp: installing opentelemetry-proto into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || exit 1
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" || exit 1
  cp "$HERE/requirements.txt" "$VENV/requirements.installed"
fi

FAILED=0

# --- fixtures are current ----------------------------------------------------------------------
(cd "$HERE" && "$VENV/bin/python" make_fixtures.py) > "$WORK/OTLPFixtures.swift" || exit 1
if cmp -s "$WORK/OTLPFixtures.swift" "$ROOT/Tests/KeelServerTests/OTLPFixtures.swift"; then
  echo "ok: encoder fixtures match opentelemetry-proto $("$VENV/bin/pip" show opentelemetry-proto | sed -n 's/^Version: //p')"
else
  echo "FAIL: Tests/KeelServerTests/OTLPFixtures.swift differs from what make_fixtures.py generates:"
  diff "$ROOT/Tests/KeelServerTests/OTLPFixtures.swift" "$WORK/OTLPFixtures.swift" | head -20
  FAILED=1
fi

# --- the receiver ------------------------------------------------------------------------------
(cd "$HERE" && exec "$VENV/bin/python" receiver.py --port 0 --out "$WORK/spans.jsonl" --fail-first 1) > "$WORK/port" 2> "$WORK/receiver.log" &
RECEIVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(head -n1 "$WORK/port" 2>/dev/null)"
  [ -n "$PORT" ] && break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "FAIL: the receiver did not start"; cat "$WORK/receiver.log"; exit 1
fi

# --- the Swift side: export, then check what the receiver decoded ------------------------------
cd "$ROOT" || exit 1
if KEEL_OTLP_RECEIVER_URL="http://127.0.0.1:$PORT" KEEL_OTLP_RECEIVED_FILE="$WORK/spans.jsonl" \
    "$SWIFT" test --skip-build --filter OTLPReceiverTests > "$WORK/swift-test.log" 2>&1 \
    && grep -q "✔ Test \"both encodings" "$WORK/swift-test.log"; then
  echo "ok: $(wc -l < "$WORK/spans.jsonl") spans exported by Keel decoded by opentelemetry-proto (protobuf and JSON, one 503 retried)"
else
  echo "FAIL: OTLPReceiverTests"
  grep -E "✘|error|Test run" "$WORK/swift-test.log" | head -40
  echo "--- receiver log"; tail -20 "$WORK/receiver.log"
  FAILED=1
fi
if grep -q "undecodable" "$WORK/receiver.log"; then
  echo "FAIL: the receiver could not decode a request:"; grep "undecodable" "$WORK/receiver.log"
  FAILED=1
fi

# --- end to end: keel serve -> keel-fake-upstream, spans -> a second receiver -------------------
first_line() { # file -> its first line, once written (up to 10 s)
  local line
  for _ in $(seq 1 100); do
    line="$(head -n1 "$1" 2>/dev/null)"
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.1
  done
  return 1
}
E2E_OK=1
(cd "$HERE" && exec "$VENV/bin/python" receiver.py --port 0 --out "$WORK/e2e-spans.jsonl") > "$WORK/e2e-receiver-port" 2> "$WORK/e2e-receiver.log" &
EXTRA_PIDS+=($!)
"$ROOT/.build/debug/keel-fake-upstream" > "$WORK/fake-port" 2> "$WORK/fake.log" &
EXTRA_PIDS+=($!)
E2E_RECEIVER_PORT="$(first_line "$WORK/e2e-receiver-port")" && FAKE_PORT="$(first_line "$WORK/fake-port")" || E2E_OK=0
KEEL_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$WORK/keel.yaml" <<YAML
server: {listen: "127.0.0.1:$KEEL_PORT", master_key: "sk-otlp-e2e", log_level: warning}
storage: {url: "sqlite::memory:"}
providers:
  fake: {kind: openai, base_url: "http://127.0.0.1:$FAKE_PORT/v1", api_key: "sk-upstream"}
models:
  - name: gpt-4o-mini
    routes: [{provider: fake, model: gpt-4o-mini}]
telemetry:
  otlp: {endpoint: "http://127.0.0.1:$E2E_RECEIVER_PORT", protocol: http/protobuf}
  service_name: keel-e2e
YAML
REQUEST_ID=""
if [ "$E2E_OK" = 1 ]; then
  env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u OTEL_SDK_DISABLED \
    "$ROOT/.build/debug/keel" serve --config "$WORK/keel.yaml" > "$WORK/keel.log" 2>&1 &
  KEEL_PID=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$KEEL_PORT/healthz" && break; sleep 0.1; done
  REQUEST_ID="$(curl -s -D - -o "$WORK/chat.json" "http://127.0.0.1:$KEEL_PORT/v1/chat/completions" \
    -H 'authorization: Bearer sk-otlp-e2e' -H 'content-type: application/json' \
    -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0.5}' \
    | tr -d '\r' | sed -n 's/^x-request-id: //Ip')"
  kill -TERM "$KEEL_PID"; wait "$KEEL_PID"   # a clean shutdown exports what is queued
fi
if [ "$E2E_OK" = 1 ] && "$VENV/bin/python" - "$WORK/e2e-spans.jsonl" "$REQUEST_ID" <<'PY'
import json, sys
spans = [json.loads(line) for line in open(sys.argv[1])]
request_id = sys.argv[2]
trace = "4bf92f3577b34da6a3ce929d0e0e4736"
server = [s for s in spans if s["kind"] == 2 and s["trace_id"] == trace]
client = [s for s in spans if s["kind"] == 3 and s["trace_id"] == trace]
assert len(server) == 1 and len(client) == 1, f"expected one SERVER and one CLIENT span in {trace}: {spans}"
server, client = server[0], client[0]
assert server["parent_span_id"] == "00f067aa0ba902b7", server
assert client["parent_span_id"] == server["span_id"], (client, server)
assert server["resource"]["service.name"] == "keel-e2e", server["resource"]
a, c = server["attributes"], client["attributes"]
assert server["name"] == "chat gpt-4o-mini" and a["gen_ai.operation.name"] == "chat", server
assert a["gen_ai.provider.name"] == "openai" and a["gen_ai.request.temperature"] == 0.5, a
assert a["keel.request_id"] == request_id and "gen_ai.usage.output_tokens" not in a, a
assert c["server.address"] == "127.0.0.1" and c["http.response.status_code"] == 200 and c["keel.attempt"] == 1, c
assert c["gen_ai.usage.output_tokens"] > 0, c  # the tokens are counted once, on the attempt that used them
print(f"ok: keel serve exported the request span and its attempt span in the caller's trace ({len(spans)} spans decoded)")
PY
then :; else
  echo "FAIL: end to end through keel serve"
  tail -20 "$WORK/keel.log" "$WORK/e2e-receiver.log" 2>/dev/null
  FAILED=1
fi

if [ "$FAILED" -eq 0 ]; then
  echo "3 passed, 0 failed"
else
  echo "otlp: FAILED"
fi
exit "$FAILED"
