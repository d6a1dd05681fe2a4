"""Cost calculators for lesson 03: GPU rental, managed API, and TCO / break-even.

Each is a thin ipywidgets layer over `course_utils.plan.costs`: bounded inputs, a `result` HTML
that is rewritten on every change, and a matplotlib figure (kept as `.figure`) drawn into an
`Output`. Controls are attributes, so a test (or a curious learner) can write
`calc.hours.value = 4` and read `calc.result.value`. Display one by leaving it as the last
expression of a cell.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

import ipywidgets as widgets

from course_utils.plan import costs as C
from course_utils.plan.prices import (GpuOption, PriceRow, gpu_rental_options,
                                 load_prices, price_age_warning)

# --- shared plumbing (also used by the decision wizard) -------------------------------------


def show_figure(fig) -> None:
    """Display `fig` once, whatever the matplotlib backend, and free it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)  # shown by display(), not a second time at the end of the cell


class _Calculator:
    """Base: holds the controls, redraws on change, displays as its VBox."""

    _quiet = False  # set while the calculator changes its own controls

    def _watch(self, *controls) -> None:
        for c in controls:
            c.observe(lambda _change: None if self._quiet else self.update(), names="value")

    def _draw(self, fig) -> None:
        """Show `fig` in the plot Output (replacing the last one) and keep it as `.figure`."""
        import matplotlib.pyplot as plt
        from IPython.display import clear_output

        old = getattr(self, "figure", None)
        if old is not None:
            plt.close(old)
        self.figure = fig
        with self.plot:
            clear_output(wait=True)
            show_figure(fig)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def update(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def _stale_html(rows: Sequence[PriceRow], today: _dt.date | None) -> str:
    msg = price_age_warning(rows, today=today)
    return "" if msg is None else (f"<div style='color:#a15c00'>{html.escape(msg)}</div>")


def _figure(ncols: int = 1, width: float = 7.5, height: float = 3.2):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), constrained_layout=True)
    return fig, axes


def _option_key(o: GpuOption) -> str:
    return f"{o.provider} · {o.gpu}"


# --- plots and tables the lesson also draws on its own ----------------------------------------


def prices_table_html(rows: Sequence[PriceRow]) -> str:
    """The prices as an HTML table: offer, price, date, source link, notes."""
    body = "".join(
        f"<tr><td>{html.escape(r.label())}</td><td>{html.escape(r.formatted())}</td>"
        f"<td>{r.as_of}</td><td><a href='{html.escape(r.source_url)}' target='_blank'>"
        f"{html.escape(r.source_name)}</a></td><td><small>{html.escape(r.notes)}</small></td></tr>"
        for r in rows)
    return ("<table><tr><th>offer</th><th>price</th><th>as of</th><th>source</th>"
            f"<th>notes</th></tr>{body}</table>")


def table_html(rows: Sequence[dict]) -> str:
    """A list of same-keyed dicts as a plain HTML table (headers from the first row)."""
    if not rows:
        return "<i>(nothing to show)</i>"
    head = "".join(f"<th style='text-align:left'>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(v))}</td>"
                                    for v in r.values()) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def mpl_text(text: str) -> str:
    """Escape '$' so matplotlib prints dollars instead of switching to math mode."""
    return text.replace("$", r"\$")


