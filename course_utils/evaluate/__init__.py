"""Lesson 06: task metrics, statistics, the regression gate, retrieval baselines, the systems
compared and the experiments."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "drift_experiment": "experiments",
    "epochs_experiment": "experiments",
    "epochs_verdict": "experiments",
    "eval_sizes": "experiments",
    "facts_experiment": "experiments",
    "format_note": "experiments",
    "heldout": "experiments",
    "load_adapter": "experiments",
    "noisy_experiment": "experiments",
    "raw_training_rows": "experiments",
    "train_adapter": "experiments",
    "training_mix": "experiments",
    "verdict": "experiments",
    "GateError": "regression_gate",
    "gate": "regression_gate",
    "confusion_matrix": "metrics",
    "macro_f1": "metrics",
    "moderation_scores": "metrics",
    "policy_scores": "metrics",
    "triage_scores": "metrics",
    "bootstrap_ci": "stats",
    "paired_test": "stats",
    "BASELINES": "systems",
    "Context": "systems",
    "SYSTEMS": "systems",
    "best_system": "systems",
    "evaluate_systems": "systems",
    "format_table": "systems",
    "pooled": "systems",
    "results_table": "systems",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
