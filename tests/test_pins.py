"""One set of pins: requirements.txt, requirements-lock.txt, environment.yml and the install
cell of notebooks/00_setup.ipynb must agree, and torch is pinned to 2.13.0 where it is pinned.

The install cell is for Colab and RunPod, whose runtime already runs Jupyter: it installs what
the lessons and course_utils import while they run, and nothing else (no Jupyter server, no
test tools), read from the code itself with `ast`."""

import ast
import importlib.metadata
import json
import re
import sys
import tomllib

import pytest

from course_utils.paths import NOTEBOOKS_DIR, PACKAGE_DIR, REPO_ROOT
from course_utils.sysinfo import normalise, pinned_versions

PIN = re.compile(r"""["']?([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)["']?""")


def pins_in(text: str) -> dict[str, str]:
    return {normalise(n): v for n, v in PIN.findall(text)}


@pytest.fixture(scope="module")
def direct():
    pins = pinned_versions()
    assert len(pins) >= 15, "requirements.txt lost its pins"
    return pins


def test_every_direct_pin_is_exact_and_torch_is_not_in_it(direct):
    lines = [l.split("#")[0].strip() for l in (REPO_ROOT / "requirements.txt").read_text().splitlines()]
    lines = [l for l in lines if l]
    assert all("==" in l for l in lines), [l for l in lines if "==" not in l]
    assert "torch" not in direct  # the CUDA torch of Colab/RunPod must be left alone
    for must in ("jupyterlab", "ipywidgets", "transformers", "peft", "trl", "bitsandbytes",
                 "datasets", "matplotlib", "nbmake"):
        assert must in direct, f"{must} is not pinned in requirements.txt"


def test_lock_agrees_with_requirements_and_pins_torch(direct):
    lock = pins_in((REPO_ROOT / "requirements-lock.txt").read_text())
    assert lock.get("torch") == "2.13.0"
    wrong = {n: (v, lock.get(n)) for n, v in direct.items() if lock.get(n) != v}
    assert not wrong, f"requirements.txt vs requirements-lock.txt (name: (direct, lock)): {wrong}"


def test_environment_yml_mirrors_requirements(direct):
    env = pins_in((REPO_ROOT / "environment.yml").read_text())
    assert env.pop("torch", None) == "2.13.0"
    assert env == direct, f"environment.yml differs: {set(env.items()) ^ set(direct.items())}"


def test_setup_script_installs_the_same_torch():
    script = (REPO_ROOT / "scripts" / "setup_env.sh").read_text()
    assert 'TORCH_PIN="torch==2.13.0"' in script


