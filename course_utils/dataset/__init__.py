"""Lesson 04: the synthetic task data, loading, curation, splitting and chat formatting. Imports no torch."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "load_jsonl": "load",
    "load_split": "load",
    "make_raw": "datagen",
    "curate": "curation",
    "redact_text": "curation",
    "split": "curation",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
