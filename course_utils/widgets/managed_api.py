"""The managed-API calculator of lesson 03: one job's training cost on every fine-tuning API.

Cost = examples x tokens per example x epochs / 1M x the provider's price per 1M training
tokens, for every `managed_training` row of `data/prices.csv`; offers closed to new users are
shown in grey and can be hidden.

What this leaves out: inference on the tuned model (priced separately by each provider) and
minimum charges.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan.costs.amounts import low_high, money, rate_of
from course_utils.plan.costs.training import dataset_tokens, managed_training_cost
from course_utils.plan.prices import PriceRow, load_prices
from course_utils.widgets.calculator import (Calculator, job_inputs, mpl_text, new_figure,
                                             stale_html)


class ManagedApiCalculator(Calculator):
    """Lesson 03. Training cost of a managed fine-tuning job on every provider in the prices file.

    The dataset defaults to the seeds' worked example (`data/costs_assumptions.csv`).
    """

    def __init__(self, *, num_examples: int | None = None, avg_tokens: int | None = None,
                 epochs: int = 1, prices: Sequence[PriceRow] | None = None,
                 today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._offers = [r for r in self._prices if r.kind == "managed_training"]
        self._today = today
        style = {"description_width": "110px"}
        self.num_examples, self.avg_tokens, self.epochs = job_inputs(num_examples, avg_tokens,
                                                                     epochs, style)
        self.include_closed = widgets.Checkbox(value=True, description="show offers closed to "
                                               "new users", indent=False)
        self.result = widgets.HTML()
        self.notice = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox([
            widgets.HBox([self.num_examples, self.avg_tokens, self.epochs]),
            self.include_closed, self.result, self.notice, self.plot])
        self._watch(self.num_examples, self.avg_tokens, self.epochs, self.include_closed)
        self.update()

    def update(self) -> None:
        offers = [r for r in self._offers if self.include_closed.value or not r.closed_to_new_users]
        n, t, e = self.num_examples.value, self.avg_tokens.value, self.epochs.value
        self.quotes = {r.label(): managed_training_cost(n, t, rate_of(r), e) for r in offers}
        tokens = dataset_tokens(n, t, e)
        lines = "".join(
            f"<tr><td>{html.escape(r.label())}</td><td>{html.escape(r.formatted())}</td>"
            f"<td><b>{money(self.quotes[r.label()])}</b></td>"
            f"<td>{'closed to new users' if r.closed_to_new_users else ''}</td></tr>"
            for r in offers)
        self.result.value = (f"<b>{tokens / 1e6:,.2f}M training tokens</b> "
                             f"({n:,} × {t:,} × {e} epoch{'s' if e > 1 else ''})"
                             f"<table><tr><th>offer</th><th>price</th><th>training cost</th>"
                             f"<th></th></tr>{lines}</table>")
        self.notice.value = stale_html(offers, self._today)
        self._plot(offers)

    def _plot(self, offers: Sequence[PriceRow]) -> None:
        fig, ax = new_figure(height=0.45 * max(len(offers), 1) + 1.2)
        labels = list(self.quotes)
        values = [low_high(v)[1] for v in self.quotes.values()]
        colors = ["#999999" if r.closed_to_new_users else "#2ca02c" for r in offers]
        ax.barh(range(len(labels)), values, color=colors, height=0.6)
        for i, v in enumerate(values):
            ax.annotate(mpl_text(money(v)), (v, i), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlim(0, max(values + [1]) * 1.3)
        ax.set_xlabel(mpl_text("training cost, $ (grey: closed to new users)"))
        self._draw(fig)
