"""What every calculator widget of lessons 01-03 shares: the base class and the figure plumbing.

A calculator holds its controls as attributes, recomputes in `update()` whenever one changes,
keeps its last matplotlib figure as `.figure` (drawn into an `Output`) and displays as its
`widget` (a VBox) when it is the last expression of a cell. So a test, or a curious learner,
can write `calc.hours.value = 4` and read `calc.result.value` and `calc.figure`.

What this leaves out: layout (each calculator arranges its own controls) and anything about
costs or memory (the calculators call the plan layer for that).
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.prices import GpuOption, PriceRow, price_age_warning


def show_figure(fig) -> None:
    """Lessons 01-03. Display `fig` once, whatever the matplotlib backend, and free it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)  # shown by display(), not a second time at the end of the cell


def new_figure(ncols: int = 1, width: float = 7.5, height: float = 3.2):
    """(figure, axes) of one row of `ncols` plots, laid out to fit a calculator."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), constrained_layout=True)
    return fig, axes


def mpl_text(text: str) -> str:
    """Escape '$' so matplotlib prints dollars instead of switching to math mode."""
    return text.replace("$", r"\$")


def offer_key(o: GpuOption) -> str:
    """'provider · gpu': how the calculators' dropdowns name a GPU offer."""
    return f"{o.provider} · {o.gpu}"


def example_size(value: int | None, name: str) -> int:
    """`value`, or the seeds' worked example's figure `name` of data/costs_assumptions.csv
    ("example_num_examples", "example_avg_tokens") when it is None."""
    return int(assumption(name)) if value is None else value


def job_inputs(num_examples: int | None, avg_tokens: int | None, epochs: int, style: dict):
    """The three inputs that size a training job (examples, tokens per example, epochs), as the
    lesson 03 calculators show them; None takes the seeds' worked example's figure."""
    import ipywidgets as widgets

    examples = widgets.BoundedIntText(
        value=example_size(num_examples, "example_num_examples"), min=1,
        max=100_000_000, step=1000, description="examples", style=style)
    tokens = widgets.BoundedIntText(
        value=example_size(avg_tokens, "example_avg_tokens"), min=1, max=131_072,
        step=64, description="tokens/example", style=style)
    epochs_box = widgets.BoundedIntText(value=epochs, min=1, max=20, description="epochs",
                                        style=style)
    return examples, tokens, epochs_box


def stale_html(rows: Sequence[PriceRow], today: _dt.date | None) -> str:
    """The prices' age warning as HTML ('' when every row is fresh)."""
    msg = price_age_warning(rows, today=today)
    return "" if msg is None else (f"<div style='color:#a15c00'>{html.escape(msg)}</div>")


class Calculator:
    """Base: holds the controls, redraws on change, displays as its VBox.

    A subclass builds `self.widget` and `self.plot` (an `ipywidgets.Output`), calls
    `_watch(*controls)` and implements `update()`, which ends with `_draw(fig)`.
    """

    _quiet = False  # set while the calculator changes its own controls
    figure = None

    def _watch(self, *controls) -> None:
        for c in controls:
            c.observe(lambda _change: None if self._quiet else self.update(), names="value")

    def _draw(self, fig) -> None:
        """Show `fig` in the plot Output (replacing the last one) and keep it as `.figure`."""
        import matplotlib.pyplot as plt
        from IPython.display import clear_output

        if self.figure is not None:
            plt.close(self.figure)
        self.figure = fig
        with self.plot:
            clear_output(wait=True)
            show_figure(fig)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def update(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
