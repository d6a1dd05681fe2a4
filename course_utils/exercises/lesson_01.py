"""Lesson 01's exercise checks: the decision framework on an insurer's claims assistant.

    basic      the approach and method for the insurer (the five questions, in order)
    variation  the same insurer when the policy wording changes every month
    stretch    the volume from which self-hosting beats the API once retrieval makes every
               query longer

Each check recomputes the answer with the lesson's own functions (`recommend`, the prices file)
and, for a wrong answer, names the question or the concept the answer went wrong on.

What this leaves out: the reference solutions (``solutions/lesson_01.py`` at the repository
root, for instructors) and any grading beyond right or wrong.
"""

from __future__ import annotations

from course_utils.exercises.check import close, diagnose, pending, verdict
from course_utils.plan.decide import default_break_even, load_rules, recommend

# The scenario of lesson 01's exercise: an insurer's claims assistant (the notebook's prose).
SCENARIO_01 = dict(knowledge_stable=True, format_or_style_problem=True, clean_examples=4_000,
                   monthly_queries=50_000, can_run_open_weights=True)
# The stretch: with retrieval, every query sends a policy excerpt along with the question.
STRETCH_01_TOKENS = dict(input_tokens_per_query=2_000, output_tokens_per_query=200)


def _norm(x) -> str:
    return " ".join(str(x).strip().lower().split())


def check_exercise_01_basic(approach, method=None) -> bool | None:
    """Lesson 01, basic: the approach and method `recommend` gives for SCENARIO_01."""
    hint = ("walk the five questions of section 3 in order with the insurer's facts; the first "
            "three decide the approach, questions 4 and 5 decide how to fine-tune.")
    if pending(approach, hint=hint):
        return None
    r = recommend(**SCENARIO_01)
    if _norm(approach) != r.approach:
        if _norm(approach) in ("rag", "rag + fine-tuning"):
            hint = ("question 1: the policy facts are stable, so nothing needs a retrieval "
                    "index here.")
        elif _norm(approach) == "prompting":
            hint = ("questions 2 and 3: prompting keeps drifting from the schema (behaviour), "
                    "and 4,000 clean examples clear the data threshold.")
        return verdict(False, "", hint)
    if _norm(method) != _norm(r.method):
        return verdict(False, "", (
            "the approach is right. The method follows from question 4: compare 50,000 queries a "
            "month with the break-even volume of section 3. Below it, a GPU rented all month "
            "would sit idle most of the time; what bills only for what you use?"))
    return verdict(True, f"{r.summary()}, because of the rules {r.rules}.", hint)


def check_exercise_01_variation(approach) -> bool | None:
    """Lesson 01, variation: the same insurer, but the policy wording changes every month."""
    hint = ("which of the five questions does 'changes every month' answer, and does the "
            "format problem go away?")
    if pending(approach, hint=hint):
        return None
    r = recommend(**{**SCENARIO_01, "knowledge_stable": False})
    if _norm(approach) == "fine-tuning":
        hint = ("question 1: facts that change monthly belong in an index you re-index, not in "
                "weights you retrain.")
    elif _norm(approach) == "rag":
        hint = ("retrieval brings the changing facts, but the answers still drift from the "
                "schema under prompting: what fixes behaviour?")
    return verdict(_norm(approach) == r.approach.lower(),
                   f"{r.approach}: facts go to retrieval, the format to fine-tuning.", hint)


def _stretch_answer() -> float:
    """The stretch's answer: section 3's break-even (the rules' rented GPU against the rules'
    API) for the stretch's longer queries."""
    rules = load_rules()
    return default_break_even({**rules, "break_even": {**rules["break_even"], **STRETCH_01_TOKENS}})


def check_exercise_01_stretch(monthly_queries) -> bool | None:
    """Lesson 01, stretch: the monthly volume from which self-hosting the fine-tune on the
    rented A100 beats prompting GPT-4.1 mini, at 2,000 input + 200 output tokens a query."""
    hint = ("self-hosting costs the same every month however many queries it answers; the API "
            "charges per query. They meet where a month of the GPU (its hourly rate x the hours "
            "in a month) equals the queries x the API's cost of one query, with input and "
            "output tokens priced separately, per million tokens.")
    if pending(monthly_queries, hint=hint):
        return None
    expected = _stretch_answer()
    hint = diagnose(monthly_queries, [
        (default_break_even(), "that is section 3's volume for short 500 + 200-token queries; "
                               "with the policy excerpt each query sends 2,000 tokens in, so it "
                               "costs more on the API."),
        (expected * 1e6, "prices in the table are per million tokens: divide the tokens by one "
                         "million before multiplying by the price."),
        (expected / 1e6, "prices in the table are per million tokens: divide the tokens by one "
                         "million before multiplying by the price."),
    ], hint)
    return verdict(close(monthly_queries, expected, 0.01),
                   f"about {expected:,.0f} queries a month: longer queries make the API dearer "
                   f"per query, so self-hosting pays off at a lower volume "
                   f"({default_break_even():,.0f} for 500 + 200 tokens).", hint)
