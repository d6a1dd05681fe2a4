"""Lesson 04: ``data/tasks`` is exactly what ``python -m course_utils.dataset.build`` writes,
file for file and byte for byte, and its MANIFEST tells the truth about it."""

import filecmp
import hashlib
import json
import subprocess
import sys

import pytest

from course_utils.dataset import build
from course_utils.dataset.generate import facts
from course_utils.dataset.load import TASKS_DIR, load_facts, load_split
from course_utils.paths import REPO_ROOT

HAND_WRITTEN = {"README.md"}


def test_committed_generated_files_are_rebuilt_bit_for_bit():
    manifest = json.loads((TASKS_DIR / "MANIFEST.json").read_text())
    files = build.generated_files(manifest["seed"])
    for name, data in files.items():
        committed = (TASKS_DIR / name).read_bytes()
        assert committed == data, f"{name} differs from the generator's output: rebuild with " \
                                  f"{build.COMMAND} --out data/tasks"


def test_manifest_lists_every_file_with_its_size_and_hash():
    manifest = json.loads((TASKS_DIR / "MANIFEST.json").read_text())
    on_disk = {p.name for p in TASKS_DIR.iterdir()} - HAND_WRITTEN - {"MANIFEST.json"}
    assert set(manifest["files"]) == on_disk
    for name, info in manifest["files"].items():
        data = (TASKS_DIR / name).read_bytes()
        assert info == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name
    assert manifest["command"] == f"{build.COMMAND} --seed {manifest['seed']} --out <folder>"
    total = sum(p.stat().st_size for p in TASKS_DIR.iterdir())
    assert total < 4_000_000, f"data/tasks holds {total:,} bytes; keep it to a few MB"


@pytest.mark.slow
def test_the_command_rebuilds_data_tasks_byte_for_byte(tmp_path):
    out = tmp_path / "tasks"
    run = subprocess.run([sys.executable, "-m", "course_utils.dataset.build", "--out", str(out)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "train.jsonl" in run.stdout
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted({p.name for p in TASKS_DIR.iterdir()} - HAND_WRITTEN)
    match, mismatch, errors = filecmp.cmpfiles(out, TASKS_DIR, written, shallow=False)
    assert mismatch == [] and errors == [], (
        f"{mismatch + errors} differ from data/tasks: the code or the course tokenizer changed; "
        f"rebuild with {build.COMMAND} --out data/tasks and review the diff")


def test_committed_eval_sets_load_and_facts_tables_match_the_generator():
    assert load_facts(1) == facts(1, shifted=True)
    assert load_facts(2) == facts(2, shifted=True)
    assert len(load_split("test_shifted")) == sum(build.SHIFTED_COUNTS.values())
    v2 = load_split("test_facts_v2")
    assert len(v2) == build.FACTS_V2_COUNT and all(r["meta"]["facts_version"] == 2 for r in v2)
    assert len(load_split("general")) == build.GENERAL_COUNT
