"""Every price the course uses, loaded from `data/prices.csv` and checked (lessons 02 and 03).

The file holds one price per row; prices never appear as literals in code or notebooks.
Columns (all required, in any order; empty cells mean "not given"):

    provider     who sells it, with the tier when it matters ("RunPod Community", "Vast.ai spot")
    item         what is sold: the GPU for `gpu_rental` rows ("A100 80GB", "RTX 4090"), the model
                 or service otherwise ("Gemini fine-tuning", "GPT-4.1 mini")
    kind         one of KINDS below
    unit         one of the units KINDS allows for that kind
    value        a single price, or empty when low and high are given
    low, high    a price range (both or neither; low <= high)
    vram_gb      GPU memory in GB: required for `gpu_rental`, empty otherwise
    as_of        the date the price was observed, YYYY-MM-DD
    source_name  who published it (and, when quoted second-hand, who quoted it)
    source_url   the address where it can be checked (http:// or https://)
    notes        free text; the tag "[closed to new users]" marks an offer a new project
                 cannot buy (`PriceRow.closed_to_new_users`)

Kinds:

    gpu_rental         a rented GPU, $/hour
    managed_training   a provider's fine-tuning service, $/1M training tokens
    managed_inference  inference on a tuned model: $/1M tokens, or a multiplier on the base
                       model's rate ("x base inference rate")
    api_inference      a per-token API, $/1M input tokens or $/1M output tokens
    managed_hosting    a dedicated endpoint or around-the-clock serving, $/hour or $/month

Prices go stale quickly (GPU rental moved ~40% in a year, per the seeds): `price_age_warning`
tells a lesson which rows are older than a configurable age (default 180 days, or the
`COURSE_PRICE_MAX_AGE_DAYS` environment variable).

What this leaves out: currency conversion (everything is US dollars) and taxes.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from course_utils.paths import data_path
from course_utils.plan.datafiles import address, fail, iso_date, number, read_rows, require

COLUMNS: tuple[str, ...] = (
    "provider", "item", "kind", "unit", "value", "low", "high", "vram_gb",
    "as_of", "source_name", "source_url", "notes",
)

KINDS: dict[str, tuple[str, ...]] = {
    "gpu_rental": ("$/hour",),
    "managed_training": ("$/1M training tokens",),
    "managed_inference": ("$/1M input tokens", "$/1M output tokens", "x base inference rate"),
    "api_inference": ("$/1M input tokens", "$/1M output tokens"),
    "managed_hosting": ("$/hour", "$/month"),
}

CLOSED_TAG = "[closed to new users]"
DEFAULT_MAX_AGE_DAYS = 180
MAX_AGE_ENV = "COURSE_PRICE_MAX_AGE_DAYS"


class UnknownPriceError(ValueError):
    """A look-up for a provider/item/unit the prices file does not hold; lists what it holds."""


@dataclass(frozen=True)
class PriceRow:
    """One validated row of the prices file. Numbers are floats or None; `as_of` is a date."""

    provider: str
    item: str
    kind: str
    unit: str
    value: float | None
    low: float | None
    high: float | None
    vram_gb: float | None
    as_of: _dt.date
    source_name: str
    source_url: str
    notes: str
    line: int = 0  # where it came from in the file (0 when built by hand)

    @property
    def price_low(self) -> float:
        """The low end of the price (the single value when no range is given)."""
        return self.value if self.value is not None else self.low  # type: ignore[return-value]

    @property
    def price_high(self) -> float:
        """The high end of the price (the single value when no range is given)."""
        return self.value if self.value is not None else self.high  # type: ignore[return-value]

    @property
    def is_range(self) -> bool:
        return self.value is None

    @property
    def closed_to_new_users(self) -> bool:
        return CLOSED_TAG in self.notes.lower()

    def age_days(self, today: _dt.date | None = None) -> int:
        """Days between `as_of` and `today` (default: the real today)."""
        return ((today or _dt.date.today()) - self.as_of).days

    def label(self) -> str:
        """'RunPod Community · A100 80GB' — how widgets and plots name a row."""
        return f"{self.provider} · {self.item}"

    def formatted(self) -> str:
        """The price as a person writes it: '$1.64/hour', '$0.67–1.89/hour', '1.5x base ...'."""
        unit = self.unit
        if unit.startswith("x "):
            if self.is_range:
                return f"{_num(self.low, True)}–{_num(self.high, True)}{unit}"
            return f"{_num(self.value, True)}{unit}"
        per = unit[2:] if unit.startswith("$/") else unit
        if self.is_range:
            return f"${_num(self.low)}–{_num(self.high)}/{per}"
        return f"${_num(self.value)}/{per}"


@dataclass(frozen=True)
class GpuOption:
    """A GPU one can rent, for the GPU picker (lesson 02) and the cost calculators (lesson 03)."""

    provider: str
    gpu: str
    vram_gb: float
    hourly_low: float
    hourly_high: float
    as_of: _dt.date
    source_name: str

    def label(self) -> str:
        rate = (f"${self.hourly_low:.2f}/h" if self.hourly_low == self.hourly_high
                else f"${self.hourly_low:.2f}–{self.hourly_high:.2f}/h")
        return f"{self.gpu} ({self.vram_gb:g} GB) · {self.provider} · {rate}"


def _num(x: float | None, multiplier: bool = False) -> str:
    """Cents for prices ('1.64', '0.48'), thousands separators for large ones ('2,000')."""
    if x is None:
        return "?"
    if multiplier:
        return f"{x:g}"
    if x >= 1000 and float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def default_prices_path() -> Path:
    return data_path("prices.csv")


def _parse_row(path: Path, line: int, cell: dict[str, str]) -> PriceRow:
    require(path, line, cell, ("provider", "item", "kind", "unit", "as_of", "source_name",
                               "source_url"))
    kind = cell["kind"]
    if kind not in KINDS:
        raise fail(path, line, "kind", f"{kind!r} is not a known kind; use one of {sorted(KINDS)}.")
    if cell["unit"] not in KINDS[kind]:
        raise fail(path, line, "unit", f"{cell['unit']!r} is not a unit for kind {kind!r}; "
                                       f"use one of {list(KINDS[kind])}.")
    value, low, high = (number(path, line, f, cell[f], positive=False, optional=True)
                        for f in ("value", "low", "high"))
    if value is not None and (low is not None or high is not None):
        raise fail(path, line, "value",
                   "both a value and a low/high range are given; keep one of them.")
    if value is None:
        if low is None and high is None:
            raise fail(path, line, "value", "no price: fill 'value', or both 'low' and 'high'.")
        if low is None or high is None:
            raise fail(path, line, "low" if low is None else "high",
                       "a range needs both 'low' and 'high'; this one is empty.")
        if low > high:
            raise fail(path, line, "low", f"low ({low:g}) is above high ({high:g}).")
    vram = number(path, line, "vram_gb", cell["vram_gb"], optional=True)
    if kind == "gpu_rental" and vram is None:
        raise fail(path, line, "vram_gb",
                   "is empty; a gpu_rental row needs the GPU's memory in GB (e.g. 80).")
    return PriceRow(
        provider=cell["provider"], item=cell["item"], kind=kind, unit=cell["unit"],
        value=value, low=low, high=high, vram_gb=vram,
        as_of=iso_date(path, line, "as_of", cell["as_of"]), source_name=cell["source_name"],
        source_url=address(path, line, "source_url", cell["source_url"]), notes=cell["notes"],
        line=line,
    )


def load_prices(path: str | Path | None = None) -> list[PriceRow]:
    """Lessons 02 and 03. Read and validate the prices file (default `data/prices.csv`).

    Raises `course_utils.errors.DataFileError` naming the file, the line and the field for: a
    missing or extra column, an empty required cell, an unknown kind or unit, a price that is
    not a number (or is negative), a half-given or inverted range, a GPU row without its
    memory, a date that is not YYYY-MM-DD, a source that is not an address, a duplicated row,
    or no rows.
    """
    path = Path(path) if path is not None else default_prices_path()
    rows: list[PriceRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in read_rows(path, COLUMNS):
        row = _parse_row(path, line, cells)
        key = (row.provider, row.item, row.unit)
        if key in seen:
            raise fail(path, line, "item", f"{row.provider} / {row.item} / {row.unit} is already "
                                           f"given on line {seen[key]}; keep one row per price.")
        seen[key] = line
        rows.append(row)
    if not rows:
        raise fail(path, None, None, "holds no price rows.")
    return rows


def _rows(rows: Sequence[PriceRow] | None) -> Sequence[PriceRow]:
    return load_prices() if rows is None else rows


def find_price(provider: str, item: str, unit: str | None = None, *,
               rows: Sequence[PriceRow] | None = None) -> PriceRow:
    """Lesson 03. The one row for `provider` and `item` (and `unit` when the item has several).

    An unknown provider, item or unit raises `UnknownPriceError` listing what the file holds.
    """
    rows = _rows(rows)
    providers = sorted({r.provider for r in rows})
    if provider not in providers:
        raise UnknownPriceError(f"provider {provider!r} is not in the prices file; "
                                f"known providers: {providers}")
    items = sorted({r.item for r in rows if r.provider == provider})
    if item not in items:
        raise UnknownPriceError(f"item {item!r} is not priced for provider {provider!r}; "
                                f"its items: {items}")
    found = [r for r in rows if r.provider == provider and r.item == item
             and (unit is None or r.unit == unit)]
    if not found:
        units = sorted({r.unit for r in rows if r.provider == provider and r.item == item})
        raise UnknownPriceError(f"unit {unit!r} is not given for {provider} / {item}; "
                                f"its units: {units}")
    if len(found) > 1:
        raise UnknownPriceError(f"{provider} / {item} has several units "
                                f"{[r.unit for r in found]}; pass unit=")
    return found[0]


def prices_of_kind(kind: str, rows: Sequence[PriceRow] | None = None) -> list[PriceRow]:
    """All rows of one kind, in file order. An unknown kind raises ValueError listing KINDS."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is unknown; use one of {sorted(KINDS)}")
    return [r for r in _rows(rows) if r.kind == kind]


