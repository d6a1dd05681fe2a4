"""How much GPU memory fine-tuning and serving need, term by term (lesson 02).

Every number is arithmetic on a model's dimensions (its `config.json`), so nothing here imports
torch: the VRAM calculator starts in milliseconds and its tests need no GPU. The modules:

    inputs       units (GB, GiB), the estimator's choices, argument checks, `MemoryInputError`
    configs      a model's dimensions from its config.json, and parameter counts
    lora         the weights LoRA adds: r x (d_in + d_out) per adapted matrix
    arithmetic   bytes of NF4 weights and their constants, and of optimizer states
    estimate     peak memory of one training step, term by term (the sources are there)
    inference    serving memory, and how many adapters fit next to a base
    pick         the cheapest GPU of the price table that holds an estimate
    validate     the estimate against published peak-memory measurements
    measure      the bytes a real model and optimizer hold
    claims       verdicts on the seed articles' memory claims

Every name below can be read from this package (`from course_utils.plan import memory`;
`memory.estimate_training_memory(...)`); it loads the defining module on first use.

What this leaves out: multi-GPU sharding, CPU offloading, packing and padding effects, and
mixture-of-experts models (`estimate` says more).
"""

from course_utils._lazy import lazy_exports

# name -> the module of this package that defines it
EXPORTS = {
    **dict.fromkeys(("ALL_LINEAR", "DEFAULT_HEADROOM", "DTYPES", "GB", "GIB", "METHODS",
                     "MemoryInputError", "OPTIMIZERS", "QUANTIZATIONS"), "inputs"),
    **dict.fromkeys(("LinearSpec", "MODEL_CONFIGS_DIR", "ModelConfig", "available_models",
                     "config_from_dict", "load_model_config", "resolve_config"), "configs"),
    **dict.fromkeys(("lora_param_count",), "lora"),
    **dict.fromkeys(("nf4_bytes",), "arithmetic"),
    **dict.fromkeys(("FRAMEWORK_OVERHEAD_BYTES", "MemoryEstimate", "TERM_INFO",
                     "estimate_training_memory"), "estimate"),
    **dict.fromkeys(("estimate_inference_memory", "max_adapters_that_fit"), "inference"),
    **dict.fromkeys(("GpuPick", "pick_gpu"), "pick"),
    **dict.fromkeys(("MEASUREMENTS_PATH", "Measurement", "ValidationReport", "load_measurements",
                     "validate_against_measurements"), "validate"),
    **dict.fromkeys(("measured_training_bytes",), "measure"),
    **dict.fromkeys(("claim_verdict", "fits_verdict"), "claims"),
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
