"""Lesson 07: the LoRA adapters a multi-adapter server serves: their names, their folders, and
two ways to make them.

    check_adapter_name   what a request's `model` field may name (not the reserved "__base__")
    adapter_dir          the folder of a saved PEFT adapter, or an error that says what to point at;
                         only safetensors weights (a pickled adapter_model.bin is refused)
    random_adapters      untrained adapters with random weights: cheap fixtures for tests
    train_task_adapters  one adapter per course task, trained with lesson 05's `train`

The trained adapters land in `ADAPTERS_DIR` (runs/07_adapters, git-ignored), one folder per
profile and task, and a finished run is reused instead of trained again. A folder is trained
again only when lesson 05's deletion rule (`course_utils.training.safe_delete`) shows that a
course run made it: a folder the course did not make is refused before anything is trained.

Weights are read from `adapter_model.safetensors` only. PEFT would fall back to a pickled
`adapter_model.bin`, and unpickling a file runs whatever code its author put in it: a server
that loads adapters people send it must not do that.

What this leaves out: loading adapters onto a base (`course_utils.serve.engine`) and checking
whether vLLM would load them (`course_utils.serve.vllm`).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Sequence

import torch

from course_utils.model.load import base_identity, load_model
from course_utils.model.profiles import run_sizes
from course_utils.model.stack import peft_args
from course_utils.paths import run_dir
from course_utils.tasks import TASKS

BASE = "__base__"                          # PEFT's name for "no adapter" in a mixed batch
ADAPTERS_DIR = run_dir("07", "adapters")   # git-ignored
TINY_STEPS = 24   # "a few dozen" CPU steps per adapter: ~30 s each on 2 busy cores, one thread
SAFE_WEIGHTS = "adapter_model.safetensors"
PICKLED_WEIGHTS = ("adapter_model.bin", "adapter_model.pt", "adapter_model.pth")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_adapter_name(name: str, what: str = "adapter name") -> str:
    """Lesson 07. A usable adapter name: letters, digits, '.', '_' or '-', not the reserved "__base__"."""
    if not isinstance(name, str) or not _NAME.match(name) or name == BASE:
        raise ValueError(f"{what} {name!r} is not usable: use 1-64 letters, digits, '.', '_' or '-' "
                         f"(starting with a letter or digit), and not {BASE!r}, which names the base")
    return name


def adapter_dir(path) -> Path:
    """Lesson 07. The folder of a saved PEFT adapter (adapter_config.json and safetensors
    weights), or a clear error: FileNotFoundError for no adapter, ValueError for a pickle."""
    p = Path(path).expanduser()
    if (p / "adapter" / "adapter_config.json").is_file():  # a `train` output folder
        p = p / "adapter"
    if not (p / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{p} holds no adapter_config.json, so it is not a saved LoRA adapter. "
                                f"Point at the folder `save_pretrained` wrote (train(...) writes "
                                f"<output_dir>/adapter)")
    if not (p / SAFE_WEIGHTS).is_file():
        pickled = [n for n in PICKLED_WEIGHTS if (p / n).is_file()]
        if pickled:
            raise ValueError(f"{p / pickled[0]} is a pickle, and loading a pickle runs any code its author "
                             f"put in it, so this server loads {SAFE_WEIGHTS} only. Convert it where you "
                             f"trust the file: PeftModel.from_pretrained(base, folder).save_pretrained("
                             f"new_folder) writes {SAFE_WEIGHTS}")
        raise FileNotFoundError(f"{p} holds adapter_config.json but no {SAFE_WEIGHTS}: the weights are "
                                f"missing. Save the adapter again with save_pretrained")
    return p


def random_adapters(out_dir, names: Sequence[str] = TASKS, base: str = "tiny", r: int = 8,
                    alpha: float = 16, seed: int = 0, target_modules="all-linear") -> dict[str, Path]:
    """Lesson 07 (and the tests). Save one LoRA adapter per name with random, untrained weights.

    `init_lora_weights=False` draws both A and B at random (a fresh adapter has B = 0 and would
    answer exactly like the base), so each adapter answers differently: what a routing test
    needs, in a second, with no training. They are not trained on anything."""
    from peft import LoraConfig, get_peft_model   # imported on use: peft takes seconds to import

    base_model, _ = load_model(base, quantization="none")
    out, paths = Path(out_dir), {}
    for i, name in enumerate(names):
        check_adapter_name(name)
        torch.manual_seed(seed + i)
        cfg = LoraConfig(**peft_args.random_lora_kwargs(r, alpha, target_modules))
        peft_model = get_peft_model(copy.deepcopy(base_model), cfg)
        peft_model.save_pretrained(out / name)
        paths[name] = out / name
    return paths


def _finished_run(run: Path, preset: str, max_steps: int) -> bool:
    """Whether `run` holds a finished `train` run on this base with this step count (<0: any)."""
    summary, base_mark = run / "run_summary.json", run / "base_identity.txt"
    if not (summary.is_file() and (run / "adapter" / "adapter_config.json").is_file()
            and base_mark.is_file() and base_mark.read_text() == base_identity(preset)):
        return False
    s = json.loads(summary.read_text())
    return s.get("status") == "finished" and (max_steps < 0 or s.get("max_steps") == max_steps)


def train_task_adapters(out_dir=None, tasks: Sequence[str] = TASKS, preset: str | None = None,
                        max_steps: int | None = None, seed: int = 0, reuse: bool = True) -> dict[str, Path]:
    """Lesson 07. One adapter per course task, trained with lesson 05's `train` on that task's rows.

    preset: a course preset (None: the profile for this machine). max_steps: TINY_STEPS on the
    tiny profile, the profile's own run (an epoch of the task's rows) on a GPU. Runs land in
    runs/07_adapters/<preset>/<task>/; with `reuse`, a finished run with the same step count is
    loaded instead of trained again. A run folder that must be trained again is cleared by
    lesson 05's rule: if one was not made by a course run, `DeletionRefused` names it before
    anything is trained. Returns {task: adapter folder}."""
    # Imported on use, not for a circle (serve is above training): lesson 05's trainer loads trl,
    # several seconds that the server and every other function here never need.
    from course_utils.training import run as training_run
    from course_utils.training.config import profile_for, task_rows
    from course_utils.training.safe_delete import RUN, DeletionRefused, refusal

    profile = profile_for(preset)
    sizes = run_sizes(profile)
    if max_steps is None:
        max_steps = TINY_STEPS if profile.is_tiny else sizes.max_steps
    n_train = 10 * max_steps if profile.is_tiny and max_steps > 0 else sizes.train_examples
    n_eval = min(16, sizes.eval_examples) if profile.is_tiny else sizes.eval_examples
    out = Path(out_dir) if out_dir is not None else ADAPTERS_DIR / profile.name
    todo = [t for t in tasks if not (reuse and _finished_run(out / t, profile.name, max_steps))]
    refused = [why for why in (refusal(out / t, RUN) for t in todo) if why]
    if refused:                         # before any training: nothing half done, nothing deleted
        raise DeletionRefused("; ".join(refused))
    paths = {}
    for task in tasks:
        run = out / task
        if task not in todo:
            paths[task] = run / "adapter"
            continue
        result = training_run.train(profile, run, train_rows=task_rows("train", n_train, task=task),
                       eval_rows=task_rows("validation", n_eval, task=task),
                       max_steps=max_steps, save_steps=max_steps if max_steps > 0 else None,
                       seed=seed, overwrite=True, eval_before=False)
        (run / "base_identity.txt").write_text(base_identity(profile.name))
        paths[task] = Path(result.adapter_dir)
    return paths


def lesson_adapters(profile=None) -> dict[str, Path]:
    """Lesson 07. The adapters lessons 05 and 06 trained on this profile's base, by serving name:
    "course" (lesson 05's course adapter: the three tasks and general chat), and the two arms of
    lesson 06's clean-vs-noisy comparison, "curated-<n>" and "raw-<n>" (the same n rows and
    steps; curated vs raw task rows). Each is reused by its fingerprint; one that lesson 05 or 06
    has not trained yet is trained now."""
    from course_utils.evaluate.course_run import course_adapter
    from course_utils.evaluate.recipe_claims import arm_sizes, noisy_arm, size_arm
    from course_utils.training.config import profile_for

    profile = profile_for(profile)
    course = course_adapter(profile)
    n = arm_sizes(profile).sizes[-1]
    return {"course": Path(course["adapter_dir"]),
            f"curated-{n}": Path(size_arm(profile, course, n)["adapter_dir"]),
            f"raw-{n}": Path(noisy_arm(profile, course, n)["adapter_dir"])}
