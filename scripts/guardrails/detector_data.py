"""Labelled data for the pattern detectors (PII and secrets).

* PII: sentences built around Faker-generated values of known type and span (code-point
  offsets), in several locales, with distractors that must not be reported (order numbers,
  dates, times, version strings, prices, MAC addresses, Luhn-failing card-like numbers,
  invalid SSNs, postal codes, quantities, unlabelled ids, ...). Some sentences hold only
  distractors. Phone numbers come from the `phone_number()` of 34 Faker locales, some with an
  extension, in four kinds of frame: a phone label before the number, a label after it, a
  multi-line contact block (the label on the line before, or fields of a signature), and no label
  at all (see PHONE_FRAMES).
* Secrets: realistic generated credentials (random bodies in each provider's format) inside
  config files, shell commands and prose, and hard negatives (hashes, UUIDs, commit ids,
  placeholders, environment-variable references, password-less connection strings).
* presidio-evaluator's ``synth_dataset_v2`` (from the package's source distribution on PyPI),
  reserved for independent evaluation: it is only ever scored, never used to change anything.

Everything is generated from fixed seeds, so two runs produce the same texts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass, field

from injection_data import CACHE, SEED

# (type, start, end) in code points.
Span = tuple[str, int, int]

PII_TYPES = ["EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN", "IP_ADDRESS"]
# Every Faker locale with phone formats of its own (en_IE and fr_CA borrow en_US's, so they are left out).
PHONE_LOCALES = [
    "en_US", "en_CA", "en_GB", "en_AU", "en_IN", "en_NZ", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH",
    "it_IT", "es_ES", "es_MX", "pt_PT", "pt_BR", "nl_NL", "nl_BE", "pl_PL", "cs_CZ", "hu_HU", "sv_SE",
    "da_DK", "fi_FI", "no_NO", "el_GR", "ro_RO", "tr_TR", "ru_RU", "uk_UA", "ja_JP", "ko_KR", "zh_CN",
    "he_IL",
]
# Extensions people append to a number (Faker's en_US and tr_TR formats add an "x123" of their own).
PHONE_EXTENSIONS = [" ext. {n}", " x{n}", " ext {n}", ", ext. {n}", " Ext. {n}", " (ext. {n})"]
IBAN_LOCALES = ["de_DE", "fr_FR", "en_GB", "es_ES", "it_IT", "nl_NL"]
CARD_TYPES = ["visa16", "visa13", "mastercard", "amex", "discover", "jcb16", "diners"]

PRESIDIO_EVALUATOR = "0.3.2"
# presidio-evaluator entity types -> Keel's.
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",  # scored too, without a target
}


@dataclass
class Labelled:
    text: str
    spans: list[Span]
    variant: dict[int, str] = field(default_factory=dict)  # span index -> sub-kind (locale, card type, ...)
    other: list[Span] = field(default_factory=list)  # labelled spans of types not evaluated
    frame: dict[int, str] = field(default_factory=dict)  # span index -> kind of frame (phone numbers: where the label is)


class _Builder:
    """Concatenates pieces while recording the spans of labelled ones."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[Span] = []
        self.variant: dict[int, str] = {}
        self.frame: dict[int, str] = {}

    def add(self, text: str, kind: str | None = None, variant: str | None = None, frame: str | None = None) -> None:
        if kind:
            if variant:
                self.variant[len(self.spans)] = variant
            if frame:
                self.frame[len(self.spans)] = frame
            self.spans.append((kind, self.length, self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)

    def fill(self, frame: str, values: dict[str, tuple], frame_kind: str | None = None) -> None:
        """`frame` with {name} holes; values[name] = (text, kind or None, variant); `frame_kind` is
        recorded for every labelled value of the frame."""
        rest = frame
        while "{" in rest:
            before, _, after = rest.partition("{")
            name, _, rest = after.partition("}")
            self.add(before)
            text, kind, variant = values[name]
            self.add(text, kind, variant, frame_kind if kind else None)
        self.add(rest)

    def done(self) -> Labelled:
        return Labelled("".join(self.parts), self.spans, self.variant, frame=self.frame)


# --- PII -----------------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _group_card(number: str, sep: str) -> str:
    if not sep:
        return number
    groups = [4, 6, 5] if len(number) == 15 else [4, 6, 4] if len(number) == 14 else [4, 3, 3, 3] if len(number) == 13 else [4] * (len(number) // 4) + ([len(number) % 4] if len(number) % 4 else [])
    out, i = [], 0
    for g in groups:
        out.append(number[i:i + g])
        i += g
    return sep.join(out)


def _distractors(rng: random.Random):
    """Makers of texts that look numeric or identifier-like but are not PII of the evaluated types."""

    def luhn_failing_card() -> str:
        prefix = rng.choice(["4", "51", "52", "55", "37", "6011"])
        length = 15 if prefix == "37" else 16
        while True:
            n = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix)))
            if not _luhn_ok(n):
                return _group_card(n, rng.choice(["", " ", "-"]))

    def invalid_ssn() -> str:
        kind = rng.randrange(4)
        area = rng.choice([0, 666]) if kind == 0 else rng.randint(1, 665)
        group = 0 if kind == 1 else rng.randint(1, 99)
        serial = 0 if kind == 2 else rng.randint(1, 9999)
        if kind == 3:
            area = rng.randint(900, 999)  # not issued as SSNs
            group = rng.choice([rng.randint(1, 49), rng.randint(66, 69), 89, 93])  # not an ITIN group either
        return f"{area:03d}-{group:02d}-{serial:04d}"

    return [
        lambda: f"order #{rng.randint(10**7, 10**10)}",
        lambda: f"invoice INV-{rng.randint(2019, 2026)}-{rng.randint(1, 99999):05d}",
        lambda: f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        lambda: f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2026)}",
        lambda: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        lambda: f"v{rng.randint(1, 20)}.{rng.randint(0, 40)}.{rng.randint(0, 300)}",
        lambda: f"build {rng.randint(10, 99)}.0.{rng.randint(10000, 30000)}.{rng.randint(1000, 9999)}",
        lambda: f"${rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(0, 99):02d}",
        lambda: f"tracking number 1Z{''.join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))}",
        lambda: ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
        lambda: str(uuid.UUID(int=rng.getrandbits(128))),
        lambda: f"ZIP {rng.randint(10000, 99999)}",
        lambda: f"{rng.randint(100, 999)} {rng.randint(100, 999)} units",
        luhn_failing_card,
        invalid_ssn,
        lambda: f"case {rng.randint(100000, 999999)}-{rng.randint(10, 99)}",
    ] + _number_distractors(rng)


