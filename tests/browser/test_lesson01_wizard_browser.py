"""Lesson 01's decision wizard in a browser: clicks and typing reach `recommend`, and back."""

import pytest

from course_utils import recommend

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Q1, Q3, Q4 = ("1. The facts the answers need are", "3. Clean labelled examples you own",
              "4. Queries per month")


def shown(calc):
    """(summary, [rule of each reason]) as the page shows them."""
    box = calc.html("Recommendation:")
    summary = box.locator("h4").inner_text().removeprefix("Recommendation:").strip()
    return summary, [c.inner_text() for c in box.locator("li code").all()]


def expected(*args, **kwargs):
    r = recommend(*args, **kwargs)
    return r.summary(), [reason.rule for reason in r.reasons]


def test_wizard_answers_what_recommend_answers(open_calculator):
    calc = open_calculator("wizard")
    calc.screenshot("before")
    assert shown(calc) == expected(True, True, 2_000, 100_000, True)
    chart_before = calc.chart_png()

    calc.type_number(Q4, 5_000_000)                  # above the break-even volume
    assert shown(calc) == expected(True, True, 2_000, 5_000_000, True)
    assert calc.chart_png() != chart_before, "the volume line did not move"

    calc.press_keys(Q3, "ArrowUp", "ArrowUp", "ArrowUp")   # step 100: 2,000 -> 2,300
    assert calc.control(Q3).locator("input").input_value() == "2300"
    calc.click_button(Q1, "changes monthly or faster")
    calc.choose("GPU memory you can rent", "24 GB (RTX 4090, L4)")
    calc.screenshot("after")
    assert shown(calc) == expected(False, True, 2_300, 5_000_000, True, gpu_vram_gb=24.0)
