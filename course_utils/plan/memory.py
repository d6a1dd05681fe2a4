"""How much GPU memory fine-tuning and serving need, term by term (lesson 02).

Every number here is arithmetic on a model's dimensions (its `config.json`), so the module
imports nothing heavy: the VRAM calculator starts in milliseconds and its tests need no GPU.
The terms and where each comes from:

    weights            params x bytes of their dtype; for QLoRA the block linears are NF4:
                       4 bits/param packed two per byte, plus one absmax per 64 weights, which
                       double quantization stores as 8 bits with a second fp32 absmax per 256
                       blocks (Dettmers et al. 2023, "QLoRA", §3: 0.5 -> 0.127 bit/param)
    LoRA adapters      r x (d_in + d_out) per adapted matrix (Hu et al. 2021, "LoRA", §4.1)
    gradients          one per trainable parameter, in its dtype
    optimizer states   AdamW: two moments per trainable parameter in the parameter's dtype
                       (fp32 master weights -> 8 bytes; the 18 bytes/param of mixed precision
                       = 4 master + 2 working copy + 4 grad + 8 Adam: transformers docs, "Model
                       training anatomy"); 8-bit AdamW: 1 byte per moment plus an fp32 absmax
                       per 256 values (Dettmers et al. 2022, "8-bit Optimizers via Block-wise
                       Quantization"); paged variants hold the same bytes in pageable memory
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
`validate_against_measurements` checks the result against published measurements
(`data/memory_measurements.csv`); lesson 02 prints the per-row errors.

What this leaves out: multi-GPU sharding (FSDP/ZeRO divide weights, gradients and optimizer
states by the number of GPUs), CPU offloading, paged optimizers being pushed out to CPU
under memory pressure, packing/padding effects (we assume every sequence is `seq_len`
long), PEFT's `prepare_model_for_kbit_training` upcasting norms and embeddings to fp32, and
mixture-of-experts models.
"""

from __future__ import annotations

import csv
import json
import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from course_utils.paths import DATA_DIR, TINY_MODEL_DIR

MODEL_CONFIGS_DIR = DATA_DIR / "model_configs"
MEASUREMENTS_PATH = DATA_DIR / "memory_measurements.csv"

GB = 1e9  # the estimates are shown in GB = 10^9 bytes, as LitGPT's tables are
GIB = 2**30  # GPU makers' "80 GB" is 80 GiB of memory; torchtune reports GiB

METHODS = ("full", "lora", "qlora")
OPTIMIZERS = ("adamw", "adamw_8bit", "paged_adamw_8bit", "paged_adamw_32bit", "sgd")
DTYPES = {"fp32": 4, "bf16": 2, "fp16": 2}
_DTYPE_ALIASES = {"float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16",
                  "half": "fp16", "32": "fp32", "16": "fp16"}
QUANTIZATIONS = ("none", "int8", "nf4")  # for inference; "none" = the compute dtype
ALL_LINEAR = "all-linear"

# --- constants, each with its source --------------------------------------------------------
NF4_BLOCKSIZE = 64          # weights per absmax (Dettmers et al. 2023 §3; bitsandbytes default)
NF4_CODE_VALUES = 16        # fp32 lookup table of the 16 NF4 levels, one per quantized matrix
DQ_BLOCKSIZE = 256          # absmax values per second-level fp32 absmax (Dettmers et al. 2023 §3)
DQ_CODE_VALUES = 256        # fp32 8-bit dynamic map for the quantized absmax, one per matrix
ADAM8_BLOCKSIZE = 256       # values per fp32 absmax in 8-bit AdamW (bitsandbytes block-wise)
ADAM8_MIN_SIZE = 4096       # bitsandbytes keeps 32-bit state for tensors smaller than this
ADAM8_QMAP_VALUES = 2 * 256  # two shared fp32 quantization maps (signed / unsigned)
NORM_UPCAST_BYTES = 4       # RMSNorm computes in fp32 and keeps that copy of its input
LOSS_FP32_BUFFERS = 3       # fp32 log-probs (kept), their gradient, the logits' gradient
ATTN_LSE_BYTES = 4          # fused attention keeps one fp32 log-sum-exp per head and token
FRAMEWORK_OVERHEAD_BYTES = int(1.0 * GB)  # CUDA context (~0.3-0.5 GB) + cuBLAS workspaces +
#                                           caching-allocator slack; one fixed constant
DEFAULT_HEADROOM = 0.10     # the GPU picker keeps 10% of the card free


class MemoryInputError(ValueError):
    """An input the estimator cannot use; the message lists the valid choices."""


# --- model dimensions -------------------------------------------------------------------------
@dataclass(frozen=True)
class LinearSpec:
    """One linear layer of a decoder block: name (as PEFT targets it), shape, bias, role.

    `role` says which activation feeds it: "attn_in" (the normed hidden state before
    attention), "o_in" (the attention output), "mlp_in" (the normed state before the MLP),
    "down_in" (the gated MLP product).
    """

    name: str
    d_in: int
    d_out: int
    bias: bool
    role: str

    @property
    def params(self) -> int:
        return self.d_in * self.d_out + (self.d_out if self.bias else 0)


