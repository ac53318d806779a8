#!/usr/bin/env bash
# The web console in a real headless Chromium (Debian's `chromium`), driven over the Chrome DevTools
# Protocol from Python: a `keel serve` in front of the fake upstream (keel-fake-upstream), some traffic,
# then every page of /ui/ — no console errors, filters change the table, a request's detail shows its
# attempt timeline, roles see only their pages. Screenshots are written to docs/console/.
#
#   tests/console/run.sh PATH_TO_KEEL PATH_TO_FAKE_UPSTREAM
#
# websocket-client (pinned in requirements.txt) is installed into .build/console-venv, reused while
# requirements.txt is unchanged. Exits non-zero when a check fails, 2 on bad usage.
set -uo pipefail

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: $0 PATH_TO_KEEL PATH_TO_FAKE_UPSTREAM  (executables)" >&2
  exit 2
fi
KEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
FAKE="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/console-venv"
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "console: chromium is not installed (scripts/bootstrap installs it)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.installed"; then
  echo "console: installing websocket-client into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || exit 1
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" || exit 1
  cp "$HERE/requirements.txt" "$VENV/requirements.installed"
fi
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
export PYTHONDONTWRITEBYTECODE=1
# The Python harness starts and stops keel, the fake upstream and chromium itself (in its own
# process group), so a failed check never leaves one of them running.
exec "$VENV/bin/python" "$HERE/test_console.py" --keel "$KEEL" --fake "$FAKE" --chromium "$CHROMIUM" --screenshots "$ROOT/docs/console"