def code_cells(path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def install_cell() -> str:
    install = [c for c in code_cells(NOTEBOOKS_DIR / "00_setup.ipynb") if "PINS" in c]
    assert len(install) == 1, "00_setup.ipynb must have exactly one install cell with PINS"
    return install[0]


@pytest.fixture(scope="module")
def cell_pins(install_cell) -> dict[str, str]:
    """The install cell's PINS (its torch fallback left out)."""
    return pins_in(install_cell.split("PINS = [", 1)[1].split("]", 1)[0])


def test_colab_install_cell_pins_what_requirements_pins(direct, install_cell, cell_pins):
    # torch appears only as the fallback for a machine with no torch at all (guarded in the cell)
    assert pins_in(install_cell.split("PINS = [", 1)[0]) == {"torch": "2.13.0"}
    assert 'find_spec("torch") is None' in install_cell, "a CUDA torch must be kept as it is"
    wrong = {n: (v, direct.get(n)) for n, v in cell_pins.items() if direct.get(n) != v}
    assert not wrong, f"install cell vs requirements.txt (name: (cell, requirements)): {wrong}"


def test_colab_install_cell_keeps_the_runtime_torch_and_turns_widgets_on(install_cell):
    assert "torch=={importlib.metadata.version('torch')}" in install_cell
    assert '["-c", keep]' in install_cell, "pip must install the pins under the torch constraint"
    assert "enable_custom_widget_manager()" in install_cell
    assert "from google.colab import output" in install_cell and "except ImportError" in install_cell, (
        "the widget manager is Colab's only: elsewhere the import fails and is skipped")


def test_colab_install_cell_clones_the_repository_of_pyproject(install_cell):
    repo = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert re.findall(r'REPO_URL = "([^"]+)"', install_cell) == [repo]
    assert "REPO_URL, repo]" in install_cell, "the clone must use REPO_URL"


# --- what the lessons import at run time -------------------------------------------------------

# Distributions needed at run time that nothing imports by name, and why.
NEEDED_WITHOUT_IMPORT = {"accelerate": "transformers' Trainer refuses to start without it",
                         "gguf": "transformers reads the smol model's GGUF file with it (gguf_file=...)"}
# Imported, but the runtime's own: never installed by the cell.
THE_RUNTIMES_OWN = {"torch": "the image's CUDA build", "google": "Colab's own package (google.colab)"}
# Developer tools, not lessons: `make course`, `make strip`, docs/api.md, the HTML site.
NOT_RUN_BY_LESSONS = ("tools",)


def top_level_imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def run_time_imports() -> dict[str, set[str]]:
    """Third-party top-level module -> the files importing it: every lesson notebook's code
    cells and every module of course_utils except the developer tools."""
    where: dict[str, set[str]] = {}
    sources = [(p.name, c) for p in sorted(NOTEBOOKS_DIR.glob("*.ipynb")) for c in code_cells(p)]
    sources += [(str(p.relative_to(REPO_ROOT)), p.read_text(encoding="utf-8"))
                for p in sorted(PACKAGE_DIR.rglob("*.py"))
                if p.relative_to(PACKAGE_DIR).parts[0] not in NOT_RUN_BY_LESSONS]
    for name, source in sources:
        source = "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))
        for module in top_level_imports(ast.parse(source)):
            if module not in sys.stdlib_module_names and module != "course_utils":
                where.setdefault(module, set()).add(name)
    return where


def dependency_closure(dists) -> set[str]:
    """`dists` and everything they require (installed metadata, extras left out)."""
    seen, todo = set(), [normalise(d) for d in dists]
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            requires = importlib.metadata.requires(dist) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [normalise(re.split(r"[<>=!~;\[ (]", r, maxsplit=1)[0])
                 for r in requires if "extra ==" not in r]
    return seen


def test_the_install_cell_installs_what_the_lessons_import_and_nothing_else(cell_pins):
    owners = importlib.metadata.packages_distributions()
    imports = run_time_imports()
    assert {"transformers", "peft", "matplotlib", "ipywidgets", "yaml"} <= set(imports), imports
    needed, unknown = {}, []
    for module, files in sorted(imports.items()):
        if module in THE_RUNTIMES_OWN:
            continue
        if module not in owners:
            unknown.append(f"{module} (imported by {sorted(files)[:3]}) is not installed here")
            continue
        for dist in owners[module]:
            needed[normalise(dist)] = module
    assert not unknown, unknown
    covered = dependency_closure(cell_pins)
    missing = {d: f"import {m}" for d, m in needed.items() if d not in covered}
    assert not missing, f"the install cell does not install what these imports need: {missing}"
    extra = set(cell_pins) - set(needed) - set(NEEDED_WITHOUT_IMPORT)
    assert not extra, (f"the install cell installs {sorted(extra)}, which no lesson and no module "
                       "of course_utils imports at run time (Jupyter and test tools stay out of it)")
    for dev_tool in ("jupyterlab", "ipykernel", "nbmake", "pytest"):
        assert dev_tool not in cell_pins


def test_the_lessons_bootstrap_installs_what_the_00_cell_installs(direct, cell_pins):
    """requirements-runtime.txt (what the lessons' bootstrap installs through
    scripts/install_runtime.py) equals the 00 install cell's PINS: no Jupyter server, no test tools."""
    runtime = pins_in((REPO_ROOT / "requirements-runtime.txt").read_text())
    assert runtime == cell_pins
    assert not {"jupyterlab", "ipykernel", "nbmake", "pytest", "hypothesis"} & set(runtime)
    script = (REPO_ROOT / "scripts" / "install_runtime.py").read_text()
    assert "requirements-runtime.txt" in script and '"-c", keep' in script
    assert 'TORCH_PIN = "torch==2.13.0"' in script


def test_every_installer_installs_the_smol_package_the_loader_expects(install_cell):
    from course_utils.model.smol import DIST, VERSION

    pin = f"{DIST}=={VERSION}"
    bootstrap = (REPO_ROOT / "scripts" / "install_runtime.py").read_text(encoding="utf-8")
    setup = (REPO_ROOT / "scripts" / "setup_env.sh").read_text(encoding="utf-8")
    for name, text in (("the 00 install cell", install_cell), ("scripts/install_runtime.py", bootstrap),
                       ("scripts/setup_env.sh", setup)):
        assert f'"{pin}"' in text, f"{name} does not install {pin} (course_utils/model/smol.py)"
        assert "--no-deps" in text, f"{name} must install {DIST} with --no-deps (its dependencies compile)"
