"""Lesson 07: what serving many adapters from one base costs, measured and estimated.

    switch_latency        milliseconds to switch the active adapter, and to load one from disk
    compare_throughput    requests/s of one mixed-adapter batch, one single-adapter batch, and
                          one request at a time
    memory_footprint      one base + N adapters against N merged models, measured on the
                          loaded tensors (`course_utils.plan.tensor_bytes` counts them)
    gpu_adapter_capacity  lesson 02's estimator on 24/40/80 GB GPUs, set beside the seed
                          article's claim (`course_utils.serve.claim.SEED_CLAIM`)
    compare_batchers      (stretch) the micro-batcher against iteration-level batching under
                          the same Poisson arrivals: p50/p95 latency and requests/s

What this leaves out: HTTP throughput (`course_utils.serve.http.measure_requests`) and GPU
timings (vLLM's kernels; the numbers here are the tiny model on a CPU).
"""

from __future__ import annotations

import math
import random
import statistics
import threading
import time
from typing import Iterable, Sequence

from course_utils.model.stack import peft_args
from course_utils.plan import memory as M
from course_utils.plan.tensor_bytes import quant_state_bytes, tensor_bytes
from course_utils.serve.batcher import MicroBatcher
from course_utils.serve.continuous import ContinuousBatcher
from course_utils.serve.engine import MultiAdapterModel, torch_threads
from course_utils.serve.requests import Job


def switch_latency(engine: MultiAdapterModel, repeats: int = 30) -> dict[str, float]:
    """Lesson 07. Milliseconds to switch the active adapter (`set_adapter`), and to load one from disk."""
    names = list(engine.adapter_paths)
    if not names:
        raise ValueError("switch_latency needs an engine with at least one adapter")
    times = []
    with engine._lock:
        for i in range(repeats):
            t = time.perf_counter()
            engine.model.set_adapter(names[i % len(names)])
            times.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        engine.model.load_adapter(str(engine.adapter_paths[names[0]]),
                                  **peft_args.load_adapter_kwargs("_latency_probe"))
        load_ms = (time.perf_counter() - t) * 1e3
        engine.model.delete_adapter("_latency_probe")
        engine.model.set_adapter(names[0])
    return dict(set_adapter_ms=statistics.median(times), set_adapter_p95_ms=sorted(times)[int(0.95 * (len(times) - 1))],
                load_adapter_ms=load_ms)


def compare_throughput(engine: MultiAdapterModel, prompts: Sequence, adapters: Sequence[str],
                       max_new_tokens: int = 16, threads: int | None = 1, chat: bool = True) -> dict[str, dict]:
    """Lesson 07. Requests/s of the same prompts three ways (each row forced to `max_new_tokens`):

    mixed      one batch, each row through its own adapter (`adapter_names`)
    single     one batch, every row through the first adapter (the best case for batching)
    sequential one request at a time, switching adapter before each (no batching at all)
    """
    ids = [engine.encode(p, chat) for p in prompts]
    n = len(ids)
    kw = dict(max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens)
    runs = {
        "mixed": lambda: engine.generate_ids(ids, adapters, **kw),
        "single": lambda: engine.generate_ids(ids, [adapters[0]] * n, **kw),
        "sequential": lambda: [engine.generate_ids([i], [a], **kw) for i, a in zip(ids, adapters)],
    }
    out = {}
    with torch_threads(threads):
        engine.generate_ids(ids[:1], adapters[:1], max_new_tokens=2)  # warm-up
        for mode, run in runs.items():
            t = time.perf_counter()
            run()
            s = time.perf_counter() - t
            out[mode] = dict(seconds=s, requests_per_s=n / s, tokens_per_s=n * max_new_tokens / s)
    return out


def memory_footprint(engine: MultiAdapterModel) -> dict:
    """Lesson 07. Bytes held by the base and by each adapter, measured on the loaded tensors, and
    what N merged models would hold instead. A merge writes the adapter into every weight, so each
    merged model is a full copy of the base in the compute dtype: every weight's real shape (a
    4-bit matrix unpacked) times the bytes of the embedding's dtype. Nothing extra is loaded."""
    base, merged, per = 0, 0, {}
    compute_bytes = engine.model.get_input_embeddings().weight.element_size()
    for name, p in engine.model.named_parameters():
        if ".lora_" in name:
            key = name.split(".")[-2]
            per[key] = per.get(key, 0) + tensor_bytes(p)
            continue
        qs = getattr(p, "quant_state", None)   # 4-bit: absmax and code tables live beside the weight
        base += tensor_bytes(p) + quant_state_bytes(qs)
        merged += math.prod(qs.shape if qs is not None else p.shape) * compute_bytes
    buffers = sum(tensor_bytes(b) for b in engine.model.buffers())
    n = len(per)
    return dict(base_bytes=base + buffers, adapter_bytes=per,
                one_base_plus_adapters=base + buffers + sum(per.values()),
                merged_model_bytes=merged + buffers, n_merged_models=n * (merged + buffers), n=n)


