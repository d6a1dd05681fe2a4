"""Lesson 06: metrics, statistics, retrieval baselines, the systems compared and the experiments."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "triage_scores": "metrics",
    "moderation_scores": "metrics",
    "policy_scores": "metrics",
    "macro_f1": "metrics",
    "bootstrap_ci": "metrics",
    "paired_test": "metrics",
    "gate": "metrics",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
