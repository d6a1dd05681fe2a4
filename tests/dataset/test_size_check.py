"""Lesson 04: the size gate warns below the seeds' guideline, read from the one file that
states it (the same entry lesson 01's decision rules read)."""

import warnings

import pytest

from course_utils.dataset.size_check import SmallDatasetWarning, check_size, size_guideline
from course_utils.errors import DataFileError
from course_utils.plan.decide import load_rules
from row_builders import row


def test_size_gate_warns_below_the_seeds_guideline():
    rows = [row(f"x{i}", f"message {i}") for i in range(120)]
    with pytest.warns(SmallDatasetWarning, match="500-1000"):
        msgs = check_size(rows)
    assert len(msgs) == 1 and "120" in msgs[0] and "'triage'" in msgs[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_size(rows, minimum=100) == []
    with pytest.raises(ValueError, match=r"check_size\(minimum=-1\)"):
        check_size(rows, minimum=-1)


def test_guideline_is_the_one_lesson_01_decides_with():
    rules = load_rules()["min_clean_examples"]
    guide = size_guideline()
    assert (guide["low"], guide["high"], guide["source"]) == (rules["low"], rules["high"], rules["source"])


def test_a_broken_guideline_file_names_the_field(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text("min_clean_examples: {low: 900, high: 500}\n")
    with pytest.raises(DataFileError, match=r"field 'min_clean_examples.low': 900 is above"):
        size_guideline(p)
    p.write_text("min_clean_examples: {low: many, high: 500}\n")
    with pytest.raises(DataFileError, match=r"field 'min_clean_examples.low': must be a positive"):
        size_guideline(p)
    p.write_text("other: 1\n")
    with pytest.raises(DataFileError, match=r"field 'min_clean_examples': missing"):
        size_guideline(p)


def test_the_guideline_file_is_read_strictly(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_bytes(b"\xef\xbb\xbfmin_clean_examples: {low: 500, high: 1000, source: x}\n")
    assert size_guideline(p) == {"low": 500, "high": 1000, "source": "x"}
    p.write_bytes("min_clean_examples: {low: 500, high: 1000, source: café}\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"rules.yaml, line 1: byte 0xE9 is not utf-8"):
        size_guideline(p)
