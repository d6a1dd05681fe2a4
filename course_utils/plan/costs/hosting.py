"""Hosting a fine-tuned model and its total cost of ownership over months (lesson 03).

    hosting a month = hourly rate x hours a month                   (`monthly_hosting_cost`)
    TCO = training compute x runs                                   (`total_cost_of_ownership`)
          + data preparation and labelling (the seeds' 5-10x of that compute)
          + evaluation tooling (one-off)
          + self-hosted serving: the GPU that answers the queries, all month

How many runs a period takes follows the retraining cadence (`training_runs`). The serving line
is not a cost of fine-tuning on its own: prompting an API to answer the same queries costs
money too. `course_utils.plan.costs.break_even.serving_comparison` sets the two side by side
for one monthly volume, which is the comparison lesson 03 draws.

What this leaves out: taxes, storage and egress, engineers' time beyond the seeds' multiplier,
discounts for committed use, and the capacity limit of one GPU (lesson 07 serves adapters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course_utils.plan.costs.amounts import Amount, CostInputError, Range, add, check, lift, low_high
from course_utils.plan.costs.assumptions import assumption

RETRAIN_EVERY_MONTHS = {"none": None, "quarterly": 3, "monthly": 1}
MAX_MONTHS = 120  # ten years: the longest period the TCO accepts
SERVING = "self-hosted serving"  # the TCO component of the GPU that answers queries all month


def monthly_hosting_cost(hourly_rate: Amount, hours_per_month: float = 720) -> Amount:
    """Lesson 03. A GPU or endpoint that runs all month.

    $1.70-$3.00/hour x 720 hours = $1,224-$2,160 a month (the seeds' dedicated endpoint).
    """
    rate = check("hourly_rate", hourly_rate, strict=False)
    hours = check("hours_per_month", hours_per_month, allow_range=False)
    if hours > 744:
        raise CostInputError(f"argument 'hours_per_month' must be <= 744 (31 x 24), got {hours!r}")
    return lift(lambda r: r * hours, rate)


def retrain_interval(retrain: str) -> int | None:
    """Months between retraining runs for a cadence of RETRAIN_EVERY_MONTHS (None: never)."""
    if retrain not in RETRAIN_EVERY_MONTHS:
        raise CostInputError(f"argument 'retrain' must be one of {list(RETRAIN_EVERY_MONTHS)}, "
                             f"got {retrain!r}")
    return RETRAIN_EVERY_MONTHS[retrain]


def training_runs(months: int, retrain: str = "quarterly") -> int:
    """Lesson 03. How many training runs `months` of operation take: the first, plus one per retrain."""
    check("months", months, integer=True)
    every = retrain_interval(retrain)
    return 1 if every is None else 1 + (months - 1) // every


@dataclass(frozen=True)
class TcoBreakdown:
    """Total cost of ownership over `months`, by component (numbers or Ranges)."""

    months: int
    retrain: str
    runs: int
    components: dict = field(default_factory=dict)

    @property
    def total(self) -> Amount:
        return add(*self.components.values())

    def share(self, name: str) -> Range:
        """The component's share of the total, at the low ends and at the high ends."""
        c_low, c_high = low_high(self.components[name])
        t_low, t_high = low_high(self.total)
        return Range(c_low / t_low if t_low else 0.0, c_high / t_high if t_high else 0.0)

    def smallest(self) -> str:
        """The component with the smallest midpoint."""
        return min(self.components, key=lambda k: sum(low_high(self.components[k])))

    @property
    def fine_tuning(self) -> Amount:
        """Every component but serving: what fine-tuning adds before the first query."""
        return add(*(v for k, v in self.components.items() if k != SERVING))


def total_cost_of_ownership(months: int, training_compute: Amount, monthly_hosting: Amount,
                            pipeline_multiplier: Amount | None = None,
                            evaluation_tooling: Amount | None = None,
                            retrain: str = "quarterly") -> TcoBreakdown:
    """Lesson 03. Everything a fine-tuned model costs over `months`.

    * training compute: one run, times the runs the retraining cadence needs;
    * data preparation and labelling: `pipeline_multiplier` x all training compute
      (default: the seeds' 5-10x, `data/costs_assumptions.csv`);
    * evaluation tooling: one-off (default: the seeds' $500-$2,000);
    * self-hosted serving: `monthly_hosting` (a GPU answering queries all month) x months.

    Compare the total with what prompting an API costs for the same queries
    (`serving_comparison`), not with zero: the queries have to be answered either way.
    """
    check("months", months, integer=True)
    if months > MAX_MONTHS:
        raise CostInputError(f"argument 'months' must be <= {MAX_MONTHS}, got {months!r}")
    compute = check("training_compute", training_compute, strict=False)
    hosting = check("monthly_hosting", monthly_hosting, strict=False)
    mult = check("pipeline_multiplier",
                 assumption("pipeline_multiplier") if pipeline_multiplier is None
                 else pipeline_multiplier, strict=False)
    tooling = check("evaluation_tooling",
                    assumption("evaluation_tooling") if evaluation_tooling is None
                    else evaluation_tooling, strict=False)
    runs = training_runs(months, retrain)
    all_compute = lift(lambda c: c * runs, compute)
    return TcoBreakdown(months=months, retrain=retrain, runs=runs, components={
        "training compute": all_compute,
        "data preparation & labelling": lift(lambda c, m: c * m, all_compute, mult),
        "evaluation tooling": tooling,
        SERVING: lift(lambda h: h * months, hosting),
    })
