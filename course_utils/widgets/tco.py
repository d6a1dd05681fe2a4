"""The TCO calculator of lesson 03: a fine-tuned, self-hosted model against prompting an API
for the same queries.

Both answer the same queries a month. Left plot: the total cost of ownership of the fine-tune
by component (training compute x runs, data preparation at the seeds' multiplier, evaluation
tooling, the self-hosted GPU serving the volume all month), at the low and the high ends,
beside what prompting the API costs for the same volume and period. Right plot: cumulative
spend month by month, with the month they cross. The break-even volume uses the monthly
run-rate: serving, plus every run's compute and data preparation spread over the period.

What this leaves out: the one-off evaluation tooling in the break-even run-rate, and the
capacity limit of one hosting GPU.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan.costs.amounts import Range, add, low_high, money
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.break_even import (api_cost_per_query_for, break_even_monthly_queries,
                                                cumulative_costs, serving_comparison)
from course_utils.plan.costs.hosting import (RETRAIN_EVERY_MONTHS, monthly_hosting_cost,
                                             total_cost_of_ownership)
from course_utils.plan.costs.training import gpu_training_cost
from course_utils.plan.prices import PriceRow, gpu_rental_options, load_prices
from course_utils.widgets.calculator import Calculator, new_figure, offer_key, stale_html
from course_utils.widgets.cost_plots import plot_cumulative, plot_tco_breakdown

DEFAULT_GPU = "RunPod Community · A100 80GB"  # the seeds' rented GPU


class TcoCalculator(Calculator):
    """Lesson 03. Total cost of ownership of a self-hosted fine-tune, against prompting a
    per-token API for the same queries.

    Left plot: the TCO breakdown (low and high ends) beside the API's cost for the same volume.
    Right plot: cumulative spend, month by month, self-hosted vs the API at your query volume,
    with the break-even crossing.
    """

    def __init__(self, *, training_gpu: str | None = None, hosting_gpu: str | None = None,
                 api_model: str = "OpenAI · GPT-4.1 mini", training_hours: float = 4.0,
                 monthly_queries: int = 3_000_000, input_tokens: int = 500,
                 output_tokens: int = 200, months: int = 12,
                 prices: Sequence[PriceRow] | None = None, today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._options = {offer_key(o): o for o in gpu_rental_options(self._prices)}
        self._today = today
        apis = sorted({f"{r.provider} · {r.item}" for r in self._prices
                       if r.kind == "api_inference"})
        training_gpu, hosting_gpu = training_gpu or DEFAULT_GPU, hosting_gpu or DEFAULT_GPU
        for name, value, choices in (("training_gpu", training_gpu, self._options),
                                     ("hosting_gpu", hosting_gpu, self._options),
                                     ("api_model", api_model, apis)):
            if value not in choices:
                raise ValueError(f"argument '{name}': {value!r} is not one of {sorted(choices)}")
        self._hours_per_month = low_high(assumption("hours_per_month"))[0]
        s = {"description_width": "150px"}
        wide = widgets.Layout(width="480px")
        self.months = widgets.IntSlider(value=months, min=1, max=60, description="months",
                                        style=s, layout=wide)
        self.training_gpu = widgets.Dropdown(options=list(self._options), value=training_gpu,
                                             description="training GPU", style=s, layout=wide)
        self.training_hours = widgets.BoundedFloatText(value=training_hours, min=0.1, max=10_000,
                                                       step=0.5, description="hours per run",
                                                       style=s)
        self.retrain = widgets.Dropdown(options=list(RETRAIN_EVERY_MONTHS), value="quarterly",
                                        description="retrain", style=s)
        self.pipeline_multiplier = widgets.FloatRangeSlider(
            value=low_high(assumption("pipeline_multiplier")), min=0, max=20, step=0.5,
            description="data prep × compute", style=s, layout=wide)
        self.evaluation_tooling = widgets.FloatRangeSlider(
            value=low_high(assumption("evaluation_tooling")), min=0, max=20_000, step=100,
            description="evaluation tooling $", style=s, layout=wide)
        self.hosting_gpu = widgets.Dropdown(options=list(self._options), value=hosting_gpu,
                                            description="serving GPU (24/7)", style=s, layout=wide)
        self._query_controls(apis, api_model, monthly_queries, input_tokens, output_tokens, s, wide)
        self.result = widgets.HTML()
        self.notice = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.months, self.training_gpu, self.training_hours,
                                        self.retrain, self.pipeline_multiplier,
                                        self.evaluation_tooling]),
                          widgets.VBox([self.hosting_gpu, self.api_model, self.monthly_queries,
                                        self.input_tokens, self.output_tokens])]),
            self.result, self.notice, self.plot])
        self._watch(self.months, self.training_gpu, self.training_hours, self.retrain,
                    self.pipeline_multiplier, self.evaluation_tooling, self.hosting_gpu,
                    self.api_model, self.monthly_queries, self.input_tokens, self.output_tokens)
        self.update()

    def _query_controls(self, apis, api_model, monthly_queries, input_tokens, output_tokens,
                        s, wide) -> None:
        """The API side: which API, how many queries a month, how many tokens each."""
        self.api_model = widgets.Dropdown(options=apis, value=api_model,
                                          description="API to compare", style=s, layout=wide)
        self.monthly_queries = widgets.BoundedIntText(value=monthly_queries, min=0,
                                                      max=1_000_000_000, step=100_000,
                                                      description="queries / month", style=s)
        self.input_tokens = widgets.BoundedIntText(value=input_tokens, min=0, max=1_000_000,
                                                   step=50, description="input tokens/query",
                                                   style=s)
        self.output_tokens = widgets.BoundedIntText(value=output_tokens, min=1, max=1_000_000,
                                                    step=50, description="output tokens/query",
                                                    style=s)

    def update(self) -> None:
        train = self._options[self.training_gpu.value]
        host = self._options[self.hosting_gpu.value]
        run = gpu_training_cost(self.training_hours.value, (train.hourly_low, train.hourly_high))
        hosting = monthly_hosting_cost((host.hourly_low, host.hourly_high), self._hours_per_month)
        self.tco = total_cost_of_ownership(
            self.months.value, run, hosting,
            pipeline_multiplier=tuple(self.pipeline_multiplier.value),
            evaluation_tooling=tuple(self.evaluation_tooling.value), retrain=self.retrain.value)
        provider, item = self.api_model.value.split(" · ", 1)
        self.api_per_query = api_cost_per_query_for(provider, item, self.input_tokens.value,
                                                    self.output_tokens.value, rows=self._prices)
        # break-even on the monthly run-rate: hosting, plus every run's compute and data prep
        # spread over the period (the one-off evaluation tooling is left out)
        runs, months = self.tco.runs, self.months.value
        (run_lo, run_hi), (m_lo, m_hi) = low_high(run), self.pipeline_multiplier.value
        recurring = add(hosting, Range(run_lo * (1 + m_lo) * runs / months,
                                       run_hi * (1 + m_hi) * runs / months))
        self.break_even = break_even_monthly_queries(recurring, self.api_per_query)
        self.serving = serving_comparison(months, hosting, self.monthly_queries.value,
                                          self.api_per_query)
        self.cumulative = cumulative_costs(
            months, upfront=run_lo * (1 + m_lo) + self.evaluation_tooling.value[0],
            monthly_hosting=low_high(hosting)[0], monthly_queries=self.monthly_queries.value,
            api_cost_per_query=self.api_per_query, retrain_cost=run_lo * (1 + m_lo),
            retrain=self.retrain.value)
        self.result.value = self._summary()
        used = [r for r in self._prices if (r.kind == "gpu_rental" and (r.provider, r.item) in
                                            {(train.provider, train.gpu), (host.provider, host.gpu)})
                or (r.kind == "api_inference" and (r.provider, r.item) == (provider, item))]
        self.notice.value = stale_html(used, self._today)
        self._plot()

    def _summary(self) -> str:
        """The result line: TCO by component, the API's cost per query, the break-even."""
        runs, months = self.tco.runs, self.months.value
        share = self.tco.share("training compute")
        be_low, be_high = low_high(self.break_even)
        crossing = self.cumulative.break_even_month
        queries = self.monthly_queries.value
        return (
            f"<b>TCO over {months} months: {money(self.tco.total)}</b> for the fine-tune, "
            f"self-hosted ({runs} training run{'s' if runs > 1 else ''}): "
            + ", ".join(f"{html.escape(k)} {money(v)}" for k, v in self.tco.components.items())
            + f". Training compute is <b>{share.low:.1%}–{share.high:.1%}</b> of it.<br>"
            f"API: {money(self.api_per_query)} per query "
            f"({html.escape(self.api_model.value)}): prompting it for the same {queries:,} "
            f"queries a month costs <b>{money(self.serving.api)}</b> over {months} months. "
            "Self-hosting costs less above "
            f"<b>~{be_low:,.0f}–{be_high:,.0f} queries/month</b>; at "
            f"{queries:,}/month (low-end prices) the cumulative lines "
            + (f"cross in <b>month {crossing}</b>." if crossing is not None
               else f"<b>do not cross within {months} months</b>."))

    def _plot(self) -> None:
        fig, (ax1, ax2) = new_figure(ncols=2, width=10, height=4.4)
        plot_tco_breakdown(ax1, self.tco, api=self.serving.api,
                           api_label=f"prompting {self.api_model.value}")
        plot_cumulative(ax2, self.cumulative, self.api_model.value,
                        f"{self.monthly_queries.value:,} queries/month (low-end prices)")
        self._draw(fig)
