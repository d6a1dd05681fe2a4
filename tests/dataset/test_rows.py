"""Lesson 04: reading the user's text of any row, and listing what is wrong with one."""

import json

import pytest

from course_utils.dataset.load import load_raw
from course_utils.dataset.rows import row_problems, user_text
from course_utils.tasks import answer_problems, triage_schema
from row_builders import row


def test_user_text_joins_user_turns_and_tolerates_broken_rows():
    two = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}
    assert user_text(two) == "a\nc"
    assert user_text({"messages": "oops"}) == "" and user_text([1]) == ""
    assert user_text({"messages": [{"role": "user", "content": None}, "x"]}) == ""


def test_row_problems_lists_structure_then_format():
    assert row_problems(row("a", "hi")) == []
    assert row_problems([]) == ["row is a list, not an object"]
    probs = row_problems({"id": 3, "task": "chat", "messages": []})
    assert probs == ["'id' missing or not a string",
                     "'task' is 'chat', not one of ('triage', 'moderation', 'policy_qa', 'general')",
                     "'messages' missing or not a non-empty list"]
    assert "not JSON" in row_problems(row("b", "hi", answer="{"))[0]


def test_schema_checker_agrees_with_jsonschema_on_the_raw_answers():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(triage_schema())
    seen = 0
    for r in load_raw():
        msgs = r.get("messages")
        if r.get("task") != "triage" or not isinstance(msgs, list) or not msgs:
            continue
        content = msgs[-1].get("content") if isinstance(msgs[-1], dict) else None
        try:
            obj = json.loads(content)
        except (TypeError, json.JSONDecodeError):
            continue
        seen += 1
        ours = answer_problems("triage", content) == []
        assert ours == validator.is_valid(obj), content
    assert seen > 900
