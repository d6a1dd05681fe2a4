"""Where the course's files live. Pure: imports nothing heavy, touches no files.

What this leaves out: creating or cleaning folders (the code that writes a folder owns that)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = REPO_ROOT / "data"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
TINY_MODEL_DIR = DATA_DIR / "tiny_model"
BUILD_DIR = REPO_ROOT / "build"
RUNS_DIR = REPO_ROOT / "runs"   # git-ignored: training runs and adapters of lessons 05-07


def run_dir(lesson: str, name: str) -> Path:
    """Lesson 05. Where a lesson keeps a run: ``runs/<lesson>_<name>`` (e.g. runs/05_tiny)."""
    return RUNS_DIR / f"{lesson}_{name}"


def data_path(*parts: str) -> Path:
    """Path of a file under the course's `data/` folder."""
    return DATA_DIR.joinpath(*parts)
