#!/usr/bin/env python3
"""Score the pattern detectors on development data only, for working on them.

    .build/guardrails-venv/bin/python scripts/guardrails/dev_report.py [--keel .build/debug/keel]

Prints, for the `pii` detector run through `keel guard scan`:

* the Faker-generated sentences that evaluate.py also scores (span table, recall by variant and, for
  phone numbers, by where the label is; every error);
* a format catalogue: every card type Faker's credit-card provider generates and the phone numbers
  of the same Faker locales as the sentences, grouped or not, each in a short sentence with or
  without a phone word (recall per format);
* hard negatives: numbers that are not PII of the evaluated types (order, invoice, account and
  ticket numbers, Unix timestamps, amounts, versions, dates, table rows, lists of numbers, licence
  keys, tax and bank numbers, unlabelled ids, ...) in sentences, with and without a context word of
  another kind (false positives per kind).

It never reads the data reserved for independent evaluation (presidio-evaluator's synth_dataset_v2,
PyRIT): those are scored once, by evaluate.py.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detector_data import PHONE_LOCALES, PII_TYPES, Labelled, _Builder, _group_card, pii_examples  # noqa: E402
from detector_eval import SpanScore, findings, keel_scan  # noqa: E402
from injection_data import ROOT, SEED  # noqa: E402

# The phone locales of the evaluation sentences, each in the same two kinds of sentence.
CATALOGUE_LOCALES = PHONE_LOCALES
CONTEXT_FRAMES = ["Phone: {v}", "Call me on {v} after lunch.", "My mobile is {v}.", "Fax {v}"]
PLAIN_FRAMES = ["The shop is at {v}, open until six.", "{v} is the one on the form.", "Use {v} for this."]
CARD_CONTEXT = ["Card number {v} expires next year.", "Charge my credit card {v} please."]
CARD_PLAIN = ["I paid with {v} for the hotel.", "{v} was declined twice."]


def catalogue(n_per: int = 40) -> list[Labelled]:
    from faker import Faker
    from faker.providers.credit_card import Provider as CardProvider

    rng = random.Random(SEED + 7)
    out: list[Labelled] = []
    for i, loc in enumerate(CATALOGUE_LOCALES):
        fake = Faker(loc)
        fake.seed_instance(SEED + 100 + i)
        for k in range(n_per):
            ctx = k % 2 == 0
            frame = rng.choice(CONTEXT_FRAMES if ctx else PLAIN_FRAMES)
            b = _Builder()
            b.fill(frame, {"v": (fake.phone_number(), "PHONE", f"{loc} {'context' if ctx else 'no context'}")})
            out.append(b.done())
    us = Faker("en_US")
    us.seed_instance(SEED + 99)
    for card in sorted(CardProvider.credit_card_types):
        if card in ("visa", "jcb"):
            continue  # aliases
        for k in range(n_per):
            number = us.credit_card_number(card)
            sep = rng.choice(["", " ", "-"])
            ctx = k % 2 == 0
            b = _Builder()
            b.fill(rng.choice(CARD_CONTEXT if ctx else CARD_PLAIN),
                   {"v": (_group_card(number, sep), "CREDIT_CARD", f"{card} {'grouped' if sep else 'plain'}")})
            out.append(b.done())
    return out


def hard_negatives(n: int = 1200) -> list[tuple[str, Labelled]]:
    rng = random.Random(SEED + 8)
    d = string.digits

    def digits(k: int, first: str = "123456789") -> str:
        return rng.choice(first) + "".join(rng.choice(d) for _ in range(k - 1))

    makers = {
        "order number": lambda: f"Your order #{digits(rng.randint(8, 12))} has shipped.",
        "order number (words)": lambda: f"Order number {digits(rng.randint(9, 11))} is ready for pickup.",
        "invoice": lambda: f"Invoice {digits(10)} is due on Friday.",
        "account number": lambda: f"Account no. {digits(rng.randint(8, 12))} was credited.",
        "ticket": lambda: f"See ticket {digits(9)} for details; call support if it reopens.",
        "unix timestamp": lambda: f"created_at={rng.randint(1_500_000_000, 1_800_000_000)} updated",
        "unix timestamp ms": lambda: f"ts {rng.randint(1_500_000_000_000, 1_800_000_000_000)}",
        "amount": lambda: f"The total was {rng.randint(1, 999)},{rng.randint(100, 999)},{rng.randint(100, 999)} units.",
        "population": lambda: f"a population of {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "zero-padded id": lambda: f"record 000{digits(7)} updated",
        "isbn": lambda: f"ISBN 978-{rng.randint(0, 9)}-{rng.randint(100, 999)}-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}",
        "date range": lambda: f"from 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} to 2025-0{rng.randint(1, 9)}-2{rng.randint(0, 8)}",
        "version": lambda: f"version {rng.randint(1, 30)}.{rng.randint(0, 20)}.{rng.randint(0, 999)}.{rng.randint(0, 9999)}",
        "coordinates": lambda: f"at {rng.randint(10, 80)}.{digits(6)}, {rng.randint(10, 170)}.{digits(6)}",
        "uuid": lambda: f"id {rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-"
                        f"{rng.getrandbits(16):04x}-{digits(12)}",
        "tracking number": lambda: f"tracking {digits(12)} via the courier",
        "phone-context order": lambda: f"I called about order {digits(10)} yesterday.",
        "iso timestamp": lambda: f"at 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                                 f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
        "digit run in code": lambda: f"x = {digits(rng.randint(9, 16))} * factor",
        # Digit groups that share a phone number's grouping.
        "table row": lambda: f"North {rng.randint(100, 9999)} {rng.randint(10, 999)} {rng.randint(10, 999)}",
        "list of numbers": lambda: "The winning numbers were " + " ".join(f"{rng.randint(1, 49):02d}" for _ in range(6)) + ".",
        "date and time": lambda: rng.choice([f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00",
                                             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025 {rng.randint(0, 23):02d}:30",
                                             f"2025 {rng.randint(1, 12):02d} {rng.randint(1, 28):02d}"]),
        "licence key": lambda: "key " + "-".join(digits(4, d) for _ in range(rng.choice([3, 4]))),
        "part number": lambda: f"part no. {digits(3)}-{digits(4, d)}-{digits(2, d)}",
        "tax number": lambda: rng.choice([f"NIP {digits(3)}-{digits(3, d)}-{digits(2, d)}-{digits(2, d)}",
                                          f"Steuernummer {digits(2)}/{digits(3, d)}/{digits(5, d)}",
                                          f"VAT {digits(3)} {digits(4, d)} {digits(2, d)}"]),
        "bank details": lambda: f"sort code {digits(2, d)}-{digits(2, d)}-{digits(2, d)} account {digits(8, d)}",
        "us address": lambda: f"Austin, TX {digits(5)}-{digits(4, d)}",
        "amount with spaces": lambda: f"{digits(3)} {digits(3, d)} {digits(3, d)} EUR",
        "quantity": lambda: f"{digits(3)} {digits(3, d)} units",
        "routing number": lambda: f"routing {digits(9, '0123')}",
        "nine-digit id": lambda: f"id {digits(9)}",
        "ten-digit id": lambda: f"{digits(10)} rows",
    }
    kinds = sorted(makers)
    return [(kinds[i % len(kinds)], Labelled(makers[kinds[i % len(kinds)]](), [])) for i in range(n)]


def print_table(sc: SpanScore, kinds: list[str]) -> None:
    for kind in kinds:
        m = sc.metrics(kind)
        if m["spans"] or m["fp"]:
            print(f"  {kind:12} labelled {m['spans']:4} found {m['tp']:4} fp {m['fp']:3} "
                  f"recall {m['recall']:.3f} precision {m['precision']:.3f}")
    for kind in sorted(k for k in sc.counts if k not in kinds and sc.counts[k]["fp"]):
        print(f"  {kind:12} false positives {sc.counts[kind]['fp']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keel", type=Path, default=ROOT / ".build" / "debug" / "keel")
    ap.add_argument("--errors", type=int, default=1000, help="errors to print per type")
    args = ap.parse_args()

    def scan(examples: list[Labelled]) -> SpanScore:
        rows = keel_scan(args.keel, [e.text for e in examples], "eval_pii")
        if isinstance(rows, str):
            raise SystemExit(rows)
        sc = SpanScore()
        for ex, row in zip(examples, rows):
            sc.add(ex, findings(row, "pii"))
        return sc

    def print_errors(sc, limit):
        """The first `limit` misses and false findings of each type."""
        for kind in PII_TYPES:
            for m in sc.misses.get(kind, [])[:limit]:
                print(f"  miss {kind}: {m}")
        for kind, items in sorted(sc.false.items()):
            for m in items[:limit]:
                print(f"  false {kind}: {m}")

    print("== Faker sentences (the evaluation's development set)")
    sc = scan(pii_examples())
    print_table(sc, PII_TYPES)
    for (kind, variant), c in sorted(sc.variants.items()):
        if c["fn"] or kind == "PHONE":
            print(f"  recall {kind} {variant}: {c['tp'] / (c['tp'] + c['fn']):.3f} of {c['tp'] + c['fn']}")
    for (kind, frame), c in sorted(sc.frames.items()):
        print(f"  recall {kind} {frame}: {c['tp'] / (c['tp'] + c['fn']):.3f} of {c['tp'] + c['fn']}")
    print_errors(sc, args.errors)

    print("== format catalogue")
    sc = scan(catalogue())
    print_table(sc, PII_TYPES)
    for (kind, variant), c in sorted(sc.variants.items()):
        print(f"  {kind} {variant:28} {c['tp']:3}/{c['tp'] + c['fn']:3}")
    print_errors(sc, args.errors)

    print("== hard negatives")
    negatives = hard_negatives()
    rows = keel_scan(args.keel, [e.text for _, e in negatives], "eval_pii")
    if isinstance(rows, str):
        raise SystemExit(rows)
    flagged: dict[str, Counter] = defaultdict(Counter)
    total = Counter(kind for kind, _ in negatives)
    for (kind, ex), row in zip(negatives, rows):
        for t, s, e in findings(row, "pii"):
            flagged[kind][t] += 1
            if t in PII_TYPES:
                print(f"  false {t}: `{ex.text[s:e]}` in “{ex.text}”")
    for kind in sorted(total):
        print(f"  {kind:22} {total[kind]:4} texts, findings: {dict(flagged[kind]) or '-'}")


if __name__ == "__main__":
    main()
