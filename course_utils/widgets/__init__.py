"""The ipywidgets calculators of lessons 01-03: thin layers over the plan functions."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "GpuRentalCalculator": "costs",
    "ManagedApiCalculator": "costs",
    "TcoCalculator": "costs",
    "plot_cumulative": "costs",
    "plot_quotes": "costs",
    "plot_tco_breakdown": "costs",
    "prices_table_html": "costs",
    "show_figure": "costs",
    "table_html": "costs",
    "DecisionWizard": "decision",
    "breakdown_figure": "memory",
    "memory_calculator": "memory",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
