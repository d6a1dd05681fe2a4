"""The course's three fine-tuning tasks, defined once: names, labels, system prompts, the triage
schema, and what makes an answer valid.

- ``triage``     a customer message in, a JSON object out (category, product, urgency, order_id,
                 sentiment), checked against ``data/schemas/triage.schema.json``;
- ``moderation`` a forum post in, ``label: <one of four>`` and ``reason: <short>`` out;
- ``policy_qa``  a question about prices and policies in, one sentence out;

plus ``general`` chat rows, mixed in so the model keeps answering other things.

Data generation (lesson 04), metrics (lesson 06) and serving (lesson 07) all read these
definitions from here.

What this leaves out: how rows are generated (`course_utils.dataset.generate`) and scored
(`course_utils.evaluate.metrics`).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Callable

from course_utils.paths import data_path

TASKS = ("triage", "moderation", "policy_qa")
GENERAL = "general"
ALL_TASKS = TASKS + (GENERAL,)

# Short on purpose: the tiny model's tokenizer spends ~2 tokens per word on this vocabulary.
SYSTEM_PROMPTS = {
    "triage": "Triage the ticket as JSON.",
    "moderation": "Moderate this forum post.",
    "policy_qa": "Answer from Nimbus policies.",
}

TRIAGE_CATEGORIES = ("billing", "shipping", "returns", "technical", "account")
TRIAGE_URGENCIES = ("low", "medium", "high")
TRIAGE_SENTIMENTS = ("negative", "neutral", "positive")
TRIAGE_FIELDS = ("category", "product", "urgency", "order_id", "sentiment")
MODERATION_LABELS = ("ok", "spam", "harassment", "scam")

MODERATION_RE = re.compile(r"label: (" + "|".join(MODERATION_LABELS) + r")\nreason: [^\n]{3,80}")
MAX_QA_ANSWER_CHARS = 300


@lru_cache(maxsize=1)
def triage_schema() -> dict:
    """Lesson 04. The JSON Schema of a triage answer (`data/schemas/triage.schema.json`)."""
    path = data_path("schemas", "triage.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _triage_validator() -> Callable[[object], list[str]]:
    """A function obj -> problems, compiled from the shipped schema.

    fastjsonschema (installed with nbformat) compiles the schema to Python in ~20 ms;
    `import jsonschema` costs ~5 s here (its optional rfc3987 format support builds a parser
    at import), so jsonschema is only the fallback, and the tests' reference implementation.
    """
    schema = triage_schema()
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - nbformat always brings it
        import jsonschema

        v = jsonschema.validators.validator_for(schema)(schema)
        return lambda obj: [f"{'/'.join(map(str, e.absolute_path)) or 'top level'}: {e.message}"
                            for e in sorted(v.iter_errors(obj), key=str)]
    check = fastjsonschema.compile(schema)

    def problems(obj) -> list[str]:
        try:
            check(obj)
        except fastjsonschema.JsonSchemaValueException as e:
            return [f"{e.message} (rule '{e.rule}')"]
        return []

    return problems


def answer_problems(task: str, answer: str) -> list[str]:
    """Lesson 04. What is wrong with an assistant answer for `task` ([] when it is valid)."""
    if task == "triage":
        try:
            obj = json.loads(answer)
        except json.JSONDecodeError as e:
            return [f"answer is not JSON ({e.msg} at char {e.pos})"]
        return [f"answer breaks the triage schema: {p}" for p in _triage_validator()(obj)]
    if task == "moderation":
        if not MODERATION_RE.fullmatch(answer):
            return ["answer is not 'label: <" + "|".join(MODERATION_LABELS)
                    + ">\\nreason: <3-80 characters>'"]
        return []
    if task == "policy_qa":
        if len(answer) > MAX_QA_ANSWER_CHARS:
            return [f"answer longer than {MAX_QA_ANSWER_CHARS} characters"]
        return []
    return []
