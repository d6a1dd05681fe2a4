"""Lessons 01-03: prices, costs, the decision rules and GPU-memory arithmetic. Imports no torch."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "recommend": "decide",
    "managed_training_cost": "costs",
    "gpu_training_cost": "costs",
    "monthly_hosting_cost": "costs",
    "lora_param_count": "memory",
    "estimate_training_memory": "memory",
    "estimate_inference_memory": "memory",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
