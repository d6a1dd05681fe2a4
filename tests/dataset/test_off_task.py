"""Lesson 04: the off-task step drops general chat filed under a task, keeps task rows, and each
verdict carries its two similarities, its score and how sure it is."""

import dataclasses

import pytest

from course_utils.dataset import off_task
from course_utils.dataset.general_chat import generate_general
from course_utils.dataset.generate import generate_task_rows
from course_utils.dataset.load import load_general, load_split
from course_utils.dataset.rows import user_text
from row_builders import row


@pytest.fixture(scope="module")
def rows_and_general():
    """The committed training split (a few hundred rows per task: the check compares a row with
    its task's other rows, so it needs them) and six general questions filed under triage."""
    strays = [row(f"x{i}", user_text(g)) for i, g in enumerate(generate_general(9, 6, stream="x"))]
    return load_split("train"), strays, load_general()


def test_general_questions_under_a_task_are_dropped_and_task_rows_kept(rows_and_general):
    task_rows, strays, general = rows_and_general
    kept, dropped = off_task.drop_off_task(task_rows + strays, general)
    assert {r["id"] for r, _ in dropped} >= {r["id"] for r in strays}
    # Measured: 3 to 4 of the ~1,700 training rows read as chat, all borderline (one of them,
    # "Tell me a fun fact.", is general chat the naive Bayes check of earlier versions missed).
    assert len(task_rows) - len(kept) <= 5
    assert all(why.startswith("reads like general chat: general ") for _, why in dropped)


def test_each_score_says_what_it_compared_and_how_sure_it_is(rows_and_general):
    task_rows, strays, general = rows_and_general
    scores = off_task.off_task_scores(task_rows + strays, general)
    assert [s.id for s in scores] == [r["id"] for r in task_rows + strays]  # input order
    by_id = {s.id: s for s in scores}
    stray = by_id[strays[0]["id"]]
    assert stray.off_task and stray.score == pytest.approx(
        stray.general_similarity - stray.task_similarity)
    assert stray.nearest_general and stray.nearest_task and stray.task == "triage"
    assert "threshold -0.05" in stray.why() and ("clear" in stray.why() or "borderline" in stray.why())
    typical = sorted(s.task_similarity for s in scores)[len(scores) // 2]
    assert all(by_id[r["id"]].task_similarity < typical / 2 for r in strays)
    # Borderline means within BORDERLINE of the threshold, on either side.
    for s in scores:
        assert s.borderline == (abs(s.score - off_task.THRESHOLD) < off_task.BORDERLINE)
    # A higher threshold drops fewer rows.
    loose = [dataclasses.replace(s, threshold=0.5) for s in scores]
    assert sum(s.off_task for s in loose) < sum(s.off_task for s in scores)


def custom(rid, text):
    """A row of a learner's own task (no system prompt, free-text answer)."""
    return {"id": rid, "task": "kettle_help", "meta": {}, "messages": [
        {"role": "user", "content": text}, {"role": "assistant", "content": "Try the reset button."}]}


def test_small_tasks_general_rows_and_blank_text_get_no_score(rows_and_general):
    task_rows, _, general = rows_and_general
    few = [custom(f"s{i}", f"my kettle number {i} is broken") for i in range(off_task.MIN_TASK_ROWS - 1)]
    scored = off_task.off_task_scores(task_rows[:300] + few + general[:5] + [row("b", "  ")], general)
    assert {s.task for s in scored} == {"triage", "moderation", "policy_qa"}
    assert len(scored) == 300
    # A task with few rows to compare with is scored, and its verdicts say they are less sure.
    more = [custom(f"m{i}", f"my kettle number {i} is broken") for i in range(off_task.MIN_TASK_ROWS)]
    small = [s for s in off_task.off_task_scores(more, general) if s.task == "kettle_help"]
    assert len(small) == off_task.MIN_TASK_ROWS
    assert all(f"only {off_task.MIN_TASK_ROWS - 1} other rows of this task" in s.why() for s in small)


def test_needs_general_text_and_ships_a_general_reference():
    with pytest.raises(ValueError, match="holds no general chat text"):
        off_task.off_task_scores([row("a", "my kettle broke")], [], general_texts=[])
    requests = off_task.general_requests()
    assert len(requests) >= 150 and not any(r.startswith("#") for r in requests)
    shop_words = ("order", "refund", "kettle", "warranty", "delivery", "tracking")
    assert not [r for r in requests if any(w in r.lower() for w in shop_words)]
