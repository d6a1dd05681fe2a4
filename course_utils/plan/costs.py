"""What fine-tuning costs: training, hosting, total cost of ownership, break-even (lesson 03).

Pure arithmetic over the course's data files; nothing here imports torch or touches a GPU.

* Prices come from `data/prices.csv` (`course_utils.plan.prices`), published training throughputs
  from `data/throughput.csv`, and the seeds' rules of thumb (pipeline multiplier, evaluation
  tooling, hours per month, ...) from `data/costs_assumptions.csv`. No figure is written here.
* Any money argument may be a number or a `(low, high)` range; a function returns a `Range`
  as soon as one of its inputs is a range, a float otherwise. Every cost grows with every
  input, so the low end is computed from the lows and the high end from the highs.
* Bad input raises `CostInputError` (a ValueError) naming the argument, the value and the fix.

What it leaves out: taxes, storage and egress, engineers' time beyond the seeds' multiplier,
discounts for committed use, and the capacity limit of one GPU (lesson 07 serves adapters).
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence, Union

from course_utils.paths import data_path
from course_utils.plan.prices import DataFileError, PriceRow, find_price, load_prices

# --------------------------------------------------------------------------------------------
# ranges and argument checks


class CostInputError(ValueError):
    """An argument a cost function cannot use; the message names it."""


class Range(NamedTuple):
    """A low/high pair of dollars (or hours, or queries)."""

    low: float
    high: float

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    def __str__(self) -> str:
        return f"{self.low:,.2f}–{self.high:,.2f}"


Amount = Union[float, int, Range, tuple]


def _is_range(x) -> bool:
    return isinstance(x, (Range, tuple, list))


def _check(name: str, x, *, minimum: float = 0.0, strict: bool = True, integer: bool = False,
           allow_range: bool = True):
    """Validate one argument: a finite number above `minimum` (or a low<=high range of them)."""
    if _is_range(x):
        if not allow_range:
            raise CostInputError(f"argument '{name}' must be a single number, got the range {x!r}")
        if len(x) != 2:
            raise CostInputError(f"argument '{name}' must be a number or a (low, high) pair, "
                                 f"got {x!r}")
        low = _check(name + " (low)", x[0], minimum=minimum, strict=strict, integer=integer)
        high = _check(name + " (high)", x[1], minimum=minimum, strict=strict, integer=integer)
        if low > high:
            raise CostInputError(f"argument '{name}': low {low:g} is above high {high:g}; "
                                 "write (low, high)")
        return Range(float(low), float(high))
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CostInputError(f"argument '{name}' must be a number, got {x!r} "
                             f"({type(x).__name__})")
    if not math.isfinite(x):
        raise CostInputError(f"argument '{name}' must be a finite number, got {x!r}")
    if integer and int(x) != x:
        raise CostInputError(f"argument '{name}' must be a whole number, got {x!r}")
    if (strict and x <= minimum) or (not strict and x < minimum):
        op = ">" if strict else ">="
        raise CostInputError(f"argument '{name}' must be {op} {minimum:g}, got {x!r}")
    return x


def _lift(fn, *args):
    """Apply `fn` to plain numbers, or to the lows and to the highs when any arg is a Range."""
    if not any(isinstance(a, Range) for a in args):
        return fn(*args)
    lows = [a.low if isinstance(a, Range) else a for a in args]
    highs = [a.high if isinstance(a, Range) else a for a in args]
    return Range(fn(*lows), fn(*highs))


def low_high(x: Amount) -> tuple[float, float]:
    """(low, high) of a number or a range."""
    return (x.low, x.high) if isinstance(x, Range) else (float(x), float(x))


def add(*amounts: Amount) -> Amount:
    """The sum of numbers and ranges (a Range when any is one)."""
    return _lift(lambda *xs: sum(xs), *[Range(*a) if _is_range(a) else a for a in amounts])


def rate_of(row: PriceRow) -> Amount:
    """A price row's figure as a number, or a Range when the row gives low/high."""
    return Range(row.low, row.high) if row.is_range else row.value  # type: ignore[arg-type]


