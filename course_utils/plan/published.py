"""Published figures the planning lessons cite, each with its source and date (lessons 01-03).

A published figure is a number someone else wrote down: a seed article's rule of thumb ("data
preparation costs 5-10x the training compute"), a claim ("LoRA keeps 90-95% of full
fine-tuning's quality"). The code never writes one as a literal: it lives in a CSV file under
`data/` with the columns

    name         the key the code looks it up by
    value        a single number, or empty when low and high are given
    low, high    a range (both or neither; low <= high)
    unit         what the number counts ("%", "hours", "x training compute")
    as_of        when it was published or read, YYYY-MM-DD
    source_name  who published it
    source_url   where to check it (http:// or https://), or empty when the course holds the
                 text but not an address (the note then says so)
    notes        how the figure is used, and its caveats

and is read by `load_figures`. Two files have this shape: `data/costs_assumptions.csv` (the
seeds' cost rules of thumb, `course_utils.plan.costs.assumption`) and
`data/published_figures.csv` (the other figures lessons 01-03 quote, `published_figure`).

What this leaves out: prices (`data/prices.csv`, with their own staleness check), throughputs
and memory measurements (files of their own, with the settings each was measured under).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from course_utils.paths import data_path
from course_utils.plan.costs.amounts import Amount, Range
from course_utils.plan.datafiles import address, fail, iso_date, number, read_rows

COLUMNS = ("name", "value", "low", "high", "unit", "as_of", "source_name", "source_url", "notes")
FIGURES_FILE = "published_figures.csv"


@dataclass(frozen=True)
class PublishedFigure:
    """One figure of a figures file: a number or a `Range`, with its unit, date and source."""

    name: str
    value: Amount
    unit: str
    as_of: _dt.date
    source_name: str
    source_url: str
    notes: str

    @property
    def low(self) -> float:
        return self.value.low if isinstance(self.value, Range) else float(self.value)

    @property
    def high(self) -> float:
        return self.value.high if isinstance(self.value, Range) else float(self.value)


def _value(path: Path, line: int, c: dict[str, str]) -> Amount:
    if c["value"] and (c["low"] or c["high"]):
        raise fail(path, line, "value", "give a value or low/high, not both.")
    if c["value"]:
        return number(path, line, "value", c["value"])
    if not (c["low"] and c["high"]):
        raise fail(path, line, "low" if not c["low"] else "high",
                   "a range needs both low and high.")
    value = Range(number(path, line, "low", c["low"]), number(path, line, "high", c["high"]))
    if value.low > value.high:
        raise fail(path, line, "low", f"low ({value.low:g}) is above high ({value.high:g}).")
    return value


def load_figures(path: str | Path | None = None) -> dict[str, PublishedFigure]:
    """Lessons 01-03. The figures of a figures file by name (default `data/published_figures.csv`).

    Raises `course_utils.errors.DataFileError` naming the file, line and field for a wrong
    header, an empty name or source, a name given twice, a value that is not a number > 0, a
    half-given or inverted range, a date that is not YYYY-MM-DD or a source that is not an
    address.
    """
    path = Path(path) if path is not None else data_path(FIGURES_FILE)
    out: dict[str, PublishedFigure] = {}
    for line, c in read_rows(path, COLUMNS):
        for key in ("name", "source_name"):
            if not c[key]:
                raise fail(path, line, key, "is empty; every row needs it.")
        if c["name"] in out:
            raise fail(path, line, "name", f"{c['name']!r} is given twice.")
        out[c["name"]] = PublishedFigure(
            c["name"], _value(path, line, c), c["unit"], iso_date(path, line, "as_of", c["as_of"]),
            c["source_name"], address(path, line, "source_url", c["source_url"], optional=True),
            c["notes"])
    return out


def published_figure(name: str, path: str | Path | None = None) -> PublishedFigure:
    """Lessons 01-03. One figure of `data/published_figures.csv` (or of the file at `path`).

    An unknown name raises ValueError listing the names the file holds.
    """
    table = load_figures(path)
    if name not in table:
        raise ValueError(f"argument 'name': {name!r} is not in {path or 'data/' + FIGURES_FILE}; "
                         f"known: {sorted(table)}")
    return table[name]
