"""The plan layer's packages (`costs`, `memory`) and the layer itself point every public name
at the module that defines it, and no submodule shadows a name of its package."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("package", ["course_utils.plan", "course_utils.plan.costs",
                                     "course_utils.plan.memory"])
def test_every_export_is_defined_where_exports_say(package):
    pkg = importlib.import_module(package)
    for name, module in pkg.EXPORTS.items():
        home = importlib.import_module(f"{package}.{module}")  # loads it: a submodule may now shadow
        obj = getattr(pkg, name)
        assert not inspect.ismodule(obj), f"{package}.{name} is a module, not the public name"
        assert obj is getattr(home, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__module__ == home.__name__, f"{name} is defined in {obj.__module__}"


def test_the_old_module_paths_still_read():
    from course_utils.plan import costs, memory
    from course_utils.plan.memory import GB, MemoryInputError, estimate_training_memory

    assert memory.estimate_training_memory is estimate_training_memory
    assert issubclass(MemoryInputError, ValueError) and GB == 1e9
    assert costs.money(costs.Range(1, 2)) == "$1.00–$2.00"