def gpu_rental_options(rows: Sequence[PriceRow] | None = None) -> list[GpuOption]:
    """Every rentable GPU in the prices file (default: load it), cheapest low rate first.

    Used by the GPU picker of lesson 02 and the calculators of lesson 03.
    """
    opts = [
        GpuOption(provider=r.provider, gpu=r.item, vram_gb=float(r.vram_gb or 0),
                  hourly_low=r.price_low, hourly_high=r.price_high, as_of=r.as_of,
                  source_name=r.source_name)
        for r in _rows(rows) if r.kind == "gpu_rental"
    ]
    return sorted(opts, key=lambda o: (o.hourly_low, o.hourly_high, o.gpu, o.provider))


def max_age_days_setting(max_age_days: int | None = None) -> int:
    """Lessons 01 and 03. The staleness limit: the argument, else $COURSE_PRICE_MAX_AGE_DAYS, else 180."""
    if max_age_days is None:
        env = os.environ.get(MAX_AGE_ENV, "").strip()
        if env:
            try:
                max_age_days = int(env)
            except ValueError:
                raise ValueError(f"environment variable {MAX_AGE_ENV}={env!r} is not a whole "
                                 "number of days; unset it or write e.g. 180") from None
        else:
            max_age_days = DEFAULT_MAX_AGE_DAYS
    if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 0:
        raise ValueError(f"max_age_days must be a whole number of days >= 0, got {max_age_days!r}")
    return max_age_days


