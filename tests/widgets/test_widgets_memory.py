"""The lesson-02 VRAM calculator: controls drive the estimate, the bar and the GPU list."""

import pytest

pytest.importorskip("ipywidgets")

from course_utils.plan import memory as M
from course_utils.widgets.memory import (TARGET_CHOICES, breakdown_figure, fitting_gpus_html,
                                         memory_calculator)


class Opt:
    provider = "test"

    def __init__(self, gpu, vram, low):
        self.gpu, self.vram_gb, self.hourly_low, self.hourly_high = gpu, vram, low, low

    def label(self):
        return f"{self.gpu} ({self.vram_gb:g} GB) · ${self.hourly_low}/h"


OPTS = [Opt("T4", 16, 0.2), Opt("RTX 4090", 24, 0.4), Opt("L40S", 48, 0.8), Opt("A100 80GB", 80, 1.6)]


@pytest.fixture
def calc():
    return memory_calculator(model="Llama-3.1-8B", method="qlora", seq_len=1024, batch_size=4,
                             gpu_options=OPTS)


def test_default_state_matches_the_estimator(calc):
    expected = M.estimate_training_memory("Llama-3.1-8B", "qlora", 1024, 4)
    assert calc.estimate.total_bytes == expected.total_bytes
    usable = [o for o in OPTS if o.vram_gb * M.GIB * 0.9 >= expected.total_bytes]
    assert calc.pick.best is min(usable, key=lambda o: o.hourly_low)
    assert "Cheapest fit" in calc.result.value and calc.pick.best.gpu in calc.result.value
    assert calc.figure is not None


def test_controls_update_estimate_and_gpus(calc):
    before = calc.estimate.total_bytes
    calc.method.value = "full"
    assert calc.estimate.total_bytes > 5 * before
    assert calc.lora_r.disabled and calc.targets.disabled
    assert calc.pick.best is None and "No single GPU" in calc.result.value
    calc.method.value = "lora"
    assert not calc.lora_r.disabled
    lora = calc.estimate.total_bytes
    calc.checkpointing.value = False
    assert calc.estimate.total_bytes > lora
    calc.seq_len.value = 4096
    calc.batch_size.value = 8
    assert calc.estimate.inputs["seq_len"] == 4096 and calc.estimate.inputs["batch_size"] == 8
    calc.targets.value = "attention q, v"
    calc.lora_r.value = 64
    assert calc.estimate.inputs["trainable_params"] == M.lora_param_count("Llama-3.1-8B", 64, ["q_proj", "v_proj"])


def test_headroom_can_push_to_a_bigger_gpu(calc):
    calc.method.value = "lora"
    calc.seq_len.value = 512
    calc.batch_size.value = 1
    fits = calc.pick.best.gpu
    calc.headroom.value = 0.3
    assert calc.pick.best.vram_gb >= [o for o in OPTS if o.gpu == fits][0].vram_gb


def test_every_target_choice_works_on_every_committed_model():
    for name in M.available_models():
        for targets in TARGET_CHOICES.values():
            if M.resolve_config(name).layout != "llama" and targets != M.ALL_LINEAR:
                continue
            M.estimate_training_memory(name, "lora", 512, 1, target_modules=targets)


def test_model_without_those_targets_shows_the_error():
    calc = memory_calculator(model="Qwen-7B", method="lora", targets="attention q, v", gpu_options=OPTS)
    assert calc.estimate is None and "unknown target module" in calc.result.value


def test_breakdown_figure_stacks_every_term():
    ests = [M.estimate_training_memory("Llama-2-7B", m, 512, 1) for m in M.METHODS]
    fig = breakdown_figure(ests, list(M.METHODS), gpu_lines=[("24 GB", 25.8)])
    ax = fig.axes[0]
    assert len(ax.patches) == sum(len(e.breakdown) for e in ests)
    widths = [p.get_width() for p in ax.patches]
    assert abs(sum(widths) - sum(e.total_gb for e in ests)) < 1e-6


def test_fitting_gpus_html_lists_options():
    pick = M.pick_gpu(int(20e9), OPTS)
    text = fitting_gpus_html(pick)
    assert "L40S" in text and "A100" in text and "T4" not in text
