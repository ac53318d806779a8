#!/usr/bin/env python3
"""Runs the parts of LLM Guard (PyPI `llm-guard`) that work offline on texts read as JSON lines
({"text": ...}) from standard input, printing one JSON line per text.

    llm_guard_run.py secrets   -> {"flagged": bool, "types": [...]}
    llm_guard_run.py pii       -> {"findings": [{"type", "start", "end", "score"}]}

`secrets` is LLM Guard's `Secrets` input scanner as shipped (detect-secrets with its plugins).

`pii` is the rule-based part of LLM Guard's `Anonymize` scanner: presidio-analyzer's predefined
recognizers plus LLM Guard's default regular expressions, each called directly. The rest of
`Anonymize` cannot run here: it needs spaCy's `en_core_web_sm` (downloaded at run time, not from
PyPI) for tokens and context words, and a Hugging Face NER model. So presidio's context
enhancement does not happen, and scores are the recognizers' base scores.

The package's `__init__` modules import every scanner, and so torch and transformers; the scanner
modules are loaded without them by registering the two package modules by hand.

Run it with the interpreter of a virtual environment holding `llm-guard` (without dependencies),
`bc-detect-secrets`, `presidio-anonymizer`, `presidio-analyzer` and `structlog`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import pathlib
import sys
import types

# LLM Guard / presidio entity names -> Keel's.
TYPE_MAP = {
    "EMAIL_ADDRESS": "EMAIL", "EMAIL_ADDRESS_RE": "EMAIL",
    "PHONE_NUMBER": "PHONE", "PHONE_NUMBER_WITH_EXT": "PHONE",
    "US_SSN": "US_SSN", "US_SSN_RE": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD", "CREDIT_CARD_RE": "CREDIT_CARD",
    "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP_ADDRESS",
}


def _bare_packages() -> None:
    spec = importlib.util.find_spec("llm_guard")
    root = pathlib.Path(spec.origin).parent
    for name, path in [("llm_guard", root), ("llm_guard.input_scanners", root / "input_scanners"),
                       ("llm_guard.input_scanners.anonymize_helpers", root / "input_scanners" / "anonymize_helpers")]:
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module


def secrets_scanner():
    from llm_guard.input_scanners.secrets import Secrets

    scanner = Secrets(redact_mode="all")

    def run(text: str) -> dict:
        sanitized, valid, _ = scanner.scan(text)
        return {"flagged": not valid, "sanitized": sanitized}

    return run


def pii_recognizers():
    from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.pattern import Pattern

    from llm_guard.input_scanners.anonymize_helpers.regex_patterns import DEFAULT_REGEX_PATTERNS

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    recognizers = [r for r in registry.recognizers
                   if any(e in TYPE_MAP for e in r.supported_entities) and type(r).__name__ != "SpacyRecognizer"]
    for group in DEFAULT_REGEX_PATTERNS:
        if group["name"] in TYPE_MAP and "en" in group.get("languages", []) and group.get("expressions"):
            recognizers.append(PatternRecognizer(
                supported_entity=group["name"], supported_language="en",
                patterns=[Pattern(name=group["name"], regex=e, score=group["score"]) for e in group["expressions"]],
                context=group["context"]))
    print("recognizers: " + ", ".join(sorted(f"{type(r).__name__}({'/'.join(r.supported_entities)})" for r in recognizers)),
          file=sys.stderr)

    def run(text: str) -> dict:
        results = []
        for r in recognizers:
            for res in r.analyze(text, entities=list(r.supported_entities), nlp_artifacts=None) or []:
                res.entity_type = TYPE_MAP[res.entity_type]
                results.append(res)
        # As AnalyzerEngine does: overlapping results of one type keep the higher score.
        results = EntityRecognizer.remove_duplicates(results)
        return {"findings": [{"type": r.entity_type, "start": r.start, "end": r.end, "score": r.score} for r in results]}

    return run


def main() -> None:
    logging.disable(logging.WARNING)
    _bare_packages()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    mode = sys.argv[1]
    run = secrets_scanner() if mode == "secrets" else pii_recognizers()
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line)["text"])), flush=False)


if __name__ == "__main__":
    main()
