"""Lesson 05: which checkpoint a run may resume from (course_utils.training.checkpoints): files
complete and readable, of the run's shapes; broken ones set aside; the resume decision."""

import dataclasses
import json

import pytest
import torch
from safetensors.torch import save_file

from course_utils.model.profiles import run_sizes
from course_utils.training.checkpoints import (NotAFolder, NothingToResume, RunExists, SettingsMismatch,
                                               checkpoint_problems, last_complete_checkpoint, plan_resume,
                                               publish, safetensors_problem, set_aside, shape_problems,
                                               torch_file_problem, verified_checkpoint)
from course_utils.training.safe_delete import DeletionRefused

SHAPES = {"m.q.lora_A.weight": (2, 8), "m.q.lora_B.weight": (8, 2)}
CONFIG = {"preset": "tiny", "quantization": "nf4", "targets": "all-linear", "r": 2, "world_size": 1,
          "max_steps": 4, "save_steps": 2, "seed": 0}


def make_checkpoint(path, shapes=SHAPES):
    """A hand-made checkpoint with every file the Trainer writes, of the given adapter shapes."""
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text('{"global_step": 2}')
    save_file({k: torch.zeros(s) for k, s in shapes.items()}, str(path / "adapter_model.safetensors"))
    state = {i: {"step": torch.tensor(2.0), "exp_avg": torch.zeros(s), "exp_avg_sq": torch.zeros(s)}
             for i, s in enumerate(shapes.values())}
    torch.save({"state": state, "param_groups": [{"params": list(state)}, {"params": []}]},
               path / "optimizer.pt")
    torch.save({"last_epoch": 2}, path / "scheduler.pt")
    torch.save({"python": 1}, path / "rng_state.pth")
    return path


