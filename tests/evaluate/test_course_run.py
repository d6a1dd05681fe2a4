"""The course adapter's training set and the retention rows (course_utils.evaluate.course_run):
lesson 04's mix with general chat at a quarter, never a held-out general row, the same rows on
every call (the adapter is reused by fingerprint)."""

from course_utils.evaluate.course_run import GENERAL_SHARE, course_mix, course_settings, general_heldout
from course_utils.evaluate.experiments import eval_sizes
from course_utils.model.profiles import HardwareFacts, choose_profile
from course_utils.tasks import TASKS


def test_course_mix_is_a_quarter_general_chat_and_the_same_every_time():
    rows = course_mix(320)
    assert len(rows) == 320
    general = [r for r in rows if r["task"] == "general"]
    assert len(general) == round(320 * GENERAL_SHARE)
    assert {r["task"] for r in rows} == set(TASKS) | {"general"}
    assert [r["id"] for r in course_mix(320)] == [r["id"] for r in rows]


def test_no_course_run_trains_on_a_retention_row():
    held = {r["id"] for r in general_heldout(200)}
    assert len(held) >= 100
    assert not held & {r["id"] for r in course_mix(800)}


def test_the_course_adapter_is_lesson_06s_adapter():
    tiny = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"})
    s = course_settings(tiny)
    assert (s["rows"], s["steps"]) == (eval_sizes(tiny).train_rows, eval_sizes(tiny).steps)
