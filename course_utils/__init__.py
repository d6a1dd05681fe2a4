"""course_utils: the package behind the "Fine-tune an LLM for real" notebooks.

The folders are the layers, lowest first (``tests/test_layering.py`` enforces them):

    _lazy, paths, noise, errors, tasks, sysinfo        the ground floor: no torch, no course imports above
    plan/       lessons 01-03: prices, costs, decisions, GPU memory          (no torch)
    dataset/    lesson 04: generate, load, curate, split, chat-format data   (no torch)
    model/      profiles, presets, the one loader, the embedded tiny model
    training/   lesson 05: QLoRA training, checkpoints, preemption
    evaluate/   lesson 06: metrics, statistics, baselines, experiments
    serve/      lesson 07: many adapters on one base, the OpenAI-style server, vLLM, merging
    exercises/  the lessons' exercise checks
    widgets/    the ipywidgets calculators
    tools/      running and stripping the notebooks (the top: may import any layer)

The public API is every name in ``__all__``: ``from course_utils import load_model, curate``.
Names load lazily (PEP 562), so ``import course_utils`` and every plan/dataset name import
neither torch nor transformers; each layer lists its names once in its ``EXPORTS``.
Importing this package has no side effects. The full list, with one line each: docs/api.md.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Layers whose EXPORTS make up the public API, lowest first.
LAYERS = ("plan", "dataset", "model", "training", "evaluate", "serve", "exercises", "widgets", "tools")

# Public names of the ground-floor modules (course_utils/<module>.py).
GROUND = {
    "REPO_ROOT": "paths",
    "TINY_MODEL_DIR": "paths",
    "quiet": "noise",
    "package_versions": "sysinfo",
    "resources": "sysinfo",
    "version_mismatches": "sysinfo",
    "where_am_i": "sysinfo",
    "ALL_TASKS": "tasks",
    "MODERATION_LABELS": "tasks",
    "SYSTEM_PROMPTS": "tasks",
    "TASKS": "tasks",
    "TRIAGE_FIELDS": "tasks",
    "answer_problems": "tasks",
    "DataFileError": "errors",
}


def _exports() -> dict[str, str]:
    """name -> the ground-floor module or layer package that exports it (no name twice)."""
    table: dict[str, str] = dict(GROUND)
    for layer in LAYERS:
        for name in importlib.import_module(f"{__name__}.{layer}").EXPORTS:
            if name in table:
                raise ImportError(f"course_utils: {name!r} is exported by both {table[name]} and {layer}")
            table[name] = layer
    return table


_EXPORTS = _exports()
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value   # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(__all__) | {"LAYERS", "__version__"})