def _number_distractors(rng: random.Random):
    """Numbers that share a phone number's digit count or grouping without being one: quantities and
    amounts with thousands separators, postal codes, unlabelled ids and counts of 7-11 digits, account,
    case and tax numbers with their own label, time and year ranges, coordinates, ISBNs and EANs."""
    d = string.digits

    def digits(k: int, first: str = "123456789") -> str:
        return rng.choice(first) + "".join(rng.choice(d) for _ in range(k - 1))

    def thousands(sep: str, groups: int) -> str:
        return sep.join([str(rng.randint(1, 999))] + [f"{rng.randint(0, 999):03d}" for _ in range(groups)])

    return [
        lambda: f"{thousands(' ', 2)} units",
        lambda: f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)} visitors",
        lambda: f"a budget of € {thousands(rng.choice([' ', '.']), rng.choice([2, 3]))}",
        lambda: f"${thousands(',', rng.choice([2, 3]))}.{rng.randint(0, 99):02d}",
        lambda: f"{thousands(' ', 2)},{rng.randint(0, 99):02d} EUR",
        lambda: f"a population of {thousands(' ', 2)}",
        lambda: f"{digits(rng.randint(7, 11))} rows scanned",
        lambda: f"job {digits(rng.randint(8, 11))} failed",
        lambda: f"user {digits(rng.randint(7, 10))}",
        lambda: f"account {rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        lambda: f"sort code {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}, account {digits(8, d)}",
        lambda: f"case no. {digits(rng.randint(7, 10))}",
        lambda: f"NIP {digits(3)}-{digits(3, d)}-{digits(2, d)}-{digits(2, d)}",
        lambda: f"SIREN {digits(3)} {digits(3, d)} {digits(3, d)}",
        lambda: f"tax ID {digits(2)} {digits(3, d)} {digits(3, d)} {digits(3, d)}",
        lambda: f"{rng.randint(10, 28):02d}{rng.randint(1, 12):02d}{rng.randint(50, 99)}-{digits(4, d)}",  # a Nordic personal number
        lambda: f"ZIP {rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}",
        lambda: f"{rng.randint(10000, 99999)} {rng.choice(['Berlin', 'Paris', 'Madrid', 'Milano'])}",
        lambda: f"{rng.randint(10, 99)}-{rng.randint(100, 999)} Warszawa",
        lambda: f"{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.choice(['Stockholm', 'Praha'])}",
        lambda: f"open {rng.randint(7, 10):02d}00-{rng.randint(16, 20)}00",
        lambda: f"{rng.randint(1990, 2015)}-{rng.randint(2016, 2026)}",
        lambda: f"pages {rng.randint(1000, 4000)}-{rng.randint(4001, 9000)}",
        lambda: f"{rng.randint(10, 80)}.{digits(6, d)}, {rng.randint(10, 170)}.{digits(6, d)}",
        lambda: f"ISBN 0-{rng.randint(100, 999)}-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}",
        lambda: f"EAN {digits(13)}",
        lambda: f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2019, 2026)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        lambda: f"v{rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 99999)}",
    ]


