#!/usr/bin/env bash
# Keeps the configuration examples in the documentation runnable.
#
#   tests/docs/run.sh PATH_TO_KEEL
#
# Every ```yaml (or ```yml) block in README.md and docs/*.md is written to a file and checked with
# `keel check-config`. The first line of a block decides what is expected of it:
#
#   # invalid: WHY          the block is deliberately wrong: check-config must fail with exit code 1
#                          (not 0, not 2, not a crash)
#   a comment containing the word "fragment", e.g. `# fragment` or `# prometheus.yml (fragment)`:
#                          the block is not a whole Keel configuration (a piece of one, or another
#                          program's file); it is skipped and listed as "skip"
#   anything else          the block is a complete configuration: check-config must succeed (exit 0)
#
# Transcripts are compared too: when the next fenced block after a yaml block is a ```text block whose
# first line is `$ keel check-config FILE`, the yaml is saved as FILE and the output of check-config
# (standard output and error together) must equal the rest of the text block, line for line. A
# ```text transcript that follows no yaml block is checked against FILE in the repository root, if
# that file exists.
#
# Blocks run in an empty environment (env -i) with only these variables set, to dummy values: the
# credentials that examples reference without a default, as a real deployment provides them. Any
# other variable an example uses must have a default (${VAR:-…}), or the example fails — which is
# how the documentation promises that examples work as written.
#   KEEL_MASTER_KEY OPENAI_API_KEY ANTHROPIC_API_KEY AZURE_API_KEY GEMINI_API_KEY
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK
#
# The repository's keel.yaml is checked as well, with no environment variables at all (it promises
# to work as is).
#
# Prints "ok", "FAIL" or "skip" per block, then exactly `docs: N passed, M failed`; exits 1 if any
# check failed, 2 on bad usage.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_KEEL  (an executable keel binary)" >&2
  exit 2
fi
KEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

ENVIRONMENT=(
  KEEL_MASTER_KEY=dummy-master-key
  OPENAI_API_KEY=dummy-openai-key
  ANTHROPIC_API_KEY=dummy-anthropic-key
  AZURE_API_KEY=dummy-azure-key
  GEMINI_API_KEY=dummy-gemini-key
  AWS_ACCESS_KEY_ID=dummy-access-key-id
  AWS_SECRET_ACCESS_KEY=dummy-secret-access-key
  AWS_SESSION_TOKEN=dummy-session-token
  AWS_BEARER_TOKEN_BEDROCK=dummy-bedrock-api-key
)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; }
skip() { echo "skip $1"; }

