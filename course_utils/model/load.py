"""One loader for every model of the course: the embedded tiny model, a preset, a folder, a Hub id.

Lesson 00 introduces it; lessons 02 and 05-07 load every model through it. All four kinds of
name go through the same `from_pretrained` call, so the path the tests exercise on the tiny
model on a CPU is the path a learner's 7B run takes on a GPU.

- `quantization="nf4"`: 4-bit NormalFloat weights with double quantization (QLoRA, Dettmers et
  al. 2023), compute dtype from the hardware profile (bf16 / fp16 / fp32).
- `quantization="none"`: the weights in the compute dtype.
- Weights load from safetensors only, and never with `trust_remote_code`.
- Every keyword passed to transformers and bitsandbytes comes from `course_utils.model.stack`.

What this leaves out: 8-bit loading, multi-GPU sharding (`device_map="auto"` across GPUs) and
GPTQ/AWQ checkpoints; the course's runs fit one GPU.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from course_utils.model.presets import PRESETS
from course_utils.model.profiles import Profile, choose_profile
from course_utils.model.smol import ensure_cache
from course_utils.model.stack import bitsandbytes_args, transformers_args
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan.tensor_bytes import quant_state_bytes, tensor_bytes
from course_utils.noise import quiet

QUANTIZATIONS = ("nf4", "none")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


class ModelNotFoundError(ValueError):
    """The name is not a preset, a folder with a model, or a Hub id."""


class HubUnavailableError(RuntimeError):
    """A Hub model was asked for and the Hub cannot be reached (or the repo is gated/missing)."""


@dataclass(frozen=True)
class ModelSource:
    """Where `load_model` will read a model from."""

    kind: str               # "tiny" | "smol" | "preset" | "local" | "hub"
    location: str           # a folder path or a Hub repo id
    preset_name: str | None


def base_identity(name_or_path: str | os.PathLike) -> str:
    """Lesson 06. A string that changes when the base model behind `name_or_path` changes: its
    location, plus, for a folder on disk, the names, sizes and modification times of its weight files.
    Lessons 06-07 store it beside adapters they reuse, so a rebuilt tiny model gets new ones."""
    src = resolve(name_or_path)
    ident = src.location
    if src.kind in ("tiny", "local"):
        for f in sorted(Path(src.location).glob("*.safetensors")):
            st = f.stat()
            ident += f"|{f.name}:{st.st_size}:{st.st_mtime_ns}"
    return ident


def _presets_list() -> str:
    return ", ".join(repr(n) for n in PRESETS)


def resolve(name_or_path: str | os.PathLike) -> ModelSource:
    """Lesson 00. Decide what `name_or_path` names, without loading anything (except for "smol",
    whose safetensors cache is built from the package's GGUF the first time, ~30 s)."""
    if not isinstance(name_or_path, (str, os.PathLike)) or str(name_or_path).strip() == "":
        raise ModelNotFoundError(
            f"load_model(name_or_path={name_or_path!r}): give a preset ({_presets_list()}), "
            f"a folder that holds config.json, or a Hub repo id such as 'Qwen/Qwen2.5-7B-Instruct'.")
    text = str(name_or_path).strip()
    if text.lower() == "tiny":
        if not (TINY_MODEL_DIR / "config.json").is_file():
            raise ModelNotFoundError(
                f"The embedded tiny model is missing from {TINY_MODEL_DIR}. Restore it with "
                f"`git checkout -- data/tiny_model` or rebuild it with "
                f"`python -m course_utils.model.tiny.build --out data/tiny_model`.")
        return ModelSource("tiny", str(TINY_MODEL_DIR), "tiny")
    if text.lower() == "smol":   # SmolLM2-135M-Instruct: the safetensors cache of its GGUF
        return ModelSource("smol", str(ensure_cache()), "smol")
    if text.lower() in PRESETS:
        return ModelSource("preset", PRESETS[text.lower()].repo_id, text.lower())
    path = Path(text).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{path} exists but holds no config.json, so it is not a saved model folder. "
                f"Point load_model at the folder written by save_pretrained() or `hf download`.")
        return ModelSource("local", str(path.resolve()), None)
    looks_like_path = text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text
    if _HUB_ID.match(text) and not looks_like_path:
        for preset in PRESETS.values():
            if preset.repo_id and preset.repo_id.lower() == text.lower():
                return ModelSource("hub", preset.repo_id, preset.name)
        return ModelSource("hub", text, None)
    if looks_like_path:
        raise ModelNotFoundError(f"No such folder: {path}. Check the path (it is resolved from "
                                 f"{Path.cwd()}) or use a preset: {_presets_list()}.")
    raise ModelNotFoundError(
        f"Unknown model {text!r}. Use a preset ({_presets_list()}), a folder that holds "
        f"config.json, or a Hub repo id of the form 'owner/name'.")


