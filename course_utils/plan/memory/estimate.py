"""Peak GPU memory of one fine-tuning step, term by term (lesson 02).

Every number is arithmetic on a model's dimensions (`configs`), so nothing heavy is imported:
the VRAM calculator starts in milliseconds and its tests need no GPU. The terms:

    weights            params x bytes of their dtype; for QLoRA the block linears are NF4
                       (`arithmetic.nf4_bytes`), embeddings, norms and lm_head stay 16-bit
    LoRA adapters      r x (d_in + d_out) per adapted matrix (`lora`)
    gradients          one per trainable parameter, in its dtype
    optimizer states   AdamW: two moments per trainable parameter in the parameter's dtype
                       (fp32 master weights -> 8 bytes; the 18 bytes/param of mixed precision
                       = 4 master + 2 working copy + 4 grad + 8 Adam: transformers docs, "Model
                       training anatomy"); 8-bit and paged variants in `arithmetic`
    activations        what autograd keeps for the backward pass, per token and layer. The
                       accounting follows Korthikanti et al. 2022 ("Reducing Activation
                       Recomputation in Large Transformer Models", §4: s·b·h·(34 + 5as/h)
                       bytes per layer), redone for today's decoder blocks: RMSNorm (kept in
                       fp32), SwiGLU MLP, grouped-query attention, no dropout, and a fused
                       attention kernel (SDPA / FlashAttention) that keeps q, k, v and the
                       output instead of the a·s² score matrices. Frozen weights keep no input
                       (PyTorch saves a matmul input only when that weight needs a gradient).
                       With activation checkpointing each layer keeps only its input (2·s·b·h
                       bytes, Korthikanti §4.2) and one layer is recomputed at a time.
    logits and loss    the lm_head output, the loss's fp32 log-probabilities and, during the
                       loss's backward, two fp32 gradients of the same (tokens x vocab) shape
    overhead           a fixed 1 GB for the CUDA context, cuBLAS workspaces and allocator
                       slack: one documented constant, the same for every model and run

Peak memory is taken as the sum of the terms (weights, gradients and optimizer states live
through the step; activations and logits peak together at the start of the backward pass).
`validate` checks the result against published measurements.

What this leaves out: multi-GPU sharding (FSDP/ZeRO divide weights, gradients and optimizer
states by the number of GPUs), CPU offloading, paged optimizers being pushed out to CPU
under memory pressure, packing/padding effects (we assume every sequence is `seq_len`
long), PEFT's `prepare_model_for_kbit_training` upcasting norms and embeddings to fp32, and
mixture-of-experts models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from course_utils.plan.memory.arithmetic import optimizer_state_bytes, quantized_block_bytes
from course_utils.plan.memory.configs import LinearSpec, ModelConfig, resolve_config
from course_utils.plan.memory.inputs import (ALL_LINEAR, DTYPES, GB, METHODS, OPTIMIZERS,
                                             check_positive, choice, dtype)
from course_utils.plan.memory.lora import adapted_layers, lora_tensor_sizes

NORM_UPCAST_BYTES = 4       # RMSNorm computes in fp32 and keeps that copy of its input
LOSS_FP32_BUFFERS = 3       # fp32 log-probs (kept), their gradient, the logits' gradient
ATTN_LSE_BYTES = 4          # fused attention keeps one fp32 log-sum-exp per head and token
FRAMEWORK_OVERHEAD_BYTES = int(1.0 * GB)  # CUDA context (~0.3-0.5 GB) + cuBLAS workspaces +
#                                           caching-allocator slack; one fixed constant

# Every term an estimate (training or inference) can hold: (label, where the number comes from).
TERM_INFO: dict[str, tuple[str, str]] = {
    "weights_fp32": ("weights in fp32", "params x 4 bytes"),
    "weights_bf16": ("weights in bf16", "params x 2 bytes"),
    "weights_fp16": ("weights in fp16", "params x 2 bytes"),
    "weights_16bit_copy": ("16-bit working copy of the weights (mixed precision)",
                           "2 bytes/param: autocast's copies, kept for backward (transformers docs, "
                           "model training anatomy: 6 bytes/param for weights)"),
    "weights_nf4": ("NF4 4-bit weights", "0.5 byte/param (Dettmers et al. 2023 §3)"),
    "weights_int8": ("int8 weights", "1 byte/param + an fp32 scale per output row (LLM.int8)"),
    "quant_constants": ("quantization constants (absmax, double-quantized)",
                        "0.127 bit/param with double quantization, 0.5 without (Dettmers et al. 2023 §3)"),
    "lora_adapters": ("LoRA adapter weights", "r·(d_in+d_out) per adapted matrix (Hu et al. 2021)"),
    "gradients": ("gradients", "one per trainable parameter, in its dtype"),
    "optimizer_states": ("optimizer states", "AdamW: 2 moments per trainable param (8-bit: 1 byte "
                         "each + absmax, Dettmers et al. 2022)"),
    "activations": ("activations kept for backward",
                    "per token and layer, after Korthikanti et al. 2022 §4 (see module docstring)"),
    "kv_cache": ("KV cache", "2 x layers x kv_heads x head_dim x bytes per token per sequence"),
    "logits": ("logits and loss buffers", "tokens x vocab x (compute bytes + 3 x 4 fp32 buffers)"),
    "overhead": ("CUDA context and framework overhead", "fixed 1 GB"),
}


@dataclass
class MemoryEstimate:
    """An estimate: `total_bytes`, a `breakdown` {term: bytes}, and the inputs it came from."""

    total_bytes: int
    breakdown: dict[str, int]
    model: str
    inputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_gb(self) -> float:
        return self.total_bytes / GB

    def gb(self, term: str) -> float:
        return self.breakdown.get(term, 0) / GB

    @property
    def param_bytes(self) -> int:
        """Bytes the model's parameters hold (weights, quantization constants, adapters)."""
        return sum(v for k, v in self.breakdown.items()
                   if (k.startswith("weights_") and k != "weights_16bit_copy")
                   or k in ("quant_constants", "lora_adapters"))

    @property
    def gradient_bytes(self) -> int:
        return self.breakdown.get("gradients", 0)

    @property
    def optimizer_bytes(self) -> int:
        return self.breakdown.get("optimizer_states", 0)

    def __str__(self) -> str:
        width = max(len(TERM_INFO.get(k, (k,))[0]) for k in self.breakdown)
        lines = [f"{self.model}: {self.total_gb:.2f} GB"]
        for k, v in self.breakdown.items():
            lines.append(f"  {TERM_INFO.get(k, (k,))[0]:<{width}}  {v / GB:8.3f} GB")
        return "\n".join(lines)