def money(x: Amount) -> str:
    """'$12.29', '$3.28–$13.12', '$14,169.60': how lessons and widgets print dollars."""
    if _is_range(x):
        low, high = money(x[0]), money(x[1])
        return low if low == high else f"{low}–{high}"
    if 0 < abs(x) < 0.01:  # per-query API costs: keep three significant digits
        return f"${x:.3g}"
    return f"${x:,.2f}"


def cents(x: Amount) -> Amount:
    """Rounded to the cent, as an invoice would show it."""
    return _lift(lambda v: round(v + 0.0, 2), x)


# --------------------------------------------------------------------------------------------
# data files: published throughputs and the seeds' rules of thumb


@dataclass(frozen=True)
class Throughput:
    """A published training throughput measurement (or one derived from it; see `derived`)."""

    model: str
    method: str
    gpu: str
    num_gpus: int
    tokens_per_second_per_gpu: float
    seq_len: int | None
    batch_size: int | None
    date: str
    source_name: str
    source_url: str
    notes: str
    derived: str = ""  # how this figure was derived from a measurement, "" for a measurement

    def label(self) -> str:
        tail = f", derived: {self.derived}" if self.derived else ""
        return (f"{self.model} {self.method} on {self.num_gpus}x {self.gpu}: "
                f"{self.tokens_per_second_per_gpu:,.0f} tokens/s per GPU "
                f"({self.source_name}, {self.date}{tail})")


@dataclass(frozen=True)
class Assumption:
    """One of the seeds' rules of thumb, with its source."""

    name: str
    value: Amount
    unit: str
    as_of: _dt.date
    source_name: str
    source_url: str
    notes: str


METHODS = ("full", "lora", "qlora")
THROUGHPUT_COLUMNS = ("model", "method", "gpu", "num_gpus", "tokens_per_second_per_gpu",
                      "seq_len", "batch_size", "date", "source_name", "source_url", "notes")
ASSUMPTION_COLUMNS = ("name", "value", "low", "high", "unit", "as_of", "source_name",
                      "source_url", "notes")


def _read_csv(path: Path, columns: Sequence[str]):
    if not path.is_file():
        raise DataFileError(path, None, None, "no such file.")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        if sorted(header) != sorted(columns):
            wrong = sorted(set(header) ^ set(columns))
            raise DataFileError(path, 1, wrong[0] if wrong else None,
                                f"the header must name exactly {list(columns)}; got {header}.")
        for raw in reader:
            if None in raw or any(v is None for v in raw.values()):
                raise DataFileError(path, reader.line_num, None,
                                    f"the row does not have {len(columns)} cells.")
            if all(not v.strip() for v in raw.values()):
                continue
            yield reader.line_num, {k: v.strip() for k, v in raw.items()}


def _num(path, line, name, text, *, integer=False, optional=False):
    if text == "" and optional:
        return None
    try:
        x = int(text) if integer else float(text)
    except ValueError:
        raise DataFileError(path, line, name, f"{text!r} is not a "
                            f"{'whole number' if integer else 'number'}.") from None
    if not math.isfinite(x) or x <= 0:
        raise DataFileError(path, line, name, f"{text!r} must be > 0.")
    return x


def load_throughput(path: str | Path | None = None) -> list[Throughput]:
    """Read and validate `data/throughput.csv` (published tokens/s per GPU). Lesson 03."""
    path = Path(path) if path is not None else data_path("throughput.csv")
    rows = []
    for line, c in _read_csv(path, THROUGHPUT_COLUMNS):
        for f in ("model", "gpu", "date", "source_name", "source_url"):
            if not c[f]:
                raise DataFileError(path, line, f, "is empty; every row needs it.")
        if c["method"] not in METHODS:
            raise DataFileError(path, line, "method",
                                f"{c['method']!r} is not one of {list(METHODS)}.")
        if not c["source_url"].startswith(("http://", "https://")):
            raise DataFileError(path, line, "source_url", f"{c['source_url']!r} is not an address.")
        parts = c["date"].split("-")
        if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4):
            raise DataFileError(path, line, "date",
                                f"{c['date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD.")
        rows.append(Throughput(
            model=c["model"], method=c["method"], gpu=c["gpu"],
            num_gpus=_num(path, line, "num_gpus", c["num_gpus"], integer=True),
            tokens_per_second_per_gpu=_num(path, line, "tokens_per_second_per_gpu",
                                           c["tokens_per_second_per_gpu"]),
            seq_len=_num(path, line, "seq_len", c["seq_len"], integer=True, optional=True),
            batch_size=_num(path, line, "batch_size", c["batch_size"], integer=True,
                            optional=True),
            date=c["date"], source_name=c["source_name"], source_url=c["source_url"],
            notes=c["notes"]))
    if not rows:
        raise DataFileError(path, None, None, "holds no rows.")
    return rows


