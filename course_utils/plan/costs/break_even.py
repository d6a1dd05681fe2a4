"""Self-hosting against a per-token API: cost per query, break-even volume, spend over months.

Lesson 03. A self-hosted model costs a fixed amount a month (the GPU, plus amortised
training) and little per query; a per-token API costs nothing fixed and a price per query.
They cross at

    break-even queries a month = fixed monthly cost / (API cost per query - own cost per query)

`serving_comparison` sets both side by side for one monthly volume over a period (the fair
comparison: the same queries answered either way), and `cumulative_costs` draws them month by
month, retraining included.

What this leaves out: the throughput limit of one GPU (above it a second GPU doubles the
fixed cost) and volume discounts of the APIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from course_utils.plan.costs.amounts import Amount, CostInputError, check, lift, low_high
from course_utils.plan.costs.hosting import retrain_interval
from course_utils.plan.prices import PriceRow, find_price, load_prices


def api_cost_per_query(input_tokens: float, output_tokens: float, input_price_per_million: float,
                       output_price_per_million: float) -> float:
    """Lesson 03. What one query costs on a per-token API."""
    i = check("input_tokens", input_tokens, strict=False, allow_range=False)
    o = check("output_tokens", output_tokens, strict=False, allow_range=False)
    if i + o == 0:
        raise CostInputError("arguments 'input_tokens' and 'output_tokens' are both 0; "
                             "a query has some tokens")
    pi = check("input_price_per_million", input_price_per_million, strict=False, allow_range=False)
    po = check("output_price_per_million", output_price_per_million, strict=False,
               allow_range=False)
    return (i * pi + o * po) / 1e6


def api_cost_per_query_for(provider: str, item: str, input_tokens: float, output_tokens: float,
                           *, rows: Sequence[PriceRow] | None = None) -> float:
    """Lesson 03. `api_cost_per_query` with the model's prices looked up in the prices file."""
    rows = load_prices() if rows is None else rows
    pin = find_price(provider, item, "$/1M input tokens", rows=rows)
    pout = find_price(provider, item, "$/1M output tokens", rows=rows)
    return api_cost_per_query(input_tokens, output_tokens, pin.price_low, pout.price_low)


def break_even_monthly_queries(monthly_fixed_cost: Amount, api_cost_per_query: float,
                               self_hosted_cost_per_query: float = 0.0) -> Amount:
    """Lesson 03. Queries a month above which a self-hosted model costs less than the API.

    Self-hosted: a fixed monthly cost (GPU rent, plus amortised training if you include it)
    plus an optional marginal cost per query; API: a cost per query. They cross at
    fixed / (api - marginal). If the API is no dearer per query, there is no break-even.
    """
    fixed = check("monthly_fixed_cost", monthly_fixed_cost, strict=False)
    api = check("api_cost_per_query", api_cost_per_query, allow_range=False)
    marginal = check("self_hosted_cost_per_query", self_hosted_cost_per_query, strict=False,
                     allow_range=False)
    if marginal >= api:
        raise CostInputError(
            f"argument 'self_hosted_cost_per_query' ({marginal:g}) is not below "
            f"'api_cost_per_query' ({api:g}): self-hosting never breaks even")
    return lift(lambda f: f / (api - marginal), fixed)


@dataclass(frozen=True)
class ServingComparison:
    """The same queries a month, answered for `months` two ways: by a self-hosted fine-tune (a
    GPU running all month, whatever it serves) and by prompting a per-token API."""

    months: int
    monthly_queries: float
    api_cost_per_query: float
    self_hosted: Amount        # hosting a month x months
    api: float                 # queries a month x cost per query x months
    break_even_queries: Amount

    @property
    def cheaper(self) -> str:
        """'self-hosted', 'API', or 'either' when the API falls inside the GPU's price range."""
        low, high = low_high(self.self_hosted)
        return "self-hosted" if high < self.api else "API" if low > self.api else "either"


def serving_comparison(months: int, monthly_hosting: Amount, monthly_queries: float,
                       api_cost_per_query: float) -> ServingComparison:
    """Lesson 03. Serving `monthly_queries` for `months`: self-hosted (`monthly_hosting` each
    month) against prompting an API (`api_cost_per_query` each query), and the volume at which
    they cost the same. Training is left out: add the TCO's other components to the
    self-hosted side for the whole comparison.
    """
    check("months", months, integer=True, allow_range=False)
    hosting = check("monthly_hosting", monthly_hosting, strict=False)
    q = check("monthly_queries", monthly_queries, strict=False, allow_range=False)
    per = check("api_cost_per_query", api_cost_per_query, allow_range=False)
    return ServingComparison(months, q, per, lift(lambda h: h * months, hosting), q * per * months,
                             break_even_monthly_queries(hosting, per))


@dataclass(frozen=True)
class CumulativeCosts:
    """Spend at the end of each month (month 0: the upfront cost), self-hosted and API."""

    months: list[int]
    self_hosted: list[float]
    api: list[float]

    @property
    def break_even_month(self) -> int | None:
        """The first month at whose end self-hosting has cost no more than the API, or None."""
        for m, s, a in zip(self.months, self.self_hosted, self.api):
            if m > 0 and s <= a:
                return m
        return None


def cumulative_costs(months: int, upfront: float, monthly_hosting: float, monthly_queries: float,
                     api_cost_per_query: float, retrain_cost: float = 0.0,
                     retrain: str = "quarterly") -> CumulativeCosts:
    """Lesson 03. Month-by-month cumulative spend: self-hosted fine-tune vs a per-token API.

    Self-hosted pays `upfront` at month 0, `retrain_cost` at each retrain and
    `monthly_hosting` every month; the API pays `monthly_queries x api_cost_per_query`.
    Single numbers only (plot the low and high cases separately).
    """
    check("months", months, integer=True)
    up = check("upfront", upfront, strict=False, allow_range=False)
    host = check("monthly_hosting", monthly_hosting, strict=False, allow_range=False)
    q = check("monthly_queries", monthly_queries, strict=False, allow_range=False)
    per = check("api_cost_per_query", api_cost_per_query, strict=False, allow_range=False)
    rc = check("retrain_cost", retrain_cost, strict=False, allow_range=False)
    every = retrain_interval(retrain)
    xs, s, a = [0], [float(up)], [0.0]
    for m in range(1, months + 1):
        retrain_now = every is not None and m < months and m % every == 0
        s.append(s[-1] + host + (rc if retrain_now else 0.0))
        a.append(a[-1] + q * per)
        xs.append(m)
    return CumulativeCosts(xs, s, a)