@dataclass(frozen=True)
class ModelConfig:
    """The dimensions the estimator needs, normalised from a transformers `config.json`."""

    name: str
    model_type: str
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    vocab_size: int
    tie_word_embeddings: bool
    max_position_embeddings: int | None = None
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = False          # Qwen3-style per-head RMSNorm on q and k
    norms_per_layer: int = 2       # Gemma-2/3 have four
    layout: str = "llama"          # "llama" (q/k/v/o, gate/up/down), "phi3" (fused qkv_proj,
    #                                gate_up_proj) or "qwen" (Qwen-1: c_attn, c_proj, w1, w2)
    source: str = ""

    @property
    def q_dim(self) -> int:
        return self.num_attention_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.num_key_value_heads * self.head_dim

    def linear_layers(self) -> list[LinearSpec]:
        """The linear layers of ONE decoder block, named as PEFT's `target_modules` see them."""
        h, i = self.hidden_size, self.intermediate_size
        if self.layout == "qwen":  # Qwen-1: fused c_attn (with bias); PEFT's "c_proj" hits both
            return [
                LinearSpec("c_attn", h, self.q_dim + 2 * self.kv_dim, True, "attn_in"),
                LinearSpec("c_proj", self.q_dim, h, False, "o_in"),
                LinearSpec("w1", h, i, False, "mlp_in"),
                LinearSpec("w2", h, i, False, "mlp_in"),
                LinearSpec("c_proj", i, h, False, "down_in"),
            ]
        if self.layout == "phi3":
            return [
                LinearSpec("qkv_proj", h, self.q_dim + 2 * self.kv_dim, self.qkv_bias, "attn_in"),
                LinearSpec("o_proj", self.q_dim, h, self.o_bias, "o_in"),
                LinearSpec("gate_up_proj", h, 2 * i, self.mlp_bias, "mlp_in"),
                LinearSpec("down_proj", i, h, self.mlp_bias, "down_in"),
            ]
        return [
            LinearSpec("q_proj", h, self.q_dim, self.qkv_bias, "attn_in"),
            LinearSpec("k_proj", h, self.kv_dim, self.qkv_bias, "attn_in"),
            LinearSpec("v_proj", h, self.kv_dim, self.qkv_bias, "attn_in"),
            LinearSpec("o_proj", self.q_dim, h, self.o_bias, "o_in"),
            LinearSpec("gate_proj", h, i, self.mlp_bias, "mlp_in"),
            LinearSpec("up_proj", h, i, self.mlp_bias, "mlp_in"),
            LinearSpec("down_proj", i, h, self.mlp_bias, "down_in"),
        ]

    def module_names(self) -> list[str]:
        return list(dict.fromkeys(s.name for s in self.linear_layers()))

    # parameter counts
    def block_linear_params(self) -> int:
        """Parameters in the linear layers of all decoder blocks (what QLoRA quantizes)."""
        return self.num_hidden_layers * sum(s.params for s in self.linear_layers())

    def norm_params(self) -> int:
        per_layer = self.norms_per_layer * self.hidden_size + (2 * self.head_dim if self.qk_norm else 0)
        return self.num_hidden_layers * per_layer + self.hidden_size  # + the final norm

    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    def lm_head_params(self) -> int:
        """0 when the output layer shares the input embedding's matrix (tied embeddings)."""
        return 0 if self.tie_word_embeddings else self.vocab_size * self.hidden_size

    def param_count(self) -> int:
        """All parameters, counting a tied embedding once (as `model.num_parameters()` does)."""
        return (self.block_linear_params() + self.norm_params() + self.embedding_params()
                + self.lm_head_params())


_KNOWN_TYPES = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3", "qwen")


def config_from_dict(d: Mapping[str, Any], name: str | None = None) -> ModelConfig:
    """Normalise a `config.json` dict (Llama, Mistral, Qwen2/3, Gemma 1-3, Phi-3 families).

    Other decoder-only types are read as Llama-like (same layer names); the result's `source`
    says so.
    """
    d = dict(d)
    if "text_config" in d and "hidden_size" not in d:  # multimodal wrappers (e.g. Gemma 3)
        d = {**d["text_config"], "_name": d.get("_name"), "_source": d.get("_source")}
    missing = [k for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                           "num_attention_heads", "vocab_size") if d.get(k) in (None, "")]
    if missing:
        raise MemoryInputError(
            f"model config {name or d.get('_name') or ''!r} lacks {missing}: pass a transformers "
            f"decoder config (config.json) with hidden_size, intermediate_size, "
            f"num_hidden_layers, num_attention_heads and vocab_size")
    mt = str(d.get("model_type", "llama"))
    if mt == "qwen":  # Qwen-1 configs give the sum of its two MLP branches as intermediate_size
        d["intermediate_size"] = int(d["intermediate_size"]) // 2
    heads = int(d["num_attention_heads"])
    kv = d.get("num_key_value_heads")
    kv = heads if kv in (None, 0) else int(kv)
    hd = d.get("head_dim")
    hd = int(d["hidden_size"]) // heads if hd in (None, 0) else int(hd)
    qkv_bias = o_bias = bool(d.get("attention_bias", False))
    if mt == "qwen2":  # Qwen2/2.5: biases on q, k, v only (hard-coded in the architecture)
        qkv_bias, o_bias = True, False
    tie = d.get("tie_word_embeddings")
    if tie is None:  # transformers' default for configs that do not say
        tie = mt.startswith("gemma")
    source = str(d.get("_source", ""))
    if mt not in _KNOWN_TYPES:
        source = (source + " " if source else "") + f"(model_type {mt!r} read as Llama-like)"
    return ModelConfig(
        name=str(name or d.get("_name") or d.get("_hub_id") or d.get("_name_or_path") or mt),
        model_type=mt,
        hidden_size=int(d["hidden_size"]),
        intermediate_size=int(d["intermediate_size"]),
        num_hidden_layers=int(d["num_hidden_layers"]),
        num_attention_heads=heads,
        num_key_value_heads=kv,
        head_dim=hd,
        vocab_size=int(d["vocab_size"]),
        tie_word_embeddings=bool(tie),
        max_position_embeddings=d.get("max_position_embeddings"),
        qkv_bias=qkv_bias,
        o_bias=o_bias,
        mlp_bias=bool(d.get("mlp_bias", False)),
        qk_norm=mt.startswith("qwen3") or mt.startswith("gemma3"),
        norms_per_layer=4 if mt in ("gemma2", "gemma3_text", "gemma3") else 2,
        layout="phi3" if mt == "phi3" else ("qwen" if mt == "qwen" else "llama"),
        source=source,
    )