def activation_bytes_per_token_layer(cfg: ModelConfig, compute_bytes: int,
                                     trainable_roles: Sequence[str], *, full: bool,
                                     lora_r: int = 0, adapted: Sequence[LinearSpec] = ()) -> int:
    """Bytes autograd keeps per token for one decoder block, without checkpointing.

    Always kept (needed for the input's gradient): each RMSNorm's fp32 copy of its input;
    q, k, v, the attention output and its fp32 log-sum-exp (fused attention); the MLP's gate
    output, activation output and up output. Kept only when a weight trains: the input of that
    linear layer (full fine-tuning: once per distinct input; LoRA: one copy per adapted matrix,
    since PEFT casts or drops out the input per adapter) and, for LoRA, the r-wide A output;
    in full fine-tuning also the normalised hidden state for each norm's weight gradient.
    """
    a, h, i = compute_bytes, cfg.hidden_size, cfg.intermediate_size
    norms = 2 if cfg.norms_per_layer == 2 else 4
    total = norms * NORM_UPCAST_BYTES * h
    total += a * (2 * cfg.q_dim + 2 * cfg.kv_dim) + ATTN_LSE_BYTES * cfg.num_attention_heads
    total += 3 * a * i
    role_width = {"attn_in": h, "o_in": cfg.q_dim, "mlp_in": h, "down_in": i}
    if full:
        total += sum(a * role_width[r] for r in set(trainable_roles))
        total += norms * a * h
    else:
        total += sum(a * (s.d_in + lora_r) for s in adapted)
    return total


@dataclass
class _StateTerms:
    """What the weights, gradients and optimizer of one method hold, and what they make the
    activations keep: the part of the estimate that differs between full and (Q)LoRA."""

    terms: dict[str, int]
    trainable: int
    per_layer_activations: int  # bytes per token and decoder block
    head_activations: int       # bytes per token after the last block (final norm, lm_head)


def _full_terms(cfg: ModelConfig, compute: str, weights_dtype: str | None,
                optimizer: str) -> _StateTerms:
    """Full fine-tuning: every parameter trains, in `weights_dtype` (fp32 master weights by
    default when computing in 16 bits, plus autocast's 16-bit working copy)."""
    a = DTYPES[compute]
    wdt = dtype(weights_dtype or ("fp32" if a < 4 else compute), "weights_dtype")
    wb = DTYPES[wdt]
    total_params = cfg.param_count()
    terms = {f"weights_{wdt}": total_params * wb}
    if wb > a:  # mixed precision: autocast's 16-bit copies of the matmul weights
        terms["weights_16bit_copy"] = (cfg.block_linear_params() + cfg.lm_head_params()
                                       + (cfg.embedding_params() if cfg.tie_word_embeddings else 0)) * a
    terms["gradients"] = total_params * wb
    terms["optimizer_states"] = optimizer_state_bytes(optimizer, _full_tensor_sizes(cfg), wb)
    roles = [s.role for s in cfg.linear_layers()]
    per_layer = activation_bytes_per_token_layer(cfg, a, roles, full=True)
    head = NORM_UPCAST_BYTES * cfg.hidden_size + 2 * a * cfg.hidden_size  # final norm + its output
    return _StateTerms(terms, total_params, per_layer, head)


