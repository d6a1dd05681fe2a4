"""The VRAM calculator of lesson 02: a thin ipywidgets layer over `course_utils.plan.memory`.

Model, method, sequence length, batch, LoRA rank, target modules and checkpointing in; a
stacked bar of the estimate's terms and the GPUs of the course's price table that fit (with
the stated headroom) out. Controls are attributes, so a test or a learner can write
`calc.seq_len.value = 4096` and read `calc.estimate`, `calc.pick` and `calc.result.value`.
Display it by leaving it as the last expression of a cell.

What this leaves out: inference memory (lesson 07 draws it with `breakdown_figure`) and
settings beyond the controls (optimizer, dtypes: call `estimate_training_memory` for those).
"""

from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan.memory.configs import available_models
from course_utils.plan.memory.estimate import TERM_INFO, MemoryEstimate, estimate_training_memory
from course_utils.plan.memory.inputs import (ALL_LINEAR, DEFAULT_HEADROOM, GB, GIB, METHODS,
                                             MemoryInputError)
from course_utils.plan.memory.pick import GpuPick, pick_gpu
from course_utils.plan.prices import gpu_rental_options
from course_utils.widgets.calculator import Calculator

# Colours per term, so the same term has the same colour in every bar of the lesson.
TERM_COLOURS = {
    "weights_fp32": "#1f4e79", "weights_bf16": "#2e75b6", "weights_fp16": "#2e75b6",
    "weights_16bit_copy": "#9dc3e6", "weights_nf4": "#548235", "weights_int8": "#70ad47",
    "quant_constants": "#a9d18e", "lora_adapters": "#7030a0", "gradients": "#c00000",
    "optimizer_states": "#ed7d31", "activations": "#ffc000", "logits": "#bf9000",
    "kv_cache": "#ffc000", "overhead": "#7f7f7f",
}
TARGET_CHOICES = {
    "all linear layers": ALL_LINEAR,
    "attention q, v": ["q_proj", "v_proj"],
    "attention q, k, v, o": ["q_proj", "k_proj", "v_proj", "o_proj"],
}
SEQ_LENS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768]


def breakdown_figure(estimates: Sequence[MemoryEstimate], labels: Sequence[str] | None = None,
                     gpu_lines: Sequence[tuple[str, float]] = (), title: str = ""):
    """Lesson 02. Horizontal stacked bars, one per estimate, one segment per term (GB); optional
    vertical lines at GPU sizes [(label, GB)]. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    labels = list(labels or [e.model for e in estimates])
    fig, ax = plt.subplots(figsize=(10, 1.9 + 0.6 * len(estimates)), constrained_layout=True)
    seen: set[str] = set()
    for row, est in enumerate(estimates):
        left = 0.0
        for key, value in est.breakdown.items():
            gb = value / GB
            name = TERM_INFO.get(key, (key,))[0]
            ax.barh(row, gb, left=left, color=TERM_COLOURS.get(key, "#cccccc"), edgecolor="white",
                    label=None if name in seen else name)
            seen.add(name)
            left += gb
        ax.text(left, row, f" {est.total_gb:.1f} GB", va="center", fontsize=9)
    for name, gb in gpu_lines:
        ax.axvline(gb, color="black", ls="--", lw=0.8)
        ax.text(gb, -0.55, f" {name}", fontsize=8, va="bottom")
    right = max([e.total_gb for e in estimates] + [gb for _, gb in gpu_lines])
    ax.set_xlim(0, right * 1.15)
    ax.set_yticks(range(len(estimates)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("GB (10^9 bytes)")
    if title:
        ax.set_title(title, pad=16)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return fig


def fitting_gpus_html(pick: GpuPick, limit: int = 8) -> str:
    """The picker's answer as HTML: the cheapest fit, then the other options that fit."""
    need = pick.need_bytes / GB
    head = (f"<b>Needs {need:.1f} GB</b> (+{pick.headroom:.0%} headroom). ")
    if pick.best is None:
        return head + ("<span style='color:#a00'>No single GPU in the price table fits: shard over "
                       "several GPUs, or shrink the run (QLoRA, checkpointing, a shorter sequence, "
                       "a smaller batch).</span>")
    items = "".join(f"<li>{html.escape(o.label())}</li>" for o in pick.fitting[:limit])
    more = len(pick.fitting) - limit
    return (head + f"Cheapest fit: <b>{html.escape(pick.best.label())}</b>"
            f"<ul style='margin:2px 0'>{items}</ul>" + (f"<i>and {more} more</i>" if more > 0 else ""))


