"""The decision wizard of lesson 01: five questions in, a recommendation and its reasons out.

A thin layer over `course_utils.plan.decide.recommend`. The plot shows the volume question, the
one most teams get wrong: what a month costs on a rented GPU (flat) against a per-token API
(growing with queries), where they cross, and where your volume sits.

What this leaves out: model size (the rules assume a 7B-8B model) and GPU memory other than
the listed cards, whose sizes are the cards' specifications.
"""

from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan.costs.amounts import low_high, money
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.break_even import api_cost_per_query_for
from course_utils.plan.costs.hosting import monthly_hosting_cost
from course_utils.plan.decide import default_break_even, load_rules, recommend
from course_utils.plan.prices import PriceRow, find_price, load_prices
from course_utils.widgets.calculator import Calculator, mpl_text, new_figure

VRAM_CHOICES = [("don't know yet", None), ("16 GB (T4, RTX 4080)", 16.0),
                ("24 GB (RTX 4090, L4)", 24.0), ("48 GB (L40S, A6000)", 48.0),
                ("80 GB (A100, H100)", 80.0), ("141 GB (H200)", 141.0),
                ("2 × 80 GB", 160.0)]


class DecisionWizard(Calculator):
    """Lesson 01. Answer the questions; the recommendation and its reasons update as you go."""

    def __init__(self, *, knowledge_stable: bool = True, format_or_style_problem: bool = True,
                 clean_examples: int = 2_000, monthly_queries: int = 100_000,
                 can_run_open_weights: bool = True, prices: Sequence[PriceRow] | None = None):
        self._prices = load_prices() if prices is None else prices
        self._rules = load_rules()
        self._break_even = default_break_even(self._rules, self._prices)
        s = {"description_width": "initial"}
        self.knowledge_stable = widgets.ToggleButtons(
            options=[("stable", True), ("changes monthly or faster", False)],
            value=knowledge_stable, description="1. The facts the answers need are", style=s)
        self.format_problem = widgets.ToggleButtons(
            options=[("yes, it keeps drifting", True), ("no, prompting gets it right", False)],
            value=format_or_style_problem,
            description="2. Prompting fails on format / style?", style=s)
        self.clean_examples = widgets.BoundedIntText(
            value=clean_examples, min=0, max=10_000_000, step=100,
            description="3. Clean labelled examples you own", style=s)
        self.monthly_queries = widgets.BoundedIntText(
            value=monthly_queries, min=0, max=1_000_000_000, step=10_000,
            description="4. Queries per month", style=s)
        self.open_weights = widgets.ToggleButtons(
            options=[("yes", True), ("no", False)], value=can_run_open_weights,
            description="5. May you run open-weight models?", style=s)
        self.gpu_vram = widgets.Dropdown(options=VRAM_CHOICES, value=None,
                                         description="GPU memory you can rent", style=s)
        self.max_quality = widgets.Checkbox(value=False, indent=False,
                                            description="the last few % of quality are worth "
                                                        "a multi-GPU full fine-tune")
        self.result = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox([
            self.knowledge_stable, self.format_problem, self.clean_examples,
            self.monthly_queries, self.open_weights,
            widgets.HBox([self.gpu_vram, self.max_quality]), self.result, self.plot])
        self._watch(self.knowledge_stable, self.format_problem, self.clean_examples,
                    self.monthly_queries, self.open_weights, self.gpu_vram, self.max_quality)
        self.update()

    def update(self) -> None:
        self.recommendation = r = recommend(
            self.knowledge_stable.value, self.format_problem.value, self.clean_examples.value,
            self.monthly_queries.value, self.open_weights.value, gpu_vram_gb=self.gpu_vram.value,
            max_quality=self.max_quality.value, break_even_queries=self._break_even,
            rules=self._rules, prices=self._prices)
        items = "".join(f"<li><code>{html.escape(x.rule)}</code> {html.escape(x.text)}"
                        f"<br><small><i>{html.escape(x.source)}</i></small></li>"
                        for x in r.reasons)
        nxt = f"<br>Next step: {html.escape(r.next_step)}." if r.next_step else ""
        self.result.value = (f"<h4 style='margin:6px 0'>Recommendation: "
                             f"{html.escape(r.summary())}</h4><ul>{items}</ul>{nxt}")
        self._plot()

    def _plot(self) -> None:
        be = self._rules["break_even"]
        gpu = find_price(be["self_hosted_gpu"]["provider"], be["self_hosted_gpu"]["item"],
                         "$/hour", rows=self._prices)
        api = f"{be['api_model']['provider']} · {be['api_model']['item']}"
        monthly = monthly_hosting_cost(gpu.price_low, low_high(assumption("hours_per_month"))[0])
        per_query = api_cost_per_query_for(be["api_model"]["provider"], be["api_model"]["item"],
                                           be["input_tokens_per_query"],
                                           be["output_tokens_per_query"], rows=self._prices)
        top = max(self._break_even, self.monthly_queries.value) * 2
        xs = [top * i / 100 for i in range(101)]
        fig, ax = new_figure(width=7, height=3)
        ax.plot(xs, [monthly] * len(xs),
                label=mpl_text(f"self-hosted fine-tune: {gpu.label()}, all month "
                               f"({money(monthly)})"), color="#1f77b4")
        ax.plot(xs, [x * per_query for x in xs], color="#2ca02c",
                label=f"prompting {api}, {be['input_tokens_per_query']}+"
                      f"{be['output_tokens_per_query']} tokens/query")
        ax.axvline(self._break_even, color="grey", linestyle=":")
        ax.annotate(f"break-even ≈ {self._break_even:,.0f}/month", (self._break_even, monthly),
                    xytext=(5, 8), textcoords="offset points", fontsize=8)
        ax.axvline(self.monthly_queries.value, color="#d62728", label="your volume")
        ax.set_xlabel("queries per month")
        ax.set_ylabel(mpl_text("$ per month"))
        ax.set_title("Question 4: the same queries, self-hosted or through an API?", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        self._draw(fig)
