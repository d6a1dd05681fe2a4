"""Reference solutions to lesson 01's exercises (notebooks/01_should_you_fine_tune.ipynb).

The insurer: stable policy facts, a claim schema that prompting keeps drifting from, 4,000
clean examples, 50,000 queries a month, open weights allowed.
"""

from course_utils import default_break_even, load_rules, recommend

CHECKS = {
    "exercise_basic": "check_exercise_01_basic",
    "exercise_variation": "check_exercise_01_variation",
    "exercise_stretch": "check_exercise_01_stretch",
}

INSURER = dict(knowledge_stable=True, format_or_style_problem=True, clean_examples=4_000,
               monthly_queries=50_000, can_run_open_weights=True)


def exercise_basic():
    """The five questions in order: a format problem with enough data (fine-tuning), and a
    volume below the break-even (a managed API rather than a GPU rented all month)."""
    r = recommend(**INSURER)
    return r.approach, r.method


def exercise_variation():
    """Policy wording that changes monthly: the facts go to retrieval, the format stays a
    fine-tuning problem."""
    return recommend(**{**INSURER, "knowledge_stable": False}).approach


def exercise_stretch():
    """Section 3's break-even (the rules' rented A100 all month against GPT-4.1 mini) with
    2,000 input + 200 output tokens a query."""
    rules = load_rules()
    longer = {**rules["break_even"], "input_tokens_per_query": 2_000,
              "output_tokens_per_query": 200}
    return default_break_even({**rules, "break_even": longer})
