#!/usr/bin/env bash
# SDK conformance: the official `openai` and `anthropic` Python SDKs against a running `keel serve`
# in front of the fake upstream (keel-fake-upstream), all on loopback.
#
#   tests/conformance/run.sh PATH_TO_KEEL PATH_TO_FAKE_UPSTREAM [PYTEST ARGS...]
#
# The SDKs (pinned in requirements.txt) and pytest are installed into .build/conformance-venv, which
# is reused while requirements.txt is unchanged. Exits non-zero when any test fails, 2 on bad usage.
set -uo pipefail

if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: $0 PATH_TO_KEEL PATH_TO_FAKE_UPSTREAM [PYTEST ARGS...]  (executables)" >&2
  exit 2
fi
KEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
FAKE="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
shift 2
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/conformance-venv"
WORK="$(mktemp -d)"
FAKE_PID=""
KEEL_PID=""
PYTEST_PID=""

# Stops a child with SIGTERM (SIGKILL after 5 s); its exit status is left in STATUS.
STATUS=""
stop() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  STATUS=$?
}
cleanup() {
  [ -n "$PYTEST_PID" ] && stop "$PYTEST_PID"
  [ -n "$KEEL_PID" ] && stop "$KEEL_PID"
  [ -n "$FAKE_PID" ] && stop "$FAKE_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the virtual environment --------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.installed"; then
  echo "conformance: installing the SDKs into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || exit 1
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" || exit 1
  cp "$HERE/requirements.txt" "$VENV/requirements.installed"
fi

# --- the fake upstream --------------------------------------------------------------------------
"$FAKE" --port 0 > "$WORK/fake.port" 2> "$WORK/fake.log" &
FAKE_PID=$!
FAKE_PORT=""
for _ in $(seq 1 100); do
  FAKE_PORT="$(head -n 1 "$WORK/fake.port" 2>/dev/null)"
  [ -n "$FAKE_PORT" ] && break
  sleep 0.05
done
if [ -z "$FAKE_PORT" ]; then
  echo "conformance: the fake upstream did not start" >&2
  cat "$WORK/fake.log" >&2
  exit 1
fi

# --- keel -----------------------------------------------------------------------------------------
KEEL_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MASTER_KEY="sk-keel-conformance-0123456789abcdef"
# Keel model name -> upstream model; the upstream model name selects the fake's behaviour.
cat > "$WORK/keel.yaml" <<YAML
server:
  listen: "127.0.0.1:$KEEL_PORT"
  master_key: "$MASTER_KEY"
  max_body_bytes: 65536
  log_level: info
storage:
  url: "sqlite:./keel.db"
providers:
  fake-openai:
    kind: openai
    base_url: "http://127.0.0.1:$FAKE_PORT/v1"
    api_key: "sk-fake-openai-upstream-key"
  fake-anthropic:
    kind: anthropic
    base_url: "http://127.0.0.1:$FAKE_PORT"
    api_key: "sk-ant-fake-anthropic-upstream-key"
models:
  - {name: gpt-fake, routes: [{provider: fake-openai, model: gpt-4o-mini-2024-07-18}]}
  - {name: gpt-two-tools, routes: [{provider: fake-openai, model: two-tools}]}
  - {name: gpt-503, routes: [{provider: fake-openai, model: status-503}]}
  - {name: gpt-429, routes: [{provider: fake-openai, model: status-429}]}
  - {name: gpt-400, routes: [{provider: fake-openai, model: status-400}]}
  - {name: gpt-cut, routes: [{provider: fake-openai, model: cut-stream}]}
  - {name: claude-fake, routes: [{provider: fake-anthropic, model: claude-3-5-haiku-20241022}]}
  - {name: claude-two-tools, routes: [{provider: fake-anthropic, model: two-tools}]}
  - {name: claude-503, routes: [{provider: fake-anthropic, model: status-503}]}
  - {name: claude-529, routes: [{provider: fake-anthropic, model: status-529}]}
  - {name: claude-429, routes: [{provider: fake-anthropic, model: status-429}]}
  - {name: claude-400, routes: [{provider: fake-anthropic, model: status-400}]}
  - {name: claude-cut, routes: [{provider: fake-anthropic, model: cut-stream}]}
  - {name: text-embedding-fake, routes: [{provider: fake-openai, model: text-embedding-3-small}]}
YAML
(cd "$WORK" && exec "$KEEL" serve --config keel.yaml 2> "$WORK/keel.log") &
KEEL_PID=$!
ready=""
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$KEEL_PORT/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$KEEL_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "conformance: keel did not become ready" >&2
  tail -n 20 "$WORK/keel.log" >&2
  exit 1
fi

# --- the tests ----------------------------------------------------------------------------------
export KEEL_BASE_URL="http://127.0.0.1:$KEEL_PORT"
export KEEL_API_KEY="$MASTER_KEY"
export FAKE_UPSTREAM_URL="http://127.0.0.1:$FAKE_PORT"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
export PYTHONDONTWRITEBYTECODE=1
# In the background, so that a SIGTERM or SIGINT to this script stops everything at once.
(cd "$HERE" && exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@") &
PYTEST_PID=$!
wait "$PYTEST_PID"
RC=$?
PYTEST_PID=""

stop "$KEEL_PID"; KEEL_RC=$STATUS; KEEL_PID=""
stop "$FAKE_PID"; FAKE_RC=$STATUS; FAKE_PID=""
if [ "$KEEL_RC" != 0 ]; then
  echo "conformance: keel exited with status $KEEL_RC after SIGTERM" >&2
  RC=1
fi
if [ "$FAKE_RC" != 0 ]; then
  echo "conformance: the fake upstream exited with status $FAKE_RC after SIGTERM" >&2
  RC=1
fi
if [ "$RC" != 0 ]; then
  echo "conformance: last lines of keel's log:" >&2
  tail -n 15 "$WORK/keel.log" >&2
fi
echo "conformance: $([ "$RC" = 0 ] && echo passed || echo FAILED)"
exit "$RC"
