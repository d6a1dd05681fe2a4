"""Reading the CSV data files of lessons 01-03, cell by cell, with errors a learner can act on.

Every CSV file of the plan layer (prices, throughputs, the seeds' figures and worked examples,
published memory measurements) has a header line and one record per line. `read_rows` checks
the header and the cell counts and yields each record's cells; the small parsers below turn a
cell into a number, a date, an address or a yes/no. Each failure raises
`course_utils.errors.DataFileError` naming the file, the line (and data row), the field, the
bad value and the fix:

    data/prices.csv, line 3 (data row 2), field 'value': '1,64' is not a number. Write ...

What this leaves out: the meaning of each file's columns (the loaders that call these check
it) and files that are not CSV (the YAML rules of `decide`, the JSON model configs).
"""

from __future__ import annotations

import csv
import io
import datetime as _dt
import math
from pathlib import Path
from typing import Iterator, Sequence

from course_utils.errors import DataFileError
from course_utils.files import read_text


def fail(path: Path | str, line: int | None, field: str | None, message: str) -> DataFileError:
    """The error for a CSV cell: ``raise fail(path, line, field, "...")``."""
    return DataFileError(path, line, field, message, csv=True)


def read_rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Lessons 01-03. ``(line, {column: stripped cell})`` for each record of the CSV at `path`.

    The header must name exactly `columns`, in any order. Blank lines are skipped; a record with
    more or fewer cells than the header (an unquoted comma, a lost cell) is an error.
    """
    if not path.is_file():
        raise fail(path, None, None, "no such file.")
    text = read_text(path)  # a BOM is accepted; a byte that is not UTF-8 names its line and the fix
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        if missing:
            raise fail(path, 1, missing[0],
                       f"column(s) {missing} missing; the header must name {list(columns)}.")
        if extra:
            raise fail(path, 1, str(extra[0]),
                       f"unknown column(s) {extra}; the header must name {list(columns)}.")
        for raw in reader:
            line = reader.line_num
            if None in raw:  # more cells than header columns
                raise fail(path, line, None,
                           f"{len(header) + len(raw[None])} cells for {len(header)} columns (an "
                           "unquoted comma?). Quote cells that hold commas.")
            if all(not (v or "").strip() for v in raw.values()):
                continue  # a line of empty cells
            if any(v is None for v in raw.values()):
                raise fail(path, line, None,
                           f"fewer cells than the {len(header)} columns of the header.")
            yield line, {k: v.strip() for k, v in raw.items()}


def require(path: Path, line: int, cells: dict[str, str], fields: Sequence[str]) -> None:
    """Every field of `fields` must have a value in this record."""
    for name in fields:
        if not cells[name]:
            raise fail(path, line, name, "is empty; every row needs it.")


def number(path: Path, line: int, field: str, text: str, *, integer: bool = False,
           positive: bool = True, optional: bool = False) -> float | int | None:
    """A cell as a number (> 0, or >= 0 with ``positive=False``); None for an empty optional cell."""
    if text == "":
        if optional:
            return None
        raise fail(path, line, field, "is empty; write a number.")
    try:
        x = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise fail(path, line, field,
                   f"{text!r} is not {kind}. Write a plain number such as "
                   f"{'2048' if integer else '1.64'} (no '$', no unit, '.' as the decimal "
                   "point).") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise fail(path, line, field, f"{text!r} is not a number {'> 0' if positive else '>= 0'}.")
    return x


def iso_date(path: Path, line: int, field: str, text: str) -> _dt.date:
    """A cell as a YYYY-MM-DD date."""
    try:
        if len(text) != 10:
            raise ValueError
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise fail(path, line, field,
                   f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-06-01.") from None


def address(path: Path, line: int, field: str, text: str, *, optional: bool = False) -> str:
    """A cell that must be an http(s) address (or empty, when `optional`)."""
    if (text or not optional) and not text.startswith(("http://", "https://")):
        raise fail(path, line, field,
                   f"{text!r} is not an address; write the http(s):// address where the figure "
                   "can be checked.")
    return text


def yes_no(path: Path, line: int, field: str, text: str) -> bool:
    """A cell as True (true, yes, 1) or False (false, no, 0)."""
    t = text.strip().lower()
    if t in ("true", "yes", "1"):
        return True
    if t in ("false", "no", "0"):
        return False
    raise fail(path, line, field, f"{text!r} is not true or false.")
