"""Lesson 04: the curation pipeline, its report, and its score against the planted defects.

`curate` runs the steps in this order; a row is counted under the first step that drops it:

    load                records left out while loading your own file     (own_data.load_dataset_rows;
                        (only when `curate` is given what it loaded)      not a step of its own)
    empty               blank user or assistant text                     (steps.drop_empty)
    malformed           broken structure or answer format                (steps.drop_malformed)
    off_task            inputs that read like general chat               (off_task.drop_off_task)
    too_long            rendered conversation over `max_tokens` tokens   (steps.drop_too_long)
    pii_redacted        e-mails, IBANs, cards, IPs, phones -> [EMAIL]... (pii.redact_pii, a transformation)
    exact_duplicate     byte-identical rows, the first kept              (steps.drop_exact_duplicates)
    conflicting_label   one input, different answers: all dropped        (steps.drop_conflicting_labels)
    near_duplicate      shingle or word-set Jaccard (MinHash LSH + exact (steps.drop_near_duplicates)
                        check), first kept

and ends with the size gate (`course_utils.dataset.size_check.check_size`). The
`CurationReport` keeps, per reason, the ids, the why of each and a few examples;
`score_against_truth` compares it with a record of what was planted: the generator's
(`course_utils.dataset.defects.make_raw`) or the learner-style file's
(`course_utils.dataset.learner_file`).

What this leaves out: semantic duplicates (same meaning, different words) need embeddings;
label *errors* that are consistent (always wrong the same way) need a model or a human.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from course_utils.dataset.load import load_general
from course_utils.dataset.off_task import THRESHOLD as OFF_TASK_THRESHOLD, drop_off_task
from course_utils.dataset.own_data import LoadedRows
from course_utils.dataset.pii import redact_pii
from course_utils.dataset.rows import Row
from course_utils.dataset.size_check import check_size
from course_utils.dataset.steps import (drop_conflicting_labels, drop_empty,
                                        drop_exact_duplicates, drop_malformed,
                                        drop_near_duplicates, drop_too_long)
from course_utils.dataset.tokens import course_token_counter
from course_utils.tasks import ALL_TASKS


# --------------------------------------------------------------------------------------------
# The report and the pipeline.
@dataclass
class CurationReport:
    """Lesson 04. What `curate` did: per reason and per transformation, ids, reasons and examples."""

    n_in: int
    n_kept: int = 0
    dropped: dict = field(default_factory=dict)       # reason -> [(id, why)]
    transformed: dict = field(default_factory=dict)   # name -> [(id, what)]
    examples: dict = field(default_factory=dict)      # reason -> [row before the step]
    steps: list = field(default_factory=list)         # [{"step", "rows_in", "rows_out", "seconds"}]
    warnings: list = field(default_factory=list)

    def ids(self, reason: str) -> list[str]:
        """Ids dropped for `reason` (or transformed by it)."""
        if reason in self.dropped:
            return [i for i, _ in self.dropped[reason]]
        if reason in self.transformed:
            return [i for i, _ in self.transformed[reason]]
        raise KeyError(f"unknown reason {reason!r}; the report has "
                       f"{sorted(self.dropped) + sorted(self.transformed)}")

    def counts(self) -> dict[str, int]:
        """Rows per drop reason and per transformation."""
        return {**{r: len(v) for r, v in self.dropped.items()},
                **{t: len(v) for t, v in self.transformed.items()}}

    def table(self) -> str:
        """A plain-text table: step, rows in, rows out, dropped or changed."""
        lines = [f"{'step':<20}{'rows in':>9}{'rows out':>10}{'affected':>10}"]
        for s in self.steps:
            lines.append(f"{s['step']:<20}{s['rows_in']:>9}{s['rows_out']:>10}{s['affected']:>10}")
        lines.append(f"{'kept':<20}{self.n_in:>9}{self.n_kept:>10}")
        return "\n".join(lines)

    def to_dict(self, examples: int = 2) -> dict:
        """JSON-ready summary: counts, steps, a few examples per reason."""
        return {"n_in": self.n_in, "n_kept": self.n_kept, "counts": self.counts(),
                "steps": [{k: v for k, v in s.items() if k != "seconds"} for s in self.steps],
                "examples": {r: [{"id": row.get("id"), "why": why} for row, why in ex[:examples]]
                             for r, ex in self.examples.items()},
                "warnings": list(self.warnings)}


@dataclass
class CurationResult:
    """Lesson 04. `curate`'s answer: the kept rows and the report."""

    kept: list
    report: CurationReport


