"""The base every calculator shares: updates on change (not while it sets its own controls),
one live figure at a time, the seeds' example as the default dataset."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from course_utils.plan.costs.assumptions import assumption  # noqa: E402
from course_utils.widgets.calculator import (Calculator, example_size, mpl_text,  # noqa: E402
                                             new_figure)


class Counter(Calculator):
    def __init__(self):
        self.n = widgets.IntText(value=1)
        self.plot = widgets.Output()
        self.widget = widgets.VBox([self.n, self.plot])
        self.updates = 0
        self._watch(self.n)

    def update(self):
        self.updates += 1
        fig, ax = new_figure()
        ax.plot([0, self.n.value])
        self._draw(fig)


def test_a_change_updates_and_the_old_figure_is_closed():
    c = Counter()
    c.n.value = 2
    first = c.figure
    c.n.value = 3
    assert c.updates == 2 and c.figure is not first
    assert not plt.fignum_exists(first.number) and not plt.fignum_exists(c.figure.number)
    c._quiet = True  # the calculator setting its own controls: no update
    c.n.value = 4
    assert c.updates == 2
    assert "application/vnd.jupyter.widget-view+json" in c._repr_mimebundle_()


def test_defaults_and_dollars():
    assert example_size(None, "example_num_examples") == int(assumption("example_num_examples"))
    assert example_size(7, "example_num_examples") == 7
    assert mpl_text("$1.64–$2.00") == r"\$1.64–\$2.00"
    with pytest.raises(ValueError, match="example_size"):
        example_size(None, "example_size")
