"""The one helper behind every exercise check: numbers, closeness, mistakes named by value."""

from __future__ import annotations

from course_utils.exercises.check import check, close, diagnose, number


def test_number_accepts_numbers_only():
    assert number(3) == 3.0 and number("2.5") == 2.5
    assert [number(x) for x in (None, True, "many", float("nan"), float("inf"), [1])] == [None] * 6


def test_close_is_relative():
    assert close(101, 100, 0.01) and not close(102, 100, 0.01) and not close("x", 100, 0.5)


def test_diagnose_names_the_matching_mistake():
    mistakes = [(50.0, "one epoch, not two"), (100e6, "per million")]
    assert diagnose(50.2, mistakes, "default") == "one epoch, not two"
    assert diagnose(1e8, mistakes, "default") == "per million"
    assert diagnose(75, mistakes, "default") == "default"
    assert diagnose("lots", mistakes, "default").startswith("answer with a number")


def test_check_never_raises_on_an_answer(capsys):
    assert check(None, lambda a: a > 1, "good", "hint") is None
    assert check("text", lambda a: a > 1, "good", "hint") is False    # '>' raises: just wrong
    assert check(2, lambda a: a > 1, "good", "hint") is True
    out = capsys.readouterr().out.splitlines()
    assert out == ["◻ Not answered yet. Hint: hint", "✗ Not quite. Hint: hint", "✓ good"]
