"""Lesson 06: task metrics, computed from the *parsed* reply, one value per example (pure:
numpy; no torch).

One value per example, so that intervals and paired tests (`course_utils.evaluate.stats`) can
resample examples:

    triage       json_valid (the whole reply parses as JSON), schema_valid (it also passes
                 data/schemas/triage.schema.json), field_<name> (that field equals the reference;
                 0 when the reply is not a JSON object), exact_match (all five fields equal)
    moderation   format_valid (`label: ...` / `reason: ...` as trained), accuracy (parsed label
                 equals the reference), macro_f1 (a whole-set statistic) and a confusion matrix
    policy_qa    value_correct (the reference value, e.g. "$249" or "30 days", stated as a whole
                 token: "$7" does not match inside "$75"), one_sentence (the trained form)

What this leaves out: model-graded metrics (LLM-as-judge), partial credit inside a field
(a product name one word off scores 0), and searching for JSON inside prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np

from course_utils.tasks import MODERATION_LABELS, TASKS, TRIAGE_FIELDS, answer_problems

# One `label: <x>` line of a moderation reply (the trained form, lesson 05).
MODERATION_LINE = re.compile(r"^\s*label:\s*([a-z_]+)\s*$", re.MULTILINE)
_MISSING = object()  # a field absent from the reply: never equal to a reference value, not even None


def parse_json_object(text: str):
    """Lesson 06. The reply as a JSON value, or None when the whole (stripped) reply is not JSON.

    No searching for a `{...}` inside prose: a reply with text around the JSON is invalid, as it
    would be for the program that consumes it."""
    try:
        return json.loads(text.strip())
    except (json.JSONDecodeError, ValueError):
        return None


def parse_moderation_label(text: str) -> str | None:
    """Lesson 06. The label of a `label: <x>` line when exactly one such line names a known
    label; None otherwise (two different labels is a hedge, not an answer)."""
    labels = set(MODERATION_LINE.findall(text))
    if len(labels) == 1:
        (label,) = labels
        return label if label in MODERATION_LABELS else None
    return None


def value_pattern(value: str) -> re.Pattern:
    """Lesson 06. `value` as a whole token: not preceded or followed by a digit, letter or '.'
    that would make it another number ("$7" is not in "$75", "30 days" not in "130 days")."""
    return re.compile(r"(?<![\w.$])" + re.escape(value) + r"(?![\w]|\.\d)", re.IGNORECASE)


def _check_lengths(outputs, references, what):
    if isinstance(outputs, str):
        raise TypeError(f"outputs: expected a list of replies, got one string ({outputs[:40]!r}); "
                        f"wrap it in a list")
    if len(outputs) != len(references):
        raise ValueError(f"outputs has {len(outputs)} replies but {what} has {len(references)}: "
                         f"score replies for the same examples, in the same order")
    if not len(outputs):
        raise ValueError("outputs is empty: score at least one reply")


def triage_scores(outputs: Sequence[str], references: Sequence[str | dict]) -> dict[str, np.ndarray]:
    """Lesson 06. Per-example 0/1 scores of triage replies against reference answers (JSON text
    or dicts): json_valid, schema_valid, field_<name> for each schema field, exact_match."""
    _check_lengths(outputs, references, "references")
    n = len(outputs)
    out = {k: np.zeros(n) for k in ("json_valid", "schema_valid", "exact_match",
                                    *(f"field_{f}" for f in TRIAGE_FIELDS))}
    for i, (text, ref) in enumerate(zip(outputs, references)):
        if isinstance(ref, str):
            ref_text, ref = ref, parse_json_object(ref)
            if not isinstance(ref, dict):
                raise ValueError(f"references[{i}] is not a JSON object ({ref_text[:60]!r}): pass the "
                                 f"reference answers of triage rows")
        obj = parse_json_object(text)
        out["json_valid"][i] = obj is not None
        out["schema_valid"][i] = obj is not None and not answer_problems("triage", text.strip())
        if isinstance(obj, dict):
            hits = [obj.get(f, _MISSING) == ref.get(f) for f in TRIAGE_FIELDS]
            for f, hit in zip(TRIAGE_FIELDS, hits):
                out[f"field_{f}"][i] = hit
            out["exact_match"][i] = all(hits) and out["schema_valid"][i]
    return out



def moderation_scores(outputs: Sequence[str], labels: Sequence[str]) -> dict[str, np.ndarray]:
    """Lesson 06. Per-example 0/1 scores of moderation replies: format_valid, accuracy."""
    _check_lengths(outputs, labels, "labels")
    bad = [x for x in labels if x not in MODERATION_LABELS]
    if bad:
        raise ValueError(f"labels: {bad[0]!r} is not one of {MODERATION_LABELS}")
    fmt = np.array([not answer_problems("moderation", t.strip()) for t in outputs], dtype=float)
    acc = np.array([parse_moderation_label(t) == y for t, y in zip(outputs, labels)], dtype=float)
    return {"format_valid": fmt, "accuracy": acc}


def confusion_matrix(predicted: Sequence[str | None], labels: Sequence[str],
                     classes: Sequence[str] = MODERATION_LABELS) -> np.ndarray:
    """Lesson 06. Counts [true class, predicted class]; the last column counts unparseable
    replies (predicted None), so every example is counted once."""
    idx = {c: j for j, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes) + 1), dtype=int)
    for p, y in zip(predicted, labels):
        if y not in idx:
            raise ValueError(f"labels: {y!r} is not one of {tuple(classes)}")
        m[idx[y], idx.get(p, len(classes))] += 1
    return m


def macro_f1(predicted: Sequence[str | None], labels: Sequence[str],
             classes: Sequence[str] = MODERATION_LABELS) -> float:
    """Lesson 06. Mean over `classes` of F1 = 2TP / (2TP + FP + FN); an unparseable reply is a
    false negative of its true class. A class absent from both sides is left out of the mean."""
    m = confusion_matrix(predicted, labels, classes)
    k = len(classes)
    f1s = []
    for j in range(k):
        tp = m[j, j]
        fn = m[j, :].sum() - tp
        fp = m[:, j].sum() - tp
        if tp + fn + fp:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def policy_scores(outputs: Sequence[str], values: Sequence[str]) -> dict[str, np.ndarray]:
    """Lesson 06. Per-example 0/1 scores of policy answers: value_correct (the reference value
    stated as a whole token), one_sentence (one sentence ending in '.', no line break)."""
    _check_lengths(outputs, values, "values")
    ok = np.array([bool(value_pattern(v).search(t)) for t, v in zip(outputs, values)], dtype=float)
    one = np.array([bool(re.fullmatch(r"[^\n]{3,300}[.!?]", t.strip()))
                    and len(re.findall(r"[.!?](\s|$)", t.strip())) == 1 for t in outputs], dtype=float)
    return {"value_correct": ok, "one_sentence": one}


def score_rows(task: str, outputs: Sequence[str], rows: Sequence[dict]) -> dict[str, np.ndarray]:
    """Lesson 06. Per-example scores of replies to dataset rows of one task (references taken
    from each row's last assistant message or its meta)."""
    if task not in TASKS:
        raise ValueError(f"task={task!r}: choose one of {TASKS}")
    wrong = [r.get("id") for r in rows if r.get("task") != task]
    if wrong:
        raise ValueError(f"rows {wrong[:3]} are not {task} rows: score one task at a time")
    if task == "triage":
        return triage_scores(outputs, [r["messages"][-1]["content"] for r in rows])
    if task == "moderation":
        return moderation_scores(outputs, [r["meta"]["label"] for r in rows])
    return policy_scores(outputs, [r["meta"]["value"] for r in rows])


# --------------------------------------------------------------------------------------------
# General chat (lesson 06's retention check)

_WORD = re.compile(r"-?\d+(?:\.\d+)?|[a-z]+")
# Words that carry no answer: a reply may phrase around them as it likes.
_FILLER = frozenset("a an the is are it its of and or to in on for this that there these those what which "
                    "who how many much comes first answer word words letter letters i m s number numbers "
                    "alphabetically sort sorted plural".split())


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def general_answer_key(reference: str, prompt: str) -> tuple[str, list[str]]:
    """Lesson 06. What a reply to a general chat row must contain: ("words", tokens) when the
    reference holds answer words the prompt does not (a sum, a capital, "odd"); ("order", tokens)
    when the answer is a choice or an ordering of the prompt's own words (sorting, alphabetical
    order): those words, in the reference's order."""
    asked = set(_tokens(prompt))
    ref = [t for t in _tokens(reference) if t not in _FILLER]
    new = [t for t in dict.fromkeys(ref) if t not in asked]
    if new:
        return "words", new
    order = [t for t in ref if t in asked]
    words = [t for t in order if not _is_number(t)]
    return "order", words or order   # "157 is odd.": the answer is "odd", the number is restated


def _is_number(token: str) -> bool:
    return token[-1].isdigit()


def general_answer_correct(reply: str, reference: str, prompt: str) -> bool:
    """Lesson 06. Whether `reply` answers a general chat row as `reference` does, in any wording:
    every answer word of the reference appears as a whole word ("-23" for "What is 2 minus 25?"),
    or, when the answer is made of the prompt's own words, those words come first and in the
    reference's order ("9, 50, 84"; "Austria" before "France"). `prompt`: the conversation's text
    before the reply (earlier turns included)."""
    kind, key = general_answer_key(reference, prompt)
    got = _tokens(reply)
    if kind == "words":
        return bool(key) and set(key) <= set(got)
    if not key:
        return False
    numeric = _is_number(key[0])
    choices = {t for t in _tokens(prompt) if t not in _FILLER and _is_number(t) == numeric}
    mentioned = [t for t in got if t in choices]
    return mentioned[:len(key)] == key


def general_checkable(row: dict, max_key: int = 2) -> bool:
    """Lesson 06. Whether a general chat row has one checkable answer: at most `max_key` answer
    words (open requests such as "Name 2 colours." or a definition have many right answers)."""
    msgs = row["messages"]
    prompt = " ".join(m["content"] for m in msgs[:-1])
    if msgs[-2]["content"].lower().startswith(("name ", "give me ", "list ")):
        return False
    kind, key = general_answer_key(msgs[-1]["content"], prompt)
    return bool(key) and (kind == "order" or len(key) <= max_key)
