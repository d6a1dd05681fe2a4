"""Reference solutions to lesson 03's exercises (notebooks/03_costs.ipynb).

One job throughout: 20,000 examples x 800 tokens x 2 epochs (32M training tokens).
"""

from course_utils import (dataset_tokens, find_price, managed_training_cost, rate_of,
                          spot_training_cost, throughput_for, training_hours, training_steps)

CHECKS = {
    "exercise_basic": "check_exercise_03_basic",
    "exercise_variation": "check_exercise_03_variation",
    "exercise_stretch": "check_exercise_03_stretch",
}

EXAMPLES, TOKENS, EPOCHS = 20_000, 800, 2


def exercise_basic():
    """Vertex AI bills every training token: 32M tokens at its price per million."""
    price = rate_of(find_price("Google Vertex AI", "Gemini fine-tuning"))
    return round(managed_training_cost(EXAMPLES, TOKENS, price, epochs=EPOCHS), 2)


def exercise_variation():
    """32M tokens at the RTX 4090's published QLoRA throughput."""
    tps = throughput_for("RTX 4090", "qlora").tokens_per_second_per_gpu
    return training_hours(dataset_tokens(EXAMPLES, TOKENS, EPOCHS), tps)


def exercise_stretch():
    """The same job as QLoRA on RunPod Community's A100, on spot: the seeds' discount and
    checkpoint interval (the defaults), 8 examples a step, 30 s a save, 1 to 3 preemptions."""
    tps = throughput_for("A100 80GB", "qlora").tokens_per_second_per_gpu
    hours = training_hours(dataset_tokens(EXAMPLES, TOKENS, EPOCHS), tps)
    spot = spot_training_cost(hours, rate_of(find_price("RunPod Community", "A100 80GB")),
                              training_steps(EXAMPLES, 8, EPOCHS), save_seconds=30,
                              preemptions=(1, 3))
    return spot.cost.low, spot.cost.high
