"""Lesson 04: self-checks for the data-curation exercises (basic / variation / stretch).

Each check prints ✓ or ✗ with a hint and returns True/False; none raises on a wrong or
missing answer, so the lesson notebook runs top to bottom as committed.
"""

from __future__ import annotations

from course_utils.exercises.check import pending, verdict

from collections import Counter


def _say(ok: bool, msg: str) -> bool:
    """✓ or ✗ and the message (these checks phrase their own hints)."""
    return verdict(ok, msg, msg)


def check_mix(rows, domain_fraction: float = 0.30, tolerance: float = 0.01) -> bool | None:
    """Lesson 04, basic: a training mix with task rows at `domain_fraction` of all rows."""
    if pending(rows, hint="mix the train split with the general pool at the share asked for; "
                          "sample without replacement and keep the seed fixed."):
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "task" in r for r in rows):
        return _say(False, "expected a list of row dicts (what `mix` returns).")
    ids = Counter(r.get("id") for r in rows)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        return _say(False, f"{len(dup)} ids appear twice (e.g. {dup[0]!r}): sample without "
                           "replacement.")
    share = sum(r["task"] != "general" for r in rows) / max(1, len(rows))
    if abs(share - domain_fraction) > tolerance:
        return _say(False, f"task rows are {share:.1%} of the mix, not {domain_fraction:.0%}. "
                           "Hint: the share of task rows is what `mix` calls domain_fraction.")
    if len(rows) < 1000:
        return _say(False, f"only {len(rows)} rows: use the whole train split and general pool.")
    return _say(True, f"{len(rows)} rows, {share:.1%} task data: the mix the seeds suggest.")


def check_rates_experiment(truth, scores, *, rate: float = 0.15, minimum: float = 0.95) -> bool | None:
    """Lesson 04, variation: raw data with `exact_duplicate` at `rate`, curated and scored."""
    if pending(truth, scores, hint=f"make raw data with another seed and an exact_duplicate rate of "
                                   f"{rate}, curate it, and score the report against the truth "
                                   "that came with the data."):
        return None
    try:
        got_rate = truth["rates"]["exact_duplicate"]
        injected = {s["reason"]: s["injected"] for s in scores}
    except (KeyError, TypeError):
        return _say(False, "expected the truth dict `make_raw` returns and the list "
                           "`score_against_truth` returns.")
    if abs(got_rate - rate) > 1e-9:
        return _say(False, f"the raw data has exact_duplicate rate {got_rate}, not {rate}.")
    if truth.get("seed") == 0:
        return _say(False, "use another seed than 0, so the data differs from the lesson's.")
    if injected.get("exact_duplicate") != len(truth["drop"]["exact_duplicate"]):
        return _say(False, "these scores were not computed against this truth: score the "
                           "curation of the raw rows that came with it.")
    weak = [s["reason"] for s in scores if s["precision"] < minimum or s["recall"] < minimum]
    if weak:
        return _say(False, f"precision or recall below {minimum} for {weak}: look at the "
                           "report's examples for those reasons.")
    return _say(True, f"{injected['exact_duplicate']} exact duplicates injected; every reason "
                      f"scores >= {minimum} on data the pipeline never saw.")


def _shouting_cases() -> tuple[list[dict], set[str]]:
    def row(i, text):
        return {"id": f"s{i}", "task": "triage",
                "messages": [{"role": "user", "content": text},
                             {"role": "assistant", "content": "{}"}]}

    texts = [
        ("MY KETTLE IS BROKEN AND NOBODY ANSWERS!!!", True),
        ("My kettle is broken, order ORD-12345.", False),
        ("WHERE IS ORDER ORD-55555? I PAID ALREADY", True),
        ("Please help ASAP, the USB hub is dead.", False),   # a few capitals are not shouting
        ("NOT HAPPY AT ALL. refund pls", True),              # 13 of 22 letters are capitals
        ("ok", False),
        ("12345 67890", False),                               # no letters at all
        ("Hi! My ORD-12345 BOX IS DAMAGED", True),
    ]
    return [row(i, t) for i, (t, _) in enumerate(texts)], {f"s{i}" for i, (_, s) in enumerate(texts) if s}


def check_shouting_step(fn) -> bool | None:
    """Lesson 04, stretch: a curation step `fn(rows) -> (kept, dropped)` for shouted messages.

    Shouting: more than half of the letters in the user text are capitals (rows without
    letters are not shouting). `dropped` is a list of (row, why) like every step's.
    """
    if pending(fn, hint="count letters with str.isalpha and "
                           "capitals with str.isupper in the user text (`user_text(row)`)."):
        return None
    rows, shouting = _shouting_cases()
    try:
        kept, dropped = fn([dict(r) for r in rows])
    except Exception as e:  # the learner's code: report, do not raise
        return _say(False, f"your step raised {type(e).__name__}: {e}")
    try:
        dropped_ids = {r["id"] for r, _why in dropped}
        kept_ids = [r["id"] for r in kept]
    except (TypeError, ValueError, KeyError):
        return _say(False, "return (kept, dropped) with dropped a list of (row, why) pairs.")
    if kept_ids != [r["id"] for r in rows if r["id"] not in shouting]:
        missed = sorted(shouting - dropped_ids)
        wrong = sorted(dropped_ids - shouting)
        return _say(False, f"missed {missed}, wrongly dropped {wrong} (keep the order of the "
                           "kept rows).")
    if dropped_ids != shouting:
        return _say(False, "kept rows are right but `dropped` does not list exactly the shouted rows.")
    return _say(True, f"dropped {len(dropped_ids)} shouted rows, kept {len(kept_ids)}.")