PII_FRAMES = {
    "EMAIL": [
        "Please send the report to {v} before {d}.",
        "Contact: {v}",
        "I changed my address to {v} last week ({d}).",
        "{v} bounced twice, see {d}.",
    ],
    "US_SSN": [
        "My SSN is {v} and the reference is {d}.",
        "Social security number: {v}",
        "The applicant wrote {v} in box 3, see {d}.",
        "{v} was entered for the employee, {d}.",
    ],
    "CREDIT_CARD": [
        "Charge it to my card {v}, {d}.",
        "Card number {v} expires next year.",
        "I paid with {v} for {d}.",
        "Use {v} for the renewal; {d} is the contract.",
    ],
    "IBAN": [
        "Please wire the deposit to IBAN {v} by {d}.",
        "Account: {v}",
        "The refund goes to {v}, reference {d}.",
        "Transfer to {v} ({d}) was rejected.",
    ],
    "IP_ADDRESS": [
        "The login came from {v} at {d}.",
        "Block {v} in the firewall, ticket {d}.",
        "Server address: {v}",
        "Requests from {v} spiked after {d}.",
    ],
}

# Phone frames by where the label is. {v} is the phone number, {v2} a second one (same locale), {d} a
# distractor; {name}, {company}, {street}, {city} and {email} are Faker values that are not scored.
PHONE_FRAMES = {
    "label before": [
        "You can call me on {v}; my {d} is still open.",
        "Phone: {v}",
        "Reach the front desk at {v} after {d}.",
        "Tel. {v} (ask for {name})",
        "Tel.: {v} · {email}",
        "Mobile: {v}",
        "Mob. {v}, see {d}",
        "Cell: {v}",
        "Fax: {v} for the signed copy of {d}",
        "Office: {v}",
        "Desk: {v}",
        "Home: {v}",
        "Work: {v} (weekdays)",
        "Direct line: {v}",
        "T: {v} | E: {email}",
        "Call {name} on {v} about {d}.",
        "Please ring {v} before {d}.",
        "Text me at {v} when you land.",
        "WhatsApp: {v}",
        "My mobile number is {v}, and {d} is attached.",
        "For support dial {v}; quote {d}.",
        "Telefon: {v}",
        "Tél. : {v}",
        "Teléfono: {v}",
    ],
    "label after": [
        "{v} (mobile)",
        "{v} (home), {email}",
        "{v} (work), leave a message after {d}.",
        "{v}-Office,{v2}-Fax",
        "{v} - Fax",
        "I'm reachable at {v} (landline) until {d}.",
        "Numbers: {v} (office) and {v2} (mobile).",
        "{v} [cell]",
        "{name}: {v} mobile, {email}",
    ],
    "contact block": [
        "{name}\n{company}\nPhone:\n{v}\nE-mail:\n{email}",
        "{name}\nMobile: {v}\nDesk: {v2}\nRef: {d}",
        "Kind regards,\n{name}\n{company}\nT {v}\nM {v2}",
        "Contact\n{name}\n{street}\n{city}\nTel.\n{v}",
        "{name} | {company}\nOffice {v} | Mobile {v2}",
        "Personal info:\nPhone:\n{v}\n\nE-mail:\n{email}\nCustomer since {d}",
        "{name}\n{street}\n{city}\nFax\n{v}",
    ],
    "no label": [
        "The shop's number is {v}, quote {d}.",
        "{v} is the number on the form, next to {d}.",
        "{name}, {v}, {email}",
        "{name}\n{street}\n{city}\n{v}",
        "Let me know at {v} or by e-mail before {d}.",
        "I tried {v} twice after {d} but nobody picked up.",
        "{v} — {name}, {city}",
    ],
}
# How often each kind of frame is drawn: most numbers in text carry a label somewhere near them.
PHONE_FRAME_WEIGHTS = {"label before": 40, "label after": 15, "contact block": 20, "no label": 25}

