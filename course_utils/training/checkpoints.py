"""Lesson 05: which checkpoint a run may resume from, and the folder rules around it.

A checkpoint is trusted only after it has been checked, in two steps:

1. **Complete and readable** (`checkpoint_problems`, no model needed): trainer_state.json parses;
   the weights, optimizer, scheduler and RNG files exist; every safetensors file is as long as its
   header says (a truncated file is caught before the Trainer's `SafetensorError`); every torch
   file (optimizer.pt, scheduler.pt, rng_state*.pth, ...) is an intact zip archive, its CRCs
   checked (a truncated one is caught before the Trainer's `PytorchStreamReader` error).
2. **The run's shapes** (`shape_problems`, with the model): the adapter holds exactly the tensors
   this run's LoRA adapters have, shape for shape, and optimizer.pt (read with
   `torch.load(weights_only=True)`, which unpickles no code) has one state per adapter tensor, of
   the same shapes.

A checkpoint that fails either is moved aside (`incomplete-checkpoint-N`, with a SET_ASIDE.txt
saying why; never deleted) and the resume falls back to the newest one that passes, saying which.
`transformers.trainer_utils.get_last_checkpoint` checks none of this: it picks the newest folder.

Checkpoints are also written so that a kill mid-save cannot leave one that looks complete: the
course's trainer (`course_utils.training.trainer`) saves into `.staging/checkpoint-N` and renames
it into place when every file is written (`publish`).

`plan_resume` is the decision a run makes before it loads anything: resume, start fresh, or
refuse (a `RunFolderError` naming the folder and the fix; the command line shows it as a usage
error).

What this leaves out: checksums of a checkpoint's files against a manifest (the zip CRCs and
safetensors sizes catch truncation and most corruption), and sharded checkpoints (FSDP, DeepSpeed).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course_utils.training.safe_delete import RUN, DeletionRefused, refusal

CHECKPOINT_PREFIX = "checkpoint-"   # the Trainer's folder names: checkpoint-<global step>
INCOMPLETE_PREFIX = "incomplete-"   # where a broken checkpoint is moved aside (never deleted)
STAGING_DIR = ".staging"            # checkpoints being written, renamed into place when complete
SET_ASIDE_NOTE = "SET_ASIDE.txt"    # why a checkpoint was moved aside
STATE_FILE = "trainer_state.json"   # written last by Trainer._save_checkpoint
WEIGHT_FILES = ("adapter_model.safetensors", "model.safetensors", "adapter_model.bin",
                "pytorch_model.bin")
TORCH_SUFFIXES = (".pt", ".pth", ".bin")   # torch.save files: zip archives
RUN_CONFIG = RUN.marker             # what a run was started with; a resume must match it
RESUME_MAY_CHANGE = {"max_steps", "save_steps", "world_size"}  # world size: with a warning


# ----------------------------------------------------------------------------------------------
# Step 1: complete and readable


@dataclass(frozen=True)
class CheckpointInfo:
    """Lesson 05. A `checkpoint-N` folder and what, if anything, is wrong with it."""

    path: Path
    step: int
    problems: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.problems


def safetensors_problem(path) -> str | None:
    """Lesson 05. Why a .safetensors file cannot be read (None: its header parses and the file is
    as long as the header says: 8 bytes of header length, the JSON header, then the tensor data)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return f"{path.name}: {size} bytes, too short for a safetensors header"
            (n,) = struct.unpack("<Q", head)
            if 8 + n > size:
                return f"{path.name}: truncated inside its header ({size} bytes, header needs {8 + n})"
            header = json.loads(f.read(n))
    except (OSError, ValueError) as err:
        return f"{path.name}: unreadable header ({err})"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"]
    want = 8 + n + max(ends, default=0)
    if size != want:
        return f"{path.name}: truncated ({size:,} bytes, its header describes {want:,})"
    return None


