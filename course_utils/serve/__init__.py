"""Lesson 07: many adapters on one base, the OpenAI-compatible server, vLLM and merging.

    adapters   adapter names and folders; random and trained adapters
    engine     MultiAdapterModel: one base, N adapters, mixed-adapter batches
    bench      switch latency, throughput, memory, GPU capacity
    claim      the seed article's claim, from data/serving_seed_claim.json
    requests   OpenAI's request bodies, checked into jobs; the error body
    responses  OpenAI's answers: whole, and streamed as server-sent events
    answer     one answer as its tokens arrive: stop strings, what a stream may send yet
    batcher    the one worker thread that owns the model: bounded queue, cancellation
    continuous (stretch) iteration-level batching: requests join between decode steps
    wire       HTTP/1.1 on one connection (h11), with a time limit on every read
    http       the HTTP server: routes, API key, streams, graceful shutdown
    client     the `openai` client, requests/s and time to first token
    loadtest   many clients for a while, every answer checked (scripts/load_test.py)
    cli        `python -m course_utils.serve` (called by __main__.py; imported by no module)
    vllm       what vLLM would refuse, and the `vllm serve` command
    merge      merging an adapter into its base, and exporting the merged model

What this leaves out: GPU serving and paged KV memory (vLLM does both; `vllm` writes its
command).
"""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "ADAPTERS_DIR": "adapters",
    "train_task_adapters": "adapters",
    "lesson_adapters": "adapters",
    "SEED_CLAIM": "claim",
    "MultiAdapterModel": "engine",
    "compare_throughput": "bench",
    "gpu_adapter_capacity": "bench",
    "memory_footprint": "bench",
    "switch_latency": "bench",
    "measure_requests": "client",
    "measure_streaming": "client",
    "openai_client": "client",
    "start_server": "http",
    "check_adapter": "vllm",
    "compatibility_report": "vllm",
    "vllm_command": "vllm",
    "check_export": "merge",
    "export_merged": "merge",
    "merge_roundtrip": "merge",
    "nf4_merge_rounding": "merge",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