def gpu_adapter_capacity(model: str = "mistral-7b", gpus_gb: Iterable[float] = (24, 40, 80),
                         ranks: Iterable[int] = (8, 16, 64), quantization: str = "none",
                         context_len: int = 4096, batch_size: int = 8,
                         target_modules="all-linear") -> list[dict]:
    """Lesson 07. How many LoRA adapters of each rank fit beside one base on each GPU, and how many
    merged copies of the model would fit instead (lesson 02's estimator; 10% headroom)."""
    base = M.estimate_inference_memory(model, quantization, batch_size, context_len, 0)
    per_copy = base.total_bytes - M.FRAMEWORK_OVERHEAD_BYTES   # a merged copy: weights + its KV cache
    rows = []
    for gb in gpus_gb:
        usable = gb * M.GIB * (1 - M.DEFAULT_HEADROOM)
        for r in ranks:
            rows.append(dict(
                gpu_gb=gb, lora_r=r, base_gb=base.total_bytes / M.GB,
                adapter_mb=M.lora_param_count(model, r, target_modules) * 2 / 1e6,
                adapters_that_fit=M.max_adapters_that_fit(
                    model, gb, quantization=quantization, batch_size=batch_size,
                    context_len=context_len, lora_r=r, target_modules=target_modules),
                merged_copies_that_fit=max(0, int((usable - M.FRAMEWORK_OVERHEAD_BYTES) // per_copy))))
    return rows


def _arrivals(batcher: MicroBatcher, prompts: Sequence, adapters: Sequence[str], gaps: Sequence[float],
              max_tokens: Sequence[int], exact: bool) -> tuple[list[float], float, list[str]]:
    """Submit each prompt after its gap; (latency of each, seconds from first arrival to last answer, texts)."""
    start, done, lock = [], {}, threading.Lock()
    jobs = []
    t0 = time.perf_counter()
    for i, (prompt, adapter, gap, n) in enumerate(zip(prompts, adapters, gaps, max_tokens)):
        time.sleep(gap)
        job = Job("chat", adapter, prompt, n, min_tokens=n if exact else 0)
        start.append(time.perf_counter())

        def finished(_, i=i):
            with lock:
                done[i] = time.perf_counter()

        job.future.add_done_callback(finished)
        batcher.submit(job)
        jobs.append(job)
    texts = [j.future.result(600).text for j in jobs]
    with lock:
        latencies = [done[i] - start[i] for i in range(len(jobs))]
        return latencies, max(done.values()) - t0, texts


def compare_batchers(engine: MultiAdapterModel, prompts: Sequence, adapters: Sequence[str],
                     rate_per_s: float = 4.0, max_tokens: Sequence[int] | int = 32, exact_lengths: bool = False,
                     max_batch: int = 16, window_ms: float = 10.0, seed: int = 0) -> dict[str, dict]:
    """Lesson 07 (stretch). The micro-batcher (a new request waits for the running batch to end)
    against `ContinuousBatcher` (it joins between two decode steps), under the same Poisson
    arrivals: the gaps between requests are drawn once (exponential, mean 1/rate_per_s) and
    replayed for both. `exact_lengths`: every answer is exactly its max_tokens long (min_tokens),
    so that long and short requests mix as the caller chose. Per batcher: p50/p95 latency (arrival to last token), requests/s (from the
    first arrival to the last answer), the batch sizes, and each answer's text."""
    rng = random.Random(seed)
    gaps = [0.0] + [rng.expovariate(rate_per_s) for _ in prompts[1:]]
    limits = [max_tokens] * len(prompts) if isinstance(max_tokens, int) else list(max_tokens)
    out = {}
    for name, kind in (("micro", MicroBatcher), ("continuous", ContinuousBatcher)):
        batcher = kind(engine, window_ms, max_batch, max_queue=len(prompts) + 1).start()
        try:
            latencies, seconds, texts = _arrivals(batcher, prompts, adapters, gaps, limits, exact_lengths)
        finally:
            batcher.stop()
        ordered = sorted(latencies)
        out[name] = dict(p50_s=statistics.median(latencies), p95_s=ordered[int(0.95 * (len(ordered) - 1))],
                         requests_per_s=len(prompts) / seconds, steps=batcher.steps,
                         mean_batch=statistics.mean(batcher.batches), texts=texts)
    return out