def torch_file_problem(path) -> str | None:
    """Lesson 05. Why a torch.save file is damaged (None: an intact zip archive, CRCs checked)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        return f"{path.name}: damaged or truncated ({err})"
    return f"{path.name}: damaged (bad CRC in {bad})" if bad else None


def checkpoint_problems(path) -> list[str]:
    """Lesson 05. What a checkpoint folder lacks to be resumed from (empty: it is complete)."""
    path = Path(path)
    if not path.is_dir():
        return [f"{path} is not a folder"]
    names = set(os.listdir(path))
    problems = []
    if STATE_FILE not in names:
        problems.append(f"no {STATE_FILE} (the Trainer writes it last: the save was cut short)")
    else:
        try:
            json.loads((path / STATE_FILE).read_text())
        except (OSError, ValueError) as err:
            problems.append(f"{STATE_FILE} is unreadable ({err})")
    if not names & set(WEIGHT_FILES):
        problems.append("no weights (adapter_model.safetensors)")
    for need in ("optimizer.pt", "scheduler.pt"):
        if need not in names:
            problems.append(f"no {need}")
    if not any(n.startswith("rng_state") for n in names):
        problems.append("no rng_state*.pth")
    for name in sorted(names):
        if name.endswith(".safetensors"):
            problems.append(safetensors_problem(path / name))
        elif name.endswith(TORCH_SUFFIXES):
            problems.append(torch_file_problem(path / name))
    return [p for p in problems if p]


def find_checkpoints(output_dir) -> list[CheckpointInfo]:
    """Lesson 05. Every `checkpoint-N` folder in `output_dir`, oldest first, with its problems."""
    out = []
    root = Path(output_dir)
    if not root.is_dir():
        return out
    for p in root.iterdir():
        tail = p.name[len(CHECKPOINT_PREFIX):]
        if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX) and tail.isdigit():
            out.append(CheckpointInfo(p, int(tail), tuple(checkpoint_problems(p))))
    return sorted(out, key=lambda c: c.step)


def set_aside(path: Path, problems) -> Path | None:
    """Lesson 05. Rename a broken checkpoint to `incomplete-checkpoint-N` (or `...-N.2`, ... when
    taken), with SET_ASIDE.txt listing `problems`; None if it is gone (another process moved it)."""
    dest = path.with_name(INCOMPLETE_PREFIX + path.name)
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{INCOMPLETE_PREFIX}{path.name}.{n}")
    try:
        path.rename(dest)
    except OSError:
        return None
    (dest / SET_ASIDE_NOTE).write_text("Set aside by course_utils (not deleted): it cannot be "
                                       "resumed from.\n" + "".join(f"- {p}\n" for p in problems))
    return dest


def last_complete_checkpoint(output_dir, *, report=print, move_aside: bool = False) -> Path | None:
    """Lesson 05. The newest complete checkpoint in `output_dir` (None if there is none).

    Newer broken ones are reported through `report`; with `move_aside=True` they are set aside
    (`set_aside`) so that neither the Trainer's own resume nor its checkpoint rotation picks them up.
    """
    for info in reversed(find_checkpoints(output_dir)):
        if info.complete:
            return info.path
        dest = set_aside(info.path, info.problems) if move_aside else None
        report(f"skipping {info.path.name}: " + "; ".join(info.problems)
               + (f" (moved to {dest.name})" if dest else ""))
    return None


# ----------------------------------------------------------------------------------------------
# Step 2: the run's shapes


def shape_problems(path, expected: dict[str, tuple[int, ...]]) -> list[str]:
    """Lesson 05. How a checkpoint's adapter and optimizer state differ from `expected`
    ({saved tensor name: shape}, from the model this run trains); empty: they match."""
    from safetensors import safe_open
    import torch

    path = Path(path)
    problems = []
    weights = path / "adapter_model.safetensors"
    if weights.is_file():
        with safe_open(str(weights), "pt") as f:
            got = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
        if got != expected:
            odd = sorted(set(got) ^ set(expected)) or [k for k in got if got[k] != expected[k]]
            problems.append(f"adapter_model.safetensors holds other tensors than this run's adapters "
                            f"({len(got)} vs {len(expected)}; e.g. {odd[:2]})")
    try:
        state = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True)
    except Exception as err:  # any failure to read it is the finding itself
        return problems + [f"optimizer.pt: cannot be loaded ({type(err).__name__}: {err})"]
    moments = [s.get("exp_avg", s.get("state1")) for s in state.get("state", {}).values()]
    n_params = sum(len(g["params"]) for g in state.get("param_groups", []))
    if n_params != len(expected):
        problems.append(f"optimizer.pt covers {n_params} tensors, this run trains {len(expected)}")
    elif all(m is not None for m in moments) and \
            Counter(tuple(m.shape) for m in moments) != Counter(expected.values()):
        problems.append("optimizer.pt: its moment shapes differ from this run's adapters")
    return problems


def verified_checkpoint(output_dir, expected: dict, *, move_aside: bool, report) -> Path | None:
    """Lesson 05. The newest checkpoint in `output_dir` that passes both checks (`expected`: this
    run's adapter shapes); each newer one that fails is reported and, with `move_aside`, set aside.
    None when none passes."""
    root = Path(output_dir)
    staging = root / STAGING_DIR
    if move_aside and staging.is_dir():
        for left in sorted(staging.iterdir()):
            report(f"ignoring {STAGING_DIR}/{left.name}: a checkpoint save that was cut short")
    skipped = False
    for info in reversed(find_checkpoints(root)):
        problems = list(info.problems) or shape_problems(info.path, expected)
        if not problems:
            if skipped:
                report(f"falling back to {info.path.name}, the newest checkpoint that passes the checks")
            return info.path
        skipped = True
        dest = set_aside(info.path, problems) if move_aside else None
        report(f"skipping {info.path.name}: " + "; ".join(problems)
               + (f" (moved to {dest.name})" if dest else ""))
    return None


def publish(staged: Path, dest: Path) -> None:
    """Lesson 05. Move a fully written checkpoint from the staging folder into place (a rename:
    `dest` appears complete or not at all, never half written)."""
    old = None
    if dest.exists():  # the same step saved again: swap, then delete the old copy
        old = staged.with_name("replaced-" + staged.name)
        if old.exists():
            shutil.rmtree(old)
        dest.rename(old)
    staged.rename(dest)
    if old is not None:
        shutil.rmtree(old)
    try:
        staged.parent.rmdir()  # the staging folder, once empty
    except OSError:
        pass


# ----------------------------------------------------------------------------------------------
# The resume decision


class RunFolderError(Exception):
    """Lesson 05. The output folder's state does not allow what was asked (the message says the fix)."""


class RunExists(RunFolderError, FileExistsError):
    """Lesson 05. A new run was asked for where an earlier one left checkpoints."""


class NothingToResume(RunFolderError, FileNotFoundError):
    """Lesson 05. resume=True, but the folder holds no checkpoint that passes the checks."""


class SettingsMismatch(RunFolderError, ValueError):
    """Lesson 05. A resume asked for other settings than the run was started with."""


class NotAFolder(RunFolderError, NotADirectoryError):
    """Lesson 05. The output path (or a folder above it) is a file."""


def output_path_problem(out: Path) -> str | None:
    """Lesson 05. Why `out` cannot be a run's output folder (None: it can, or can be created)."""
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            return (f"{p} is a file, so {out} cannot be a run folder; choose another output folder"
                    if p != out else f"{out} is a file, not a folder; choose another output folder")
    return None


def _settings_diff(out: Path, config: dict, report) -> None:
    saved = out / RUN_CONFIG
    old = json.loads(saved.read_text())
    diff = {k: (old.get(k), v) for k, v in config.items()
            if k not in RESUME_MAY_CHANGE and old.get(k) != v}
    if old.get("world_size") != config["world_size"]:
        report(f"note: {out} was trained with {old.get('world_size')} process(es), now "
               f"{config['world_size']}: it resumes, but not bit for bit")
    if diff:
        raise SettingsMismatch(f"{out} holds a run started with other settings {diff} (was, now); "
                               f"resume with the same settings, or pass another output folder / "
                               f"overwrite=True (command line: --overwrite)")


def plan_resume(out, resume, overwrite: bool, config: dict, *, report=lambda m: None,
                deletes: bool = True) -> Path | None:
    """Lesson 05. The checkpoint a run in `out` resumes from (None: a fresh start), decided
    before anything loads or changes on disk; raises a `RunFolderError` (or `DeletionRefused`
    under `overwrite`) whose message names the folder and the fix.

    resume: True (a complete checkpoint must exist), "auto" (continue when there is one) or
    False (refuse if there is one, unless `overwrite`, which `clear`s the earlier run's files).
    deletes=False: this process will not be the one clearing the folder (data parallel: only
    rank 0 does, and the other ranks may look after it has).
    """
    out = Path(out)
    problem = output_path_problem(out)
    if problem:
        raise NotAFolder(problem)
    if overwrite:
        if resume is True:
            raise ValueError("resume=True and overwrite=True contradict each other: choose one")
        why = refusal(out, RUN) if deletes else None
        if why:
            raise DeletionRefused(why)
        return None
    ckpt = last_complete_checkpoint(out, report=lambda m: None)
    if resume in (True, "auto") and ckpt is not None and (out / RUN_CONFIG).is_file():
        _settings_diff(out, config, report)
        return ckpt
    if resume is True:
        raise NothingToResume(f"resume=True (command line: --resume) but {out} holds no complete "
                              f"checkpoint to resume from; start a new run without it")
    if ckpt is not None:
        raise RunExists(f"{out} already holds {ckpt.name} from an earlier run. Continue it with "
                        f"resume=True (command line: --resume), start again with overwrite=True "
                        f"(--overwrite), or pick another output folder")
    return None


def record_run(out: Path, config: dict) -> None:
    """Lesson 05. Write `run_config.json` atomically (other processes may be reading the old one)."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (RUN_CONFIG + ".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    os.replace(tmp, out / RUN_CONFIG)
