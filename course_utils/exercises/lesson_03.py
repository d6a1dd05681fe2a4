"""Lesson 03's exercise checks: a managed fine-tuning bill, GPU-hours on a rented card, and the
same run on a spot instance.

    basic      20,000 examples x 800 tokens x 2 epochs on Vertex AI (Gemini), to the cent
    variation  GPU-hours of the same job as QLoRA on an RTX 4090 at its published throughput
    stretch    the same job as QLoRA on the RunPod Community A100, on spot: low and high cost

Each check recomputes the answer from the prices and throughput files and, for a wrong number,
names the mistake it matches when it matches one (one epoch instead of two, seconds for hours,
LoRA's throughput for QLoRA's, a price per million read as per token, spot without overhead).

What this leaves out: the reference solutions (``solutions/lesson_03.py`` at the repository
root) and the calculators, which a learner may use to find the answers.
"""

from __future__ import annotations

from course_utils.exercises.check import close, diagnose, number, pending, verdict
from course_utils.plan.costs.amounts import cents, low_high, money, rate_of
from course_utils.plan.costs.spot import spot_training_cost, training_steps
from course_utils.plan.costs.throughput import throughput_for
from course_utils.plan.costs.training import (dataset_tokens, gpu_training_cost,
                                              managed_training_quote, training_hours)
from course_utils.plan.prices import find_price

# The job of every tier: 20,000 examples x 800 tokens x 2 epochs = 32M training tokens.
JOB_03 = dict(num_examples=20_000, avg_tokens=800, epochs=2)
VERTEX = ("Google Vertex AI", "Gemini fine-tuning")
RTX_4090 = ("RunPod spot to on-demand", "RTX 4090")
A100 = ("RunPod Community", "A100 80GB")
# The stretch's spot run: 8 examples per optimizer step, 30 s to save a checkpoint, 1 to 3
# preemptions; the discount and the checkpoint interval are the seeds' (the defaults).
STRETCH_03 = dict(examples_per_step=8, save_seconds=30, preemptions=(1, 3))


def _tokens() -> float:
    return dataset_tokens(JOB_03["num_examples"], JOB_03["avg_tokens"], JOB_03["epochs"])


def check_exercise_03_basic(dollars) -> bool | None:
    """Lesson 03, basic: 20,000 examples x 800 tokens x 2 epochs on Vertex AI, to the cent."""
    hint = ("a managed API bills training tokens: examples x tokens per example x epochs, "
            "priced per million training tokens at the provider's row of the prices table "
            "(section 1).")
    if pending(dollars, hint=hint):
        return None
    expected = managed_training_quote(*VERTEX, **JOB_03)
    together = managed_training_quote("Together AI", "Open-weight 7B fine-tuning", **JOB_03)
    hint = diagnose(dollars, [
        (expected / 2, "two epochs: every example is trained on twice."),
        (expected * 1e6, "the price is per million training tokens, not per token."),
        (together, "that is Together AI's price; the question is about Vertex AI's row."),
    ], hint)
    x = number(dollars)
    ok = x is not None and abs(x - expected) <= 0.005  # to the cent
    return verdict(ok, f"{money(cents(expected))} for {_tokens() / 1e6:.0f}M training tokens.",
                   hint)


def check_exercise_03_variation(hours) -> bool | None:
    """Lesson 03, variation: GPU-hours for the same job, QLoRA on an RTX 4090 at its published
    throughput."""
    hint = ("hours = training tokens / tokens per second / 3,600, with the RTX 4090's published "
            "QLoRA throughput (section 3, data/throughput.csv).")
    if pending(hours, hint=hint):
        return None
    tps = throughput_for(RTX_4090[1], "qlora").tokens_per_second_per_gpu
    expected = training_hours(_tokens(), tps)
    lora = training_hours(_tokens(), throughput_for(RTX_4090[1], "lora").tokens_per_second_per_gpu)
    hint = diagnose(hours, [
        (expected * 3600, "that is seconds: divide by 3,600 for hours."),
        (expected / 2, "two epochs: the job is 32M tokens, not 16M."),
        (lora, "that is LoRA's throughput; the run is QLoRA, a little slower."),
    ], hint)
    cost = gpu_training_cost(expected, rate_of(find_price(*RTX_4090)))
    return verdict(close(hours, expected, 0.01),
                   f"{expected:.2f} GPU-hours, {money(cost)} at {RTX_4090[0]}.", hint)


def _stretch_estimate():
    """The stretch's spot estimate (`SpotEstimate`), from the prices and throughput files."""
    hours = training_hours(_tokens(), throughput_for(A100[1], "qlora").tokens_per_second_per_gpu)
    steps = training_steps(JOB_03["num_examples"], STRETCH_03["examples_per_step"],
                           JOB_03["epochs"])
    return spot_training_cost(hours, rate_of(find_price(*A100)), steps,
                              STRETCH_03["save_seconds"], STRETCH_03["preemptions"])


def check_exercise_03_stretch(low_dollars, high_dollars) -> bool | None:
    """Lesson 03, stretch: the basic's job as QLoRA on the RunPod Community A100, on spot at the
    seeds' discount and checkpoint interval, 8 examples a step, 30 s a save, 1-3 preemptions:
    the cost's low and high ends."""
    hint = ("a spot GPU is the on-demand one at a discount, but the run takes longer: every "
            "checkpoint costs its save time, and every preemption loses, on average, half a "
            "checkpoint interval of steps. Work out the hours at both ends of the interval and "
            "of the preemptions; the low end pairs the shortest run with the largest discount, "
            "the high end the longest with the smallest.")
    if pending(low_dollars, high_dollars, hint=hint):
        return None
    est = _stretch_estimate()
    h_low, (r_low, r_high) = low_high(est.on_demand_hours)[0], low_high(est.on_demand_cost)
    no_overhead = (r_low * (1 - est.discount.high), r_high * (1 - est.discount.low))
    if close(low_dollars, no_overhead[0], 0.01) or close(high_dollars, no_overhead[1], 0.01):
        hint = ("that is the on-demand run at the spot discount, but on spot the run is longer: "
                "add the checkpoint saves and the work preemptions throw away, then price "
                "the longer hours.")
    elif close(low_dollars, est.cost.high, 0.01) and close(high_dollars, est.cost.low, 0.01):
        hint = "the two ends are swapped: the low end first."
    ok = close(low_dollars, est.cost.low, 0.01) and close(high_dollars, est.cost.high, 0.01)
    return verdict(ok, (f"{money(est.cost)} on spot against {money(est.on_demand_cost)} on "
                        f"demand: {est.steps:,} steps, {est.hours.low:.2f}–{est.hours.high:.2f} "
                        f"GPU-hours instead of {h_low:.2f}."), hint)
