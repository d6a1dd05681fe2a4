"""Lesson 04: splits keep near duplicates on one side (checked with an independent Jaccard),
and the training mix hits its ratio without repeats."""

import numpy as np
import pytest

from course_utils.dataset import splits
from course_utils.dataset.load import load_general, load_split
from course_utils.dataset.rows import user_text
from course_utils.tasks import TASKS
from jaccard_reference import exact_jaccard_matrix
from row_builders import row


def test_no_near_duplicate_crosses_the_committed_splits_by_the_reference_jaccard():
    committed = {name: load_split(name) for name in splits.SPLITS}
    rows = [(name, r) for name, rs in committed.items() for r in rs]
    for task in TASKS:
        sub = [(n, r) for n, r in rows if r["task"] == task]
        j = exact_jaccard_matrix([user_text(r) for _, r in sub])
        names = np.array([n for n, _ in sub])
        cross = names[:, None] != names[None, :]
        worst = j[cross].max()
        assert worst < 0.6, f"{task}: rows in different splits reach Jaccard {worst:.2f}"
    assert splits.cross_split_pairs(committed) == []
    sizes = {n: len(rs) for n, rs in committed.items()}
    total = sum(sizes.values())
    assert abs(sizes["train"] / total - 0.8) < 0.03 and min(sizes.values()) > 150


def test_split_keeps_linked_rows_together_and_checks_fractions():
    base = "my aero kettle will not turn on and i need a fix before friday please"
    rows = [row(f"a{i}", base + f" {i}") for i in range(6)] + \
        [row(f"b{i}", f"completely different message number {i} about billing {i * 7}") for i in range(30)]
    sp = splits.split(rows, seed=1)
    homes = {name for name, rs in sp.items() for r in rs if r["id"].startswith("a")}
    assert len(homes) == 1
    assert sorted(r["id"] for rs in sp.values() for r in rs) == sorted(r["id"] for r in rows)
    with pytest.raises(ValueError, match="fractions"):
        splits.split(rows, fractions=(0.9, 0.2, 0.1))


def test_cross_split_pairs_finds_a_planted_leak():
    a = row("a", "my aero kettle will not turn on and i need a fix before friday please")
    b = row("b", "My Aero Kettle will not turn on, and I need a fix before Friday please!")
    c = row("c", "completely different message about a billing problem with my card")
    leaks = splits.cross_split_pairs({"train": [a, c], "test": [b]})
    assert [(x, sx, y, sy) for x, sx, y, sy, _ in leaks] == [("a", "train", "b", "test")]


def test_mix_hits_the_ratio_without_repeats():
    train, general = load_split("train"), load_general()
    m = splits.mix(train, general, 0.25, seed=0)
    shares = splits.task_shares(m)
    assert abs(1 - shares["general"] - 0.25) < 0.005
    assert len({r["id"] for r in m}) == len(m)
    assert m == splits.mix(train, general, 0.25, seed=0)
    assert len(splits.mix(train, general, 0.3, max_rows=500)) == 500
    with pytest.raises(ValueError, match="domain_fraction"):
        splits.mix(train, general, 1.5)
    with pytest.raises(ValueError, match="general_rows is empty"):
        splits.mix(train, [], 0.25)
    assert splits.task_shares([]) == {}
