"""Lessons 01-03: prices, costs, the decision rules and GPU-memory arithmetic. Imports no torch.

    prices          data/prices.csv, checked, and the look-ups on it
    costs/          training (on demand and on spot), hosting, TCO, break-even and the seeds'
                    budgets, recomputed (a package, by topic)
    decide          the decision framework of lesson 01
    memory/         GPU memory of fine-tuning and serving (a package, by topic)
    published       published figures with their source and date (data/*.csv)
    datafiles       reading the CSV data files, with errors that name file, line and field
    tensor_bytes    the bytes real tensors hold (duck-typed)

What this leaves out: anything that needs torch (the model layer and above).
"""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "add": "costs.amounts",
    "api_cost_per_query_for": "costs.break_even",
    "assumption": "costs.assumptions",
    "break_even_monthly_queries": "costs.break_even",
    "budget_verdict": "costs.budgets",
    "check_method_budgets": "costs.budgets",
    "compare_offers": "costs.offers",
    "cumulative_costs": "costs.break_even",
    "dataset_tokens": "costs.training",
    "gpu_training_cost": "costs.training",
    "low_high": "costs.amounts",
    "managed_training_cost": "costs.training",
    "managed_training_quote": "costs.training",
    "money": "costs.amounts",
    "monthly_hosting_cost": "costs.hosting",
    "rate_of": "costs.amounts",
    "seed_examples": "costs.worked_examples",
    "serving_comparison": "costs.break_even",
    "spot_training_cost": "costs.spot",
    "throughput_for": "costs.throughput",
    "total_cost_of_ownership": "costs.hosting",
    "training_hours": "costs.training",
    "training_steps": "costs.spot",
    "default_break_even": "decide",
    "load_rules": "decide",
    "method_comparison": "decide",
    "method_sources": "decide",
    "recommend": "decide",
    "GB": "memory.inputs",
    "GIB": "memory.inputs",
    "claim_verdict": "memory.claims",
    "estimate_inference_memory": "memory.inference",
    "estimate_training_memory": "memory.estimate",
    "fits_verdict": "memory.claims",
    "load_measurements": "memory.validate",
    "lora_param_count": "memory.lora",
    "max_adapters_that_fit": "memory.inference",
    "measured_training_bytes": "memory.measure",
    "pick_gpu": "memory.pick",
    "resolve_config": "memory.configs",
    "validate_against_measurements": "memory.validate",
    "find_price": "prices",
    "load_prices": "prices",
    "max_age_days_setting": "prices",
    "price_age_warning": "prices",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
