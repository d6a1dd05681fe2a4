"""The lesson-03 managed-API calculator: the seeds' example on every provider, closed offers."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.managed_api import ManagedApiCalculator  # noqa: E402

FRESH = dt.date(2026, 7, 1)  # every price in data/prices.csv is under 180 days old then


def test_managed_calculator_reproduces_the_seed_example():
    m = ManagedApiCalculator(today=FRESH)
    assert "25.60M training tokens" in m.result.value
    for cost in ("$12.29", "$76.80", "$640.00"):
        assert cost in m.result.value
    assert "closed to new users" in m.result.value
    bars = [p.get_width() for p in m.figure.axes[0].patches]
    assert sorted(bars) == pytest.approx([12.288, 76.8, 76.8, 640.0])


def test_managed_calculator_updates_and_hides_closed_offers():
    m = ManagedApiCalculator(today=FRESH)
    m.epochs.value = 2
    assert "$24.58" in m.result.value and "$1,280.00" in m.result.value
    m.include_closed.value = False
    assert "OpenAI" not in m.result.value and "$153.60" in m.result.value
    assert len(m.figure.axes[0].patches) == 2
    m.num_examples.value = 0  # bounded: clamps to 1 example
    assert m.num_examples.value == 1
