"""The lesson 01 and 03 widgets: drive the controls, read the displayed result and plot."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.costs import (  # noqa: E402
    GpuRentalCalculator, ManagedApiCalculator, TcoCalculator)
from course_utils.widgets.decision import DecisionWizard  # noqa: E402

FRESH = dt.date(2026, 7, 1)  # every price in data/prices.csv is under 180 days old then


# --- decision wizard ----------------------------------------------------------------------

def test_wizard_follows_the_answers():
    w = DecisionWizard(monthly_queries=5_000_000)
    assert w.recommendation.summary() == "fine-tuning — QLoRA"
    assert "Recommendation: fine-tuning — QLoRA" in w.result.value
    assert "qlora_default" in w.result.value and "high_volume" in w.result.value
    w.gpu_vram.value = 24.0
    assert "fine-tuning — LoRA" in w.result.value
    w.knowledge_stable.value = False
    assert "RAG + fine-tuning — LoRA" in w.result.value
    w.clean_examples.value = 120
    assert w.recommendation.approach == "RAG" and "too_few_examples" in w.result.value
    assert "Next step: collect at least 500 clean examples" in w.result.value
    w.clean_examples.value = 3_000
    w.open_weights.value = False
    assert "managed API (Google Vertex AI · Gemini fine-tuning)" in w.result.value
    w.format_problem.value = False
    assert "Recommendation: RAG</h4>" in w.result.value
    assert "prompting_suffices" in w.result.value


def test_wizard_plot_marks_break_even_and_volume():
    w = DecisionWizard(monthly_queries=100_000)
    ax = w.figure.axes[0]
    xs_of_vlines = sorted(line.get_xdata()[0] for line in ax.lines
                          if len(set(line.get_xdata())) == 1)
    assert xs_of_vlines[0] == 100_000
    assert xs_of_vlines[1] == pytest.approx(w.recommendation.break_even_queries)
    w.monthly_queries.value = 4_000_000
    ax = w.figure.axes[0]
    assert 4_000_000 in [line.get_xdata()[0] for line in ax.lines]
    assert "fine-tuning — QLoRA" in w.result.value


def test_wizard_inputs_are_bounded():
    w = DecisionWizard()
    w.clean_examples.value = -50     # BoundedIntText clamps instead of failing
    assert w.clean_examples.value == 0
    assert w.recommendation.approach == "prompting"


# --- GPU rental ------------------------------------------------------------------------------

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


def test_gpu_calculator_warns_on_old_prices():
    g = GpuRentalCalculator(today=dt.date(2027, 6, 1))
    assert "more than 180 days old" in g.notice.value
    g = GpuRentalCalculator(gpu="RunPod spot to on-demand · RTX 4090", today=dt.date(2026, 10, 1))
    assert "1 of 1 prices" in g.notice.value and "2026-03-10" in g.notice.value


def test_gpu_calculator_bad_argument():
    with pytest.raises(ValueError, match=r"argument 'gpu'.*'TPU'"):
        GpuRentalCalculator(gpu="TPU")


# --- managed API ----------------------------------------------------------------------------

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


# --- TCO and break-even ---------------------------------------------------------------------

def test_tco_calculator_breakdown_and_break_even():
    t = TcoCalculator(training_hours=8, today=FRESH)
    assert t.tco.runs == 4
    # 4 runs x 8 h x $1.64 = $52.48 compute; 5-10x data prep; $500-$2,000 tooling;
    # 12 x $1,180.80 hosting
    assert "training compute $52.48" in t.result.value
    assert "data preparation &amp; labelling $262.40–$524.80" in t.result.value
    assert "hosting $14,169.60" in t.result.value
    assert "TCO over 12 months: $14,984.48–$16,746.88" in t.result.value
    assert t.tco.smallest() == "training compute"
    assert "$0.00052 per query" in t.result.value
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
    assert len(ax_tco.patches) == 8  # 4 components x (low, high)
    assert [line.get_label() for line in ax_cum.lines][:2] == \
        ["self-hosted fine-tune", "API (OpenAI · GPT-4o)"]


def test_tco_calculator_bad_argument():
    with pytest.raises(ValueError, match=r"argument 'api_model'"):
        TcoCalculator(api_model="Acme · LLM")
