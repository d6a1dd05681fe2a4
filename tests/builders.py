"""Small things several test folders build: hand-written PEFT adapter folders.

Importable from any test as ``from builders import ...`` (pytest puts ``tests/`` on the path for
the root ``conftest.py``)."""

import json

import numpy as np
from safetensors.numpy import save_file

from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan.memory import resolve_config

TINY = resolve_config(TINY_MODEL_DIR)


def write_adapter(folder, r=8, targets=("q_proj", "v_proj"), cfg_extra=None, extra_tensors=None,
                  hidden=None, base=str(TINY_MODEL_DIR)):
    """A LoRA adapter folder as PEFT saves it, for the tiny model (or another hidden size)."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = {s.name: s for s in TINY.linear_layers()}
    tensors = {}
    for layer in range(TINY.num_hidden_layers):
        for t in targets:
            part = "self_attn" if t in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            d_in, d_out = (specs[t].d_in, specs[t].d_out) if t in specs else (TINY.hidden_size,) * 2
            if hidden:
                d_in = d_out = hidden
            key = f"base_model.model.model.layers.{layer}.{part}.{t}"
            tensors[f"{key}.lora_A.weight"] = np.zeros((r, d_in), np.float32)
            tensors[f"{key}.lora_B.weight"] = np.zeros((d_out, r), np.float32)
    tensors.update(extra_tensors or {})
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    cfg = {"peft_type": "LORA", "r": r, "lora_alpha": 2 * r, "target_modules": list(targets),
           "base_model_name_or_path": base, "bias": "none", "modules_to_save": None,
           "use_dora": False, "rank_pattern": {}, "task_type": "CAUSAL_LM"}
    cfg.update(cfg_extra or {})
    (folder / "adapter_config.json").write_text(json.dumps(cfg))
    return folder
