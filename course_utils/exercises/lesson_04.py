"""Lesson 04's exercise checks: a training mix, the curation on data it never saw, and a
curation step of the learner's own.

    basic      a training mix in which task rows are 30 % of all rows
    variation  a fresh raw set (another seed, three times the exact duplicates), curated and
               scored against the truth that came with it
    stretch    a step `drop_shouting(rows) -> (kept, dropped)` in the shape of every curation step

Each check recomputes what it can (the share of task rows, the ids, the scores' consistency
with the truth) and, for a wrong answer, names what went wrong in terms of the lesson: sampling
with replacement, a share counted the wrong way round, a step that keeps too much.

What this leaves out: the reference solutions (``solutions/lesson_04.py`` at the repository
root) and any judgement of code style; a step is judged only by what it keeps and drops.
"""

from __future__ import annotations

from collections import Counter

from course_utils.exercises.check import pending, verdict


def _say(ok: bool, msg: str) -> bool:
    """✓ or ✗ and the message (these checks phrase their own hints)."""
    return verdict(ok, msg, msg)


def check_mix(rows, domain_fraction: float = 0.30, tolerance: float = 0.01) -> bool | None:
    """Lesson 04, basic: a training mix with task rows at `domain_fraction` of all rows."""
    if pending(rows, hint="section 10 builds a mix where task rows are a quarter of the total; "
                          "here they are 30 %: which setting of that step is the share of task "
                          "rows, and which rows go in (the whole train split, the general pool)?"):
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "task" in r for r in rows):
        return _say(False, "expected a list of row dicts, the rows of the mix itself (section 10).")
    ids = Counter(r.get("id") for r in rows)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        return _say(False, f"{len(dup)} ids appear twice (e.g. {dup[0]!r}): a row seen twice is "
                           "trained on twice; draw the general rows without replacement.")
    share = sum(r["task"] != "general" for r in rows) / max(1, len(rows))
    if abs(share - domain_fraction) > tolerance:
        flipped = abs(share - (1 - domain_fraction)) <= tolerance
        return _say(False, f"task rows are {share:.1%} of the mix, not {domain_fraction:.0%}. " + (
            "That is the share of general rows: the setting counts the task (domain) rows."
            if flipped else "The share counts task rows over all rows of the mix, general ones "
                            "included (section 10 prints it per task)."))
    if len(rows) < 1000:
        return _say(False, f"only {len(rows)} rows: start from the whole train split and the whole "
                           "general pool; the mix takes every task row the pool can support.")
    return _say(True, f"{len(rows)} rows, {share:.1%} task data: the mix the seeds suggest.")


def check_rates_experiment(truth, scores, *, rate: float = 0.15, minimum: float = 0.95) -> bool | None:
    """Lesson 04, variation: raw data with `exact_duplicate` at `rate`, curated and scored."""
    if pending(truth, scores, hint=f"make a raw set of your own (another seed than the lesson's "
                                   f"0, an exact_duplicate rate of {rate}), keep the truth that "
                                   "comes with it, curate its rows, and score the curation's "
                                   "report against that truth (section 4)."):
        return None
    try:
        got_rate = truth["rates"]["exact_duplicate"]
        injected = {s["reason"]: s["injected"] for s in scores}
    except (KeyError, TypeError, IndexError):
        return _say(False, "expected the truth dict that comes with the raw rows and the list of "
                           "per-reason scores of section 4.")
    if abs(got_rate - rate) > 1e-9:
        return _say(False, f"the raw data has exact_duplicate rate {got_rate}, not {rate}: the "
                           "rates are a setting of the generator, given per defect.")
    if truth.get("seed") == 0:
        return _say(False, "use another seed than 0, so the data differs from the lesson's: a "
                           "check measured on the data it was tuned on proves little.")
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
    if pending(fn, hint="a step takes rows and returns (kept, dropped), each drop with its "
                        "reason (section 3). Judge only the user's text (section 1 shows how "
                        "to get it from a row): count its letters and, of those, the capitals."):
        return None
    rows, shouting = _shouting_cases()
    try:
        kept, dropped = fn([dict(r) for r in rows])
    except Exception as e:  # noqa: BLE001 - the learner's code: report, do not raise
        return _say(False, f"your step raised {type(e).__name__}: {e}")
    try:
        dropped_ids = {r["id"] for r, _why in dropped}
        kept_ids = [r["id"] for r in kept]
    except (TypeError, ValueError, KeyError):
        return _say(False, "return (kept, dropped) with dropped a list of (row, why) pairs.")
    if kept_ids != [r["id"] for r in rows if r["id"] not in shouting]:
        missed = sorted(shouting - dropped_ids)
        wrong = sorted(dropped_ids - shouting)
        why = ""
        if "s6" in wrong:
            why = " A text without letters has no capitals to shout with: keep it."
        elif "s3" in wrong:
            why = (" A few capitals (ASAP, USB) are not shouting: compare capitals with the "
                   "letters, not with the characters, and ask for more than half.")
        elif missed:
            why = (" Count capitals among letters only: digits, spaces and punctuation are "
                   "neither upper nor lower case.")
        return _say(False, f"missed {missed}, wrongly dropped {wrong} (keep the order of the "
                           f"kept rows).{why}")
    if dropped_ids != shouting:
        return _say(False, "kept rows are right but `dropped` does not list exactly the shouted rows.")
    return _say(True, f"dropped {len(dropped_ids)} shouted rows, kept {len(kept_ids)}.")
