"""The GPU rental calculator of lesson 03: hours and dollars of a run on one rented GPU.

Hours = dataset tokens / (tokens/s per GPU) / 3600, with the throughput filled in from the
published measurement for the chosen GPU and method (`data/throughput.csv`; a QLoRA figure
may be derived from a LoRA one, and says so) and open to overwriting. The plot compares every
offer of every GPU with a published throughput, the chosen one in red. A checkbox prices the
same run on a spot (preemptible) instance: the seeds' discount, minus the time checkpoints and
preemptions add (`course_utils.widgets.spot`).

What this leaves out: several GPUs per run, and the costs around the run (data preparation,
evaluation, hosting: the TCO calculator adds those).
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan.costs.amounts import CostInputError, low_high, money
from course_utils.plan.costs.offers import Quote, compare_offers
from course_utils.plan.costs.throughput import Throughput, load_throughput, throughput_for
from course_utils.plan.costs.training import dataset_tokens, gpu_training_cost, training_hours
from course_utils.plan.prices import PriceRow, gpu_rental_options, load_prices
from course_utils.widgets.calculator import (Calculator, job_inputs, new_figure, offer_key,
                                             stale_html)
from course_utils.widgets.cost_plots import plot_quotes
from course_utils.widgets.spot import SpotOption

DEFAULT_OFFER = ("RunPod Community", "A100 80GB")  # the seeds' worked QLoRA run


class GpuRentalCalculator(Calculator):
    """Lesson 03. Hours and dollars to fine-tune on one rented GPU, from the dataset and a throughput.

    Hours = dataset tokens / (tokens/s per GPU) / 3600; the throughput is filled in from the
    published measurement for the chosen GPU and method (`data/throughput.csv`) and can be
    overwritten. The dataset defaults to the seeds' worked example (`data/costs_assumptions.csv`).
    The plot compares every offer of every GPU with a published throughput. Ticking "on a spot
    instance" adds the run on spot: `spot` holds its controls, `spot_estimate` its numbers.
    """

    def __init__(self, *, gpu: str | None = None, method: str = "qlora",
                 num_examples: int | None = None, avg_tokens: int | None = None, epochs: int = 1,
                 prices: Sequence[PriceRow] | None = None, today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._options = {offer_key(o): o for o in gpu_rental_options(self._prices)}
        self._today = today
        self._throughput = load_throughput()
        default = gpu or next(k for k, o in self._options.items()
                              if (o.provider, o.gpu) == DEFAULT_OFFER)
        if default not in self._options:
            raise ValueError(f"argument 'gpu': {default!r} is not an offer; "
                             f"choose one of {sorted(self._options)}")
        style = {"description_width": "110px"}
        self.gpu = widgets.Dropdown(options=[(o.label(), k) for k, o in self._options.items()],
                                    value=default, description="GPU offer",
                                    layout=widgets.Layout(width="520px"), style=style)
        self.method = widgets.Dropdown(options=[("QLoRA", "qlora"), ("LoRA", "lora"),
                                                ("full", "full")], value=method,
                                       description="method", style=style)
        self.num_examples, self.avg_tokens, self.epochs = job_inputs(num_examples, avg_tokens,
                                                                     epochs, style)
        self.tokens_per_second = widgets.BoundedIntText(value=1000, min=1, max=1_000_000,
                                                        step=100, description="tokens/s/GPU",
                                                        style=style)
        self.throughput_note = widgets.HTML()
        self.result = widgets.HTML()
        self.notice = widgets.HTML()
        self.spot = SpotOption(style=style)
        self.spot_estimate = None
        self.plot = widgets.Output()
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.gpu, self.method]),
                          widgets.VBox([self.num_examples, self.avg_tokens, self.epochs])]),
            widgets.HBox([self.tokens_per_second, self.throughput_note]),
            self.spot.box, self.result, self.notice, self.plot])
        self._fill_throughput()
        self._watch(self.num_examples, self.avg_tokens, self.epochs, self.tokens_per_second,
                    *self.spot.controls)
        for c in (self.gpu, self.method):
            c.observe(lambda _ch: self._fill_throughput(), names="value")
        self.update()

    def _measured(self, gpu: str, method: str) -> Throughput | None:
        try:
            return throughput_for(gpu, method, rows=self._throughput)
        except CostInputError:
            return None

    def _fill_throughput(self) -> None:
        option = self._options[self.gpu.value]
        t = self._measured(option.gpu, self.method.value)
        if t is None:
            self.throughput_note.value = (
                f"<i>no published {self.method.value} throughput for {html.escape(option.gpu)} "
                "in data/throughput.csv: type your own</i>")
            self.update()
            return
        self.throughput_note.value = (
            f"<small>{html.escape(t.label())} — "
            f"<a href='{html.escape(t.source_url)}' target='_blank'>source</a></small>")
        self._quiet = True
        try:
            self.tokens_per_second.value = round(t.tokens_per_second_per_gpu)
        finally:
            self._quiet = False
        self.update()

    def update(self) -> None:
        option = self._options[self.gpu.value]
        tokens = dataset_tokens(self.num_examples.value, self.avg_tokens.value, self.epochs.value)
        hours = training_hours(tokens, self.tokens_per_second.value)
        cost = gpu_training_cost(hours, (option.hourly_low, option.hourly_high))
        self.hours = hours
        self.cost = cost
        self.spot_estimate = self.spot.estimate(hours, (option.hourly_low, option.hourly_high),
                                                self.num_examples.value, self.epochs.value)
        self.result.value = (
            f"<b>{tokens / 1e6:,.1f}M tokens</b> at {self.tokens_per_second.value:,} tokens/s → "
            f"<b>{hours:,.2f} GPU-hours</b> on {html.escape(option.gpu)} → "
            f"<b>{money(cost)}</b> at {html.escape(option.provider)} "
            f"({money((option.hourly_low, option.hourly_high))}/h, as of {option.as_of}). "
            "Compute only: data, evaluation and hosting come on top (see the TCO calculator).")
        if self.spot_estimate is not None:
            self.result.value += "<br>" + self.spot.result_html(self.spot_estimate, option.provider)
        used = [r for r in self._prices if r.kind == "gpu_rental"
                and (r.provider, r.item) == (option.provider, option.gpu)]
        self.notice.value = stale_html(used, self._today)
        self._plot()

    def _plot(self) -> None:
        quotes = [q for q in compare_offers(self.num_examples.value, self.avg_tokens.value,
                                            self.epochs.value, self.method.value,
                                            rows=self._prices, throughput=self._throughput)
                  if q.kind == "gpu_rental" and q.offer != self.gpu.value]
        quotes.append(Quote(self.gpu.value, "gpu_rental", self.cost, self.hours))
        quotes.sort(key=lambda q: low_high(q.cost))
        fig, ax = new_figure(height=0.35 * len(quotes) + 1.2)
        plot_quotes(ax, quotes, highlight=self.gpu.value)
        ax.set_title(f"{self.method.value} run on offers with a published throughput "
                     "(red: your choice)", fontsize=9)
        self._draw(fig)
