#!/usr/bin/env bash
# OTLP conformance: Keel's OTLP/HTTP exporter against a receiver that decodes with the official
# opentelemetry-proto package (PyPI), in both encodings (http/protobuf and http/json), plus a
# check that the encoder fixtures in Tests/KeelServerTests/OTLPFixtures.swift are what the pinned
# package serialises.
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

cleanup() {
  if [ -n "$RECEIVER_PID" ]; then
    kill -TERM "$RECEIVER_PID" 2>/dev/null
    wait "$RECEIVER_PID" 2>/dev/null
  fi
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

if [ "$FAILED" -eq 0 ]; then
  echo "2 passed, 0 failed"
else
  echo "otlp: FAILED"
fi
exit "$FAILED"
