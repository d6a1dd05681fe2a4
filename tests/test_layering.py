"""The architecture, checked: the folders are layers, and imports only go down.

The whole import graph of course_utils is read with `ast`, top-level *and* inside functions
(an import inside a function is still a dependency). The test fails on:
  - a module that imports a module of a higher layer;
  - an import circle, at any depth;
  - a module of the package that no layer lists, or a layer entry that does not exist;
  - a package module that imports the public facade (`from course_utils import name`), except
    the tools at the top (the API-doc generator reads it);
  - a pure layer (ground, plan, dataset) that loads torch, transformers, peft, trl or
    bitsandbytes, or prints, when imported.
CONTRIBUTING.md draws the same table.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.paths import PACKAGE_DIR

# Lowest first. A module may import modules of its own layer or of a lower one. An entry is a
# module or a package (every module under it). Written once, here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", ("course_utils._lazy", "course_utils.paths", "course_utils.noise",
                "course_utils.errors", "course_utils.files", "course_utils.tasks", "course_utils.sysinfo")),
    ("plan", ("course_utils.plan",)),
    ("dataset", ("course_utils.dataset",)),
    ("model", ("course_utils.model",)),
    ("training", ("course_utils.training",)),
    ("evaluate", ("course_utils.evaluate",)),
    ("serve", ("course_utils.serve",)),
    ("exercises", ("course_utils.exercises",)),
    ("widgets", ("course_utils.widgets",)),
    ("tools", ("course_utils.tools",)),
    ("entry points", ("course_utils.train", "course_utils.preflight", "course_utils.gpu_check")),
]
FACADE = "course_utils"          # course_utils/__init__.py: lazy re-exports, imported by no module
PURE_LAYERS = ("ground", "plan", "dataset")
HEAVY = ("torch", "transformers", "peft", "trl", "bitsandbytes")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: Path = PACKAGE_DIR) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported course_utils module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "course_utils"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            if base.split(".")[0] != "course_utils":
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub if sub in modules else base, node.lineno))
    return out


def layer_of(module: str) -> int | None:
    for rank, (_, entries) in enumerate(LAYERS):
        if any(module == e or module.startswith(e + ".") for e in entries):
            return rank
    return None


def graph(modules: dict[str, Path]) -> dict[str, list[tuple[str, int]]]:
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(edges: dict[str, list[tuple[str, int]]]) -> list[str] | None:
    """One import circle as a path [a, b, ..., a], or None (iterative DFS, three colours)."""
    colour = dict.fromkeys(edges, 0)
    for start in edges:
        if colour[start]:
            continue
        stack = [(start, iter(edges[start]))]
        path = [start]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next((t for t, _ in it if t in edges), None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(edges[nxt])))
                path.append(nxt)
    return None


def violations(modules: dict[str, Path]) -> list[str]:
    problems = []
    for name, deps in graph(modules).items():
        if name == FACADE:
            continue
        rank = layer_of(name)
        for target, line in deps:
            where = f"{modules[name].relative_to(PACKAGE_DIR.parent)}:{line}"
            if target == FACADE and not (rank is not None and LAYERS[rank][0] == "tools"):
                problems.append(f"{where}: imports the public facade `course_utils`; import the "
                                f"defining module instead")
                continue
            if target == FACADE:
                continue                      # the tools (docs generator) may read the facade
            if target not in modules:
                problems.append(f"{where}: imports {target}, which does not exist")
                continue
            trank = layer_of(target)
            if rank is not None and trank is not None and trank > rank:
                problems.append(f"{where}: {name} ({LAYERS[rank][0]}) imports {target} "
                                f"({LAYERS[trank][0]}), a higher layer")
    return problems


# --- the tests ---------------------------------------------------------------------------------

def test_every_listed_layer_entry_exists():
    modules = all_modules()
    missing = [e for _, entries in LAYERS for e in entries if e not in modules]
    assert not missing, f"LAYERS lists modules that do not exist: {missing}"


def test_every_module_belongs_to_a_layer():
    unlisted = [m for m in all_modules() if m != FACADE and layer_of(m) is None]
    assert not unlisted, f"add these modules to LAYERS in tests/test_layering.py: {unlisted}"


def test_imports_only_go_down_and_never_through_the_facade():
    problems = violations(all_modules())
    assert not problems, "\n".join(problems)


def test_no_import_circles_even_inside_functions():
    cycle = find_cycle(graph(all_modules()))
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_checker_finds_a_circle_and_an_upward_import(tmp_path):
    """The checks above can fail: a package with a circle (a -> b -> a, one import inside a
    function) and an upward import (plan -> serve) is caught."""
    pkg = tmp_path / "course_utils"
    for folder in ("", "plan", "serve"):
        (pkg / folder).mkdir(exist_ok=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "plan" / "a.py").write_text("from course_utils.plan import b\n")
    (pkg / "plan" / "b.py").write_text("def f():\n    from course_utils.plan.a import x\n")
    (pkg / "plan" / "c.py").write_text("import course_utils.serve.engine\n")
    (pkg / "serve" / "engine.py").write_text("")
    global PACKAGE_DIR
    saved, PACKAGE_DIR = PACKAGE_DIR, pkg
    try:
        modules = all_modules(pkg)
        assert find_cycle(graph(modules)) in (["course_utils.plan.a", "course_utils.plan.b", "course_utils.plan.a"],
                                              ["course_utils.plan.b", "course_utils.plan.a", "course_utils.plan.b"])
        assert any("(plan) imports course_utils.serve.engine (serve)" in p for p in violations(modules))
    finally:
        PACKAGE_DIR = saved


def pure_modules() -> list[str]:
    ranks = [i for i, (n, _) in enumerate(LAYERS) if n in PURE_LAYERS]
    return [m for m in all_modules() if layer_of(m) in ranks]


def test_pure_layers_import_nothing_heavy_and_print_nothing():
    probe = f"import sys, importlib; importlib.import_module(sys.argv[1]); " \
            f"print(sorted(h for h in {HEAVY!r} if h in sys.modules))"
    bad = []
    for m in pure_modules():     # one fresh interpreter each, so one module cannot hide another
        out = subprocess.run([sys.executable, "-c", probe, m], capture_output=True, text=True, timeout=60)
        if out.returncode or out.stdout != "[]\n":
            bad.append(f"{m}: {out.stdout.strip()} {out.stderr.strip()[-300:]}")
    assert not bad, "\n".join(bad)


def test_the_public_api_loads_plan_and_dataset_names_without_torch():
    import course_utils

    pure = [n for n, where in course_utils._EXPORTS.items()
            if where in ("plan", "dataset") or where in course_utils.GROUND.values()]
    code = ("import sys, io, contextlib, course_utils\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            f"    [getattr(course_utils, n) for n in {pure!r}]\n"
            f"print(sorted(h for h in {HEAVY!r} if h in sys.modules), repr(buf.getvalue()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] ''", out.stdout


def test_every_public_name_resolves_and_is_listed_once():
    import course_utils

    assert len(course_utils.__all__) == len(set(course_utils.__all__))
    for name in course_utils.__all__:
        assert getattr(course_utils, name) is not None, name


@pytest.mark.parametrize("required", [
    "load_model", "choose_profile", "lora_param_count", "estimate_training_memory",
    "estimate_inference_memory", "managed_training_cost", "gpu_training_cost",
    "monthly_hosting_cost", "recommend", "load_jsonl", "load_split", "make_raw", "curate",
    "redact_text", "split", "train", "triage_scores", "moderation_scores", "policy_scores",
    "macro_f1", "bootstrap_ci", "paired_test", "gate", "MultiAdapterModel", "start_server"])
def test_the_names_lessons_rely_on_are_public(required):
    import course_utils

    assert required in course_utils.__all__


ENTRY_POINTS = ("train", "preflight", "gpu_check")   # run with `python -m`, never imported in a session


def test_no_public_name_is_also_a_module_name():
    """`from course_utils import quiet` must give the function even after `course_utils.quiet`
    (a module) was imported somewhere, which sets the attribute to the module: so no public
    name may equal a module name beside it. The entry-point packages are run with -m only."""
    import importlib

    import course_utils

    clashes = []
    top = {m.split(".")[1] for m in all_modules() if m.count(".") >= 1}
    clashes += [n for n in course_utils.__all__ if n in top and n not in ENTRY_POINTS]
    for layer in course_utils.LAYERS:
        pkg = importlib.import_module(f"course_utils.{layer}")
        subs = {m.split(".")[2] for m in all_modules() if m.startswith(f"course_utils.{layer}.")}
        clashes += [f"{layer}.{n}" for n in pkg.EXPORTS if n in subs]
    assert not clashes, f"public names that are also module names: {clashes}"
