"""One training job priced on every offer of the prices file, cheapest first (lesson 03).

Managed APIs are priced per training token; rented GPUs by the hours the job takes at the
published single-GPU throughput for the method on that GPU (`throughput_for`). A GPU without a
published throughput is left out rather than guessed.

What this leaves out: multi-GPU rentals, and offers whose price is not in `data/prices.csv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from course_utils.plan.costs.amounts import Amount, CostInputError, low_high, rate_of
from course_utils.plan.costs.throughput import Throughput, load_throughput, throughput_for
from course_utils.plan.costs.training import (dataset_tokens, gpu_training_cost,
                                              managed_training_cost, training_hours)
from course_utils.plan.prices import PriceRow, load_prices


@dataclass(frozen=True)
class Quote:
    """What one offer charges for one training job."""

    offer: str            # 'provider · item'
    kind: str             # 'gpu_rental' or 'managed_training'
    cost: Amount
    hours: float | None   # GPU-hours, for rentals
    closed_to_new_users: bool = False


def compare_offers(num_examples: int, avg_tokens: float, epochs: int = 1, method: str = "qlora",
                   *, rows: Sequence[PriceRow] | None = None,
                   throughput: Sequence[Throughput] | None = None) -> list[Quote]:
    """Lesson 03. The same training job priced on every managed API and every rentable GPU.

    GPU hours come from the published single-GPU throughput for `method` on that GPU
    (`throughput_for`); GPUs without one are left out rather than guessed. Cheapest first.
    """
    rows = load_prices() if rows is None else rows
    throughput = load_throughput() if throughput is None else throughput
    tokens = dataset_tokens(num_examples, avg_tokens, epochs)
    out = [Quote(r.label(), r.kind, managed_training_cost(num_examples, avg_tokens, rate_of(r),
                                                          epochs), None, r.closed_to_new_users)
           for r in rows if r.kind == "managed_training"]
    for r in rows:
        if r.kind != "gpu_rental":
            continue
        try:
            t = throughput_for(r.item, method, rows=throughput)
        except CostInputError:
            continue
        hours = training_hours(tokens, t.tokens_per_second_per_gpu)
        out.append(Quote(r.label(), r.kind, gpu_training_cost(hours, rate_of(r)), hours))
    return sorted(out, key=lambda q: low_high(q.cost))
