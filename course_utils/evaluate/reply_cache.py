"""Lessons 05-06: measured results kept on disk, so that re-running a finished lesson takes seconds
instead of regenerating every reply.

    model_identity   what a reply depends on besides the prompt: the base model (its name, whether it
                     is 4-bit, a sample of its weights), and the active LoRA adapter's weights, or
                     "adapter off" inside `disable_adapter()`
    ReplyCache       prompt text + generation settings -> the greedy reply that model gave, one JSON
                     file per model identity under runs/reply_cache/, written atomically

A cached reply is one the model really produced; a retrained adapter, another base or other settings
give another identity or key, so nothing stale is reused. Delete runs/reply_cache/ to start afresh.

What this leaves out: sampled (non-greedy) generation, which is not deterministic and is never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from course_utils.paths import RUNS_DIR

CACHE_DIR = RUNS_DIR / "reply_cache"


def model_identity(model) -> str:
    """Lessons 05-06. A short hash of what a greedy reply of `model` depends on: the base's name,
    4-bit or not, the first rows of its input embeddings (a rebuilt base changes them), and the
    active adapter's LoRA weights, unless the adapter is switched off."""
    h = hashlib.sha256()
    cfg = getattr(model, "config", None)
    h.update(str(getattr(cfg, "_name_or_path", "")).encode())
    h.update(str(bool(getattr(model, "is_loaded_in_4bit", False))).encode())
    emb = model.get_input_embeddings().weight
    h.update(emb[:64].detach().float().cpu().numpy().tobytes())
    lora_layers = [m for m in model.modules() if hasattr(m, "lora_A")]
    if lora_layers and not any(getattr(m, "disable_adapters", False) for m in lora_layers):
        active = getattr(model, "active_adapter", "default")
        active = active if isinstance(active, str) else ",".join(active)
        h.update(active.encode())
        for name, p in model.named_parameters():
            if "lora_" in name and f".{active}." in name:
                h.update(name.encode())
                h.update(p.detach().float().cpu().numpy().tobytes())
    else:
        h.update(b"no adapter")
    return h.hexdigest()[:24]


class ReplyCache:
    """Lessons 05-06. Results of one model identity: `get(key)`, `put(key, value)`, `save()`.
    Keys are hashes of whatever the result depends on (`ReplyCache.key(...)`)."""

    def __init__(self, identity: str, folder: Path | str = CACHE_DIR):
        self.path = Path(folder) / f"{identity}.json"
        self._data: dict[str, object] = {}
        self._dirty = False
        if self.path.is_file():
            try:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                self._data = {}      # a damaged cache is only a cache: start it again

    @staticmethod
    def key(*parts) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def get(self, key: str):
        return self._data.get(key)

    def put(self, key: str, value) -> None:
        self._data[key] = value
        self._dirty = True

    def save(self) -> None:
        """Write the file whole or not at all (temp file, then rename)."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(self._data), encoding="utf-8")
        os.replace(tmp, self.path)
        self._dirty = False