def load_assumptions(path: str | Path | None = None) -> dict[str, Assumption]:
    """Read `data/costs_assumptions.csv`: the seeds' rules of thumb by name. Lesson 03."""
    path = Path(path) if path is not None else data_path("costs_assumptions.csv")
    out: dict[str, Assumption] = {}
    for line, c in _read_csv(path, ASSUMPTION_COLUMNS):
        if not c["name"] or not c["source_name"]:
            raise DataFileError(path, line, "name" if not c["name"] else "source_name",
                                "is empty; every row needs it.")
        if c["name"] in out:
            raise DataFileError(path, line, "name", f"{c['name']!r} is given twice.")
        if c["value"] and (c["low"] or c["high"]):
            raise DataFileError(path, line, "value", "give a value or low/high, not both.")
        if c["value"]:
            value: Amount = _num(path, line, "value", c["value"])
        else:
            if not (c["low"] and c["high"]):
                raise DataFileError(path, line, "low" if not c["low"] else "high",
                                    "a range needs both low and high.")
            value = Range(_num(path, line, "low", c["low"]), _num(path, line, "high", c["high"]))
            if value.low > value.high:
                raise DataFileError(path, line, "low", "low is above high.")
        if c["source_url"] and not c["source_url"].startswith(("http://", "https://")):
            raise DataFileError(path, line, "source_url", f"{c['source_url']!r} is not an address.")
        try:
            as_of = _dt.date.fromisoformat(c["as_of"])
        except ValueError:
            raise DataFileError(path, line, "as_of", f"{c['as_of']!r} is not YYYY-MM-DD.") from None
        out[c["name"]] = Assumption(c["name"], value, c["unit"], as_of, c["source_name"],
                                    c["source_url"], c["notes"])
    return out


def assumption(name: str) -> Amount:
    """The value (number or Range) of one rule of thumb, e.g. 'pipeline_multiplier'."""
    table = load_assumptions()
    if name not in table:
        raise CostInputError(f"argument 'name': {name!r} is not in data/costs_assumptions.csv; "
                             f"known: {sorted(table)}")
    return table[name].value


def throughput_for(gpu: str, method: str, *, model: str | None = None,
                   rows: Sequence[Throughput] | None = None) -> Throughput:
    """The published single-GPU throughput for `method` on `gpu` (highest if several). Lesson 03.

    When no QLoRA measurement exists for a GPU but a LoRA one does, the LoRA figure is scaled
    by the low end of the seeds' QLoRA speed factor (0.8x, `qlora_speed_vs_lora`) and marked
    as derived. Unknown GPUs or methods raise CostInputError listing what the table holds.
    """
    rows = load_throughput() if rows is None else rows
    if method not in METHODS:
        raise CostInputError(f"argument 'method' must be one of {list(METHODS)}, got {method!r}")
    gpus = sorted({r.gpu for r in rows})
    if gpu not in gpus:
        raise CostInputError(f"argument 'gpu': no published throughput for {gpu!r}; "
                             f"the table has {gpus}")

    def pick(m):
        found = [r for r in rows if r.gpu == gpu and r.method == m and r.num_gpus == 1
                 and (model is None or r.model == model)]
        return max(found, key=lambda r: r.tokens_per_second_per_gpu) if found else None

    best = pick(method)
    if best is not None:
        return best
    if method == "qlora" and (lora := pick("lora")) is not None:
        factor = low_high(assumption("qlora_speed_vs_lora"))[0]
        return Throughput(**{**lora.__dict__, "method": "qlora",
                             "tokens_per_second_per_gpu": lora.tokens_per_second_per_gpu * factor,
                             "derived": f"LoRA measurement x {factor:g} "
                                        "(seeds' QLoRA speed factor)"})
    have = sorted({r.method for r in rows if r.gpu == gpu and r.num_gpus == 1})
    raise CostInputError(f"argument 'method': no single-GPU {method!r} measurement for {gpu!r}"
                         f"{' and model ' + repr(model) if model else ''}; it has {have}")


