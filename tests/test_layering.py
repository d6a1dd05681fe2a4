"""The layers of STYLE.md: pure modules import no torch/transformers/peft, importing the package
has no side effects, and no module imports one above it."""

import ast
import subprocess
import sys

import pytest

from course_utils.paths import PACKAGE_DIR

PURE = ["course_utils", "course_utils.paths", "course_utils.model.profiles", "course_utils.sysinfo",
        "course_utils.model.tiny.corpus", "course_utils.plan.costs", "course_utils.plan.decide",
        "course_utils.plan.prices", "course_utils.plan.memory", "course_utils.dataset.datagen",
        "course_utils.dataset.curation", "course_utils.dataset.load"]
HEAVY = ("torch", "transformers", "peft", "trl", "bitsandbytes")


@pytest.mark.parametrize("module", [m for m in PURE if (PACKAGE_DIR.parent / (m.replace(".", "/") + ".py")).exists()
                                    or m == "course_utils"])
def test_pure_module_imports_nothing_heavy_and_prints_nothing(module):
    code = (f"import sys, {module}\n"
            f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
            f"assert not heavy, heavy\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"{module} imports {out.stderr.strip().splitlines()[-1]}"
    assert out.stdout == "", f"importing {module} printed {out.stdout!r}"


def test_no_module_top_level_imports_widgets_or_notebook_tools():
    # widgets sit on top: nothing else in course_utils may import them at module level
    for path in PACKAGE_DIR.rglob("*.py"):
        if "widgets" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and "widgets" in node.module:
                pytest.fail(f"{path.name} imports {node.module} at module level")
