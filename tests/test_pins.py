"""One set of pins: requirements.txt, requirements-lock.txt, environment.yml and the install
cell of notebooks/00_setup.ipynb must agree, and torch is pinned to 2.13.0 where it is pinned."""

import json
import re

import pytest

from course_utils.paths import NOTEBOOKS_DIR, REPO_ROOT
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


def test_colab_install_cell_mirrors_requirements(direct):
    nb = json.loads((NOTEBOOKS_DIR / "00_setup.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    install = [c for c in cells if "PINS" in c]
    assert len(install) == 1, "00_setup.ipynb must have exactly one install cell with PINS"
    cell = pins_in(install[0])
    # torch appears only as the fallback for a machine with no torch at all (guarded in the cell)
    assert cell.pop("torch", "2.13.0") == "2.13.0"
    assert 'find_spec("torch") is None' in install[0], "a CUDA torch must be kept as it is"
    assert cell == direct, f"install cell differs: {set(cell.items()) ^ set(direct.items())}"
