"""The course runner (`make course`): notebooks in lesson order, kernels that start without
ipykernel's "running over TCP without encryption" warning, and each notebook's minutes (printed;
recorded and written into the README only when asked)."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from course_utils.tools import course_runner
from course_utils.tools.course_runner import lesson_notebooks, run_notebook

WARNING = "without encryption"


def test_lesson_notebooks_in_order_and_filtered():
    books = lesson_notebooks()
    assert [p.name[:2] for p in books] == sorted(p.name[:2] for p in books)
    assert [p.name[:2] for p in lesson_notebooks(only=["03", "01"])] == ["01", "03"]
    with pytest.raises(SystemExit, match="99"):
        lesson_notebooks(only=["99"])


def _one_cell_notebook(tmp_path):
    path = tmp_path / "99_probe.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_runner_kernel_encrypts_its_sockets_and_does_not_warn(tmp_path, capfd):
    executed, html, _seconds = run_notebook(_one_cell_notebook(tmp_path), tmp_path / "out")
    err = capfd.readouterr().err
    assert WARNING not in err, err
    cell = nbformat.read(executed, as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "42\n" and html.is_file()


@pytest.mark.slow
def test_without_the_setting_the_kernel_warns(tmp_path, capfd, monkeypatch):
    """The check above can fail: with encryption off, ipykernel 7 prints the warning (ipykernel 6,
    which requirements.txt pins, has no such warning: nothing to show then)."""
    import importlib.metadata

    if int(importlib.metadata.version("ipykernel").split(".")[0]) < 7:
        pytest.skip("ipykernel < 7 does not warn about unencrypted TCP (requirements.txt pins 6.29.5)")
    monkeypatch.setattr(course_runner, "TRANSPORT_ENCRYPTION", "disabled")
    run_notebook(_one_cell_notebook(tmp_path), tmp_path / "out")
    assert WARNING in capfd.readouterr().err


# --- minutes: printed, recorded with --record, written into the README with --update-readme ----

@pytest.fixture
def fake_run(tmp_path, monkeypatch):
    """The runner with notebooks that "run" in 30 s each, the tiny profile on a 2-core CPU, and
    runs/, the minutes file and a README copy in a temporary folder."""
    import shutil

    from course_utils.model.profiles import HardwareFacts, choose_profile
    from course_utils.paths import REPO_ROOT
    from course_utils.tools import lesson_minutes

    monkeypatch.setattr(course_runner, "run_notebook", lambda nb, out, timeout: (nb, nb, 30.0))
    monkeypatch.setattr(course_runner, "choose_profile", lambda: choose_profile(
        HardwareFacts(cpu_count=2), env={"COURSE_PROFILE": "tiny"}))
    monkeypatch.setattr(lesson_minutes, "RUNS_DIR", tmp_path / "runs")
    (tmp_path / "runs" / "05_qlora" / "tiny").mkdir(parents=True)
    readme = shutil.copy(REPO_ROOT / "README.md", tmp_path / "README.md")
    return ["--out", str(tmp_path / "out"), "--minutes-file", str(tmp_path / "minutes.json"),
            "--readme", str(readme)], tmp_path


def test_minutes_are_printed_and_written_only_with_record(fake_run, capsys):
    args, tmp = fake_run
    before = (tmp / "README.md").read_text(encoding="utf-8")
    assert course_runner.main(["--only", "00", "05", *args]) == 0
    out = capsys.readouterr().out
    assert "Profile tiny on " in out and "done in 30 s (0.50 min)" in out
    assert "(0.50 min; its runs/ folder existed before)" in out
    assert not (tmp / "minutes.json").exists()                      # print only by default
    assert (tmp / "README.md").read_text(encoding="utf-8") == before

    assert course_runner.main(["--only", "00", "05", "--record", "--update-readme", *args]) == 0
    data = json.loads((tmp / "minutes.json").read_text(encoding="utf-8"))
    assert set(data) == {"tiny"} and set(data["tiny"]) == {"00_setup.ipynb", "05_qlora_training.ipynb"}
    entry = data["tiny"]["05_qlora_training.ipynb"]
    assert entry["minutes"] == 0.5 and entry["first_run"] is False
    assert data["tiny"]["00_setup.ipynb"]["first_run"] is True
    assert entry["machine"].startswith(f"{os.cpu_count()} CPU cores (")
    rows = {line.split(" | ")[0]: line for line in (tmp / "README.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("| 0")}
    assert "| 0.50 | not measured | 4-8 (estimate) | 3-6 (estimate) |" in rows["| 00"]
    assert "| 0.50 (runs/ reused) | not measured |" in rows["| 05"]


def test_update_readme_alone_runs_no_notebook(fake_run, monkeypatch, capsys):
    args, tmp = fake_run
    monkeypatch.setattr(course_runner, "run_notebook", None)        # would fail if called
    assert course_runner.main(["--update-readme", *args]) == 0
    assert "course-map minutes rewritten" in capsys.readouterr().out
    assert course_runner.main(["--update-readme", *args]) == 0
    assert "already up to date" in capsys.readouterr().out
