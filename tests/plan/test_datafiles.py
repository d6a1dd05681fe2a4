"""The CSV reader every plan-layer data file goes through: header, cell counts, blank lines,
and the cell parsers, each failure naming the file, the line and the field."""

from __future__ import annotations

import datetime as dt

import pytest

from course_utils.errors import DataFileError
from course_utils.plan import datafiles as F

COLUMNS = ("name", "count")


def rows(tmp_path, text):
    p = tmp_path / "f.csv"
    p.write_text(text)
    return list(F.read_rows(p, COLUMNS))


def test_rows_in_any_column_order_blank_lines_skipped_cells_stripped(tmp_path):
    got = rows(tmp_path, "count,name\n 3 , a \n\n,\n4,\"b, c\"\n")
    assert got == [(2, {"count": "3", "name": "a"}), (5, {"count": "4", "name": "b, c"})]


@pytest.mark.parametrize("text, line, field, words", [
    ("name\na\n", 1, "count", "column(s) ['count'] missing"),
    ("name,count,unit\na,1,x\n", 1, "unit", "unknown column(s) ['unit']"),
    ("name,count\na,1,2\n", 2, None, "3 cells for 2 columns (an unquoted comma?)"),
    ("name,count\na,1\nb\n", 3, None, "fewer cells than the 2 columns"),
])
def test_structure_errors(tmp_path, text, line, field, words):
    with pytest.raises(DataFileError) as e:
        rows(tmp_path, text)
    assert (e.value.line, e.value.field) == (line, field)
    assert words in str(e.value) and "f.csv" in str(e.value)


def test_the_parsers(tmp_path):
    p = tmp_path / "f.csv"
    assert F.number(p, 2, "n", "2048", integer=True) == 2048
    assert F.number(p, 2, "n", "0", positive=False) == 0.0
    assert F.number(p, 2, "n", "", optional=True) is None
    assert F.iso_date(p, 2, "d", "2026-06-01") == dt.date(2026, 6, 1)
    assert F.address(p, 2, "u", "", optional=True) == ""
    assert [F.yes_no(p, 2, "b", t) for t in ("yes", "False", "1")] == [True, False, True]
    for call, field, words in [
        (lambda: F.number(p, 4, "n", "1.5", integer=True), "n", "'1.5' is not a whole number"),
        (lambda: F.number(p, 4, "n", "0"), "n", "'0' is not a number > 0"),
        (lambda: F.number(p, 4, "n", ""), "n", "is empty"),
        (lambda: F.iso_date(p, 4, "d", "2026-6-1"), "d", "write YYYY-MM-DD"),
        (lambda: F.address(p, 4, "u", "example.org"), "u", "'example.org' is not an address"),
        (lambda: F.yes_no(p, 4, "b", "maybe"), "b", "'maybe' is not true or false"),
    ]:
        with pytest.raises(DataFileError) as e:
            call()
        assert (e.value.line, e.value.field) == (4, field)
        assert "line 4 (data row 3)" in str(e.value) and words in str(e.value)
