"""Lesson 06 experiments without training: sizes, held-out rows, the training mix, the raw set,
and the verdicts that put the measured numbers into words (course_utils.evaluate.experiments).
The training runs themselves are exercised by test_systems.py and the lesson notebook."""

from types import SimpleNamespace

import numpy as np
import pytest

from course_utils.evaluate.experiments import (epochs_verdict, eval_sizes, format_note, heldout, raw_training_rows,
                                               runs_dir, training_mix, verdict)
from course_utils.model.profiles import HardwareFacts, choose_profile
from course_utils.paths import RUNS_DIR
from course_utils.tasks import TASKS

TINY = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"})
H100 = choose_profile(HardwareFacts("cuda", "NVIDIA H100 80GB HBM3", 85.0, bf16=True), env={})


def test_sizes_are_small_on_the_tiny_profile_and_real_on_a_gpu():
    tiny, gpu = eval_sizes(TINY), eval_sizes(H100)
    assert tiny.per_task < gpu.per_task and tiny.train_rows < gpu.train_rows
    assert tiny.steps > 0 and gpu.steps == -1            # the GPU trains one full epoch
    assert tiny.epochs >= 2 and tiny.epoch_rows > 0


def test_runs_live_under_the_one_runs_folder():
    assert runs_dir(TINY) == RUNS_DIR / "06_tiny"


def test_heldout_takes_the_first_rows_of_each_task_in_file_order():
    rows = heldout("test", 3)
    assert [r["task"] for r in rows] == [t for t in TASKS for _ in range(3)]
    assert heldout("test", 3, tasks=("moderation",)) == rows[3:6]
    with pytest.raises(ValueError, match="holds no"):
        heldout("test", 3, tasks=("summaries",))


def test_training_mix_is_seeded_and_puts_facts_in_every_second_policy_question():
    mix = training_mix(120, seed=1)
    assert mix == training_mix(120, seed=1) and mix != training_mix(120, seed=2)
    assert len(mix) == 120 and {r["task"] for r in mix} == set(TASKS)
    policy = [r for r in mix if r["task"] == "policy_qa"]
    with_facts = ["Facts:" in r["messages"][0]["content"] for r in policy]
    assert with_facts == [i % 2 == 1 for i in range(len(policy))]
    assert all(r["messages"][-1]["role"] == "assistant" for r in mix)
    with pytest.raises(ValueError, match="only"):
        training_mix(10**6)


def test_raw_rows_keep_their_defects_but_only_readable_conversations():
    rows = raw_training_rows(300, seed=0)
    assert len(rows) == 300 and rows == raw_training_rows(300, seed=0)
    for r in rows:
        m = r["messages"]
        assert r["task"] in TASKS and m[-1]["role"] == "assistant" and m[-1]["content"].strip()
    ids = [r["id"] for r in rows]
    texts = [r["messages"][-2]["content"] for r in rows]
    assert len(set(texts)) < len(texts) or len(set(ids)) < len(ids)   # duplicates stay in


def test_verdict_reads_the_interval_of_the_difference():
    assert "supports" in verdict("A beats B", {"diff": 0.2, "low": 0.05, "high": 0.3})
    assert "contradicts" in verdict("A beats B", {"diff": -0.2, "low": -0.3, "high": -0.05})
    assert "does not settle" in verdict("A beats B", {"diff": 0.1, "low": -0.05, "high": 0.25})


def test_epochs_verdict_finds_where_held_out_loss_was_lowest():
    points = [{"epoch": e, "eval_loss": v, "train_loss": t}
              for e, v, t in ((1, 1.2, 1.3), (2, 0.9, 0.8), (3, 1.0, 0.5))]
    assert "lowest at epoch 2" in epochs_verdict(points)
    assert "still falling at epoch 2" in epochs_verdict(points[:2])
    assert epochs_verdict([{"epoch": 1, "eval_loss": None, "train_loss": 1.0}]) == "no held-out loss was recorded"


def test_format_note_says_whether_the_formats_are_learned():
    def ev(value):
        return SimpleNamespace(scores={"adapter": {
            "triage": {"json_valid": np.full(4, value)},
            "moderation": {"format_valid": np.full(4, value)},
            "policy_qa": {"one_sentence": np.full(4, value)}}})

    assert "formats are learned" in format_note(ev(1.0))
    assert "has not learned every format" in format_note(ev(0.0))
    assert "triage json_valid 0.00" in format_note(ev(0.0))
