"""Running `keel guard scan` and scoring its findings against labelled spans."""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from detector_data import Labelled, Span

# One policy per detector, so that a block by one cannot hide the findings of another; and `pii` at
# threshold 0.3, which adds the bare nine-digit numbers scored 0.3 as US_SSN (docs/guardrails.md).
POLICY_YAML = """\
guardrails:
  policies:
    eval_injection:
      input:
        - {detector: prompt_injection, action: block}
    eval_pii:
      input:
        - {detector: pii, action: redact}
    eval_pii_strict:
      input:
        - {detector: pii, action: redact, threshold: 0.3}
    eval_secrets:
      input:
        - {detector: secrets, action: redact}
"""


def keel_scan(keel: Path, texts: list[str], policy: str) -> list[dict] | str:
    """Results of `keel guard scan FILE --policy POLICY --jsonl --config TMP.yaml`, or the reason
    it could not run."""
    if not keel.exists():
        return f"`{keel}` does not exist (build it with `swift build -c release --product keel`)"
    probe = subprocess.run([str(keel), "guard", "scan", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "this build of `keel` has no `guard scan` command"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "keel.yaml"
        config.write_text(POLICY_YAML)
        inputs = Path(tmp) / "inputs.jsonl"
        inputs.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
        res = subprocess.run([str(keel), "guard", "scan", str(inputs), "--policy", policy, "--jsonl",
                              "--config", str(config)], capture_output=True, text=True)
        if res.returncode not in (0, 1):
            return f"`keel guard scan` failed with exit code {res.returncode}: {res.stderr.strip()[:300]}"
        rows = [json.loads(line) for line in res.stdout.split("\n") if line.strip()]  # not splitlines: U+2028 may appear unescaped
        if len(rows) != len(texts):
            return f"`keel guard scan` returned {len(rows)} results for {len(texts)} inputs"
        return rows


def findings(row: dict, detector: str) -> list[Span]:
    return [(f["type"], int(f["start"]), int(f["end"])) for f in row.get("findings", []) if f.get("detector") == detector]


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


class SpanScore:
    """Per-type span-overlap precision and recall.

    A labelled span is found when a finding overlaps it (of the same type when `typed`). A finding
    overlapping no labelled span of its type is a false positive; several findings on one labelled
    span count once. `exact` counts found spans whose finding has exactly the labelled bounds."""

    def __init__(self, typed: bool = True) -> None:
        self.typed = typed
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.variants: dict[tuple[str, str], Counter] = defaultdict(Counter)
        self.frames: dict[tuple[str, str], Counter] = defaultdict(Counter)  # (type, kind of frame) -> tp, fn
        self.misses: dict[str, list[str]] = defaultdict(list)  # type -> descriptions of missed spans
        self.false: dict[str, list[str]] = defaultdict(list)  # type -> descriptions of false positives
        self.texts = Counter()  # per-text: positives, flagged positives, negatives, flagged negatives

    def add(self, ex: Labelled, found: list[Span]) -> None:
        used: set[int] = set()
        hit_spans: list[Span] = []
        for i, (kind, s, e) in enumerate(ex.spans):
            hits = [j for j, (k, fs, fe) in enumerate(found) if (k == kind or not self.typed) and fs < e and s < fe]
            variant = ex.variant.get(i, "")
            frame = ex.frame.get(i, "")
            outcome = "tp" if hits else "fn"
            self.variants[(kind, variant)][outcome] += 1
            if frame:
                self.frames[(kind, frame)][outcome] += 1
            if hits:
                self.counts[kind]["tp"] += 1
                if any(found[j][1:] == (s, e) for j in hits):
                    self.counts[kind]["exact"] += 1
                used.update(hits)
                hit_spans.append((kind, s, e))
            else:
                self.counts[kind]["fn"] += 1
                other = [k for k, fs, fe in found if fs < e and s < fe]
                note = f" (found as {', '.join(other)})" if other else ""
                where = f" in “{_context(ex.text, s, e)}”" if len(ex.text) > e - s else ""
                label = ", ".join(x for x in (variant, frame) if x)
                self.misses[kind].append((f"{label}: " if label else "") + f"`{ex.text[s:e]}`{where}{note}")
        for j, (k, fs, fe) in enumerate(found):
            if j in used:
                continue
            # A second finding inside an already-found span of its type is not a new false positive.
            if any((kk == k or not self.typed) and fs < e and s < fe for kk, s, e in hit_spans):
                continue
            self.counts[k]["fp"] += 1
            overlap = [f"{kk}" for kk, s, e in ex.other if fs < e and s < fe]
            where = f" (inside a labelled {', '.join(overlap)})" if overlap else ""
            self.false[k].append(f"`{ex.text[fs:fe]}` in “{_context(ex.text, fs, fe)}”{where}")
        if ex.spans:
            self.texts["positive"] += 1
            self.texts["positive_flagged"] += bool(found)
        else:
            self.texts["negative"] += 1
            self.texts["negative_flagged"] += bool(found)

    def metrics(self, kind: str) -> dict:
        c = self.counts[kind]
        return {
            "spans": c["tp"] + c["fn"], "tp": c["tp"], "fn": c["fn"], "fp": c["fp"],
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "exact": _ratio(c["exact"], c["tp"]),
        }

    def micro(self, kinds: list[str]) -> dict:
        tp = sum(self.counts[k]["tp"] for k in kinds)
        fn = sum(self.counts[k]["fn"] for k in kinds)
        fp = sum(self.counts[k]["fp"] for k in kinds)
        return {"tp": tp, "fn": fn, "fp": fp, "recall": _ratio(tp, tp + fn), "precision": _ratio(tp, tp + fp)}


def _context(text: str, s: int, e: int, width: int = 30) -> str:
    left = text[max(0, s - width):s]
    right = text[e:e + width]
    return ("…" if s > width else "") + (left + text[s:e] + right).replace("\n", "⏎") + ("…" if e + width < len(text) else "")
