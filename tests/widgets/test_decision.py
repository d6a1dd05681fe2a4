"""The lesson-01 decision wizard: the answers drive the recommendation and the volume plot."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.decision import DecisionWizard  # noqa: E402



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
