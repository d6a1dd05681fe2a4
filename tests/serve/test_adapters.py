"""Lesson 07's adapters: which names a request may use, which folders hold an adapter (and
that a pickled one is refused), random adapters that really differ, and `train_task_adapters`
reusing a finished run instead of training it again, and never clearing a folder the course
did not make."""

import json
from types import SimpleNamespace

import pytest
from safetensors.numpy import load_file

from course_utils.model.load import base_identity
from course_utils.serve import adapters as A
from course_utils.training.safe_delete import DeletionRefused

from builders import write_adapter


def test_names_and_folders_are_checked(tmp_path):
    for bad in ("__base__", "", "has space", "x" * 80, "../up", 7):
        with pytest.raises(ValueError, match="not usable"):
            A.check_adapter_name(bad)
    assert A.check_adapter_name("policy_qa-v2.1") == "policy_qa-v2.1"
    with pytest.raises(FileNotFoundError, match="adapter_config.json"):
        A.adapter_dir(tmp_path)
    write_adapter(tmp_path / "adapter")
    assert A.adapter_dir(tmp_path) == tmp_path / "adapter"          # a `train` output folder
    assert A.adapter_dir(tmp_path / "adapter") == tmp_path / "adapter"


def test_a_pickled_adapter_is_refused(tmp_path):
    folder = write_adapter(tmp_path / "pickled")
    (folder / "adapter_model.safetensors").rename(folder / "adapter_model.bin")
    with pytest.raises(ValueError, match=r"adapter_model.bin is a pickle.*safetensors"):
        A.adapter_dir(folder)
    (folder / "adapter_model.bin").unlink()
    with pytest.raises(FileNotFoundError, match="no adapter_model.safetensors"):
        A.adapter_dir(folder)


@pytest.mark.slow
def test_random_adapters_are_saved_untrained_and_differ(random_adapters):
    assert list(random_adapters) == ["triage", "moderation", "policy_qa"]
    weights = {}
    for name, folder in random_adapters.items():
        cfg = json.loads((folder / "adapter_config.json").read_text())
        assert (cfg["r"], cfg["lora_alpha"], cfg["init_lora_weights"]) == (8, 16, False)
        tensors = load_file(str(folder / "adapter_model.safetensors"))
        b = next(v for k, v in tensors.items() if "lora_B" in k)
        assert abs(b).max() > 0            # a fresh adapter has B = 0 and answers like the base
        weights[name] = b
    first, second, _ = weights.values()
    assert (first != second).any()


def _fake_run(run, max_steps: int, base: str = "tiny", status: str = "finished"):
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text("{}")
    (run / "run_config.json").write_text(json.dumps({"preset": base, "quantization": "nf4",
                                                     "targets": "all-linear", "r": 8}))
    (run / "run_summary.json").write_text(json.dumps({"status": status, "max_steps": max_steps}))
    (run / "base_identity.txt").write_text(base_identity(base))


@pytest.mark.slow     # imports lesson 05's trainer (trl), though nothing is trained here
def test_train_task_adapters_reuses_finished_runs_only(tmp_path, monkeypatch):
    from course_utils.training import run as training_run

    trained = []

    def fake_train(profile, run, **kw):
        trained.append((run.name, kw["max_steps"]))
        return SimpleNamespace(adapter_dir=str(run / "adapter"))

    monkeypatch.setattr(training_run, "train", fake_train)
    _fake_run(tmp_path / "triage", A.TINY_STEPS)                      # reused
    _fake_run(tmp_path / "moderation", A.TINY_STEPS, status="interrupted")
    _fake_run(tmp_path / "policy_qa", A.TINY_STEPS + 1)               # another step count
    paths = A.train_task_adapters(tmp_path, preset="tiny")
    assert trained == [("moderation", A.TINY_STEPS), ("policy_qa", A.TINY_STEPS)]
    assert paths == {t: tmp_path / t / "adapter" for t in ("triage", "moderation", "policy_qa")}
    assert (tmp_path / "policy_qa" / "base_identity.txt").read_text() == base_identity("tiny")


@pytest.mark.slow     # imports lesson 05's trainer (trl), though nothing is trained here
def test_train_task_adapters_never_clears_a_folder_the_course_did_not_make(tmp_path, monkeypatch):
    from course_utils.training import run as training_run

    trained = []
    monkeypatch.setattr(training_run, "train", lambda profile, run, **kw: trained.append(run.name))
    mine = tmp_path / "moderation"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")      # a learner's folder where a run would go
    with pytest.raises(DeletionRefused, match=r"moderation was not made by a course training run"):
        A.train_task_adapters(tmp_path, preset="tiny")
    assert trained == [] and (mine / "notes.txt").read_text() == "my notes"   # nothing trained, nothing lost