# --------------------------------------------------------------------------------------------
# training


def dataset_tokens(num_examples: int, avg_tokens: Amount, epochs: int = 1) -> Amount:
    """Tokens a training run processes: examples x tokens per example x epochs."""
    _check("num_examples", num_examples, integer=True)
    avg_tokens = _check("avg_tokens", avg_tokens)
    _check("epochs", epochs, integer=True)
    return _lift(lambda t: num_examples * t * epochs, avg_tokens)


def managed_training_cost(num_examples: int, avg_tokens: Amount, price_per_million: Amount,
                          epochs: int = 1) -> Amount:
    """A managed fine-tuning job billed per training token. Lesson 03.

    50,000 examples x 512 tokens at $0.48 per 1M tokens (Together AI, mid-2026) = $12.29.
    """
    tokens = dataset_tokens(num_examples, avg_tokens, epochs)
    price = _check("price_per_million", price_per_million, strict=False)
    return _lift(lambda t, p: t / 1e6 * p, tokens, price)


def managed_training_quote(provider: str, item: str, num_examples: int, avg_tokens: Amount,
                           epochs: int = 1, *, rows: Sequence[PriceRow] | None = None) -> Amount:
    """`managed_training_cost` with the price looked up by provider and item in the prices file."""
    row = find_price(provider, item, "$/1M training tokens", rows=rows)
    return managed_training_cost(num_examples, avg_tokens, rate_of(row), epochs)


def gpu_training_cost(hours: Amount, hourly_rate: Amount, num_gpus: int = 1) -> Amount:
    """Renting `num_gpus` GPUs for `hours`. Lesson 03.

    A 2-8 hour QLoRA run at $1.64/hour (RunPod Community A100, mid-2026) = $3.28-$13.12.
    """
    hours = _check("hours", hours)
    rate = _check("hourly_rate", hourly_rate, strict=False)
    _check("num_gpus", num_gpus, integer=True)
    return _lift(lambda h, r: h * r * num_gpus, hours, rate)


def training_hours(dataset_tokens: Amount, tokens_per_second: Amount, num_gpus: int = 1) -> Amount:
    """Wall-clock hours to process `dataset_tokens` at a per-GPU throughput. Lesson 03.

    Assumes throughput scales linearly with GPUs (it does not quite: see the XTuner row of
    data/throughput.csv). A Range of throughputs gives (fewest hours, most hours).
    """
    tokens = _check("dataset_tokens", dataset_tokens)
    tps = _check("tokens_per_second", tokens_per_second)
    _check("num_gpus", num_gpus, integer=True)
    if isinstance(tps, Range):  # more tokens/s -> fewer hours: pair the extremes the right way
        t_low, t_high = low_high(tokens)
        return Range(t_low / (tps.high * num_gpus) / 3600, t_high / (tps.low * num_gpus) / 3600)
    return _lift(lambda t: t / (tps * num_gpus) / 3600, tokens)


# --------------------------------------------------------------------------------------------
# hosting, TCO, break-even

RETRAIN_EVERY_MONTHS = {"none": None, "quarterly": 3, "monthly": 1}