def stored_byte(data: bytes) -> int:
    """The offset of the first byte of the largest record stored in the zip archive `data`."""
    import io
    import struct
    import zipfile

    info = max(zipfile.ZipFile(io.BytesIO(bytes(data))).infolist(), key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_a_complete_checkpoint_has_no_problems(tmp_path):
    ck = make_checkpoint(tmp_path / "checkpoint-2")
    assert checkpoint_problems(ck) == [] and shape_problems(ck, SHAPES) == []


def test_truncated_weights_are_named_before_the_trainer_would_crash(tmp_path):
    ck = make_checkpoint(tmp_path / "checkpoint-2")
    weights = ck / "adapter_model.safetensors"
    truncate(weights, 0.9)
    assert "truncated" in safetensors_problem(weights)
    assert any("adapter_model.safetensors: truncated" in p for p in checkpoint_problems(ck))
    weights.write_bytes(weights.read_bytes()[:4])
    assert "too short" in safetensors_problem(weights)
    weights.write_bytes(b"\xff" * 16)            # a header length far past the end of the file
    assert "inside its header" in safetensors_problem(weights)


@pytest.mark.parametrize("name", ["optimizer.pt", "scheduler.pt", "rng_state.pth"])
def test_truncated_or_corrupted_torch_files_are_named(tmp_path, name):
    ck = make_checkpoint(tmp_path / "checkpoint-2")
    data = bytearray((ck / name).read_bytes())
    truncate(ck / name)
    assert any(p.startswith(f"{name}: damaged") for p in checkpoint_problems(ck))
    data[stored_byte(data)] ^= 0xFF      # one flipped byte inside a stored record
    (ck / name).write_bytes(bytes(data))
    assert "bad CRC" in torch_file_problem(ck / name)


def test_a_checkpoint_of_other_shapes_is_refused(tmp_path):
    other = {"m.q.lora_A.weight": (4, 8), "m.q.lora_B.weight": (8, 4)}   # rank 4, not 2
    ck = make_checkpoint(tmp_path / "checkpoint-2", other)
    assert checkpoint_problems(ck) == []          # readable ...
    problems = shape_problems(ck, SHAPES)         # ... but not this run's
    assert any("adapter_model.safetensors holds other tensors" in p for p in problems)
    assert any("moment shapes differ" in p for p in problems)
    fewer = {"m.q.lora_A.weight": (2, 8)}
    assert any("covers 2 tensors, this run trains 1" in p for p in shape_problems(ck, fewer))


def test_resume_falls_back_past_a_broken_newest_checkpoint_and_says_which(tmp_path):
    make_checkpoint(tmp_path / "checkpoint-2")
    make_checkpoint(tmp_path / "checkpoint-4")
    truncate(tmp_path / "checkpoint-4" / "optimizer.pt")
    notes = []
    got = verified_checkpoint(tmp_path, SHAPES, move_aside=True, report=notes.append)
    assert got == tmp_path / "checkpoint-2"
    assert "skipping checkpoint-4: optimizer.pt: damaged" in notes[0]
    assert "moved to incomplete-checkpoint-4" in notes[0]
    assert notes[1].startswith("falling back to checkpoint-2")
    note = (tmp_path / "incomplete-checkpoint-4" / "SET_ASIDE.txt").read_text()
    assert "optimizer.pt" in note                 # the reason travels with the folder
    assert (tmp_path / "incomplete-checkpoint-4" / "adapter_model.safetensors").is_file()  # kept


def test_set_aside_never_overwrites_an_earlier_set_aside_folder(tmp_path):
    (tmp_path / "incomplete-checkpoint-4").mkdir()
    ck = make_checkpoint(tmp_path / "checkpoint-4")
    assert set_aside(ck, ["x"]).name == "incomplete-checkpoint-4.2"
    assert set_aside(tmp_path / "checkpoint-4", ["x"]) is None   # already gone


def test_publish_renames_a_staged_checkpoint_into_place(tmp_path):
    staged = make_checkpoint(tmp_path / ".staging" / "checkpoint-2")
    old = make_checkpoint(tmp_path / "checkpoint-2")
    (old / "stale.txt").write_text("x")
    publish(staged, tmp_path / "checkpoint-2")
    assert not (tmp_path / ".staging").exists()
    assert checkpoint_problems(tmp_path / "checkpoint-2") == []
    assert not (tmp_path / "checkpoint-2" / "stale.txt").exists()


def test_the_resume_decision_names_the_folder_and_the_fix(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotAFolder, match="is a file"):
        plan_resume(tmp_path / "file" / "run", False, False, CONFIG)
    out = tmp_path / "run"
    with pytest.raises(NothingToResume, match="no complete checkpoint"):
        plan_resume(out, True, False, CONFIG)
    assert plan_resume(out, "auto", False, CONFIG) is None
    make_checkpoint(out / "checkpoint-2")
    (out / "run_config.json").write_text(json.dumps(CONFIG))
    with pytest.raises(RunExists, match="--resume"):
        plan_resume(out, False, False, CONFIG)
    assert plan_resume(out, True, False, {**CONFIG, "max_steps": 8}) == out / "checkpoint-2"
    with pytest.raises(SettingsMismatch, match=r"'r': \(2, 4\)"):
        plan_resume(out, True, False, {**CONFIG, "r": 4})
    assert plan_resume(out, False, True, CONFIG) is None     # overwrite: allowed, nothing deleted yet
    assert (out / "checkpoint-2").is_dir()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(DeletionRefused):
        plan_resume(tmp_path / "mine", False, True, CONFIG)
    assert plan_resume(tmp_path / "mine", False, True, CONFIG, deletes=False) is None


@pytest.mark.slow
def test_a_save_killed_midway_leaves_no_checkpoint_that_looks_complete(tmp_path, capsys):
    """The save of step 2 dies after the weights and optimizer are written: no checkpoint-2
    appears (only .staging/checkpoint-2), and the resume continues from checkpoint-1."""
    from course_utils.training import run as R
    from course_utils.training.trainer import CourseSFTTrainer

    profile = R.profile_for("tiny")
    sizes = dataclasses.replace(run_sizes(profile), train_examples=8, eval_examples=4, batch_size=2,
                                max_steps=3, save_steps=1)
    original = CourseSFTTrainer._save_rng_state

    def dies_at_step_2(self, output_dir):
        if self.state.global_step == 2:
            raise KeyboardInterrupt("killed while saving")
        return original(self, output_dir)

    CourseSFTTrainer._save_rng_state = dies_at_step_2
    try:
        with pytest.raises(KeyboardInterrupt):
            R.train(profile, tmp_path, sizes=sizes, eval_before=False)
    finally:
        CourseSFTTrainer._save_rng_state = original
    assert [p.name for p in sorted(tmp_path.glob("checkpoint-*"))] == ["checkpoint-1"]
    assert (tmp_path / ".staging" / "checkpoint-2" / "optimizer.pt").is_file()
    assert last_complete_checkpoint(tmp_path, report=lambda m: None) == tmp_path / "checkpoint-1"
    s = R.train(profile, tmp_path, sizes=sizes, resume=True)
    assert s.resumed_from.endswith("checkpoint-1") and (s.status, s.global_step) == ("finished", 3)
    assert "ignoring .staging/checkpoint-2" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
