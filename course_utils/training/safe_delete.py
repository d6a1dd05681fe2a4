"""Lesson 05: the one rule for deleting what the course wrote, so that "start again" can never
destroy a learner's work.

A folder is cleared only when all of this holds, checked before anything is deleted:

1. it carries the marker file of the code that made it (a training run: `run_config.json`, a JSON
   object with the run's settings), so a folder the course did not make is never touched;
2. it is none of the places whose loss would hurt, nor a folder above one of them: the filesystem
   root, the home folder, the course repository, its `runs/` folder, the current working folder
   (all compared after resolving symbolic links); and it is not itself a symbolic link;

and then only the entries that code writes (`Maker.made`, name patterns) are removed: anything
else in the folder (a learner's notes, a later lesson's marker files) stays where it is. A refusal
raises `DeletionRefused`, naming the folder and the reason, and deletes nothing. An entry that is a
symbolic link is removed as a link; what it points to is never followed.

`RUN` describes a training run's folder; `clear(folder, RUN)` is what `train(overwrite=True)` and
`python -m course_utils.train --overwrite` do. Other code that replaces a folder it wrote (an
adapter cache, a merged-model export, a build folder) describes its own `Maker` and calls the same
two functions.

What this leaves out: files another process is writing while the folder is cleared (the course
never clears a folder a run is still using), and undo: nothing is moved to a trash folder.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from course_utils.paths import REPO_ROOT, RUNS_DIR


class DeletionRefused(PermissionError):
    """Lesson 05. `clear` would delete something the course cannot prove it made; nothing was deleted."""


@dataclass(frozen=True)
class Maker:
    """Lesson 05. Code that writes a folder: its name for messages, its marker file, the names it writes."""

    what: str                          # e.g. "a training run"
    marker: str                        # a file it always writes, e.g. "run_config.json"
    made: tuple[str, ...]              # fnmatch patterns of the entries it writes (marker included)
    marker_keys: tuple[str, ...] = ()  # when set, the marker is a JSON object holding these keys

    def owns(self, entry: Path) -> bool:
        """True when `entry` (a file or folder directly in the folder) is one this code writes."""
        return any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in self.made)


RUN = Maker(
    what="a course training run",
    marker="run_config.json",
    made=("run_config.json", "run_config.json.tmp",      # the settings the run was started with
          "checkpoint-*", "incomplete-checkpoint-*",    # checkpoints, and broken ones set aside
          ".staging",                                   # checkpoints being written
          "adapter", "runs",                            # the final adapter, TensorBoard events
          "log_history.json", "run_summary.json",
          "README.md"),                                 # TRL's model card, rewritten at every checkpoint
    marker_keys=("preset", "quantization", "targets", "r"),
)


def _protected() -> list[tuple[Path, str]]:
    places = [(Path(os.sep), "the filesystem root"), (Path.home(), "your home folder"),
              (REPO_ROOT, "the course repository"), (RUNS_DIR, "the course's runs/ folder"),
              (Path.cwd(), "the current folder")]
    return [(p.resolve(), label) for p, label in places]


def _marker_problem(folder: Path, maker: Maker) -> str | None:
    marker = folder / maker.marker
    if marker.is_symlink() or not marker.is_file():
        return f"it holds no {maker.marker}, which {maker.what} always writes"
    if maker.marker_keys:
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            return f"its {maker.marker} is not the one {maker.what} writes (not JSON: {err})"
        missing = [k for k in maker.marker_keys if not isinstance(record, dict) or k not in record]
        if missing:
            return f"its {maker.marker} is not the one {maker.what} writes (no {', '.join(missing)})"
    return None


def refusal(folder, maker: Maker = RUN) -> str | None:
    """Lesson 05. Why `clear(folder, maker)` would refuse (None: it may go ahead).

    A folder that does not exist, or an empty one, has nothing to lose: None.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return None
    if folder.is_symlink():
        return f"{folder} is a symbolic link; the course deletes only folders it made, never through a link"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    real = folder.resolve()
    for place, label in _protected():
        if real == place or real in place.parents:
            where = label if real == place else f"a folder above {label}"
            return (f"{folder} is {where} ({place}), which the course never clears; nothing was "
                    f"deleted. Use a folder of its own")
    if not any(folder.iterdir()):
        return None
    problem = _marker_problem(folder, maker)
    if problem:
        return (f"{folder} was not made by {maker.what}: {problem}. Nothing was deleted; choose "
                f"a new folder, or empty this one yourself if you are sure")
    return None


def clear(folder, maker: Maker = RUN) -> list[Path]:
    """Lesson 05. Delete the entries of `folder` that `maker` wrote; return the ones kept.

    Raises `DeletionRefused` (deleting nothing) when `refusal(folder, maker)` gives a reason.
    """
    folder = Path(folder)
    why = refusal(folder, maker)
    if why:
        raise DeletionRefused(why)
    if not folder.is_dir():
        return []
    kept = []
    for entry in sorted(folder.iterdir()):
        if not maker.owns(entry):
            kept.append(entry)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return kept
