"""Reference feature extraction for Keel's prompt-injection classifier.

This module is the specification that
`Sources/KeelGuardrails/PromptInjection/PromptInjectionClassifier.swift`
implements a second time; both must produce the same hashed features for the
same text, so any change here needs the same change there (and retraining).

Pipeline
--------
1. Normalisation (on Unicode scalars):
   a. NFKC (skipped when the text is pure ASCII, where it is the identity);
   b. Unicode tag characters U+E0020..U+E007E are decoded to the ASCII they
      smuggle and appended after the visible text (flag ``tag``); invisible,
      format and bidi-control characters are removed (flag ``invisible``),
      and text after a right-to-left override (U+202E) is reversed back up
      to the next U+202C/U+2069 or the end; C0/C1 controls become spaces;
   c. base64 and hex payloads (runs of 16+ characters of the alphabet) that
      decode to printable ASCII are decoded and appended (flag ``decoded``);
   d. lower-casing (full Unicode mapping);
   e. per whitespace-separated token that contains an ASCII letter:
      Cyrillic/Greek homoglyphs are folded to Latin letters (flag
      ``homoglyph``), then leetspeak digits and symbols are folded
      (0→o 1→i 3→e 4→a 5→s 7→t @→a $→s; flag ``leet``);
   f. tokens are joined with single spaces.
2. Features (on the UTF-8 bytes of the normalised text):
   * character 3-, 4- and 5-grams of ``" " + text + " "``;
   * word unigrams and bigrams, a word being a maximal run of bytes that are
     ASCII letters, ASCII digits or non-ASCII (>= 0x80);
   * the five flags above.
   Every n-gram is hashed with 32-bit FNV-1a (offset basis 2166136261, prime
   16777619), starting from the FNV-1a hash of a one-byte namespace (``c``
   for character n-grams, ``w`` for unigrams, ``b`` for bigrams, whose two
   words are joined by one space) and mapped to a bucket by
   ``(h ^ (h >> 15)) & (2**BITS - 1)``.
3. Texts longer than 1 KB (normalised) are scored in overlapping windows
   (see ``windows``) and the largest logit wins, so an injection inside a
   long document is not diluted by it.
4. Score: ``sigmoid(bias + scale * (C / sqrt(nc) + W / sqrt(nw)) + flags)``
   where C is the sum of the int8 weights of the nc distinct buckets hit by
   character n-grams and W the same for the nw distinct buckets hit by word
   n-grams (binary features, L2-normalised per kind, so repeating a phrase
   does not inflate its score).
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np

BITS = 18
BUCKETS = 1 << BITS
MASK = BUCKETS - 1
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
FLAG_NAMES = ("invisible", "tag", "decoded", "homoglyph", "leet")


def fnv1a(data: bytes, h: int = FNV_OFFSET) -> int:
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFF
    return h


SEED_CHAR = fnv1a(b"c")
SEED_UNIGRAM = fnv1a(b"w")
SEED_BIGRAM = fnv1a(b"b")


def bucket(h: int) -> int:
    return (h ^ (h >> 15)) & MASK


# --- normalisation tables (mirrored in Swift) ---------------------------------

INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)

# Lower-case Cyrillic, Greek and Latin-extension letters that look like ASCII letters.
HOMOGLYPHS = {
    0x0430: "a", 0x0432: "b", 0x0435: "e", 0x0437: "3", 0x043A: "k", 0x043C: "m",
    0x043D: "h", 0x043E: "o", 0x0440: "p", 0x0441: "c", 0x0442: "t", 0x0443: "y",
    0x0445: "x", 0x0455: "s", 0x0456: "i", 0x0457: "i", 0x0458: "j", 0x04BB: "h",
    0x0501: "d", 0x051B: "q", 0x051D: "w", 0x0475: "v", 0x04CF: "l",
    0x03B1: "a", 0x03B2: "b", 0x03B5: "e", 0x03B9: "i", 0x03BA: "k", 0x03BD: "v",
    0x03BF: "o", 0x03C1: "p", 0x03C4: "t", 0x03C5: "u", 0x03C7: "x", 0x03F2: "c",
    0x03F3: "j", 0x0261: "g", 0x0251: "a", 0x0269: "i", 0x026A: "i", 0x0280: "r",
    0x1D00: "a", 0x1D04: "c", 0x1D05: "d", 0x1D07: "e", 0x1D0B: "k", 0x1D0D: "m",
    0x1D0F: "o", 0x1D18: "p", 0x1D1B: "t", 0x1D1C: "u", 0x1D20: "v", 0x1D21: "w",
    0x1D22: "z", 0x0131: "i",
}

LEET = {ord("0"): "o", ord("1"): "i", ord("3"): "e", ord("4"): "a", ord("5"): "s",
        ord("7"): "t", ord("@"): "a", ord("$"): "s"}

WHITESPACE = {0x85, 0x1680, 0x2028, 0x2029}

B64 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
HEX = set(b"0123456789abcdefABCDEF")
MIN_PAYLOAD = 16


def _is_invisible(cp: int) -> bool:
    for lo, hi in INVISIBLE_RANGES:
        if lo <= cp <= hi:
            return True
    return False


def _is_space(cp: int) -> bool:
    return cp <= 0x20 or cp in WHITESPACE


def _is_ascii_letter(cp: int) -> bool:
    return 0x61 <= cp <= 0x7A or 0x41 <= cp <= 0x5A


def _printable(data: bytes) -> bool:
    return all(0x20 <= b <= 0x7E or b in (9, 10, 13) for b in data)


def _decode_run(run: bytes) -> bytes | None:
    """Decode one run of base64-alphabet characters, or None."""
    if len(run) % 2 == 0 and all(b in HEX for b in run):
        out = bytes.fromhex(run.decode("ascii"))
    else:
        body = run.rstrip(b"=")
        if b"=" in body or len(body) % 4 == 1:
            return None
        out = bytearray()
        acc = 0
        nbits = 0
        for c in body:
            acc = ((acc << 6) | B64[c]) & 0xFFFFFF
            nbits += 6
            if nbits >= 8:
                nbits -= 8
                out.append((acc >> nbits) & 0xFF)
        out = bytes(out)
    if len(out) < 8 or not _printable(out):
        return None
    return out


def _payloads(cps: list[int]) -> list[str]:
    """Decoded base64/hex payloads found in the scalar list, in order."""
    found = []
    i = 0
    n = len(cps)
    while i < n:
        c = cps[i]
        if c < 0x80 and c in B64:
            j = i
            while j < n and cps[j] < 0x80 and cps[j] in B64:
                j += 1
            k = j
            while k < n and k - j < 2 and cps[k] == 0x3D:
                k += 1
            if j - i >= MIN_PAYLOAD:
                decoded = _decode_run(bytes(cps[i:k]))
                if decoded is not None:
                    found.append(decoded.decode("ascii"))
            i = k if k > i else i + 1
        else:
            i += 1
    return found


def _clean(text: str, flags: list[int]) -> tuple[list[int], list[int]]:
    """Steps a-b: NFKC, tag decoding, invisible removal, controls to spaces.

    Returns the visible scalars and the scalars smuggled in tag characters.
    Text after a right-to-left override (U+202E) up to the next pop
    (U+202C or U+2069) or the end is stored reversed, so it is reversed back.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    out: list[int] = []
    tags: list[int] = []
    rtl_start = -1
    for ch in text:
        cp = ord(ch)
        if 0xE0020 <= cp <= 0xE007E:
            tags.append(cp - 0xE0000)
            flags[1] = 1
        elif _is_invisible(cp):
            flags[0] = 1
            if cp == 0x202E and rtl_start < 0:
                rtl_start = len(out)
            elif (cp == 0x202C or cp == 0x2069) and rtl_start >= 0:
                out[rtl_start:] = out[rtl_start:][::-1]
                rtl_start = -1
        elif cp < 0x20 or 0x7F <= cp <= 0x9F:
            out.append(0x20)
        else:
            out.append(cp)
    if rtl_start >= 0:
        out[rtl_start:] = out[rtl_start:][::-1]
    return out, tags