def curate(rows: list[Row] | LoadedRows, *, reference: list[Row] | None = None,
           tasks=None, count_tokens: Callable[[str], int] | None = None, max_tokens: int = 256,
           near_threshold: float = 0.8, off_task_threshold: float = OFF_TASK_THRESHOLD,
           min_examples: int | None = None, n_examples: int = 3,
           progress: bool = False) -> CurationResult:
    """Lesson 04. Run every step in order; return the kept rows and a `CurationReport`.

    rows: a list of rows, or what `load_dataset_rows` loaded (then the report starts with a
    ``load`` step listing the records left out while loading, and the loaded task names are
    allowed). reference: general chat rows for the off-task step (default:
    `data/tasks/general.jsonl`). tasks: the task names a row may carry (default: the course's
    tasks and "general").
    count_tokens: str -> int (default: the course tokenizer). max_tokens: the length cap.
    near_threshold: shingle Jaccard at which two user texts are near duplicates.
    min_examples: per-task size below which `check_size` warns (default: the seeds' 500).
    n_examples: examples kept per reason in the report.
    """
    rows, tasks, report = _start(rows, tasks, n_examples)
    if reference is None:
        reference = load_general()
    count_tokens = count_tokens or course_token_counter()
    steps = [
        ("empty", drop_empty),
        ("malformed", lambda rs: drop_malformed(rs, tasks)),
        ("off_task", lambda rs: drop_off_task(rs, reference, threshold=off_task_threshold)),
        ("too_long", lambda rs: drop_too_long(rs, count_tokens, max_tokens)),
        ("pii_redacted", redact_pii),
        ("exact_duplicate", drop_exact_duplicates),
        ("conflicting_label", drop_conflicting_labels),
        ("near_duplicate", lambda rs: drop_near_duplicates(rs, near_threshold)),
    ]
    from tqdm.auto import tqdm

    current = list(rows)
    for name, fn in tqdm(steps, desc="curate", disable=not progress, leave=False):
        t0 = time.perf_counter()
        out, affected = fn(current)
        target = report.transformed if name == "pii_redacted" else report.dropped
        target[name] = [(r.get("id") if isinstance(r, dict) else None, why) for r, why in affected]
        report.examples[name] = affected[:n_examples]
        report.steps.append({"step": name, "rows_in": len(current), "rows_out": len(out),
                             "affected": len(affected), "seconds": time.perf_counter() - t0})
        current = out
    report.n_kept = len(current)
    report.warnings = check_size(current, minimum=min_examples)
    return CurationResult(current, report)


def _start(rows, tasks, n_examples: int) -> tuple[list[Row], tuple, CurationReport]:
    """The rows, the allowed task names and a report (with the ``load`` step for loaded data)."""
    if isinstance(rows, LoadedRows):
        loaded = rows
        if tasks is None:
            tasks = ALL_TASKS + tuple(t for t in loaded.tasks if t not in ALL_TASKS)
        report = CurationReport(n_in=loaded.n_records)
        report.dropped["load"] = list(loaded.dropped)
        report.examples["load"] = [({"id": i}, why) for i, why in loaded.dropped[:n_examples]]
        report.steps.append({"step": "load", "rows_in": loaded.n_records, "rows_out": len(loaded.rows),
                             "affected": len(loaded.dropped), "seconds": 0.0})
        return loaded.rows, tuple(tasks), report
    if not isinstance(rows, list):
        raise TypeError(f"curate(rows=...): expected a list of row dicts or what "
                        f"load_dataset_rows returned, got {type(rows).__name__}")
    return rows, ALL_TASKS if tasks is None else tuple(tasks), CurationReport(n_in=len(rows))


# --------------------------------------------------------------------------------------------
# Scoring against the generator's ground truth.
def score_against_truth(report: CurationReport, truth: dict) -> list[dict]:
    """Lesson 04. Per reason: injected, found, true positives, precision and recall.

    truth: the dict `make_raw` returns (or `data/tasks/raw_truth.json`), or any dict with the
    same "drop" and "transform" entries (reason -> ids), such as the learner file's truth.
    """
    out = []
    wanted = {**truth["drop"], **truth["transform"]}
    for reason in wanted:
        t = set(wanted[reason])
        p = {i for i, _ in report.dropped.get(reason, report.transformed.get(reason, []))}
        tp = len(t & p)
        out.append({"reason": reason, "injected": len(t), "found": len(p), "correct": tp,
                    "precision": tp / len(p) if p else (1.0 if not t else 0.0),
                    "recall": tp / len(t) if t else (1.0 if not p else 0.0)})
    return out


def format_scores(scores: list[dict]) -> str:
    """Lesson 04. The precision/recall table as text."""
    lines = [f"{'reason':<19}{'injected':>9}{'found':>7}{'correct':>9}{'precision':>11}{'recall':>8}"]
    for s in scores:
        lines.append(f"{s['reason']:<19}{s['injected']:>9}{s['found']:>7}{s['correct']:>9}"
                     f"{s['precision']:>11.3f}{s['recall']:>8.3f}")
    return "\n".join(lines)

