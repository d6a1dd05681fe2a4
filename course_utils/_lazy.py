"""Lazy public names for a package: `from course_utils import curate` imports only the module
that defines `curate`, so a calculator lesson never pays for torch.

Each layer package lists its public names once, as ``EXPORTS = {"name": "submodule", ...}``,
and gets its module-level ``__getattr__`` / ``__dir__`` from `lazy_exports`. PEP 562 is the
mechanism (module ``__getattr__``), the same one SciPy and scikit-image use for lazy loading.

What this leaves out: re-exporting submodules themselves (import them by their full name).
"""

from __future__ import annotations

import importlib
import sys
from typing import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable, Callable]:
    """Return ``(__getattr__, __dir__)`` for `package`, resolving ``exports[name]`` on first use."""

    def __getattr__(name: str):
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        sys.modules[package].__dict__[name] = value   # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__
