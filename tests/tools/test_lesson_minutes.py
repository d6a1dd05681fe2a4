"""The measured minutes per profile: the JSON file (round trip, atomic write, strict reading),
the runs/ folders that make a run a first run or not, and README's course map rewritten from
the file (on copies of the README in a temporary folder, never the real one)."""

import datetime as dt
import json
import os
import shutil

import pytest

from course_utils.errors import DataFileError
from course_utils.paths import REPO_ROOT
from course_utils.tools import lesson_minutes as lm

DAY = dt.date(2026, 11, 30)


def sample_minutes(path):
    """Minutes of three record keys: tiny and smol on a CPU, the 7B profile on a T4."""
    cpu = "2 CPU cores (x86_64 Linux)"
    for key, book, seconds, first in [("tiny", "00_setup.ipynb", 28.2, True),
                                      ("tiny", "05_qlora_training.ipynb", 90, True),
                                      ("smol", "05_qlora_training.ipynb", 234, False),
                                      ("qwen2.5-7b on Tesla T4", "05_qlora_training.ipynb", 1260,
                                       True)]:
        machine = cpu if key in ("tiny", "smol") else f"Tesla T4 GPU, {cpu}"
        lm.record_minutes(key, book, lm.measurement(seconds, machine, first, DAY), path)
    return path


@pytest.fixture
def readme(tmp_path):
    """A copy of the course's README (the real one is never written by a test)."""
    return shutil.copy(REPO_ROOT / "README.md", tmp_path / "README.md")


# --- the minutes file -------------------------------------------------------------------------------

def test_minutes_file_round_trips(tmp_path):
    path = sample_minutes(tmp_path / "lesson_minutes.json")
    data = lm.load_minutes(path)
    assert data["tiny"]["00_setup.ipynb"] == {"minutes": 0.47, "measured": "2026-11-30",
                                              "machine": "2 CPU cores (x86_64 Linux)",
                                              "first_run": True}
    assert data["smol"]["05_qlora_training.ipynb"]["first_run"] is False
    assert sorted(data) == ["qwen2.5-7b on Tesla T4", "smol", "tiny"]
    assert json.loads(path.read_text(encoding="utf-8")) == data
    lm.record_minutes("tiny", "00_setup.ipynb", lm.measurement(60, "x", True, DAY), path)
    assert lm.load_minutes(path)["tiny"]["00_setup.ipynb"]["minutes"] == 1.0   # replaced
    assert lm.load_minutes(tmp_path / "none.json") == {}


