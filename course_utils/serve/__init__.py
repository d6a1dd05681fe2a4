"""Lesson 07: many adapters on one base, the OpenAI-compatible server, vLLM and merging. `python -m course_utils.serve`."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "ADAPTERS_DIR": "engine",
    "MultiAdapterModel": "engine",
    "SEED_CLAIM": "engine",
    "compare_throughput": "engine",
    "gpu_adapter_capacity": "engine",
    "memory_footprint": "engine",
    "switch_latency": "engine",
    "train_task_adapters": "engine",
    "measure_requests": "http",
    "openai_client": "http",
    "start_server": "http",
    "check_adapter": "vllm",
    "check_export": "vllm",
    "compatibility_report": "vllm",
    "export_merged": "vllm",
    "merge_roundtrip": "vllm",
    "nf4_merge_rounding": "vllm",
    "vllm_command": "vllm",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
