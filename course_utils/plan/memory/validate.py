"""The estimate checked against published peak-memory measurements (lesson 02).

`data/memory_measurements.csv` holds peaks that others measured (LitGPT, torchtune, the QLoRA
paper, ...), each with the model, the method, every setting the estimate needs, the GPU, the
statistic reported, the framework, the source and the date. `validate_against_measurements`
estimates each row with the same settings and reports the errors; lesson 02 prints the table
and a test keeps the median error within 20%.

What this leaves out: measurements on several GPUs, and runs whose settings the sources do not
state (they are not in the file).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from course_utils.paths import DATA_DIR
from course_utils.plan.datafiles import address, fail, number, read_rows, require, yes_no
from course_utils.plan.memory.estimate import MemoryEstimate, estimate_training_memory
from course_utils.plan.memory.inputs import ALL_LINEAR, GB, GIB

MEASUREMENTS_PATH = DATA_DIR / "memory_measurements.csv"
MEASUREMENT_COLUMNS = ("model", "method", "lora_r", "target_modules", "seq_len", "batch_size",
                       "gradient_checkpointing", "optimizer", "compute_dtype", "weights_dtype",
                       "adapter_dtype", "double_quant", "gpu", "measured", "unit", "statistic",
                       "framework", "source_name", "source_url", "date", "notes")
UNITS = {"GB": GB, "GiB": GIB}


@dataclass(frozen=True)
class Measurement:
    """One published peak, with the settings it was measured under (a row of the file)."""

    model: str
    method: str
    lora_r: int | None
    target_modules: str | list[str] | None
    seq_len: int
    batch_size: int
    gradient_checkpointing: bool
    optimizer: str
    compute_dtype: str
    weights_dtype: str | None
    adapter_dtype: str
    double_quant: bool
    gpu: str
    measured_bytes: float
    source_name: str
    source_url: str
    date: str
    framework: str = ""
    statistic: str = ""
    notes: str = ""
    line: int = 0

    def estimate(self, **overrides) -> MemoryEstimate:
        """The estimate for this row's settings (any of them overridden by keyword)."""
        kw = dict(lora_r=self.lora_r or 16, target_modules=self.target_modules or ALL_LINEAR,
                  gradient_checkpointing=self.gradient_checkpointing, optimizer=self.optimizer,
                  compute_dtype=self.compute_dtype, weights_dtype=self.weights_dtype,
                  adapter_dtype=self.adapter_dtype, double_quant=self.double_quant)
        kw.update(overrides)
        return estimate_training_memory(self.model, self.method, self.seq_len, self.batch_size, **kw)


def _measurement(path: Path, line: int, c: dict[str, str]) -> Measurement:
    require(path, line, c, ("model", "method", "optimizer", "compute_dtype", "gpu", "source_name",
                            "date"))
    if c["unit"] not in UNITS:
        raise fail(path, line, "unit", f"must be GB or GiB, got {c['unit']!r}.")
    tm = c["target_modules"]
    targets = None if not tm else (tm if tm == ALL_LINEAR else [t.strip() for t in tm.split(";")])
    return Measurement(
        model=c["model"], method=c["method"],
        lora_r=number(path, line, "lora_r", c["lora_r"], integer=True, optional=True),
        target_modules=targets,
        seq_len=number(path, line, "seq_len", c["seq_len"], integer=True),
        batch_size=number(path, line, "batch_size", c["batch_size"], integer=True),
        gradient_checkpointing=yes_no(path, line, "gradient_checkpointing",
                                      c["gradient_checkpointing"]),
        optimizer=c["optimizer"], compute_dtype=c["compute_dtype"],
        weights_dtype=c["weights_dtype"] or None, adapter_dtype=c["adapter_dtype"] or "fp32",
        double_quant=yes_no(path, line, "double_quant", c["double_quant"] or "false"),
        gpu=c["gpu"],
        measured_bytes=number(path, line, "measured", c["measured"]) * UNITS[c["unit"]],
        source_name=c["source_name"], source_url=address(path, line, "source_url", c["source_url"]),
        date=c["date"], framework=c["framework"], statistic=c["statistic"], notes=c["notes"],
        line=line)


def load_measurements(path: str | Path | None = None) -> list[Measurement]:
    """Lesson 02. Published peak-memory measurements (data/memory_measurements.csv), checked
    row by row; a bad cell raises `course_utils.errors.DataFileError` naming file, line, field."""
    path = Path(path) if path else MEASUREMENTS_PATH
    return [_measurement(path, line, c) for line, c in read_rows(path, MEASUREMENT_COLUMNS)]


@dataclass(frozen=True)
class ValidationRow:
    """One measurement and the estimate for its settings."""

    measurement: Measurement
    predicted_bytes: int

    @property
    def error(self) -> float:
        """(predicted - measured) / measured: positive = the estimate is too high."""
        return (self.predicted_bytes - self.measurement.measured_bytes) / self.measurement.measured_bytes


@dataclass
class ValidationReport:
    """Every row's error, the median and the worst; prints as lesson 02's table."""

    rows: list[ValidationRow]

    @property
    def median_abs_error(self) -> float:
        return statistics.median(abs(r.error) for r in self.rows)

    @property
    def max_abs_error(self) -> float:
        return max(abs(r.error) for r in self.rows)

    def table(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            m = r.measurement
            out.append({"model": m.model, "method": m.method, "r": m.lora_r,
                        "targets": m.target_modules if isinstance(m.target_modules, str) or m.target_modules is None
                        else ",".join(m.target_modules),
                        "seq x batch": f"{m.seq_len}x{m.batch_size}",
                        "ckpt": m.gradient_checkpointing, "gpu": m.gpu,
                        "measured GB": round(m.measured_bytes / GB, 2),
                        "estimate GB": round(r.predicted_bytes / GB, 2),
                        "error": f"{r.error:+.1%}", "source": m.source_name})
        return out

    def __str__(self) -> str:
        t = self.table()
        cols = list(t[0])
        widths = {c: max(len(c), *(len(str(row[c])) for row in t)) for c in cols}
        lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
        lines += ["  ".join(str(row[c]).ljust(widths[c]) for c in cols) for row in t]
        lines.append(f"median |error| {self.median_abs_error:.1%}, max |error| {self.max_abs_error:.1%}, "
                     f"{len(self.rows)} rows")
        return "\n".join(lines)


def validate_against_measurements(measurements: Sequence[Measurement] | None = None) -> ValidationReport:
    """Lesson 02. The estimate for every published measurement, and the errors."""
    ms = load_measurements() if measurements is None else measurements
    return ValidationReport([ValidationRow(m, m.estimate().total_bytes) for m in ms])
