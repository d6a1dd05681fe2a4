"""The GPU picker: the cheapest rentable GPU whose memory holds an estimate (lessons 02 and 03).

A card's "80 GB" is taken as 80 GiB, which is what the hardware has, less a headroom (10% by
default) for fragmentation and whatever the estimate leaves out. Offers are compared at the
middle of their hourly range, so a spot range such as $0.13-1.20 is not taken at its best case.
The offers default to every `gpu_rental` row of `data/prices.csv`.

What this leaves out: several GPUs (sharding), availability, and speed (a faster card can cost
less per run at a higher hourly rate: lesson 03's calculators weigh that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from course_utils.plan.memory.estimate import MemoryEstimate
from course_utils.plan.memory.inputs import DEFAULT_HEADROOM, GB, GIB, check_headroom, check_positive
from course_utils.plan.prices import gpu_rental_options


@dataclass
class GpuPick:
    """The picker's answer: the cheapest option that fits, and every option sorted by fit."""

    need_bytes: int
    headroom: float
    best: Any | None
    fitting: list[Any]
    too_small: list[Any]

    def __str__(self) -> str:
        if self.best is None:
            return (f"needs {self.need_bytes / GB:.1f} GB + {self.headroom:.0%} headroom: no GPU in "
                    f"the price table fits one card (shard across GPUs, or reduce the run)")
        return (f"needs {self.need_bytes / GB:.1f} GB + {self.headroom:.0%} headroom: cheapest fit "
                f"is {self.best.label()}")


def _mid_price(option: Any) -> float:
    """The middle of an offer's hourly range (its price when it has one)."""
    return (option.hourly_low + option.hourly_high) / 2


def pick_gpu(estimate: MemoryEstimate | int | float, options: Sequence[Any] | None = None,
             headroom: float = DEFAULT_HEADROOM) -> GpuPick:
    """Lesson 02. The cheapest GPU (middle of its hourly range) whose memory, less `headroom`,
    holds the estimate (also lesson 03).

    `options` defaults to every `gpu_rental` row of data/prices.csv
    (`course_utils.plan.prices.gpu_rental_options`); each needs `vram_gb`, `hourly_low`,
    `hourly_high` and `label()`.
    """
    need = estimate.total_bytes if isinstance(estimate, MemoryEstimate) else estimate
    check_positive(estimate=need)
    headroom = check_headroom(headroom)
    options = gpu_rental_options() if options is None else options
    fit = [o for o in options if o.vram_gb * GIB * (1 - headroom) >= need]
    small = [o for o in options if o not in fit]
    fit.sort(key=lambda o: (_mid_price(o), o.hourly_low, o.vram_gb))
    small.sort(key=lambda o: -o.vram_gb)
    return GpuPick(int(need), headroom, fit[0] if fit else None, fit, small)
