"""A model's dimensions, read from its `config.json`: what the memory estimate counts (lesson 02).

`resolve_config` accepts a model name the course knows offline (`data/model_configs/*.json`,
the tiny model, the course's presets), a path to a `config.json` (or its folder), a dict, or a
transformers config object, and returns a `ModelConfig`: hidden size, layers, heads, vocabulary
and the linear layers of one decoder block, named as PEFT's `target_modules` see them. From
those it counts parameters the way `model.num_parameters()` does.

Families: Llama, Mistral, Qwen 1-3, Gemma 1-3 and Phi-3; other decoder-only types are read as
Llama-like, and the result's `source` says so. A config file that cannot be read raises
`course_utils.errors.DataFileError` naming the file (and the line or the missing field).

What this leaves out: mixture-of-experts layers, encoder-decoder models, and vision towers of
multimodal configs (only their text config is read).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from course_utils.errors import DataFileError
from course_utils.files import parse_json, read_text
from course_utils.paths import DATA_DIR, TINY_MODEL_DIR
from course_utils.plan.memory.inputs import MemoryInputError

MODEL_CONFIGS_DIR = DATA_DIR / "model_configs"
REQUIRED_FIELDS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                   "vocab_size")
# The course's preset names (course_utils.model.profiles) -> the Hub ids of their configs.
PRESET_HUB_IDS = {"qwen2.5-7b": "Qwen/Qwen2.5-7B-Instruct",
                  "mistral-7b": "mistralai/Mistral-7B-Instruct-v0.3",
                  "llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct"}


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


def config_from_dict(d: Mapping[str, Any], name: str | None = None, *,
                     path: Path | None = None) -> ModelConfig:
    """Normalise a `config.json` dict (Llama, Mistral, Qwen 1-3, Gemma 1-3, Phi-3 families).

    Other decoder-only types are read as Llama-like (same layer names); the result's `source`
    says so. A dict without the dimensions the estimator needs raises MemoryInputError, or
    DataFileError naming `path` when it was read from a file.
    """
    d = dict(d)
    if "text_config" in d and "hidden_size" not in d:  # multimodal wrappers (e.g. Gemma 3)
        d = {**d["text_config"], "_name": d.get("_name"), "_source": d.get("_source")}
    missing = [k for k in REQUIRED_FIELDS if d.get(k) in (None, "")]
    if missing:
        fix = (f"pass a transformers decoder config (config.json) with "
               f"{', '.join(REQUIRED_FIELDS)}")
        if path is not None:
            raise DataFileError(path, None, missing[0], f"missing {missing}: {fix}.")
        raise MemoryInputError(f"model config {name or d.get('_name') or ''!r} lacks {missing}: {fix}")
    return _normalised(d, name)


def _normalised(d: dict[str, Any], name: str | None) -> ModelConfig:
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


def _read_json(path: Path) -> dict[str, Any]:
    # strict JSON: a BOM is accepted; bad bytes, duplicate keys, NaN name their line and the fix
    return parse_json(read_text(path), path)


def _config_file(path: Path, name: str | None = None) -> ModelConfig:
    d = _read_json(path)
    return config_from_dict(d, name=d.get("_name") or name, path=path)


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
        d = _read_json(p)
        for key in (d.get("_name"), d.get("_hub_id"), str(d.get("_hub_id", "")).split("/")[-1]):
            if key:
                exact.setdefault(key, p)
    for short, hub in PRESET_HUB_IDS.items():
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
    names = [_read_json(p).get("_name") for p in _preset_files()]
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
    return _config_file(path, "tiny" if path.parent == TINY_MODEL_DIR else None)


def resolve_config(config: Any) -> ModelConfig:
    """Lesson 02. A `ModelConfig` from a ModelConfig, a known model name, a path (file or folder),
    a dict, or a transformers `PretrainedConfig` (anything with `to_dict()`).

    transformers is never imported. A name nobody knows raises MemoryInputError listing the
    known ones; a config file that cannot be read raises DataFileError naming it.
    """
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
            return _config_file(p, p.parent.name)
        return load_model_config(s)
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        d = to_dict()
        return config_from_dict(d, name=d.get("_name_or_path") or None)
    raise MemoryInputError(
        f"cannot read a model config from {type(config).__name__}: pass a model name "
        f"({available_models()}), a path, a dict or a transformers config")
