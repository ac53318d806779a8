#!/usr/bin/env bash
# Runs the platform-team walkthrough of README.md (the ```sh blocks between
# <!-- governance-walkthrough --> and <!-- /governance-walkthrough -->) against a real keel serve
# started with the repository's keel.yaml, then checks what the walkthrough promises:
#   - the old secret after a rotation and the revoked key both answer 401;
#   - no key the walkthrough created appears in the data directory or in Keel's log output;
#   - `keel keys create|list|revoke|rotate` work against the same server;
#   - `keel audit verify` exits 0 on the untouched log, and 1 naming the entry after one is altered.
#
#   tests/docs/governance.sh PATH_TO_KEEL
#
# Needs curl, jq and sqlite3. Prints "ok"/"FAIL" per check, then `governance docs: N passed, M failed`;
# exits 1 if any check failed, 2 on bad usage.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_KEEL  (an executable keel binary)" >&2
  exit 2
fi
KEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

passed=0
failed=0
check() { # name, then a command that must succeed
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s#sqlite:./keel-data/keel.db#sqlite:$WORK/data/keel.db#" "$ROOT/keel.yaml" > "$WORK/keel.yaml"
env -i PATH="$PATH" HOME="$WORK" "$KEEL" serve --config "$WORK/keel.yaml" --listen "127.0.0.1:$PORT" 2>"$WORK/keel.log" &
PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The walkthrough, as one script, pointed at this server.
awk '
  /<!-- governance-walkthrough -->/ { inside = 1; next }
  /<!-- \/governance-walkthrough -->/ { inside = 0 }
  inside && /^```sh/ { fence = 1; next }
  inside && fence && /^```/ { fence = 0; next }
  inside && fence { print }
' "$ROOT/README.md" | sed -e "s#localhost:4000#127.0.0.1:$PORT#g" > "$WORK/walkthrough.sh"
echo 'printf "%s\n" "$LEAD_KEY" "$DEV_KEY" "$NEW_KEY" > "$SECRETS"' >> "$WORK/walkthrough.sh"
check "the walkthrough has commands" test "$(grep -c curl "$WORK/walkthrough.sh")" -ge 10

env -i PATH="$PATH" HOME="$WORK" SECRETS="$WORK/secrets" bash -euo pipefail "$WORK/walkthrough.sh" >"$WORK/out.txt" 2>&1
status=$?
check "the walkthrough runs without an error" test "$status" = 0
[ "$status" = 0 ] || sed 's/^/       /' "$WORK/out.txt"
check "the rotated-away and the revoked key answer 401" test "$(grep -cx 401 "$WORK/out.txt")" = 2
check "spend is reported per key" grep -q '"group_by": "key"' "$WORK/out.txt"
check "the audit log shows the revocation" grep -q "key.revoke" "$WORK/out.txt"

# The same through the command line (keel keys …, master key from the configuration).
keys() { local sub=$1; shift; "$KEEL" keys "$sub" --config "$WORK/keel.yaml" --url "http://127.0.0.1:$PORT" "$@"; }
keys create --team search --name from-cli --budget 5 --period daily --models gpt-4o-mini >"$WORK/cli.json" 2>&1
check "keel keys create prints the new key once" grep -q '"key": "sk-keel-' "$WORK/cli.json"
jq -r .key "$WORK/cli.json" >> "$WORK/secrets"
CLI_ID=$(jq -r .id "$WORK/cli.json")
check "keel keys list shows it without the secret" bash -c "'$KEEL' keys list --team search --config '$WORK/keel.yaml' --url http://127.0.0.1:$PORT | grep -q from-cli"
keys revoke "$CLI_ID" >/dev/null 2>&1
check "keel keys revoke exits 0" test $? = 0
keys rotate key_nope >/dev/null 2>&1
check "keel keys rotate of an unknown key exits 1" test $? = 1
keys create >/dev/null 2>&1
check "keel keys create without --team is bad usage (2)" test $? = 2

kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=""
check "four keys were created" test "$(grep -c '^sk-keel-' "$WORK/secrets" 2>/dev/null)" = 4
leaked=0
while read -r secret; do
  [ -n "$secret" ] || continue
  grep -rqF -- "$secret" "$WORK/data" "$WORK/keel.log" && leaked=1
done < "$WORK/secrets"
check "no key is in the data directory or the log" test "$leaked" = 0

check "audit verify: an untouched log is intact (exit 0)" "$KEEL" audit verify --config "$WORK/keel.yaml"
sqlite3 "$WORK/data/keel.db" "UPDATE gov_audit SET outcome = 'allowed' WHERE seq = 3"
"$KEEL" audit verify --config "$WORK/keel.yaml" >"$WORK/verify.txt" 2>&1
code=$?
check "audit verify: an altered entry fails (exit 1)" test "$code" = 1
check "audit verify: names the first bad entry" grep -q "entry 3" "$WORK/verify.txt"

echo "governance docs: $passed passed, $failed failed"
[ "$failed" = 0 ]
