"""The spot option of lesson 03's rental calculator: the same run on a preemptible GPU.

A checkbox turns it on; its controls start on the seeds' figures (`spot_discount` and
`checkpoint_every_steps` of `data/costs_assumptions.csv`) and on starting values for what no
seed gives (seconds per checkpoint save, expected preemptions, examples per step), which a
learner replaces with their own. The arithmetic is `course_utils.plan.costs.spot`.

What this leaves out: the arithmetic (tested in tests/plan) and any other part of the
calculator (`course_utils.widgets.gpu_rental` holds this option and shows its result line).
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course_utils.plan.costs.amounts import low_high, money
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.spot import SpotEstimate, spot_training_cost, training_steps


class SpotOption:
    """Lesson 03. The controls of the spot option, and its estimate and result line.

    save_seconds, preemptions, examples_per_step: starting values of the controls that no seed
    gives a figure for (one save, the preemptions expected in a run, the effective batch).
    """

    def __init__(self, *, style: dict, save_seconds: float = 30.0,
                 preemptions: tuple[int, int] = (0, 2), examples_per_step: int = 8):
        wide = widgets.Layout(width="480px")
        self.enabled = widgets.Checkbox(value=False, indent=False,
                                        description="on a spot (preemptible) instance")
        self.discount = widgets.FloatRangeSlider(
            value=low_high(assumption("spot_discount")), min=0.0, max=0.95, step=0.05,
            readout_format=".0%", description="spot discount", style=style, layout=wide)
        every = [int(x) for x in low_high(assumption("checkpoint_every_steps"))]
        self.checkpoint_every = widgets.IntRangeSlider(
            value=every, min=10, max=max(2000, every[1]), step=10,
            description="checkpoint every (steps)", style=style, layout=wide)
        self.save_seconds = widgets.BoundedFloatText(
            value=save_seconds, min=0, max=3600, step=5, description="seconds per save",
            style=style)
        self.preemptions = widgets.IntRangeSlider(value=list(preemptions), min=0, max=20,
                                                  description="preemptions per run",
                                                  style=style, layout=wide)
        self.examples_per_step = widgets.BoundedIntText(
            value=examples_per_step, min=1, max=65_536, description="examples per step",
            style=style)
        self.details = widgets.VBox([
            widgets.HBox([self.discount, self.save_seconds]),
            widgets.HBox([self.checkpoint_every, self.examples_per_step]), self.preemptions])
        self.box = widgets.VBox([self.enabled, self.details])
        self.enabled.observe(lambda _c: self._show(), names="value")
        self._show()

    @property
    def controls(self) -> tuple:
        """Every control whose change should recompute the calculator."""
        return (self.enabled, self.discount, self.checkpoint_every, self.save_seconds,
                self.preemptions, self.examples_per_step)

    def _show(self) -> None:
        self.details.layout.display = None if self.enabled.value else "none"

    def estimate(self, hours, hourly_rate, num_examples: int, epochs: int) -> SpotEstimate | None:
        """The spot estimate of a run of `hours` at `hourly_rate` on demand (None when off)."""
        if not self.enabled.value:
            return None
        return spot_training_cost(
            hours, hourly_rate, training_steps(num_examples, self.examples_per_step.value, epochs),
            self.save_seconds.value, tuple(self.preemptions.value),
            checkpoint_every=tuple(self.checkpoint_every.value),
            discount=tuple(self.discount.value))

    def result_html(self, est: SpotEstimate, provider: str) -> str:
        """One line: hours and dollars on spot, what checkpoints and preemptions add."""
        d_low, d_high = est.discount
        line = (
            f"<b>On spot</b> ({d_low:.0%}–{d_high:.0%} off, a checkpoint every "
            f"{est.checkpoint_every.low:,.0f}–{est.checkpoint_every.high:,.0f} of "
            f"{est.steps:,} steps): {est.checkpoints.low:,.0f}–{est.checkpoints.high:,.0f} saves "
            f"add {est.save_hours.low:,.2f}–{est.save_hours.high:,.2f} h, preemptions lose "
            f"{est.lost_hours.low:,.2f}–{est.lost_hours.high:,.2f} h → "
            f"<b>{est.hours.low:,.2f}–{est.hours.high:,.2f} GPU-hours, {money(est.cost)}</b> "
            f"against {money(est.on_demand_cost)} on demand.")
        if "spot" in provider.lower():
            line += ("<div style='color:#a15c00'>This offer's price is already a spot price: "
                     "the discount counts twice. Choose an on-demand offer to see what spot "
                     f"saves ({html.escape(provider)}).</div>")
        return line
