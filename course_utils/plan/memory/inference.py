"""Serving memory: weights, KV cache, LoRA adapters, working buffers (lessons 02 and 07).

    weights       in the compute dtype, int8 (1 byte per weight + an fp32 scale per output
                  row, LLM.int8) or NF4 with double quantization (`arithmetic.nf4_bytes`)
    KV cache      2 (K and V) x layers x kv_heads x head_dim x compute bytes, per token of
                  every sequence: grouped-query attention shrinks it
    adapters      `lora_param_count` weights each, in the compute dtype
    activations   the prefill of one batch: one layer's working set at a time, plus the last
                  token's logits in fp32
    overhead      the same fixed 1 GB as for training

`max_adapters_that_fit` turns the estimate around: how many adapters fit on one GPU next to
the base model and its KV cache (the question of lesson 07).

What this leaves out: paged KV caches that grow with the actual lengths (vLLM allocates them
up front, which this matches), speculative decoding, and tensor parallelism.
"""

from __future__ import annotations

from typing import Any, Iterable

from course_utils.plan.memory.arithmetic import quantized_block_bytes
from course_utils.plan.memory.configs import resolve_config
from course_utils.plan.memory.estimate import FRAMEWORK_OVERHEAD_BYTES, MemoryEstimate
from course_utils.plan.memory.inputs import (ALL_LINEAR, DEFAULT_HEADROOM, DTYPES, GIB,
                                             QUANTIZATIONS, MemoryInputError, check_positive,
                                             choice, dtype)
from course_utils.plan.memory.lora import lora_param_count


def estimate_inference_memory(config: Any, quantization: str = "none", batch_size: int = 1,
                              context_len: int = 2048, num_adapters: int = 0, lora_r: int = 16,
                              target_modules: str | Iterable[str] = ALL_LINEAR, *,
                              compute_dtype: str = "bf16",
                              overhead_bytes: int = FRAMEWORK_OVERHEAD_BYTES) -> MemoryEstimate:
    """Lesson 02. Serving memory: weights, KV cache, LoRA adapters, working buffers (also lesson 07).

    quantization: "none" (weights in compute_dtype), "int8" (1 byte/param + an fp32 scale per
    row) or "nf4" (with double quantization). KV cache: 2 (K and V) x layers x kv_heads x
    head_dim x compute bytes per token of every sequence (grouped-query attention shrinks it).
    Each adapter holds lora_param_count(...) weights in the compute dtype.
    """
    cfg = resolve_config(config)
    quantization = choice(quantization, QUANTIZATIONS, "quantization")
    check_positive(batch_size=batch_size, context_len=context_len)
    if isinstance(num_adapters, bool) or not isinstance(num_adapters, int) or num_adapters < 0:
        raise MemoryInputError(f"num_adapters must be a whole number >= 0, got {num_adapters!r}")
    if num_adapters:
        check_positive(lora_r=lora_r)
    compute = dtype(compute_dtype, "compute_dtype")
    a = DTYPES[compute]
    L = cfg.num_hidden_layers
    bd: dict[str, int] = {}
    other = (cfg.norm_params() + cfg.embedding_params() + cfg.lm_head_params()) * a
    if quantization == "none":
        bd[f"weights_{compute}"] = cfg.param_count() * a
    elif quantization == "int8":
        bd["weights_int8"] = cfg.block_linear_params()
        bd["quant_constants"] = L * sum(s.d_out * 4 for s in cfg.linear_layers())
        bd[f"weights_{compute}"] = other
    else:
        bd["weights_nf4"], bd["quant_constants"], biases = quantized_block_bytes(cfg, True)
        bd[f"weights_{compute}"] = other + biases * a
    if num_adapters:
        bd["lora_adapters"] = num_adapters * lora_param_count(cfg, lora_r, target_modules) * a
    bd["kv_cache"] = int(batch_size) * int(context_len) * 2 * L * cfg.kv_dim * a
    # prefill of one batch: one layer's working set (hidden, q/k/v, MLP) + last-token logits in fp32
    bd["activations"] = int(batch_size) * int(context_len) * a * (
        2 * cfg.hidden_size + cfg.q_dim + 2 * cfg.kv_dim + 2 * cfg.intermediate_size)
    bd["logits"] = int(batch_size) * cfg.vocab_size * 4
    bd["overhead"] = int(overhead_bytes)
    inputs = dict(quantization=quantization, batch_size=batch_size, context_len=context_len,
                  num_adapters=num_adapters, lora_r=lora_r, compute_dtype=compute)
    return MemoryEstimate(sum(bd.values()), bd, cfg.name, inputs)


def max_adapters_that_fit(config: Any, gpu_memory_gb: float, *, quantization: str = "none",
                          batch_size: int = 1, context_len: int = 2048, lora_r: int = 16,
                          target_modules: str | Iterable[str] = ALL_LINEAR,
                          headroom: float = DEFAULT_HEADROOM, compute_dtype: str = "bf16") -> int:
    """Lesson 02. How many LoRA adapters fit next to the base model and its KV cache on one GPU
    of `gpu_memory_gb` (GiB, as cards are sold) less `headroom` (also lesson 07)."""
    check_positive(gpu_memory_gb=gpu_memory_gb)
    base = estimate_inference_memory(config, quantization, batch_size, context_len, 0,
                                     compute_dtype=compute_dtype)
    per = lora_param_count(config, lora_r, target_modules) * DTYPES[dtype(compute_dtype, "compute_dtype")]
    free = gpu_memory_gb * GIB * (1 - headroom) - base.total_bytes
    return max(0, int(free // per))
