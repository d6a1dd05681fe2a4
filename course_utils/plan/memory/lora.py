"""How many weights LoRA adds to a model: r x (d_in + d_out) per adapted matrix (lesson 02).

Hu et al. 2021 ("LoRA", §4.1) replace the update of a d_out x d_in matrix by B·A with A of
r x d_in and B of d_out x r. `target_modules` names the adapted matrices as PEFT's `LoraConfig`
does, or "all-linear" for every linear layer of the decoder blocks (PEFT leaves lm_head out).
Grouped-query attention shows up as a smaller d_out for k_proj and v_proj.

What this leaves out: DoRA's magnitude vectors, adapted embeddings or lm_head, and biases on
the adapters (PEFT's default adds none).
"""

from __future__ import annotations

from typing import Any, Iterable

from course_utils.plan.memory.configs import LinearSpec, ModelConfig, resolve_config
from course_utils.plan.memory.inputs import ALL_LINEAR, MemoryInputError, check_positive


def adapted_layers(cfg: ModelConfig, target_modules: str | Iterable[str]) -> list[LinearSpec]:
    """The linear layers of one decoder block that `target_modules` adapts."""
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
    """Lesson 02. Trainable LoRA parameters: r·(d_in + d_out) per adapted matrix, in every block.

    `target_modules` is a list of module names (as in PEFT's LoraConfig) or "all-linear"
    (every linear layer of the decoder blocks; not lm_head, as PEFT does). Grouped-query
    attention shows up as a smaller d_out for k_proj and v_proj.
    """
    cfg = resolve_config(config)
    check_positive(r=r)
    return cfg.num_hidden_layers * sum(r * (s.d_in + s.d_out) for s in adapted_layers(cfg, target_modules))


def lora_tensor_sizes(cfg: ModelConfig, r: int, target_modules: str | Iterable[str]) -> list[int]:
    """Element counts of every LoRA tensor (A and B of each adapted matrix, each layer)."""
    sizes = []
    for s in adapted_layers(cfg, target_modules):
        sizes += [r * s.d_in, r * s.d_out]
    return sizes * cfg.num_hidden_layers