class MemoryCalculator(Calculator):
    """Lesson 02's VRAM calculator. `update()` recomputes; every control change calls it."""

    def __init__(self, model: str = "qwen2.5-7b", method: str = "qlora", seq_len: int = 1024,
                 batch_size: int = 4, lora_r: int = 16, targets: str = "all linear layers",
                 gradient_checkpointing: bool = True, headroom: float = DEFAULT_HEADROOM,
                 gpu_options: Sequence | None = None):
        self.gpu_options = list(gpu_rental_options() if gpu_options is None else gpu_options)
        names = available_models()
        preset_names = [n for n in ("qwen2.5-7b", "mistral-7b", "llama-3.1-8b") if n not in names]
        style = {"description_width": "150px"}
        self.model = widgets.Dropdown(options=preset_names + names, value=model, description="Model",
                                      style=style)
        self.method = widgets.ToggleButtons(options=list(METHODS), value=method, description="Method",
                                            style=style)
        self.seq_len = widgets.SelectionSlider(options=SEQ_LENS, value=seq_len, description="Sequence length",
                                               style=style)
        self.batch_size = widgets.IntSlider(value=batch_size, min=1, max=64, description="Batch size",
                                            style=style)
        self.lora_r = widgets.Dropdown(options=[4, 8, 16, 32, 64, 128, 256], value=lora_r,
                                       description="LoRA rank r", style=style)
        self.targets = widgets.Dropdown(options=list(TARGET_CHOICES), value=targets,
                                        description="LoRA targets", style=style)
        self.checkpointing = widgets.Checkbox(value=gradient_checkpointing,
                                              description="Activation checkpointing", indent=False)
        self.headroom = widgets.FloatSlider(value=headroom, min=0.0, max=0.3, step=0.05,
                                            description="GPU headroom", readout_format=".0%", style=style)
        self.result = widgets.HTML()
        self.plot = widgets.Output()
        self.estimate: MemoryEstimate | None = None
        self.pick: GpuPick | None = None
        controls = [self.model, self.method, self.seq_len, self.batch_size, self.lora_r,
                    self.targets, self.checkpointing, self.headroom]
        self._watch(*controls)
        self.widget = widgets.VBox(controls + [self.result, self.plot])
        self.update()

    def update(self) -> None:
        lora = self.method.value != "full"
        self.lora_r.disabled = self.targets.disabled = not lora
        try:
            est = estimate_training_memory(
                self.model.value, self.method.value, self.seq_len.value, self.batch_size.value,
                lora_r=self.lora_r.value, target_modules=TARGET_CHOICES[self.targets.value],
                gradient_checkpointing=self.checkpointing.value)
        except MemoryInputError as e:  # e.g. targets a model does not have
            self.estimate = self.pick = None
            self.result.value = f"<span style='color:#a00'>{html.escape(str(e))}</span>"
            return
        self.estimate = est
        self.pick = pick_gpu(est, self.gpu_options, headroom=self.headroom.value)
        self.result.value = fitting_gpus_html(self.pick)
        sizes = sorted({(o.gpu, o.vram_gb * GIB / GB) for o in self.gpu_options}, key=lambda t: t[1])
        shown = [(name, gb) for name, gb in sizes if gb <= max(est.total_gb * 1.6, sizes[0][1])][:4]
        self._draw(breakdown_figure([est], [f"{est.model}\n{self.method.value}"], gpu_lines=shown))


def memory_calculator(**kwargs) -> MemoryCalculator:
    """Lesson 02. The VRAM calculator (see MemoryCalculator for the arguments)."""
    return MemoryCalculator(**kwargs)
