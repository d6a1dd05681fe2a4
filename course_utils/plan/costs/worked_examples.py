"""The seed articles' worked cost examples, recomputed from the course's data files (lesson 03).

`data/costs_seed_examples.csv` holds each example's claimed dollars with its source; this
module does the same arithmetic from `data/prices.csv` and `data/costs_assumptions.csv`, so a
lesson (and a test) can show that the claims follow from the prices, to the cent.

What this leaves out: the seeds' claims that are not arithmetic on prices (memory figures are
checked in lesson 02, quality claims are quoted, not computed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from course_utils.paths import data_path
from course_utils.plan.costs.amounts import Amount, Range, cents, low_high, rate_of
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.hosting import monthly_hosting_cost
from course_utils.plan.costs.training import gpu_training_cost, managed_training_quote
from course_utils.plan.datafiles import fail, number, read_rows
from course_utils.plan.prices import PriceRow, find_price, load_prices

COLUMNS = ("id", "description", "claimed_low", "claimed_high", "unit", "as_of", "source_name",
           "notes")


@dataclass(frozen=True)
class SeedExample:
    """One worked example: what the article claims and what the course computes."""

    id: str
    description: str
    claimed: Amount
    computed: Amount
    source_name: str

    @property
    def matches_to_the_cent(self) -> bool:
        return low_high(cents(self.claimed)) == low_high(cents(self.computed))


def _computations(rows: Sequence[PriceRow]) -> dict[str, Callable[[], Amount]]:
    """Example id -> the course's arithmetic for it."""
    n, avg = assumption("example_num_examples"), assumption("example_avg_tokens")

    def managed(provider, item):
        return managed_training_quote(provider, item, int(n), avg, rows=rows)

    return {
        "managed_together": lambda: managed("Together AI", "Open-weight 7B fine-tuning"),
        "managed_vertex": lambda: managed("Google Vertex AI", "Gemini fine-tuning"),
        "managed_openai": lambda: managed("OpenAI", "GPT-4o fine-tuning"),
        "qlora_a100": lambda: gpu_training_cost(
            assumption("qlora_run_hours_a100"),
            rate_of(find_price("RunPod Community", "A100 80GB", rows=rows))),
        "endpoint_month": lambda: monthly_hosting_cost(
            rate_of(find_price("Dedicated endpoint (OpenAI-style)", "Fine-tuned model hosting",
                               rows=rows)), low_high(assumption("hours_per_month"))[0]),
    }


def seed_examples(path: str | Path | None = None,
                  rows: Sequence[PriceRow] | None = None) -> list[SeedExample]:
    """Lesson 03. Each worked example of the seeds (`data/costs_seed_examples.csv`) beside the
    same arithmetic done from `data/prices.csv`."""
    rows = load_prices() if rows is None else rows
    compute = _computations(rows)
    path = Path(path) if path is not None else data_path("costs_seed_examples.csv")
    out = []
    for line, c in read_rows(path, COLUMNS):
        if c["id"] not in compute:
            raise fail(path, line, "id", f"{c['id']!r} has no computation; known: "
                                         f"{sorted(compute)}.")
        claimed_low = number(path, line, "claimed_low", c["claimed_low"])
        claimed_high = number(path, line, "claimed_high", c["claimed_high"])
        claimed = claimed_low if claimed_low == claimed_high else Range(claimed_low, claimed_high)
        out.append(SeedExample(c["id"], c["description"], claimed, compute[c["id"]](),
                               c["source_name"]))
    return out