def stale_prices(rows: Iterable[PriceRow] | None = None, *, max_age_days: int | None = None,
                 today: _dt.date | None = None) -> list[PriceRow]:
    """Rows whose `as_of` is more than `max_age_days` before `today` (default: the real today)."""
    limit = max_age_days_setting(max_age_days)
    return [r for r in _rows(list(rows) if rows is not None else None)
            if r.age_days(today) > limit]


def price_age_warning(rows: Iterable[PriceRow] | None = None, *, max_age_days: int | None = None,
                      today: _dt.date | None = None) -> str | None:
    """Lessons 01 and 03. A warning to show when some prices are older than the limit, else None.

    `today` is injectable so tests do not depend on the calendar.
    """
    rows = list(_rows(list(rows) if rows is not None else None))
    limit = max_age_days_setting(max_age_days)
    today = today or _dt.date.today()
    old = stale_prices(rows, max_age_days=limit, today=today)
    if not old:
        return None
    oldest = min(old, key=lambda r: r.as_of)
    names = sorted({r.label() for r in old})
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (f"⚠ {len(old)} of {len(rows)} prices are more than {limit} days old on {today} "
            f"(oldest: {oldest.as_of}, {oldest.age_days(today)} days): {shown}. GPU and API "
            "prices move fast; check the source addresses in data/prices.csv and update the "
            f"rows (or set {MAX_AGE_ENV} to change the limit).")
