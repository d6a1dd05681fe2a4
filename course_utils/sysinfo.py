"""What this machine is: package versions, hardware, disk and memory. Lesson 00.

Reads versions from package metadata (nothing heavy is imported) so it also works before the
stack is installed; hardware facts come from `course_utils.model.profiles.detect_hardware`.
"""

from __future__ import annotations

import platform
import shutil
import sys
from importlib import metadata

from course_utils.paths import REPO_ROOT

KEY_PACKAGES = ("torch", "transformers", "peft", "trl", "bitsandbytes", "accelerate",
                "datasets", "tokenizers", "safetensors", "huggingface_hub", "ipywidgets",
                "matplotlib", "jupyterlab")


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package, or 'not installed'."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def pinned_versions(requirements=REPO_ROOT / "requirements.txt") -> dict[str, str]:
    """The exact pins of requirements.txt, as {normalised name: version}."""
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[normalise(name)] = version.strip()
    return pins


def normalise(name: str) -> str:
    """PEP 503 name normalisation (Foo_Bar → foo-bar)."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def version_mismatches() -> list[str]:
    """Installed packages whose version differs from the course's pins (torch aside)."""
    out = []
    for name, want in pinned_versions().items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            out.append(f"{name}: not installed (course pins {want})")
            continue
        if have != want:
            out.append(f"{name}: {have} installed, course pins {want}")
    return out


def resources(path=REPO_ROOT) -> dict[str, float]:
    """Free disk (at `path`) and memory, in GB."""
    import psutil

    disk = shutil.disk_usage(path)
    mem = psutil.virtual_memory()
    return {"disk_free_gb": round(disk.free / 1e9, 1), "disk_total_gb": round(disk.total / 1e9, 1),
            "ram_available_gb": round(mem.available / 1e9, 1), "ram_total_gb": round(mem.total / 1e9, 1),
            "cpu_cores": float(psutil.cpu_count() or 1)}


def where_am_i() -> str:
    """'colab', 'runpod', 'kaggle' or 'local'."""
    import os

    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "colab"
    if os.environ.get("RUNPOD_POD_ID"):
        return "runpod"
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        return "kaggle"
    return "local"