def _preset_files() -> list[Path]:
    return sorted(MODEL_CONFIGS_DIR.glob("*.json"))


def _norm_key(s: str) -> str:
    return s.strip().lower()


def _aliases() -> tuple[dict[str, Path], dict[str, Path]]:
    """(exact names, lower-cased names) -> config file. Names: the short name, the Hub id, the
    part after '/', and the course's preset names (course_utils.model.profiles) for their Hub ids.
    An exact match wins, so "llama-3.1-8b" (the course preset, Instruct) and "Llama-3.1-8B"
    (the base model) both resolve to what they name."""
    exact: dict[str, Path] = {}
    for p in _preset_files():
        d = json.loads(p.read_text())
        for key in (d.get("_name"), d.get("_hub_id"), str(d.get("_hub_id", "")).split("/")[-1]):
            if key:
                exact.setdefault(key, p)
    for short, hub in (("qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct"),
                       ("mistral-7b", "mistralai/Mistral-7B-Instruct-v0.3"),
                       ("llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct")):
        if hub in exact:
            exact[short] = exact[hub]
    if (TINY_MODEL_DIR / "config.json").exists():
        exact["tiny"] = TINY_MODEL_DIR / "config.json"
    lower: dict[str, Path] = {}
    for key, p in exact.items():
        lower.setdefault(_norm_key(key), p)
    return exact, lower


def available_models() -> list[str]:
    """The model names `resolve_config` knows offline (short names, from data/model_configs)."""
    names = [json.loads(p.read_text()).get("_name") for p in _preset_files()]
    if (TINY_MODEL_DIR / "config.json").exists():
        names.append("tiny")
    return [n for n in names if n]


def load_model_config(name: str) -> ModelConfig:
    """A committed config by name ("Llama-2-7B", "meta-llama/Llama-2-7b-hf", "qwen2.5-7b", ...)."""
    exact, lower = _aliases()
    path = exact.get(name.strip()) or lower.get(_norm_key(name))
    if path is None:
        raise MemoryInputError(
            f"unknown model {name!r}: use one of {available_models()}, a Hub id among them, a "
            f"path to a config.json (or its folder), a dict, or a transformers config object")
    d = json.loads(path.read_text())
    return config_from_dict(d, name=d.get("_name") or ("tiny" if path.parent == TINY_MODEL_DIR else None))


def resolve_config(config: Any) -> ModelConfig:
    """Accepts a ModelConfig, a known model name, a path (file or folder), a dict, or a
    transformers `PretrainedConfig` (anything with `to_dict()`); transformers is never imported."""
    if isinstance(config, ModelConfig):
        return config
    if isinstance(config, Mapping):
        return config_from_dict(config)
    if isinstance(config, (str, os.PathLike)):
        s = os.fspath(config)
        p = Path(s).expanduser()
        if p.is_dir() and (p / "config.json").exists():
            p = p / "config.json"
        if p.is_file():
            try:
                d = json.loads(p.read_text())
            except json.JSONDecodeError as e:
                raise MemoryInputError(f"{p}: not valid JSON (line {e.lineno}): {e.msg}") from e
            return config_from_dict(d, name=d.get("_name") or p.parent.name)
        return load_model_config(s)
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        d = to_dict()
        return config_from_dict(d, name=d.get("_name_or_path") or None)
    raise MemoryInputError(
        f"cannot read a model config from {type(config).__name__}: pass a model name "
        f"({available_models()}), a path, a dict or a transformers config")