def test_write_is_atomic_and_keeps_permissions(tmp_path, monkeypatch):
    path = tmp_path / "lesson_minutes.json"
    path.write_text("{}\n", encoding="utf-8")
    os.chmod(path, 0o640)

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(lm.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        lm.record_minutes("tiny", "00_setup.ipynb", lm.measurement(30, "x", True, DAY), path)
    assert path.read_text(encoding="utf-8") == "{}\n"            # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == [path.name]   # no temporary file left
    monkeypatch.undo()
    lm.write_atomic(path, '{"tiny": {}}\n')
    assert path.read_text(encoding="utf-8") == '{"tiny": {}}\n'
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("text, field", [
    ('{"tiny": {"00_setup.ipynb": {"minutes": "0.5", "measured": "2026-11-30", '
     '"machine": "x", "first_run": true}}}', "tiny.00_setup.ipynb.minutes"),
    ('{"tiny": {"00_setup.ipynb": {"minutes": 0.5, "measured": "2026-11-30", "machine": "x"}}}',
     "tiny.00_setup.ipynb.first_run"),
    ('{"tiny": [1, 2]}', "tiny"),
])
def test_a_bad_entry_names_its_field_and_the_fix(tmp_path, text, field):
    path = tmp_path / "lesson_minutes.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"lesson_minutes.json, field '{field}'"):
        lm.load_minutes(path)


def test_a_run_is_a_first_run_when_its_lesson_has_no_runs_folder(tmp_path):
    (tmp_path / "05_qlora" / "tiny").mkdir(parents=True)
    (tmp_path / "06_smol").mkdir()
    assert lm.lesson_cached("05_qlora_training.ipynb", "tiny", tmp_path)
    assert not lm.lesson_cached("05_qlora_training.ipynb", "smol", tmp_path)
    assert lm.lesson_cached("06_evaluation.ipynb", "smol", tmp_path)
    assert not lm.lesson_cached("06_evaluation.ipynb", "tiny", tmp_path)
    assert not lm.lesson_cached("00_setup.ipynb", "tiny", tmp_path / "missing")
    (tmp_path / "course_smol").mkdir()          # the course adapter: lesson 05 trains it ...
    assert lm.lesson_cached("05_qlora_training.ipynb", "smol", tmp_path)
    # ... and 07 reuses it by design: a course run in order still runs 07 for the first time
    assert not lm.lesson_cached("07_multi_adapter_serving.ipynb", "smol", tmp_path)
    assert not lm.lesson_cached("04_data_curation.ipynb", "smol", tmp_path)


def test_columns_and_record_keys():
    assert lm.record_key("tiny") == "tiny"
    assert lm.record_key("qwen2.5-7b", "Tesla T4") == "qwen2.5-7b on Tesla T4"
    assert lm.column_for("smol").header == "smol CPU min"
    assert lm.column_for("tiny", "NVIDIA GeForce RTX 4060 Laptop GPU").header == "tiny CPU min"
    assert lm.column_for("qwen2.5-7b", "Tesla T4").header == "T4 min (7B)"
    assert lm.column_for("qwen2.5-7b", "NVIDIA A100-SXM4-80GB").header == "A100 min (7B)"
    assert lm.column_for("qwen2.5-7b", "NVIDIA H100") is None and lm.column_for("mistral-7b") is None
    t4 = lm.column_for("qwen2.5-7b", "Tesla T4")
    assert t4.holds("qwen2.5-7b on Tesla T4") and not t4.holds("qwen2.5-7b on NVIDIA A100")
    assert not lm.column_for("tiny").holds("tiny on Tesla T4")   # GPU minutes stay out of CPU columns


# --- README from the file --------------------------------------------------------------------------

def test_readme_cells_are_computed_from_the_file(tmp_path, readme):
    minutes = sample_minutes(tmp_path / "lesson_minutes.json")
    assert lm.update_readme(readme, minutes) is True
    table = lm.map_table(readme)
    col = {c.header: table.column(c.header) for c in lm.COLUMNS}
    cells = {r[0]: r for _, r in table.rows}
    # an unmeasured GPU cell of a lesson that loads the 7B shows the pre-flight's range, marked
    assert [cells["00"][col[h]] for h in col] == ["0.47", lm.NOT_MEASURED, "4-8 (estimate)",
                                                  "3-6 (estimate)"]
    assert [cells["05"][col[h]] for h in col] == ["1.5", "3.9 (runs/ reused)", "21.0",
                                                  "5-10 (estimate)"]
    assert all(cells["03"][col[h]] == lm.NOT_MEASURED for h in col)
    assert lm.minutes_in(table, 1, "T4 min (7B)", "4-8 (estimate)") is None   # not a measurement
    text = readme.read_text(encoding="utf-8")
    assert ("Measured (`docs/lesson_minutes.json`, written by the course runner): `tiny CPU min` "
            "on 2 CPU cores (x86_64 Linux), 2026-11-30, 2 of 8 lessons; `smol CPU min` on 2 CPU "
            "cores (x86_64 Linux), 2026-11-30, 1 of 8 lessons; `T4 min (7B)` on Tesla T4 GPU, "
            "2 CPU cores (x86_64 Linux), 2026-11-30, 1 of 8 lessons.") in text
    assert text.count(lm.MEASURED_LINE) == 1
    assert lm.update_readme(readme, minutes) is False                # already up to date
    assert readme.read_text(encoding="utf-8") == text
    assert "## Library versions" in text and text.count("## Course map") == 1


def test_readme_without_a_minutes_column_names_the_readme_and_the_column(tmp_path, readme):
    text = readme.read_text(encoding="utf-8").replace("| smol CPU min |", "| smol minutes |")
    readme.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"README.md, line \d+, field 'smol CPU min': no such "
                                            r"column in the course-map table"):
        lm.update_readme(readme, tmp_path / "none.json")
    assert readme.read_text(encoding="utf-8") == text                # left as it was


def test_a_cell_that_is_not_minutes_is_refused(readme):
    table = lm.map_table(readme)
    assert lm.minutes_in(table, 1, "tiny CPU min", "1.5 (runs/ reused)") == 1.5
    assert lm.minutes_in(table, 1, "tiny CPU min", lm.NOT_MEASURED) is None
    with pytest.raises(DataFileError, match="field 'tiny CPU min': 'about 2' is neither minutes"):
        lm.minutes_in(table, 1, "tiny CPU min", "about 2")