def _offline() -> bool:
    val = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return val.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _hub_reachable(timeout: float = 3.0) -> tuple[bool, str]:
    """A TCP connect to the Hub endpoint: fails in seconds where the hub client retries for ~46 s."""
    from huggingface_hub import constants

    endpoint = os.environ.get("HF_ENDPOINT", constants.ENDPOINT)
    url = urlparse(endpoint)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, endpoint
    except OSError:
        return False, endpoint


def _check_hub(repo_id: str) -> None:
    """Fail at once, with what to do, when a Hub model cannot be downloaded."""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    if isinstance(cached, str):
        return  # in the local cache: from_pretrained works offline
    how = (f"To use it without the Hub, download it on a connected machine "
           f"(`hf download {repo_id} --local-dir models/{repo_id.split('/')[-1]}`), copy the "
           f"folder here and call load_model('models/{repo_id.split('/')[-1]}'). "
           f"The embedded model needs no download: load_model('tiny').")
    if _offline():
        raise HubUnavailableError(
            f"Cannot load {repo_id!r}: HF_HUB_OFFLINE is set and the model is not in the local "
            f"Hugging Face cache. Unset HF_HUB_OFFLINE on a machine with internet. {how}")
    ok, endpoint = _hub_reachable()
    if not ok:
        raise HubUnavailableError(
            f"Cannot load {repo_id!r}: the Hugging Face Hub ({endpoint}) is not reachable from "
            f"this machine. {how}")


def bnb_config(profile: Profile):
    """Lesson 00. The QLoRA quantization recipe: NF4, double quantization, compute dtype from the
    profile.

    Lesson 00 shows what it is, lesson 05 why each field. NF4 is information-theoretically
    optimal for normally distributed weights; double quantization stores the per-block
    constants in 8 bits, saving ~0.37 bit/parameter (Dettmers et al. 2023, §3).
    """
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(**bitsandbytes_args.nf4_kwargs(profile.torch_dtype()))


def apply_bnb_cpu_fix(model) -> int:
    """Lesson 05. Keep bitsandbytes from repacking 4-bit weights into its CPU inference layout.

    On CPUs with AVX512-BF16, the first no-grad eval-mode forward (generate, evaluation) of a
    `Linear4bit` converts its weight into a CPU-only packed layout; gradients through the layer
    are silently wrong afterwards and merging into 4-bit is corrupted. Turning the feature off
    per layer keeps the standard layout (tests/model/test_model_load.py guards it). Returns the
    number of layers changed.
    """
    import bitsandbytes as bnb

    n = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            setattr(module, bitsandbytes_args.CPU_LAYOUT_FLAG, False)
            n += 1
    return n


