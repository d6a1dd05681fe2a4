"""The cost plots of lesson 03: offers side by side, the TCO breakdown, spend over months.

Each draws on a matplotlib `ax` it is given, so the calculators and the lesson's own cells
draw the same pictures. Dollars are escaped for matplotlib (`mpl_text`).

What this leaves out: figure size and layout (the caller makes the figure) and interactivity
(the calculators redraw on change).
"""

from __future__ import annotations

from typing import Sequence

from course_utils.plan.costs.amounts import low_high, money
from course_utils.plan.costs.break_even import CumulativeCosts
from course_utils.plan.costs.hosting import TcoBreakdown
from course_utils.plan.costs.offers import Quote
from course_utils.widgets.calculator import mpl_text


def plot_quotes(ax, quotes: Sequence[Quote], highlight: str | None = None) -> None:
    """Lesson 03. One bar per offer (log scale), dark between the low and high price: rentals
    blue, managed APIs green, offers closed to new users grey, `highlight` red."""
    left = min(low_high(q.cost)[0] for q in quotes) / 2
    for i, q in enumerate(quotes):
        low, high = low_high(q.cost)
        color = ("#d62728" if q.offer == highlight else "#999999" if q.closed_to_new_users
                 else "#1f77b4" if q.kind == "gpu_rental" else "#2ca02c")
        if high > low:  # a range: light up to the low price, solid from low to high
            ax.barh(i, low - left, left=left, color=color, alpha=0.35, height=0.6)
            ax.barh(i, high - low, left=low, color=color, height=0.6)
        else:
            ax.barh(i, high - left, left=left, color=color, height=0.6)
        ax.annotate(mpl_text(money(q.cost)) + (f"  ({q.hours:.1f} h)" if q.hours else ""),
                    (high, i), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_yticks(range(len(quotes)), [q.offer for q in quotes], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left, max(low_high(q.cost)[1] for q in quotes) * 8)
    ax.set_xlabel(mpl_text("$ for the training job (log scale; light then dark: a low–high "
                           "price)"))


def plot_tco_breakdown(ax, tco: TcoBreakdown, api: float | None = None,
                       api_label: str = "prompting the API") -> None:
    """Lesson 03. Stacked bars of the TCO components, at the low and at the high ends; with
    `api`, a third bar: what prompting an API costs for the same queries over the period."""
    bottoms = [0.0, 0.0]
    colors = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4"]
    for (name, amount), color in zip(tco.components.items(), colors):
        lo, hi = low_high(amount)
        ax.bar([0, 1], [lo, hi], bottom=bottoms, color=color, width=0.6,
               label=mpl_text(f"{name}: {money(amount)}"))
        bottoms = [bottoms[0] + lo, bottoms[1] + hi]
    ticks = ["fine-tune,\nlow end", "fine-tune,\nhigh end"]
    if api is not None:
        ax.bar([2], [api], color="#2ca02c", width=0.6,
               label=mpl_text(f"{api_label}, same queries: {money(api)}"))
        ticks.append("API,\nsame queries")
    ax.set_xticks(range(len(ticks)), ticks, fontsize=8)
    ax.set_ylabel(mpl_text("$ over the period"))
    ax.set_title(f"TCO over {tco.months} months ({tco.runs} training runs, {tco.retrain})",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)


def plot_cumulative(ax, cum: CumulativeCosts, api_label: str, title: str = "") -> None:
    """Lesson 03. Cumulative spend on the same queries, a self-hosted fine-tune vs prompting an
    API, with the break-even month marked."""
    ax.plot(cum.months, cum.self_hosted, label="self-hosted fine-tune", color="#1f77b4")
    ax.plot(cum.months, cum.api, label=f"prompting the API ({api_label})", color="#2ca02c")
    if cum.break_even_month is not None:
        m = cum.break_even_month
        ax.axvline(m, color="grey", linestyle=":")
        ax.annotate(f"break-even: month {m}", (m, cum.api[m]), xytext=(5, -12),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("month")
    ax.set_ylabel(mpl_text("cumulative $"))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