# --- LoRA -------------------------------------------------------------------------------------
def _targets(cfg: ModelConfig, target_modules: str | Iterable[str]) -> list[LinearSpec]:
    specs = cfg.linear_layers()
    if isinstance(target_modules, str):
        if target_modules == ALL_LINEAR:
            return specs  # every linear layer of the blocks; PEFT leaves lm_head out
        target_modules = [target_modules]
    names = list(target_modules)
    if not names:
        raise MemoryInputError(f"target_modules is empty: use {ALL_LINEAR!r} or some of "
                               f"{cfg.module_names()}")
    valid = cfg.module_names()
    bad = [n for n in names if n not in valid]
    if bad:
        raise MemoryInputError(f"unknown target module(s) {bad} for {cfg.name} ({cfg.model_type}): "
                               f"use {ALL_LINEAR!r} or some of {valid}")
    return [s for s in specs if s.name in names]


def lora_param_count(config: Any, r: int, target_modules: str | Iterable[str] = ALL_LINEAR) -> int:
    """Trainable LoRA parameters: r·(d_in + d_out) per adapted matrix, in every decoder block.

    Lesson 02. `target_modules` is a list of module names (as in PEFT's LoraConfig) or
    "all-linear" (every linear layer of the decoder blocks; not lm_head, as PEFT does).
    Grouped-query attention shows up as a smaller d_out for k_proj and v_proj.
    """
    cfg = resolve_config(config)
    _check_positive(r=r)
    return cfg.num_hidden_layers * sum(r * (s.d_in + s.d_out) for s in _targets(cfg, target_modules))


def _lora_tensors(cfg: ModelConfig, r: int, target_modules) -> list[int]:
    """Element counts of every LoRA tensor (A and B of each adapted matrix, each layer)."""
    sizes = []
    for s in _targets(cfg, target_modules):
        sizes += [r * s.d_in, r * s.d_out]
    return sizes * cfg.num_hidden_layers


# --- quantization and optimizer arithmetic ----------------------------------------------------
def nf4_bytes(numel: int, double_quant: bool = True) -> tuple[int, int]:
    """(packed weight bytes, quantization-constant bytes) for one matrix in bitsandbytes NF4.

    Packed: two 4-bit codes per byte. Constants: one absmax per 64 weights (fp32, or uint8 with
    double quantization plus an fp32 absmax per 256 blocks, an fp32 offset and a 256-entry fp32
    map), and the 16-entry fp32 NF4 table. Matches what `Params4bit.quant_state` holds.
    """
    packed = (numel + 1) // 2
    blocks = math.ceil(numel / NF4_BLOCKSIZE)
    consts = NF4_CODE_VALUES * 4
    if double_quant:
        consts += blocks * 1 + math.ceil(blocks / DQ_BLOCKSIZE) * 4 + 4 + DQ_CODE_VALUES * 4
    else:
        consts += blocks * 4
    return packed, consts


def _optimizer_bytes(optimizer: str, tensor_sizes: Sequence[int], param_bytes: int) -> int:
    if optimizer == "sgd":
        return 0  # plain SGD without momentum keeps no state
    if optimizer in ("adamw", "paged_adamw_32bit"):
        # two moments in the parameter's dtype + torch's fp32 `step` scalar per tensor
        return sum(2 * n * param_bytes for n in tensor_sizes) + (
            4 * len(tensor_sizes) if optimizer == "adamw" else 0)
    # 8-bit AdamW (bitsandbytes): 1 byte per moment + fp32 absmax per 256 values; small tensors 32-bit
    total = ADAM8_QMAP_VALUES * 4
    for n in tensor_sizes:
        if n >= ADAM8_MIN_SIZE:
            total += 2 * n + 2 * math.ceil(n / ADAM8_BLOCKSIZE) * 4
        else:
            total += 2 * n * 4
    return total


