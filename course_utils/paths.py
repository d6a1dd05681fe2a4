"""Where the course's files live. Pure: imports nothing heavy, touches no files."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = REPO_ROOT / "data"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
TINY_MODEL_DIR = DATA_DIR / "tiny_model"
BUILD_DIR = REPO_ROOT / "build"


def data_path(*parts: str) -> Path:
    """Path of a file under the course's `data/` folder."""
    return DATA_DIR.joinpath(*parts)
