"""A training run on a spot (preemptible) GPU: cheaper per hour, longer in hours (lesson 03).

*Fine-tuning LLMs on a budget* [B] says spot instances are 60-80% cheaper than on-demand ones
"with proper checkpointing in place", saving a checkpoint every 100 to 200 steps
(`spot_discount` and `checkpoint_every_steps` in `data/costs_assumptions.csv`). Checkpoints
and preemptions cost time, which `spot_training_cost` adds to the on-demand hours:

    checkpoints   = steps // N                              (a save every N steps)
    saving        = checkpoints x seconds per save
    lost work     = preemptions x N/2 steps x seconds per step
                    (a preemption strikes on average half-way between two checkpoints)
    hours on spot = on-demand hours + saving + lost work
    rate on spot  = on-demand rate x (1 - discount)

Every input may be a (low, high) range. The hours are not monotonic in N (frequent saves cost
saving time, rare ones cost lost work), so the hours are computed at every combination of the
ends and the result is their (shortest, longest); the cost pairs the shortest hours with the
lowest rate and largest discount, the longest with the highest rate and smallest discount.

What this leaves out: the wait for a new spot machine and the minutes to reload the model after
a preemption, storage for the checkpoints, and runs that are preempted so often they never end.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from course_utils.plan.costs.amounts import Amount, CostInputError, Range, check, lift, low_high
from course_utils.plan.costs.assumptions import assumption


def training_steps(num_examples: int, examples_per_step: int, epochs: int = 1) -> int:
    """Lesson 03. Optimizer steps of a run: ceil(examples / examples per step) x epochs.

    `examples_per_step` is the effective batch: batch size x gradient accumulation x GPUs.
    """
    check("num_examples", num_examples, integer=True, allow_range=False)
    check("examples_per_step", examples_per_step, integer=True, allow_range=False)
    check("epochs", epochs, integer=True, allow_range=False)
    return math.ceil(num_examples / examples_per_step) * int(epochs)


@dataclass(frozen=True)
class SpotEstimate:
    """One run on demand and on spot; ranges are (low, high)."""

    steps: int
    on_demand_hours: Amount
    on_demand_cost: Amount
    discount: Range
    checkpoint_every: Range
    checkpoints: Range        # how many saves, at the ends of `checkpoint_every`
    save_hours: Range         # time spent writing checkpoints
    lost_hours: Range         # work redone after preemptions
    hours: Range              # on spot: on-demand hours + saving + lost work
    cost: Range               # on spot

    @property
    def overhead(self) -> Range:
        """Hours on spot over hours on demand, minus one (0.1: the run takes 10% longer)."""
        base_low, base_high = low_high(self.on_demand_hours)
        return Range(self.hours.low / base_high - 1, self.hours.high / base_low - 1)


def _ends(x) -> tuple[float, ...]:
    return (x.low, x.high) if isinstance(x, Range) else (x,)


def _spot_hours(hours: float, steps: int, every: float, save_s: float, preemptions: float):
    """(saves, saving hours, lost hours, total hours) for single numbers."""
    saves = steps // int(every)
    step_hours = hours / steps
    save_h = saves * save_s / 3600
    lost_h = preemptions * min(every, steps) / 2 * step_hours
    return saves, save_h, lost_h, hours + save_h + lost_h


def spot_training_cost(hours: Amount, on_demand_rate: Amount, steps: int, save_seconds: Amount,
                       preemptions: Amount, *, checkpoint_every: Amount | None = None,
                       discount: Amount | None = None) -> SpotEstimate:
    """Lesson 03. A run of `hours` on demand, priced on spot with its checkpoint overhead.

    hours, on_demand_rate: the run on an on-demand GPU (`training_hours`, the offer's $/hour).
    steps: optimizer steps of the run (`training_steps`).
    save_seconds: time to write one checkpoint (measure yours: it grows with what is saved,
        seconds for a LoRA adapter and its optimizer state, minutes for a full 7B model's).
    preemptions: how many times you expect the machine to be taken away during the run.
    checkpoint_every: steps between checkpoints (default: the seeds' 100-200).
    discount: the spot discount as a fraction of the on-demand rate (default: the seeds' 0.6-0.8).
    """
    hours = check("hours", hours)
    rate = check("on_demand_rate", on_demand_rate, strict=False)
    steps = check("steps", steps, integer=True, allow_range=False)
    save_s = check("save_seconds", save_seconds, strict=False)
    pre = check("preemptions", preemptions, strict=False)
    every = check("checkpoint_every", assumption("checkpoint_every_steps")
                  if checkpoint_every is None else checkpoint_every, integer=True)
    disc = check("discount", assumption("spot_discount") if discount is None else discount,
                 strict=False)
    d_low, d_high = low_high(disc)
    if d_high >= 1:
        raise CostInputError(f"argument 'discount' must be a fraction below 1 (0.7 = 70% off), "
                             f"got {disc!r}")
    combos = [_spot_hours(h, int(steps), n, s, p) for h, n, s, p in
              itertools.product(_ends(hours), _ends(every), _ends(save_s), _ends(pre))]

    def span(i: int) -> Range:
        return Range(min(c[i] for c in combos), max(c[i] for c in combos))

    total = span(3)
    r_low, r_high = low_high(rate)
    return SpotEstimate(
        steps=int(steps), on_demand_hours=hours,
        on_demand_cost=lift(lambda h, r: h * r, hours, rate),
        discount=Range(d_low, d_high), checkpoint_every=Range(*low_high(every)),
        checkpoints=span(0), save_hours=span(1), lost_hours=span(2), hours=total,
        cost=Range(total.low * r_low * (1 - d_high), total.high * r_high * (1 - d_low)))
