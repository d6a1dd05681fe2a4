"""Lesson 07: the production path. Will vLLM load these adapters, and what is the `vllm serve`
command that serves them?

    check_adapter / compatibility_report   read adapter_config.json and the tensor header of
                 adapter_model.safetensors (no torch needed) and list what vLLM would refuse,
                 each with the field at fault and the fix
    vllm_command `vllm serve BASE --enable-lora --lora-modules name=path ... --max-loras N
                 --max-lora-rank R --max-cpu-loras M`, sized from the adapters themselves

vLLM's rules, as read in its source (vllm-project/vllm, 2025-2026; checked for this lesson):
- `--max-lora-rank` must be one of MaxLoRARanks = 1, 8, 16, 32, 64, 128, 256, 320, 512
  (vllm/config/lora.py); an adapter whose rank (or largest rank_pattern value) exceeds it is
  refused ("LoRA rank R is greater than max_lora_rank", vllm/lora/peft_helper.py validate_legal).
- `modules_to_save` must be None, DoRA is refused, adapter bias is refused (peft_helper.py
  `_validate_features` / `validate_legal`).
- weights for modules outside the model's LoRA-capable linear layers are refused ("expected
  target modules in ... but received ...", vllm/lora/lora_model.py `from_local_checkpoint`);
  full embedding / lm_head weights are skipped or refused depending on the version, and LoRA
  on embeddings with extra vocabulary was deprecated in v0.11 and removed in v0.12.
- `--max-cpu-loras` must be >= `--max-loras` (LoRAConfig validator).
Docs: https://docs.vllm.ai/en/latest/features/lora/ (the `--lora-modules name=path` form).

What this leaves out: running vLLM (it needs a CUDA GPU); serving a 4-bit bitsandbytes base in
vLLM (`--quantization bitsandbytes`), which exists but is slower than a bf16 base; merging an
adapter into its base instead (`course_utils.serve.merge`).
"""

from __future__ import annotations

import json
import shlex
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from course_utils.model.presets import PRESETS
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan import memory as M

# MaxLoRARanks in https://github.com/vllm-project/vllm/blob/main/vllm/config/lora.py (the same
# list in the v0.14 and later API docs, https://docs.vllm.ai/en/stable/api/vllm/config/lora/)
VLLM_MAX_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
EMBEDDING_MODULES = ("embed_tokens", "lm_head", "wte", "word_embeddings", "embed_in", "embed_out")


@dataclass
class Issue:
    """Lesson 07. A finding: "error" (vLLM refuses the adapter) or "warning" (it loads; read this)."""

    level: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{'✗' if self.level == 'error' else '!'} {self.field}: {self.message}"


@dataclass
class AdapterReport:
    """Lesson 07. What `check_adapter` found about one adapter folder."""

    name: str
    path: Path
    r: int | None = None
    trained_on: str | None = None
    target_modules: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.level == "error" for i in self.issues)

    def __str__(self) -> str:
        head = f"{'✓' if self.ok else '✗'} {self.name} (r={self.r}, {', '.join(self.target_modules) or '?'})"
        return "\n".join([head, *(f"    {i}" for i in self.issues)])


def smallest_max_lora_rank(r: int) -> int:
    """Lesson 07. The `--max-lora-rank` to pass for adapters of rank up to `r` (vLLM accepts only
    VLLM_MAX_LORA_RANKS; it sizes its GPU buffers for that rank, so r=24 costs what r=32 does)."""
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise ValueError(f"r={r!r}: a LoRA rank is a whole number >= 1")
    for allowed in VLLM_MAX_LORA_RANKS:
        if allowed >= r:
            return allowed
    raise ValueError(f"r={r}: vLLM serves LoRA ranks up to {VLLM_MAX_LORA_RANKS[-1]}; retrain with a "
                     f"smaller r (8-64 is usual)")


