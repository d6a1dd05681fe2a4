"""The seed articles' rules of thumb for costs, by name (lesson 03).

`data/costs_assumptions.csv` holds them (pipeline multiplier, evaluation tooling, hours per
month, the QLoRA speed factor, the worked example's dataset, ...), each with its unit, date and
source, in the shape every figures file has (`course_utils.plan.published`).

What this leaves out: prices (`data/prices.csv`) and measured throughputs
(`data/throughput.csv`), which have files of their own.
"""

from __future__ import annotations

from pathlib import Path

from course_utils.paths import data_path
from course_utils.plan.costs.amounts import Amount, CostInputError
from course_utils.plan.published import COLUMNS, PublishedFigure, load_figures

ASSUMPTION_COLUMNS = COLUMNS


def load_assumptions(path: str | Path | None = None) -> dict[str, PublishedFigure]:
    """Lesson 03. Read `data/costs_assumptions.csv`: the seeds' rules of thumb by name."""
    return load_figures(Path(path) if path is not None else data_path("costs_assumptions.csv"))


def assumption(name: str) -> Amount:
    """Lesson 03. The value (number or Range) of one rule of thumb, e.g. 'pipeline_multiplier'."""
    table = load_assumptions()
    if name not in table:
        raise CostInputError(f"argument 'name': {name!r} is not in data/costs_assumptions.csv; "
                             f"known: {sorted(table)}")
    return table[name].value
