"""The widgets of the lessons: the calculators of lessons 01-03 (thin layers over the plan
functions), the quizzes and the diagrams.

    calculator    the base every calculator shares, and the figure plumbing
    tables        HTML tables of prices and of plain rows
    cost_plots    offers side by side, the TCO breakdown, spend over months (lesson 03)
    gpu_rental    hours and dollars on one rented GPU (lesson 03)
    managed_api   one job on every managed fine-tuning API (lesson 03)
    spot          the rental calculator's spot option (lesson 03)
    tco           total cost of ownership against prompting an API, the break-even (lesson 03)
    decision      the decision wizard (lesson 01)
    memory        the VRAM calculator and the stacked memory bars (lesson 02)
    quizzes       the concept quizzes at the end of each lesson
    diagrams      the course's diagrams, drawn by code (lessons 02, 04, 05 and 07)

What this leaves out: the arithmetic, which lives in `course_utils.plan` and is tested there.
"""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "show_figure": "calculator",
    "prices_table_html": "tables",
    "table_html": "tables",
    "plot_cumulative": "cost_plots",
    "plot_quotes": "cost_plots",
    "plot_tco_breakdown": "cost_plots",
    "GpuRentalCalculator": "gpu_rental",
    "ManagedApiCalculator": "managed_api",
    "TcoCalculator": "tco",
    "DecisionWizard": "decision",
    "breakdown_figure": "memory",
    "memory_calculator": "memory",
    "quiz": "quizzes",
    "grade": "quizzes",
    "load_quiz": "quizzes",
    "lora_diagram": "diagrams",
    "qlora_diagram": "diagrams",
    "chat_mask_diagram": "diagrams",
    "multi_adapter_diagram": "diagrams",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