def safetensors_shapes(path) -> dict[str, list[int]]:
    """Lesson 07. Tensor name -> shape from a .safetensors header (8-byte length + JSON), no loading."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return {k: v["shape"] for k, v in header.items() if k != "__metadata__"}


def _base_id(base) -> str:
    """A comparable name for a base: a preset's Hub id, the tiny model's folder, a resolved path."""
    text = str(base).strip()
    if text.lower() == "tiny":
        return str(TINY_MODEL_DIR.resolve())
    if text.lower() in PRESETS and PRESETS[text.lower()].repo_id:
        return PRESETS[text.lower()].repo_id.lower()
    p = Path(text).expanduser()
    return str(p.resolve()) if p.exists() else text.lower()


def _module_of(tensor_name: str) -> tuple[str, int | None, str]:
    """('q_proj', layer 3, 'lora_A') from 'base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight'."""
    parts = tensor_name.split(".")
    kind = next((p for p in parts if p.startswith(("lora_A", "lora_B", "lora_embedding_", "lora_magnitude"))), "")
    module = parts[parts.index(kind) - 1] if kind else (parts[-2] if len(parts) > 1 else parts[0])
    layer = next((int(parts[i + 1]) for i, p in enumerate(parts[:-1])
                  if p in ("layers", "h", "blocks") and parts[i + 1].isdigit()), None)
    return module, layer, kind


def check_adapter(path, base=None, name: str | None = None) -> AdapterReport:
    """Lesson 07. Would `vllm serve <base> --enable-lora` load the adapter in `path`? Every problem
    names the adapter_config.json field (or tensor) at fault and what to change."""
    path = Path(path)
    if (path / "adapter" / "adapter_config.json").is_file():
        path = path / "adapter"
    rep = AdapterReport(name or (path.parent.name if path.name == "adapter" else path.name), path)
    cfg_file = path / "adapter_config.json"
    if not cfg_file.is_file():
        rep.issues.append(Issue("error", "adapter_config.json", f"missing in {path}: not a saved PEFT "
                                "adapter (save it with model.save_pretrained(folder))"))
        return rep
    try:
        cfg = json.loads(cfg_file.read_text())
    except json.JSONDecodeError as e:
        rep.issues.append(Issue("error", "adapter_config.json", f"not valid JSON (line {e.lineno}): {e.msg}"))
        return rep
    add = lambda level, f, msg: rep.issues.append(Issue(level, f, msg))  # noqa: E731
    if cfg.get("peft_type") != "LORA":
        add("error", "peft_type", f"is {cfg.get('peft_type')!r}; vLLM serves LoRA adapters only")
    r = cfg.get("r")
    ranks = [r, *(cfg.get("rank_pattern") or {}).values()]
    rep.r = max((x for x in ranks if isinstance(x, int)), default=None)
    if rep.r is None:
        add("error", "r", f"missing or not a whole number ({r!r})")
    elif rep.r > VLLM_MAX_LORA_RANKS[-1]:
        add("error", "r", f"rank {rep.r} is above vLLM's largest --max-lora-rank "
                          f"({VLLM_MAX_LORA_RANKS[-1]}); retrain with a smaller r")
    elif rep.r not in VLLM_MAX_LORA_RANKS:
        add("warning", "r", f"rank {rep.r} is not one of vLLM's --max-lora-rank values "
                            f"{VLLM_MAX_LORA_RANKS}: it is served with --max-lora-rank "
                            f"{smallest_max_lora_rank(rep.r)} and its buffers are sized for that")
    if cfg.get("modules_to_save"):
        add("error", "modules_to_save", f"{cfg['modules_to_save']} were trained in full; vLLM needs "
                                        f"modules_to_save=None. Retrain without it (LoRA on the linear layers only)")
    if cfg.get("trainable_token_indices"):
        add("error", "trainable_token_indices", "the adapter trains embedding rows; vLLM cannot "
                                                "load trained embeddings. Retrain without new tokens")
    if cfg.get("use_dora"):
        add("error", "use_dora", "DoRA adapters are refused by vLLM; retrain with use_dora=False "
                                 "or merge the adapter and serve the merged model")
    if cfg.get("bias", "none") != "none" or cfg.get("lora_bias"):
        add("error", "bias", f"bias={cfg.get('bias')!r}, lora_bias={cfg.get('lora_bias')!r}: vLLM "
                             f"refuses adapter biases; retrain with bias='none', lora_bias=False")
    targets = cfg.get("target_modules")
    if isinstance(targets, str) and targets != "all-linear":
        add("warning", "target_modules", f"the regex {targets!r}: vLLM matches only its final "
                                         f"(a|b|c)$ group; prefer a list of module names")
    rep.target_modules = sorted(targets) if isinstance(targets, list) else [str(targets)]
    rep.trained_on = cfg.get("base_model_name_or_path")
    _check_tensors(rep, path, base, add)
    if base is not None and rep.trained_on and _base_id(rep.trained_on) != _base_id(base):
        add("warning", "base_model_name_or_path", f"trained on {rep.trained_on!r}, served on {str(base)!r}: "
                                                  f"vLLM does not check this; answers change if the "
                                                  f"bases differ. Serve the base it was trained on")
    return rep


def _check_tensors(rep: AdapterReport, path: Path, base, add) -> None:
    st = path / "adapter_model.safetensors"
    if not st.is_file():
        add("warning" if (path / "adapter_model.bin").is_file() else "error", "adapter_model.safetensors",
            "missing; save with safetensors (PEFT's default), the format vLLM reads first")
        return
    shapes = safetensors_shapes(st)
    cfg = None
    if base is not None:
        try:
            cfg = M.resolve_config(TINY_MODEL_DIR if str(base).lower() == "tiny" else base)
        except M.MemoryInputError:
            add("warning", "base", f"no config known for {str(base)!r}: shapes not checked")
    specs = {s.name: s for s in cfg.linear_layers()} if cfg else {}
    supported = set(specs) if cfg else None
    bad_full, bad_emb, bad_mod, bad_shape = set(), set(), set(), []
    for tname, shape in shapes.items():
        module, layer, kind = _module_of(tname)
        if not kind:
            bad_full.add(module)
        elif module in EMBEDDING_MODULES or kind.startswith("lora_embedding"):
            bad_emb.add(module)
        elif supported is not None and module not in supported:
            bad_mod.add(module)
        elif cfg is not None and module in specs:
            spec, r = specs[module], shape[0] if kind == "lora_A" else shape[-1]
            want = [r, spec.d_in] if kind == "lora_A" else [spec.d_out, r]
            if list(shape) != want or (layer is not None and layer >= cfg.num_hidden_layers):
                bad_shape.append(f"{tname} {shape} (the base needs {want}, layers < {cfg.num_hidden_layers})")
    if bad_full:
        add("error", "tensors", f"full weights of {sorted(bad_full)} are in the adapter (modules_to_save "
                                f"or trained embeddings); vLLM loads only lora_A/lora_B. Retrain without them")
    if bad_emb:
        add("error", "target_modules", f"LoRA on {sorted(bad_emb)}: trained embeddings / lm_head are not "
                                       f"served by current vLLM; target the linear layers only")
    if bad_mod:
        add("error", "target_modules", f"{sorted(bad_mod)} are not LoRA-capable linear layers of this "
                                       f"base ({sorted(supported)}); vLLM refuses unexpected modules")
    if bad_shape:
        add("error", "base_model_name_or_path", f"{len(bad_shape)} tensors do not fit the base "
                                                f"{str(base)!r}, e.g. {bad_shape[0]}: the adapter was "
                                                f"trained for another model")


def compatibility_report(adapters: Mapping[str, str | Path], base=None) -> list[AdapterReport]:
    """Lesson 07. `check_adapter` for every {name: folder}; print the list for a ✓/✗ report."""
    return [check_adapter(p, base, name) for name, p in adapters.items()]


@dataclass
class VllmCommand:
    """Lesson 07. `argv` to run; `str()` is the command laid out one option per line."""

    argv: list[str]

    def __str__(self) -> str:
        lines, args = [shlex.join(self.argv[:3])], self.argv[3:]
        i = 0
        while i < len(args):
            j = i + 1
            while j < len(args) and not args[j].startswith("--"):
                j += 1
            lines.append("  " + shlex.join(args[i:j]))
            i = j
        return " \\\n".join(lines)


def vllm_command(base, adapters: Mapping[str, str | Path], *, max_loras: int | None = None,
                 max_cpu_loras: int | None = None, host: str = "127.0.0.1", port: int = 8000,
                 max_model_len: int | None = None, check: bool = True) -> VllmCommand:
    """Lesson 07. The `vllm serve` command for `base` and {name: adapter folder}.

    max_loras: adapters one batch may mix (default: all of them; vLLM's own default is 1, which
    serializes a mixed batch). max_cpu_loras: adapters kept in CPU memory (>= max_loras).
    --max-lora-rank: the smallest accepted value >= the largest adapter rank. With `check`,
    an adapter vLLM would refuse raises a ValueError that lists the problems."""
    if not adapters:
        raise ValueError("vllm_command needs at least one adapter: {name: folder}")
    reports = compatibility_report(adapters, base)
    bad = [rep for rep in reports if not rep.ok]
    if check and bad:
        raise ValueError("vLLM would refuse:\n" + "\n".join(str(b) for b in bad))
    n = len(adapters)
    max_loras = n if max_loras is None else max_loras
    max_cpu_loras = max(max_loras, n) if max_cpu_loras is None else max_cpu_loras
    for label, v in (("max_loras", max_loras), ("max_cpu_loras", max_cpu_loras)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{label}={v!r}: give a whole number >= 1")
    if max_cpu_loras < max_loras:
        raise ValueError(f"max_cpu_loras ({max_cpu_loras}) must be >= max_loras ({max_loras}) "
                         f"(vLLM refuses it at start-up)")
    key = str(base).strip().lower()
    model = (str(TINY_MODEL_DIR) if key == "tiny" else
             PRESETS[key].repo_id if key in PRESETS and PRESETS[key].repo_id else str(base))
    rank = smallest_max_lora_rank(max(rep.r or 1 for rep in reports))
    argv = ["vllm", "serve", model, "--enable-lora", "--lora-modules",
            *(f"{name}={Path(rep.path).resolve()}" for name, rep in zip(adapters, reports)),
            "--max-loras", str(max_loras), "--max-lora-rank", str(rank),
            "--max-cpu-loras", str(max_cpu_loras), "--host", host, "--port", str(port)]
    if max_model_len:
        argv += ["--max-model-len", str(max_model_len)]
    return VllmCommand(argv)