BENIGN_FRAMES = [
    "Your {d} shipped on {d2}.",
    "Upgrade to {d} before {d2} to fix the crash.",
    "The total for {d} came to {d2}.",
    "We met at {d} and agreed on {d2}.",
    "Reference {d}, see also {d2}.",
]


def _phone_frame(rng: random.Random) -> tuple[str, str]:
    """A phone frame and its kind, drawn by PHONE_FRAME_WEIGHTS."""
    kind = rng.choices(list(PHONE_FRAME_WEIGHTS), weights=list(PHONE_FRAME_WEIGHTS.values()))[0]
    return rng.choice(PHONE_FRAMES[kind]), kind


def _labelled(variant: str, frame: str) -> str:
    """Bare SSNs are told apart by whether their sentence says it is an SSN."""
    if variant != "bare":
        return variant
    return "bare, SSN word in the sentence" if "SSN" in frame or "Social security" in frame else "bare, no SSN word"


# The kind of value each non-distractor sentence is built around, in turn: phone numbers come in
# more formats than the other types, so they get three turns in eight.
SENTENCE_KINDS = ["EMAIL", "PHONE", "US_SSN", "PHONE", "CREDIT_CARD", "IBAN", "PHONE", "IP_ADDRESS"]


def pii_examples(n: int = 3000) -> list[Labelled]:
    """`n` sentences: a sixth hold only distractors; the rest one PII value of known span (and a
    second one in a third of them), each next to a distractor."""
    from faker import Faker

    rng = random.Random(SEED + 1)
    fakers = {loc: Faker(loc) for loc in sorted(set(PHONE_LOCALES + IBAN_LOCALES))}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(SEED + i)
    us = fakers["en_US"]
    distractors = _distractors(rng)

    def phone(loc: str) -> str:
        number = fakers[loc].phone_number()
        if "x" not in number and rng.random() < 0.08:
            number += rng.choice(PHONE_EXTENSIONS).format(n=rng.randint(2, 9999))
        return number

    def value(kind: str) -> tuple[str, str]:
        if kind == "EMAIL":
            f = fakers[rng.choice(list(fakers))]
            return rng.choice([f.email, f.free_email, f.company_email])(), "email"
        if kind == "PHONE":
            loc = rng.choice(PHONE_LOCALES)
            return phone(loc), loc
        if kind == "US_SSN":
            ssn = us.ssn()
            style = rng.choice(["dashes", "dashes", "spaces", "bare"])
            return (ssn if style == "dashes" else ssn.replace("-", " ") if style == "spaces" else ssn.replace("-", "")), style
        if kind == "CREDIT_CARD":
            card = rng.choice(CARD_TYPES)
            number = us.credit_card_number(card)
            return _group_card(number, rng.choice(["", " ", "-"])), card
        if kind == "IBAN":
            loc = rng.choice(IBAN_LOCALES)
            iban = fakers[loc].iban()
            if rng.random() < 0.4:
                iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
            return iban, loc
        v = rng.random()
        if v < 0.4:
            return us.ipv4_public(), "ipv4 public"
        if v < 0.6:
            return us.ipv4_private(), "ipv4 private"
        if v < 0.8:
            return us.ipv6(), "ipv6 full"
        if rng.random() < 0.5:
            return f"2001:db8::{rng.getrandbits(16):x}", "ipv6 compressed"
        return f"fe80::{rng.getrandbits(16):x}:{rng.getrandbits(16):x}", "ipv6 compressed"

    def fill(b: _Builder, kind: str) -> None:
        v, variant = value(kind)
        if kind != "PHONE":
            frame = rng.choice(PII_FRAMES[kind])
            b.fill(frame, {"v": (v, kind, _labelled(variant, frame)), "d": (rng.choice(distractors)(), None, None)})
            return
        # A phone frame, with the other values of a contact block from the number's locale.
        frame, frame_kind = _phone_frame(rng)
        f = fakers[variant]
        email = rng.choice([f.email, f.free_email, f.company_email])()
        b.fill(frame, {
            "v": (v, "PHONE", variant), "v2": (phone(variant), "PHONE", variant),
            "d": (rng.choice(distractors)(), None, None), "email": (email, "EMAIL", "email"),
            "name": (f.name(), None, None), "company": (f.company(), None, None),
            "street": (f.street_address(), None, None), "city": (f.city(), None, None),
        }, frame_kind)

    out: list[Labelled] = []
    for i in range(n):
        b = _Builder()
        if i % 6 == 5:
            frame = rng.choice(BENIGN_FRAMES)
            b.fill(frame, {"d": (rng.choice(distractors)(), None, None), "d2": (rng.choice(distractors)(), None, None)})
            out.append(b.done())
            continue
        fill(b, SENTENCE_KINDS[i % len(SENTENCE_KINDS)])
        if i % 3 == 0:
            # A frame that ends with its value ("Phone: {v}") is a line of its own.
            b.add(" " if "".join(b.parts)[-1] in ".!?" else "\n")
            fill(b, rng.choice(PII_TYPES))
        out.append(b.done())
    return out