# Splits one markdown file into its fenced blocks. Writes BLOCKS/ID.yaml for yaml blocks,
# BLOCKS/ID.expected for a text block that follows a yaml block (ID is the yaml block's), and
# BLOCKS/ID.transcript for other text blocks; prints one index line per yaml block or transcript:
#   ID <tab> KIND <tab> LINE          KIND is yaml or transcript; LINE is the opening fence's line
extract() { # markdown file, output directory, first id
  awk -v out="$2" -v id="$3" '
    function open_block(line,   rest) {
      match(line, /^ */); indent = RLENGTH
      rest = substr(line, indent + 1)
      match(rest, /^`+/); ticks = RLENGTH
      lang = substr(rest, ticks + 1)
      sub(/^[ \t]+/, "", lang); sub(/[ \t{].*$/, "", lang)
      id++; in_fence = 1; file = ""
      if (lang == "yaml" || lang == "yml") {
        file = out "/" id ".yaml"; printf "" > file
        printf "%d\tyaml\t%d\n", id, NR
        last_yaml = id
      } else if (lang == "text" && last_yaml != "") {
        file = out "/" last_yaml ".expected"; printf "" > file
        last_yaml = ""
      } else if (lang == "text") {
        file = out "/" id ".transcript"; printf "" > file
        printf "%d\ttranscript\t%d\n", id, NR
      } else {
        last_yaml = ""
      }
    }
    {
      if (!in_fence) {
        if ($0 ~ /^ *```/) open_block($0)
        next
      }
      closing = $0
      if (closing ~ /^ *`+[ \t]*$/) {
        gsub(/[ \t]/, "", closing)
        if (length(closing) >= ticks) {
          if (file != "") close(file)
          in_fence = 0
          next
        }
      }
      if (file != "") {
        line = $0
        for (i = 0; i < indent && substr(line, 1, 1) == " "; i++) line = substr(line, 2)
        print line >> file
      }
    }
    END { print id > (out "/.last_id") }
  ' "$1"
}

# Runs check-config on FILE inside DIRECTORY; sets $output and $status.
run_check() { # directory, file name, environment…
  local directory="$1" name="$2"
  shift 2
  output="$(cd "$directory" && env -i "$@" "$KEEL" check-config "$name" 2>&1)"
  status=$?
}

# Compares $output with a transcript file (its first line is the command).
transcript_matches() { # transcript file
  diff <(tail -n +2 "$1") <(printf '%s\n' "$output") >/dev/null
}

transcript_file_name() { # transcript file -> FILE of "$ keel check-config FILE", or nothing
  sed -n '1s/^\$ keel check-config \([^ ]*\) *$/\1/p' "$1"
}

sources=(README.md)
for doc in "$ROOT"/docs/*.md; do [ -e "$doc" ] && sources+=("docs/$(basename "$doc")"); done

next_id=0
for source in "${sources[@]}"; do
  [ -f "$ROOT/$source" ] || continue
  blocks="$WORK/blocks/${source//\//_}"
  mkdir -p "$blocks"
  index="$(extract "$ROOT/$source" "$blocks" "$next_id")"
  next_id="$(cat "$blocks/.last_id")"
  [ -n "$index" ] || continue

  while IFS=$'\t' read -r id kind line; do
    label="$source:$line"
    if [ "$kind" = transcript ]; then
      transcript="$blocks/$id.transcript"
      name="$(transcript_file_name "$transcript")"
      [ -n "$name" ] || continue  # an ordinary text block
      if [ ! -f "$ROOT/$name" ]; then
        skip "$label (transcript of $name, which is not in the repository)"
        continue
      fi
      run_check "$ROOT" "$name" "${ENVIRONMENT[@]}"
      if transcript_matches "$transcript"; then
        pass "$label (transcript of check-config $name)"
      else
        fail "$label (transcript of check-config $name differs; actual output:)" "$output"
      fi
      continue
    fi

    block="$blocks/$id.yaml"
    first="$(head -n 1 "$block")"
    expect=valid
    if [[ "$first" =~ ^#[[:space:]]*invalid: ]]; then
      expect=invalid
    elif [[ "$first" =~ ^#(.*[^[:alnum:]_])?[[:space:]]*fragment([^[:alnum:]_]|$) ]]; then
      skip "$label (fragment)"
      continue
    fi

    directory="$WORK/run/$id"
    mkdir -p "$directory"
    expected="$blocks/$id.expected"
    name=""
    [ -f "$expected" ] && name="$(transcript_file_name "$expected")"
    [ -n "$name" ] || name="$(basename "$source" .md)-line-$line.yaml"
    cp "$block" "$directory/$name"
    run_check "$directory" "$name" "${ENVIRONMENT[@]}"

    if [ "$expect" = valid ] && [ "$status" -ne 0 ]; then
      fail "$label (a complete example, but check-config exited $status)" "$output"
    elif [ "$expect" = invalid ] && [ "$status" -ne 1 ]; then
      fail "$label (marked invalid, but check-config exited $status instead of 1)" "$output"
    elif [ -n "$(transcript_file_name "$expected" 2>/dev/null)" ] && ! transcript_matches "$expected"; then
      fail "$label (the transcript after this block differs; actual output:)" "$output"
    else
      note="valid"
      [ "$expect" = invalid ] && note="invalid, as marked"
      [ -f "$expected" ] && [ -n "$(transcript_file_name "$expected")" ] && note="$note; transcript matches"
      pass "$label ($note)"
    fi
  done <<<"$index"
done

# The repository's own example, with no environment variables at all.
run_check "$ROOT" keel.yaml
if [ "$status" -eq 0 ]; then
  pass "keel.yaml (no environment variables set)"
else
  fail "keel.yaml (no environment variables set; check-config exited $status)" "$output"
fi

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
