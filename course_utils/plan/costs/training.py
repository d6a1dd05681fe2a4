"""What one training run costs: on a managed API per token, or on rented GPUs per hour (lesson 03).

    tokens = examples x tokens per example x epochs                        (`dataset_tokens`)
    managed API: tokens / 1M x price per 1M training tokens                (`managed_training_cost`)
    rented GPU:  hours = tokens / (tokens/s per GPU x GPUs) / 3600         (`training_hours`)
                 cost  = hours x hourly rate x GPUs                        (`gpu_training_cost`)

Every function takes numbers or (low, high) ranges (`course_utils.plan.costs.amounts`).

What this leaves out: failed and repeated runs, storage, and the data and evaluation work
around a run (`total_cost_of_ownership` adds those).
"""

from __future__ import annotations

from typing import Sequence

from course_utils.plan.costs.amounts import Amount, Range, check, lift, low_high, rate_of
from course_utils.plan.prices import PriceRow, find_price


def dataset_tokens(num_examples: int, avg_tokens: Amount, epochs: int = 1) -> Amount:
    """Lesson 03. Tokens a training run processes: examples x tokens per example x epochs."""
    check("num_examples", num_examples, integer=True)
    avg_tokens = check("avg_tokens", avg_tokens)
    check("epochs", epochs, integer=True)
    return lift(lambda t: num_examples * t * epochs, avg_tokens)


def managed_training_cost(num_examples: int, avg_tokens: Amount, price_per_million: Amount,
                          epochs: int = 1) -> Amount:
    """Lesson 03. A managed fine-tuning job billed per training token.

    50,000 examples x 512 tokens at $0.48 per 1M tokens (Together AI, mid-2026) = $12.29.
    """
    tokens = dataset_tokens(num_examples, avg_tokens, epochs)
    price = check("price_per_million", price_per_million, strict=False)
    return lift(lambda t, p: t / 1e6 * p, tokens, price)


def managed_training_quote(provider: str, item: str, num_examples: int, avg_tokens: Amount,
                           epochs: int = 1, *, rows: Sequence[PriceRow] | None = None) -> Amount:
    """Lesson 03. `managed_training_cost` with the price looked up by provider and item."""
    row = find_price(provider, item, "$/1M training tokens", rows=rows)
    return managed_training_cost(num_examples, avg_tokens, rate_of(row), epochs)


def gpu_training_cost(hours: Amount, hourly_rate: Amount, num_gpus: int = 1) -> Amount:
    """Lesson 03. Renting `num_gpus` GPUs for `hours`.

    A 2-8 hour QLoRA run at $1.64/hour (RunPod Community A100, mid-2026) = $3.28-$13.12.
    """
    hours = check("hours", hours)
    rate = check("hourly_rate", hourly_rate, strict=False)
    check("num_gpus", num_gpus, integer=True)
    return lift(lambda h, r: h * r * num_gpus, hours, rate)


def training_hours(dataset_tokens: Amount, tokens_per_second: Amount, num_gpus: int = 1) -> Amount:
    """Lesson 03. Wall-clock hours to process `dataset_tokens` at a per-GPU throughput.

    Assumes throughput scales linearly with GPUs (it does not quite: see the XTuner row of
    data/throughput.csv). A Range of throughputs gives (fewest hours, most hours).
    """
    tokens = check("dataset_tokens", dataset_tokens)
    tps = check("tokens_per_second", tokens_per_second)
    check("num_gpus", num_gpus, integer=True)
    if isinstance(tps, Range):  # more tokens/s -> fewer hours: pair the extremes the right way
        t_low, t_high = low_high(tokens)
        return Range(t_low / (tps.high * num_gpus) / 3600, t_high / (tps.low * num_gpus) / 3600)
    return lift(lambda t: t / (tps * num_gpus) / 3600, tokens)