def _adapter_terms(cfg: ModelConfig, method: str, compute: str, lora_r: int, target_modules,
                   adapter_dtype: str, double_quant: bool, optimizer: str) -> _StateTerms:
    """LoRA and QLoRA: a frozen base (16-bit, or NF4 block linears) and trainable adapters."""
    a = DTYPES[compute]
    other_params = cfg.norm_params() + cfg.embedding_params() + cfg.lm_head_params()
    if method == "lora":
        terms = {f"weights_{compute}": (cfg.block_linear_params() + other_params) * a}
    else:
        packed, consts, biases = quantized_block_bytes(cfg, double_quant)
        terms = {"weights_nf4": packed, "quant_constants": consts,
                 f"weights_{compute}": (other_params + biases) * a}
    ab = DTYPES[dtype(adapter_dtype, "adapter_dtype")]
    sizes = lora_tensor_sizes(cfg, lora_r, target_modules)
    trainable = sum(sizes)
    terms.update(lora_adapters=trainable * ab, gradients=trainable * ab,
                 optimizer_states=optimizer_state_bytes(optimizer, sizes, ab))
    per_layer = activation_bytes_per_token_layer(cfg, a, [], full=False, lora_r=lora_r,
                                                 adapted=adapted_layers(cfg, target_modules))
    return _StateTerms(terms, trainable, per_layer, NORM_UPCAST_BYTES * cfg.hidden_size)


def estimate_training_memory(config: Any, method: str, seq_len: int, batch_size: int,
                             lora_r: int = 16, target_modules: str | Iterable[str] = ALL_LINEAR,
                             gradient_checkpointing: bool = True, optimizer: str = "adamw",
                             compute_dtype: str = "bf16", *, weights_dtype: str | None = None,
                             adapter_dtype: str = "fp32", double_quant: bool = True,
                             overhead_bytes: int = FRAMEWORK_OVERHEAD_BYTES) -> MemoryEstimate:
    """Lesson 02. Peak GPU memory of one training step, as a sum of documented terms.

    method: "full", "lora" or "qlora". compute_dtype: the activations' dtype ("bf16", "fp16",
    "fp32"). weights_dtype (full fine-tuning only): "fp32" keeps fp32 master weights and a
    16-bit working copy (mixed precision, the default when compute_dtype is 16-bit); pass the
    compute dtype for pure 16-bit training ("bf16-true"). adapter_dtype: LoRA weights' dtype
    (PEFT keeps them in fp32 by default). QLoRA quantizes every linear layer of the decoder
    blocks to NF4 and keeps embeddings, norms and lm_head in the compute dtype (as
    transformers' BitsAndBytesConfig does).
    """
    cfg = resolve_config(config)
    method = choice(method, METHODS, "method")
    optimizer = choice(optimizer, OPTIMIZERS, "optimizer")
    check_positive(seq_len=seq_len, batch_size=batch_size)
    if method != "full":
        check_positive(lora_r=lora_r)
    compute = dtype(compute_dtype, "compute_dtype")
    a = DTYPES[compute]
    tokens = int(seq_len) * int(batch_size)
    if method == "full":
        state = _full_terms(cfg, compute, weights_dtype, optimizer)
    else:
        state = _adapter_terms(cfg, method, compute, lora_r, target_modules, adapter_dtype,
                               double_quant, optimizer)
    L = cfg.num_hidden_layers
    if gradient_checkpointing:
        # each layer keeps its input; during backward one layer's activations are recomputed
        act = tokens * (L * a * cfg.hidden_size + state.per_layer_activations)
    else:
        act = tokens * L * state.per_layer_activations
    bd = {k: int(v) for k, v in state.terms.items() if v}
    bd["activations"] = act + tokens * state.head_activations
    bd["logits"] = tokens * cfg.vocab_size * (a + LOSS_FP32_BUFFERS * 4)
    if overhead_bytes:
        bd["overhead"] = int(overhead_bytes)
    notes = []
    if optimizer.startswith("paged"):
        notes.append("paged optimizer: its states can be evicted to CPU memory under pressure, "
                     "so the GPU peak can be lower than this")
    adapters = method != "full"
    inputs = dict(method=method, seq_len=seq_len, batch_size=batch_size,
                  lora_r=lora_r if adapters else None,
                  target_modules=target_modules if adapters else None,
                  gradient_checkpointing=gradient_checkpointing, optimizer=optimizer,
                  compute_dtype=compute, trainable_params=state.trainable)
    return MemoryEstimate(sum(bd.values()), bd, cfg.name, inputs, notes)


def _full_tensor_sizes(cfg: ModelConfig) -> list[int]:
    """Element counts of every parameter tensor (for per-tensor optimizer state)."""
    sizes: list[int] = []
    for _ in range(cfg.num_hidden_layers):
        for s in cfg.linear_layers():
            sizes.append(s.d_in * s.d_out)
            if s.bias:
                sizes.append(s.d_out)
        sizes += [cfg.hidden_size] * cfg.norms_per_layer
        if cfg.qk_norm:
            sizes += [cfg.head_dim, cfg.head_dim]
    sizes += [cfg.hidden_size, cfg.embedding_params()]
    if not cfg.tie_word_embeddings:
        sizes.append(cfg.lm_head_params())
    return sizes
