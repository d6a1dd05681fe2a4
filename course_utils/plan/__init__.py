"""Lessons 01-03: prices, costs, the decision rules and GPU-memory arithmetic. Imports no torch."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "add": "costs",
    "api_cost_per_query_for": "costs",
    "assumption": "costs",
    "break_even_monthly_queries": "costs",
    "compare_offers": "costs",
    "cumulative_costs": "costs",
    "dataset_tokens": "costs",
    "gpu_training_cost": "costs",
    "low_high": "costs",
    "managed_training_cost": "costs",
    "money": "costs",
    "monthly_hosting_cost": "costs",
    "rate_of": "costs",
    "seed_examples": "costs",
    "throughput_for": "costs",
    "total_cost_of_ownership": "costs",
    "training_hours": "costs",
    "default_break_even": "decide",
    "load_rules": "decide",
    "method_comparison": "decide",
    "method_sources": "decide",
    "recommend": "decide",
    "GB": "memory",
    "GIB": "memory",
    "claim_verdict": "memory",
    "estimate_inference_memory": "memory",
    "estimate_training_memory": "memory",
    "fits_verdict": "memory",
    "load_measurements": "memory",
    "lora_param_count": "memory",
    "max_adapters_that_fit": "memory",
    "measured_training_bytes": "memory",
    "pick_gpu": "memory",
    "resolve_config": "memory",
    "validate_against_measurements": "memory",
    "find_price": "prices",
    "load_prices": "prices",
    "max_age_days_setting": "prices",
    "price_age_warning": "prices",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
