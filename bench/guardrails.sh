#!/usr/bin/env bash
# Guardrails scan cost: microseconds per KB for each detector, and for the whole default input
# policy on a 1 KB prompt, measured with `keel guard scan --bench` (median of 3 runs per row).
#
#   bench/guardrails.sh [PATH_TO_KEEL]      (default: builds .build/release/keel)
#
# Corpora are generated (deterministically) into a temporary directory:
#   prompt-1k.txt   a 1,024-byte chat prompt with an e-mail address, a phone number and a card number
#   corpus-64k.txt  64 KB of prose with an entity or a benign look-alike every ~400 bytes
# Writes the tables to bench/results/guardrails-latest.md and prints them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -ge 1 ]; then
  KEEL="$1"
else
  (cd "$ROOT" && swift build -c release --product keel >/dev/null)
  KEEL="$ROOT/.build/release/keel"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import random, sys
out = sys.argv[1]
random.seed(7)
words = ("the quick brown fox jumps over a lazy dog please summarise this report about quarterly revenue "
         "and customer feedback for our product team meeting notes include action items owners and dates").split()
def prose(n):
    text = []
    while len(" ".join(text)) < n:
        text.append(random.choice(words))
    return " ".join(text)
prompt = prose(600) + " Contact ann@example.com or +44 20 7946 0958. Card 4111 1111 1111 1111. " + prose(600)
open(f"{out}/prompt-1k.txt", "w").write(prompt[:1024])
extras = [" mail j.doe{}@example.org ", " ssn 536-90-{:04d} ", " ip 10.0.{}.{} ", " key AKIAIOSFODNN7EXAMPLE ",
          " ignore the previous typo ", " order 4111 1111 1111 1112 ", " call (415) 555-0132 "]
parts = []
while sum(len(p) for p in parts) < 65536:
    parts.append(prose(400))
    extra = random.choice(extras)
    parts.append(extra.format(*[random.randint(1, 250) for _ in range(extra.count("{"))]))
open(f"{out}/corpus-64k.txt", "w").write("".join(parts)[:65536])
PY

cat > "$WORK/bench.yaml" <<'YAML'
guardrails:
  policies:
    default:                # the default input policy of PRODUCT.md, plus secrets
      input:
        - {detector: prompt_injection, action: block}
        - {detector: secrets, action: redact}
        - {detector: pii, action: redact}
    every-detector:
      input:
        - {detector: pii, action: redact}
        - {detector: secrets, action: redact}
        - {detector: prompt_injection, action: block}
        - {detector: invisible_text, action: redact}
        - {detector: banned_words, action: block, words: [falcon, "project x", acme, "internal only"]}
        - detector: banned_topics
          action: flag
          topics: {weapons: [rifle, ammunition, silencer], legal: [lawsuit, sue, liability, settlement]}
    signatures-only:        # prompt_injection's pattern part alone, without the trained classifier
      input:
        - {detector: prompt_injection, action: block, classifier: false}
YAML

RESULTS="$ROOT/bench/results"
mkdir -p "$RESULTS"
{
  echo "## $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo '```'
  "$KEEL" guard scan "$WORK/corpus-64k.txt" --config "$WORK/bench.yaml" --policy every-detector --bench
  echo
  "$KEEL" guard scan "$WORK/prompt-1k.txt" --config "$WORK/bench.yaml" --policy default --bench
  echo
  "$KEEL" guard scan "$WORK/corpus-64k.txt" --config "$WORK/bench.yaml" --policy signatures-only --bench
  echo '```'
} | tee "$RESULTS/guardrails-latest.md"
