"""Lesson 02's VRAM calculator in a browser: sliders, buttons and the checkbox reach
`estimate_training_memory`, and the page shows its total and `pick_gpu`'s cheapest fit."""

import re

import pytest

from course_utils import GB, estimate_training_memory, pick_gpu

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def shown(calc):
    """(GB needed, cheapest fit or None when no single GPU fits) as the page shows them."""
    text = calc.html("Needs").inner_text()
    need = re.search(r"Needs ([\d.]+) GB", text)
    best = re.search(r"Cheapest fit: (.+)", text)
    assert need and (best or "No single GPU" in text), f"unexpected memory result: {text!r}"
    return need.group(1), best.group(1).strip() if best else None


def expected(method, seq_len, batch_size, checkpointing, headroom=0.10):
    est = estimate_training_memory("qwen2.5-7b", method, seq_len, batch_size, lora_r=16,
                                   gradient_checkpointing=checkpointing)
    pick = pick_gpu(est, headroom=headroom)
    return f"{pick.need_bytes / GB:.1f}", pick.best.label() if pick.best else None


def test_memory_calculator_shows_the_estimate_for_what_was_set(open_calculator):
    calc = open_calculator("memory")
    calc.screenshot("before")
    assert shown(calc) == expected("qlora", 1024, 4, True)
    chart_before = calc.chart_png()

    calc.press_keys("Batch size", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight")
    calc.press_keys("Sequence length", "ArrowRight")          # 1024 -> 2048
    assert (calc.slider_value("Batch size"), calc.slider_value("Sequence length")) == ("8", "2048")
    assert shown(calc) == expected("qlora", 2048, 8, True)

    calc.click_button("Method", "lora")
    calc.click_checkbox("Activation checkpointing")            # on -> off
    calc.screenshot("after")
    assert shown(calc) == expected("lora", 2048, 8, False)
    assert calc.chart_png() != chart_before, "the memory bar did not change"
