"""Published training throughputs, and the one to use for a GPU and a method (lesson 03).

`data/throughput.csv` holds measured tokens per second per GPU, each with the model, the
settings, the date and the source; `throughput_for` picks the measurement for a GPU and a
method, and derives a QLoRA figure from a LoRA one (scaled by the seeds' speed factor, and
marked as derived) where no QLoRA measurement exists.

What this leaves out: scaling across GPUs (the rows are per GPU; `training_hours` assumes it
is linear) and any throughput that was not published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from course_utils.paths import data_path
from course_utils.plan.costs.amounts import CostInputError, low_high
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.datafiles import address, fail, number, read_rows, require

METHODS = ("full", "lora", "qlora")
THROUGHPUT_COLUMNS = ("model", "method", "gpu", "num_gpus", "tokens_per_second_per_gpu",
                      "seq_len", "batch_size", "date", "source_name", "source_url", "notes")


@dataclass(frozen=True)
class Throughput:
    """A published training throughput measurement (or one derived from it; see `derived`)."""

    model: str
    method: str
    gpu: str
    num_gpus: int
    tokens_per_second_per_gpu: float
    seq_len: int | None
    batch_size: int | None
    date: str
    source_name: str
    source_url: str
    notes: str
    derived: str = ""  # how this figure was derived from a measurement, "" for a measurement

    def label(self) -> str:
        tail = f", derived: {self.derived}" if self.derived else ""
        return (f"{self.model} {self.method} on {self.num_gpus}x {self.gpu}: "
                f"{self.tokens_per_second_per_gpu:,.0f} tokens/s per GPU "
                f"({self.source_name}, {self.date}{tail})")


def _date(path: Path, line: int, text: str) -> str:
    parts = text.split("-")
    if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4):
        raise fail(path, line, "date", f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD.")
    return text


def load_throughput(path: str | Path | None = None) -> list[Throughput]:
    """Lesson 03. Read and validate `data/throughput.csv` (published tokens/s per GPU)."""
    path = Path(path) if path is not None else data_path("throughput.csv")
    rows = []
    for line, c in read_rows(path, THROUGHPUT_COLUMNS):
        require(path, line, c, ("model", "gpu", "date", "source_name", "source_url"))
        if c["method"] not in METHODS:
            raise fail(path, line, "method", f"{c['method']!r} is not one of {list(METHODS)}.")
        rows.append(Throughput(
            model=c["model"], method=c["method"], gpu=c["gpu"],
            num_gpus=number(path, line, "num_gpus", c["num_gpus"], integer=True),
            tokens_per_second_per_gpu=number(path, line, "tokens_per_second_per_gpu",
                                             c["tokens_per_second_per_gpu"]),
            seq_len=number(path, line, "seq_len", c["seq_len"], integer=True, optional=True),
            batch_size=number(path, line, "batch_size", c["batch_size"], integer=True,
                              optional=True),
            date=_date(path, line, c["date"]), source_name=c["source_name"],
            source_url=address(path, line, "source_url", c["source_url"]), notes=c["notes"]))
    if not rows:
        raise fail(path, None, None, "holds no rows.")
    return rows


def throughput_for(gpu: str, method: str, *, model: str | None = None,
                   rows: Sequence[Throughput] | None = None) -> Throughput:
    """Lesson 03. The published single-GPU throughput for `method` on `gpu` (highest if several).

    When no QLoRA measurement exists for a GPU but a LoRA one does, the LoRA figure is scaled
    by the low end of the seeds' QLoRA speed factor (0.8x, `qlora_speed_vs_lora`) and marked
    as derived. Unknown GPUs or methods raise CostInputError listing what the table holds.
    """
    rows = load_throughput() if rows is None else rows
    if method not in METHODS:
        raise CostInputError(f"argument 'method' must be one of {list(METHODS)}, got {method!r}")
    gpus = sorted({r.gpu for r in rows})
    if gpu not in gpus:
        raise CostInputError(f"argument 'gpu': no published throughput for {gpu!r}; "
                             f"the table has {gpus}")

    def pick(m):
        found = [r for r in rows if r.gpu == gpu and r.method == m and r.num_gpus == 1
                 and (model is None or r.model == model)]
        return max(found, key=lambda r: r.tokens_per_second_per_gpu) if found else None

    best = pick(method)
    if best is not None:
        return best
    if method == "qlora" and (lora := pick("lora")) is not None:
        factor = low_high(assumption("qlora_speed_vs_lora"))[0]
        return replace(lora, method="qlora",
                       tokens_per_second_per_gpu=lora.tokens_per_second_per_gpu * factor,
                       derived=f"LoRA measurement x {factor:g} (seeds' QLoRA speed factor)")
    have = sorted({r.method for r in rows if r.gpu == gpu and r.num_gpus == 1})
    raise CostInputError(f"argument 'method': no single-GPU {method!r} measurement for {gpu!r}"
                         f"{' and model ' + repr(model) if model else ''}; it has {have}")