def monthly_hosting_cost(hourly_rate: Amount, hours_per_month: float = 720) -> Amount:
    """A GPU or endpoint that runs all month. Lesson 03.

    $1.70-$3.00/hour x 720 hours = $1,224-$2,160 a month (the seeds' dedicated endpoint).
    """
    rate = _check("hourly_rate", hourly_rate, strict=False)
    hours = _check("hours_per_month", hours_per_month, allow_range=False)
    if hours > 744:
        raise CostInputError(f"argument 'hours_per_month' must be <= 744 (31 x 24), got {hours!r}")
    return _lift(lambda r: r * hours, rate)


def training_runs(months: int, retrain: str = "quarterly") -> int:
    """How many training runs `months` of operation take: the first, plus one per retrain."""
    _check("months", months, integer=True)
    if retrain not in RETRAIN_EVERY_MONTHS:
        raise CostInputError(f"argument 'retrain' must be one of {list(RETRAIN_EVERY_MONTHS)}, "
                             f"got {retrain!r}")
    every = RETRAIN_EVERY_MONTHS[retrain]
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


def total_cost_of_ownership(months: int, training_compute: Amount, monthly_hosting: Amount,
                            pipeline_multiplier: Amount | None = None,
                            evaluation_tooling: Amount | None = None,
                            retrain: str = "quarterly") -> TcoBreakdown:
    """Everything a fine-tuned model costs over `months`. Lesson 03.

    * training compute: one run, times the runs the retraining cadence needs;
    * data preparation and labelling: `pipeline_multiplier` x all training compute
      (default: the seeds' 5-10x, `data/costs_assumptions.csv`);
    * evaluation tooling: one-off (default: the seeds' $500-$2,000);
    * hosting: `monthly_hosting` x months.
    """
    _check("months", months, integer=True)
    if months > 120:
        raise CostInputError(f"argument 'months' must be <= 120, got {months!r}")
    compute = _check("training_compute", training_compute, strict=False)
    hosting = _check("monthly_hosting", monthly_hosting, strict=False)
    mult = _check("pipeline_multiplier",
                  assumption("pipeline_multiplier") if pipeline_multiplier is None
                  else pipeline_multiplier, strict=False)
    tooling = _check("evaluation_tooling",
                     assumption("evaluation_tooling") if evaluation_tooling is None
                     else evaluation_tooling, strict=False)
    runs = training_runs(months, retrain)
    all_compute = _lift(lambda c: c * runs, compute)
    return TcoBreakdown(months=months, retrain=retrain, runs=runs, components={
        "training compute": all_compute,
        "data preparation & labelling": _lift(lambda c, m: c * m, all_compute, mult),
        "evaluation tooling": tooling,
        "hosting": _lift(lambda h: h * months, hosting),
    })


def api_cost_per_query(input_tokens: float, output_tokens: float, input_price_per_million: float,
                       output_price_per_million: float) -> float:
    """What one query costs on a per-token API. Lesson 03."""
    i = _check("input_tokens", input_tokens, strict=False, allow_range=False)
    o = _check("output_tokens", output_tokens, strict=False, allow_range=False)
    if i + o == 0:
        raise CostInputError("arguments 'input_tokens' and 'output_tokens' are both 0; "
                             "a query has some tokens")
    pi = _check("input_price_per_million", input_price_per_million, strict=False, allow_range=False)
    po = _check("output_price_per_million", output_price_per_million, strict=False,
                allow_range=False)
    return (i * pi + o * po) / 1e6


def api_cost_per_query_for(provider: str, item: str, input_tokens: float, output_tokens: float,
                           *, rows: Sequence[PriceRow] | None = None) -> float:
    """`api_cost_per_query` with the model's prices looked up in the prices file."""
    rows = load_prices() if rows is None else rows
    pin = find_price(provider, item, "$/1M input tokens", rows=rows)
    pout = find_price(provider, item, "$/1M output tokens", rows=rows)
    return api_cost_per_query(input_tokens, output_tokens, pin.price_low, pout.price_low)


