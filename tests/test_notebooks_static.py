"""Static checks of every notebook: committed clean, runnable under nbmake, badge and bootstrap right."""

import json
import re
import tomllib

import pytest

from course_utils.tools.nbtools import dirty_cells
from course_utils.paths import NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOKS = sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb"))
REPO_URL = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
BOOTSTRAP = (REPO_ROOT / "CONTRIBUTING.md").read_text().split("```python\n", 1)[1].split("```", 1)[0].strip()


def _nb(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _sources(nb, kind):
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_there_are_notebooks_and_they_sort_in_lesson_order():
    names = [p.name for p in NOTEBOOKS]
    assert names and names[0] == "00_setup.ipynb"
    assert all(n[:2].isdigit() and n[2] == "_" for n in names), names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    dirty = dirty_cells(_nb(path))
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_is_python3(path):
    assert _nb(path)["metadata"]["kernelspec"]["name"] == "python3", (
        f"{path.name}: nbmake runs kernel 'python3'; set the notebook's kernelspec name to it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_has_title_and_colab_badge_for_this_file(path):
    first = _sources(_nb(path), "markdown")[0]
    assert first.startswith(f"# {path.name[:2]} · "), f"{path.name}: first line must be '# NN · Title'"
    badge = f"https://colab.research.google.com/github/{REPO_URL.split('github.com/')[1]}/blob/main/notebooks/{path.name}"
    assert badge in first, f"{path.name}: the Colab badge must point at {badge}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_lessons_start_with_the_bootstrap_cell(path):
    first_code = _sources(_nb(path), "code")[0].strip()
    assert first_code == BOOTSTRAP, f"{path.name}: the first code cell must be the bootstrap of CONTRIBUTING.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_tokens_or_machine_paths(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"hf_[A-Za-z0-9]{30,}", text), f"{path.name} contains what looks like a Hub token"
    for bad in ("/work/", "/root/", "/home/", "/Users/"):
        assert bad not in text, f"{path.name} contains the machine path {bad!r}"


IMPORT_LINE = re.compile(r"^\s*(?:from\s+(course_utils[\w.]*)\s+import|import\s+(course_utils[\w.]*))", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lessons_import_only_the_public_api(path):
    """Notebooks use `from course_utils import ...` (the names of docs/api.md), never a module
    path inside the package and never a short module alias."""
    code = "\n".join(_sources(_nb(path), "code"))
    deep = [m.group(1) or m.group(2) for m in IMPORT_LINE.finditer(code) if (m.group(1) or m.group(2)) != "course_utils"]
    assert not deep, f"{path.name} imports {deep}: import the names from `course_utils` instead"
    aliases = re.findall(r"^\s*import\s+[\w.]+\s+as\s+([A-Za-z])\b", code, re.M)
    aliases += re.findall(r"^\s*from\s+[\w.]+\s+import\s+[\w]+\s+as\s+([A-Za-z])\b", code, re.M)
    assert not aliases, f"{path.name} uses single-letter module aliases {aliases}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_name_a_lesson_imports_is_public(path):
    import course_utils

    code = "\n".join(_sources(_nb(path), "code"))
    names = []
    for m in re.finditer(r"from course_utils import (?:\(([^)]*)\)|([^(\n]+))", code):
        found = (m.group(1) or m.group(2)).split("#")[0] if m.group(2) else m.group(1)
        names += [n.strip().split(" as ")[0] for n in found.replace("\n", ",").split(",") if n.strip()]
    missing = [n for n in names if n not in course_utils.__all__]
    assert names and not missing, f"{path.name} imports {missing}, which are not in course_utils.__all__"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_have_ids_where_the_format_requires_them(path):
    """nbformat 4.5 requires a cell id (missing ones become an error in future nbformat)."""
    nb = _nb(path)
    if (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5):
        missing = [i for i, c in enumerate(nb["cells"]) if not c.get("id")]
        assert not missing, f"{path.name}: cells {missing} have no id; add one (nbformat.validator.normalize)"
