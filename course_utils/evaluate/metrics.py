"""Lesson 06: task metrics, bootstrap intervals, paired tests and a regression gate (pure: numpy,
scipy; no torch).

Every metric is computed from the *parsed* output, one value per example, so that intervals and
paired tests can resample examples:

    triage       json_valid (the whole reply parses as JSON), schema_valid (it also passes
                 data/schemas/triage.schema.json), field_<name> (that field equals the reference;
                 0 when the reply is not a JSON object), exact_match (all five fields equal)
    moderation   format_valid (`label: ...` / `reason: ...` as trained), accuracy (parsed label
                 equals the reference), macro_f1 (a whole-set statistic) and a confusion matrix
    policy_qa    value_correct (the reference value, e.g. "$249" or "30 days", stated as a whole
                 token: "$7" does not match inside "$75"), one_sentence (the trained form)

`bootstrap_ci` gives percentile intervals (Efron & Tibshirani 1993, ch. 13) by resampling
examples; `paired_test` compares two systems on the same examples (paired bootstrap of the
difference, and McNemar's exact test for 0/1 metrics); `gate` raises `GateError`, with the
numbers, when a system is below a threshold or below another system.

What this leaves out: BCa intervals, multiple-comparison corrections (the lesson compares one
pre-registered pair), and model-graded metrics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

import numpy as np

from course_utils.tasks import MODERATION_LABELS, TASKS, TRIAGE_FIELDS, answer_problems

# The schema's "required" list (data/schemas/triage.schema.json), written out so importing this
# module reads no file; tests/test_metrics.py checks the two agree.
MODERATION_LINE = re.compile(r"^\s*label:\s*([a-z_]+)\s*$", re.MULTILINE)


# --------------------------------------------------------------------------------------------
# Parsing and per-example scores


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


_MISSING = object()


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
# Uncertainty


def _rng(seed):
    return np.random.default_rng(seed)


def bootstrap_ci(values=None, *, statistic: Callable[[np.ndarray], float] | None = None, n: int | None = None,
                 n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Lesson 06. (estimate, low, high): a percentile bootstrap interval.

    Either `values` (one number per example; the statistic is their mean, resampled in one
    vectorised step) or `statistic(indices) -> float` with `n` examples (for whole-set metrics
    such as macro-F1)."""
    if not 0 < level < 1:
        raise ValueError(f"level={level}: a confidence level between 0 and 1, e.g. 0.95")
    if n_boot < 100:
        raise ValueError(f"n_boot={n_boot}: use at least 100 resamples (2000 is the default)")
    rng = _rng(seed)
    a = (1 - level) / 2
    if values is not None:
        v = np.asarray(values, dtype=float)
        if v.ndim != 1 or not len(v):
            raise ValueError(f"values: expected a non-empty 1-D list of per-example scores, got shape {v.shape}")
        idx = rng.integers(0, len(v), size=(n_boot, len(v)))
        boots = v[idx].mean(axis=1)
        est = float(v.mean())
    else:
        if statistic is None or not n:
            raise ValueError("bootstrap_ci: pass values=..., or statistic=... with n=<number of examples>")
        est = float(statistic(np.arange(n)))
        boots = np.array([statistic(rng.integers(0, n, size=n)) for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [a, 1 - a])
    return est, float(lo), float(hi)


def mcnemar_exact(a, b) -> dict:
    """Lesson 06. McNemar's exact test of two systems' 0/1 scores on the same examples: only
    the discordant pairs count (b01: only B right, b10: only A right); two-sided binomial p."""
    from scipy.stats import binomtest

    a, b = np.asarray(a), np.asarray(b)
    if not set(np.unique(np.concatenate([a, b]))) <= {0, 1}:
        raise ValueError("mcnemar_exact needs 0/1 scores per example (e.g. accuracy, exact_match)")
    b10 = int(((a == 1) & (b == 0)).sum())
    b01 = int(((a == 0) & (b == 1)).sum())
    p = 1.0 if b10 + b01 == 0 else float(binomtest(b10, b10 + b01, 0.5).pvalue)
    return {"only_a": b10, "only_b": b01, "p_value": p}


def paired_test(a, b, *, n_boot: int = 5000, level: float = 0.95, seed: int = 0) -> dict:
    """Lesson 06. System A vs system B on the same examples: mean difference A - B with a
    paired-bootstrap interval and two-sided p-value (share of resampled differences on the
    other side of zero, doubled), plus McNemar's exact test when the scores are 0/1."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"paired_test needs two score lists for the same examples; got shapes "
                         f"{a.shape} and {b.shape}")
    d = a - b
    rng = _rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
    if d.mean() == 0 and not boots.any():
        p = 1.0
    else:
        side = (boots <= 0).mean() if d.mean() > 0 else (boots >= 0).mean()
        p = float(min(1.0, 2 * max(side, 1 / n_boot)))
    res = {"diff": float(d.mean()), "low": float(lo), "high": float(hi), "p_bootstrap": p, "n": len(d)}
    if set(np.unique(np.concatenate([a, b]))) <= {0.0, 1.0}:
        res["mcnemar"] = mcnemar_exact(a.astype(int), b.astype(int))
    return res


# --------------------------------------------------------------------------------------------
# Regression gate


class GateError(AssertionError):
    """Lesson 06. A system failed the regression gate; the message holds the numbers."""


def gate(scores: dict, system: str, metric: str, *, at_least: float | None = None,
         beats: str | None = None, margin: float = 0.0, use: str = "estimate") -> str:
    """Lesson 06. Fail (raise `GateError`) when `system`'s `metric` is below `at_least`, or
    below the score of system `beats` plus `margin`. `scores[system][metric]` is
    a list of per-example scores (or a single number). `use="low"` compares the lower end of
    the 95% bootstrap interval (a stricter gate: the data must show it). Returns a one-line
    report when the gate passes."""
    if at_least is None and beats is None:
        raise ValueError("gate: pass at_least=<threshold> and/or beats=<other system>")
    if use not in ("estimate", "low"):
        raise ValueError(f"gate(use={use!r}): choose 'estimate' or 'low'")
    for name in [system] + ([beats] if beats else []):
        if name not in scores:
            raise KeyError(f"gate: system {name!r} not in scores; systems: {sorted(scores)}")
        if metric not in scores[name]:
            raise KeyError(f"gate: metric {metric!r} not scored for {name!r}; metrics: {sorted(scores[name])}")

    def value(name):
        v = np.atleast_1d(np.asarray(scores[name][metric], dtype=float))
        if use == "low" and len(v) > 1:
            return bootstrap_ci(v)[1]
        return float(v.mean())

    mine, what = value(system), ("lower 95% bound" if use == "low" else "score")
    report = [f"{system} {metric} {what} {mine:.3f}"]
    if at_least is not None:
        if mine < at_least:
            raise GateError(f"{system}: {metric} {what} {mine:.3f} is below the threshold {at_least:.3f} "
                            f"(short by {at_least - mine:.3f})")
        report.append(f">= {at_least:.3f}")
    if beats is not None:
        theirs = float(np.mean(np.asarray(scores[beats][metric], dtype=float)))
        if mine < theirs + margin:
            raise GateError(f"{system}: {metric} {what} {mine:.3f} is not above {beats}'s {theirs:.3f} "
                            f"+ margin {margin:.3f} = {theirs + margin:.3f}")
        report.append(f">= {beats} {theirs:.3f} + {margin:.3f}")
    return "✓ gate passed: " + " ".join(report)