def break_even_monthly_queries(monthly_fixed_cost: Amount, api_cost_per_query: float,
                               self_hosted_cost_per_query: float = 0.0) -> Amount:
    """Queries a month above which a self-hosted model costs less than the API. Lesson 03.

    Self-hosted: a fixed monthly cost (GPU rent, plus amortised training if you include it)
    plus an optional marginal cost per query; API: a cost per query. They cross at
    fixed / (api - marginal). If the API is no dearer per query, there is no break-even.
    """
    fixed = _check("monthly_fixed_cost", monthly_fixed_cost, strict=False)
    api = _check("api_cost_per_query", api_cost_per_query, allow_range=False)
    marginal = _check("self_hosted_cost_per_query", self_hosted_cost_per_query, strict=False,
                      allow_range=False)
    if marginal >= api:
        raise CostInputError(
            f"argument 'self_hosted_cost_per_query' ({marginal:g}) is not below "
            f"'api_cost_per_query' ({api:g}): self-hosting never breaks even")
    return _lift(lambda f: f / (api - marginal), fixed)


@dataclass(frozen=True)
class CumulativeCosts:
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
    """Month-by-month cumulative spend: self-hosted fine-tune vs a per-token API. Lesson 03.

    Self-hosted pays `upfront` at month 0, `retrain_cost` at each retrain and
    `monthly_hosting` every month; the API pays `monthly_queries x api_cost_per_query`.
    Single numbers only (plot the low and high cases separately).
    """
    _check("months", months, integer=True)
    up = _check("upfront", upfront, strict=False, allow_range=False)
    host = _check("monthly_hosting", monthly_hosting, strict=False, allow_range=False)
    q = _check("monthly_queries", monthly_queries, strict=False, allow_range=False)
    per = _check("api_cost_per_query", api_cost_per_query, strict=False, allow_range=False)
    rc = _check("retrain_cost", retrain_cost, strict=False, allow_range=False)
    if retrain not in RETRAIN_EVERY_MONTHS:
        raise CostInputError(f"argument 'retrain' must be one of {list(RETRAIN_EVERY_MONTHS)}, "
                             f"got {retrain!r}")
    every = RETRAIN_EVERY_MONTHS[retrain]
    xs, s, a = [0], [float(up)], [0.0]
    for m in range(1, months + 1):
        retrain_now = every is not None and m < months and m % every == 0
        s.append(s[-1] + host + (rc if retrain_now else 0.0))
        a.append(a[-1] + q * per)
        xs.append(m)
    return CumulativeCosts(xs, s, a)


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
    """The same training job priced on every managed API and every rentable GPU. Lesson 03.

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


# --------------------------------------------------------------------------------------------
# the seeds' worked examples, recomputed from the data files


@dataclass(frozen=True)
class SeedExample:
    id: str
    description: str
    claimed: Amount
    computed: Amount
    source_name: str

    @property
    def matches_to_the_cent(self) -> bool:
        return low_high(cents(self.claimed)) == low_high(cents(self.computed))


def seed_examples(path: str | Path | None = None,
                  rows: Sequence[PriceRow] | None = None) -> list[SeedExample]:
    """Each worked example of the seeds (`data/costs_seed_examples.csv`) beside the same
    arithmetic done by this module from `data/prices.csv`. Lesson 03."""
    rows = load_prices() if rows is None else rows
    n, avg = assumption("example_num_examples"), assumption("example_avg_tokens")

    def managed(provider, item):
        return managed_training_quote(provider, item, int(n), avg, rows=rows)

    compute = {
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
    path = Path(path) if path is not None else data_path("costs_seed_examples.csv")
    out = []
    columns = ("id", "description", "claimed_low", "claimed_high", "unit", "as_of",
               "source_name", "notes")
    for line, c in _read_csv(path, columns):
        if c["id"] not in compute:
            raise DataFileError(path, line, "id", f"{c['id']!r} has no computation; known: "
                                f"{sorted(compute)}.")
        claimed_low = _num(path, line, "claimed_low", c["claimed_low"])
        claimed_high = _num(path, line, "claimed_high", c["claimed_high"])
        claimed = claimed_low if claimed_low == claimed_high else Range(claimed_low, claimed_high)
        out.append(SeedExample(c["id"], c["description"], claimed, compute[c["id"]](),
                               c["source_name"]))
    return out
