"""Lesson 06's exercise checks: a paired comparison read the right way round, a regression
gate that a lucky small sample cannot pass, and a metric with partial credit.

    basic      the paired test of the adapter against base k-shot on moderation accuracy
    variation  a gate `my_gate(scores)` that stops a system whose schema validity might be
               below 0.8
    stretch    `urgency_score(outputs, references)`: 1, 0.5 or 0 by how far the urgency is off

Each check recomputes the answer (the paired test on the same two arrays) or runs the learner's
function on cases built to tell right from nearly right (a system at 83 % on 60 rows, replies
one and two levels off, replies that do not parse), and names the concept a wrong answer missed.
Pure: numpy only.

What this leaves out: the reference solutions (``solutions/lesson_06.py`` at the repository
root) and any evaluation of a model: the checks take scores and functions.
"""

from __future__ import annotations

import numpy as np

from course_utils.evaluate.regression_gate import GateError
from course_utils.evaluate.stats import paired_test
from course_utils.exercises.check import pending, verdict


def _say(ok: bool, msg: str) -> bool:
    """✓ or ✗ and the message (these checks phrase their own hints)."""
    return verdict(ok, msg, msg)


def check_paired(result, a, b) -> bool | None:
    """Lesson 06, basic: `result` is the paired test of `a` (the adapter) against `b`."""
    if pending(result, hint="a paired comparison needs both systems' scores on the SAME rows, "
                            "in the same order (section 5 explains why pairing narrows the "
                            "interval): compare the adapter with base k-shot on moderation "
                            "accuracy, the adapter first, and read whether 0 is in the interval."):
        return None
    if not isinstance(result, dict) or "diff" not in result:
        return _say(False, "expected the dict section 5's paired test returns (diff, low, high, "
                           "p_bootstrap...), not a number or a table.")
    want = paired_test(a, b)
    if abs(result["diff"] - want["diff"]) > 1e-12:
        if abs(result["diff"] + want["diff"]) < 1e-12 and want["diff"] != 0:
            return _say(False, "the sign is flipped: the difference is A - B, and a positive "
                               "one should mean the adapter is better, so the adapter goes first.")
        return _say(False, f"diff {result['diff']:.3f}, expected {want['diff']:.3f}: use the "
                           "adapter's and base k-shot's scores on moderation accuracy, the "
                           "arrays the cell passes to the check.")
    if any(abs(result.get(k, float("nan")) - want[k]) > 1e-12 for k in ("low", "high")):
        return _say(False, "the difference is right but not the interval: the rows were not "
                           "paired. Row i of both arrays must be the same question, in the same "
                           "order; the pairing is what narrows the interval.")
    sig = want["low"] > 0 or want["high"] < 0
    return _say(True, f"difference {want['diff']:+.3f}, 95% CI [{want['low']:+.3f}, {want['high']:+.3f}], "
                      f"p = {want['p_bootstrap']:.3g}: " + ("the interval excludes 0." if sig else
                      "the interval includes 0: these rows cannot tell the two apart."))


def check_gate(fn) -> bool | None:
    """Lesson 06, variation: `fn(scores)` gates a pipeline: raises `GateError` when the
    "adapter" system's triage schema validity has a lower 95% bound below 0.8, passes otherwise."""
    if pending(fn, hint="a gate should stop a system whose score might be below the bar: "
                        "compare the bar with the lower end of the interval, not the mean, "
                        "and let the gate's error stop the pipeline (section 7)."):
        return None
    good = {"adapter": {"schema_valid": np.ones(60)}}
    weak = {"adapter": {"schema_valid": np.array([1.0] * 50 + [0.0] * 10)}}  # 0.83, low bound < 0.8
    bad = {"adapter": {"schema_valid": np.array([1.0] * 30 + [0.0] * 30)}}
    try:
        fn(good)
    except Exception as e:  # noqa: BLE001 - the learner's code may raise anything
        return _say(False, f"a perfect system failed your gate ({type(e).__name__}: {e}).")
    for scores, why in ((bad, "a 50% system"), (weak, "83% on 60 rows (lower bound ~0.73)")):
        try:
            fn(scores)
        except GateError:
            continue
        except Exception as e:  # noqa: BLE001
            return _say(False, f"{why} raised {type(e).__name__}, not GateError: {e}")
        return _say(False, f"{why} passed your gate. A mean of 0.83 clears 0.8, but on 60 rows "
                           "the truth could be 0.73: gate on the interval's lower end, which "
                           "section 7 shows as an option of the gate.")
    return _say(True, "your gate passes a strong system and stops a weak one, with the numbers.")


def check_urgency_metric(fn) -> bool | None:
    """Lesson 06, stretch: `fn(outputs, references) -> per-example scores` where a reply scores 1
    when its urgency equals the reference, 0.5 when one level away (low/medium/high), and 0 when
    two levels away or when the reply is not a JSON object with a valid urgency."""
    if pending(fn, hint="parse each reply as a JSON object (section 2's metrics do), put the "
                        "three levels on a scale, and score by how many levels apart the "
                        "reply is from the reference; anything unparsable scores 0."):
        return None
    refs = ['{"urgency":"high"}'] * 6
    outs = ['{"urgency":"high"}', '{"urgency":"medium"}', '{"urgency":"low"}',
            'urgency: high', '{"urgency":"asap"}', '["high"]']
    want = [1.0, 0.5, 0.0, 0.0, 0.0, 0.0]
    try:
        got = [float(x) for x in fn(outs, refs)]
    except Exception as e:  # noqa: BLE001
        return _say(False, f"your metric raised {type(e).__name__}: {e}. A reply that does not "
                           "parse, or parses to something else than an object, scores 0.")
    if got != want:
        return _say(False, f"scores {got}, expected {want} (replies: {outs}): one level off is "
                           "half right, two levels off or unreadable is wrong.")
    return _say(True, "partial credit by distance, zero for anything not parsed: a metric from "
                      "parsed outputs.")
