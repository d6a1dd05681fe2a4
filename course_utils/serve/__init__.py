"""Lesson 07: many adapters on one base, the OpenAI-compatible server, vLLM and merging. `python -m course_utils.serve`."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "MultiAdapterModel": "engine",
    "start_server": "http",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
