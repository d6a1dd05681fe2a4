"""The calculators of lessons 01-03, each as a one-cell notebook that builds it as its lesson does.

Voila serves these small notebooks instead of the lessons themselves: a page shows one
calculator only, starts in a few seconds, and fails with the calculator's own error. Each
source repeats the constructor call of the lesson cell named beside it (and the lines that
call depends on), so a learner and these tests see the same widget.

What this leaves out: keeping these copies equal to the lesson cells when a lesson changes
(the lessons' own tests and a check that compares the two guard that).
"""

from __future__ import annotations

import json
from pathlib import Path

# name -> the cell that builds the calculator and leaves it as the cell's last expression.
SOURCES = {
    # notebooks/01_should_you_fine_tune.ipynb, the cell "wizard = DecisionWizard()"
    "wizard": (
        "from course_utils import DecisionWizard\n"
        "wizard = DecisionWizard()\n"
        "wizard"
    ),
    # notebooks/02_gpu_memory.ipynb, the memory_calculator cell
    "memory": (
        "from course_utils import memory_calculator\n"
        'memory_calculator(model="qwen2.5-7b", method="qlora", seq_len=1024, batch_size=4)'
    ),
    # notebooks/03_costs.ipynb: the estimate/pick cell, then "gpu_calc = GpuRentalCalculator(...)"
    "gpu_rental": (
        "from course_utils import GpuRentalCalculator, estimate_training_memory, pick_gpu\n"
        'estimate = estimate_training_memory("Qwen2.5-7B-Instruct", "qlora", seq_len=512, '
        "batch_size=8)\n"
        "pick = pick_gpu(estimate)\n"
        'gpu_calc = GpuRentalCalculator(gpu=f"{pick.best.provider} · {pick.best.gpu}")\n'
        "gpu_calc"
    ),
    # notebooks/03_costs.ipynb, the cell "ManagedApiCalculator()"
    "managed_api": (
        "from course_utils import ManagedApiCalculator\n"
        "ManagedApiCalculator()"
    ),
    # notebooks/03_costs.ipynb: the estimate/pick cell, then "TcoCalculator(training_gpu=...)"
    "tco": (
        "from course_utils import TcoCalculator, estimate_training_memory, pick_gpu\n"
        'estimate = estimate_training_memory("Qwen2.5-7B-Instruct", "qlora", seq_len=512, '
        "batch_size=8)\n"
        "pick = pick_gpu(estimate)\n"
        'TcoCalculator(training_gpu=f"{pick.best.provider} · {pick.best.gpu}")'
    ),
}


def write_notebooks(folder: Path) -> dict[str, Path]:
    """Write `<name>.ipynb` for every calculator into `folder`; return {name: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, source in SOURCES.items():
        nb = {
            "cells": [{"cell_type": "code", "execution_count": None, "id": name, "metadata": {},
                       "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5,
        }
        path = folder / f"{name}.ipynb"
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths[name] = path
    return paths
