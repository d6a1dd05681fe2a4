"""The seeds' per-method budgets (full, LoRA, QLoRA), recomputed from prices and throughputs.

Lesson 03. *Fine-tuning LLMs on a budget* [B] prices one training run of a 7B model by method
(`data/costs_method_budgets.csv`: full fine-tuning "$10,000+", LoRA "$500-$3,000", QLoRA
"$300-$1,000"). `check_method_budgets` prices the same run with the course's own functions,
two ways:

    compute   one run of the seeds' worked dataset (50,000 x 512 tokens, one epoch: [B]
              itself says one pass is often enough) on every rented GPU with a published
              throughput for the method (`compare_offers`): from the cheapest offer's low
              end to the dearest offer's high end;
    all-in    that compute x (1 + the seeds' data-preparation multiplier) + evaluation
              tooling: the seeds' own rules of thumb for the work around a run

and gives each claim a verdict with `budget_verdict`, the way lesson 02's `claim_verdict`
judges a memory claim: "consistent", "overstated" (the claim is above the recomputed range)
or "understated" (below it). Nothing here writes a verdict in advance: change a price, a
throughput or the dataset and the verdicts follow.

What this leaves out: multi-GPU runs, failed runs and hyper-parameter searches (a team that
tries ten settings pays ten runs), managed APIs (lesson 03 prices them separately) and hosting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from course_utils.paths import data_path
from course_utils.plan.costs.amounts import Amount, CostInputError, Range, check, low_high, money
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.offers import Quote, compare_offers
from course_utils.plan.costs.throughput import METHODS, Throughput
from course_utils.plan.datafiles import address, fail, iso_date, number, read_rows, require
from course_utils.plan.prices import PriceRow

BUDGET_COLUMNS = ("method", "claimed_low", "claimed_high", "unit", "as_of", "source_name",
                  "source_url", "notes")
# A claim within 20% of the recomputed range counts as consistent: the same allowance lesson
# 02's claim_verdict gives a memory claim (prices and throughputs move by that much too).
TOLERANCE = 0.20


@dataclass(frozen=True)
class BudgetClaim:
    """One method's budget as the seed states it; `high` is None for an open claim ("$10,000+")."""

    method: str
    low: float
    high: float | None
    unit: str
    as_of: str
    source_name: str
    source_url: str
    notes: str

    @property
    def text(self) -> str:
        """'$10,000.00+' or '$300.00–$1,000.00'."""
        return f"{money(self.low)}+" if self.high is None else money((self.low, self.high))


@dataclass(frozen=True)
class BudgetCheck:
    """A claimed budget beside the course's recomputation, with both verdicts."""

    claim: BudgetClaim
    compute: Range            # one run on the rented GPUs with a published throughput
    all_in: Range             # compute x (1 + data-preparation multiplier) + evaluation tooling
    compute_verdict: str
    all_in_verdict: str
    cheapest: Quote           # the offer with the lowest low end
    offers: int               # how many rented GPUs were priced

    @property
    def claim_over_compute(self) -> float:
        """The claim's low end divided by the dearest run: how many such runs it pays for."""
        return self.claim.low / self.compute.high


def load_method_budgets(path: str | Path | None = None) -> list[BudgetClaim]:
    """Lesson 03. Read `data/costs_method_budgets.csv`: the seeds' budget per method.

    Raises `DataFileError` naming the file, line and field for an unknown method, a method given
    twice, a budget that is not a number (or whose high end is below its low end), a date that
    is not YYYY-MM-DD or a source that is not an address.
    """
    path = Path(path) if path is not None else data_path("costs_method_budgets.csv")
    out: list[BudgetClaim] = []
    for line, c in read_rows(path, BUDGET_COLUMNS):
        require(path, line, c, ("method", "claimed_low", "as_of", "source_name"))
        if c["method"] not in METHODS:
            raise fail(path, line, "method", f"{c['method']!r} is not one of {list(METHODS)}.")
        if any(b.method == c["method"] for b in out):
            raise fail(path, line, "method", f"{c['method']!r} is given twice.")
        low = number(path, line, "claimed_low", c["claimed_low"])
        high = number(path, line, "claimed_high", c["claimed_high"], optional=True)
        if high is not None and high < low:
            raise fail(path, line, "claimed_high", f"{high:g} is below claimed_low ({low:g}); "
                                                   "leave it empty for an open claim ('$10,000+').")
        out.append(BudgetClaim(c["method"], float(low), None if high is None else float(high),
                               c["unit"], iso_date(path, line, "as_of", c["as_of"]).isoformat(),
                               c["source_name"],
                               address(path, line, "source_url", c["source_url"], optional=True),
                               c["notes"]))
    if not out:
        raise fail(path, None, None, "holds no rows.")
    return out


def budget_verdict(claim_low: float, claim_high: float | None, estimate: Amount,
                   tolerance: float = TOLERANCE) -> str:
    """Lesson 03. Compare a claimed budget (a range, or an open "at least" when `claim_high` is
    None) with a recomputed cost (a number or a range).

    "consistent" when the claim, widened by `tolerance`, overlaps the estimate; "overstated"
    when even its low end is above the estimate's high end; "understated" when its high end is
    below the estimate's low end.
    """
    claim_low = check("claim_low", claim_low)
    top = math.inf if claim_high is None else check("claim_high", claim_high)
    if top < claim_low:
        raise CostInputError(f"argument 'claim_high' ({top:g}) is below 'claim_low' "
                             f"({claim_low:g}); use None for an open claim")
    check("tolerance", tolerance, strict=False)
    low, high = low_high(check("estimate", estimate))
    if claim_low * (1 - tolerance) > high:
        return "overstated"
    if top * (1 + tolerance) < low:
        return "understated"
    return "consistent"


def check_method_budgets(num_examples: int | None = None, avg_tokens: float | None = None,
                         epochs: int = 1, *, budgets: Sequence[BudgetClaim] | None = None,
                         rows: Sequence[PriceRow] | None = None,
                         throughput: Sequence[Throughput] | None = None) -> list[BudgetCheck]:
    """Lesson 03. Each seed budget of `data/costs_method_budgets.csv` beside one run priced on
    every rented GPU with a published throughput for its method, compute only and all-in.

    The dataset defaults to the seeds' worked example (`example_num_examples` x
    `example_avg_tokens` of `data/costs_assumptions.csv`), one epoch.
    """
    n = int(assumption("example_num_examples")) if num_examples is None else num_examples
    avg = assumption("example_avg_tokens") if avg_tokens is None else avg_tokens
    budgets = load_method_budgets() if budgets is None else budgets
    mult = low_high(assumption("pipeline_multiplier"))
    tooling = low_high(assumption("evaluation_tooling"))
    out = []
    for claim in budgets:
        quotes = [q for q in compare_offers(n, avg, epochs, claim.method, rows=rows,
                                            throughput=throughput) if q.kind == "gpu_rental"]
        if not quotes:
            raise CostInputError(f"no rented GPU with a published {claim.method!r} throughput "
                                 "to price the claim against (data/throughput.csv)")
        compute = Range(min(low_high(q.cost)[0] for q in quotes),
                        max(low_high(q.cost)[1] for q in quotes))
        all_in = Range(compute.low * (1 + mult[0]) + tooling[0],
                       compute.high * (1 + mult[1]) + tooling[1])
        out.append(BudgetCheck(
            claim, compute, all_in,
            budget_verdict(claim.low, claim.high, compute),
            budget_verdict(claim.low, claim.high, all_in),
            min(quotes, key=lambda q: low_high(q.cost)), len(quotes)))
    return out
