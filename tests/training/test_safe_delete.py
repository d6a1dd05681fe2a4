"""Lesson 05: the one deletion rule (course_utils.training.safe_delete): only a folder the course
made as a run, only the files the run wrote, never a place whose loss would hurt."""

import json
from pathlib import Path

import pytest

from course_utils.paths import REPO_ROOT, RUNS_DIR
from course_utils.training.safe_delete import RUN, DeletionRefused, Maker, clear, refusal

RECORD = {"preset": "tiny", "quantization": "nf4", "targets": "all-linear", "r": 16}


def run_folder(root: Path) -> Path:
    """A folder laid out as a finished run, plus a learner's notes and a later lesson's marker."""
    root.mkdir(parents=True)
    (root / "run_config.json").write_text(json.dumps(RECORD))
    for sub in ("checkpoint-2", "checkpoint-4", "incomplete-checkpoint-6", "adapter", "runs/x", ".staging/checkpoint-8"):
        (root / sub).mkdir(parents=True)
        (root / sub / "f.bin").write_bytes(b"1")
    for name in ("log_history.json", "run_summary.json", "README.md"):
        (root / name).write_text("{}")
    (root / "notes.txt").write_text("my notes")
    (root / "base_identity.txt").write_text("tiny@abc")
    return root


def test_a_run_folder_loses_the_run_files_and_keeps_the_rest(tmp_path):
    root = run_folder(tmp_path / "run")
    kept = clear(root)
    assert sorted(p.name for p in kept) == ["base_identity.txt", "notes.txt"]
    assert sorted(p.name for p in root.iterdir()) == ["base_identity.txt", "notes.txt"]
    assert (root / "notes.txt").read_text() == "my notes"


@pytest.mark.parametrize("marker", [None, "not json", json.dumps({"preset": "tiny"}), json.dumps([1])])
def test_a_folder_without_a_runs_marker_is_refused_and_left_intact(tmp_path, marker):
    root = tmp_path / "mine"
    root.mkdir()
    (root / "notes.txt").write_text("my notes")
    (root / "checkpoint-2").mkdir()                 # looks like a run's, but no proof
    if marker is not None:
        (root / "run_config.json").write_text(marker)
    before = sorted(p.name for p in root.iterdir())
    with pytest.raises(DeletionRefused) as err:
        clear(root)
    assert str(root) in str(err.value) and "run_config.json" in str(err.value)
    assert "Nothing was deleted" in str(err.value)
    assert sorted(p.name for p in root.iterdir()) == before


def test_nothing_to_lose_is_no_refusal(tmp_path):
    assert refusal(tmp_path / "absent") is None and clear(tmp_path / "absent") == []
    (tmp_path / "empty").mkdir()
    assert refusal(tmp_path / "empty") is None


def test_a_file_and_a_link_are_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    assert "is a file" in refusal(tmp_path / "f")
    target = run_folder(tmp_path / "run")
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    with pytest.raises(DeletionRefused, match="symbolic link"):
        clear(tmp_path / "link")
    assert (target / "checkpoint-2").is_dir()


def test_a_linked_entry_is_removed_as_a_link_never_followed(tmp_path):
    root = run_folder(tmp_path / "run")
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("x")
    (root / "adapter").rename(tmp_path / "old_adapter")
    (root / "adapter").symlink_to(elsewhere, target_is_directory=True)
    clear(root)
    assert not (root / "adapter").exists() and (elsewhere / "keep.txt").read_text() == "x"


def test_the_current_folder_and_the_folders_above_it_are_refused(tmp_path, monkeypatch):
    root = run_folder(tmp_path / "run")        # even a real run folder
    inner = root / "adapter"
    monkeypatch.chdir(root)
    assert "the current folder" in refusal(Path("."))
    monkeypatch.chdir(inner)
    assert "a folder above the current folder" in refusal(root)
    with pytest.raises(DeletionRefused):
        clear(Path(".."))
    assert (root / "checkpoint-2").is_dir()


@pytest.mark.parametrize("place, words", [
    (REPO_ROOT, "the course repository"), (RUNS_DIR, "runs/ folder"),
    (Path.home(), "your home folder"), (Path("/"), "the filesystem root")])
def test_the_repository_runs_home_and_root_are_never_cleared(place, words):
    why = refusal(place)                       # only asked: never clear() a real place in a test
    if place.exists():
        assert why and words in why


def test_other_code_describes_what_it_writes_with_its_own_maker(tmp_path):
    export = Maker(what="a merged-model export", marker="config.json",
                   made=("config.json", "model*.safetensors", "tokenizer*"))
    root = tmp_path / "export"
    root.mkdir()
    for name in ("config.json", "model-00001.safetensors", "tokenizer.json", "notes.md"):
        (root / name).write_text("{}")
    assert [p.name for p in clear(root, export)] == ["notes.md"]
    (root / "other.txt").write_text("x")
    (root / "notes.md").unlink()
    assert "config.json" in refusal(root, export)
    assert RUN.owns(Path("checkpoint-12")) and not RUN.owns(Path("notes.txt"))
