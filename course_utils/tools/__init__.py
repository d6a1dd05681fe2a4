"""Tools for the course itself: running the notebooks in order, stripping their outputs."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "lesson_notebooks": "course_runner",
    "gpu_fit_table": "gpu_fit",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