def plot_quotes(ax, quotes: Sequence[C.Quote], highlight: str | None = None) -> None:
    """One bar per offer (log scale), dark between the low and high price: rentals blue,
    managed APIs green, offers closed to new users grey, `highlight` red."""
    left = min(C.low_high(q.cost)[0] for q in quotes) / 2
    for i, q in enumerate(quotes):
        low, high = C.low_high(q.cost)
        color = ("#d62728" if q.offer == highlight else "#999999" if q.closed_to_new_users
                 else "#1f77b4" if q.kind == "gpu_rental" else "#2ca02c")
        if high > low:  # a range: light up to the low price, solid from low to high
            ax.barh(i, low - left, left=left, color=color, alpha=0.35, height=0.6)
            ax.barh(i, high - low, left=low, color=color, height=0.6)
        else:
            ax.barh(i, high - left, left=left, color=color, height=0.6)
        ax.annotate(mpl_text(C.money(q.cost)) + (f"  ({q.hours:.1f} h)" if q.hours else ""),
                    (high, i), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_yticks(range(len(quotes)), [q.offer for q in quotes], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left, max(C.low_high(q.cost)[1] for q in quotes) * 8)
    ax.set_xlabel(mpl_text("$ for the training job (log scale; light then dark: a low–high "
                           "price)"))


def plot_tco_breakdown(ax, tco: C.TcoBreakdown) -> None:
    """Stacked bars of the TCO components, at the low and at the high ends."""
    bottoms = [0.0, 0.0]
    colors = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4"]
    for (name, amount), color in zip(tco.components.items(), colors):
        lo, hi = C.low_high(amount)
        ax.bar([0, 1], [lo, hi], bottom=bottoms, color=color, width=0.6,
               label=mpl_text(f"{name}: {C.money(amount)}"))
        bottoms = [bottoms[0] + lo, bottoms[1] + hi]
    ax.set_xticks([0, 1], ["low end", "high end"])
    ax.set_ylabel(mpl_text("$ over the period"))
    ax.set_title(f"TCO over {tco.months} months ({tco.runs} training runs, {tco.retrain})",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)


def plot_cumulative(ax, cum: C.CumulativeCosts, api_label: str, title: str = "") -> None:
    """Cumulative spend, self-hosted vs API, with the break-even month marked."""
    ax.plot(cum.months, cum.self_hosted, label="self-hosted fine-tune", color="#1f77b4")
    ax.plot(cum.months, cum.api, label=f"API ({api_label})", color="#2ca02c")
    if cum.break_even_month is not None:
        m = cum.break_even_month
        ax.axvline(m, color="grey", linestyle=":")
        ax.annotate(f"break-even: month {m}", (m, cum.api[m]), xytext=(5, -12),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("month")
    ax.set_ylabel(mpl_text("cumulative $"))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


# --- GPU rental ---------------------------------------------------------------------------


class GpuRentalCalculator(_Calculator):
    """Hours and dollars to fine-tune on one rented GPU, from the dataset and a throughput.

    Hours = dataset tokens / (tokens/s per GPU) / 3600; the throughput is filled in from the
    published measurement for the chosen GPU and method (`data/throughput.csv`) and can be
    overwritten. The plot compares every offer of every GPU with a published throughput.
    """

    def __init__(self, *, gpu: str | None = None, method: str = "qlora", num_examples: int = 50_000,
                 avg_tokens: int = 512, epochs: int = 1, prices: Sequence[PriceRow] | None = None,
                 today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._options = {_option_key(o): o for o in gpu_rental_options(self._prices)}
        self._today = today
        self._throughput = C.load_throughput()
        default = gpu or next(k for k, o in self._options.items()
                              if o.provider == "RunPod Community" and o.gpu == "A100 80GB")
        if default not in self._options:
            raise ValueError(f"argument 'gpu': {default!r} is not an offer; "
                             f"choose one of {sorted(self._options)}")
        self.gpu = widgets.Dropdown(options=[(o.label(), k) for k, o in self._options.items()],
                                    value=default, description="GPU offer",
                                    layout=widgets.Layout(width="520px"),
                                    style={"description_width": "110px"})
        self.method = widgets.Dropdown(options=[("QLoRA", "qlora"), ("LoRA", "lora"),
                                                ("full", "full")], value=method,
                                       description="method", style={"description_width": "110px"})
        style = {"description_width": "110px"}
        self.num_examples = widgets.BoundedIntText(value=num_examples, min=1, max=100_000_000,
                                                   step=1000, description="examples", style=style)
        self.avg_tokens = widgets.BoundedIntText(value=avg_tokens, min=1, max=131_072, step=64,
                                                 description="tokens/example", style=style)
        self.epochs = widgets.BoundedIntText(value=epochs, min=1, max=20, description="epochs",
                                             style=style)
        self.tokens_per_second = widgets.BoundedIntText(value=1000, min=1, max=1_000_000,
                                                        step=100, description="tokens/s/GPU",
                                                        style=style)
        self.throughput_note = widgets.HTML()
        self.result = widgets.HTML()
        self.notice = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.gpu, self.method]),
                          widgets.VBox([self.num_examples, self.avg_tokens, self.epochs])]),
            widgets.HBox([self.tokens_per_second, self.throughput_note]),
            self.result, self.notice, self.plot])
        self._fill_throughput()
        self._watch(self.num_examples, self.avg_tokens, self.epochs, self.tokens_per_second)
        for c in (self.gpu, self.method):
            c.observe(lambda _ch: self._fill_throughput(), names="value")
        self.update()

    def _measured(self, gpu: str, method: str) -> C.Throughput | None:
        try:
            return C.throughput_for(gpu, method, rows=self._throughput)
        except C.CostInputError:
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
        tokens = C.dataset_tokens(self.num_examples.value, self.avg_tokens.value, self.epochs.value)
        hours = C.training_hours(tokens, self.tokens_per_second.value)
        cost = C.gpu_training_cost(hours, (option.hourly_low, option.hourly_high))
        self.hours = hours
        self.cost = cost
        self.result.value = (
            f"<b>{tokens / 1e6:,.1f}M tokens</b> at {self.tokens_per_second.value:,} tokens/s → "
            f"<b>{hours:,.2f} GPU-hours</b> on {html.escape(option.gpu)} → "
            f"<b>{C.money(cost)}</b> at {html.escape(option.provider)} "
            f"({C.money((option.hourly_low, option.hourly_high))}/h, as of {option.as_of}). "
            "Compute only: data, evaluation and hosting come on top (see the TCO calculator).")
        used = [r for r in self._prices if r.kind == "gpu_rental"
                and (r.provider, r.item) == (option.provider, option.gpu)]
        self.notice.value = _stale_html(used, self._today)
        self._plot(tokens)

    def _plot(self, tokens: float) -> None:
        quotes = [q for q in C.compare_offers(self.num_examples.value, self.avg_tokens.value,
                                              self.epochs.value, self.method.value,
                                              rows=self._prices, throughput=self._throughput)
                  if q.kind == "gpu_rental" and q.offer != self.gpu.value]
        quotes.append(C.Quote(self.gpu.value, "gpu_rental", self.cost, self.hours))
        quotes.sort(key=lambda q: C.low_high(q.cost))
        fig, ax = _figure(height=0.35 * len(quotes) + 1.2)
        plot_quotes(ax, quotes, highlight=self.gpu.value)
        ax.set_title(f"{self.method.value} run on offers with a published throughput "
                     "(red: your choice)", fontsize=9)
        self._draw(fig)


