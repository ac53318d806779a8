# Helpers shared by the benchmark scripts. Source it from the repository root after setting OUT
# (the run's result directory, where the scripts keep their processes' logs), then call
# bench_setup with the script's name.

# bench_setup NAME: `log` and `die` prefixed with NAME, a temporary WORK directory, and PIDS, whose
# processes are stopped (and WORK removed) when the script exits.
bench_setup() {
  BENCH_NAME=$1
  WORK=$(mktemp -d)
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}

log() { echo "$BENCH_NAME: $*" >&2; }
die() { log "$*"; exit 1; }

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up NAME URL PID SECONDS: until URL answers 2xx; dies when PID exits first or time runs out.
wait_up() {
  local name=$1 url=$2 pid=$3 limit=$4
  for _ in $(seq 1 $(( limit * 10 ))); do
    curl -fs -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited during startup (log: $OUT/$name.log)"
    sleep 0.1
  done
  die "$name did not answer $url within ${limit}s (log: $OUT/$name.log)"
}

# render TEMPLATE OUTPUT KEY=VALUE...: replaces every @KEY@ of TEMPLATE; fails on one left unfilled.
render() {
  python3 - "$@" <<'PY'
import re, sys
template, output, *pairs = sys.argv[1:]
text = open(template).read()
for pair in pairs:
    key, value = pair.split("=", 1)
    text = text.replace("@" + key + "@", value)
if re.search(r"@[A-Z_]+@", text):
    sys.exit(f"unfilled fields in {template}: {sorted(set(re.findall(r'@[A-Z_]+@', text)))}")
open(output, "w").write(text)
PY
}
