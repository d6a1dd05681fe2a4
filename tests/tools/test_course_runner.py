"""The course runner (`make course`): notebooks in lesson order, and kernels that start without
ipykernel's "running over TCP without encryption" warning."""

from __future__ import annotations

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
    """The check above can fail: with encryption off, ipykernel prints the warning."""
    monkeypatch.setattr(course_runner, "TRANSPORT_ENCRYPTION", "disabled")
    run_notebook(_one_cell_notebook(tmp_path), tmp_path / "out")
    assert WARNING in capfd.readouterr().err