# --- managed API ---------------------------------------------------------------------------


class ManagedApiCalculator(_Calculator):
    """Training cost of a managed fine-tuning job on every provider in the prices file."""

    def __init__(self, *, num_examples: int = 50_000, avg_tokens: int = 512, epochs: int = 1,
                 prices: Sequence[PriceRow] | None = None, today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._offers = [r for r in self._prices if r.kind == "managed_training"]
        self._today = today
        style = {"description_width": "110px"}
        self.num_examples = widgets.BoundedIntText(value=num_examples, min=1, max=100_000_000,
                                                   step=1000, description="examples", style=style)
        self.avg_tokens = widgets.BoundedIntText(value=avg_tokens, min=1, max=131_072, step=64,
                                                 description="tokens/example", style=style)
        self.epochs = widgets.BoundedIntText(value=epochs, min=1, max=20, description="epochs",
                                             style=style)
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
        self.quotes = {r.label(): C.managed_training_cost(n, t, C.rate_of(r), e) for r in offers}
        tokens = C.dataset_tokens(n, t, e)
        lines = "".join(
            f"<tr><td>{html.escape(r.label())}</td><td>{html.escape(r.formatted())}</td>"
            f"<td><b>{C.money(self.quotes[r.label()])}</b></td>"
            f"<td>{'closed to new users' if r.closed_to_new_users else ''}</td></tr>"
            for r in offers)
        self.result.value = (f"<b>{tokens / 1e6:,.2f}M training tokens</b> "
                             f"({n:,} × {t:,} × {e} epoch{'s' if e > 1 else ''})"
                             f"<table><tr><th>offer</th><th>price</th><th>training cost</th>"
                             f"<th></th></tr>{lines}</table>")
        self.notice.value = _stale_html(offers, self._today)
        fig, ax = _figure(height=0.45 * max(len(offers), 1) + 1.2)
        labels = list(self.quotes)
        values = [C.low_high(v)[1] for v in self.quotes.values()]
        colors = ["#999999" if r.closed_to_new_users else "#2ca02c" for r in offers]
        ax.barh(range(len(labels)), values, color=colors, height=0.6)
        for i, v in enumerate(values):
            ax.annotate(mpl_text(C.money(v)), (v, i), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlim(0, max(values + [1]) * 1.3)
        ax.set_xlabel(mpl_text("training cost, $ (grey: closed to new users)"))
        self._draw(fig)


# --- TCO and break-even -----------------------------------------------------------------------


class TcoCalculator(_Calculator):
    """Total cost of ownership of a self-hosted fine-tune, and where it beats a per-token API.

    Left plot: the TCO breakdown (low and high ends). Right plot: cumulative spend, month by
    month, self-hosted vs the API at your query volume, with the break-even crossing.
    """

    def __init__(self, *, training_gpu: str | None = None, hosting_gpu: str | None = None,
                 api_model: str = "OpenAI · GPT-4.1 mini", training_hours: float = 4.0,
                 monthly_queries: int = 3_000_000, input_tokens: int = 500,
                 output_tokens: int = 200, months: int = 12,
                 prices: Sequence[PriceRow] | None = None, today: _dt.date | None = None):
        self._prices = load_prices() if prices is None else prices
        self._options = {_option_key(o): o for o in gpu_rental_options(self._prices)}
        self._today = today
        apis = sorted({f"{r.provider} · {r.item}" for r in self._prices
                       if r.kind == "api_inference"})
        a100 = "RunPod Community · A100 80GB"
        for name, value, choices in (("training_gpu", training_gpu or a100, self._options),
                                     ("hosting_gpu", hosting_gpu or a100, self._options),
                                     ("api_model", api_model, apis)):
            if value not in choices:
                raise ValueError(f"argument '{name}': {value!r} is not one of {sorted(choices)}")
        mult = C.low_high(C.assumption("pipeline_multiplier"))
        tooling = C.low_high(C.assumption("evaluation_tooling"))
        self._hours_per_month = C.low_high(C.assumption("hours_per_month"))[0]
        s = {"description_width": "150px"}
        wide = widgets.Layout(width="480px")
        self.months = widgets.IntSlider(value=months, min=1, max=60, description="months",
                                        style=s, layout=wide)
        self.training_gpu = widgets.Dropdown(options=list(self._options),
                                             value=training_gpu or a100,
                                             description="training GPU", style=s, layout=wide)
        self.training_hours = widgets.BoundedFloatText(value=training_hours, min=0.1, max=10_000,
                                                       step=0.5, description="hours per run",
                                                       style=s)
        self.retrain = widgets.Dropdown(options=list(C.RETRAIN_EVERY_MONTHS), value="quarterly",
                                        description="retrain", style=s)
        self.pipeline_multiplier = widgets.FloatRangeSlider(
            value=mult, min=0, max=20, step=0.5, description="data prep × compute", style=s,
            layout=wide)
        self.evaluation_tooling = widgets.FloatRangeSlider(
            value=tooling, min=0, max=20_000, step=100, description="evaluation tooling $",
            style=s, layout=wide)
        self.hosting_gpu = widgets.Dropdown(options=list(self._options), value=hosting_gpu or a100,
                                            description="hosting GPU (24/7)", style=s, layout=wide)
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

    def update(self) -> None:
        train = self._options[self.training_gpu.value]
        host = self._options[self.hosting_gpu.value]
        run = C.gpu_training_cost(self.training_hours.value, (train.hourly_low, train.hourly_high))
        hosting = C.monthly_hosting_cost((host.hourly_low, host.hourly_high),
                                         self._hours_per_month)
        self.tco = C.total_cost_of_ownership(
            self.months.value, run, hosting,
            pipeline_multiplier=tuple(self.pipeline_multiplier.value),
            evaluation_tooling=tuple(self.evaluation_tooling.value), retrain=self.retrain.value)
        provider, item = self.api_model.value.split(" · ", 1)
        self.api_per_query = C.api_cost_per_query_for(provider, item, self.input_tokens.value,
                                                      self.output_tokens.value, rows=self._prices)
        # break-even on the monthly run-rate: hosting, plus every run's compute and data prep
        # spread over the period (the one-off evaluation tooling is left out)
        runs, months = self.tco.runs, self.months.value
        (run_lo, run_hi), (m_lo, m_hi) = C.low_high(run), self.pipeline_multiplier.value
        recurring = C.add(hosting, C.Range(run_lo * (1 + m_lo) * runs / months,
                                           run_hi * (1 + m_hi) * runs / months))
        self.break_even = C.break_even_monthly_queries(recurring, self.api_per_query)
        self.cumulative = C.cumulative_costs(
            months, upfront=run_lo * (1 + m_lo) + self.evaluation_tooling.value[0],
            monthly_hosting=C.low_high(hosting)[0], monthly_queries=self.monthly_queries.value,
            api_cost_per_query=self.api_per_query, retrain_cost=run_lo * (1 + m_lo),
            retrain=self.retrain.value)
        comp = self.tco.components
        share = self.tco.share("training compute")
        be_low, be_high = C.low_high(self.break_even)
        crossing = self.cumulative.break_even_month
        self.result.value = (
            f"<b>TCO over {months} months: {C.money(self.tco.total)}</b> "
            f"({runs} training run{'s' if runs > 1 else ''}). "
            + ", ".join(f"{html.escape(k)} {C.money(v)}" for k, v in comp.items())
            + f". Training compute is <b>{share.low:.1%}–{share.high:.1%}</b> of it.<br>"
            f"API: {C.money(self.api_per_query)} per query "
            f"({html.escape(self.api_model.value)}). Self-hosting costs less above "
            f"<b>~{be_low:,.0f}–{be_high:,.0f} queries/month</b>; at "
            f"{self.monthly_queries.value:,}/month (low-end prices) the cumulative lines "
            + (f"cross in <b>month {crossing}</b>." if crossing is not None
               else f"<b>do not cross within {months} months</b>."))
        used = [r for r in self._prices if (r.kind == "gpu_rental" and (r.provider, r.item) in
                                            {(train.provider, train.gpu), (host.provider, host.gpu)})
                or (r.kind == "api_inference" and (r.provider, r.item) == (provider, item))]
        self.notice.value = _stale_html(used, self._today)
        self._plot()

    def _plot(self) -> None:
        fig, (ax1, ax2) = _figure(ncols=2, width=10, height=4.4)
        plot_tco_breakdown(ax1, self.tco)
        plot_cumulative(ax2, self.cumulative, self.api_model.value,
                        f"{self.monthly_queries.value:,} queries/month (low-end prices)")
        self._draw(fig)
