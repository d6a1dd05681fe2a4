"""Lesson 06's retention metric on general chat: any wording of the right answer counts, a wrong
answer or a restated question does not (course_utils.evaluate.metrics.general_answer_correct)."""

import pytest

from course_utils.dataset.load import load_general
from course_utils.evaluate.metrics import general_answer_correct, general_checkable


@pytest.mark.parametrize("question, reference, reply, right", [
    ("What is 2 minus 25?", "2 minus 25 is -23.", "The answer is -23.", True),
    ("What is 2 minus 25?", "2 minus 25 is -23.", "The answer is 23.", False),
    ("Is 157 even or odd?", "157 is odd.", "Odd.", True),
    ("Is 157 even or odd?", "157 is odd.", "157 is an even number.", False),
    ("Which comes first alphabetically, Austria or France?", "Austria comes first.",
     "Alphabetically, Austria comes before France.", True),
    ("Which comes first alphabetically, Austria or France?", "Austria comes first.", "France.", False),
    ("Sort these numbers: 50, 84, 9", "9, 50, 84", "Sorted: 9, 50, 84.", True),
    ("Sort these numbers: 50, 84, 9", "9, 50, 84", "50, 84, 9", False),
    ("Which city is the capital of Peru? The capital of Peru is Lima. And Greece?",
     "The capital of Greece is Athens.", "Athens!", True),
    ("Which city is the capital of Peru? The capital of Peru is Lima. And Greece?",
     "The capital of Greece is Athens.", "Lima.", False),
])
def test_any_wording_of_the_right_answer_counts(question, reference, reply, right):
    assert general_answer_correct(reply, reference, question) is right


def test_every_checkable_held_out_row_accepts_its_own_reference_and_rejects_an_empty_reply():
    rows = [r for r in load_general()[-200:] if general_checkable(r)]
    assert len(rows) >= 100
    for r in rows:
        prompt = " ".join(m["content"] for m in r["messages"][:-1])
        assert general_answer_correct(r["messages"][-1]["content"], r["messages"][-1]["content"], prompt), r
        assert not general_answer_correct("", r["messages"][-1]["content"], prompt), r


def test_open_requests_are_not_checkable():
    row = {"messages": [{"role": "user", "content": "Name 2 colours."},
                        {"role": "assistant", "content": "Purple and yellow."}]}
    assert not general_checkable(row)
