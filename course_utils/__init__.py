"""course_utils: the package behind the "Fine-tune an LLM for real" notebooks.

One module per concept; each function's docstring names the lesson that introduces it.
Importing this package has no side effects and imports neither torch nor transformers:
the pure modules (costs, decisions, memory arithmetic, data) load in milliseconds, and the
model layer (`profiles`, `models`) imports the heavy stack only when used.
"""

__version__ = "0.1.0"
