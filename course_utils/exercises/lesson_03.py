"""Lesson 03's exercise checks: a managed fine-tuning quote, GPU-hours on a rented card, and
the break-even volume of self-hosting."""

from __future__ import annotations

from course_utils.exercises.check import close, pending, verdict
from course_utils.plan import costs as C

def check_exercise_03_basic(dollars) -> bool | None:
    """Basic: 20,000 examples x 800 tokens x 2 epochs on Vertex AI, to the cent."""
    hint = "managed_training_quote('Google Vertex AI', 'Gemini fine-tuning', 20_000, 800, epochs=2)"
    if pending(dollars, hint=hint):
        return None
    expected = C.managed_training_quote("Google Vertex AI", "Gemini fine-tuning", 20_000, 800, 2)
    ok = close(dollars, C.cents(expected), 0) or close(dollars, expected, 1e-9)
    return verdict(ok, f"{C.money(expected)} for {20_000 * 800 * 2 / 1e6:.0f}M training tokens.",
                    hint)


def check_exercise_03_variation(hours) -> bool | None:
    """Variation: GPU-hours for the same job, QLoRA on an RTX 4090 at its published throughput."""
    hint = ("training_hours(dataset_tokens(20_000, 800, 2), "
            "throughput_for('RTX 4090', 'qlora').tokens_per_second_per_gpu)")
    if pending(hours, hint=hint):
        return None
    tps = C.throughput_for("RTX 4090", "qlora").tokens_per_second_per_gpu
    expected = C.training_hours(C.dataset_tokens(20_000, 800, 2), tps)
    row = [o for o in C.load_prices() if o.kind == "gpu_rental" and o.item == "RTX 4090"][0]
    cost = C.gpu_training_cost(expected, C.rate_of(row))
    return verdict(close(hours, expected, 0.01),
                    f"{expected:.2f} GPU-hours, {C.money(cost)} at {row.provider}.", hint)


def check_exercise_03_stretch(monthly_queries) -> bool | None:
    """Stretch: break-even volume, RunPod Community H100 all month vs GPT-4o, 1,000 + 300 tokens."""
    hint = ("break_even_monthly_queries(monthly_hosting_cost(<the H100 rate>), "
            "api_cost_per_query_for('OpenAI', 'GPT-4o', 1000, 300))")
    if pending(monthly_queries, hint=hint):
        return None
    rate = C.rate_of(C.find_price("RunPod Community", "H100 80GB"))
    expected = C.break_even_monthly_queries(
        C.monthly_hosting_cost(rate), C.api_cost_per_query_for("OpenAI", "GPT-4o", 1000, 300))
    return verdict(close(monthly_queries, expected, 0.01),
                    f"about {expected:,.0f} queries a month.", hint)