def load_model(name_or_path: str | os.PathLike = "tiny", quantization: str = "nf4",
               profile: Profile | None = None, device_map=None):
    """Lesson 00. Load `(model, tokenizer)` from a preset, the tiny model, a folder or a Hub repo id.

    `quantization` is "nf4" (4-bit QLoRA base) or "none" (compute dtype). The
    profile (detected when None) sets the compute dtype and the device. `device_map` defaults to
    the whole model on this process's GPU (LOCAL_RANK under torchrun/accelerate) or on the CPU.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"load_model(quantization={quantization!r}): choose one of "
                         f"{', '.join(QUANTIZATIONS)}")
    source = resolve(name_or_path)
    quiet()
    if source.kind in ("preset", "hub"):
        _check_hub(source.location)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    profile = profile or choose_profile()
    on_gpu = profile.hardware.device == "cuda"
    if device_map is None:
        device_map = {"": int(os.environ.get("LOCAL_RANK", 0))} if on_gpu else "cpu"
    if quantization == "nf4":
        kwargs = transformers_args.model_kwargs(device_map, quantization_config=bnb_config(profile))
    else:
        kwargs = transformers_args.model_kwargs(device_map, dtype=profile.torch_dtype())
    try:
        model = AutoModelForCausalLM.from_pretrained(source.location, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(source.location, **transformers_args.tokenizer_kwargs())
    except OSError as err:
        _explain_hub_error(source, err)
        raise
    if quantization == "nf4":
        apply_bnb_cpu_fix(model)
    if tokenizer.pad_token is None:  # Llama/Mistral ship none; padding needs one
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def _explain_hub_error(source: ModelSource, err: OSError) -> None:
    if source.kind not in ("preset", "hub"):
        return
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    cause = err.__cause__ or err.__context__
    if isinstance(cause, GatedRepoError) or "gated" in str(err).lower():
        raise HubUnavailableError(
            f"{source.location!r} is gated: accept its licence on its Hub page, create a read "
            f"token, and put it in the HF_TOKEN environment variable (Colab: the key icon, "
            f"'Secrets'; never paste a token into a cell).") from err
    if isinstance(cause, RepositoryNotFoundError) or "not a valid model identifier" in str(err):
        raise HubUnavailableError(
            f"{source.location!r} is not a model repository on the Hub (or it is private). "
            f"Check the spelling, or use a preset: {_presets_list()}.") from err


# ----------------------------------------------------------------------------------------------
# Chat and inspection helpers


def format_messages(messages, preset_name: str | None = None) -> list[dict]:
    """Lesson 00. Messages ready for `apply_chat_template`: a string becomes one user turn; a
    system message is folded into the first user turn for templates without a system role
    (Mistral)."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    messages = [dict(m) for m in messages]
    preset = PRESETS.get(preset_name or "")
    if preset is not None and not preset.system_role and messages and messages[0]["role"] == "system":
        system = messages.pop(0)["content"]
        if messages and messages[0]["role"] == "user":
            messages[0]["content"] = f"{system}\n\n{messages[0]['content']}"
        else:
            messages.insert(0, {"role": "user", "content": system})
    return messages


def chat(model, tokenizer, messages, max_new_tokens: int = 48, preset_name: str | None = None) -> str:
    """Lesson 00. Greedy answer of `model` to a chat (a string or a list of messages)."""
    import torch

    enc = tokenizer.apply_chat_template(format_messages(messages, preset_name),
                                        **transformers_args.chat_prompt_kwargs("tensors"))
    enc = {k: v.to(model.device) for k, v in enc.items()}
    model.eval()
    with torch.no_grad():
        out = model.generate(**enc, **transformers_args.greedy_kwargs(max_new_tokens,
                                                                      tokenizer.pad_token_id))
    return tokenizer.decode(out[0, enc["input_ids"].shape[1]:],
                            **transformers_args.decode_kwargs()).strip()


def linear_layer_summary(model) -> dict[str, int]:
    """Lesson 00. How many linear layers of each type the model holds (e.g. {'Linear4bit': 28,
    'Linear': 1}): in a QLoRA base every decoder linear layer is 4-bit; `lm_head` stays in 16/32 bit."""
    import torch

    counts: dict[str, int] = {}
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            counts[type(module).__name__] = counts.get(type(module).__name__, 0) + 1
    return counts


def weight_bytes_by_part(model) -> dict[str, int]:
    """Lesson 00. Bytes of weights per part of a causal LM: decoder linear layers, embeddings,
    the output layer (lm_head), and norms/other: only the decoder linear layers go 4-bit. A
    4-bit layer's quantization state (absmax constants, code book, offset) counts with it."""
    import torch

    out: dict[str, int] = {}
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue
        n = sum(tensor_bytes(p) for p in module.parameters(recurse=False))
        n += sum(tensor_bytes(b) for b in module.buffers(recurse=False))
        n += quant_state_bytes(getattr(getattr(module, "weight", None), "quant_state", None))
        if not n:
            continue
        if name.endswith("lm_head"):
            part = "output layer (lm_head)"
        elif isinstance(module, torch.nn.Embedding):
            part = "embeddings"
        elif isinstance(module, torch.nn.Linear):
            part = "decoder linear layers"
        else:
            part = "norms and other"
        out[part] = out.get(part, 0) + n
    return out
