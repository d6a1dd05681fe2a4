"""Lesson 05: a run stopped by SIGTERM between checkpoints resumes to the very same adapter.

Runs (tiny model, 6 steps of 2 rows, a checkpoint every 2 steps):
  A  uninterrupted, 6 steps
  B  a real SIGTERM at the end of step 3 (between checkpoints 2 and 4) -> checkpoint-3, stop;
     then resumed: steps 4-6
The adapters train in bf16 (as on an A100/H100), which is where the resume dtype trap bites.
"""

import dataclasses
import json
import shutil
import signal
from types import SimpleNamespace

import pytest
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTTrainer

from course_utils.model.profiles import run_sizes
from course_utils.training import run as T
from course_utils.training.checkpoints import checkpoint_problems, find_checkpoints, last_complete_checkpoint
from course_utils.training.preemption import PreemptionCallback
from course_utils.training.summary import adapter_difference
from course_utils.training.trainer import CourseSFTTrainer

STEPS, SAVE, STOP = 6, 2, 3
DTYPE = "bfloat16"


def _train(out, **kw):
    profile = T.profile_for("tiny")
    sizes = dataclasses.replace(run_sizes(profile), train_examples=2 * STEPS, eval_examples=4,
                                batch_size=2, max_steps=STEPS, save_steps=SAVE)
    return T.train(profile, out, sizes=sizes, adapter_dtype=DTYPE, **kw)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):  # three tiny runs: ~30 s
    root = tmp_path_factory.mktemp("preempt")
    sigterm_before = signal.getsignal(signal.SIGTERM)
    a = _train(root / "A")
    b1 = _train(root / "B", interrupt_at_step=STOP)
    shutil.copytree(root / "B", root / "B_at_stop")  # the folder as the preempted machine left it
    b2 = _train(root / "B", resume=True)
    return SimpleNamespace(root=root, a=a, b1=b1, b2=b2, sigterm_before=sigterm_before)


@pytest.mark.slow
def test_sigterm_between_checkpoints_saves_one_at_that_step_and_stops(runs):
    b1 = runs.b1
    assert (b1.status, b1.global_step, b1.steps_this_run, b1.adapter_dir) == ("interrupted", STOP, STOP, None)
    steps = [c.step for c in find_checkpoints(runs.root / "B_at_stop")]
    assert steps == [SAVE, STOP]                       # the regular one, then the preemption save
    assert all(c.complete for c in find_checkpoints(runs.root / "B_at_stop"))
    assert not (runs.root / "B_at_stop" / "adapter").exists()
    assert signal.getsignal(signal.SIGTERM) is runs.sigterm_before  # handler handed back


@pytest.mark.slow
def test_resumed_run_equals_the_uninterrupted_one_bitwise(runs):
    a, b2 = runs.a, runs.b2
    assert b2.status == "finished" and b2.resumed_from.endswith(f"checkpoint-{STOP}")
    assert b2.global_step == a.global_step == STEPS
    assert STOP + b2.steps_this_run == a.steps_this_run == STEPS  # no step lost, none repeated
    assert adapter_difference(a.adapter_dir, b2.adapter_dir) == 0.0  # same dtype, same bits
    la = json.loads((runs.root / "A" / "log_history.json").read_text())
    lb = json.loads((runs.root / "B" / "log_history.json").read_text())
    pick = ("step", "loss", "eval_loss", "grad_norm", "learning_rate")
    assert [{k: h.get(k) for k in pick} for h in la] == [{k: h.get(k) for k in pick} for h in lb]


@pytest.mark.slow
def test_without_restoring_the_dtype_the_resume_drifts(runs, monkeypatch):
    """The trap the dtype restore closes: PEFT reloads the bf16 adapter in fp32."""
    out = runs.root / "C"
    shutil.copytree(runs.root / "B_at_stop", out)
    monkeypatch.setattr(CourseSFTTrainer, "_load_from_checkpoint", SFTTrainer._load_from_checkpoint)
    c = _train(out, resume=True)
    with pytest.raises(ValueError, match="dtype torch.bfloat16 .* but torch.float32"):
        adapter_difference(runs.a.adapter_dir, c.adapter_dir)


@pytest.mark.slow
def test_a_half_written_checkpoint_is_skipped_and_reported(runs, capsys):
    out = runs.root / "D"
    shutil.copytree(runs.root / "B_at_stop", out)
    half = out / "checkpoint-5"                     # killed while saving: no trainer_state.json
    shutil.copytree(out / f"checkpoint-{STOP}", half)
    (half / "trainer_state.json").unlink()
    (half / "optimizer.pt").write_bytes(b"\0" * 100)
    assert get_last_checkpoint(str(out)).endswith("checkpoint-5")  # transformers would pick it
    assert "trainer_state.json" in checkpoint_problems(half)[0]
    d = _train(out, resume=True)
    err = capsys.readouterr().err
    assert "skipping checkpoint-5: no trainer_state.json" in err and "incomplete-checkpoint-5" in err
    assert (out / "incomplete-checkpoint-5").is_dir()  # kept for inspection, out of the Trainer's way
    assert d.resumed_from.endswith(f"checkpoint-{STOP}")
    assert adapter_difference(runs.a.adapter_dir, d.adapter_dir) == 0.0


def test_unreadable_state_and_missing_files_are_named(tmp_path):
    ck = tmp_path / "checkpoint-4"
    ck.mkdir()
    (ck / "trainer_state.json").write_text('{"global_step": 4, "log_hi')  # cut mid-write
    problems = checkpoint_problems(ck)
    assert any("unreadable" in p for p in problems)
    assert any("adapter_model.safetensors" in p for p in problems)
    assert any("optimizer.pt" in p for p in problems)
    assert last_complete_checkpoint(tmp_path, report=lambda m: None) is None


def test_a_second_ctrl_c_gives_up():
    import os

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when started in the background
    active = signal.default_int_handler if before is signal.SIG_IGN else before
    signal.signal(signal.SIGINT, active)      # as in a terminal or Jupyter
    cb = PreemptionCallback()
    cb.install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        assert cb.received == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        cb.uninstall()
        handed_back = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, before)
    assert handed_back is active


def test_an_ignored_signal_stays_ignored():
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cb = PreemptionCallback()
    try:
        cb.install()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == cb._handle
    finally:
        cb.uninstall()
        signal.signal(signal.SIGINT, before)
