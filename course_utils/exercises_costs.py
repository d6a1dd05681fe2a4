"""Self-checks for the exercises of lessons 01 and 03.

Each `check_...` recomputes the answer with the course's own functions (so it follows the
data files), prints ✓ / ✗ with a hint, and returns True / False — or None, with a reminder,
while the answer is still the placeholder `None`. None of them raises on a wrong answer.
"""

from __future__ import annotations

from course_utils import costs as C
from course_utils import decide as D

# The scenario of lesson 01's exercise: an insurer's claims assistant.
SCENARIO_01 = dict(knowledge_stable=True, format_or_style_problem=True, clean_examples=4_000,
                   monthly_queries=50_000, can_run_open_weights=True)


def _placeholder(answer, hint: str) -> bool:
    if answer is None:
        print(f"◻ Not answered yet. Hint: {hint}")
        return True
    return False


def _close(answer, expected: float, rel: float) -> bool:
    try:
        return abs(float(answer) - expected) <= rel * abs(expected)
    except (TypeError, ValueError):
        return False


def _verdict(ok: bool, good: str, hint: str) -> bool:
    print(f"✓ {good}" if ok else f"✗ Not quite. Hint: {hint}")
    return ok


# --- lesson 01 ------------------------------------------------------------------------------

def check_exercise_01_basic(approach, method=None) -> bool | None:
    """Basic: the approach and method `recommend` gives for SCENARIO_01."""
    hint = ("walk the five questions in order; at 50,000 queries a month, compare the volume "
            "with the break-even the wizard draws.")
    if _placeholder(approach, hint):
        return None
    r = D.recommend(**SCENARIO_01)
    ok = (str(approach).strip().lower() == r.approach.lower()
          and str(method).strip().lower() == str(r.method).lower())
    return _verdict(ok, f"{r.summary()} — because of the rules {r.rules}.", hint)


def check_exercise_01_variation(approach) -> bool | None:
    """Variation: the same insurer, but policy wording changes every month."""
    hint = "which question does 'changes every month' answer, and what does it add?"
    if _placeholder(approach, hint):
        return None
    r = D.recommend(**{**SCENARIO_01, "knowledge_stable": False})
    ok = str(approach).strip().lower() == r.approach.lower()
    return _verdict(ok, f"{r.approach}: facts go to retrieval, the format to fine-tuning.", hint)


def check_exercise_01_stretch(monthly_queries) -> bool | None:
    """Stretch: the monthly volume from which self-hosting on a rented A100 beats the API."""
    hint = ("monthly_hosting_cost(<the A100's hourly rate>) / "
            "api_cost_per_query_for('OpenAI', 'GPT-4.1 mini', 500, 200) — or read it off the "
            "wizard's plot.")
    if _placeholder(monthly_queries, hint):
        return None
    expected = D.default_break_even()
    return _verdict(_close(monthly_queries, expected, 0.01),
                    f"about {expected:,.0f} queries a month.", hint)


# --- lesson 03 ------------------------------------------------------------------------------

def check_exercise_03_basic(dollars) -> bool | None:
    """Basic: 20,000 examples x 800 tokens x 2 epochs on Vertex AI, to the cent."""
    hint = "managed_training_quote('Google Vertex AI', 'Gemini fine-tuning', 20_000, 800, epochs=2)"
    if _placeholder(dollars, hint):
        return None
    expected = C.managed_training_quote("Google Vertex AI", "Gemini fine-tuning", 20_000, 800, 2)
    ok = _close(dollars, C.cents(expected), 0) or _close(dollars, expected, 1e-9)
    return _verdict(ok, f"{C.money(expected)} for {20_000 * 800 * 2 / 1e6:.0f}M training tokens.",
                    hint)


def check_exercise_03_variation(hours) -> bool | None:
    """Variation: GPU-hours for the same job, QLoRA on an RTX 4090 at its published throughput."""
    hint = ("training_hours(dataset_tokens(20_000, 800, 2), "
            "throughput_for('RTX 4090', 'qlora').tokens_per_second_per_gpu)")
    if _placeholder(hours, hint):
        return None
    tps = C.throughput_for("RTX 4090", "qlora").tokens_per_second_per_gpu
    expected = C.training_hours(C.dataset_tokens(20_000, 800, 2), tps)
    row = [o for o in C.load_prices() if o.kind == "gpu_rental" and o.item == "RTX 4090"][0]
    cost = C.gpu_training_cost(expected, C.rate_of(row))
    return _verdict(_close(hours, expected, 0.01),
                    f"{expected:.2f} GPU-hours, {C.money(cost)} at {row.provider}.", hint)


def check_exercise_03_stretch(monthly_queries) -> bool | None:
    """Stretch: break-even volume, RunPod Community H100 all month vs GPT-4o, 1,000 + 300 tokens."""
    hint = ("break_even_monthly_queries(monthly_hosting_cost(<the H100 rate>), "
            "api_cost_per_query_for('OpenAI', 'GPT-4o', 1000, 300))")
    if _placeholder(monthly_queries, hint):
        return None
    rate = C.rate_of(C.find_price("RunPod Community", "H100 80GB"))
    expected = C.break_even_monthly_queries(
        C.monthly_hosting_cost(rate), C.api_cost_per_query_for("OpenAI", "GPT-4o", 1000, 300))
    return _verdict(_close(monthly_queries, expected, 0.01),
                    f"about {expected:,.0f} queries a month.", hint)