def _fold_tokens(cps: list[int], flags: list[int]) -> list[str]:
    tokens = []
    cur: list[int] = []
    for cp in cps + [0x20]:
        if _is_space(cp):
            if cur:
                tokens.append(_fold_token(cur, flags))
                cur = []
        else:
            cur.append(cp)
    return tokens


def _fold_token(tok: list[int], flags: list[int]) -> str:
    if any(_is_ascii_letter(c) for c in tok):
        if any(c in HOMOGLYPHS for c in tok):
            flags[3] = 1
            tok = [ord(HOMOGLYPHS[c]) if c in HOMOGLYPHS else c for c in tok]
        if any(c in LEET for c in tok):
            flags[4] = 1
            tok = [ord(LEET[c]) if c in LEET else c for c in tok]
    return "".join(map(chr, tok))


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalised text and the five flags."""
    flags = [0, 0, 0, 0, 0]
    cps, tags = _clean(text, flags)
    parts = [cps]
    if tags:
        parts.append(tags)
    for payload in _payloads(cps):
        flags[2] = 1
        parts.append(_clean(payload, flags)[0])
    tokens: list[str] = []
    for part in parts:
        lowered = [ord(c) for c in "".join(map(chr, part)).lower()]
        tokens.extend(_fold_tokens(lowered, flags))
    return " ".join(tokens), flags


# --- hashing -------------------------------------------------------------------


def _is_word_byte(b: int) -> bool:
    return b >= 0x80 or 0x61 <= b <= 0x7A or 0x30 <= b <= 0x39


def char_buckets(data: bytes) -> np.ndarray:
    """Buckets of every character 3-, 4- and 5-gram, vectorised with numpy."""
    p = np.frombuffer(b" " + data + b" ", dtype=np.uint8).astype(np.uint64)
    n = len(p)
    out = []
    h = np.full(n, SEED_CHAR, dtype=np.uint64)
    for k in range(5):
        m = n - k
        if m <= 0:
            break
        h = ((h[:m] ^ p[k:k + m]) * FNV_PRIME) & 0xFFFFFFFF
        if k >= 2:
            out.append((h ^ (h >> 15)) & MASK)
    if not out:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


def word_buckets(data: bytes) -> list[int]:
    words = []
    start = -1
    for i, b in enumerate(data):
        if _is_word_byte(b):
            if start < 0:
                start = i
        elif start >= 0:
            words.append(data[start:i])
            start = -1
    if start >= 0:
        words.append(data[start:])
    out = [bucket(fnv1a(w, SEED_UNIGRAM)) for w in words]
    for a, b in zip(words, words[1:]):
        out.append(bucket(fnv1a(b, fnv1a(b" ", fnv1a(a, SEED_BIGRAM)))))
    return out


WINDOW = 768
STRIDE = 512
SINGLE_WINDOW_LIMIT = 1024


def windows(data: bytes) -> list[bytes]:
    """The windows a normalised text is scored in: itself up to SINGLE_WINDOW_LIMIT bytes, else WINDOW-byte
    windows every STRIDE bytes (768 and 512).

    A window start other than 0 moves forward past the next space and a window end other than the text's
    end moves back to the last space, when the window has one, so words are not cut.
    """
    n = len(data)
    if n <= SINGLE_WINDOW_LIMIT:
        return [data]
    out = []
    start = 0
    while True:
        end = min(start + WINDOW, n)
        s = start
        if s > 0:
            sp = data.find(b" ", s, end)
            if sp >= 0:
                s = sp + 1
        e = end
        if e < n:
            sp = data.rfind(b" ", s, e)
            if sp > s:
                e = sp
        out.append(data[s:e])
        if end >= n:
            return out
        start += STRIDE


def features(text: str) -> tuple[np.ndarray, list[int], list[int]]:
    """(character buckets, word buckets, flags) of a whole text, as one window."""
    norm, flags = normalize(text)
    data = norm.encode("utf-8")
    return char_buckets(data), word_buckets(data), flags


def window_features(text: str) -> list[tuple[np.ndarray, list[int], list[int]]]:
    """(character buckets, word buckets, flags) of each window of a text."""
    norm, flags = normalize(text)
    return [(char_buckets(w), word_buckets(w), flags) for w in windows(norm.encode("utf-8"))]


# --- model ---------------------------------------------------------------------


class Model:
    """The quantised model exactly as Swift evaluates it."""

    def __init__(self, weights: np.ndarray, scale: float, bias: float, flag_weights: list[float]):
        assert weights.dtype == np.int8 and len(weights) == BUCKETS
        self.weights = weights
        self.w64 = weights.astype(np.int64)
        self.scale = float(scale)
        self.bias = float(bias)
        self.flag_weights = [float(x) for x in flag_weights]

    def logit(self, text: str) -> float:
        """The largest logit over the text's windows."""
        return max(self._logit(*f) for f in window_features(text))

    def _logit(self, cb: np.ndarray, wb: list[int], flags: list[int]) -> float:
        cu = np.unique(cb)
        wu = np.unique(np.asarray(wb, dtype=np.int64))
        z = self.bias
        if len(cu):
            z += self.scale * (int(self.w64[cu].sum()) / math.sqrt(len(cu)))
        if len(wu):
            z += self.scale * (int(self.w64[wu].sum()) / math.sqrt(len(wu)))
        for f, w in zip(flags, self.flag_weights):
            if f:
                z += w
        return z

    def score(self, text: str) -> float:
        z = self.logit(text)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
