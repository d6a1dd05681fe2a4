"""Lesson 04: the off-task step drops general chat filed under a task, and keeps task rows."""

import pytest

from course_utils.dataset.general_chat import generate_general
from course_utils.dataset.generate import generate_task_rows
from course_utils.dataset.off_task import OffTaskClassifier, drop_off_task
from course_utils.dataset.rows import user_text
from row_builders import row


def test_general_questions_under_a_task_are_dropped_and_task_rows_kept():
    task_rows = generate_task_rows(0, {"triage": 150, "moderation": 100, "policy_qa": 100})
    general = generate_general(0, 600)
    strays = [row(f"x{i}", user_text(g)) for i, g in enumerate(generate_general(9, 6, stream="x"))]
    kept, dropped = drop_off_task(task_rows + strays, general)
    assert {r["id"] for r, _ in dropped} == {r["id"] for r in strays}
    assert len(kept) == len(task_rows)
    assert all("looks like general chat" in why for _, why in dropped)


def test_needs_general_reference_text():
    with pytest.raises(ValueError, match="holds no general chat text"):
        OffTaskClassifier([row("a", "my kettle broke")], [])
