"""Lesson 04: is a curated set large enough to be worth a fine-tuning run?

The seed articles put the bar at 500 to 1,000 clean examples; `check_size` warns
(`SmallDatasetWarning`) for each task below the low end, and `curate` runs it last.

Where the numbers live: ``data/decide_rules.yaml``, entry ``min_clean_examples`` (with its
source). Lesson 01's decision rules read the same entry, so the guideline is written once. This
module reads that one entry itself rather than importing the decision framework
(`course_utils.plan.decide`): the size gate needs two numbers, not the rules about prices,
break-even volumes and GPUs, and the dataset layer stays independent of how lesson 01 decides.

What this leaves out: quality (a thousand duplicates are not a thousand examples; the other
steps see to that) and how many examples a particular task needs, which only an experiment
on it can tell.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

from course_utils.files import read_yaml
from course_utils.dataset.rows import Row
from course_utils.errors import DataFileError
from course_utils.paths import data_path

GUIDELINE_KEY = "min_clean_examples"


class SmallDatasetWarning(UserWarning):
    """Lesson 04. A curated set smaller than the seeds' guideline for a fine-tuning run."""


def size_guideline(path=None) -> dict:
    """Lesson 04. The seeds' minimum-size guideline: {"low", "high", "source"}.

    Read from the ``min_clean_examples`` entry of `data/decide_rules.yaml` (or `path`).
    """
    path = Path(path) if path is not None else data_path("decide_rules.yaml")
    data = read_yaml(path, missing="no such file; it ships with the course in data/.")
    entry = data.get(GUIDELINE_KEY) if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        raise DataFileError(path, None, GUIDELINE_KEY, "missing or not a mapping with low and high.")
    for k in ("low", "high"):
        v = entry.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise DataFileError(path, None, f"{GUIDELINE_KEY}.{k}",
                                f"must be a positive whole number of examples, got {v!r}.")
    if entry["low"] > entry["high"]:
        raise DataFileError(path, None, f"{GUIDELINE_KEY}.low",
                            f"{entry['low']} is above .high ({entry['high']}).")
    return {"low": entry["low"], "high": entry["high"],
            "source": str(entry.get("source", path.name))}


def check_size(rows: list[Row], minimum: int | None = None, *, per_task: bool = True) -> list[str]:
    """Lesson 04. Warn (`SmallDatasetWarning`) for each task with fewer than `minimum` rows.

    Default minimum: the low end of the seeds' 500-1,000 clean examples guideline. Returns the
    warning messages (empty when every task is large enough).
    """
    guide = size_guideline()
    minimum = guide["low"] if minimum is None else minimum
    if not isinstance(minimum, int) or minimum < 0:
        raise ValueError(f"check_size(minimum={minimum!r}): must be a non-negative int")
    counts = Counter(r.get("task") for r in rows) if per_task else Counter({"all": len(rows)})
    msgs = []
    for task in sorted(counts, key=str):
        if counts[task] < minimum:
            msgs.append(
                f"only {counts[task]} curated '{task}' examples: the seeds suggest at least "
                f"{guide['low']}-{guide['high']} clean examples for a fine-tuning run to help "
                f"({guide['source']}). Collect or generate more before spending GPU time.")
    for m in msgs:
        warnings.warn(m, SmallDatasetWarning, stacklevel=2)
    return msgs