# --- the estimate -----------------------------------------------------------------------------
TERM_INFO: dict[str, tuple[str, str]] = {
    "weights_fp32": ("weights in fp32", "params x 4 bytes"),
    "weights_bf16": ("weights in bf16", "params x 2 bytes"),
    "weights_fp16": ("weights in fp16", "params x 2 bytes"),
    "weights_16bit_copy": ("16-bit working copy of the weights (mixed precision)",
                           "2 bytes/param: autocast's copies, kept for backward (transformers docs, "
                           "model training anatomy: 6 bytes/param for weights)"),
    "weights_nf4": ("NF4 4-bit weights", "0.5 byte/param (Dettmers et al. 2023 §3)"),
    "quant_constants": ("quantization constants (absmax, double-quantized)",
                        "0.127 bit/param with double quantization, 0.5 without (Dettmers et al. 2023 §3)"),
    "lora_adapters": ("LoRA adapter weights", "r·(d_in+d_out) per adapted matrix (Hu et al. 2021)"),
    "gradients": ("gradients", "one per trainable parameter, in its dtype"),
    "optimizer_states": ("optimizer states", "AdamW: 2 moments per trainable param (8-bit: 1 byte "
                         "each + absmax, Dettmers et al. 2022)"),
    "activations": ("activations kept for backward",
                    "per token and layer, after Korthikanti et al. 2022 §4 (see module docstring)"),
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

    def rows(self) -> list[tuple[str, str, float, str]]:
        """(term, label, GB, source) per term, for tables in the lesson."""
        return [(k, TERM_INFO.get(k, (k, ""))[0], v / GB, TERM_INFO.get(k, ("", ""))[1])
                for k, v in self.breakdown.items()]

    def __str__(self) -> str:
        width = max(len(TERM_INFO.get(k, (k,))[0]) for k in self.breakdown)
        lines = [f"{self.model}: {self.total_gb:.2f} GB"]
        for k, v in self.breakdown.items():
            lines.append(f"  {TERM_INFO.get(k, (k,))[0]:<{width}}  {v / GB:8.3f} GB")
        return "\n".join(lines)


def _check_positive(**kw) -> None:
    for k, v in kw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or (
                isinstance(v, float) and not math.isfinite(v)):
            raise MemoryInputError(f"{k} must be a positive number, got {v!r}")


def _dtype(name: str, what: str) -> str:
    key = _DTYPE_ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DTYPES:
        raise MemoryInputError(f"{what} {name!r} is unknown: use one of {sorted(DTYPES)}")
    return key


def _choice(value: str, valid: Sequence[str], what: str) -> str:
    if value not in valid:
        raise MemoryInputError(f"{what} {value!r} is unknown: use one of {list(valid)}")
    return value


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


def estimate_training_memory(config: Any, method: str, seq_len: int, batch_size: int,
                             lora_r: int = 16, target_modules: str | Iterable[str] = ALL_LINEAR,
                             gradient_checkpointing: bool = True, optimizer: str = "adamw",
                             compute_dtype: str = "bf16", *, weights_dtype: str | None = None,
                             adapter_dtype: str = "fp32", double_quant: bool = True,
                             overhead_bytes: int = FRAMEWORK_OVERHEAD_BYTES) -> MemoryEstimate:
    """Peak GPU memory of one training step, as a sum of documented terms (lesson 02).

    method: "full", "lora" or "qlora". compute_dtype: the activations' dtype ("bf16", "fp16",
    "fp32"). weights_dtype (full fine-tuning only): "fp32" keeps fp32 master weights and a
    16-bit working copy (mixed precision, the default when compute_dtype is 16-bit); pass the
    compute dtype for pure 16-bit training ("bf16-true"). adapter_dtype: LoRA weights' dtype
    (PEFT keeps them in fp32 by default). QLoRA quantizes every linear layer of the decoder
    blocks to NF4 and keeps embeddings, norms and lm_head in the compute dtype (as
    transformers' BitsAndBytesConfig does).
    """
    cfg = resolve_config(config)
    method = _choice(method, METHODS, "method")
    optimizer = _choice(optimizer, OPTIMIZERS, "optimizer")
    _check_positive(seq_len=seq_len, batch_size=batch_size)
    if method != "full":
        _check_positive(lora_r=lora_r)
    compute = _dtype(compute_dtype, "compute_dtype")
    a = DTYPES[compute]
    tokens = int(seq_len) * int(batch_size)
    L, h, V = cfg.num_hidden_layers, cfg.hidden_size, cfg.vocab_size
    bd: dict[str, int] = {}
    notes: list[str] = []

    def add(key: str, value: int) -> None:
        if value:
            bd[key] = bd.get(key, 0) + int(value)

    other_params = cfg.norm_params() + cfg.embedding_params() + cfg.lm_head_params()
    if method == "full":
        wdt = _dtype(weights_dtype or ("fp32" if a < 4 else compute), "weights_dtype")
        wb = DTYPES[wdt]
        total_params = cfg.param_count()
        add(f"weights_{wdt}", total_params * wb)
        if wb > a:  # mixed precision: autocast's 16-bit copies of the matmul weights
            add("weights_16bit_copy", (cfg.block_linear_params() + cfg.lm_head_params()
                                       + (cfg.embedding_params() if cfg.tie_word_embeddings else 0)) * a)
        add("gradients", total_params * wb)
        sizes = _full_tensor_sizes(cfg)
        add("optimizer_states", _optimizer_bytes(optimizer, sizes, wb))
        roles = [s.role for s in cfg.linear_layers()]
        per_layer = activation_bytes_per_token_layer(cfg, a, roles, full=True)
        head_keep = NORM_UPCAST_BYTES * h + 2 * a * h  # final norm (+ its output for lm_head's grad)
        trainable = total_params
    else:
        adapted = _targets(cfg, target_modules)
        if method == "lora":
            add(f"weights_{compute}", (cfg.block_linear_params() + other_params) * a)
        else:
            packed = consts = biases = 0
            for s in cfg.linear_layers():
                p, c = nf4_bytes(s.d_in * s.d_out, double_quant)
                packed, consts = packed + p, consts + c
                biases += s.d_out if s.bias else 0  # biases stay in the compute dtype
            add("weights_nf4", packed * L)
            add("quant_constants", consts * L)
            add(f"weights_{compute}", (other_params + biases * L) * a)
        adt = _dtype(adapter_dtype, "adapter_dtype")
        ab = DTYPES[adt]
        sizes = _lora_tensors(cfg, lora_r, target_modules)
        trainable = sum(sizes)
        add("lora_adapters", trainable * ab)
        add("gradients", trainable * ab)
        add("optimizer_states", _optimizer_bytes(optimizer, sizes, ab))
        per_layer = activation_bytes_per_token_layer(cfg, a, [], full=False, lora_r=lora_r, adapted=adapted)
        head_keep = NORM_UPCAST_BYTES * h
    if gradient_checkpointing:
        # each layer keeps its input; during backward one layer's activations are recomputed
        act = tokens * (L * a * h + per_layer)
    else:
        act = tokens * L * per_layer
    add("activations", act + tokens * head_keep)
    add("logits", tokens * V * (a + LOSS_FP32_BUFFERS * 4))
    add("overhead", overhead_bytes)
    if optimizer.startswith("paged"):
        notes.append("paged optimizer: its states can be evicted to CPU memory under pressure, "
                     "so the GPU peak can be lower than this")
    inputs = dict(method=method, seq_len=seq_len, batch_size=batch_size, lora_r=lora_r if method != "full" else None,
                  target_modules=target_modules if method != "full" else None,
                  gradient_checkpointing=gradient_checkpointing, optimizer=optimizer,
                  compute_dtype=compute, trainable_params=trainable)
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


# --- inference --------------------------------------------------------------------------------
def estimate_inference_memory(config: Any, quantization: str = "none", batch_size: int = 1,
                              context_len: int = 2048, num_adapters: int = 0, lora_r: int = 16,
                              target_modules: str | Iterable[str] = ALL_LINEAR, *,
                              compute_dtype: str = "bf16",
                              overhead_bytes: int = FRAMEWORK_OVERHEAD_BYTES) -> MemoryEstimate:
    """Serving memory: weights, KV cache, LoRA adapters, working buffers (lessons 02 and 07).

    quantization: "none" (weights in compute_dtype), "int8" (1 byte/param + an fp32 scale per
    row) or "nf4" (with double quantization). KV cache: 2 (K and V) x layers x kv_heads x
    head_dim x compute bytes per token of every sequence (grouped-query attention shrinks it).
    Each adapter holds lora_param_count(...) weights in the compute dtype.
    """
    cfg = resolve_config(config)
    quantization = _choice(quantization, QUANTIZATIONS, "quantization")
    _check_positive(batch_size=batch_size, context_len=context_len)
    if isinstance(num_adapters, bool) or not isinstance(num_adapters, int) or num_adapters < 0:
        raise MemoryInputError(f"num_adapters must be a whole number >= 0, got {num_adapters!r}")
    if num_adapters:
        _check_positive(lora_r=lora_r)
    compute = _dtype(compute_dtype, "compute_dtype")
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
        packed = consts = biases = 0
        for s in cfg.linear_layers():
            p, c = nf4_bytes(s.d_in * s.d_out, True)
            packed, consts = packed + p, consts + c
            biases += s.d_out if s.bias else 0
        bd["weights_nf4"], bd["quant_constants"] = packed * L, consts * L
        bd[f"weights_{compute}"] = other + biases * L * a
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


TERM_INFO.update({
    "weights_int8": ("int8 weights", "1 byte/param + an fp32 scale per output row (LLM.int8)"),
    "kv_cache": ("KV cache", "2 x layers x kv_heads x head_dim x bytes per token per sequence"),
})


def max_adapters_that_fit(config: Any, gpu_memory_gb: float, *, quantization: str = "none",
                          batch_size: int = 1, context_len: int = 2048, lora_r: int = 16,
                          target_modules: str | Iterable[str] = ALL_LINEAR,
                          headroom: float = DEFAULT_HEADROOM, compute_dtype: str = "bf16") -> int:
    """How many LoRA adapters fit next to the base model and its KV cache on one GPU."""
    _check_positive(gpu_memory_gb=gpu_memory_gb)
    base = estimate_inference_memory(config, quantization, batch_size, context_len, 0,
                                     compute_dtype=compute_dtype)
    per = lora_param_count(config, lora_r, target_modules) * DTYPES[_dtype(compute_dtype, "compute_dtype")]
    free = gpu_memory_gb * GIB * (1 - headroom) - base.total_bytes
    return max(0, int(free // per))


# --- the GPU picker ---------------------------------------------------------------------------
@dataclass
class GpuPick:
    """The picker's answer: the cheapest option that fits, and every option sorted by fit."""

    need_bytes: int
    headroom: float
    best: Any | None
    fitting: list[Any]
    too_small: list[Any]

    def usable_bytes(self, option: Any) -> float:
        return option.vram_gb * GIB * (1 - self.headroom)

    def __str__(self) -> str:
        if self.best is None:
            return (f"needs {self.need_bytes / GB:.1f} GB + {self.headroom:.0%} headroom: no GPU in "
                    f"the price table fits one card (shard across GPUs, or reduce the run)")
        return (f"needs {self.need_bytes / GB:.1f} GB + {self.headroom:.0%} headroom: cheapest fit "
                f"is {self.best.label()}")


def _mid_price(option: Any) -> float:
    """The middle of an offer's hourly range (its price when it has one): a spot range such as
    $0.13-1.20 is not taken at its best case."""
    return (option.hourly_low + option.hourly_high) / 2


def pick_gpu(estimate: MemoryEstimate | int | float, options: Sequence[Any] | None = None,
             headroom: float = DEFAULT_HEADROOM) -> GpuPick:
    """The cheapest GPU (middle of its hourly range) whose memory, less `headroom`, holds the estimate.

    `options` defaults to every `gpu_rental` row of data/prices.csv
    (`course_utils.plan.prices.gpu_rental_options`); each needs `vram_gb`, `hourly_low` and `label()`.
    A card's "80 GB" is taken as 80 GiB, which is what the hardware has.
    """
    need = estimate.total_bytes if isinstance(estimate, MemoryEstimate) else estimate
    _check_positive(estimate=need)
    if isinstance(headroom, bool) or not isinstance(headroom, (int, float)) or not 0 <= headroom < 1:
        raise MemoryInputError(f"headroom must be a fraction in [0, 1), got {headroom!r}")
    if options is None:
        from course_utils.plan.prices import gpu_rental_options  # pure module; loaded on use
        options = gpu_rental_options()
    fit = [o for o in options if o.vram_gb * GIB * (1 - headroom) >= need]
    small = [o for o in options if o not in fit]
    fit.sort(key=lambda o: (_mid_price(o), o.hourly_low, o.vram_gb))
    small.sort(key=lambda o: -o.vram_gb)
    return GpuPick(int(need), float(headroom), fit[0] if fit else None, fit, small)


# --- validation against published measurements ------------------------------------------------
MEASUREMENT_COLUMNS = ("model", "method", "lora_r", "target_modules", "seq_len", "batch_size",
                       "gradient_checkpointing", "optimizer", "compute_dtype", "weights_dtype",
                       "adapter_dtype", "double_quant", "gpu", "measured", "unit", "statistic",
                       "framework", "source_name", "source_url", "date", "notes")


@dataclass(frozen=True)
class Measurement:
    model: str
    method: str
    lora_r: int | None
    target_modules: str | list[str] | None
    seq_len: int
    batch_size: int
    gradient_checkpointing: bool
    optimizer: str
    compute_dtype: str
    weights_dtype: str | None
    adapter_dtype: str
    double_quant: bool
    gpu: str
    measured_bytes: float
    source_name: str
    source_url: str
    date: str
    framework: str = ""
    statistic: str = ""
    notes: str = ""
    line: int = 0

    def estimate(self, **overrides) -> MemoryEstimate:
        kw = dict(lora_r=self.lora_r or 16, target_modules=self.target_modules or ALL_LINEAR,
                  gradient_checkpointing=self.gradient_checkpointing, optimizer=self.optimizer,
                  compute_dtype=self.compute_dtype, weights_dtype=self.weights_dtype,
                  adapter_dtype=self.adapter_dtype, double_quant=self.double_quant)
        kw.update(overrides)
        return estimate_training_memory(self.model, self.method, self.seq_len, self.batch_size, **kw)


def _bool(path, line, field_name, text) -> bool:
    t = text.strip().lower()
    if t in ("true", "yes", "1"):
        return True
    if t in ("false", "no", "0"):
        return False
    raise MemoryInputError(f"{path}:{line}: {field_name} must be true or false, got {text!r}")


def load_measurements(path: str | Path | None = None) -> list[Measurement]:
    """Published peak-memory measurements (data/memory_measurements.csv), checked row by row."""
    path = Path(path) if path else MEASUREMENTS_PATH
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in MEASUREMENT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise MemoryInputError(f"{path}: missing column(s) {missing}")
        out = []
        for line, row in enumerate(reader, start=2):
            try:
                unit = row["unit"].strip()
                if unit not in ("GB", "GiB"):
                    raise MemoryInputError(f"{path}:{line}: unit must be GB or GiB, got {unit!r}")
                tm = row["target_modules"].strip()
                targets = None if not tm else (tm if tm == ALL_LINEAR else [t.strip() for t in tm.split(";")])
                out.append(Measurement(
                    model=row["model"].strip(), method=row["method"].strip(),
                    lora_r=int(row["lora_r"]) if row["lora_r"].strip() else None,
                    target_modules=targets, seq_len=int(row["seq_len"]),
                    batch_size=int(row["batch_size"]),
                    gradient_checkpointing=_bool(path, line, "gradient_checkpointing", row["gradient_checkpointing"]),
                    optimizer=row["optimizer"].strip(), compute_dtype=row["compute_dtype"].strip(),
                    weights_dtype=row["weights_dtype"].strip() or None,
                    adapter_dtype=row["adapter_dtype"].strip() or "fp32",
                    double_quant=_bool(path, line, "double_quant", row["double_quant"] or "false"),
                    gpu=row["gpu"].strip(),
                    measured_bytes=float(row["measured"]) * (GB if unit == "GB" else GIB),
                    source_name=row["source_name"].strip(), source_url=row["source_url"].strip(),
                    date=row["date"].strip(), framework=row["framework"].strip(),
                    statistic=row["statistic"].strip(), notes=row["notes"].strip(), line=line))
            except (KeyError, ValueError) as e:
                if isinstance(e, MemoryInputError):
                    raise
                raise MemoryInputError(f"{path}:{line}: {e}") from e
    return out


@dataclass(frozen=True)
class ValidationRow:
    measurement: Measurement
    predicted_bytes: int

    @property
    def error(self) -> float:
        """(predicted - measured) / measured: positive = the estimate is too high."""
        return (self.predicted_bytes - self.measurement.measured_bytes) / self.measurement.measured_bytes


@dataclass
class ValidationReport:
    rows: list[ValidationRow]

    @property
    def median_abs_error(self) -> float:
        return statistics.median(abs(r.error) for r in self.rows)

    @property
    def max_abs_error(self) -> float:
        return max(abs(r.error) for r in self.rows)

    def table(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            m = r.measurement
            out.append({"model": m.model, "method": m.method, "r": m.lora_r,
                        "targets": m.target_modules if isinstance(m.target_modules, str) or m.target_modules is None
                        else ",".join(m.target_modules),
                        "seq x batch": f"{m.seq_len}x{m.batch_size}",
                        "ckpt": m.gradient_checkpointing, "gpu": m.gpu,
                        "measured GB": round(m.measured_bytes / GB, 2),
                        "estimate GB": round(r.predicted_bytes / GB, 2),
                        "error": f"{r.error:+.1%}", "source": m.source_name})
        return out

    def __str__(self) -> str:
        t = self.table()
        cols = list(t[0])
        widths = {c: max(len(c), *(len(str(row[c])) for row in t)) for c in cols}
        lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
        lines += ["  ".join(str(row[c]).ljust(widths[c]) for c in cols) for row in t]
        lines.append(f"median |error| {self.median_abs_error:.1%}, max |error| {self.max_abs_error:.1%}, "
                     f"{len(self.rows)} rows")
        return "\n".join(lines)


def validate_against_measurements(measurements: Sequence[Measurement] | None = None) -> ValidationReport:
    """The estimate for every published measurement, and the errors (lesson 02's check)."""
    ms = load_measurements() if measurements is None else measurements
    return ValidationReport([ValidationRow(m, m.estimate().total_bytes) for m in ms])


# --- counting what real objects hold (duck-typed: no torch import) ----------------------------
def _tensor_bytes(t: Any) -> int:
    return int(t.numel()) * int(t.element_size())


def _quant_state_bytes(qs: Any) -> int:
    total = 0
    for name in ("absmax", "code", "offset"):
        t = getattr(qs, name, None)
        if t is not None and hasattr(t, "numel"):
            total += _tensor_bytes(t)
    s2 = getattr(qs, "state2", None)
    if s2 is not None:
        total += _quant_state_bytes(s2)
    return total


def measured_training_bytes(model: Any, optimizer: Any = None) -> dict[str, int]:
    """What a real model (and optimizer) hold: parameter, quantization-constant, gradient and
    optimizer-state bytes, each storage counted once. Lesson 02 compares these with
    `estimate_training_memory` on the tiny model; works on CPU and GPU alike."""
    seen: set[int] = set()

    def once(t: Any) -> int:
        key = t.data_ptr() if hasattr(t, "data_ptr") else id(t)
        if key in seen or t.numel() == 0:
            return 0
        seen.add(key)
        return _tensor_bytes(t)

    params = consts = grads = 0
    for p in model.parameters():
        params += once(p)
        qs = getattr(p, "quant_state", None)
        if qs is not None:
            consts += _quant_state_bytes(qs)
        # biases of 4-bit layers are ordinary parameters and are counted above
    for p in model.parameters():
        if getattr(p, "grad", None) is not None:
            grads += once(p.grad)
    states = 0
    if optimizer is not None:
        for st in optimizer.state.values():
            for v in st.values():
                if hasattr(v, "numel") and hasattr(v, "element_size"):
                    states += once(v)
    return {"params": params, "quant_constants": consts, "gradients": grads, "optimizer_states": states}


# --- the seeds' claims and the lesson's exercise ----------------------------------------------
def claim_verdict(claim_low_gb: float, claim_high_gb: float | None, estimate_gb: float,
                  tolerance: float = 0.20) -> str:
    """Compare a published claim (a GB figure or range) with an estimate (lesson 02).

    "consistent" when the estimate lies in the claimed range widened by `tolerance` (the
    estimator's validated error), "overstated" when the claim is above it, "understated" when
    the claim is below it.
    """
    high = claim_low_gb if claim_high_gb is None else claim_high_gb
    _check_positive(claim_low_gb=claim_low_gb, claim_high_gb=high, estimate_gb=estimate_gb)
    if claim_low_gb * (1 - tolerance) <= estimate_gb <= high * (1 + tolerance):
        return "consistent"
    return "overstated" if claim_low_gb * (1 - tolerance) > estimate_gb else "understated"


def fits_verdict(card_gb: float, estimate: "MemoryEstimate | int", headroom: float = DEFAULT_HEADROOM) -> str:
    """For claims of the form "fits on an X GB card": "consistent" when the estimate fits the
    card (X GiB less `headroom`), else "understated" (the claim understates the need)."""
    need = estimate.total_bytes if isinstance(estimate, MemoryEstimate) else estimate
    _check_positive(card_gb=card_gb, estimate=need)
    return "consistent" if need <= card_gb * GIB * (1 - headroom) else "understated"
