"""Lesson 06: self-checks for the evaluation exercises (basic / variation / stretch).

Each check prints ✓ or ✗ with a hint and returns True/False; none raises on a wrong or missing
answer, so the lesson notebook runs top to bottom as committed. Pure: numpy only.
"""

from __future__ import annotations

from course_utils.exercises.check import pending, verdict

import numpy as np

from course_utils.evaluate.regression_gate import GateError
from course_utils.evaluate.stats import paired_test


def _say(ok: bool, msg: str) -> bool:
    """✓ or ✗ and the message (these checks phrase their own hints)."""
    return verdict(ok, msg, msg)


def check_paired(result, a, b) -> bool | None:
    """Lesson 06, basic: `result` is `paired_test(a, b)` for the two score arrays asked for."""
    if pending(result, hint="a paired comparison needs both systems' scores on the SAME rows, "
                           "in the same order: take both arrays from one evaluation (ev.scores), "
                           "same task and metric, the adapter first."):
        return None
    if not isinstance(result, dict) or "diff" not in result:
        return _say(False, "expected the dict paired_test returns (diff, low, high, p_bootstrap...).")
    want = paired_test(a, b)
    if abs(result["diff"] - want["diff"]) > 1e-12:
        if abs(result["diff"] + want["diff"]) < 1e-12 and want["diff"] != 0:
            return _say(False, "the sign is flipped: pass the adapter's scores first (A - B).")
        return _say(False, f"diff {result['diff']:.3f}, expected {want['diff']:.3f}: use the "
                           "adapter's and the other system's scores on the same metric and task.")
    sig = want["low"] > 0 or want["high"] < 0
    return _say(True, f"difference {want['diff']:+.3f}, 95% CI [{want['low']:+.3f}, {want['high']:+.3f}], "
                      f"p = {want['p_bootstrap']:.3g}: " + ("the interval excludes 0." if sig else
                      "the interval includes 0: these rows cannot tell the two apart."))


def check_gate(fn) -> bool | None:
    """Lesson 06, variation: `fn(scores)` gates a pipeline: raises `GateError` when the
    "adapter" system's triage schema validity has a lower 95% bound below 0.8, passes otherwise."""
    if pending(fn, hint="a gate should stop a system whose score might be below the bar: "
                           "compare the bar with the lower end of the interval, not the mean, "
                           "and raise GateError when it fails."):
        return None
    good = {"adapter": {"schema_valid": np.ones(60)}}
    weak = {"adapter": {"schema_valid": np.array([1.0] * 50 + [0.0] * 10)}}  # 0.83, low bound < 0.8
    bad = {"adapter": {"schema_valid": np.array([1.0] * 30 + [0.0] * 30)}}
    try:
        fn(good)
    except Exception as e:  # noqa: BLE001 - the learner's code may raise anything
        return _say(False, f"a perfect system failed your gate ({type(e).__name__}: {e}).")
    for name, scores, why in (("bad", bad, "a 50% system"),
                              ("weak", weak, "83% on 60 rows (lower bound ~0.73)")):
        try:
            fn(scores)
        except GateError:
            continue
        except Exception as e:  # noqa: BLE001
            return _say(False, f"{why} raised {type(e).__name__}, not GateError: {e}")
        return _say(False, f"{why} passed your gate. Hint: compare the lower bound (use='low').")
    return _say(True, "your gate passes a strong system and stops a weak one, with the numbers.")


def check_urgency_metric(fn) -> bool | None:
    """Lesson 06, stretch: `fn(outputs, references) -> per-example scores` where a reply scores 1
    when its urgency equals the reference, 0.5 when one level away (low/medium/high), and 0 when
    two levels away or when the reply is not a JSON object with a valid urgency."""
    if pending(fn, hint="parse each reply as JSON (json.loads, inside try), put the "
                           "three levels on a scale, and score by how many levels apart the "
                           "reply is from the reference; anything unparsable scores 0."):
        return None
    refs = ['{"urgency":"high"}'] * 5
    outs = ['{"urgency":"high"}', '{"urgency":"medium"}', '{"urgency":"low"}',
            'urgency: high', '{"urgency":"asap"}']
    want = [1.0, 0.5, 0.0, 0.0, 0.0]
    try:
        got = [float(x) for x in fn(outs, refs)]
    except Exception as e:  # noqa: BLE001
        return _say(False, f"your metric raised {type(e).__name__}: {e}")
    if got != want:
        return _say(False, f"scores {got}, expected {want} (replies: {outs}).")
    return _say(True, "partial credit by distance, zero for anything not parsed: a metric from "
                      "parsed outputs.")