# --- secrets --------------------------------------------------------------------------------


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secret_makers(rng: random.Random):
    def jwt() -> str:
        header = _b64url(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
        payload = _b64url(json.dumps({"sub": str(rng.randint(1, 10**9)), "name": "user", "iat": rng.randint(1.6e9, 1.8e9)}).encode())
        sig = _b64url(hmac.new(rng.randbytes(32), f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{sig}"

    def private_key() -> str:
        body = base64.b64encode(rng.randbytes(rng.choice([600, 900, 1200]))).decode()
        kind = rng.choice(["RSA ", "EC ", "", "OPENSSH "])
        lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"

    host = lambda: rng.choice(["db.internal", "10.0.3.12", "prod-db.example.com", "localhost"])
    return {
        "AWS_ACCESS_KEY": lambda: rng.choice(["AKIA", "ASIA"]) + _rand(rng, string.ascii_uppercase + "234567", 16),
        "AWS_SECRET_KEY": lambda: _rand(rng, B64, 40),
        "GCP_API_KEY": lambda: "AIza" + _rand(rng, B64URL, 35),
        "GITHUB_TOKEN": lambda: rng.choice(["ghp_", "gho_", "ghs_"]) + _rand(rng, ALNUM, 36) if rng.random() < 0.7
        else "github_pat_" + _rand(rng, ALNUM, 22) + "_" + _rand(rng, ALNUM, 59),
        "GITLAB_TOKEN": lambda: "glpat-" + _rand(rng, B64URL, 20),
        "SLACK_TOKEN": lambda: f"xox{rng.choice('bpa')}-{rng.randint(10**10, 10**12)}-{rng.randint(10**10, 10**12)}-{_rand(rng, ALNUM, 24)}",
        "SLACK_WEBHOOK": lambda: f"https://hooks.slack.com/services/T{_rand(rng, string.ascii_uppercase + string.digits, 8)}/B{_rand(rng, string.ascii_uppercase + string.digits, 8)}/{_rand(rng, ALNUM, 24)}",
        "STRIPE_KEY": lambda: rng.choice(["sk_live_", "sk_test_", "rk_live_"]) + _rand(rng, ALNUM, rng.choice([24, 99])),
        "OPENAI_API_KEY": lambda: "sk-proj-" + _rand(rng, B64URL, 156) if rng.random() < 0.7
        else "sk-" + _rand(rng, ALNUM, 20) + "T3BlbkFJ" + _rand(rng, ALNUM, 20),
        "ANTHROPIC_API_KEY": lambda: "sk-ant-api03-" + _rand(rng, B64URL, 93) + "AA",
        "JWT": jwt,
        "PRIVATE_KEY": private_key,
        "CONNECTION_STRING": lambda: f"{rng.choice(['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis'])}://{rng.choice(['app', 'admin', 'svc_orders'])}:{_rand(rng, ALNUM, rng.randint(12, 24))}@{host()}:{rng.choice([5432, 3306, 27017, 6379])}/{rng.choice(['orders', 'main', '0'])}",
        "GENERIC_SECRET": lambda: _rand(rng, ALNUM + "_-", rng.randint(24, 48)),
    }


SECRET_FRAMES = {
    "AWS_SECRET_KEY": ["aws_secret_access_key = {v}", "AWS_SECRET_ACCESS_KEY=\"{v}\"", "  aws_secret_access_key: {v}"],
    "GENERIC_SECRET": ["API_KEY={v}", "client_secret: \"{v}\"", "\"api_key\": \"{v}\",", "export SERVICE_TOKEN={v}", "password = '{v}'",
                       "curl -H 'X-Api-Key: {v}' https://api.example.com/v2/jobs", "Authorization: Bearer {v}",
                       "DB_PASS={v}", "session cookie is {v}, expires tomorrow"],
    "_": [
        "Here is my key {v} — why does the request fail with 401?",
        "curl -H \"Authorization: Bearer {v}\" https://api.example.com/v1/items",
        "config:\n  endpoint: https://api.example.com\n  key: {v}\n  timeout: 30",
        "I accidentally committed {v} to the repo, how do I rotate it?",
        "{v}",
        "env:\n  - name: CREDENTIAL\n    value: \"{v}\"",
    ],
}


def secrets_examples(n_positive: int = 600, n_negative: int = 600) -> list[Labelled]:
    """Texts with one generated credential of known type and span, then hard negatives."""
    rng = random.Random(SEED + 2)
    makers = _secret_makers(rng)
    kinds = sorted(makers)
    out: list[Labelled] = []
    for i in range(n_positive):
        kind = kinds[i % len(kinds)]
        v = makers[kind]()
        frames = SECRET_FRAMES.get(kind, SECRET_FRAMES["_"])
        b = _Builder()
        b.fill(rng.choice(frames), {"v": (v, kind, None)})
        out.append(b.done())

    hexs = lambda k: _rand(rng, "0123456789abcdef", k)
    negatives = [
        lambda: f"Fixed in commit {hexs(40)}; cherry-pick it onto the release branch.",
        lambda: f"sha256: {hexs(64)}  dist/app.tar.gz",
        lambda: f"image: registry.example.com/app@sha256:{hexs(64)}",
        lambda: f"request_id={uuid.UUID(int=rng.getrandbits(128))} status=200 duration_ms={rng.randint(1, 900)}",
        lambda: "\"integrity\": \"sha512-" + base64.b64encode(rng.randbytes(64)).decode() + "\"",
        lambda: "api_key = os.environ[\"OPENAI_API_KEY\"]",
        lambda: "token: ${{ secrets.GITHUB_TOKEN }}",
        lambda: "export AWS_SECRET_ACCESS_KEY=<your-secret-key>",
        lambda: "password: changeme",
        lambda: "Set OPENAI_API_KEY to your key (it starts with sk-) and restart.",
        lambda: f"DATABASE_URL=postgres://{rng.choice(['localhost', 'db'])}:5432/{rng.choice(['orders', 'app'])}",
        lambda: f"mongodb://{rng.choice(['mongo', 'localhost'])}:27017/?replicaSet=rs0",
        lambda: f"The token count was {rng.randint(1000, 99999)} and the secret santa budget is ${rng.randint(10, 50)}.",
        lambda: f"max_tokens = {rng.randint(100, 4096)}\ntemperature = 0.{rng.randint(0, 9)}",
        lambda: f"Use the key ID {''.join(rng.choice(string.ascii_uppercase) for _ in range(8))} from the console, not the key itself.",
        lambda: f"data:image/png;base64,{base64.b64encode(rng.randbytes(60)).decode()}",
        lambda: f"https://example.com/download?file=report-{rng.randint(1, 999)}.pdf&session=abc",
        lambda: f"secret_santa_{rng.randint(2019, 2026)} = True",
        lambda: f"The password must be at least {rng.randint(8, 16)} characters and contain a digit.",
        lambda: f"git checkout -b feature/{''.join(rng.choice(string.ascii_lowercase) for _ in range(10))}",
        lambda: f"ssh-ed25519 {base64.b64encode(rng.randbytes(51)).decode()} deploy@ci",
        lambda: f"pk_live_{_rand(rng, ALNUM, 24)} is the publishable key used in the browser.",
        lambda: f"{''.join(rng.choice(string.ascii_lowercase) for _ in range(12))}_{''.join(rng.choice(string.ascii_lowercase) for _ in range(8))}_handler.py line {rng.randint(1, 900)}",
        lambda: f"eyJhbGciOiJIUzI1NiJ9 is only the header of a JWT; where is the rest?",
    ]
    for i in range(n_negative):
        out.append(Labelled(negatives[i % len(negatives)](), []))
    return out


# --- presidio-evaluator (reserved) ------------------------------------------------------------


def presidio_examples() -> list[Labelled] | str:
    """presidio-evaluator's synth_dataset_v2 with the spans of the evaluated types, or the reason
    it could not be read. The file is in the package's source distribution on PyPI."""
    dest = CACHE / "sdists"
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"presidio_evaluator-{PRESIDIO_EVALUATOR}.tar.gz"
    if not archive.exists():
        res = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                              "--quiet", "-d", str(dest), f"presidio-evaluator=={PRESIDIO_EVALUATOR}"],
                             capture_output=True, text=True)
        if res.returncode != 0 or not archive.exists():
            return f"`pip download presidio-evaluator=={PRESIDIO_EVALUATOR}` failed: {res.stderr.strip()[:200]}"
    with tarfile.open(archive) as tar:
        member = f"presidio_evaluator-{PRESIDIO_EVALUATOR}/data/synth_dataset_v2.json"
        try:
            records = json.load(tar.extractfile(member))
        except KeyError:
            return f"the source distribution has no {member}"
    out = []
    for r in records:
        spans = [(PRESIDIO_TYPES[s["entity_type"]], s["start_position"], s["end_position"])
                 for s in r["spans"] if s["entity_type"] in PRESIDIO_TYPES]
        others = [(s["entity_type"], s["start_position"], s["end_position"])
                  for s in r["spans"] if s["entity_type"] not in PRESIDIO_TYPES]
        out.append(Labelled(r["full_text"], spans, other=others))
    return out
