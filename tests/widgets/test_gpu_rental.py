"""The lesson-03 GPU rental calculator: throughput, hours, dollars, the offers plot, stale prices."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.gpu_rental import GpuRentalCalculator  # noqa: E402

FRESH = dt.date(2026, 7, 1)  # every price in data/prices.csv is under 180 days old then


def test_gpu_calculator_reproduces_the_seed_run():
    g = GpuRentalCalculator(today=FRESH)
    assert g.gpu.value == "RunPod Community · A100 80GB"
    # QLoRA on A100: derived from the LoRA measurement x 0.8 = 3,263 tokens/s
    assert g.tokens_per_second.value == 3263
    assert "derived" in g.throughput_note.value and "VectorLM" in g.throughput_note.value
    assert "2.18 GPU-hours" in g.result.value and "$3.57" in g.result.value
    g.tokens_per_second.value = 3556  # 25.6M tokens / 3,556 tokens/s = 2.0 h -> $3.28
    assert "2.00 GPU-hours" in g.result.value and "<b>$3.28</b>" in g.result.value
    g.tokens_per_second.value = 889   # -> 8.0 h -> $13.12
    assert "8.00 GPU-hours" in g.result.value and "<b>$13.12</b>" in g.result.value
    assert g.notice.value == ""  # fresh prices: no warning


def test_gpu_calculator_follows_gpu_and_method():
    g = GpuRentalCalculator(today=FRESH)
    g.gpu.value = "RunPod spot to on-demand · RTX 4090"
    assert g.tokens_per_second.value == 2413
    assert "2.95 GPU-hours" in g.result.value and "$1.00–$1.77" in g.result.value
    g.method.value = "lora"
    assert g.tokens_per_second.value == 3083
    g.epochs.value = 2
    assert "51.2M tokens" in g.result.value
    g.gpu.value = "Lambda · H100 80GB"  # no published throughput: keeps the typed one
    assert "type your own" in g.throughput_note.value
    assert g.tokens_per_second.value == 3083
    # the comparison plot: one bar per offer with a published throughput, plus the choice
    labels = [t.get_text() for t in g.figure.axes[0].get_yticklabels()]
    assert "Lambda · H100 80GB" in labels and "RunPod Community · A100 80GB" in labels


def test_gpu_calculator_spot_option():
    g = GpuRentalCalculator(today=FRESH)
    assert g.spot_estimate is None and "On spot" not in g.result.value
    assert g.spot.details.layout.display == "none"
    g.spot.enabled.value = True
    assert g.spot.details.layout.display is None
    # 50,000 examples / 8 per step = 6,250 steps; a save every 100-200 steps = 31-62 saves
    est = g.spot_estimate
    assert est.steps == 6250 and est.checkpoints == (31, 62)
    assert est.discount == (0.6, 0.8) and est.on_demand_cost == pytest.approx((3.574, 3.574), abs=1e-3)
    assert "On spot</b> (60%–80% off" in g.result.value and "31–62 saves" in g.result.value
    assert "$0.80–$1.79</b> against $3.57 on demand" in g.result.value
    g.spot.preemptions.value = (0, 0)
    g.spot.save_seconds.value = 0
    assert g.spot_estimate.hours == pytest.approx((g.hours, g.hours))   # no overhead left
    g.spot.discount.value = (0.5, 0.5)
    assert g.spot_estimate.cost == pytest.approx((g.hours * 0.82, g.hours * 0.82))
    g.gpu.value = "Vast.ai spot · A100 80GB"
    assert "already a spot price" in g.result.value
    g.spot.enabled.value = False
    assert g.spot_estimate is None and "On spot" not in g.result.value


def test_gpu_calculator_warns_on_old_prices():
    g = GpuRentalCalculator(today=dt.date(2027, 6, 1))
    assert "more than 180 days old" in g.notice.value
    g = GpuRentalCalculator(gpu="RunPod spot to on-demand · RTX 4090", today=dt.date(2026, 10, 1))
    assert "1 of 1 prices" in g.notice.value and "2026-03-10" in g.notice.value


def test_gpu_calculator_bad_argument():
    with pytest.raises(ValueError, match=r"argument 'gpu'.*'TPU'"):
        GpuRentalCalculator(gpu="TPU")
