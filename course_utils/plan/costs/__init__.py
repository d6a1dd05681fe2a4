"""What fine-tuning costs: training, hosting, total cost of ownership, break-even (lesson 03).

Pure arithmetic over the course's data files; nothing here imports torch or touches a GPU.
Prices come from `data/prices.csv` (`course_utils.plan.prices`), published training
throughputs from `data/throughput.csv`, and the seeds' rules of thumb (pipeline multiplier,
evaluation tooling, hours per month, ...) from `data/costs_assumptions.csv`. No figure is
written in the code. The modules:

    amounts          numbers and (low, high) ranges, argument checks, `money`
    assumptions      the seeds' rules of thumb by name
    throughput       published tokens/s per GPU, and the one for a GPU and a method
    training         one training run: managed API per token, rented GPU per hour
    hosting          hosting per month and the total cost of ownership
    break_even       serving the same volume self-hosted or through a per-token API
    offers           one job priced on every offer
    spot             a run on a preemptible GPU: the discount, checkpoints and lost work
    worked_examples  the seeds' worked examples, recomputed to the cent
    budgets          the seeds' per-method budgets, recomputed with a verdict

Every name below can be read from this package (`from course_utils.plan import costs`;
`costs.money(...)`); it loads the defining module on first use.

What this leaves out: taxes, storage and egress, engineers' time beyond the seeds' multiplier,
discounts for committed use, and the capacity limit of one GPU (lesson 07 serves adapters).
"""

from course_utils._lazy import lazy_exports

# name -> the module of this package that defines it
EXPORTS = {
    **dict.fromkeys(("Amount", "CostInputError", "Range", "add", "cents", "low_high", "money",
                     "rate_of"), "amounts"),
    **dict.fromkeys(("ASSUMPTION_COLUMNS", "assumption", "load_assumptions"),
                    "assumptions"),
    **dict.fromkeys(("METHODS", "THROUGHPUT_COLUMNS", "Throughput", "load_throughput",
                     "throughput_for"), "throughput"),
    **dict.fromkeys(("dataset_tokens", "gpu_training_cost", "managed_training_cost",
                     "managed_training_quote", "training_hours"), "training"),
    **dict.fromkeys(("RETRAIN_EVERY_MONTHS", "SERVING", "TcoBreakdown", "monthly_hosting_cost",
                     "total_cost_of_ownership", "training_runs"), "hosting"),
    **dict.fromkeys(("CumulativeCosts", "ServingComparison", "api_cost_per_query",
                     "api_cost_per_query_for", "break_even_monthly_queries", "cumulative_costs",
                     "serving_comparison"), "break_even"),
    **dict.fromkeys(("Quote", "compare_offers"), "offers"),
    **dict.fromkeys(("SpotEstimate", "spot_training_cost", "training_steps"), "spot"),
    **dict.fromkeys(("SeedExample", "seed_examples"), "worked_examples"),
    **dict.fromkeys(("BUDGET_COLUMNS", "BudgetCheck", "BudgetClaim", "budget_verdict",
                     "check_method_budgets", "load_method_budgets"), "budgets"),
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
