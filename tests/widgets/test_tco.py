"""The lesson-03 TCO calculator: the breakdown, the break-even and the cumulative plot."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.tco import TcoCalculator  # noqa: E402

FRESH = dt.date(2026, 7, 1)  # every price in data/prices.csv is under 180 days old then


def test_tco_calculator_breakdown_and_break_even():
    t = TcoCalculator(training_hours=8, today=FRESH)
    assert t.tco.runs == 4
    # 4 runs x 8 h x $1.64 = $52.48 compute; 5-10x data prep; $500-$2,000 tooling;
    # 12 x $1,180.80 hosting
    assert "training compute $52.48" in t.result.value
    assert "data preparation &amp; labelling $262.40–$524.80" in t.result.value
    assert "self-hosted serving $14,169.60" in t.result.value
    assert "TCO over 12 months: $14,984.48–$16,746.88" in t.result.value
    assert t.tco.smallest() == "training compute"
    assert "$0.00052 per query" in t.result.value
    # the API answers the same 3M queries a month: 12 x 3M x $0.00052
    assert t.serving.api == pytest.approx(18_720.0)
    assert "for the same 3,000,000 queries a month costs <b>$18,720.00</b>" in t.result.value
    assert t.cumulative.break_even_month is not None
    assert f"cross in <b>month {t.cumulative.break_even_month}</b>" in t.result.value


def test_tco_calculator_reacts_to_volume_and_cadence():
    t = TcoCalculator(today=FRESH)
    t.monthly_queries.value = 100_000
    assert "do not cross within 12 months" in t.result.value
    t.retrain.value = "monthly"
    assert t.tco.runs == 12 and "(12 training runs)" in t.result.value
    t.api_model.value = "OpenAI · GPT-4o"
    assert "$0.00325 per query" in t.result.value  # 500 x $2.50/1M + 200 x $10/1M
    t.monthly_queries.value = 2_000_000
    assert "cross in" in t.result.value
    ax_tco, ax_cum = t.figure.axes
    assert len(ax_tco.patches) == 9  # 4 components x (low, high), and the API for the same queries
    assert ax_tco.patches[-1].get_height() == pytest.approx(t.serving.api)
    assert [line.get_label() for line in ax_cum.lines][:2] == \
        ["self-hosted fine-tune", "prompting the API (OpenAI · GPT-4o)"]


def test_tco_calculator_bad_argument():
    with pytest.raises(ValueError, match=r"argument 'api_model'"):
        TcoCalculator(api_model="Acme · LLM")
