"""Lesson 01's exercise checks: the decision framework on an insurer's claims assistant."""

from __future__ import annotations

from course_utils.exercises.check import close, pending, verdict
from course_utils.plan import decide as D

# The scenario of lesson 01's exercise: an insurer's claims assistant.
SCENARIO_01 = dict(knowledge_stable=True, format_or_style_problem=True, clean_examples=4_000,
                   monthly_queries=50_000, can_run_open_weights=True)


def check_exercise_01_basic(approach, method=None) -> bool | None:
    """Basic: the approach and method `recommend` gives for SCENARIO_01."""
    hint = ("walk the five questions in order; at 50,000 queries a month, compare the volume "
            "with the break-even the wizard draws.")
    if pending(approach, hint=hint):
        return None
    r = D.recommend(**SCENARIO_01)
    ok = (str(approach).strip().lower() == r.approach.lower()
          and str(method).strip().lower() == str(r.method).lower())
    return verdict(ok, f"{r.summary()} — because of the rules {r.rules}.", hint)


def check_exercise_01_variation(approach) -> bool | None:
    """Variation: the same insurer, but policy wording changes every month."""
    hint = "which question does 'changes every month' answer, and what does it add?"
    if pending(approach, hint=hint):
        return None
    r = D.recommend(**{**SCENARIO_01, "knowledge_stable": False})
    ok = str(approach).strip().lower() == r.approach.lower()
    return verdict(ok, f"{r.approach}: facts go to retrieval, the format to fine-tuning.", hint)


def check_exercise_01_stretch(monthly_queries) -> bool | None:
    """Stretch: the monthly volume from which self-hosting on a rented A100 beats the API."""
    hint = ("monthly_hosting_cost(<the A100's hourly rate>) / "
            "api_cost_per_query_for('OpenAI', 'GPT-4.1 mini', 500, 200) — or read it off the "
            "wizard's plot.")
    if pending(monthly_queries, hint=hint):
        return None
    expected = D.default_break_even()
    return verdict(close(monthly_queries, expected, 0.01),
                    f"about {expected:,.0f} queries a month.", hint)
