"""Lesson 07: the seed article's claim about multi-adapter serving, read from its data file.

*Fine-tuning LLMs on a budget* (zerotomodel.com, mid-2026) claims that one A100 80GB serves 25
LoRA adapters on a Mistral 7B base. Its numbers are published figures, so they live in
`data/serving_figures.csv` with their source, address and date, in the course's one format for
published figures (`course_utils.plan.published`). `SEED_CLAIM` gathers them into the dict that
lesson 07 sets beside `gpu_adapter_capacity`'s estimate: a claim to check, not a fact.

What this leaves out: checking the claim (`course_utils.serve.bench.gpu_adapter_capacity` does)
and the figures of lessons 01-03 (`data/published_figures.csv`).
"""

from __future__ import annotations

from pathlib import Path

from course_utils.errors import DataFileError
from course_utils.paths import data_path
from course_utils.plan.published import load_figures

SERVING_FIGURES_FILE = data_path("serving_figures.csv")
CLAIM_GPU_MODEL = "A100"        # the NVIDIA card the claim names; its memory is a figure of the file
CLAIM_BASE = "mistral-7b"       # the claim's Mistral 7B, by its name in data/model_configs


def load_seed_claim(path: str | Path | None = None) -> dict:
    """Lesson 07. The seed article's serving claim: adapters, gpu, gpu_gb, base, as_of, source, url.

    Raises `DataFileError` naming the file and field when a figure is missing or not a whole number."""
    path = Path(path) if path is not None else SERVING_FIGURES_FILE
    figures = load_figures(path)
    whole = {}
    for name in ("seed_claim_adapters", "seed_claim_gpu_gb"):
        figure = figures.get(name)
        if figure is None:
            raise DataFileError(path, None, "name", f"no row named {name!r}; the file holds {sorted(figures)}.")
        if figure.low != figure.high or figure.low != int(figure.low):
            raise DataFileError(path, None, "value", f"{name} must be one whole number; got {figure.value!r}.")
        whole[name] = int(figure.low)
    adapters = figures["seed_claim_adapters"]
    return dict(adapters=whole["seed_claim_adapters"], gpu_gb=whole["seed_claim_gpu_gb"],
                gpu=f"{CLAIM_GPU_MODEL} {whole['seed_claim_gpu_gb']}GB", base=CLAIM_BASE,
                as_of=adapters.as_of.isoformat(), source=adapters.source_name, url=adapters.source_url)


SEED_CLAIM = load_seed_claim()
