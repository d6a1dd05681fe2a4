"""Reference solutions to lesson 06's exercises (notebooks/06_evaluation.ipynb).

In the notebook the basic's two arrays are the evaluation's per-row moderation accuracy
(``ev.scores[system]["moderation"]["accuracy"]``). Here a fixed pair of 0/1 arrays of the same
shape stands in for them, so the solution runs without a model.
"""

import json

import numpy as np

from course_utils import gate, paired_test

CHECKS = {
    "exercise_basic": "check_paired",
    "exercise_variation": "check_gate",
    "exercise_stretch": "check_urgency_metric",
}

# 24 moderation rows: 1 = right label. The adapter is right on 20, base k-shot on 13.
ADAPTER = np.array([1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1], float)
BASE_K_SHOT = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1], float)


def exercise_basic():
    """The paired test, adapter first (returned with the two arrays the check compares)."""
    return paired_test(ADAPTER, BASE_K_SHOT), ADAPTER, BASE_K_SHOT


def my_gate(scores):
    """Stop the pipeline unless the lower end of the adapter's interval clears 0.8."""
    return gate(scores, "adapter", "schema_valid", at_least=0.8, use="low")


def exercise_variation():
    return my_gate


LEVELS = {"low": 0, "medium": 1, "high": 2}


def _urgency(text):
    try:
        obj = json.loads(text)
    except (TypeError, ValueError):
        return None
    return obj.get("urgency") if isinstance(obj, dict) and obj.get("urgency") in LEVELS else None


def urgency_score(outputs, references):
    """1 for the right level, 0.5 one level off, 0 two levels off or unparsable."""
    scores = []
    for out, ref in zip(outputs, references):
        got, want = _urgency(out), _urgency(ref)
        scores.append(0.0 if got is None or want is None
                      else 1.0 - abs(LEVELS[got] - LEVELS[want]) / 2)
    return scores


def exercise_stretch():
    return urgency_score
