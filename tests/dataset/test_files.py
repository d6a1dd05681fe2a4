"""Lesson 04: text and JSON are read strictly: a byte-order mark is accepted, anything else that
`open()` or `json.loads` would get wrong or let through is refused with line, column and fix."""

import codecs

import pytest

from course_utils.files import MAX_NUMBER_DIGITS, parse_json, read_text
from course_utils.errors import DataFileError


def test_a_utf8_byte_order_mark_is_accepted_and_removed(tmp_path):
    p = tmp_path / "excel.txt"
    p.write_bytes(codecs.BOM_UTF8 + "café\n".encode("utf-8"))
    assert read_text(p) == "café\n"


@pytest.mark.parametrize("data, line, shown", [
    ("ok\ncafé 2\n".encode("latin-1"), 2, "0xE9"),
    (b"a\nb\nIt\x92s broken\n", 3, "0x92"),
])
def test_bytes_that_are_not_utf8_name_line_column_bytes_and_fix(tmp_path, data, line, shown):
    p = tmp_path / "latin.txt"
    p.write_bytes(data)
    with pytest.raises(DataFileError) as e:
        read_text(p)
    msg = str(e.value)
    assert e.value.line == line and str(p) in msg and shown in msg
    assert "Windows-1252" in msg and "re-save the file as UTF-8" in msg and "column" in msg


def test_utf16_is_refused_with_the_fix(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_text("hello\n", encoding="utf-16")
    with pytest.raises(DataFileError, match="line 1: the file is UTF-16.*re-save the file as UTF-8"):
        read_text(p)


def test_another_encoding_is_read_only_when_named(tmp_path):
    p = tmp_path / "cp.txt"
    p.write_bytes("café".encode("cp1252"))
    assert read_text(p, encoding="cp1252") == "café"


@pytest.mark.parametrize("text, line, col, field, pattern", [
    ('{"a": 1, "a": 2}', 1, 10, "a", "key 'a' appears twice"),
    ('{\n "x": [\n  {"k": 1, "k": 2}]}', 3, 12, "k", "key 'k' appears twice"),
    ('[1, NaN]', 1, 5, None, "NaN is not JSON"),
    ('{"v": -Infinity}', 1, 7, None, "-Infinity is not JSON"),
    ('{"v": ' + "9" * 5000 + "}", 1, 7, None, "a number with 5,000 digits"),
    ('{"v": 1e999}', 1, 7, None, "too large for a float"),
])
def test_json_that_loses_data_silently_is_refused_where_it_is(text, line, col, field, pattern):
    with pytest.raises(DataFileError, match=pattern) as e:
        parse_json(text, "f.json")
    assert (e.value.line, e.value.field) == (line, field)
    assert f"column {col}:" in str(e.value)


def test_json_that_is_fine_parses_as_usual():
    assert parse_json('{"s": "NaN, 1e999 and \\"a\\": 1", "n": 1.5, "i": -12}', "f") == {
        "s": 'NaN, 1e999 and "a": 1', "n": 1.5, "i": -12}
    assert parse_json("1" * MAX_NUMBER_DIGITS, "f") == int("1" * MAX_NUMBER_DIGITS)


def test_broken_json_names_line_column_and_start_and_a_given_line_wins():
    with pytest.raises(DataFileError, match=r"f.json, line 2: not valid JSON: .* column 1") as e:
        parse_json('{"a":\n', "f.json")
    with pytest.raises(DataFileError, match=r"line 7: not valid JSON") as e:
        parse_json('{"a": }', "f.jsonl", line=7)
    assert e.value.line == 7
    with pytest.raises(DataFileError, match="empty"):
        parse_json("  ", "f.json")
