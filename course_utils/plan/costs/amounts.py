"""Dollars, hours and queries as numbers or low/high ranges, and the checks on them (lesson 03).

Any money argument of the cost functions may be a number or a `(low, high)` range. A function
returns a `Range` as soon as one of its inputs is a range, a float otherwise; every cost grows
with every input, so the low end is computed from the lows and the high end from the highs
(`lift`); `rate_of` reads a row of the prices file that way. `check` validates one argument and raises `CostInputError` naming it, the bad value
and what it must be. `money` prints amounts the way lessons and widgets show them.

What this leaves out: currencies (everything is US dollars) and uncertainty beyond a low/high
pair (no distributions).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple, Union

if TYPE_CHECKING:
    from course_utils.plan.prices import PriceRow


class CostInputError(ValueError):
    """An argument a cost function cannot use; the message names it."""


class Range(NamedTuple):
    """A low/high pair of dollars (or hours, or queries)."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:,.2f}–{self.high:,.2f}"


Amount = Union[float, int, Range, tuple]


def is_range(x) -> bool:
    """A `Range`, or a plain (low, high) tuple or list."""
    return isinstance(x, (Range, tuple, list))


def check(name: str, x, *, minimum: float = 0.0, strict: bool = True, integer: bool = False,
          allow_range: bool = True):
    """Validate one argument: a finite number above `minimum` (or a low<=high range of them)."""
    if is_range(x):
        if not allow_range:
            raise CostInputError(f"argument '{name}' must be a single number, got the range {x!r}")
        if len(x) != 2:
            raise CostInputError(f"argument '{name}' must be a number or a (low, high) pair, "
                                 f"got {x!r}")
        low = check(name + " (low)", x[0], minimum=minimum, strict=strict, integer=integer)
        high = check(name + " (high)", x[1], minimum=minimum, strict=strict, integer=integer)
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


def lift(fn, *args):
    """Apply `fn` to plain numbers, or to the lows and to the highs when any arg is a Range."""
    if not any(isinstance(a, Range) for a in args):
        return fn(*args)
    lows = [a.low if isinstance(a, Range) else a for a in args]
    highs = [a.high if isinstance(a, Range) else a for a in args]
    return Range(fn(*lows), fn(*highs))


def low_high(x: Amount) -> tuple[float, float]:
    """Lesson 03. (low, high) of a number or a range."""
    return (x.low, x.high) if isinstance(x, Range) else (float(x), float(x))


def add(*amounts: Amount) -> Amount:
    """Lesson 03. The sum of numbers and ranges (a Range when any is one)."""
    return lift(lambda *xs: sum(xs), *[Range(*a) if is_range(a) else a for a in amounts])


def rate_of(row: "PriceRow") -> Amount:
    """Lesson 03. A price row's figure as a number, or a Range when the row gives low/high."""
    return Range(row.low, row.high) if row.is_range else row.value  # type: ignore[arg-type]


def money(x: Amount) -> str:
    """Lesson 03. '$12.29', '$3.28–$13.12', '$14,169.60': how lessons and widgets print dollars."""
    if is_range(x):
        low, high = money(x[0]), money(x[1])
        return low if low == high else f"{low}–{high}"
    if 0 < abs(x) < 0.01:  # per-query API costs: keep three significant digits
        return f"${x:.3g}"
    return f"${x:,.2f}"


def cents(x: Amount) -> Amount:
    """Rounded to the cent, as an invoice would show it."""
    return lift(lambda v: round(v + 0.0, 2), x)
